//! `edgekit dev`: a local CloudFront + ALB emulator (viewer listeners, the CloudFront layer
//! running our edge functions through the same typed core as the native and wasm builds, the
//! ALB layer, and an embedded echo origin).
//!
//! Layout: [`settings`] (the resolved options), [`functions`] (in-process Rust functions and
//! the Node.js bridge for `.mjs` handlers), [`cloudfront`] (the distribution), [`alb`] (the
//! load balancer and the proxy to the origin), [`echo`] (the default origin), [`tls`]
//! (self-signed certificate), [`server`] (listeners, dispatch and graceful shutdown).

pub mod alb;
pub mod cloudfront;
pub mod echo;
pub mod functions;
pub mod headers;
pub mod server;
pub mod settings;
pub mod tls;

/// Why the emulator could not start or run: a [`crate::error::Error`] (one error enum for the whole crate).
pub type DevError = crate::error::Error;
