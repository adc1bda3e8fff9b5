//! Canary configuration: the targets file / event payload model, its validation, and where
//! the Lambda finds it (event, `detail` of an EventBridge event, `EDGEKIT_CANARY_CONFIG`).
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::CanaryError;

/// Default CloudWatch namespace of the EMF metrics.
pub const DEFAULT_NAMESPACE: &str = "Edgekit/Canary";
/// Environment variable holding the config: inline JSON (starts with `{`) or a file path.
pub const CONFIG_ENV: &str = "EDGEKIT_CANARY_CONFIG";
/// Per-attempt timeout when a target sets none.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Retries after a failed attempt (transport errors, 5xx, timeouts) before the failure counts.
pub const DEFAULT_RETRIES: u32 = 2;
/// First backoff between attempts; doubles on each retry.
pub const DEFAULT_BACKOFF_MS: u64 = 200;
/// Response bodies are read up to this size (enough for any health or discovery document).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The targets file: `{"namespace"?, "targets": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanaryConfig {
    /// CloudWatch namespace of the EMF metrics (default `Edgekit/Canary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub targets: Vec<Target>,
}

impl CanaryConfig {
    /// Parses a targets file / payload, with the JSON path of the first error.
    pub fn from_json(origin: &str, json: &str) -> Result<Self, CanaryError> {
        let mut de = serde_json::Deserializer::from_str(json);
        let config: Self = parse_json(&mut de).map_err(|message| CanaryError::InvalidConfig {
            origin: origin.to_owned(),
            message,
        })?;
        config.validate()?;
        Ok(config)
    }

    /// The namespace to publish to.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE)
    }

    /// Checks what serde cannot: unique names, URLs, methods, header names, statuses.
    pub fn validate(&self) -> Result<(), CanaryError> {
        if self.targets.is_empty() {
            return Err(CanaryError::NoTargets);
        }
        if let Some(ns) = &self.namespace {
            // EMF: Namespace is a string of 1..=255 characters.
            // [CloudWatch User Guide, "Specification: Embedded metric format"]
            if ns.is_empty() || ns.len() > 255 {
                return Err(CanaryError::InvalidConfig {
                    origin: "namespace".into(),
                    message: "must be 1 to 255 characters".into(),
                });
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for target in &self.targets {
            target.validate()?;
            if !seen.insert((target.name.as_str(), target.probe_path())) {
                return Err(invalid(
                    &target.name,
                    "duplicate target name (with the same path)",
                ));
            }
        }
        Ok(())
    }
}

/// Parses a whole document; serde_json's message names the field, line and column.
fn parse_json<'de, T: Deserialize<'de>>(
    de: &mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
) -> Result<T, String> {
    T::deserialize(&mut *de)
        .map_err(|err| err.to_string())
        .and_then(|value| {
            de.end().map_err(|err| err.to_string())?;
            Ok(value)
        })
}

fn invalid(name: &str, message: impl Into<String>) -> CanaryError {
    CanaryError::InvalidTarget {
        name: name.to_owned(),
        message: message.into(),
    }
}

/// One probe target. Only `name` and `url` are required.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Metric dimension `Target`.
    pub name: String,
    /// `http://` or `https://` URL to request.
    pub url: String,
    /// Public Host to send when probing the ALB directly. On `https://` URLs the connection
    /// goes to the URL's host while TLS (SNI, certificate name) and `Host` use this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Extra request headers (e.g. the origin-verify secret). Values are never logged.
    #[serde(default, skip_serializing_if = "SecretHeaders::is_empty")]
    pub headers: SecretHeaders,
    /// HTTP method (default GET).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Statuses that count as success (default: any 2xx or 3xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<Vec<u16>>,
    /// Text the body must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    /// JSON fields the body must have, by dotted path: `{"status": "healthy", "db.ok": true}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub json_expect: BTreeMap<String, JsonScalar>,
    /// Latency budget: a slower answer is classified `timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency_ms: Option<u64>,
    /// Fail (`tls`) when the certificate expires in fewer days than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_min_days: Option<i64>,
    /// https-detection checks to run on the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// Metric dimension `Path`: `edge` (through CloudFront) or `origin` (the ALB directly).
    /// Default: `origin` when `host` is set, else `edge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<ProbePath>,
    /// Per-attempt timeout (default 10 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Retries after a transient failure (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// First backoff between attempts, doubled on each retry (default 200 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_ms: Option<u64>,
    /// Follow redirects instead of reporting them (default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_redirects: bool,
    /// Extra trusted root certificates (PEM file), for private CAs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Host the `oidc-issuer` check expects (default: `host`, else the URL's host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_host: Option<String>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("host", &self.host)
            .field("headers", &self.headers)
            .field("checks", &self.checks)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// A target with only `name` and `url` set.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            host: None,
            headers: SecretHeaders::default(),
            method: None,
            expect_status: None,
            body_contains: None,
            json_expect: BTreeMap::new(),
            max_latency_ms: None,
            tls_min_days: None,
            checks: Vec::new(),
            path: None,
            timeout_ms: None,
            retries: None,
            backoff_ms: None,
            follow_redirects: false,
            ca_file: None,
            expect_host: None,
        }
    }

    /// The `Path` dimension.
    pub fn probe_path(&self) -> ProbePath {
        self.path.unwrap_or(if self.host.is_some() {
            ProbePath::Origin
        } else {
            ProbePath::Edge
        })
    }

    /// Whether `status` counts as success.
    pub fn status_expected(&self, status: u16) -> bool {
        match &self.expect_status {
            Some(list) => list.contains(&status),
            None => (200..400).contains(&status),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), CanaryError> {
        if self.name.trim().is_empty() {
            return Err(invalid(&self.name, "name is empty"));
        }
        let url = reqwest::Url::parse(&self.url)
            .map_err(|err| invalid(&self.name, format!("url {:?}: {err}", self.url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(invalid(
                &self.name,
                "url must be http:// or https:// with a host",
            ));
        }
        if let Some(method) = &self.method {
            reqwest::Method::from_bytes(method.as_bytes())
                .map_err(|_| invalid(&self.name, format!("invalid method {method:?}")))?;
        }
        if let Some(host) = &self.host
            && (host.is_empty()
                || host
                    .chars()
                    .any(|c| c.is_whitespace() || c == '/' || c == ','))
        {
            return Err(invalid(&self.name, format!("invalid host {host:?}")));
        }
        for (name, value) in &self.headers.0 {
            reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(&self.name, format!("invalid header name {name:?}")))?;
            // The value is a secret: say which header, never what it holds.
            reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| invalid(&self.name, format!("invalid value for header {name:?}")))?;
        }
        if let Some(list) = &self.expect_status
            && (list.is_empty() || list.iter().any(|s| !(100..=599).contains(s)))
        {
            return Err(invalid(
                &self.name,
                "expect_status must list statuses 100..=599",
            ));
        }
        if self.json_expect.keys().any(|k| k.is_empty()) {
            return Err(invalid(&self.name, "json_expect has an empty field path"));
        }
        if self.timeout_ms == Some(0) {
            return Err(invalid(&self.name, "timeout_ms must be positive"));
        }
        Ok(())
    }
}

