//! SDK clients whose calls are answered by `aws-smithy-mocks` rules, in order, for the
//! control-plane tests moto cannot serve (associations it drops, ETag conflicts it never
//! answers). Here rather than in `tests/src`: aws-smithy-mocks is a dev-dependency.

use aws_sdk_cloudfront::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client};

/// The rules, answered one after another (a call with no rule left fails the test).
fn sequential(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::Sequential),
        |interceptor, rule| interceptor.with_rule(rule),
    )
}

/// A CloudFront client answered by `rules`, in order.
pub fn cloudfront(rules: &[&Rule]) -> aws_sdk_cloudfront::Client {
    aws_sdk_cloudfront::Client::from_conf(
        aws_sdk_cloudfront::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .http_client(create_mock_http_client())
            .interceptor(sequential(rules))
            .build(),
    )
}

/// A Lambda client answered by `rules`, in order.
pub fn lambda(rules: &[&Rule]) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .http_client(create_mock_http_client())
            .interceptor(sequential(rules))
            .build(),
    )
}
