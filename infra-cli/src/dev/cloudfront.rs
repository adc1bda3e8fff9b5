//! The CloudFront layer: one distribution with a custom origin (the ALB). It applies the
//! request limits (413), the allowed methods (403) and the viewer protocol policy, builds the
//! Lambda@Edge events CloudFront would build, runs the attached functions, validates every
//! result with [`edge::validate`] (a violation is the 502 LambdaValidationError a real
//! distribution gives), adds CloudFront's own request headers, and sends the request to the
//! ALB layer. Each rule cites its source; docs/conformance.md lists them all.

mod answers;
mod triggers;
mod viewer_function;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use bytes::Bytes;
use edge::model::{BodyEncoding, Cf, Record};
use edge::proto::Proto;
use edge::rules::is_disallowed;
use edge::{
    CfConfig, CloudFrontEvent, CustomOrigin, EdgeResult, EventType, Headers, Origin, Request,
};
use http::header::{HeaderMap, HeaderValue};
use http::request::Parts;
use http::{Method, Response, StatusCode, Version};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::alb::{Alb, ForwardRequest};
use super::cloudfront_functions::CloudFrontFunction;
use super::functions::{EdgeHandler, FunctionFailure};
use super::headers::{diff, to_edge, to_http};
use super::server::{Body, full};
use super::settings::{AllowedMethods, OriginRequestPolicy, ViewerProtocolPolicy};

/// The distribution's domain and id in events (the example values of the AWS docs,
/// "Lambda@Edge event structure").
pub const DISTRIBUTION_DOMAIN: &str = "d111111abcdef8.cloudfront.net";
pub const DISTRIBUTION_ID: &str = "EDFDVBD6EXAMPLE";
/// The emulator's point of presence in `X-Amz-Cf-Pop` (real ones look like `IAD89-C1`).
pub const POP: &str = "DEV1-C1";
/// Largest viewer request body accepted (CloudFront's limit for POST/PUT bodies is larger;
/// the emulator keeps memory bounded).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// CloudFront's limits on a viewer request: the request line and headers (not the body), and
/// the URL it constructs; beyond either it answers 413 and closes the connection. [Developer
/// Guide, "Request and response behavior for custom origins", "Maximum length of a request
/// and maximum length of a URL"; "Quotas", "General quotas"]
pub const MAX_REQUEST_BYTES: usize = 20_480;
pub const MAX_URL_BYTES: usize = 8_192;

/// Which function runs at which trigger.
#[derive(Clone, Default)]
pub struct Triggers {
    /// A CloudFront Function at viewer-request (never together with `viewer_request`: one
    /// function per event type per cache behavior).
    pub viewer_function: Option<Arc<CloudFrontFunction>>,
    pub viewer_request: Option<EdgeHandler>,
    pub origin_request: Option<EdgeHandler>,
    pub origin_response: Option<EdgeHandler>,
    pub viewer_response: Option<EdgeHandler>,
}

impl Triggers {
    /// `origin-request: forwarded-proto, ...` for the start-up banner.
    pub fn describe(&self) -> String {
        let function = self
            .viewer_function
            .as_ref()
            .map(|f| format!("{}: {}", EventType::ViewerRequest, f.name));
        let list: Vec<String> = function
            .into_iter()
            .chain(
                [
                    (EventType::ViewerRequest, &self.viewer_request),
                    (EventType::OriginRequest, &self.origin_request),
                    (EventType::OriginResponse, &self.origin_response),
                    (EventType::ViewerResponse, &self.viewer_response),
                ]
                .into_iter()
                .filter_map(|(event_type, handler)| {
                    handler
                        .as_ref()
                        .map(|h| format!("{event_type}: {}", h.name()))
                }),
            )
            .collect();
        if list.is_empty() {
            "no functions".into()
        } else {
            list.join(", ")
        }
    }
}

/// One emulated distribution.
pub struct Distribution {
    /// `app` or `keycloak`, in log lines.
    pub label: &'static str,
    pub triggers: Triggers,
    /// Custom origin headers (name, value).
    pub custom_origin_headers: Vec<(String, String)>,
    pub policy: OriginRequestPolicy,
    /// The cache behavior's allowed methods; others get the 403 (Invalid method).
    pub allowed_methods: AllowedMethods,
    /// The cache behavior's viewer protocol policy.
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    /// The port of the HTTPS viewer listener (redirect target).
    pub https_port: u16,
    /// The origin's domain name (the ALB's DNS name in the reference deployment).
    pub origin_domain: String,
    pub alb: Alb,
    /// The status of a function execution error (503 by default, see [`execution_error`]).
    pub function_error_status: StatusCode,
    /// The edge server id in `Via`.
    pub edge_host: String,
    /// One line per request on stderr.
    pub log_requests: bool,
}

