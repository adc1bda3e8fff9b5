//! The https-detection checks: does the app behind CloudFront and the ALB really know it is
//! served over https? Pure functions over an answer; a failure says what was seen, never a
//! cookie value.
use crate::config::Check;

/// What a check needs from the answer.
pub struct CheckInput<'a> {
    /// Every `Set-Cookie` header value.
    pub set_cookies: Vec<&'a str>,
    /// The `Location` header, if any.
    pub location: Option<&'a str>,
    pub body: &'a str,
    /// The host the app should present (public host).
    pub expected_host: &'a str,
}

/// Runs one check: `Err(detail)` on failure.
pub fn run_check(check: Check, input: &CheckInput<'_>) -> Result<(), String> {
    match check {
        Check::SecureCookie => secure_cookie(&input.set_cookies),
        Check::OidcIssuer => oidc_issuer(input.body, input.expected_host),
        Check::RedirectUri => redirect_uri(input.location, input.body),
    }
}

/// Every Set-Cookie must carry the `Secure` attribute: an app that believes it is on http
/// omits it, and the browser then drops or never sends the cookie on https.
/// [RFC 6265 section 5.2.5 "The Secure Attribute"; Keycloak guide "Configuring a reverse proxy"]
pub fn secure_cookie(set_cookies: &[&str]) -> Result<(), String> {
    let insecure: Vec<String> = set_cookies
        .iter()
        .filter(|cookie| {
            !cookie
                .split(';')
                .skip(1)
                .any(|attr| attr.trim().eq_ignore_ascii_case("secure"))
        })
        .map(|cookie| cookie_name(cookie))
        .collect();
    if insecure.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "secure-cookie: Set-Cookie without Secure for {}",
            insecure.join(", ")
        ))
    }
}

/// The cookie's name (never its value).
fn cookie_name(cookie: &str) -> String {
    let pair = cookie.split(';').next().unwrap_or_default();
    let name = pair.split('=').next().unwrap_or_default().trim();
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect();
    if safe.is_empty() {
        "<unnamed>".to_owned()
    } else {
        safe
    }
}

/// The OIDC discovery document's `issuer` must be `https://<expected host>...`: Keycloak
/// derives it from the frontend URL, so `http://` means the proxy headers are not trusted.
/// [OpenID Connect Discovery 1.0 section 3 ("issuer ... URL using the https scheme");
/// Keycloak guide "Configuring the hostname (v2)"]
pub fn oidc_issuer(body: &str, expected_host: &str) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    struct Discovery {
        issuer: Option<String>,
    }
    let doc: Discovery = serde_json::from_str(body)
        .map_err(|err| format!("oidc-issuer: discovery document is not JSON ({err})"))?;
    let issuer = doc
        .issuer
        .ok_or("oidc-issuer: discovery document has no issuer")?;
    let shown: String = issuer.chars().take(200).collect();
    let Some((scheme, host)) = scheme_and_host(&issuer) else {
        return Err(format!(
            "oidc-issuer: issuer {shown:?} is not an absolute URL"
        ));
    };
    if scheme != "https" {
        return Err(format!("oidc-issuer: issuer {shown:?} is not https"));
    }
    if !host.eq_ignore_ascii_case(expected_host) {
        return Err(format!(
            "oidc-issuer: issuer {shown:?} is not on host {expected_host:?}"
        ));
    }
    Ok(())
}

/// A login redirect's `redirect_uri` must be `https://host/...`. An app that mis-builds it
/// yields `https:/oauth2/...` (no host) or `http://...`. Looked up in `Location`, else the body.
pub fn redirect_uri(location: Option<&str>, body: &str) -> Result<(), String> {
    let found = location
        .and_then(find_redirect_uri)
        .or_else(|| find_redirect_uri(body));
    let Some(value) = found else {
        return Err(format!(
            "redirect-uri: no redirect_uri in {}",
            if location.is_some() {
                "Location or body"
            } else {
                "the answer (no Location)"
            }
        ));
    };
    let shown: String = value.chars().take(200).collect();
    // Checked on the raw text: a WHATWG URL parser would "repair" `https:/oauth2` into
    // `https://oauth2/`, hiding exactly the bug this check is for.
    match scheme_and_host(&value) {
        Some(("https", host)) if !host.is_empty() => Ok(()),
        Some(("https", _)) | None if value.to_ascii_lowercase().starts_with("https:") => Err(
            format!("redirect-uri: redirect_uri {shown:?} has no hostname"),
        ),
        _ => Err(format!("redirect-uri: redirect_uri {shown:?} is not https")),
    }
}

