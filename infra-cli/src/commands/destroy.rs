//! `edgekit destroy`: detach a function from every distribution, then delete it (a Lambda@Edge
//! function, or with `--runtime cloudfront-js-2.0` a CloudFront Function: detach its
//! FunctionAssociations everywhere, wait for those deployments, DeleteFunction with If-Match).
//!
//! Resumable: every step is idempotent (nothing attached: no write; function gone: done), so
//! running it again continues where it stopped. Replicas: Lambda@Edge functions can only be
//! deleted after CloudFront has removed their replicas, typically hours after the last
//! association is gone. [CloudFront Developer Guide, "Delete Lambda@Edge functions and
//! replicas"]
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use crate::aws::cloudfront::{self, ApplyOutcome};
use crate::aws::lambda::{self, DeleteOutcome};
use crate::cli::GlobalArgs;
use crate::output::{Progress, print_result};
use crate::plan::arn::is_version_of;
use crate::plan::associations::{
    BehaviorTarget, CffDetachRequest, CffSelector, DetachRequest, FunctionSelector, plan_detach,
    plan_detach_cff,
};

use crate::functions::EdgeRuntime;

/// Exit code when the function is detached everywhere but CloudFront still holds replicas.
pub const EXIT_REPLICAS_PENDING: u8 = 3;

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Lambda function name (e.g. edgekit-forwarded-proto), or the CloudFront Function's name
    /// with --runtime cloudfront-js-2.0.
    #[arg(long)]
    pub function: String,
    /// Which kind of function to destroy.
    #[arg(long, value_enum, default_value_t = EdgeRuntime::LambdaEdge)]
    pub runtime: EdgeRuntime,
    /// When replicas still exist, keep retrying the delete with backoff (up to --max-wait).
    #[arg(long)]
    pub wait_replicas: bool,
    /// Upper bound for --wait-replicas, in seconds.
    #[arg(long, default_value_t = 6 * 3600)]
    pub max_wait: u64,
    /// Upper bound for each distribution deployment wait, in seconds.
    #[arg(long, default_value_t = 1800)]
    pub deploy_timeout: u64,
}

