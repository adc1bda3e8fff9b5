// Benchmark: the packaged wasm forwarded-proto handler vs the hand-written JS baseline
// (baseline.mjs), same Node process, same events (every origin-request fixture in events/),
// interleaved rounds; cold init in fresh node processes; zipped package sizes.
// Usage (scripts/bench-edge does it all):
//   node benches/edge-handler/bench.mjs --wasm-dir DIR --events DIR [--zip NAME=FILE]... [--rounds N]
//     [--compare DIR]   another unzipped package (e.g. an older build), timed interleaved too
import { readFileSync, readdirSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { pathToFileURL, fileURLToPath } from "node:url";
import { join } from "node:path";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const zips = args.flatMap((a, i) => (a === "--zip" ? [args[i + 1].split("=")] : []));

// Cold-init child mode: load one handler module, run one event, print the elapsed ns.
if (opt("cold")) {
  const start = process.hrtime.bigint();
  const { handler } = await import(pathToFileURL(opt("cold")).href);
  await handler(JSON.parse(readFileSync(opt("event"), "utf8")));
  process.stdout.write(String(process.hrtime.bigint() - start));
  process.exit(0);
}

const wasmIndex = join(opt("wasm-dir"), "index.mjs");
const baselineIndex = join(fileURLToPath(new URL(".", import.meta.url)), "baseline.mjs");
const eventsDir = opt("events");
const rounds = Number(opt("rounds", "300"));

const raw = readdirSync(eventsDir)
  .filter((f) => f.endsWith(".json") && !f.startsWith("config-"))
  .sort()
  .map((f) => readFileSync(join(eventsDir, f), "utf8"))
  .filter((t) => JSON.parse(t).Records?.[0]?.cf?.config?.eventType === "origin-request")
  .map((t) => JSON.stringify(JSON.parse(t)));
const eventFile = join(eventsDir, "aws-origin-request.json");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const wasm = (await import(pathToFileURL(wasmIndex).href)).handler;
const baseline = (await import(pathToFileURL(baselineIndex).href)).handler;
// The floor of any object-in/object-out boundary: the JSON text round trip alone.
const jsonFloor = async (event) => JSON.parse(JSON.stringify(event));
const handlers = { wasm, baseline, jsonFloor };
const compareDir = opt("compare");
if (compareDir) handlers.compare = (await import(pathToFileURL(join(compareDir, "index.mjs")).href)).handler;

// Agreement check (informational): same answers after sorting keys?
const canon = (v) =>
  Array.isArray(v) ? v.map(canon) : v && typeof v === "object"
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v;
let agree = 0;
let sameStatus = 0;
for (const t of raw) {
  const ra = await wasm(JSON.parse(t));
  const rb = await baseline(JSON.parse(t));
  if (JSON.stringify(canon(ra)) === JSON.stringify(canon(rb))) agree++;
  if (ra.status === rb.status) sameStatus++;
}

// Handler only: fresh event objects made outside the timed region (handlers may mutate).
async function timeHandlerOnly(handler, reps) {
  const batch = [];
  for (let r = 0; r < reps; r++) for (const t of raw) batch.push(JSON.parse(t));
  const start = process.hrtime.bigint();
  for (const e of batch) await handler(e);
  return Number(process.hrtime.bigint() - start) / batch.length;
}

// As Lambda's Node.js runtime runs it: JSON.parse the invocation, call, JSON.stringify.
async function timeWithRuntimeJson(handler, reps) {
  const start = process.hrtime.bigint();
  let n = 0;
  for (let r = 0; r < reps; r++) {
    for (const t of raw) {
      JSON.stringify(await handler(JSON.parse(t)));
      n++;
    }
  }
  return Number(process.hrtime.bigint() - start) / n;
}

const reps = 20; // events per timed batch: reps × fixture count
for (let i = 0; i < 50; i++) for (const h of Object.values(handlers)) await timeWithRuntimeJson(h, reps); // warm-up
const samples = Object.fromEntries(Object.keys(handlers).map((k) => [k, { only: [], rt: [] }]));
for (let round = 0; round < rounds; round++) {
  const names = Object.keys(handlers);
  const order = round % 2 ? names : [...names].reverse();
  for (const name of order) samples[name].only.push(await timeHandlerOnly(handlers[name], reps));
  for (const name of order) samples[name].rt.push(await timeWithRuntimeJson(handlers[name], reps));
}

// Cold init: fresh node per sample, alternating.
const cold = { wasm: [], baseline: [], compare: [] };
const coldRuns = Number(opt("cold-runs", "15"));
const coldFiles = [["wasm", wasmIndex], ["baseline", baselineIndex]];
if (compareDir) coldFiles.push(["compare", join(compareDir, "index.mjs")]);
for (let i = 0; i < coldRuns; i++) {
  for (const [name, file] of coldFiles) {
    const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--cold", file, "--event", eventFile], { encoding: "utf8" });
    if (out.status !== 0) throw new Error(`cold run failed: ${out.stderr}`);
    cold[name].push(Number(out.stdout));
  }
}

const f = (ns) => ns.toFixed(0).padStart(8);
const ms = (ns) => (ns / 1e6).toFixed(2).padStart(8);
const mW = median(samples.wasm.only), mB = median(samples.baseline.only);
const rW = median(samples.wasm.rt), rB = median(samples.baseline.rt);
const cW = median(cold.wasm), cB = median(cold.baseline);
console.log(`node ${process.version}; ${raw.length} origin-request fixtures; ${rounds} interleaved rounds of ${reps * raw.length} events; cold init: median of ${coldRuns} fresh processes`);
console.log(`baseline vs wasm handler: identical result (keys sorted) on ${agree}/${raw.length} fixtures, same decision (forwarded request or same status) on ${sameStatus}/${raw.length}`);
console.log("");
const row = (label, a, b, c) => console.log(`| ${label.padEnd(50)} | ${a.padStart(12)} | ${b.padStart(12)} | ${c.padStart(9)} |`);
const jF = median(samples.jsonFloor.only);
row("measure", "wasm (Rust)", "JS baseline", "ratio");
console.log(`|${"-".repeat(52)}|${"-".repeat(13)}:|${"-".repeat(13)}:|${"-".repeat(10)}:|`);
row("median ns/event, handler only", `${f(mW)} ns`, `${f(mB)} ns`, (mW / mB).toFixed(2));
row("median ns/event, with the runtime's JSON work", `${f(rW)} ns`, `${f(rB)} ns`, (rW / rB).toFixed(2));
row("  of which the JSON round trip alone (no wasm)", `${f(jF)} ns`, "", "");
row("cold init: module load to first result", `${ms(cW)} ms`, `${ms(cB)} ms`, `+${((cW - cB) / 1e6).toFixed(2)} ms`);
if (compareDir) {
  const mC = median(samples.compare.only), rC = median(samples.compare.rt), cC = median(cold.compare);
  row("--compare package: handler only", `${f(mC)} ns`, `${f(mB)} ns`, (mC / mB).toFixed(2));
  row("--compare package: with the runtime's JSON work", `${f(rC)} ns`, `${f(rB)} ns`, (rC / rB).toFixed(2));
  row("--compare package: cold init", `${ms(cC)} ms`, `${ms(cB)} ms`, `+${((cC - cB) / 1e6).toFixed(2)} ms`);
}
for (const [name, file] of zips) row(`zipped package: ${name}`, `${statSync(file).size} B`, "", "");
row("JS baseline source (unzipped)", "", `${statSync(baselineIndex).size} B`, "");
