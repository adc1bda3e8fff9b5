//! `edgekit publish`: package, create or update the function in us-east-1, publish a version
//! (Lambda@Edge), or generate the cloudfront-js-2.0 script, create or update the CloudFront
//! Function and publish it to LIVE (`--runtime cloudfront-js-2.0`, see [`cff`]).
//!
//! Skips publishing when the newest numbered version already has the package's code hash
//! (base64 SHA-256, as Lambda reports `CodeSha256`), or when the LIVE code of the CloudFront
//! Function is already the generated script.
use std::path::PathBuf;
use std::process::ExitCode;

use aws_sdk_lambda::types::Runtime;
use clap::Args;
use miette::{IntoDiagnostic, WrapErr, miette};
use serde::Serialize;

use crate::aws::{self, iam, lambda};
use crate::cli::GlobalArgs;
use crate::functions::{EdgeRuntime, Function};
use crate::output::{Progress, print_result};
use crate::packaging::WasmSource;

pub mod cff;

/// Default role name when `--role-arn` is not given.
pub const DEFAULT_ROLE_NAME: &str = "edgekit-edge-execution";

/// Origin-request triggers allow up to 30 s and 128-10,240 MB; viewer triggers 5 s and 128 MB.
/// Both edgekit functions run on origin-request. [CloudFront Developer Guide, "Quotas on
/// Lambda@Edge"]
const ORIGIN_TRIGGER_MAX_TIMEOUT_S: i32 = 30;
const ORIGIN_TRIGGER_MAX_MEMORY_MB: i32 = 10_240;
/// What `publish` gives a new Lambda@Edge function unless told otherwise.
const DEFAULT_MEMORY_MB: i32 = 128;
const DEFAULT_TIMEOUT_S: i32 = 5;

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The edge function to publish.
    #[arg(value_parser = Function::value_parser())]
    pub function: Function,
    /// Function config baked into the package (see `edgekit package`).
    #[arg(long, conflicts_with = "zip")]
    pub config: Option<PathBuf>,
    /// Use this prebuilt package zip instead of packaging (e.g. from `edgekit package`).
    #[arg(long)]
    pub zip: Option<PathBuf>,
    /// Build the wasm with cargo from this edgekit checkout instead of using the module
    /// embedded in this binary (see `edgekit package`); ignored with --zip.
    #[arg(long, value_name = "DIR", env = "EDGEKIT_WORKSPACE")]
    pub from_source: Option<PathBuf>,
    /// Lambda function name (default: edgekit-<function>).
    #[arg(long)]
    pub name: Option<String>,
    /// Execution role to use; without it a role trusted by lambda and edgelambda is created
    /// (or reused).
    #[arg(long)]
    pub role_arn: Option<String>,
    /// Name of the role to create or reuse when --role-arn is not given.
    #[arg(long, default_value = DEFAULT_ROLE_NAME)]
    pub role_name: String,
    /// Memory in MB (origin-request quota: 128-10240) [default: 128].
    // An Option, not a default value, so that the CloudFront Functions runtime can refuse it.
    #[arg(long)]
    pub memory: Option<i32>,
    /// Timeout in seconds (origin-request quota: 1-30) [default: 5].
    #[arg(long)]
    pub timeout: Option<i32>,
    /// Which edge runtime to publish to: a Lambda@Edge version, or a CloudFront Function
    /// (cloudfront-js-2.0, viewer-request) published to its LIVE stage.
    #[arg(long, value_enum, default_value_t = EdgeRuntime::LambdaEdge)]
    pub runtime: EdgeRuntime,
    /// cloudfront-js-2.0 only: run TestFunction on this event (JSON, the CloudFront Functions
    /// event shape) before publishing; refuse on an error or a high compute utilization.
    #[arg(long, value_name = "FILE")]
    pub test_event: Option<PathBuf>,
    /// cloudfront-js-2.0 only: the highest compute utilization (percent of the allowed
    /// time) `--test-event` accepts.
    #[arg(long, default_value_t = cff::DEFAULT_MAX_COMPUTE_UTILIZATION)]
    pub max_compute_utilization: u8,
}

/// The default Lambda function name of an edge function, e.g. `edgekit-forwarded-proto`.
pub fn default_function_name(function: Function) -> String {
    format!("edgekit-{}", function.name())
}

#[derive(Debug, Serialize)]
struct PublishReport {
    function: Function,
    function_name: String,
    version: u64,
    arn: String,
    code_sha256: String,
    /// false when the code was unchanged and the existing version is reused.
    published: bool,
    role_created: bool,
}

/// Refuses any region but us-east-1 when it was asked for explicitly (`--region`); a region
/// from the environment is overridden with a note. [CloudFront Developer Guide,
/// "Restrictions on Lambda@Edge": functions must be created in us-east-1]
fn check_region(global: &GlobalArgs) -> miette::Result<()> {
    let Some(region) = global.aws.region.as_deref() else {
        return Ok(());
    };
    if region == aws::EDGE_REGION {
        return Ok(());
    }
    let from_env = std::env::var("AWS_REGION").ok().as_deref() == Some(region);
    if from_env {
        tracing::warn!(
            "AWS_REGION is {region}, but Lambda@Edge functions live in us-east-1: publishing there"
        );
        Ok(())
    } else {
        Err(miette!(
            help = "drop --region (edge functions are always published to us-east-1)",
            "refusing to publish to {region}: Lambda@Edge functions must be created in us-east-1"
        ))
    }
}

