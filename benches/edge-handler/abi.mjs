// One event through a packaged module's exports, the way index.mjs does it on its view
// path (for cold.mjs's phase split; follows functions/edge/src/wasm_abi.rs and view.rs).
// `reads` is edgekit_init's output (the headers whose lines the view carries).
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LENGTH = ~(0x80000000 | 0x40000000 | 0x20000000 | 0x10000000);

function call(wasm, fn, text) {
  const capacity = text.length * 3;
  const ptr = wasm.edgekit_buffer(capacity);
  const written = encoder.encodeInto(text, new Uint8Array(wasm.memory.buffer, ptr, capacity)).written;
  const status = fn(written);
  const out = wasm.edgekit_output();
  return { status, text: decoder.decode(new Uint8Array(wasm.memory.buffer, out, (status & LENGTH) >>> 0)) };
}

export function handle(wasm, event, reads) {
  if (wasm.edgekit_view === undefined) return full(wasm, event); // a package from before the view ABI
  const { config: c, request: r } = event.Records[0].cf;
  const names = Object.keys(r.headers);
  const lines = (reads ?? names).map((n) => (Object.hasOwn(r.headers, n) ? r.headers[n] : null));
  const view = JSON.stringify([c.eventType, c.distributionDomainName, c.distributionId, c.requestId,
    r.clientIp, r.method, r.uri, r.querystring, r.origin?.custom?.domainName, r.origin?.s3?.domainName, names, lines]);
  const { status, text } = call(wasm, wasm.edgekit_view, view);
  if (status & 0x90000000) throw new Error("the fixture took the full path");
  const answer = JSON.parse(text);
  if (status & 0x20000000) return answer;
  for (const name of answer.d ?? []) delete r.headers[name];
  Object.assign(r.headers, answer.h ?? {});
  return r;
}

// The whole event in, the whole result out (the full path).
function full(wasm, event) {
  const { status, text } = call(wasm, wasm.edgekit_handle, JSON.stringify(event));
  return JSON.parse(status & 0x40000000 ? text.slice(text.indexOf("\n") + 1) : text);
}

// edgekit_init on the config text; returns the header names the view carries.
export function init(wasm, configJson) {
  const { status, text } = call(wasm, wasm.edgekit_init, configJson);
  if (status & 0x80000000) throw new Error(text);
  return text === "" ? null : JSON.parse(text);
}
