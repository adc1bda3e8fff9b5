//! Builds an edge function as WebAssembly inside a deterministic Node.js Lambda@Edge zip.
//!
//! Lambda@Edge runs only AWS's Node.js and Python runtimes (no custom runtime, no
//! environment variables) [CloudFront Developer Guide, "Restrictions on Lambda@Edge"], so a
//! package is: `index.mjs` (handler `index.handler`, runtime `nodejs22.x`), `function.wasm`
//! (the Rust core for `wasm32-unknown-unknown`, profile `wasm`) and `config.json` (the
//! config, validated with the function's own Rust types and re-serialised canonically).
//!
//! The wasm comes from the binary itself (build.rs embeds every registered function, so an
//! installed `edgekit` packages without a toolchain), or, with `--from-source DIR`, from a
//! `cargo build` in that checkout (for someone changing a function): same command, same bytes.
use std::borrow::Cow;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::functions::Function;

pub mod cloudfront_js;

/// What build.rs generated: `FUNCTION_CRATES`, `MODULES` (name, wasm bytes),
/// `NOT_EMBEDDED` (why there are no modules) and `LONG_VERSION`.
// FUNCTION_CRATES is read only by the unit test that checks it against the registry.
#[allow(dead_code)]
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// `edgekit --version`: the version, the commit built from, each embedded module's sha256.
pub const LONG_VERSION: &str = embedded::LONG_VERSION;

/// Where a package's `function.wasm` comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WasmSource {
    /// The module embedded in this binary at build time.
    #[default]
    Embedded,
    /// Built now with cargo in this edgekit checkout (`--from-source`, `EDGEKIT_WORKSPACE`).
    Checkout(PathBuf),
}

impl WasmSource {
    /// `--from-source DIR` if given, else the embedded modules.
    pub fn from_flag(from_source: Option<PathBuf>) -> Self {
        from_source.map_or(Self::Embedded, Self::Checkout)
    }
}

/// The Node.js handler template; `__EDGEKIT_FUNCTION__` becomes the function name.
pub const HANDLER_TEMPLATE: &str = include_str!("packaging/index.mjs");

/// Lambda runtime and handler of the package (what `publish` must declare).
pub const RUNTIME: &str = "nodejs22.x";
pub const HANDLER: &str = "index.handler";

/// Where the function is attached; it decides the package size quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// viewer-request / viewer-response.
    Viewer,
    /// origin-request / origin-response (both edgekit functions).
    #[default]
    Origin,
}

impl Trigger {
    /// Largest zipped package: 1 MB for viewer triggers, 50 MB for origin triggers
    /// [CloudFront Developer Guide, "Quotas on Lambda@Edge"]. (MB taken as 2^20 bytes.)
    pub fn zip_quota(self) -> u64 {
        match self {
            Self::Viewer => 1 << 20,
            Self::Origin => 50 << 20,
        }
    }

    pub fn quota_label(self) -> &'static str {
        match self {
            Self::Viewer => "1 MB (viewer triggers)",
            Self::Origin => "50 MB (origin triggers)",
        }
    }
}

/// A packaged edge function, ready to upload.
#[derive(Clone)]
pub struct BuiltPackage {
    pub function: Function,
    /// The zip's bytes (deterministic: same inputs, same bytes).
    pub zip: Vec<u8>,
    /// Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`.
    pub code_sha256: String,
    /// Size of `function.wasm` inside, in bytes.
    pub wasm_size: u64,
    /// The trigger whose quota the package was checked against.
    pub trigger: Trigger,
}

// Hand-written so the zip (which holds the config, possibly an origin-verify secret) is
// never printed by `{:?}`.
impl std::fmt::Debug for BuiltPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltPackage")
            .field("function", &self.function)
            .field("zip_len", &self.zip.len())
            .field("code_sha256", &self.code_sha256)
            .field("wasm_size", &self.wasm_size)
            .field("trigger", &self.trigger)
            .finish()
    }
}

