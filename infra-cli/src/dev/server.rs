//! The orchestrator of `edgekit dev`: starts the origin, the certificate and the listeners
//! of the mode's [`Topology`], prints the banner, and on Ctrl-C or SIGTERM shuts the
//! listeners down gracefully.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::banner::{self, Started};
use super::frontend::Frontend;
use super::listeners::{bind, spawn_listener, wait_for_signal};
use super::settings::{OriginTarget, Settings};
use super::topology::{Topology, needs_tls};
use super::{DevError, tls};

/// Response body type of every layer.
pub type Body = BoxBody<Bytes, hyper::Error>;

/// A complete body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// Runs the emulator until Ctrl-C/SIGTERM.
pub async fn run(settings: &Settings) -> Result<(), DevError> {
    // Per process, so that two emulators do not share certificates or bridge scripts.
    let work_dir = std::env::temp_dir().join(format!("edgekit-dev-{}", std::process::id()));
    std::fs::create_dir_all(&work_dir)?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut tasks = Vec::new();

    let origin = match &settings.origin {
        Some(origin) => origin.clone(),
        None => start_echo(settings, &shutdown_rx, &mut tasks).await?,
    };
    let tls = if needs_tls(settings.mode) {
        Some(tls::from_dev_ca(&settings.ca_dir, &settings.tls_names)?)
    } else {
        None
    };
    let acceptor = tls
        .as_ref()
        .map(|tls| TlsAcceptor::from(Arc::clone(&tls.config)));
    let topology = Topology::build(settings, &origin, &work_dir).await?;
    for listener in topology.listeners {
        let bound = bind(listener.addr).await?;
        let tls = if listener.tls { acceptor.clone() } else { None };
        let frontend = Arc::new(listener.frontend);
        tasks.push(spawn_listener(bound, tls, frontend, shutdown_rx.clone()));
    }
    banner::print(
        settings,
        &Started {
            origin: &origin,
            functions: topology.functions.as_deref(),
            certificate: tls.as_ref().map(|tls| tls.cert_path.as_path()),
        },
    );

    wait_for_signal().await;
    eprintln!("edgekit dev: shutting down");
    let _ = shutdown_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
    let _ = std::fs::remove_dir_all(&work_dir);
    Ok(())
}

/// The embedded echo origin on `--echo-listen` (port 0: any free port).
async fn start_echo(
    settings: &Settings,
    shutdown: &watch::Receiver<bool>,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<OriginTarget, DevError> {
    let listener = bind(settings.echo_listen).await?;
    let addr = listener.local_addr()?;
    let echo = Arc::new(Frontend::Echo);
    tasks.push(spawn_listener(listener, None, echo, shutdown.clone()));
    OriginTarget::parse("--origin", &format!("http://{addr}"))
}
