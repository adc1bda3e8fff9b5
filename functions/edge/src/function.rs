//! The one interface every edge function implements, and the JSON runner all three hosts
//! share (native `lambda_runtime`, Node.js + wasm at the edge, the local emulator), so they
//! produce byte-identical results from the same core.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::EdgeError;
use crate::model::{CloudFrontEvent, EdgeResult, EventType, Response};
use crate::policy::ConfigProblem;
use crate::response;

/// An edge function: a typed config and a pure handler.
pub trait EdgeFunction {
    /// Serde config (snake_case keys, unknown keys refused, documented defaults).
    type Config: DeserializeOwned + Serialize + Default + Debug + Send + Sync + 'static;
    /// The crate's error type.
    type Error: std::error::Error + Send + Sync + 'static;
    /// `forwarded-proto`, `keycloak-host`.
    const NAME: &'static str;
    /// The CloudFront event the function is attached to.
    const TRIGGER: EventType;
    /// The request headers (map keys, lowercase) whose lines `handle` reads or appends to;
    /// `None` (the default): any. The Node.js host sends wasm the lines of these headers
    /// only, and the names of the others (`handle` may remove or replace those, and sees
    /// them with no lines): see [`crate::view`].
    const READS_HEADERS: Option<&'static [&'static str]> = None;

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
/// `cargo bench -p forwarded-proto`); only a failed parse is redone with path tracking
/// (natively; in wasm the line and column are named instead).
pub fn event_from_json(json: &[u8]) -> Result<CloudFrontEvent, RunError> {
    let first = match serde_json::from_slice(json) {
        Ok(event) => return Ok(event),
        Err(err) => err,
    };
    event_error(json, first)
}

/// Natively: the JSON path of a refused event (the parse redone with path tracking).
#[cfg(not(target_arch = "wasm32"))]
fn event_error(json: &[u8], _first: serde_json::Error) -> Result<CloudFrontEvent, RunError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(json);
    match serde_path_to_error::deserialize(deserializer) {
        Ok(event) => Ok(event),
        Err(err) => Err(RunError::BadEvent {
            path: err.path().to_string(),
            message: err.into_inner().to_string(),
        }),
    }
}

/// In wasm: the line and column (the path-tracking parse would be a second copy of the
/// whole event parser, ~40 KB of the module for a log line of events CloudFront does not
/// send; the answer, the generated 500, is the same).
#[cfg(target_arch = "wasm32")]
fn event_error(_json: &[u8], first: serde_json::Error) -> Result<CloudFrontEvent, RunError> {
    Err(RunError::BadEvent {
        path: format!("line {} column {}", first.line(), first.column()),
        message: first.to_string(),
    })
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

/// Body of the answer every host gives when a function cannot answer an event.
pub const FAILURE_BODY: &str = "The edge function failed; see its CloudWatch log.\n";

/// The one failure policy of every host (native Lambda, Node.js + wasm, the emulator): a
/// handler that refuses an event, or a host that cannot run it, answers this generated 500
/// rather than failing the invocation, which CloudFront would turn into a 503
/// LambdaExecutionError with no context (docs/platform.md, "Viewer protocol policy and
/// function errors").
pub fn failure_response() -> Response {
    response::error(500, FAILURE_BODY)
}

/// A result, and the log line a host writes when the function could not answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    pub result: T,
    /// One secret-free line (no event values, no config): see [`safe_message`].
    pub log: Option<String>,
}

/// Runs the handler; a refusal becomes [`failure_response`] and a log line.
pub fn respond<F: EdgeFunction>(config: &F::Config, event: CloudFrontEvent) -> Answer<EdgeResult> {
    // Kept before `handle` consumes the event: the log line names the request.
    let cf_request_id = event.cf().ok().and_then(|cf| cf.config.request_id.clone());
    match F::handle(config, event) {
        Ok(result) => Answer { result, log: None },
        Err(err) => refused::<F>(
            cf_request_id.as_deref(),
            &RunError::Handler(err.to_string()),
        ),
    }
}

