//! Lambda calls for edge functions (always us-east-1): create or update, wait, publish a
//! numbered version, find the latest version, delete.
use std::time::Duration;

use super::AwsError;
use aws_sdk_lambda::Client;
use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, FunctionConfiguration, Runtime};

/// How long the SDK waiters may take for a function to become active or updated.
const WAIT: Duration = Duration::from_secs(300);

/// The settings of an edge function's Lambda: Node.js runtime, x86_64, no environment.
/// Lambda@Edge supports only Node.js and Python runtimes on x86_64, without environment
/// variables; origin triggers allow up to 30 s and 10,240 MB, viewer triggers 5 s and 128 MB.
/// [CloudFront Developer Guide, "Restrictions on Lambda@Edge" and "Quotas on Lambda@Edge"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeFunctionSettings {
    pub runtime: Runtime,
    pub handler: String,
    pub memory_mb: i32,
    pub timeout_s: i32,
    pub description: String,
}

/// The latest numbered version of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedVersion {
    pub version: u64,
    pub arn: String,
    pub code_sha256: String,
}

/// What DeleteFunction answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    NotFound,
    /// "Lambda was unable to delete ... because it is a replicated function": CloudFront still
    /// holds replicas, which it removes hours after the last association is gone.
    /// [CloudFront Developer Guide, "Delete Lambda@Edge functions and replicas"]
    Replicated(String),
}

/// The function's configuration, or None when it does not exist.
pub async fn get_function(
    client: &Client,
    name: &str,
) -> Result<Option<FunctionConfiguration>, AwsError> {
    match client.get_function().function_name(name).send().await {
        Ok(out) => Ok(out.configuration),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(err) => Err(AwsError::call(format!("GetFunction {name}"), &err)),
    }
}

/// Creates the function (unpublished); retries while a new IAM role is not yet assumable,
/// with backoff (IAM is eventually consistent). [IAM User Guide, "Troubleshooting IAM":
/// changes are not immediately visible]
pub async fn create_function(
    client: &Client,
    name: &str,
    role_arn: &str,
    zip: Vec<u8>,
    settings: &EdgeFunctionSettings,
) -> Result<(), AwsError> {
    let mut delay = Duration::from_secs(2);
    for attempt in 1..=6 {
        let result = client
            .create_function()
            .function_name(name)
            .role(role_arn)
            .runtime(settings.runtime.clone())
            .handler(&settings.handler)
            .architectures(Architecture::X8664)
            .memory_size(settings.memory_mb)
            .timeout(settings.timeout_s)
            .description(&settings.description)
            .publish(false)
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(Blob::new(zip.clone()))
                    .build(),
            )
            .send()
            .await;
        match result {
            Ok(_) => return Ok(()),
            Err(err)
                if attempt < 6
                    && err.as_service_error().is_some_and(|e| {
                        e.is_invalid_parameter_value_exception()
                            && e.to_string().contains("cannot be assumed")
                    }) =>
            {
                tracing::info!("the new role is not assumable yet; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(err) => return Err(AwsError::call(format!("CreateFunction {name}"), &err)),
        }
    }
    Err(AwsError {
        operation: format!("CreateFunction {name}"),
        detail: "the execution role never became assumable".into(),
        help: Some("IAM changes take a while to propagate: run the command again".into()),
        cause: None,
    })
}

/// Uploads new code ($LATEST).
pub async fn update_code(client: &Client, name: &str, zip: Vec<u8>) -> Result<(), AwsError> {
    client
        .update_function_code()
        .function_name(name)
        .zip_file(Blob::new(zip))
        .architectures(Architecture::X8664)
        .send()
        .await
        .map_err(|err| AwsError::call(format!("UpdateFunctionCode {name}"), &err))?;
    Ok(())
}

/// Brings runtime, handler, memory and timeout back to the edge settings when they drifted.
pub async fn update_settings(
    client: &Client,
    name: &str,
    settings: &EdgeFunctionSettings,
) -> Result<(), AwsError> {
    client
        .update_function_configuration()
        .function_name(name)
        .runtime(settings.runtime.clone())
        .handler(&settings.handler)
        .memory_size(settings.memory_mb)
        .timeout(settings.timeout_s)
        .description(&settings.description)
        .send()
        .await
        .map_err(|err| AwsError::call(format!("UpdateFunctionConfiguration {name}"), &err))?;
    Ok(())
}

/// Waits (SDK waiter) until the function is Active after creation.
pub async fn wait_active(client: &Client, name: &str) -> Result<(), AwsError> {
    client
        .wait_until_function_active_v2()
        .function_name(name)
        .wait(WAIT)
        .await
        .map_err(|err| {
            AwsError::call(format!("GetFunction {name} (waiting until active)"), &err)
        })?;
    Ok(())
}

/// Waits (SDK waiter) until the last update of the function is done.
pub async fn wait_updated(client: &Client, name: &str) -> Result<(), AwsError> {
    client
        .wait_until_function_updated_v2()
        .function_name(name)
        .wait(WAIT)
        .await
        .map_err(|err| {
            AwsError::call(format!("GetFunction {name} (waiting for the update)"), &err)
        })?;
    Ok(())
}

/// Publishes a numbered version of the current code, guarded by its hash.
pub async fn publish_version(
    client: &Client,
    name: &str,
    code_sha256: &str,
) -> Result<PublishedVersion, AwsError> {
    let out = client
        .publish_version()
        .function_name(name)
        .code_sha256(code_sha256)
        .send()
        .await
        .map_err(|err| AwsError::call(format!("PublishVersion {name}"), &err))?;
    let version = out
        .version
        .as_deref()
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| AwsError::missing(format!("PublishVersion {name}"), "numbered version"))?;
    let arn = out
        .function_arn
        .ok_or_else(|| AwsError::missing(format!("PublishVersion {name}"), "FunctionArn"))?;
    Ok(PublishedVersion {
        version,
        arn,
        code_sha256: out.code_sha256.unwrap_or_default(),
    })
}

