//! keycloak-host, an origin-request function for the Keycloak distribution: allow-listed
//! public hosts, forwarding headers Keycloak trusts, Host → origin domain, and a path guard
//! that keeps Keycloak's private endpoints private.
//!
//! Keycloak builds its issuer and redirect URIs from `Forwarded` (`KC_PROXY_HEADERS=forwarded`)
//! or `X-Forwarded-*` (`xforwarded`) [keycloak.org, "Configuring a reverse proxy"]. Only
//! `/realms/`, `/resources/` and `/robots.txt` need to be public; `/admin/`, `/metrics` and
//! `/health` should not be exposed [same guide, "Exposed path recommendations"].

use edge::forwarding::StripList;
use edge::path::{self, PathDecision, PathGuard};
use edge::policy::{
    self, ConfigProblem, DEFAULT_PROTO_HEADER, Forwarding, MissingProto, OriginHost, OriginVerify,
    ViewerContext,
};
use edge::proto::Proto;
use edge::{CloudFrontEvent, EdgeError, EdgeFunction, EdgeResult, EventType, Request, response};
use serde::{Deserialize, Serialize};

#[cfg(target_arch = "wasm32")]
mod wasm;

/// Paths Keycloak's reverse-proxy guide recommends exposing. An entry ending in `/` is a
/// prefix; any other entry matches exactly.
pub const DEFAULT_ALLOWED_PATHS: &[&str] = &["/realms/", "/resources/", "/robots.txt"];

/// Keycloak's endpoints that must stay private whatever `allowed_paths` says, matched on
/// every reading of a path and in any case [keycloak.org, "Configuring a reverse proxy",
/// "Exposed path recommendations"; the management interface's `/metrics` and `/health`].
pub const PRIVATE_PREFIXES: &[&str] = &["/admin", "/metrics", "/health"];

/// Characters and escapes Keycloak's URLs never contain, refused (400) before any reading:
/// they mean something only to a component that reads the path differently from Keycloak,
/// and readings cannot be listed exhaustively for them (a third decoding, a server's own
/// `;` rules). See `docs/path-guard.md`.
const NEVER_IN_KEYCLOAK_PATHS: &[(&str, &str)] = &[
    (
        ";",
        "';' (a path parameter) is not used by Keycloak's URLs.",
    ),
    (
        "%3b",
        "An encoded ';' (a path parameter) is not used by Keycloak's URLs.",
    ),
    (
        "%25",
        "An encoded '%' means something only to a server that decodes twice.",
    ),
    ("%2f", "Encoded '/' or '\\' in the path is not accepted."),
    ("%5c", "Encoded '/' or '\\' in the path is not accepted."),
    ("\\", "'\\' in the path is not accepted."),
];

/// What to do with a Host that is not in `public_hosts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownHost {
    /// 421 Misdirected Request (default).
    #[default]
    Reject,
    /// Redirect to the same path on the canonical (first) public host.
    RedirectCanonical,
}

/// keycloak-host's configuration (JSON, snake_case keys; unknown keys are an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Public hosts of Keycloak; the first is canonical. Required.
    pub public_hosts: Vec<String>,
    /// `reject` (421, default) or `redirect-canonical`.
    pub unknown_host: UnknownHost,
    /// `origin-domain` (default: Host becomes the ALB's name so its rules match) or `keep`.
    pub origin_host: OriginHost,
    /// Public path prefixes (ending in `/`) or exact paths; everything else answers 404.
    pub allowed_paths: Vec<String>,
    /// Client headers removed in addition to the defaults ([`edge::forwarding::STRIPPED`]).
    pub strip_headers: Vec<String>,
    /// Defaults deliberately let through (each must be a default).
    pub keep_headers: Vec<String>,
    /// Secret header added to every origin request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_verify: Option<OriginVerify>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_hosts: Vec::new(),
            unknown_host: UnknownHost::Reject,
            origin_host: OriginHost::OriginDomain,
            allowed_paths: DEFAULT_ALLOWED_PATHS
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            strip_headers: Vec::new(),
            keep_headers: Vec::new(),
            origin_verify: None,
        }
    }
}

/// The function, for hosts that are generic over [`edge::EdgeFunction`].
pub struct KeycloakHost;

