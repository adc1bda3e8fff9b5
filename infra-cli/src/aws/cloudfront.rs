//! CloudFront calls: read a config with its ETag, apply a plan with If-Match (re-reading and
//! re-planning on PreconditionFailed), create and find distributions, wait for deployment.
use std::time::Duration;

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::client::Waiters;
use aws_sdk_cloudfront::types::{DistributionConfig, DistributionSummary};
use aws_smithy_runtime_api::client::waiters::error::WaiterError;

use serde::Serialize;

use super::AwsError;
use crate::plan::PlanError;
use crate::plan::associations::Plan;
use crate::plan::diff::{self, Change};

/// How many read-plan-write rounds `apply_plan` makes before giving up on PreconditionFailed.
pub const MAX_UPDATE_ATTEMPTS: u32 = 5;

/// A distribution config and the ETag it was read with (the If-Match of the next update).
#[derive(Debug, Clone)]
pub struct VersionedConfig {
    pub config: DistributionConfig,
    pub etag: String,
}

/// A distribution as the list call shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistributionInfo {
    pub id: String,
    pub domain_name: String,
    pub comment: String,
    pub status: String,
    /// Lambda@Edge ARNs on any of its behaviors (as the list call reports them).
    #[serde(skip)]
    pub function_arns: Vec<String>,
}

/// The result of applying a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum ApplyOutcome {
    /// Nothing to change: no write call was made.
    Unchanged { reason: String },
    /// `--dry-run`: what would be written, in the CloudFront API's JSON shape (secrets
    /// masked); no write call was made. `--output json` shows `changes`, text the diff.
    DryRun {
        summary: String,
        changes: Vec<Change>,
        /// The unified diff, plain.
        #[serde(skip)]
        diff: String,
        /// The same diff coloured, for a terminal.
        #[serde(skip)]
        colored_diff: String,
    },
    /// UpdateDistribution succeeded.
    Updated {
        summary: String,
        etag: String,
        attempts: u32,
    },
}

/// Reads a distribution's config and ETag (GetDistributionConfig).
pub async fn get_config(client: &Client, id: &str) -> Result<VersionedConfig, AwsError> {
    let out = client
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(|err| AwsError::call(format!("GetDistributionConfig {id}"), &err))?;
    let operation = || format!("GetDistributionConfig {id}");
    let config = out
        .distribution_config
        .ok_or_else(|| AwsError::missing(operation(), "DistributionConfig"))?;
    let etag = out
        .e_tag
        .ok_or_else(|| AwsError::missing(operation(), "ETag"))?;
    Ok(VersionedConfig { config, etag })
}

/// Read config + ETag, plan, and write with If-Match; on PreconditionFailed (someone changed
/// the distribution in between) re-read and re-plan, up to [`MAX_UPDATE_ATTEMPTS`] rounds.
/// ["UpdateDistribution", CloudFront API Reference: IfMatch, PreconditionFailed (412)]
pub async fn apply_plan<F>(
    client: &Client,
    id: &str,
    dry_run: bool,
    plan_fn: F,
) -> miette::Result<ApplyOutcome>
where
    F: Fn(&DistributionConfig) -> Result<Plan, PlanError>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = get_config(client, id).await?;
        let (config, summary) = match plan_fn(&current.config)? {
            Plan::Unchanged { reason } => return Ok(ApplyOutcome::Unchanged { reason }),
            Plan::Change { config, summary } => (config, summary),
        };
        if dry_run {
            return Ok(dry_run_outcome(&current.config, &config, summary));
        }
        tracing::debug!(
            distribution = id,
            attempt,
            "UpdateDistribution with If-Match"
        );
        let result = client
            .update_distribution()
            .id(id)
            .if_match(&current.etag)
            .distribution_config(*config)
            .send()
            .await;
        match result {
            Ok(out) => {
                return Ok(ApplyOutcome::Updated {
                    summary,
                    etag: out.e_tag.unwrap_or_default(),
                    attempts: attempt,
                });
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_precondition_failed())
                    && attempt < MAX_UPDATE_ATTEMPTS =>
            {
                tracing::info!(
                    distribution = id,
                    attempt,
                    "distribution changed since it was read (PreconditionFailed); re-reading"
                );
                continue;
            }
            Err(err) => {
                // PreconditionFailed after the last round has its own fix (see aws::error).
                return Err(AwsError::call(format!("UpdateDistribution {id}"), &err)
                    .with_help("nothing was changed; fix the cause above and run the command again")
                    .into());
            }
        }
    }
}

/// The dry-run result: the planned change as API-shaped JSON, its changed paths and its diff.
fn dry_run_outcome(
    current: &DistributionConfig,
    planned: &DistributionConfig,
    summary: String,
) -> ApplyOutcome {
    let before = diff::config_json(current);
    let after = diff::config_json(planned);
    ApplyOutcome::DryRun {
        summary,
        changes: diff::changes(&before, &after),
        diff: diff::unified(&before, &after, false),
        colored_diff: diff::unified(&before, &after, true),
    }
}

