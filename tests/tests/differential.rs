//! Differential proof: the packaged Lambda@Edge handler (Node.js + wasm, run by the real
//! `node`) answers exactly what the native function answers (`edgekit invoke`, and
//! `edge::function::run_json` in-process for the generated corpus).
//!
//! Comparison: the Node side's output is `JSON.stringify(result)` — what the Lambda Node.js
//! runtime sends to CloudFront — and the native side's is serde_json's compact output. They
//! must be equal byte for byte. The only tolerated difference is key order (JavaScript
//! objects list integer-like keys such as a header named `123` first): such cases must be
//! equal after a canonical serialisation (keys sorted) and are counted and printed.
//!
//! Inputs: every fixture in `events/` (origin-request ones must be answered natively; the
//! others must be refused by both), generated events, and the property tests' corpus
//! including its saved regression seeds.
//!
//! Each function is packaged (and so built for wasm32) once per test run; all events of one
//! package go through one node process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use edgekit_tests::packaged::Packaged;
use edgekit_tests::{edgekit_bin, events_dir};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

/// Body of the generated 500 the Node handler answers when the core refuses an event or
/// traps (infra-cli/src/packaging/index.mjs).
const FAILURE_BODY: &str = "The edge function failed; see its CloudWatch log.\n";

/// One packaged variant: a function with a config (None = defaults), unzipped.
struct Variant {
    function: &'static str,
    config: Option<PathBuf>,
    package: Packaged,
}

impl Variant {
    fn label(&self) -> String {
        match &self.config {
            Some(config) => format!(
                "{} with {}",
                self.function,
                config.file_name().unwrap().to_string_lossy()
            ),
            None => format!("{} with its default config", self.function),
        }
    }
}

struct Setup {
    _temp: tempfile::TempDir,
    variants: Vec<Variant>,
}

fn config_fixtures(function: &str) -> Vec<PathBuf> {
    let mut configs: Vec<PathBuf> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with(&format!("config-{function}")) && name.ends_with(".json")
        })
        .collect();
    configs.sort();
    configs
}

fn event_fixtures() -> Vec<PathBuf> {
    let mut events: Vec<PathBuf> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            path.is_file() && name.ends_with(".json") && !name.starts_with("config-")
        })
        .collect();
    events.sort();
    events
}

fn event_type(path: &Path) -> Option<String> {
    let value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).ok()?;
    value
        .pointer("/Records/0/cf/config/eventType")?
        .as_str()
        .map(str::to_owned)
}

/// Packages every (function, config) pair once: defaults and each `events/config-<fn>*.json`.
fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let temp = tempfile::tempdir().unwrap();
        let mut variants = Vec::new();
        for function in ["forwarded-proto", "keycloak-host"] {
            let configs: Vec<Option<PathBuf>> = std::iter::once(None)
                .chain(config_fixtures(function).into_iter().map(Some))
                .collect();
            for config in configs {
                match Packaged::build(function, config.as_deref(), temp.path()) {
                    Ok(package) => variants.push(Variant {
                        function,
                        config,
                        package,
                    }),
                    // keycloak-host has no usable defaults (its public host list is
                    // required): packaging must refuse it naming the field, and only config
                    // fixtures run.
                    Err(stderr) => assert!(
                        config.is_none()
                            && function == "keycloak-host"
                            && stderr.contains("public_hosts"),
                        "edgekit package {function} {config:?} failed:\n{stderr}"
                    ),
                }
            }
        }
        for function in ["forwarded-proto", "keycloak-host"] {
            assert!(
                variants.iter().any(|v| v.function == function),
                "no usable package for {function}: add events/config-{function}.json"
            );
        }
        Setup {
            _temp: temp,
            variants,
        }
    })
}

fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn is_failure_response(json: &str) -> bool {
    let value: Value = serde_json::from_str(json).unwrap();
    value["status"] == "500" && value["body"] == FAILURE_BODY
}

#[derive(Default, Debug)]
struct Tally {
    byte_identical: usize,
    key_order_only: usize,
    both_refused: usize,
}

/// Compares one native result (None = the native function refused the event) with the
/// Node+wasm result.
fn compare(tally: &mut Tally, what: &str, native: Option<&str>, wasm: &str) {
    match native {
        None => {
            assert!(
                is_failure_response(wasm),
                "{what}: native refused, wasm answered {wasm}"
            );
            tally.both_refused += 1;
        }
        Some(native) if native == wasm => tally.byte_identical += 1,
        Some(native) => {
            let a: Value = serde_json::from_str(native).unwrap();
            let b: Value = serde_json::from_str(wasm).unwrap();
            assert_eq!(
                serde_json::to_string(&canonical(&a)).unwrap(),
                serde_json::to_string(&canonical(&b)).unwrap(),
                "{what}: native and Node+wasm differ"
            );
            eprintln!("{what}: equal after sorting keys only (JS integer-like key order)");
            tally.key_order_only += 1;
        }
    }
}

