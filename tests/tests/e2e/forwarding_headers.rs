//! No forwarding header a framework trusts reaches the origin from a client: the table in
//! `docs/forwarding-headers.md` and `edge::forwarding` are one list, and every header of it,
//! in several casings and duplicated, is stripped by both functions in every runtime —
//! `edgekit invoke` (native), the packaged wasm under Node.js, and `edgekit dev` end to end
//! with the embedded echo origin. The headers a function injects itself arrive with its own
//! values only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use edge::forwarding::{HANDLED_BY_PLATFORM, STRIPPED};
use edgekit_tests::dev::Dev;
use edgekit_tests::packaged::Packaged;
use edgekit_tests::{edgekit_bin, events_dir, free_port, run_expecting, run_ok, workspace_root};
use serde_json::Value;

/// Headers the functions inject after stripping (the client's copies are gone; ours stay).
const INJECTED: &[&str] = &[
    "x-forwarded-host",
    "x-forwarded-port",
    "forwarded",
    "x-cloudfront-forwarded-proto",
];

const SPOOF: &str = "evil.example";

/// The header names in the first column of a section's table in the doc.
fn doc_table(section: &str) -> BTreeSet<String> {
    let doc = std::fs::read_to_string(workspace_root().join("docs/forwarding-headers.md")).unwrap();
    let start = doc
        .find(&format!("## {section}"))
        .unwrap_or_else(|| panic!("no section {section:?} in docs/forwarding-headers.md"));
    doc[start..]
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .filter_map(|line| line.strip_prefix("| `"))
        .map(|rest| rest.split('`').next().unwrap().to_owned())
        .collect()
}

#[test]
fn the_doc_table_and_the_code_are_one_list() {
    let code: BTreeSet<String> = STRIPPED.iter().map(|h| h.name.to_owned()).collect();
    assert_eq!(doc_table("Stripped by default"), code);
    let platform: BTreeSet<String> = HANDLED_BY_PLATFORM
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    assert_eq!(doc_table("Handled by the platform"), platform);
}

/// `x-forwarded-ssl` → `X-Forwarded-Ssl`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// An origin-request event carrying every header of the table twice, in three casings
/// (the map key is the lowercase name, as CloudFront sends it; `key` keeps the casing).
fn spoofed_event(base: &str) -> Value {
    let mut event: Value =
        serde_json::from_slice(&std::fs::read(events_dir().join(base)).unwrap()).unwrap();
    let headers = event["Records"][0]["cf"]["request"]["headers"]
        .as_object_mut()
        .unwrap();
    for header in STRIPPED {
        let name = header.name;
        let lines: Vec<Value> = [name.to_owned(), title_case(name), name.to_ascii_uppercase()]
            .iter()
            .flat_map(|key| {
                [
                    serde_json::json!({"key": key, "value": SPOOF}),
                    serde_json::json!({"key": key, "value": "https"}),
                ]
            })
            .collect();
        headers.insert(name.to_owned(), Value::Array(lines));
    }
    event
}

/// The forwarded request's headers must hold no client copy of any header of the table.
fn assert_nothing_spoofed_survives(headers: &BTreeMap<String, Vec<String>>, what: &str) {
    for header in STRIPPED {
        let values = headers.get(header.name).cloned().unwrap_or_default();
        if INJECTED.contains(&header.name) {
            assert_eq!(values.len(), 1, "{what}: {} {values:?}", header.name);
            assert!(
                !values[0].contains(SPOOF),
                "{what}: {} {values:?}",
                header.name
            );
        } else {
            assert!(
                values.is_empty(),
                "{what}: {} reached the origin: {values:?}",
                header.name
            );
        }
    }
}

