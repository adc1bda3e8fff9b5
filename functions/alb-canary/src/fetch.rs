//! The HTTP exchange of one probe attempt and nothing else: the shared clients, the request,
//! the bounded body, the TLS facts, or a typed [`Failure`] saying why there is no answer.
//! Naming the class is [`crate::classify`]'s job.
use std::collections::HashMap;
use std::error::Error as StdError;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{HOST, HeaderMap};

use crate::CanaryError;
use crate::config::{DEFAULT_TIMEOUT_MS, MAX_BODY_BYTES, Target};

/// An answer: what the classification looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body, up to [`MAX_BODY_BYTES`].
    pub body: Vec<u8>,
    /// From sending the request to the end of the (bounded) body.
    pub latency_ms: u64,
    /// Days until the server certificate expires (negative: expired), on https.
    pub tls_days_left: Option<i64>,
}

/// Why an attempt got no complete answer. `Display` is the result's `detail`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The target does not make a request (its URL or public host does not parse).
    #[error("invalid target: {0}")]
    InvalidTarget(String),
    /// No HTTP client could be built for the target (e.g. a root certificate rustls refuses).
    #[error("could not build a client: {0}")]
    ClientBuild(String),
    #[error("dns: {0}")]
    Dns(String),
    #[error("connect: connection refused ({0})")]
    Refused(String),
    #[error("connect: connection reset ({0})")]
    Reset(String),
    /// The peer hung up before a complete answer (e.g. hyper's "connection closed before
    /// message completed").
    #[error("connect: connection closed ({0})")]
    Closed(String),
    #[error("connect: {0}")]
    Connect(String),
    #[error("timeout: {0}")]
    Timeout(String),
    #[error("tls: certificate expired{}", days_ago(.days_left))]
    CertificateExpired { days_left: Option<i64> },
    #[error("tls: {0}")]
    Tls(String),
    /// The status and headers arrived, the body did not.
    #[error("{cause} (while reading the {status} body)")]
    Body { status: u16, cause: Box<Failure> },
}

impl Failure {
    /// The status of an answer whose body failed.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Body { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Days left (negative) of a certificate the handshake found expired.
    pub fn tls_days_left(&self) -> Option<i64> {
        match self {
            Self::CertificateExpired { days_left } => *days_left,
            _ => None,
        }
    }

    /// Names a transport error by walking its sources: rustls first, then io kinds, then
    /// resolver messages, then reqwest's own timeout/connect flags.
    fn from_transport(err: &reqwest::Error) -> Self {
        let chain = error_chain(err);
        let mut current: Option<&(dyn StdError + 'static)> = Some(err);
        while let Some(e) = current {
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return Self::from_tls(tls, &chain);
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && let Some(failure) = Self::from_io(io, err.is_timeout(), &chain)
            {
                return failure;
            }
            let text = e.to_string();
            if text.starts_with("dns error") || text.contains("failed to lookup address") {
                return Self::Dns(chain);
            }
            current = e.source();
        }
        if err.is_timeout() {
            Self::Timeout(format!("no answer in time ({chain})"))
        } else if err.is_connect() {
            Self::Connect(chain)
        } else {
            Self::Closed(chain)
        }
    }

    fn from_io(io: &std::io::Error, reqwest_timeout: bool, chain: &str) -> Option<Self> {
        use std::io::ErrorKind::*;
        if let Some(tls) = rustls_in_io(io) {
            return Some(Self::from_tls(tls, chain));
        }
        match io.kind() {
            ConnectionRefused => Some(Self::Refused(chain.to_owned())),
            ConnectionReset | ConnectionAborted | BrokenPipe => Some(Self::Reset(chain.to_owned())),
            // reqwest's own timeout is reported below, with its own wording.
            TimedOut if !reqwest_timeout => Some(Self::Timeout(chain.to_owned())),
            _ => None,
        }
    }

    fn from_tls(tls: &rustls::Error, chain: &str) -> Self {
        use rustls::CertificateError;
        match tls {
            rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
                time,
                not_after,
            }) => {
                let days = (i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX)
                    - i64::try_from(time.as_secs()).unwrap_or(0))
                .div_euclid(86_400);
                Self::CertificateExpired {
                    days_left: Some(days),
                }
            }
            rustls::Error::InvalidCertificate(CertificateError::Expired) => {
                Self::CertificateExpired { days_left: None }
            }
            other => Self::Tls(format!("{other} ({chain})")),
        }
    }
}

