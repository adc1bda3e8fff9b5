//! The canary's failure classes, each reproduced for real on loopback (CloudFront/ALB 502s
//! with their real headers, a genuine nginx 502, reset, refused, timeout, DNS, expired and
//! expiring TLS, https-detection failures), and the EMF output validated against the
//! specification's required fields.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use alb_canary::{CanaryConfig, Check, Class, JsonScalar, ProbeResult, Source, Target};
use edgekit_tests::canary_origins::{
    ALB_502, ALB_502_VIA_CLOUDFRONT, ALB_503, ALB_504, CLOUDFRONT_502, Nginx, Origin, TestCert,
    closed_port, ok_response, redirect_response,
};

fn target(name: &str, url: String) -> Target {
    let mut t = Target::new(name, url);
    t.retries = Some(0);
    t.timeout_ms = Some(5_000);
    t
}

async fn probe(t: Target) -> ProbeResult {
    let config = CanaryConfig {
        namespace: None,
        targets: vec![t],
    };
    let mut results = alb_canary::probe_all(&config).await.unwrap();
    results.pop().unwrap()
}

fn assert_class(r: &ProbeResult, class: Class, source: Option<Source>) {
    assert_eq!(
        (r.class, r.source),
        (class, source),
        "unexpected classification: {r:#?}"
    );
}

#[tokio::test]
async fn cloudfront_502_is_from_cloudfront() {
    let origin = Origin::canned(vec![CLOUDFRONT_502.into()]);
    let r = probe(target("cf", origin.url("/"))).await;
    assert_class(&r, Class::Http5xx, Some(Source::Cloudfront));
    assert_eq!(r.status, Some(502));
    assert_eq!(r.signature.as_deref(), Some("cloudfront-server-header"));
    assert!(
        r.detail
            .contains("CloudFront wasn't able to connect to the origin"),
        "{}",
        r.detail
    );
    assert_eq!(r.cf_pop.as_deref(), Some("FRA56-P5"));
    assert!(r.cf_id.is_some(), "{r:#?}");
}

#[tokio::test]
async fn alb_502_is_from_the_alb_directly_and_through_cloudfront() {
    let direct = Origin::canned(vec![ALB_502.into()]);
    let r = probe(target("alb", direct.url("/"))).await;
    assert_class(&r, Class::Http5xx, Some(Source::Alb));
    assert_eq!(r.signature.as_deref(), Some("alb-server-header"));

    let via_cf = Origin::canned(vec![ALB_502_VIA_CLOUDFRONT.into()]);
    let r = probe(target("alb-via-cf", via_cf.url("/"))).await;
    assert_class(&r, Class::Http5xx, Some(Source::Alb));
    assert_eq!(r.cf_pop.as_deref(), Some("IAD89-C1"));
}

#[tokio::test]
async fn alb_503_and_504() {
    let o503 = Origin::canned(vec![ALB_503.into()]);
    let o504 = Origin::canned(vec![ALB_504.into()]);
    assert_class(
        &probe(target("a", o503.url("/"))).await,
        Class::Http503,
        Some(Source::Alb),
    );
    assert_class(
        &probe(target("b", o504.url("/"))).await,
        Class::Http504,
        Some(Source::Alb),
    );
}

#[tokio::test]
async fn genuine_nginx_502_is_from_the_app() {
    let nginx = Nginx::proxy_to(closed_port());
    let r = probe(target("nginx", nginx.url("/health"))).await;
    assert_class(&r, Class::Http5xx, Some(Source::App));
    assert_eq!(r.status, Some(502));
    assert_eq!(r.signature.as_deref(), Some("nginx-server-header"));
}

#[tokio::test]
async fn unknown_5xx_source() {
    let origin = Origin::canned(vec![
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops"
            .into(),
    ]);
    assert_class(
        &probe(target("u", origin.url("/"))).await,
        Class::Http5xx,
        Some(Source::Unknown),
    );
}

#[tokio::test]
async fn connection_reset_and_refused_are_connect() {
    let reset = Origin::reset();
    let r = probe(target("reset", reset.url("/"))).await;
    assert_class(&r, Class::Connect, None);
    assert_eq!(r.status, None);
    let r = probe(target(
        "refused",
        format!("http://127.0.0.1:{}/", closed_port()),
    ))
    .await;
    assert_class(&r, Class::Connect, None);
    assert!(r.detail.contains("refused"), "{}", r.detail);
}

