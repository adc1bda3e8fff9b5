//! The classification of one probe attempt (pure, no I/O): an [`Answer`] or a [`Failure`] from
//! [`crate::fetch`] becomes a [`Verdict`] (class, source, signature, detail), using the
//! signature table in [`crate::signatures`].
use std::borrow::Cow;

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde::{Deserialize, Serialize};

use crate::checks::{CheckInput, run_check};
use crate::config::Target;
use crate::fetch::{Answer, Failure};
use crate::signatures::{Source, cloudfront_reason, identify};

/// The classification of one probe. The names (kebab-case) are a stable interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Class {
    #[serde(rename = "ok")]
    Ok,
    /// A 5xx other than 503/504 (502, 500, ...), with its source.
    #[serde(rename = "http-5xx")]
    Http5xx,
    #[serde(rename = "http-503")]
    Http503,
    #[serde(rename = "http-504")]
    Http504,
    /// No answer within the timeout, or an answer over the latency budget.
    #[serde(rename = "timeout")]
    Timeout,
    #[serde(rename = "dns")]
    Dns,
    /// Connection refused, reset or closed before an answer.
    #[serde(rename = "connect")]
    Connect,
    /// Handshake failure, expired certificate, or one expiring within `tls_min_days`.
    #[serde(rename = "tls")]
    Tls,
    #[serde(rename = "https-detection")]
    HttpsDetection,
    #[serde(rename = "unexpected-status")]
    UnexpectedStatus,
    #[serde(rename = "body-mismatch")]
    BodyMismatch,
    /// The target could not be probed as configured: its URL or public host does not make a
    /// request, or no HTTP client can be built for it. Nothing was asked of the origin, so
    /// this is never retried and says nothing about the origin's health.
    #[serde(rename = "config")]
    Config,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Http5xx => "http-5xx",
            Self::Http503 => "http-503",
            Self::Http504 => "http-504",
            Self::Timeout => "timeout",
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::HttpsDetection => "https-detection",
            Self::UnexpectedStatus => "unexpected-status",
            Self::BodyMismatch => "body-mismatch",
            Self::Config => "config",
        }
    }

    /// Transient classes are retried before the failure counts.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::Http5xx
                | Self::Http503
                | Self::Http504
                | Self::Timeout
                | Self::Dns
                | Self::Connect
        )
    }
}

/// The classification of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub class: Class,
    pub source: Option<Source>,
    pub signature: Option<&'static str>,
    pub detail: String,
}

impl Verdict {
    fn new(class: Class, detail: String) -> Self {
        Self {
            class,
            source: None,
            signature: None,
            detail,
        }
    }
}

/// Classifies the outcome of one attempt.
pub fn outcome(target: &Target, outcome: &Result<Answer, Failure>) -> Verdict {
    match outcome {
        Ok(answer) => evaluate(target, answer),
        Err(failure) => Verdict::new(failure_class(failure), failure.to_string()),
    }
}

/// The class of a transport failure; its detail is the failure's `Display`.
pub fn failure_class(failure: &Failure) -> Class {
    match failure {
        Failure::InvalidTarget(_) | Failure::ClientBuild(_) => Class::Config,
        Failure::Dns(_) => Class::Dns,
        Failure::Refused(_) | Failure::Reset(_) | Failure::Closed(_) | Failure::Connect(_) => {
            Class::Connect
        }
        Failure::Timeout(_) => Class::Timeout,
        Failure::CertificateExpired { .. } | Failure::Tls(_) => Class::Tls,
        Failure::Body { cause, .. } => failure_class(cause),
    }
}

/// Classifies an answer. Order: 5xx by source, unexpected status, TLS expiry budget, body,
/// JSON fields, https-detection checks, latency budget.
pub fn evaluate(target: &Target, answer: &Answer) -> Verdict {
    let status = answer.status;
    let body = String::from_utf8_lossy(&answer.body);
    if status >= 500 && !(target.expect_status.is_some() && target.status_expected(status)) {
        return server_error(status, &answer.headers, &body);
    }
    let location = header(&answer.headers, "location");
    if !target.status_expected(status) {
        let mut detail = format!("status {status}, expected {}", expected_text(target));
        if let Some(loc) = location {
            detail.push_str(&format!(" (redirect to {})", truncate(loc, 200)));
        }
        return Verdict::new(Class::UnexpectedStatus, detail);
    }
    if let Some(verdict) = content_failure(target, answer, &body) {
        return verdict;
    }
    if let Some(budget) = target.max_latency_ms
        && answer.latency_ms > budget
    {
        return Verdict::new(
            Class::Timeout,
            format!(
                "answered in {} ms, over the {budget} ms budget",
                answer.latency_ms
            ),
        );
    }
    let mut detail = format!("{status} in {} ms", answer.latency_ms);
    if let (true, Some(loc)) = ((300..400).contains(&status), location) {
        detail.push_str(&format!(
            ", redirect to {} (not followed)",
            truncate(loc, 200)
        ));
    }
    Verdict::new(Class::Ok, detail)
}

