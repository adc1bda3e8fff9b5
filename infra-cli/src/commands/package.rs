//! `edgekit package`: the Rust core as WebAssembly inside a Node.js Lambda@Edge zip, or
//! (`--runtime cloudfront-js-2.0`) the function as one CloudFront Functions script.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use miette::{IntoDiagnostic, WrapErr};
use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::functions::EdgeRuntime;
use crate::functions::Function;
use crate::output::{Progress, print_result};
use crate::packaging::cloudfront_js::{self, CFF_RUNTIME, CODE_LIMIT_BYTES};
use crate::packaging::{self, HANDLER, PackagingError, RUNTIME, Trigger, WasmSource};

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// forwarded-proto or keycloak-host.
    #[arg(value_parser = Function::value_parser())]
    pub function: Function,
    /// Function config (JSON, snake_case keys) validated and baked into the package;
    /// without it, the documented defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Where to write the zip (or, for cloudfront-js-2.0, the .js script).
    #[arg(long)]
    pub out: PathBuf,
    /// The edge runtime: a Lambda@Edge zip (default), or a CloudFront Functions
    /// cloudfront-js-2.0 script (viewer-request, at most 10 KB, config keys it cannot
    /// honour refused: docs/cloudfront-functions.md).
    #[arg(long, value_enum, default_value_t = EdgeRuntime::LambdaEdge)]
    pub runtime: EdgeRuntime,
    /// The trigger the package is for: decides the size quota (1 MB viewer, 50 MB origin).
    #[arg(long, value_enum, default_value_t = Trigger::Origin)]
    pub trigger: Trigger,
    /// Build the wasm with cargo from this edgekit checkout instead of using the module
    /// embedded in this binary (for someone changing a function).
    #[arg(long, value_name = "DIR", env = "EDGEKIT_WORKSPACE")]
    pub from_source: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct PackageReport {
    function: Function,
    path: String,
    zip_bytes: u64,
    wasm_bytes: u64,
    code_sha256: String,
    trigger: Trigger,
    quota_bytes: u64,
    runtime: &'static str,
    handler: &'static str,
}

/// What `package --runtime cloudfront-js-2.0` reports.
#[derive(Debug, Serialize)]
struct ScriptReport {
    function: Function,
    path: String,
    runtime: &'static str,
    event_type: &'static str,
    code_bytes: usize,
    limit_bytes: usize,
    sha256: String,
}

pub fn run(args: PackageArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    if args.runtime == EdgeRuntime::CloudfrontFunctions {
        return run_script(&args, global);
    }
    let source = WasmSource::from_flag(args.from_source);
    let progress = Progress::start(match &source {
        WasmSource::Embedded => format!("packaging {}", args.function),
        WasmSource::Checkout(_) => format!("building {} for wasm32-unknown-unknown", args.function),
    });
    let built =
        packaging::build_package_for(args.function, args.config.as_deref(), args.trigger, &source)?;
    std::fs::write(&args.out, &built.zip)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write {}", args.out.display()))?;
    progress.finish(format!("packaged {}", args.function));
    let report = PackageReport {
        function: built.function,
        path: args.out.display().to_string(),
        zip_bytes: built.zip.len() as u64,
        wasm_bytes: built.wasm_size,
        code_sha256: built.code_sha256,
        trigger: built.trigger,
        quota_bytes: built.trigger.zip_quota(),
        runtime: RUNTIME,
        handler: HANDLER,
    };
    let label = built.trigger.quota_label();
    print_result(global.output, &report, |r| {
        format!(
            "{}: {} bytes zipped ({} bytes of wasm); Lambda@Edge limit {label} = {} bytes\nruntime {}, handler {}, CodeSha256 {}\nwritten to {}",
            r.function,
            r.zip_bytes,
            r.wasm_bytes,
            r.quota_bytes,
            r.runtime,
            r.handler,
            r.code_sha256,
            r.path
        )
    });
    Ok(ExitCode::SUCCESS)
}

/// Generates the cloudfront-js-2.0 script (the config validated by the function's own Rust
/// types) and writes it to `--out`.
fn run_script(args: &PackageArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let config =
        match &args.config {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|source| {
                PackagingError::ReadConfig {
                    path: path.clone(),
                    source,
                }
            })?),
            None => None,
        };
    let script = cloudfront_js::generate(args.function, config.as_deref())?;
    std::fs::write(&args.out, &script.code)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write {}", args.out.display()))?;
    let report = ScriptReport {
        function: script.function,
        path: args.out.display().to_string(),
        runtime: CFF_RUNTIME,
        event_type: "viewer-request",
        code_bytes: script.code.len(),
        limit_bytes: CODE_LIMIT_BYTES,
        sha256: script.sha256_hex,
    };
    print_result(global.output, &report, |r| {
        format!(
            "{}: {} bytes of {} ({}); CloudFront Functions limit {} bytes (10 KB)\nsha256 {}\nwritten to {}",
            r.function, r.code_bytes, r.runtime, r.event_type, r.limit_bytes, r.sha256, r.path
        )
    });
    Ok(ExitCode::SUCCESS)
}
