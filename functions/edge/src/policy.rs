//! Shared header policy for our origin-request functions: which client headers to strip,
//! how the viewer's protocol/host/address are injected, the origin-verify header, and the
//! config types both functions use. One implementation, used by forwarded-proto and
//! keycloak-host alike.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::EventType;
use crate::forwarded::{ForwardedElement, for_node};
use crate::forwarding::{StripList, is_stripped_by_default};
use crate::headers::Headers;
use crate::host::{Host, HostError, parse_host};
use crate::model::{EdgeResult, Request, Response};
use crate::proto::{CLOUDFRONT_FORWARDED_PROTO, Proto};
use crate::response;
use crate::rules::{is_disallowed, is_read_only, is_token};

/// The header carrying the viewer's protocol that the ALB leaves alone. We cannot use
/// `X-Forwarded-Proto`: it is disallowed at the edge [CloudFront Developer Guide,
/// "Restrictions on all edge functions"], and an HTTP ALB listener overwrites it anyway
/// [Elastic Load Balancing guide, "X-Forwarded headers"].
pub const DEFAULT_PROTO_HEADER: &str = "X-Cloudfront-Forwarded-Proto";

/// The origin request policy that adds `CloudFront-Forwarded-Proto` (and forwards Host).
/// [CloudFront Developer Guide, "Use managed origin request policies"]
pub const ALL_VIEWER_AND_CLOUDFRONT_HEADERS_POLICY: &str =
    "AllViewerAndCloudFrontHeaders-2022-06 (id 33f36d7e-f396-46d9-90e0-52428a34d9dc)";

/// What the Host header sent to the origin becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OriginHost {
    /// Keep the viewer's Host (forwarded by the origin request policy).
    #[default]
    Keep,
    /// Set Host to the origin's domain name (so ALB host rules and TLS SNI match).
    OriginDomain,
}

/// A secret that never shows in `Debug`, logs or errors.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A header with a shared secret added to every origin request, so the ALB can refuse
/// traffic that did not come through CloudFront.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginVerify {
    pub header: String,
    pub secret: Secret,
}

/// A configuration mistake, named by its field: a finding (like a [`crate::Violation`]);
/// as an error it travels as [`crate::EdgeError::Config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub field: String,
    pub reason: String,
}

impl std::error::Error for ConfigProblem {}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl ConfigProblem {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Checks that a function may add or overwrite `name` in origin-request.
pub fn check_injectable_header(field: &str, name: &str) -> Result<(), ConfigProblem> {
    if !is_token(name) {
        return Err(ConfigProblem::new(
            field,
            format!("{name:?} is not a valid header name"),
        ));
    }
    if is_disallowed(name) {
        return Err(ConfigProblem::new(
            field,
            format!(
                "{name} is disallowed at the edge (CloudFront Developer Guide, \"Restrictions on all edge functions\")"
            ),
        ));
    }
    if is_read_only(EventType::OriginRequest, name) {
        return Err(ConfigProblem::new(
            field,
            format!(
                "{name} is read-only in origin-request (CloudFront Developer Guide, \"Restrictions on all edge functions\")"
            ),
        ));
    }
    Ok(())
}

impl OriginVerify {
    /// Validates the header name and the secret's shape (never echoing the secret).
    pub fn check(&self, field: &str) -> Result<(), ConfigProblem> {
        check_injectable_header(&format!("{field}.header"), &self.header)?;
        let secret = self.secret.expose();
        if secret.len() < 16 {
            return Err(ConfigProblem::new(
                format!("{field}.secret"),
                "must be at least 16 characters",
            ));
        }
        if secret.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
            return Err(ConfigProblem::new(
                format!("{field}.secret"),
                "must be printable ASCII without spaces",
            ));
        }
        Ok(())
    }
}

/// A host allow-list entry matches the viewer's host by name, and by port when the entry
/// names one (otherwise the viewer's port must be absent or the protocol's default).
pub fn host_allowed(allow_list: &[String], host: &Host, proto: Proto) -> bool {
    allow_list.iter().any(|entry| match parse_host(entry) {
        Ok(allowed) => {
            allowed.name == host.name
                && match (allowed.port, host.port) {
                    (Some(a), Some(b)) => a == b,
                    (Some(_), None) => false,
                    (None, None) => true,
                    (None, Some(port)) => port == proto.default_port(),
                }
        }
        Err(_) => false,
    })
}

