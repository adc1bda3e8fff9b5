//! Conversions between the two runtimes' shapes, so that a Lambda@Edge function and a
//! CloudFront Function can be run on the same viewer request and their outcomes compared:
//! the CloudFront Functions viewer-request event CloudFront would build for the request a
//! Lambda@Edge event shows, a CloudFront Function's result applied back onto that request,
//! and "what reaches the origin" ([`Decision`]) for either runtime.
//!
//! What legitimately differs between the runtimes, each with its source, is listed in
//! `docs/cloudfront-functions-equivalence.md`; the functions below implement that list.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{CffContext, CffEvent, CffRequest, CffResponse, CffResult, CffValue, CffViewer};
use crate::model::{
    BodyEncoding, Cf, CfConfig, CloudFrontEvent, EdgeResult, EventType, Origin, Request, Response,
};
use crate::{EdgeError, Headers};

/// `event.version` in every documented example ("CloudFront Functions event structure").
pub const EVENT_VERSION: &str = "1.0";

/// The Lambda@Edge request split into what the viewer sent (what a viewer-request function
/// sees) and what CloudFront adds after viewer-request, before origin-request.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewerSide {
    /// The request as the viewer sent it (CloudFront's additions removed).
    pub request: Request,
    /// CloudFront's additions: `CloudFront-*` headers of the origin request policy, its own
    /// `Via` and `X-Forwarded-For` elements, `X-Amz-Cf-Id`.
    pub added: Headers,
}

/// Whether CloudFront adds this header itself after viewer-request. [Developer Guide, "Add
/// CloudFront request headers" (`CloudFront-*`, per the origin request policy); "Request and
/// response behavior for custom origins" (`Via`, `X-Forwarded-For`, `X-Amz-Cf-Id`)]
fn cloudfront_prefixed(name: &str) -> bool {
    name.starts_with("cloudfront-")
}

/// Splits an origin-request event's request into the viewer's request and CloudFront's
/// additions. `Via` and `X-Forwarded-For` keep the viewer's part: CloudFront appends its own
/// element (`… (CloudFront)`, the client's address) to what the viewer sent.
pub fn viewer_side(request: &Request) -> ViewerSide {
    let mut viewer = request.clone();
    let mut added = Headers::new();
    let names: Vec<String> = request.headers.0.keys().cloned().collect();
    for name in names {
        match name.as_str() {
            "via" => split_last_element(&mut viewer.headers, &mut added, &name, |element| {
                element.ends_with("(CloudFront)")
            }),
            "x-forwarded-for" => {
                split_last_element(&mut viewer.headers, &mut added, &name, |element| {
                    element == request.client_ip
                });
            }
            "x-amz-cf-id" => move_header(&mut viewer.headers, &mut added, &name),
            other if cloudfront_prefixed(other) => {
                move_header(&mut viewer.headers, &mut added, &name);
            }
            _ => {}
        }
    }
    ViewerSide {
        request: viewer,
        added,
    }
}

fn move_header(from: &mut Headers, to: &mut Headers, name: &str) {
    if let Some(entries) = from.0.shift_remove(name) {
        to.0.insert(name.to_owned(), entries);
    }
}

/// Moves the last comma-separated element of the header's last line to `added` when it is
/// CloudFront's; what remains (the viewer's value) stays.
fn split_last_element(
    viewer: &mut Headers,
    added: &mut Headers,
    name: &str,
    is_cloudfronts: impl Fn(&str) -> bool,
) {
    let Some(entries) = viewer.0.get_mut(name) else {
        return;
    };
    let Some(last) = entries.last_mut() else {
        return;
    };
    let (rest, element) = match last.value.rsplit_once(',') {
        Some((rest, element)) => (Some(rest.trim_end().to_owned()), element.trim().to_owned()),
        None => (None, last.value.trim().to_owned()),
    };
    if !is_cloudfronts(&element) {
        return;
    }
    let key = last.key.clone().unwrap_or_else(|| title_case(name));
    added.set(&key, element);
    match rest {
        Some(rest) if !rest.is_empty() => last.value = rest,
        _ => {
            entries.pop();
            if entries.is_empty() {
                viewer.0.shift_remove(name);
            }
        }
    }
}