/// Every distribution of the account (ListDistributions, all pages).
pub async fn list_distributions(client: &Client) -> Result<Vec<DistributionInfo>, AwsError> {
    let summaries = distribution_summaries(client).await?;
    Ok(summaries
        .into_iter()
        .map(|item| {
            let function_arns = item
                .default_cache_behavior
                .iter()
                .filter_map(|b| b.lambda_function_associations.as_ref())
                .chain(
                    item.cache_behaviors
                        .iter()
                        .flat_map(|c| c.items())
                        .filter_map(|b| b.lambda_function_associations.as_ref()),
                )
                .flat_map(|assocs| assocs.items().iter().map(|a| a.lambda_function_arn.clone()))
                .collect();
            DistributionInfo {
                id: item.id,
                domain_name: item.domain_name,
                comment: item.comment,
                status: item.status,
                function_arns,
            }
        })
        .collect())
}

/// ListDistributions, every page.
async fn distribution_summaries(client: &Client) -> Result<Vec<DistributionSummary>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_distributions()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|err| AwsError::call("ListDistributions", &err))?;
        let Some(list) = page.distribution_list else {
            break;
        };
        out.extend(list.items.unwrap_or_default());
        match (list.is_truncated, list.next_marker) {
            (true, Some(next)) if !next.is_empty() => marker = Some(next),
            _ => break,
        }
    }
    Ok(out)
}

/// Creates a distribution and returns its id and domain name.
pub async fn create_distribution(
    client: &Client,
    config: DistributionConfig,
) -> Result<DistributionInfo, AwsError> {
    let comment = config.comment.clone();
    let out = client
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .map_err(|err| {
            AwsError::call("CreateDistribution", &err).with_help(
                "nothing was created; fix the cause above and run the command again (it is idempotent)",
            )
        })?;
    let dist = out
        .distribution
        .ok_or_else(|| AwsError::missing("CreateDistribution", "Distribution"))?;
    Ok(DistributionInfo {
        id: dist.id,
        domain_name: dist.domain_name,
        comment,
        status: dist.status,
        function_arns: Vec::new(),
    })
}

/// Waits with the SDK's DistributionDeployed waiter (no fixed sleeps).
pub async fn wait_deployed(client: &Client, id: &str, timeout: Duration) -> Result<(), AwsError> {
    client
        .wait_until_distribution_deployed()
        .id(id)
        .wait(timeout)
        .await
        .map_err(|err| {
            let timed_out = matches!(err, WaiterError::ExceededMaxWait(_));
            let error = AwsError::call(format!("GetDistribution {id} (waiting for the deployment)"), &err);
            // Only a wait that ran out of time means "not deployed yet"; a failed call says
            // what failed (endpoint, credentials, unknown id) with its own fix.
            if timed_out {
                AwsError {
                    detail: format!("distribution {id} is not deployed yet ({})", error.detail),
                    ..error
                }
                .with_help(
                    "CloudFront deployments usually take a few minutes; run `edgekit wait` again to keep waiting",
                )
            } else {
                error
            }
        })?;
    Ok(())
}

/// A CloudFront client for the CLI's global options (CloudFront's API lives in us-east-1).
pub async fn client(aws: &super::AwsOptions) -> Client {
    Client::new(&super::sdk_config(aws, Some(super::EDGE_REGION)).await)
}

/// A distribution's names and certificate as the list call shows them (`edgekit domain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionAliases {
    pub id: String,
    pub domain_name: String,
    pub comment: String,
    pub aliases: Vec<String>,
    pub acm_certificate_arn: Option<String>,
    pub ipv6: bool,
}

/// Every distribution's aliases and ACM certificate (ListDistributions, all pages).
pub async fn list_distribution_aliases(
    client: &Client,
) -> Result<Vec<DistributionAliases>, AwsError> {
    let summaries = distribution_summaries(client).await?;
    Ok(summaries
        .into_iter()
        .map(|d| DistributionAliases {
            aliases: d.aliases.and_then(|a| a.items).unwrap_or_default(),
            acm_certificate_arn: d
                .viewer_certificate
                .and_then(|v| v.acm_certificate_arn)
                .filter(|arn| !arn.is_empty()),
            id: d.id,
            domain_name: d.domain_name,
            comment: d.comment,
            ipv6: d.is_ipv6_enabled,
        })
        .collect())
}

/// The ids of the distributions with a CloudFront Function named `name` on any behavior
/// (ListDistributions, all pages; the summaries carry every behavior's FunctionAssociations).
pub async fn distributions_running_function(
    client: &Client,
    name: &str,
) -> Result<Vec<String>, AwsError> {
    let runs = |assocs: Option<&aws_sdk_cloudfront::types::FunctionAssociations>| {
        assocs.is_some_and(|a| {
            a.items().iter().any(|f| {
                crate::plan::arn::CloudFrontFunctionArn::parse(&f.function_arn)
                    .is_ok_and(|arn| arn.name == name)
            })
        })
    };
    let summaries = distribution_summaries(client).await?;
    Ok(summaries
        .into_iter()
        .filter(|d| {
            runs(
                d.default_cache_behavior
                    .as_ref()
                    .and_then(|b| b.function_associations.as_ref()),
            ) || d.cache_behaviors.as_ref().is_some_and(|c| {
                c.items()
                    .iter()
                    .any(|b| runs(b.function_associations.as_ref()))
            })
        })
        .map(|d| d.id)
        .collect())
}
