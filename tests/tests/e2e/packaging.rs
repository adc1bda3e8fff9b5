//! `edgekit package`: deterministic zips, config refused at package time naming the field,
//! size within the target and the trigger quota, and the Node handler's failure path (a
//! refused event and a wasm trap both become a logged, well-formed generated 500).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use edgekit_tests::packaged::unzip;
use edgekit_tests::{edgekit_bin, events_dir, node_bin};

/// The issue's size target for a zipped package (the viewer-trigger quota is 1 MB).
const SIZE_TARGET: usize = 200 * 1024;
const SECRET_IN_CONFIG_FIXTURE: &str = "example-secret-0123456789abcdef";

fn package(function: &str, config: Option<&Path>, out: &Path, extra: &[&str]) -> Output {
    let mut command = Command::new(edgekit_bin());
    command
        .args(["package", function, "--out"])
        .arg(out)
        .args(extra);
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command.output().unwrap()
}

fn package_ok(function: &str, config: Option<&Path>, out: &Path) -> Vec<u8> {
    let output = package(function, config, out, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(out).unwrap()
}

fn config_fixture(function: &str) -> PathBuf {
    events_dir().join(format!("config-{function}.json"))
}

#[test]
fn packages_are_deterministic_sorted_and_small() {
    let temp = tempfile::tempdir().unwrap();
    for (function, config) in [
        ("forwarded-proto", None),
        ("forwarded-proto", Some(config_fixture("forwarded-proto"))),
        ("keycloak-host", Some(config_fixture("keycloak-host"))),
    ] {
        let first = package_ok(function, config.as_deref(), &temp.path().join("a.zip"));
        let second = package_ok(function, config.as_deref(), &temp.path().join("b.zip"));
        assert_eq!(
            first, second,
            "{function}: same inputs must give the same zip bytes"
        );
        assert!(
            first.len() <= SIZE_TARGET,
            "{function}: {} bytes zipped, over the {SIZE_TARGET}-byte target",
            first.len()
        );
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(first)).unwrap();
        let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        assert_eq!(names, ["config.json", "function.wasm", "index.mjs"]);
        for index in 0..archive.len() {
            let file = archive.by_index(index).unwrap();
            assert_eq!(
                file.unix_mode().map(|m| m & 0o777),
                Some(0o644),
                "{}",
                file.name()
            );
            let time = file.last_modified().unwrap();
            assert_eq!(
                (time.year(), time.month(), time.day()),
                (1980, 1, 1),
                "{}",
                file.name()
            );
        }
    }
}

#[test]
fn package_prints_size_and_accepts_the_viewer_quota() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("fp.zip");
    let output = package(
        "forwarded-proto",
        None,
        &out,
        &["--trigger", "viewer", "--output", "json"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["zip_bytes"].as_u64().unwrap(),
        std::fs::metadata(&out).unwrap().len()
    );
    assert_eq!(report["quota_bytes"], 1 << 20);
    assert_eq!(report["runtime"], "nodejs22.x");
    assert_eq!(report["handler"], "index.handler");
}

#[test]
fn invalid_config_is_refused_naming_the_field() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("x.zip");
    let cases = [
        (
            "forwarded-proto",
            r#"{"proto_header": "X-Forwarded-Proto"}"#,
            "proto_header",
        ),
        (
            "forwarded-proto",
            r#"{"requre_https": true}"#,
            "requre_https",
        ),
        (
            "forwarded-proto",
            r#"{"origin_verify": {"header": "X-V", "secret": "short-secret"}}"#,
            "origin_verify.secret",
        ),
        (
            "keycloak-host",
            r#"{"public_hosts": ["a.example, b.example"]}"#,
            "public_hosts",
        ),
    ];
    for (function, config, field) in cases {
        let path = temp.path().join("config.json");
        std::fs::write(&path, config).unwrap();
        let output = package(function, Some(&path), &out, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{function} accepted {config}");
        assert!(
            stderr.contains(field),
            "{function} {config}: error does not name {field}:\n{stderr}"
        );
        assert!(
            !stderr.contains("short-secret"),
            "the secret leaked into the error:\n{stderr}"
        );
        assert!(!out.exists(), "no zip is written for a refused config");
    }
}

