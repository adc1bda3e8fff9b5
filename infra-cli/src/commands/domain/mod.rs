//! `edgekit domain add` / `edgekit domain remove`: a custom domain in front of a CloudFront
//! distribution — ACM certificate in us-east-1, alias and viewer certificate, Route 53 ALIAS
//! records — and the values only the user can change (app URL, `KC_HOSTNAME`, Keycloak client).
//!
//! Idempotent and resumable: every step reads first and writes only what differs, so a re-run
//! writes nothing; `--dry-run` shows every write without making it. Decisions are pure
//! ([`crate::plan::domain`]); the distribution goes through attach's ETag / If-Match /
//! PreconditionFailed machinery ([`cloudfront::apply_plan`]).
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use aws_sdk_route53::types::ChangeAction;
use clap::{Args, Subcommand};
use miette::{IntoDiagnostic, WrapErr};
use serde::Serialize;

use crate::aws::cloudfront::{self, ApplyOutcome, DistributionAliases};
use crate::aws::{acm, route53};
use crate::cli::GlobalArgs;
use crate::functions::Function;
use crate::output::{Progress, print_result};
use crate::plan::arn::Arn;
use crate::plan::distribution::{DistributionRole, distribution_comment};
use crate::plan::domain::{
    self, AliasOwner, CertStatus, CertUse, Certificate, DomainError, HostedZone, PasteValues,
    Record, RecordValue,
};

/// How often the certificate's status is read while waiting for ISSUED.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// How long to wait for ACM to show the validation records of a new request (they appear a
/// few seconds after RequestCertificate returns).
const RECORDS_APPEAR_TIMEOUT: Duration = Duration::from_secs(60);

/// Placeholder ARN in a dry run that would request a certificate.
const NEW_CERTIFICATE: &str = "arn:aws:acm:us-east-1:<account>:certificate/<requested-on-apply>";

mod report;
mod steps;

use report::*;
use steps::*;

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Put a custom domain in front of a distribution: certificate, alias, DNS records.
    Add(AddArgs),
    /// Take a custom domain off a distribution: DNS records and alias (certificate kept).
    Remove(RemoveArgs),
}

/// What both subcommands act on.
#[derive(Debug, Args)]
pub struct Target {
    /// Distribution id (e.g. E2ABC123XYZ), or a role from `distribution create`:
    /// `registry` or `keycloak` (found by --name).
    #[arg(long)]
    pub distribution: String,
    /// Name prefix of edgekit's distributions (with a role in --distribution).
    #[arg(long, default_value = "edgekit")]
    pub name: String,
    /// The custom domain, e.g. app.example.com.
    #[arg(long)]
    pub domain: String,
    /// Route 53 hosted zone to use (default: the zone with the longest matching name).
    #[arg(long)]
    pub hosted_zone_id: Option<String>,
    /// Show every write (certificate, DNS records, the distribution diff) and make none.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub target: Target,
    /// Use this ACM certificate (must be in us-east-1 and cover the domain and the
    /// distribution's other aliases); default: reuse one that does, else request one.
    #[arg(long)]
    pub certificate_arn: Option<String>,
    /// Do not wait for the certificate: write its validation records and stop; run the
    /// command again later to finish.
    #[arg(long)]
    pub no_wait: bool,
    /// Give up waiting for the certificate after this many seconds.
    #[arg(long, default_value_t = 900)]
    pub timeout: u64,
    /// The edge function config file (as given to `edgekit publish --config`) whose
    /// `public_hosts` allow-list must learn the new name.
    #[arg(long, value_name = "FILE")]
    pub function_config: Option<PathBuf>,
    /// The edge function that config belongs to (default: the role's function).
    #[arg(long, value_parser = Function::value_parser())]
    pub function: Option<Function>,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub target: Target,
    /// Also delete the distribution's ACM certificate, when nothing else uses it.
    #[arg(long)]
    pub delete_certificate: bool,
    /// The certificate to delete when the distribution no longer has one (a re-run after
    /// an interrupted remove).
    #[arg(long, requires = "delete_certificate")]
    pub certificate_arn: Option<String>,
}

pub async fn run(cmd: DomainCommand, global: &GlobalArgs) -> miette::Result<ExitCode> {
    match cmd {
        DomainCommand::Add(args) => add(args, global).await,
        DomainCommand::Remove(args) => remove(args, global).await,
    }
}

/// What happened to one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum StepResult {
    Done,
    WouldDo,
    AlreadyDone,
    Skipped,
}

