//! The forwarding headers a client must not choose: one list for every runtime, and the
//! strip step that removes them from a request before our own are injected.
//!
//! Who trusts each header, and for what, is in `docs/forwarding-headers.md` with a source
//! per row (framework docs or source files); a test keeps that table and [`STRIPPED`] equal.

use crate::headers::Headers;

/// What a forwarding header tells the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carries {
    /// The viewer's protocol (http/https).
    Scheme,
    /// The public host name.
    Host,
    /// The public port.
    Port,
    /// A path prefix the app is mounted under.
    Prefix,
    /// The original URL or path (URL-rewrite conventions).
    Url,
    /// The client's address.
    Client,
}

/// A header some framework, proxy or identity server trusts, removed from every client
/// request by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardingHeader {
    /// Lowercase name.
    pub name: &'static str,
    pub carries: &'static [Carries],
}

const fn header(name: &'static str, carries: &'static [Carries]) -> ForwardingHeader {
    ForwardingHeader { name, carries }
}

use Carries::{Client, Host, Port, Prefix, Scheme, Url};

/// Stripped by default, sorted by name (a unit test keeps it sorted so lookups can binary
/// search). Sources per row: `docs/forwarding-headers.md`, "Stripped by default".
pub const STRIPPED: &[ForwardingHeader] = &[
    header("cf-connecting-ip", &[Client]),
    header("cf-pseudo-ipv4", &[Client]),
    header("cf-visitor", &[Scheme]),
    header("client-ip", &[Client]),
    header("fastly-client-ip", &[Client]),
    header("fly-client-ip", &[Client]),
    header("forwarded", &[Scheme, Host, Port, Client]),
    header("forwarded-for", &[Client]),
    header("front-end-https", &[Scheme]),
    header("path_info", &[Url]),
    header("proxy-auth-cert", &[Scheme]),
    header("proxy-ssl-id", &[Scheme]),
    header("script_name", &[Prefix]),
    header("true-client-ip", &[Client]),
    header("x-0-client-ip", &[Client]),
    header("x-appengine-remote-addr", &[Client]),
    header("x-appengine-user-ip", &[Client]),
    header("x-arr-ssl", &[Scheme]),
    header("x-client-ip", &[Client]),
    header("x-cloudfront-forwarded-proto", &[Scheme]),
    header("x-cluster-client-ip", &[Client]),
    header("x-envoy-external-address", &[Client]),
    header("x-forwarded", &[Client]),
    header("x-forwarded-host", &[Host]),
    header("x-forwarded-path", &[Url]),
    header("x-forwarded-port", &[Port]),
    header("x-forwarded-prefix", &[Prefix]),
    header("x-forwarded-protocol", &[Scheme]),
    header("x-forwarded-scheme", &[Scheme]),
    header("x-forwarded-server", &[Host]),
    header("x-forwarded-ssl", &[Scheme]),
    header("x-forwarded-uri", &[Url]),
    header("x-host", &[Host]),
    header("x-original-for", &[Client]),
    header("x-original-host", &[Host]),
    header("x-original-prefix", &[Prefix]),
    header("x-original-proto", &[Scheme]),
    header("x-original-uri", &[Url]),
    header("x-original-url", &[Url]),
    header("x-proxied-https", &[Scheme]),
    header("x-proxyuser-ip", &[Client]),
    header("x-rewrite-url", &[Url]),
    header("x-scheme", &[Scheme]),
    header("x-script-name", &[Prefix]),
    header("x-url-scheme", &[Scheme]),
];

/// Forwarding headers the platform already takes care of, so the functions do not strip
/// them (and could not: some are disallowed at the edge). Sources per row:
/// `docs/forwarding-headers.md`, "Handled by the platform".
pub const HANDLED_BY_PLATFORM: &[(&str, &str)] = &[
    (
        "x-forwarded-proto",
        "disallowed at the edge; CloudFront drops the viewer's value and the ALB sets it from its listener",
    ),
    (
        "x-real-ip",
        "disallowed at the edge; CloudFront drops the viewer's value",
    ),
    (
        "x-forwarded-for",
        "CloudFront appends the viewer's address and the ALB CloudFront's: trust it counting from the right",
    ),
    (
        "cloudfront-forwarded-proto",
        "CloudFront adds it after viewer-request and overwrites a viewer's value",
    ),
];

/// Whether a header is in the default strip list (`name` in any case).
pub fn is_stripped_by_default(name: &str) -> bool {
    let lower;
    let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = name.to_ascii_lowercase();
        lower.as_str()
    } else {
        name
    };
    STRIPPED
        .binary_search_by(|entry| entry.name.cmp(name))
        .is_ok()
}

/// The strip list in force: the defaults, less the explicit opt-outs, plus the additions.
#[derive(Debug, Clone, Copy)]
pub struct StripList<'a> {
    /// Extra headers to strip (config `strip_headers`).
    pub extra: &'a [String],
    /// Defaults deliberately let through (config `keep_headers`).
    pub keep: &'a [String],
}

impl StripList<'_> {
    /// The defaults alone.
    pub const DEFAULT: StripList<'static> = StripList {
        extra: &[],
        keep: &[],
    };

    /// Whether `name` (any case) is stripped.
    pub fn strips(&self, name: &str) -> bool {
        let named = |list: &[String]| list.iter().any(|n| n.eq_ignore_ascii_case(name));
        (is_stripped_by_default(name) && !named(self.keep)) || named(self.extra)
    }

    /// Removes every line of every stripped header, in one pass over the request's headers.
    pub fn apply(&self, headers: &mut Headers) {
        headers.0.retain(|name, _| !self.strips(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventType;
    use crate::rules::{is_disallowed, is_read_only};

    #[test]
    fn list_is_sorted_lowercase_and_unique() {
        for pair in STRIPPED.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} / {}",
                pair[0].name,
                pair[1].name
            );
        }
        for entry in STRIPPED {
            assert_eq!(entry.name, entry.name.to_ascii_lowercase());
            assert!(!entry.carries.is_empty());
        }
    }

    #[test]
    fn stripped_headers_are_writable_and_platform_ones_are_not_stripped() {
        for entry in STRIPPED {
            assert!(!is_disallowed(entry.name), "{}", entry.name);
            assert!(!is_read_only(EventType::OriginRequest, entry.name));
        }
        for (name, _) in HANDLED_BY_PLATFORM {
            assert!(!is_stripped_by_default(name), "{name}");
        }
    }

    #[test]
    fn strips_any_casing_and_every_line() {
        let mut headers = Headers::from([
            ("X-Forwarded-Ssl", "off"),
            ("x-forwarded-ssl", "on"),
            ("Accept", "*/*"),
        ]);
        headers.append("X-HOST", "evil.example");
        StripList::DEFAULT.apply(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains("accept"));
    }

    #[test]
    fn keep_and_extra() {
        let keep = vec!["X-Host".to_owned()];
        let extra = vec!["X-Custom-Client".to_owned()];
        let list = StripList {
            extra: &extra,
            keep: &keep,
        };
        assert!(!list.strips("x-host"));
        assert!(list.strips("x-custom-client"));
        assert!(list.strips("x-forwarded-host"));
        assert!(!list.strips("accept"));
    }
}
