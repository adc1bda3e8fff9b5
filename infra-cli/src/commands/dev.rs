//! `edgekit dev`: a local CloudFront + ALB emulator in front of an origin.
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;

#[derive(Debug, Args)]
pub struct DevArgs {}

pub async fn run(_args: DevArgs, _global: &GlobalArgs) -> miette::Result<ExitCode> {
    Err(super::not_built("dev"))
}
