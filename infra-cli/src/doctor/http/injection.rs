//! `host-header-injection` (pure): a forged `X-Forwarded-Host` / `Forwarded: host=` sent by
//! the viewer must change neither the app's redirect_uri host nor Keycloak's issuer. Whoever
//! trusts those headers from the viewer lets a crafted link send logins elsewhere.
use reqwest::Url;

use super::app::{LoginRedirect, login_redirect};
use super::probe::Exchange;
use super::{CheckSpec, SPOOFED_HOST};
use crate::doctor::check::{CheckOutcome, Group};

pub const HOST_HEADER_INJECTION: CheckSpec = CheckSpec {
    id: "host-header-injection",
    group: Group::App,
    symptom: "a crafted request makes the app or Keycloak send logins (codes, tokens) to another host",
};

const HEADERS: &str = "X-Forwarded-Host / Forwarded: host=";

/// The app: the login walk again, with the forged headers.
pub fn app(app: &Url, honest: Option<&LoginRedirect>, spoofed: &[Exchange]) -> CheckOutcome {
    let target = app.as_str();
    if honest.is_none() {
        return HOST_HEADER_INJECTION.skip(
            target,
            "no login redirect to compare (see app-redirect-uri)",
        );
    }
    let Some(forged) = login_redirect(spoofed) else {
        return HOST_HEADER_INJECTION.pass(
            target,
            format!("with {HEADERS}{SPOOFED_HOST} the login did not redirect with a redirect_uri"),
        );
    };
    if forged
        .redirect_uri
        .to_ascii_lowercase()
        .contains(SPOOFED_HOST)
    {
        return HOST_HEADER_INJECTION.fail(
            target,
            format!("with {HEADERS}{SPOOFED_HOST} the app's redirect_uri became {}", forged.redirect_uri),
            "the app trusts forwarding headers from anyone: build URLs from a configured public URL, or from the Host \
             header CloudFront forwards, and trust X-Forwarded-Host / Forwarded only from a proxy that overwrites them",
        );
    }
    HOST_HEADER_INJECTION.pass(
        target,
        format!(
            "with {HEADERS}{SPOOFED_HOST} the redirect_uri stays {}",
            forged.redirect_uri
        ),
    )
}

/// Keycloak: its discovery document again, with the forged headers.
pub fn keycloak(kc: &Url, spoofed: &Exchange) -> CheckOutcome {
    let target = kc.as_str();
    // Reported with Keycloak's checks.
    const HOST_HEADER_INJECTION: CheckSpec = CheckSpec {
        group: Group::Keycloak,
        ..self::HOST_HEADER_INJECTION
    };
    let Ok(answer) = &spoofed.answer else {
        return HOST_HEADER_INJECTION.skip(target, "no answer from Keycloak's discovery document");
    };
    let Some(issuer) = super::keycloak::discovery_issuer(&answer.body) else {
        return HOST_HEADER_INJECTION.skip(
            target,
            format!("no issuer in the discovery answer (HTTP {})", answer.status),
        );
    };
    if issuer.to_ascii_lowercase().contains(SPOOFED_HOST) {
        return HOST_HEADER_INJECTION.fail(
            target,
            format!("with {HEADERS}{SPOOFED_HOST} Keycloak's issuer became {issuer}"),
            format!(
                "Keycloak trusts the viewer's forwarding headers: have keycloak-host (origin-request) overwrite Forwarded \
                 with the public host, or fix the hostname with KC_HOSTNAME=https://{}",
                super::authority(kc)
            ),
        );
    }
    HOST_HEADER_INJECTION.pass(
        target,
        format!("with {HEADERS}{SPOOFED_HOST} the issuer stays {issuer}"),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::doctor::check::Status;
    use alb_canary::fetch::Answer;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn redirect_to(uri: &str) -> Exchange {
        let mut headers = HeaderMap::new();
        let loc = format!(
            "https://kc.example.com/realms/r/protocol/openid-connect/auth?redirect_uri={uri}"
        );
        headers.insert("location", HeaderValue::from_str(&loc).unwrap());
        Exchange {
            url: Url::parse("https://app.example.com/login").unwrap(),
            answer: Ok(Answer {
                status: 302,
                headers,
                body: Vec::new(),
                latency_ms: 1,
                tls_days_left: None,
            }),
        }
    }

    #[test]
    fn a_forged_host_in_the_redirect_uri_fails() {
        let app_url = Url::parse("https://app.example.com").unwrap();
        let honest = login_redirect(&[redirect_to("https://app.example.com/cb")]);
        let v = app(
            &app_url,
            honest.as_ref(),
            &[redirect_to("https://doctor-spoofed.invalid/cb")],
        );
        assert_eq!(v.status, Status::Fail);
        let v = app(
            &app_url,
            honest.as_ref(),
            &[redirect_to("https://app.example.com/cb")],
        );
        assert_eq!(v.status, Status::Pass);
    }

    #[test]
    fn a_forged_issuer_fails() {
        let kc = Url::parse("https://kc.example.com").unwrap();
        let answer = |iss: &str| Exchange {
            url: kc.clone(),
            answer: Ok(Answer {
                status: 200,
                headers: HeaderMap::new(),
                body: format!(r#"{{"issuer":"{iss}"}}"#).into_bytes(),
                latency_ms: 1,
                tls_days_left: None,
            }),
        };
        assert_eq!(
            keycloak(&kc, &answer("https://doctor-spoofed.invalid/realms/r")).status,
            Status::Fail
        );
        assert_eq!(
            keycloak(&kc, &answer("https://kc.example.com/realms/r")).status,
            Status::Pass
        );
    }
}
