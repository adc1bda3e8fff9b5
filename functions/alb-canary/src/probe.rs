//! The probe engine: all targets concurrently (tokio + reqwest/rustls), per-attempt timeout,
//! bounded retries with backoff, redirects reported (not followed) unless asked, and the
//! classification of every answer or transport error.
use std::collections::HashMap;
use std::error::Error as StdError;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{HOST, HeaderMap, LOCATION, SET_COOKIE};
use serde::{Deserialize, Serialize};

use crate::CanaryError;
use crate::checks::{CheckInput, run_check};
use crate::config::{
    CanaryConfig, DEFAULT_BACKOFF_MS, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, MAX_BODY_BYTES,
    ProbePath, Target,
};
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
        }
    }

    /// Transient classes are retried before the failure counts.
    fn is_transient(self) -> bool {
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

/// The result of probing one target (the `results[]` item of `canary run --output json` and
/// of the Lambda summary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    pub name: String,
    pub class: Class,
    /// Who generated a 5xx (null otherwise).
    pub source: Option<Source>,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Duration of the last attempt, in milliseconds.
    pub latency_ms: u64,
    pub detail: String,
    pub path: ProbePath,
    /// Days until the server certificate expires (negative: expired), on https.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_days_left: Option<i64>,
    pub attempts: u32,
    /// Id of the signature that named the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// `Location` of a redirect that was reported, not followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cf_pop: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cf_id: Option<String>,
}

impl ProbeResult {
    pub fn is_ok(&self) -> bool {
        self.class == Class::Ok
    }
}

/// Probes every target concurrently. Failing probes are results; only bad config (an
/// unreadable CA file, a client that cannot be built) is an error.
pub async fn probe_all(config: &CanaryConfig) -> Result<Vec<ProbeResult>, CanaryError> {
    config.validate()?;
    let clients = ClientSet::build(&config.targets)?;
    let probes = config
        .targets
        .iter()
        .map(|target| probe_target(&clients, target));
    Ok(futures::future::join_all(probes).await)
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    follow_redirects: bool,
    ca_file: Option<PathBuf>,
}

impl ClientKey {
    fn of(target: &Target) -> Self {
        Self {
            follow_redirects: target.follow_redirects,
            ca_file: target.ca_file.clone(),
        }
    }
}

/// One shared client per distinct (redirect policy, CA file): building a client loads the
/// root store, so 100 plain targets share one.
struct ClientSet {
    clients: HashMap<ClientKey, reqwest::Client>,
    roots: HashMap<PathBuf, Vec<reqwest::Certificate>>,
}

impl ClientSet {
    fn build(targets: &[Target]) -> Result<Self, CanaryError> {
        let mut set = Self {
            clients: HashMap::new(),
            roots: HashMap::new(),
        };
        for target in targets {
            if let Some(path) = &target.ca_file
                && !set.roots.contains_key(path)
            {
                let pem = std::fs::read(path).map_err(|source| CanaryError::ReadConfig {
                    path: path.clone(),
                    source,
                })?;
                let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| {
                    CanaryError::InvalidTarget {
                        name: target.name.clone(),
                        message: format!("ca_file {}: {err}", path.display()),
                    }
                })?;
                set.roots.insert(path.clone(), certs);
            }
            let key = ClientKey::of(target);
            if !set.clients.contains_key(&key) {
                let client = set
                    .builder(&key)
                    .build()
                    .map_err(|e| CanaryError::Client(e.to_string()))?;
                set.clients.insert(key, client);
            }
        }
        Ok(set)
    }

    fn builder(&self, key: &ClientKey) -> reqwest::ClientBuilder {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("edgekit-canary/", env!("CARGO_PKG_VERSION")))
            // The canary must see the origins as they are, not through a local proxy.
            .no_proxy()
            .tls_info(true)
            .redirect(if key.follow_redirects {
                reqwest::redirect::Policy::limited(10)
            } else {
                reqwest::redirect::Policy::none()
            });
        if let Some(certs) = key.ca_file.as_ref().and_then(|p| self.roots.get(p)) {
            for cert in certs {
                builder = builder.add_root_certificate(cert.clone());
            }
        }
        builder
    }
}

/// Probes one target with retries.
async fn probe_target(clients: &ClientSet, target: &Target) -> ProbeResult {
    let retries = target.retries.unwrap_or(DEFAULT_RETRIES);
    let mut backoff = Duration::from_millis(target.backoff_ms.unwrap_or(DEFAULT_BACKOFF_MS));
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut result = attempt(clients, target).await;
        if result.is_ok() || !result.class.is_transient() || attempts > retries {
            result.attempts = attempts;
            return result;
        }
        tracing::debug!(target = %target.name, class = result.class.as_str(), attempts, "retrying");
        tokio::time::sleep(backoff).await;
        backoff = backoff.saturating_mul(2);
    }
}

