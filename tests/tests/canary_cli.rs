//! `edgekit canary run` against real loopback origins (CloudFront/ALB-style 502s, a genuine
//! nginx 502, a healthy app), and `edgekit canary install` against moto: rule, target,
//! permission and alarms created, idempotently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use edgekit_tests::canary_origins::{
    ALB_502, CLOUDFRONT_502, Nginx, Origin, closed_port, ok_response, write_targets,
};
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
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("http"), "{}", text(&out.stderr));
}

/// Creates the canary function in moto (a role, then the function) and returns its ARN.
async fn create_function(moto: &Moto, region: &str) -> String {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .endpoint_url(moto.endpoint())
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
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
    let adapter = CborAdapter::start(moto.port);
    let mut env = moto.env();
    for (k, v) in env.iter_mut() {
        if *k == "AWS_ENDPOINT_URL" {
            *v = adapter.endpoint();
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
    let sdk = |region: &str| {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .endpoint_url(moto.endpoint())
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
    };
    let regional = sdk(region).await;
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
    let body = b"{}";
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/monitoring/aws4_request, SignedHeaders=host, Signature=0"
    );
    let (status, response) = http_post(
        moto.port,
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.0"),
            (
                "X-Amz-Target",
                "GraniteServiceVersion20100801.DescribeAlarms",
            ),
            ("Authorization", &auth),
        ],
        body,
    );
    assert_eq!(status, 200, "{}", text(&response));
    let doc: serde_json::Value = serde_json::from_slice(&response).unwrap();
    doc["MetricAlarms"].as_array().unwrap().clone()
}

fn http_post(port: u16, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = find(&response, b"\r\n\r\n").expect("response head");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = find(body, b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&body[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&body[start..start + size]);
        body = &body[start + size + 2..];
    }
    out
}

/// A protocol adapter in front of moto. aws-sdk-cloudwatch (1.140) speaks only Smithy RPC v2
/// CBOR (`POST /service/GraniteServiceVersion20100801/operation/<Op>`), which moto 5.2.5 does
/// not implement (it speaks CloudWatch's Query and JSON 1.0 protocols: getmoto/moto issue
/// 9195). The adapter turns each CBOR request into the same request in JSON 1.0 for moto and
/// answers in CBOR; every other request is passed through unchanged. So the alarms really
/// land in moto, and the test reads them back from moto.
struct CborAdapter {
    port: u16,
}

