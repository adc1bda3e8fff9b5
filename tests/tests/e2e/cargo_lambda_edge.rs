//! The native edge functions under `cargo lambda watch`, invoked with
//! `cargo lambda invoke --data-file events/…`: the same bytes as `edgekit invoke --compact`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use edgekit_tests::{
    ChildGuard, edgekit_bin, events_dir, free_port, venv_bin, wait_for_port, workspace_root,
};

/// `cargo lambda watch` on a free port, serving every binary of the workspace.
fn watch(config: Option<&Path>) -> (ChildGuard, u16) {
    let port = free_port();
    let mut command = Command::new(venv_bin("cargo-lambda"));
    command
        .args([
            "lambda",
            "watch",
            "--ignore-changes",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .current_dir(workspace_root())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(config) = config {
        command
            .arg("--env-var")
            .arg(format!("EDGEKIT_CONFIG={}", config.display()));
    }
    let guard = ChildGuard::spawn_group("cargo lambda watch", &mut command);
    assert!(
        wait_for_port(port, Duration::from_secs(120)),
        "cargo lambda watch did not listen"
    );
    (guard, port)
}

fn lambda_invoke(function: &str, port: u16, fixture: &str) -> String {
    let output = Command::new(venv_bin("cargo-lambda"))
        .args([
            "lambda",
            "invoke",
            function,
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "--data-file",
        ])
        .arg(events_dir().join(fixture))
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo lambda invoke {function} {fixture} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn edgekit_invoke(function: &str, fixture: &str, config: Option<&Path>) -> String {
    let mut command = Command::new(edgekit_bin());
    command
        .args(["invoke", function, "--compact", "--no-validate", "--event"])
        .arg(events_dir().join(fixture));
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn forwarded_proto_under_cargo_lambda_matches_edgekit_invoke() {
    let (_watch, port) = watch(None);
    for fixture in [
        "origin-request-cloudfront-mode.json",
        "origin-request-development-http.json",
        "spoof-x-forwarded-host.json",
        "origin-request-missing-cloudfront-forwarded-proto.json",
    ] {
        let native = lambda_invoke("forwarded-proto", port, fixture);
        assert_eq!(
            native,
            edgekit_invoke("forwarded-proto", fixture, None),
            "{fixture}"
        );
    }
}

#[test]
fn keycloak_host_under_cargo_lambda_matches_edgekit_invoke() {
    let config = events_dir().join("config-keycloak-host.json");
    let (_watch, port) = watch(Some(&config));
    for fixture in [
        "keycloak-realm-discovery.json",
        "keycloak-admin-path.json",
        "keycloak-encoded-traversal.json",
    ] {
        let native = lambda_invoke("keycloak-host", port, fixture);
        assert_eq!(
            native,
            edgekit_invoke("keycloak-host", fixture, Some(&config)),
            "{fixture}"
        );
    }
}
