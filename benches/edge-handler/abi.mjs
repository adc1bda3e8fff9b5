// One event through a packaged module's exports, the way index.mjs does it (for cold.mjs's
// phase split; follows functions/edge/src/wasm_abi.rs).
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LEN = ~(0x80000000 | 0x40000000);

export function handle(wasm, event) {
  const text = JSON.stringify(event);
  const capacity = text.length * 3;
  const ptr = wasm.edgekit_buffer(capacity);
  const written = encoder.encodeInto(text, new Uint8Array(wasm.memory.buffer, ptr, capacity)).written;
  const status = wasm.edgekit_handle(written);
  const out = wasm.edgekit_output();
  let result = decoder.decode(new Uint8Array(wasm.memory.buffer, out, (status & LEN) >>> 0));
  if (status & 0x40000000) result = result.slice(result.indexOf("\n") + 1);
  return JSON.parse(result);
}