/// Request headers whose values are secrets: `Debug` shows only the names.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretHeaders(pub BTreeMap<String, String>);

impl SecretHeaders {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, "<redacted>")))
            .finish()
    }
}

/// An expected JSON value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JsonScalar {
    Bool(bool),
    Number(f64),
    String(String),
}

impl fmt::Display for JsonScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// The https-detection checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Every Set-Cookie carries `Secure`.
    SecureCookie,
    /// The OIDC discovery document's `issuer` is https and on the expected host.
    OidcIssuer,
    /// A login redirect's `redirect_uri` is https and has a hostname.
    RedirectUri,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecureCookie => "secure-cookie",
            Self::OidcIssuer => "oidc-issuer",
            Self::RedirectUri => "redirect-uri",
        }
    }
}

/// The `Path` dimension: through CloudFront, or the ALB directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbePath {
    Edge,
    Origin,
}

impl ProbePath {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Edge => "edge",
            Self::Origin => "origin",
        }
    }
}

/// What the Lambda receives: a direct payload (`{"targets": [...]}`, also what an EventBridge
/// target with `Input` delivers), or an EventBridge event whose `detail` may carry the
/// targets (a plain scheduled event has `"detail": {}`: the config then comes from
/// `EDGEKIT_CANARY_CONFIG`). [EventBridge User Guide, "Creating a rule that runs on a
/// schedule"; "Amazon EventBridge events" for the envelope fields]
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CanaryEvent {
    #[serde(rename = "detail-type", default)]
    pub detail_type: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub detail: Option<EventDetail>,
    #[serde(default)]
    pub targets: Option<Vec<Target>>,
    #[serde(default)]
    pub namespace: Option<String>,
}

/// The `detail` of an EventBridge event, when it carries targets.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventDetail {
    #[serde(default)]
    pub targets: Option<Vec<Target>>,
    #[serde(default)]
    pub namespace: Option<String>,
}