/// [`respond`] on event JSON: result JSON out, whatever the input.
pub fn respond_json<F: EdgeFunction>(config: &F::Config, event_json: &[u8]) -> Answer<Vec<u8>> {
    let answer = match event_from_json(event_json) {
        Ok(event) => respond::<F>(config, event),
        Err(err) => refused::<F>(None, &err),
    };
    match serde_json::to_vec(&answer.result) {
        Ok(result) => Answer {
            result,
            log: answer.log,
        },
        // Our model always serialises (string keys only); this keeps the signature total.
        Err(err) => Answer {
            result: serde_json::to_vec(&failure_response()).unwrap_or_default(),
            log: Some(failure_line(
                F::NAME,
                None,
                FailureKind::Answering500,
                &err.to_string(),
            )),
        },
    }
}

fn refused<F: EdgeFunction>(cf_request_id: Option<&str>, err: &RunError) -> Answer<EdgeResult> {
    Answer {
        result: EdgeResult::Response(failure_response()),
        log: Some(failure_line(
            F::NAME,
            cf_request_id,
            FailureKind::Answering500,
            &safe_message(err),
        )),
    }
}

/// Why a host wrote a failure line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The function refused the event, or its host could not run it: the generated 500.
    Answering500,
    /// The config or the module did not load (the packaged handler's init).
    InitFailed,
}

impl FailureKind {
    pub fn token(self) -> &'static str {
        match self {
            Self::Answering500 => "answering-500",
            Self::InitFailed => "init-failed",
        }
    }
}

/// The one form of every host's failure line, stable for `edgekit logs --failures` and a
/// CloudWatch filter on `"edgekit failure"`:
/// `edgekit failure function=<name> cf_request_id=<id or -> kind=<kind> reason=<JSON string>`.
/// The CloudFront request id is the `x-edge-request-id` of CloudFront's access logs
/// (docs/logs.md); the reason is [`safe_message`]'s (no event values, no config), JSON-quoted
/// so the line stays one line and parses back exactly. The packaged handler's `index.mjs`
/// writes the same form for what only it sees (a trap, a failed init).
pub fn failure_line(
    function: &str,
    cf_request_id: Option<&str>,
    kind: FailureKind,
    reason: &str,
) -> String {
    // A request id is CloudFront's (base64url-like); anything else is not written as one.
    let id = cf_request_id
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_graphic() && b != b'"'))
        .unwrap_or("-");
    let reason = serde_json::to_string(reason).unwrap_or_else(|_| "\"?\"".to_owned());
    format!(
        "edgekit failure function={function} cf_request_id={id} kind={} reason={reason}",
        kind.token()
    )
}

/// An error message fit for a log line: for a malformed event only the JSON path (serde's
/// message may quote header values such as cookies), otherwise the handler's own message.
pub fn safe_message(err: &RunError) -> String {
    match err {
        RunError::BadEvent { path, .. } => {
            format!("event does not match the Lambda@Edge event model at {path}")
        }
        other => other.to_string(),
    }
}

/// The `main` of a function's native `lambda_runtime` binary: config from
/// `EDGEKIT_CONFIG`, every event answered by [`respond`], the log line on stderr (what
/// Lambda sends to CloudWatch).
#[macro_export]
macro_rules! lambda_main {
    ($function:ty) => {
        #[tokio::main]
        async fn main() -> Result<(), ::lambda_runtime::Error> {
            let config = &$crate::function::config_from_env::<$function>()?;
            ::lambda_runtime::run(::lambda_runtime::service_fn(
                move |event: ::lambda_runtime::LambdaEvent<$crate::CloudFrontEvent>| async move {
                    let answer = $crate::function::respond::<$function>(config, event.payload);
                    if let Some(line) = answer.log {
                        eprintln!("{line}");
                    }
                    Ok::<_, ::lambda_runtime::Error>(answer.result)
                },
            ))
            .await
        }
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_line_is_one_parseable_line_with_the_request_id() {
        let line = failure_line(
            "forwarded-proto",
            Some("4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="),
            FailureKind::Answering500,
            "bad \"value\"\nnext",
        );
        assert_eq!(
            line,
            "edgekit failure function=forwarded-proto \
             cf_request_id=4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ== \
             kind=answering-500 reason=\"bad \\\"value\\\"\\nnext\""
        );
        for odd in [None, Some(""), Some("a b"), Some("x\"y")] {
            let line = failure_line("f", odd, FailureKind::InitFailed, "r");
            assert!(
                line.contains(" cf_request_id=- kind=init-failed "),
                "{line}"
            );
        }
    }
}
