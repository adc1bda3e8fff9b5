//! The ALB layer: a listener (HTTP or HTTPS) that sets `X-Forwarded-Proto`/`-Port` from its
//! own protocol, appends the client to `X-Forwarded-For`, adds `X-Amzn-Trace-Id`, optionally
//! refuses requests without the origin-verify secret, and proxies to the target — answering
//! 502/504 with the ALB's own signature (`Server: awselb/2.0`) when the target fails.

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use edge::proto::Proto;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::server::{Body, full};
use super::settings::{AlbMode, OriginTarget};

/// The shared HTTP client to origins (keep-alive pool).
pub type OriginClient = Client<HttpConnector, Full<Bytes>>;

/// A client with a keep-alive pool and TCP_NODELAY.
pub fn origin_client() -> OriginClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(50))
        .pool_max_idle_per_host(256)
        .build(connector)
}

/// A request on its way to the origin.
#[derive(Debug)]
pub struct ForwardRequest {
    pub method: Method,
    /// `/path?query`.
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The origin-verify listener rule: forward only when this header carries the secret.
#[derive(Clone)]
pub struct VerifyRule {
    pub header: HeaderName,
    pub secret: String,
}

impl VerifyRule {
    /// ELBv2 compares http-header values case-insensitively and tries every occurrence of
    /// the header. [CloudFormation reference, "AWS::ElasticLoadBalancingV2::ListenerRule
    /// HttpHeaderConfig"] (`*`/`?` wildcards are not emulated: edgekit's secrets have none.)
    pub fn accepts(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(&self.header)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(self.secret.as_bytes()))
    }
}

/// The listener's default action once protected: [`crate::plan::alb`]'s fixed response.
pub fn deny_response() -> Response<Body> {
    use crate::plan::alb::{DENY_BODY, DENY_CONTENT_TYPE, DENY_STATUS};
    let mut response = Response::new(full(DENY_BODY));
    *response.status_mut() = StatusCode::from_u16(DENY_STATUS).unwrap_or(StatusCode::FORBIDDEN);
    set_static(response.headers_mut(), "content-type", DENY_CONTENT_TYPE);
    set_static(response.headers_mut(), "server", "awselb/2.0");
    response
}

impl std::fmt::Debug for VerifyRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyRule({}: ***)", self.header)
    }
}

/// One ALB listener in front of the target.
#[derive(Clone)]
pub struct Alb {
    pub mode: AlbMode,
    /// The listener's protocol and port (what X-Forwarded-Proto/-Port say).
    pub listener: Proto,
    pub listener_port: u16,
    pub verify: Option<VerifyRule>,
    pub origin: OriginTarget,
    pub client: OriginClient,
    /// Idle timeout: no answer from the target within it → 504. [ELB guide, "Connection idle
    /// timeout": 60 s by default]
    pub timeout: Duration,
}

/// What the hop to the origin produced.
pub enum Outcome {
    Response(Response<hyper::body::Incoming>),
    Unreachable(String),
    Timeout,
}

impl Alb {
    /// Applies the listener's header behaviour, checks the rule, forwards.
    pub async fn handle(
        &self,
        mut request: ForwardRequest,
        peer: IpAddr,
        notes: &mut Vec<String>,
    ) -> Response<Body> {
        if self.mode == AlbMode::Off {
            return match self.send(request).await {
                Outcome::Response(response) => relay(response),
                Outcome::Unreachable(reason) => {
                    notes.push(format!("origin unreachable: {reason}"));
                    alb_page(StatusCode::BAD_GATEWAY)
                }
                Outcome::Timeout => alb_page(StatusCode::GATEWAY_TIMEOUT),
            };
        }
        // Listener rule "http-header <name> is <secret> → forward", default action the fixed
        // 403 `edgekit alb protect` installs (same status, content type and body: one
        // constant). [ELB guide, "Listener rules", HTTP header conditions and fixed-response
        // actions]
        if let Some(rule) = &self.verify
            && !rule.accepts(&request.headers)
        {
            notes.push(format!("alb: refused, {} missing or wrong", rule.header));
            return deny_response();
        }
        apply_forwarded_headers(
            &mut request.headers,
            self.mode,
            self.listener,
            self.listener_port,
            peer,
        );
        match self.send(request).await {
            Outcome::Response(response) => relay(response),
            Outcome::Unreachable(reason) => {
                notes.push(format!("alb: target unreachable: {reason}"));
                alb_page(StatusCode::BAD_GATEWAY)
            }
            Outcome::Timeout => {
                notes.push(format!(
                    "alb: target silent for {} s",
                    self.timeout.as_secs()
                ));
                alb_page(StatusCode::GATEWAY_TIMEOUT)
            }
        }
    }