/// How CloudFront answered, for `X-Cache`. [CloudFront Developer Guide, "Standard log file
/// fields": x-edge-result-type / x-edge-detailed-result-type]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CacheResult {
    Miss,
    Error,
    Redirect,
    LambdaGenerated,
    /// A CloudFront Function's generated response: real responses carry `X-Cache:
    /// FunctionGeneratedResponse from cloudfront` (docs/cloudfront-functions-equivalence.md).
    FunctionGenerated,
}

impl CacheResult {
    fn x_cache(self) -> &'static str {
        match self {
            Self::Miss => "Miss from cloudfront",
            Self::Error => "Error from cloudfront",
            Self::Redirect => "Redirect from cloudfront",
            Self::LambdaGenerated => "LambdaGeneratedResponse from cloudfront",
            Self::FunctionGenerated => "FunctionGeneratedResponse from cloudfront",
        }
    }
}

struct Outcome {
    response: Response<Body>,
    cache: CacheResult,
    /// Close the viewer's connection after this response (the 413 for an oversize request).
    close: bool,
}

/// Random request id in the shape of `X-Amz-Cf-Id` (56 base64url characters).
pub fn request_id() -> String {
    let random: [u8; 40] = rand::random();
    base64::engine::general_purpose::URL_SAFE.encode(random)
}

/// Headers CloudFront never passes to functions or to the origin: the disallowed ones
/// (incl. a viewer's X-Forwarded-Proto and X-Real-IP, which CloudFront removes [Developer
/// Guide, "Request and response behavior for custom origins"]) and hop-by-hop framing
/// (CloudFront re-frames the body towards the origin).
fn hidden_from_functions(name: &str) -> bool {
    is_disallowed(name)
        || matches!(
            name,
            "te" | "transfer-encoding" | "content-length" | "http2-settings"
        )
}

impl Distribution {
    /// Serves one viewer request.
    pub async fn handle(
        &self,
        request: http::Request<Incoming>,
        viewer: Proto,
        peer: SocketAddr,
    ) -> Response<Body> {
        let started = Instant::now();
        let id = request_id();
        let mut notes = Vec::new();
        let (parts, body) = request.into_parts();
        let method = parts.method.clone();
        let path = parts.uri.path().to_owned();
        let version = parts.version;
        let Outcome {
            mut response,
            cache,
            close,
        } = self
            .process(parts, body, viewer, peer, &id, &mut notes)
            .await;
        let headers = response.headers_mut();
        // Response headers CloudFront adds. [Developer Guide, "Request and response behavior
        // for custom origins" (Via), "Standard log file fields" (x-edge-result-type)]
        insert(headers, "via", &self.via(version));
        // HTTP/1 only: HTTP/2 has no Connection header (RFC 9113 section 8.2.2).
        if close && version < Version::HTTP_2 {
            headers.insert("connection", HeaderValue::from_static("close"));
        }
        headers.insert("x-cache", HeaderValue::from_static(cache.x_cache()));
        headers.insert("x-amz-cf-pop", HeaderValue::from_static(POP));
        insert(headers, "x-amz-cf-id", &id);
        if self.log_requests || cache == CacheResult::Error {
            eprintln!(
                "edgekit dev: [{}] {} {} {} {viewer} {:.1} ms {}{}",
                self.label,
                response.status().as_u16(),
                method,
                path,
                started.elapsed().as_secs_f64() * 1000.0,
                cache.x_cache(),
                if notes.is_empty() {
                    String::new()
                } else {
                    format!(" | {}", notes.join(" | "))
                }
            );
        }
        response
    }

    async fn process(
        &self,
        parts: Parts,
        body: Incoming,
        viewer: Proto,
        peer: SocketAddr,
        id: &str,
        notes: &mut Vec<String>,
    ) -> Outcome {
        // HTTP/2 viewers send :authority instead of Host; CloudFront shows functions a Host.
        let host = parts
            .headers
            .get("host")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| parts.uri.authority().map(|a| a.as_str().to_owned()))
            .unwrap_or_default();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();

