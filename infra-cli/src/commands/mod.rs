//! One module per CLI command: its clap arguments and its `run` function.

pub mod alb;
pub mod attach;
pub mod canary;
pub mod destroy;
pub mod dev;
pub mod distribution;
pub mod doctor;
pub mod domain;
pub mod iam_policy;
pub mod invoke;
pub mod logs;
pub mod package;
pub mod publish;
pub mod secret;
pub mod wait;
