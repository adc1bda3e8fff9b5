// edgekit Lambda@Edge handler (runtime nodejs22.x, handler index.handler): runs the Rust
// core compiled to WebAssembly (function.wasm) with the config baked in at package time
// (config.json; Lambda@Edge has no environment variables [CloudFront Developer Guide,
// "Restrictions on Lambda@Edge"]). ABI: functions/edge/src/wasm_abi.rs.
// Written by `edgekit package`: __EDGEKIT_FUNCTION__ is replaced with the function name and
// __EDGEKIT_FAILURE__ with edge::function::failure_response() as JSON. The Rust core decides
// every answer, refusals included; this file only handles what the core cannot: a trap.
import { readFileSync } from "node:fs";

const FUNCTION = "__EDGEKIT_FUNCTION__";
const ERROR_BIT = 0x80000000;
const LOG_BIT = 0x40000000;
const FAILURE = __EDGEKIT_FAILURE__;
const wasmModule = new WebAssembly.Module(readFileSync(new URL("./function.wasm", import.meta.url)));
const configJson = readFileSync(new URL("./config.json", import.meta.url), "utf8");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let wasm = null; // exports of the live instance; null after a trap (rebuilt on the next event)
let bytes = null; // Uint8Array view of its memory (replaced when memory grows)

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
  const len = (status & ~(ERROR_BIT | LOG_BIT)) >>> 0;
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
}

// The core's own failure answer, for when the core itself is gone (init failed, trap):
// one log line without event values or config, then the generated 500.
function failure(reason) {
  console.error(`edgekit ${FUNCTION}: answering 500: ${reason}`);
  return structuredClone(FAILURE);
}

try {
  start(); // once per container, during Lambda's init phase
} catch (err) {
  wasm = null;
  console.error(`edgekit ${FUNCTION}: init failed: ${err && err.message}`);
}

export const handler = async (event) => {
  try {
    if (wasm === null) start();
    const out = take(wasm.edgekit_handle(put(JSON.stringify(event))));
    if (out.error) return failure(out.text);
    if (out.log !== null) console.error(out.log);
    return JSON.parse(out.text);
  } catch (err) {
    // A trap (e.g. RuntimeError: unreachable) leaves the instance in an unknown state:
    // drop it; the next event gets a fresh one from the compiled module.
    wasm = null;
    return failure(`${(err && err.name) || "Error"}: ${(err && err.message) || String(err)}`);
  }
};
