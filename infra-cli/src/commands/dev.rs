//! `edgekit dev`: a local CloudFront + ALB emulator in front of an origin (the embedded echo
//! by default). This file turns the flags into checked [`Settings`] once; the emulator itself
//! lives in [`crate::dev`].
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use http::StatusCode;

use crate::cli::GlobalArgs;
use crate::dev::settings::{
    AlbMode, AlbSettings, AllowedMethods, CloudFrontSettings, DevConfigFile, HandlerFiles,
    KeycloakSettings, OriginRequestPolicy, OriginTarget, Settings, absolute, custom_origin_headers,
    dev_cache_dir, verify_rule,
};
use crate::dev::{DevError, tls};
use crate::mode::DeploymentMode;
use crate::output::write_stdout;

/// Options of `edgekit dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Deployment mode to emulate.
    #[arg(long, value_enum, default_value_t = DeploymentMode::Cloudfront)]
    pub mode: DeploymentMode,
    /// The app (http://host:port). Default: an embedded echo origin.
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// Keycloak (http://host:port): served by a second distribution with keycloak-host.
    /// A real browser login through both distributions (an OIDC provider and an app):
    /// `scripts/login-demo` starts them and prints the URL to open.
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
    /// Allowed HTTP methods of the cache behavior; others get CloudFront's 403.
    #[arg(long, value_enum, default_value_t = AllowedMethods::All)]
    pub allowed_methods: AllowedMethods,
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
    /// Extra DNS name for the development certificate (repeatable).
    #[arg(long, value_name = "NAME")]
    pub tls_name: Vec<String>,
    /// Print the path of the development CA's certificate (created if missing) and exit: the
    /// file to trust, e.g. `curl --cacert "$(edgekit dev --print-ca)"`. The CA lives in
    /// $EDGEKIT_CACHE_DIR, else $XDG_CACHE_HOME/edgekit, else ~/.cache/edgekit.
    #[arg(long)]
    pub print_ca: bool,
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
    // Keeps the source chain and the help of the error.
    let fail = |err: DevError| miette::Report::new(err).wrap_err("edgekit dev");
    if args.print_ca {
        return print_ca().map_err(fail);
    }
    let settings = args.resolve().map_err(fail)?;
    crate::dev::server::run(&settings).await.map_err(fail)?;
    Ok(ExitCode::SUCCESS)
}

/// `--print-ca`: only the path on stdout, so that `$(edgekit dev --print-ca)` is the path.
fn print_ca() -> Result<ExitCode, DevError> {
    let ca = tls::load_or_create(&dev_cache_dir()?)?;
    // A closed stdout is not an error here either (see `output`).
    let _ = write_stdout(&format!("{}\n", ca.cert_path.display()));
    Ok(ExitCode::SUCCESS)
}

impl DevArgs {
    /// Checks every flag and the `--config` file before anything starts. Flags that only
    /// matter with CloudFront (handlers, `--keycloak-origin`) are only checked in the modes
    /// that have it, as they are ignored in the others.
    pub fn resolve(self) -> Result<Settings, DevError> {
        let file = match &self.config {
            Some(path) => DevConfigFile::load(path)?,
            None => DevConfigFile::default(),
        };
        let custom_origin_headers =
            custom_origin_headers(&file.custom_origin_headers, &self.custom_origin_header)?;
        let origin = self
            .origin
            .as_deref()
            .map(|url| OriginTarget::parse("--origin", url))
            .transpose()?;
        let forwarded_proto = file.forwarded_proto.clone().unwrap_or_default();
        let alb = AlbSettings {
            mode: self.alb_mode(),
            verify: if self.alb_verify {
                Some(verify_rule(&forwarded_proto)?)
            } else {
                None
            },
            timeout: Duration::from_secs(self.origin_timeout),
        };
        let cloudfront = if self.mode.enable_cloudfront() {
            Some(self.cloudfront(&file, forwarded_proto, custom_origin_headers)?)
        } else {
            None
        };
        Ok(Settings {
            mode: self.mode,
            origin,
            echo_listen: self.echo_listen,
            listen: self.listen,
            http_listen: self.http_listen,
            alb_listen: self.alb_listen(),
            alb,
            cloudfront,
            tls_names: self.tls_name,
            ca_dir: dev_cache_dir()?,
            node: self.node,
            log_requests: !self.quiet,
        })
    }

    /// `--alb off` means "CloudFront talks to the origin"; without CloudFront the ALB stays.
    fn alb_mode(&self) -> AlbMode {
        match (self.mode.enable_cloudfront(), self.alb) {
            (false, AlbMode::Off) => AlbMode::XfpOverwrite,
            (_, alb) => alb,
        }
    }

    /// The ALB listener reached directly: the HTTP listener CloudFront uses, or in dual mode
    /// the custom domain's HTTPS listener (on by default there). None without CloudFront:
    /// the viewer listeners are the ALB's then.
    fn alb_listen(&self) -> Option<SocketAddr> {
        let dual_default = SocketAddr::from(([127, 0, 0, 1], 9443));
        match self.mode {
            DeploymentMode::Dual => Some(self.alb_listen.unwrap_or(dual_default)),
            DeploymentMode::Cloudfront => self.alb_listen,
            DeploymentMode::CustomDomain | DeploymentMode::Development => None,
        }
    }

    fn cloudfront(
        &self,
        file: &DevConfigFile,
        forwarded_proto: forwarded_proto::Config,
        custom_origin_headers: Vec<(String, String)>,
    ) -> Result<CloudFrontSettings, DevError> {
        let handler = |path: &Option<PathBuf>| path.as_deref().map(absolute).transpose();
        // The order in which a missing file is reported: origin-request first, as before.
        let origin_request = handler(&self.origin_request_js)?;
        let handlers = HandlerFiles {
            viewer_request: handler(&self.viewer_request_js)?,
            origin_request,
            origin_response: handler(&self.origin_response_js)?,
            viewer_response: handler(&self.viewer_response_js)?,
        };
        Ok(CloudFrontSettings {
            handlers,
            forwarded_proto: (!self.no_forwarded_proto).then_some(forwarded_proto),
            custom_origin_headers,
            policy: self.origin_request_policy,
            allowed_methods: self.allowed_methods,
            function_error_status: StatusCode::from_u16(self.function_error_status)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            keycloak: self.keycloak(file)?,
        })
    }

    /// The Keycloak distribution: keycloak-host with the config file's settings, or by
    /// default the listener's own names as the public hosts.
    fn keycloak(&self, file: &DevConfigFile) -> Result<Option<KeycloakSettings>, DevError> {
        let Some(url) = &self.keycloak_origin else {
            return Ok(None);
        };
        let origin = OriginTarget::parse("--keycloak-origin", url)?;
        let port = self.keycloak_listen.port();
        let config = match &file.keycloak_host {
            Some(config) => config.clone(),
            None => keycloak_host::Config {
                public_hosts: vec![format!("localhost:{port}"), format!("127.0.0.1:{port}")],
                ..keycloak_host::Config::default()
            },
        };
        <keycloak_host::KeycloakHost as edge::EdgeFunction>::check_config(&config).map_err(
            |err| DevError::Config {
                path: self.config.clone().unwrap_or_default(),
                field: format!("keycloak_host.{}", err.field),
                reason: err.reason,
            },
        )?;
        Ok(Some(KeycloakSettings {
            origin,
            config,
            listen: self.keycloak_listen,
        }))
    }
}
