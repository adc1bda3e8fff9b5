//! Benchmark: one canary run over 100 loopback targets that each answer in 50 ms; prints the
//! wall time of the run and the probing process's peak RSS (VmHWM). The origins run in a child
//! process (this binary with `serve`) so they do not count towards the RSS.
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
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
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
                t
            })
            .collect(),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for run in ["cold", "warm"] {
        let start = Instant::now();
        let results = runtime.block_on(probe_all(&config)).unwrap();
        let wall = start.elapsed();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        println!(
            "{run} run: {TARGETS} targets x {} ms: wall {:.1} ms ({:.2} x 50 ms), {ok} ok",
            DELAY.as_millis(),
            wall.as_secs_f64() * 1000.0,
            wall.as_secs_f64() / DELAY.as_secs_f64()
        );
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: unknown");
    println!(
        "peak RSS of the probing process: {}",
        hwm.trim_start_matches("VmHWM:").trim()
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// 100 listeners; each request is answered 200 after 50 ms.
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
