//! Shared helpers for the workspace integration tests: paths, tools, free ports, child processes.
//!
//! A test that needs a component starts it; when a tool is missing the helper fails with the
//! command that installs it (`scripts/test` does it all) instead of skipping.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub mod alb_fixture;
pub mod aws_cli;
pub mod aws_fixtures;
pub mod canary_origins;
pub mod cbor_bridge;
pub mod cff;
pub mod dev;
pub mod doctor;
pub mod event_gen;
pub mod fixtures;
pub mod moto;
pub mod packaged;
pub mod traversal;

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `events/` with the Lambda@Edge and EventBridge fixtures.
pub fn events_dir() -> PathBuf {
    workspace_root().join("events")
}

/// The cargo target directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace_root().join(p)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Path of a workspace binary in the debug profile, building the workspace's binaries once
/// if it is missing (scripts/test builds them up front).
pub fn workspace_bin(name: &str) -> PathBuf {
    let path = target_dir().join("debug").join(name);
    if !path.exists() {
        static BUILT: OnceLock<()> = OnceLock::new();
        BUILT.get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "--workspace", "--bins"])
                .current_dir(workspace_root())
                .status()
                .expect("run cargo build");
            assert!(status.success(), "cargo build --workspace --bins failed");
        });
    }
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// The `edgekit` CLI binary.
pub fn edgekit_bin() -> PathBuf {
    workspace_bin("edgekit")
}

/// The test venv created by `scripts/test` (`EDGEKIT_VENV`, else `<root>/.venv`).
pub fn venv_dir() -> PathBuf {
    std::env::var_os("EDGEKIT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv"))
}

/// A tool installed in the test venv; fails with the fix when it is missing.
pub fn venv_bin(name: &str) -> PathBuf {
    let path = venv_dir().join("bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test (it creates .venv from scripts/requirements-test.txt)",
        path.display()
    );
    path
}

/// A system tool (e.g. `node`, `nginx`); fails with the fix when it is missing.
pub fn system_bin(name: &str, install_hint: &str) -> PathBuf {
    for dir in std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/bin"])
    {
        let candidate = Path::new(dir).join(name);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!("`{name}` is not installed: {install_hint} (scripts/test installs it)");
}

/// The Node.js that runs packaged Lambda@Edge handlers: `EDGEKIT_NODE` (scripts/test sets it
/// to Node.js 22, the version of the `nodejs22.x` runtime), else the machine's `node`.
pub fn node_bin() -> PathBuf {
    match std::env::var_os("EDGEKIT_NODE") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "EDGEKIT_NODE={} does not exist",
                path.display()
            );
            path
        }
        None => system_bin(
            "node",
            "install Node.js 20+ (scripts/test installs Node.js 22)",
        ),
    }
}

/// Runs a command and returns its output, failing with the command, its status and its
/// stderr when the exit status is not `expected_code`.
pub fn run_expecting(command: &mut Command, expected_code: i32) -> std::process::Output {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("could not run {command:?}: {err}"));
    assert_eq!(
        output.status.code(),
        Some(expected_code),
        "{command:?}\nstderr:\n{}\nstdout:\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

/// [`run_expecting`] success.
pub fn run_ok(command: &mut Command) -> std::process::Output {
    run_expecting(command, 0)
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// Waits until something accepts TCP connections on `127.0.0.1:port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A child process killed (and reaped) when dropped; with [`ChildGuard::spawn_group`], its
/// whole process group (for tools such as `cargo lambda watch` that start children).
pub struct ChildGuard {
    pub child: Child,
    pub name: String,
    group: bool,
}

impl ChildGuard {
    pub fn spawn(name: &str, command: &mut Command) -> Self {
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("could not start {name}: {err}"));
        Self {
            child,
            name: name.to_owned(),
            group: false,
        }
    }

    /// Starts the child as the leader of a new process group.
    pub fn spawn_group(name: &str, command: &mut Command) -> Self {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        let mut guard = Self::spawn(name, command);
        guard.group = true;
        guard
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.group {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
