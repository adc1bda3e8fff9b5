//! CloudFront Functions test helpers: a script run in edgekit's sandbox (`cff-sandbox.mjs`)
//! by one `node` process with the events streamed through it, pipelined (a writer thread
//! sends every event line while the answers are read), and timed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use edgekit::packaging::cloudfront_js::{SANDBOX_RUNNER_JS, SandboxAnswer};

/// What one streamed run gave.
pub struct Streamed {
    /// One answer per event, in order.
    pub answers: Vec<SandboxAnswer>,
    /// From spawning `node` to the sandbox's ready line (Node's start, loading the script).
    pub start: Duration,
    /// From the first event written to the last answer read.
    pub events: Duration,
}

/// Runs `code` on every event line in one `node` process.
pub fn run_streamed(code: &str, lines: &[String]) -> Streamed {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("function.js");
    std::fs::write(&script, code).expect("write the script");
    let runner = dir.path().join("cff-sandbox.mjs");
    std::fs::write(&runner, SANDBOX_RUNNER_JS).expect("write the runner");
    let started = Instant::now();
    let mut child = Command::new(crate::node_bin())
        .arg(&runner)
        .arg(&script)
        // The sandbox's per-event limit (50 ms by default) is wall time: on a loaded CI
        // machine it must not turn a descheduled event into a difference.
        .env("EDGEKIT_CFF_TIMEOUT_MS", "5000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let ready = stdout.next().expect("a ready line").expect("read");
    let ready: SandboxAnswer = serde_json::from_str(&ready).expect("the ready line");
    assert!(
        ready.ok,
        "the sandbox refused the script: {:?}",
        ready.error
    );
    let start = started.elapsed();
    let started = Instant::now();
    let input: Vec<String> = lines.to_vec();
    let writer = std::thread::spawn(move || {
        for line in input {
            assert!(!line.contains('\n'), "one event per line");
            stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.write_all(b"\n"))
                .expect("write an event");
        }
    });
    let answers: Vec<SandboxAnswer> = stdout
        .by_ref()
        .take(lines.len())
        .map(|line| serde_json::from_str(&line.expect("read")).expect("an answer line"))
        .collect();
    let events = started.elapsed();
    assert_eq!(
        answers.len(),
        lines.len(),
        "the sandbox stopped answering after {} events (its error is above)",
        answers.len()
    );
    writer.join().expect("the writer");
    let _ = child.wait();
    Streamed {
        answers,
        start,
        events,
    }
}
