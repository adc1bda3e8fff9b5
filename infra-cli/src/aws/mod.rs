//! Every AWS SDK call the CLI makes lives under this module; callers get typed results.
//!
//! Configuration follows the standard AWS chain (`AWS_PROFILE`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, shared config files) with the CLI's global options on top.

pub mod acm;
pub mod canary;
pub mod cloudfront;
pub mod cloudfront_functions;
pub mod cloudfront_read;
pub mod ec2;
pub mod ecs;
pub mod elbv2;
pub mod error;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod route53;

pub use error::{Cause, SdkFailure, set_verbosity};

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

/// Why an AWS call failed, as the AWS CLI says it: the operation, then the service's error
/// code and message (`GetDistributionConfig E1: NoSuchDistribution: The specified
/// distribution does not exist.`) or what kept the call from the service (no credentials, an
/// unreachable endpoint); the fix where one is known.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{operation}: {detail}")]
pub struct AwsError {
    pub operation: String,
    pub detail: String,
    #[help]
    pub help: Option<String>,
    /// What went wrong, for callers that act on it (None for [`AwsError::missing`]).
    pub cause: Option<Cause>,
}

impl AwsError {
    /// A failed SDK call (`SdkError` or a waiter's `WaiterError`): the code-specific fix
    /// when the failure is one users meet; `with_help` adds the call site's fix otherwise.
    pub fn call<E: SdkFailure>(operation: impl Into<String>, err: &E) -> Self {
        let operation = operation.into();
        let cause = err.failure_cause();
        let mut detail = cause.detail();
        // -vv: the SDK's whole context, unless the raw answer is already there.
        if !matches!(cause, Cause::Service { raw: Some(_), .. })
            && let Some(raw) = error::raw_context(err)
        {
            detail.push_str(&format!("\nSDK error: {raw}"));
        }
        let help = cause.help(error::iam_action::<E>(&operation).as_deref());
        Self {
            operation,
            detail,
            help,
            cause: Some(cause),
        }
    }

    /// The service's error code, when the service answered with one.
    pub fn error_code(&self) -> Option<&str> {
        match &self.cause {
            Some(Cause::Service { code, .. }) => code.as_deref(),
            _ => None,
        }
    }

    /// A call that succeeded without a field the CLI needs.
    pub fn missing(operation: impl Into<String>, field: &str) -> Self {
        Self {
            operation: operation.into(),
            detail: format!("the answer has no {field}"),
            help: None,
            cause: None,
        }
    }

    /// The same error with the call site's fix, unless a fix for its error code applies.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        if self.help.is_none() {
            self.help = Some(help.into());
        }
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
        error::remember_endpoint(endpoint);
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}
