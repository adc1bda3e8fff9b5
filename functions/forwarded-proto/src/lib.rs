//! forwarded-proto, an origin-request function: validates the viewer's protocol and
//! injects it (with host and client address) in headers that survive the ALB.
//!
//! Why not `X-Forwarded-Proto`: it is disallowed at the edge (adding it is a validation
//! error, HTTP 502) [CloudFront Developer Guide, "Restrictions on all edge functions"], and
//! an HTTP ALB listener sets it to `http` anyway [Elastic Load Balancing guide, "X-Forwarded
//! headers"]. So the protocol travels in `X-Cloudfront-Forwarded-Proto` and RFC 7239
//! `Forwarded`, which the ALB passes through untouched.

use edge::forwarding::StripList;
use edge::policy::{
    self, ConfigProblem, DEFAULT_PROTO_HEADER, Forwarding, MissingProto, OriginHost, OriginVerify,
    ViewerContext,
};
use edge::proto::Proto;
use edge::{CloudFrontEvent, EdgeError, EdgeFunction, EdgeResult, EventType, response};
use serde::{Deserialize, Serialize};

#[cfg(target_arch = "wasm32")]
mod wasm;

/// What to do when `CloudFront-Forwarded-Proto` is missing (the origin request policy does
/// not include it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnMissingProto {
    /// Answer 500 with a body naming the origin request policy to attach (default): a
    /// misconfigured distribution shows up at once instead of as a Secure-cookie mystery.
    #[default]
    Reject,
    /// Treat the viewer as https (only right when the viewer protocol policy is https-only
    /// or redirect-to-https).
    AssumeHttps,
}

/// forwarded-proto's configuration (JSON, snake_case keys; unknown keys are an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Missing `CloudFront-Forwarded-Proto`: `reject` (default) or `assume-https`.
    pub on_missing_proto: OnMissingProto,
    /// Viewer on http: 301 to https for GET/HEAD, 403 otherwise (default true).
    pub require_https: bool,
    /// Client headers removed in addition to the defaults ([`edge::forwarding::STRIPPED`]).
    pub strip_headers: Vec<String>,
    /// Defaults deliberately let through (each must be a default).
    pub keep_headers: Vec<String>,
    /// Header carrying `http`/`https` to the app (default `X-Cloudfront-Forwarded-Proto`).
    pub proto_header: String,
    /// Allowed viewer hosts; empty means any valid host. Unknown host → 421.
    pub public_hosts: Vec<String>,
    /// `keep` (default) or `origin-domain`.
    pub origin_host: OriginHost,
    /// Secret header added to every origin request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_verify: Option<OriginVerify>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            on_missing_proto: OnMissingProto::Reject,
            require_https: true,
            strip_headers: Vec::new(),
            keep_headers: Vec::new(),
            proto_header: DEFAULT_PROTO_HEADER.to_owned(),
            public_hosts: Vec::new(),
            origin_host: OriginHost::Keep,
            origin_verify: None,
        }
    }
}

/// The function, for hosts that are generic over [`edge::EdgeFunction`].
pub struct ForwardedProto;

