//! Keycloak's checks, judged from answers (pure): `keycloak-issuer`, `keycloak-redirect-uri`,
//! `keycloak-https-required`, `keycloak-private-paths`. Keycloak's texts and rules come from
//! its documentation and source: `docs/doctor.md`, "Keycloak".
use reqwest::Url;

use super::probe::Exchange;
use super::{CheckSpec, authority, https_origin, shorten};
use crate::doctor::check::{CheckOutcome, Group};

pub const ISSUER: CheckSpec = CheckSpec {
    id: "keycloak-issuer",
    group: Group::Keycloak,
    symptom: "login fails after Keycloak (invalid issuer / token), or Keycloak's pages point at http:// or an \
              internal host",
};
pub const REDIRECT_URI: CheckSpec = CheckSpec {
    id: "keycloak-redirect-uri",
    group: Group::Keycloak,
    symptom: "Keycloak shows \"Invalid parameter: redirect_uri\"",
};
pub const HTTPS_REQUIRED: CheckSpec = CheckSpec {
    id: "keycloak-https-required",
    group: Group::Keycloak,
    symptom: "Keycloak shows \"HTTPS required\"",
};
pub const PRIVATE_PATHS: CheckSpec = CheckSpec {
    id: "keycloak-private-paths",
    group: Group::Keycloak,
    symptom: "Keycloak's admin console, metrics or health answer anyone on the internet",
};

/// Keycloak's login-theme messages (`messages_en.properties`): `httpsRequiredMessage` and
/// `invalidParameterMessage` with `redirect_uri` (docs/doctor.md, "Keycloak's error pages").
pub const HTTPS_REQUIRED_TEXT: &str = "HTTPS required";
pub const INVALID_REDIRECT_URI_TEXT: &str = "Invalid parameter: redirect_uri";

/// Paths Keycloak's reverse-proxy guide says not to expose ("Exposed path recommendations").
pub const PRIVATE_PATHS_PROBED: &[&str] = &["/admin/", "/metrics", "/health"];

/// A fixed PKCE pair (RFC 7636 appendix B): the probe's authorization request is complete
/// without doctor holding any secret.
const PKCE_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCQCi9aoG_Og7I1ORsx8Y8bA";

/// `…/realms/<realm>/.well-known/openid-configuration` under the Keycloak URL.
pub fn discovery_url(kc: &Url, realm: &str) -> Option<Url> {
    realm_url(kc, realm)?
        .join(".well-known/openid-configuration")
        .ok()
}

/// `<kc>/realms/<realm>/` (a Keycloak URL may carry a path prefix such as `/auth`).
fn realm_url(kc: &Url, realm: &str) -> Option<Url> {
    let base = kc.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/realms/{realm}/")).ok()
}

/// The issuer Keycloak must announce: `https://<public host>[/prefix]/realms/<realm>`.
pub fn expected_issuer(kc: &Url, realm: &str) -> String {
    let prefix = kc.path().trim_end_matches('/');
    format!("{}{prefix}/realms/{realm}", https_origin(kc))
}

/// The redirect_uri an app at `app` registers: `https://<public host><callback>`.
pub fn expected_redirect_uri(app: &Url, callback_path: &str) -> String {
    format!("{}{callback_path}", https_origin(app))
}

