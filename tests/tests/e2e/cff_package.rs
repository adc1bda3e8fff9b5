//! `edgekit package|invoke --runtime cloudfront-js-2.0`: both functions packaged within
//! CloudFront Functions' 10 KB, byte-identical across runs, refusing config keys the runtime
//! cannot honour; every CloudFront Functions fixture invoked with its expected decision; and
//! the sandbox refusing what cloudfront-js-2.0 forbids (docs/cloudfront-functions.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use edgekit_tests::{edgekit_bin, events_dir, node_bin, workspace_root};
use serde_json::Value;

const LIMIT: usize = 10_240;

fn cff_dir() -> PathBuf {
    events_dir().join("cloudfront-functions")
}

fn config(function: &str) -> PathBuf {
    cff_dir().join(format!("config-{function}.json"))
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("edgekit-cff-package-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn edgekit(args: &[&str], config: Option<&Path>) -> Output {
    let mut command = Command::new(edgekit_bin());
    command.args(args).env("EDGEKIT_NODE", node_bin());
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn both_functions_fit_are_deterministic_and_refuse_what_the_runtime_cannot_honour() {
    let dir = scratch("package");
    for function in ["forwarded-proto", "keycloak-host"] {
        let mut runs = Vec::new();
        for run in 0..2 {
            let out = dir.join(format!("{function}-{run}.js"));
            let output = edgekit(
                &[
                    "--output",
                    "json",
                    "package",
                    function,
                    "--runtime",
                    "cloudfront-js-2.0",
                    "--out",
                    out.to_str().unwrap(),
                ],
                Some(&config(function)),
            );
            assert!(output.status.success(), "{}", text(&output.stderr));
            let report: Value = serde_json::from_slice(&output.stdout).unwrap();
            let code = std::fs::read(&out).unwrap();
            assert_eq!(report["code_bytes"].as_u64(), Some(code.len() as u64));
            assert_eq!(report["runtime"], "cloudfront-js-2.0");
            runs.push(code);
        }
        assert_eq!(
            runs[0], runs[1],
            "{function}: two runs must be byte-identical"
        );
        let code = text(&runs[0]);
        assert!(code.len() <= LIMIT, "{function}: {} bytes", code.len());
        assert!(code.contains("function handler(event)"), "{function}");
        assert!(
            !code.contains("export ") && !code.contains("require("),
            "{function}"
        );
    }
    // The Lambda@Edge fixture config carries an origin-verify secret: never into function code.
    let out = dir.join("refused.js");
    let refused = edgekit(
        &[
            "package",
            "keycloak-host",
            "--runtime",
            "cloudfront-js-2.0",
            "--out",
            out.to_str().unwrap(),
        ],
        Some(&events_dir().join("config-keycloak-host.json")),
    );
    assert!(!refused.status.success());
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("origin_verify") && stderr.contains("DescribeFunction"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("example-secret"),
        "the secret must not be echoed: {stderr}"
    );
    assert!(!out.exists(), "nothing is written for a refused config");
    let reject = dir.join("reject.json");
    std::fs::write(&reject, r#"{"on_missing_proto": "reject"}"#).unwrap();
    let refused = edgekit(
        &[
            "package",
            "forwarded-proto",
            "--runtime",
            "cloudfront-js-2.0",
            "--out",
            out.to_str().unwrap(),
        ],
        Some(&reject),
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("on_missing_proto"),
        "{}",
        text(&refused.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// (fixture, decision, status for a generated response, text the body or a header holds)
const CASES: &[(&str, &str, u64, &str)] = &[
    (
        "forwarded-proto-plain",
        "forward",
        0,
        "for=203.0.113.178;host=registry.example.com;proto=https",
    ),
    (
        "forwarded-proto-spoofed",
        "forward",
        0,
        "for=\"[2001:db8:cafe::17]\";host=registry.example.com;proto=https",
    ),
    (
        "forwarded-proto-unknown-host",
        "respond",
        421,
        "This host is not served here.",
    ),
    (
        "forwarded-proto-bad-host",
        "respond",
        400,
        "Invalid Host header: host contains a forbidden character ','.",
    ),
    (
        "keycloak-host-realm",
        "forward",
        0,
        "for=203.0.113.178;host=auth.example.com;proto=https",
    ),
    (
        "keycloak-host-spoofed",
        "forward",
        0,
        "for=203.0.113.178;host=\"auth.example.com:443\";proto=https",
    ),
    (
        "keycloak-host-unknown-host",
        "respond",
        421,
        "This host is not served here.",
    ),
    ("keycloak-host-admin-path", "respond", 404, "Not found."),
    (
        "keycloak-host-traversal",
        "respond",
        400,
        "reads differently to different servers",
    ),
];

#[test]
fn invoke_gives_each_fixture_its_decision() {
    for (fixture, decision, status, expected) in CASES {
        let function = if fixture.starts_with("keycloak-host") {
            "keycloak-host"
        } else {
            "forwarded-proto"
        };
        let event = cff_dir().join(format!("{fixture}.json"));
        let output = edgekit(
            &[
                "--output",
                "json",
                "invoke",
                function,
                "--runtime",
                "cloudfront-js-2.0",
                "--event",
                event.to_str().unwrap(),
            ],
            Some(&config(function)),
        );
        assert!(
            output.status.success(),
            "{fixture}: {}",
            text(&output.stderr)
        );
        let run: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(run["decision"], *decision, "{fixture}: {run}");
        let result = &run["result"];
        if *decision == "respond" {
            assert_eq!(
                result["statusCode"].as_u64(),
                Some(*status),
                "{fixture}: {result}"
            );
            assert!(
                result["body"].as_str().unwrap().contains(expected),
                "{fixture}: {result}"
            );
            continue;
        }
        let headers = &result["headers"];
        assert_eq!(
            headers["forwarded"]["value"], *expected,
            "{fixture}: {headers}"
        );
        assert_eq!(
            headers["x-cloudfront-forwarded-proto"]["value"], "https",
            "{fixture}"
        );
        for spoofed in ["x-forwarded-port", "x-forwarded-host"] {
            assert!(
                !headers[spoofed]["value"].as_str().unwrap().contains("evil"),
                "{fixture}: {spoofed}"
            );
        }
        assert!(
            headers.get("x-original-url").is_none(),
            "{fixture}: stripped"
        );
        assert_eq!(
            headers["host"],
            cff_event_host(&event),
            "{fixture}: Host is read-only"
        );
    }
}

#[test]
fn invoke_without_a_usable_config_is_bad_input() {
    let event = cff_dir().join("keycloak-host-realm.json");
    let args = [
        "invoke",
        "keycloak-host",
        "--runtime",
        "cloudfront-js-2.0",
        "--event",
        event.to_str().unwrap(),
    ];
    let output = edgekit(&args, None);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("public_hosts"),
        "{}",
        text(&output.stderr)
    );
    let lambda_edge_config = events_dir().join("config-keycloak-host.json");
    let output = edgekit(&args, Some(&lambda_edge_config));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("origin_verify"),
        "{}",
        text(&output.stderr)
    );
}

fn cff_event_host(event: &Path) -> Value {
    let event: Value = serde_json::from_slice(&std::fs::read(event).unwrap()).unwrap();
    event["request"]["headers"]["host"].clone()
}

/// Runs a script through the sandbox runner on one event; returns the runner's lines.
fn sandbox(script: &str) -> Vec<Value> {
    let dir = scratch("sandbox");
    let path = dir.join(format!("script-{}.js", script.len()));
    std::fs::write(&path, script).unwrap();
    let runner = workspace_root().join("infra-cli/src/packaging/cff-sandbox.mjs");
    let mut child = Command::new(node_bin())
        .arg(&runner)
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let event = std::fs::read_to_string(cff_dir().join("keycloak-host-realm.json")).unwrap();
    let line = event.replace(['\n', '\r'], "");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{line}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn sandbox_refuses_what_cloudfront_js_2_forbids() {
    let refused = [
        (
            "require('fs').readFileSync('/etc/passwd');",
            "offers only crypto, querystring, buffer and cloudfront",
        ),
        (
            "setTimeout(function () {}, 1);",
            "setTimeout is not defined",
        ),
        ("eval('1 + 1');", "Code generation from strings disallowed"),
        (
            "new Function('return 1')();",
            "Code generation from strings disallowed",
        ),
        ("process.exit(1);", "process is not defined"),
        ("console.log('a', 'b');", "console.log takes one argument"),
        ("while (true) {}", "timed out"),
    ];
    for (body, error) in refused {
        let lines = sandbox(&format!(
            "function handler(event) {{ {body} return event.request; }}\n"
        ));
        assert_eq!(lines[0]["ready"], true, "{body}: {lines:?}");
        assert_eq!(lines[1]["ok"], false, "{body}: {lines:?}");
        let message = lines[1]["error"].as_str().unwrap();
        assert!(message.contains(error), "{body}: {message}");
    }
    let allowed = sandbox(
        "function handler(event) { var h = require('crypto').createHash('sha256').update('a').digest('hex'); event.request.headers['x-h'] = {value: h}; return event.request; }\n",
    );
    assert_eq!(allowed[1]["ok"], true, "{allowed:?}");
    let big = format!(
        "function handler(event) {{ return event.request; }}\n//{}\n",
        "x".repeat(LIMIT)
    );
    let lines = sandbox(&big);
    assert_eq!(
        lines.len(),
        1,
        "a refused script answers no event: {lines:?}"
    );
    assert_eq!(lines[0]["ok"], false);
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("CloudFront Functions allows 10240"),
        "{lines:?}"
    );
    let module = sandbox("export function handler(event) { return event.request; }\n");
    assert!(
        module[0]["error"]
            .as_str()
            .unwrap()
            .contains("module syntax"),
        "{module:?}"
    );
}