fn base_result(target: &Target) -> ProbeResult {
    ProbeResult {
        name: target.name.clone(),
        class: Class::Ok,
        source: None,
        status: None,
        latency_ms: 0,
        detail: String::new(),
        path: target.probe_path(),
        tls_days_left: None,
        attempts: 0,
        signature: None,
        location: None,
        cf_pop: None,
        cf_id: None,
    }
}

fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// One attempt: request, read the body (bounded), classify.
async fn attempt(clients: &ClientSet, target: &Target) -> ProbeResult {
    let mut result = base_result(target);
    let start = Instant::now();
    let timeout = Duration::from_millis(target.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
    let Ok(mut url) = reqwest::Url::parse(&target.url) else {
        // validate() rejected this already; keep the engine total anyway.
        result.class = Class::UnexpectedStatus;
        result.detail = "invalid url".into();
        return result;
    };
    let key = ClientKey::of(target);
    let dedicated;
    let mut host_header = None;
    let client = match (&target.host, url.scheme()) {
        // Probing the ALB directly on https: connect to the URL's host, but speak TLS (SNI,
        // certificate name) and HTTP as the public host, as CloudFront does for a custom origin.
        (Some(public_host), "https") => {
            let port = url.port_or_known_default().unwrap_or(443);
            let lookup_host = url.host_str().unwrap_or_default().to_owned();
            let addrs: Vec<SocketAddr> = match tokio::time::timeout(
                timeout,
                tokio::net::lookup_host((lookup_host.as_str(), port)),
            )
            .await
            {
                Ok(Ok(addrs)) => addrs.collect(),
                Ok(Err(err)) => {
                    result.class = Class::Dns;
                    result.detail = format!("dns: could not resolve {lookup_host}: {err}");
                    result.latency_ms = elapsed_ms(start);
                    return result;
                }
                Err(_) => {
                    result.class = Class::Timeout;
                    result.detail = format!("timeout: resolving {lookup_host}");
                    result.latency_ms = elapsed_ms(start);
                    return result;
                }
            };
            if url.set_host(Some(public_host)).is_err() {
                result.class = Class::UnexpectedStatus;
                result.detail = format!("invalid host {public_host:?}");
                return result;
            }
            match clients
                .builder(&key)
                .resolve_to_addrs(public_host, &addrs)
                .build()
            {
                Ok(client) => dedicated = client,
                Err(err) => {
                    result.class = Class::Tls;
                    result.detail = format!("could not build a client: {err}");
                    return result;
                }
            }
            &dedicated
        }
        (Some(public_host), _) => {
            host_header = Some(public_host.as_str());
            match clients.clients.get(&key) {
                Some(client) => client,
                None => return missing_client(result),
            }
        }
        (None, _) => match clients.clients.get(&key) {
            Some(client) => client,
            None => return missing_client(result),
        },
    };
    let method = target
        .method
        .as_deref()
        .and_then(|m| reqwest::Method::from_bytes(m.as_bytes()).ok())
        .unwrap_or(reqwest::Method::GET);
    let mut request = client.request(method, url.clone()).timeout(timeout);
    if let Some(host) = host_header {
        request = request.header(HOST, host);
    }
    for (name, value) in &target.headers.0 {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(err) => {
            let (class, detail, days) = classify_error(&err);
            result.class = class;
            result.detail = detail;
            result.tls_days_left = days;
            result.latency_ms = elapsed_ms(start);
            return result;
        }
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let tls_days_left = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .and_then(days_left_of_der);
    let body = match read_body(response).await {
        Ok(body) => body,
        Err(err) => {
            let (class, detail, _) = classify_error(&err);
            result.class = class;
            result.status = Some(status);
            result.detail = format!("{detail} (while reading the {status} body)");
            result.latency_ms = elapsed_ms(start);
            return result;
        }
    };
    result.latency_ms = elapsed_ms(start);
    let expected_host = target
        .expect_host
        .clone()
        .or_else(|| target.host.clone())
        .or_else(|| {
            reqwest::Url::parse(&target.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
        })
        .unwrap_or_default();
    let facts = Facts {
        status,
        headers: &headers,
        body: &String::from_utf8_lossy(&body),
        latency_ms: result.latency_ms,
        tls_days_left,
        expected_host: &expected_host,
    };
    let verdict = evaluate(target, &facts);
    result.class = verdict.class;
    result.source = verdict.source;
    result.signature = verdict.signature.map(str::to_owned);
    result.detail = verdict.detail;
    result.status = Some(status);
    result.tls_days_left = tls_days_left;
    result.location = header(&headers, "location")
        .map(str::to_owned)
        .filter(|_| (300..400).contains(&status));
    result.cf_pop = header(&headers, "x-amz-cf-pop").map(str::to_owned);
    result.cf_id = header(&headers, "x-amz-cf-id").map(str::to_owned);
    result
}

fn missing_client(mut result: ProbeResult) -> ProbeResult {
    result.class = Class::Connect;
    result.detail = "internal: no HTTP client for this target".into();
    result
}

async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_BODY_BYTES {
            break;
        }
    }
    Ok(body)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Days until a DER certificate's notAfter (negative once expired).
fn days_left_of_der(der: &[u8]) -> Option<i64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let not_after = cert.validity().not_after.timestamp();
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    Some((not_after - now).div_euclid(86_400))
}

/// What the classification looks at in an answer.
pub struct Facts<'a> {
    pub status: u16,
    pub headers: &'a HeaderMap,
    pub body: &'a str,
    pub latency_ms: u64,
    pub tls_days_left: Option<i64>,
    pub expected_host: &'a str,
}