        if let Some(refused) = self.admit(&parts, viewer, &host, &path_and_query, id, notes) {
            return refused;
        }
        // The viewer protocol policy answers before any function runs.
        if viewer == Proto::Http {
            match self.viewer_protocol_policy {
                ViewerProtocolPolicy::RedirectToHttps => {
                    notes.push("viewer protocol policy: redirect-to-https".into());
                    return self.redirect(&host, &path_and_query);
                }
                ViewerProtocolPolicy::HttpsOnly => {
                    notes.push("viewer protocol policy: https-only".into());
                    return self.error_page(
                        StatusCode::FORBIDDEN,
                        "This distribution accepts only HTTPS requests.",
                        id,
                    );
                }
                ViewerProtocolPolicy::AllowAll => {}
            }
        }

        let body = match http_body_util::Limited::new(body, MAX_BODY_BYTES)
            .collect()
            .await
        {
            Ok(collected) => collected.to_bytes(),
            Err(err) => {
                notes.push(format!("viewer body: {err}"));
                return self.error_page(
                    StatusCode::BAD_REQUEST,
                    "The request body could not be read.",
                    id,
                );
            }
        };

        // A GET with a body is refused. [Developer Guide, "Request and response behavior for
        // custom origins", "GET requests that include a body"]
        if parts.method == Method::GET && !body.is_empty() {
            notes.push("cloudfront: GET with a body".into());
            return self.error_page(StatusCode::FORBIDDEN, "Bad request.", id);
        }
        let mut request = self.viewer_request(&parts, &host, &path_and_query, peer, notes);

        if let Some(function) = &self.triggers.viewer_function {
            match self.run_viewer_function(function, request, id, notes).await {
                Ok(next) => request = next,
                Err(outcome) => return outcome,
            }
        } else if let Some(handler) = &self.triggers.viewer_request {
            match self
                .run_request_trigger(handler, EventType::ViewerRequest, request, id, notes)
                .await
            {
                Ok(next) => request = next,
                Err(outcome) => return outcome,
            }
        }

        self.add_cloudfront_request_headers(&mut request, viewer, parts.version, peer);

        if let Some(handler) = &self.triggers.origin_request {
            match self
                .run_request_trigger(handler, EventType::OriginRequest, request, id, notes)
                .await
            {
                Ok(next) => request = next,
                Err(outcome) => return outcome,
            }
        }

