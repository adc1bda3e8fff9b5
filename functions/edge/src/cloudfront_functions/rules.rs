//! The CloudFront Functions (cloudfront-js-2.0) platform rules as cited data, beside the
//! Lambda@Edge ones in `crate::rules`, and [`validate_viewer_request_result`]: what
//! CloudFront would reject in a viewer-request function's result. Facts, quotes and
//! sources: `docs/cloudfront-functions.md`.

use serde::Serialize;

use super::{CffBody, CffBodyEncoding, CffRequest, CffResponse, CffResult, CffValue};
use crate::rules::{is_disallowed, is_token};
use std::collections::BTreeMap;

/// Source of the header rules: they apply to "all edge functions, both CloudFront Functions
/// and Lambda@Edge", so the lists are the Lambda@Edge ones (`crate::rules`).
pub const HEADER_RESTRICTIONS_SOURCE: &str = crate::rules::HEADER_RESTRICTIONS_SOURCE;

/// Source of the event and result shapes.
pub const EVENT_STRUCTURE_SOURCE: &str = "AWS CloudFront Developer Guide, \"CloudFront Functions event structure\" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html)";

/// Source of the runtime's language features and restrictions.
pub const RUNTIME_SOURCE: &str = "AWS CloudFront Developer Guide, \"JavaScript runtime 2.0 features for CloudFront Functions\" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html)";

/// Source of the size figures.
pub const QUOTAS_SOURCE: &str = "AWS CloudFront Developer Guide, \"Differences between CloudFront Functions and Lambda@Edge\" (maximum size of the function code: 10 KB) and \"Quotas\" (maximum length of a request, including headers and query strings: 20,480 bytes)";

/// The runtime name the API takes (`FunctionConfig.Runtime`).
pub const RUNTIME: &str = "cloudfront-js-2.0";

/// Largest function code, in bytes: 10 KB [`QUOTAS_SOURCE`].
pub const MAX_CODE_BYTES: usize = 10 * 1024;

/// Largest request CloudFront accepts, headers and query string included, body excluded
/// [`QUOTAS_SOURCE`].
pub const MAX_REQUEST_BYTES: usize = 20_480;

/// Headers a viewer-request function may read but not add, change or remove
/// [`HEADER_RESTRICTIONS_SOURCE`, "Read-only headers", viewer request]. Host is among them:
/// a CloudFront Function cannot set Host := origin domain (the origin request policy does).
pub const READ_ONLY_VIEWER_REQUEST: &[&str] =
    &["content-length", "host", "transfer-encoding", "via"];

/// The modules `require()` may load in cloudfront-js-2.0 [`RUNTIME_SOURCE`, "Built-in
/// modules"], plus `cloudfront` (KeyValueStore and origin helpers, "Helper methods for key
/// value stores").
pub const MODULES: &[&str] = &["buffer", "cloudfront", "crypto", "querystring"];

/// The event types a CloudFront Function can be associated with [`QUOTAS_SOURCE`'s
/// "Differences" page, "Event sources"].
pub const EVENT_TYPES: &[&str] = &["viewer-request", "viewer-response"];

/// Whether a header is read-only in viewer-request (`name` in any case).
pub fn is_read_only_viewer_request(name: &str) -> bool {
    READ_ONLY_VIEWER_REQUEST
        .iter()
        .any(|read_only| read_only.eq_ignore_ascii_case(name))
}

/// A rule of the runtime, with the source it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CffRule {
    /// A disallowed header was added or changed.
    DisallowedHeader,
    /// A read-only header (Host…) was added, removed or changed.
    ReadOnlyHeader,
    /// `method` was changed.
    ReadOnlyField,
    /// A header name that is not lowercase, or not an HTTP token.
    HeaderName,
    /// A header, cookie or query value with CR, LF or NUL.
    HeaderValue,
    /// `uri` must start with `/` and contain no whitespace or control characters.
    Uri,
    /// `statusCode` must be a number from 100 to 599.
    Status,
    /// A 204 or 304 response must not have a body.
    BodyNotAllowed,
    /// Body encoding `base64` with a body that is not base64.
    BodyEncoding,
    /// The request grew over CloudFront's request size quota.
    RequestSize,
}

