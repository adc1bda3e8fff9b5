//! The embedded default origin: answers JSON with what the origin received (method, path,
//! query, every header) and the scheme a proxy-aware framework would infer from the
//! forwarding headers, so a user sees at once what their app would get. A browser
//! (`Accept: text/html`) gets the same as a page, grouped, with the verdict highlighted;
//! every other client gets the JSON, unchanged.

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
    if wants_html(request.headers(), request.uri().query().unwrap_or_default()) {
        return html_response(&echo);
    }
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

/// The query parameter that asks a browser's request for the JSON (the page links to it).
pub const JSON_PARAM: &str = "edgekit-echo=json";

/// A browser navigation lists `text/html` in `Accept` (with q > 0); curl (`*/*`), reqwest (no
/// Accept) and API clients do not, so they keep the JSON byte for byte.
pub fn wants_html(headers: &HeaderMap, query: &str) -> bool {
    if query.split('&').any(|pair| pair == JSON_PARAM) {
        return false;
    }
    headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let html = parts
                .next()
                .is_some_and(|media| media.eq_ignore_ascii_case("text/html"));
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            html && !refused
        })
}

/// The host a proxy-aware framework would build URLs with, in the order of
/// [`inferred_scheme`]: `Forwarded` `host=` (first element), then the first
/// `X-Forwarded-Host`, then `Host`.
pub fn inferred_host(headers: &HeaderMap) -> String {
    host_from(|name| headers.get(name).and_then(|v| v.to_str().ok()))
}

/// [`inferred_host`] over any header lookup (the echo's own map included).
fn host_from<'a>(get: impl Fn(&str) -> Option<&'a str>) -> String {
    let first = |name: &str| {
        get(name)
            .map(|v| v.split(',').next().unwrap_or_default().trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let forwarded_host = first("forwarded").and_then(|element| {
        element.split(';').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("host")
                .then(|| value.trim().trim_matches('"').to_owned())
        })
    });
    forwarded_host
        .or_else(|| first("x-forwarded-host"))
        .or_else(|| first("host"))
        .unwrap_or_default()
}

fn html_response(echo: &Echo) -> Response<Body> {
    let mut response = Response::new(full(page(echo)));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response.headers_mut().insert(
        http::header::SERVER,
        http::HeaderValue::from_static("edgekit-echo"),
    );
    response
}

/// Headers an app reads to learn the viewer's scheme and host: what a viewer could spoof
/// and what forwarded-proto / keycloak-host set.
const FORWARDING: &[&str] = &[
    "forwarded",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-forwarded-host",
    "x-forwarded-for",
    "x-cloudfront-forwarded-proto",
    "x-real-ip",
];

/// Added by CloudFront (Developer Guide, "Adding CloudFront request headers"; "Request and
/// response behavior for custom origins") or by the ALB (`X-Amzn-Trace-Id`, ELB guide
/// "Request tracing for your Application Load Balancer").
fn is_cloudfront_or_alb(name: &str) -> bool {
    name.starts_with("cloudfront-")
        || name.starts_with("x-amz-cf-")
        || name == "via"
        || name == "x-amzn-trace-id"
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The first value of a header in the echo, or "".
fn first_value<'a>(echo: &'a Echo, name: &str) -> &'a str {
    echo.headers
        .get(name)
        .and_then(|values| values.first())
        .map_or("", String::as_str)
}

/// The page: the verdict, then every header in three groups, then the link to the JSON.
fn page(echo: &Echo) -> String {
    let groups = [
        (
            "Forwarding headers",
            echo_group(echo, |n| FORWARDING.contains(&n)),
        ),
        (
            "CloudFront and ALB headers",
            echo_group(echo, is_cloudfront_or_alb),
        ),
        (
            "The rest",
            echo_group(echo, |n| {
                !FORWARDING.contains(&n) && !is_cloudfront_or_alb(n)
            }),
        ),
    ];
    let tables: String = groups
        .iter()
        .map(|(title, rows)| format!("<h2>{title}</h2><table>{rows}</table>"))
        .collect();
    let query = if echo.query.is_empty() {
        JSON_PARAM.to_owned()
    } else {
        format!("{}&{JSON_PARAM}", echo.query)
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>edgekit echo: what your app received</title>\
<style>{STYLE}</style></head><body><main><h1>What your app received</h1>\
<p class=\"request\"><code>{method} {path}{q}</code> · {version}</p>{verdict}{tables}\
<p><a id=\"json\" href=\"{href}\">The same as JSON</a> (what curl and other clients get)</p></main></body></html>\n",
        method = escape(&echo.method),
        path = escape(&echo.path),
        q = if echo.query.is_empty() {
            String::new()
        } else {
            format!("?{}", escape(&echo.query))
        },
        version = escape(&echo.version),
        verdict = verdict(echo),
        href = escape(&format!("{}?{query}", echo.path)),
    )
}

