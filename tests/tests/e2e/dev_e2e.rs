//! End-to-end proof of `edgekit dev` with real consumers of forwarding headers: uvicorn
//! (`--proxy-headers`), hypercorn's ProxyFixMiddleware in modern mode, and nginx with
//! `docs/nginx-snippet.conf`, plus the embedded echo origin, Node.js handlers and the ALB
//! origin-verify rule. The viewer is a reqwest client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use edgekit_tests::dev::{Dev, Nginx, PyServer, Runtime, fixtures_dir, header, viewer};
use serde::Deserialize;

/// What the ASGI test app answers.
#[derive(Debug, Deserialize)]
struct Seen {
    scheme: String,
    host: String,
    headers: BTreeMap<String, Vec<String>>,
}

/// What the embedded echo answers.
#[derive(Debug, Deserialize)]
struct Echo {
    method: String,
    path: String,
    query: String,
    headers: BTreeMap<String, Vec<String>>,
    inferred_scheme: String,
}

fn write_config(dir: &tempfile::TempDir, json: &str) -> String {
    let path = dir.path().join("dev.json");
    std::fs::write(&path, json).unwrap();
    path.display().to_string()
}

fn fixture(name: &str) -> String {
    fixtures_dir().join(name).display().to_string()
}

/// Case 1: the reference deployment's approach (custom origin header `X-Forwarded-Proto:
/// https`, no function): the HTTP ALB listener overwrites it, the app sees http and the
/// session cookie has no Secure. The documented bug, reproduced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_origin_header_alone_loses_https() {
    let app = PyServer::uvicorn("app");
    let dev = Dev::start(&[
        "--origin",
        &app.url(),
        "--no-forwarded-proto",
        "--custom-origin-header",
        "X-Forwarded-Proto: https",
    ]);
    let response = viewer().get(dev.https("/login")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let cookie = header(&response, "set-cookie");
    let seen: Seen = response.json().await.unwrap();
    assert_eq!(seen.scheme, "http", "{seen:?}");
    assert_eq!(
        seen.headers["x-forwarded-proto"],
        ["http"],
        "the ALB overwrote the custom origin header"
    );
    assert!(
        cookie.starts_with("session=abc123") && !cookie.contains("Secure"),
        "{cookie}"
    );
}

/// Case 2: forwarded-proto attached, the app reads X-Cloudfront-Forwarded-Proto first:
/// https and a Secure cookie, although the ALB still says http.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_proto_gives_https_and_secure_cookie() {
    forwarded_proto_gives_https_and_secure_cookie_on(Runtime::LambdaEdge).await;
}

