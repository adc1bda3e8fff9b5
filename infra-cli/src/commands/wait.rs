//! `edgekit wait`: wait until a distribution is deployed (SDK waiter, progress on stderr).
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::aws::cloudfront;
use crate::cli::GlobalArgs;
use crate::output::{Progress, print_result};

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Distribution id (e.g. E2ABC123XYZ).
    #[arg(long)]
    pub distribution: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 1800)]
    pub timeout: u64,
}

#[derive(serde::Serialize)]
struct WaitReport<'a> {
    distribution: &'a str,
    status: &'static str,
}

pub async fn run(args: WaitArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let client = cloudfront::client(&global.aws).await;
    let progress = Progress::start(format!(
        "waiting for distribution {} to be deployed (up to {} s)",
        args.distribution, args.timeout
    ));
    cloudfront::wait_deployed(
        &client,
        &args.distribution,
        Duration::from_secs(args.timeout),
    )
    .await?;
    progress.finish(format!("distribution {} is deployed", args.distribution));
    let report = WaitReport {
        distribution: &args.distribution,
        status: "Deployed",
    };
    print_result(global.output, &report, |r| {
        format!("{} Deployed", r.distribution)
    });
    Ok(ExitCode::SUCCESS)
}
