//! The embedded default origin: answers JSON with what the origin received (method, path,
//! query, every header) and the scheme a proxy-aware framework would infer from the
//! forwarding headers, so a user sees at once what their app would get.

use http::{HeaderMap, Request, Response, StatusCode};
use hyper::body::Incoming;
use indexmap::IndexMap;
use serde::Serialize;

use super::server::{Body, full};

/// The echo's answer: `{"method","path","query","headers","inferred_scheme","version"}`.
#[derive(Debug, Serialize)]
pub struct Echo {
    pub method: String,
    pub path: String,
    pub query: String,
    /// lowercase name → every value, in arrival order.
    pub headers: IndexMap<String, Vec<String>>,
    pub inferred_scheme: String,
    /// The HTTP version the request arrived in (`HTTP/1.1` from CloudFront or the ALB), so a
    /// user sees what the origin hop speaks; empty when not known.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
}

/// The scheme an app would infer, in the order the reference app checks: our
/// `X-Cloudfront-Forwarded-Proto` first, then RFC 7239 `Forwarded` (`proto=` of the first
/// element, what Keycloak reads with `KC_PROXY_HEADERS=forwarded`), then the first
/// `X-Forwarded-Proto` value (what uvicorn/Werkzeug-style proxy fixes read), else `http`
/// (the echo itself listens on plain HTTP).
pub fn inferred_scheme(headers: &HeaderMap) -> String {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(proto) = first("x-cloudfront-forwarded-proto").filter(|v| !v.is_empty()) {
        return proto.to_ascii_lowercase();
    }
    if let Some(forwarded) = first("forwarded") {
        let element = forwarded.split(',').next().unwrap_or_default();
        for pair in element.split(';') {
            if let Some((key, value)) = pair.split_once('=')
                && key.trim().eq_ignore_ascii_case("proto")
            {
                return value.trim().trim_matches('"').to_ascii_lowercase();
            }
        }
    }
    if let Some(proto) = first("x-forwarded-proto") {
        let value = proto.split(',').next().unwrap_or_default().trim();
        if !value.is_empty() {
            return value.to_ascii_lowercase();
        }
    }
    "http".to_owned()
}

/// Builds the echo of a request.
pub fn echo_of(method: &str, path: &str, query: &str, headers: &HeaderMap) -> Echo {
    let mut map: IndexMap<String, Vec<String>> = IndexMap::new();
    for (name, value) in headers {
        map.entry(name.as_str().to_owned())
            .or_default()
            .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    Echo {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers: map,
        inferred_scheme: inferred_scheme(headers),
        version: String::new(),
    }
}

/// Serves one request (the body is not read: the echo answers with headers only).
pub async fn handle(request: Request<Incoming>) -> Response<Body> {
    let mut echo = echo_of(
        request.method().as_str(),
        request.uri().path(),
        request.uri().query().unwrap_or_default(),
        request.headers(),
    );
    echo.version = format!("{:?}", request.version());
    let (status, body) = match serde_json::to_vec_pretty(&echo) {
        Ok(mut body) => {
            body.push(b'\n');
            (StatusCode::OK, body)
        }
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("echo: {err}\n").into_bytes(),
        ),
    };
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response.headers_mut().insert(
        http::header::SERVER,
        http::HeaderValue::from_static("edgekit-echo"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(lines: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in lines {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn scheme_priority() {
        assert_eq!(inferred_scheme(&headers(&[])), "http");
        assert_eq!(
            inferred_scheme(&headers(&[("x-forwarded-proto", "http")])),
            "http"
        );
        assert_eq!(
            inferred_scheme(&headers(&[
                ("x-forwarded-proto", "http"),
                ("forwarded", "for=1.2.3.4;proto=https")
            ])),
            "https"
        );
        assert_eq!(
            inferred_scheme(&headers(&[
                ("forwarded", "proto=http"),
                ("x-cloudfront-forwarded-proto", "https")
            ])),
            "https"
        );
        assert_eq!(
            inferred_scheme(&headers(&[("x-forwarded-proto", "https, http")])),
            "https"
        );
    }

    #[test]
    fn echo_lists_every_value() {
        let echo = echo_of("GET", "/a", "b=1", &headers(&[("x-a", "1"), ("x-a", "2")]));
        assert_eq!(echo.headers["x-a"], ["1", "2"]);
    }
}
