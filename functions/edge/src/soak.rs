//! The soak: deterministic mutations of every event fixture through a function natively
//! and through its packaged wasm under Node.js, checking that nothing panics or traps, that
//! `edge::validate` accepts every result the function is responsible for, that the view
//! path answers what the full path answers, and that Node+wasm answers what native does.
//!
//! Run by `scripts/soak` (each function crate's `examples/soak_*.rs`, millions of cases) and
//! by each function crate's `tests/soak.rs` (100 k native cases). Case `i` of seed `s` is
//! the same event on every machine: a failing case is reproduced from its number alone.

use std::io::{BufRead, BufReader, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::function::{EdgeFunction, FAILURE_BODY, respond_json};
use crate::model::{CloudFrontEvent, EdgeResult};
use crate::rules::validate;
use crate::view::result_via_view;

/// A small deterministic generator (SplitMix64): cases must not depend on a crate's version.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator of case `case` under `seed`.
    pub fn for_case(seed: u64, case: u64) -> Self {
        let mut rng = Rng(seed ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Header names the mutations insert: the ones the functions read, strip and inject, in
/// several casings, and ordinary ones.
const HEADER_NAMES: &[&str] = &[
    "host",
    "Host",
    "HOST",
    "cloudfront-forwarded-proto",
    "CloudFront-Forwarded-Proto",
    "x-forwarded-host",
    "X-Forwarded-Host",
    "forwarded",
    "x-forwarded-port",
    "x-forwarded-proto",
    "x-cloudfront-forwarded-proto",
    "x-original-url",
    "x-rewrite-url",
    "x-forwarded-prefix",
    "x-forwarded-server",
    "x-forwarded-ssl",
    "x-real-ip",
    "x-origin-verify",
    "accept",
    "cookie",
    "user-agent",
    "__proto__",
    "constructor",
    "123",
    "",
];

/// Values the mutations use: protocols, hosts, addresses, odd and hostile strings.
const VALUES: &[&str] = &[
    "https",
    "http",
    "HTTPS",
    "wss",
    "",
    " ",
    "example.org",
    "EXAMPLE.org:8443",
    "a.example,b.example",
    "[2001:db8::1]:443",
    "[::1",
    "1.2.3.4",
    "999.1.1.1",
    "evil.example",
    "example.org\r\nX-Injected: 1",
    "example.org\n",
    "exa\0mple.org",
    "for=1.2.3.4;host=evil.example;proto=https",
    "caf\u{e9}.example",
    "\u{1d11e}\u{202e}",
    "\u{7f}",
    "%2e%2e/admin",
    "\"quoted\"",
    "\\",
    "0",
    "65536",
];

const URIS: &[&str] = &[
    "/",
    "",
    "//",
    "/admin",
    "/realms/master",
    "/realms/../admin",
    "/realms/%2e%2e/admin",
    "/realms/%2Fadmin",
    "/resources/;jsessionid=1",
    "/a b",
    "/\r\n",
    "/%00",
    "/%",
    "/caf\u{e9}",
    "*",
    "relative",
    "/robots.txt",
    "/health",
    "/METRICS",
    "/realms/x/..;/admin",
];

const QUERYSTRINGS: &[&str] = &[
    "",
    "a=b",
    "a=b&a=c",
    "?",
    "#frag",
    "x=%ZZ",
    "redirect_uri=https%3A%2F%2Fevil.example",
    "\r\n",
    "caf\u{e9}=1",
];

const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get", "", "BREW",
];

const CLIENT_IPS: &[&str] = &[
    "203.0.113.178",
    "2001:db8::1",
    "::1",
    "garbage",
    "",
    "1.2.3.4\n",
];

/// A value from a small set of every JSON kind (integers only: JavaScript and serde_json
/// print them alike).
fn any_value(rng: &mut Rng) -> Value {
    match rng.below(7) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.below(70_000)),
        3 => json!(*rng.pick(VALUES)),
        4 => json!([*rng.pick(VALUES)]),
        5 => json!({ "value": *rng.pick(VALUES) }),
        _ => json!({}),
    }
}

/// A string `base` with a hostile piece inserted at a random place.
fn spiked(rng: &mut Rng, base: &str) -> String {
    let pieces = [
        "\r",
        "\n",
        "\0",
        "\u{e9}",
        "\u{1d11e}",
        " ",
        ",",
        ";",
        "\u{feff}",
    ];
    let cut = base
        .char_indices()
        .map(|(index, _)| index)
        .nth(rng.below(base.chars().count() + 1))
        .unwrap_or(base.len());
    format!("{}{}{}", &base[..cut], rng.pick(&pieces), &base[cut..])
}

