//! Pure planning for the control plane: what to change in a distribution or which config to
//! create, decided without any I/O so it can be unit-tested on its own.
//!
//! The AWS calls that read the inputs and apply the results live in [`crate::aws`].

pub mod alb;
pub mod api_json;
pub mod arn;
pub mod associations;
pub mod canary;
pub mod diff;
pub mod distribution;
pub mod domain;
pub mod logs;

/// Why a plan could not be made: bad input or a conflict the user must resolve (no AWS call
/// was made).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanError {
    #[error("`{arn}` is not a Lambda function version ARN: {reason}")]
    #[diagnostic(help(
        "use the numbered version ARN `edgekit publish` prints, e.g. arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:3"
    ))]
    InvalidArn { arn: String, reason: String },
    #[error("`{arn}` is not a CloudFront Function ARN: {reason}")]
    #[diagnostic(help(
        "use the ARN `edgekit publish <function> --runtime cloudfront-js-2.0` prints, e.g. arn:aws:cloudfront::123456789012:function/edgekit-forwarded-proto"
    ))]
    InvalidCloudFrontFunctionArn { arn: String, reason: String },
    #[error("{event_type} on {behavior} already runs `{existing}`")]
    #[diagnostic(help("pass --replace to swap it for `{wanted}`, or detach `{existing}` first"))]
    EventTypeTaken {
        behavior: String,
        event_type: String,
        existing: String,
        wanted: String,
    },
    #[error("the distribution has no cache behavior with path pattern `{0}`")]
    #[diagnostic(help(
        "the path patterns are in `aws cloudfront get-distribution-config --id <ID>` (CacheBehaviors.Items[].PathPattern); omit --path-pattern for the default behavior"
    ))]
    NoSuchBehavior(String),
    #[error("the distribution config has no default cache behavior")]
    NoDefaultBehavior,
    #[error("{0}")]
    InvalidOption(String),
    /// A state the plan will not write over (ALB lockdown, secret rotation), with its fix.
    #[error("{reason}")]
    #[diagnostic(help("{help}"))]
    Refused { reason: String, help: String },
}