/// The authorization request a browser makes (Keycloak's OIDC endpoint
/// `/realms/<realm>/protocol/openid-connect/auth`).
pub fn authorization_url(
    kc: &Url,
    realm: &str,
    client_id: &str,
    redirect_uri: &str,
) -> Option<Url> {
    let mut url = realm_url(kc, realm)?
        .join("protocol/openid-connect/auth")
        .ok()?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("state", "edgekit-doctor")
        .append_pair("nonce", "edgekit-doctor")
        .append_pair("code_challenge", PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    Some(url)
}

/// The discovery document's issuer: exactly the public https URL of the realm.
pub fn issuer(kc: &Url, realm: &str, discovery: &Exchange) -> CheckOutcome {
    let target = kc.as_str();
    let expected = expected_issuer(kc, realm);
    let fix_issuer = format!(
        "Keycloak must build its URLs from the public https host: start it with KC_HOSTNAME={} (hostname v2), or \
         keep it per request with KC_PROXY_HEADERS=forwarded and keycloak-host attached on origin-request of \
         Keycloak's distribution (it sends Forwarded: proto=https;host=<public host>)",
        https_origin(kc)
    );
    let answer = match &discovery.answer {
        Err(failure) => {
            return ISSUER.fail(
                target,
                format!("no answer from {}: {failure}", discovery.url),
                "check the Keycloak URL and that Keycloak runs (see tls-certificate)",
            );
        }
        Ok(answer) => answer,
    };
    let Some(found) = discovery_issuer(&answer.body) else {
        return ISSUER.fail(
            target,
            format!(
                "{} answered HTTP {} without an issuer",
                discovery.url, answer.status
            ),
            format!(
                "check --realm (realm {realm}) and that {} routes /realms/ to Keycloak",
                https_origin(kc)
            ),
        );
    };
    match issuer_problems(&found, kc) {
        problems if problems.is_empty() && found == expected => {
            ISSUER.pass(target, format!("issuer {found}"))
        }
        problems => {
            let what = if problems.is_empty() {
                format!("not {expected}")
            } else {
                problems.join(", ")
            };
            ISSUER.fail(target, format!("issuer {found}: {what}"), fix_issuer)
        }
    }
}

/// What is wrong with an issuer URL: http, another host (an ALB name), an internal port.
fn issuer_problems(found: &str, kc: &Url) -> Vec<String> {
    let Ok(url) = Url::parse(found) else {
        return vec!["not a URL".into()];
    };
    let mut problems = Vec::new();
    if url.scheme() != "https" {
        problems.push(format!("scheme {}", url.scheme()));
    }
    if url.host_str() != kc.host_str() {
        problems.push(format!(
            "host {} instead of {}",
            url.host_str().unwrap_or(""),
            kc.host_str().unwrap_or("")
        ));
    }
    if url.port() != kc.port() {
        problems.push(format!(
            "port {} (the public URL has {})",
            port_text(&url),
            port_text(kc)
        ));
    }
    problems
}

fn port_text(url: &Url) -> String {
    url.port()
        .map_or_else(|| "none".to_owned(), |p| p.to_string())
}

/// What the authorization request's answer says about both checks.
pub struct AuthContext<'a> {
    pub kc: &'a Url,
    pub realm: &'a str,
    pub client_id: &'a str,
    pub callback_path: &'a str,
    pub apps: &'a [&'a Url],
}

/// `keycloak-https-required` and `keycloak-redirect-uri` from one authorization request.
pub fn authorization(
    ctx: &AuthContext<'_>,
    redirect_uri: &str,
    exchange: &Exchange,
) -> (CheckOutcome, CheckOutcome) {
    let target = ctx.kc.as_str();
    let answer = match &exchange.answer {
        Err(failure) => {
            let why = format!("no answer from the authorization endpoint: {failure}");
            return (
                HTTPS_REQUIRED.skip(target, &why),
                REDIRECT_URI.skip(target, why),
            );
        }
        Ok(answer) => answer,
    };
    let body = String::from_utf8_lossy(&answer.body);
    if body.contains(HTTPS_REQUIRED_TEXT) {
        let https = HTTPS_REQUIRED.fail(
            target,
            format!("the authorization endpoint answered HTTP {} \"{HTTPS_REQUIRED_TEXT}\"", answer.status),
            format!(
                "Keycloak sees the request as http from a public address (realm SSL required = external requests): \
                 attach keycloak-host on origin-request of Keycloak's distribution and start Keycloak with \
                 KC_PROXY_HEADERS=forwarded (or xforwarded behind a listener that sets X-Forwarded-Proto: https) \
                 and KC_HOSTNAME={}",
                https_origin(ctx.kc)
            ),
        );
        let redirect = REDIRECT_URI.skip(
            target,
            "Keycloak refused the request as not https before looking at the redirect_uri",
        );
        return (https, redirect);
    }
    let https = HTTPS_REQUIRED.pass(
        target,
        format!(
            "the authorization endpoint answered HTTP {} without \"{HTTPS_REQUIRED_TEXT}\"",
            answer.status
        ),
    );
    (
        https,
        redirect_uri_verdict(ctx, redirect_uri, answer.status, &body),
    )
}

