//! Prints `edge::function::failure_response()` as JSON: what `edgekit package` bakes into
//! `index.mjs` as `__EDGEKIT_FAILURE__` (used by `benches/edge-handler/assemble.mjs` to
//! assemble a package directory without building the CLI).
fn main() -> Result<(), serde_json::Error> {
    println!(
        "{}",
        serde_json::to_string(&edge::function::failure_response())?
    );
    Ok(())
}