/// [`forwarded_proto_gives_https_and_secure_cookie`] with our functions in `runtime`.
pub(crate) async fn forwarded_proto_gives_https_and_secure_cookie_on(runtime: Runtime) {
    let app = PyServer::uvicorn("app");
    let dev = Dev::start_on(
        runtime,
        &[
            "--origin",
            &app.url(),
            "--custom-origin-header",
            "X-Forwarded-Proto: https",
        ],
    );
    let response = viewer().get(dev.https("/login")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-cache"), "Miss from cloudfront");
    assert!(header(&response, "via").ends_with(".cloudfront.net (CloudFront)"));
    assert!(!header(&response, "x-amz-cf-id").is_empty());
    assert!(!header(&response, "x-amz-cf-pop").is_empty());
    let cookie = header(&response, "set-cookie");
    let seen: Seen = response.json().await.unwrap();
    assert_eq!(seen.scheme, "https", "{seen:?}");
    assert_eq!(seen.headers["x-cloudfront-forwarded-proto"], ["https"]);
    assert_eq!(seen.headers["x-forwarded-proto"], ["http"]);
    assert!(cookie.contains("; Secure"), "{cookie}");

    // An http viewer is redirected by the viewer protocol policy before any function runs.
    let redirect = viewer()
        .get(dev.http("/login?next=%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 301);
    assert_eq!(
        header(&redirect, "location"),
        format!("https://127.0.0.1:{}/login?next=%2F", dev.https_port)
    );
    assert_eq!(header(&redirect, "x-cache"), "Redirect from cloudfront");
    let log = dev.stderr();
    let changes = log
        .lines()
        .find_map(|line| line.split_once(runtime.forwarded_proto_log()))
        .map(|(_, changes)| changes)
        .unwrap_or_else(|| panic!("no forwarded-proto line in {log}"));
    assert!(changes.contains("+x-cloudfront-forwarded-proto"), "{log}");
}

/// Case 3: every spoof attempt from the viewer is neutralised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_spoofs_are_neutralised() {
    viewer_spoofs_are_neutralised_on(Runtime::LambdaEdge).await;
}

/// [`viewer_spoofs_are_neutralised`] with our functions in `runtime`.
pub(crate) async fn viewer_spoofs_are_neutralised_on(runtime: Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        r#"{"forwarded_proto": {"public_hosts": ["app.example.com"]}}"#,
    );
    let dev = Dev::start_on(runtime, &["--config", &config]);
    let client = viewer();
    let response = client
        .get(dev.https("/spoof?a=1"))
        .header("Host", "app.example.com")
        .header("X-Forwarded-Host", "evil.example")
        .header("X-Forwarded-Port", "8443")
        .header("Forwarded", "for=6.6.6.6;host=evil.example;proto=http")
        .header("X-Cloudfront-Forwarded-Proto", "http")
        .header("CloudFront-Forwarded-Proto", "http")
        .header("X-Forwarded-Proto", "http")
        .header("X-Real-IP", "6.6.6.6")
        .header("X-Original-URL", "/admin")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let echo: Echo = response.json().await.unwrap();
    assert_eq!(
        (
            echo.method.as_str(),
            echo.path.as_str(),
            echo.query.as_str()
        ),
        ("GET", "/spoof", "a=1")
    );
    assert_eq!(echo.inferred_scheme, "https");
    assert_eq!(echo.headers["x-forwarded-host"], ["app.example.com"]);
    assert_eq!(echo.headers["x-cloudfront-forwarded-proto"], ["https"]);
    assert_eq!(echo.headers["cloudfront-forwarded-proto"], ["https"]);
    assert_eq!(
        echo.headers["forwarded"],
        ["for=127.0.0.1;host=app.example.com;proto=https"]
    );
    assert_eq!(
        echo.headers["x-forwarded-proto"],
        ["http"],
        "only the ALB's value"
    );
    assert!(!echo.headers.contains_key("x-real-ip"));
    assert!(!echo.headers.contains_key("x-original-url"));
    assert!(echo.headers["x-forwarded-for"][0].starts_with("127.0.0.1"));

    // Odd hosts: unknown → 421, malformed → 400, both generated at the edge.
    for (host, status) in [
        ("evil.example", 421),
        ("app.example.com,evil.example", 400),
        ("user@app.example.com", 400),
    ] {
        let response = client
            .get(dev.https("/"))
            .header("Host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "Host {host}");
        assert_eq!(header(&response, "x-cache"), runtime.generated_x_cache());
    }
}

/// Case 4: the ALB reached directly without the origin-verify secret is refused when the
/// listener rule is on; through CloudFront the function adds the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alb_refuses_requests_without_origin_verify_secret() {
    alb_refuses_requests_without_origin_verify_secret_on(Runtime::LambdaEdge).await;
}

/// [`alb_refuses_requests_without_origin_verify_secret`] with our functions in `runtime`.
pub(crate) async fn alb_refuses_requests_without_origin_verify_secret_on(runtime: Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        r#"{"forwarded_proto": {"origin_verify": {"header": "X-Origin-Verify", "secret": "0123456789abcdef-dev"}}}"#,
    );
    let dev = Dev::start_on(runtime, &["--config", &config, "--alb-verify"]);
    let client = viewer();
    let direct = client.get(dev.alb("/")).send().await.unwrap();
    assert_eq!(direct.status(), 403);
    assert_eq!(header(&direct, "server"), "awselb/2.0");
    let guessed = client
        .get(dev.alb("/"))
        .header("X-Origin-Verify", "guess")
        .send()
        .await
        .unwrap();
    assert_eq!(guessed.status(), 403);
    let through = client.get(dev.https("/")).send().await.unwrap();
    assert_eq!(through.status(), 200);
    let echo: Echo = through.json().await.unwrap();
    assert_eq!(echo.headers["x-origin-verify"], ["0123456789abcdef-dev"]);
    assert!(
        !dev.stderr().contains("0123456789abcdef-dev"),
        "the secret must not be logged"
    );
}

/// Case 5: a deliberately bad Node.js function (adds X-Forwarded-Proto) gets CloudFront's
/// 502 validation error and a log line naming the violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_function_gets_validation_502() {
    let dev = Dev::start(&[
        "--origin-request-js",
        &fixture("dev_bad_origin_request.mjs"),
    ]);
    let response = viewer().get(dev.https("/")).send().await.unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(header(&response, "x-cache"), "Error from cloudfront");
    assert_eq!(header(&response, "server"), "CloudFront");
    let body = response.text().await.unwrap();
    assert!(body.contains("failed validation"), "{body}");
    let log = dev.stderr();
    assert!(
        log.contains("LambdaValidationError") && log.contains("headers.x-forwarded-proto"),
        "{log}"
    );
}