fn request_mut(event: &mut Value) -> Option<&mut Map<String, Value>> {
    event
        .get_mut("Records")?
        .get_mut(0)?
        .get_mut("cf")?
        .get_mut("request")?
        .as_object_mut()
}

fn headers_mut(event: &mut Value) -> Option<&mut Map<String, Value>> {
    request_mut(event)?.get_mut("headers")?.as_object_mut()
}

/// Every object in `value`, as JSON pointers.
fn object_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                object_pointers(child, format!("{at}/{escaped}"), out);
            }
            out.push(at);
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                object_pointers(child, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
}

/// One mutation of an event.
fn mutate(rng: &mut Rng, event: &mut Value) {
    match rng.below(14) {
        0 => insert_header(rng, event),
        1 => delete_header(rng, event),
        2 => duplicate_header(rng, event),
        3 => recase_header(rng, event),
        4 => spike_header(rng, event),
        5 => huge_header(rng, event),
        6 => set_request_field(rng, event, "uri", URIS),
        7 => set_request_field(rng, event, "querystring", QUERYSTRINGS),
        8 => set_request_field(rng, event, "method", METHODS),
        9 => set_request_field(rng, event, "clientIp", CLIENT_IPS),
        10 => remove_anywhere(rng, event),
        11 => add_anywhere(rng, event),
        12 => retype_anywhere(rng, event),
        _ => insert_header(rng, event),
    }
}

fn insert_header(rng: &mut Rng, event: &mut Value) {
    let name = *rng.pick(HEADER_NAMES);
    let value = *rng.pick(VALUES);
    let line = if rng.below(4) == 0 {
        json!({ "value": value })
    } else {
        json!({ "key": name, "value": value })
    };
    if let Some(headers) = headers_mut(event) {
        let key = if rng.below(3) == 0 {
            name.to_owned()
        } else {
            name.to_ascii_lowercase()
        };
        match headers.get_mut(&key).and_then(Value::as_array_mut) {
            Some(lines) if rng.below(2) == 0 => lines.push(line),
            _ => {
                headers.insert(key, json!([line]));
            }
        }
    }
}

fn some_header(rng: &mut Rng, headers: &Map<String, Value>) -> Option<String> {
    let index = rng.below(headers.len());
    headers.keys().nth(index).cloned()
}

fn delete_header(rng: &mut Rng, event: &mut Value) {
    if let Some(headers) = headers_mut(event)
        && let Some(name) = some_header(rng, headers)
    {
        headers.shift_remove(&name);
    }
}

fn duplicate_header(rng: &mut Rng, event: &mut Value) {
    let Some(headers) = headers_mut(event) else {
        return;
    };
    let Some(name) = some_header(rng, headers) else {
        return;
    };
    if rng.below(2) == 0 {
        if let Some(lines) = headers.get_mut(&name).and_then(Value::as_array_mut)
            && let Some(first) = lines.first().cloned()
        {
            lines.push(first);
        }
    } else if let Some(lines) = headers.get(&name).cloned() {
        headers.insert(name.to_ascii_uppercase(), lines);
    }
}

fn recase_header(rng: &mut Rng, event: &mut Value) {
    let Some(headers) = headers_mut(event) else {
        return;
    };
    let Some(name) = some_header(rng, headers) else {
        return;
    };
    let Some(lines) = headers.shift_remove(&name) else {
        return;
    };
    let flipped: String = name
        .chars()
        .map(|c| {
            if rng.below(2) == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    headers.insert(flipped, lines);
}

/// The string value of a random header line.
fn header_value_mut<'a>(rng: &mut Rng, event: &'a mut Value) -> Option<&'a mut Value> {
    let headers = headers_mut(event)?;
    let name = some_header(rng, headers)?;
    let lines = headers.get_mut(&name)?.as_array_mut()?;
    let index = rng.below(lines.len());
    lines.get_mut(index)?.get_mut("value")
}

fn spike_header(rng: &mut Rng, event: &mut Value) {
    let mut inner = rng.clone();
    if let Some(value) = header_value_mut(&mut inner, event)
        && let Some(text) = value.as_str()
    {
        *value = Value::String(spiked(rng, text));
    }
    *rng = inner;
}

