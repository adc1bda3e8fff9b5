//! Builds the registry's edge functions for `wasm32-unknown-unknown` and embeds them.
//!
//! In the style of substrate-wasm-builder: a nested `cargo build` of each function crate
//! (profile `wasm`, the same command `edgekit package --from-source` runs, so the modules
//! are byte-identical) into a target directory of its own, because the outer cargo holds
//! the lock of its own. Without the wasm target the CLI still builds: a warning, no
//! modules, and `package`/`publish` answer with the `rustup target add` command.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// The edge function crates to embed (`functions::REGISTRY`'s names; a unit test in
/// `packaging.rs` checks the two agree, since a build script cannot import the registry).
const FUNCTION_CRATES: [&str; 2] = ["forwarded-proto", "keycloak-host"];

/// What the nested build needs to know about the outer one.
struct Outer {
    workspace: PathBuf,
    cargo: String,
    rustc: String,
    out_dir: PathBuf,
}

type BuildResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BuildResult<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let outer = Outer {
        workspace: manifest_dir.parent().unwrap_or(&manifest_dir).to_path_buf(),
        cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
        rustc: std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()),
        out_dir: PathBuf::from(std::env::var("OUT_DIR")?),
    };
    rerun_if_changed(&outer.workspace);
    let commit = git_commit(&outer.workspace);
    let modules = match missing_reason(&outer) {
        Some(reason) => {
            println!(
                "cargo:warning={reason}: `edgekit package`/`publish` will need --from-source; run `rustup target add wasm32-unknown-unknown` and rebuild to embed the edge functions"
            );
            Err(reason)
        }
        None => Ok(build_all(&outer)?),
    };
    let generated = generated_source(&outer.out_dir, &commit, &modules)?;
    std::fs::write(outer.out_dir.join("embedded.rs"), generated)?;
    Ok(())
}