        self.fetch(&request, body, id, notes).await
    }

    /// What CloudFront refuses before anything else: an oversize request or URL (413, then the
    /// connection is closed) and a method outside the cache behavior's allowed methods (403).
    /// The order of the two checks and the viewer protocol policy is not documented; the
    /// limits come first because they apply while the request is read.
    fn admit(
        &self,
        parts: &Parts,
        viewer: Proto,
        host: &str,
        path_and_query: &str,
        id: &str,
        notes: &mut Vec<String>,
    ) -> Option<Outcome> {
        let url = viewer.as_str().len() + "://".len() + host.len() + path_and_query.len();
        let request = request_bytes(parts, path_and_query);
        if url > MAX_URL_BYTES || request > MAX_REQUEST_BYTES {
            notes.push(format!(
                "cloudfront: 413, URL {url} bytes (max {MAX_URL_BYTES}), request {request} bytes (max {MAX_REQUEST_BYTES})"
            ));
            let mut outcome = self.error_page(StatusCode::PAYLOAD_TOO_LARGE, "Bad request.", id);
            outcome.close = true;
            return Some(outcome);
        }
        // Methods outside the allowed set, TRACE and unknown ones included, get a 403.
        // [Developer Guide, "HTTP 403 status code (Invalid method)"]
        if !self.allowed_methods.allows(&parts.method) {
            notes.push(format!("cloudfront: method {} not allowed", parts.method));
            return Some(self.error_page(
                StatusCode::FORBIDDEN,
                "This distribution is not configured to allow the HTTP request method that was used for this request.",
                id,
            ));
        }
        None
    }

    /// `Via` as CloudFront writes it: the viewer's HTTP version (`1.0`, `1.1`, `2.0`), the
    /// edge server's name, `(CloudFront)`. [Developer Guide, "Request and response behavior
    /// for custom origins", "HTTP response headers that CloudFront removes or replaces": "Via:
    /// http-version alphanumeric-string.cloudfront.net (CloudFront)"]
    fn via(&self, version: Version) -> String {
        let version = match version {
            Version::HTTP_09 => "0.9",
            Version::HTTP_10 => "1.0",
            Version::HTTP_2 => "2.0",
            Version::HTTP_3 => "3.0",
            _ => "1.1",
        };
        format!("{version} {} (CloudFront)", self.edge_host)
    }

    /// The viewer protocol policy's answer to an HTTP request: 301 (Moved Permanently) to the
    /// HTTPS URL. [CloudFront API Reference, CacheBehavior, ViewerProtocolPolicy; Developer
    /// Guide, "Require HTTPS for communication between viewers and CloudFront"]
    fn redirect(&self, host: &str, path_and_query: &str) -> Outcome {
        let name = strip_port(host);
        let location = if self.https_port == 443 {
            format!("https://{name}{path_and_query}")
        } else {
            format!("https://{name}:{}{path_and_query}", self.https_port)
        };
        let mut response = Response::new(full(""));
        *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
        insert(response.headers_mut(), "location", &location);
        response
            .headers_mut()
            .insert("server", HeaderValue::from_static("CloudFront"));
        Outcome {
            response,
            cache: CacheResult::Redirect,
            close: false,
        }
    }

    /// The request as the viewer-request trigger sees it: the headers CloudFront hides from
    /// functions removed, Host from `:authority` for HTTP/2 viewers.
    fn viewer_request(
        &self,
        parts: &Parts,
        host: &str,
        path_and_query: &str,
        peer: SocketAddr,
        notes: &mut Vec<String>,
    ) -> Request {
        for removed in ["x-forwarded-proto", "x-real-ip"] {
            if parts.headers.contains_key(removed) {
                notes.push(format!("cloudfront: removed viewer {removed}"));
            }
        }
        let mut headers = to_edge(&parts.headers, hidden_from_functions);
        if !headers.contains("host") && !host.is_empty() {
            headers.set("Host", host);
        }
        let (uri, querystring) = match path_and_query.split_once('?') {
            Some((uri, query)) => (uri.to_owned(), query.to_owned()),
            None => (path_and_query.to_owned(), String::new()),
        };
        Request {
            client_ip: peer.ip().to_string(),
            headers,
            method: parts.method.as_str().to_owned(),
            querystring,
            uri,
            origin: Some(self.origin()),
            body: None,
            extra: Default::default(),
        }
    }

    /// The origin fetch through the ALB, then the origin-response and viewer-response
    /// triggers.
    async fn fetch(
        &self,
        request: &Request,
        body: Bytes,
        id: &str,
        notes: &mut Vec<String>,
    ) -> Outcome {
        let forward = self.origin_request(request, body, id, notes);
        let mut response = self
            .alb
            .handle(forward, IpAddr::from([127, 0, 0, 1]), notes)
            .await;
        if response
            .headers()
            .get("server")
            .is_some_and(|s| s.as_bytes() == b"awselb/2.0")
            && response.status().is_server_error()
        {
            notes.push("502/504 from the ALB (Server: awselb/2.0)".into());
        }

        for (event_type, handler) in [
            (EventType::OriginResponse, &self.triggers.origin_response),
            (EventType::ViewerResponse, &self.triggers.viewer_response),
        ] {
            if let Some(handler) = handler {
                match self
                    .run_response_trigger(handler, event_type, request, response, id, notes)
                    .await
                {
                    Ok(next) => response = next,
                    Err(outcome) => return outcome,
                }
            }
        }
        // An origin's 4xx/5xx is reported as an error. [Developer Guide, "Standard log file
        // fields", x-edge-result-type "Error"]
        let cache = if response.status().is_client_error() || response.status().is_server_error() {
            CacheResult::Error
        } else {
            CacheResult::Miss
        };
        Outcome {
            response,
            cache,
            close: false,
        }
    }

    /// `request.origin.custom` as CloudFront puts it in events. [Developer Guide,
    /// "Lambda@Edge event structure", origin-request example]
    fn origin(&self) -> Origin {
        let mut custom_headers = Headers::new();
        for (name, value) in &self.custom_origin_headers {
            custom_headers.append(name, value.as_str());
        }
        Origin {
            custom: Some(CustomOrigin {
                custom_headers,
                domain_name: self.origin_domain.clone(),
                keepalive_timeout: Some(5),
                path: String::new(),
                port: Some(80),
                protocol: Some("http".into()),
                read_timeout: Some(30),
                ssl_protocols: Some(vec!["TLSv1.2".into()]),
                extra: Default::default(),
            }),
            s3: None,
            extra: Default::default(),
        }
    }

    /// What CloudFront adds after viewer-request and before origin-request.
    fn add_cloudfront_request_headers(
        &self,
        request: &mut Request,
        viewer: Proto,
        version: Version,
        peer: SocketAddr,
    ) {
        let headers = &mut request.headers;
        // CloudFront-Forwarded-Proto and CloudFront-Viewer-Address, when the origin request
        // policy includes them; a viewer cannot supply them. [Developer Guide, "Add
        // CloudFront request headers"; "Use managed origin request policies"]
        headers.remove("cloudfront-forwarded-proto");
        headers.remove("cloudfront-viewer-address");
        if self.policy.adds_cloudfront_headers() {
            headers.set("CloudFront-Forwarded-Proto", viewer.as_str());
            let address = match peer.ip() {
                IpAddr::V4(ip) => format!("{ip}:{}", peer.port()),
                IpAddr::V6(ip) => format!("{ip}:{}", peer.port()),
            };
            headers.set("CloudFront-Viewer-Address", address);
        }
        // Host: forwarded when the origin request policy includes it, else the origin's
        // domain name. [Developer Guide, "Request and response behavior for custom origins",
        // Host]
        if !self.policy.forwards_host() {
            headers.set("Host", self.origin_domain.as_str());
        }
        // X-Forwarded-For: the viewer's address appended to any value the viewer sent.
        // [same page, X-Forwarded-For]
        let xff = match headers.first("x-forwarded-for") {
            Some(existing) if !existing.trim().is_empty() => format!("{existing}, {}", peer.ip()),
            _ => peer.ip().to_string(),
        };
        headers.set("X-Forwarded-For", xff);
        // Via: "<viewer's HTTP version> <id>.cloudfront.net (CloudFront)", appended to the
        // viewer's. [same page, "HTTP request headers and CloudFront behavior" (Via forwarded)
        // and "HTTP response headers that CloudFront removes or replaces" (the format)]
        let via = self.via(version);
        match headers.first("via") {
            Some(existing) => {
                let combined = format!("{existing}, {via}");
                headers.set("Via", combined);
            }
            None => headers.set("Via", via),
        }
        // User-Agent: all our managed policies forward the viewer's; CloudFront sends
        // "Amazon CloudFront" when it does not. [same page, User-Agent]
        if !headers.contains("user-agent") {
            headers.set("User-Agent", "Amazon CloudFront");
        }
    }
}