#[tokio::test]
async fn slow_origin_is_timeout() {
    let slow = Origin::slow(Duration::from_secs(5));
    let mut t = target("slow", slow.url("/"));
    t.timeout_ms = Some(300);
    assert_class(&probe(t).await, Class::Timeout, None);
    // Over the latency budget (answers after 200 ms, budget 1 ms).
    let late = Origin::slow(Duration::from_millis(200));
    let mut t = target("late", late.url("/"));
    t.max_latency_ms = Some(1);
    let r = probe(t).await;
    assert_class(&r, Class::Timeout, None);
    assert!(r.detail.contains("budget"), "{}", r.detail);
}

#[tokio::test]
async fn unresolvable_host_is_dns() {
    // RFC 6761: .invalid never resolves.
    let mut t = target("dns", "http://edgekit-canary-test.invalid/".into());
    t.timeout_ms = Some(30_000); // a slow resolver must still end in `dns`, not `timeout`
    let r = probe(t).await;
    assert_class(&r, Class::Dns, None);
}

#[tokio::test]
async fn tls_expired_expiring_valid_and_untrusted() {
    let expired = TestCert::new(-3);
    let origin = Origin::tls(&expired);
    let mut t = target("expired", origin.https_url("/"));
    t.ca_file = Some(expired.ca_file.clone());
    let r = probe(t).await;
    assert_class(&r, Class::Tls, None);
    assert!(r.detail.contains("expired"), "{}", r.detail);
    assert_eq!(r.tls_days_left, Some(-3));

    let expiring = TestCert::new(5);
    let origin = Origin::tls(&expiring);
    let mut t = target("expiring", origin.https_url("/"));
    t.ca_file = Some(expiring.ca_file.clone());
    t.tls_min_days = Some(14);
    let r = probe(t).await;
    assert_class(&r, Class::Tls, None);
    assert_eq!(r.tls_days_left, Some(5));
    assert!(r.detail.contains("expires in 5 days"), "{}", r.detail);

    let valid = TestCert::new(90);
    let origin = Origin::tls(&valid);
    let mut t = target("valid", origin.https_url("/"));
    t.ca_file = Some(valid.ca_file.clone());
    t.tls_min_days = Some(14);
    t.json_expect
        .insert("status".into(), JsonScalar::String("healthy".into()));
    let r = probe(t).await;
    assert_class(&r, Class::Ok, None);
    assert_eq!(r.tls_days_left, Some(90));

    // Not trusted (no ca_file): a handshake failure.
    let r = probe(target("untrusted", origin.https_url("/"))).await;
    assert_class(&r, Class::Tls, None);
}

#[tokio::test]
async fn host_override_probes_the_origin_as_the_public_host() {
    // http: the Host header carries the public host.
    let echo = Origin::echo();
    let mut t = target("origin-http", echo.url("/health"));
    t.host = Some("app.example.test".into());
    t.body_contains = Some("host: app.example.test".into());
    let r = probe(t).await;
    assert_class(&r, Class::Ok, None);
    assert_eq!(r.path, alb_canary::ProbePath::Origin);

    // https: a certificate only for the public host validates because SNI and the name
    // check use it while the connection goes to the URL's address.
    let cert = TestCert::for_names(60, &["app.example.test"]);
    let origin = Origin::tls(&cert);
    let mut t = target("origin-https", origin.https_url("/health"));
    t.host = Some("app.example.test".into());
    t.ca_file = Some(cert.ca_file.clone());
    assert_class(&probe(t).await, Class::Ok, None);
}

#[tokio::test]
async fn https_detection_checks() {
    let cookie = Origin::canned(vec![ok_response(
        "Set-Cookie: session=s3cr3t-value; Path=/; HttpOnly\r\nSet-Cookie: pref=1; Path=/; Secure\r\n",
        "text/html",
        "<html></html>",
    )]);
    let mut t = target("cookie", cookie.url("/"));
    t.checks = vec![Check::SecureCookie];
    let r = probe(t).await;
    assert_class(&r, Class::HttpsDetection, None);
    assert!(
        r.detail.contains("secure-cookie") && r.detail.contains("session"),
        "{}",
        r.detail
    );
    assert!(
        !r.detail.contains("s3cr3t"),
        "cookie values are never reported"
    );

    let issuer = Origin::canned(vec![ok_response(
        "",
        "application/json",
        r#"{"issuer":"http://id.example.test/realms/mcp","authorization_endpoint":"http://id.example.test/realms/mcp/protocol/openid-connect/auth"}"#,
    )]);
    let mut t = target(
        "issuer",
        issuer.url("/realms/mcp/.well-known/openid-configuration"),
    );
    t.host = Some("id.example.test".into());
    t.checks = vec![Check::OidcIssuer];
    let r = probe(t).await;
    assert_class(&r, Class::HttpsDetection, None);
    assert!(
        r.detail.contains("oidc-issuer") && r.detail.contains("not https"),
        "{}",
        r.detail
    );

    let redirect = Origin::canned(vec![redirect_response(
        "https://id.example.test/realms/mcp/protocol/openid-connect/auth?client_id=web&response_type=code&redirect_uri=https%3A%2Foauth2%2Fcallback%2Fkeycloak&state=abc",
    )]);
    let mut t = target("login", redirect.url("/oauth2/login"));
    t.checks = vec![Check::RedirectUri];
    let r = probe(t).await;
    assert_class(&r, Class::HttpsDetection, None);
    assert!(
        r.detail.contains("https:/oauth2/callback/keycloak"),
        "{}",
        r.detail
    );
    assert_eq!(r.status, Some(302));
    assert!(
        r.location.is_some(),
        "the redirect is reported, not followed"
    );

    let good = Origin::canned(vec![redirect_response(
        "/auth?redirect_uri=https%3A%2F%2Fapp.example.test%2Foauth2%2Fcallback",
    )]);
    let mut t = target("login-ok", good.url("/oauth2/login"));
    t.checks = vec![Check::RedirectUri];
    assert_class(&probe(t).await, Class::Ok, None);
}

