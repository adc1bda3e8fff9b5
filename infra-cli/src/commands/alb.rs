//! `edgekit alb protect`: lock a load balancer to CloudFront with origin-verify listener rules
//! (a fixed 403 for everything else) and, on request, a CloudFront-only security group.
//!
//! Read listeners, rules, security groups and the distributions' secret; plan (pure,
//! [`crate::plan::alb`]); show the plan (`--dry-run`) or apply it. Nothing to do means no
//! write call. The secret is read from the distributions and never printed.
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::Value;

use crate::aws::{cloudfront, ec2, elbv2};
use crate::cli::GlobalArgs;
use crate::output::{note, print_result};
use crate::plan::alb::{
    CLOUDFRONT_PREFIX_LIST, CLOUDFRONT_PREFIX_LIST_WEIGHT, GroupMode, GroupPlan, ListenerState,
    Target, distribution_secrets, plan_groups, plan_listener, verify_rules,
};
use crate::plan::distribution::ORIGIN_VERIFY_HEADER;

#[derive(Debug, Subcommand)]
pub enum AlbCommand {
    /// Make the listeners forward only requests carrying the distribution's origin-verify
    /// header (everything else gets a fixed 403) and, with --security-group-mode prefix-list,
    /// allow the listener ports from CloudFront's managed prefix list only.
    ///
    /// Each listener's current default action moves into a rule that requires the header
    /// (placed after the listener's existing rules, which keep their priority and gain the
    /// same header condition); the default action becomes a fixed 403. Re-running writes
    /// nothing. The secret is never printed.
    Protect(ProtectArgs),
}

#[derive(Debug, Args)]
pub struct ProtectArgs {
    /// Load balancer name or ARN.
    #[arg(long)]
    pub load_balancer: String,
    /// Only these listener ports (default: every listener).
    #[arg(long = "listener-port")]
    pub listener_ports: Vec<i32>,
    /// Distribution whose custom origin header holds the secret (repeatable).
    #[arg(long = "secret-from-distribution")]
    pub distributions: Vec<String>,
    /// The secret itself, instead of reading it from a distribution.
    #[arg(long, env = "EDGEKIT_ORIGIN_VERIFY_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Name of the custom origin header carrying the secret.
    #[arg(long, default_value = ORIGIN_VERIFY_HEADER)]
    pub header: String,
    /// prefix-list: allow the listener ports from CloudFront's prefix list and remove
    /// 0.0.0.0/0 and ::/0 ingress on them (look at --dry-run first); keep: leave the security
    /// groups alone.
    #[arg(long, value_enum, default_value_t = GroupMode::Keep)]
    pub security_group_mode: GroupMode,
    /// Print the calls that would be made (secrets masked) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Why `alb protect` / `secret rotate` stopped before any AWS write.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AlbError {
    #[error("the load balancer has no listener on port {port} (it has: {have})")]
    #[diagnostic(help("omit --listener-port to use every listener"))]
    NoListenerOnPort { port: i32, have: String },
    #[error("the load balancer has no HTTP or HTTPS listener to protect")]
    NoHttpListener,
    #[error("distribution {id} has no origin with the custom header {header}")]
    #[diagnostic(help(
        "pass --header with the header name `distribution create` used (--origin-verify-header)"
    ))]
    NoVerifyHeader { id: String, header: String },
    #[error("give either --secret-from-distribution ID (repeatable) or --secret")]
    #[diagnostic(help(
        "e.g. --secret-from-distribution E2ABC123XYZ (the id `distribution create` printed)"
    ))]
    NoSecretSource,
    #[error("a secret rotation is in progress on the listener on port {0}")]
    #[diagnostic(help("finish it with `edgekit secret rotate` (it resumes where it stopped)"))]
    RotationInProgress(i32),
}

/// The result of `alb protect`.
#[derive(Debug, Serialize)]
pub struct ProtectReport {
    pub load_balancer: String,
    /// unchanged | dry-run | applied
    pub result: &'static str,
    pub listener_ports: Vec<i32>,
    /// The calls, in the API's field names, secrets masked.
    pub writes: Vec<Value>,
    pub warnings: Vec<String>,
}

pub async fn run(cmd: AlbCommand, global: &GlobalArgs) -> miette::Result<ExitCode> {
    match cmd {
        AlbCommand::Protect(args) => protect(args, global).await,
    }
}

/// The listeners on the requested ports (all when none is given); a missing port is an error.
pub fn select_listeners(
    all: Vec<ListenerState>,
    ports: &[i32],
) -> miette::Result<Vec<ListenerState>> {
    if let Some(port) = ports.iter().find(|p| !all.iter().any(|l| l.port == **p)) {
        let have: Vec<String> = all.iter().map(|l| l.port.to_string()).collect();
        return Err(AlbError::NoListenerOnPort {
            port: *port,
            have: if have.is_empty() {
                "none".to_owned()
            } else {
                have.join(", ")
            },
        }
        .into());
    }
    let selected: Vec<_> = all
        .into_iter()
        .filter(|l| ports.is_empty() || ports.contains(&l.port))
        .filter(|l| l.protocol == "HTTP" || l.protocol == "HTTPS")
        .collect();
    if selected.is_empty() {
        return Err(AlbError::NoHttpListener.into());
    }
    Ok(selected)
}