/// The CloudFront Functions viewer-request event for a request as the viewer sent it:
/// `viewer.ip` is the client's address, headers are keyed by lowercase name with repeated
/// lines in `multiValue`, the `Cookie` header becomes `cookies`, the query string is parsed.
/// ["CloudFront Functions event structure": viewer object, request object, "Duplicate query
/// strings, headers, and cookies"]
pub fn viewer_event(request: &Request, context: CffContext) -> CffEvent {
    CffEvent {
        version: EVENT_VERSION.to_owned(),
        context,
        viewer: CffViewer {
            ip: request.client_ip.clone(),
        },
        request: cff_request(request),
        response: None,
    }
}

/// The CloudFront Functions event for a Lambda@Edge event's request (any request trigger),
/// with the context of its `cf.config`, and the split that produced it.
pub fn event_from_lambda(event: &CloudFrontEvent) -> Result<(CffEvent, ViewerSide), EdgeError> {
    let cf = event.cf()?;
    let side = viewer_side(&cf.request);
    let context = CffContext {
        distribution_domain_name: cf.config.distribution_domain_name.clone(),
        distribution_id: cf.config.distribution_id.clone(),
        event_type: "viewer-request".to_owned(),
        request_id: cf.config.request_id.clone().unwrap_or_default(),
    };
    Ok((viewer_event(&side.request, context), side))
}

/// The Lambda@Edge origin-request event CloudFront would build for the viewer request a
/// CloudFront Functions event shows, on an https viewer (the runtime's requirement): the
/// headers with `Cookie` rebuilt from `cookies`, the query string rendered from
/// `querystring`, then CloudFront's own additions (`CloudFront-Forwarded-Proto: https`, its
/// `X-Forwarded-For` and `Via` elements) and `origin`. The inverse of [`event_from_lambda`]
/// for the parts our functions read.
pub fn origin_request_event(event: &CffEvent, origin: Option<Origin>) -> CloudFrontEvent {
    let mut headers = Headers::new();
    for (name, value) in &event.request.headers {
        for line in value.values() {
            headers.append(&title_case(name), line);
        }
    }
    if !event.request.cookies.is_empty() {
        headers.set("Cookie", render_pairs(&event.request.cookies, "; "));
    }
    headers.set("CloudFront-Forwarded-Proto", "https");
    let xff = match headers.first("x-forwarded-for") {
        Some(viewer) => format!("{viewer}, {}", event.viewer.ip),
        None => event.viewer.ip.clone(),
    };
    headers.set("X-Forwarded-For", xff);
    headers.append(
        "Via",
        format!("2.0 {}.cloudfront.net (CloudFront)", "0".repeat(32)),
    );
    let request = Request {
        client_ip: event.viewer.ip.clone(),
        headers,
        method: event.request.method.clone(),
        querystring: render_pairs(&event.request.querystring, "&"),
        uri: event.request.uri.clone(),
        origin,
        body: None,
        extra: Default::default(),
    };
    CloudFrontEvent::from_cf(Cf {
        config: CfConfig {
            distribution_domain_name: event.context.distribution_domain_name.clone(),
            distribution_id: event.context.distribution_id.clone(),
            event_type: EventType::OriginRequest,
            request_id: Some(event.context.request_id.clone()),
            extra: Default::default(),
        },
        request,
        response: None,
        extra: Default::default(),
    })
}

