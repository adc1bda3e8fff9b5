//! The CloudFront header multimap: lowercase name → list of `{key, value}`.
//!
//! Order and original casing are kept ([`IndexMap`]); `key` is optional on input.
//! [AWS CloudFront Developer Guide, "Lambda@Edge event structure": "headers … lowercase
//! version of the header name … key (optional) is the case-sensitive name"]

use std::borrow::Cow;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The map key for a header name: borrowed when it is already lowercase (the common case:
/// our own constants and CloudFront's keys), so lookups allocate nothing.
fn lowercase(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// One header line as CloudFront represents it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub value: String,
}

impl HeaderEntry {
    /// An entry with an explicit case-preserving key.
    pub fn new(key: &str, value: impl Into<String>) -> Self {
        Self {
            key: Some(key.to_owned()),
            value: value.into(),
        }
    }
}

/// The map behind [`Headers`]. Hashed with foldhash rather than std's SipHash: header names
/// are short, and SipHash was a measurable share of every event (profile and figures:
/// `benches/README.md`, "Header map hasher"). foldhash's `RandomState` is still seeded per
/// process, so a client cannot precompute colliding names, and CloudFront caps a request's
/// headers anyway (a request over 20,480 bytes is refused: docs/platform.md).
pub type HeaderMap = IndexMap<String, Vec<HeaderEntry>, foldhash::fast::RandomState>;

/// Headers of a request or response, keyed by lowercase name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Headers(pub HeaderMap);

impl Headers {
    /// An empty header map.
    pub fn new() -> Self {
        Self::default()
    }

    /// All values of a header (any case of `name`).
    pub fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .get(lowercase(name).as_ref())
            .into_iter()
            .flatten()
            .map(|entry| entry.value.as_str())
    }

    /// The first value of a header.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.values(name).next()
    }

    /// How many lines a header has.
    pub fn count(&self, name: &str) -> usize {
        self.0.get(lowercase(name).as_ref()).map_or(0, Vec::len)
    }

    /// Whether a header is present.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(lowercase(name).as_ref())
    }

    /// Replaces a header with one line; `key` keeps the casing CloudFront shows the origin.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.0
            .insert(key.to_ascii_lowercase(), vec![HeaderEntry::new(key, value)]);
    }

    /// Adds a line to a header (after the existing ones).
    pub fn append(&mut self, key: &str, value: impl Into<String>) {
        self.0
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(HeaderEntry::new(key, value));
    }

    /// Removes a header; returns whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        self.0.shift_remove(lowercase(name).as_ref()).is_some()
    }

    /// Iterates `(lowercase name, entry)` over every line.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &HeaderEntry)> {
        self.0
            .iter()
            .flat_map(|(name, entries)| entries.iter().map(move |entry| (name.as_str(), entry)))
    }

    /// Number of distinct header names.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no header at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<const N: usize> From<[(&str, &str); N]> for Headers {
    fn from(lines: [(&str, &str); N]) -> Self {
        let mut headers = Headers::new();
        for (key, value) in lines {
            headers.append(key, value);
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_casing_and_optional_key() {
        let json = r#"{"host":[{"key":"Host","value":"a.example"}],"x-b":[{"value":"1"},{"key":"X-B","value":"2"}]}"#;
        let headers: Headers = serde_json::from_str(json).unwrap();
        assert_eq!(headers.first("HOST"), Some("a.example"));
        assert_eq!(headers.values("x-b").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(serde_json::to_string(&headers).unwrap(), json);
    }

    #[test]
    fn set_replaces_and_append_adds() {
        let mut headers = Headers::from([("X-A", "1"), ("x-a", "2")]);
        assert_eq!(headers.count("x-a"), 2);
        headers.set("X-A", "3");
        assert_eq!(headers.values("x-a").collect::<Vec<_>>(), ["3"]);
        assert!(headers.remove("X-a"));
        assert!(!headers.contains("x-a"));
    }
}