#[test]
fn every_fixture_gives_the_same_result_native_and_node_wasm() {
    let setup = setup();
    let fixtures = event_fixtures();
    let origin_requests = fixtures
        .iter()
        .filter(|path| event_type(path).as_deref() == Some("origin-request"))
        .count();
    assert!(
        origin_requests >= 1,
        "no origin-request fixtures in events/"
    );
    let mut tally = Tally::default();
    for variant in &setup.variants {
        let events: Vec<Value> = fixtures
            .iter()
            .map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
            .collect();
        let wasm = variant.package.run(&events);
        for (path, wasm) in fixtures.iter().zip(&wasm) {
            let mut command = Command::new(edgekit_bin());
            command
                .args(["invoke", variant.function, "--event"])
                .arg(path);
            command.args(["--no-validate", "--compact"]);
            if let Some(config) = &variant.config {
                command.arg("--config").arg(config);
            }
            let output = command.output().unwrap();
            let stdout = String::from_utf8(output.stdout).unwrap();
            let native = output
                .status
                .success()
                .then(|| stdout.trim_end_matches('\n').to_owned());
            let origin_request = event_type(path).as_deref() == Some("origin-request");
            assert!(
                native.is_some() || !origin_request || output.status.code() == Some(1),
                "edgekit invoke failed on {}: {}",
                path.display(),
                String::from_utf8_lossy(&output.stderr)
            );
            let what = format!(
                "{} on {}",
                variant.label(),
                path.file_name().unwrap().to_string_lossy()
            );
            compare(&mut tally, &what, native.as_deref(), wasm);
        }
    }
    eprintln!(
        "fixtures: {} files ({origin_requests} origin-request) x {} packages: {tally:?}",
        fixtures.len(),
        setup.variants.len()
    );
    assert_eq!(tally.key_order_only, 0, "fixtures must be byte-identical");
}

/// Generated origin-request events: arbitrary hosts, protocols, methods, uris, query
/// strings and extra headers (including spoofed forwarding headers and odd characters).
fn event_strategy(base: Value) -> impl Strategy<Value = Value> {
    let header_name = prop_oneof![
        Just("x-forwarded-host".to_owned()),
        Just("forwarded".to_owned()),
        Just("x-cloudfront-forwarded-proto".to_owned()),
        Just("x-forwarded-port".to_owned()),
        Just("x-original-url".to_owned()),
        Just("x-origin-verify".to_owned()),
        Just("cookie".to_owned()),
        "[a-z][a-z0-9-]{0,12}",
        // Integer-like names: JavaScript objects list them first (key order).
        "[0-9]{1,3}",
    ];
    let value = prop_oneof![
        "[ -~]{0,40}",
        "\\PC{0,20}",
        Just("https".to_owned()),
        Just("a\r\nb".to_owned()),
        Just("for=1.2.3.4;proto=https".to_owned()),
    ];
    let host = prop_oneof![
        Just("registry.example.com".to_owned()),
        Just("auth.example.com".to_owned()),
        Just("d111111abcdef8.cloudfront.net".to_owned()),
        Just("[2001:db8::1]:8443".to_owned()),
        Just("a.example,b.example".to_owned()),
        "[a-z0-9.-]{1,30}(:[0-9]{1,5})?",
        "\\PC{0,30}",
    ];
    let proto = prop_oneof![
        Just(None),
        Just(Some("https".to_owned())),
        Just(Some("http".to_owned())),
        Just(Some("HTTPS".to_owned())),
        "[a-z]{0,6}".prop_map(Some),
    ];
    let method = prop_oneof![Just("GET"), Just("HEAD"), Just("POST"), Just("DELETE")];
    let uri = prop_oneof![
        Just("/realms/master/.well-known/openid-configuration".to_owned()),
        Just("/admin/master/console/".to_owned()),
        Just("/realms/%2e%2e/admin".to_owned()),
        Just("/resources/../admin/".to_owned()),
        "/[a-zA-Z0-9%./_-]{0,40}",
    ];
    (
        host,
        proto,
        method,
        uri,
        "[a-z0-9=&%]{0,20}",
        proptest::collection::vec((header_name, value), 0..5),
    )
        .prop_map(move |(host, proto, method, uri, query, extra)| {
            let mut event = base.clone();
            let request = event.pointer_mut("/Records/0/cf/request").unwrap();
            request["method"] = Value::from(method);
            request["uri"] = Value::from(uri);
            request["querystring"] = Value::from(query);
            let headers = request["headers"].as_object_mut().unwrap();
            headers.insert(
                "host".into(),
                serde_json::json!([{ "key": "Host", "value": host }]),
            );
            headers.remove("cloudfront-forwarded-proto");
            if let Some(proto) = proto {
                headers.insert(
                    "cloudfront-forwarded-proto".into(),
                    serde_json::json!([{ "key": "CloudFront-Forwarded-Proto", "value": proto }]),
                );
            }
            for (name, value) in extra {
                let entry = headers
                    .entry(name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                entry
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!({ "key": name, "value": value }));
            }
            event
        })
}

