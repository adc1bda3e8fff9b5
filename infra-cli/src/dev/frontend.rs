//! What a listener serves ([`Frontend`]): a CloudFront viewer listener, an ALB listener
//! reached directly, the ALB's redirect-to-HTTPS listener, or the embedded echo origin.

use std::net::SocketAddr;
use std::sync::Arc;

use edge::proto::Proto;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::alb::{Alb, ForwardRequest, alb_page};
use super::cloudfront::{Distribution, MAX_BODY_BYTES, strip_port};
use super::echo;
use super::server::{Body, full};

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
    /// Answers one request from `peer`.
    pub async fn serve(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
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
                    .map(strip_port)
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

/// A request reaching the ALB directly, as the ALB forwards it (hop-by-hop headers dropped,
/// Host from the authority when absent).
async fn direct_request(request: Request<Incoming>) -> Result<ForwardRequest, Response<Body>> {
    let (parts, body) = request.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(alb_page(StatusCode::BAD_REQUEST)),
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
    Ok(ForwardRequest {
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
