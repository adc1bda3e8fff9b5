//! The canary Lambda under `cargo lambda watch`, invoked with the `events/canary-*.json`
//! fixtures through `cargo lambda invoke --data-file` (as the README tells users to do):
//! a direct payload, a scheduled event carrying targets in `detail`, and a plain scheduled
//! event whose targets come from `EDGEKIT_CANARY_CONFIG`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;
use std::time::Duration;

use alb_canary::{Class, Summary};
use edgekit_tests::canary_origins::{Origin, cargo_lambda, ok_response, write_targets};
use edgekit_tests::{ChildGuard, events_dir, free_port, wait_for_port};

fn invoke(port: u16, fixture: &str) -> Summary {
    let output = cargo_lambda()
        .args([
            "lambda",
            "invoke",
            "alb-canary",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .arg("--data-file")
        .arg(events_dir().join(fixture))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo lambda invoke alb-canary {fixture} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "{fixture}: not a summary ({err}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn cargo_lambda_watch_runs_the_canary_on_the_fixtures() {
    let healthy = Origin::canned(vec![ok_response(
        "Set-Cookie: sid=1; Path=/; Secure; HttpOnly\r\n",
        "application/json",
        r#"{"status":"healthy"}"#,
    )]);
    let dir = tempfile::tempdir().unwrap();
    let targets = write_targets(
        dir.path(),
        &format!(
            r#"{{"targets":[{{"name":"app","url":"{}","json_expect":{{"status":"healthy"}},"checks":["secure-cookie"]}}]}}"#,
            healthy.url("/health")
        ),
    );
    let port = free_port();
    let mut command = cargo_lambda();
    command
        .args([
            "lambda",
            "watch",
            "--ignore-changes",
            "-p",
            "alb-canary",
            "-A",
            "127.0.0.1",
        ])
        .args(["-P", &port.to_string()])
        .arg("--env-var")
        .arg(format!("EDGEKIT_CANARY_CONFIG={}", targets.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _watch = ChildGuard::spawn_group("cargo lambda watch", &mut command);
    assert!(
        wait_for_port(port, Duration::from_secs(120)),
        "cargo lambda watch did not listen"
    );

    // Direct payload (what `canary install` puts in the EventBridge target input): the
    // target is down, which is data in the summary, not a Lambda error.
    let direct = invoke(port, "canary-direct.json");
    assert_eq!((direct.total, direct.failed), (1, 1));
    assert_eq!(direct.results[0].name, "registry");
    assert_eq!(direct.results[0].class, Class::Connect);

    // A scheduled event whose detail carries the targets (probing the origin with a Host).
    let detail = invoke(port, "canary-scheduled-detail.json");
    assert_eq!(detail.results[0].name, "registry-origin");
    assert_eq!(detail.results[0].path, alb_canary::ProbePath::Origin);

    // A plain scheduled event: the targets come from EDGEKIT_CANARY_CONFIG.
    let scheduled = invoke(port, "canary-scheduled.json");
    assert_eq!((scheduled.total, scheduled.failed), (1, 0), "{scheduled:?}");
    assert_eq!(scheduled.results[0].class, Class::Ok);
    assert_eq!(scheduled.results[0].status, Some(200));
}