/// Validates every allow-list entry at config time.
pub fn check_host_list(field: &str, hosts: &[String]) -> Result<(), ConfigProblem> {
    for (index, entry) in hosts.iter().enumerate() {
        parse_host(entry)
            .map_err(|err| ConfigProblem::new(format!("{field}[{index}]"), err.to_string()))?;
    }
    Ok(())
}

/// What the viewer's protocol header said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerProto {
    Known(Proto),
    Missing,
    /// Present but not exactly one `http`/`https` value.
    Malformed,
}

/// Reads `CloudFront-Forwarded-Proto`. CloudFront adds it after viewer-request, and a
/// viewer cannot set it (CloudFront overwrites `CloudFront-*` headers it adds).
/// [CloudFront Developer Guide, "Adding CloudFront request headers"]
pub fn viewer_proto(headers: &Headers) -> ViewerProto {
    let mut values = headers.values(CLOUDFRONT_FORWARDED_PROTO);
    match (values.next(), values.next()) {
        (None, _) => ViewerProto::Missing,
        (Some(value), None) => {
            Proto::parse(value).map_or(ViewerProto::Malformed, ViewerProto::Known)
        }
        (Some(_), Some(_)) => ViewerProto::Malformed,
    }
}

/// Reads and validates the viewer's Host: exactly one header, a valid host.
pub fn viewer_host(request: &Request) -> Result<Host, HostError> {
    let mut values = request.headers.values("host");
    match (values.next(), values.next()) {
        (Some(value), None) => parse_host(value),
        (None, _) => Err(HostError::Empty),
        (Some(_), Some(_)) => Err(HostError::ForbiddenChar(',')),
    }
}

/// The headers whose lines [`viewer_proto_and_host`] reads (map keys, lowercase): what our
/// functions declare as [`EdgeFunction::READS_HEADERS`](crate::EdgeFunction::READS_HEADERS).
pub const PROLOGUE_HEADERS: &[&str] = &[crate::proto::CLOUDFRONT_FORWARDED_PROTO, "host"];

/// What a function assumes when `CloudFront-Forwarded-Proto` is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingProto {
    /// Answer 500 naming the origin request policy to attach.
    Reject,
    /// Take this protocol (right only behind an https-only viewer protocol policy).
    Assume(Proto),
}

/// The shared prologue of our origin-request functions: the viewer's protocol and host,
/// validated, or the generated answer for a request that has none we can trust (400 for a
/// malformed protocol or Host, 500 for a missing protocol under [`MissingProto::Reject`]).
pub fn viewer_proto_and_host(
    request: &Request,
    missing: MissingProto,
) -> Result<(Proto, Host), Box<Response>> {
    let proto = match (viewer_proto(&request.headers), missing) {
        (ViewerProto::Known(proto), _) | (ViewerProto::Missing, MissingProto::Assume(proto)) => {
            proto
        }
        (ViewerProto::Missing, MissingProto::Reject) => {
            return Err(Box::new(missing_proto_response()));
        }
        (ViewerProto::Malformed, _) => {
            return Err(Box::new(bad_request(
                "CloudFront-Forwarded-Proto must be exactly one of http, https.",
            )));
        }
    };
    let host = viewer_host(request)
        .map_err(|err| Box::new(bad_request(&format!("Invalid Host header: {err}."))))?;
    Ok((proto, host))
}

/// A 400 with a one-line reason.
pub fn bad_request(message: &str) -> Response {
    response::error(400, &format!("{message}\n"))
}

/// What the origin learns about the viewer: all validated before use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerContext {
    pub client_ip: String,
    pub host: Host,
    pub proto: Proto,
}

/// Checks the strip-list config keys: `strip_headers` adds names (each must be a header a
/// function may remove), `keep_headers` lets a default through (each must be a default,
/// so a typo cannot silently keep nothing, and not also in `strip_headers`).
pub fn check_strip_lists(strip: &[String], keep: &[String]) -> Result<(), ConfigProblem> {
    for (index, name) in strip.iter().enumerate() {
        check_injectable_header(&format!("strip_headers[{index}]"), name)?;
    }
    for (index, name) in keep.iter().enumerate() {
        let field = format!("keep_headers[{index}]");
        if !is_stripped_by_default(name) {
            return Err(ConfigProblem::new(
                field,
                format!(
                    "{name:?} is not stripped by default, so there is nothing to keep (the defaults: docs/forwarding-headers.md)"
                ),
            ));
        }
        if strip.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            return Err(ConfigProblem::new(
                field,
                format!("{name} is also in strip_headers: keep it or strip it"),
            ));
        }
    }
    Ok(())
}

