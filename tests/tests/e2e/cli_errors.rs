//! What a user reads when `edgekit` fails: AWS error codes from a real moto_server, an
//! endpoint nobody listens on, no credentials at all, and closed pipes. Each failure must be
//! short, name its fix and show no Rust `Debug` syntax.
//!
//! The SDK never gets a non-loopback address: every run has a loopback `--endpoint-url`, an
//! empty HOME and AWS config files, no `AWS_*` credentials unless given, and instance
//! metadata disabled.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Stdio};

use edgekit_tests::moto::Moto;
use edgekit_tests::{edgekit_bin, free_port};

const FUNCTION_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:1";

/// What one run printed.
struct Run {
    code: i32,
    stderr: String,
}

/// An isolated environment: nothing from the user's AWS setup reaches the CLI.
fn isolated(home: &Path, endpoint: &str, credentials: bool) -> Command {
    let empty = home.join("empty");
    std::fs::write(&empty, "").unwrap();
    let mut command = Command::new(edgekit_bin());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("NO_COLOR", "1");
    if credentials {
        command
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    }
    command
}

fn run(mut command: Command, args: &[&str]) -> Run {
    let out = command.args(args).output().expect("run edgekit");
    Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Exit status 1, at most 8 lines on stderr, every needle there, and no `Debug` syntax.
fn assert_readable(run: &Run, needles: &[&str]) {
    let text = &run.stderr;
    assert_eq!(run.code, 1, "exit status\n{text}");
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    assert!(lines <= 8, "{lines} lines:\n{text}");
    // miette wraps at 80 columns: compare without whitespace and without its gutter.
    let squeeze = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect()
    };
    let flat = squeeze(text);
    for needle in needles {
        assert!(
            flat.contains(&squeeze(needle)),
            "`{needle}` missing from:\n{text}"
        );
    }
    for debug in [
        "Some(",
        "{ source:",
        "ServiceError(",
        "DispatchFailure(",
        "panicked",
    ] {
        assert!(!text.contains(debug), "`{debug}` in:\n{text}");
    }
}

/// A loopback port nobody listens on.
fn closed_endpoint() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

#[test]
fn aws_error_codes_from_moto_read_like_the_aws_cli_with_their_fix() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let env = || isolated(home.path(), &moto.endpoint(), true);

    let attach = run(
        env(),
        &[
            "attach",
            "--distribution",
            "E0NOPE",
            "--function-arn",
            FUNCTION_ARN,
        ],
    );
    assert_readable(
        &attach,
        &[
            "GetDistributionConfig E0NOPE: NoSuchDistribution: The specified distribution does not exist.",
            "aws cloudfront list-distributions",
        ],
    );
    assert!(!attach.stderr.contains("request id"), "{}", attach.stderr);

    // `wait` on an unknown id is a NoSuchDistribution, not "not deployed yet"; -v adds the
    // request id.
    let wait = run(env(), &["-v", "wait", "--distribution", "E0NOPE"]);
    assert_readable(
        &wait,
        &["NoSuchDistribution", "request id", "list-distributions"],
    );
    assert!(!wait.stderr.contains("not deployed"), "{}", wait.stderr);

    // -vv: the raw answer (status and body) too; longer, but still no Debug syntax.
    let raw = run(
        env(),
        &[
            "-vv",
            "attach",
            "--distribution",
            "E0NOPE",
            "--function-arn",
            FUNCTION_ARN,
        ],
    );
    assert!(
        raw.stderr.contains("raw answer: HTTP 404"),
        "{}",
        raw.stderr
    );
    assert!(!raw.stderr.contains("ServiceError("), "{}", raw.stderr);

    // Another code moto returns: AddPermission on a function that does not exist.
    let targets = home.path().join("targets.json");
    std::fs::write(
        &targets,
        r#"{"targets":[{"name":"r","url":"https://example.com/"}]}"#,
    )
    .unwrap();
    let install = run(
        env(),
        &[
            "canary",
            "install",
            "--function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:no-such-canary",
            "--targets",
            targets.to_str().unwrap(),
        ],
    );
    assert_readable(
        &install,
        &[
            "lambda:AddPermission: ResourceNotFoundException",
            "does not exist",
        ],
    );
}

#[test]
fn an_unreachable_endpoint_is_named_in_every_command_including_wait() {
    let home = tempfile::tempdir().unwrap();
    let endpoint = closed_endpoint();
    let zip = home.path().join("fn.zip");
    std::fs::write(&zip, b"not really a zip: the call fails before it is sent").unwrap();
    let cases: [&[&str]; 3] = [
        &["wait", "--distribution", "E0NOPE", "--timeout", "30"],
        &[
            "attach",
            "--distribution",
            "E0NOPE",
            "--function-arn",
            FUNCTION_ARN,
        ],
        &["publish", "forwarded-proto", "--zip", zip.to_str().unwrap()],
    ];
    for args in cases {
        let out = run(isolated(home.path(), &endpoint, true), args);
        let reach = format!("cannot reach {endpoint}: connection refused");
        assert_readable(&out, &[&reach, "--endpoint-url"]);
        assert!(!out.stderr.contains("not deployed"), "{}", out.stderr);
    }
}

#[test]
fn no_credentials_is_one_short_diagnostic_with_the_fixes() {
    // The SDK resolves credentials before it dispatches, so the closed endpoint is never
    // tried: the credentials are what is reported.
    let home = tempfile::tempdir().unwrap();
    let endpoint = closed_endpoint();
    let zip = home.path().join("fn.zip");
    std::fs::write(&zip, b"zip").unwrap();
    for args in [
        &["publish", "forwarded-proto", "--zip", zip.to_str().unwrap()][..],
        &["wait", "--distribution", "E0NOPE"][..],
    ] {
        let out = run(isolated(home.path(), &endpoint, false), args);
        assert_readable(
            &out,
            &[
                "no AWS credentials found (tried AWS_ACCESS_KEY_ID",
                "AWS_PROFILE",
                "aws sso login",
                "--endpoint-url",
            ],
        );
        assert!(!out.stderr.contains("cannot reach"), "{}", out.stderr);
    }
}

#[test]
fn a_closed_stdout_or_stderr_ends_the_command_quietly() {
    let home = tempfile::tempdir().unwrap();
    // stdout's reader is gone before the CLI writes: `edgekit iam-policy | head -c0`.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(edgekit_bin())
        .arg("iam-policy")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");

    // stderr closed while the CLI reports a failure: its own exit status, no panic (101).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = isolated(home.path(), &closed_endpoint(), true)
        .args([
            "attach",
            "--distribution",
            "E0NOPE",
            "--function-arn",
            FUNCTION_ARN,
        ])
        .stdout(Stdio::null())
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
}