/// Why packaging failed, with the fix where there is one.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PackagingError {
    #[error("cannot read the config file {path}")]
    ReadConfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid {function} config in {path}: {field}: {reason}")]
    #[diagnostic(help("the keys and their meaning are in the README, \"The edge functions\""))]
    InvalidConfig {
        function: Function,
        path: String,
        field: String,
        reason: String,
    },
    #[error("the wasm32-unknown-unknown Rust target is not installed")]
    #[diagnostic(help("run `rustup target add wasm32-unknown-unknown` (scripts/test does it)"))]
    MissingWasmTarget,
    #[error("this edgekit was built without its edge functions: {reason}")]
    #[diagnostic(help(
        "run `rustup target add wasm32-unknown-unknown` and reinstall (`cargo install --path infra-cli --locked`), or pass --from-source <edgekit checkout>"
    ))]
    NotEmbedded { reason: &'static str },
    #[error("{0} holds no Cargo workspace")]
    #[diagnostic(help("--from-source (or EDGEKIT_WORKSPACE) must name an edgekit checkout"))]
    NoWorkspace(PathBuf),
    #[error("could not run `{command}`")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("building {function} for wasm32 failed:\n{stderr}")]
    Build { function: Function, stderr: String },
    #[error("cargo built no .wasm file for {0}")]
    NoWasmArtifact(Function),
    #[error("cannot read {path}")]
    ReadWasm {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write the zip: {0}")]
    Zip(String),
    #[error(
        "the {function} package is {size} bytes zipped, over the Lambda@Edge limit of {limit} for {trigger:?} triggers ({label})"
    )]
    TooLarge {
        function: Function,
        size: u64,
        limit: u64,
        trigger: Trigger,
        label: &'static str,
    },
}

/// Base64 SHA-256 of a zip, the way Lambda reports `CodeSha256` (publish compares the two to
/// skip unchanged code). [Lambda API Reference, "FunctionConfiguration": CodeSha256]
pub fn code_sha256(zip: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(zip))
}

/// Takes the wasm from `source`, validates and bakes `config_path` in, zips; the size is
/// checked against the origin-trigger quota (both edgekit functions are origin-request).
pub fn build_package(
    function: Function,
    config_path: Option<&Path>,
    source: &WasmSource,
) -> Result<BuiltPackage, PackagingError> {
    build_package_for(function, config_path, Trigger::Origin, source)
}

/// [`build_package`] with the quota of a chosen trigger.
pub fn build_package_for(
    function: Function,
    config_path: Option<&Path>,
    trigger: Trigger,
    source: &WasmSource,
) -> Result<BuiltPackage, PackagingError> {
    let config_json = baked_config(function, config_path)?;
    let wasm = wasm_module(function, source)?;
    assemble(function, &wasm, &config_json, trigger)
}

/// The function's wasm module from `source`.
pub fn wasm_module(
    function: Function,
    source: &WasmSource,
) -> Result<Cow<'static, [u8]>, PackagingError> {
    match source {
        WasmSource::Embedded => embedded_wasm(function).map(Cow::Borrowed),
        WasmSource::Checkout(workspace) => {
            let path = build_wasm(function, workspace)?;
            let bytes =
                std::fs::read(&path).map_err(|source| PackagingError::ReadWasm { path, source })?;
            Ok(Cow::Owned(bytes))
        }
    }
}

/// The module build.rs embedded for `function`.
pub fn embedded_wasm(function: Function) -> Result<&'static [u8], PackagingError> {
    lookup_module(embedded::MODULES, embedded::NOT_EMBEDDED, function.name())
}