/// A Lambda@Edge request as the `request` object of a CloudFront Functions event.
pub fn cff_request(request: &Request) -> CffRequest {
    let mut headers = BTreeMap::new();
    let mut cookie_lines = Vec::new();
    for (name, entries) in &request.headers.0 {
        let values: Vec<&str> = entries.iter().map(|e| e.value.as_str()).collect();
        if name == "cookie" {
            cookie_lines.extend(values);
            continue;
        }
        if let Some(value) = multi(&values) {
            headers.insert(name.clone(), value);
        }
    }
    CffRequest {
        method: request.method.clone(),
        uri: request.uri.clone(),
        querystring: parse_query(&request.querystring),
        headers,
        cookies: parse_pairs(cookie_lines.iter().flat_map(|line| line.split(';'))),
    }
}

/// A raw query string as the CloudFront Functions `querystring` object (see
/// [`parse_pairs`]). What a CloudFront Function can know of a query string: a redirect that
/// keeps it must rebuild it from this object.
pub fn parse_query(query: &str) -> BTreeMap<String, CffValue> {
    parse_pairs(query.split('&'))
}

/// `{value, multiValue}` for one name's values in order (`None` for no value).
fn multi(values: &[&str]) -> Option<CffValue> {
    let first = values.first()?;
    Some(CffValue {
        value: (*first).to_owned(),
        multi_value: (values.len() > 1).then(|| values.iter().map(|v| CffValue::new(*v)).collect()),
    })
}

/// `name=value` pieces (query parameters or cookies) as a CloudFront Functions object.
/// Values stay as sent (no percent-decoding: the documented example shows raw values, and
/// the docs do not say CloudFront decodes them); a piece without `=` is a name with an empty
/// value, as `NoValue=` is in the documented example; empty pieces are skipped.
fn parse_pairs<'a>(pieces: impl Iterator<Item = &'a str>) -> BTreeMap<String, CffValue> {
    let mut grouped: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for piece in pieces {
        let piece = piece.trim_start_matches(' ');
        if piece.is_empty() {
            continue;
        }
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        grouped.entry(name.to_owned()).or_default().push(value);
    }
    grouped
        .into_iter()
        .filter_map(|(name, values)| multi(&values).map(|value| (name, value)))
        .collect()
}

/// The inverse of [`parse_pairs`] for a changed object, joined with `separator`.
pub fn render_pairs(pairs: &BTreeMap<String, CffValue>, separator: &str) -> String {
    let mut pieces = Vec::new();
    for (name, value) in pairs {
        for value in value.values() {
            pieces.push(format!("{name}={value}"));
        }
    }
    pieces.join(separator)
}

/// The request CloudFront continues with after a viewer-request CloudFront Function returned
/// `after` for the event built from `request` (`before` is that event's request object):
/// headers as returned (a changed `multiValue` wins over `value`), `Cookie` and the query
/// string as the viewer sent them unless the function changed them, the `uri`. Method and
/// client address are read-only. ["CloudFront Functions event structure", "Duplicate query
/// strings, headers, and cookies": the `multiValue` rules]
pub fn apply_result(request: &Request, before: &CffRequest, after: &CffRequest) -> Request {
    let mut next = request.clone();
    let mut headers = Headers::new();
    let append = |name: &str, headers: &mut Headers| {
        if let Some(value) = after.headers.get(name) {
            for line in effective_values(before.headers.get(name), value) {
                headers.append(&title_case(name), line);
            }
        }
    };
    // The viewer's order for the headers it sent, then the ones the function added.
    for (name, lines) in &request.headers.0 {
        if name != "cookie" {
            append(name, &mut headers);
        } else if after.cookies == before.cookies {
            headers.0.insert(name.clone(), lines.clone());
        }
    }
    for name in after.headers.keys() {
        if !request.headers.0.contains_key(name) {
            append(name, &mut headers);
        }
    }
    if after.cookies != before.cookies && !after.cookies.is_empty() {
        headers.set("Cookie", render_pairs(&after.cookies, "; "));
    }
    next.headers = headers;
    next.uri = after.uri.clone();
    if after.querystring != before.querystring {
        next.querystring = render_pairs(&after.querystring, "&");
    }
    next
}

