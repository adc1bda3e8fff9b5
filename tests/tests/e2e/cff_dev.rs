//! `edgekit dev --edge-runtime cloudfront-functions` end to end: the Lambda@Edge emulator's
//! cases of `dev_e2e.rs` (uvicorn, hypercorn, nginx, the echo origin, the ALB's
//! origin-verify rule, the Keycloak distribution) run with our functions as generated
//! CloudFront Functions at viewer-request, plus what only this runtime has: the refusal
//! behind viewer protocol policy allow-all, https-only, and Host from the origin request
//! policy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::process::Command;

use edgekit_tests::dev::{Dev, Runtime, header, viewer};
use edgekit_tests::{edgekit_bin, run_expecting};
use serde::Deserialize;

use crate::dev_e2e;

const RUNTIME: Runtime = Runtime::CloudFrontFunctions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_proto_gives_https_and_secure_cookie() {
    dev_e2e::forwarded_proto_gives_https_and_secure_cookie_on(RUNTIME).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_spoofs_are_neutralised() {
    dev_e2e::viewer_spoofs_are_neutralised_on(RUNTIME).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alb_refuses_requests_without_origin_verify_secret() {
    dev_e2e::alb_refuses_requests_without_origin_verify_secret_on(RUNTIME).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hypercorn_modern_proxy_fix_sees_https_and_public_host() {
    dev_e2e::hypercorn_modern_proxy_fix_sees_https_and_public_host_on(RUNTIME).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_snippet_maps_cloudfront_proto() {
    dev_e2e::nginx_snippet_maps_cloudfront_proto_on(RUNTIME).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keycloak_distribution_guards_paths_and_hosts() {
    dev_e2e::keycloak_distribution_guards_paths_and_hosts_on(RUNTIME).await;
}

/// A CloudFront Function cannot know the viewer's protocol: behind allow-all the emulator
/// refuses to start and says why (before binding anything).
#[test]
fn refuses_to_start_behind_allow_all() {
    let output = run_expecting(
        Command::new(edgekit_bin()).args([
            "dev",
            "--edge-runtime",
            "cloudfront-functions",
            "--viewer-protocol-policy",
            "allow-all",
        ]),
        1,
    );
    // miette wraps long lines: compare with the whitespace collapsed.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let flat = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("viewer protocol policy allow-all") && flat.contains("and no protocol"),
        "{stderr}"
    );
}

/// What the embedded echo answers.
#[derive(Debug, Deserialize)]
struct Echo {
    headers: BTreeMap<String, Vec<String>>,
}

/// https-only answers an HTTP viewer with CloudFront's 403 before the function runs; with
/// `origin_host: origin-domain` the origin request policy (AllViewerExceptHostHeader) gives
/// the origin the ALB's name as Host while the function's X-Forwarded-Host and Forwarded
/// carry the public host; the origin-verify secret travels as a custom origin header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_only_and_host_from_the_origin_request_policy() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dev.json");
    std::fs::write(
        &config,
        r#"{"forwarded_proto": {"origin_host": "origin-domain", "public_hosts": ["app.example.com"],
            "origin_verify": {"header": "X-Origin-Verify", "secret": "0123456789abcdef-cff"}}}"#,
    )
    .unwrap();
    let config = config.display().to_string();
    let dev = Dev::start_on(
        RUNTIME,
        &[
            "--config",
            &config,
            "--viewer-protocol-policy",
            "https-only",
            "--alb-verify",
        ],
    );
    let banner = dev.stdout();
    assert!(
        banner.contains("viewer-request: forwarded-proto (cloudfront-js-2.0)")
            && banner.contains("origin request policy AllViewerExceptHostHeader")
            && banner.contains("viewer protocol policy https-only")
            && !banner.contains("0123456789abcdef-cff"),
        "{banner}"
    );
    let client = viewer();
    let http = client.get(dev.http("/x")).send().await.unwrap();
    assert_eq!(http.status(), 403);
    assert_eq!(header(&http, "x-cache"), "Error from cloudfront");

    let response = client
        .get(dev.https("/x?y=1"))
        .header("Host", "app.example.com")
        .header("X-Forwarded-Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let echo: Echo = response.json().await.unwrap();
    assert!(
        echo.headers["host"][0].ends_with(".elb.amazonaws.com"),
        "{:?}",
        echo.headers
    );
    assert_eq!(echo.headers["x-forwarded-host"], ["app.example.com"]);
    assert_eq!(echo.headers["x-cloudfront-forwarded-proto"], ["https"]);
    assert_eq!(echo.headers["x-origin-verify"], ["0123456789abcdef-cff"]);
    assert!(
        echo.headers["forwarded"][0].contains("proto=https"),
        "{:?}",
        echo.headers["forwarded"]
    );
    assert!(!dev.stderr().contains("0123456789abcdef-cff"));
}

/// A stand-in for `node` (the emulator's `--node`) that speaks the sandbox's line protocol
/// and answers every event with `answer`: the emulator's handling of a CloudFront Function
/// that fails, without a real failing script.
fn fake_node(dir: &std::path::Path, name: &str, answer: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho '{{\"ok\":true,\"ready\":true}}'\nwhile read -r line; do echo '{answer}'; done\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

/// A function that throws gets the function-error status (503 by default) and a
/// FunctionExecutionError line; a result CloudFront rejects (Host changed: read-only at
/// viewer-request) a FunctionValidationError line, here with `--function-error-status 500`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_functions_get_the_function_error_status() {
    let dir = tempfile::tempdir().unwrap();
    let throws = fake_node(
        dir.path(),
        "throws",
        r#"{"ok":false,"error":"Error: boom","logs":[]}"#,
    );
    let dev = Dev::start_on(RUNTIME, &["--node", &throws]);
    let response = viewer().get(dev.https("/")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "x-cache"), "Error from cloudfront");
    assert_eq!(header(&response, "server"), "CloudFront");
    let log = dev.stderr();
    assert!(
        log.contains("FunctionExecutionError: viewer-request forwarded-proto (cloudfront-js-2.0): Error: boom"),
        "{log}"
    );

    let rewrites_host = fake_node(
        dir.path(),
        "rewrites-host",
        r#"{"ok":true,"result":{"method":"GET","uri":"/","headers":{"host":{"value":"evil.example"}}},"logs":[]}"#,
    );
    let dev = Dev::start_on(
        RUNTIME,
        &["--node", &rewrites_host, "--function-error-status", "500"],
    );
    let response = viewer().get(dev.https("/")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    let log = dev.stderr();
    assert!(
        log.contains("FunctionValidationError: viewer-request forwarded-proto (cloudfront-js-2.0)")
            && log.contains("host"),
        "{log}"
    );
}
