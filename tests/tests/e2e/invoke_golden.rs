//! `edgekit invoke` on every fixture in `events/`, checked against the golden files in
//! `events/golden/` (run with `UPDATE_GOLDEN=1` to rewrite them, then review the diff).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use edgekit_tests::{edgekit_bin, events_dir};
use serde_json::{Value, json};

/// (function, config fixture, golden folder)
const CASES: &[(&str, Option<&str>, &str)] = &[
    ("forwarded-proto", None, "forwarded-proto"),
    (
        "forwarded-proto",
        Some("config-forwarded-proto.json"),
        "forwarded-proto-configured",
    ),
    (
        "keycloak-host",
        Some("config-keycloak-host.json"),
        "keycloak-host",
    ),
];

fn invoke(function: &str, event: &Path, config: Option<&str>) -> Value {
    let mut command = Command::new(edgekit_bin());
    command.args(["invoke", function, "--event"]).arg(event);
    if let Some(config) = config {
        command.arg("--config").arg(events_dir().join(config));
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    json!({
        "exit_code": output.status.code(),
        "result": if stdout.trim().is_empty() { Value::Null } else { serde_json::from_str::<Value>(&stdout).unwrap() },
        "stderr": stderr.lines().collect::<Vec<_>>(),
    })
}

#[test]
fn every_fixture_answers_as_its_golden_file_says() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let fixtures = edgekit_tests::fixtures::edge_events();
    assert!(
        fixtures.len() >= 20,
        "expected the fixture set in events/, found {}",
        fixtures.len()
    );
    let mut mismatches = Vec::new();
    for (function, config, folder) in CASES {
        let golden_dir = events_dir().join("golden").join(folder);
        std::fs::create_dir_all(&golden_dir).unwrap();
        for fixture in &fixtures {
            let actual = invoke(function, fixture, *config);
            let golden = golden_dir.join(fixture.file_name().unwrap());
            if update {
                let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
                std::fs::write(&golden, text).unwrap();
                continue;
            }
            let expected: Value = match std::fs::read_to_string(&golden) {
                Ok(text) => serde_json::from_str(&text).unwrap(),
                Err(_) => {
                    mismatches.push(format!(
                        "{}: no golden file (run with UPDATE_GOLDEN=1)",
                        golden.display()
                    ));
                    continue;
                }
            };
            if actual != expected {
                mismatches.push(format!(
                    "{}:\n  expected {}\n  actual   {}",
                    golden.display(),
                    expected,
                    actual
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatch(es):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn bad_event_json_exits_2_with_the_json_path() {
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("bad.json");
    std::fs::write(&event, r#"{"Records":[{"cf":{"config":{"distributionDomainName":"d.cloudfront.net","distributionId":"E1","eventType":"origin-request"},"request":{"clientIp":"192.0.2.1","method":"GET","uri":7}}}]}"#).unwrap();
    let output = Command::new(edgekit_bin())
        .args(["invoke", "forwarded-proto", "--event"])
        .arg(&event)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("Records[0].cf.request.uri"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn bad_config_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        r#"{"public_hosts": ["auth.example.com"], "alowed_paths": []}"#,
    )
    .unwrap();
    let output = Command::new(edgekit_bin())
        .args(["invoke", "keycloak-host", "--event"])
        .arg(events_dir().join("keycloak-realm-discovery.json"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("alowed_paths"), "{stderr}");
}

#[test]
fn keycloak_host_without_config_says_what_is_missing() {
    let output = Command::new(edgekit_bin())
        .args(["invoke", "keycloak-host", "--event"])
        .arg(events_dir().join("keycloak-realm-discovery.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("public_hosts")
    );
}

#[test]
fn every_event_fixture_round_trips_without_loss() {
    for fixture in edgekit_tests::fixtures::edge_events() {
        let text = std::fs::read_to_string(&fixture).unwrap();
        let original: Value = serde_json::from_str(&text).unwrap();
        let event: edge::CloudFrontEvent = serde_json::from_str(&text).unwrap();
        let back = serde_json::to_value(&event).unwrap();
        assert_eq!(back, original, "{} did not round-trip", fixture.display());
    }
}

#[test]
fn unknown_fields_survive_the_round_trip() {
    let text = std::fs::read_to_string(events_dir().join("aws-origin-request.json")).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["Records"][0]["cf"]["request"]["futureField"] = json!({"a": [1, 2]});
    value["Records"][0]["cf"]["config"]["newSetting"] = json!(true);
    value["Records"][0]["cf"]["request"]["origin"]["custom"]["originAccessControl"] = json!("x");
    let event: edge::CloudFrontEvent = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(serde_json::to_value(&event).unwrap(), value);
}
