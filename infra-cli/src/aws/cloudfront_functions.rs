//! CloudFront Functions calls (aws-sdk-cloudfront): create, describe, read the code of a
//! stage, update and publish with If-Match, test, delete and list; typed results, no policy.
//!
//! A function has two stages: DEVELOPMENT (what CreateFunction/UpdateFunction write and
//! TestFunction runs) and LIVE (what PublishFunction copies DEVELOPMENT to, and what a
//! distribution runs). Every write takes the ETag of the DEVELOPMENT stage as If-Match.
//! [CloudFront API Reference: "CreateFunction", "UpdateFunction", "PublishFunction",
//! "TestFunction", "DeleteFunction"; CloudFront Developer Guide, "Publish functions"]
use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{FunctionConfig, FunctionRuntime, FunctionStage, FunctionSummary};
use serde::Serialize;

use super::AwsError;

/// The runtime edgekit generates code for. [CloudFront Developer Guide, "JavaScript runtime
/// 2.0 features for CloudFront Functions"]
pub const RUNTIME: FunctionRuntime = FunctionRuntime::CloudfrontJs20;

/// A function stage as a DescribeFunction/UpdateFunction/PublishFunction answer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionState {
    pub name: String,
    pub arn: String,
    /// DEVELOPMENT or LIVE.
    pub stage: String,
    /// UNPUBLISHED, UNASSOCIATED or ASSOCIATED. ["FunctionSummary", CloudFront API Reference]
    pub status: Option<String>,
    pub runtime: Option<String>,
    pub comment: Option<String>,
    /// The ETag of this stage, when the answer has one (PublishFunction's has none).
    pub etag: Option<String>,
}

/// A stage's code, read back with GetFunction, and the ETag it was read with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageCode {
    pub code: Vec<u8>,
    pub etag: String,
}

/// What TestFunction reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestReport {
    /// Percent of the maximum allowed time, as CloudFront reports it (a string of digits).
    pub compute_utilization: Option<String>,
    pub error_message: Option<String>,
    pub logs: Vec<String>,
    pub output: Option<String>,
}

/// Whether a delete found the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    NotFound,
}

fn state(summary: &FunctionSummary, etag: Option<&str>) -> FunctionState {
    let metadata = summary.function_metadata();
    FunctionState {
        name: summary.name().to_owned(),
        arn: metadata
            .map(|m| m.function_arn().to_owned())
            .unwrap_or_default(),
        stage: metadata
            .and_then(|m| m.stage())
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        status: summary.status().map(str::to_owned),
        runtime: summary
            .function_config()
            .map(|c| c.runtime().as_str().to_owned()),
        comment: summary.function_config().map(|c| c.comment().to_owned()),
        etag: etag.map(str::to_owned),
    }
}

/// The FunctionConfig edgekit writes: its runtime and a comment saying what the code is.
fn config(operation: &str, comment: &str) -> Result<FunctionConfig, Box<AwsError>> {
    FunctionConfig::builder()
        .comment(comment)
        .runtime(RUNTIME)
        .build()
        .map_err(|err| {
            Box::new(AwsError {
                operation: operation.to_owned(),
                detail: format!("could not build the FunctionConfig: {err}"),
                help: None,
                cause: None,
            })
        })
}

/// DescribeFunction of one stage; `None` when the function (or that stage) does not exist.
pub async fn describe(
    client: &Client,
    name: &str,
    stage: FunctionStage,
) -> Result<Option<FunctionState>, AwsError> {
    let operation = || format!("DescribeFunction {name} ({})", stage.as_str());
    match client
        .describe_function()
        .name(name)
        .stage(stage.clone())
        .send()
        .await
    {
        Ok(out) => {
            let summary = out
                .function_summary()
                .ok_or_else(|| AwsError::missing(operation(), "FunctionSummary"))?;
            Ok(Some(state(summary, out.e_tag())))
        }
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_no_such_function_exists()) =>
        {
            Ok(None)
        }
        Err(err) => Err(AwsError::call(operation(), &err)),
    }
}

/// GetFunction of one stage: its code and ETag; `None` when that stage does not exist (a
/// function never published has no LIVE stage).
pub async fn get_code(
    client: &Client,
    name: &str,
    stage: FunctionStage,
) -> Result<Option<StageCode>, AwsError> {
    let operation = || format!("GetFunction {name} ({})", stage.as_str());
    match client
        .get_function()
        .name(name)
        .stage(stage.clone())
        .send()
        .await
    {
        Ok(out) => Ok(Some(StageCode {
            code: out
                .function_code
                .map(Blob::into_inner)
                .ok_or_else(|| AwsError::missing(operation(), "FunctionCode"))?,
            etag: out
                .e_tag
                .ok_or_else(|| AwsError::missing(operation(), "ETag"))?,
        })),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_no_such_function_exists()) =>
        {
            Ok(None)
        }
        Err(err) => Err(AwsError::call(operation(), &err)),
    }
}

