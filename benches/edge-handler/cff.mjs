// Benchmark: one function in its three forms on the same viewer requests, in ONE Node
// process, interleaved rounds (as bench.mjs):
//   (a) the generated CloudFront Functions script (`edgekit package F --runtime
//       cloudfront-js-2.0`), evaluated in a node:vm context the way edgekit's sandbox
//       (infra-cli/src/packaging/cff-sandbox.mjs) loads it, its top-level handler(event)
//       called with the CloudFront Functions viewer-request event;
//   (b) the Lambda@Edge package (unzipped: index.mjs + function.wasm) with the equivalent
//       origin-request event;
//   (c) the hand-written JS baseline (baseline.mjs, forwarded-proto defaults only) with that
//       same origin-request event.
// CAVEAT: the CloudFront Functions runtime itself (CloudFront's own JavaScript engine at the
// edge) cannot run here. (a) measures the generated JavaScript under V8 in Node, not
// CloudFront's engine; its real cost is reported only by TestFunction's compute utilization.
//
// Equivalent events: every origin-request fixture in --events, CloudFront-Forwarded-Proto set
// to exactly `https` (the CloudFront Function runs only behind viewer protocol policy
// redirect-to-https or https-only; docs/cloudfront-functions-equivalence.md #1), is the
// Lambda@Edge event; the CloudFront Functions event is derived from it by `viewerEvent`
// below, a port of functions/edge/src/cloudfront_functions/convert.rs (`viewer_side`,
// `cff_request`, `event_from_lambda`).
//
// Usage (scripts/bench-cff does it all):
//   node benches/edge-handler/cff.mjs --function NAME --cff FILE.js --wasm-dir DIR --events DIR
//     [--baseline] [--rounds N]
import { readFileSync, readdirSync, statSync } from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";
import { join } from "node:path";
import vm from "node:vm";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const fnName = opt("function", "forwarded-proto");
const cffFile = opt("cff");
const wasmDir = opt("wasm-dir");
const eventsDir = opt("events", "events");
const rounds = Number(opt("rounds", "200"));
const withBaseline = args.includes("--baseline");
if (!cffFile || !wasmDir) throw new Error("--cff FILE.js and --wasm-dir DIR are required");

// ---- the conversion (convert.rs) ---------------------------------------------------------

// Moves the last comma-separated element of the header's last line out when it is
// CloudFront's own (convert.rs `split_last_element`); the viewer's part stays.
function splitLastElement(headers, name, isCloudFronts) {
  const entries = headers[name];
  const last = entries?.[entries.length - 1];
  if (!last) return;
  const comma = last.value.lastIndexOf(",");
  const rest = comma >= 0 ? last.value.slice(0, comma).trimEnd() : null;
  const element = (comma >= 0 ? last.value.slice(comma + 1) : last.value).trim();
  if (!isCloudFronts(element)) return;
  if (rest) last.value = rest;
  else {
    entries.pop();
    if (entries.length === 0) delete headers[name];
  }
}

// convert.rs `viewer_side`: the request as the viewer sent it (CloudFront's additions out).
function viewerSide(request) {
  const viewer = structuredClone(request);
  for (const name of Object.keys(request.headers)) {
    if (name === "via") splitLastElement(viewer.headers, name, (e) => e.endsWith("(CloudFront)"));
    else if (name === "x-forwarded-for") splitLastElement(viewer.headers, name, (e) => e === request.clientIp);
    else if (name === "x-amz-cf-id" || name.startsWith("cloudfront-")) delete viewer.headers[name];
  }
  return viewer;
}

// `{value, multiValue}` for one name's values (convert.rs `multi`).
const multi = (values) =>
  values.length > 1 ? { value: values[0], multiValue: values.map((value) => ({ value })) } : { value: values[0] };