/// Runs the unzipped handler in `dir` on each event; returns (results, stderr).
fn run_handler(dir: &Path, events: &[serde_json::Value]) -> (Vec<serde_json::Value>, String) {
    let script = r#"
import { pathToFileURL } from "node:url";
// with -e, argv[1] is the first argument
const { handler } = await import(pathToFileURL(process.argv[1] + "/index.mjs").href);
for (const event of JSON.parse(process.argv[2])) console.log(JSON.stringify(await handler(event)));
"#;
    let output = Command::new(node_bin())
        .args(["--input-type=module", "-e", script])
        .arg(dir)
        .arg(serde_json::to_string(events).unwrap())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "node: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (results, String::from_utf8(output.stderr).unwrap())
}

fn assert_generated_500(result: &serde_json::Value) {
    assert_eq!(result["status"], "500", "{result}");
    assert_eq!(result["headers"]["content-type"][0]["key"], "Content-Type");
    assert!(
        result["body"]
            .as_str()
            .unwrap()
            .contains("edge function failed")
    );
}

#[test]
fn refused_event_gives_a_generated_500_and_one_log_line_without_secrets() {
    let temp = tempfile::tempdir().unwrap();
    let zip = package_ok(
        "forwarded-proto",
        Some(&config_fixture("forwarded-proto")),
        &temp.path().join("fp.zip"),
    );
    let dir = temp.path().join("fp");
    unzip(&zip, &dir);
    let viewer: serde_json::Value = serde_json::from_slice(
        &std::fs::read(events_dir().join("aws-viewer-request.json")).unwrap(),
    )
    .unwrap();
    let malformed = serde_json::json!({ "Records": [{ "cf": { "request": { "headers": {
        "cookie": [{ "key": "Cookie", "value": "session=client-cookie-value" }] } } } }] });
    let request_id = viewer["Records"][0]["cf"]["config"]["requestId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (results, stderr) = run_handler(&dir, &[viewer, malformed]);
    assert_eq!(results.len(), 2);
    results.iter().for_each(assert_generated_500);
    assert_eq!(
        stderr.lines().count(),
        2,
        "one log line per failure:\n{stderr}"
    );
    assert!(
        stderr.lines().all(|line| line
            .starts_with("edgekit failure function=forwarded-proto cf_request_id=")
            && line.contains(" kind=answering-500 reason=\"")),
        "{stderr}"
    );
    // The stable form names the CloudFront request of a readable event, `-` otherwise.
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].contains(&format!("cf_request_id={request_id} ")),
        "{stderr}"
    );
    assert!(lines[1].contains("cf_request_id=- "), "{stderr}");
    assert!(
        !stderr.contains(SECRET_IN_CONFIG_FIXTURE),
        "secret in the log:\n{stderr}"
    );
    assert!(
        !stderr.contains("client-cookie-value"),
        "event value in the log:\n{stderr}"
    );
}

