//! `edgekit package`: the Rust core as WebAssembly inside a Node.js Lambda@Edge zip.
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// forwarded-proto or keycloak-host.
    pub function: String,
}

pub fn run(_args: PackageArgs, _global: &GlobalArgs) -> miette::Result<ExitCode> {
    Err(super::not_built("package"))
}
