//! `edgekit dev`: a local CloudFront + ALB emulator (viewer listeners, the CloudFront layer
//! running our edge functions through the same typed core as the native and wasm builds, the
//! ALB layer, and an embedded echo origin).
//!
//! Layout: [`settings`] (the resolved options), [`functions`] (in-process Rust functions and
//! the Node.js bridge for `.mjs` handlers), [`cloudfront`] (the distribution), [`alb`] (the
//! load balancer and the proxy to the origin), [`echo`] (the default origin), [`tls`]
//! (self-signed certificate), [`server`] (listeners, dispatch and graceful shutdown).

pub mod alb;
pub mod cloudfront;
pub mod echo;
pub mod functions;
pub mod headers;
pub mod server;
pub mod settings;
pub mod tls;

use std::path::PathBuf;

/// Why the emulator could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
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
    #[error("cannot read the config file {path}: {source}")]
    ReadConfig {
        path: PathBuf,
        source: std::io::Error,
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
