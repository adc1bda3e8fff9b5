//! `edgekit distribution create`: the registry and Keycloak distributions per deployment mode.
//!
//! Idempotent: a distribution is found again by its comment (`edgekit:<name>:<role>`) instead
//! of being created twice. The origin-verify secret is generated unless given, printed once on
//! stdout when a distribution is created, and never logged.
use std::process::ExitCode;

use clap::{Args, Subcommand};
use miette::miette;
use serde::Serialize;

use crate::aws::cloudfront::{self, DistributionInfo};
use crate::aws::lambda;
use crate::cli::GlobalArgs;
use crate::functions::{EdgeRuntime, Function};
use crate::mode::DeploymentMode;
use crate::output::{Progress, note, print_result};
use crate::plan::PlanError;
use crate::plan::arn::{CloudFrontFunctionArn, FunctionVersionArn, is_version_of};
use crate::plan::associations::{
    AttachRequest, BehaviorTarget, CffAttachRequest, plan_attach, plan_attach_cff,
};
use crate::plan::distribution::{
    DEFAULT_ORIGIN_READ_TIMEOUT, DistributionRole, EdgeFunction, ModeOptions, ModePlan,
    ORIGIN_VERIFY_HEADER, build_config_for, generate_origin_verify_secret, plan_mode,
};

use super::publish::default_function_name;

