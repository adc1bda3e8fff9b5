//! Read-only CloudFront calls for `edgekit doctor`: one distribution with its status
//! (GetDistribution) and the headers an origin request policy forwards (GetOriginRequestPolicy).
use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::DistributionConfig;

use super::AwsError;

/// A distribution as GetDistribution shows it: deployment status and config.
#[derive(Debug, Clone)]
pub struct DistributionState {
    pub id: String,
    /// `Deployed` or `InProgress`.
    pub status: String,
    pub domain_name: String,
    pub config: DistributionConfig,
}

/// Reads a distribution's status and config (GetDistribution).
pub async fn get_distribution(client: &Client, id: &str) -> Result<DistributionState, AwsError> {
    let operation = || format!("GetDistribution {id}");
    let out = client
        .get_distribution()
        .id(id)
        .send()
        .await
        .map_err(|err| AwsError::call(operation(), &err))?;
    let dist = out
        .distribution
        .ok_or_else(|| AwsError::missing(operation(), "Distribution"))?;
    let config = dist
        .distribution_config
        .ok_or_else(|| AwsError::missing(operation(), "DistributionConfig"))?;
    Ok(DistributionState {
        id: dist.id,
        status: dist.status,
        domain_name: dist.domain_name,
        config,
    })
}

/// What an origin request policy forwards of the request headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyHeaders {
    pub id: String,
    pub name: String,
    /// HeaderBehavior: `none`, `whitelist`, `allViewer`, `allViewerAndWhitelistCloudFront`,
    /// `allExcept`.
    pub behavior: String,
    /// The listed headers (their meaning depends on `behavior`).
    pub headers: Vec<String>,
}

/// Reads an origin request policy's header settings (GetOriginRequestPolicy; managed policies
/// answer too).
pub async fn origin_request_policy(client: &Client, id: &str) -> Result<PolicyHeaders, AwsError> {
    let operation = || format!("GetOriginRequestPolicy {id}");
    let out = client
        .get_origin_request_policy()
        .id(id)
        .send()
        .await
        .map_err(|err| AwsError::call(operation(), &err))?;
    let config = out
        .origin_request_policy
        .and_then(|p| p.origin_request_policy_config)
        .ok_or_else(|| AwsError::missing(operation(), "OriginRequestPolicyConfig"))?;
    let (behavior, headers) = match config.headers_config {
        Some(h) => (
            h.header_behavior.as_str().to_owned(),
            h.headers.and_then(|h| h.items).unwrap_or_default(),
        ),
        None => ("none".to_owned(), Vec::new()),
    };
    Ok(PolicyHeaders {
        id: id.to_owned(),
        name: config.name,
        behavior,
        headers,
    })
}