/// The highest numbered version (ListVersionsByFunction, all pages), if any.
pub async fn latest_version(
    client: &Client,
    name: &str,
) -> Result<Option<PublishedVersion>, AwsError> {
    let mut best: Option<PublishedVersion> = None;
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_versions_by_function()
            .function_name(name)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|err| AwsError::call(format!("ListVersionsByFunction {name}"), &err))?;
        for v in page.versions.unwrap_or_default() {
            let Some(number) = v.version.as_deref().and_then(|s| s.parse::<u64>().ok()) else {
                continue; // $LATEST
            };
            if best.as_ref().is_none_or(|b| number > b.version) {
                let arn = v.function_arn.unwrap_or_default();
                // moto and some SDK versions return the unqualified ARN for versions.
                let arn = if arn.ends_with(&format!(":{number}")) {
                    arn
                } else {
                    format!("{arn}:{number}")
                };
                best = Some(PublishedVersion {
                    version: number,
                    arn,
                    code_sha256: v.code_sha256.unwrap_or_default(),
                });
            }
        }
        match page.next_marker {
            Some(next) if !next.is_empty() => marker = Some(next),
            _ => break,
        }
    }
    Ok(best)
}

/// Deletes the function (all versions), telling replicas apart from other failures.
pub async fn delete_function(client: &Client, name: &str) -> Result<DeleteOutcome, AwsError> {
    match client.delete_function().function_name(name).send().await {
        Ok(_) => Ok(DeleteOutcome::Deleted),
        Err(err) => match err.as_service_error() {
            Some(e) if e.is_resource_not_found_exception() => Ok(DeleteOutcome::NotFound),
            Some(e)
                if e.is_invalid_parameter_value_exception()
                    && e.to_string().contains("replicated function") =>
            {
                Ok(DeleteOutcome::Replicated(e.to_string()))
            }
            _ => Err(AwsError::call(format!("DeleteFunction {name}"), &err)),
        },
    }
}

/// A Lambda client in us-east-1, where Lambda@Edge functions must live.
pub async fn client(aws: &super::AwsOptions) -> Client {
    Client::new(&super::sdk_config(aws, Some(super::EDGE_REGION)).await)
}
