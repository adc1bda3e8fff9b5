//! The one interface every edge function implements, and the JSON runner all three hosts
//! share (native `lambda_runtime`, Node.js + wasm at the edge, the local emulator), so they
//! produce byte-identical results from the same core.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::EdgeError;
use crate::model::{CloudFrontEvent, EdgeResult};
use crate::policy::ConfigProblem;

/// An edge function: a typed config and a pure handler.
pub trait EdgeFunction {
    /// Serde config (snake_case keys, unknown keys refused, documented defaults).
    type Config: DeserializeOwned + Serialize + Default + Debug + Send + Sync + 'static;
    /// The crate's error type.
    type Error: std::error::Error + Send + Sync + 'static;
    /// `forwarded-proto`, `keycloak-host`.
    const NAME: &'static str;

    /// Semantic checks serde cannot express (header names, host lists, secrets).
    fn check_config(config: &Self::Config) -> Result<(), ConfigProblem>;

    /// The pure handler.
    fn handle(config: &Self::Config, event: CloudFrontEvent) -> Result<EdgeResult, Self::Error>;
}

/// Why running a function on JSON failed (an [`EdgeError`]: `BadEvent`, `Handler`,
/// `Serialise`).
pub type RunError = EdgeError;

/// Parses and checks a config from JSON, naming the field of any problem.
pub fn config_from_json<F: EdgeFunction>(json: &str) -> Result<F::Config, ConfigProblem> {
    let deserializer = &mut serde_json::Deserializer::from_str(json);
    let config: F::Config = serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        ConfigProblem::new(
            if path == "." { "config".into() } else { path },
            err.into_inner().to_string(),
        )
    })?;
    F::check_config(&config)?;
    Ok(config)
}

/// Parses an event from JSON, naming the JSON path of any problem.
///
/// The fast path is plain `serde_json` (path tracking doubles the parse time, measured with
/// `cargo bench -p forwarded-proto`); only a failed parse is redone with path tracking.
pub fn event_from_json(json: &[u8]) -> Result<CloudFrontEvent, RunError> {
    if let Ok(event) = serde_json::from_slice(json) {
        return Ok(event);
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(json);
    match serde_path_to_error::deserialize(deserializer) {
        Ok(event) => Ok(event),
        Err(err) => Err(RunError::BadEvent {
            path: err.path().to_string(),
            message: err.into_inner().to_string(),
        }),
    }
}

/// Event JSON in, result JSON out: the path every host takes.
pub fn run_json<F: EdgeFunction>(
    config: &F::Config,
    event_json: &[u8],
) -> Result<Vec<u8>, RunError> {
    let event = event_from_json(event_json)?;
    let result = F::handle(config, event).map_err(|err| RunError::Handler(err.to_string()))?;
    serde_json::to_vec(&result).map_err(|err| RunError::Serialise(err.to_string()))
}

/// Loads a native function's config: the JSON file named by `EDGEKIT_CONFIG`, else the
/// defaults. (Lambda@Edge has no environment variables; this is for native and regional
/// use. [CloudFront Developer Guide, "Restrictions on Lambda@Edge"])
#[cfg(not(target_arch = "wasm32"))]
pub fn config_from_env<F: EdgeFunction>() -> Result<F::Config, EdgeError> {
    match std::env::var_os("EDGEKIT_CONFIG") {
        None => {
            let config = F::Config::default();
            F::check_config(&config)?;
            Ok(config)
        }
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|err| {
                ConfigProblem::new(
                    "EDGEKIT_CONFIG",
                    format!("cannot read {}: {err}", path.to_string_lossy()),
                )
            })?;
            Ok(config_from_json::<F>(&text)?)
        }
    }
}
