// edgekit Lambda@Edge handler (runtime nodejs22.x, handler index.handler): runs the Rust
// core compiled to WebAssembly (function.wasm) with the config baked in at package time
// (config.json; Lambda@Edge has no environment variables [CloudFront Developer Guide,
// "Restrictions on Lambda@Edge"]). ABI: functions/edge/src/wasm_abi.rs.
// Written by `edgekit package`; __EDGEKIT_FUNCTION__ is replaced with the function name.
import { readFileSync } from "node:fs";

const FUNCTION = "__EDGEKIT_FUNCTION__";
const ERROR_BIT = 0x80000000;
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

// Reads the output of the last call: { error: boolean, text: string }.
function take(status) {
  const error = (status & ERROR_BIT) !== 0;
  const len = (status & ~ERROR_BIT) >>> 0;
  const ptr = wasm.edgekit_output();
  if (bytes.buffer !== wasm.memory.buffer) bytes = new Uint8Array(wasm.memory.buffer);
  return { error, text: decoder.decode(bytes.subarray(ptr, ptr + len)) };
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

// A generated response CloudFront accepts (status as a string, lowercase header keys with
// their `key`) [CloudFront Developer Guide, "Lambda@Edge event structure", "Generating
// HTTP responses in request triggers"]: better than an exception, which CloudFront turns
// into a 503 with no context.
function failure(reason) {
  // One line, no event values and no config: the message comes from wasm_abi::safe_message.
  console.error(`edgekit ${FUNCTION}: answering 500: ${reason}`);
  return {
    status: "500",
    statusDescription: "Internal Server Error",
    headers: {
      "content-type": [{ key: "Content-Type", value: "text/plain; charset=utf-8" }],
      "cache-control": [{ key: "Cache-Control", value: "no-store" }],
    },
    body: "The edge function failed; see its CloudWatch log.\n",
  };
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
    return out.error ? failure(out.text) : JSON.parse(out.text);
  } catch (err) {
    // A trap (e.g. RuntimeError: unreachable) leaves the instance in an unknown state:
    // drop it; the next event gets a fresh one from the compiled module.
    wasm = null;
    return failure(`${(err && err.name) || "Error"}: ${(err && err.message) || String(err)}`);
  }
};
