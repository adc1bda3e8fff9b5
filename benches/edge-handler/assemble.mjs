// Assembles an unzipped Lambda@Edge package directory the way infra-cli/src/packaging.rs
// `assemble` does (index.mjs from infra-cli/src/packaging/index.mjs with its placeholders
// replaced, config.json, function.wasm), without building the CLI: for benchmarks and the
// soak (scripts/bench-edge --no-cli zips the directory with deflate level 9, as packaging.rs).
// Usage: node assemble.mjs --function NAME --wasm FILE --failure JSON --out DIR [--config FILE]
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const root = fileURLToPath(new URL("../..", import.meta.url));
const out = opt("out");
mkdirSync(out, { recursive: true });
const template = readFileSync(join(root, "infra-cli/src/packaging/index.mjs"), "utf8");
writeFileSync(
  join(out, "index.mjs"),
  template
    .replaceAll("__EDGEKIT_FUNCTION__", () => opt("function"))
    .replaceAll("__EDGEKIT_FAILURE__", () => opt("failure")),
);
copyFileSync(opt("wasm"), join(out, "function.wasm"));
const config = opt("config");
// packaging.rs bakes the config re-serialised canonically; the same JSON compacted here.
writeFileSync(join(out, "config.json"), config ? JSON.stringify(JSON.parse(readFileSync(config, "utf8"))) : "{}");