/// The size of the request without its body, as HTTP/1.1 would put it on the wire (request
/// line, headers, blank line); for HTTP/2 the same fields, with `:authority` counted as Host.
fn request_bytes(parts: &Parts, path_and_query: &str) -> usize {
    let line = parts.method.as_str().len() + path_and_query.len() + " HTTP/1.1\r\n".len() + 1;
    let headers: usize = parts
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    let authority = match (parts.headers.contains_key("host"), parts.uri.authority()) {
        (false, Some(authority)) => "host: \r\n".len() + authority.as_str().len(),
        _ => 0,
    };
    line + headers + authority + 2
}

fn parts_with(mut parts: http::response::Parts, headers: HeaderMap) -> http::response::Parts {
    parts.headers = headers;
    parts
}

fn decode_body(text: &str, encoding: Option<BodyEncoding>) -> Bytes {
    match encoding {
        Some(BodyEncoding::Base64) => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Bytes::from)
            .unwrap_or_else(|_| Bytes::copy_from_slice(text.as_bytes())),
        _ => Bytes::copy_from_slice(text.as_bytes()),
    }
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// `name:port` → `name` (IPv6 literals keep their brackets).
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(name, _)| &host[..name.len() + 1]);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped() {
        assert_eq!(strip_port("localhost:8080"), "localhost");
        assert_eq!(strip_port("[::1]:8080"), "[::1]");
        assert_eq!(strip_port("app.example"), "app.example");
    }

    #[test]
    fn ids_look_like_cloudfront_ids() {
        assert_eq!(request_id().len(), 56);
    }
}