/// `scheme://host[:port]...` split by hand (no normalisation). Host is without port/userinfo.
fn scheme_and_host(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .map(|h| &host_port[..h.len() + 1])
            .unwrap_or(host_port)
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    Some((
        if scheme.eq_ignore_ascii_case("https") {
            "https"
        } else {
            scheme
        },
        host,
    ))
}

/// The percent-decoded value of the first `redirect_uri=` parameter in a text.
fn find_redirect_uri(text: &str) -> Option<String> {
    let start = text.find("redirect_uri=")? + "redirect_uri=".len();
    let raw: String = text[start..]
        .chars()
        .take_while(|c| !matches!(c, '&' | '"' | '\'' | '<' | '>' | '#') && !c.is_whitespace())
        .collect();
    Some(percent_decode(&raw.replace("&amp;", "&")))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn secure_cookie_names_only() {
        assert!(secure_cookie(&["a=1; Path=/; Secure; HttpOnly"]).is_ok());
        let err = secure_cookie(&["sid=topsecret; Path=/; HttpOnly", "b=2; secure"]).unwrap_err();
        assert!(err.contains("sid") && !err.contains("topsecret"), "{err}");
        secure_cookie(&[]).unwrap();
    }

    #[test]
    fn oidc_issuer_cases() {
        assert!(
            oidc_issuer(
                r#"{"issuer":"https://id.example.com/realms/r"}"#,
                "id.example.com"
            )
            .is_ok()
        );
        assert!(
            oidc_issuer(
                r#"{"issuer":"https://ID.example.com:443/realms/r"}"#,
                "id.example.com"
            )
            .is_ok()
        );
        let e = oidc_issuer(
            r#"{"issuer":"http://id.example.com/realms/r"}"#,
            "id.example.com",
        )
        .unwrap_err();
        assert!(e.contains("not https"), "{e}");
        let e = oidc_issuer(
            r#"{"issuer":"https://internal-alb/realms/r"}"#,
            "id.example.com",
        )
        .unwrap_err();
        assert!(e.contains("not on host"), "{e}");
        assert!(oidc_issuer("<html>", "x").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn redirect_uri_cases() {
        let ok = "https://id.example.com/auth?client_id=c&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth2%2Fcallback&state=x";
        redirect_uri(Some(ok), "").unwrap();
        let broken = "https://id.example.com/auth?redirect_uri=https%3A%2Foauth2%2Fcallback";
        let e = redirect_uri(Some(broken), "").unwrap_err();
        assert!(
            e.contains("no hostname") && e.contains("https:/oauth2/callback"),
            "{e}"
        );
        let http = "/auth?redirect_uri=http://app.example.com/cb";
        assert!(
            redirect_uri(Some(http), "")
                .unwrap_err()
                .contains("not https")
        );
        let body = r#"<a href="/auth?redirect_uri=https://app.example.com/cb&amp;x=1">"#;
        redirect_uri(None, body).unwrap();
        assert!(
            redirect_uri(None, "")
                .unwrap_err()
                .contains("no redirect_uri")
        );
    }

    proptest::proptest! {
        #[test]
        fn checks_never_panic(s in ".*", t in ".*") {
            let _ = redirect_uri(Some(&s), &t);
            let _ = oidc_issuer(&s, &t);
            let _ = secure_cookie(&[&s]);
            let _ = percent_decode(&s);
        }
    }
}