/// The origin-verify secrets the distributions send (GetDistributionConfig), distinct.
pub async fn secrets_from(
    global: &GlobalArgs,
    ids: &[String],
    header: &str,
) -> miette::Result<Vec<(String, Vec<String>)>> {
    let client = cloudfront::client(&global.aws).await;
    let mut out = Vec::new();
    for id in ids {
        let config = cloudfront::get_config(&client, id).await?;
        let secrets = distribution_secrets(&config.config, header);
        if secrets.is_empty() {
            return Err(AlbError::NoVerifyHeader {
                id: id.clone(),
                header: header.to_owned(),
            }
            .into());
        }
        out.push((id.clone(), secrets));
    }
    Ok(out)
}

async fn protect(args: ProtectArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let secrets = match (&args.secret, args.distributions.is_empty()) {
        (Some(secret), true) => vec![secret.clone()],
        (None, false) => {
            let mut all: Vec<String> = Vec::new();
            for (_, values) in secrets_from(global, &args.distributions, &args.header).await? {
                all.extend(
                    values
                        .into_iter()
                        .filter(|v| !all.contains(v))
                        .collect::<Vec<_>>(),
                );
            }
            all
        }
        _ => {
            return Err(AlbError::NoSecretSource.into());
        }
    };
    let elb = elbv2::client(&global.aws).await;
    let lb = elbv2::find_load_balancer(&elb, &args.load_balancer).await?;
    let listeners = select_listeners(elbv2::listeners(&elb, &lb.arn).await?, &args.listener_ports)?;
    if let Some(l) = listeners
        .iter()
        .find(|l| verify_rules(l, &args.header).len() > 1)
    {
        return Err(AlbError::RotationInProgress(l.port).into());
    }
    let target = Target {
        header: args.header.clone(),
        primary: secrets,
        pending: None,
    };
    let mut alb_writes = Vec::new();
    for listener in &listeners {
        alb_writes.extend(plan_listener(listener, &target)?);
    }
    let ports: Vec<i32> = listeners.iter().map(|l| l.port).collect();
    let ec2 = ec2::client(&global.aws).await;
    let groups =
        plan_security_groups(&ec2, &lb.security_groups, &ports, args.security_group_mode).await?;
    for warning in &groups.warnings {
        note(&format!("warning: {warning}"));
    }
    let mut writes: Vec<Value> = alb_writes.iter().map(|w| w.to_json(&args.header)).collect();
    writes.extend(groups.writes.iter().map(|w| w.to_json()));
    let result = if writes.is_empty() {
        "unchanged"
    } else if args.dry_run {
        "dry-run"
    } else {
        elbv2::apply(&elb, &alb_writes).await?;
        ec2::apply(&ec2, &groups.writes).await?;
        "applied"
    };
    let report = ProtectReport {
        load_balancer: lb.name,
        result,
        listener_ports: ports,
        writes,
        warnings: groups.warnings,
    };
    print_result(global.output, &report, |r| render(r, &args.header));
    Ok(ExitCode::SUCCESS)
}

async fn plan_security_groups(
    ec2: &aws_sdk_ec2::Client,
    group_ids: &[String],
    ports: &[i32],
    mode: GroupMode,
) -> miette::Result<GroupPlan> {
    let groups = ec2::groups(ec2, group_ids).await?;
    let (list_id, weight) = match mode {
        GroupMode::PrefixList => {
            let list = ec2::prefix_list(ec2, CLOUDFRONT_PREFIX_LIST).await?;
            // MaxEntries is the weight when EC2 reports it; the documented 55 otherwise.
            let weight = list.max_entries.unwrap_or(CLOUDFRONT_PREFIX_LIST_WEIGHT);
            (list.id, weight)
        }
        GroupMode::Keep => (String::new(), CLOUDFRONT_PREFIX_LIST_WEIGHT),
    };
    Ok(plan_groups(&groups, ports, &list_id, weight, mode))
}

fn render(report: &ProtectReport, header: &str) -> String {
    let ports: Vec<String> = report.listener_ports.iter().map(i32::to_string).collect();
    let ports = ports.join(", ");
    let calls = || {
        report
            .writes
            .iter()
            .map(|w| serde_json::to_string_pretty(w).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    };
    match report.result {
        "unchanged" => format!(
            "unchanged: {} already forwards only requests with {header} on port(s) {ports} (nothing written)",
            report.load_balancer
        ),
        "dry-run" => format!(
            "dry run, nothing written: would make {} call(s) on {} (secrets shown as ****):\n{}",
            report.writes.len(),
            report.load_balancer,
            calls()
        ),
        _ => format!(
            "protected {} on port(s) {ports} with {} call(s): requests without {header} now get 403\n{}",
            report.load_balancer,
            report.writes.len(),
            calls()
        ),
    }
}
