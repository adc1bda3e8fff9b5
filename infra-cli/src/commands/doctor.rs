//! `edgekit doctor`: runs the troubleshooting list of a CloudFront → ALB → app + Keycloak
//! deployment (HTTP checks without credentials, read-only AWS checks) and prints, per problem,
//! the symptom, the evidence and the fix. Never writes anything, never prints a secret.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use aws_credential_types::provider::ProvideCredentials;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::doctor::aws_checks::{self, AwsCheckInputs};
use crate::doctor::check::CheckOutcome;
use crate::doctor::http;
use crate::doctor::report::Report;
use crate::doctor::settings::{DoctorError, Requested, Settings};
use crate::output::{Progress, note, print_result};

/// How long finding credentials may take before the AWS checks are skipped (the default
/// chain ends with the instance metadata service, which is slow to give up off EC2).
const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// What `edgekit distribution create --output json` printed (mode, URLs, distributions).
    #[arg(long, value_name = "FILE")]
    pub deployment: Option<PathBuf>,
    /// The app's public URL (repeatable; adds to the deployment file's registry_url).
    #[arg(long = "url", value_name = "URL")]
    pub urls: Vec<String>,
    /// Keycloak's public URL (replaces the deployment file's keycloak_url).
    #[arg(long, value_name = "URL")]
    pub keycloak_url: Option<String>,
    /// Keycloak realm [default: mcp-gateway].
    #[arg(long, value_name = "NAME")]
    pub realm: Option<String>,
    /// The app's Keycloak client [default: mcp-gateway-web].
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The app path that starts the login redirect; its same-site redirects are followed [default: /].
    #[arg(long, value_name = "PATH")]
    pub login_path: Option<String>,
    /// The app's OIDC callback path [default: /oauth2/callback/keycloak].
    #[arg(long, value_name = "PATH")]
    pub callback_path: Option<String>,
    /// CloudFront distribution id (repeatable).
    #[arg(long = "distribution", value_name = "ID")]
    pub distributions: Vec<String>,
    /// Load balancer name or ARN (repeatable).
    #[arg(long = "load-balancer", value_name = "NAME")]
    pub load_balancers: Vec<String>,
    /// ECS cluster of the following --service (repeatable, in pairs).
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,
    /// ECS service in the preceding --cluster (repeatable, in pairs).
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Base domain: its Route 53 hosted zone must exist.
    #[arg(long, value_name = "NAME")]
    pub base_domain: Option<String>,
    /// ACM certificate to check (issued; its validation record in Route 53).
    #[arg(long, value_name = "ARN")]
    pub certificate_arn: Option<String>,
    /// Extra trusted CA certificates (PEM), e.g. `edgekit dev --print-ca`.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Skip the AWS checks (they are skipped anyway without credentials).
    #[arg(long)]
    pub no_aws: bool,
    /// Timeout of each probe, in seconds [default: 5]; when given, of each AWS check too.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
}

impl DoctorArgs {
    fn requested(self) -> Requested {
        Requested {
            deployment: self.deployment,
            urls: self.urls,
            keycloak_url: self.keycloak_url,
            realm: self.realm,
            client_id: self.client_id,
            login_path: self.login_path,
            callback_path: self.callback_path,
            distributions: self.distributions,
            load_balancers: self.load_balancers,
            clusters: self.clusters,
            services: self.services,
            base_domain: self.base_domain,
            certificate_arn: self.certificate_arn,
            ca_file: self.ca_file,
            no_aws: self.no_aws,
            timeout_secs: self.timeout,
        }
    }
}

pub async fn run(args: DoctorArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let settings = match Settings::resolve(args.requested()) {
        Ok(settings) => settings,
        Err(err) => return Ok(cannot_run(err)),
    };
    let progress = Progress::start(format!(
        "doctor: probing {} app URL(s){}{}…",
        settings.apps.len(),
        if settings.keycloak.is_some() {
            ", Keycloak"
        } else {
            ""
        },
        if settings.no_aws || settings.aws.is_empty() {
            ""
        } else {
            " and AWS"
        },
    ));
    let started = Instant::now();
    let (http, aws) = tokio::join!(
        async {
            let result = http::run(&settings).await;
            (result, started.elapsed())
        },
        aws_outcomes(&settings, global)
    );
    let (http, http_took) = http;
    let http = match http {
        Ok(outcomes) => outcomes,
        Err(why) => {
            progress.finish("doctor: stopped");
            return Ok(cannot_run(DoctorError::CaFile {
                path: settings.ca_file.clone().unwrap_or_default(),
                source: std::io::Error::other(why),
            }));
        }
    };
    progress.finish(format!(
        "doctor: HTTP checks took {:.2} s, all checks {:.2} s",
        http_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    ));
    let report = Report::new(settings.deployment_mode.clone(), [http, aws].concat());
    print_result(global.output, &report, Report::text);
    Ok(ExitCode::from(report.exit_code()))
}

/// Exit 2 with miette's report on stderr.
fn cannot_run(err: DoctorError) -> ExitCode {
    note(&format!("{:?}", miette::Report::new(err)));
    ExitCode::from(DoctorError::EXIT_CODE)
}

/// The AWS checks, or all of them skipped with the reason.
async fn aws_outcomes(s: &Settings, global: &GlobalArgs) -> Vec<CheckOutcome> {
    if s.no_aws {
        return aws_checks::skipped("--no-aws");
    }
    if s.aws.is_empty() {
        return aws_checks::skipped(
            "no AWS resource given (--deployment, --distribution, --load-balancer, --cluster/--service, --base-domain, --certificate-arn)",
        );
    }
    let sdk = crate::aws::sdk_config(&global.aws, None).await;
    if let Err(why) = credentials(&sdk).await {
        return aws_checks::skipped(&format!("no AWS credentials: {why}"));
    }
    let inputs = AwsCheckInputs {
        distributions: s.aws.distributions.clone(),
        load_balancers: s.aws.load_balancers.clone(),
        services: s.aws.services.clone(),
        base_domain: s.aws.base_domain.clone(),
        certificate_arn: s.aws.certificate_arn.clone(),
    };
    match s.aws_timeout {
        Some(timeout) => aws_checks::run_with_timeout(&inputs, &sdk, timeout).await,
        None => aws_checks::run(&inputs, &sdk).await,
    }
}

/// Whether the default credential chain yields credentials (their values are dropped at once).
async fn credentials(sdk: &aws_config::SdkConfig) -> Result<(), String> {
    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| "no credential provider is configured".to_owned())?;
    match tokio::time::timeout(CREDENTIALS_TIMEOUT, provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => Err(format!(
            "the default chain (environment, profile, SSO, container, instance metadata) found none ({err})"
        )),
        Err(_) => Err(format!(
            "none found within {} s",
            CREDENTIALS_TIMEOUT.as_secs()
        )),
    }
}
