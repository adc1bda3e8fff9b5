//! The viewer protocol: `http` or `https`, as CloudFront reports it in
//! `CloudFront-Forwarded-Proto`. [CloudFront Developer Guide, "Adding CloudFront request
//! headers": "CloudFront-Forwarded-Proto … http or https"]

use serde::{Deserialize, Serialize};

/// The request header CloudFront adds (when the origin request policy includes it) with the
/// viewer's protocol. It is added after viewer-request, so origin-request functions see it.
pub const CLOUDFRONT_FORWARDED_PROTO: &str = "cloudfront-forwarded-proto";

/// A viewer protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Http,
    Https,
}

impl Proto {
    /// Parses `http`/`https`, case-insensitively, surrounding whitespace ignored.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("https") {
            Some(Self::Https)
        } else if value.eq_ignore_ascii_case("http") {
            Some(Self::Http)
        } else {
            None
        }
    }

    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    /// The port a viewer reaches on this protocol when the Host names none.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

impl std::fmt::Display for Proto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_rejects_others() {
        assert_eq!(Proto::parse("HTTPS"), Some(Proto::Https));
        assert_eq!(Proto::parse(" http "), Some(Proto::Http));
        assert_eq!(Proto::parse("https, http"), None);
        assert_eq!(Proto::parse("wss"), None);
        assert_eq!(Proto::parse(""), None);
    }
}
