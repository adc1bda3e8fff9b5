// edgekit Lambda@Edge handler (runtime nodejs22.x, handler index.handler): runs the Rust
// core compiled to WebAssembly (function.wasm) with the config baked in at package time
// (config.json; Lambda@Edge has no environment variables [CloudFront Developer Guide,
// "Restrictions on Lambda@Edge"]). ABI: functions/edge/src/wasm_abi.rs.
// Written by `edgekit package`: __EDGEKIT_FUNCTION__ is replaced with the function name and
// __EDGEKIT_FAILURE__ with edge::function::failure_response() as JSON. The Rust core decides
// every answer, refusals included; this file only handles what the core cannot: a trap.
// Per event it sends wasm a compact view (what the function reads) and applies the edits
// wasm answers to the runtime's own event object; events the view cannot carry exactly
// (not of the model's plain shape) and refusals take the full path: the whole event as
// JSON in, the whole result out.
import { readFileSync } from "node:fs";

const FUNCTION = "__EDGEKIT_FUNCTION__";
const ERROR_BIT = 0x80000000;
const LOG_BIT = 0x40000000;
const RESPONSE_BIT = 0x20000000;
const FULL_BIT = 0x10000000;
const LENGTH = ~(ERROR_BIT | LOG_BIT | RESPONSE_BIT | FULL_BIT);
const FAILURE = __EDGEKIT_FAILURE__;
const wasmModule = new WebAssembly.Module(readFileSync(new URL("./function.wasm", import.meta.url)));
const configJson = readFileSync(new URL("./config.json", import.meta.url), "utf8");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let wasm = null; // exports of the live instance; null after a trap (rebuilt on the next event)
let bytes = null; // Uint8Array view of its memory (replaced when memory grows)
let reads = null; // header names whose lines the view carries (null: all), from edgekit_init

// Writes `text` as UTF-8 into the instance's input buffer; returns the byte length.
function put(text) {
  const capacity = text.length * 3; // UTF-8 needs at most 3 bytes per UTF-16 unit
  const ptr = wasm.edgekit_buffer(capacity);
  if (bytes.buffer !== wasm.memory.buffer) bytes = new Uint8Array(wasm.memory.buffer);
  return encoder.encodeInto(text, bytes.subarray(ptr, ptr + capacity)).written;
}

// Reads the output of the last call: { error, log, text } (see wasm_abi.rs for the bits).
function take(status) {
  const error = (status & ERROR_BIT) !== 0;
  const len = (status & LENGTH) >>> 0;
  const ptr = wasm.edgekit_output();
  if (bytes.buffer !== wasm.memory.buffer) bytes = new Uint8Array(wasm.memory.buffer);
  const text = decoder.decode(bytes.subarray(ptr, ptr + len));
  if ((status & LOG_BIT) === 0) return { error, log: null, text };
  const newline = text.indexOf("\n");
  return { error, log: text.slice(0, newline), text: text.slice(newline + 1) };
}

function start() {
  wasm = new WebAssembly.Instance(wasmModule, {}).exports;
  bytes = new Uint8Array(wasm.memory.buffer);
  const out = take(wasm.edgekit_init(put(configJson)));
  if (out.error) {
    wasm = null;
    throw new Error(`config refused: ${out.text}`);
  }
  reads = out.text === "" ? null : JSON.parse(out.text); // empty: a module that declares nothing
}

// The core's own failure answer, for when the core itself is gone (init failed, trap):
// one log line without event values or config, then the generated 500.
function failure(reason, event) {
  logFailure("answering-500", reason, event);
  return structuredClone(FAILURE);
}

