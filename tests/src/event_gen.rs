//! proptest strategies for origin-request events with hostile headers, hosts and URIs,
//! shaped like what CloudFront could really hand a function (lowercase header names, no
//! disallowed headers, no raw whitespace in the URI) but with viewer-controlled values
//! chosen adversarially.

use edge::model::{Cf, CfConfig, CustomOrigin, EventType, Origin, Request};
use edge::{CloudFrontEvent, Headers};
use proptest::prelude::*;

/// Viewer-controlled strings: printable ASCII plus the characters that break parsers.
fn nasty_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        "[a-z0-9.:\\[\\]@,;=\"\\\\ \r\n\t%-]{0,40}",
        Just("https".to_owned()),
        Just("HTTP".to_owned()),
        Just("for=1.2.3.4;host=evil.example;proto=https".to_owned()),
    ]
}

/// Host header candidates: valid names, ports, IP literals and garbage.
fn host_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,10}){0,3}",
        "[a-z]{1,8}\\.example\\.com:[0-9]{1,6}",
        "(25[0-5]|[0-9]{1,3})\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        Just("[2001:db8::1]:8443".to_owned()),
        nasty_value(),
        "[a-z]{250,260}",
    ]
}

/// Header values CloudFront would pass through (no CR/LF/NUL), ASCII or not.
fn clean_value() -> impl Strategy<Value = String> {
    prop_oneof!["[ -~]{0,30}", "\\PC{0,20}"]
}

/// Forwarding headers a viewer may send and our functions must neutralise (any value,
/// even CR/LF: they never reach the origin): every header of the default strip list.
fn viewer_header_name() -> impl Strategy<Value = String> {
    let names: Vec<String> = edge::forwarding::STRIPPED
        .iter()
        .map(|header| header.name.to_owned())
        .collect();
    proptest::sample::select(names)
}

/// Other header names: ours, arbitrary, and integer-like ones (JavaScript objects list
/// those first, which the differential test must tolerate).
fn ordinary_header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("x-origin-verify".to_owned()),
        Just("cookie".to_owned()),
        "x-[a-z]{1,8}",
        "[0-9]{1,3}",
    ]
}

/// Request paths: Keycloak's, traversal attempts, and arbitrary ones.
fn uri_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/realms/master/.well-known/openid-configuration".to_owned()),
        Just("/admin/master/console/".to_owned()),
        Just("/realms/%2e%2e/admin".to_owned()),
        Just("/resources/..;/admin/".to_owned()),
        "/[a-zA-Z0-9._~%;/-]{0,40}",
    ]
}

/// Origin-request events with adversarial viewer input.
pub fn origin_request_event() -> impl Strategy<Value = CloudFrontEvent> {
    (
        host_value(),
        proptest::option::of(prop_oneof![
            nasty_value(),
            Just("https".to_owned()),
            Just("http".to_owned())
        ]),
        proptest::collection::vec((viewer_header_name(), nasty_value()), 0..6),
        proptest::collection::vec((ordinary_header_name(), clean_value()), 0..3),
        uri_value(),
        prop_oneof![Just("GET"), Just("HEAD"), Just("POST"), Just("DELETE")],
        prop_oneof![
            Just("203.0.113.7".to_owned()),
            Just("2001:db8:cafe::17".to_owned()),
            "[0-9a-f:.]{1,20}",
        ],
        "[a-zA-Z0-9=&%]{0,20}",
    )
        .prop_map(
            |(host, proto, spoofed, ordinary, uri, method, client_ip, querystring)| {
                let mut headers = Headers::new();
                headers.append("Host", host);
                headers.append(
                    "Via",
                    "2.0 2afae0d44e2540f472c0635ab62c232b.cloudfront.net (CloudFront)",
                );
                headers.append("User-Agent", "Amazon CloudFront");
                if let Some(proto) = proto {
                    headers.append("CloudFront-Forwarded-Proto", proto);
                }
                for (name, value) in spoofed {
                    headers.append(&name, value);
                }
                for (name, value) in ordinary {
                    headers.append(&name, value);
                }
                let request = Request {
                    client_ip,
                    headers,
                    method: method.to_owned(),
                    querystring,
                    uri,
                    origin: Some(Origin {
                        custom: Some(CustomOrigin {
                            custom_headers: Headers::new(),
                            domain_name: "alb-123.us-east-1.elb.amazonaws.com".into(),
                            keepalive_timeout: Some(5),
                            path: String::new(),
                            port: Some(80),
                            protocol: Some("http".into()),
                            read_timeout: Some(60),
                            ssl_protocols: Some(vec!["TLSv1.2".into()]),
                            extra: Default::default(),
                        }),
                        s3: None,
                        extra: Default::default(),
                    }),
                    body: None,
                    extra: Default::default(),
                };
                CloudFrontEvent::from_cf(Cf {
                    config: CfConfig {
                        distribution_domain_name: "d111111abcdef8.cloudfront.net".into(),
                        distribution_id: "EDFDVBD6EXAMPLE".into(),
                        event_type: EventType::OriginRequest,
                        request_id: Some("req".into()),
                        extra: Default::default(),
                    },
                    request,
                    response: None,
                    extra: Default::default(),
                })
            },
        )
}
