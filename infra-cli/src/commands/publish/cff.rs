//! `edgekit publish <function> --runtime cloudfront-js-2.0`: generate the script, create or
//! update the CloudFront Function (DEVELOPMENT), optionally TestFunction it, publish to LIVE.
//!
//! "Unchanged" is decided on the code itself: CloudFront keeps no hash of a function's code
//! (FunctionSummary has none, unlike Lambda's `CodeSha256`), so the LIVE stage's code is read
//! back with GetFunction and compared byte for byte with the generated script (the generator
//! is deterministic: same function and config, same bytes). LIVE equal: nothing is written.
//! DEVELOPMENT equal but LIVE not (an earlier run stopped before publishing): no update, only
//! the publish. Every write carries the DEVELOPMENT ETag as If-Match; on PreconditionFailed
//! (someone changed the function in between) the whole read-compare-write round starts over.
use std::process::ExitCode;

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::FunctionStage;
use miette::{IntoDiagnostic, WrapErr, miette};
use serde::Serialize;

use super::{PublishArgs, default_function_name};
use crate::aws::AwsError;
use crate::aws::cloudfront::{self, MAX_UPDATE_ATTEMPTS};
use crate::aws::cloudfront_functions::{self as cff, FunctionState, RUNTIME, TestReport};
use crate::cli::GlobalArgs;
use crate::functions::Function;
use crate::output::{Progress, print_result};
use crate::packaging::cloudfront_js;
use crate::plan::arn::is_function_name;

/// The highest compute utilization `--test-event` accepts by default. "CloudFront Functions
/// have a limit on the time they can take to run, measured as compute utilization ... a
/// number between 0 and 100 that indicates the amount of time that the function took to run
/// as a percentage of the maximum allowed time" [CloudFront Developer Guide, "Restrictions on
/// CloudFront Functions": Compute utilization; CloudFront API Reference, "TestResult":
/// ComputeUtilization]. AWS names no safe value; one test event is one sample, and real
/// requests carry more headers and cookies than a fixture, so edgekit keeps 30 points of
/// headroom below the limit and refuses above 70 (`--max-compute-utilization` overrides).
pub const DEFAULT_MAX_COMPUTE_UTILIZATION: u8 = 70;

/// What TestFunction must satisfy before publishing.
#[derive(Debug, Clone)]
pub struct TestGate {
    pub event: Vec<u8>,
    pub max_compute_utilization: u8,
}

/// The result of publishing a CloudFront Function.
#[derive(Debug, Clone, Serialize)]
pub struct CffPublishReport {
    pub function_name: String,
    pub arn: String,
    /// The ETag of the LIVE stage after this run.
    pub etag: String,
    pub stage: String,
    pub runtime: &'static str,
    pub code_size: usize,
    /// Hex SHA-256 of the script.
    pub sha256: String,
    /// false: the LIVE code already was this script; nothing was written.
    pub published: bool,
    pub created: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute_utilization: Option<String>,
    /// Read-compare-write rounds (more than 1 after PreconditionFailed).
    pub attempts: u32,
}

/// Why publishing was refused or failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CffPublishError {
    #[error(
        "TestFunction failed on the test event: {message}; the new code is in the DEVELOPMENT stage only, LIVE is unchanged"
    )]
    #[diagnostic(help(
        "run the event locally with `edgekit invoke <function> --runtime cloudfront-js-2.0 --event FILE`; logs: {logs}"
    ))]
    TestError { message: String, logs: String },
    #[error(
        "TestFunction reported compute utilization {utilization}, above the limit of {limit}; the new code is in the DEVELOPMENT stage only, LIVE is unchanged"
    )]
    #[diagnostic(help(
        "100 is the function's whole allowed run time (CloudFront Developer Guide, \"Restrictions on CloudFront Functions\"); make the config smaller, or raise --max-compute-utilization if you accept less headroom"
    ))]
    TooSlow { utilization: String, limit: u8 },
    #[error("TestFunction returned an unreadable compute utilization `{0}`")]
    BadUtilization(String),
    #[error("{name} kept changing while edgekit wrote it (PreconditionFailed {attempts} times)")]
    #[diagnostic(help(
        "someone else is updating the function; run the command again when they are done"
    ))]
    Contended { name: String, attempts: u32 },
}

