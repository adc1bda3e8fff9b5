//! Listeners and wiring: binds the viewer (and optional ALB, Keycloak, echo) listeners,
//! builds the distributions from the command line, serves HTTP/1.1 and HTTP/2 (TLS via
//! rustls), and shuts down gracefully on Ctrl-C or SIGTERM.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use edge::proto::Proto;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::alb::{Alb, VerifyRule, origin_client};
use super::cloudfront::{Distribution, Triggers};
use super::functions::{EdgeHandler, NodeFunction};
use super::settings::{AlbMode, DevConfigFile, Mode, OriginTarget, absolute};
use super::{DevError, echo, tls};
use crate::commands::dev::DevArgs;

/// Response body type of every layer.
pub type Body = BoxBody<Bytes, hyper::Error>;

/// A complete body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// What a listener serves.
pub enum Frontend {
    /// A CloudFront viewer listener (the protocol is the viewer's).
    CloudFront {
        distribution: Arc<Distribution>,
        viewer: Proto,
    },
    /// An ALB listener reached directly.
    Alb {
        alb: Box<Alb>,
        label: &'static str,
        log: bool,
    },
    /// An ALB HTTP listener whose default action redirects to HTTPS. [ELB guide, "Listener
    /// rules", redirect actions]
    RedirectToHttps { https_port: u16 },
    /// The embedded echo origin.
    Echo,
}

impl Frontend {
    async fn serve(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        match self {
            Self::CloudFront {
                distribution,
                viewer,
            } => distribution.handle(request, *viewer, peer).await,
            Self::Alb { alb, label, log } => {
                let started = std::time::Instant::now();
                let method = request.method().clone();
                let path = request.uri().path().to_owned();
                let mut notes = Vec::new();
                let response = match direct_request(request).await {
                    Ok(forward) => alb.handle(forward, peer.ip(), &mut notes).await,
                    Err(response) => response,
                };
                if *log {
                    eprintln!(
                        "edgekit dev: [{label}] {} {method} {path} {:.1} ms{}",
                        response.status().as_u16(),
                        started.elapsed().as_secs_f64() * 1000.0,
                        if notes.is_empty() {
                            String::new()
                        } else {
                            format!(" | {}", notes.join(" | "))
                        }
                    );
                }
                response
            }
            Self::RedirectToHttps { https_port } => {
                let host = request
                    .headers()
                    .get("host")
                    .and_then(|v| v.to_str().ok())
                    .map(super::cloudfront::strip_port)
                    .unwrap_or("localhost")
                    .to_owned();
                let path = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
                let mut response = Response::new(full(""));
                *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
                if let Ok(location) =
                    http::HeaderValue::from_str(&format!("https://{host}:{https_port}{path}"))
                {
                    response.headers_mut().insert("location", location);
                }
                response
                    .headers_mut()
                    .insert("server", http::HeaderValue::from_static("awselb/2.0"));
                response
            }
            Self::Echo => echo::handle(request).await,
        }
    }
}

async fn direct_request(
    request: Request<Incoming>,
) -> Result<super::alb::ForwardRequest, Response<Body>> {
    let (parts, body) = request.into_parts();
    let body = match http_body_util::Limited::new(body, super::cloudfront::MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(super::alb::alb_page(StatusCode::BAD_REQUEST)),
    };
    let mut headers = parts.headers;
    for hop in [
        "connection",
        "keep-alive",
        "te",
        "transfer-encoding",
        "upgrade",
        "proxy-connection",
        "content-length",
    ] {
        headers.remove(hop);
    }
    if !headers.contains_key("host")
        && let Some(authority) = parts.uri.authority()
        && let Ok(value) = http::HeaderValue::from_str(authority.as_str())
    {
        headers.insert("host", value);
    }
    Ok(super::alb::ForwardRequest {
        method: parts.method,
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned(),
        headers,
        body,
    })
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, DevError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| DevError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// Accepts connections until `shutdown` fires, then lets open ones finish (at most 5 s).
fn spawn_listener(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    frontend: Arc<Frontend>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        let builder = Arc::new(hyper_util::server::conn::auto::Builder::new(
            TokioExecutor::new(),
        ));
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        eprintln!("edgekit dev: accept failed: {err}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = shutdown.changed() => break,
            };
            let _ = stream.set_nodelay(true);
            let frontend = Arc::clone(&frontend);
            let builder = Arc::clone(&builder);
            let tls = tls.clone();
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let frontend = Arc::clone(&frontend);
                    async move { Ok::<_, Infallible>(frontend.serve(request, peer).await) }
                });
                match tls {
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(stream) => {
                            let conn = builder
                                .serve_connection(TokioIo::new(stream), service)
                                .into_owned();
                            let _ = watcher.watch(conn).await;
                        }
                        Err(err) => {
                            eprintln!("edgekit dev: TLS handshake with {peer} failed: {err}")
                        }
                    },
                    None => {
                        let conn = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .into_owned();
                        let _ = watcher.watch(conn).await;
                    }
                }
            });
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    })
}