/// A 5xx the target does not expect: its class, and who generated it.
fn server_error(status: u16, headers: &HeaderMap, body: &str) -> Verdict {
    let signature = identify(|name| header(headers, name), body);
    let source = signature.map_or(Source::Unknown, |s| s.source);
    let class = match status {
        503 => Class::Http503,
        504 => Class::Http504,
        _ => Class::Http5xx,
    };
    let mut detail = format!("{status} from {}", source.as_str());
    if let Some(sig) = signature {
        detail.push_str(&format!(" (signature {})", sig.id));
    }
    if source == Source::Cloudfront
        && let Some(reason) = cloudfront_reason(body)
    {
        detail.push_str(&format!(": {reason}"));
    }
    Verdict {
        class,
        source: Some(source),
        signature: signature.map(|s| s.id),
        detail,
    }
}

/// The checks on an expected answer: certificate budget, body, JSON fields, https-detection.
fn content_failure(target: &Target, answer: &Answer, body: &str) -> Option<Verdict> {
    if let (Some(days), Some(min)) = (answer.tls_days_left, target.tls_min_days)
        && days < min
    {
        return Some(Verdict::new(
            Class::Tls,
            format!("certificate expires in {days} days (minimum {min})"),
        ));
    }
    if let Some(needle) = &target.body_contains
        && !body.contains(needle.as_str())
    {
        return Some(Verdict::new(
            Class::BodyMismatch,
            format!("body does not contain {:?}", truncate(needle, 100)),
        ));
    }
    if !target.json_expect.is_empty()
        && let Err(detail) = json_expectations(target, body)
    {
        return Some(Verdict::new(Class::BodyMismatch, detail));
    }
    let expected_host = expected_host(target);
    let input = CheckInput {
        set_cookies: answer
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect(),
        location: answer.headers.get(LOCATION).and_then(|v| v.to_str().ok()),
        body,
        expected_host: &expected_host,
    };
    target
        .checks
        .iter()
        .find_map(|check| run_check(*check, &input).err())
        .map(|detail| Verdict::new(Class::HttpsDetection, detail))
}

/// The host the `oidc-issuer` check expects: `expect_host`, else `host`, else the URL's host.
fn expected_host(target: &Target) -> Cow<'_, str> {
    if let Some(host) = target.expect_host.as_deref().or(target.host.as_deref()) {
        return Cow::Borrowed(host);
    }
    reqwest::Url::parse(&target.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .map_or(Cow::Borrowed(""), Cow::Owned)
}

