//! A persistent `node` child that speaks JSON lines (one request line in, one reply line
//! out), shared by the two function hosts: the Lambda@Edge bridge ([`super::functions`]) and
//! the CloudFront Functions sandbox ([`super::cloudfront_functions`]).

use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long a child may take to load its script and say it is ready (Node's start-up on a
/// loaded 2-core machine is well under this).
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(20);

/// A running child; killed when dropped.
pub struct NodeChild {
    _child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl NodeChild {
    /// Starts `node <args>` (`envs` added to its environment) and returns it with its first
    /// stdout line (the ready line, which the caller interprets). stderr is inherited: the
    /// child's own errors show in the log.
    pub async fn spawn(
        node: &Path,
        args: &[&OsStr],
        envs: &[(&str, String)],
        what: &str,
    ) -> Result<(Self, String), String> {
        let mut child = Command::new(node)
            .args(args)
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| {
                format!(
                    "cannot start {}: {err} (is Node.js installed?)",
                    node.display()
                )
            })?;
        let stdin = child.stdin.take().ok_or("node has no stdin")?;
        let stdout = child.stdout.take().ok_or("node has no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(LOAD_TIMEOUT, lines.next_line())
            .await
            .map_err(|_| {
                format!(
                    "node did not load the {what} within {} s",
                    LOAD_TIMEOUT.as_secs()
                )
            })?
            .map_err(|err| err.to_string())?
            .ok_or_else(|| format!("node exited while loading the {what} (see its error above)"))?;
        let process = Self {
            _child: child,
            stdin,
            lines,
        };
        Ok((process, first))
    }

    /// Sends one line (a newline is added) and reads one reply line, within `timeout`. On
    /// any error the caller must drop the child: a late reply would otherwise be read as the
    /// answer to the next line.
    pub async fn exchange(&mut self, line: &str, timeout: Duration) -> Result<String, String> {
        let exchange = async {
            self.stdin
                .write_all(line.as_bytes())
                .await
                .map_err(|err| err.to_string())?;
            self.stdin
                .write_all(b"\n")
                .await
                .map_err(|err| err.to_string())?;
            self.stdin.flush().await.map_err(|err| err.to_string())?;
            self.lines
                .next_line()
                .await
                .map_err(|err| err.to_string())?
                .ok_or_else(|| "node exited".to_owned())
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(reply) => reply,
            Err(_) => Err(format!("timed out after {} ms", timeout.as_millis())),
        }
    }
}