/// Header names CloudFront refuses as custom origin headers. [CloudFront Developer Guide,
/// "Add custom headers to origin requests": "Custom headers that CloudFront can't add to
/// origin requests"]
fn custom_header_refused(name: &str) -> bool {
    const REFUSED: &[&str] = &[
        "cache-control",
        "connection",
        "content-length",
        "cookie",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "max-forwards",
        "pragma",
        "proxy-authorization",
        "proxy-connection",
        "range",
        "request-range",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "x-real-ip",
    ];
    let lower = name.to_ascii_lowercase();
    REFUSED.contains(&lower.as_str()) || lower.starts_with("x-amz-") || lower.starts_with("x-edge-")
}

fn parse_custom_header(value: &str) -> Result<(String, String), DevError> {
    let invalid = |reason: &str| DevError::InvalidArg {
        what: "--custom-origin-header",
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let (name, header_value) = value
        .split_once(':')
        .ok_or_else(|| invalid("use 'Name: value'"))?;
    let (name, header_value) = (name.trim(), header_value.trim());
    if !edge::rules::is_token(name) || http::HeaderValue::from_str(header_value).is_err() {
        return Err(invalid("not a valid header"));
    }
    Ok((name.to_owned(), header_value.to_owned()))
}

/// The emulator's ALB DNS name (what CloudFront's custom origin points at).
pub const ALB_DOMAIN: &str = "edgekit-dev-alb-1234567890.us-east-1.elb.amazonaws.com";

async fn node_handler(
    args: &DevArgs,
    path: &Option<PathBuf>,
    event_type: edge::EventType,
    work_dir: &std::path::Path,
) -> Result<Option<EdgeHandler>, DevError> {
    match path {
        None => Ok(None),
        Some(path) => {
            let path = absolute(path)?;
            let function = NodeFunction::start(&args.node, &path, event_type, work_dir).await?;
            Ok(Some(EdgeHandler::Node(Arc::new(function))))
        }
    }
}

/// Runs the emulator until Ctrl-C/SIGTERM.
pub async fn run(args: DevArgs) -> Result<(), DevError> {
    let mode = args.mode;
    let file = match &args.config {
        Some(path) => DevConfigFile::load(path)?,
        None => DevConfigFile::default(),
    };
    let work_dir = std::env::temp_dir().join(format!("edgekit-dev-{}", std::process::id()));
    std::fs::create_dir_all(&work_dir)?;

    let mut custom_origin_headers: Vec<(String, String)> = file
        .custom_origin_headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for value in &args.custom_origin_header {
        custom_origin_headers.push(parse_custom_header(value)?);
    }
    if let Some((name, _)) = custom_origin_headers
        .iter()
        .find(|(name, _)| custom_header_refused(name))
    {
        return Err(DevError::InvalidArg {
            what: "custom origin header",
            value: name.clone(),
            reason: "CloudFront can't add this header to origin requests (Developer Guide, \"Add custom headers to origin requests\")".into(),
        });
    }

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut tasks = Vec::new();

    // The origin: the user's, or the embedded echo.
    let origin = match &args.origin {
        Some(url) => OriginTarget::parse("--origin", url)?,
        None => {
            let listener = bind(args.echo_listen).await?;
            let addr = listener.local_addr()?;
            tasks.push(spawn_listener(
                listener,
                None,
                Arc::new(Frontend::Echo),
                shutdown_rx.clone(),
            ));
            OriginTarget::parse("--origin", &format!("http://{addr}"))?
        }
    };
    let client = origin_client();
    let fp_config = file.forwarded_proto.clone().unwrap_or_default();
    let verify = if args.alb_verify {
        let Some(verify) = &fp_config.origin_verify else {
            return Err(DevError::InvalidArg {
                what: "--alb-verify",
                value: "on".into(),
                reason:
                    "set forwarded_proto.origin_verify {\"header\", \"secret\"} in --config FILE"
                        .into(),
            });
        };
        let header = http::HeaderName::from_bytes(verify.header.as_bytes()).map_err(|err| {
            DevError::InvalidArg {
                what: "origin_verify.header",
                value: verify.header.clone(),
                reason: err.to_string(),
            }
        })?;
        Some(VerifyRule {
            header,
            secret: verify.secret.expose().to_owned(),
        })
    } else {
        None
    };
    let alb_mode = if mode.has_cloudfront() {
        args.alb
    } else if args.alb == AlbMode::Off {
        AlbMode::XfpOverwrite
    } else {
        args.alb
    };
    let alb_http = Alb {
        mode: alb_mode,
        listener: Proto::Http,
        listener_port: 80,
        verify: verify.clone(),
        origin: origin.clone(),
        client: client.clone(),
        timeout: Duration::from_secs(args.origin_timeout),
    };
    let alb_https = Alb {
        listener: Proto::Https,
        listener_port: 443,
        ..alb_http.clone()
    };

    let needs_tls = mode != Mode::Development;
    let tls = if needs_tls {
        Some(tls::self_signed(&work_dir, &args.tls_name)?)
    } else {
        None
    };
    let acceptor = tls
        .as_ref()
        .map(|tls| TlsAcceptor::from(Arc::clone(&tls.config)));

    let mut lines = Vec::new();
    let edge_host = format!("{:032x}.cloudfront.net", rand::random::<u128>());
    let https_port = args.listen.port();

    if mode.has_cloudfront() {
        let origin_request = match (&args.origin_request_js, args.no_forwarded_proto) {
            (Some(path), _) => {
                node_handler(
                    &args,
                    &Some(path.clone()),
                    edge::EventType::OriginRequest,
                    &work_dir,
                )
                .await?
            }
            (None, true) => None,
            (None, false) => Some(EdgeHandler::ForwardedProto(Arc::new(fp_config.clone()))),
        };
        let triggers = Triggers {
            viewer_request: node_handler(
                &args,
                &args.viewer_request_js,
                edge::EventType::ViewerRequest,
                &work_dir,
            )
            .await?,
            origin_request,
            origin_response: node_handler(
                &args,
                &args.origin_response_js,
                edge::EventType::OriginResponse,
                &work_dir,
            )
            .await?,
            viewer_response: node_handler(
                &args,
                &args.viewer_response_js,
                edge::EventType::ViewerResponse,
                &work_dir,
            )
            .await?,
        };
        let functions = triggers.describe();
        let distribution = Arc::new(Distribution {
            label: "app",
            triggers,
            custom_origin_headers: custom_origin_headers.clone(),
            policy: args.origin_request_policy,
            redirect_to_https: true,
            https_port,
            origin_domain: ALB_DOMAIN.into(),
            alb: alb_http.clone(),
            function_error_status: StatusCode::from_u16(args.function_error_status)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            edge_host: edge_host.clone(),
            log_requests: !args.quiet,
        });
        let https = bind(args.listen).await?;
        let http = bind(args.http_listen).await?;
        tasks.push(spawn_listener(
            https,
            acceptor.clone(),
            Arc::new(Frontend::CloudFront {
                distribution: Arc::clone(&distribution),
                viewer: Proto::Https,
            }),
            shutdown_rx.clone(),
        ));
        tasks.push(spawn_listener(
            http,
            None,
            Arc::new(Frontend::CloudFront {
                distribution,
                viewer: Proto::Http,
            }),
            shutdown_rx.clone(),
        ));
        lines.push(format!(
            "  https://{}/  CloudFront viewer, HTTPS (self-signed certificate)",
            show(args.listen)
        ));
        lines.push(format!(
            "  http://{}/   CloudFront viewer, HTTP (viewer protocol policy redirect-to-https)",
            show(args.http_listen)
        ));
        lines.push(format!(
            "  functions: {functions}; origin request policy {}; custom origin headers: {}",
            args.origin_request_policy.managed_name(),
            if custom_origin_headers.is_empty() {
                "none".to_owned()
            } else {
                custom_origin_headers
                    .iter()
                    .map(|(n, v)| format!("{n}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ));
        match alb_mode {
            AlbMode::Off => {
                lines.push("  ALB: off (CloudFront talks to the origin directly)".into())
            }
            _ => lines.push(format!(
                "  ALB: HTTP listener (X-Forwarded-Proto: http, {}){}",
                if alb_mode == AlbMode::XfpAppend {
                    "appended"
                } else {
                    "overwritten"
                },
                if verify.is_some() {
                    "; origin-verify rule on (403 without the secret)"
                } else {
                    ""
                }
            )),
        }

        if let Some(url) = &args.keycloak_origin {
            let keycloak_origin = OriginTarget::parse("--keycloak-origin", url)?;
            let kc_port = args.keycloak_listen.port();
            let kc_config = match &file.keycloak_host {
                Some(config) => config.clone(),
                None => keycloak_host::Config {
                    public_hosts: vec![
                        format!("localhost:{kc_port}"),
                        format!("127.0.0.1:{kc_port}"),
                    ],
                    ..keycloak_host::Config::default()
                },
            };
            keycloak_host::check_config(&kc_config).map_err(|err| DevError::Config {
                path: args.config.clone().unwrap_or_default(),
                field: format!("keycloak_host.{}", err.field),
                reason: err.reason,
            })?;
            let kc_alb = Alb {
                origin: keycloak_origin.clone(),
                verify: None,
                ..alb_http.clone()
            };
            let kc_distribution = Arc::new(Distribution {
                label: "keycloak",
                triggers: Triggers {
                    origin_request: Some(EdgeHandler::KeycloakHost(Arc::new(kc_config.clone()))),
                    ..Triggers::default()
                },
                custom_origin_headers: Vec::new(),
                policy: args.origin_request_policy,
                redirect_to_https: true,
                https_port: kc_port,
                origin_domain: ALB_DOMAIN.into(),
                alb: kc_alb,
                function_error_status: StatusCode::from_u16(args.function_error_status)
                    .unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                edge_host: edge_host.clone(),
                log_requests: !args.quiet,
            });
            let listener = bind(args.keycloak_listen).await?;
            tasks.push(spawn_listener(
                listener,
                acceptor.clone(),
                Arc::new(Frontend::CloudFront {
                    distribution: kc_distribution,
                    viewer: Proto::Https,
                }),
                shutdown_rx.clone(),
            ));
            lines.push(format!(
                "  https://{}/  Keycloak distribution (origin-request: keycloak-host, public hosts {}) → {}",
                show(args.keycloak_listen),
                kc_config.public_hosts.join(", "),
                keycloak_origin.base
            ));
        }
    } else if mode == Mode::CustomDomain {
        let https = bind(args.listen).await?;
        let http = bind(args.http_listen).await?;
        tasks.push(spawn_listener(
            https,
            acceptor.clone(),
            Arc::new(Frontend::Alb {
                alb: Box::new(alb_https.clone()),
                label: "alb-https",
                log: !args.quiet,
            }),
            shutdown_rx.clone(),
        ));
        tasks.push(spawn_listener(
            http,
            None,
            Arc::new(Frontend::RedirectToHttps { https_port }),
            shutdown_rx.clone(),
        ));
        lines.push(format!(
            "  https://{}/  ALB HTTPS listener (custom domain; no CloudFront, no edge functions)",
            show(args.listen)
        ));
        lines.push(format!(
            "  http://{}/   ALB HTTP listener (redirects to HTTPS)",
            show(args.http_listen)
        ));
    } else {
        let http = bind(args.http_listen).await?;
        tasks.push(spawn_listener(
            http,
            None,
            Arc::new(Frontend::Alb {
                alb: Box::new(alb_http.clone()),
                label: "alb-http",
                log: !args.quiet,
            }),
            shutdown_rx.clone(),
        ));
        lines.push(format!(
            "  http://{}/   ALB HTTP listener (development: no CloudFront, no TLS)",
            show(args.http_listen)
        ));
    }

    // The ALB reached directly: the HTTP listener CloudFront uses, or in dual mode the HTTPS
    // listener of the custom domain.
    let alb_listen = args.alb_listen.or(if mode == Mode::Dual {
        Some(SocketAddr::from(([127, 0, 0, 1], 9443)))
    } else {
        None
    });
    if let Some(addr) = alb_listen
        && mode.has_cloudfront()
    {
        let listener = bind(addr).await?;
        let (alb, tls_for_alb, scheme, what) = if mode == Mode::Dual {
            (
                alb_https.clone(),
                acceptor.clone(),
                "https",
                "ALB HTTPS listener (dual ingress: the custom domain, no CloudFront)",
            )
        } else {
            (
                alb_http.clone(),
                None,
                "http",
                "ALB HTTP listener reached directly (bypassing CloudFront)",
            )
        };
        tasks.push(spawn_listener(
            listener,
            tls_for_alb,
            Arc::new(Frontend::Alb {
                alb: Box::new(alb),
                label: "alb-direct",
                log: !args.quiet,
            }),
            shutdown_rx.clone(),
        ));
        lines.push(format!("  {scheme}://{}/  {what}", show(addr)));
        if mode == Mode::Dual {
            // The reference deployment warns about dual ingress (DESIGN.md, "Deployment modes").
            lines.push("  warning: dual ingress serves the app at two URLs (CloudFront and the custom domain); that may confuse users and cookies".into());
        }
    }

    println!(
        "edgekit dev: mode {} — a local CloudFront + ALB in front of your origin",
        mode_name(mode)
    );
    for line in &lines {
        println!("{line}");
    }
    println!(
        "  origin: {}{}",
        origin.base,
        if args.origin.is_none() {
            " (embedded echo: answers with what the origin received)"
        } else {
            ""
        }
    );
    if let Some(tls) = &tls {
        println!(
            "  certificate: {} (self-signed, new at every start): use curl -k, or curl --cacert {}",
            tls.cert_path.display(),
            tls.cert_path.display()
        );
    }
    if mode.has_cloudfront() {
        println!(
            "Try: curl -k https://{}/hello -H 'X-Forwarded-Host: evil.example'   (Ctrl-C stops)",
            show(args.listen)
        );
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();

    wait_for_signal().await;
    eprintln!("edgekit dev: shutting down");
    let _ = shutdown_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
    let _ = std::fs::remove_dir_all(&work_dir);
    Ok(())
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Cloudfront => "cloudfront",
        Mode::CustomDomain => "custom-domain",
        Mode::Dual => "dual",
        Mode::Development => "development",
    }
}

/// `127.0.0.1:8443` → `localhost:8443` (what the certificate and a browser expect).
fn show(addr: SocketAddr) -> String {
    if addr.ip().is_loopback() && addr.is_ipv4() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_headers() {
        assert_eq!(
            parse_custom_header("X-Forwarded-Proto: https").unwrap(),
            ("X-Forwarded-Proto".into(), "https".into())
        );
        assert!(parse_custom_header("nocolon").is_err());
        assert!(custom_header_refused("Host"));
        assert!(custom_header_refused("X-Amz-Foo"));
        assert!(!custom_header_refused("X-Forwarded-Proto"));
    }
}
