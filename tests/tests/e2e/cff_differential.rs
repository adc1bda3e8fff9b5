//! Differential proof for the second runtime: the generated CloudFront Function
//! (cloudfront-js-2.0, hand-written JS with the config baked in, run in edgekit's sandbox
//! under Node) decides what the Rust core decides, with the Rust core as the oracle.
//!
//! Inputs: every request fixture in `events/` (viewer-request ones as the origin-request
//! event CloudFront would build), every CloudFront Functions fixture in
//! `events/cloudfront-functions/` (likewise), and a deterministic sample of the property
//! tests' generator (`edgekit_tests::event_gen::origin_request_event`); for each function
//! with its defaults, each `events/config-<function>*.json`, each
//! `events/cloudfront-functions/config-<function>*.json`, and keycloak-host redirecting
//! unknown hosts.
//!
//! For each Lambda@Edge origin-request event E:
//! - Lambda@Edge: the registry's native handler on E (what every Lambda@Edge host runs);
//!   its result plus the custom origin headers is what reaches the origin.
//! - CloudFront Functions: `edge::cloudfront_functions::convert` splits E into the viewer's
//!   request and what CloudFront adds after viewer-request, builds the viewer-request event
//!   CloudFront Functions would get, the script answers in the sandbox (one `node` process per
//!   script, events streamed line by line), the result is validated as CloudFront validates
//!   it, and CloudFront's additions, the origin request policy (Host) and the custom origin
//!   headers (with the origin-verify secret, which never goes into function code) give what
//!   reaches the origin.
//!
//! Compared: the decision (forward, or generate which status, headers and body) and every
//! header reaching the origin. The protocol is https by construction for CloudFront
//! Functions (the runtime requires viewer protocol policy redirect-to-https or https-only),
//! so E's `CloudFront-Forwarded-Proto` is set to `https` for both runtimes. Every difference
//! that is legitimate is handled by the conversion and listed with its source in
//! docs/cloudfront-functions-equivalence.md; anything else fails the test, naming the event.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use edge::cloudfront_functions::convert::{self, Decision, HostPolicy};
use edge::cloudfront_functions::{CffResult, validate_viewer_request_result};
use edge::{CloudFrontEvent, EventType, Headers};
use edgekit::dev::cloudfront_functions::script_config;
use edgekit::functions::{Configured, Function};
use edgekit::packaging::cloudfront_js;
use edgekit_tests::cff::run_streamed;
use edgekit_tests::fixtures;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;

/// Generated events per variant (the issue asks for at least 500).
const GENERATED: usize = 520;

/// One function with one config, on both runtimes.
struct Variant {
    label: String,
    rust: Arc<dyn Configured>,
    code: String,
    host: HostPolicy,
    /// The origin-verify header, a custom origin header of the distribution with CloudFront
    /// Functions (with Lambda@Edge the function adds it).
    extra_custom: Headers,
}

/// A config beyond the fixtures: keycloak-host redirecting unknown hosts to the canonical
/// one (the only generated response that carries the viewer's query string).
const REDIRECT_CANONICAL: &str = r#"{"public_hosts": ["auth.example.com", "login.example.com:8443"],
    "unknown_host": "redirect-canonical"}"#;