fn generated_events(count: usize) -> Vec<Value> {
    let base: Value = serde_json::from_slice(
        &std::fs::read(events_dir().join("aws-origin-request.json")).unwrap(),
    )
    .unwrap();
    let strategy = event_strategy(base);
    let mut runner = TestRunner::deterministic();
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// The property tests' corpus: `edgekit_tests::event_gen::origin_request_event()` (what
/// tests/tests/properties.rs draws from), a deterministic sample plus every seed saved in
/// `tests/tests/*.proptest-regressions` replayed through it (proptest persists ChaCha seeds
/// as `cc <hex>`; replaying one regenerates the failing case before shrinking).
fn property_corpus(count: usize) -> Vec<Value> {
    let strategy = edgekit_tests::event_gen::origin_request_event();
    let mut runner = TestRunner::deterministic();
    let mut events: Vec<Value> = (0..count)
        .map(|_| serde_json::to_value(strategy.new_tree(&mut runner).unwrap().current()).unwrap())
        .collect();
    let tests_dir = edgekit_tests::workspace_root().join("tests/tests");
    for entry in std::fs::read_dir(tests_dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".proptest-regressions") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let Some(hex) = line
                .strip_prefix("cc ")
                .and_then(|rest| rest.split_whitespace().next())
            else {
                continue;
            };
            let seed: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
            let mut runner = TestRunner::new_with_rng(ProptestConfig::default(), rng);
            events.push(
                serde_json::to_value(strategy.new_tree(&mut runner).unwrap().current()).unwrap(),
            );
        }
    }
    events
}

fn native_run_json(variant: &Variant, event: &[u8]) -> Option<String> {
    let config_text = match &variant.config {
        Some(path) => std::fs::read_to_string(path).unwrap(),
        None => "{}".to_owned(),
    };
    let bytes = match variant.function {
        "forwarded-proto" => {
            let config =
                edge::function::config_from_json::<forwarded_proto::ForwardedProto>(&config_text)
                    .unwrap();
            edge::function::run_json::<forwarded_proto::ForwardedProto>(&config, event).ok()
        }
        "keycloak-host" => {
            let config =
                edge::function::config_from_json::<keycloak_host::KeycloakHost>(&config_text)
                    .unwrap();
            edge::function::run_json::<keycloak_host::KeycloakHost>(&config, event).ok()
        }
        other => panic!("unknown function {other}"),
    };
    bytes.map(|bytes| String::from_utf8(bytes).unwrap())
}

#[test]
fn generated_events_give_the_same_result_native_and_node_wasm() {
    const COUNT: usize = 300;
    const CORPUS: usize = 200;
    let setup = setup();
    let mut events = generated_events(COUNT);
    events.extend(property_corpus(CORPUS));
    let total = events.len();
    let mut tally = Tally::default();
    for variant in &setup.variants {
        let wasm = variant.package.run(&events);
        for (index, (event, wasm)) in events.iter().zip(&wasm).enumerate() {
            // The Lambda runtime hands the handler a parsed object; the native host reads
            // the bytes. Both start from the same JSON text here.
            let bytes = serde_json::to_vec(event).unwrap();
            let native = native_run_json(variant, &bytes);
            compare(
                &mut tally,
                &format!("{} on generated event {index}", variant.label()),
                native.as_deref(),
                wasm,
            );
        }
    }
    eprintln!(
        "generated: {total} events ({COUNT} from this file's strategy, {} from the property-test corpus and its saved seeds) x {} packages: {tally:?}",
        total - COUNT,
        setup.variants.len()
    );
    assert!(tally.byte_identical > 0);
}