#[tokio::test]
async fn unexpected_status_and_body_mismatch() {
    let not_found = Origin::canned(vec![
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
    ]);
    assert_class(
        &probe(target("404", not_found.url("/"))).await,
        Class::UnexpectedStatus,
        None,
    );

    let degraded = Origin::canned(vec![ok_response(
        "",
        "application/json",
        r#"{"status":"degraded"}"#,
    )]);
    let mut t = target("json", degraded.url("/health"));
    t.json_expect
        .insert("status".into(), JsonScalar::String("healthy".into()));
    let r = probe(t).await;
    assert_class(&r, Class::BodyMismatch, None);
    assert!(r.detail.contains("degraded"), "{}", r.detail);

    let mut t = target("text", degraded.url("/health"));
    t.body_contains = Some("\"healthy\"".into());
    assert_class(&probe(t).await, Class::BodyMismatch, None);
}

#[tokio::test]
async fn transient_failure_is_retried_before_it_counts() {
    let flaky = Origin::canned(vec![ALB_502.into(), ok_response("", "text/plain", "ok")]);
    let mut t = target("flaky", flaky.url("/"));
    t.retries = Some(2);
    t.backoff_ms = Some(10);
    let r = probe(t).await;
    assert_class(&r, Class::Ok, None);
    assert_eq!(r.attempts, 2);

    let down = Origin::canned(vec![ALB_502.into()]);
    let mut t = target("down", down.url("/"));
    t.retries = Some(1);
    t.backoff_ms = Some(10);
    let r = probe(t).await;
    assert_class(&r, Class::Http5xx, Some(Source::Alb));
    assert_eq!(r.attempts, 2);
}

#[tokio::test]
async fn redirects_followed_only_when_asked() {
    let landing = Origin::canned(vec![ok_response("", "text/plain", "landed")]);
    let hop = Origin::canned(vec![redirect_response(&landing.url("/landing"))]);
    let mut t = target("hop", hop.url("/"));
    t.expect_status = Some(vec![200]);
    let r = probe(t.clone()).await;
    assert_class(&r, Class::UnexpectedStatus, None);
    assert!(r.detail.contains("redirect to"), "{}", r.detail);
    t.follow_redirects = true;
    t.body_contains = Some("landed".into());
    assert_class(&probe(t).await, Class::Ok, None);
}