/// Injects the viewer's protocol, host, port and address in headers the ALB passes
/// through: `<proto_header>`, RFC 7239 `Forwarded`, `X-Forwarded-Host`, `X-Forwarded-Port`.
/// The ALB overwrites X-Forwarded-Proto/-Port from its own listener... except that it only
/// sets X-Forwarded-Port and X-Forwarded-Proto; it sends no X-Forwarded-Host and passes other
/// headers through. [Elastic Load Balancing guide, "X-Forwarded headers"]
pub fn inject_forwarding(headers: &mut Headers, viewer: &ViewerContext, proto_header: &str) {
    headers.set(proto_header, viewer.proto.as_str());
    let host_value = viewer.host.to_header_value();
    let forwarded = ForwardedElement {
        for_node: Some(for_node(&viewer.client_ip)),
        host: Some(&host_value),
        proto: Some(viewer.proto),
    };
    headers.set("Forwarded", forwarded.render());
    headers.set("X-Forwarded-Host", host_value.as_str());
    let port = viewer
        .host
        .port
        .unwrap_or_else(|| viewer.proto.default_port());
    headers.set("X-Forwarded-Port", port.to_string());
}

/// Applies `origin_host`: Host becomes the origin's domain name when asked (custom or S3
/// origin; Host is writable in origin-request) and that name is a valid host (so a
/// malformed event cannot make the function emit a Host CloudFront rejects).
pub fn apply_origin_host(request: &mut Request, origin_host: OriginHost) {
    if origin_host == OriginHost::OriginDomain
        && let Some(domain) = request
            .origin
            .as_ref()
            .and_then(|origin| origin.domain_name())
        && parse_host(domain).is_ok()
    {
        let domain = domain.to_owned();
        request.headers.set("Host", domain);
    }
}

/// Adds the origin-verify header (overwriting any client-supplied value).
pub fn apply_origin_verify(request: &mut Request, verify: Option<&OriginVerify>) {
    if let Some(verify) = verify {
        request.headers.set(&verify.header, verify.secret.expose());
    }
}

/// How a function forwards a request it accepted.
#[derive(Debug, Clone, Copy)]
pub struct Forwarding<'a> {
    pub strip: StripList<'a>,
    pub proto_header: &'a str,
    pub origin_host: OriginHost,
    pub origin_verify: Option<&'a OriginVerify>,
}

/// The steps every origin-request function takes on a request it forwards: strip the
/// client's forwarding headers, inject ours, set Host and the origin-verify secret.
pub fn forward(mut request: Request, viewer: &ViewerContext, how: &Forwarding<'_>) -> EdgeResult {
    how.strip.apply(&mut request.headers);
    inject_forwarding(&mut request.headers, viewer, how.proto_header);
    apply_origin_host(&mut request, how.origin_host);
    apply_origin_verify(&mut request, how.origin_verify);
    EdgeResult::Request(request)
}

/// The https URL of the viewer's request, for redirects. Control characters and non-ASCII
/// in the path and query are percent-encoded: a header value must not carry CR, LF or NUL
/// (CloudFront rejects such a result: `rules`, RFC 9110 section 5.5), and a URI is ASCII
/// (RFC 3986 section 2.1). CloudFront passes what the viewer sent, encoded or not.
pub fn https_url(host: &Host, request: &Request) -> String {
    use percent_encoding::{CONTROLS, utf8_percent_encode};
    let mut url = format!(
        "https://{}{}",
        host_for_https(host),
        utf8_percent_encode(&request.uri, CONTROLS)
    );
    if !request.querystring.is_empty() {
        url.push('?');
        url.extend(utf8_percent_encode(&request.querystring, CONTROLS));
    }
    url
}

fn host_for_https(host: &Host) -> String {
    // A viewer on http://name:80 goes to https://name (443), not https://name:80.
    match host.port {
        Some(80) | Some(443) | None => host.name.clone(),
        Some(port) => format!("{}:{port}", host.name),
    }
}

/// The answer to a viewer on http when https is required: 301 for GET/HEAD (safe to
/// repeat), 403 otherwise (a redirect would turn a POST into a GET and drop its body).
pub fn require_https_response(host: &Host, request: &Request) -> Response {
    if request.method.eq_ignore_ascii_case("GET") || request.method.eq_ignore_ascii_case("HEAD") {
        response::redirect(301, &https_url(host, request))
    } else {
        response::error(403, "HTTPS is required: resend this request over https.\n")
    }
}