impl EdgeFunction for KeycloakHost {
    type Config = Config;
    type Error = EdgeError;
    const NAME: &'static str = "keycloak-host";
    const TRIGGER: EventType = EventType::OriginRequest;
    // `handle` reads the lines of these only (the viewer's protocol and Host).
    const READS_HEADERS: Option<&'static [&'static str]> = Some(policy::PROLOGUE_HEADERS);

    /// Semantic checks of a config.
    fn check_config(config: &Config) -> Result<(), ConfigProblem> {
        if config.public_hosts.is_empty() {
            return Err(ConfigProblem::new(
                "public_hosts",
                "list Keycloak's public host names (the first is canonical), e.g. [\"auth.example.com\"]",
            ));
        }
        policy::check_host_list("public_hosts", &config.public_hosts)?;
        policy::check_strip_lists(&config.strip_headers, &config.keep_headers)?;
        for (index, entry) in config.allowed_paths.iter().enumerate() {
            let field = format!("allowed_paths[{index}]");
            let canonical = path::normalize(entry)
                .map_err(|err| ConfigProblem::new(&field, err.to_string()))?;
            if canonical != *entry || entry.contains(['%', ';', '\\']) {
                return Err(ConfigProblem::new(
                    field,
                    "must be a plain path without dot segments, repeated '/', ';', '\\' or percent-escapes",
                ));
            }
        }
        if let Some(verify) = &config.origin_verify {
            verify.check("origin_verify")?;
        }
        Ok(())
    }

    /// Handles one origin-request event on the Keycloak distribution.
    fn handle(config: &Config, event: CloudFrontEvent) -> Result<EdgeResult, EdgeError> {
        let request = event.into_request_for(Self::TRIGGER)?;

        // The Keycloak distribution redirects viewers to https, so a request without the header
        // came over https [CloudFront Developer Guide, "Viewer protocol policy"]; a malformed
        // value is refused rather than guessed.
        let missing = MissingProto::Assume(Proto::Https);
        let (proto, host) = match policy::viewer_proto_and_host(&request, missing) {
            Ok(viewer) => viewer,
            Err(answer) => return Ok(EdgeResult::Response(*answer)),
        };
        if !policy::host_allowed(&config.public_hosts, &host, proto) {
            return Ok(unknown_host(config, &request));
        }
        // Keycloak answers "HTTPS required" to http frontends under sslRequired=external
        // [keycloak.org, "Configuring the hostname (v2)"]: send the viewer to https instead.
        if proto == Proto::Http {
            return Ok(EdgeResult::Response(policy::require_https_response(
                &host, &request,
            )));
        }
        match path_decision(&config.allowed_paths, &request.uri) {
            PathDecision::Allow => {}
            PathDecision::NotFound => return Ok(error(404, "Not found.")),
            PathDecision::Refused(reason) => return Ok(error(400, reason)),
        }

        let viewer = ViewerContext {
            client_ip: request.client_ip.clone(),
            host,
            proto,
        };
        let forwarding = Forwarding {
            strip: StripList {
                extra: &config.strip_headers,
                keep: &config.keep_headers,
            },
            proto_header: DEFAULT_PROTO_HEADER,
            origin_host: config.origin_host,
            origin_verify: config.origin_verify.as_ref(),
        };
        Ok(policy::forward(request, &viewer, &forwarding))
    }
}

fn unknown_host(config: &Config, request: &Request) -> EdgeResult {
    match (config.unknown_host, config.public_hosts.first()) {
        (UnknownHost::RedirectCanonical, Some(canonical)) => {
            let location = match edge::host::parse_host(canonical) {
                Ok(canonical) => policy::https_url(&canonical, request),
                Err(_) => return error(421, "This host is not served here."),
            };
            // 308 keeps the method and body of a POST; GET/HEAD get the cacheable 301.
            let status = if matches!(request.method.as_str(), "GET" | "HEAD") {
                301
            } else {
                308
            };
            EdgeResult::Response(response::redirect(status, &location))
        }
        _ => error(421, "This host is not served here."),
    }
}

/// Decides whether a path may reach Keycloak: refuses what Keycloak's URLs never contain,
/// then forwards only what every reading keeps inside `allowed` and out of
/// [`PRIVATE_PREFIXES`].
pub fn path_decision(allowed: &[String], uri: &str) -> PathDecision {
    if let Some((_, reason)) = NEVER_IN_KEYCLOAK_PATHS
        .iter()
        .find(|(needle, _)| contains_ignore_ascii_case(uri, needle))
    {
        return PathDecision::Refused(reason);
    }
    PathGuard {
        allowed,
        private: PRIVATE_PREFIXES,
    }
    .decide(uri)
}

fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

