//! A real `moto_server` (the local AWS API emulator from PyPI) on a free loopback port, with
//! a request recording private to it.
//!
//! moto's recorder writes to `MOTO_RECORDER_FILEPATH` (default `./moto_recording` in the
//! server's working directory), so two servers started from one test binary would share one
//! recording; this one gets its own file and working directory in a temp dir.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{ChildGuard, free_port, venv_bin, wait_for_port};

/// A running moto server with its own recording file; killed when dropped.
pub struct Moto {
    pub port: u16,
    _child: ChildGuard,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts `moto_server` on a free loopback port with recording enabled and AWS-managed
    /// IAM policies loaded.
    pub fn start() -> Self {
        Self::start_with_env(&[])
    }

    /// As [`Moto::start`], with moto settings in the server's environment (e.g.
    /// `MOTO_ACM_VALIDATION_WAIT`, read by the server process, not by the client).
    pub fn start_with_env(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for moto");
        let port = free_port();
        let mut command = Command::new(venv_bin("moto_server"));
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(dir.path())
            .env("MOTO_ENABLE_RECORDING", "True")
            .env("MOTO_RECORDER_FILEPATH", dir.path().join("recording.jsonl"))
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = ChildGuard::spawn("moto_server", &mut command);
        assert!(
            wait_for_port(port, Duration::from_secs(60)),
            "moto_server did not listen on {port} within 60 s"
        );
        Self {
            port,
            _child: child,
            _dir: dir,
        }
    }

    /// The endpoint URL to give the SDK or `edgekit --endpoint-url`.
    /// An SDK configuration pointed at this moto (dummy credentials), through the CLI's
    /// own HTTPS client.
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(edgekit::aws::https_client())
            .region(aws_config::Region::new(region.to_owned()))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_cloudfront::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }

    /// A CloudFront client pointed at this moto.
    pub fn cloudfront_client(&self) -> aws_sdk_cloudfront::Client {
        let config = aws_sdk_cloudfront::Config::builder()
            .behavior_version(aws_sdk_cloudfront::config::BehaviorVersion::latest())
            .http_client(edgekit::aws::https_client())
            .region(aws_sdk_cloudfront::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_cloudfront::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .endpoint_url(self.endpoint())
            .build();
        aws_sdk_cloudfront::Client::from_conf(config)
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Environment for the CLI: moto's endpoint, dummy credentials, no shared config.
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

    /// Clears the recording and starts recording.
    pub fn start_recording(&self) {
        self.request("POST", "/moto-api/recorder/reset-recording");
        self.request("POST", "/moto-api/recorder/start-recording");
    }

    /// Stops recording and returns the recorded requests (one JSON object per line).
    pub fn download_recording(&self) -> Vec<serde_json::Value> {
        self.request("POST", "/moto-api/recorder/stop-recording");
        let body = self.request("GET", "/moto-api/recorder/download-recording");
        body.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).expect("recorder line is JSON"))
            .collect()
    }

    /// Resets all moto state (`/moto-api/reset`).
    pub fn reset(&self) {
        self.request("POST", "/moto-api/reset");
    }

    /// A blocking HTTP/1.0 request (no chunked encoding to decode).
    fn request(&self, method: &str, path: &str) -> String {
        let mut stream =
            std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect to moto");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("set timeout");
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\n\r\n",
            self.port
        )
        .expect("write request");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read response");
        let text = String::from_utf8_lossy(&response).into_owned();
        text.split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default()
    }
}
