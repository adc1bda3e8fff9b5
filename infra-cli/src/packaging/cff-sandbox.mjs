// edgekit's local sandbox for CloudFront Functions (cloudfront-js-2.0) scripts: runs a
// generated or hand-written function the way the runtime allows, so what works here does not
// break there for a forbidden feature. It is NOT the CloudFront runtime (that runs only at
// AWS) and not a security boundary against hostile code: it enforces the runtime's rules on
// our own scripts. (Node's own objects handed in, such as Buffer and crypto's hashes, lead to
// Node's Function constructor; a hostile script could use that to leave the context.) Facts and sources: docs/cloudfront-functions.md.
//
// Usage: node cff-sandbox.mjs SCRIPT.js   (or node --input-type=module -e <this> SCRIPT.js)
// The script path is the last argument. Protocol, one JSON document per line:
//   stdout first line: {"ok":true,"ready":true,"codeBytes":N}  or {"ok":false,"error":"…"}
//   then for every line on stdin (a CloudFront Functions event):
//   stdout: {"ok":true,"result":<what handler returned>,"logs":[…]}
//        or {"ok":false,"error":"…","logs":[…]}
// console.log output of the function is returned in "logs" (never mixed into stdout).
//
// What is enforced ("JavaScript runtime 2.0 features for CloudFront Functions",
// "Restrictions on CloudFront Functions", "Quotas on CloudFront Functions"):
// - code size ≤ 10 KB (10,240 bytes of UTF-8);
// - a fresh node:vm context with codeGeneration {strings: false, wasm: false}: no eval, no
//   new Function, no WebAssembly compilation;
// - no timers (setTimeout/setInterval/setImmediate/queueMicrotask absent), no fs, network,
//   process, import() or require() beyond the runtime's modules: crypto (createHash,
//   createHmac), querystring, buffer and cloudfront (KeyValueStore is not available
//   locally: calling kvs() throws, saying so); console.log with one argument only;
// - the entry point is a top-level function named handler (no export, no module syntax);
// - a per-event time limit (EDGEKIT_CFF_TIMEOUT_MS, default 50 ms: far above the runtime's
//   sub-millisecond budget, low enough to catch a runaway loop; the real limit is compute
//   utilization, which only TestFunction measures).
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import vm from "node:vm";
import nodeCrypto from "node:crypto";
import nodeQuerystring from "node:querystring";
import { Buffer } from "node:buffer";

const CODE_LIMIT_BYTES = 10240;
const PROMISE = "\u0000edgekit-promise";
const TIMEOUT_MS = Number(process.env.EDGEKIT_CFF_TIMEOUT_MS || 50);

function reply(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

function message(err) {
  if (err && typeof err === "object" && "message" in err) return `${err.name || "Error"}: ${err.message}`;
  return String(err);
}

// The modules cloudfront-js-2.0 offers through require() (or import … from), reduced to the
// documented surface.
function runtimeModules() {
  const crypto = Object.freeze({
    createHash: (algorithm) => nodeCrypto.createHash(algorithm),
    createHmac: (algorithm, key) => nodeCrypto.createHmac(algorithm, key),
  });
  const cloudfront = Object.freeze({
    kvs() {
      throw new Error("KeyValueStore is not available in edgekit's local sandbox");
    },
  });
  return { crypto, querystring: nodeQuerystring, buffer: { Buffer }, cloudfront };
}

function buildContext(logs) {
  const modules = runtimeModules();
  const sandbox = {
    // console.log takes one argument there ("doesn't support comma syntax").
    console: Object.freeze({
      log(...args) {
        if (args.length !== 1) throw new Error("console.log takes one argument in CloudFront Functions: use console.log(a + ' ' + b)");
        logs.push(String(args[0]));
      },
    }),
    require(name) {
      if (Object.prototype.hasOwnProperty.call(modules, name)) return modules[name];
      throw new Error(
        `require('${name}'): cloudfront-js-2.0 offers only crypto, querystring, buffer and cloudfront`,
      );
    },
    // Documented globals of the runtime ("Built-in objects", "Globals").
    Buffer,
    TextEncoder,
    TextDecoder,
    atob,
    btoa,
  };
  return vm.createContext(sandbox, {
    name: "cloudfront-js-2.0",
    codeGeneration: { strings: false, wasm: false },
  });
}

function removeForbiddenGlobals(context) {
  // The context has no Node globals (process, setTimeout, fetch…) to begin with; V8 still
  // defines WebAssembly (codeGeneration.wasm stops compiling) and queueMicrotask is not V8's.
  vm.runInContext("delete globalThis.WebAssembly;", context);
}

function load(path) {
  const code = readFileSync(path, "utf8");
  const codeBytes = Buffer.byteLength(code, "utf8");
  if (codeBytes > CODE_LIMIT_BYTES) {
    throw new Error(
      `the function is ${codeBytes} bytes; CloudFront Functions allows ${CODE_LIMIT_BYTES} (10 KB)`,
    );
  }
  if (/^\s*(export|import)\s/m.test(code)) {
    throw new Error("module syntax (export/import) is not supported: define a top-level function handler(event)");
  }
  const logs = [];
  const context = buildContext(logs);
  removeForbiddenGlobals(context);
  const noImport = () => {
    throw new Error("import() is not supported: cloudfront-js-2.0 offers require() of its own modules only");
  };
  new vm.Script(code, { filename: path, importModuleDynamically: noImport }).runInContext(context, {
    timeout: TIMEOUT_MS,
  });
  if (vm.runInContext("typeof handler", context) !== "function") {
    throw new Error("the script defines no top-level function handler(event)");
  }
  // Parsing and serialising inside the context: the handler sees objects of its own realm.
  const call = new vm.Script(
    `(function (r) { return r && typeof r.then === "function" ? ${JSON.stringify(PROMISE)} : JSON.stringify(r); })` +
      "(handler(JSON.parse(__edgekit_event)))",
  );
  return { codeBytes, context, logs, call };
}

function runOne(loaded, line) {
  loaded.logs.length = 0;
  loaded.context.__edgekit_event = line;
  try {
    const json = loaded.call.runInContext(loaded.context, { timeout: TIMEOUT_MS });
    if (json === undefined) throw new Error("handler returned nothing (return the request or a response)");
    if (json === PROMISE) throw new Error("handler returned a Promise; edgekit's sandbox runs synchronous handlers");
    const result = JSON.parse(json);
    return { ok: true, result, logs: [...loaded.logs] };
  } catch (err) {
    return { ok: false, error: message(err), logs: [...loaded.logs] };
  } finally {
    delete loaded.context.__edgekit_event;
  }
}

function main() {
  // A promise the handler started and dropped (import(), an async handler) must not end the
  // run: its event already got its answer.
  process.on("unhandledRejection", () => {});
  const path = process.argv[process.argv.length - 1];
  let loaded;
  try {
    loaded = load(path);
  } catch (err) {
    reply({ ok: false, error: message(err) });
    process.exitCode = 1;
    return;
  }
  reply({ ok: true, ready: true, codeBytes: loaded.codeBytes });
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on("line", (line) => {
    if (line.trim() === "") return;
    reply(runOne(loaded, line));
  });
}

main();