/// The values CloudFront applies for one returned field: a changed `multiValue` array wins;
/// else a changed `value` replaces the first value and later ones stay. ["CloudFront
/// Functions event structure", "Duplicate query strings, headers, and cookies"]
fn effective_values(original: Option<&CffValue>, returned: &CffValue) -> Vec<String> {
    let owned = |values: Vec<&str>| values.into_iter().map(str::to_owned).collect::<Vec<_>>();
    let Some(original) = original else {
        return owned(returned.values());
    };
    if returned.multi_value != original.multi_value {
        return owned(returned.values());
    }
    let mut values = owned(original.values());
    if let Some(first) = values.first_mut() {
        first.clone_from(&returned.value);
    }
    values
}

/// `x-forwarded-host` → `X-Forwarded-Host`: how CloudFront writes a header a function added.
/// ["CloudFront Functions event structure", request object, headers]
pub fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for ch in name.chars() {
        out.push(if upper { ch.to_ascii_uppercase() } else { ch });
        upper = ch == '-';
    }
    out
}

/// A generated CloudFront Functions response in the Lambda@Edge shape (what the emulator
/// serves): numeric status as a string, headers and `Set-Cookie` lines, the body decoded.
/// `None` when the body is not valid base64 (CloudFront answers an error then: "CloudFront
/// Functions event structure", response object, `encoding`).
pub fn lambda_response(response: &CffResponse) -> Option<Response> {
    let mut headers = Headers::new();
    for (name, value) in &response.headers {
        for line in value.values() {
            headers.append(&title_case(name), line);
        }
    }
    for (name, cookie) in &response.cookies {
        let all = match &cookie.multi_value {
            Some(all) if !all.is_empty() => all.clone(),
            _ => vec![cookie.clone()],
        };
        for cookie in all {
            let mut line = format!("{name}={}", cookie.value);
            if let Some(attributes) = cookie.attributes.as_deref().filter(|a| !a.is_empty()) {
                line.push_str("; ");
                line.push_str(attributes);
            }
            headers.append("Set-Cookie", line);
        }
    }
    let body = match &response.body {
        Some(body) => Some(body.bytes()?),
        None => None,
    };
    Some(Response {
        status: response.status_code.to_string(),
        status_description: response.status_description.clone(),
        headers,
        body: body.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        body_encoding: Some(BodyEncoding::Text),
        extra: Default::default(),
    })
}

/// What a function's outcome means at the origin: the request that reaches it, or the
/// response generated instead. Compared between the runtimes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Forward(OriginRequest),
    Generate(Generated),
}

/// The request the origin receives: method, path, raw query string, and headers by lowercase
/// name with their lines in order. CloudFront's per-request id (`X-Amz-Cf-Id`) is left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OriginRequest {
    pub method: String,
    pub uri: String,
    pub querystring: String,
    pub headers: BTreeMap<String, Vec<String>>,
}

/// A generated response: status, headers by lowercase name, body. The reason phrase is left
/// out (optional in CloudFront Functions, and not sent over HTTP/2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Generated {
    pub status: u16,
    pub headers: BTreeMap<String, Vec<String>>,
    pub body: String,
}

/// How the origin request policy treats Host. [Developer Guide, "Use managed origin request
/// policies": AllViewer* forward it, AllViewerExceptHostHeader sends the origin's domain]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostPolicy {
    /// Host is forwarded (AllViewer, AllViewerAndCloudFrontHeaders-2022-06).
    Forward,
    /// Host is the origin's domain name (AllViewerExceptHostHeader).
    OriginDomain,
}

