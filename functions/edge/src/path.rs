//! URI path normalisation for path guards: percent-decoding, dot-segment removal (RFC 3986
//! section 5.2.4), and detection of tricks that make a guard and the origin disagree.
//!
//! A guard must decide on the path the origin will act on. Keycloak (Quarkus/Vert.x)
//! normalises dot segments and decodes percent-escapes, so `/realms/../admin/` and
//! `/%61dmin/` both reach the admin console if the guard looks at the raw string.

use percent_encoding::percent_decode_str;

use crate::error::EdgeError;

/// A path prepared for a guard decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedPath {
    /// Decoded, dot segments removed, duplicate slashes collapsed; always starts with `/`.
    pub path: String,
    /// The raw path contained `%2F`/`%5C` (an encoded slash or backslash).
    pub had_encoded_slash: bool,
    /// The raw path contained `.` or `..` segments (plain or percent-encoded).
    pub had_dot_segments: bool,
}

/// Why a path cannot be normalised (an [`EdgeError`] `Path*` variant).
pub type PathError = EdgeError;

/// Normalises the path part of a CloudFront `uri` (which never has a query string).
pub fn normalize(uri: &str) -> Result<NormalizedPath, PathError> {
    if !uri.starts_with('/') {
        return Err(EdgeError::PathNotAbsolute);
    }
    if !valid_escapes(uri) {
        return Err(EdgeError::PathBadEncoding);
    }
    let lowered = uri.to_ascii_lowercase();
    let had_encoded_slash = lowered.contains("%2f") || lowered.contains("%5c");
    let decoded = percent_decode_str(uri)
        .decode_utf8()
        .map_err(|_| EdgeError::PathBadEncoding)?;
    if decoded.chars().any(|c| c.is_control() || c == '\\') && !had_encoded_slash {
        return Err(EdgeError::PathForbiddenChar);
    }
    let mut segments: Vec<&str> = Vec::new();
    let mut had_dot_segments = false;
    for segment in decoded.split('/').skip(1) {
        match segment {
            "." => had_dot_segments = true,
            ".." => {
                had_dot_segments = true;
                segments.pop();
            }
            "" => {}
            other => segments.push(other),
        }
    }
    let trailing_slash = decoded.ends_with('/') && !segments.is_empty();
    let mut path = String::with_capacity(decoded.len());
    for segment in &segments {
        path.push('/');
        path.push_str(segment);
    }
    if path.is_empty() || trailing_slash {
        path.push('/');
    }
    Ok(NormalizedPath {
        path,
        had_encoded_slash,
        had_dot_segments,
    })
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

    #[test]
    fn decodes_and_removes_dot_segments() {
        let n = normalize("/realms/../admin/").unwrap();
        assert_eq!(n.path, "/admin/");
        assert!(n.had_dot_segments && !n.had_encoded_slash);
        assert_eq!(normalize("/%61dmin").unwrap().path, "/admin");
        assert_eq!(
            normalize("//realms//master/").unwrap().path,
            "/realms/master/"
        );
        assert_eq!(normalize("/%2e%2e/admin").unwrap().path, "/admin");
        assert_eq!(normalize("/").unwrap().path, "/");
        assert_eq!(normalize("/../..").unwrap().path, "/");
    }

    #[test]
    fn flags_encoded_slash_and_rejects_bad_input() {
        assert!(normalize("/realms%2F..%2Fadmin").unwrap().had_encoded_slash);
        assert_eq!(normalize("realms"), Err(EdgeError::PathNotAbsolute));
        assert_eq!(normalize("/%zz"), Err(EdgeError::PathBadEncoding));
        assert_eq!(normalize("/%ff"), Err(EdgeError::PathBadEncoding));
        assert_eq!(normalize("/a%0d%0ab"), Err(EdgeError::PathForbiddenChar));
    }
}