/// CreateFunction: the code in the DEVELOPMENT stage with runtime cloudfront-js-2.0.
pub async fn create(
    client: &Client,
    name: &str,
    comment: &str,
    code: &[u8],
) -> Result<FunctionState, AwsError> {
    let operation = || format!("CreateFunction {name}");
    let out = client
        .create_function()
        .name(name)
        .function_config(config(&operation(), comment).map_err(|e| *e)?)
        .function_code(Blob::new(code))
        .send()
        .await
        .map_err(|err| AwsError::call(operation(), &err))?;
    let summary = out
        .function_summary()
        .ok_or_else(|| AwsError::missing(operation(), "FunctionSummary"))?;
    Ok(state(summary, out.e_tag()))
}

/// UpdateFunction with If-Match: new code (and config) in the DEVELOPMENT stage. A
/// PreconditionFailed comes back as an error whose `error_code()` says so.
pub async fn update(
    client: &Client,
    name: &str,
    if_match: &str,
    comment: &str,
    code: &[u8],
) -> Result<FunctionState, AwsError> {
    let operation = || format!("UpdateFunction {name}");
    let out = client
        .update_function()
        .name(name)
        .if_match(if_match)
        .function_config(config(&operation(), comment).map_err(|e| *e)?)
        .function_code(Blob::new(code))
        .send()
        .await
        .map_err(|err| AwsError::call(operation(), &err))?;
    let summary = out
        .function_summary()
        .ok_or_else(|| AwsError::missing(operation(), "FunctionSummary"))?;
    Ok(state(summary, out.e_tag()))
}

/// PublishFunction with If-Match: copies DEVELOPMENT to LIVE.
pub async fn publish(
    client: &Client,
    name: &str,
    if_match: &str,
) -> Result<FunctionState, AwsError> {
    let operation = || format!("PublishFunction {name}");
    let out = client
        .publish_function()
        .name(name)
        .if_match(if_match)
        .send()
        .await
        .map_err(|err| AwsError::call(operation(), &err))?;
    let summary = out
        .function_summary()
        .ok_or_else(|| AwsError::missing(operation(), "FunctionSummary"))?;
    Ok(state(summary, None))
}

/// TestFunction with If-Match on the DEVELOPMENT stage with one event object (JSON).
pub async fn test(
    client: &Client,
    name: &str,
    if_match: &str,
    event: &[u8],
) -> Result<TestReport, AwsError> {
    let operation = || format!("TestFunction {name}");
    let out = client
        .test_function()
        .name(name)
        .if_match(if_match)
        .stage(FunctionStage::Development)
        .event_object(Blob::new(event))
        .send()
        .await
        .map_err(|err| AwsError::call(operation(), &err))?;
    let result = out
        .test_result()
        .ok_or_else(|| AwsError::missing(operation(), "TestResult"))?;
    Ok(TestReport {
        compute_utilization: result.compute_utilization().map(str::to_owned),
        error_message: result
            .function_error_message()
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
        logs: result.function_execution_logs().to_vec(),
        output: result.function_output().map(str::to_owned),
    })
}

/// DeleteFunction with If-Match (the ETag of DEVELOPMENT); a missing function is not an error.
pub async fn delete(client: &Client, name: &str, if_match: &str) -> Result<Deleted, AwsError> {
    match client
        .delete_function()
        .name(name)
        .if_match(if_match)
        .send()
        .await
    {
        Ok(_) => Ok(Deleted::Deleted),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_no_such_function_exists()) =>
        {
            Ok(Deleted::NotFound)
        }
        Err(err) => Err(AwsError::call(format!("DeleteFunction {name}"), &err)),
    }
}

/// ListFunctions of one stage, every page.
pub async fn list(client: &Client, stage: FunctionStage) -> Result<Vec<FunctionState>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_functions()
            .stage(stage.clone())
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|err| AwsError::call("ListFunctions", &err))?;
        let Some(list) = page.function_list else {
            break;
        };
        out.extend(list.items().iter().map(|s| state(s, None)));
        match list.next_marker {
            Some(next) if !next.is_empty() && Some(&next) != marker.as_ref() => {
                marker = Some(next);
            }
            _ => break,
        }
    }
    Ok(out)
}
