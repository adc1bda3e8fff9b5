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
    #[error(
        "--edge-runtime cloudfront-functions cannot run behind viewer protocol policy {policy}"
    )]
    #[diagnostic(help(
        "a CloudFront Function's event has the viewer's IP address and no protocol, so the function can only say https when no http request reaches it: use --viewer-protocol-policy redirect-to-https (the default) or https-only (docs/cloudfront-functions.md)"
    ))]
    FunctionsNeedHttps { policy: &'static str },
    #[error("cannot generate the CloudFront Function {function}")]
    Generate {
        function: String,
        #[source]
        #[diagnostic_source]
        source: crate::packaging::cloudfront_js::CffPackageError,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Ca(#[from] super::tls::CaError),
    #[error("I/O error")]
    Io(#[from] std::io::Error),
}