/// Reruns only when a function's sources, the shared core, the lockfile, the profiles or the
/// commit change, so a no-op `cargo build` does not rebuild the modules.
fn rerun_if_changed(workspace: &Path) {
    let mut paths = vec![
        workspace.join("Cargo.toml"),
        workspace.join("Cargo.lock"),
        workspace.join("functions/edge"),
    ];
    paths.extend(
        FUNCTION_CRATES
            .iter()
            .map(|name| workspace.join("functions").join(name)),
    );
    if let Some(git_dir) = git_output(workspace, &["rev-parse", "--absolute-git-dir"]) {
        let git_dir = PathBuf::from(git_dir);
        paths.push(git_dir.join("HEAD"));
        paths.push(git_dir.join("packed-refs"));
        if let Some(head_ref) = git_output(workspace, &["symbolic-ref", "-q", "HEAD"]) {
            paths.push(git_dir.join(head_ref));
        }
    }
    // A path that does not exist would make cargo rerun the script on every build.
    for path in paths.iter().filter(|path| path.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    for var in ["CARGO_NET_OFFLINE", "EDGEKIT_WASM_TARGET_DIR"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
}

fn git_output(workspace: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(workspace)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// The commit the binary is built from; "unknown" outside a checkout (e.g. a crate tarball).
fn git_commit(workspace: &Path) -> String {
    git_output(workspace, &["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into())
}

/// Why nothing can be embedded, if so: no workspace around the crate, or no wasm target in
/// the sysroot of the rustc cargo uses.
fn missing_reason(outer: &Outer) -> Option<String> {
    let has_crates = FUNCTION_CRATES.iter().all(|name| {
        outer
            .workspace
            .join("functions")
            .join(name)
            .join("Cargo.toml")
            .is_file()
    });
    if !has_crates {
        return Some("the edge function crates are not beside infra-cli".into());
    }
    let sysroot = Command::new(&outer.rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())?;
    let target = Path::new(sysroot.trim()).join("lib/rustlib/wasm32-unknown-unknown/lib");
    (!target.is_dir()).then(|| "the wasm32-unknown-unknown Rust target is not installed".into())
}

/// The nested build's own target directory: `edgekit-wasm` in the outer target directory,
/// found from `OUT_DIR` = `<target>/<profile>/build/<pkg>/out` (so `CARGO_TARGET_DIR` and
/// `build.target-dir` are honoured without reading them: tracking `CARGO_TARGET_DIR` would
/// rerun this script whenever a command sets it, as the install test does).
fn wasm_target_dir(outer: &Outer) -> PathBuf {
    if let Some(dir) = std::env::var_os("EDGEKIT_WASM_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let build = outer.out_dir.ancestors().find(|dir| dir.ends_with("build"));
    build
        .and_then(|build| build.parent()?.parent())
        .map_or_else(|| outer.workspace.join("target"), Path::to_path_buf)
        .join("edgekit-wasm")
}

/// Builds every function crate, one cargo run each (as `--from-source` does: building them
/// together could unify features differently and change the bytes).
fn build_all(outer: &Outer) -> BuildResult<Vec<(String, PathBuf)>> {
    let target_dir = wasm_target_dir(outer);
    FUNCTION_CRATES
        .iter()
        .map(|name| Ok(((*name).to_owned(), build_one(outer, &target_dir, name)?)))
        .collect()
}

fn build_one(outer: &Outer, target_dir: &Path, name: &str) -> BuildResult<PathBuf> {
    let mut command = Command::new(&outer.cargo);
    command
        .args(["build", "--lib", "--target", "wasm32-unknown-unknown"])
        .args(["--profile", "wasm", "-p", name])
        // Never rewrite Cargo.lock from a build script (the outer build resolved it already,
        // and `cargo install` must not modify the source).
        .arg("--locked")
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(&outer.workspace);
    if std::env::var_os("CARGO_NET_OFFLINE").is_some_and(|v| v == "true" || v == "1") {
        command.arg("--offline");
    }
    // The outer build's flags and wrappers are for the host (clippy sets a wrapper): the
    // modules must be built exactly as `--from-source` builds them.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC_WORKSPACE_WRAPPER",
        "CLIPPY_ARGS",
        "CLIPPY_CONF_DIR",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(var);
    }
    // This script's own features and cfgs would otherwise leak into the nested build scripts.
    for (var, _) in std::env::vars_os() {
        let name = var.to_string_lossy();
        if name.starts_with("CARGO_FEATURE_") || name.starts_with("CARGO_CFG_") {
            command.env_remove(&var);
        }
    }
    let output = command.output()?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("building {name} for wasm32 failed:\n{stderr}").into());
    }
    let wasm = target_dir
        .join("wasm32-unknown-unknown/wasm")
        .join(format!("{}.wasm", name.replace('-', "_")));
    if !wasm.is_file() {
        return Err(format!("cargo built no {}", wasm.display()).into());
    }
    Ok(wasm)
}

/// `embedded.rs`: the crate list, the modules (or why there are none), and the long
/// version text with the commit and each module's sha256. The modules are copied into
/// `OUT_DIR` first, so the bytes embedded are the bytes hashed even if the nested target
/// directory is rebuilt later.
fn generated_source(
    out_dir: &Path,
    commit: &str,
    modules: &Result<Vec<(String, PathBuf)>, String>,
) -> BuildResult<String> {
    let mut src = String::from("// Generated by infra-cli/build.rs.\n");
    let crates: Vec<String> = FUNCTION_CRATES.iter().map(|n| format!("{n:?}")).collect();
    let _ = writeln!(
        src,
        "pub const FUNCTION_CRATES: &[&str] = &[{}];",
        crates.join(", ")
    );
    let mut version = format!("{} (commit {commit})", env!("CARGO_PKG_VERSION"));
    match modules {
        Ok(list) => {
            let _ = writeln!(src, "pub const NOT_EMBEDDED: Option<&str> = None;");
            let _ = writeln!(src, "pub static MODULES: &[(&str, &[u8])] = &[");
            for (name, path) in list {
                let bytes = std::fs::read(path)?;
                let copy = out_dir.join(format!("{name}.wasm"));
                std::fs::write(&copy, &bytes)?;
                let digest: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let _ = write!(version, "\n{name}.wasm sha256 {digest}");
                let _ = writeln!(src, "    ({name:?}, include_bytes!({copy:?})),");
            }
            src.push_str("];\n");
        }
        Err(reason) => {
            let _ = writeln!(
                src,
                "pub const NOT_EMBEDDED: Option<&str> = Some({reason:?});"
            );
            src.push_str("pub static MODULES: &[(&str, &[u8])] = &[];\n");
            let _ = write!(version, "\nno embedded edge functions: {reason}");
        }
    }
    let _ = writeln!(src, "pub const LONG_VERSION: &str = {version:?};");
    Ok(src)
}