/// Every (function, config) pair: defaults, each `events/config-<function>*.json` (they carry
/// an origin-verify secret: a custom origin header with CloudFront Functions), each
/// `events/cloudfront-functions/config-<function>*.json`, and [`REDIRECT_CANONICAL`].
/// keycloak-host has no usable defaults (its public host list is required).
fn variants() -> Vec<Variant> {
    let functions_dir = edgekit_tests::events_dir().join("cloudfront-functions");
    let mut variants = Vec::new();
    for function in Function::all() {
        let mut configs: Vec<(String, String)> = vec![(
            format!("{} with its defaults", function.name()),
            "{}".to_owned(),
        )];
        let files = fixtures::configs(function.name()).into_iter().chain(
            std::fs::read_dir(&functions_dir)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| {
                    path.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(&format!("config-{}", function.name()))
                }),
        );
        for path in files {
            let name = path.strip_prefix(edgekit_tests::events_dir()).unwrap();
            configs.push((
                format!("{} with events/{}", function.name(), name.display()),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
        if function.name() == "keycloak-host" {
            configs.push((
                "keycloak-host with unknown_host redirect-canonical".to_owned(),
                REDIRECT_CANONICAL.to_owned(),
            ));
        }
        for (label, text) in configs {
            let Ok(rust) = function.load(&text) else {
                assert!(
                    text == "{}" && function.name() == "keycloak-host",
                    "{label}: the config does not load"
                );
                continue;
            };
            variants.push(variant(function, &text, label, rust));
        }
    }
    assert!(variants.len() >= 6, "both functions, defaults and fixtures");
    variants
}

fn variant(function: Function, text: &str, label: String, rust: Arc<dyn Configured>) -> Variant {
    let canonical: Value = serde_json::from_str(&rust.config_json().unwrap()).unwrap();
    let script_json = match function.name() {
        "forwarded-proto" => {
            script_config(&serde_json::from_str::<forwarded_proto::Config>(text).unwrap())
        }
        "keycloak-host" => {
            script_config(&serde_json::from_str::<keycloak_host::Config>(text).unwrap())
        }
        other => panic!("no CloudFront Functions variant for {other}"),
    }
    .unwrap();
    let script = cloudfront_js::generate(function, Some(&script_json))
        .unwrap_or_else(|err| panic!("{label}: generate failed: {err:?}"));
    let host = if canonical["origin_host"] == "origin-domain" {
        HostPolicy::OriginDomain
    } else {
        HostPolicy::Forward
    };
    let mut extra_custom = Headers::new();
    if let Some(verify) = canonical.get("origin_verify").filter(|v| !v.is_null()) {
        extra_custom.set(
            verify["header"].as_str().unwrap(),
            verify["secret"].as_str().unwrap(),
        );
    }
    Variant {
        label,
        rust,
        code: script.code,
        host,
        extra_custom,
    }
}

/// An input: its name in failure messages and the Lambda@Edge origin-request event.
struct Case {
    name: String,
    event: CloudFrontEvent,
}

/// The event with the one `CloudFront-Forwarded-Proto: https` an https viewer gets.
fn https(mut event: CloudFrontEvent) -> CloudFrontEvent {
    for record in &mut event.records {
        record
            .cf
            .request
            .headers
            .set("CloudFront-Forwarded-Proto", "https");
    }
    event
}

/// The origin the generator's events and the CloudFront Functions fixtures go to.
fn alb_origin() -> edge::Origin {
    serde_json::from_str(
        r#"{"custom": {"customHeaders": {}, "domainName": "alb-123.us-east-1.elb.amazonaws.com",
            "keepaliveTimeout": 5, "path": "", "port": 80, "protocol": "http", "readTimeout": 30,
            "sslProtocols": ["TLSv1.2"]}}"#,
    )
    .unwrap()
}

/// Every Lambda@Edge request fixture in `events/`: origin-request ones as they are,
/// viewer-request ones as the origin-request event CloudFront would build from them.
fn fixture_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for path in fixtures::edge_events() {
        let name = format!("fixture {}", path.file_name().unwrap().to_string_lossy());
        let event: CloudFrontEvent =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let cf = event.cf().unwrap();
        let event = match cf.config.event_type {
            EventType::OriginRequest => event.clone(),
            EventType::ViewerRequest => {
                let (viewer, _) = convert::event_from_lambda(&event).unwrap();
                convert::origin_request_event(&viewer, Some(alb_origin()))
            }
            EventType::OriginResponse | EventType::ViewerResponse => continue,
        };
        cases.push(Case {
            name,
            event: https(event),
        });
    }
    assert!(cases.len() >= 10, "the request fixtures of events/");
    cases.extend(functions_fixture_cases());
    cases
}

/// The CloudFront Functions fixtures (`events/cloudfront-functions/<function>-*.json`), as
/// the origin-request events CloudFront would build for the same viewer requests.
fn functions_fixture_cases() -> Vec<Case> {
    let origin = alb_origin();
    let dir = edgekit_tests::events_dir().join("cloudfront-functions");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            !path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("config-")
        })
        .collect();
    paths.sort();
    assert!(paths.len() >= 5, "the CloudFront Functions fixtures");
    paths
        .into_iter()
        .map(|path| {
            let event: edge::cloudfront_functions::CffEvent =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            Case {
                name: format!(
                    "fixture cloudfront-functions/{}",
                    path.file_name().unwrap().to_string_lossy()
                ),
                event: convert::origin_request_event(&event, Some(origin.clone())),
            }
        })
        .collect()
}