fn huge_header(rng: &mut Rng, event: &mut Value) {
    // 1 KiB .. 16 KiB; one in eight 64 KiB (over CloudFront's header limits).
    let size = if rng.below(8) == 0 {
        1 << 16
    } else {
        1 << (10 + rng.below(5))
    };
    let fill = rng.pick(&["a", "\u{e9}", ",", "\u{1d11e}"]).repeat(size);
    if let Some(headers) = headers_mut(event) {
        let name = *rng.pick(HEADER_NAMES);
        headers.insert(
            name.to_ascii_lowercase(),
            json!([{ "key": name, "value": fill }]),
        );
    }
}

fn set_request_field(rng: &mut Rng, event: &mut Value, field: &str, values: &[&str]) {
    let base = *rng.pick(values);
    let value = if rng.below(4) == 0 {
        spiked(rng, base)
    } else {
        base.to_owned()
    };
    if let Some(request) = request_mut(event) {
        request.insert(field.to_owned(), Value::String(value));
    }
}

fn random_object<'a>(rng: &mut Rng, event: &'a mut Value) -> Option<&'a mut Map<String, Value>> {
    let mut pointers = Vec::new();
    object_pointers(event, String::new(), &mut pointers);
    let pointer = rng.pick(&pointers).clone();
    event.pointer_mut(&pointer)?.as_object_mut()
}

fn remove_anywhere(rng: &mut Rng, event: &mut Value) {
    let mut inner = rng.clone();
    if let Some(object) = random_object(&mut inner, event)
        && let Some(key) = some_header(rng, object)
    {
        object.shift_remove(&key);
    }
    *rng = inner;
}

fn add_anywhere(rng: &mut Rng, event: &mut Value) {
    let mut inner = rng.clone();
    let value = any_value(rng);
    if let Some(object) = random_object(&mut inner, event) {
        let key = rng.pick(&[
            "extra",
            "custom",
            "s3",
            "body",
            "response",
            "requestId",
            "port",
            "key",
        ]);
        object.insert((*key).to_owned(), value);
    }
    *rng = inner;
}

fn retype_anywhere(rng: &mut Rng, event: &mut Value) {
    let mut inner = rng.clone();
    let value = any_value(rng);
    if let Some(object) = random_object(&mut inner, event)
        && let Some(key) = some_header(rng, object)
    {
        object.insert(key, value);
    }
    *rng = inner;
}

/// Case `case` of `seed`: a fixture with one to four mutations, as JSON bytes.
pub fn case_event(fixtures: &[Value], seed: u64, case: u64) -> Vec<u8> {
    if fixtures.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng::for_case(seed, case);
    let mut event = rng.pick(fixtures).clone();
    // Every twentieth case is a fixture as it is.
    if !case.is_multiple_of(20) {
        for _ in 0..=rng.below(4) {
            mutate(&mut rng, &mut event);
        }
    }
    serde_json::to_vec(&event).unwrap_or_default()
}

/// Every event fixture in `dir` (`*.json`, not `config-*`), parsed.
pub fn load_fixtures(dir: &Path) -> std::io::Result<Vec<Value>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            path.is_file()
                && name.is_some_and(|name| name.ends_with(".json") && !name.starts_with("config-"))
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path)?;
            serde_json::from_slice(&bytes).map_err(std::io::Error::other)
        })
        .collect()
}

/// What went wrong with one case.
#[derive(Debug)]
pub struct Failure {
    pub case: u64,
    pub what: String,
    pub event: Vec<u8>,
}

