//! `edgekit dev` against CloudFront's documented request and response behaviour for custom
//! origins, one test per row of docs/conformance.md marked "emulated" that dev_e2e.rs does not
//! already prove. Real clients: curl (`--http1.0`), raw TCP and TLS sockets for oversize and
//! HTTP/1.0-only requests, reqwest otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use edgekit_tests::dev::{Dev, header, viewer};
use serde::Deserialize;

/// What the embedded echo answers.
#[derive(Debug, Deserialize)]
struct Echo {
    method: String,
    query: String,
    headers: BTreeMap<String, Vec<String>>,
    version: String,
}

/// Sends `request` on a plain TCP connection and reads until the server closes it (a read
/// timeout fails the test: the connection was kept open).
fn raw_http(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .expect("the server must close the connection");
    String::from_utf8_lossy(&answer).into_owned()
}

/// Accepts any certificate: the emulator's is self-signed and new at every start.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// An HTTPS request from a TLS client that offers only `alpn` (e.g. `http/1.0`); the answer,
/// read until the server closes the connection.
fn raw_https(port: u16, alpn: &[u8], request: &[u8]) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut tls = rustls::StreamOwned::new(connection, socket);
    tls.write_all(request).expect("TLS handshake and request");
    let mut answer = Vec::new();
    match tls.read_to_end(&mut answer) {
        Ok(_) => {}
        // A peer that closes without close_notify still sent its whole answer.
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {}
        Err(err) => panic!("reading the answer: {err}"),
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// `curl -sk --path-as-is -g <args>`, printing the body then `\n<http_version> <status>`.
fn curl(args: &[&str]) -> (String, String) {
    let output = Command::new("curl")
        .args([
            "-sk",
            "--path-as-is",
            "-g",
            "-w",
            "\n%{http_version} %{http_code}",
        ])
        .args(args)
        .output()
        .expect("curl is installed");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (body.to_owned(), status.to_owned())
}

/// A CloudFront error page: its status, `Server: CloudFront`, `X-Cache: Error from
/// cloudfront`.
fn assert_cloudfront_error(response: &reqwest::Response, status: u16) {
    assert_eq!(response.status(), status);
    assert_eq!(header(response, "server"), "CloudFront");
    assert_eq!(header(response, "x-cache"), "Error from cloudfront");
}

/// "Maximum length of a request and maximum length of a URL": a URL over 8,192 bytes gets 413
/// and the connection is closed; one under it is forwarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_over_8192_bytes_gets_413_and_connection_closed() {
    let dev = Dev::start(&[]);
    let long = format!("/{}", "a".repeat(9_000));
    let answer = raw_http(
        dev.http_port,
        format!("GET {long} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.200}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"));
    assert!(answer.contains("Server: CloudFront") || answer.contains("server: CloudFront"));

    let within = format!("/{}", "a".repeat(8_000));
    let response = viewer().get(dev.https(&within)).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

/// The same section: a request (line and headers) over 20,480 bytes gets 413 and the
/// connection is closed, over HTTP/1.1 and HTTP/2 alike (no 431 from the HTTP stack).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_over_20480_bytes_gets_413_and_connection_closed() {
    let dev = Dev::start(&[]);
    let big = "b".repeat(21_000);
    let answer = raw_http(
        dev.http_port,
        format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\n\r\n").as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.200}");

    let response = viewer()
        .get(dev.https("/"))
        .header("X-Big", "c".repeat(25_000))
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_cloudfront_error(&response, 413);

    let response = viewer()
        .get(dev.https("/"))
        .header("X-Big", "c".repeat(19_000))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "under the limit");
}