/// A wasm module with the edgekit exports whose `edgekit_view` and `edgekit_handle` execute
/// `unreachable`.
fn trapping_module() -> Vec<u8> {
    fn section(id: u8, content: &[u8]) -> Vec<u8> {
        assert!(content.len() < 128, "single-byte LEB128 length");
        let mut out = vec![id, content.len() as u8];
        out.extend_from_slice(content);
        out
    }
    fn export(name: &str, kind: u8, index: u8) -> Vec<u8> {
        let mut out = vec![name.len() as u8];
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&[kind, index]);
        out
    }
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    // types: 0 = (i32) -> i32, 1 = () -> i32
    module.extend(section(1, &[2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 1, 0x7f]));
    // functions: buffer, init, view, handle: type 0; output: type 1
    module.extend(section(3, &[5, 0, 0, 0, 0, 1]));
    // one memory of one page
    module.extend(section(5, &[1, 0, 1]));
    let mut exports = vec![6];
    exports.extend(export("memory", 2, 0));
    exports.extend(export("edgekit_buffer", 0, 0));
    exports.extend(export("edgekit_init", 0, 1));
    exports.extend(export("edgekit_view", 0, 2));
    exports.extend(export("edgekit_handle", 0, 3));
    exports.extend(export("edgekit_output", 0, 4));
    module.extend(section(7, &exports));
    let const0 = [4, 0, 0x41, 0, 0x0b]; // size, no locals, i32.const 0, end
    let trap = [3, 0, 0x00, 0x0b]; // size, no locals, unreachable, end
    let mut code = vec![5];
    code.extend(const0);
    code.extend(const0);
    code.extend(trap);
    code.extend(trap);
    code.extend(const0);
    module.extend(section(10, &code));
    module
}

#[test]
fn a_wasm_trap_gives_a_generated_500_and_the_next_event_a_fresh_instance() {
    let temp = tempfile::tempdir().unwrap();
    let zip = package_ok("forwarded-proto", None, &temp.path().join("fp.zip"));
    let dir = temp.path().join("fp");
    unzip(&zip, &dir);
    std::fs::write(dir.join("function.wasm"), trapping_module()).unwrap();
    let event: serde_json::Value = serde_json::from_slice(
        &std::fs::read(events_dir().join("aws-origin-request.json")).unwrap(),
    )
    .unwrap();
    let (results, stderr) = run_handler(&dir, &[event.clone(), event]);
    assert_eq!(results.len(), 2);
    results.iter().for_each(assert_generated_500);
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr
            .lines()
            .all(|line| line.contains("RuntimeError: unreachable")),
        "{stderr}"
    );
}

#[test]
fn a_missing_wasm_target_is_reported_with_the_rustup_command() {
    // A stand-in for cargo that fails the way rustc does without the target's std.
    let temp = tempfile::tempdir().unwrap();
    let fake_cargo = temp.path().join("cargo");
    std::fs::write(
        &fake_cargo,
        "#!/bin/sh\necho 'error[E0463]: can'\"'\"'t find crate for `core`' >&2\necho '  = note: the `wasm32-unknown-unknown` target may not be installed' >&2\nexit 101\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &fake_cargo,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let output = Command::new(edgekit_bin())
        .args(["package", "forwarded-proto", "--out"])
        .arg(temp.path().join("fp.zip"))
        .env("EDGEKIT_WORKSPACE", edgekit_tests::workspace_root()) // build, not the embedded module
        .env("CARGO", &fake_cargo)
        .output()
        .unwrap();
    // miette wraps long lines: compare with the wrapping undone.
    let stderr = String::from_utf8_lossy(&output.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!output.status.success());
    assert!(
        stderr.contains("rustup target add wasm32-unknown-unknown"),
        "{stderr}"
    );
}

/// The packaged handler is tested on the Node.js that `scripts/test` installs: 22, the
/// version of Lambda@Edge's `nodejs22.x` runtime (DESIGN: Lambda@Edge runs only AWS's
/// Node.js and Python runtimes).
#[test]
fn packaged_handlers_are_tested_on_the_runtime_node_version() {
    let output = Command::new(node_bin()).arg("--version").output().unwrap();
    let version = String::from_utf8(output.stdout).unwrap();
    eprintln!("packaged handlers run under node {}", version.trim());
    if std::env::var_os("EDGEKIT_NODE").is_some() {
        assert!(
            version.starts_with("v22."),
            "EDGEKIT_NODE is {version}, expected Node.js 22"
        );
    } else {
        let major: u32 = version
            .trim_start_matches('v')
            .split('.')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            major >= 20,
            "node {version} is too old for the handler (ES modules, TextEncoder.encodeInto)"
        );
    }
}