impl StepResult {
    /// A write that is made, or only shown with --dry-run.
    fn write(dry_run: bool) -> Self {
        if dry_run { Self::WouldDo } else { Self::Done }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::WouldDo => "dry run",
            Self::AlreadyDone => "unchanged",
            Self::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct Step {
    action: String,
    result: StepResult,
}

/// The SDK clients `domain` uses.
struct Clients {
    cf: aws_sdk_cloudfront::Client,
    acm: aws_sdk_acm::Client,
    r53: aws_sdk_route53::Client,
}

impl Clients {
    async fn new(global: &GlobalArgs) -> Self {
        Self {
            cf: cloudfront::client(&global.aws).await,
            acm: acm::client(&global.aws).await,
            r53: route53::client(&global.aws).await,
        }
    }
}

/// The distribution `--distribution` names, with every distribution (for the alias and
/// certificate-use checks).
struct Resolved {
    dist: DistributionAliases,
    role: Option<DistributionRole>,
    all: Vec<DistributionAliases>,
}

async fn resolve(cf: &aws_sdk_cloudfront::Client, target: &Target) -> miette::Result<Resolved> {
    let all = cloudfront::list_distribution_aliases(cf).await?;
    let by_role = match target.distribution.as_str() {
        "registry" => Some(DistributionRole::Registry),
        "keycloak" => Some(DistributionRole::Keycloak),
        _ => None,
    };
    let found = match by_role {
        Some(role) => {
            let comment = distribution_comment(&target.name, role);
            all.iter().find(|d| d.comment == comment)
        }
        None => all.iter().find(|d| d.id == target.distribution),
    };
    let dist = found
        .cloned()
        .ok_or_else(|| DomainError::NoSuchDistribution(target.distribution.clone()))?;
    let role = by_role.or_else(|| domain::role_from_comment(&dist.comment));
    Ok(Resolved { dist, role, all })
}

async fn add(args: AddArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let domain_name = domain::parse_domain(&args.target.domain)?;
    let args = AddArgs {
        target: Target {
            domain: domain_name.clone(),
            ..args.target
        },
        ..args
    };
    if let Some(arn) = &args.certificate_arn {
        check_certificate_arn(arn)?;
    }
    let clients = Clients::new(global).await;
    let resolved = resolve(&clients.cf, &args.target).await?;
    check_alias_free(&resolved, &domain_name)?;
    let (zone, zones) = find_zone(
        &clients.r53,
        args.target.hosted_zone_id.as_deref(),
        &domain_name,
    )
    .await?;
    let edge_function = public_hosts(&args, &resolved)?;
    let mut report = AddReport {
        domain: domain_name.clone(),
        distribution: resolved.dist.id.clone(),
        distribution_domain: resolved.dist.domain_name.clone(),
        role: resolved.role,
        hosted_zone: zone.clone(),
        dry_run: args.target.dry_run,
        certificate: None,
        steps: Vec::new(),
        distribution_change: None,
        complete: false,
        paste: domain::paste_values(&domain_name, resolved.role),
        edge_function,
    };
    add_steps(&args, &clients, &resolved, &zone, &zones, &mut report).await?;
    print_add(global, &report);
    Ok(ExitCode::SUCCESS)
}

/// CloudFront refuses a name another distribution has (CNAMEAlreadyExists); moto does not, so
/// the CLI checks ListDistributions itself and names the owner.
fn check_alias_free(resolved: &Resolved, domain_name: &str) -> Result<(), DomainError> {
    let owners: Vec<AliasOwner> = resolved
        .all
        .iter()
        .map(|d| AliasOwner {
            id: d.id.clone(),
            comment: d.comment.clone(),
            aliases: d.aliases.clone(),
        })
        .collect();
    match domain::alias_taken_by(&owners, domain_name, &resolved.dist.id) {
        Some(owner) => Err(DomainError::AliasTaken {
            domain: domain_name.to_owned(),
            owner: owner.id.clone(),
            comment: owner.comment.clone(),
        }),
        None => Ok(()),
    }
}

/// The certificate step: pick or request, write a pending one's validation records, wait
/// for ISSUED unless --no-wait / --dry-run.
async fn certificate_steps(
    args: &AddArgs,
    clients: &Clients,
    zones: &[HostedZone],
    needed: &[String],
    current_arn: Option<&str>,
    steps: &mut Vec<Step>,
) -> miette::Result<Option<Certificate>> {
    let dry_run = args.target.dry_run;
    let Some(cert) = pick_certificate(clients, args, needed, current_arn, steps).await? else {
        return Ok(None);
    };
    if cert.status != CertStatus::PendingValidation {
        return Ok(Some(cert));
    }
    write_validation_records(&clients.r53, zones, &cert, dry_run, steps).await?;
    if args.no_wait || dry_run {
        steps.push(Step {
            action: format!("wait for certificate {} to be issued", cert.arn),
            result: if dry_run {
                StepResult::WouldDo
            } else {
                StepResult::Skipped
            },
        });
        return Ok(Some(cert));
    }
    let start = Instant::now();
    let issued = wait_issued(clients, zones, cert, args.timeout).await?;
    steps.push(Step {
        action: format!(
            "wait for certificate {} to be issued: issued after {} s",
            issued.arn,
            start.elapsed().as_secs()
        ),
        result: StepResult::Done,
    });
    Ok(Some(issued))
}

/// Certificate, validation records, wait, distribution, ALIAS records — each skipped when
/// already done.
async fn add_steps(
    args: &AddArgs,
    clients: &Clients,
    resolved: &Resolved,
    zone: &HostedZone,
    zones: &[HostedZone],
    report: &mut AddReport,
) -> miette::Result<()> {
    let dry_run = args.target.dry_run;
    let current = cloudfront::get_config(&clients.cf, &resolved.dist.id).await?;
    let needed = domain::names_needed(&current.config, &report.domain);
    let current_arn = domain::certificate_of(&current.config);
    let cert = certificate_steps(
        args,
        clients,
        zones,
        &needed,
        current_arn.as_deref(),
        &mut report.steps,
    )
    .await?;
    report.certificate = cert.as_ref().map(|c| CertificateReport {
        arn: c.arn.clone(),
        status: status_text(&c.status),
    });
    let issued = cert
        .as_ref()
        .is_some_and(|c| c.status == CertStatus::Issued);
    if !issued && !dry_run {
        // --no-wait: CloudFront only takes an issued certificate; the next run finishes.
        return Ok(());
    }
    let arn = cert
        .as_ref()
        .map_or(NEW_CERTIFICATE.to_owned(), |c| c.arn.clone());
    let domain_name = report.domain.clone();
    let outcome = cloudfront::apply_plan(&clients.cf, &resolved.dist.id, dry_run, |config| {
        domain::plan_add_alias(config, &domain_name, &arn)
    })
    .await?;
    report
        .steps
        .push(distribution_step(&resolved.dist.id, &outcome));
    report.distribution_change = Some(outcome);
    let wanted = domain::alias_records(
        &report.domain,
        &resolved.dist.domain_name,
        resolved.dist.ipv6,
    );
    upsert_records(&clients.r53, zone, &wanted, dry_run, &mut report.steps).await?;
    report.complete = !dry_run;
    Ok(())
}

#[derive(Debug, Serialize)]
struct RemoveReport {
    domain: String,
    distribution: String,
    dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    hosted_zone: Option<HostedZone>,
    steps: Vec<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distribution_change: Option<ApplyOutcome>,
}

async fn remove(args: RemoveArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let domain_name = domain::parse_domain(&args.target.domain)?;
    let dry_run = args.target.dry_run;
    let clients = Clients::new(global).await;
    let resolved = resolve(&clients.cf, &args.target).await?;
    let before = cloudfront::get_config(&clients.cf, &resolved.dist.id).await?;
    let mut report = RemoveReport {
        domain: domain_name.clone(),
        distribution: resolved.dist.id.clone(),
        dry_run,
        hosted_zone: None,
        steps: Vec::new(),
        distribution_change: None,
    };
    // DNS first: no name keeps pointing at a distribution that no longer serves it.
    remove_records(&clients, &args, &resolved, &domain_name, &mut report).await?;
    let outcome = cloudfront::apply_plan(&clients.cf, &resolved.dist.id, dry_run, |config| {
        domain::plan_remove_alias(config, &domain_name)
    })
    .await?;
    report
        .steps
        .push(distribution_step(&resolved.dist.id, &outcome));
    report.distribution_change = Some(outcome);
    if args.delete_certificate {
        delete_certificate(
            &clients,
            &resolved,
            &before.config,
            &domain_name,
            args.certificate_arn.as_deref(),
            dry_run,
            &mut report.steps,
        )
        .await?;
    }
    print_remove(global, &report);
    Ok(ExitCode::SUCCESS)
}
