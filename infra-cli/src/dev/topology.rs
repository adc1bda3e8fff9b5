//! Which listeners exist in each deployment mode and what each serves: the CloudFront
//! distributions (app and Keycloak) with their functions, the ALB's listeners, the ALB's
//! redirect to HTTPS. [docs/platform.md, "Deployment modes"]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use edge::proto::Proto;
use edge::{EdgeFunction, EventType};

use super::DevError;
use super::alb::{Alb, origin_client};
use super::cloudfront::{Distribution, Triggers};
use super::cloudfront_functions::{CloudFrontFunction, script_config};
use super::frontend::Frontend;
use super::functions::{EdgeHandler, NodeFunction};
use super::settings::{
    CloudFrontSettings, EdgeRuntime, KeycloakSettings, OriginRequestPolicy, OriginTarget, Settings,
};
use crate::functions::Function;
use crate::mode::DeploymentMode;

/// The emulator's ALB DNS name (what CloudFront's custom origin points at).
pub const ALB_DOMAIN: &str = "edgekit-dev-alb-1234567890.us-east-1.elb.amazonaws.com";

/// One listener to bind.
pub struct Listener {
    pub addr: SocketAddr,
    /// HTTPS with the self-signed certificate, else plain HTTP.
    pub tls: bool,
    pub frontend: Frontend,
}

/// A mode's listeners, in the order they are bound.
pub struct Topology {
    pub listeners: Vec<Listener>,
    /// The app distribution's functions (`origin-request: forwarded-proto`), for the banner;
    /// `None` without CloudFront.
    pub functions: Option<String>,
}

/// Whether the viewer side needs a certificate: every mode but development serves HTTPS.
pub fn needs_tls(mode: DeploymentMode) -> bool {
    mode != DeploymentMode::Development
}

impl Topology {
    /// The listeners of `settings.mode` in front of `origin`; starts the Node.js handlers
    /// (their bridge script goes into `work_dir`).
    pub async fn build(
        settings: &Settings,
        origin: &OriginTarget,
        work_dir: &Path,
    ) -> Result<Self, DevError> {
        let albs = Albs::new(settings, origin);
        match &settings.cloudfront {
            Some(cloudfront) => with_cloudfront(settings, cloudfront, &albs, work_dir).await,
            None if settings.mode == DeploymentMode::CustomDomain => {
                Ok(custom_domain(settings, &albs))
            }
            None => Ok(development(settings, &albs)),
        }
    }
}

/// The ALB's two listeners in front of the origin, sharing one connection pool.
struct Albs {
    http: Alb,
    https: Alb,
}

impl Albs {
    fn new(settings: &Settings, origin: &OriginTarget) -> Self {
        let http = Alb {
            mode: settings.alb.mode,
            listener: Proto::Http,
            listener_port: 80,
            verify: settings.alb.verify.clone(),
            origin: origin.clone(),
            client: origin_client(),
            timeout: settings.alb.timeout,
        };
        let https = Alb {
            listener: Proto::Https,
            listener_port: 443,
            ..http.clone()
        };
        Self { http, https }
    }
}

/// Cloudfront and dual modes: the app distribution on both viewer listeners, the Keycloak
/// distribution, and the ALB reached directly.
async fn with_cloudfront(
    settings: &Settings,
    cloudfront: &CloudFrontSettings,
    albs: &Albs,
    work_dir: &Path,
) -> Result<Topology, DevError> {
    let edge = Edge {
        settings: cloudfront,
        edge_host: format!("{:032x}.cloudfront.net", rand::random::<u128>()),
        log_requests: settings.log_requests,
    };
    let triggers = app_triggers(settings, cloudfront, work_dir).await?;
    let functions = triggers.describe();
    let app = Arc::new(edge.distribution(
        "app",
        triggers,
        with_origin_verify(
            cloudfront.custom_origin_headers.clone(),
            cloudfront.origin_verify_header.as_ref(),
        ),
        cloudfront.policy,
        settings.listen.port(),
        albs.http.clone(),
    ));
    let mut listeners = vec![
        viewer(settings.listen, Proto::Https, Arc::clone(&app)),
        viewer(settings.http_listen, Proto::Http, app),
    ];
    if let Some(keycloak) = &cloudfront.keycloak {
        listeners.push(
            edge.keycloak(settings, keycloak, &albs.http, work_dir)
                .await?,
        );
    }
    if let Some(addr) = settings.alb_listen {
        listeners.push(alb_direct(settings, addr, albs));
    }
    Ok(Topology {
        listeners,
        functions: Some(functions),
    })
}

