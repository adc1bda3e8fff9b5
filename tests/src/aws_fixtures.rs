//! A hand-made CloudFront distribution config with every kind of setting edgekit must
//! keep untouched (aliases, two origins, several behaviors, an existing viewer-request
//! association, custom error responses, logging), shared by the moto and the mock tests.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use aws_sdk_cloudfront::types::{
    Aliases, CacheBehavior, CacheBehaviors, CustomErrorResponse, CustomErrorResponses,
    CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, EventType,
    LambdaFunctionAssociation, LambdaFunctionAssociations, LoggingConfig, Origin,
    OriginProtocolPolicy, Origins, ViewerProtocolPolicy,
};

/// The function already attached (viewer-request) to the rich distribution.
pub const VIEWER_AUTH: &str = "arn:aws:lambda:us-east-1:123456789012:function:viewer-auth:2";

/// A Lambda@Edge association without request body.
pub fn association(arn: &str, event: EventType) -> LambdaFunctionAssociation {
    LambdaFunctionAssociation::builder()
        .lambda_function_arn(arn)
        .event_type(event)
        .include_body(false)
        .build()
        .unwrap()
}

/// The rich config; `extra` associations are added after the viewer-request one on the
/// default behavior.
pub fn rich_distribution_config(extra: &[LambdaFunctionAssociation]) -> DistributionConfig {
    let mut associations = vec![association(VIEWER_AUTH, EventType::ViewerRequest)];
    associations.extend_from_slice(extra);
    let origin = |id: &str, domain: &str| {
        Origin::builder()
            .id(id)
            .domain_name(domain)
            .custom_origin_config(
                CustomOriginConfig::builder()
                    .http_port(80)
                    .https_port(443)
                    .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    let behavior = |pattern: &str, origin: &str| {
        CacheBehavior::builder()
            .path_pattern(pattern)
            .target_origin_id(origin)
            .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
            .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
            .build()
            .unwrap()
    };
    DistributionConfig::builder()
        .caller_reference("rich-distribution")
        .comment("hand-made, not edgekit's")
        .enabled(true)
        .aliases(
            Aliases::builder()
                .quantity(2)
                .items("app.example.com")
                .items("www.example.com")
                .build()
                .unwrap(),
        )
        .origins(
            Origins::builder()
                .quantity(2)
                .items(origin("app", "app-alb.example.com"))
                .items(origin("static", "static.example.com"))
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("app")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
                .lambda_function_associations(
                    LambdaFunctionAssociations::builder()
                        .quantity(associations.len() as i32)
                        .set_items(Some(associations))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .cache_behaviors(
            CacheBehaviors::builder()
                .quantity(2)
                .items(behavior("/api/*", "app"))
                .items(behavior("/static/*", "static"))
                .build()
                .unwrap(),
        )
        .custom_error_responses(
            CustomErrorResponses::builder()
                .quantity(1)
                .items(
                    CustomErrorResponse::builder()
                        .error_code(503)
                        .response_page_path("/maintenance.html")
                        .response_code("503")
                        .error_caching_min_ttl(10)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .logging(
            LoggingConfig::builder()
                .enabled(true)
                .include_cookies(false)
                .bucket("logs.s3.amazonaws.com")
                .prefix("cf/")
                .build(),
        )
        .build()
        .unwrap()
}
