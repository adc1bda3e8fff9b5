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
    AlbMode, AlbSettings, AllowedMethods, CloudFrontSettings, DevConfigFile, EdgeRuntime,
    HandlerFiles, KeycloakSettings, OriginRequestPolicy, OriginTarget, Settings,
    ViewerProtocolPolicy, absolute, custom_origin_headers, dev_cache_dir, verify_rule,
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
    /// Origin request policy of the cache behavior. Default: AllViewerAndCloudFrontHeaders
    /// with Lambda@Edge; with CloudFront Functions the one each function's origin_host needs
    /// (origin-domain: all-viewer-except-host-header).
    #[arg(long, value_enum)]
    pub origin_request_policy: Option<OriginRequestPolicy>,
    /// Where our functions run: Lambda@Edge at origin-request, or CloudFront Functions
    /// (cloudfront-js-2.0, the generated script) at viewer-request.
    #[arg(long, value_enum, default_value_t = EdgeRuntime::LambdaEdge)]
    pub edge_runtime: EdgeRuntime,
    /// Viewer protocol policy of the cache behaviors. CloudFront Functions need
    /// redirect-to-https or https-only (their event carries no protocol).
    #[arg(long, value_enum, default_value_t = ViewerProtocolPolicy::RedirectToHttps)]
    pub viewer_protocol_policy: ViewerProtocolPolicy,
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
        self.check_runtime()?;
        let handler = |path: &Option<PathBuf>| path.as_deref().map(absolute).transpose();
        // The order in which a missing file is reported: origin-request first, as before.
        let origin_request = handler(&self.origin_request_js)?;
        let handlers = HandlerFiles {
            viewer_request: handler(&self.viewer_request_js)?,
            origin_request,
            origin_response: handler(&self.origin_response_js)?,
            viewer_response: handler(&self.viewer_response_js)?,
        };
        let functions = self.edge_runtime == EdgeRuntime::CloudfrontFunctions;
        let policy = self.origin_request_policy.unwrap_or(if functions {
            OriginRequestPolicy::for_cloudfront_functions(forwarded_proto.origin_host)
        } else {
            OriginRequestPolicy::AllViewerAndCloudfrontHeaders
        });
        let forwarded_proto = (!self.no_forwarded_proto).then_some(forwarded_proto);
        Ok(CloudFrontSettings {
            handlers,
            origin_verify_header: forwarded_proto
                .as_ref()
                .filter(|_| functions)
                .and_then(|config| config.origin_verify.clone()),
            forwarded_proto,
            custom_origin_headers,
            policy,
            runtime: self.edge_runtime,
            viewer_protocol_policy: self.viewer_protocol_policy,
            allowed_methods: self.allowed_methods,
            function_error_status: StatusCode::from_u16(self.function_error_status)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            keycloak: self.keycloak(file, policy)?,
        })
    }

    /// The platform's rules for CloudFront Functions: the function cannot know the viewer's
    /// protocol, so no http request may reach it; and one function per event type per cache
    /// behavior. [docs/cloudfront-functions.md; Developer Guide, "Differences between
    /// CloudFront Functions and Lambda@Edge", "Restrictions on all edge functions"]
    fn check_runtime(&self) -> Result<(), DevError> {
        if self.edge_runtime != EdgeRuntime::CloudfrontFunctions {
            return Ok(());
        }
        if self.viewer_protocol_policy == ViewerProtocolPolicy::AllowAll {
            return Err(DevError::FunctionsNeedHttps {
                policy: self.viewer_protocol_policy.as_str(),
            });
        }
        if let Some(path) = &self.viewer_request_js {
            return Err(DevError::InvalidArg {
                what: "--viewer-request-js",
                value: path.display().to_string(),
                reason: "with --edge-runtime cloudfront-functions our CloudFront Function is the viewer-request function, and a cache behavior cannot have a CloudFront Function and a Lambda@Edge function on the same event (use --origin-request-js, or --edge-runtime lambda-edge)".into(),
            });
        }
        Ok(())
    }

    /// The Keycloak distribution: keycloak-host with the config file's settings, or by
    /// default the listener's own names as the public hosts.
    fn keycloak(
        &self,
        file: &DevConfigFile,
        app_policy: OriginRequestPolicy,
    ) -> Result<Option<KeycloakSettings>, DevError> {
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
        let functions = self.edge_runtime == EdgeRuntime::CloudfrontFunctions;
        let policy = match (functions, self.origin_request_policy) {
            (true, None) => OriginRequestPolicy::for_cloudfront_functions(config.origin_host),
            _ => app_policy,
        };
        Ok(Some(KeycloakSettings {
            origin,
            origin_verify_header: config.origin_verify.clone().filter(|_| functions),
            config,
            listen: self.keycloak_listen,
            policy,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        dev: DevArgs,
    }

    fn resolve(args: &[&str]) -> Result<Settings, DevError> {
        let cli = Cli::try_parse_from(std::iter::once("dev").chain(args.iter().copied()))
            .unwrap_or_else(|err| panic!("{err}"));
        cli.dev.resolve()
    }

    #[test]
    fn cloudfront_functions_refuse_allow_all_saying_why() {
        let err = resolve(&[
            "--edge-runtime",
            "cloudfront-functions",
            "--viewer-protocol-policy",
            "allow-all",
        ])
        .unwrap_err();
        assert!(matches!(err, DevError::FunctionsNeedHttps { .. }), "{err}");
        let help = miette::Diagnostic::help(&err).unwrap().to_string();
        assert!(help.contains("no protocol"), "{help}");
        for policy in ["redirect-to-https", "https-only"] {
            resolve(&[
                "--edge-runtime",
                "cloudfront-functions",
                "--viewer-protocol-policy",
                policy,
            ])
            .unwrap();
        }
        // Lambda@Edge sees CloudFront-Forwarded-Proto: allow-all is fine there.
        resolve(&["--viewer-protocol-policy", "allow-all"]).unwrap();
    }

    #[test]
    fn cloudfront_functions_refuse_a_lambda_edge_viewer_request_handler() {
        let file = std::env::temp_dir().join(format!("edgekit-dev-vr-{}.mjs", std::process::id()));
        std::fs::write(&file, "export const handler = (e) => e;").unwrap();
        let path = file.display().to_string();
        let err = resolve(&[
            "--edge-runtime",
            "cloudfront-functions",
            "--viewer-request-js",
            &path,
        ])
        .unwrap_err();
        assert!(err.to_string().contains("--viewer-request-js"), "{err}");
        resolve(&["--viewer-request-js", &path]).unwrap();
        std::fs::remove_file(&file).unwrap();
    }

    #[test]
    fn the_runtime_picks_the_origin_request_policy_and_keeps_the_secret_out_of_code() {
        let lambda = resolve(&[]).unwrap().cloudfront.unwrap();
        assert_eq!(
            lambda.policy,
            OriginRequestPolicy::AllViewerAndCloudfrontHeaders
        );
        let dir = std::env::temp_dir().join(format!("edgekit-dev-rt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("dev.json");
        std::fs::write(
            &config,
            r#"{"forwarded_proto": {"origin_host": "origin-domain", "origin_verify": {"header": "X-Origin-Verify", "secret": "0123456789abcdef-dev"}}}"#,
        )
        .unwrap();
        let config = config.display().to_string();
        let functions = resolve(&[
            "--edge-runtime",
            "cloudfront-functions",
            "--config",
            &config,
        ])
        .unwrap()
        .cloudfront
        .unwrap();
        assert_eq!(
            functions.policy,
            OriginRequestPolicy::AllViewerExceptHostHeader
        );
        assert_eq!(
            functions.origin_verify_header.map(|v| v.header),
            Some("X-Origin-Verify".to_owned())
        );
        let explicit = resolve(&[
            "--edge-runtime",
            "cloudfront-functions",
            "--origin-request-policy",
            "all-viewer",
        ])
        .unwrap()
        .cloudfront
        .unwrap();
        assert_eq!(explicit.policy, OriginRequestPolicy::AllViewer);
        let lambda = resolve(&["--config", &config]).unwrap().cloudfront.unwrap();
        assert!(
            lambda.origin_verify_header.is_none(),
            "the function adds it"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
