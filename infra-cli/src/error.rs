//! The crate's one error enum: planning, packaging and emulator failures, each variant
//! naming what went wrong and, where there is one, the fix. AWS SDK errors and command-level
//! failures are reported with `miette` at the CLI's edge.

use std::path::PathBuf;

use crate::functions::EdgeFunction;
use crate::packaging::Trigger;

/// Everything the edgekit library can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // Planning: bad input or a conflict the user must resolve (no AWS call was made).
    #[error("`{arn}` is not a Lambda function version ARN: {reason}")]
    InvalidArn { arn: String, reason: String },
    #[error(
        "{event_type} on {behavior} already runs `{existing}`; pass --replace to swap it for `{wanted}`"
    )]
    EventTypeTaken {
        behavior: String,
        event_type: String,
        existing: String,
        wanted: String,
    },
    #[error("the distribution has no cache behavior with path pattern `{0}`")]
    NoSuchBehavior(String),
    #[error("the distribution config has no default cache behavior")]
    NoDefaultBehavior,
    #[error("{0}")]
    InvalidOption(String),

    // Packaging an edge function.
    #[error("cannot read the config file {path}: {source}")]
    ReadConfig {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid {function} config in {path}: {field}: {reason}")]
    InvalidConfig {
        function: EdgeFunction,
        path: String,
        field: String,
        reason: String,
    },
    #[error(
        "the wasm32-unknown-unknown Rust target is not installed: run `rustup target add wasm32-unknown-unknown` (scripts/test does it)"
    )]
    MissingWasmTarget,
    #[error(
        "{0} holds no Cargo workspace: `edgekit package` builds the functions from an edgekit checkout; set EDGEKIT_WORKSPACE to one"
    )]
    NoWorkspace(PathBuf),
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("building {function} for wasm32 failed:\n{stderr}")]
    Build {
        function: EdgeFunction,
        stderr: String,
    },
    #[error("cargo built no .wasm file for {0}")]
    NoWasmArtifact(EdgeFunction),
    #[error("cannot read {path}: {source}")]
    ReadWasm {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write the zip: {0}")]
    Zip(String),
    #[error(
        "the {function} package is {size} bytes zipped, over the Lambda@Edge limit of {limit} for {trigger:?} triggers ({label})"
    )]
    TooLarge {
        function: EdgeFunction,
        size: u64,
        limit: u64,
        trigger: Trigger,
        label: &'static str,
    },

    // The local emulator (`edgekit dev`).
    #[error(
        "cannot listen on {addr}: {source} (pick a free address with --listen, --http-listen, --keycloak-listen or --alb-listen)"
    )]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidArg {
        what: &'static str,
        value: String,
        reason: String,
    },
    #[error("config file {path}: {field}: {reason}")]
    Config {
        path: PathBuf,
        field: String,
        reason: String,
    },
    #[error("could not create the self-signed certificate: {0}")]
    Certificate(String),
    #[error("edge function {name}: {reason}")]
    Function { name: String, reason: String },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
