// Cold start of the packaged handler by phase, each sample in a fresh Node process:
//   read      readFileSync of function.wasm (and config.json)
//   compile   new WebAssembly.Module (V8 validates; function bodies compile lazily on first call)
//   instance  new WebAssembly.Instance
//   config    edgekit_init: the config parsed and checked in wasm (first wasm code run)
//   first     the first event through the handler (what lazily compiled code it runs)
//   second    the second event, same handler (warm, for comparison)
// and, separately, the whole package as Lambda loads it (import of index.mjs: all of the
// above up to config) plus its first event, against the hand-written JS baseline.
// Usage: node cold.mjs --dir PACKAGE_DIR --event FILE [--runs N] [--compare OTHER_PACKAGE_DIR]
// (--compare: another package measured in the same alternating loop, e.g. a build from before)
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const now = () => Number(process.hrtime.bigint()) / 1e6;

// Child: the phases, by hand, with the handler's own steps (index.mjs's put/take).
if (opt("child") === "phases") {
  const dir = opt("dir");
  const eventText = readFileSync(opt("event"), "utf8");
  const t0 = now();
  const wasmBytes = readFileSync(join(dir, "function.wasm"));
  const configJson = readFileSync(join(dir, "config.json"), "utf8");
  const t1 = now();
  const module = new WebAssembly.Module(wasmBytes);
  const t2 = now();
  const exports = new WebAssembly.Instance(module, {}).exports;
  const t3 = now();
  const abi = await import(pathToFileURL(opt("abi")).href);
  const t4a = now();
  const reads = abi.init(exports, configJson);
  const t4 = now();
  const t5 = now();
  abi.handle(exports, JSON.parse(eventText), reads);
  const t6 = now();
  abi.handle(exports, JSON.parse(eventText), reads);
  const t7 = now();
  process.stdout.write(JSON.stringify({ read: t1 - t0, compile: t2 - t1, instance: t3 - t2, config: t4 - t4a, abiLoad: t4a - t3, first: t6 - t5, second: t7 - t6 }));
  process.exit(0);
}

// Child: a whole handler module (package or baseline): import, first event.
if (opt("child") === "whole") {
  const eventText = readFileSync(opt("event"), "utf8");
  const t0 = now();
  const { handler } = await import(pathToFileURL(opt("index")).href);
  const t1 = now();
  await handler(JSON.parse(eventText));
  const t2 = now();
  process.stdout.write(JSON.stringify({ load: t1 - t0, first: t2 - t1, total: t2 - t0 }));
  process.exit(0);
}

const here = fileURLToPath(new URL(".", import.meta.url));
const dir = opt("dir");
const event = opt("event");
const runs = Number(opt("runs", "15"));
const child = (extra) => {
  const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...extra], { encoding: "utf8" });
  if (out.status !== 0) throw new Error(`cold child failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const compare = opt("compare");
const samples = { phases: [], wasm: [], baseline: [], comparePhases: [], compare: [] };
for (let i = 0; i < runs; i++) {
  samples.phases.push(child(["--child", "phases", "--dir", dir, "--event", event, "--abi", join(here, "abi.mjs")]));
  samples.wasm.push(child(["--child", "whole", "--index", join(dir, "index.mjs"), "--event", event]));
  samples.baseline.push(child(["--child", "whole", "--index", join(here, "baseline.mjs"), "--event", event]));
  if (compare) {
    samples.comparePhases.push(child(["--child", "phases", "--dir", compare, "--event", event, "--abi", join(here, "abi.mjs")]));
    samples.compare.push(child(["--child", "whole", "--index", join(compare, "index.mjs"), "--event", event]));
  }
}
const col = (rows, key) => median(rows.map((r) => r[key])).toFixed(2);
console.log(`node ${process.version}; median of ${runs} fresh processes per figure, ms${compare ? `; --compare ${compare}` : ""}`);
console.log("");
console.log(`| phase (packaged wasm handler, by hand) | ms |${compare ? " --compare, ms |" : ""}`);
console.log(`|---|--:|${compare ? "--:|" : ""}`);
for (const key of ["read", "compile", "instance", "config", "first", "second"]) {
  console.log(`| ${key} | ${col(samples.phases, key)} |${compare ? ` ${col(samples.comparePhases, key)} |` : ""}`);
}
console.log("");
console.log("| whole handler module | import (load, compile, instance, config) | first event | total | vs baseline |");
console.log("|---|--:|--:|--:|--:|");
const total = (name) => median(samples[name].map((r) => r.total));
for (const name of compare ? ["wasm", "compare", "baseline"] : ["wasm", "baseline"]) {
  const delta = name === "baseline" ? "" : `+${(total(name) - total("baseline")).toFixed(2)}`;
  console.log(`| ${name} | ${col(samples[name], "load")} | ${col(samples[name], "first")} | ${col(samples[name], "total")} | ${delta} |`);
}