/// Node.js handlers: callback style works; a throwing one gets the execution-error status
/// (503 by default, 500 when asked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_handlers_run_and_errors_map_to_status() {
    let good = Dev::start(&[
        "--origin-request-js",
        &fixture("dev_good_origin_request.mjs"),
    ]);
    let response = viewer().get(good.https("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let echo: Echo = response.json().await.unwrap();
    assert_eq!(echo.headers["x-from-node"], ["hello"]);

    let throwing = Dev::start(&[
        "--origin-request-js",
        &fixture("dev_throwing_origin_request.mjs"),
    ]);
    let response = viewer().get(throwing.https("/")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "x-cache"), "Error from cloudfront");
    assert!(throwing.stderr().contains("LambdaExecutionError"));

    let as_500 = Dev::start(&[
        "--origin-request-js",
        &fixture("dev_throwing_origin_request.mjs"),
        "--function-error-status",
        "500",
    ]);
    assert_eq!(
        viewer()
            .get(as_500.https("/"))
            .send()
            .await
            .unwrap()
            .status(),
        500
    );
}

/// hypercorn's ProxyFixMiddleware in modern mode reads RFC 7239 `Forwarded` (what Keycloak
/// reads with KC_PROXY_HEADERS=forwarded): the app sees https and the public host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hypercorn_modern_proxy_fix_sees_https_and_public_host() {
    hypercorn_modern_proxy_fix_sees_https_and_public_host_on(Runtime::LambdaEdge).await;
}

/// [`hypercorn_modern_proxy_fix_sees_https_and_public_host`] with our functions in `runtime`.
pub(crate) async fn hypercorn_modern_proxy_fix_sees_https_and_public_host_on(runtime: Runtime) {
    let app = PyServer::hypercorn("hypercorn_app");
    let dev = Dev::start_on(runtime, &["--origin", &app.url()]);
    let response = viewer()
        .get(dev.https("/realms/demo"))
        .header("Host", "app.example.com")
        .header("Forwarded", "for=6.6.6.6;host=evil.example;proto=http")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = header(&response, "set-cookie");
    let seen: Seen = response.json().await.unwrap();
    assert_eq!(seen.scheme, "https", "{seen:?}");
    assert_eq!(seen.host, "app.example.com");
    assert!(cookie.contains("; Secure"), "{cookie}");
}

/// nginx as the origin's own proxy with docs/nginx-snippet.conf maps
/// X-Cloudfront-Forwarded-Proto to X-Forwarded-Proto for its upstream (uvicorn reading
/// only X-Forwarded-Proto): https and a Secure cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_snippet_maps_cloudfront_proto() {
    nginx_snippet_maps_cloudfront_proto_on(Runtime::LambdaEdge).await;
}

