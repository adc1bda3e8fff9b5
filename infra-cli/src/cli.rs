//! The command-line model (clap derive) and dispatch to the commands.
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::aws::AwsOptions;
use crate::commands;
use crate::output::{OutputFormat, note};

/// edgekit: run an app and its Keycloak behind CloudFront and an ALB without losing HTTPS.
#[derive(Debug, Parser)]
// The long version names the commit and the embedded modules' sha256 (build.rs), so a
// user can tell which build produced what is deployed.
#[command(name = "edgekit", version, long_version = crate::packaging::LONG_VERSION, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The `--help` heading of the options every command accepts (AWS ones have their own).
const GLOBAL_OPTIONS: &str = "Global options";

/// Options every command accepts, before or after the subcommand; shown after the
/// command's own options, under their own headings.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    #[command(flatten)]
    pub aws: AwsOptions,
    /// Result format on stdout.
    // The heading is per argument: the flattened AwsOptions' heading would carry over.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text, help_heading = GLOBAL_OPTIONS)]
    pub output: OutputFormat,
    /// More logging on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL_OPTIONS)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an edge function on an event file and print what it returns to CloudFront.
    Invoke(commands::invoke::InvokeArgs),
    /// Build an edge function as WebAssembly inside a Node.js Lambda@Edge zip.
    Package(commands::package::PackageArgs),
    /// Package and publish an edge function to us-east-1 as a numbered version.
    Publish(commands::publish::PublishArgs),
    /// Create the registry and Keycloak distributions for a deployment mode.
    #[command(subcommand)]
    Distribution(commands::distribution::DistributionCommand),
    /// Attach a published edge function to a distribution (changes nothing else).
    Attach(commands::attach::AttachArgs),
    /// Detach an edge function from a distribution (changes nothing else).
    Detach(commands::attach::DetachArgs),
    /// Wait until a distribution is deployed.
    Wait(commands::wait::WaitArgs),
    /// Detach a function everywhere, then delete it.
    Destroy(commands::destroy::DestroyArgs),
    /// Print the least-privilege IAM policy the CLI needs.
    IamPolicy(commands::iam_policy::IamPolicyArgs),
    /// Probe targets and tell where a 502 came from; install the schedule and alarms.
    #[command(subcommand)]
    Canary(commands::canary::CanaryCommand),
    /// Put a custom domain in front of a distribution (certificate, alias, DNS), or take it off.
    #[command(subcommand)]
    Domain(commands::domain::DomainCommand),
    /// Run a local CloudFront + ALB emulator in front of an origin (built-in echo by default).
    Dev(commands::dev::DevArgs),
    /// Lock an ALB to CloudFront: origin-verify listener rules, CloudFront-only security group.
    #[command(subcommand)]
    Alb(commands::alb::AlbCommand),
    /// Rotate the origin-verify secret of the distributions and the ALB without downtime.
    #[command(subcommand)]
    Secret(commands::secret::SecretCommand),
    /// An edge function's logs from every region, merged by time; `logs retention` sets how long they are kept.
    Logs(commands::logs::LogsArgs),
    /// Run the troubleshooting list against a live deployment: symptom, evidence and fix per problem.
    Doctor(commands::doctor::DoctorArgs),
}

/// Parses the command line, runs the command, and turns errors into a report on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    crate::aws::set_verbosity(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            note(&format!("error: could not start the async runtime: {err}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(report) => {
            // miette's report; a closed stderr is ignored (the exit status still tells).
            note(&format!("{report:?}"));
            let code = report
                .downcast_ref::<commands::invoke::InvokeError>()
                .map_or(1, commands::invoke::InvokeError::exit_code);
            ExitCode::from(code)
        }
    }
}

/// Runs one parsed command.
pub async fn run(cli: Cli) -> miette::Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Invoke(args) => commands::invoke::run(args, &global),
        Command::Package(args) => commands::package::run(args, &global),
        Command::Publish(args) => commands::publish::run(args, &global).await,
        Command::Distribution(cmd) => commands::distribution::run(cmd, &global).await,
        Command::Attach(args) => commands::attach::run_attach(args, &global).await,
        Command::Detach(args) => commands::attach::run_detach(args, &global).await,
        Command::Wait(args) => commands::wait::run(args, &global).await,
        Command::Destroy(args) => commands::destroy::run(args, &global).await,
        Command::IamPolicy(args) => commands::iam_policy::run(args, &global),
        Command::Canary(cmd) => commands::canary::run(cmd, &global).await,
        Command::Domain(cmd) => commands::domain::run(cmd, &global).await,
        Command::Dev(args) => commands::dev::run(args, &global).await,
        Command::Alb(cmd) => commands::alb::run(cmd, &global).await,
        Command::Secret(cmd) => commands::secret::run(cmd, &global).await,
        Command::Logs(args) => commands::logs::run(args, &global).await,
        Command::Doctor(args) => commands::doctor::run(args, &global).await,
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn,edgekit=info",
        1 => "info,edgekit=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("EDGEKIT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Its default reports a failed write with eprintln!, which panics on a closed stderr.
        .log_internal_errors(false)
        .with_target(false)
        .try_init();
}