#[derive(Debug, Subcommand)]
pub enum DistributionCommand {
    /// Create (or find) the distributions for a deployment mode.
    Create(CreateArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Deployment mode (see the modes table in the README).
    #[arg(long, value_enum)]
    pub mode: DeploymentMode,
    /// DNS name of the registry's ALB.
    #[arg(long)]
    pub registry_origin: String,
    /// DNS name of Keycloak's ALB.
    #[arg(long)]
    pub keycloak_origin: String,
    /// Base domain: the registry is registry.<base-domain> (custom-domain, dual).
    #[arg(long)]
    pub base_domain: Option<String>,
    /// Route 53 root domain, used as base domain when --base-domain is not given.
    #[arg(long)]
    pub root_domain: Option<String>,
    /// Keycloak's domain (default kc.<base-domain>).
    #[arg(long)]
    pub keycloak_domain: Option<String>,
    /// ACM certificate (us-east-1) for the custom domains as distribution aliases (dual).
    #[arg(long)]
    pub certificate_arn: Option<String>,
    /// Name prefix identifying these distributions (comment `edgekit:<name>:<role>`).
    #[arg(long, default_value = "edgekit")]
    pub name: String,
    /// Origin response timeout in seconds.
    #[arg(long, default_value_t = DEFAULT_ORIGIN_READ_TIMEOUT)]
    pub origin_read_timeout: i32,
    /// Origin-verify secret (default: generated, printed once).
    #[arg(long, env = "EDGEKIT_ORIGIN_VERIFY_SECRET", hide_env_values = true)]
    pub origin_verify_secret: Option<String>,
    /// Name of the custom origin header carrying the secret.
    #[arg(long, default_value = ORIGIN_VERIFY_HEADER)]
    pub origin_verify_header: String,
    /// Attach the latest published forwarded-proto (registry) and keycloak-host (Keycloak)
    /// versions on origin-request (Lambda@Edge), or their LIVE CloudFront Functions on
    /// viewer-request (--edge-runtime cloudfront-functions).
    #[arg(long)]
    pub attach: bool,
    /// The edge runtime the behaviours are set up for: cloudfront-functions uses the managed
    /// origin request policy AllViewerExceptHostHeader and redirect-to-https.
    #[arg(long, value_enum, default_value_t = EdgeRuntime::LambdaEdge)]
    pub edge_runtime: EdgeRuntime,
    /// Lambda name of forwarded-proto (default edgekit-forwarded-proto).
    #[arg(long)]
    pub forwarded_proto_function: Option<String>,
    /// Lambda name of keycloak-host (default edgekit-keycloak-host).
    #[arg(long)]
    pub keycloak_host_function: Option<String>,
}

/// One distribution in the result.
#[derive(Debug, Clone, Serialize)]
pub struct DistributionEntry {
    pub id: String,
    pub domain_name: String,
    pub role: DistributionRole,
    pub created: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_arn: Option<String>,
}

/// The result of `distribution create`.
#[derive(Debug, Clone, Serialize)]
pub struct CreateReport {
    pub deployment_mode: &'static str,
    pub registry_url: String,
    pub keycloak_url: String,
    pub distributions: Vec<DistributionEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Only when generated for a distribution created by this run: shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_verify_secret: Option<String>,
}

fn check_secret(secret: &str) -> miette::Result<()> {
    // Origin custom header values: up to 1,783 characters, printable ASCII.
    // [CloudFront Developer Guide, "Quotas": custom headers; "Add custom headers to origin requests"]
    if secret.len() < 16 || secret.len() > 1783 || !secret.chars().all(|c| c.is_ascii_graphic()) {
        return Err(miette!(
            "--origin-verify-secret must be 16-1783 printable ASCII characters without spaces"
        ));
    }
    Ok(())
}

pub async fn run(cmd: DistributionCommand, global: &GlobalArgs) -> miette::Result<ExitCode> {
    match cmd {
        DistributionCommand::Create(args) => create(args, global).await,
    }
}

async fn create(args: CreateArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let plan = plan_mode(&ModeOptions {
        mode: args.mode,
        registry_origin: args.registry_origin.clone(),
        keycloak_origin: args.keycloak_origin.clone(),
        base_domain: args.base_domain.clone(),
        root_domain: args.root_domain.clone(),
        keycloak_domain: args.keycloak_domain.clone(),
        certificate_arn: args.certificate_arn.clone(),
        name: args.name.clone(),
        origin_read_timeout: args.origin_read_timeout,
    })?;
    if let Some(secret) = &args.origin_verify_secret {
        check_secret(secret)?;
    }
    if let Some(warning) = &plan.warning {
        note(&format!("warning: {warning}"));
    }
    let mut report = CreateReport {
        deployment_mode: plan.mode.deployment_mode_output(),
        registry_url: String::new(),
        keycloak_url: String::new(),
        distributions: Vec::new(),
        warning: plan.warning.clone(),
        note: plan.note.clone(),
        origin_verify_secret: None,
    };
    if plan.distributions.is_empty() {
        if let Some(note_text) = &plan.note {
            note(note_text);
        }
        let (registry, keycloak) = plan
            .custom_urls
            .clone()
            .or_else(|| plan.direct_urls.clone())
            .unwrap_or_default();
        report.registry_url = registry;
        report.keycloak_url = keycloak;
        print_report(global, &report);
        return Ok(ExitCode::SUCCESS);
    }

    let cf = cloudfront::client(&global.aws).await;
    let progress = Progress::start(format!(
        "{} mode: looking for existing edgekit:{} distributions",
        args.mode.deployment_mode_output(),
        args.name
    ));
    let functions = if args.attach {
        match args.edge_runtime {
            EdgeRuntime::LambdaEdge => latest_versions(&args, &plan, global).await?,
            EdgeRuntime::CloudfrontFunctions => live_functions(&args, &plan, &cf).await?,
        }
    } else {
        Vec::new()
    };
    let generated = create_or_find(&args, &plan, &functions, &cf, &progress, &mut report).await?;
    let created_any = report.distributions.iter().any(|d| d.created);
    progress.finish(if created_any {
        "distributions created; CloudFront deploys them in a few minutes (`edgekit wait`)"
    } else {
        "distributions already exist; nothing created"
    });
    let domain_of = |role: DistributionRole| {
        report
            .distributions
            .iter()
            .find(|d| d.role == role)
            .map(|d| format!("https://{}", d.domain_name))
            .unwrap_or_default()
    };
    let (registry, keycloak) = match &plan.custom_urls {
        Some(urls) => urls.clone(),
        None => (
            domain_of(DistributionRole::Registry),
            domain_of(DistributionRole::Keycloak),
        ),
    };
    report.registry_url = registry;
    report.keycloak_url = keycloak;
    report.origin_verify_secret = generated;
    print_report(global, &report);
    Ok(ExitCode::SUCCESS)
}

/// The function to attach on each distribution: the newest numbered version of each
/// published function.
async fn latest_versions(
    args: &CreateArgs,
    plan: &ModePlan,
    global: &GlobalArgs,
) -> miette::Result<Vec<(DistributionRole, EdgeFunction)>> {
    let mut functions = Vec::new();
    let lambda_client = lambda::client(&global.aws).await;
    for spec in &plan.distributions {
        let Some(function) = Function::for_distribution(spec.role.as_str()) else {
            continue;
        };
        let name = match spec.role {
            DistributionRole::Registry => args.forwarded_proto_function.clone(),
            DistributionRole::Keycloak => args.keycloak_host_function.clone(),
        }
        .unwrap_or_else(|| default_function_name(function));
        let publish_first = format!("publish it first: `edgekit publish {function}`");
        let latest = lambda::latest_version(&lambda_client, &name)
            .await
            .map_err(|err| miette::Report::new(err.with_help(publish_first.clone())))?
            .ok_or_else(|| {
                miette!(
                    help = publish_first,
                    "{name} has no published version to attach"
                )
            })?;
        functions.push((
            spec.role,
            EdgeFunction::Lambda(FunctionVersionArn::parse(&latest.arn)?),
        ));
    }
    Ok(functions)
}

/// The CloudFront Function to attach on each distribution: the published (LIVE) function of
/// each role, found with DescribeFunction.
async fn live_functions(
    args: &CreateArgs,
    plan: &ModePlan,
    cf: &aws_sdk_cloudfront::Client,
) -> miette::Result<Vec<(DistributionRole, EdgeFunction)>> {
    let mut functions = Vec::new();
    for spec in &plan.distributions {
        let Some(function) = Function::for_distribution(spec.role.as_str()) else {
            continue;
        };
        let name = match spec.role {
            DistributionRole::Registry => args.forwarded_proto_function.clone(),
            DistributionRole::Keycloak => args.keycloak_host_function.clone(),
        }
        .unwrap_or_else(|| default_function_name(function));
        let live = crate::aws::cloudfront_functions::describe(
            cf,
            &name,
            aws_sdk_cloudfront::types::FunctionStage::Live,
        )
        .await?
        .ok_or_else(|| {
            miette!(
                help = format!(
                    "publish it first: `edgekit publish {function} --runtime cloudfront-js-2.0`"
                ),
                "CloudFront Function {name} has no LIVE stage to attach"
            )
        })?;
        functions.push((
            spec.role,
            EdgeFunction::CloudFront(CloudFrontFunctionArn::parse(&live.arn)?),
        ));
    }
    Ok(functions)
}

/// Finds each planned distribution by its comment (attaching the function to an existing
/// one) or creates it; returns the origin-verify secret when one was generated.
async fn create_or_find(
    args: &CreateArgs,
    plan: &ModePlan,
    functions: &[(DistributionRole, EdgeFunction)],
    cf: &aws_sdk_cloudfront::Client,
    progress: &Progress,
    report: &mut CreateReport,
) -> miette::Result<Option<String>> {
    let existing = cloudfront::list_distributions(cf).await?;
    let mut generated: Option<String> = None;
    for spec in &plan.distributions {
        let function = functions
            .iter()
            .find(|(role, _)| *role == spec.role)
            .map(|(_, arn)| arn.clone());
        let found: Option<&DistributionInfo> =
            existing.iter().find(|d| d.comment == spec.comment());
        let (info, created) = match found {
            Some(info) => {
                progress.update(format!(
                    "found {} distribution {}",
                    spec.role.as_str(),
                    info.id
                ));
                if let Some(arn) = &function {
                    attach_existing(cf, &info.id, arn, progress).await?;
                }
                if args.edge_runtime == EdgeRuntime::CloudfrontFunctions {
                    // Only the association changes on a distribution that already exists;
                    // its policies are the user's to change (docs/cloudfront-functions-control-plane.md).
                    note(&format!(
                        "note: {} already existed: its origin request policy and viewer protocol \
                         policy are left as they are (cloudfront-functions expects \
                         AllViewerExceptHostHeader and redirect-to-https)",
                        info.id
                    ));
                }
                (info.clone(), false)
            }
            None => {
                let secret = match &args.origin_verify_secret {
                    Some(secret) => secret.clone(),
                    None => generated
                        .get_or_insert_with(generate_origin_verify_secret)
                        .clone(),
                };
                let config = build_config_for(
                    spec,
                    &args.origin_verify_header,
                    &secret,
                    args.edge_runtime,
                    function.as_ref(),
                )?;
                progress.update(format!("creating the {} distribution", spec.role.as_str()));
                (cloudfront::create_distribution(cf, config).await?, true)
            }
        };
        report.distributions.push(DistributionEntry {
            id: info.id.clone(),
            domain_name: info.domain_name.clone(),
            role: spec.role,
            created,
            function_arn: function.map(|f| f.to_string()),
        });
    }
    Ok(generated)
}

/// Attaches (or upgrades to) the function on an existing distribution. A CloudFront
/// Function goes on viewer-request with the same refusals as `edgekit attach`.
async fn attach_existing(
    cf: &aws_sdk_cloudfront::Client,
    id: &str,
    function: &EdgeFunction,
    progress: &Progress,
) -> miette::Result<()> {
    progress.update(format!("attaching {function} to {id}"));
    let arn = match function {
        EdgeFunction::Lambda(arn) => arn,
        EdgeFunction::CloudFront(arn) => {
            let request = CffAttachRequest {
                function: arn.clone(),
                event_type: edge::EventType::ViewerRequest,
                target: BehaviorTarget::Default,
                replace: false,
            };
            cloudfront::apply_plan(cf, id, false, |config| plan_attach_cff(config, &request))
                .await?;
            return Ok(());
        }
    };
    let request = AttachRequest {
        function: arn.clone(),
        event_type: edge::EventType::OriginRequest,
        include_body: false,
        target: BehaviorTarget::Default,
        replace: false,
    };
    let upgrade = AttachRequest {
        replace: true,
        ..request.clone()
    };
    cloudfront::apply_plan(cf, id, false, |config| {
        match plan_attach(config, &request) {
            // An older version of the same function is upgraded; anything else is an error.
            Err(PlanError::EventTypeTaken { existing, .. })
                if is_version_of(&existing, &arn.function_name) =>
            {
                plan_attach(config, &upgrade)
            }
            other => other,
        }
    })
    .await?;
    Ok(())
}

fn print_report(global: &GlobalArgs, report: &CreateReport) {
    print_result(global.output, report, |r| {
        let mut text = format!(
            "deployment_mode = {}\nregistry_url    = {}\nkeycloak_url    = {}\n",
            r.deployment_mode, r.registry_url, r.keycloak_url
        );
        for d in &r.distributions {
            text.push_str(&format!(
                "{} distribution {} ({}){}\n",
                d.role.as_str(),
                d.id,
                d.domain_name,
                if d.created {
                    ", created"
                } else {
                    ", already existed"
                }
            ));
        }
        if let Some(secret) = &r.origin_verify_secret {
            text.push_str(&format!(
                "origin-verify secret (shown once; have the ALB require this header value):\n{secret}\n"
            ));
        }
        text
    });
}
