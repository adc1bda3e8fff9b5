//! Property tests: on any origin-request event, both functions never panic, every result
//! passes CloudFront's rules, and no injected header carries an unvalidated client value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use edge::forwarding::STRIPPED;
use edge::host::parse_host;
use edge::{EdgeResult, EventType, validate};
use edgekit_tests::event_gen::origin_request_event;
use proptest::prelude::*;

fn keycloak_config() -> keycloak_host::Config {
    keycloak_host::Config {
        public_hosts: vec![
            "auth.example.com".into(),
            "d111111abcdef8.cloudfront.net".into(),
        ],
        ..keycloak_host::Config::default()
    }
}

/// The injected headers must come from validated values only.
fn assert_injected_headers_are_validated(
    input: &edge::Request,
    output: &edge::Request,
    proto_header: &str,
) {
    let host =
        parse_host(input.headers.first("host").unwrap()).expect("forwarded only with a valid Host");
    let xfh: Vec<_> = output.headers.values("x-forwarded-host").collect();
    assert_eq!(xfh, [host.to_header_value().as_str()]);
    let proto: Vec<_> = output.headers.values(proto_header).collect();
    assert!(proto == ["https"] || proto == ["http"], "{proto:?}");
    let port: Vec<_> = output.headers.values("x-forwarded-port").collect();
    assert_eq!(port.len(), 1);
    port[0].parse::<u16>().unwrap();
    let forwarded: Vec<_> = output.headers.values("forwarded").collect();
    assert_eq!(forwarded.len(), 1);
    let element = edge::forwarded::ForwardedElement {
        for_node: Some(edge::forwarded::for_node(&input.client_ip)),
        host: Some(&host.to_header_value()),
        proto: edge::proto::Proto::parse(proto[0]),
    };
    assert_eq!(forwarded[0], element.render());
    for stripped in STRIPPED.iter().map(|entry| entry.name) {
        let injected = [
            "x-forwarded-host",
            "x-forwarded-port",
            "forwarded",
            "x-cloudfront-forwarded-proto",
        ];
        if !injected.contains(&stripped) {
            assert!(!output.headers.contains(stripped), "{stripped} survived");
        }
    }
}

/// 512 cases by default; `PROPTEST_CASES=N` for a longer hunt.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn forwarded_proto_results_are_always_valid(event in origin_request_event()) {
        let input = event.cf().unwrap().clone();
        let config = forwarded_proto::Config::default();
        let result = <forwarded_proto::ForwardedProto as edge::EdgeFunction>::handle(&config, event).unwrap();
        if let Err(violations) = validate(EventType::OriginRequest, &input, &result) {
            panic!("CloudFront would reject {result:?}: {violations:?}");
        }
        if let EdgeResult::Request(output) = &result {
            assert_injected_headers_are_validated(&input.request, output, "x-cloudfront-forwarded-proto");
        }
    }

    #[test]
    fn keycloak_host_results_are_always_valid(event in origin_request_event()) {
        let input = event.cf().unwrap().clone();
        let result = <keycloak_host::KeycloakHost as edge::EdgeFunction>::handle(&keycloak_config(), event).unwrap();
        if let Err(violations) = validate(EventType::OriginRequest, &input, &result) {
            panic!("CloudFront would reject {result:?}: {violations:?}");
        }
        if let EdgeResult::Request(output) = &result {
            assert_injected_headers_are_validated(&input.request, output, "x-cloudfront-forwarded-proto");
            let host = parse_host(input.request.headers.first("host").unwrap()).unwrap();
            assert!(["auth.example.com", "d111111abcdef8.cloudfront.net"].contains(&host.name.as_str()));
            let path = edge::path::normalize(&output.uri).unwrap();
            assert!(path.starts_with("/realms/") || path.starts_with("/resources/") || path == "/robots.txt", "{path}");
        }
    }

    #[test]
    fn arbitrary_json_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = edge::function::event_from_json(&bytes);
    }
}