impl CanaryEvent {
    /// The config to run: the event's targets, else its `detail`'s, else the environment's
    /// (`env_config` is the value of `EDGEKIT_CANARY_CONFIG`, if any).
    pub fn resolve(self, env_config: Option<&str>) -> Result<CanaryConfig, CanaryError> {
        let from_event = |targets: Vec<Target>, namespace: Option<String>| {
            let config = CanaryConfig { namespace, targets };
            config.validate()?;
            Ok(config)
        };
        if let Some(targets) = self.targets {
            return from_event(targets, self.namespace);
        }
        if let Some(EventDetail {
            targets: Some(targets),
            namespace,
        }) = self.detail
        {
            return from_event(targets, namespace.or(self.namespace));
        }
        match env_config.map(str::trim) {
            Some(inline) if inline.starts_with('{') => CanaryConfig::from_json(CONFIG_ENV, inline),
            Some(path) if !path.is_empty() => load_file(&PathBuf::from(path)),
            _ => Err(CanaryError::NoTargets),
        }
    }
}

/// Reads and validates a targets file.
pub fn load_file(path: &std::path::Path) -> Result<CanaryConfig, CanaryError> {
    let text = std::fs::read_to_string(path).map_err(|source| CanaryError::ReadConfig {
        path: path.to_owned(),
        source,
    })?;
    CanaryConfig::from_json(&path.display().to_string(), &text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn minimal_target_parses_and_defaults() {
        let config = CanaryConfig::from_json(
            "t",
            r#"{"targets":[{"name":"a","url":"https://x.example/"}]}"#,
        )
        .unwrap();
        let t = &config.targets[0];
        assert_eq!(t.probe_path(), ProbePath::Edge);
        assert!(t.status_expected(200) && t.status_expected(302) && !t.status_expected(404));
        assert_eq!(config.namespace(), DEFAULT_NAMESPACE);
    }

    #[test]
    fn full_target_parses() {
        let json = r#"{"namespace":"X/Y","targets":[{"name":"o","url":"http://alb.example/health",
            "host":"app.example.com","headers":{"X-Origin-Verify":"s3cr3t"},"method":"HEAD",
            "expect_status":[200],"body_contains":"ok","json_expect":{"status":"healthy","n":1,"b":true},
            "max_latency_ms":500,"tls_min_days":14,"checks":["secure-cookie","oidc-issuer","redirect-uri"]}]}"#;
        let config = CanaryConfig::from_json("t", json).unwrap();
        let t = &config.targets[0];
        assert_eq!(t.probe_path(), ProbePath::Origin);
        assert_eq!(
            t.json_expect["status"],
            JsonScalar::String("healthy".into())
        );
        assert_eq!(t.json_expect["n"], JsonScalar::Number(1.0));
        assert!(
            !format!("{t:?}").contains("s3cr3t"),
            "Debug must not show header values"
        );
    }

    #[test]
    fn bad_configs_are_specific_errors() {
        for (json, needle) in [
            (r#"{"targets":[]}"#, "no targets"),
            (r#"{"targets":[{"name":"a"}]}"#, "url"),
            (r#"{"targets":[{"name":"a","url":"ftp://x/"}]}"#, "http"),
            (
                r#"{"targets":[{"name":"a","url":"http://x/","checks":["nope"]}]}"#,
                "nope",
            ),
            (
                r#"{"targets":[{"name":"a","url":"http://x/","bogus":1}]}"#,
                "bogus",
            ),
            (
                r#"{"targets":[{"name":"a","url":"http://x/"},{"name":"a","url":"http://y/"}]}"#,
                "duplicate",
            ),
            (
                r#"{"targets":[{"name":"a","url":"http://x/","headers":{"X-S":"a\nb"}}]}"#,
                "X-S",
            ),
        ] {
            let err = CanaryConfig::from_json("t", json).unwrap_err().to_string();
            assert!(err.contains(needle), "{json}: {err}");
            assert!(!err.contains("a\nb"));
        }
    }

    #[test]
    fn event_resolution_order() {
        let direct: CanaryEvent =
            serde_json::from_str(r#"{"targets":[{"name":"a","url":"http://x/"}]}"#).unwrap();
        assert_eq!(direct.resolve(None).unwrap().targets[0].name, "a");
        let scheduled: CanaryEvent = serde_json::from_str(
            r#"{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events",
            "account":"1","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{}}"#,
        )
        .unwrap();
        assert!(matches!(
            scheduled.clone().resolve(None),
            Err(CanaryError::NoTargets)
        ));
        let env = r#"{"targets":[{"name":"e","url":"http://x/"}]}"#;
        assert_eq!(scheduled.resolve(Some(env)).unwrap().targets[0].name, "e");
        let detail: CanaryEvent = serde_json::from_str(
            r#"{"detail-type":"Scheduled Event","detail":{"targets":[{"name":"d","url":"http://x/"}]}}"#,
        )
        .unwrap();
        assert_eq!(detail.resolve(Some(env)).unwrap().targets[0].name, "d");
    }
}
