//! `edgekit invoke`: run an edge function natively on an event file, print exactly what it
//! returns to CloudFront, and check it against the platform's rules. With
//! `--runtime cloudfront-js-2.0`, the generated CloudFront Functions script runs under Node
//! in the sandbox `packaging/cff-sandbox.mjs` on a CloudFront Functions event.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::sync::Arc;

use clap::Args;
use edge::function::event_from_json;
use edge::policy::ConfigProblem;
use edge::{EdgeError, EdgeResult, Violation};

use edge::cloudfront_functions::{self as cff, CffViolation};

use crate::cli::GlobalArgs;
use crate::functions::EdgeRuntime;
use crate::functions::{Configured, Function};
use crate::output::OutputFormat;
use crate::packaging::cloudfront_js::{self, CFF_RUNTIME, CffPackageError, SandboxError};

/// Exit code for input that could not be read: bad event JSON or bad config.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when CloudFront would reject the result, or the handler refused the event.
pub const EXIT_REJECTED: u8 = 1;

#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The edge function to run.
    #[arg(value_parser = Function::value_parser())]
    pub function: Function,
    /// A Lambda@Edge event (JSON), e.g. events/origin-request-cloudfront-mode.json; with
    /// --runtime cloudfront-js-2.0 a CloudFront Functions event, e.g.
    /// events/cloudfront-functions/keycloak-host-realm.json.
    #[arg(long)]
    pub event: PathBuf,
    /// The runtime to run: the Rust core as Lambda@Edge runs it (default), or the generated
    /// cloudfront-js-2.0 script under Node ($EDGEKIT_NODE or node) in edgekit's sandbox.
    #[arg(long, value_enum, default_value_t = EdgeRuntime::LambdaEdge)]
    pub runtime: EdgeRuntime,
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
    #[error("{}: not a CloudFront Functions event", path.display())]
    #[diagnostic(help("fixtures to start from are in events/cloudfront-functions/"))]
    BadCffEvent {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Script(#[from] CffPackageError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("the {function} script failed on this event (CloudFront answers 503): {error}")]
    Threw { function: Function, error: String },
    #[error(
        "the {function} script returned something that is neither a request nor a response: {reason}"
    )]
    NotAResult { function: Function, reason: String },
    #[error(
        "CloudFront would reject this CloudFront Functions result: {} violation(s)",
        violations.len()
    )]
    #[diagnostic(help("{}", violation_list(violations)))]
    CffRejected { violations: Vec<CffViolation> },
}

impl InvokeError {
    /// The exit status: bad input (event or config) or a result CloudFront would refuse.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused { .. }
            | Self::Rejected { .. }
            | Self::Threw { .. }
            | Self::NotAResult { .. }
            | Self::CffRejected { .. }
            | Self::Sandbox(SandboxError::Refused(_)) => EXIT_REJECTED,
            _ => EXIT_BAD_INPUT,
        }
    }
}

fn violation_list<V: std::fmt::Display>(violations: &[V]) -> String {
    let lines: Vec<String> = violations.iter().map(|v| format!("- {v}")).collect();
    lines.join("\n")
}

pub fn run(args: InvokeArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    if args.runtime == EdgeRuntime::CloudfrontFunctions {
        return run_script(&args, global.output);
    }
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

/// What `invoke --runtime cloudfront-js-2.0 --output json` prints.
#[derive(Debug, serde::Serialize)]
struct ScriptRun {
    function: Function,
    runtime: &'static str,
    /// `forward` (the request goes on) or `respond` (a generated response).
    decision: &'static str,
    result: serde_json::Value,
    logs: Vec<String>,
}

/// Generates the script, runs it in the sandbox on the event, prints the result and checks
/// it with the runtime's rules.
fn run_script(args: &InvokeArgs, output: OutputFormat) -> miette::Result<ExitCode> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| InvokeError::ReadFile {
            path: path.to_owned(),
            source,
        })
    };
    let config = args.config.as_deref().map(read).transpose()?;
    let event_text = read(&args.event)?;
    let event =
        cff::event_from_json(event_text.as_bytes()).map_err(|source| InvokeError::BadCffEvent {
            path: args.event.clone(),
            source,
        })?;
    let script =
        cloudfront_js::generate(args.function, config.as_deref()).map_err(InvokeError::from)?;
    let node = cloudfront_js::node_binary();
    let mut answers = cloudfront_js::run_in_sandbox(&node, &script.code, &[event_text])
        .map_err(InvokeError::from)?;
    let answer = answers
        .pop()
        .ok_or_else(|| InvokeError::from(SandboxError::Protocol("no answer".into())))?;
    for line in &answer.logs {
        eprintln!("console.log: {line}");
    }
    let Some(result) = answer.result.filter(|_| answer.ok) else {
        return Err(InvokeError::Threw {
            function: args.function,
            error: answer.error.unwrap_or_default(),
        }
        .into());
    };
    let typed: cff::CffResult =
        serde_json::from_value(result.clone()).map_err(|err| InvokeError::NotAResult {
            function: args.function,
            reason: err.to_string(),
        })?;
    let decision = match typed {
        cff::CffResult::Request(_) => "forward",
        cff::CffResult::Response(_) => "respond",
    };
    print_script_run(
        output,
        args.compact,
        &ScriptRun {
            function: args.function,
            runtime: CFF_RUNTIME,
            decision,
            result,
            logs: answer.logs,
        },
    )?;
    if args.validate && !args.no_validate {
        cff::validate_viewer_request_result(&event.request, &typed)
            .map_err(|violations| InvokeError::CffRejected { violations })?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--output json`: the whole run; text: the result alone, as the function returned it.
fn print_script_run(output: OutputFormat, compact: bool, run: &ScriptRun) -> miette::Result<()> {
    let json = match (output, compact) {
        (OutputFormat::Json, _) => serde_json::to_string_pretty(run),
        (OutputFormat::Text, true) => serde_json::to_string(&run.result),
        (OutputFormat::Text, false) => serde_json::to_string_pretty(&run.result),
    }
    .map_err(|err| miette::miette!("could not serialise the result: {err}"))?;
    crate::output::write_stdout(&format!("{json}\n"))
        .map_err(|err| miette::miette!("could not write the result: {err}"))
}
