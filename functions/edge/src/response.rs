//! Well-formed generated responses: short plain-text bodies CloudFront accepts in every
//! request trigger (well under the 40 KB viewer limit).

use crate::headers::Headers;
use crate::model::{BodyEncoding, Response};

/// A generated response with a short text body.
pub fn text(status: u16, description: &str, body: &str) -> Response {
    let mut headers = Headers::new();
    headers.set("Content-Type", "text/plain; charset=utf-8");
    headers.set("Cache-Control", "no-store");
    Response {
        status: status.to_string(),
        status_description: Some(description.to_owned()),
        headers,
        body: Some(body.to_owned()),
        body_encoding: Some(BodyEncoding::Text),
        extra: Default::default(),
    }
}

/// A redirect (301, 302, 307, 308) to `location`.
pub fn redirect(status: u16, location: &str) -> Response {
    let description = match status {
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        _ => "Permanent Redirect",
    };
    let mut headers = Headers::new();
    headers.set("Location", location);
    headers.set("Cache-Control", "no-store");
    Response {
        status: status.to_string(),
        status_description: Some(description.to_owned()),
        headers,
        body: None,
        body_encoding: None,
        extra: Default::default(),
    }
}

/// The reason phrase of the status codes our functions generate.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        421 => "Misdirected Request",
        500 => "Internal Server Error",
        _ => "Error",
    }
}

/// A plain-text error response with the standard reason phrase.
pub fn error(status: u16, body: &str) -> Response {
    text(status, reason_phrase(status), body)
}
