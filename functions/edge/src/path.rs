//! URI paths for path guards: every reading a component behind CloudFront could make of a
//! path, and the guard that forwards a path only when every reading stays allowed.
//!
//! The components behind the edge do not agree on what a path means: some decode percent
//! escapes once and some twice (RFC 3986 section 2.4 warns against it; applications still
//! do), Java servlet containers drop `;` path parameters before resolving dot segments
//! (Tomcat's and Jetty's request-URI normalisation; the `/..;/` bypass), Windows-heritage
//! servers take `\` for `/`, nginx merges slashes (`merge_slashes`, on by default), and
//! everyone removes dot segments (RFC 3986 section 5.2.4). A guard that decides on one
//! reading can be walked around through another, so it decides on all of them.
//! See `docs/path-guard.md` for the readings, the corpus and its sources.

use percent_encoding::percent_decode_str;

pub use crate::error::PathError;

/// The canonical reading: decoded once, slashes merged, dot segments removed. Refuses what
/// [`readings`] refuses.
pub fn normalize(uri: &str) -> Result<String, PathError> {
    let decoded = decode_strict(check_syntax(uri)?)?;
    Ok(resolve(&decoded))
}

/// Every distinct reading of `uri`: decoded 0, 1 or 2 times; `;` parameters kept, dropped
/// before decoding or dropped after; `\` kept or read as `/`; taken as is or with slashes
/// merged and dot segments removed. Escapes must be well-formed, and every decoding must be
/// valid UTF-8 (which refuses overlong forms such as `%c0%ae`) without control characters.
pub fn readings(uri: &str) -> Result<Vec<String>, PathError> {
    let raw = check_syntax(uri)?;
    let once = decode_strict(raw)?;
    let twice = decode_strict(&once)?;
    let params_first = strip_params(raw);
    let params_first_once = decode_strict(&params_first)?;
    let params_first_twice = decode_strict(&params_first_once)?;
    let texts = [
        raw.to_owned(),
        once.clone(),
        twice.clone(),
        params_first_once,
        params_first_twice,
        params_first,
        strip_params(&once),
        strip_params(&twice),
    ];
    let mut out: Vec<String> = Vec::with_capacity(texts.len() * 4);
    for text in texts {
        let slashed = text.replace('\\', "/");
        for candidate in [resolve(&text), resolve(&slashed), text, slashed] {
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
    }
    Ok(out)
}

/// A guard's answer for one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathDecision {
    /// Every reading is inside an allowed entry and outside every private prefix.
    Allow,
    /// No reading is allowed.
    NotFound,
    /// Readings disagree, or the path cannot be read: refused (400), because the guard and
    /// a component behind it could decide differently.
    Refused(&'static str),
}

/// What a guard lets through.
#[derive(Debug, Clone, Copy)]
pub struct PathGuard<'a> {
    /// Prefixes (ending in `/`) or exact paths, matched case-sensitively.
    pub allowed: &'a [String],
    /// Prefixes that must never be reached, matched case-insensitively (a case-insensitive
    /// router or file system behind the edge would serve `/ADMIN/` as `/admin/`).
    pub private: &'a [&'a str],
}

impl PathGuard<'_> {
    /// Decides on every reading of `uri`.
    pub fn decide(&self, uri: &str) -> PathDecision {
        if is_plain(uri) && check_syntax(uri).is_ok() {
            // Every reading of a plain path is the path itself.
            return if self.allows(uri) {
                PathDecision::Allow
            } else {
                PathDecision::NotFound
            };
        }
        let Ok(readings) = readings(uri) else {
            return PathDecision::Refused(
                "Malformed path: invalid percent-escape, UTF-8 or control character.",
            );
        };
        let allowed = readings.iter().filter(|r| self.allows(r)).count();
        match allowed {
            0 => PathDecision::NotFound,
            n if n == readings.len() => PathDecision::Allow,
            _ => PathDecision::Refused(
                "The path reads differently to different servers (escapes, dot segments, ';' or '\\'): not accepted.",
            ),
        }
    }

    fn allows(&self, reading: &str) -> bool {
        let public = self.allowed.iter().any(|entry| {
            if entry.ends_with('/') {
                reading.starts_with(entry.as_str())
            } else {
                reading == entry
            }
        });
        public
            && !self
                .private
                .iter()
                .any(|p| starts_with_ignore_case(reading, p))
    }
}