// convert.rs `parse_pairs`: names sorted (BTreeMap), values as sent, `a` is `a=`.
function parsePairs(pieces) {
  const grouped = new Map();
  for (const raw of pieces) {
    const piece = raw.replace(/^ +/, "");
    if (piece === "") continue;
    const eq = piece.indexOf("=");
    const [name, value] = eq >= 0 ? [piece.slice(0, eq), piece.slice(eq + 1)] : [piece, ""];
    grouped.set(name, [...(grouped.get(name) ?? []), value]);
  }
  return Object.fromEntries([...grouped.keys()].sort().map((n) => [n, multi(grouped.get(n))]));
}

// convert.rs `cff_request` + `viewer_event` via `event_from_lambda`.
function viewerEvent(lambdaEvent) {
  const cf = lambdaEvent.Records[0].cf;
  const request = viewerSide(cf.request);
  const headers = {};
  const cookieLines = [];
  for (const name of Object.keys(request.headers).sort()) {
    const values = request.headers[name].map((e) => e.value);
    if (name === "cookie") cookieLines.push(...values);
    else if (values.length > 0) headers[name] = multi(values);
  }
  return {
    version: "1.0",
    context: {
      distributionDomainName: cf.config.distributionDomainName ?? "",
      distributionId: cf.config.distributionId ?? "",
      eventType: "viewer-request",
      requestId: cf.config.requestId ?? "",
    },
    viewer: { ip: request.clientIp },
    request: {
      method: request.method,
      uri: request.uri,
      querystring: parsePairs((request.querystring ?? "").split("&")),
      headers,
      cookies: parsePairs(cookieLines.flatMap((line) => line.split(";"))),
    },
  };
}

// ---- the events --------------------------------------------------------------------------

const fixtures = readdirSync(eventsDir)
  .filter((f) => f.endsWith(".json") && !f.startsWith("config-"))
  .sort()
  .map((f) => [f, JSON.parse(readFileSync(join(eventsDir, f), "utf8"))])
  .filter(([, e]) => e.Records?.[0]?.cf?.config?.eventType === "origin-request");
const lambdaText = [];
const cffText = [];
for (const [, event] of fixtures) {
  event.Records[0].cf.request.headers["cloudfront-forwarded-proto"] = [
    { key: "CloudFront-Forwarded-Proto", value: "https" },
  ];
  lambdaText.push(JSON.stringify(event));
  cffText.push(JSON.stringify(viewerEvent(event)));
}

// ---- the three handlers ------------------------------------------------------------------

// The generated script as the sandbox runs it: a fresh context, no string/wasm code
// generation, WebAssembly removed, the script evaluated once; events are parsed and results
// serialised with the context's own JSON, so the handler sees objects of its own realm.
const code = readFileSync(cffFile, "utf8");
const context = vm.createContext(
  { console: { log() {} }, require() { throw new Error("no modules in this benchmark"); } },
  { name: "cloudfront-js-2.0", codeGeneration: { strings: false, wasm: false } },
);
vm.runInContext("delete globalThis.WebAssembly;", context);
new vm.Script(code, { filename: cffFile }).runInContext(context);
const cffHandler = vm.runInContext("handler", context);
const cffJson = vm.runInContext("JSON", context);

const lambdaHandlers = { wasm: (await import(pathToFileURL(join(wasmDir, "index.mjs")).href)).handler };
const baselineFile = join(fileURLToPath(new URL(".", import.meta.url)), "baseline.mjs");
if (withBaseline) lambdaHandlers.baseline = (await import(pathToFileURL(baselineFile).href)).handler;

// Each form: its events, how to parse one, how to call (Lambda handlers are async and
// awaited, as Lambda's runtime does; a CloudFront Function is synchronous), how to serialise.
const forms = {
  cff: { events: cffText, parse: (t) => cffJson.parse(t), call: (e) => cffHandler(e), json: cffJson },
};
for (const [name, h] of Object.entries(lambdaHandlers)) {
  forms[name] = { events: lambdaText, parse: (t) => JSON.parse(t), call: h, json: JSON, isAsync: true };
}

// ---- agreement (informational): same decision, same injected headers ---------------------

