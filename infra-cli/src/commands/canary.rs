//! `edgekit canary run|install`: the probe engine from the CLI, and its schedule and alarms.
use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum CanaryCommand {
    /// Probe the targets once and print the classification.
    Run,
    /// Create the schedule rule, permission and alarms.
    Install,
}

pub async fn run(_cmd: CanaryCommand, _global: &GlobalArgs) -> miette::Result<ExitCode> {
    Err(super::not_built("canary"))
}