/// Checks a TestFunction result against the gate.
pub fn check_test(report: &TestReport, limit: u8) -> Result<(), CffPublishError> {
    if let Some(message) = &report.error_message {
        return Err(CffPublishError::TestError {
            message: message.clone(),
            logs: report.logs.join(" | "),
        });
    }
    let Some(text) = &report.compute_utilization else {
        return Ok(());
    };
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| CffPublishError::BadUtilization(text.clone()))?;
    if value > f64::from(limit) {
        return Err(CffPublishError::TooSlow {
            utilization: text.clone(),
            limit,
        });
    }
    Ok(())
}

/// Where one round ended.
enum Round {
    Done(Box<CffPublishReport>),
    /// PreconditionFailed: read again.
    Retry,
}

fn is_precondition_failed(err: &AwsError) -> bool {
    err.error_code() == Some("PreconditionFailed")
}

/// Create or update, test, publish, with If-Match and re-reads on PreconditionFailed.
pub async fn publish_function(
    client: &Client,
    name: &str,
    comment: &str,
    code: &[u8],
    gate: Option<&TestGate>,
    progress: &Progress,
) -> miette::Result<CffPublishReport> {
    for attempt in 1..=MAX_UPDATE_ATTEMPTS {
        match round(client, name, comment, code, gate, progress, attempt).await? {
            Round::Done(report) => return Ok(*report),
            Round::Retry => {
                tracing::info!(
                    function = name,
                    attempt,
                    "function changed since it was read (PreconditionFailed); re-reading"
                );
            }
        }
    }
    Err(CffPublishError::Contended {
        name: name.to_owned(),
        attempts: MAX_UPDATE_ATTEMPTS,
    }
    .into())
}

/// One read-compare-write round.
async fn round(
    client: &Client,
    name: &str,
    comment: &str,
    code: &[u8],
    gate: Option<&TestGate>,
    progress: &Progress,
    attempt: u32,
) -> miette::Result<Round> {
    let report = |state: &FunctionState, etag: String, published, created| CffPublishReport {
        function_name: name.to_owned(),
        arn: state.arn.clone(),
        etag,
        stage: "LIVE".to_owned(),
        runtime: cloudfront_js::CFF_RUNTIME,
        code_size: code.len(),
        sha256: cloudfront_js::sha256_hex(&String::from_utf8_lossy(code)),
        published,
        created,
        compute_utilization: None,
        attempts: attempt,
    };
    if let Some(live) = cff::describe(client, name, FunctionStage::Live).await?
        && live.runtime.as_deref() == Some(RUNTIME.as_str())
        && let Some(live_code) = cff::get_code(client, name, FunctionStage::Live).await?
        && live_code.code == code
    {
        return Ok(Round::Done(Box::new(report(
            &live,
            live_code.etag,
            false,
            false,
        ))));
    }
    let (dev_etag, created) = match cff::describe(client, name, FunctionStage::Development).await? {
        None => {
            progress.update(format!("creating CloudFront Function {name}"));
            let state = cff::create(client, name, comment, code).await?;
            let etag = state
                .etag
                .ok_or_else(|| AwsError::missing(format!("CreateFunction {name}"), "ETag"))?;
            (etag, true)
        }
        Some(dev) => match update_if_needed(client, name, comment, code, &dev, progress).await {
            Ok(etag) => (etag, false),
            Err(err) if is_precondition_failed(&err) => return Ok(Round::Retry),
            Err(err) => return Err(err.into()),
        },
    };
    let mut utilization = None;
    if let Some(gate) = gate {
        progress.update(format!("testing {name} (DEVELOPMENT) with the test event"));
        let tested = cff::test(client, name, &dev_etag, &gate.event).await?;
        check_test(&tested, gate.max_compute_utilization)?;
        utilization = tested.compute_utilization;
    }
    progress.update(format!("publishing {name} to LIVE"));
    match cff::publish(client, name, &dev_etag).await {
        Ok(_) => {}
        Err(err) if is_precondition_failed(&err) => return Ok(Round::Retry),
        Err(err) => return Err(err.into()),
    }
    let live = cff::describe(client, name, FunctionStage::Live)
        .await?
        .ok_or_else(|| {
            AwsError::missing(format!("DescribeFunction {name} (LIVE)"), "FunctionSummary")
        })?;
    let etag = live.etag.clone().unwrap_or_default();
    let mut done = report(&live, etag, true, created);
    done.compute_utilization = utilization;
    Ok(Round::Done(Box::new(done)))
}

