//! `edgekit dev`: a local CloudFront + ALB emulator in front of an origin (the embedded echo
//! by default). The emulator itself lives in [`crate::dev`].
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;
use crate::dev::settings::{AlbMode, Mode, OriginRequestPolicy};

/// Options of `edgekit dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Deployment mode to emulate.
    #[arg(long, value_enum, default_value_t = Mode::Cloudfront)]
    pub mode: Mode,
    /// The app (http://host:port). Default: an embedded echo origin.
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// Keycloak (http://host:port): served by a second distribution with keycloak-host.
    #[arg(long, value_name = "URL")]
    pub keycloak_origin: Option<String>,
    /// HTTPS viewer listener.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// HTTP viewer listener.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub http_listen: SocketAddr,
    /// HTTPS listener of the Keycloak distribution (with --keycloak-origin).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8444")]
    pub keycloak_listen: SocketAddr,
    /// Expose the ALB listener directly (bypassing CloudFront), e.g. to see why it must
    /// refuse such traffic. Dual mode: the ALB's HTTPS listener, default 127.0.0.1:9443.
    #[arg(long, value_name = "ADDR")]
    pub alb_listen: Option<SocketAddr>,
    /// Where the embedded echo origin listens (port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub echo_listen: SocketAddr,
    /// JSON file: {"forwarded_proto": {...}, "keycloak_host": {...}, "custom_origin_headers": {"Name": "value"}}.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// ALB behaviour for X-Forwarded-Proto/-Port (sources disagree: overwrite or append), or off.
    #[arg(long, value_enum, default_value_t = AlbMode::XfpOverwrite)]
    pub alb: AlbMode,
    /// ALB listener rule: refuse (403) requests without forwarded_proto.origin_verify's secret.
    #[arg(long)]
    pub alb_verify: bool,
    /// Do not attach forwarded-proto (the reference deployment's setup: custom origin header only).
    #[arg(long)]
    pub no_forwarded_proto: bool,
    /// Custom origin header, 'Name: value' (repeatable); overwrites the viewer's header.
    #[arg(long, value_name = "HEADER")]
    pub custom_origin_header: Vec<String>,
    /// Origin request policy of the cache behavior.
    #[arg(long, value_enum, default_value_t = OriginRequestPolicy::AllViewerAndCloudfrontHeaders)]
    pub origin_request_policy: OriginRequestPolicy,
    /// Node.js Lambda@Edge handler (.mjs/.js exporting `handler`) at viewer-request.
    #[arg(long, value_name = "FILE")]
    pub viewer_request_js: Option<PathBuf>,
    /// Node.js handler at origin-request (replaces forwarded-proto).
    #[arg(long, value_name = "FILE")]
    pub origin_request_js: Option<PathBuf>,
    /// Node.js handler at origin-response.
    #[arg(long, value_name = "FILE")]
    pub origin_response_js: Option<PathBuf>,
    /// Node.js handler at viewer-response.
    #[arg(long, value_name = "FILE")]
    pub viewer_response_js: Option<PathBuf>,
    /// Node.js executable for the handlers.
    #[arg(long, value_name = "PATH", default_value = "node")]
    pub node: PathBuf,
    /// Status of a function execution error: 503 (current CloudFront docs) or 500 (older sources).
    #[arg(long, value_name = "STATUS", default_value_t = 503, value_parser = parse_error_status)]
    pub function_error_status: u16,
    /// ALB idle timeout in seconds: no answer from the origin within it → 504.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub origin_timeout: u64,
    /// Extra DNS name for the self-signed certificate (repeatable).
    #[arg(long, value_name = "NAME")]
    pub tls_name: Vec<String>,
    /// No per-request log lines (errors are still logged).
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_error_status(value: &str) -> Result<u16, String> {
    match value {
        "503" => Ok(503),
        "500" => Ok(500),
        _ => Err("must be 503 or 500".into()),
    }
}

pub async fn run(args: DevArgs, _global: &GlobalArgs) -> miette::Result<ExitCode> {
    crate::dev::server::run(args)
        .await
        .map_err(|err| miette::miette!("edgekit dev: {err}"))?;
    Ok(ExitCode::SUCCESS)
}
