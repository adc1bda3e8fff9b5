//! The edge library's error type.

/// What can go wrong when reading an event or applying shared policy.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
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
}