/// The Lambda@Edge runtime's outcome: a forwarded request gets the origin's custom headers
/// on top (they overwrite same-named headers [Developer Guide, "Add custom headers to origin
/// requests"]); the origin request policy applied before origin-request, so Host is as the
/// function left it.
pub fn lambda_decision(result: &EdgeResult) -> Decision {
    match result {
        EdgeResult::Response(response) => Decision::Generate(generated_lambda(response)),
        EdgeResult::Request(request) => {
            let mut headers = request.headers.clone();
            apply_custom_headers(&mut headers, request, &Headers::new());
            Decision::Forward(origin_request(request, &headers))
        }
    }
}

/// The CloudFront Functions runtime's outcome for `result`, the function's answer to the
/// event built from `side`: a forwarded request gets CloudFront's additions after
/// viewer-request (its `Via`/`X-Forwarded-For` elements appended, `CloudFront-*` headers
/// set), Host by the origin request policy, then the custom origin headers of the event's
/// origin and `extra_custom` (the distribution's, e.g. the origin-verify secret, which never
/// goes into function code).
pub fn cff_decision(
    side: &ViewerSide,
    before: &CffRequest,
    result: &CffResult,
    host: HostPolicy,
    extra_custom: &Headers,
) -> Option<Decision> {
    match result {
        CffResult::Response(response) => Some(Decision::Generate(generated_lambda(
            &lambda_response(response)?,
        ))),
        CffResult::Request(after) => {
            let request = apply_result(&side.request, before, after);
            let mut headers = request.headers.clone();
            add_cloudfront_headers(&mut headers, &side.added);
            if host == HostPolicy::OriginDomain
                && let Some(domain) = request.origin.as_ref().and_then(|o| o.domain_name())
            {
                headers.set("Host", domain);
            }
            apply_custom_headers(&mut headers, &request, extra_custom);
            Some(Decision::Forward(origin_request(&request, &headers)))
        }
    }
}

/// CloudFront's own additions after viewer-request: `Via` and `X-Forwarded-For` appended to
/// what the request carries, the rest set.
fn add_cloudfront_headers(headers: &mut Headers, added: &Headers) {
    for (name, entries) in &added.0 {
        for entry in entries {
            let key = entry.key.clone().unwrap_or_else(|| title_case(name));
            let appended = matches!(name.as_str(), "via" | "x-forwarded-for");
            match headers.0.get_mut(name).and_then(|lines| lines.last_mut()) {
                Some(last) if appended && !last.value.trim().is_empty() => {
                    last.value = format!("{}, {}", last.value, entry.value);
                }
                _ => headers.set(&key, entry.value.clone()),
            }
        }
    }
}

/// Custom origin headers (the event's origin, then `extra`) overwrite same-named headers.
fn apply_custom_headers(headers: &mut Headers, request: &Request, extra: &Headers) {
    let from_origin = request.origin.as_ref().and_then(|origin| {
        origin
            .custom
            .as_ref()
            .map(|custom| &custom.custom_headers)
            .or_else(|| origin.s3.as_ref().map(|s3| &s3.custom_headers))
    });
    for custom in from_origin.into_iter().chain(std::iter::once(extra)) {
        for (name, entries) in &custom.0 {
            if let Some(entry) = entries.first() {
                let key = entry.key.clone().unwrap_or_else(|| title_case(name));
                headers.set(&key, entry.value.clone());
            }
        }
    }
}

fn origin_request(request: &Request, headers: &Headers) -> OriginRequest {
    OriginRequest {
        method: request.method.clone(),
        uri: request.uri.clone(),
        querystring: request.querystring.clone(),
        headers: by_name(headers),
    }
}

fn by_name(headers: &Headers) -> BTreeMap<String, Vec<String>> {
    headers
        .0
        .iter()
        .map(|(name, entries)| {
            (
                name.to_ascii_lowercase(),
                entries.iter().map(|e| e.value.clone()).collect(),
            )
        })
        .collect()
}