impl CffRule {
    /// Where the rule is documented.
    pub fn source(self) -> &'static str {
        match self {
            Self::DisallowedHeader | Self::ReadOnlyHeader => HEADER_RESTRICTIONS_SOURCE,
            Self::ReadOnlyField | Self::Uri | Self::Status | Self::BodyEncoding => {
                EVENT_STRUCTURE_SOURCE
            }
            Self::HeaderName => {
                "AWS CloudFront Developer Guide, \"CloudFront Functions event structure\" (header names must be lowercase when added by function code); RFC 9110 section 5.1 (field names are tokens)"
            }
            Self::HeaderValue => "RFC 9110 section 5.5 (no CR, LF or NUL in field values)",
            Self::BodyNotAllowed => "RFC 9110 sections 15.3.5 and 15.4.5",
            Self::RequestSize => QUOTAS_SOURCE,
        }
    }
}

/// One reason CloudFront would reject a CloudFront Function's result (field e.g.
/// `headers.host`, `statusCode`).
pub type CffViolation = crate::rules::Violation<CffRule>;

impl crate::rules::Sourced for CffRule {
    fn source(self) -> &'static str {
        CffRule::source(self)
    }
}

/// What CloudFront would reject in `result`, given the request the viewer-request function
/// received (`original`): each violation named by its field.
pub fn validate_viewer_request_result(
    original: &CffRequest,
    result: &CffResult,
) -> Result<(), Vec<CffViolation>> {
    let mut violations = Vec::new();
    match result {
        CffResult::Request(request) => check_request(original, request, &mut violations),
        CffResult::Response(response) => check_response(response, &mut violations),
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

fn check_request(before: &CffRequest, after: &CffRequest, violations: &mut Vec<CffViolation>) {
    if after.method != before.method {
        violations.push(CffViolation::new(
            "method",
            CffRule::ReadOnlyField,
            "method is read-only",
        ));
    }
    if !after.uri.starts_with('/') {
        violations.push(CffViolation::new(
            "uri",
            CffRule::Uri,
            "uri must start with '/'",
        ));
    } else if after
        .uri
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        violations.push(CffViolation::new(
            "uri",
            CffRule::Uri,
            "uri must not contain whitespace or control characters",
        ));
    }
    check_headers(Some(&before.headers), &after.headers, violations);
    check_values("querystring", &after.querystring, violations);
    check_values("cookies", &after.cookies, violations);
    let size = request_size(after);
    if size > MAX_REQUEST_BYTES {
        violations.push(CffViolation::new(
            "request",
            CffRule::RequestSize,
            format!("the request is {size} bytes (uri, query string, headers, cookies); CloudFront allows {MAX_REQUEST_BYTES}"),
        ));
    }
}

fn check_response(response: &CffResponse, violations: &mut Vec<CffViolation>) {
    let status = response.status_code;
    if !(100..=599).contains(&status) {
        violations.push(CffViolation::new(
            "statusCode",
            CffRule::Status,
            format!("statusCode must be a number from 100 to 599, got {status}"),
        ));
    }
    let body = response.body.as_ref();
    if (status == 204 || status == 304)
        && body.and_then(CffBody::bytes).is_some_and(|b| !b.is_empty())
    {
        violations.push(CffViolation::new(
            "body",
            CffRule::BodyNotAllowed,
            format!("a {status} response must not have a body"),
        ));
    }
    if let Some(
        body @ CffBody::Encoded {
            encoding: CffBodyEncoding::Base64,
            ..
        },
    ) = body
        && body.bytes().is_none()
    {
        violations.push(CffViolation::new(
            "body",
            CffRule::BodyEncoding,
            "body encoding is base64 but the data is not valid base64",
        ));
    }
    // A generated response starts from nothing: only names, values and disallowed headers.
    check_headers(None, &response.headers, violations);
}

/// Header names and values; with `before` (a returned request), also that no read-only
/// header changed and no disallowed header was added or changed.
fn check_headers(
    before: Option<&BTreeMap<String, CffValue>>,
    after: &BTreeMap<String, CffValue>,
    violations: &mut Vec<CffViolation>,
) {
    for (name, value) in after {
        let field = format!("headers.{name}");
        if !is_token(name) || name.bytes().any(|b| b.is_ascii_uppercase()) {
            violations.push(CffViolation::new(
                &field,
                CffRule::HeaderName,
                format!("header name {name:?} must be a lowercase HTTP token"),
            ));
        }
        let unchanged = before.and_then(|b| b.get(name)) == Some(value);
        if is_disallowed(name) && !unchanged {
            violations.push(CffViolation::new(
                &field,
                CffRule::DisallowedHeader,
                format!("{name} is disallowed: edge functions cannot add or change it"),
            ));
        }
    }
    check_values("headers", after, violations);
    let Some(before) = before else { return };
    for name in READ_ONLY_VIEWER_REQUEST {
        if before.get(*name) != after.get(*name) {
            violations.push(CffViolation::new(
                format!("headers.{name}"),
                CffRule::ReadOnlyHeader,
                format!(
                    "{name} is read-only in viewer-request: it cannot be added, changed or removed"
                ),
            ));
        }
    }
}

fn check_values(kind: &str, map: &BTreeMap<String, CffValue>, violations: &mut Vec<CffViolation>) {
    for (name, value) in map {
        let values = std::iter::once(value.value.as_str())
            .chain(value.multi_value.iter().flatten().map(|v| v.value.as_str()));
        if values.into_iter().any(|v| v.contains(['\r', '\n', '\0'])) {
            violations.push(CffViolation::new(
                format!("{kind}.{name}"),
                CffRule::HeaderValue,
                "a value must not contain CR, LF or NUL",
            ));
        }
    }
}

/// What the request weighs against the quota: uri, query string, header and cookie names
/// and values.
fn request_size(request: &CffRequest) -> usize {
    let weigh = |map: &BTreeMap<String, CffValue>| -> usize {
        map.iter()
            .map(|(name, value)| {
                let values: usize = match &value.multi_value {
                    Some(all) if !all.is_empty() => all.iter().map(|v| v.value.len()).sum(),
                    _ => value.value.len(),
                };
                name.len() + values
            })
            .sum()
    };
    request.uri.len()
        + weigh(&request.querystring)
        + weigh(&request.headers)
        + weigh(&request.cookies)
}

/// Standard base64 (RFC 4648 section 4, padding required) decoded; `None` when it is not.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let sextet = |b: u8| -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (index, chunk) in bytes.chunks(4).enumerate() {
        let last = index == bytes.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|b| **b == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut word = 0u32;
        for &b in &chunk[..4 - pad] {
            word = (word << 6) | sextet(b)?;
        }
        word <<= 6 * pad as u32;
        let decoded = [(word >> 16) as u8, (word >> 8) as u8, word as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront_functions::{CffEvent, event_from_json};

    fn event() -> CffEvent {
        event_from_json(
            br#"{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"198.51.100.11"},
                "request":{"method":"GET","uri":"/index.html","querystring":{"a":{"value":"1"}},
                "headers":{"host":{"value":"app.example.com"},"accept":{"value":"*/*"}},
                "cookies":{"id":{"value":"x","multiValue":[{"value":"x"},{"value":"y"}]}}}}"#,
        )
        .unwrap()
    }

    fn violations(result: &CffResult) -> Vec<CffRule> {
        match validate_viewer_request_result(&event().request, result) {
            Ok(()) => Vec::new(),
            Err(found) => found.into_iter().map(|v| v.rule).collect(),
        }
    }

    #[test]
    fn the_request_as_received_is_valid() {
        let request = event().request;
        assert_eq!(violations(&CffResult::Request(request)), []);
    }

    #[test]
    fn host_is_read_only_at_viewer_request() {
        let mut request = event().request;
        request
            .headers
            .insert("host".into(), CffValue::new("alb.example"));
        let err =
            validate_viewer_request_result(&event().request, &CffResult::Request(request.clone()))
                .unwrap_err();
        assert_eq!(err[0].field, "headers.host");
        assert_eq!(err[0].rule, CffRule::ReadOnlyHeader);
        assert!(
            err[0]
                .to_string()
                .contains("Restrictions on all edge functions"),
            "{}",
            err[0]
        );
        request.headers.remove("host");
        assert_eq!(
            violations(&CffResult::Request(request)),
            [CffRule::ReadOnlyHeader]
        );
    }

    #[test]
    fn disallowed_and_badly_named_headers_are_named() {
        let mut request = event().request;
        request
            .headers
            .insert("x-forwarded-proto".into(), CffValue::new("https"));
        request
            .headers
            .insert("X-Custom".into(), CffValue::new("a"));
        request
            .headers
            .insert("x-real-ip".into(), CffValue::new("1.2.3.4"));
        request
            .headers
            .insert("x-bad".into(), CffValue::new("a\r\nb"));
        let err = validate_viewer_request_result(&event().request, &CffResult::Request(request))
            .unwrap_err();
        let fields: Vec<(&str, CffRule)> = err.iter().map(|v| (v.field.as_str(), v.rule)).collect();
        assert!(
            fields.contains(&("headers.x-forwarded-proto", CffRule::DisallowedHeader)),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("headers.x-real-ip", CffRule::DisallowedHeader)),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("headers.X-Custom", CffRule::HeaderName)),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("headers.x-bad", CffRule::HeaderValue)),
            "{fields:?}"
        );
    }

    #[test]
    fn method_and_uri() {
        let mut request = event().request;
        request.method = "POST".into();
        request.uri = "no-slash".into();
        assert_eq!(
            violations(&CffResult::Request(request)),
            [CffRule::ReadOnlyField, CffRule::Uri]
        );
    }

    #[test]
    fn oversize_request() {
        let mut request = event().request;
        request
            .headers
            .insert("x-big".into(), CffValue::new("a".repeat(MAX_REQUEST_BYTES)));
        assert_eq!(
            violations(&CffResult::Request(request)),
            [CffRule::RequestSize]
        );
    }

    #[test]
    fn responses_have_numeric_status_and_the_body_shapes() {
        let ok: CffResult = serde_json::from_str(
            r#"{"statusCode":421,"statusDescription":"Misdirected Request","headers":{"content-type":{"value":"text/plain"}},"body":"no\n"}"#,
        )
        .unwrap();
        assert!(matches!(ok, CffResult::Response(_)));
        assert_eq!(violations(&ok), []);
        let encoded: CffResult = serde_json::from_str(
            r#"{"statusCode":200,"body":{"encoding":"base64","data":"aGk="}}"#,
        )
        .unwrap();
        assert_eq!(violations(&encoded), []);
        let bad: CffResult = serde_json::from_str(
            r#"{"statusCode":204,"headers":{"x-cache":{"value":"1"}},"body":{"encoding":"base64","data":"!!"}}"#,
        )
        .unwrap();
        // Invalid base64 has no bytes, so the 204 rule cannot weigh it: one finding each.
        assert_eq!(
            violations(&bad),
            [CffRule::BodyEncoding, CffRule::DisallowedHeader]
        );
        let status: CffResult = serde_json::from_str(r#"{"statusCode":700}"#).unwrap();
        assert_eq!(violations(&status), [CffRule::Status]);
        // A string status is not a CloudFront Functions response: it reads as a request.
        assert!(serde_json::from_str::<CffResponse>(r#"{"statusCode":"200"}"#).is_err());
    }

    #[test]
    fn base64_decoding() {
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert_eq!(decode_base64("aGV5").unwrap(), b"hey");
        assert_eq!(decode_base64("").unwrap(), b"");
        for bad in ["a", "aG=k", "====", "aGk!"] {
            assert!(decode_base64(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn read_only_and_runtime_facts() {
        assert!(is_read_only_viewer_request("Host"));
        assert!(!is_read_only_viewer_request("x-forwarded-host"));
        assert_eq!(MAX_CODE_BYTES, 10_240);
        assert!(MODULES.contains(&"crypto"));
        for event_type in EVENT_TYPES {
            assert!(event_type.starts_with("viewer-"));
        }
    }
}
