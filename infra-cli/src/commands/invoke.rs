//! `edgekit invoke`: run an edge function natively on an event file, print exactly what it
//! returns to CloudFront, and check it against the platform's rules.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::sync::Arc;

use clap::Args;
use edge::function::event_from_json;
use edge::policy::ConfigProblem;
use edge::{EdgeError, EdgeResult, Violation};

use crate::cli::GlobalArgs;
use crate::functions::{Configured, Function};

/// Exit code for input that could not be read: bad event JSON or bad config.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when CloudFront would reject the result, or the handler refused the event.
pub const EXIT_REJECTED: u8 = 1;

#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The edge function to run.
    #[arg(value_parser = Function::value_parser())]
    pub function: Function,
    /// A Lambda@Edge event (JSON), e.g. events/origin-request-cloudfront-mode.json.
    #[arg(long)]
    pub event: PathBuf,
    /// The function's config (JSON); defaults to the built-in defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Check the result with CloudFront's rules (default on).
    #[arg(long, default_value_t = true, overrides_with = "no_validate")]
    pub validate: bool,
    /// Do not check the result.
    #[arg(long = "no-validate")]
    pub no_validate: bool,
    /// Print the result on one line, exactly as the function serialises it.
    #[arg(long)]
    pub compact: bool,
}

/// Why `edgekit invoke` could not give a result CloudFront would accept.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum InvokeError {
    #[error("cannot read {}", path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: invalid {function} config", path.display())]
    #[diagnostic(help("the keys and their meaning are in the README, \"The edge functions\""))]
    Config {
        path: PathBuf,
        function: Function,
        #[source]
        problem: ConfigProblem,
    },
    #[error("{function} needs a config")]
    #[diagnostic(help("pass --config FILE, e.g. events/config-{function}.json"))]
    NoDefaults {
        function: Function,
        #[source]
        problem: ConfigProblem,
    },
    #[error("{}: not a Lambda@Edge event", path.display())]
    #[diagnostic(help("fixtures to start from are in events/"))]
    BadEvent {
        path: PathBuf,
        #[source]
        source: EdgeError,
    },
    #[error("{function} refused the event: {reason}")]
    Refused { function: Function, reason: String },
    #[error(
        "CloudFront would reject this result (502 LambdaValidationError): {} violation(s)",
        violations.len()
    )]
    #[diagnostic(help("{}", violation_list(violations)))]
    Rejected { violations: Vec<Violation> },
}

impl InvokeError {
    /// The exit status: bad input (event or config) or a result CloudFront would refuse.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused { .. } | Self::Rejected { .. } => EXIT_REJECTED,
            _ => EXIT_BAD_INPUT,
        }
    }
}

fn violation_list(violations: &[Violation]) -> String {
    let lines: Vec<String> = violations.iter().map(|v| format!("- {v}")).collect();
    lines.join("\n")
}

pub fn run(args: InvokeArgs, _global: &GlobalArgs) -> miette::Result<ExitCode> {
    let function = load_config(args.function, args.config.as_deref())?;
    let bytes = std::fs::read(&args.event).map_err(|source| InvokeError::ReadFile {
        path: args.event.clone(),
        source,
    })?;
    let bad_event = |source| InvokeError::BadEvent {
        path: args.event.clone(),
        source,
    };
    let event = event_from_json(&bytes).map_err(bad_event)?;
    let original = event.cf().map_err(bad_event)?.clone();
    let result = function
        .handle(event)
        .map_err(|reason| InvokeError::Refused {
            function: args.function,
            reason,
        })?;
    print_edge_result(&result, args.compact)?;
    if args.validate && !args.no_validate {
        edge::validate(original.config.event_type, &original, &result)
            .map_err(|violations| InvokeError::Rejected { violations })?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads and checks a config file, or the defaults.
pub fn load_config(
    function: Function,
    path: Option<&Path>,
) -> Result<Arc<dyn Configured>, InvokeError> {
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| InvokeError::ReadFile {
                path: path.to_owned(),
                source,
            })?;
            function.load(&text).map_err(|problem| InvokeError::Config {
                path: path.to_owned(),
                function,
                problem,
            })
        }
        None => function
            .load_defaults()
            .map_err(|problem| InvokeError::NoDefaults { function, problem }),
    }
}

fn print_edge_result(result: &EdgeResult, compact: bool) -> miette::Result<()> {
    let json = if compact {
        serde_json::to_string(result)
    } else {
        serde_json::to_string_pretty(result)
    }
    .map_err(|err| miette::miette!("could not serialise the result: {err}"))?;
    crate::output::write_stdout(&format!("{json}\n"))
        .map_err(|err| miette::miette!("could not write the result: {err}"))
}