/// No escape, parameter, backslash, dot segment or empty segment (but a trailing `/`).
fn is_plain(uri: &str) -> bool {
    let mut segments = uri.split('/').skip(1).peekable();
    !uri.contains(['%', ';', '\\'])
        && std::iter::from_fn(|| segments.next().map(|s| (s, segments.peek().is_none())))
            .all(|(segment, last)| !matches!(segment, "." | "..") && (last || !segment.is_empty()))
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn check_syntax(uri: &str) -> Result<&str, PathError> {
    if !uri.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if !valid_escapes(uri) {
        return Err(PathError::BadEncoding);
    }
    if uri.chars().any(char::is_control) {
        return Err(PathError::ForbiddenChar);
    }
    Ok(uri)
}

/// Decodes every well-formed escape (a `%` not followed by two hex digits stays as is, as
/// lenient decoders leave it); the result must be UTF-8 without control characters.
fn decode_strict(text: &str) -> Result<String, PathError> {
    let decoded = percent_decode_str(text)
        .decode_utf8()
        .map_err(|_| PathError::BadEncoding)?;
    if decoded.chars().any(char::is_control) {
        return Err(PathError::ForbiddenChar);
    }
    Ok(decoded.into_owned())
}

/// Drops `;…` up to the next `/` in every segment (servlet path parameters).
fn strip_params(text: &str) -> String {
    text.split('/')
        .map(|segment| segment.split(';').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("/")
}

/// Merges slashes and removes dot segments (RFC 3986 section 5.2.4); keeps a trailing `/`.
fn resolve(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/').skip(1) {
        match segment {
            "." | "" => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let trailing_slash = (path.ends_with('/') || path.ends_with("/.") || path.ends_with("/.."))
        && !segments.is_empty();
    let mut out = String::with_capacity(path.len());
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() || trailing_slash {
        out.push('/');
    }
    out
}

fn valid_escapes(uri: &str) -> bool {
    let bytes = uri.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(index + 1) && hex(index + 2)) {
                return false;
            }
            index += 3;
        } else {
            index += 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIVATE: &[&str] = &["/admin", "/metrics", "/health"];

    fn decide(uri: &str) -> PathDecision {
        let allowed = vec!["/realms/".to_owned(), "/resources/".to_owned()];
        PathGuard {
            allowed: &allowed,
            private: PRIVATE,
        }
        .decide(uri)
    }

    fn refused(uri: &str) -> bool {
        matches!(decide(uri), PathDecision::Refused(_))
    }

    #[test]
    fn canonical_reading() {
        assert_eq!(normalize("/realms/../admin/").unwrap(), "/admin/");
        assert_eq!(normalize("/%61dmin").unwrap(), "/admin");
        assert_eq!(normalize("//realms//master/").unwrap(), "/realms/master/");
        assert_eq!(normalize("/%2e%2e/admin").unwrap(), "/admin");
        assert_eq!(normalize("/").unwrap(), "/");
        assert_eq!(normalize("/../..").unwrap(), "/");
        assert_eq!(normalize("/a/b/..").unwrap(), "/a/");
    }

    #[test]
    fn readings_cover_each_component() {
        let all = readings("/resources/..;/admin/").unwrap();
        assert!(
            all.contains(&"/admin/".to_owned()),
            "params dropped: {all:?}"
        );
        assert!(all.contains(&"/resources/..;/admin/".to_owned()));
        let all = readings("/realms/%252e%252e/admin/").unwrap();
        assert!(
            all.contains(&"/admin/".to_owned()),
            "decoded twice: {all:?}"
        );
        let all = readings("/realms\\..\\admin").unwrap();
        assert!(all.contains(&"/admin".to_owned()), "backslash: {all:?}");
        let all = readings("/realms/%3b/..%3b/admin").unwrap();
        assert!(
            all.contains(&"/admin".to_owned()),
            "params after decoding: {all:?}"
        );
    }

    #[test]
    fn the_two_reported_payloads_are_refused() {
        assert!(refused("/resources/..;/admin/"));
        assert!(refused("/realms/%252e%252e/admin/"));
    }

    #[test]
    fn agreement_decides() {
        assert_eq!(decide("/realms/master/account"), PathDecision::Allow);
        assert_eq!(decide("/realms/master/./account"), PathDecision::Allow);
        assert_eq!(decide("/admin/master/console/"), PathDecision::NotFound);
        assert_eq!(decide("/ADMIN/"), PathDecision::NotFound);
        assert_eq!(decide("//admin/"), PathDecision::NotFound);
        assert_eq!(decide("/%61dmin/"), PathDecision::NotFound);
        assert!(refused("/realms/../admin/"));
        assert!(refused("/realms/%2e%2e/admin/"));
        assert!(refused("/%72ealms/master/account"));
        assert!(refused("/realms//../admin/"));
        assert!(
            refused("/realms/x/../../ADMIN/"),
            "private prefixes ignore case"
        );
        assert!(refused("/realms\\..\\admin"));
    }

    #[test]
    fn malformed_paths_are_refused() {
        assert_eq!(normalize("realms"), Err(PathError::NotAbsolute));
        assert_eq!(normalize("/%zz"), Err(PathError::BadEncoding));
        assert_eq!(normalize("/%ff"), Err(PathError::BadEncoding));
        assert_eq!(normalize("/a%0d%0ab"), Err(PathError::ForbiddenChar));
        assert_eq!(normalize("/%c0%ae%c0%ae/"), Err(PathError::BadEncoding));
        assert!(refused("/realms/%c0%ae%c0%ae/admin"), "overlong UTF-8");
        assert!(
            refused("/realms/%25c0%25ae/admin"),
            "overlong after two decodings"
        );
        assert!(
            refused("/realms/%250a/x"),
            "control character after two decodings"
        );
    }
}
