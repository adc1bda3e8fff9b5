//! Why the emulator could not start or run: each variant names what went wrong and, where
//! there is one, the fix.

use std::path::PathBuf;

/// An `edgekit dev` failure.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DevError {
    #[error("cannot read the config file {path}")]
    ReadConfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}")]
    #[diagnostic(help(
        "pick a free address with --listen, --http-listen, --keycloak-listen or --alb-listen"
    ))]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidArg {
        what: &'static str,
        value: String,
        reason: String,
    },
    #[error("config file {path}: {field}: {reason}")]
    #[diagnostic(help(
        "the keys are those of `edgekit invoke --config` under forwarded_proto / keycloak_host, plus custom_origin_headers"
    ))]
    Config {
        path: PathBuf,
        field: String,
        reason: String,
    },
    #[error("could not create the self-signed certificate: {0}")]
    Certificate(String),
    #[error("edge function {name}: {reason}")]
    Function { name: String, reason: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Ca(#[from] super::tls::CaError),
    #[error("I/O error")]
    Io(#[from] std::io::Error),
}
