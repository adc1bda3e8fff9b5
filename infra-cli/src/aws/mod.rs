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

/// Loads the SDK configuration from the standard chain plus the global options.
/// `region` overrides both `--region` and the environment (used to pin us-east-1).
pub async fn sdk_config(aws: &AwsOptions, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
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