const STYLE: &str = "body{font-family:sans-serif;margin:0;background:#f6f8fa}main{max-width:60rem;margin:1.5rem auto;background:#fff;padding:1rem 2rem;border:1px solid #ddd}\
table{border-collapse:collapse;width:100%}td{border-top:1px solid #eee;padding:.2rem .5rem;vertical-align:top;font-family:monospace;word-break:break-all}\
td:first-child{width:16rem;color:#555}.verdict{padding:.6rem 1rem;border-left:6px solid}.good{border-color:#1a7f37;background:#dafbe1}\
.bad{border-color:#cf222e;background:#ffebe9}.neutral{border-color:#888;background:#eee}.request{color:#555}h2{font-size:1.05rem;margin-top:1.4rem}";

fn echo_group(echo: &Echo, keep: impl Fn(&str) -> bool) -> String {
    let rows: String = echo
        .headers
        .iter()
        .filter(|(name, _)| keep(name))
        .flat_map(|(name, values)| values.iter().map(move |v| (name, v)))
        .map(|(name, value)| {
            format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(name),
                escape(value)
            )
        })
        .collect();
    if rows.is_empty() {
        "<tr><td colspan=\"2\">none</td></tr>".to_owned()
    } else {
        rows
    }
}

/// What a user came for: the scheme and host an app would infer, against the protocol the
/// viewer really used (`CloudFront-Forwarded-Proto`, set by CloudFront); what the ALB wrote
/// over; and where forwarding headers did not come from the edge functions.
fn verdict(echo: &Echo) -> String {
    let scheme = &echo.inferred_scheme;
    let host = inferred_host_of(echo);
    let viewer = first_value(echo, "cloudfront-forwarded-proto");
    let (class, conclusion) = if viewer.is_empty() {
        (
            "neutral",
            "no CloudFront-Forwarded-Proto to compare it with (no CloudFront in front, or an origin request policy without it)".to_owned(),
        )
    } else if viewer.eq_ignore_ascii_case(scheme) {
        ("good", "matches the viewer's protocol: redirects, cookies (Secure) and OIDC URLs come out right".to_owned())
    } else {
        (
            "bad",
            format!(
                "but the viewer used <b>{}</b>: the app builds {scheme} URLs and cookies without Secure (the \"logged out right after login\" failure)",
                escape(viewer)
            ),
        )
    };
    let mut notes = vec![format!(
        "<p class=\"verdict {class}\" id=\"verdict\">A proxy-aware framework infers <b id=\"inferred\">{}://{}</b>: {conclusion}.</p>",
        escape(scheme),
        escape(&host)
    )];
    let alb: Vec<String> = ["x-forwarded-proto", "x-forwarded-port"]
        .iter()
        .filter(|name| echo.headers.contains_key(**name))
        .map(|name| format!("<code>{name}: {}</code>", escape(first_value(echo, name))))
        .collect();
    if !alb.is_empty() {
        notes.push(format!(
            "<p id=\"alb\">Overwritten by the ALB's listener (ELB guide, \"X-Forwarded headers\"; whatever CloudFront or a function sent): {}.</p>",
            alb.join(", ")
        ));
    }
    notes.push(spoof_note(echo));
    notes.concat()
}

fn inferred_host_of(echo: &Echo) -> String {
    host_from(|name| {
        echo.headers
            .get(name)
            .and_then(|values| values.first())
            .map(String::as_str)
    })
}

/// forwarded-proto and keycloak-host remove a viewer's forwarding headers and set their own
/// from what CloudFront knows; a header that disagrees with that did not come from them.
fn spoof_note(echo: &Echo) -> String {
    let suspicious = suspicious_headers(echo);
    if suspicious.is_empty() {
        "<p class=\"verdict good\" id=\"spoof\">No spoofed forwarding header got through: the forwarding headers agree with what CloudFront saw (a viewer's own X-Forwarded-Host, Forwarded, X-Cloudfront-Forwarded-Proto, X-Forwarded-Proto and X-Real-IP are removed before the origin; edgekit dev's log line lists each change).</p>".to_owned()
    } else {
        format!(
            "<p class=\"verdict bad\" id=\"spoof\">Not set by the edge functions (a viewer could have sent them): <code>{}</code>.</p>",
            escape(&suspicious.join(", "))
        )
    }
}