fn generated_lambda(response: &Response) -> Generated {
    let body = match (&response.body, response.body_encoding) {
        (Some(body), Some(BodyEncoding::Base64)) => super::rules::decode_base64(body).map_or_else(
            || body.clone(),
            |b| String::from_utf8_lossy(&b).into_owned(),
        ),
        (Some(body), _) => body.clone(),
        (None, _) => String::new(),
    };
    Generated {
        status: response.status.trim().parse().unwrap_or(0),
        headers: by_name(&response.headers),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_event() -> CloudFrontEvent {
        let mut event: CloudFrontEvent =
            serde_json::from_str(include_str!("../../../../events/aws-origin-request.json"))
                .unwrap();
        let request = &mut event.records[0].cf.request;
        request.headers.set("CloudFront-Forwarded-Proto", "https");
        request.headers.append("Cookie", "a=1; b=2");
        request.headers.append("Cookie", "a=3");
        request.headers.append("Accept", "text/html");
        request.headers.append("Accept", "application/json");
        request.querystring = "x=1&y&x=2&&z=%41".into();
        event
    }

    #[test]
    fn origin_request_splits_into_viewer_request_and_cloudfront_additions() {
        let event = sample_event();
        let (cff, side) = event_from_lambda(&event).unwrap();
        assert_eq!(cff.viewer.ip, "203.0.113.178");
        assert_eq!(cff.context.event_type, "viewer-request");
        let headers = &cff.request.headers;
        assert!(!headers.contains_key("cloudfront-forwarded-proto"));
        assert!(!headers.contains_key("via"), "{headers:?}");
        assert!(!headers.contains_key("x-forwarded-for"));
        assert!(!headers.contains_key("cookie"));
        assert_eq!(
            headers["accept"].values(),
            ["text/html", "application/json"]
        );
        assert_eq!(side.added.first("x-forwarded-for"), Some("203.0.113.178"));
        assert!(side.added.first("via").unwrap().ends_with("(CloudFront)"));
        assert_eq!(cff.request.cookies["a"].values(), ["1", "3"]);
        assert_eq!(cff.request.cookies["b"].value, "2");
        assert_eq!(cff.request.querystring["x"].values(), ["1", "2"]);
        assert_eq!(cff.request.querystring["y"].value, "");
        assert_eq!(cff.request.querystring["z"].value, "%41", "not decoded");
    }

    #[test]
    fn viewer_parts_of_via_and_xff_stay_with_the_viewer() {
        let mut event = sample_event();
        let request = &mut event.records[0].cf.request;
        request
            .headers
            .set("X-Forwarded-For", "198.51.100.1, 203.0.113.178");
        request
            .headers
            .set("Via", "1.1 proxy, 2.0 abc.cloudfront.net (CloudFront)");
        let side = viewer_side(request);
        assert_eq!(
            side.request.headers.first("x-forwarded-for"),
            Some("198.51.100.1")
        );
        assert_eq!(side.request.headers.first("via"), Some("1.1 proxy"));
        let mut rebuilt = side.request.headers.clone();
        add_cloudfront_headers(&mut rebuilt, &side.added);
        assert_eq!(
            rebuilt.first("x-forwarded-for"),
            Some("198.51.100.1, 203.0.113.178")
        );
    }

    #[test]
    fn an_unchanged_result_forwards_what_lambda_edge_forwards() {
        let event = sample_event();
        let (cff, side) = event_from_lambda(&event).unwrap();
        let unchanged = CffResult::Request(cff.request.clone());
        let cf = event.cf().unwrap();
        let lambda = lambda_decision(&EdgeResult::Request(cf.request.clone()));
        let functions = cff_decision(
            &side,
            &cff.request,
            &unchanged,
            HostPolicy::Forward,
            &Headers::new(),
        )
        .unwrap();
        assert_eq!(lambda, functions);
        let Decision::Forward(forwarded) = functions else {
            panic!("forwarded");
        };
        assert_eq!(forwarded.headers["cookie"], ["a=1; b=2", "a=3"]);
        assert_eq!(forwarded.querystring, "x=1&y&x=2&&z=%41");
    }

    #[test]
    fn host_policy_and_extra_custom_headers_apply_to_functions_only() {
        let event = sample_event();
        let (cff, side) = event_from_lambda(&event).unwrap();
        let extra = Headers::from([("X-Origin-Verify", "secret-0123456789")]);
        let decision = cff_decision(
            &side,
            &cff.request,
            &CffResult::Request(cff.request.clone()),
            HostPolicy::OriginDomain,
            &extra,
        )
        .unwrap();
        let Decision::Forward(forwarded) = decision else {
            panic!("forwarded");
        };
        assert_eq!(forwarded.headers["host"], ["example.org"]);
        assert_eq!(forwarded.headers["x-origin-verify"], ["secret-0123456789"]);
        assert_eq!(forwarded.headers["cloudfront-forwarded-proto"], ["https"]);
    }

    #[test]
    fn the_viewers_header_order_is_kept_and_additions_come_last() {
        let event = sample_event();
        let (cff, side) = event_from_lambda(&event).unwrap();
        let mut after = cff.request.clone();
        after.headers.insert("a-added".into(), CffValue::new("1"));
        after.headers.remove("accept");
        let next = apply_result(&side.request, &cff.request, &after);
        let viewer: Vec<&String> = side
            .request
            .headers
            .0
            .keys()
            .filter(|name| *name != "accept")
            .collect();
        let names: Vec<&String> = next.headers.0.keys().collect();
        assert_eq!(names[..viewer.len()], viewer[..]);
        assert_eq!(names[viewer.len()..], ["a-added"]);
        assert_eq!(next.headers.0["a-added"][0].key.as_deref(), Some("A-Added"));
    }

    #[test]
    fn a_functions_event_round_trips_through_lambda_edge() {
        let event = sample_event();
        let (cff, _) = event_from_lambda(&event).unwrap();
        let back = origin_request_event(&cff, event.cf().unwrap().request.origin.clone());
        let (again, side) = event_from_lambda(&back).unwrap();
        assert_eq!(again.request, cff.request);
        assert_eq!(again.viewer, cff.viewer);
        assert_eq!(
            side.added.first("cloudfront-forwarded-proto"),
            Some("https")
        );
    }

    #[test]
    fn multi_value_rules() {
        let original = CffValue {
            value: "a".into(),
            multi_value: Some(vec![CffValue::new("a"), CffValue::new("b")]),
        };
        let value_changed = CffValue {
            value: "z".into(),
            ..original.clone()
        };
        assert_eq!(
            effective_values(Some(&original), &value_changed),
            ["z", "b"]
        );
        let multi_changed = CffValue {
            value: "ignored".into(),
            multi_value: Some(vec![CffValue::new("m")]),
        };
        assert_eq!(effective_values(Some(&original), &multi_changed), ["m"]);
        assert_eq!(effective_values(None, &CffValue::new("n")), ["n"]);
    }

    #[test]
    fn generated_responses_compare_on_status_headers_and_body() {
        let cff: CffResponse = serde_json::from_str(
            r#"{"statusCode": 421, "statusDescription": "Misdirected Request",
                "headers": {"content-type": {"value": "text/plain; charset=utf-8"}},
                "body": {"encoding": "text", "data": "no\n"}}"#,
        )
        .unwrap();
        let lambda = crate::response::error(421, "no\n");
        let a = Decision::Generate(generated_lambda(&lambda));
        let b = Decision::Generate(generated_lambda(&lambda_response(&cff).unwrap()));
        let (Decision::Generate(a), Decision::Generate(b)) = (a, b) else {
            panic!("generated");
        };
        assert_eq!((a.status, &a.body), (b.status, &b.body));
        assert_eq!(b.headers["content-type"], ["text/plain; charset=utf-8"]);
        assert_eq!(EventType::ViewerRequest.as_str(), "viewer-request");
    }
}