fn error(status: u16, message: &str) -> EdgeResult {
    EdgeResult::Response(response::error(status, &format!("{message}\n")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge::function::config_from_json;

    fn config() -> Config {
        Config {
            public_hosts: vec!["auth.example.com".into(), "kc.example.org".into()],
            ..Config::default()
        }
    }

    fn event(host: &str, uri: &str) -> CloudFrontEvent {
        let mut event: CloudFrontEvent =
            serde_json::from_str(include_str!("../../../events/aws-origin-request.json")).unwrap();
        let request = &mut event.records[0].cf.request;
        request.headers.set("Host", host);
        request.headers.set("CloudFront-Forwarded-Proto", "https");
        request.uri = uri.into();
        if let Some(custom) = request.origin.as_mut().and_then(|o| o.custom.as_mut()) {
            custom.domain_name = "kc-alb.us-east-1.elb.amazonaws.com".into();
        }
        event
    }

    fn status(result: EdgeResult) -> String {
        match result {
            EdgeResult::Response(response) => response.status,
            EdgeResult::Request(_) => "forwarded".into(),
        }
    }

    #[test]
    fn realm_request_is_forwarded_with_keycloak_headers() {
        let result = KeycloakHost::handle(
            &config(),
            event(
                "auth.example.com",
                "/realms/master/.well-known/openid-configuration",
            ),
        )
        .unwrap();
        let EdgeResult::Request(request) = result else {
            panic!("expected forward")
        };
        assert_eq!(
            request.headers.first("host"),
            Some("kc-alb.us-east-1.elb.amazonaws.com")
        );
        assert_eq!(
            request.headers.first("x-forwarded-host"),
            Some("auth.example.com")
        );
        assert_eq!(request.headers.first("x-forwarded-port"), Some("443"));
        assert_eq!(
            request.headers.first("forwarded"),
            Some("for=203.0.113.178;host=auth.example.com;proto=https")
        );
    }

    #[test]
    fn path_guard() {
        let c = config();
        let s = |uri| status(KeycloakHost::handle(&c, event("auth.example.com", uri)).unwrap());
        assert_eq!(
            s("/realms/master/protocol/openid-connect/auth"),
            "forwarded"
        );
        assert_eq!(
            s("/resources/abc/login/keycloak.v2/css/login.css"),
            "forwarded"
        );
        assert_eq!(s("/robots.txt"), "forwarded");
        assert_eq!(s("/admin/master/console/"), "404");
        assert_eq!(s("/metrics"), "404");
        assert_eq!(s("/health/ready"), "404");
        assert_eq!(s("/"), "404");
        assert_eq!(s("/realms/../admin/master/console/"), "400");
        assert_eq!(s("/realms/%2e%2e/admin/"), "400");
        assert_eq!(s("/realms%2F..%2Fadmin/"), "400");
        assert_eq!(s("/%72ealms/master/account"), "400");
        assert_eq!(s("/realms/master/./account"), "forwarded");
        // The two payloads of the path-guard report, and what Keycloak never needs.
        assert_eq!(s("/resources/..;/admin/"), "400");
        assert_eq!(s("/realms/%252e%252e/admin/"), "400");
        assert_eq!(s("/realms/master;jsessionid=1/account"), "400");
        assert_eq!(s("/realms/master%3B/account"), "400");
        assert_eq!(s("/realms\\..\\admin"), "400");
        assert_eq!(s("/realms/x/../../ADMIN/"), "400");
        assert_eq!(s("/ADMIN/master/console/"), "404");
    }

    #[test]
    fn unknown_host_rejected_or_redirected() {
        assert_eq!(
            status(KeycloakHost::handle(&config(), event("evil.example", "/realms/x")).unwrap()),
            "421"
        );
        let redirect = Config {
            unknown_host: UnknownHost::RedirectCanonical,
            ..config()
        };
        let EdgeResult::Response(response) =
            KeycloakHost::handle(&redirect, event("old.example", "/realms/x")).unwrap()
        else {
            panic!("expected redirect")
        };
        assert_eq!(response.status, "301");
        assert_eq!(
            response.headers.first("location"),
            Some("https://auth.example.com/realms/x")
        );
        assert_eq!(
            status(KeycloakHost::handle(&config(), event("kc.example.org", "/realms/x")).unwrap()),
            "forwarded"
        );
    }

    #[test]
    fn config_requires_hosts_and_plain_paths() {
        assert_eq!(
            config_from_json::<KeycloakHost>("{}").unwrap_err().field,
            "public_hosts"
        );
        let err = config_from_json::<KeycloakHost>(
            r#"{"public_hosts": ["auth.example.com"], "allowed_paths": ["/realms/../admin/"]}"#,
        )
        .unwrap_err();
        assert_eq!(err.field, "allowed_paths[0]");
        let err = config_from_json::<KeycloakHost>(r#"{"public_hosts": ["a b"]}"#).unwrap_err();
        assert_eq!(err.field, "public_hosts[0]");
        let err =
            config_from_json::<KeycloakHost>(r#"{"public_hosts": ["a.example"], "paths": []}"#)
                .unwrap_err();
        assert!(err.reason.contains("paths"));
    }
}