const INJECTED = ["forwarded", "x-forwarded-host", "x-forwarded-port", "x-cloudfront-forwarded-proto"];
async function outcome(form, i) {
  const r = await form.call(form.parse(form.events[i]));
  const status = r.statusCode ?? (r.status !== undefined ? Number(r.status) : undefined);
  if (status !== undefined) return `generate ${status}`;
  const value = (h) => (Array.isArray(h) ? h[0]?.value : h?.value);
  return `forward ${INJECTED.map((n) => `${n}=${value(r.headers[n])}`).join(" ")}`;
}
let agree = 0;
const disagreements = [];
for (let i = 0; i < fixtures.length; i++) {
  const outs = {};
  for (const [name, form] of Object.entries(forms)) outs[name] = await outcome(form, i);
  if (new Set(Object.values(outs)).size === 1) agree++;
  else disagreements.push(`${fixtures[i][0]}: ${JSON.stringify(outs)}`);
}

// ---- timing ------------------------------------------------------------------------------

const reps = 20; // events per timed batch: reps × fixture count
async function timeHandlerOnly(form) {
  const batch = [];
  for (let r = 0; r < reps; r++) for (const t of form.events) batch.push(form.parse(t));
  const start = process.hrtime.bigint();
  if (form.isAsync) for (const e of batch) await form.call(e);
  else for (const e of batch) form.call(e);
  return Number(process.hrtime.bigint() - start) / batch.length;
}
async function timeWithJson(form) {
  const start = process.hrtime.bigint();
  let n = 0;
  for (let r = 0; r < reps; r++) {
    for (const t of form.events) {
      const out = form.call(form.parse(t));
      form.json.stringify(form.isAsync ? await out : out);
      n++;
    }
  }
  return Number(process.hrtime.bigint() - start) / n;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (let i = 0; i < 50; i++) for (const f of Object.values(forms)) await timeWithJson(f); // warm-up
const samples = Object.fromEntries(Object.keys(forms).map((k) => [k, { only: [], json: [] }]));
for (let round = 0; round < rounds; round++) {
  const names = Object.keys(forms);
  const order = round % 2 ? names : [...names].reverse();
  for (const name of order) samples[name].only.push(await timeHandlerOnly(forms[name]));
  for (const name of order) samples[name].json.push(await timeWithJson(forms[name]));
}

// ---- report ------------------------------------------------------------------------------

const LABELS = {
  cff: "(a) CloudFront Function, generated JS (V8 in Node)",
  wasm: "(b) Lambda@Edge package (wasm)",
  baseline: "(c) hand-written JS baseline",
};
const ref = withBaseline ? "baseline" : "wasm";
console.log(`${fnName}: node ${process.version}; ${fixtures.length} origin-request fixtures (CloudFront-Forwarded-Proto: https) and their CloudFront Functions events; ${rounds} interleaved rounds of ${reps * fixtures.length} events; median per round`);
console.log(`same decision and injected headers in all forms: ${agree}/${fixtures.length} fixtures${disagreements.length ? "; differing:\n  " + disagreements.join("\n  ") : ""}`);
console.log(`generated script: ${statSync(cffFile).size} B; CAVEAT: the CloudFront Functions runtime cannot run here, (a) is the generated JS under Node's V8, not CloudFront's engine`);
console.log("");
const row = (...cells) => console.log(`| ${cells.map((c, i) => (i ? c.padStart(12) : c.padEnd(52))).join(" | ")} |`);
row("form", "ns/event", "events/s", `vs ${ref}`, "ns/event +JSON", "events/s", `vs ${ref}`);
console.log(`|${"-".repeat(54)}|${"-------------:|".repeat(6)}`);
const refOnly = median(samples[ref].only), refJson = median(samples[ref].json);
for (const name of Object.keys(forms)) {
  const only = median(samples[name].only), json = median(samples[name].json);
  const rate = (ns) => Math.round(1e9 / ns).toLocaleString("en-US");
  row(LABELS[name], only.toFixed(0), rate(only), (only / refOnly).toFixed(2), json.toFixed(0), rate(json), (json / refJson).toFixed(2));
}