/// The native checks of one event: no panic, a result `validate` accepts (what the event
/// already broke aside), the view path equal to the full path. Returns the result JSON.
pub fn check_native<F: EdgeFunction>(config: &F::Config, event: &[u8]) -> Result<Value, String> {
    let answer = catch_unwind(AssertUnwindSafe(|| respond_json::<F>(config, event)))
        .map_err(|_| "respond_json panicked".to_owned())?;
    let result: Value = serde_json::from_slice(&answer.result)
        .map_err(|err| format!("result is not JSON: {err}"))?;
    if let Ok(parsed) = serde_json::from_slice::<CloudFrontEvent>(event)
        && let Ok(cf) = parsed.cf()
    {
        let typed: EdgeResult = serde_json::from_slice(&answer.result)
            .map_err(|err| format!("result does not parse as a result: {err}"))?;
        if let Err(violations) = validate(F::TRIGGER, cf, &typed) {
            // What the event already broke, worked out only when the result has violations
            // (it rarely does: one request clone and one validate less per case).
            let already: Vec<String> = match validate(
                cf.config.event_type,
                cf,
                &EdgeResult::Request(cf.request.clone()),
            ) {
                Ok(()) => Vec::new(),
                Err(found) => found
                    .iter()
                    .map(|v| format!("{}/{:?}", v.field, v.rule))
                    .collect(),
            };
            let new: Vec<String> = violations
                .iter()
                .filter(|v| !already.contains(&format!("{}/{:?}", v.field, v.rule)))
                .map(ToString::to_string)
                .collect();
            if !new.is_empty() {
                return Err(format!("validate rejects the result: {}", new.join("; ")));
            }
        }
    }
    let via_view = catch_unwind(AssertUnwindSafe(|| result_via_view::<F>(config, event)))
        .map_err(|_| "the view path panicked".to_owned())?;
    if let Some(view) = via_view
        && view != result
    {
        return Err(format!("view path answered {view}, full path {result}"));
    }
    Ok(result)
}

/// Runs `cases` cases natively from `first`; the first failure, if any.
pub fn run_native<F: EdgeFunction>(
    config: &F::Config,
    fixtures: &[Value],
    seed: u64,
    cases: std::ops::Range<u64>,
) -> Option<Failure> {
    for case in cases {
        let event = case_event(fixtures, seed, case);
        if let Err(what) = check_native::<F>(config, &event) {
            return Some(Failure { case, what, event });
        }
    }
    None
}

/// The test command's soak of one function: `cases` cases of seed 1 on `threads` threads
/// (each function crate's `tests/soak.rs`); the first failure as a message that names the
/// case (`scripts/soak` reproduces it from the number) and its event.
pub fn run_native_cases<F: EdgeFunction>(
    config: &F::Config,
    events_dir: &Path,
    cases: u64,
    threads: u64,
) -> Result<(), String> {
    let fixtures = load_fixtures(events_dir).map_err(|err| err.to_string())?;
    let per = cases / threads.max(1);
    let failures: Vec<Failure> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let fixtures = &fixtures;
                scope.spawn(move || run_native::<F>(config, fixtures, 1, t * per..(t + 1) * per))
            })
            .collect();
        runs.into_iter()
            .filter_map(|run| run.join().ok().flatten())
            .collect()
    });
    match failures.into_iter().min_by_key(|f| f.case) {
        None => Ok(()),
        Some(failure) => Err(format!(
            "case {} (seed 1, scripts/soak reproduces it): {}\n{}",
            failure.case,
            failure.what,
            String::from_utf8_lossy(&failure.event)
        )),
    }
}

/// The view path answers what the full path answers on every fixture in `events_dir`, and
/// every origin-request fixture takes the view path (each function crate's `tests/view.rs`):
/// how many fixtures took it, or the first that differs.
pub fn view_equals_full_on_fixtures<F: EdgeFunction>(
    config: &F::Config,
    events_dir: &Path,
) -> Result<usize, String> {
    let mut viewed = 0;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(events_dir)
        .map_err(|err| err.to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !path.is_file() || !name.ends_with(".json") || name.starts_with("config-") {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|err| format!("{name}: {err}"))?;
        let full: Value = serde_json::from_slice(&respond_json::<F>(config, &bytes).result)
            .map_err(|err| format!("{name}: {err}"))?;
        let origin_request = bytes
            .windows(b"\"origin-request\"".len())
            .any(|w| w == b"\"origin-request\"");
        match result_via_view::<F>(config, &bytes) {
            Some(view) if view == full => viewed += 1,
            Some(view) => return Err(format!("{name}: view path {view}, full path {full}")),
            None if origin_request => {
                return Err(format!("{name}: origin-request took the full path"));
            }
            None => {}
        }
    }
    Ok(viewed)
}

/// The Node harness: one event per stdin line through the package's handler, one
/// `JSON.stringify(result)` per stdout line; traps and init failures (the handler's own
/// log lines) counted and reported on stderr at the end.
const NODE_HARNESS: &str = r#"
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
let traps = 0;
const log = console.error;
console.error = (line) => { if (/RuntimeError|init-failed|TypeError/.test(String(line))) { traps++; log(line); } };
const { handler } = await import(pathToFileURL(process.argv[2] + "/index.mjs").href);
const out = [];
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  out.push(JSON.stringify(await handler(JSON.parse(line))));
  if (out.length >= 256) { process.stdout.write(out.join("\n") + "\n"); out.length = 0; }
}
if (out.length) process.stdout.write(out.join("\n") + "\n");
log(`traps=${traps}`);
"#;