impl EdgeFunction for ForwardedProto {
    type Config = Config;
    type Error = EdgeError;
    const NAME: &'static str = "forwarded-proto";
    const TRIGGER: EventType = EventType::OriginRequest;
    // `handle` reads the lines of these only (the viewer's protocol and Host).
    const READS_HEADERS: Option<&'static [&'static str]> = Some(policy::PROLOGUE_HEADERS);

    /// Semantic checks of a config.
    fn check_config(config: &Config) -> Result<(), ConfigProblem> {
        policy::check_injectable_header("proto_header", &config.proto_header)?;
        policy::check_strip_lists(&config.strip_headers, &config.keep_headers)?;
        policy::check_host_list("public_hosts", &config.public_hosts)?;
        if let Some(verify) = &config.origin_verify {
            verify.check("origin_verify")?;
        }
        Ok(())
    }

    /// Handles one origin-request event.
    fn handle(config: &Config, event: CloudFrontEvent) -> Result<EdgeResult, EdgeError> {
        let request = event.into_request_for(Self::TRIGGER)?;

        let missing = match config.on_missing_proto {
            OnMissingProto::Reject => MissingProto::Reject,
            OnMissingProto::AssumeHttps => MissingProto::Assume(Proto::Https),
        };
        let (proto, host) = match policy::viewer_proto_and_host(&request, missing) {
            Ok(viewer) => viewer,
            Err(answer) => return Ok(EdgeResult::Response(*answer)),
        };
        if !config.public_hosts.is_empty()
            && !policy::host_allowed(&config.public_hosts, &host, proto)
        {
            return Ok(EdgeResult::Response(response::error(
                421,
                "This host is not served here.\n",
            )));
        }
        if config.require_https && proto == Proto::Http {
            return Ok(EdgeResult::Response(policy::require_https_response(
                &host, &request,
            )));
        }

        let viewer = ViewerContext {
            client_ip: request.client_ip.clone(),
            host,
            proto,
        };
        let forwarding = Forwarding {
            strip: StripList {
                extra: &config.strip_headers,
                keep: &config.keep_headers,
            },
            proto_header: &config.proto_header,
            origin_host: config.origin_host,
            origin_verify: config.origin_verify.as_ref(),
        };
        Ok(policy::forward(request, &viewer, &forwarding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge::function::config_from_json;
    use edge::policy::Secret;

    fn event(headers: &[(&str, &str)]) -> CloudFrontEvent {
        let mut event: CloudFrontEvent =
            serde_json::from_str(include_str!("../../../events/aws-origin-request.json")).unwrap();
        let request = &mut event.records[0].cf.request;
        for (key, value) in headers {
            request.headers.append(key, *value);
        }
        event
    }

    fn forwarded(result: EdgeResult) -> edge::Request {
        match result {
            EdgeResult::Request(request) => request,
            EdgeResult::Response(response) => panic!("expected a request, got {response:?}"),
        }
    }

    fn generated(result: EdgeResult) -> edge::Response {
        match result {
            EdgeResult::Response(response) => response,
            EdgeResult::Request(request) => panic!("expected a response, got {request:?}"),
        }
    }

    #[test]
    fn https_viewer_gets_proto_forwarded_host_and_port() {
        let out = forwarded(
            ForwardedProto::handle(
                &Config::default(),
                event(&[("CloudFront-Forwarded-Proto", "https")]),
            )
            .unwrap(),
        );
        assert_eq!(
            out.headers.first("x-cloudfront-forwarded-proto"),
            Some("https")
        );
        assert_eq!(
            out.headers.first("forwarded"),
            Some("for=203.0.113.178;host=example.org;proto=https")
        );
        assert_eq!(out.headers.first("x-forwarded-host"), Some("example.org"));
        assert_eq!(out.headers.first("x-forwarded-port"), Some("443"));
        assert!(!out.headers.contains("x-forwarded-proto"));
    }

    #[test]
    fn spoofed_forwarding_headers_are_replaced() {
        let out = forwarded(
            ForwardedProto::handle(
                &Config::default(),
                event(&[
                    ("CloudFront-Forwarded-Proto", "https"),
                    ("X-Forwarded-Host", "evil.example"),
                    ("Forwarded", "for=1.2.3.4;host=evil.example;proto=https"),
                    ("X-Original-URL", "/admin"),
                ]),
            )
            .unwrap(),
        );
        assert_eq!(
            out.headers.values("x-forwarded-host").collect::<Vec<_>>(),
            ["example.org"]
        );
        assert_eq!(out.headers.count("forwarded"), 1);
        assert!(!out.headers.contains("x-original-url"));
    }

    #[test]
    fn missing_proto_is_rejected_by_default_and_assumed_when_asked() {
        let response = generated(ForwardedProto::handle(&Config::default(), event(&[])).unwrap());
        assert_eq!(response.status, "500");
        assert!(
            response
                .body
                .unwrap()
                .contains("AllViewerAndCloudFrontHeaders-2022-06")
        );
        let config = Config {
            on_missing_proto: OnMissingProto::AssumeHttps,
            ..Config::default()
        };
        let out = forwarded(ForwardedProto::handle(&config, event(&[])).unwrap());
        assert_eq!(
            out.headers.first("x-cloudfront-forwarded-proto"),
            Some("https")
        );
    }

    #[test]
    fn http_viewer_is_redirected_or_refused() {
        let response = generated(
            ForwardedProto::handle(
                &Config::default(),
                event(&[("CloudFront-Forwarded-Proto", "http")]),
            )
            .unwrap(),
        );
        assert_eq!(response.status, "301");
        assert_eq!(
            response.headers.first("location"),
            Some("https://example.org/")
        );
        let mut post = event(&[("CloudFront-Forwarded-Proto", "http")]);
        post.records[0].cf.request.method = "POST".into();
        assert_eq!(
            generated(ForwardedProto::handle(&Config::default(), post).unwrap()).status,
            "403"
        );
        let relaxed = Config {
            require_https: false,
            ..Config::default()
        };
        let out = forwarded(
            ForwardedProto::handle(&relaxed, event(&[("CloudFront-Forwarded-Proto", "http")]))
                .unwrap(),
        );
        assert_eq!(
            out.headers.first("x-cloudfront-forwarded-proto"),
            Some("http")
        );
        assert_eq!(out.headers.first("x-forwarded-port"), Some("80"));
    }

    #[test]
    fn malformed_proto_and_host_get_400_unknown_host_421() {
        let bad = ForwardedProto::handle(
            &Config::default(),
            event(&[("CloudFront-Forwarded-Proto", "wss")]),
        )
        .unwrap();
        assert_eq!(generated(bad).status, "400");
        let mut comma = event(&[("CloudFront-Forwarded-Proto", "https")]);
        comma.records[0]
            .cf
            .request
            .headers
            .set("Host", "a.example,b.example");
        assert_eq!(
            generated(ForwardedProto::handle(&Config::default(), comma).unwrap()).status,
            "400"
        );
        let config = Config {
            public_hosts: vec!["app.example.com".into()],
            ..Config::default()
        };
        let unknown =
            ForwardedProto::handle(&config, event(&[("CloudFront-Forwarded-Proto", "https")]))
                .unwrap();
        assert_eq!(generated(unknown).status, "421");
    }

    #[test]
    fn origin_host_and_origin_verify() {
        let config = Config {
            origin_host: OriginHost::OriginDomain,
            origin_verify: Some(OriginVerify {
                header: "X-Origin-Verify".into(),
                secret: Secret::new("0123456789abcdef"),
            }),
            ..Config::default()
        };
        let mut input = event(&[
            ("CloudFront-Forwarded-Proto", "https"),
            ("X-Origin-Verify", "guess"),
        ]);
        input.records[0]
            .cf
            .request
            .headers
            .set("Host", "app.example.com");
        if let Some(custom) = input.records[0]
            .cf
            .request
            .origin
            .as_mut()
            .and_then(|o| o.custom.as_mut())
        {
            custom.domain_name = "alb-123.us-east-1.elb.amazonaws.com".into();
        }
        let out = forwarded(ForwardedProto::handle(&config, input).unwrap());
        assert_eq!(
            out.headers.first("host"),
            Some("alb-123.us-east-1.elb.amazonaws.com")
        );
        assert_eq!(
            out.headers.first("x-forwarded-host"),
            Some("app.example.com")
        );
        assert_eq!(
            out.headers.values("x-origin-verify").collect::<Vec<_>>(),
            ["0123456789abcdef"]
        );
    }

    #[test]
    fn config_errors_name_the_field() {
        let err = config_from_json::<ForwardedProto>(r#"{"requre_https": true}"#).unwrap_err();
        assert!(err.reason.contains("requre_https"), "{err}");
        let err = config_from_json::<ForwardedProto>(r#"{"proto_header": "X-Forwarded-Proto"}"#)
            .unwrap_err();
        assert_eq!(err.field, "proto_header");
        let err =
            config_from_json::<ForwardedProto>(r#"{"on_missing_proto": "maybe"}"#).unwrap_err();
        assert_eq!(err.field, "on_missing_proto");
        let err = config_from_json::<ForwardedProto>(
            r#"{"origin_verify": {"header": "X-V", "secret": "short"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.field, "origin_verify.secret");
        assert!(!err.to_string().contains("short"));
    }
}
