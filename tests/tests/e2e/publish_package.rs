//! `edgekit publish` end to end from a real package (Rust → wasm inside the Node.js zip)
//! against moto: the uploaded code is exactly `edgekit package`'s zip, a second publish of
//! the same code makes no new version, and a changed config does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use edgekit_tests::aws_cli::edgekit;
use edgekit_tests::moto::Moto;
use edgekit_tests::{edgekit_bin, events_dir};

fn local_package_sha(config: &std::path::Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("forwarded-proto.zip");
    let output = Command::new(edgekit_bin())
        .args(["package", "forwarded-proto", "--config"])
        .arg(config)
        .arg("--out")
        .arg(&zip)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    edgekit::packaging::code_sha256(&std::fs::read(&zip).unwrap())
}

/// `edgekit publish forwarded-proto --config CONFIG --output json` against moto.
fn publish(moto: &Moto, config: &str) -> serde_json::Value {
    edgekit(
        moto,
        &[
            "publish",
            "forwarded-proto",
            "--config",
            config,
            "--output",
            "json",
        ],
    )
    .json()
}

#[test]
fn publish_from_package_uploads_the_package_and_skips_unchanged_code() {
    let moto = Moto::start();
    let config = events_dir().join("config-forwarded-proto.json");
    let config_arg = config.to_str().unwrap();

    let first = publish(&moto, config_arg);
    assert_eq!(first["published"], true, "{first}");
    assert_eq!(first["version"], 1);
    assert_eq!(
        first["code_sha256"],
        local_package_sha(&config),
        "the uploaded zip is the package"
    );

    let again = publish(&moto, config_arg);
    assert_eq!(again["published"], false, "{again}");
    assert_eq!(again["version"], 1);

    // Another config is other code: Lambda@Edge has no environment variables, so the config
    // is baked into the package.
    let dir = tempfile::tempdir().unwrap();
    let relaxed = dir.path().join("relaxed.json");
    std::fs::write(&relaxed, r#"{"require_https": false}"#).unwrap();
    let changed = publish(&moto, relaxed.to_str().unwrap());
    assert_eq!(changed["published"], true, "{changed}");
    assert_eq!(changed["version"], 2);
}

#[test]
fn publish_refuses_an_invalid_config_before_any_call() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"proto_header": "X-Forwarded-Proto"}"#).unwrap();
    moto.start_recording();
    let run = edgekit(
        &moto,
        &[
            "publish",
            "forwarded-proto",
            "--config",
            bad.to_str().unwrap(),
        ],
    );
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("proto_header"), "{}", run.stderr);
    let writes: Vec<_> = moto
        .download_recording()
        .into_iter()
        .filter(|call| call["method"] != "GET")
        .collect();
    assert!(
        writes.is_empty(),
        "no AWS write before the config is valid: {writes:?}"
    );
}
