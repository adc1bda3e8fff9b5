//! A persistent `node` child that speaks JSON lines (one request line in, one reply line
//! out), shared by the two function hosts: the Lambda@Edge bridge ([`super::functions`]) and
//! the CloudFront Functions sandbox ([`super::cloudfront_functions`]).

use std::ffi::OsStr;
use std::future::Future;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Mutex;

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

/// A host's one child, used one exchange at a time and started again after any failure.
#[derive(Default)]
pub struct RestartingChild {
    slot: Mutex<Option<NodeChild>>,
}

impl RestartingChild {
    /// Keeps `child` (started by the host, so a bad script fails at start-up).
    pub async fn set(&self, child: NodeChild) {
        *self.slot.lock().await = Some(child);
    }

    /// Sends one line and reads one reply, first starting the child with `spawn` if the last
    /// exchange failed. On timeout or a broken pipe the child is dropped (killed) and started
    /// again on the next call, so a late reply can never be misattributed.
    pub async fn exchange<Spawn, Started>(
        &self,
        line: &str,
        timeout: Duration,
        spawn: Spawn,
    ) -> Result<String, String>
    where
        Spawn: FnOnce() -> Started,
        Started: Future<Output = Result<NodeChild, String>>,
    {
        let mut slot = self.slot.lock().await;
        let process = match slot.as_mut() {
            Some(process) => process,
            None => slot.insert(spawn().await?),
        };
        let reply = process.exchange(line, timeout).await;
        if reply.is_err() {
            *slot = None;
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Says `ready`, then echoes each line back, except `hang`, which it answers a second
    /// later (a late reply the next exchange must never read).
    const ECHO: &str = r#"
        const rl = require("node:readline").createInterface({ input: process.stdin });
        console.log("ready");
        rl.on("line", (line) => setTimeout(() => console.log(line), line === "hang" ? 1000 : 0));
    "#;

    async fn echo(starts: &AtomicUsize) -> Result<NodeChild, String> {
        starts.fetch_add(1, Ordering::SeqCst);
        let node = crate::packaging::cloudfront_js::node_binary();
        let args = [OsStr::new("-e"), OsStr::new(ECHO)];
        let (child, ready) = NodeChild::spawn(&node, &args, &[], "echo script").await?;
        assert_eq!(ready, "ready");
        Ok(child)
    }

    #[tokio::test]
    async fn a_failed_exchange_restarts_the_child_and_drops_its_late_reply() {
        let starts = AtomicUsize::new(0);
        let child = RestartingChild::default();
        child.set(echo(&starts).await.unwrap()).await;
        let timeout = Duration::from_millis(300);
        let spawn = || echo(&starts);
        assert_eq!(child.exchange("a", timeout, spawn).await.unwrap(), "a");
        let late = child.exchange("hang", timeout, spawn).await.unwrap_err();
        assert!(late.contains("timed out"), "{late}");
        assert_eq!(
            starts.load(Ordering::SeqCst),
            1,
            "no restart before it is needed"
        );
        // The next exchange starts a fresh child: its answer is "b", not the late "hang".
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(child.exchange("b", timeout, spawn).await.unwrap(), "b");
        assert_eq!(starts.load(Ordering::SeqCst), 2);
    }
}