/// [`nginx_snippet_maps_cloudfront_proto`] with our functions in `runtime`.
pub(crate) async fn nginx_snippet_maps_cloudfront_proto_on(runtime: Runtime) {
    let app = PyServer::uvicorn("plain_app");
    let nginx = Nginx::with_snippet(app.port);
    let with_function = Dev::start_on(runtime, &["--origin", &nginx.url()]);
    let response = viewer().get(with_function.https("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let cookie = header(&response, "set-cookie");
    let seen: Seen = response.json().await.unwrap();
    assert_eq!(seen.scheme, "https", "{seen:?}");
    assert_eq!(seen.headers["x-forwarded-proto"], ["https"]);
    assert!(cookie.contains("; Secure"), "{cookie}");

    // Without the function nginx falls back to the ALB's value: http, as in case 1.
    let without = Dev::start_on(runtime, &["--origin", &nginx.url(), "--no-forwarded-proto"]);
    let seen: Seen = viewer()
        .get(without.https("/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen.scheme, "http");
}

/// The ALB signature for an unreachable origin, passed through CloudFront as an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_origin_gets_alb_502() {
    let closed = edgekit_tests::free_port();
    let dev = Dev::start(&["--origin", &format!("http://127.0.0.1:{closed}")]);
    let response = viewer().get(dev.https("/")).send().await.unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(header(&response, "server"), "awselb/2.0");
    assert_eq!(header(&response, "x-cache"), "Error from cloudfront");
}

/// The Keycloak distribution: keycloak-host at origin-request in front of a stand-in that
/// reads RFC 7239 `Forwarded` like Keycloak with KC_PROXY_HEADERS=forwarded (hypercorn's
/// ProxyFixMiddleware, modern mode): https and the public host; private paths and unknown
/// hosts never reach it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keycloak_distribution_guards_paths_and_hosts() {
    keycloak_distribution_guards_paths_and_hosts_on(Runtime::LambdaEdge).await;
}

/// [`keycloak_distribution_guards_paths_and_hosts`] with our functions in `runtime`.
pub(crate) async fn keycloak_distribution_guards_paths_and_hosts_on(runtime: Runtime) {
    let keycloak = PyServer::hypercorn("hypercorn_app");
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        r#"{"keycloak_host": {"public_hosts": ["auth.example.com"]}}"#,
    );
    let dev = Dev::start_on(
        runtime,
        &["--config", &config, "--keycloak-origin", &keycloak.url()],
    );
    let client = viewer();
    let response = client
        .get(dev.keycloak("/realms/demo/.well-known/openid-configuration"))
        .header("Host", "auth.example.com")
        .header("X-Forwarded-Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen: Seen = response.json().await.unwrap();
    assert_eq!(seen.scheme, "https", "{seen:?}");
    assert_eq!(seen.host, "auth.example.com");
    for (path, host, status) in [
        ("/admin/master/console/", "auth.example.com", 404),
        ("/metrics", "auth.example.com", 404),
        ("/realms/demo", "evil.example", 421),
    ] {
        let response = client
            .get(dev.keycloak(path))
            .header("Host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{host}{path}");
        assert_eq!(header(&response, "x-cache"), runtime.generated_x_cache());
    }
}

/// Custom-domain mode: no CloudFront; the ALB's HTTPS listener itself says https, so
/// uvicorn's `--proxy-headers` is enough; its HTTP listener redirects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_domain_mode_alb_https_listener() {
    let app = PyServer::uvicorn("plain_app");
    let dev = Dev::start(&["--mode", "custom-domain", "--origin", &app.url()]);
    let response = viewer().get(dev.https("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("x-cache").is_none(),
        "no CloudFront in this mode"
    );
    let cookie = header(&response, "set-cookie");
    let seen: Seen = response.json().await.unwrap();
    assert_eq!(
        (
            seen.scheme.as_str(),
            seen.headers["x-forwarded-port"][0].as_str()
        ),
        ("https", "443")
    );
    assert!(cookie.contains("; Secure"), "{cookie}");
    let redirect = viewer().get(dev.http("/x")).send().await.unwrap();
    assert_eq!(redirect.status(), 301);
    assert_eq!(header(&redirect, "server"), "awselb/2.0");
}

/// Development mode: the ALB's HTTP listener only; the app honestly sees http.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_mode_is_plain_http() {
    let dev = Dev::start(&["--mode", "development"]);
    let echo: Echo = viewer()
        .get(dev.http("/dev"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo.inferred_scheme, "http");
    assert_eq!(echo.headers["x-forwarded-proto"], ["http"]);
    assert!(!echo.headers.contains_key("cloudfront-forwarded-proto"));
}

/// A target that accepts but never answers: the ALB's 504 after its idle timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_origin_gets_alb_504() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let (_stream, _) = silent.accept().unwrap();
        let _ = wait.recv();
    });
    let dev = Dev::start(&[
        "--origin",
        &format!("http://127.0.0.1:{port}"),
        "--origin-timeout",
        "1",
    ]);
    let response = viewer().get(dev.https("/")).send().await.unwrap();
    assert_eq!(response.status(), 504);
    assert_eq!(header(&response, "server"), "awselb/2.0");
    assert_eq!(header(&response, "x-cache"), "Error from cloudfront");
    drop(dev);
    done.send(()).unwrap();
    holder.join().unwrap();
}

/// Response triggers run too: an origin-response handler's header reaches the viewer, and
/// the origin's body streams through untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_response_handler_runs() {
    let dev = Dev::start(&["--origin-response-js", &fixture("dev_origin_response.mjs")]);
    let response = viewer().get(dev.https("/resp")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "strict-transport-security"),
        "max-age=63072000"
    );
    let echo: Echo = response.json().await.unwrap();
    assert_eq!(echo.path, "/resp");
}

/// The origin request policy decides what the function sees: without the CloudFront headers
/// forwarded-proto refuses with a 500 naming the policy to attach; without Host forwarding
/// the origin gets the origin's (ALB's) domain name as Host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_request_policy_shapes_the_request() {
    let no_cf_headers = Dev::start(&["--origin-request-policy", "all-viewer"]);
    let response = viewer().get(no_cf_headers.https("/")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        header(&response, "x-cache"),
        "LambdaGeneratedResponse from cloudfront"
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("AllViewerAndCloudFrontHeaders-2022-06")
    );

    let no_host = Dev::start(&["--origin-request-policy", "all-viewer-except-host-header"]);
    let echo: Echo = viewer()
        .get(no_host.https("/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        echo.headers["host"][0].ends_with(".elb.amazonaws.com"),
        "{:?}",
        echo.headers["host"]
    );
    assert_eq!(echo.headers["cloudfront-forwarded-proto"], ["https"]);
}