/// A deterministic sample of the property tests' generator (proptest's fixed seed).
fn generated_cases(count: usize) -> Vec<Case> {
    let strategy = edgekit_tests::event_gen::origin_request_event();
    let mut runner = TestRunner::deterministic();
    (0..count)
        .map(|index| Case {
            name: format!("generated case {index}"),
            event: https(strategy.new_tree(&mut runner).unwrap().current()),
        })
        .collect()
}

/// What each runtime decided for each case of one variant.
struct Outcomes {
    rust: Vec<Decision>,
    functions: Vec<Result<Decision, String>>,
    /// The sandbox's start (node, the runner, the script) and the time of all events.
    start: Duration,
    events: Duration,
}

fn run(variant: &Variant, cases: &[Case]) -> Outcomes {
    let rust = cases
        .iter()
        .map(|case| convert::lambda_decision(&variant.rust.respond(case.event.clone()).result))
        .collect();
    let converted: Vec<_> = cases
        .iter()
        .map(|case| convert::event_from_lambda(&case.event).unwrap())
        .collect();
    let lines: Vec<String> = converted
        .iter()
        .map(|(event, _)| serde_json::to_string(event).unwrap())
        .collect();
    let streamed = run_streamed(&variant.code, &lines);
    let functions = converted
        .iter()
        .zip(streamed.answers)
        .map(|((event, side), answer)| {
            if !answer.ok {
                return Err(format!(
                    "the function failed: {}",
                    answer.error.unwrap_or_default()
                ));
            }
            let json = answer.result.unwrap_or(Value::Null);
            let result: CffResult = serde_json::from_value(json.clone())
                .map_err(|err| format!("not a request or a response ({err}): {json}"))?;
            if let Err(violations) = validate_viewer_request_result(&event.request, &result) {
                let list: Vec<String> = violations
                    .iter()
                    .map(|v| format!("{}: {}", v.field, v.detail))
                    .collect();
                return Err(format!(
                    "CloudFront would reject the result: {}",
                    list.join("; ")
                ));
            }
            convert::cff_decision(
                side,
                &event.request,
                &result,
                variant.host,
                &variant.extra_custom,
            )
            .ok_or_else(|| "a generated body that is not valid base64".to_owned())
        })
        .collect();
    Outcomes {
        rust,
        functions,
        start: streamed.start,
        events: streamed.events,
    }
}

/// A redirect's query string as the CloudFront Functions `querystring` object sees it: a
/// CloudFront Function cannot see the raw query string, so one that keeps it in a Location
/// rebuilds it from the parsed object (docs/cloudfront-functions.md, keycloak-host
/// `unknown_host`). Pairs, their values and their repeats must agree; the form may not: the
/// order of distinct names, `a` versus `a=`, and empty pieces (`&&`) are lost in the object
/// (docs/cloudfront-functions-equivalence.md).
fn comparable(decision: &Decision) -> Decision {
    let mut decision = decision.clone();
    if let Decision::Generate(generated) = &mut decision
        && let Some(locations) = generated.headers.get_mut("location")
    {
        for location in locations {
            if let Some((base, query)) = location.split_once('?') {
                let pairs = convert::render_pairs(&convert::parse_query(query), "&");
                *location = if pairs.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{pairs}")
                };
            }
        }
    }
    decision
}

/// Field-by-field differences between two decisions ("" when equal).
fn differences(rust: &Decision, functions: &Decision) -> String {
    let mut out = String::new();
    let (rust, functions) = (&comparable(rust), &comparable(functions));
    match (rust, functions) {
        (Decision::Forward(a), Decision::Forward(b)) => {
            for (field, x, y) in [
                ("method", &a.method, &b.method),
                ("uri", &a.uri, &b.uri),
                ("querystring", &a.querystring, &b.querystring),
            ] {
                if x != y {
                    let _ = writeln!(out, "  {field}: rust {x:?}, functions {y:?}");
                }
            }
            let names: BTreeSet<&String> = a.headers.keys().chain(b.headers.keys()).collect();
            for name in names {
                let (x, y) = (a.headers.get(name), b.headers.get(name));
                if x != y {
                    let _ = writeln!(out, "  header {name}: rust {x:?}, functions {y:?}");
                }
            }
        }
        (Decision::Generate(a), Decision::Generate(b)) => {
            if a != b {
                let _ = writeln!(
                    out,
                    "  generated: rust {}\n             functions {}",
                    serde_json::to_string(a).unwrap(),
                    serde_json::to_string(b).unwrap()
                );
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "  decision: rust {}\n            functions {}",
                serde_json::to_string(rust).unwrap(),
                serde_json::to_string(functions).unwrap()
            );
        }
    }
    out
}