/// Runs `cases` through the unzipped package in `package_dir` under `node` and natively;
/// the first difference (or trap), if any.
pub fn run_wasm<F: EdgeFunction>(
    config: &F::Config,
    fixtures: &[Value],
    seed: u64,
    cases: std::ops::Range<u64>,
    node: &Path,
    package_dir: &Path,
) -> std::io::Result<Option<Failure>> {
    let harness = package_dir.join("soak-harness.mjs");
    std::fs::write(&harness, NODE_HARNESS)?;
    let mut child = Command::new(node)
        .arg(&harness)
        .arg(package_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("no stdin"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no stdout"))?;
    let writer_cases = cases.clone();
    let writer_fixtures = fixtures.to_vec();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(&mut stdin);
        for case in writer_cases {
            out.write_all(&case_event(&writer_fixtures, seed, case))?;
            out.write_all(b"\n")?;
        }
        out.flush()
    });
    let mut failure = None;
    let mut lines = BufReader::new(stdout).lines();
    for case in cases {
        let Some(line) = lines.next() else {
            failure.get_or_insert(Failure {
                case,
                what: "node ended early".into(),
                event: case_event(fixtures, seed, case),
            });
            break;
        };
        let line = line?;
        if failure.is_some() {
            continue;
        }
        let event = case_event(fixtures, seed, case);
        let native = check_native::<F>(config, &event);
        let wasm: Result<Value, _> = serde_json::from_str(&line);
        let what = match (native, wasm) {
            (Err(what), _) => Some(format!("native: {what}")),
            (_, Err(err)) => Some(format!("Node+wasm answered non-JSON: {err}")),
            (Ok(native), Ok(wasm)) if native != wasm => {
                Some(format!("Node+wasm answered {wasm}, native {native}"))
            }
            _ => None,
        };
        if let Some(what) = what {
            failure = Some(Failure { case, what, event });
        }
    }
    drop(lines);
    writer
        .join()
        .map_err(|_| std::io::Error::other("writer thread panicked"))??;
    let output = child.wait_with_output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if failure.is_none() && !stderr.lines().any(|line| line == "traps=0") {
        failure = Some(Failure {
            case: 0,
            what: format!("the wasm trapped or failed to start:\n{stderr}"),
            event: Vec::new(),
        });
    }
    Ok(failure)
}

/// Whether a JSON result is the one failure answer (a refusal).
pub fn is_failure(result: &Value) -> bool {
    result["status"] == "500" && result["body"] == FAILURE_BODY
}

/// Options of a soak run (the `examples/soak_*.rs` command line).
#[derive(Debug, Clone)]
pub struct Options {
    pub native_cases: u64,
    pub wasm_cases: u64,
    pub seed: u64,
    pub threads: usize,
    /// The function's config (JSON file; `None`: the defaults).
    pub config: Option<PathBuf>,
    /// Unzipped package and `node` for the wasm half (skipped when `None`).
    pub package: Option<(PathBuf, PathBuf)>,
    /// Where a failing case is written as a fixture.
    pub failure_dir: PathBuf,
}

impl Options {
    /// `--cases N --wasm-cases M --seed S --threads T --config FILE --package DIR --node PATH
    /// --failure-dir DIR`.
    pub fn from_args(args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut options = Options {
            native_cases: 10_000_000,
            wasm_cases: 200_000,
            seed: 1,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            config: None,
            package: None,
            failure_dir: std::env::temp_dir(),
        };
        let (mut package, mut node) = (None, None);
        let mut args = args.skip(1);
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = || value.parse::<u64>().map_err(|err| format!("{flag}: {err}"));
            match flag.as_str() {
                "--cases" => options.native_cases = number()?,
                "--wasm-cases" => options.wasm_cases = number()?,
                "--seed" => options.seed = number()?,
                "--threads" => options.threads = number()?.max(1) as usize,
                "--package" => package = Some(PathBuf::from(value)),
                "--config" => options.config = Some(PathBuf::from(value)),
                "--node" => node = Some(PathBuf::from(value)),
                "--failure-dir" => options.failure_dir = PathBuf::from(value),
                other => return Err(format!("unknown option {other}")),
            }
        }
        options.package = package.zip(node.or_else(|| Some(PathBuf::from("node"))));
        Ok(options)
    }
}