/// `name`'s module in `modules`; without modules, why (the missing wasm target, usually).
fn lookup_module(
    modules: &'static [(&'static str, &'static [u8])],
    not_embedded: Option<&'static str>,
    name: &str,
) -> Result<&'static [u8], PackagingError> {
    let reason = not_embedded.unwrap_or("no module for this function");
    modules
        .iter()
        .find(|(module, _)| *module == name)
        .map(|(_, bytes)| *bytes)
        .ok_or(PackagingError::NotEmbedded { reason })
}

/// Reads, validates (the function's own Rust config types and checks) and canonically
/// re-serialises the config; without a file, the defaults.
pub fn baked_config(
    function: Function,
    config_path: Option<&Path>,
) -> Result<String, PackagingError> {
    let (text, label) = match config_path {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|source| PackagingError::ReadConfig {
                path: path.to_owned(),
                source,
            })?,
            path.display().to_string(),
        ),
        None => ("{}".to_owned(), "the default config".to_owned()),
    };
    let invalid = |problem: edge::policy::ConfigProblem| PackagingError::InvalidConfig {
        function,
        path: label.clone(),
        field: problem.field,
        reason: problem.reason,
    };
    let canonical = function.load(&text).map_err(invalid)?.config_json();
    canonical.map_err(|err| PackagingError::Zip(format!("cannot serialise the config: {err}")))
}

/// One line of `cargo build --message-format json`.
#[derive(Deserialize)]
struct CargoMessage {
    reason: String,
    #[serde(default)]
    filenames: Vec<PathBuf>,
    #[serde(default)]
    target: Option<CargoTarget>,
}

#[derive(Deserialize)]
struct CargoTarget {
    name: String,
}

/// `cargo build --lib --target wasm32-unknown-unknown --profile wasm -p <crate>` in
/// `workspace` (build.rs runs the same, so the bytes match the embedded module); returns the
/// `.wasm` cargo reports (so `CARGO_TARGET_DIR` and `build.target-dir` are honoured).
pub fn build_wasm(function: Function, workspace: &Path) -> Result<PathBuf, PackagingError> {
    if !workspace.join("Cargo.toml").is_file() {
        return Err(PackagingError::NoWorkspace(workspace.to_owned()));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let args = [
        "build",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm",
        "--message-format",
        "json-render-diagnostics",
        "-p",
        function.name(),
    ];
    let output = Command::new(&cargo)
        .args(args)
        .current_dir(workspace)
        .output()
        .map_err(|source| PackagingError::Spawn {
            command: format!("{cargo} {}", args.join(" ")),
            source,
        })?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        if stderr.contains("target may not be installed")
            || stderr.contains("can't find crate for `core`")
            || stderr.contains("can't find crate for `std`")
        {
            return Err(PackagingError::MissingWasmTarget);
        }
        let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(PackagingError::Build {
            function,
            stderr: tail.join("\n"),
        });
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<CargoMessage>(line).ok())
        .filter(|msg| {
            msg.reason == "compiler-artifact"
                && msg
                    .target
                    .as_ref()
                    .is_some_and(|t| t.name == function.lib_name())
        })
        .flat_map(|msg| msg.filenames)
        .find(|path| path.extension().is_some_and(|ext| ext == "wasm"))
        .ok_or(PackagingError::NoWasmArtifact(function))
}

/// Zips handler, wasm and config deterministically and checks the size quota.
pub fn assemble(
    function: Function,
    wasm: &[u8],
    config_json: &str,
    trigger: Trigger,
) -> Result<BuiltPackage, PackagingError> {
    let failure = serde_json::to_string(&edge::function::failure_response()).map_err(|err| {
        PackagingError::Zip(format!("cannot serialise the failure answer: {err}"))
    })?;
    let handler = HANDLER_TEMPLATE
        .replace("__EDGEKIT_FUNCTION__", function.name())
        .replace("__EDGEKIT_FAILURE__", &failure);
    let zip = deterministic_zip(&[
        ("config.json", config_json.as_bytes()),
        ("function.wasm", wasm),
        ("index.mjs", handler.as_bytes()),
    ])?;
    let size = zip.len() as u64;
    if size > trigger.zip_quota() {
        return Err(PackagingError::TooLarge {
            function,
            size,
            limit: trigger.zip_quota(),
            trigger,
            label: trigger.quota_label(),
        });
    }
    let code_sha256 = code_sha256(&zip);
    Ok(BuiltPackage {
        function,
        zip,
        code_sha256,
        wasm_size: wasm.len() as u64,
        trigger,
    })
}

