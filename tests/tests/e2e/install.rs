//! One installable `edgekit`: `cargo install --path infra-cli --locked` into a temporary
//! root gives a binary that packages both edge functions from an empty directory with no
//! `cargo` on `PATH` (the modules are embedded), byte-identical to `edgekit package
//! --from-source <workspace>` (same CodeSha256), publishes that package to moto, and whose
//! `--version` names the commit and the embedded modules' sha256.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use edgekit_tests::moto::Moto;
use edgekit_tests::{edgekit_bin, target_dir, workspace_root};

const FUNCTIONS: [&str; 2] = ["forwarded-proto", "keycloak-host"];

fn assert_ok(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `cargo install --debug` into `root`, in the shared target directory so it reuses the
/// workspace's debug build instead of compiling everything again.
fn install(root: &Path) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["install", "--path", "infra-cli", "--locked", "--debug"])
        .arg("--root")
        .arg(root)
        .env("CARGO_TARGET_DIR", target_dir())
        .current_dir(workspace_root());
    // What cargo set for this test process (CARGO_PKG_NAME, OUT_DIR, …): build scripts such
    // as ring's track these, so inheriting them would make the install rebuild what a
    // `cargo build` from a shell built, and the next `cargo build` rebuild it back.
    for (var, _) in std::env::vars_os() {
        let name = var.to_string_lossy();
        let set_by_cargo = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
            || ["OUT_DIR", "CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR"].contains(&&*name);
        if set_by_cargo {
            command.env_remove(&var);
        }
    }
    let started = Instant::now();
    let output = command.output().unwrap();
    assert_ok("cargo install", &output);
    eprintln!("cargo install --debug took {:.1?}", started.elapsed());
    let bin = root.join("bin").join("edgekit");
    assert!(bin.is_file(), "{} was not installed", bin.display());
    bin
}

/// `PATH` without any directory holding `cargo` (or `rustc`): the installed binary must
/// need no toolchain.
fn path_without_cargo() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|dir| !dir.join("cargo").exists() && !dir.join("rustc").exists())
        .collect();
    std::env::join_paths(kept).unwrap()
}

/// `edgekit package <function> --config <fixture> --output json [extra]`; returns the zip and
/// the reported CodeSha256.
fn package(mut command: Command, function: &str, out: &Path, extra: &[&Path]) -> (Vec<u8>, String) {
    let config = workspace_root()
        .join("events")
        .join(format!("config-{function}.json"));
    let output = command
        .args(["package", function, "--output", "json", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert_ok(&format!("edgekit package {function}"), &output);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let sha = report["code_sha256"].as_str().unwrap().to_owned();
    (std::fs::read(out).unwrap(), sha)
}

/// The installed binary, run from `cwd` with no toolchain in reach.
fn installed(bin: &Path, cwd: &Path) -> Command {
    let mut command = Command::new(bin);
    command
        .current_dir(cwd)
        .env("PATH", path_without_cargo())
        .env_remove("CARGO")
        .env_remove("EDGEKIT_WORKSPACE");
    command
}

/// Packages both functions with the installed binary from `empty`; returns their CodeSha256.
fn assert_packages_match_from_source(bin: &Path, empty: &Path, scratch: &Path) -> Vec<String> {
    let root = workspace_root();
    let from_source = [Path::new("--from-source"), root.as_path()];
    let mut shas = Vec::new();
    for function in FUNCTIONS {
        let embedded = installed(bin, empty);
        let (zip, sha) = package(embedded, function, &scratch.join("embedded.zip"), &[]);
        let source = Command::new(edgekit_bin());
        let (reference, reference_sha) =
            package(source, function, &scratch.join("source.zip"), &from_source);
        assert_eq!(sha, reference_sha, "{function}: CodeSha256 differs");
        assert!(zip == reference, "{function}: the zips differ");
        shas.push(sha);
    }
    assert_eq!(
        std::fs::read_dir(empty).unwrap().count(),
        0,
        "packaging wrote into the working directory"
    );
    shas
}

/// The installed binary publishes the embedded package to moto.
fn assert_publishes(bin: &Path, empty: &Path, sha: &str) {
    let moto = Moto::start();
    let config = workspace_root().join("events/config-forwarded-proto.json");
    let mut command = installed(bin, empty);
    command
        .args(["publish", "forwarded-proto", "--output", "json", "--config"])
        .arg(config)
        .env_remove("AWS_PROFILE");
    for (key, value) in moto.env() {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    assert_ok("edgekit publish", &output);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["published"], true, "{report}");
    assert_eq!(report["code_sha256"], sha, "{report}");
}

/// `--version`: the commit and one sha256 line per embedded module.
fn assert_version_names_the_modules(bin: &Path, empty: &Path) {
    let output = installed(bin, empty).arg("--version").output().unwrap();
    assert_ok("edgekit --version", &output);
    let version = String::from_utf8_lossy(&output.stdout);
    assert!(version.contains("(commit "), "{version}");
    for function in FUNCTIONS {
        let line = version
            .lines()
            .find(|line| line.starts_with(&format!("{function}.wasm sha256 ")))
            .unwrap_or_else(|| panic!("no sha256 of {function} in:\n{version}"));
        let digest = line.rsplit(' ').next().unwrap();
        assert!(
            digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit()),
            "{line}"
        );
    }
}

#[test]
fn installed_edgekit_packages_and_publishes_without_a_toolchain() {
    let temp = tempfile::tempdir().unwrap();
    let bin = install(&temp.path().join("root"));
    let empty = temp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let shas = assert_packages_match_from_source(&bin, &empty, temp.path());
    assert_publishes(&bin, &empty, &shas[0]);
    assert_version_names_the_modules(&bin, &empty);
}
