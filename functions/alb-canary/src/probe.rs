//! The probe engine: all targets concurrently, bounded retries with backoff, and each
//! attempt as [`fetch`] (the HTTP exchange) then [`classify::outcome`] (pure), turned into
//! the [`ProbeResult`] that the summary, the EMF lines and `canary run` print.
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::CanaryError;
use crate::classify::{self, Class, header};
use crate::config::{CanaryConfig, DEFAULT_BACKOFF_MS, DEFAULT_RETRIES, ProbePath, Target};
use crate::fetch::{Answer, ClientSet, Failure, elapsed_ms, fetch};
use crate::signatures::Source;

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

/// One attempt: the exchange, then its classification.
async fn attempt(clients: &ClientSet, target: &Target) -> ProbeResult {
    let start = Instant::now();
    let outcome = fetch(clients, target).await;
    let elapsed = elapsed_ms(start);
    result_of(target, &outcome, elapsed)
}

/// The result of one attempt (pure). `elapsed_ms` is the latency of a failed exchange; an
/// answer carries its own.
fn result_of(target: &Target, outcome: &Result<Answer, Failure>, elapsed_ms: u64) -> ProbeResult {
    let verdict = classify::outcome(target, outcome);
    let mut result = ProbeResult {
        name: target.name.clone(),
        class: verdict.class,
        source: verdict.source,
        status: None,
        latency_ms: elapsed_ms,
        detail: verdict.detail,
        path: target.probe_path(),
        tls_days_left: None,
        attempts: 0,
        signature: verdict.signature.map(str::to_owned),
        location: None,
        cf_pop: None,
        cf_id: None,
    };
    match outcome {
        Ok(answer) => {
            let owned = |name: &str| header(&answer.headers, name).map(str::to_owned);
            result.status = Some(answer.status);
            result.latency_ms = answer.latency_ms;
            result.tls_days_left = answer.tls_days_left;
            result.location = owned("location").filter(|_| (300..400).contains(&answer.status));
            result.cf_pop = owned("x-amz-cf-pop");
            result.cf_id = owned("x-amz-cf-id");
        }
        Err(failure) => {
            result.status = failure.status();
            result.tls_days_left = failure.tls_days_left();
        }
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn an_answer_fills_status_redirect_and_cloudfront_ids() {
        let target = Target::new("a", "https://app.example.com/");
        let mut headers = HeaderMap::new();
        headers.insert("location", HeaderValue::from_static("https://x/"));
        headers.insert("x-amz-cf-pop", HeaderValue::from_static("FRA56-P1"));
        let answer = Answer {
            status: 302,
            headers,
            body: Vec::new(),
            latency_ms: 7,
            tls_days_left: Some(40),
        };
        let r = result_of(&target, &Ok(answer), 99);
        assert_eq!((r.class, r.status, r.latency_ms), (Class::Ok, Some(302), 7));
        assert_eq!(r.location.as_deref(), Some("https://x/"));
        assert_eq!(r.cf_pop.as_deref(), Some("FRA56-P1"));
        assert_eq!(r.tls_days_left, Some(40));
    }

    #[test]
    fn a_failure_keeps_the_status_of_a_broken_body_and_the_expiry() {
        let target = Target::new("a", "https://app.example.com/");
        let body = Failure::Body {
            status: 200,
            cause: Box::new(Failure::Reset("peer".into())),
        };
        let r = result_of(&target, &Err(body), 12);
        assert_eq!(
            (r.class, r.status, r.latency_ms),
            (Class::Connect, Some(200), 12)
        );
        let expired = Failure::CertificateExpired {
            days_left: Some(-2),
        };
        let r = result_of(&target, &Err(expired), 3);
        assert_eq!((r.class, r.tls_days_left), (Class::Tls, Some(-2)));
    }

    /// The invalid-target path through the whole engine: classified `config`, not retried.
    #[tokio::test]
    async fn an_unusable_public_host_is_a_config_failure_tried_once() {
        let mut target = Target::new("a", "https://127.0.0.1:9/");
        target.host = Some("app|example".into());
        target.retries = Some(3);
        let config = CanaryConfig {
            namespace: None,
            targets: vec![target],
        };
        let results = probe_all(&config).await.unwrap();
        assert_eq!(
            (results[0].class, results[0].attempts),
            (Class::Config, 1),
            "{:?}",
            results[0]
        );
        assert!(
            results[0].detail.contains("invalid target"),
            "{}",
            results[0].detail
        );
    }
}