/// ` (N days ago)` when the handshake said how long ago the certificate expired.
fn days_ago(days_left: &Option<i64>) -> String {
    days_left.map_or_else(String::new, |days| format!(" ({} days ago)", -days))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    follow_redirects: bool,
    ca_file: Option<PathBuf>,
}

impl ClientKey {
    fn of(target: &Target) -> Self {
        Self {
            follow_redirects: target.follow_redirects,
            ca_file: target.ca_file.clone(),
        }
    }
}

/// One shared client per distinct (redirect policy, CA file): building a client loads the
/// root store, so 100 plain targets share one.
#[derive(Default)]
pub struct ClientSet {
    clients: HashMap<ClientKey, reqwest::Client>,
    roots: HashMap<PathBuf, Vec<reqwest::Certificate>>,
}

impl ClientSet {
    /// Reads every CA file and builds the shared clients. Failing here is bad config (an
    /// unreadable CA file, a client that cannot be built): the whole run fails.
    pub fn build(targets: &[Target]) -> Result<Self, CanaryError> {
        let mut set = Self::default();
        for target in targets {
            if let Some(path) = &target.ca_file
                && !set.roots.contains_key(path)
            {
                let certs = read_roots(target, path)?;
                set.roots.insert(path.clone(), certs);
            }
            let key = ClientKey::of(target);
            if !set.clients.contains_key(&key) {
                let client = set
                    .builder(&key)
                    .build()
                    .map_err(|e| CanaryError::Client(e.to_string()))?;
                set.clients.insert(key, client);
            }
        }
        Ok(set)
    }

    fn builder(&self, key: &ClientKey) -> reqwest::ClientBuilder {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("edgekit-canary/", env!("CARGO_PKG_VERSION")))
            // The canary must see the origins as they are, not through a local proxy.
            .no_proxy()
            .tls_info(true)
            .redirect(if key.follow_redirects {
                reqwest::redirect::Policy::limited(10)
            } else {
                reqwest::redirect::Policy::none()
            });
        if let Some(certs) = key.ca_file.as_ref().and_then(|p| self.roots.get(p)) {
            for cert in certs {
                builder = builder.add_root_certificate(cert.clone());
            }
        }
        builder
    }

    /// The shared client for a target (a cheap handle on the same connection pool).
    fn shared(&self, key: &ClientKey) -> Result<reqwest::Client, Failure> {
        self.clients
            .get(key)
            .cloned()
            .ok_or_else(|| Failure::ClientBuild("internal: no HTTP client for this target".into()))
    }
}

fn read_roots(
    target: &Target,
    path: &std::path::Path,
) -> Result<Vec<reqwest::Certificate>, CanaryError> {
    let pem = std::fs::read(path).map_err(|source| CanaryError::ReadConfig {
        path: path.to_owned(),
        source,
    })?;
    reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| CanaryError::InvalidTarget {
        name: target.name.clone(),
        message: format!("ca_file {}: {err}", path.display()),
    })
}

/// What to send, and with which client.
struct Prepared {
    client: reqwest::Client,
    url: reqwest::Url,
    host_header: Option<String>,
}