/// lowercase name → values, from a forwarded request in a function's result.
fn result_headers(result: &Value, what: &str) -> BTreeMap<String, Vec<String>> {
    let headers = result["headers"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not a forwarded request: {result}"));
    headers
        .iter()
        .map(|(name, lines)| {
            let values = lines
                .as_array()
                .unwrap()
                .iter()
                .map(|line| line["value"].as_str().unwrap().to_owned())
                .collect();
            (name.to_ascii_lowercase(), values)
        })
        .collect()
}

/// (function, config file, base event) for each configuration the test covers.
fn cases() -> Vec<(&'static str, Option<PathBuf>, &'static str)> {
    vec![
        (
            "forwarded-proto",
            None,
            "origin-request-cloudfront-mode.json",
        ),
        (
            "forwarded-proto",
            Some(events_dir().join("config-forwarded-proto.json")),
            "origin-request-cloudfront-mode.json",
        ),
        (
            "keycloak-host",
            Some(events_dir().join("config-keycloak-host.json")),
            "keycloak-realm-discovery.json",
        ),
    ]
}

fn invoke(function: &str, config: Option<&Path>, event: &Path) -> Value {
    let mut command = Command::new(edgekit_bin());
    command
        .args(["invoke", function, "--compact", "--event"])
        .arg(event);
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    serde_json::from_slice(&run_ok(&mut command).stdout).unwrap()
}

#[test]
fn every_header_is_stripped_by_edgekit_invoke_and_the_packaged_wasm() {
    let work = tempfile::tempdir().unwrap();
    for (index, (function, config, base)) in cases().into_iter().enumerate() {
        let event = spoofed_event(base);
        let file = work.path().join(format!("event-{index}.json"));
        std::fs::write(&file, serde_json::to_vec(&event).unwrap()).unwrap();
        let what = format!("{function} with {config:?} (native)");
        let native = invoke(function, config.as_deref(), &file);
        assert_nothing_spoofed_survives(&result_headers(&native, &what), &what);

        let package = Packaged::build(function, config.as_deref(), work.path()).unwrap();
        let line = package.run(std::slice::from_ref(&event)).remove(0);
        let wasm: Value = serde_json::from_str(&line).unwrap();
        let what = format!("{function} with {config:?} (Node+wasm)");
        assert_nothing_spoofed_survives(&result_headers(&wasm, &what), &what);
        assert_eq!(native, wasm, "native and Node+wasm differ");
    }
}

#[test]
fn keep_headers_lets_exactly_one_default_through_and_unknown_names_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("keep.json");
    std::fs::write(
        &config,
        r#"{"keep_headers": ["X-Forwarded-Ssl"], "strip_headers": ["X-Tenant"]}"#,
    )
    .unwrap();
    let mut event = spoofed_event("origin-request-cloudfront-mode.json");
    event["Records"][0]["cf"]["request"]["headers"]["x-tenant"] =
        serde_json::json!([{"key": "X-Tenant", "value": "other"}]);
    let file = work.path().join("event.json");
    std::fs::write(&file, serde_json::to_vec(&event).unwrap()).unwrap();
    let headers = result_headers(&invoke("forwarded-proto", Some(&config), &file), "keep");
    assert_eq!(headers["x-forwarded-ssl"].len(), 6, "kept on purpose");
    assert!(!headers.contains_key("x-tenant"), "stripped on request");
    assert!(
        !headers.contains_key("x-forwarded-scheme"),
        "other defaults still stripped"
    );

    std::fs::write(&config, r#"{"keep_headers": ["X-Forwarded-Sssl"]}"#).unwrap();
    let output = run_expecting(
        Command::new(edgekit_bin())
            .args(["invoke", "forwarded-proto", "--event"])
            .arg(&file)
            .arg("--config")
            .arg(&config),
        2,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("keep_headers[0]"), "{stderr}");
}

/// What the embedded echo answers.
#[derive(Debug, serde::Deserialize)]
struct Echo {
    headers: BTreeMap<String, Vec<String>>,
    inferred_scheme: String,
}

async fn spoofed_request(client: &reqwest::Client, url: String, host: &str) -> Echo {
    let mut request = client.get(url).header("Host", host);
    for header in STRIPPED {
        // Twice each, in two casings (HTTP/1 lowercases nothing here; the emulator must
        // not care).
        request = request
            .header(title_case(header.name), SPOOF)
            .header(header.name, "https");
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_header_of_the_table_reaches_the_echo_through_edgekit_dev() {
    let echo_port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dev.json");
    std::fs::write(
        &config,
        r#"{"forwarded_proto": {"public_hosts": ["app.example.com"]},
            "keycloak_host": {"public_hosts": ["auth.example.com"]}}"#,
    )
    .unwrap();
    let dev = Dev::start(&[
        "--config",
        config.to_str().unwrap(),
        "--echo-listen",
        &format!("127.0.0.1:{echo_port}"),
        "--keycloak-origin",
        &format!("http://127.0.0.1:{echo_port}"),
    ]);
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let app = spoofed_request(&client, dev.https("/"), "app.example.com").await;
    assert_nothing_spoofed_survives(&app.headers, "edgekit dev, app distribution");
    assert_eq!(app.inferred_scheme, "https");
    let keycloak = spoofed_request(
        &client,
        dev.keycloak("/realms/demo/.well-known/openid-configuration"),
        "auth.example.com",
    )
    .await;
    assert_nothing_spoofed_survives(&keycloak.headers, "edgekit dev, Keycloak distribution");
}