fn redirect_uri_verdict(
    ctx: &AuthContext<'_>,
    redirect_uri: &str,
    status: u16,
    body: &str,
) -> CheckOutcome {
    let target = ctx.kc.as_str();
    if body.contains(INVALID_REDIRECT_URI_TEXT) {
        return REDIRECT_URI.fail(
            target,
            format!("redirect_uri {redirect_uri}: HTTP {status} \"{INVALID_REDIRECT_URI_TEXT}\""),
            redirect_fix(ctx, redirect_uri),
        );
    }
    if (200..400).contains(&status) {
        return REDIRECT_URI.pass(
            target,
            format!("redirect_uri {redirect_uri}: HTTP {status}, the login starts"),
        );
    }
    REDIRECT_URI.warn(
        target,
        format!(
            "redirect_uri {redirect_uri}: HTTP {status} {}",
            shorten(body.trim(), 120)
        ),
        format!(
            "check client {} in realm {} exists and allows the standard flow",
            ctx.client_id, ctx.realm
        ),
    )
}

/// The client settings to paste, as the reference deployment's guide lists them.
fn redirect_fix(ctx: &AuthContext<'_>, redirect_uri: &str) -> String {
    let uris: Vec<String> = ctx
        .apps
        .iter()
        .map(|app| expected_redirect_uri(app, ctx.callback_path))
        .collect();
    let origins: Vec<String> = ctx.apps.iter().map(|app| https_origin(app)).collect();
    let mut fix = format!(
        "in Keycloak's admin console, realm {} → Clients → {} → Settings: Valid redirect URIs: {}; Web origins: {}",
        ctx.realm,
        ctx.client_id,
        uris.join(" "),
        origins.join(" ")
    );
    if redirect_uri.starts_with("http://") || !redirect_uri.starts_with("https://") {
        fix.push_str(". The app sent a redirect_uri that is not its public https URL: fix the app first (see app-redirect-uri)");
    }
    fix
}