/// The forwarding headers that contradict CloudFront's own facts: the viewer's protocol
/// (`CloudFront-Forwarded-Proto`) and the public host (`Forwarded` `host=` as the functions
/// set it, else the viewer's `Host`, which the origin request policy forwards).
fn suspicious_headers(echo: &Echo) -> Vec<String> {
    let viewer = first_value(echo, "cloudfront-forwarded-proto");
    let forwarded = first_value(echo, "forwarded");
    let param = |key: &str| {
        forwarded
            .split(',')
            .next()
            .unwrap_or_default()
            .split(';')
            .find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case(key)
                    .then(|| v.trim().trim_matches('"').to_owned())
            })
    };
    let public_host = param("host").unwrap_or_else(|| first_value(echo, "host").to_owned());
    let mut suspicious = Vec::new();
    let xfh = first_value(echo, "x-forwarded-host");
    if !xfh.is_empty() && xfh != public_host {
        suspicious.push(format!("x-forwarded-host: {xfh}"));
    }
    let protos = [
        (
            "x-cloudfront-forwarded-proto",
            first_value(echo, "x-cloudfront-forwarded-proto").to_owned(),
        ),
        ("forwarded proto=", param("proto").unwrap_or_default()),
    ];
    for (name, proto) in protos {
        if !proto.is_empty() && !viewer.is_empty() && !proto.eq_ignore_ascii_case(viewer) {
            suspicious.push(format!("{name}: {proto}"));
        }
    }
    if echo
        .headers
        .get("forwarded")
        .is_some_and(|v| v.len() > 1 || v.iter().any(|e| e.contains(',')))
    {
        suspicious.push("forwarded: more than one element".to_owned());
    }
    suspicious
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
    fn browsers_get_the_page_and_other_clients_the_json() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(wants_html(&headers(&[("accept", chrome)]), ""));
        assert!(!wants_html(
            &headers(&[("accept", chrome)]),
            "a=1&edgekit-echo=json"
        ));
        for accept in [
            "*/*",
            "application/json",
            "text/html;q=0",
            "text/html; q=0.0",
        ] {
            assert!(!wants_html(&headers(&[("accept", accept)]), ""), "{accept}");
        }
        assert!(!wants_html(&headers(&[]), ""));
    }

    #[test]
    fn inferred_host_follows_the_scheme_order() {
        let h = headers(&[
            ("host", "alb.internal"),
            ("x-forwarded-host", "b.example"),
            (
                "forwarded",
                "for=1.2.3.4;host=\"a.example:8443\";proto=https",
            ),
        ]);
        assert_eq!(inferred_host(&h), "a.example:8443");
        assert_eq!(
            inferred_host(&headers(&[
                ("host", "alb.internal"),
                ("x-forwarded-host", "b.example, c")
            ])),
            "b.example"
        );
        assert_eq!(
            inferred_host(&headers(&[("host", "alb.internal")])),
            "alb.internal"
        );
    }

    /// What forwarded-proto's request looks like behind the HTTP ALB: a good verdict, the
    /// ALB's values named, no spoofing.
    #[test]
    fn page_of_the_fixed_setup() {
        let page = page(&echo_of(
            "GET",
            "/a",
            "",
            &headers(&[
                ("host", "localhost:8443"),
                ("cloudfront-forwarded-proto", "https"),
                ("x-cloudfront-forwarded-proto", "https"),
                (
                    "forwarded",
                    "for=127.0.0.1;host=\"localhost:8443\";proto=https",
                ),
                ("x-forwarded-host", "localhost:8443"),
                ("x-forwarded-proto", "http"),
                ("x-forwarded-port", "80"),
            ]),
        ));
        assert!(
            page.contains("class=\"verdict good\" id=\"verdict\""),
            "{page}"
        );
        assert!(
            page.contains("<b id=\"inferred\">https://localhost:8443</b>"),
            "{page}"
        );
        assert!(
            page.contains(
                "<code>x-forwarded-proto: http</code>, <code>x-forwarded-port: 80</code>"
            )
        );
        assert!(page.contains("class=\"verdict good\" id=\"spoof\""));
        assert!(page.contains("href=\"/a?edgekit-echo=json\""));
    }

    /// The reference setup (custom origin header overwritten by the ALB) with a spoofed
    /// X-Forwarded-Host that nothing removed: both flagged, the spoofed value escaped.
    #[test]
    fn page_of_the_reference_setup_with_a_spoofed_host() {
        let page = page(&echo_of(
            "GET",
            "/",
            "x=<b>",
            &headers(&[
                ("host", "localhost:8443"),
                ("cloudfront-forwarded-proto", "https"),
                ("x-forwarded-host", "evil.example<script>"),
                ("x-forwarded-proto", "http"),
            ]),
        ));
        assert!(
            page.contains("class=\"verdict bad\" id=\"verdict\""),
            "{page}"
        );
        assert!(page.contains("http://evil.example&lt;script&gt;"), "{page}");
        assert!(
            page.contains("class=\"verdict bad\" id=\"spoof\""),
            "{page}"
        );
        assert!(!page.contains("<script>") && !page.contains("x=<b>"));
    }

    #[test]
    fn echo_lists_every_value() {
        let echo = echo_of("GET", "/a", "b=1", &headers(&[("x-a", "1"), ("x-a", "2")]));
        assert_eq!(echo.headers["x-a"], ["1", "2"]);
    }
}
