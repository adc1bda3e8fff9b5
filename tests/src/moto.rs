//! A real `moto_server` (the local AWS API emulator from PyPI) on a free loopback port.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{free_port, venv_bin, wait_for_port, ChildGuard};

/// A running moto server; killed when dropped.
pub struct Moto {
    pub port: u16,
    _child: ChildGuard,
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p PORT` from the test venv with request recording
    /// enabled and AWS-managed IAM policies loaded.
    pub fn start() -> Self {
        let port = free_port();
        let mut command = Command::new(venv_bin("moto_server"));
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ENABLE_RECORDING", "True")
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = ChildGuard::spawn("moto_server", &mut command);
        assert!(
            wait_for_port(port, Duration::from_secs(60)),
            "moto_server did not listen on {port} within 60 s"
        );
        Self { port, _child: child }
    }

    /// The endpoint URL to give the SDK or `edgekit --endpoint-url`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Environment for a child process (the CLI, cargo lambda) that talks to this moto.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_SESSION_TOKEN", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ]
    }

    fn post(&self, path: &str) -> String {
        http_request(self.port, "POST", path)
    }

    /// Starts moto's request recorder (`/moto-api/recorder/start-recording`).
    pub fn start_recording(&self) {
        self.post("/moto-api/recorder/reset-recording");
        self.post("/moto-api/recorder/start-recording");
    }

    /// Stops recording and returns the recorded requests (one JSON object a line).
    pub fn download_recording(&self) -> Vec<serde_json::Value> {
        self.post("/moto-api/recorder/stop-recording");
        let body = http_request(self.port, "GET", "/moto-api/recorder/download-recording");
        body.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).expect("recorder line is JSON"))
            .collect()
    }

    /// Resets all moto state (`/moto-api/reset`).
    pub fn reset(&self) {
        self.post("/moto-api/reset");
    }
}

/// A minimal blocking HTTP/1.1 request on loopback, to keep this helper free of an HTTP
/// client stack (the tests that need one bring reqwest).
fn http_request(port: u16, method: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to moto");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("write request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        decode_chunked(body)
    } else {
        body.to_owned()
    }
}

fn decode_chunked(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let Some((size_line, rest)) = body.split_once("\r\n") else { break };
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}
