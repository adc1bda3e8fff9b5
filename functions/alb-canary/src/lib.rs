//! alb-canary: the health canary's probe engine — targets config, concurrent probes,
//! classification of every failure (502 by source, 503, 504, TLS, DNS, timeout,
//! https-detection, config) from one signature table, and CloudWatch EMF output. Each attempt
//! is [`fetch::fetch`] (the HTTP exchange) then [`classify`] (pure). `main.rs` wires
//! [`handle_event`] into `lambda_runtime`; `edgekit canary run` calls [`probe_all`].
pub mod checks;
pub mod classify;
pub mod config;
pub mod emf;
pub mod fetch;
pub mod probe;
pub mod signatures;

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use classify::Class;
pub use config::{CanaryConfig, CanaryEvent, Check, JsonScalar, ProbePath, SecretHeaders, Target};
pub use probe::{ProbeResult, probe_all};
pub use signatures::{SIGNATURES, Source};

/// Everything that makes the canary itself fail (bad config). A failing probe is a result.
#[derive(Debug, thiserror::Error)]
pub enum CanaryError {
    #[error(
        "no targets: the event carries none and {} is not set",
        config::CONFIG_ENV
    )]
    NoTargets,
    #[error("invalid canary config ({origin}): {message}")]
    InvalidConfig { origin: String, message: String },
    #[error("could not read {}: {source}", path.display())]
    ReadConfig {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("target {name:?}: {message}")]
    InvalidTarget { name: String, message: String },
    #[error("could not build the HTTP client: {0}")]
    Client(String),
    #[error("could not write the metrics: {0}")]
    Output(String),
}

/// Lambda's error report for a bad config: `errorType` names the kind, the message says why.
/// [Lambda Developer Guide, "AWS Lambda function errors in Rust"]
impl From<CanaryError> for lambda_runtime::Diagnostic {
    fn from(err: CanaryError) -> Self {
        let kind = match &err {
            CanaryError::NoTargets => "CanaryNoTargets",
            CanaryError::InvalidConfig { .. } | CanaryError::InvalidTarget { .. } => {
                "CanaryInvalidConfig"
            }
            CanaryError::ReadConfig { .. } => "CanaryReadConfig",
            CanaryError::Client(_) => "CanaryClient",
            CanaryError::Output(_) => "CanaryOutput",
        };
        Self {
            error_type: kind.to_owned(),
            error_message: err.to_string(),
        }
    }
}

/// What the Lambda returns: every result, and how many failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub failed: usize,
    pub results: Vec<ProbeResult>,
}

impl Summary {
    pub fn new(results: Vec<ProbeResult>) -> Self {
        let failed = results.iter().filter(|r| !r.is_ok()).count();
        Self {
            total: results.len(),
            failed,
            results,
        }
    }
}

/// Writes one EMF line per result to `out`.
pub fn write_emf(
    results: &[ProbeResult],
    namespace: &str,
    out: &mut impl Write,
) -> Result<(), CanaryError> {
    let timestamp = emf::now_ms();
    for result in results {
        let record = emf::record(result, namespace, timestamp);
        let line =
            serde_json::to_string(&record).map_err(|e| CanaryError::Output(e.to_string()))?;
        writeln!(out, "{line}").map_err(|e| CanaryError::Output(e.to_string()))?;
    }
    out.flush().map_err(|e| CanaryError::Output(e.to_string()))
}

/// Probes the configured targets, then writes one EMF line per result to `out`.
pub async fn run_with_emf(
    config: &CanaryConfig,
    out: &mut impl Write,
) -> Result<Summary, CanaryError> {
    let results = probe_all(config).await?;
    write_emf(&results, config.namespace(), out)?;
    Ok(Summary::new(results))
}

/// The Lambda handler: resolves the config (event, then `EDGEKIT_CANARY_CONFIG`), probes,
/// prints EMF on stdout, returns the summary. Only bad config is an error, so a failing
/// target never makes Lambda retry the invocation.
pub async fn handle_event(event: CanaryEvent) -> Result<Summary, CanaryError> {
    let env = std::env::var(config::CONFIG_ENV).ok();
    let config = event.resolve(env.as_deref())?;
    let results = probe_all(&config).await?;
    // stdout is locked only once the probes are done, never across an await.
    write_emf(&results, config.namespace(), &mut std::io::stdout().lock())?;
    let summary = Summary::new(results);
    tracing::info!(
        total = summary.total,
        failed = summary.failed,
        "canary run finished"
    );
    Ok(summary)
}

/// Logs to stderr (stdout carries the EMF lines), filter from `RUST_LOG` (default info).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .try_init();
}