    async fn send(&self, request: ForwardRequest) -> Outcome {
        let uri = format!("{}{}", self.origin.base, request.path_and_query);
        let mut builder = Request::builder().method(request.method).uri(uri);
        if let Some(headers) = builder.headers_mut() {
            *headers = request.headers;
        }
        let outgoing = match builder.body(Full::new(request.body)) {
            Ok(outgoing) => outgoing,
            Err(err) => return Outcome::Unreachable(format!("invalid request: {err}")),
        };
        match tokio::time::timeout(self.timeout, self.client.request(outgoing)).await {
            Ok(Ok(response)) => Outcome::Response(response),
            Ok(Err(err)) => Outcome::Unreachable(error_chain(&err)),
            Err(_) => Outcome::Timeout,
        }
    }
}

/// The target's response on its way back: hop-by-hop headers end at this hop (RFC 9110
/// section 7.6.1); the body streams through.
fn relay(response: Response<hyper::body::Incoming>) -> Response<Body> {
    let mut response = response.map(|body| body.boxed());
    let headers = response.headers_mut();
    for hop in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "te",
        "trailer",
    ] {
        headers.remove(hop);
    }
    response
}

/// The ALB's request headers. [ELB guide, "HTTP headers and Application Load Balancers"]:
/// X-Forwarded-For gets the client address appended (`routing.http.xff_header_processing.mode`
/// = append, the default); X-Forwarded-Proto and X-Forwarded-Port carry the listener's
/// protocol and port (overwrite or append, see [`AlbMode`]); no X-Forwarded-Host is sent;
/// X-Amzn-Trace-Id is added when absent ["Request tracing for your Application Load
/// Balancer"].
pub fn apply_forwarded_headers(
    headers: &mut HeaderMap,
    mode: AlbMode,
    listener: Proto,
    port: u16,
    peer: IpAddr,
) {
    let xff = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(existing) if !existing.trim().is_empty() => format!("{existing}, {peer}"),
        _ => peer.to_string(),
    };
    set_string(headers, "x-forwarded-for", &xff);
    for (name, value) in [
        ("x-forwarded-proto", listener.as_str().to_owned()),
        ("x-forwarded-port", port.to_string()),
    ] {
        let combined = match (mode, headers.get(name).and_then(|v| v.to_str().ok())) {
            (AlbMode::XfpAppend, Some(existing)) if !existing.trim().is_empty() => {
                format!("{existing}, {value}")
            }
            _ => value,
        };
        set_string(headers, name, &combined);
    }
    if !headers.contains_key("x-amzn-trace-id") {
        let epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let random: [u8; 12] = rand::random();
        let id: String = random.iter().map(|b| format!("{b:02x}")).collect();
        set_string(
            headers,
            "x-amzn-trace-id",
            &format!("Root=1-{epoch:08x}-{id}"),
        );
    }
}

/// The ALB's own error pages (`Server: awselb/2.0`, nginx-style HTML): what tells an ALB
/// 502 from a CloudFront one. [ELB guide, "Troubleshoot your Application Load Balancers",
/// HTTP 502/504]
pub fn alb_page(status: StatusCode) -> Response<Body> {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    set_static(response.headers_mut(), "content-type", "text/html");
    set_static(response.headers_mut(), "server", "awselb/2.0");
    response
}

fn set_static(headers: &mut HeaderMap, name: &'static str, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}

fn set_string(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overwrite_and_append() {
        let peer: IpAddr = [10, 0, 0, 1].into();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.7"));
        let mut appended = headers.clone();
        apply_forwarded_headers(&mut headers, AlbMode::XfpOverwrite, Proto::Http, 80, peer);
        assert_eq!(headers["x-forwarded-proto"], "http");
        assert_eq!(headers["x-forwarded-port"], "80");
        assert_eq!(headers["x-forwarded-for"], "203.0.113.7, 10.0.0.1");
        assert!(
            headers["x-amzn-trace-id"]
                .to_str()
                .unwrap()
                .starts_with("Root=1-")
        );
        apply_forwarded_headers(&mut appended, AlbMode::XfpAppend, Proto::Http, 80, peer);
        assert_eq!(appended["x-forwarded-proto"], "https, http");
    }
}