/// UpdateFunction with If-Match unless DEVELOPMENT already holds this code and runtime;
/// returns the DEVELOPMENT ETag to publish with.
async fn update_if_needed(
    client: &Client,
    name: &str,
    comment: &str,
    code: &[u8],
    dev: &FunctionState,
    progress: &Progress,
) -> Result<String, AwsError> {
    let current = cff::get_code(client, name, FunctionStage::Development)
        .await?
        .ok_or_else(|| {
            AwsError::missing(format!("GetFunction {name} (DEVELOPMENT)"), "FunctionCode")
        })?;
    let same_runtime = dev.runtime.as_deref() == Some(RUNTIME.as_str());
    if same_runtime && current.code == code {
        return Ok(current.etag);
    }
    progress.update(format!("updating CloudFront Function {name} (DEVELOPMENT)"));
    let updated = cff::update(client, name, &current.etag, comment, code).await?;
    updated
        .etag
        .ok_or_else(|| AwsError::missing(format!("UpdateFunction {name}"), "ETag"))
}

/// The function's comment: what it is, so a reader of the console knows who wrote it.
pub fn comment(function: Function) -> String {
    format!(
        "edgekit {function} ({}, viewer-request)",
        cloudfront_js::CFF_RUNTIME
    )
}

/// Refuses the Lambda@Edge-only options with this runtime.
fn check_args(args: &PublishArgs) -> miette::Result<()> {
    let lambda_only = [
        (args.zip.is_some(), "--zip"),
        (args.role_arn.is_some(), "--role-arn"),
        (args.from_source.is_some(), "--from-source"),
        (args.memory.is_some(), "--memory"),
        (args.timeout.is_some(), "--timeout"),
    ];
    if let Some((_, flag)) = lambda_only.iter().find(|(set, _)| *set) {
        return Err(miette!(
            help = "drop it: a CloudFront Function is a generated script, not a Lambda package",
            "{flag} is a Lambda@Edge option and does not apply to --runtime cloudfront-js-2.0"
        ));
    }
    Ok(())
}

pub async fn run(args: PublishArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    check_args(&args)?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_function_name(args.function));
    if !is_function_name(&name) {
        return Err(miette!(
            "`{name}` is not a CloudFront Function name (1-64 letters, digits, `-`, `_`)"
        ));
    }
    let config = match &args.config {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("could not read --config {}", path.display()))?,
        ),
        None => None,
    };
    let script = cloudfront_js::generate(args.function, config.as_deref())
        .map_err(miette::Report::new)
        .wrap_err_with(|| format!("could not generate the {} script", args.function))?;
    let gate = match &args.test_event {
        Some(path) => Some(TestGate {
            event: std::fs::read(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("could not read --test-event {}", path.display()))?,
            max_compute_utilization: args.max_compute_utilization,
        }),
        None => None,
    };
    let client = cloudfront::client(&global.aws).await;
    let progress = Progress::start(format!("publishing CloudFront Function {name}"));
    let report = publish_function(
        &client,
        &name,
        &comment(args.function),
        script.code.as_bytes(),
        gate.as_ref(),
        &progress,
    )
    .await?;
    progress.finish(if report.published {
        format!("published {name} to LIVE")
    } else {
        format!("{name}: LIVE already runs this code, nothing published")
    });
    print_result(global.output, &report, text);
    Ok(ExitCode::SUCCESS)
}

/// The `--output text` form of a publish report.
pub fn text(r: &CffPublishReport) -> String {
    format!(
        "function   {}\narn        {}\netag       {}\nstage      {}\ncode size  {} bytes\nsha256     {}\npublished  {}",
        r.function_name, r.arn, r.etag, r.stage, r.code_size, r.sha256, r.published
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn report(utilization: Option<&str>, error: Option<&str>) -> TestReport {
        TestReport {
            compute_utilization: utilization.map(str::to_owned),
            error_message: error.map(str::to_owned),
            logs: vec!["line".into()],
            output: None,
        }
    }

    #[test]
    fn the_test_gate_refuses_errors_and_high_utilization() {
        assert!(check_test(&report(Some("12"), None), 70).is_ok());
        assert!(check_test(&report(Some("70"), None), 70).is_ok());
        assert!(matches!(
            check_test(&report(Some("71"), None), 70),
            Err(CffPublishError::TooSlow { .. })
        ));
        assert!(matches!(
            check_test(&report(Some("3"), Some("TypeError: x is undefined")), 70),
            Err(CffPublishError::TestError { .. })
        ));
        assert!(matches!(
            check_test(&report(Some("lots"), None), 70),
            Err(CffPublishError::BadUtilization(_))
        ));
        assert!(check_test(&report(None, None), 70).is_ok());
    }
}
