//! The attack `edgekit alb protect` closes, shown on `edgekit dev`: a request sent straight
//! to the ALB with a forged `Forwarded` / `X-Cloudfront-Forwarded-Proto` reaches the app when
//! the listener has no origin-verify rule, and gets the listener's fixed 403 (the same status,
//! content type and body `alb protect` installs) when it has one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use edgekit::plan::alb::{DENY_BODY, DENY_CONTENT_TYPE, DENY_STATUS};
use edgekit_tests::dev::{Dev, header, viewer};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Echo {
    headers: BTreeMap<String, Vec<String>>,
    inferred_scheme: String,
}

const SECRET: &str = "dev-secret-0123456789abcdef";

async fn forged(dev: &Dev) -> reqwest::Response {
    viewer()
        .get(dev.alb("/account"))
        .header("Forwarded", "for=203.0.113.9;proto=https;host=evil.example")
        .header("X-Cloudfront-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_forwarding_headers_direct_to_alb_are_refused_only_with_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dev.json");
    std::fs::write(
        &config,
        format!(r#"{{"forwarded_proto": {{"origin_verify": {{"header": "X-Origin-Verify", "secret": "{SECRET}"}}}}}}"#),
    )
    .unwrap();
    let config = config.display().to_string();

    // Without the rule: the forged headers reach the app, which believes https.
    let open = Dev::start(&["--config", &config]);
    let response = forged(&open).await;
    assert_eq!(response.status(), 200);
    let echo: Echo = response.json().await.unwrap();
    assert_eq!(
        echo.headers["forwarded"],
        ["for=203.0.113.9;proto=https;host=evil.example"]
    );
    assert_eq!(echo.headers["x-cloudfront-forwarded-proto"], ["https"]);
    assert_eq!(
        echo.inferred_scheme, "https",
        "the forged scheme is trusted"
    );
    drop(open);

    // With the rule: the listener's fixed 403, as `alb protect` configures it.
    let locked = Dev::start(&["--config", &config, "--alb-verify"]);
    let response = forged(&locked).await;
    assert_eq!(response.status().as_u16(), DENY_STATUS);
    assert_eq!(header(&response, "content-type"), DENY_CONTENT_TYPE);
    assert_eq!(header(&response, "server"), "awselb/2.0");
    assert_eq!(response.text().await.unwrap(), DENY_BODY);
    // ELBv2 compares header values case-insensitively; so does the emulator.
    let upper = viewer()
        .get(locked.alb("/"))
        .header("X-Origin-Verify", SECRET.to_ascii_uppercase())
        .send()
        .await
        .unwrap();
    assert_eq!(upper.status(), 200);
    // Through CloudFront the secret is added and the request goes through.
    let through = viewer().get(locked.https("/")).send().await.unwrap();
    assert_eq!(through.status(), 200);
    assert!(
        !locked.stderr().contains(SECRET),
        "the secret must not be logged"
    );
}