/// A soak of one function with one config: native cases on `threads` threads, then the
/// wasm cases; prints cases/s per host; writes the first failing case as a fixture.
pub fn soak<F: EdgeFunction>(
    label: &str,
    config: &F::Config,
    fixtures: &[Value],
    options: &Options,
) -> Result<(), String> {
    let start = Instant::now();
    let threads = options.threads.max(1) as u64;
    let per = options.native_cases.div_ceil(threads);
    let failure = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let range =
                    (t * per).min(options.native_cases)..((t + 1) * per).min(options.native_cases);
                scope.spawn(move || run_native::<F>(config, fixtures, options.seed, range))
            })
            .collect();
        workers
            .into_iter()
            .filter_map(|worker| {
                worker.join().unwrap_or_else(|_| {
                    Some(Failure {
                        case: 0,
                        what: "a worker panicked".into(),
                        event: Vec::new(),
                    })
                })
            })
            .min_by_key(|failure| failure.case)
    });
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: native: {} cases in {secs:.1} s ({:.0} cases/s on {threads} threads): {}",
        options.native_cases,
        options.native_cases as f64 / secs,
        if failure.is_none() { "clean" } else { "FAILED" }
    );
    if let Some(failure) = failure {
        return Err(report(label, "native", &failure, options));
    }
    let Some((package, node)) = &options.package else {
        return Ok(());
    };
    let start = Instant::now();
    let failure = run_wasm::<F>(
        config,
        fixtures,
        options.seed,
        0..options.wasm_cases,
        node,
        package,
    )
    .map_err(|err| format!("{label}: cannot run node: {err}"))?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: Node+wasm: {} cases in {secs:.1} s ({:.0} cases/s, compared with native): {}",
        options.wasm_cases,
        options.wasm_cases as f64 / secs,
        if failure.is_none() { "clean" } else { "FAILED" }
    );
    match failure {
        Some(failure) => Err(report(label, "Node+wasm", &failure, options)),
        None => Ok(()),
    }
}

/// Writes the failing event as a fixture; the message names it, the case and the seed.
fn report(label: &str, host: &str, failure: &Failure, options: &Options) -> String {
    let file = options.failure_dir.join(format!(
        "soak-failure-{}-seed{}-case{}.json",
        label.replace([' ', '/'], "_"),
        options.seed,
        failure.case
    ));
    let pretty = serde_json::from_slice::<Value>(&failure.event)
        .ok()
        .and_then(|value| serde_json::to_vec_pretty(&value).ok())
        .unwrap_or_else(|| failure.event.clone());
    let written = std::fs::write(&file, pretty)
        .map(|()| format!("event written to {}", file.display()))
        .unwrap_or_else(|err| format!("could not write {}: {err}", file.display()));
    format!(
        "{label}: {host}: case {} (seed {}): {}\n{written}",
        failure.case, options.seed, failure.what
    )
}

/// The `main` of a function crate's `examples/soak_*.rs`: options from the command line,
/// fixtures from `events_dir`, one soak; the exit code says whether it ran clean.
pub fn main<F: EdgeFunction>(events_dir: &Path) -> std::process::ExitCode {
    let run = || -> Result<(), String> {
        let options = Options::from_args(std::env::args())?;
        let fixtures = load_fixtures(events_dir).map_err(|err| format!("fixtures: {err}"))?;
        let text = match &options.config {
            Some(path) => {
                std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?
            }
            None => "{}".to_owned(),
        };
        let config =
            crate::function::config_from_json::<F>(&text).map_err(|err| err.to_string())?;
        let label = match &options.config {
            Some(path) => format!("{} with {}", F::NAME, path.display()),
            None => format!("{} with its default config", F::NAME),
        };
        println!(
            "{label}: {} fixtures, seed {}, mutations: header insertion/deletion/duplication, case changes, CR/LF/NUL and non-ASCII, huge values, odd URIs/query strings/methods/client IPs, missing, extra and retyped fields",
            fixtures.len(),
            options.seed
        );
        soak::<F>(&label, &config, &fixtures, &options)
    };
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            std::process::ExitCode::FAILURE
        }
    }
}