// The stable failure line of every host (edge::function::failure_line):
// edgekit failure function=<name> cf_request_id=<id or -> kind=<kind> reason=<JSON string>
function logFailure(kind, reason, event) {
  const id = event?.Records?.[0]?.cf?.config?.requestId;
  const requestId = typeof id === "string" && /^[!#-~]+$/.test(id) ? id : "-";
  console.error(`edgekit failure function=${FUNCTION} cf_request_id=${requestId} kind=${kind} reason=${JSON.stringify(String(reason))}`);
}

try {
  start(); // once per container, during Lambda's init phase
} catch (err) {
  wasm = null;
  logFailure("init-failed", err && err.message, undefined);
}

// The shape checks below mirror the Rust event model (functions/edge/src/model.rs): an event
// passes only if the model takes every part outside the view as it is (no `null` optional,
// no missing default, numbers in range), so the native result is this very object with the
// edits applied. Anything else takes the full path, whose answer is the native one.
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const optString = (v) => v === undefined || typeof v === "string";
const optUint = (v, max) => v === undefined || (Number.isInteger(v) && v >= 0 && v <= max);

function plainHeaders(headers) {
  if (!isObject(headers)) return false;
  for (const name of Object.keys(headers)) {
    const lines = headers[name];
    if (!Array.isArray(lines)) return false;
    for (const line of lines) {
      if (!isObject(line) || typeof line.value !== "string" || !optString(line.key)) return false;
      for (const key of Object.keys(line)) if (key !== "key" && key !== "value") return false;
    }
  }
  return true;
}

function plainCustom(c) {
  return isObject(c) && typeof c.domainName === "string" && typeof c.path === "string" &&
    plainHeaders(c.customHeaders) && optUint(c.keepaliveTimeout, 0xffffffff) &&
    optUint(c.readTimeout, 0xffffffff) && optUint(c.port, 0xffff) && optString(c.protocol) &&
    (c.sslProtocols === undefined || (Array.isArray(c.sslProtocols) && c.sslProtocols.every((p) => typeof p === "string")));
}

function plainS3(s) {
  return isObject(s) && typeof s.domainName === "string" && typeof s.path === "string" &&
    plainHeaders(s.customHeaders) && optString(s.authMethod) && optString(s.region);
}

function plainOrigin(o) {
  return isObject(o) && (o.custom === undefined || plainCustom(o.custom)) && (o.s3 === undefined || plainS3(o.s3));
}

function plainBody(b) {
  return isObject(b) && typeof b.data === "string" && optString(b.action) && optString(b.encoding) &&
    (b.inputTruncated === undefined || typeof b.inputTruncated === "boolean");
}

// The event's `cf` when the view can carry it exactly, else null. (The view's own fields
// are checked strictly by wasm, which answers FULL_BIT when they are off.)
function viewable(event) {
  if (!isObject(event) || !Array.isArray(event.Records) || event.Records.length !== 1) return null;
  const record = event.Records[0];
  if (!isObject(record) || !isObject(record.cf)) return null;
  const cf = record.cf;
  if (!isObject(cf.config) || !isObject(cf.request) || cf.response !== undefined) return null;
  const request = cf.request;
  if (!plainHeaders(request.headers)) return null;
  if (request.origin !== undefined && !plainOrigin(request.origin)) return null;
  if (request.body !== undefined && !plainBody(request.body)) return null;
  return cf;
}

const linesOf = (headers) => (name) => (Object.hasOwn(headers, name) ? headers[name] : null);

// The view (functions/edge/src/view.rs): what the function reads, as one JSON array; of the
// headers, every name and the lines of those the function reads.
function view(cf) {
  const c = cf.config;
  const r = cf.request;
  const o = r.origin;
  const names = Object.keys(r.headers);
  const lines = (reads ?? names).map(linesOf(r.headers));
  return JSON.stringify([c.eventType, c.distributionDomainName, c.distributionId, c.requestId,
    r.clientIp, r.method, r.uri, r.querystring, o?.custom?.domainName, o?.s3?.domainName, names, lines]);
}

// Applies wasm's edits to the runtime's own request object.
function apply(request, edits) {
  const headers = request.headers;
  if (edits.d !== undefined) for (const name of edits.d) delete headers[name];
  if (edits.h !== undefined) {
    for (const name of Object.keys(edits.h)) {
      // defineProperty: a header named __proto__ must become an own property, as JSON.parse makes it.
      if (name === "__proto__") Object.defineProperty(headers, name, { value: edits.h[name], writable: true, enumerable: true, configurable: true });
      else headers[name] = edits.h[name];
    }
  }
  if (edits.u !== undefined) request.uri = edits.u;
  if (edits.q !== undefined) request.querystring = edits.q;
  if (edits.m !== undefined) request.method = edits.m;
  if (edits.c !== undefined) request.clientIp = edits.c;
  return request;
}

// The whole event through wasm: for events the view cannot carry, and refusals.
function full(event) {
  const out = take(wasm.edgekit_handle(put(JSON.stringify(event))));
  if (out.error) return failure(out.text, event);
  if (out.log !== null) console.error(out.log);
  return JSON.parse(out.text);
}

export const handler = async (event) => {
  try {
    if (wasm === null) start();
    const cf = viewable(event);
    if (cf === null) return full(event);
    const status = wasm.edgekit_view(put(view(cf)));
    if ((status & (ERROR_BIT | FULL_BIT)) !== 0) return full(event);
    const out = take(status);
    const answer = JSON.parse(out.text);
    return (status & RESPONSE_BIT) !== 0 ? answer : apply(cf.request, answer);
  } catch (err) {
    // A trap (e.g. RuntimeError: unreachable) leaves the instance in an unknown state:
    // drop it; the next event gets a fresh one from the compiled module.
    wasm = null;
    return failure(`${(err && err.name) || "Error"}: ${(err && err.message) || String(err)}`, event);
  }
};