pub async fn run(args: PublishArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    if args.runtime == EdgeRuntime::CloudfrontFunctions {
        return cff::run(args, global).await;
    }
    if args.test_event.is_some() {
        return Err(miette!(
            help = "add --runtime cloudfront-js-2.0, or test a Lambda@Edge package with `edgekit invoke`",
            "--test-event runs CloudFront's TestFunction, which exists for CloudFront Functions only"
        ));
    }
    check_region(global)?;
    let timeout_s = args.timeout.unwrap_or(DEFAULT_TIMEOUT_S);
    let memory_mb = args.memory.unwrap_or(DEFAULT_MEMORY_MB);
    if !(1..=ORIGIN_TRIGGER_MAX_TIMEOUT_S).contains(&timeout_s) {
        return Err(miette!(
            "--timeout must be 1-{ORIGIN_TRIGGER_MAX_TIMEOUT_S} s (Lambda@Edge origin-request quota)"
        ));
    }
    if !(128..=ORIGIN_TRIGGER_MAX_MEMORY_MB).contains(&memory_mb) {
        return Err(miette!(
            "--memory must be 128-{ORIGIN_TRIGGER_MAX_MEMORY_MB} MB (Lambda@Edge origin-request quota)"
        ));
    }
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_function_name(args.function));
    let zip = match &args.zip {
        Some(path) => std::fs::read(path)
            .into_diagnostic()
            .wrap_err_with(|| format!("could not read --zip {}", path.display()))?,
        None => {
            let source = WasmSource::from_flag(args.from_source.clone());
            crate::packaging::build_package(args.function, args.config.as_deref(), &source)
                .map_err(miette::Report::new)
                .wrap_err_with(|| format!("could not package {}", args.function))?
                .zip
        }
    };
    let sha = crate::packaging::code_sha256(&zip);
    let settings = lambda::EdgeFunctionSettings {
        // The package is a Node.js handler loading the wasm (docs/platform.md, "Lambda@Edge
        // runtimes and limits").
        runtime: Runtime::Nodejs22x,
        handler: "index.handler".to_owned(),
        memory_mb,
        timeout_s,
        description: format!("edgekit {} (Lambda@Edge, origin-request)", args.function),
    };
    let client = lambda::client(&global.aws).await;
    let progress = Progress::start(format!("publishing {name} to us-east-1"));
    let mut role_created = false;
    let existing = lambda::get_function(&client, &name).await?;
    let (version, published) = match existing {
        None => {
            let role_arn = match &args.role_arn {
                Some(arn) => arn.clone(),
                None => {
                    progress.update(format!("ensuring execution role {}", args.role_name));
                    let iam_client = iam::client(&global.aws).await;
                    let (arn, created) =
                        iam::ensure_edge_role(&iam_client, &args.role_name).await?;
                    role_created = created;
                    arn
                }
            };
            progress.update(format!("creating function {name}"));
            lambda::create_function(&client, &name, &role_arn, zip, &settings).await?;
            lambda::wait_active(&client, &name).await?;
            progress.update(format!("publishing a version of {name}"));
            (lambda::publish_version(&client, &name, &sha).await?, true)
        }
        Some(current) => match lambda::latest_version(&client, &name).await? {
            Some(latest) if latest.code_sha256 == sha => (latest, false),
            _ => {
                if current.code_sha256.as_deref() != Some(sha.as_str()) {
                    progress.update(format!("uploading new code to {name}"));
                    lambda::update_code(&client, &name, zip).await?;
                    lambda::wait_updated(&client, &name).await?;
                }
                let drifted = current.runtime.as_ref() != Some(&settings.runtime)
                    || current.handler.as_deref() != Some(settings.handler.as_str())
                    || current.memory_size != Some(settings.memory_mb)
                    || current.timeout != Some(settings.timeout_s);
                if drifted {
                    progress.update(format!("restoring the edge settings of {name}"));
                    lambda::update_settings(&client, &name, &settings).await?;
                    lambda::wait_updated(&client, &name).await?;
                }
                progress.update(format!("publishing a version of {name}"));
                (lambda::publish_version(&client, &name, &sha).await?, true)
            }
        },
    };
    progress.finish(if published {
        format!("published {name} version {}", version.version)
    } else {
        format!(
            "{name}: code unchanged since version {}, nothing published",
            version.version
        )
    });
    let report = PublishReport {
        function: args.function,
        function_name: name,
        version: version.version,
        arn: version.arn,
        code_sha256: sha,
        published,
        role_created,
    };
    print_result(global.output, &report, |r| r.arn.clone());
    Ok(ExitCode::SUCCESS)
}
