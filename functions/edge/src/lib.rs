//! CloudFront Lambda@Edge event model, the platform's rules as data, and shared header policy.
//!
//! `aws_lambda_events` has no CloudFront module, so the four Lambda@Edge event types are
//! modelled here from the AWS CloudFront Developer Guide, "Lambda@Edge event structure".
//! Fields the model does not know are kept in `extra` maps so an event round-trips without
//! loss. No I/O and no tokio: this crate builds for `wasm32-unknown-unknown`.

pub mod cloudfront_functions;
pub mod error;
pub mod forwarded;
pub mod forwarding;
pub mod function;
pub mod headers;
pub mod host;
pub mod model;
pub mod path;
pub mod policy;
pub mod proto;
pub mod response;
pub mod rules;
#[cfg(not(target_arch = "wasm32"))]
// Test tooling (processes, files, threads): never part of the wasm module.
#[cfg(not(target_arch = "wasm32"))]
pub mod soak;
pub mod view;
pub mod wasm_abi;

pub use error::EdgeError;
pub use function::{EdgeFunction, RunError};
pub use headers::{HeaderEntry, Headers};
pub use model::{
    Body, CfConfig, CloudFrontEvent, CustomOrigin, EdgeResult, EventType, GeneratedResponse,
    Origin, Request, Response, S3Origin,
};
pub use rules::{Rule, Violation, validate};