/// How `destroy` ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum DestroyOutcome {
    Deleted,
    /// Nothing to delete (an earlier run finished the job).
    AlreadyGone,
    /// Detached everywhere; CloudFront still holds replicas.
    ReplicasPending {
        message: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct DestroyReport {
    pub function: String,
    /// Distributions the function was detached from in this run.
    pub detached_from: Vec<String>,
    #[serde(flatten)]
    pub outcome: DestroyOutcome,
}

/// Backoff for `--wait-replicas`.
#[derive(Debug, Clone, Copy)]
pub struct ReplicaWait {
    pub enabled: bool,
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub max_total: Duration,
}

/// Detach everywhere, wait for those deployments, delete (retrying on replicas if asked).
pub async fn destroy_function(
    cf: &aws_sdk_cloudfront::Client,
    lambda_client: &aws_sdk_lambda::Client,
    name: &str,
    deploy_timeout: Duration,
    replicas: ReplicaWait,
    progress: &Progress,
) -> miette::Result<DestroyReport> {
    let mut detached_from = Vec::new();
    let distributions = cloudfront::list_distributions(cf).await?;
    let request = DetachRequest {
        function: FunctionSelector::AnyVersionOf(name.to_owned()),
        event_type: None,
        target: BehaviorTarget::All,
    };
    for dist in distributions
        .iter()
        .filter(|d| d.function_arns.iter().any(|arn| is_version_of(arn, name)))
    {
        progress.update(format!("detaching {name} from {}", dist.id));
        let outcome =
            cloudfront::apply_plan(cf, &dist.id, false, |config| plan_detach(config, &request))
                .await?;
        if matches!(outcome, ApplyOutcome::Updated { .. }) {
            detached_from.push(dist.id.clone());
        }
    }
    for id in &detached_from {
        progress.update(format!("waiting for {id} to deploy without {name}"));
        cloudfront::wait_deployed(cf, id, deploy_timeout).await?;
    }
    let started = Instant::now();
    let mut delay = replicas.first_delay;
    let outcome = loop {
        progress.update(format!("deleting {name}"));
        match lambda::delete_function(lambda_client, name).await? {
            DeleteOutcome::Deleted => break DestroyOutcome::Deleted,
            DeleteOutcome::NotFound => break DestroyOutcome::AlreadyGone,
            DeleteOutcome::Replicated(message) => {
                if !replicas.enabled || started.elapsed() + delay > replicas.max_total {
                    break DestroyOutcome::ReplicasPending { message };
                }
                progress.update(format!(
                    "CloudFront still holds replicas of {name}; retrying in {}",
                    humanize(delay)
                ));
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(replicas.max_delay);
            }
        }
    };
    Ok(DestroyReport {
        function: name.to_owned(),
        detached_from,
        outcome,
    })
}

/// Detach a CloudFront Function from every behavior of every distribution, wait for those
/// deployments, then DeleteFunction with the DEVELOPMENT ETag as If-Match (re-read on
/// PreconditionFailed). CloudFront refuses to delete a function that is still associated
/// (FunctionInUse). [CloudFront API Reference, "DeleteFunction": IfMatch, FunctionInUse]
pub async fn destroy_cloudfront_function(
    cf: &aws_sdk_cloudfront::Client,
    name: &str,
    deploy_timeout: Duration,
    progress: &Progress,
) -> miette::Result<DestroyReport> {
    let request = CffDetachRequest {
        function: CffSelector::Name(name.to_owned()),
        event_type: None,
        target: BehaviorTarget::All,
    };
    let mut detached_from = Vec::new();
    for id in cloudfront::distributions_running_function(cf, name).await? {
        progress.update(format!("detaching CloudFront Function {name} from {id}"));
        let outcome =
            cloudfront::apply_plan(cf, &id, false, |config| plan_detach_cff(config, &request))
                .await?;
        if matches!(outcome, ApplyOutcome::Updated { .. }) {
            detached_from.push(id);
        }
    }
    for id in &detached_from {
        progress.update(format!("waiting for {id} to deploy without {name}"));
        cloudfront::wait_deployed(cf, id, deploy_timeout).await?;
    }
    let outcome = delete_cloudfront_function(cf, name, progress).await?;
    Ok(DestroyReport {
        function: name.to_owned(),
        detached_from,
        outcome,
    })
}

/// DescribeFunction (DEVELOPMENT) for the ETag, DeleteFunction with it; a function already
/// gone is `AlreadyGone`.
async fn delete_cloudfront_function(
    cf: &aws_sdk_cloudfront::Client,
    name: &str,
    progress: &Progress,
) -> miette::Result<DestroyOutcome> {
    use crate::aws::cloudfront_functions::{self as cff, Deleted};
    use aws_sdk_cloudfront::types::FunctionStage;
    for attempt in 1..=cloudfront::MAX_UPDATE_ATTEMPTS {
        let Some(dev) = cff::describe(cf, name, FunctionStage::Development).await? else {
            return Ok(DestroyOutcome::AlreadyGone);
        };
        let etag = dev.etag.unwrap_or_default();
        progress.update(format!("deleting CloudFront Function {name}"));
        match cff::delete(cf, name, &etag).await {
            Ok(Deleted::Deleted) => return Ok(DestroyOutcome::Deleted),
            Ok(Deleted::NotFound) => return Ok(DestroyOutcome::AlreadyGone),
            Err(err)
                if err.error_code() == Some("PreconditionFailed")
                    && attempt < cloudfront::MAX_UPDATE_ATTEMPTS =>
            {
                continue;
            }
            Err(err) => {
                return Err(err
                    .with_help(format!(
                        "if it is FunctionInUse, a distribution still runs {name}: run \
                         `edgekit destroy --runtime cloudfront-js-2.0 --function {name}` again \
                         once its deployment finished"
                    ))
                    .into());
            }
        }
    }
    Ok(DestroyOutcome::AlreadyGone)
}

fn humanize(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// The exit code for an outcome: success, or [`EXIT_REPLICAS_PENDING`].
pub fn exit_code(outcome: &DestroyOutcome) -> ExitCode {
    match outcome {
        DestroyOutcome::ReplicasPending { .. } => ExitCode::from(EXIT_REPLICAS_PENDING),
        _ => ExitCode::SUCCESS,
    }
}

pub async fn run(args: DestroyArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let cf = cloudfront::client(&global.aws).await;
    let progress = Progress::start(format!("destroying {}", args.function));
    if args.runtime == EdgeRuntime::CloudfrontFunctions {
        let report = destroy_cloudfront_function(
            &cf,
            &args.function,
            Duration::from_secs(args.deploy_timeout),
            &progress,
        )
        .await?;
        progress.finish(format!("destroy {}: done", args.function));
        print_destroy(global, &report);
        return Ok(exit_code(&report.outcome));
    }
    let lambda_client = lambda::client(&global.aws).await;
    let report = destroy_function(
        &cf,
        &lambda_client,
        &args.function,
        Duration::from_secs(args.deploy_timeout),
        ReplicaWait {
            enabled: args.wait_replicas,
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(15 * 60),
            max_total: Duration::from_secs(args.max_wait),
        },
        &progress,
    )
    .await?;
    progress.finish(format!("destroy {}: done", args.function));
    let code = exit_code(&report.outcome);
    print_destroy(global, &report);
    Ok(code)
}

fn print_destroy(global: &GlobalArgs, report: &DestroyReport) {
    print_result(global.output, report, |r| match &r.outcome {
        DestroyOutcome::Deleted => format!("deleted {}", r.function),
        DestroyOutcome::AlreadyGone => format!("{} does not exist (nothing to delete)", r.function),
        DestroyOutcome::ReplicasPending { message } => format!(
            "{} is detached from every distribution, but CloudFront still holds its replicas \
             ({message}).\nReplicas take hours to go: run `edgekit destroy --function {}` again \
             later, or add --wait-replicas to keep retrying (exit code {EXIT_REPLICAS_PENDING}).",
            r.function, r.function
        ),
    });
}
