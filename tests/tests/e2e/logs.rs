//! `edgekit logs` and `edgekit logs retention` against one moto_server per test holding log
//! groups in three regions (moto's CloudWatch Logs speaks the JSON protocol the SDK uses):
//! events of three regions merged in time order, `--since`/`--until`/`--filter`, pagination
//! with a small page, a region moto refuses (an unknown region name: moto answers 500),
//! `--follow` picking up new and late events exactly once, `--failures`, CloudFront
//! Functions' group in us-east-1, and retention created and updated without duplicates
//! (`--dry-run` writes nothing: moto's recorder shows no write call).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use edgekit_tests::aws_cli::edgekit;
use edgekit_tests::edgekit_bin;
use edgekit_tests::moto::Moto;

const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];
const REGIONS_ARG: &str = "us-east-1,eu-west-1,ap-southeast-2";
const FP_GROUP: &str = "/aws/lambda/us-east-1.edgekit-forwarded-proto";
const REQUEST_ID: &str = "3f1c2d4e-aaaa-bbbb-cccc-0123456789ab";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn logs_client(moto: &Moto, region: &str) -> Client {
    Client::new(&moto.sdk_config(region).await)
}

/// Creates the group (if needed) and a stream, and puts `events` (timestamp, message).
async fn put(moto: &Moto, region: &str, group: &str, stream: &str, events: &[(i64, &str)]) {
    let client = logs_client(moto, region).await;
    let _ = client.create_log_group().log_group_name(group).send().await;
    let _ = client
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await;
    let mut request = client
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream);
    for (timestamp, message) in events {
        request = request.log_events(
            InputLogEvent::builder()
                .timestamp(*timestamp)
                .message(*message)
                .build()
                .unwrap(),
        );
    }
    request.send().await.unwrap();
}

fn run(moto: &Moto, args: &[&str]) -> edgekit_tests::aws_cli::CliRun {
    tokio::task::block_in_place(|| edgekit(moto, args))
}

/// JSON lines on stdout.
fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn messages(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["message"].as_str().unwrap().to_owned())
        .collect()
}

/// The CloudWatch Logs operations moto recorded (from the JSON protocol's X-Amz-Target).
fn recorded_operations(moto: &Moto) -> Vec<String> {
    moto.download_recording()
        .iter()
        .filter_map(|entry| {
            let headers = entry["headers"].as_object()?;
            let target = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))?
                .1
                .as_str()?;
            Some(target.rsplit('.').next()?.to_owned())
        })
        .collect()
}

