//! Pure planning for the control plane: what to change in a distribution or which config to
//! create, decided without any I/O so it can be unit-tested on its own.
//!
//! The AWS calls that read the inputs and apply the results live in [`crate::aws`].

pub mod arn;
pub mod associations;
pub mod distribution;

/// Why a plan could not be made (bad input or a conflict the user must resolve).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("`{arn}` is not a Lambda function version ARN: {reason}")]
    InvalidArn { arn: String, reason: String },
    #[error(
        "{event_type} on {behavior} already runs `{existing}`; pass --replace to swap it for `{wanted}`"
    )]
    EventTypeTaken {
        behavior: String,
        event_type: String,
        existing: String,
        wanted: String,
    },
    #[error("the distribution has no cache behavior with path pattern `{0}`")]
    NoSuchBehavior(String),
    #[error("the distribution config has no default cache behavior")]
    NoDefaultBehavior,
    #[error("{0}")]
    InvalidOption(String),
}