/// The 500 a function answers when `CloudFront-Forwarded-Proto` is missing, naming the fix.
pub fn missing_proto_response() -> Response {
    response::error(
        500,
        &format!(
            "edgekit: CloudFront-Forwarded-Proto is missing from the origin request. Attach the origin request policy {ALL_VIEWER_AND_CLOUDFRONT_HEADERS_POLICY}, or one that includes the CloudFront-Forwarded-Proto header, to this cache behavior.\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_shows_in_debug() {
        let verify = OriginVerify {
            header: "X-Origin-Verify".into(),
            secret: Secret::new("s3cr3t-value-123456"),
        };
        assert!(!format!("{verify:?}").contains("s3cr3t"));
    }

    fn request(uri: &str, querystring: &str, origin_domain: &str) -> Request {
        let mut event: crate::CloudFrontEvent =
            serde_json::from_str(include_str!("../../../events/aws-origin-request.json")).unwrap();
        let request = &mut event.records[0].cf.request;
        request.uri = uri.into();
        request.querystring = querystring.into();
        if let Some(custom) = request.origin.as_mut().and_then(|o| o.custom.as_mut()) {
            custom.domain_name = origin_domain.into();
        }
        event.records.remove(0).cf.request
    }

    // Found by scripts/soak: a redirect must not copy CR/LF (or raw non-ASCII) into Location.
    #[test]
    fn https_url_percent_encodes_controls_and_non_ascii() {
        let host = parse_host("example.org").unwrap();
        let url = https_url(&host, &request("/a\r\nb/caf\u{e9}", "x=\n", "o.example"));
        assert_eq!(url, "https://example.org/a%0D%0Ab/caf%C3%A9?x=%0A");
    }

    // Found by scripts/soak: an origin domain that is no host leaves Host alone.
    #[test]
    fn origin_host_needs_a_valid_origin_domain() {
        let mut bad = request("/", "", "alb.example\r\nX: 1");
        let before = bad.headers.clone();
        apply_origin_host(&mut bad, OriginHost::OriginDomain);
        assert_eq!(bad.headers, before);
        let mut good = request("/", "", "alb.example");
        apply_origin_host(&mut good, OriginHost::OriginDomain);
        assert_eq!(good.headers.first("host"), Some("alb.example"));
    }

    #[test]
    fn x_forwarded_proto_cannot_be_injected() {
        let err = check_injectable_header("proto_header", "X-Forwarded-Proto").unwrap_err();
        assert!(err.reason.contains("disallowed"));
        assert!(check_injectable_header("h", "Via").is_err());
        check_injectable_header("h", "X-Cloudfront-Forwarded-Proto").unwrap();
    }

    #[test]
    fn host_allow_list_ports() {
        let list = vec![
            "app.example.com".to_owned(),
            "kc.example.com:8443".to_owned(),
        ];
        let host = |v| parse_host(v).unwrap();
        assert!(host_allowed(&list, &host("APP.example.com"), Proto::Https));
        assert!(host_allowed(
            &list,
            &host("app.example.com:443"),
            Proto::Https
        ));
        assert!(!host_allowed(
            &list,
            &host("app.example.com:8080"),
            Proto::Https
        ));
        assert!(host_allowed(
            &list,
            &host("kc.example.com:8443"),
            Proto::Https
        ));
        assert!(!host_allowed(&list, &host("kc.example.com"), Proto::Https));
        assert!(!host_allowed(
            &list,
            &host("evil.example.com"),
            Proto::Https
        ));
    }

    #[test]
    fn viewer_proto_cases() {
        assert_eq!(viewer_proto(&Headers::new()), ViewerProto::Missing);
        assert_eq!(
            viewer_proto(&Headers::from([("CloudFront-Forwarded-Proto", "HTTPS")])),
            ViewerProto::Known(Proto::Https)
        );
        assert_eq!(
            viewer_proto(&Headers::from([("CloudFront-Forwarded-Proto", "ftp")])),
            ViewerProto::Malformed
        );
        assert_eq!(
            viewer_proto(&Headers::from([
                ("CloudFront-Forwarded-Proto", "http"),
                ("CloudFront-Forwarded-Proto", "https")
            ])),
            ViewerProto::Malformed
        );
    }
}