/// What every distribution shares.
struct Edge<'a> {
    settings: &'a CloudFrontSettings,
    /// The edge server's name in `Via`, one per run.
    edge_host: String,
    log_requests: bool,
}

impl Edge<'_> {
    /// A distribution with the settings' viewer protocol policy whose custom origin is the
    /// ALB's DNS name.
    fn distribution(
        &self,
        label: &'static str,
        triggers: Triggers,
        custom_origin_headers: Vec<(String, String)>,
        policy: OriginRequestPolicy,
        https_port: u16,
        alb: Alb,
    ) -> Distribution {
        Distribution {
            label,
            triggers,
            custom_origin_headers,
            policy,
            allowed_methods: self.settings.allowed_methods,
            viewer_protocol_policy: self.settings.viewer_protocol_policy,
            https_port,
            origin_domain: ALB_DOMAIN.into(),
            alb,
            function_error_status: self.settings.function_error_status,
            edge_host: self.edge_host.clone(),
            log_requests: self.log_requests,
        }
    }

    /// The Keycloak distribution: keycloak-host at origin-request (with CloudFront
    /// Functions: at viewer-request, its origin-verify secret a custom origin header), and
    /// its own ALB target without the origin-verify rule.
    async fn keycloak(
        &self,
        settings: &Settings,
        keycloak: &KeycloakSettings,
        alb_http: &Alb,
        work_dir: &Path,
    ) -> Result<Listener, DevError> {
        let alb = Alb {
            origin: keycloak.origin.clone(),
            verify: None,
            ..alb_http.clone()
        };
        let triggers = match self.settings.runtime {
            EdgeRuntime::LambdaEdge => Triggers {
                origin_request: Some(EdgeHandler::native::<keycloak_host::KeycloakHost>(
                    keycloak.config.clone(),
                )),
                ..Triggers::default()
            },
            EdgeRuntime::CloudfrontFunctions => Triggers {
                viewer_function: Some(
                    cloudfront_function::<keycloak_host::KeycloakHost>(
                        settings,
                        &keycloak.config,
                        "keycloak",
                        work_dir,
                    )
                    .await?,
                ),
                ..Triggers::default()
            },
        };
        let distribution = self.distribution(
            "keycloak",
            triggers,
            with_origin_verify(Vec::new(), keycloak.origin_verify_header.as_ref()),
            keycloak.policy,
            keycloak.listen.port(),
            alb,
        );
        Ok(viewer(
            keycloak.listen,
            Proto::Https,
            Arc::new(distribution),
        ))
    }
}

/// A CloudFront viewer listener of `distribution`.
fn viewer(addr: SocketAddr, viewer: Proto, distribution: Arc<Distribution>) -> Listener {
    Listener {
        addr,
        tls: viewer == Proto::Https,
        frontend: Frontend::CloudFront {
            distribution,
            viewer,
        },
    }
}

/// The custom origin headers plus, with CloudFront Functions, the function's origin-verify
/// header (unless one of that name is given already).
fn with_origin_verify(
    mut headers: Vec<(String, String)>,
    verify: Option<&edge::policy::OriginVerify>,
) -> Vec<(String, String)> {
    if let Some(verify) = verify
        && !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(&verify.header))
    {
        headers.push((verify.header.clone(), verify.secret.expose().to_owned()));
    }
    headers
}

/// One of our functions as a CloudFront Function (`label`: the distribution, in file names).
async fn cloudfront_function<F: EdgeFunction>(
    settings: &Settings,
    config: &F::Config,
    label: &str,
    work_dir: &Path,
) -> Result<Arc<CloudFrontFunction>, DevError> {
    let function = Function::find(F::NAME).ok_or_else(|| DevError::Function {
        name: F::NAME.to_owned(),
        reason: "not in the function registry".into(),
    })?;
    let config = script_config(config).map_err(|err| DevError::Function {
        name: F::NAME.to_owned(),
        reason: err.to_string(),
    })?;
    let host =
        CloudFrontFunction::start(&settings.node, function, &config, label, work_dir).await?;
    Ok(Arc::new(host))
}

