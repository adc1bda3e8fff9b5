//! Helpers for the control-plane tests: run `edgekit` against a moto server, make small
//! Lambda zips, and read moto's request recording.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use crate::moto::Moto;
use crate::{edgekit_bin, venv_bin};

/// What one CLI run printed.
#[derive(Debug)]
pub struct CliRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CliRun {
    /// Stdout parsed as JSON (for `--output json` runs); fails with both streams.
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(
            self.code, 0,
            "edgekit failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| {
            panic!(
                "stdout is not JSON ({err}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `edgekit <args>` with moto's endpoint and dummy credentials in the environment.
pub fn edgekit(moto: &Moto, args: &[&str]) -> CliRun {
    let mut command = Command::new(edgekit_bin());
    command
        .args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("EDGEKIT_ORIGIN_VERIFY_SECRET");
    for (key, value) in moto.env() {
        command.env(key, value);
    }
    let out = command.output().expect("run edgekit");
    CliRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes a zip holding one `index.mjs` with `body` (made by the venv's Python `zipfile`).
pub fn write_handler_zip(path: &Path, body: &str) {
    let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr('index.mjs', sys.argv[2])\n";
    let status = Command::new(venv_bin("python3"))
        .args(["-c", script])
        .arg(path)
        .arg(body)
        .status()
        .expect("run python3");
    assert!(status.success(), "could not write {}", path.display());
}

/// One recorded request, reduced to what the tests look at.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub url: String,
    pub if_match: Option<String>,
    pub body: String,
}

impl Recorded {
    /// True for calls that change state (anything but GET/HEAD).
    pub fn is_write(&self) -> bool {
        self.method != "GET" && self.method != "HEAD"
    }
}

/// Stops moto's recorder and returns the requests it saw, bodies decoded.
pub fn recording(moto: &Moto) -> Vec<Recorded> {
    moto.download_recording()
        .into_iter()
        .map(|entry| {
            let headers = entry["headers"].as_object().cloned().unwrap_or_default();
            let if_match = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("if-match"))
                .and_then(|(_, v)| v.as_str().map(str::to_owned));
            let raw = entry["body"].as_str().unwrap_or_default().to_owned();
            let body = if entry["body_encoded"].as_bool().unwrap_or(false) {
                decode_base64(&raw)
            } else {
                raw
            };
            Recorded {
                method: entry["method"].as_str().unwrap_or_default().to_owned(),
                url: entry["url"].as_str().unwrap_or_default().to_owned(),
                if_match,
                body,
            }
        })
        .collect()
}

/// A tiny standard-alphabet base64 decoder (recorder bodies), lossy UTF-8 out.
fn decode_base64(input: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for byte in input.bytes() {
        let Some(value) = ALPHABET.iter().position(|&c| c == byte) else {
            continue;
        };
        bits = (bits << 6) | value as u32;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