/// The classification of an answer.
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

/// Classifies an answer (pure). Order: 5xx by source, unexpected status, TLS expiry budget,
/// body, JSON fields, https-detection checks, latency budget.
pub fn evaluate(target: &Target, facts: &Facts<'_>) -> Verdict {
    let status = facts.status;
    if status >= 500 && !(target.expect_status.is_some() && target.status_expected(status)) {
        let signature = identify(|name| header(facts.headers, name), facts.body);
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
            && let Some(reason) = cloudfront_reason(facts.body)
        {
            detail.push_str(&format!(": {reason}"));
        }
        return Verdict {
            class,
            source: Some(source),
            signature: signature.map(|s| s.id),
            detail,
        };
    }
    let location = header(facts.headers, "location");
    if !target.status_expected(status) {
        let mut detail = format!("status {status}, expected {}", expected_text(target));
        if let Some(loc) = location {
            detail.push_str(&format!(" (redirect to {})", truncate(loc, 200)));
        }
        return Verdict::new(Class::UnexpectedStatus, detail);
    }
    if let (Some(days), Some(min)) = (facts.tls_days_left, target.tls_min_days)
        && days < min
    {
        return Verdict::new(
            Class::Tls,
            format!("certificate expires in {days} days (minimum {min})"),
        );
    }
    if let Some(needle) = &target.body_contains
        && !facts.body.contains(needle.as_str())
    {
        return Verdict::new(
            Class::BodyMismatch,
            format!("body does not contain {:?}", truncate(needle, 100)),
        );
    }
    if !target.json_expect.is_empty()
        && let Err(detail) = json_expectations(target, facts.body)
    {
        return Verdict::new(Class::BodyMismatch, detail);
    }
    let input = CheckInput {
        set_cookies: facts
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect(),
        location: facts.headers.get(LOCATION).and_then(|v| v.to_str().ok()),
        body: facts.body,
        expected_host: facts.expected_host,
    };
    for check in &target.checks {
        if let Err(detail) = run_check(*check, &input) {
            return Verdict::new(Class::HttpsDetection, detail);
        }
    }
    if let Some(budget) = target.max_latency_ms
        && facts.latency_ms > budget
    {
        return Verdict::new(
            Class::Timeout,
            format!(
                "answered in {} ms, over the {budget} ms budget",
                facts.latency_ms
            ),
        );
    }
    let mut detail = format!("{status} in {} ms", facts.latency_ms);
    if let (true, Some(loc)) = ((300..400).contains(&status), location) {
        detail.push_str(&format!(
            ", redirect to {} (not followed)",
            truncate(loc, 200)
        ));
    }
    Verdict::new(Class::Ok, detail)
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

/// Classifies a transport error: (class, detail, days left for an expired certificate).
pub fn classify_error(err: &reqwest::Error) -> (Class, String, Option<i64>) {
    let chain = error_chain(err);
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return classify_tls(tls, &chain);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(tls) = rustls_in_io(io) {
                return classify_tls(tls, &chain);
            }
            use std::io::ErrorKind::*;
            match io.kind() {
                ConnectionRefused => {
                    return (
                        Class::Connect,
                        format!("connect: connection refused ({chain})"),
                        None,
                    );
                }
                ConnectionReset | ConnectionAborted | BrokenPipe => {
                    return (
                        Class::Connect,
                        format!("connect: connection reset ({chain})"),
                        None,
                    );
                }
                TimedOut if !err.is_timeout() => {
                    return (Class::Timeout, format!("timeout: {chain}"), None);
                }
                _ => {}
            }
        }
        let text = e.to_string();
        if text.starts_with("dns error") || text.contains("failed to lookup address") {
            return (Class::Dns, format!("dns: {chain}"), None);
        }
        current = e.source();
    }
    if err.is_timeout() {
        (
            Class::Timeout,
            format!("timeout: no answer in time ({chain})"),
            None,
        )
    } else if err.is_connect() {
        (Class::Connect, format!("connect: {chain}"), None)
    } else {
        // e.g. hyper "connection closed before message completed": the peer hung up.
        (
            Class::Connect,
            format!("connect: connection closed ({chain})"),
            None,
        )
    }
}