#[derive(Default, Debug)]
struct Tally {
    forwarded: usize,
    generated: usize,
}

/// Compares one variant's outcomes; returns the agreements and one message per difference,
/// naming the event (fixture name or generated case index, and its JSON).
fn compare(variant: &Variant, cases: &[Case], outcomes: &Outcomes) -> (Tally, Vec<String>) {
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for ((case, rust), functions) in cases.iter().zip(&outcomes.rust).zip(&outcomes.functions) {
        let problem = match functions {
            Err(err) => format!("  {err}\n"),
            Ok(functions) => differences(rust, functions),
        };
        if problem.is_empty() {
            match rust {
                Decision::Forward(_) => tally.forwarded += 1,
                Decision::Generate(_) => tally.generated += 1,
            }
            continue;
        }
        failures.push(format!(
            "{} on {}:\n{problem}  event: {}\n",
            variant.label,
            case.name,
            serde_json::to_string(&case.event).unwrap()
        ));
    }
    (tally, failures)
}

/// Runs every variant on `cases`; fails listing each difference with its event.
fn prove(what: &str, cases: &[Case]) {
    let mut failures = Vec::new();
    let mut tally = Tally::default();
    for variant in variants() {
        let outcomes = run(&variant, cases);
        eprintln!(
            "  sandbox, {}: node start {:.0} ms, then {} events in {:.0} ms ({:.0} µs per event)",
            variant.label,
            outcomes.start.as_secs_f64() * 1000.0,
            cases.len(),
            outcomes.events.as_secs_f64() * 1000.0,
            outcomes.events.as_secs_f64() * 1e6 / cases.len() as f64
        );
        let (agreed, mut differ) = compare(&variant, cases, &outcomes);
        tally.forwarded += agreed.forwarded;
        tally.generated += agreed.generated;
        failures.append(&mut differ);
    }
    eprintln!(
        "{what}: {} cases per variant, agreed: {tally:?}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} differences between the Rust core and the CloudFront Function ({what}); the first ones:\n{}",
        failures.len(),
        failures.iter().take(8).cloned().collect::<String>()
    );
    assert!(tally.forwarded > 0 && tally.generated > 0, "{tally:?}");
}

#[test]
fn every_fixture_decides_the_same_in_both_runtimes() {
    prove("fixtures", &fixture_cases());
}

#[test]
fn generated_events_decide_the_same_in_both_runtimes() {
    let cases = generated_cases(GENERATED);
    assert!(cases.iter().all(|case| {
        case.event
            .cf()
            .is_ok_and(|cf| cf.config.event_type == EventType::OriginRequest)
    }));
    prove("generated", &cases);
}

/// The harness itself: a script that adds one header to every forwarded request is caught,
/// and the message names the event.
#[test]
fn a_planted_difference_is_caught() {
    let mut variant = variants().into_iter().next().unwrap();
    variant.code = format!(
        "{}\nfunction handler(event) {{ let r = planted(event); if (!r.statusCode) {{ r.headers['x-planted'] = {{value: '1'}}; }} return r; }}\n",
        variant
            .code
            .replacen("function handler(", "function planted(", 1)
    );
    let cases = fixture_cases();
    let outcomes = run(&variant, &cases);
    let (tally, failures) = compare(&variant, &cases, &outcomes);
    assert_eq!(tally.forwarded, 0, "every forwarded request differs");
    let first = failures.first().expect("differences");
    assert!(
        first.contains("on fixture ")
            && first.contains("header x-planted: rust None, functions Some([\"1\"])")
            && first.contains("\"Records\""),
        "{first}"
    );
}