/// "HTTP 403 status code (Invalid method)" and "Allowed HTTP methods": the seven methods pass
/// by default; TRACE and unknown methods get CloudFront's 403; the two smaller sets refuse
/// what they leave out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_outside_the_allowed_set_get_403() {
    let client = viewer();
    let method = |name: &str| reqwest::Method::from_bytes(name.as_bytes()).unwrap();
    let all = Dev::start(&[]);
    for name in ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"] {
        let response = client.request(method(name), all.https("/m")).send().await;
        assert_eq!(response.unwrap().status(), 200, "{name}");
    }
    for name in ["TRACE", "FOO", "PROPFIND"] {
        let response = client.request(method(name), all.https("/m")).send().await;
        assert_cloudfront_error(&response.unwrap(), 403);
    }
    drop(all);

    for (set, allowed, refused) in [
        ("get-head", &["GET", "HEAD"][..], &["OPTIONS", "POST"][..]),
        (
            "get-head-options",
            &["GET", "OPTIONS"][..],
            &["POST", "DELETE"][..],
        ),
    ] {
        let dev = Dev::start(&["--allowed-methods", set]);
        for name in allowed {
            let response = client.request(method(name), dev.https("/m")).send().await;
            assert_eq!(response.unwrap().status(), 200, "{set} {name}");
        }
        for name in refused {
            let response = client.request(method(name), dev.https("/m")).send().await;
            assert_cloudfront_error(&response.unwrap(), 403);
        }
    }
}

