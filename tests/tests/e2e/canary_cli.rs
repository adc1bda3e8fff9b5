//! `edgekit canary run` against real loopback origins (CloudFront/ALB-style 502s, a genuine
//! nginx 502, a healthy app), and `edgekit canary install` against moto: rule, target,
//! permission and alarms created, idempotently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use edgekit_tests::canary_origins::{
    ALB_502, CLOUDFRONT_502, Nginx, Origin, closed_port, ok_response, write_targets,
};
use edgekit_tests::cbor_bridge::{CborBridge, cloudwatch_authorization, cloudwatch_json};
use edgekit_tests::edgekit_bin;
use edgekit_tests::moto::Moto;

fn edgekit(args: &[&str], env: &[(&'static str, String)]) -> Output {
    let mut command = Command::new(edgekit_bin());
    command
        .args(args)
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run edgekit")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn canary_run_classifies_and_sets_the_exit_code() {
    let healthy = Origin::canned(vec![ok_response(
        "",
        "application/json",
        r#"{"status":"healthy"}"#,
    )]);
    let cf = Origin::canned(vec![CLOUDFRONT_502.into()]);
    let alb = Origin::canned(vec![ALB_502.into()]);
    let nginx = Nginx::proxy_to(closed_port());
    let dir = tempfile::tempdir().unwrap();
    let file = write_targets(
        dir.path(),
        &format!(
            r#"{{"targets":[
            {{"name":"app","url":"{}","json_expect":{{"status":"healthy"}},"headers":{{"X-Origin-Verify":"s3cr3t"}}}},
            {{"name":"edge","url":"{}","retries":0}},
            {{"name":"alb","url":"{}","retries":0,"host":"app.example.test"}},
            {{"name":"nginx","url":"{}","retries":0}}]}}"#,
            healthy.url("/health"),
            cf.url("/"),
            alb.url("/"),
            nginx.url("/")
        ),
    );
    let out = edgekit(
        &[
            "--output",
            "json",
            "canary",
            "run",
            "--targets",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "failures give exit code 1: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("s3cr3t"));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let results = json["results"].as_array().unwrap();
    let summary: Vec<(String, String, serde_json::Value, serde_json::Value)> = results
        .iter()
        .map(|r| {
            for key in ["name", "class", "source", "status", "latency_ms", "detail"] {
                assert!(r.get(key).is_some(), "result has {key}: {r}");
            }
            (
                r["name"].as_str().unwrap().to_owned(),
                r["class"].as_str().unwrap().to_owned(),
                r["source"].clone(),
                r["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "app".into(),
                "ok".into(),
                serde_json::json!(null),
                serde_json::json!(200)
            ),
            (
                "edge".into(),
                "http-5xx".into(),
                serde_json::json!("cloudfront"),
                serde_json::json!(502)
            ),
            (
                "alb".into(),
                "http-5xx".into(),
                serde_json::json!("alb"),
                serde_json::json!(502)
            ),
            (
                "nginx".into(),
                "http-5xx".into(),
                serde_json::json!("app"),
                serde_json::json!(502)
            ),
        ]
    );
    assert_eq!(results[2]["path"], "origin");

    // Only the healthy target: exit 0, and a table in text mode.
    let ok_file = dir.path().join("ok.json");
    std::fs::write(
        &ok_file,
        format!(
            r#"{{"targets":[{{"name":"app","url":"{}"}}]}}"#,
            healthy.url("/health")
        ),
    )
    .unwrap();
    let out = edgekit(
        &[
            "canary",
            "run",
            "--targets",
            ok_file.to_str().unwrap(),
            "--emf",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("NAME"), "{stdout}");
    assert!(stdout.lines().nth(1).unwrap().contains("ok"), "{stdout}");
    assert!(
        text(&out.stderr).contains("\"_aws\""),
        "--emf writes EMF lines on stderr"
    );
}

#[test]
fn canary_run_bad_config_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_targets(
        dir.path(),
        r#"{"targets":[{"name":"x","url":"ftp://nope/"}]}"#,
    );
    let out = edgekit(&["canary", "run", "--targets", file.to_str().unwrap()], &[]);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("http"), "{}", text(&out.stderr));
}

/// Creates the canary function in moto (a role, then the function) and returns its ARN.
async fn create_function(moto: &Moto, region: &str) -> String {
    let sdk = moto.sdk_config(region).await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    let role = iam
        .create_role()
        .role_name("alb-canary-role")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let role_arn = role.role.unwrap().arn;
    // An empty zip archive (end-of-central-directory record only): moto stores the code.
    let mut empty_zip = b"PK\x05\x06".to_vec();
    empty_zip.extend_from_slice(&[0u8; 18]);
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let function = lambda
        .create_function()
        .function_name("alb-canary")
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role(role_arn)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(empty_zip))
                .build(),
        )
        .send()
        .await
        .unwrap();
    function.function_arn.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn canary_install_creates_rule_permission_and_alarms_in_moto() {
    let moto = Moto::start();
    let bridge = CborBridge::start(moto.port);
    let mut env = moto.env();
    for (k, v) in env.iter_mut() {
        if *k == "AWS_ENDPOINT_URL" {
            *v = bridge.endpoint();
        }
    }
    let region = "eu-west-1";
    let function_arn = create_function(&moto, region).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_targets(
        dir.path(),
        r#"{"targets":[
            {"name":"registry","url":"https://registry.example.com/health","headers":{"X-Origin-Verify":"s3cr3t"}},
            {"name":"registry","url":"http://internal-alb.example/health","host":"registry.example.com"}]}"#,
    );
    let args = [
        "--output",
        "json",
        "canary",
        "install",
        "--function-arn",
        &function_arn,
        "--targets",
        file.to_str().unwrap(),
        "--distribution",
        "E2EXAMPLE",
        "--alb-arn-suffix",
        "app/registry-alb/50dc6c495c0c9188",
        "--sns-topic-arn",
        "arn:aws:sns:eu-west-1:123456789012:ops",
    ];
    // Dry run: the plan, no changes, no secret.
    let mut dry: Vec<&str> = args.to_vec();
    dry.push("--dry-run");
    let out = tokio::task::block_in_place(|| edgekit(&dry, &env));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("s3cr3t"));
    assert!(text(&out.stdout).contains("edgekit-canary-alb-canary"));

    moto.start_recording();
    let first = tokio::task::block_in_place(|| edgekit(&args, &env));
    assert!(first.status.success(), "{}", text(&first.stderr));
    let first: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(first["permission"], "created");
    let recorded = moto.download_recording();
    assert!(!recorded.is_empty(), "moto recorded the calls");
    let second = tokio::task::block_in_place(|| edgekit(&args, &env));
    assert!(second.status.success(), "{}", text(&second.stderr));
    let second: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(second["permission"], "existing", "install is idempotent");
    assert_eq!(first["alarms"], second["alarms"]);

    // Read back what exists in moto.
    let regional = moto.sdk_config(region).await;
    let events = aws_sdk_eventbridge::Client::new(&regional);
    let rule = events
        .describe_rule()
        .name("edgekit-canary-alb-canary")
        .send()
        .await
        .unwrap();
    assert_eq!(rule.schedule_expression(), Some("rate(1 minute)"));
    assert_eq!(rule.state().map(|s| s.as_str()), Some("ENABLED"));
    let targets = events
        .list_targets_by_rule()
        .rule("edgekit-canary-alb-canary")
        .send()
        .await
        .unwrap();
    let targets = targets.targets();
    assert_eq!(targets.len(), 1, "one target after two installs");
    assert_eq!(targets[0].arn(), function_arn);
    let input: alb_canary::CanaryConfig =
        serde_json::from_str(targets[0].input().unwrap()).unwrap();
    assert_eq!(input.targets.len(), 2);

    let lambda = aws_sdk_lambda::Client::new(&regional);
    let policy = lambda
        .get_policy()
        .function_name(&function_arn)
        .send()
        .await
        .unwrap();
    let policy = policy.policy().unwrap();
    assert!(
        policy.contains("edgekit-canary-alb-canary-invoke"),
        "{policy}"
    );
    assert!(policy.contains("events.amazonaws.com"), "{policy}");
    assert_eq!(
        policy.matches("edgekit-canary-alb-canary-invoke").count(),
        1,
        "one statement after two installs: {policy}"
    );

    let alarms = describe_alarms(&moto, region);
    let names: Vec<&str> = alarms
        .iter()
        .map(|a| a["AlarmName"].as_str().unwrap())
        .collect();
    for expected in [
        "edgekit-canary-alb-canary-registry-edge-502",
        "edgekit-canary-alb-canary-registry-edge-success",
        "edgekit-canary-alb-canary-registry-edge-tls",
        "edgekit-canary-alb-canary-registry-origin-502",
        "edgekit-canary-alb-canary-registry-origin-success",
        "edgekit-canary-alb-canary-alb-elb-502",
        "edgekit-canary-alb-canary-alb-target-5xx",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert_eq!(names.len(), 7, "{names:?}");
    let s502 = alarms
        .iter()
        .find(|a| a["AlarmName"] == "edgekit-canary-alb-canary-registry-edge-502")
        .unwrap();
    assert_eq!(s502["Namespace"], "Edgekit/Canary");
    assert_eq!(s502["MetricName"], "Status502");
    assert_eq!(s502["Statistic"], "Sum");
    assert_eq!(
        (
            &s502["Period"],
            &s502["EvaluationPeriods"],
            &s502["DatapointsToAlarm"],
            &s502["Threshold"]
        ),
        (
            &serde_json::json!(60),
            &serde_json::json!(3),
            &serde_json::json!(2),
            &serde_json::json!(1.0)
        )
    );
    assert_eq!(s502["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
    assert_eq!(
        s502["Dimensions"],
        serde_json::json!([{"Name": "Target", "Value": "registry"}, {"Name": "Path", "Value": "edge"}])
    );
    assert_eq!(
        s502["AlarmActions"],
        serde_json::json!(["arn:aws:sns:eu-west-1:123456789012:ops"])
    );
    let success = alarms
        .iter()
        .find(|a| a["AlarmName"] == "edgekit-canary-alb-canary-registry-origin-success")
        .unwrap();
    assert_eq!(
        (
            &success["ComparisonOperator"],
            &success["DatapointsToAlarm"]
        ),
        (
            &serde_json::json!("LessThanThreshold"),
            &serde_json::json!(3)
        )
    );

    // CloudFront's alarm lives in us-east-1 with Region=Global.
    let global = describe_alarms(&moto, "us-east-1");
    assert_eq!(global.len(), 1, "{global:?}");
    let cf = &global[0];
    assert_eq!(cf["Namespace"], "AWS/CloudFront");
    assert_eq!(cf["MetricName"], "5xxErrorRate");
    assert_eq!(
        cf["Dimensions"],
        serde_json::json!([{"Name": "DistributionId", "Value": "E2EXAMPLE"}, {"Name": "Region", "Value": "Global"}])
    );
}

/// DescribeAlarms in moto over the awsJson1_0 protocol (which moto speaks for CloudWatch).
fn describe_alarms(moto: &Moto, region: &str) -> Vec<serde_json::Value> {
    let (status, response) = cloudwatch_json(
        moto.port,
        "DescribeAlarms",
        &cloudwatch_authorization(region),
        b"{}",
    );
    assert_eq!(status, 200, "{}", text(&response));
    let doc: serde_json::Value = serde_json::from_slice(&response).unwrap();
    doc["MetricAlarms"].as_array().unwrap().clone()
}
