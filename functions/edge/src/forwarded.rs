//! RFC 7239 `Forwarded` header rendering with correct quoting.
//!
//! Keycloak reads this header with `KC_PROXY_HEADERS=forwarded` [keycloak.org, "Configuring a
//! reverse proxy"]. Values are tokens or quoted strings (RFC 7239 section 4); IPv6 nodes are
//! bracketed and quoted (section 6), and `host:port` must be quoted because `:` is not a
//! token character.

use std::net::IpAddr;

use crate::proto::Proto;

/// One forwarded element: `for=…;host=…;proto=…`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ForwardedElement<'a> {
    /// The client. An IP address is rendered as a node (IPv6 bracketed); anything else is
    /// rendered as an obfuscated identifier or `unknown` by the caller.
    pub for_node: Option<ForNode<'a>>,
    /// The Host the viewer asked for (already validated).
    pub host: Option<&'a str>,
    pub proto: Option<Proto>,
}

/// The `for=` node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForNode<'a> {
    Ip(IpAddr),
    /// RFC 7239 section 6.3 `unknown`, or an obfuscated `_identifier`.
    Token(&'a str),
}

impl ForwardedElement<'_> {
    /// Renders the element, e.g. `for="[2001:db8::1]";host="a.example:8443";proto=https`.
    pub fn render(&self) -> String {
        let mut pairs = Vec::with_capacity(3);
        if let Some(node) = self.for_node {
            let value = match node {
                ForNode::Ip(IpAddr::V4(ip)) => ip.to_string(),
                ForNode::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
                ForNode::Token(token) => token.to_owned(),
            };
            pairs.push(format!("for={}", quote_if_needed(&value)));
        }
        if let Some(host) = self.host {
            pairs.push(format!("host={}", quote_if_needed(host)));
        }
        if let Some(proto) = self.proto {
            pairs.push(format!("proto={}", proto.as_str()));
        }
        pairs.join(";")
    }
}

/// A `for` node from CloudFront's `clientIp` (an IPv4 or IPv6 address, per "Lambda@Edge
/// event structure"); anything unparsable becomes `unknown` rather than being echoed.
pub fn for_node(client_ip: &str) -> ForNode<'static> {
    client_ip
        .parse::<IpAddr>()
        .map(ForNode::Ip)
        .unwrap_or(ForNode::Token("unknown"))
}

/// RFC 7230 token characters (RFC 7239 section 4 uses `token / quoted-string`).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Quotes a value unless it is a token; escapes `"` and `\` inside quotes.
pub fn quote_if_needed(value: &str) -> String {
    if !value.is_empty() && value.bytes().all(is_tchar) {
        return value.to_owned();
    }
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc7239_examples() {
        let element = ForwardedElement {
            for_node: Some(for_node("192.0.2.60")),
            host: Some("app.example.com"),
            proto: Some(Proto::Https),
        };
        assert_eq!(
            element.render(),
            "for=192.0.2.60;host=app.example.com;proto=https"
        );
        let v6 = ForwardedElement {
            for_node: Some(for_node("2001:db8:cafe::17")),
            host: Some("app.example.com:8443"),
            proto: Some(Proto::Http),
        };
        assert_eq!(
            v6.render(),
            "for=\"[2001:db8:cafe::17]\";host=\"app.example.com:8443\";proto=http"
        );
    }

    #[test]
    fn unparsable_client_is_unknown_and_quotes_escape() {
        assert_eq!(for_node("not an ip"), ForNode::Token("unknown"));
        assert_eq!(quote_if_needed("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quote_if_needed(""), "\"\"");
    }
}
