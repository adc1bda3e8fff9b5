//! `edgekit dev`'s local development CA: created once in `EDGEKIT_CACHE_DIR` (key mode 0600,
//! never printed), reused at the next start, and trusted as the only root by reqwest, by curl
//! `--cacert` and by the canary's `ca_file` — no `danger_accept_invalid_certs`, no `-k`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use edgekit_tests::{ChildGuard, edgekit_bin, free_port, system_bin, wait_for_port};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `edgekit dev --print-ca` with the cache in `cache`.
fn print_ca(cache: &Path) -> Output {
    Command::new(edgekit_bin())
        .args(["dev", "--print-ca"])
        .env("EDGEKIT_CACHE_DIR", cache)
        .output()
        .expect("run edgekit dev --print-ca")
}

/// A running `edgekit dev` (cloudfront mode, embedded echo) with the cache in `cache`.
struct Dev {
    port: u16,
    stdout: PathBuf,
    _guard: ChildGuard,
}

impl Dev {
    fn start(cache: &Path, logs: &Path) -> Self {
        let (port, http_port) = (free_port(), free_port());
        let stdout = logs.join(format!("stdout-{port}.log"));
        let mut command = Command::new(edgekit_bin());
        command
            .args(["dev", "--quiet"])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--http-listen", &format!("127.0.0.1:{http_port}")])
            .args(["--keycloak-listen", &format!("127.0.0.1:{}", free_port())])
            .env("EDGEKIT_CACHE_DIR", cache)
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(logs.join(format!("stderr-{port}.log"))).unwrap());
        let guard = ChildGuard::spawn("edgekit dev", &mut command);
        assert!(
            wait_for_port(port, Duration::from_secs(30)),
            "edgekit dev did not start"
        );
        Self {
            port,
            stdout,
            _guard: guard,
        }
    }

    fn banner(&self) -> String {
        // The banner is flushed right after the listeners are bound.
        for _ in 0..50 {
            let out = std::fs::read_to_string(&self.stdout).unwrap_or_default();
            if out.contains("Try:") {
                return out;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no banner");
    }
}

#[test]
fn print_ca_creates_the_ca_once_and_reuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let first = print_ca(&cache);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let path = text(&first.stdout);
    assert_eq!(path.lines().count(), 1, "only the path: {path}");
    let path = PathBuf::from(path.trim_end());
    assert!(path.starts_with(&cache), "{}", path.display());
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");

    // The key stays in the cache directory, owner-only, and is never printed.
    let keys: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != &path)
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key = std::fs::read_to_string(&keys[0]).unwrap();
    assert!(key.contains("PRIVATE KEY"));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&keys[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let second = print_ca(&cache);
    assert!(second.status.success());
    assert_eq!(text(&second.stdout).trim_end(), path.to_str().unwrap());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pem, "reused");
    let key_body = key.lines().nth(1).unwrap();
    for out in [&first, &second] {
        assert!(!text(&out.stdout).contains(key_body) && !text(&out.stderr).contains(key_body));
    }
}

/// A reqwest client whose only root is the development CA.
fn ca_only_client(ca_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).unwrap())
        .build()
        .unwrap()
}

async fn get_ok(client: &reqwest::Client, url: &str) {
    let response = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|err| panic!("{url}: {err:?}"));
    assert_eq!(response.status(), 200, "{url}");
}

#[tokio::test(flavor = "multi_thread")]
async fn reqwest_curl_and_the_canary_trust_the_dev_ca_across_starts() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let ca_path = PathBuf::from(text(&print_ca(&cache).stdout).trim_end());
    let ca_pem = std::fs::read(&ca_path).unwrap();
    let client = ca_only_client(&ca_pem);

    for start in 0..2 {
        // A new leaf certificate per start, from the same CA.
        let dev = tokio::task::block_in_place(|| Dev::start(&cache, dir.path()));
        let banner = tokio::task::block_in_place(|| dev.banner());
        assert!(
            banner.contains(&format!("curl --cacert {}", ca_path.display())),
            "{banner}"
        );
        assert!(
            banner.contains("ca_file") && !banner.contains("curl -k"),
            "{banner}"
        );
        for host in ["localhost", "127.0.0.1"] {
            get_ok(&client, &format!("https://{host}:{}/hello", dev.port)).await;
        }
        assert_eq!(std::fs::read(&ca_path).unwrap(), ca_pem, "start {start}");
        if start == 0 {
            tokio::task::block_in_place(|| curl_and_canary(&ca_path, dev.port, dir.path()));
        }
    }
}

fn curl_and_canary(ca_path: &Path, port: u16, dir: &Path) {
    let url = format!("https://localhost:{port}/hello");
    let curl = Command::new(system_bin("curl", "apt-get install curl"))
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
        .arg(ca_path)
        .arg(&url)
        .output()
        .unwrap();
    assert_eq!(text(&curl.stdout), "200", "{}", text(&curl.stderr));

    // The canary with the CA as `ca_file` passes; without it, it fails on TLS.
    let canary = |ca_file: Option<&Path>| {
        let mut target = serde_json::json!({"name": "dev", "url": url, "retries": 0});
        if let Some(ca) = ca_file {
            target["ca_file"] = ca.to_str().unwrap().into();
        }
        let targets = dir.join("targets.json");
        std::fs::write(
            &targets,
            serde_json::json!({"targets": [target]}).to_string(),
        )
        .unwrap();
        Command::new(edgekit_bin())
            .args(["--output", "json", "canary", "run", "--targets"])
            .arg(&targets)
            .output()
            .unwrap()
    };
    let trusted = canary(Some(ca_path));
    assert!(trusted.status.success(), "{}", text(&trusted.stdout));
    let result: serde_json::Value = serde_json::from_slice(&trusted.stdout).unwrap();
    assert_eq!(result["results"][0]["class"], "ok", "{result}");
    let untrusted = canary(None);
    assert_eq!(
        untrusted.status.code(),
        Some(1),
        "{}",
        text(&untrusted.stdout)
    );
    let result: serde_json::Value = serde_json::from_slice(&untrusted.stdout).unwrap();
    assert_eq!(result["results"][0]["class"], "tls", "{result}");
}