/// A header's value, when it is text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn expected_text(target: &Target) -> String {
    match &target.expect_status {
        Some(list) => list
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join("|"),
        None => "2xx/3xx".into(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// Checks `json_expect` (dotted paths, numeric segments index arrays).
fn json_expectations(target: &Target, body: &str) -> Result<(), String> {
    use crate::config::JsonScalar;
    let doc: serde_json::Value =
        serde_json::from_str(body).map_err(|err| format!("body is not JSON ({err})"))?;
    for (path, expected) in &target.json_expect {
        let mut node = Some(&doc);
        for segment in path.split('.') {
            node = node.and_then(|n| match n {
                serde_json::Value::Array(items) => {
                    segment.parse::<usize>().ok().and_then(|i| items.get(i))
                }
                other => other.get(segment),
            });
        }
        let matches = match (node, expected) {
            (Some(serde_json::Value::String(s)), JsonScalar::String(e)) => s == e,
            (Some(serde_json::Value::Bool(b)), JsonScalar::Bool(e)) => b == e,
            (Some(serde_json::Value::Number(n)), JsonScalar::Number(e)) => {
                n.as_f64().is_some_and(|v| (v - e).abs() < f64::EPSILON)
            }
            _ => false,
        };
        if !matches {
            let seen = node.map_or("nothing".to_owned(), |n| truncate(&n.to_string(), 100));
            return Err(format!(
                "json field {path}: expected {expected}, saw {seen}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::config::{Check, JsonScalar};

    fn answer(status: u16, headers: &HeaderMap, body: &str) -> Answer {
        Answer {
            status,
            headers: headers.clone(),
            body: body.as_bytes().to_vec(),
            latency_ms: 5,
            tls_days_left: None,
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, reqwest::header::HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn class_names_are_the_interface() {
        let names: Vec<String> = [
            Class::Ok,
            Class::Http5xx,
            Class::Http503,
            Class::Http504,
            Class::Timeout,
            Class::Dns,
            Class::Connect,
            Class::Tls,
            Class::HttpsDetection,
            Class::UnexpectedStatus,
            Class::BodyMismatch,
            Class::Config,
        ]
        .iter()
        .map(|c| {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json.trim_matches('"'), c.as_str());
            c.as_str().to_owned()
        })
        .collect();
        assert_eq!(names.len(), 12);
    }

    #[test]
    fn fivexx_by_source() {
        let t = Target::new("a", "https://app.example.com/");
        let h = headers(&[
            ("server", "CloudFront"),
            ("x-cache", "Error from cloudfront"),
        ]);
        let v = evaluate(
            &t,
            &answer(502, &h, "CloudFront wasn't able to connect to the origin."),
        );
        assert_eq!(
            (v.class, v.source),
            (Class::Http5xx, Some(Source::Cloudfront))
        );
        assert!(v.detail.contains("wasn't able to connect"), "{}", v.detail);
        let h = headers(&[("server", "awselb/2.0")]);
        assert_eq!(evaluate(&t, &answer(503, &h, "")).class, Class::Http503);
        assert_eq!(evaluate(&t, &answer(504, &h, "")).source, Some(Source::Alb));
        let h = headers(&[]);
        assert_eq!(
            evaluate(&t, &answer(500, &h, "")).source,
            Some(Source::Unknown)
        );
    }

    #[test]
    fn other_classes() {
        let mut t = Target::new("a", "https://app.example.com/");
        let h = headers(&[("location", "https://x/")]);
        assert_eq!(evaluate(&t, &answer(302, &h, "")).class, Class::Ok);
        assert_eq!(
            evaluate(&t, &answer(404, &h, "")).class,
            Class::UnexpectedStatus
        );
        t.tls_min_days = Some(14);
        let mut a = answer(200, &h, "");
        a.tls_days_left = Some(3);
        assert_eq!(evaluate(&t, &a).class, Class::Tls);
        t.body_contains = Some("healthy".into());
        assert_eq!(
            evaluate(&t, &answer(200, &h, "sick")).class,
            Class::BodyMismatch
        );
        t.json_expect
            .insert("status".into(), JsonScalar::String("healthy".into()));
        let v = evaluate(&t, &answer(200, &h, r#"{"status":"unhealthy"}"#));
        assert_eq!(v.class, Class::BodyMismatch);
        assert!(v.detail.contains("\"unhealthy\""), "{}", v.detail);
        assert_eq!(
            evaluate(&t, &answer(200, &h, r#"{"status":"healthy"}"#)).class,
            Class::Ok
        );
        t.checks = vec![Check::SecureCookie];
        let h2 = headers(&[("set-cookie", "sid=1; HttpOnly")]);
        assert_eq!(
            evaluate(&t, &answer(200, &h2, r#"{"status":"healthy"}"#)).class,
            Class::HttpsDetection
        );
        t.checks.clear();
        t.max_latency_ms = Some(1);
        assert_eq!(
            evaluate(&t, &answer(200, &h, r#"{"status":"healthy"}"#)).class,
            Class::Timeout
        );
    }

    #[test]
    fn oidc_issuer_expects_the_public_host_then_the_url_host() {
        let mut t = Target::new("kc", "https://alb.internal.example/realms/x");
        assert_eq!(expected_host(&t), "alb.internal.example");
        t.host = Some("auth.example.com".into());
        assert_eq!(expected_host(&t), "auth.example.com");
        t.expect_host = Some("login.example.com".into());
        assert_eq!(expected_host(&t), "login.example.com");
    }

    #[test]
    fn failures_keep_their_classes_and_details() {
        let t = Target::new("a", "https://app.example.com/");
        let cases = [
            (Failure::Dns("x".into()), Class::Dns, "dns: x"),
            (
                Failure::Refused("x".into()),
                Class::Connect,
                "connect: connection refused (x)",
            ),
            (
                Failure::Reset("x".into()),
                Class::Connect,
                "connect: connection reset (x)",
            ),
            (
                Failure::Closed("x".into()),
                Class::Connect,
                "connect: connection closed (x)",
            ),
            (Failure::Connect("x".into()), Class::Connect, "connect: x"),
            (Failure::Timeout("x".into()), Class::Timeout, "timeout: x"),
            (
                Failure::CertificateExpired {
                    days_left: Some(-3),
                },
                Class::Tls,
                "tls: certificate expired (3 days ago)",
            ),
            (
                Failure::CertificateExpired { days_left: None },
                Class::Tls,
                "tls: certificate expired",
            ),
            (Failure::Tls("x".into()), Class::Tls, "tls: x"),
            (
                Failure::Body {
                    status: 200,
                    cause: Box::new(Failure::Reset("x".into())),
                },
                Class::Connect,
                "connect: connection reset (x) (while reading the 200 body)",
            ),
        ];
        for (failure, class, detail) in cases {
            let v = outcome(&t, &Err(failure));
            assert_eq!((v.class, v.detail.as_str()), (class, detail));
            assert_eq!((v.source, v.signature), (None, None));
        }
    }

    /// Issue 9: an invalid URL was `unexpected-status` and a client that could not be built
    /// was `tls`; both are the target's config, not the origin's health.
    #[test]
    fn invalid_target_and_client_build_are_config_failures() {
        let t = Target::new("a", "https://app.example.com/");
        for failure in [
            Failure::InvalidTarget("url \"nope\": relative URL without a base".into()),
            Failure::ClientBuild("invalid certificate".into()),
        ] {
            let v = outcome(&t, &Err(failure));
            assert_eq!(v.class, Class::Config, "{}", v.detail);
            assert!(!v.class.is_transient(), "config failures are not retried");
        }
    }
}
