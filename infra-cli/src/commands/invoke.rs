//! `edgekit invoke`: run an edge function natively on an event file, print exactly what it
//! returns to CloudFront, and check it against the platform's rules.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use edge::function::{EdgeFunction, config_from_json, event_from_json};
use edge::{EdgeResult, Violation};
use forwarded_proto::ForwardedProto;
use keycloak_host::KeycloakHost;

use crate::cli::GlobalArgs;
use crate::functions::EdgeFunction as Function;

/// Exit code for input that could not be read: bad event JSON or bad config.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when CloudFront would reject the result, or the handler refused the event.
pub const EXIT_REJECTED: u8 = 1;

#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The edge function to run.
    #[arg(value_enum)]
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

pub fn run(args: InvokeArgs, _global: &GlobalArgs) -> miette::Result<ExitCode> {
    match args.function {
        Function::ForwardedProto => invoke::<ForwardedProto>(&args),
        Function::KeycloakHost => invoke::<KeycloakHost>(&args),
    }
}

fn invoke<F: EdgeFunction>(args: &InvokeArgs) -> miette::Result<ExitCode> {
    let config = match load_config::<F>(args.config.as_deref()) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    let bytes = match std::fs::read(&args.event) {
        Ok(bytes) => bytes,
        Err(err) => {
            eprintln!("error: cannot read {}: {err}", args.event.display());
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    let event = match event_from_json(&bytes) {
        Ok(event) => event,
        Err(err) => {
            eprintln!("error: {}: {err}", args.event.display());
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    let original = match event.cf() {
        Ok(cf) => cf.clone(),
        Err(err) => {
            eprintln!("error: {}: {err}", args.event.display());
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    let result = match F::handle(&config, event) {
        Ok(result) => result,
        Err(err) => {
            eprintln!("error: {} refused the event: {err}", F::NAME);
            return Ok(ExitCode::from(EXIT_REJECTED));
        }
    };
    print_edge_result(&result, args.compact)?;
    if args.validate
        && !args.no_validate
        && let Err(violations) = edge::validate(original.config.event_type, &original, &result)
    {
        report_violations(&violations);
        return Ok(ExitCode::from(EXIT_REJECTED));
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads and checks a config file, or the defaults; the message names the field and the fix.
pub fn load_config<F: EdgeFunction>(path: Option<&Path>) -> Result<F::Config, String> {
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            config_from_json::<F>(&text).map_err(|problem| {
                format!("{}: invalid {} config: {problem}", path.display(), F::NAME)
            })
        }
        None => {
            let config = F::Config::default();
            F::check_config(&config).map_err(|problem| {
                format!("{} needs a config (--config FILE): {problem}", F::NAME)
            })?;
            Ok(config)
        }
    }
}

fn print_edge_result(result: &EdgeResult, compact: bool) -> miette::Result<()> {
    let json = if compact {
        serde_json::to_string(result)
    } else {
        serde_json::to_string_pretty(result)
    }
    .map_err(|err| miette::miette!("could not serialise the result: {err}"))?;
    println!("{json}");
    Ok(())
}

fn report_violations(violations: &[Violation]) {
    eprintln!(
        "error: CloudFront would reject this result (502 LambdaValidationError): {} violation(s)",
        violations.len()
    );
    for violation in violations {
        eprintln!("  - {violation}");
    }
}