/// `/admin/`, `/metrics`, `/health` must not answer (any status below 400 counts as answering).
pub fn private_paths(kc: &Url, exchanges: &[Exchange]) -> CheckOutcome {
    let target = kc.as_str();
    let seen: Vec<(String, Option<u16>)> = exchanges
        .iter()
        .map(|e| {
            (
                e.url.path().to_owned(),
                e.answer.as_ref().ok().map(|a| a.status),
            )
        })
        .collect();
    let evidence = seen
        .iter()
        .map(|(path, status)| {
            format!(
                "{path} → {}",
                status.map_or_else(|| "no answer".to_owned(), |s| s.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let exposed: Vec<&str> = seen
        .iter()
        .filter(|(_, status)| status.is_some_and(|s| s < 400))
        .map(|(path, _)| path.as_str())
        .collect();
    if exposed.is_empty() {
        return PRIVATE_PATHS.pass(target, evidence);
    }
    PRIVATE_PATHS.fail(
        target,
        format!("answering publicly: {} ({evidence})", exposed.join(", ")),
        format!(
            "expose only /realms/ and /resources/ of {}: attach keycloak-host (its path guard answers 403 elsewhere) or \
             add ALB listener rules answering 403 for {}; keep the management port 9000 (/metrics, /health) private",
            authority(kc),
            exposed.join(", ")
        ),
    )
}

/// The part of an OpenID Provider's discovery document doctor reads. [OpenID Connect
/// Discovery 1.0, section 3: `issuer` is REQUIRED]
#[derive(serde::Deserialize)]
struct Discovery {
    issuer: String,
}

/// The `issuer` of a discovery document; `None` when the body is not one.
pub fn discovery_issuer(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Discovery>(body)
        .ok()
        .map(|doc| doc.issuer)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::doctor::check::Status;
    use alb_canary::fetch::Answer;
    use reqwest::header::HeaderMap;

    fn ex(url: &str, status: u16, body: &str) -> Exchange {
        Exchange {
            url: Url::parse(url).unwrap(),
            answer: Ok(Answer {
                status,
                headers: HeaderMap::new(),
                body: body.as_bytes().to_vec(),
                latency_ms: 1,
                tls_days_left: None,
            }),
        }
    }

    const KC: &str = "https://kc.example.com";

    #[test]
    fn issuer_must_be_the_public_https_realm_url() {
        let kc = Url::parse(KC).unwrap();
        let judge = |iss: &str| {
            issuer(
                &kc,
                "mcp-gateway",
                &ex(KC, 200, &format!(r#"{{"issuer":"{iss}"}}"#)),
            )
        };
        assert_eq!(
            judge("https://kc.example.com/realms/mcp-gateway").status,
            Status::Pass
        );
        let v = judge("http://internal-kc-123.us-east-1.elb.amazonaws.com:8080/realms/mcp-gateway");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.evidence.contains("scheme http") && v.evidence.contains("port 8080"),
            "{}",
            v.evidence
        );
        assert!(
            v.fix
                .unwrap()
                .contains("KC_HOSTNAME=https://kc.example.com")
        );
        assert_eq!(
            judge("https://kc.example.com/realms/other").status,
            Status::Fail
        );
        assert_eq!(
            issuer(&kc, "x", &ex(KC, 404, "Not found")).status,
            Status::Fail
        );
    }

    #[test]
    fn keycloak_error_pages_are_recognised() {
        let kc = Url::parse(KC).unwrap();
        let app = Url::parse("https://registry.example.com").unwrap();
        let apps = [&app];
        let ctx = AuthContext {
            kc: &kc,
            realm: "mcp-gateway",
            client_id: "mcp-gateway-web",
            callback_path: "/cb",
            apps: &apps,
        };
        let page =
            "<h1 id=\"kc-page-title\">We are sorry...</h1><p>Invalid parameter: redirect_uri</p>";
        let (https, redirect) =
            authorization(&ctx, "http://registry.example.com/cb", &ex(KC, 400, page));
        assert_eq!(
            (https.status, redirect.status),
            (Status::Pass, Status::Fail)
        );
        let fix = redirect.fix.unwrap();
        assert!(fix.contains("Valid redirect URIs: https://registry.example.com/cb; Web origins: https://registry.example.com"), "{fix}");
        let (https, redirect) = authorization(
            &ctx,
            "https://registry.example.com/cb",
            &ex(KC, 400, "<p>HTTPS required</p>"),
        );
        assert_eq!(
            (https.status, redirect.status),
            (Status::Fail, Status::Skip)
        );
        let (https, redirect) = authorization(
            &ctx,
            "https://registry.example.com/cb",
            &ex(KC, 200, "Sign in to your account"),
        );
        assert_eq!(
            (https.status, redirect.status),
            (Status::Pass, Status::Pass)
        );
    }

    #[test]
    fn private_paths_must_not_answer() {
        let kc = Url::parse(KC).unwrap();
        let closed = [
            ex("https://kc.example.com/admin/", 403, ""),
            ex("https://kc.example.com/metrics", 404, ""),
        ];
        assert_eq!(private_paths(&kc, &closed).status, Status::Pass);
        let open = [
            ex("https://kc.example.com/admin/", 302, ""),
            ex("https://kc.example.com/health", 200, "{}"),
        ];
        let v = private_paths(&kc, &open);
        assert_eq!(v.status, Status::Fail);
        assert!(v.evidence.contains("/admin/, /health"), "{}", v.evidence);
    }

    #[test]
    fn urls_under_a_prefix() {
        let kc = Url::parse("https://kc.example.com/auth/").unwrap();
        assert_eq!(
            discovery_url(&kc, "r").unwrap().as_str(),
            "https://kc.example.com/auth/realms/r/.well-known/openid-configuration"
        );
        assert_eq!(
            expected_issuer(&kc, "r"),
            "https://kc.example.com/auth/realms/r"
        );
        let auth = authorization_url(&kc, "r", "c", "https://a/cb").unwrap();
        assert!(auth.as_str().starts_with("https://kc.example.com/auth/realms/r/protocol/openid-connect/auth?client_id=c&redirect_uri=https%3A%2F%2Fa%2Fcb"), "{auth}");
    }
}
