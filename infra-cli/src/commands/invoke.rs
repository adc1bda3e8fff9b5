//! `edgekit invoke`: run an edge function natively on an event file.
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;

#[derive(Debug, Args)]
pub struct InvokeArgs {
    pub function: String,
}

pub fn run(_args: InvokeArgs, _global: &GlobalArgs) -> miette::Result<ExitCode> {
    Err(super::not_built("invoke"))
}