/// The app distribution's functions: the Node.js handlers given, and forwarded-proto at
/// origin-request unless a Node.js handler or `--no-forwarded-proto` replaces it; with
/// CloudFront Functions, forwarded-proto at viewer-request (then an origin-request Node.js
/// handler runs as well).
async fn app_triggers<'a>(
    settings: &'a Settings,
    cloudfront: &'a CloudFrontSettings,
    work_dir: &'a Path,
) -> Result<Triggers, DevError> {
    let files = &cloudfront.handlers;
    let node = |path: &'a Option<PathBuf>, event_type| {
        node_handler(&settings.node, path.as_deref(), event_type, work_dir)
    };
    if cloudfront.runtime == EdgeRuntime::CloudfrontFunctions {
        let viewer_function = match &cloudfront.forwarded_proto {
            Some(config) => Some(
                cloudfront_function::<forwarded_proto::ForwardedProto>(
                    settings, config, "app", work_dir,
                )
                .await?,
            ),
            None => None,
        };
        return Ok(Triggers {
            viewer_function,
            viewer_request: None,
            origin_request: node(&files.origin_request, EventType::OriginRequest).await?,
            origin_response: node(&files.origin_response, EventType::OriginResponse).await?,
            viewer_response: node(&files.viewer_response, EventType::ViewerResponse).await?,
        });
    }
    // Started in this order so that a failing handler is reported as before.
    let origin_request = match files.origin_request {
        Some(_) => node(&files.origin_request, EventType::OriginRequest).await?,
        None => cloudfront
            .forwarded_proto
            .clone()
            .map(EdgeHandler::native::<forwarded_proto::ForwardedProto>),
    };
    Ok(Triggers {
        viewer_function: None,
        viewer_request: node(&files.viewer_request, EventType::ViewerRequest).await?,
        origin_request,
        origin_response: node(&files.origin_response, EventType::OriginResponse).await?,
        viewer_response: node(&files.viewer_response, EventType::ViewerResponse).await?,
    })
}

/// Starts the Node.js handler at `path`, if one is given.
async fn node_handler(
    node: &Path,
    path: Option<&Path>,
    event_type: EventType,
    work_dir: &Path,
) -> Result<Option<EdgeHandler>, DevError> {
    let Some(path) = path else {
        return Ok(None);
    };
    let function = NodeFunction::start(node, path, event_type, work_dir).await?;
    Ok(Some(EdgeHandler::Node(Arc::new(function))))
}

/// The ALB reached directly: in dual mode the custom domain's HTTPS listener, else the HTTP
/// listener CloudFront uses (to see why it must refuse traffic that bypasses CloudFront).
fn alb_direct(settings: &Settings, addr: SocketAddr, albs: &Albs) -> Listener {
    let dual = settings.mode == DeploymentMode::Dual;
    let alb = if dual { &albs.https } else { &albs.http };
    Listener {
        addr,
        tls: dual,
        frontend: alb_frontend(alb, "alb-direct", settings),
    }
}

/// Custom-domain mode: the ALB's HTTPS listener, and its HTTP listener redirecting to it.
fn custom_domain(settings: &Settings, albs: &Albs) -> Topology {
    let listeners = vec![
        Listener {
            addr: settings.listen,
            tls: true,
            frontend: alb_frontend(&albs.https, "alb-https", settings),
        },
        Listener {
            addr: settings.http_listen,
            tls: false,
            frontend: Frontend::RedirectToHttps {
                https_port: settings.listen.port(),
            },
        },
    ];
    Topology {
        listeners,
        functions: None,
    }
}

/// Development mode: the ALB's HTTP listener only.
fn development(settings: &Settings, albs: &Albs) -> Topology {
    let listeners = vec![Listener {
        addr: settings.http_listen,
        tls: false,
        frontend: alb_frontend(&albs.http, "alb-http", settings),
    }];
    Topology {
        listeners,
        functions: None,
    }
}

fn alb_frontend(alb: &Alb, label: &'static str, settings: &Settings) -> Frontend {
    Frontend::Alb {
        alb: Box::new(alb.clone()),
        label,
        log: settings.log_requests,
    }
}
