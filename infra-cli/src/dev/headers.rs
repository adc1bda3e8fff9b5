//! Conversions between HTTP header maps and the CloudFront header multimap, and the
//! one-line summary of what a function changed (for the request log).

use edge::Headers;
use http::header::{HeaderMap, HeaderName, HeaderValue};

/// `x-forwarded-for` → `X-Forwarded-For` (the casing CloudFront shows in `key`).
pub fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for ch in name.chars() {
        if upper {
            out.push(ch.to_ascii_uppercase());
        } else {
            out.push(ch);
        }
        upper = ch == '-';
    }
    out
}

/// HTTP headers → CloudFront headers, skipping the ones `skip` names (lowercase).
pub fn to_edge(map: &HeaderMap, skip: impl Fn(&str) -> bool) -> Headers {
    let mut headers = Headers::new();
    for (name, value) in map {
        let name = name.as_str();
        if skip(name) {
            continue;
        }
        let value = match value.to_str() {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        };
        headers.append(&title_case(name), value);
    }
    headers
}

/// CloudFront headers → HTTP headers. Entries that are not valid HTTP (only possible when
/// validation was bypassed) are dropped and returned by name.
pub fn to_http(headers: &Headers) -> (HeaderMap, Vec<String>) {
    let mut map = HeaderMap::with_capacity(headers.len());
    let mut dropped = Vec::new();
    for (name, entry) in headers.iter() {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&entry.value),
        ) {
            (Ok(name), Ok(value)) => {
                map.append(name, value);
            }
            _ => dropped.push(name.to_owned()),
        }
    }
    (map, dropped)
}

/// `+added ~changed -removed` header names between two header sets.
pub fn diff(before: &Headers, after: &Headers) -> String {
    let mut parts = Vec::new();
    for (name, entries) in &after.0 {
        match before.0.get(name) {
            None => parts.push(format!("+{name}")),
            Some(old) => {
                let same = old.len() == entries.len()
                    && old.iter().zip(entries).all(|(a, b)| a.value == b.value);
                if !same {
                    parts.push(format!("~{name}"));
                }
            }
        }
    }
    for name in before.0.keys() {
        if !after.0.contains_key(name) {
            parts.push(format!("-{name}"));
        }
    }
    if parts.is_empty() {
        "no header changes".to_owned()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_diff() {
        let mut map = HeaderMap::new();
        map.append("x-a", HeaderValue::from_static("1"));
        map.append("x-a", HeaderValue::from_static("2"));
        map.append("connection", HeaderValue::from_static("close"));
        let edge = to_edge(&map, |name| name == "connection");
        assert_eq!(edge.values("x-a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(edge.0["x-a"][0].key.as_deref(), Some("X-A"));
        assert!(!edge.contains("connection"));
        let (back, dropped) = to_http(&edge);
        assert!(dropped.is_empty());
        assert_eq!(back.get_all("x-a").iter().count(), 2);
        let mut after = edge.clone();
        after.set("X-B", "3");
        after.set("X-A", "9");
        assert_eq!(diff(&edge, &after), "~x-a +x-b");
        assert_eq!(title_case("x-forwarded-for"), "X-Forwarded-For");
    }
}
