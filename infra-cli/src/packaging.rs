//! Builds an edge function as WebAssembly inside a deterministic Node.js Lambda@Edge zip.
use std::path::Path;

use crate::functions::EdgeFunction;

/// A packaged edge function, ready to upload.
#[derive(Debug, Clone)]
pub struct BuiltPackage {
    pub function: EdgeFunction,
    /// The zip's bytes (deterministic: same inputs, same bytes).
    pub zip: Vec<u8>,
    /// Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`.
    pub code_sha256: String,
}

/// Why packaging failed.
#[derive(Debug, thiserror::Error)]
pub enum PackagingError {
    #[error("packaging is not built yet")]
    NotBuilt,
}

/// Builds the wasm (release, size-optimised), validates and bakes `config_path` in, zips.
pub fn build_package(
    function: EdgeFunction,
    config_path: Option<&Path>,
) -> Result<BuiltPackage, PackagingError> {
    let _ = (function, config_path);
    Err(PackagingError::NotBuilt)
}
