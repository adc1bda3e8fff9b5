//! Host header validation: an RFC 3986 reg-name or IP literal, with an optional port.
//!
//! Stricter than the RFC on purpose: the value ends up in `Forwarded`/`X-Forwarded-Host`
//! that apps use to build absolute URLs (Keycloak's issuer and redirect URIs), so anything
//! that could smuggle a second value or a URL part (comma, space, `@`, quotes, backslash,
//! CR/LF, `/`, `?`, `#`) is refused.
//!
//! Where components behind the edge could read one host two ways, the host is either made
//! canonical or refused (sources in `docs/path-guard.md`, "Hosts"):
//! - case: lowercased (host names are case-insensitive, RFC 3986 section 3.2.2);
//! - a trailing dot (`app.example.com.`, the fully qualified form, RFC 1034 section 3.1):
//!   dropped, so allow-lists, cookies and redirect URIs see the one name;
//! - a last label that is a number (`example.123`, `0x7f.1`): refused, because URL parsers
//!   that follow the WHATWG URL Standard ("ends in a number checker") read such a host as
//!   an IPv4 address;
//! - IDNA: names travel in their ASCII (A-label, `xn--`) form, as browsers send them
//!   (RFC 5890); non-ASCII is refused, `xn--` labels are compared as they are;
//! - IPv6 zone ids (`[fe80::1%25eth0]`, RFC 6874): refused, meaningless beyond one link;
//! - ports: digits only, 1 to 65535, no leading zero (a URL serialiser never writes one).

use std::net::{Ipv4Addr, Ipv6Addr};

pub use crate::error::HostError;

/// Longest host name accepted (DNS: 253 characters in text form).
pub const MAX_HOST_LEN: usize = 253;

/// A validated host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The name, lowercased; IPv6 literals keep their brackets (`[2001:db8::1]`).
    pub name: String,
    pub port: Option<u16>,
}

impl Host {
    /// `name` or `name:port` as it appears in a Host header.
    pub fn to_header_value(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Parses and validates a Host header value.
pub fn parse_host(value: &str) -> Result<Host, HostError> {
    if value.is_empty() {
        return Err(HostError::Empty);
    }
    if value.len() > MAX_HOST_LEN + 6 {
        return Err(HostError::TooLong);
    }
    if let Some(bad) = value.chars().find(|c| {
        matches!(
            c,
            '\r' | '\n'
                | '\0'
                | ','
                | ' '
                | '\t'
                | '@'
                | '"'
                | '\''
                | '\\'
                | '/'
                | '?'
                | '#'
                | ';'
                | '='
        ) || c.is_control()
            || !c.is_ascii()
    }) {
        return Err(HostError::ForbiddenChar(bad));
    }
    let (name, port) = split_port(value)?;
    if name.is_empty() {
        return Err(HostError::Empty);
    }
    if name.len() > MAX_HOST_LEN {
        return Err(HostError::TooLong);
    }
    if let Some(inner) = name.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(HostError::Invalid)?;
        inner.parse::<Ipv6Addr>().map_err(|_| HostError::Invalid)?;
    } else if name.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        name.parse::<Ipv4Addr>().map_err(|_| HostError::Invalid)?;
    } else if !is_reg_name(name) {
        return Err(HostError::Invalid);
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    Ok(Host {
        name: name.to_ascii_lowercase(),
        port,
    })
}

fn split_port(value: &str) -> Result<(&str, Option<u16>), HostError> {
    let colon = if value.starts_with('[') {
        value.find(']').and_then(|end| {
            let rest = &value[end + 1..];
            if rest.is_empty() { None } else { Some(end + 1) }
        })
    } else {
        value.rfind(':')
    };
    match colon {
        None => Ok((value, None)),
        Some(index) => {
            let (name, port) = value.split_at(index);
            let digits = port.strip_prefix(':').ok_or(HostError::Invalid)?;
            if digits.is_empty()
                || digits.len() > 5
                || digits.starts_with('0')
                || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(HostError::BadPort);
            }
            match digits.parse::<u16>() {
                Ok(0) | Err(_) => Err(HostError::BadPort),
                Ok(port) => Ok((name, Some(port))),
            }
        }
    }
}

/// DNS-style labels: letters, digits, `-`, `_`; no empty label except a trailing dot;
/// labels at most 63 characters; the last label not a number (see the module doc).
fn is_reg_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let last = name.rsplit('.').next().unwrap_or_default();
    let hex = last
        .strip_prefix("0x")
        .or_else(|| last.strip_prefix("0X"))
        .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_hexdigit()));
    let numeric = !last.is_empty() && (last.bytes().all(|b| b.is_ascii_digit()) || hex);
    !name.is_empty()
        && !numeric
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_ips_and_ports() {
        assert_eq!(
            parse_host("App.Example.COM").unwrap().name,
            "app.example.com"
        );
        assert_eq!(parse_host("example.com:8443").unwrap().port, Some(8443));
        assert_eq!(parse_host("192.0.2.1").unwrap().port, None);
        let v6 = parse_host("[2001:db8::1]:443").unwrap();
        assert_eq!((v6.name.as_str(), v6.port), ("[2001:db8::1]", Some(443)));
        assert_eq!(parse_host("[::1]").unwrap().name, "[::1]");
        assert_eq!(
            parse_host("localhost").unwrap().to_header_value(),
            "localhost"
        );
    }

    #[test]
    fn one_reading_per_host() {
        let host = |v| parse_host(v).unwrap();
        assert_eq!(host("App.Example.com.").name, "app.example.com");
        assert_eq!(
            host("app.example.com.:8443").to_header_value(),
            "app.example.com:8443"
        );
        assert_eq!(host("xn--bcher-kva.example").name, "xn--bcher-kva.example");
        for bad in [
            "b\u{fc}cher.example",
            "example.123",
            "0x7f.1",
            "a.0X1f",
            "127.1",
            "0177.0.0.1",
            "[fe80::1%25eth0]",
            "[fe80::1%eth0]:443",
            "a.com:0443",
            "a.com:00",
            ".",
        ] {
            assert!(parse_host(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn rejects_smuggling_and_garbage() {
        for bad in [
            "",
            "a.com,b.com",
            "a.com b",
            "user@a.com",
            "a.com\r\nx: y",
            "\"a.com\"",
            "a\\b",
            "a.com:",
            "a.com:0",
            "a.com:70000",
            "a.com:80:80",
            "[::1",
            "[zz::1]",
            "999.1.1.1",
            "-a.com",
            "a..com",
            "a.com/x",
            "ex\u{e4}mple.com",
        ] {
            assert!(parse_host(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(parse_host(&"a".repeat(254)), Err(HostError::TooLong));
    }
}