/// One exchange: request, status and headers, the body up to [`MAX_BODY_BYTES`], the TLS
/// facts. Never retries and never classifies.
pub async fn fetch(clients: &ClientSet, target: &Target) -> Result<Answer, Failure> {
    let start = Instant::now();
    let timeout = Duration::from_millis(target.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
    let prepared = prepare(clients, target, timeout).await?;
    let method = target
        .method
        .as_deref()
        .and_then(|m| reqwest::Method::from_bytes(m.as_bytes()).ok())
        .unwrap_or(reqwest::Method::GET);
    let mut request = prepared
        .client
        .request(method, prepared.url)
        .timeout(timeout);
    if let Some(host) = &prepared.host_header {
        request = request.header(HOST, host);
    }
    for (name, value) in &target.headers.0 {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request
        .send()
        .await
        .map_err(|err| Failure::from_transport(&err))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let tls_days_left = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .and_then(days_left_of_der);
    let body = read_body(response).await.map_err(|err| Failure::Body {
        status,
        cause: Box::new(Failure::from_transport(&err)),
    })?;
    Ok(Answer {
        status,
        headers,
        body,
        latency_ms: elapsed_ms(start),
        tls_days_left,
    })
}

/// The URL, client and Host header for a target.
async fn prepare(
    clients: &ClientSet,
    target: &Target,
    timeout: Duration,
) -> Result<Prepared, Failure> {
    // `validate()` rejects a bad URL before any probe; the engine stays total anyway.
    let mut url = reqwest::Url::parse(&target.url)
        .map_err(|err| Failure::InvalidTarget(format!("url {:?}: {err}", target.url)))?;
    let key = ClientKey::of(target);
    match (&target.host, url.scheme()) {
        // Probing the ALB directly on https: connect to the URL's host, but speak TLS (SNI,
        // certificate name) and HTTP as the public host, as CloudFront does for a custom origin.
        (Some(public_host), "https") => {
            let addrs = resolve(&url, timeout).await?;
            url.set_host(Some(public_host))
                .map_err(|err| Failure::InvalidTarget(format!("host {public_host:?}: {err}")))?;
            let client = clients
                .builder(&key)
                .resolve_to_addrs(public_host, &addrs)
                .build()
                .map_err(|err| Failure::ClientBuild(error_chain(&err)))?;
            Ok(Prepared {
                client,
                url,
                host_header: None,
            })
        }
        (host_header, _) => Ok(Prepared {
            client: clients.shared(&key)?,
            url,
            host_header: host_header.clone(),
        }),
    }
}

/// Resolves the URL's host within the attempt's timeout.
async fn resolve(url: &reqwest::Url, timeout: Duration) -> Result<Vec<SocketAddr>, Failure> {
    let port = url.port_or_known_default().unwrap_or(443);
    let host = url.host_str().unwrap_or_default();
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
        Ok(Ok(addrs)) => Ok(addrs.collect()),
        Ok(Err(err)) => Err(Failure::Dns(format!("could not resolve {host}: {err}"))),
        Err(_) => Err(Failure::Timeout(format!("resolving {host}"))),
    }
}

/// Milliseconds since `start`.
pub fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_BODY_BYTES {
            break;
        }
    }
    Ok(body)
}

/// Days until a DER certificate's notAfter (negative once expired).
fn days_left_of_der(der: &[u8]) -> Option<i64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let not_after = cert.validity().not_after.timestamp();
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    Some((not_after - now).div_euclid(86_400))
}

/// The rustls error inside (possibly nested) io::Error payloads: io::Error::source() skips
/// its payload, and hyper-rustls wraps tokio-rustls's io::Error in another one.
fn rustls_in_io(io: &std::io::Error) -> Option<&rustls::Error> {
    let mut payload = io.get_ref()?;
    for _ in 0..4 {
        if let Some(tls) = payload.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        payload = payload.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
    None
}

/// The messages of an error's sources (the top level names the URL; the sources say why).
fn error_chain(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    if parts.is_empty() {
        parts.push(err.to_string());
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[tokio::test]
    async fn an_invalid_url_is_an_invalid_target() {
        let target = Target::new("a", "not a url");
        let failure = fetch(&ClientSet::default(), &target).await.unwrap_err();
        assert!(
            matches!(&failure, Failure::InvalidTarget(d) if d.contains("not a url")),
            "{failure:?}"
        );
    }

    #[tokio::test]
    async fn a_public_host_that_is_no_host_is_an_invalid_target() {
        let mut target = Target::new("a", "https://127.0.0.1:9/");
        target.host = Some("app|example".into());
        let clients = ClientSet::build(std::slice::from_ref(&target)).unwrap();
        let failure = fetch(&clients, &target).await.unwrap_err();
        assert!(matches!(failure, Failure::InvalidTarget(_)), "{failure:?}");
    }

    /// A root certificate rustls refuses: the dedicated client (https + public host) cannot
    /// be built. This used to be reported as `tls`.
    #[tokio::test]
    async fn a_client_that_cannot_be_built_is_a_client_build_failure() {
        let ca = PathBuf::from("bad-ca.pem");
        let mut target = Target::new("a", "https://127.0.0.1:9/");
        target.host = Some("app.example".into());
        target.ca_file = Some(ca.clone());
        let mut clients = ClientSet::default();
        clients.roots.insert(
            ca,
            vec![reqwest::Certificate::from_der(b"not a certificate").unwrap()],
        );
        let failure = fetch(&clients, &target).await.unwrap_err();
        assert!(matches!(failure, Failure::ClientBuild(_)), "{failure:?}");
    }

    #[tokio::test]
    async fn a_missing_shared_client_is_reported_not_panicked() {
        let target = Target::new("a", "http://127.0.0.1:9/");
        let failure = fetch(&ClientSet::default(), &target).await.unwrap_err();
        assert!(matches!(failure, Failure::ClientBuild(_)), "{failure:?}");
    }
}