impl CborAdapter {
    fn start(upstream: u16) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || adapt(stream, upstream));
            }
        });
        Self { port }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn adapt(mut client: std::net::TcpStream, upstream: u16) {
    use std::io::{Read, Write};
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&data, b"\r\n\r\n") {
            break i;
        }
        match client.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert!(
        get("transfer-encoding").is_none(),
        "adapter expects Content-Length bodies"
    );
    let length: usize = get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + 4 + length {
        match client.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let body = data[head_end + 4..head_end + 4 + length].to_vec();
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let prefix = "/service/GraniteServiceVersion20100801/operation/";
    let response = if let Some(operation) = path.strip_prefix(prefix) {
        let json = if body.is_empty() {
            serde_json::json!({})
        } else {
            cbor::decode(&mut &body[..])
        };
        let target = format!("GraniteServiceVersion20100801.{operation}");
        let auth = get("authorization").unwrap_or_default();
        let (status, answer) = http_post(
            upstream,
            "/",
            &[
                ("Content-Type", "application/x-amz-json-1.0"),
                ("X-Amz-Target", &target),
                ("Authorization", &auth),
            ],
            serde_json::to_string(&json).unwrap().as_bytes(),
        );
        let answer: serde_json::Value =
            serde_json::from_slice(&answer).unwrap_or(serde_json::json!({}));
        let mut out = Vec::new();
        cbor::encode(&answer, &mut out);
        let mut response = format!(
            "HTTP/1.1 {status} X\r\nsmithy-protocol: rpc-v2-cbor\r\nContent-Type: application/cbor\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            out.len()
        )
        .into_bytes();
        response.extend_from_slice(&out);
        response
    } else {
        // Pass through, one request per connection.
        let mut upstream_stream = std::net::TcpStream::connect(("127.0.0.1", upstream)).unwrap();
        let mut forwarded = format!("{request_line}\r\n");
        for (k, v) in &headers {
            if !k.eq_ignore_ascii_case("connection") {
                forwarded.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        forwarded.push_str("Connection: close\r\n\r\n");
        upstream_stream.write_all(forwarded.as_bytes()).unwrap();
        upstream_stream.write_all(&body).unwrap();
        let mut answer = Vec::new();
        let _ = upstream_stream.read_to_end(&mut answer);
        // Tell the client not to reuse this connection either.
        match find(&answer, b"\r\n") {
            Some(i) => {
                let mut response = answer[..i + 2].to_vec();
                response.extend_from_slice(b"Connection: close\r\n");
                let rest = &answer[i + 2..];
                let (rest_head, rest_body) = match find(rest, b"\r\n\r\n") {
                    Some(j) => (&rest[..j + 2], &rest[j + 2..]),
                    None => (rest, &b""[..]),
                };
                // Drop an upstream Connection header line, if any.
                for line in rest_head.split_inclusive(|b| *b == b'\n') {
                    if !String::from_utf8_lossy(line)
                        .to_ascii_lowercase()
                        .starts_with("connection:")
                    {
                        response.extend_from_slice(line);
                    }
                }
                response.extend_from_slice(rest_body);
                response
            }
            None => answer,
        }
    };
    let _ = client.write_all(&response);
    let _ = client.flush();
}

/// Just enough CBOR (RFC 8949) for CloudWatch requests and JSON answers.
mod cbor {
    use serde_json::{Map, Value};

    fn arg(input: &mut &[u8], info: u8) -> Option<u64> {
        let take = |input: &mut &[u8], n: usize| {
            let (bytes, rest) = input.split_at(n);
            *input = rest;
            bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
        };
        match info {
            0..=23 => Some(u64::from(info)),
            24 => Some(take(input, 1)),
            25 => Some(take(input, 2)),
            26 => Some(take(input, 4)),
            27 => Some(take(input, 8)),
            31 => None,
            _ => panic!("bad CBOR additional info {info}"),
        }
    }

    pub fn decode(input: &mut &[u8]) -> Value {
        let first = input[0];
        *input = &input[1..];
        let (major, info) = (first >> 5, first & 0x1f);
        match major {
            0 => Value::from(arg(input, info).unwrap()),
            1 => Value::from(-1 - arg(input, info).unwrap() as i64),
            2 | 3 => {
                let mut bytes = Vec::new();
                match arg(input, info) {
                    Some(n) => {
                        bytes.extend_from_slice(&input[..n as usize]);
                        *input = &input[n as usize..];
                    }
                    None => {
                        while input[0] != 0xff {
                            if let Value::String(s) = decode(input) {
                                bytes.extend_from_slice(s.as_bytes());
                            }
                        }
                        *input = &input[1..];
                    }
                }
                Value::String(String::from_utf8_lossy(&bytes).into_owned())
            }
            4 => {
                let mut items = Vec::new();
                match arg(input, info) {
                    Some(n) => (0..n).for_each(|_| items.push(decode(input))),
                    None => {
                        while input[0] != 0xff {
                            items.push(decode(input));
                        }
                        *input = &input[1..];
                    }
                }
                Value::Array(items)
            }
            5 => {
                let mut map = Map::new();
                let mut entry = |input: &mut &[u8]| {
                    let key = decode(input);
                    let value = decode(input);
                    map.insert(key.as_str().unwrap().to_owned(), value);
                };
                match arg(input, info) {
                    Some(n) => (0..n).for_each(|_| entry(input)),
                    None => {
                        while input[0] != 0xff {
                            entry(input);
                        }
                        *input = &input[1..];
                    }
                }
                Value::Object(map)
            }
            6 => {
                arg(input, info);
                decode(input)
            }
            _ => match info {
                20 => Value::Bool(false),
                21 => Value::Bool(true),
                22 | 23 => Value::Null,
                25 => {
                    let bits = arg(input, info).unwrap() as u16;
                    Value::from(half_to_f64(bits))
                }
                26 => Value::from(f64::from(f32::from_bits(arg(input, info).unwrap() as u32))),
                27 => Value::from(f64::from_bits(arg(input, info).unwrap())),
                _ => panic!("unsupported CBOR simple value {info}"),
            },
        }
    }

    fn half_to_f64(bits: u16) -> f64 {
        let exp = (bits >> 10) & 0x1f;
        let mant = f64::from(bits & 0x3ff);
        let value = match exp {
            0 => mant * 2f64.powi(-24),
            31 => f64::INFINITY,
            e => (1024.0 + mant) * 2f64.powi(i32::from(e) - 25),
        };
        if bits & 0x8000 != 0 { -value } else { value }
    }

    fn head(major: u8, n: u64, out: &mut Vec<u8>) {
        let m = major << 5;
        if n < 24 {
            out.push(m | n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[m | 24, n as u8]);
        } else if n <= 0xffff {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }

    pub fn encode(value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Null => out.push(0xf6),
            Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    head(0, u, out);
                } else if let Some(i) = n.as_i64() {
                    head(1, (-1 - i) as u64, out);
                } else {
                    out.push(0xfb);
                    out.extend_from_slice(&n.as_f64().unwrap().to_be_bytes());
                }
            }
            Value::String(s) => {
                head(3, s.len() as u64, out);
                out.extend_from_slice(s.as_bytes());
            }
            Value::Array(items) => {
                head(4, items.len() as u64, out);
                items.iter().for_each(|i| encode(i, out));
            }
            Value::Object(map) => {
                head(5, map.len() as u64, out);
                for (k, v) in map {
                    encode(&Value::String(k.clone()), out);
                    encode(v, out);
                }
            }
        }
    }
}