/// "GET requests that include a body": 403; a POST with the same body is forwarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_with_a_body_gets_403() {
    let dev = Dev::start(&[]);
    let response = viewer()
        .get(dev.https("/g"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_cloudfront_error(&response, 403);
    let response = viewer()
        .post(dev.https("/g"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// "Supported HTTP versions": HTTP/1.0 viewers are served, over plain HTTP (the 301 of
/// redirect-to-https) and over TLS, also when the client offers only `http/1.0` in ALPN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_1_0_viewers_are_served() {
    let dev = Dev::start(&[]);
    let (_, status) = curl(&["--http1.0", &dev.http("/old")]);
    // curl prints HTTP/1.0 as "1".
    assert_eq!(status, "1 301");
    let (body, status) = curl(&["--http1.0", &dev.https("/old")]);
    assert_eq!(status, "1 200");
    let echo: Echo = serde_json::from_str(&body).unwrap();
    assert!(echo.headers["via"][0].starts_with("1.0 "), "{echo:?}");

    let answer = raw_https(
        dev.https_port,
        b"http/1.0",
        b"GET /alpn HTTP/1.0\r\nHost: localhost\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer:.300}");
    assert!(answer.contains("\"/alpn\""));
}

/// "HTTP response headers that CloudFront removes or replaces" (Via's format) and "HTTP
/// version": Via says the viewer's version, to the origin (after the viewer's own Via) and to
/// the viewer; the origin hop is HTTP/1.1 whatever the viewer spoke.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn via_carries_the_viewer_http_version() {
    let dev = Dev::start(&[]);
    let h1 = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .http1_only()
        .build()
        .unwrap();
    for (client, version) in [(viewer(), "2.0"), (h1, "1.1")] {
        let response = client
            .get(dev.https("/via"))
            .header("Via", "1.1 corporate-proxy")
            .send()
            .await
            .unwrap();
        let to_viewer = header(&response, "via");
        assert!(
            to_viewer.starts_with(&format!("{version} "))
                && to_viewer.ends_with(".cloudfront.net (CloudFront)"),
            "{to_viewer}"
        );
        let echo: Echo = response.json().await.unwrap();
        assert_eq!(
            echo.headers["via"],
            [format!("1.1 corporate-proxy, {to_viewer}")]
        );
        assert_eq!(echo.version, "HTTP/1.1");
    }
}

/// "HTTP request headers and CloudFront behavior" and "Client IP addresses": X-Amz-Cf-Id is
/// added (the id the viewer gets back), X-Edge-* and the Proxy-*/TE hop-by-hop headers are
/// removed, the viewer's address is appended to X-Forwarded-For, and User-Agent is
/// "Amazon CloudFront" when the viewer sent none (the AllViewer* policies forward a viewer's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_headers_cloudfront_adds_and_removes() {
    let dev = Dev::start(&[]);
    let response = viewer()
        .get(dev.https("/h"))
        .header("X-Forwarded-For", "192.0.2.4,192.0.2.3")
        .header("X-Edge-Origin-Shield", "x")
        .header("Proxy-Authorization", "Basic eA==")
        .header("Proxy-Connection", "keep-alive")
        .send()
        .await
        .unwrap();
    let id = header(&response, "x-amz-cf-id");
    assert_eq!(header(&response, "x-amz-cf-pop"), "DEV1-C1");
    let echo: Echo = response.json().await.unwrap();
    assert_eq!(echo.headers["x-amz-cf-id"], [id]);
    for removed in [
        "x-edge-origin-shield",
        "proxy-authorization",
        "proxy-connection",
    ] {
        assert!(!echo.headers.contains_key(removed), "{removed}: {echo:?}");
    }
    // CloudFront appends the viewer, then the ALB appends CloudFront's edge (both loopback).
    assert_eq!(
        echo.headers["x-forwarded-for"],
        ["192.0.2.4,192.0.2.3, 127.0.0.1, 127.0.0.1"]
    );
    assert_eq!(echo.headers["user-agent"], ["Amazon CloudFront"]);
    assert!(echo.headers["cloudfront-viewer-address"][0].starts_with("127.0.0.1:"));

    let (body, _) = curl(&["-A", "curl-probe/1", &dev.https("/h")]);
    let echo: Echo = serde_json::from_str(&body).unwrap();
    assert_eq!(echo.headers["user-agent"], ["curl-probe/1"]);
}

/// "Cookies", "Query strings", the request header table, "Range": under the AllViewer* origin
/// request policies every viewer header, cookie and query string reaches the origin,
/// including the ones the legacy settings would remove (Accept-Language, Referer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_viewer_policy_forwards_cookies_query_strings_and_headers() {
    let dev = Dev::start(&[]);
    let response = viewer()
        .get(dev.https("/p?b=2&a=1&a=0"))
        .header("Cookie", "session=s1; theme=dark")
        .header("Accept-Language", "de")
        .header("Referer", "https://example.com/")
        .header("Authorization", "Bearer t")
        .header("Range", "bytes=0-9")
        .header("If-None-Match", "\"v1\"")
        .header("Origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    let echo: Echo = response.json().await.unwrap();
    assert_eq!(
        (echo.method.as_str(), echo.query.as_str()),
        ("GET", "b=2&a=1&a=0")
    );
    for (name, value) in [
        ("cookie", "session=s1; theme=dark"),
        ("accept-language", "de"),
        ("referer", "https://example.com/"),
        ("authorization", "Bearer t"),
        ("range", "bytes=0-9"),
        ("if-none-match", "\"v1\""),
        ("origin", "https://app.example.com"),
    ] {
        assert_eq!(echo.headers[name], [value], "{name}");
    }
}

/// "HTTP response headers that CloudFront removes or replaces" and "Transfer-Encoding
/// header": an origin's Upgrade and Trailer headers do not reach the viewer, a chunked body
/// is relayed chunked, and an origin's 4xx passes through as an error (X-Cache). "Redirects":
/// an origin's 302 reaches the viewer, not followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_headers_cloudfront_removes_or_replaces() {
    let origin = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = origin.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        for status in [
            "200 OK",
            "404 Not Found",
            "302 Found\r\nLocation: /elsewhere",
        ] {
            let (mut stream, _) = origin.accept().unwrap();
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer).unwrap();
            let answer = format!(
                "HTTP/1.1 {status}\r\nTransfer-Encoding: chunked\r\nUpgrade: h2c\r\nTrailer: X-Checksum\r\nX-App: yes\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            );
            stream.write_all(answer.as_bytes()).unwrap();
        }
    });
    let dev = Dev::start(&["--origin", &format!("http://127.0.0.1:{port}")]);
    let output = Command::new("curl")
        .args(["-sk", "--http1.1", "-D", "-", &dev.https("/r")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains("transfer-encoding: chunked"), "{text}");
    assert!(
        text.contains("x-app: yes") && text.ends_with("hello"),
        "{text}"
    );
    assert!(
        !text.contains("upgrade:") && !text.contains("trailer:"),
        "{text}"
    );
    assert!(text.contains("x-cache: miss from cloudfront"), "{text}");

    let response = viewer().get(dev.https("/missing")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(header(&response, "x-cache"), "Error from cloudfront");
    assert_eq!(response.text().await.unwrap(), "hello");
    let response = viewer().get(dev.https("/moved")).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(header(&response, "location"), "/elsewhere");
    server.join().unwrap();
}
