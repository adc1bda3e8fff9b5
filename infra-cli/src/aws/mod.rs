//! Every AWS SDK call the CLI makes lives under this module; callers get typed results.
//!
//! Configuration follows the standard AWS chain (`AWS_PROFILE`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, shared config files) with the CLI's global options on top.

pub mod canary;
pub mod cloudfront;
pub mod iam;
pub mod lambda;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use clap::Args;

/// Where and as whom AWS calls go: the options every command accepts (flattened into the
/// global options, shown under their own heading).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "AWS options")]
pub struct AwsOptions {
    /// AWS region for regional calls (edge functions always go to us-east-1).
    #[arg(long, global = true, env = "AWS_REGION")]
    pub region: Option<String>,
    /// AWS named profile.
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (moto, LocalStack, ...).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
}

/// Lambda@Edge functions must be created in us-east-1 and CloudFront is a global service
/// whose API lives there. [AWS CloudFront Developer Guide, "Restrictions on Lambda@Edge"]
pub const EDGE_REGION: &str = "us-east-1";

/// Why an AWS call failed: the operation, what the SDK reported (its error context: the
/// service's code and message, or the dispatch failure), and the fix where one is known.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{operation} failed: {detail}")]
pub struct AwsError {
    pub operation: String,
    pub detail: String,
    #[help]
    pub help: Option<String>,
}

impl AwsError {
    /// A failed SDK call; `err` is an SDK error (`SdkError<…>`), rendered with its context.
    pub fn call<E: std::error::Error + 'static>(operation: impl Into<String>, err: &E) -> Self {
        Self {
            operation: operation.into(),
            detail: aws_sdk_cloudfront::error::DisplayErrorContext(err).to_string(),
            help: None,
        }
    }

    /// A call that succeeded without a field the CLI needs.
    pub fn missing(operation: impl Into<String>, field: &str) -> Self {
        Self {
            operation: operation.into(),
            detail: format!("the answer has no {field}"),
            help: None,
        }
    }

    /// The same error with the fix.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The HTTPS client every SDK call goes through: rustls with ring, the one crypto provider
/// of the workspace (the SDK's default client would bring aws-lc-rs as a second one).
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Loads the SDK configuration from the standard chain plus the global options.
/// `region` overrides both `--region` and the environment (used to pin us-east-1).
pub async fn sdk_config(aws: &AwsOptions, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
    if let Some(profile) = &aws.profile {
        loader = loader.profile_name(profile);
    }
    match (region, &aws.region) {
        (Some(region), _) => loader = loader.region(Region::new(region.to_owned())),
        (None, Some(region)) => loader = loader.region(Region::new(region.clone())),
        (None, None) => {}
    }
    if let Some(endpoint) = &aws.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}
