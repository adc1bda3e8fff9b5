//! `tls-certificate` (pure): the handshake the canary's engine made (chain, name, expiry
//! checked by rustls) and the days left on the server certificate.
use alb_canary::fetch::Failure;
use reqwest::Url;

use super::probe::Exchange;
use super::{CheckSpec, authority};
use crate::doctor::check::{CheckOutcome, Group};

pub const TLS_CERTIFICATE: CheckSpec = CheckSpec {
    id: "tls-certificate",
    group: Group::Certificates,
    symptom: "the browser warns that the connection is not private (certificate expired, untrusted or for another name)",
};

/// Fewer days than this left: a warning (ACM renews managed certificates 60 days ahead:
/// ACM User Guide, "Managed certificate renewal").
pub const MIN_DAYS_LEFT: i64 = 14;

pub fn certificate(url: &Url, exchange: &Exchange) -> CheckOutcome {
    let target = url.as_str();
    if url.scheme() != "https" {
        return TLS_CERTIFICATE.skip(target, "the URL is http: no certificate");
    }
    let fix = format!(
        "serve a certificate for {} from a trusted CA that is valid now: an ACM certificate (us-east-1 for a \
         CloudFront alias) covering the name, issued and attached",
        url.host_str().unwrap_or_default()
    );
    match &exchange.answer {
        Err(failure @ (Failure::Tls(_) | Failure::CertificateExpired { .. })) => {
            TLS_CERTIFICATE.fail(target, failure.to_string(), fix)
        }
        Err(Failure::Body { cause, .. }) if matches!(**cause, Failure::Tls(_)) => {
            TLS_CERTIFICATE.fail(target, cause.to_string(), fix)
        }
        Err(failure) => TLS_CERTIFICATE.skip(target, format!("no handshake: {failure}")),
        Ok(answer) => match answer.tls_days_left {
            Some(days) if days < 0 => {
                TLS_CERTIFICATE.fail(target, format!("expired {} days ago", -days), fix)
            }
            Some(days) if days < MIN_DAYS_LEFT => TLS_CERTIFICATE.warn(
                target,
                format!("valid for {}, expires in {days} days", authority(url)),
                fix,
            ),
            Some(days) => TLS_CERTIFICATE.pass(
                target,
                format!("trusted, valid for {}, {days} days left", authority(url)),
            ),
            None => TLS_CERTIFICATE.pass(target, format!("trusted, valid for {}", authority(url))),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::doctor::check::Status;
    use alb_canary::fetch::Answer;
    use reqwest::header::HeaderMap;

    fn with_days(days: Option<i64>) -> Exchange {
        Exchange {
            url: Url::parse("https://a.example.com").unwrap(),
            answer: Ok(Answer {
                status: 200,
                headers: HeaderMap::new(),
                body: Vec::new(),
                latency_ms: 1,
                tls_days_left: days,
            }),
        }
    }

    #[test]
    fn expiry_and_handshake() {
        let url = Url::parse("https://a.example.com").unwrap();
        assert_eq!(certificate(&url, &with_days(Some(80))).status, Status::Pass);
        assert_eq!(certificate(&url, &with_days(Some(3))).status, Status::Warn);
        assert_eq!(certificate(&url, &with_days(Some(-1))).status, Status::Fail);
        let bad = Exchange {
            url: url.clone(),
            answer: Err(Failure::Tls(
                "invalid peer certificate: UnknownIssuer".into(),
            )),
        };
        assert_eq!(certificate(&url, &bad).status, Status::Fail);
        let http = Url::parse("http://a.example.com").unwrap();
        assert_eq!(certificate(&http, &with_days(None)).status, Status::Skip);
    }
}
