//! The edge library's errors: malformed events, refused hosts and paths, bad
//! config, and failures of the JSON runner every host shares.

use crate::host::MAX_HOST_LEN;
use crate::policy::ConfigProblem;

/// Why a Host header value was refused (see `host::parse_host`).
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum HostError {
    #[error("host is empty")]
    Empty,
    #[error("host is longer than {MAX_HOST_LEN} characters")]
    TooLong,
    #[error("host contains a forbidden character {0:?}")]
    ForbiddenChar(char),
    #[error("host has an invalid port")]
    BadPort,
    #[error("host is not a valid name or IP literal")]
    Invalid,
}

/// Why a URI path cannot be read (see `path::readings`).
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    #[error("path does not start with '/'")]
    NotAbsolute,
    #[error("path has an invalid percent-escape or is not UTF-8")]
    BadEncoding,
    #[error("path contains a control character")]
    ForbiddenChar,
}

/// What can go wrong when reading an event, a header value or a config.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EdgeError {
    /// The event is not a Lambda@Edge event (wrong shape, no record).
    #[error("malformed event: {0}")]
    MalformedEvent(String),
    /// The handler was attached to an event type it does not support.
    #[error("this function runs on {expected} events, but was invoked for {actual}")]
    WrongEventType { expected: String, actual: String },
    /// A header value breaks the platform's rules (CR/LF, NUL, oversize).
    #[error("invalid header {name}: {reason}")]
    InvalidHeader { name: String, reason: String },

    /// A Host header value we refuse.
    #[error(transparent)]
    Host(#[from] HostError),
    /// A URI path we refuse.
    #[error(transparent)]
    Path(#[from] PathError),

    /// A config that does not fit the function's rules, named by its field.
    #[error("{0}")]
    Config(ConfigProblem),

    // The JSON runner (`function::run_json`).
    /// The event JSON does not fit the model; `path` is the JSON path of the problem.
    #[error("event does not match the Lambda@Edge event model at {path}: {message}")]
    BadEvent { path: String, message: String },
    /// The handler refused the event.
    #[error("{0}")]
    Handler(String),
    /// The result could not be serialised (should not happen).
    #[error("could not serialise the result: {0}")]
    Serialise(String),
}

impl From<ConfigProblem> for EdgeError {
    fn from(problem: ConfigProblem) -> Self {
        Self::Config(problem)
    }
}
