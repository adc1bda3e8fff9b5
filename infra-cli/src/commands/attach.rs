//! `edgekit attach` / `edgekit detach`: change one function association, keep everything else.
//!
//! Read config + ETag, plan (pure, [`crate::plan::associations`]), write with If-Match,
//! re-plan on PreconditionFailed. Nothing to do means no write call at all. A CloudFront
//! Function (its ARN `arn:aws:cloudfront::<account>:function/<name>`, or `--runtime
//! cloudfront-js-2.0`) goes into the behavior's FunctionAssociations, Lambda@Edge into its
//! LambdaFunctionAssociations, through the same machinery.
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use edge::EventType;
use serde::Serialize;

use crate::aws::cloudfront::{self, ApplyOutcome};
use crate::cli::GlobalArgs;
use crate::output::{OutputFormat, print_result};
use crate::plan::arn::{CloudFrontFunctionArn, FunctionVersionArn};
use crate::plan::associations::{
    AttachRequest, BehaviorTarget, CffAttachRequest, CffDetachRequest, CffSelector, DetachRequest,
    FunctionSelector, plan_attach, plan_attach_cff, plan_detach, plan_detach_cff,
};

use crate::functions::EdgeRuntime;

/// The clap parser for an `--event-type` argument (CloudFront's names).
pub fn event_type_parser() -> impl TypedValueParser<Value = EventType> {
    PossibleValuesParser::new(EventType::ALL.map(EventType::as_str))
        .try_map(|name| name.parse::<EventType>())
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Distribution id (e.g. E2ABC123XYZ).
    #[arg(long)]
    pub distribution: String,
    /// Numbered version ARN in us-east-1, or a CloudFront Function ARN (what `edgekit
    /// publish` prints).
    #[arg(long)]
    pub function_arn: String,
    /// The function's runtime (default: told by the ARN).
    #[arg(long, value_enum)]
    pub runtime: Option<EdgeRuntime>,
    /// The CloudFront event to run on (default: origin-request for Lambda@Edge,
    /// viewer-request for a CloudFront Function).
    #[arg(long, value_parser = event_type_parser())]
    pub event_type: Option<EventType>,
    /// Cache behavior path pattern (default: the default cache behavior).
    #[arg(long)]
    pub path_pattern: Option<String>,
    /// Expose the request body to the function (request events only).
    #[arg(long)]
    pub include_body: bool,
    /// Replace another function already on this event type.
    #[arg(long)]
    pub replace: bool,
    /// Print the change as a diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DetachArgs {
    /// Distribution id (e.g. E2ABC123XYZ).
    #[arg(long)]
    pub distribution: String,
    /// A version ARN (that version only), or a function name / unqualified ARN (every
    /// version); a CloudFront Function ARN, or its name with --runtime cloudfront-js-2.0.
    #[arg(long)]
    pub function_arn: String,
    /// The function's runtime (default: told by the ARN; a bare name means Lambda@Edge).
    #[arg(long, value_enum)]
    pub runtime: Option<EdgeRuntime>,
    /// Only this event type (default: any).
    #[arg(long, value_parser = event_type_parser())]
    pub event_type: Option<EventType>,
    /// Cache behavior path pattern (default: the default cache behavior).
    #[arg(long, conflicts_with = "all_behaviors")]
    pub path_pattern: Option<String>,
    /// Detach from every cache behavior.
    #[arg(long)]
    pub all_behaviors: bool,
    /// Print the change as a diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
struct AttachReport<'a> {
    distribution: &'a str,
    #[serde(flatten)]
    outcome: &'a ApplyOutcome,
}

fn print_outcome(format: OutputFormat, distribution: &str, outcome: &ApplyOutcome) {
    let report = AttachReport {
        distribution,
        outcome,
    };
    print_result(format, &report, |r| match r.outcome {
        ApplyOutcome::Unchanged { reason } => format!("unchanged: {reason} (nothing written)"),
        ApplyOutcome::DryRun {
            summary,
            diff,
            colored_diff,
            ..
        } => {
            // Colour only for a person at a terminal; a file or a pipe gets plain text.
            let diff = if std::io::stdout().is_terminal() {
                colored_diff
            } else {
                diff
            };
            format!("dry run, nothing written: would {summary}\n{diff}")
        }
        ApplyOutcome::Updated {
            summary, attempts, ..
        } => format!(
            "{summary} on {} (UpdateDistribution attempt {attempts}); run `edgekit wait --distribution {}` to wait for the deployment",
            r.distribution, r.distribution
        ),
    });
}

/// The runtime a `--function-arn` names: `--runtime` if given, else the ARN's service.
fn runtime_of(function_arn: &str, runtime: Option<EdgeRuntime>) -> EdgeRuntime {
    runtime.unwrap_or(if CloudFrontFunctionArn::looks_like(function_arn) {
        EdgeRuntime::CloudfrontFunctions
    } else {
        EdgeRuntime::LambdaEdge
    })
}

pub async fn run_attach(args: AttachArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let target = BehaviorTarget::from(args.path_pattern.clone());
    let client = cloudfront::client(&global.aws).await;
    let outcome = match runtime_of(&args.function_arn, args.runtime) {
        EdgeRuntime::CloudfrontFunctions => {
            if args.include_body {
                return Err(miette::miette!(
                    "--include-body is a Lambda@Edge option: CloudFront Functions cannot read the body"
                ));
            }
            let request = CffAttachRequest {
                function: CloudFrontFunctionArn::parse(&args.function_arn)?,
                event_type: args.event_type.unwrap_or(EventType::ViewerRequest),
                target,
                replace: args.replace,
            };
            cloudfront::apply_plan(&client, &args.distribution, args.dry_run, |config| {
                plan_attach_cff(config, &request)
            })
            .await?
        }
        EdgeRuntime::LambdaEdge => {
            let request = AttachRequest {
                function: FunctionVersionArn::parse(&args.function_arn)?,
                event_type: args.event_type.unwrap_or(EventType::OriginRequest),
                include_body: args.include_body,
                target,
                replace: args.replace,
            };
            cloudfront::apply_plan(&client, &args.distribution, args.dry_run, |config| {
                plan_attach(config, &request)
            })
            .await?
        }
    };
    print_outcome(global.output, &args.distribution, &outcome);
    Ok(ExitCode::SUCCESS)
}

pub async fn run_detach(args: DetachArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let target = if args.all_behaviors {
        BehaviorTarget::All
    } else {
        BehaviorTarget::from(args.path_pattern.clone())
    };
    let client = cloudfront::client(&global.aws).await;
    let outcome = match runtime_of(&args.function_arn, args.runtime) {
        EdgeRuntime::CloudfrontFunctions => {
            let request = CffDetachRequest {
                function: CffSelector::parse(&args.function_arn),
                event_type: args.event_type,
                target,
            };
            cloudfront::apply_plan(&client, &args.distribution, args.dry_run, |config| {
                plan_detach_cff(config, &request)
            })
            .await?
        }
        EdgeRuntime::LambdaEdge => {
            let request = DetachRequest {
                function: FunctionSelector::parse(&args.function_arn),
                event_type: args.event_type,
                target,
            };
            cloudfront::apply_plan(&client, &args.distribution, args.dry_run, |config| {
                plan_detach(config, &request)
            })
            .await?
        }
    };
    print_outcome(global.output, &args.distribution, &outcome);
    Ok(ExitCode::SUCCESS)
}
