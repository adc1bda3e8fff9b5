//! The edgekit CLI as a library: argument model, commands, and the AWS calls behind them.
//!
//! AWS SDK calls live only in [`aws`]; everything that decides *what* to change is pure
//! and unit-tested next to it.

pub mod aws;
pub mod cli;
pub mod commands;
pub mod dev;
pub mod doctor;
pub mod functions;
pub mod mode;
pub mod output;
pub mod packaging;
pub mod plan;
