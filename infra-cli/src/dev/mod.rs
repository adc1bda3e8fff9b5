//! `edgekit dev`: a local CloudFront + ALB emulator (viewer listeners, the CloudFront layer
//! running our edge functions through the same typed core as the native and wasm builds, or
//! as CloudFront Functions, the ALB layer, and an embedded echo origin).
//!
//! Runs from [`settings::Settings`], resolved and checked once by `edgekit dev`'s command.
//! Layout: [`settings`] (the resolved options), [`topology`] (which listeners and
//! distributions exist per mode), [`functions`] (in-process Rust functions and the Node.js
//! bridge for `.mjs` handlers), [`cloudfront_functions`] (our functions as CloudFront
//! Functions in edgekit's sandbox), [`node_child`] (the `node` child both use),
//! [`cloudfront`] (the distribution), [`alb`] (the load balancer and the proxy to the
//! origin), [`echo`] (the default origin), [`frontend`] (what a listener serves),
//! [`listeners`] (accept loops, TLS, shutdown), [`tls`] (self-signed certificate),
//! [`banner`] (what is printed at start), [`server`] (the orchestrator).

pub mod alb;
pub mod banner;
pub mod cloudfront;
pub mod cloudfront_functions;
pub mod echo;
pub mod error;
pub mod frontend;
pub mod functions;
pub mod headers;
pub mod listeners;
pub mod node_child;
pub mod server;
pub mod settings;
pub mod tls;
pub mod topology;

pub use error::DevError;