/// The rustls error inside (possibly nested) io::Error payloads: io::Error::source() skips
/// its payload, and hyper-rustls wraps tokio-rustls's io::Error in another one.
fn rustls_in_io(io: &std::io::Error) -> Option<&rustls::Error> {
    let mut payload = io.get_ref()?;
    for _ in 0..4 {
        if let Some(tls) = payload.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        payload = payload.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
    None
}

fn classify_tls(tls: &rustls::Error, chain: &str) -> (Class, String, Option<i64>) {
    use rustls::CertificateError;
    match tls {
        rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { time, not_after }) => {
            let days = (i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX)
                - i64::try_from(time.as_secs()).unwrap_or(0))
            .div_euclid(86_400);
            (
                Class::Tls,
                format!("tls: certificate expired ({} days ago)", -days),
                Some(days),
            )
        }
        rustls::Error::InvalidCertificate(CertificateError::Expired) => {
            (Class::Tls, "tls: certificate expired".into(), None)
        }
        other => (Class::Tls, format!("tls: {other} ({chain})"), None),
    }
}

/// The messages of an error's sources (the top level names the URL; the sources say why).
fn error_chain(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    if parts.is_empty() {
        parts.push(err.to_string());
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::config::{Check, JsonScalar};

    fn facts<'a>(status: u16, headers: &'a HeaderMap, body: &'a str) -> Facts<'a> {
        Facts {
            status,
            headers,
            body,
            latency_ms: 5,
            tls_days_left: None,
            expected_host: "app.example.com",
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
        ]
        .iter()
        .map(|c| {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json.trim_matches('"'), c.as_str());
            c.as_str().to_owned()
        })
        .collect();
        assert_eq!(names.len(), 11);
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
            &facts(502, &h, "CloudFront wasn't able to connect to the origin."),
        );
        assert_eq!(
            (v.class, v.source),
            (Class::Http5xx, Some(Source::Cloudfront))
        );
        assert!(v.detail.contains("wasn't able to connect"), "{}", v.detail);
        let h = headers(&[("server", "awselb/2.0")]);
        assert_eq!(evaluate(&t, &facts(503, &h, "")).class, Class::Http503);
        assert_eq!(evaluate(&t, &facts(504, &h, "")).source, Some(Source::Alb));
        let h = headers(&[]);
        assert_eq!(
            evaluate(&t, &facts(500, &h, "")).source,
            Some(Source::Unknown)
        );
    }

    #[test]
    fn other_classes() {
        let mut t = Target::new("a", "https://app.example.com/");
        let h = headers(&[("location", "https://x/")]);
        assert_eq!(evaluate(&t, &facts(302, &h, "")).class, Class::Ok);
        assert_eq!(
            evaluate(&t, &facts(404, &h, "")).class,
            Class::UnexpectedStatus
        );
        t.tls_min_days = Some(14);
        let mut f = facts(200, &h, "");
        f.tls_days_left = Some(3);
        assert_eq!(evaluate(&t, &f).class, Class::Tls);
        t.body_contains = Some("healthy".into());
        assert_eq!(
            evaluate(&t, &facts(200, &h, "sick")).class,
            Class::BodyMismatch
        );
        t.json_expect
            .insert("status".into(), JsonScalar::String("healthy".into()));
        let v = evaluate(&t, &facts(200, &h, r#"{"status":"unhealthy"}"#));
        assert_eq!(v.class, Class::BodyMismatch);
        assert!(v.detail.contains("\"unhealthy\""), "{}", v.detail);
        assert_eq!(
            evaluate(&t, &facts(200, &h, r#"{"status":"healthy"}"#)).class,
            Class::Ok
        );
        t.checks = vec![Check::SecureCookie];
        let h2 = headers(&[("set-cookie", "sid=1; HttpOnly")]);
        assert_eq!(
            evaluate(&t, &facts(200, &h2, r#"{"status":"healthy"}"#)).class,
            Class::HttpsDetection
        );
        t.checks.clear();
        t.max_latency_ms = Some(1);
        assert_eq!(
            evaluate(&t, &facts(200, &h, r#"{"status":"healthy"}"#)).class,
            Class::Timeout
        );
    }
}
