//! The listeners: binding, the accept loops serving HTTP/1.1 and HTTP/2 (over TLS via rustls
//! where the listener is HTTPS), and the graceful shutdown on Ctrl-C or SIGTERM.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::DevError;
use super::frontend::Frontend;

/// Binds `addr`, naming it when that fails (e.g. the port is taken).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, DevError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| DevError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// Accepts connections until `shutdown` fires, then lets open ones finish (at most 5 s).
pub fn spawn_listener(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    frontend: Arc<Frontend>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        let builder = Arc::new(conn_builder());
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
            tokio::spawn(serve_connection(
                stream,
                peer,
                tls.clone(),
                Arc::clone(&frontend),
                Arc::clone(&builder),
                graceful.watcher(),
            ));
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    })
}

/// HTTP/1.1 and HTTP/2 on one connection (ALPN or the preface decides).
type ConnBuilder = hyper_util::server::conn::auto::Builder<TokioExecutor>;

/// The connection settings. HTTP/2's header list limit is raised above CloudFront's request
/// limit (h2 answers 431 past its 16 KB default), so that an oversize request gets
/// CloudFront's 413 from the distribution, as over HTTP/1.1. [Developer Guide, "Request and
/// response behavior for custom origins", "Maximum length of a request and maximum length of
/// a URL"]
fn conn_builder() -> ConnBuilder {
    let mut builder = ConnBuilder::new(TokioExecutor::new());
    builder.http2().max_header_list_size(256 * 1024);
    builder
}

/// One connection: the TLS handshake where the listener is HTTPS, then HTTP.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    frontend: Arc<Frontend>,
    builder: Arc<ConnBuilder>,
    watcher: Watcher,
) {
    match tls {
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(stream) => serve_http(stream, peer, frontend, &builder, watcher).await,
            Err(err) => eprintln!("edgekit dev: TLS handshake with {peer} failed: {err}"),
        },
        None => serve_http(stream, peer, frontend, &builder, watcher).await,
    }
}

/// Serves requests on `io` until the peer closes it or the shutdown's grace period ends.
async fn serve_http<I>(
    io: I,
    peer: SocketAddr,
    frontend: Arc<Frontend>,
    builder: &ConnBuilder,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let frontend = Arc::clone(&frontend);
        async move { Ok::<_, Infallible>(frontend.serve(request, peer).await) }
    });
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .into_owned();
    let _ = watcher.watch(conn).await;
}

/// Resolves on Ctrl-C, or SIGTERM on Unix (what `kill` and process managers send).
pub async fn wait_for_signal() {
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
