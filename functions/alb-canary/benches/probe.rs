//! Benchmark: one canary run over 100 loopback targets that each answer in 50 ms.
//! First the native `alb-canary` binary (release), driven through a minimal Lambda Runtime
//! API on loopback: wall time from handing out the event to receiving the summary, and the
//! binary's peak RSS (VmHWM) read before it is stopped. Then the engine in-process
//! (`probe_all`), cold and warm.
//! The origins run in a child process (this binary with `serve`) so they count for neither.
//! Run: `cargo bench -p alb-canary --bench probe`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use alb_canary::{CanaryConfig, Target, probe_all};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TARGETS: usize = 100;
const DELAY: Duration = Duration::from_millis(50);

fn main() {
    if std::env::args().any(|a| a == "serve") {
        serve();
        return;
    }
    let mut origins = Command::new(std::env::current_exe().unwrap())
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(origins.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ports: Vec<u16> = line.trim().split(',').map(|p| p.parse().unwrap()).collect();
    assert_eq!(ports.len(), TARGETS);
    let config = CanaryConfig {
        namespace: None,
        targets: ports
            .iter()
            .enumerate()
            .map(|(i, port)| {
                let mut t = Target::new(format!("t{i}"), format!("http://127.0.0.1:{port}/health"));
                t.retries = Some(0);
                t.json_expect.insert(
                    "status".into(),
                    alb_canary::JsonScalar::String("healthy".into()),
                );
                t
            })
            .collect(),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(native_binary(&config));

    for run in ["cold", "warm"] {
        let start = Instant::now();
        let results = runtime.block_on(probe_all(&config)).unwrap();
        report(
            &format!("engine in-process, {run}"),
            start.elapsed(),
            results.iter().filter(|r| r.is_ok()).count(),
        );
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    println!(
        "engine in-process: peak RSS of the bench process {}",
        vm_hwm(&status)
    );
    let _ = origins.kill();
    let _ = origins.wait();
}

fn report(what: &str, wall: Duration, ok: usize) {
    println!(
        "{what}: {TARGETS} targets x {} ms: wall {:.1} ms ({:.2} x 50 ms), {ok}/{TARGETS} ok",
        DELAY.as_millis(),
        wall.as_secs_f64() * 1000.0,
        wall.as_secs_f64() / DELAY.as_secs_f64()
    );
}

fn vm_hwm(status: &str) -> String {
    status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// Runs the release `alb-canary` binary against a one-shot Runtime API on loopback.
/// [Lambda Developer Guide, "Using the Lambda runtime API for custom runtimes"]
async fn native_binary(config: &CanaryConfig) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    let event = serde_json::to_vec(config).unwrap();
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<(Instant, Vec<u8>)>(1);
    let (start_tx, mut start_rx) = tokio::sync::mpsc::channel::<Instant>(1);
    tokio::spawn(async move {
        let mut served = false;
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let event = event.clone();
            let done_tx = done_tx.clone();
            let start_tx = start_tx.clone();
            let first = !served;
            served = true;
            tokio::spawn(async move {
                let mut first = first;
                loop {
                    let Some((head, body)) = read_request(&mut stream).await else {
                        return;
                    };
                    if head.starts_with("GET /2018-06-01/runtime/invocation/next") {
                        if !first {
                            std::future::pending::<()>().await;
                        }
                        first = false;
                        let deadline = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_millis()
                            + 60_000;
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                             lambda-runtime-aws-request-id: bench-1\r\nlambda-runtime-deadline-ms: {deadline}\r\n\
                             lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:alb-canary\r\n\
                             content-length: {}\r\n\r\n",
                            event.len()
                        );
                        let _ = start_tx.send(Instant::now()).await;
                        let _ = stream.write_all(head.as_bytes()).await;
                        let _ = stream.write_all(&event).await;
                    } else {
                        let _ = stream
                            .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}")
                            .await;
                        if head.contains("/response") {
                            let _ = done_tx.send((Instant::now(), body)).await;
                        }
                    }
                }
            });
        }
    });
    let binary = env!("CARGO_BIN_EXE_alb-canary");
    let mut child = Command::new(binary)
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "alb-canary")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = start_rx.recv().await.unwrap();
    let (end, body) = done_rx.recv().await.unwrap();
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let summary: alb_canary::Summary = serde_json::from_slice(&body).unwrap();
    report(
        "native alb-canary binary (release)",
        end - start,
        summary.total - summary.failed,
    );
    println!("native alb-canary binary: peak RSS {}", vm_hwm(&status));
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads one HTTP/1.1 request (head and Content-Length body).
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 65536];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while data.len() < head_end + 4 + length {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    }
    Some((head, data[head_end + 4..head_end + 4 + length].to_vec()))
}

/// 100 listeners; each request is answered 200 `{"status":"healthy"}` after 50 ms.
fn serve() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut ports = Vec::new();
        for _ in 0..TARGETS {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            ports.push(listener.local_addr().unwrap().port().to_string());
            tokio::spawn(async move {
                loop {
                    let Ok((mut stream, _)) = listener.accept().await else { continue };
                    tokio::spawn(async move {
                        let mut buf = [0u8; 4096];
                        loop {
                            match stream.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(_) => {}
                            }
                            tokio::time::sleep(DELAY).await;
                            let body = r#"{"status":"healthy"}"#;
                            let response = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if stream.write_all(response.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            });
        }
        println!("{}", ports.join(","));
        std::future::pending::<()>().await;
    });
}