/// Twelve events, one second apart, round-robin over the three regions (two streams in
/// us-east-1), plus one two hours old.
async fn seed_interleaved(moto: &Moto, base: i64) {
    for (i, region) in REGIONS.iter().enumerate() {
        let mine: Vec<(i64, String)> = (0..12)
            .filter(|n| n % 3 == i)
            .map(|n| {
                let text = if n == 4 { "needle found" } else { "hay" };
                (base + n as i64 * 1000, format!("e{n:02} {region} {text}"))
            })
            .collect();
        let events: Vec<(i64, &str)> = mine.iter().map(|(t, m)| (*t, m.as_str())).collect();
        let (first, second) = events.split_at(events.len() / 2);
        put(moto, region, FP_GROUP, "2026/12/02/[1]a", first).await;
        put(moto, region, FP_GROUP, "2026/12/02/[1]b", second).await;
    }
    put(
        moto,
        "us-east-1",
        FP_GROUP,
        "old",
        &[(now_ms() - 2 * 3_600_000, "old us-east-1 event")],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_merge_regions_filter_paginate_and_survive_a_failing_region() {
    let moto = Moto::start();
    let base = now_ms() - 600_000;
    seed_interleaved(&moto, base).await;

    // Three regions merged in time order; --since 1h leaves out the two-hour-old event.
    let run_json = |extra: &[&str]| {
        let mut args = vec![
            "logs",
            "forwarded-proto",
            "--regions",
            REGIONS_ARG,
            "--output",
            "json",
        ];
        args.extend_from_slice(extra);
        run(&moto, &args)
    };
    let all = run_json(&["--since", "1h"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let lines = json_lines(&all.stdout);
    let got = messages(&lines);
    let want: Vec<String> = (0..12)
        .map(|n| {
            let region = REGIONS[n % 3];
            let text = if n == 4 { "needle found" } else { "hay" };
            format!("e{n:02} {region} {text}")
        })
        .collect();
    assert_eq!(got, want, "{}", all.stderr);
    assert_eq!(lines[1]["region"], "eu-west-1");
    assert_eq!(lines[1]["log_group"], FP_GROUP);
    assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
    assert!(
        all.stderr.contains("12 event(s) from 3 of 4 log group(s)"),
        "{}",
        all.stderr
    );

    // --since 3h takes the old event too, first.
    let wide = run_json(&["--since", "3h"]);
    assert_eq!(
        messages(&json_lines(&wide.stdout))[0],
        "old us-east-1 event"
    );

    // --filter: the service's filter pattern.
    let needle = run_json(&["--since", "1h", "--filter", "needle"]);
    assert_eq!(
        messages(&json_lines(&needle.stdout)),
        ["e04 eu-west-1 needle found"]
    );

    // --since/--until as ISO times: events 3..=5 only.
    let iso = |ms: i64| {
        let secs = ms / 1000;
        let out = Command::new("date")
            .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let (from, to) = (iso(base + 3000), iso(base + 5999));
    let window = run_json(&["--since", &from, "--until", &to]);
    let got = messages(&json_lines(&window.stdout));
    assert_eq!(got.len(), 3, "{got:?} {}", window.stderr);
    assert!(
        got[0].starts_with("e03") && got[2].starts_with("e05"),
        "{got:?}"
    );

    // Pagination: two events a page gives the same twelve, over more calls.
    moto.start_recording();
    let paged = run_json(&["--since", "1h", "--page-size", "2"]);
    assert_eq!(messages(&json_lines(&paged.stdout)), want);
    let calls = recorded_operations(&moto)
        .iter()
        .filter(|op| *op == "FilterLogEvents")
        .count();
    // 4 events a region in 2-event pages: 2 calls in each of 3 regions (moto gives no token
    // after the page that ends the list), and one for the absent CloudFront Functions group.
    assert_eq!(calls, 3 * 2 + 1, "FilterLogEvents calls");

    // A region moto refuses (unknown name: HTTP 500) is reported; the others still print.
    let broken = run(
        &moto,
        &[
            "logs",
            "forwarded-proto",
            "--since",
            "1h",
            "--regions",
            "us-east-1,eu-west-1,ap-southeast-2,xx-nowhere-1",
            "--output",
            "json",
        ],
    );
    assert_eq!(broken.code, 0, "{}", broken.stderr);
    assert_eq!(messages(&json_lines(&broken.stdout)), want);
    assert!(
        broken.stderr.contains("warning: xx-nowhere-1"),
        "{}",
        broken.stderr
    );

    // Only failing regions: an error, with the first failure.
    let dead = run(
        &moto,
        &[
            "logs",
            "forwarded-proto",
            "--regions",
            "xx-nowhere-1",
            "--runtime",
            "lambda-edge",
        ],
    );
    assert_eq!(dead.code, 1, "{}", dead.stderr);
    assert!(
        dead.stderr.contains("every region failed"),
        "{}",
        dead.stderr
    );

    // No group anywhere: an error that says where it looked.
    let none = run(
        &moto,
        &["logs", "no-such-function", "--regions", REGIONS_ARG],
    );
    assert_eq!(none.code, 1);
    assert!(
        none.stderr.contains("no log group for `no-such-function`"),
        "{}",
        none.stderr
    );

    // Text: `time region request-id message`.
    let text = run(
        &moto,
        &[
            "logs",
            "forwarded-proto",
            "--regions",
            REGIONS_ARG,
            "--filter",
            "needle",
        ],
    );
    assert_eq!(text.code, 0, "{}", text.stderr);
    let line = text.stdout.lines().next().unwrap();
    let fields: Vec<&str> = line.splitn(4, ' ').collect();
    assert_eq!(
        fields[1..],
        ["eu-west-1", "-", "e04 eu-west-1 needle found"],
        "{line}"
    );
    assert_eq!(fields[0].len(), "2026-12-02T08:00:00.000Z".len(), "{line}");
}

/// `--regions all` (the default) reads every region the account has enabled
/// (DescribeRegions), not only the regional edge cache list: ca-central-1 is not on that
/// list, and its event is found; `--regions edge-caches` does not look there.
#[tokio::test(flavor = "multi_thread")]
async fn all_means_every_enabled_region() {
    let moto = Moto::start();
    let now = now_ms();
    put(
        &moto,
        "ca-central-1",
        FP_GROUP,
        "s",
        &[(now - 1000, "from ca-central-1")],
    )
    .await;
    put(
        &moto,
        "eu-west-1",
        FP_GROUP,
        "s",
        &[(now - 500, "from eu-west-1")],
    )
    .await;
    let all = run(&moto, &["logs", "forwarded-proto", "--output", "json"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert_eq!(
        messages(&json_lines(&all.stdout)),
        vec!["from ca-central-1", "from eu-west-1"]
    );
    let edge = run(
        &moto,
        &[
            "logs",
            "forwarded-proto",
            "--regions",
            "edge-caches",
            "--output",
            "json",
        ],
    );
    assert_eq!(edge.code, 0, "{}", edge.stderr);
    assert_eq!(messages(&json_lines(&edge.stdout)), vec!["from eu-west-1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_group_by_reason_and_cloudfront_functions_are_read_in_us_east_1() {
    let moto = Moto::start();
    let t = now_ms() - 300_000;
    let node = |reason: &str| {
        format!(
            "2026-12-02T08:00:00.000Z\t{REQUEST_ID}\tERROR\tedgekit forwarded-proto: answering 500: {reason}\n"
        )
    };
    let (trap, bad) = (
        node("RuntimeError: unreachable"),
        node("event does not match the Lambda@Edge event model at Records[0].cf"),
    );
    put(
        &moto,
        "us-east-1",
        FP_GROUP,
        "s",
        &[
            (t, &trap),
            (t + 1, "START RequestId: x Version: 1"),
            (t + 2, &bad),
        ],
    )
    .await;
    put(
        &moto,
        "eu-west-1",
        FP_GROUP,
        "s",
        &[
            (t + 3, &trap),
            (
                t + 4,
                "edgekit forwarded-proto: init failed: config refused: allowed_hosts",
            ),
            // The stable form proposed in docs/logs.md, with the CloudFront request id.
            (
                t + 5,
                "edgekit failure function=forwarded-proto cf_request_id=CFid_1== kind=answering-500 reason=\"host not allowed\"",
            ),
        ],
    )
    .await;

    let report = run(
        &moto,
        &[
            "logs",
            "forwarded-proto",
            "--failures",
            "--regions",
            "us-east-1,eu-west-1",
            "--output",
            "json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&report.stdout)
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", report.stdout, report.stderr));
    let failures = json["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 4, "{json:#}");
    let stable = failures
        .iter()
        .find(|f| f["reason"] == "host not allowed")
        .unwrap();
    assert_eq!(stable["request_ids"], serde_json::json!(["CFid_1=="]));
    assert_eq!(failures[0]["reason"], "RuntimeError: unreachable");
    assert_eq!(failures[0]["count"], 2);
    assert_eq!(
        failures[0]["regions"],
        serde_json::json!(["eu-west-1", "us-east-1"])
    );
    assert_eq!(failures[0]["request_ids"][0], REQUEST_ID);
    assert!(failures.iter().any(|f| f["kind"] == "init-failed"));
    let text = run(
        &moto,
        &[
            "logs",
            "forwarded-proto",
            "--failures",
            "--regions",
            "us-east-1,eu-west-1",
        ],
    );
    assert!(
        text.stdout.lines().nth(1).unwrap().starts_with(
            "2 forwarded-proto answering-500 RuntimeError: unreachable (eu-west-1,us-east-1;"
        ),
        "{}",
        text.stdout
    );

    // A CloudFront Function: its one group in us-east-1, found by name (detected) or ARN.
    let cff_group = "/aws/cloudfront/function/rewrite-host";
    put(
        &moto,
        "us-east-1",
        cff_group,
        "E2ABC123XYZ",
        &[(t, "rewrote /a"), (t + 5, "rewrote /b")],
    )
    .await;
    let detected = run(
        &moto,
        &[
            "logs",
            "rewrite-host",
            "--regions",
            "eu-west-1",
            "--output",
            "json",
        ],
    );
    assert_eq!(detected.code, 0, "{}", detected.stderr);
    let lines = json_lines(&detected.stdout);
    assert_eq!(messages(&lines), ["rewrote /a", "rewrote /b"]);
    assert_eq!(lines[0]["region"], "us-east-1");
    assert_eq!(lines[0]["log_group"], cff_group);
    let by_arn = run(
        &moto,
        &[
            "logs",
            "arn:aws:cloudfront::123456789012:function/rewrite-host",
            "--regions",
            "eu-west-1",
            "--output",
            "json",
        ],
    );
    assert_eq!(json_lines(&by_arn.stdout).len(), 2, "{}", by_arn.stderr);
    let explicit = run(
        &moto,
        &[
            "logs",
            "rewrite-host",
            "--runtime",
            "cloudfront-js-2.0",
            "--output",
            "json",
        ],
    );
    assert_eq!(json_lines(&explicit.stdout).len(), 2, "{}", explicit.stderr);
    assert!(
        explicit.stderr.contains("from 1 of 1 log group(s)"),
        "{}",
        explicit.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_prints_new_and_late_events_exactly_once() {
    let moto = Moto::start();
    let t = now_ms() - 30_000;
    put(&moto, "us-east-1", FP_GROUP, "a", &[(t, "first us")]).await;
    put(&moto, "eu-west-1", FP_GROUP, "a", &[(t + 10, "first eu")]).await;

    let mut command = Command::new(edgekit_bin());
    command
        .args([
            "logs",
            "forwarded-proto",
            "--regions",
            "us-east-1,eu-west-1",
            "--since",
            "5m",
            "--follow",
            "--follow-for",
            "7",
            "--poll-max",
            "1",
            "--output",
            "json",
        ])
        .env_remove("AWS_PROFILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in moto.env() {
        command.env(key, value);
    }
    let child = command.spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // New events, one at the same millisecond as a printed one in the other region, one
    // late (older than the newest printed, as CloudWatch may deliver), one new stream.
    put(
        &moto,
        "us-east-1",
        FP_GROUP,
        "a",
        &[(t + 10, "same ms us"), (t + 20, "second us")],
    )
    .await;
    put(
        &moto,
        "eu-west-1",
        FP_GROUP,
        "b",
        &[(t + 5, "late eu"), (t + 30, "second eu")],
    )
    .await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let got = messages(&json_lines(&String::from_utf8_lossy(&out.stdout)));
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), got.len(), "printed twice: {got:?}");
    assert_eq!(got.len(), 6, "{got:?}\n{stderr}");
    assert_eq!(got[..2], ["first us", "first eu"]);
    for message in ["same ms us", "second us", "late eu", "second eu"] {
        assert!(
            got.contains(&message.to_owned()),
            "{message} missing: {got:?}"
        );
    }
}

async fn group_retentions(moto: &Moto, region: &str, prefix: &str) -> Vec<(String, Option<i32>)> {
    let client = logs_client(moto, region).await;
    let out = client
        .describe_log_groups()
        .log_group_name_prefix(prefix)
        .send()
        .await
        .unwrap();
    out.log_groups()
        .iter()
        .map(|g| {
            (
                g.log_group_name().unwrap().to_owned(),
                g.retention_in_days(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_is_created_and_updated_once_and_dry_run_writes_nothing() {
    let moto = Moto::start();
    // eu-west-1 already has the group, kept 7 days; the two others have none.
    let eu = logs_client(&moto, "eu-west-1").await;
    eu.create_log_group()
        .log_group_name(FP_GROUP)
        .send()
        .await
        .unwrap();
    eu.put_retention_policy()
        .log_group_name(FP_GROUP)
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    let retention = |days: &str, extra: &[&str]| {
        let mut args = vec![
            "logs",
            "retention",
            "forwarded-proto",
            "--days",
            days,
            "--regions",
            REGIONS_ARG,
            "--output",
            "json",
        ];
        args.extend_from_slice(extra);
        run(&moto, &args)
    };

    moto.start_recording();
    let dry = retention("30", &["--dry-run"]);
    let plan = dry.json();
    let writes: Vec<String> = recorded_operations(&moto)
        .into_iter()
        .filter(|op| op != "DescribeLogGroups")
        .collect();
    assert!(writes.is_empty(), "--dry-run called {writes:?}");
    let actions: Vec<&str> = plan["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "create"], "{plan:#}");
    assert_eq!(plan["regions"][1]["from"], 7);
    assert_eq!(group_retentions(&moto, "us-east-1", FP_GROUP).await, []);
    assert_eq!(
        group_retentions(&moto, "eu-west-1", FP_GROUP).await,
        [(FP_GROUP.to_owned(), Some(7))]
    );

    let applied = retention("30", &[]).json();
    assert!(
        applied["regions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["applied"] == true),
        "{applied:#}"
    );
    for region in REGIONS {
        assert_eq!(
            group_retentions(&moto, region, FP_GROUP).await,
            [(FP_GROUP.to_owned(), Some(30))],
            "{region}"
        );
    }

    // Again: nothing to do, nothing written, still one group per region.
    moto.start_recording();
    let again = retention("30", &[]).json();
    assert!(
        again["regions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] == "unchanged"),
        "{again:#}"
    );
    let writes: Vec<String> = recorded_operations(&moto)
        .into_iter()
        .filter(|op| op != "DescribeLogGroups")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");

    // Updated in place.
    let text = retention("14", &[]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    for region in REGIONS {
        assert_eq!(
            group_retentions(&moto, region, FP_GROUP).await,
            [(FP_GROUP.to_owned(), Some(14))],
            "{region}"
        );
    }
    let text = run(
        &moto,
        &[
            "logs",
            "retention",
            "forwarded-proto",
            "--days",
            "14",
            "--regions",
            "eu-west-1",
        ],
    );
    assert_eq!(
        text.stdout,
        format!("eu-west-1 {FP_GROUP} unchanged, retention 14 days\n")
    );

    // A CloudFront Function: only its us-east-1 group.
    let cff = run(
        &moto,
        &[
            "logs",
            "retention",
            "rewrite-host",
            "--runtime",
            "cloudfront-js-2.0",
            "--days",
            "7",
            "--regions",
            REGIONS_ARG,
        ],
    );
    assert_eq!(
        cff.stdout, "us-east-1 /aws/cloudfront/function/rewrite-host create, retention 7 days\n",
        "{}",
        cff.stderr
    );
    assert_eq!(
        group_retentions(&moto, "us-east-1", "/aws/cloudfront/function/").await,
        [("/aws/cloudfront/function/rewrite-host".to_owned(), Some(7))]
    );

    // Days CloudWatch Logs does not accept are refused before any call.
    let bad = run(
        &moto,
        &["logs", "retention", "forwarded-proto", "--days", "31"],
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("CloudWatch Logs accepts only 1, 3, 5"),
        "{}",
        bad.stderr
    );
}

#[test]
fn iam_policy_grants_the_log_actions_on_the_function_groups_only() {
    let moto_free = Command::new(edgekit_bin())
        .args(["iam-policy"])
        .output()
        .unwrap();
    let policy: serde_json::Value = serde_json::from_slice(&moto_free.stdout).unwrap();
    let statement = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "EdgeFunctionLogs")
        .expect("EdgeFunctionLogs statement");
    assert_eq!(
        statement["Resource"],
        serde_json::json!([
            "arn:aws:logs:*:*:log-group:/aws/lambda/us-east-1.edgekit-*",
            "arn:aws:logs:us-east-1:*:log-group:/aws/cloudfront/function/edgekit-*"
        ])
    );
    for action in [
        "logs:FilterLogEvents",
        "logs:DescribeLogGroups",
        "logs:CreateLogGroup",
        "logs:PutRetentionPolicy",
    ] {
        assert!(
            statement["Action"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == action),
            "{action}"
        );
    }
}