/// A zip whose bytes depend only on the entries: sorted by name, timestamps fixed at the
/// DOS epoch (1980-01-01 00:00), permissions 0644, deflate at a fixed level.
pub fn deterministic_zip(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, PackagingError> {
    let mut sorted: Vec<&(&str, &[u8])> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in sorted {
        writer
            .start_file(*name, options)
            .map_err(|err| PackagingError::Zip(err.to_string()))?;
        writer
            .write_all(bytes)
            .map_err(|err| PackagingError::Zip(err.to_string()))?;
    }
    let cursor = writer
        .finish()
        .map_err(|err| PackagingError::Zip(err.to_string()))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded_proto() -> Function {
        Function::find("forwarded-proto").unwrap()
    }

    #[test]
    fn build_rs_embeds_exactly_the_registry() {
        let registry: Vec<&str> = Function::all().map(Function::name).collect();
        assert_eq!(embedded::FUNCTION_CRATES, registry.as_slice());
        if embedded::NOT_EMBEDDED.is_none() {
            for function in Function::all() {
                let wasm = embedded_wasm(function).unwrap();
                assert!(wasm.starts_with(b"\0asm"), "{function}");
            }
        }
    }

    #[test]
    fn no_embedded_modules_answer_with_the_rustup_command() {
        let reason = "the wasm32-unknown-unknown Rust target is not installed";
        let err = lookup_module(&[], Some(reason), "forwarded-proto").unwrap_err();
        assert!(err.to_string().contains(reason), "{err}");
        let help = miette::Diagnostic::help(&err).unwrap().to_string();
        assert!(
            help.contains("rustup target add wasm32-unknown-unknown"),
            "{help}"
        );
    }

    #[test]
    fn zip_is_deterministic_and_sorted() {
        let a = deterministic_zip(&[("b.txt", b"two"), ("a.txt", b"one")]).unwrap();
        let b = deterministic_zip(&[("a.txt", b"one"), ("b.txt", b"two")]).unwrap();
        assert_eq!(a, b);
        let archive = zip::ZipArchive::new(Cursor::new(a)).unwrap();
        let names: Vec<&str> = archive.file_names().collect();
        assert_eq!(names, ["a.txt", "b.txt"]);
    }

    #[test]
    fn invalid_config_names_the_field() {
        let dir = std::env::temp_dir().join(format!("edgekit-pkg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.json");
        std::fs::write(&path, r#"{"proto_header": "X-Forwarded-Proto"}"#).unwrap();
        let err = baked_config(forwarded_proto(), Some(&path)).unwrap_err();
        assert!(
            matches!(&err, PackagingError::InvalidConfig { field, .. } if field == "proto_header"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn default_config_is_canonical_json() {
        let json = baked_config(forwarded_proto(), None).unwrap();
        assert!(json.contains("\"require_https\":true"), "{json}");
    }

    #[test]
    fn size_over_the_viewer_quota_is_refused_naming_the_limit() {
        // Incompressible bytes (an LCG) a little over 1 MB.
        let mut state: u64 = 1;
        let big: Vec<u8> = (0..(1 << 20) + 4096)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 56) as u8
            })
            .collect();
        let err = assemble(forwarded_proto(), &big, "{}", Trigger::Viewer).unwrap_err();
        assert!(err.to_string().contains("1 MB (viewer triggers)"), "{err}");
        assemble(forwarded_proto(), &big, "{}", Trigger::Origin).unwrap();
    }
}