/// Required fields of the EMF specification. [CloudWatch User Guide, "Specification:
/// Embedded metric format": root `_aws` with `Timestamp` (ms) and `CloudWatchMetrics`
/// (MetricDirective: `Namespace` 1..255 chars, `Dimensions` arrays of at most 30 root member
/// names whose values are strings, `Metrics` at most 100 MetricDefinitions with `Name` and
/// optional `Unit`/`StorageResolution`, each naming a numeric root member)]
fn validate_emf(line: &str) -> serde_json::Value {
    const UNITS: &[&str] = &[
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ];
    let doc: serde_json::Value = serde_json::from_str(line).expect("EMF line is JSON");
    let root = doc.as_object().expect("root object");
    let aws = root["_aws"].as_object().expect("_aws object");
    assert!(
        aws["Timestamp"]
            .as_u64()
            .is_some_and(|t| t > 1_600_000_000_000),
        "Timestamp in ms"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics array");
    assert!(!directives.is_empty(), "{line}");
    for directive in directives {
        let ns = directive["Namespace"].as_str().expect("Namespace");
        assert!((1..=255).contains(&ns.len()), "namespace {ns:?}");
        for set in directive["Dimensions"].as_array().expect("Dimensions") {
            let set = set.as_array().expect("dimension set");
            assert!(set.len() <= 30, "{set:?}");
            for dim in set {
                let name = dim.as_str().expect("dimension name");
                assert!(
                    root.get(name).is_some_and(|v| v.is_string()),
                    "dimension {name} is a string member"
                );
            }
        }
        let metrics = directive["Metrics"].as_array().expect("Metrics");
        assert!(metrics.len() <= 100, "{} metrics", metrics.len());
        for metric in metrics {
            let name = metric["Name"].as_str().expect("Name");
            assert!((1..=255).contains(&name.len()), "metric name {name:?}");
            assert!(
                root.get(name).is_some_and(|v| v.is_number()),
                "metric {name} is a number member"
            );
            if let Some(unit) = metric.get("Unit") {
                assert!(UNITS.contains(&unit.as_str().unwrap()), "unit {unit}");
            }
        }
    }
    doc
}

#[tokio::test]
async fn emf_lines_follow_the_specification() {
    let cf = Origin::canned(vec![CLOUDFRONT_502.into()]);
    let cert = TestCert::new(30);
    let tls = Origin::tls(&cert);
    let secret = "origin-verify-s3cr3t";
    let mut ok = target("app", tls.https_url("/health"));
    ok.ca_file = Some(cert.ca_file.clone());
    ok.headers.0.insert("X-Origin-Verify".into(), secret.into());
    let mut edge = target("edge", cf.url("/"));
    edge.headers
        .0
        .insert("X-Origin-Verify".into(), secret.into());
    let config = CanaryConfig {
        namespace: Some("Test/Canary".into()),
        targets: vec![ok, edge],
    };
    let mut out = Vec::new();
    let summary = alb_canary::run_with_emf(&config, &mut out).await.unwrap();
    assert_eq!((summary.total, summary.failed), (2, 1));
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains(secret), "header values are never written");
    assert!(!serde_json::to_string(&summary).unwrap().contains(secret));
    let lines: Vec<serde_json::Value> = text.lines().map(validate_emf).collect();
    assert_eq!(lines.len(), 2);
    let app = &lines[0];
    assert_eq!(
        app["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "Test/Canary"
    );
    assert_eq!(
        app["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0],
        serde_json::json!(["Target", "Path"])
    );
    assert_eq!(
        (app["Target"].as_str(), app["Path"].as_str()),
        (Some("app"), Some("edge"))
    );
    assert_eq!(
        (app["Success"].as_u64(), app["Status502"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(app["TlsDaysLeft"].as_i64(), Some(30));
    assert_eq!(app["Class"], "ok");
    assert!(app["Source"].is_null(), "{app}");
    let edge = &lines[1];
    assert_eq!(
        (
            edge["Success"].as_u64(),
            edge["Status5xx"].as_u64(),
            edge["Status502"].as_u64()
        ),
        (Some(0), Some(1), Some(1))
    );
    assert_eq!(
        (edge["Class"].as_str(), edge["Source"].as_str()),
        (Some("http-5xx"), Some("cloudfront"))
    );
    assert_eq!(edge["X-Amz-Cf-Pop"], "FRA56-P5");
    assert!(edge["X-Amz-Cf-Id"].is_string());
    assert!(edge.get("TlsDaysLeft").is_none(), "no TLS metric on http");
}

#[tokio::test]
async fn lambda_handler_takes_direct_and_scheduled_events() {
    let origin = Origin::canned(vec![ok_response("", "text/plain", "ok")]);
    let payload = format!(
        r#"{{"targets":[{{"name":"d","url":"{}","retries":0}}]}}"#,
        origin.url("/")
    );
    let event: alb_canary::CanaryEvent = serde_json::from_str(&payload).unwrap();
    let summary = alb_canary::handle_event(event).await.unwrap();
    assert_eq!((summary.total, summary.failed), (1, 0));
    // A failing probe is data, not a Lambda error.
    let refused = format!(
        r#"{{"detail-type":"Scheduled Event","source":"aws.events","detail":{{"targets":[{{"name":"r","url":"http://127.0.0.1:{}/","retries":0}}]}}}}"#,
        closed_port()
    );
    let event: alb_canary::CanaryEvent = serde_json::from_str(&refused).unwrap();
    let summary = alb_canary::handle_event(event).await.unwrap();
    assert_eq!(
        (summary.failed, summary.results[0].class),
        (1, Class::Connect)
    );
}
