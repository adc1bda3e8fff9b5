//! Differential proof: the packaged Lambda@Edge handler (Node.js + wasm, run by the real
//! `node`) answers exactly what the native function answers (`edgekit invoke`, and the
//! registry's native handler in-process for the generated corpus, refusals included: every
//! host answers a refused event with the same generated 500).
//!
//! Comparison: the Node side's output is `JSON.stringify(result)` — what the Lambda Node.js
//! runtime sends to CloudFront — and the native side's is serde_json's compact output. They
//! must be deep-equal JSON values (compared after a canonical serialisation, keys sorted):
//! the handler applies the core's edits to the runtime's own event object
//! (`functions/edge/src/view.rs`), so a forwarded request keeps the event's key order, and
//! changed headers come last, where native lists the model's fields in declaration order.
//! Byte-identical results (generated responses, the full path) are counted apart.
//!
//! Inputs: every fixture in `events/` (origin-request ones must be answered natively; the
//! others must be refused by both), generated events, and the property tests' corpus
//! including its saved regression seeds.
//!
//! Each function is packaged (and so built for wasm32) once per test run; all events of one
//! package go through one node process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use edgekit::functions::Function;
use edgekit_tests::edgekit_bin;
use edgekit_tests::fixtures;
use edgekit_tests::packaged::Packaged;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

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

/// Packages every (function, config) pair once: defaults and each `events/config-<fn>*.json`.
fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let temp = tempfile::tempdir().unwrap();
        let mut variants = Vec::new();
        for function in Function::all().map(Function::name) {
            let configs: Vec<Option<PathBuf>> = std::iter::once(None)
                .chain(fixtures::configs(function).into_iter().map(Some))
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
        for function in Function::all().map(Function::name) {
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
    value["status"] == "500" && value["body"] == edge::function::FAILURE_BODY
}

#[derive(Default, Debug)]
struct Tally {
    byte_identical: usize,
    deep_equal: usize,
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
            tally.deep_equal += 1;
        }
    }
}

#[test]
fn every_fixture_gives_the_same_result_native_and_node_wasm() {
    let setup = setup();
    let fixtures = fixtures::edge_events();
    let origin_requests = fixtures
        .iter()
        .filter(|path| fixtures::event_type(path).as_deref() == Some("origin-request"))
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
            let origin_request = fixtures::event_type(path).as_deref() == Some("origin-request");
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
}

/// The property tests' corpus: `edgekit_tests::event_gen::origin_request_event()` (what
/// tests/tests/e2e/properties.rs draws from), a deterministic sample plus every seed saved in
/// `tests/tests/e2e/*.proptest-regressions` replayed through it (proptest persists ChaCha seeds
/// as `cc <hex>`; replaying one regenerates the failing case before shrinking).
fn property_corpus(count: usize) -> Vec<Value> {
    let strategy = edgekit_tests::event_gen::origin_request_event();
    let mut runner = TestRunner::deterministic();
    let mut events: Vec<Value> = (0..count)
        .map(|_| serde_json::to_value(strategy.new_tree(&mut runner).unwrap().current()).unwrap())
        .collect();
    let tests_dir = edgekit_tests::workspace_root().join("tests/tests/e2e");
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

/// The registry's native handler on event bytes, with the one failure policy every host
/// shares: a refusal is the generated 500, byte for byte what the wasm build answers.
fn native_respond_json(variant: &Variant, event: &[u8]) -> String {
    let config_text = match &variant.config {
        Some(path) => std::fs::read_to_string(path).unwrap(),
        None => "{}".to_owned(),
    };
    let function = Function::find(variant.function).unwrap();
    let configured = function.load(&config_text).unwrap();
    String::from_utf8(configured.respond_json(event).result).unwrap()
}

#[test]
fn generated_events_give_the_same_result_native_and_node_wasm() {
    const CORPUS: usize = 500;
    let setup = setup();
    let events = property_corpus(CORPUS);
    let total = events.len();
    let mut tally = Tally::default();
    for variant in &setup.variants {
        let wasm = variant.package.run(&events);
        for (index, (event, wasm)) in events.iter().zip(&wasm).enumerate() {
            // The Lambda runtime hands the handler a parsed object; the native host reads
            // the bytes. Both start from the same JSON text here.
            let bytes = serde_json::to_vec(event).unwrap();
            let native = native_respond_json(variant, &bytes);
            compare(
                &mut tally,
                &format!("{} on generated event {index}", variant.label()),
                Some(&native),
                wasm,
            );
        }
    }
    eprintln!(
        "generated: {total} events (the property-test corpus and its saved seeds) x {} packages: {tally:?}",
        setup.variants.len()
    );
    assert!(tally.byte_identical + tally.deep_equal > 0);
}
