// Where the packaged handler's per-event time goes, by hand: the same steps index.mjs takes
// on the view path (functions/edge/src/view.rs), each timed alone over every origin-request
// fixture in events/: building the view (JSON.stringify), writing it into wasm memory
// (encodeInto), the wasm call (edgekit_view), reading the answer (decode) and parsing it
// (JSON.parse). Not timed here: index.mjs's shape checks and applying the edits.
// Usage: node benches/edge-handler/split.mjs PACKAGE_DIR [--rounds N]   (run from the repository root)
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const roundsAt = process.argv.indexOf("--rounds");
const rounds = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 3000;
const wasm = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(join(dir, "function.wasm"))), {}).exports;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LENGTH = ~(0x80000000 | 0x40000000 | 0x20000000 | 0x10000000);
const put = (text) => {
  const capacity = text.length * 3;
  const ptr = wasm.edgekit_buffer(capacity);
  return encoder.encodeInto(text, new Uint8Array(wasm.memory.buffer, ptr, capacity)).written;
};
const take = (status) => decoder.decode(new Uint8Array(wasm.memory.buffer, wasm.edgekit_output(), (status & LENGTH) >>> 0));
const reads = JSON.parse(take(wasm.edgekit_init(put(readFileSync(join(dir, "config.json"), "utf8")))));
const events = readdirSync("events")
  .filter((f) => f.endsWith(".json") && !f.startsWith("config-"))
  .map((f) => JSON.parse(readFileSync(join("events", f), "utf8")))
  .filter((e) => e.Records?.[0]?.cf?.config?.eventType === "origin-request");
const view = (cf) => {
  const c = cf.config, r = cf.request, o = r.origin;
  const names = Object.keys(r.headers);
  const lines = (reads ?? names).map((n) => (Object.hasOwn(r.headers, n) ? r.headers[n] : null));
  return JSON.stringify([c.eventType, c.distributionDomainName, c.distributionId, c.requestId,
    r.clientIp, r.method, r.uri, r.querystring, o?.custom?.domainName, o?.s3?.domainName, names, lines]);
};
const views = events.map((e) => view(e.Records[0].cf));
const lengths = views.map(put);
const answers = views.map((v, k) => { put(v); return take(wasm.edgekit_view(lengths[k])); });
const perEvent = (work) => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (let k = 0; k < events.length; k++) work(k);
  return Number(process.hrtime.bigint() - start) / rounds / events.length;
};
for (let run = 0; run < 3; run++) {
  const build = perEvent((k) => view(events[k].Records[0].cf));
  const write = perEvent((k) => put(views[k]));
  const call = perEvent((k) => { put(views[k]); wasm.edgekit_view(lengths[k]); }) - write;
  const read = perEvent((k) => { put(views[k]); take(wasm.edgekit_view(lengths[k])); }) - write - call;
  const parse = perEvent((k) => JSON.parse(answers[k]));
  console.log(`ns/event: view ${build | 0}, write ${write | 0}, wasm call ${call | 0}, read ${read | 0}, parse answer ${parse | 0}`);
}
