//! Helpers for the `edgekit dev` end-to-end tests: start the emulator, the Python ASGI
//! servers (uvicorn, hypercorn) and nginx on free loopback ports, each killed on drop.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{
    ChildGuard, edgekit_bin, free_port, system_bin, venv_bin, wait_for_port, workspace_root,
};

/// `tests/fixtures/`.
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("tests").join("fixtures")
}

/// The edge runtime `edgekit dev` runs our functions in (`--edge-runtime`): the end-to-end
/// cases run against both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// Lambda@Edge at origin-request (the default).
    LambdaEdge,
    /// CloudFront Functions at viewer-request (the generated script in the sandbox).
    CloudFrontFunctions,
}

impl Runtime {
    /// The `edgekit dev` flags that select it.
    pub fn args(self) -> &'static [&'static str] {
        match self {
            Self::LambdaEdge => &[],
            Self::CloudFrontFunctions => &["--edge-runtime", "cloudfront-functions"],
        }
    }

    /// `X-Cache` of a response our function generated.
    pub fn generated_x_cache(self) -> &'static str {
        match self {
            Self::LambdaEdge => "LambdaGeneratedResponse from cloudfront",
            Self::CloudFrontFunctions => "FunctionGeneratedResponse from cloudfront",
        }
    }

    /// How the request log names forwarded-proto's header changes.
    pub fn forwarded_proto_log(self) -> &'static str {
        match self {
            Self::LambdaEdge => "origin-request forwarded-proto: ",
            Self::CloudFrontFunctions => "viewer-request forwarded-proto (cloudfront-js-2.0): ",
        }
    }
}

/// A running `edgekit dev`.
pub struct Dev {
    pub https_port: u16,
    pub http_port: u16,
    /// The ALB listener reached directly (`--alb-listen`).
    pub alb_port: u16,
    pub keycloak_port: u16,
    guard: ChildGuard,
    stderr_path: PathBuf,
    stdout_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Dev {
    /// Starts `edgekit dev` (cloudfront mode unless `extra` says otherwise) on free ports.
    pub fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (https_port, http_port, alb_port, keycloak_port) =
            (free_port(), free_port(), free_port(), free_port());
        let stderr_path = dir.path().join("stderr.log");
        let stdout_path = dir.path().join("stdout.log");
        let mut command = Command::new(edgekit_bin());
        command
            .arg("dev")
            .args(["--listen", &format!("127.0.0.1:{https_port}")])
            .args(["--http-listen", &format!("127.0.0.1:{http_port}")])
            .args(["--alb-listen", &format!("127.0.0.1:{alb_port}")])
            .args(["--keycloak-listen", &format!("127.0.0.1:{keycloak_port}")])
            .args(extra)
            .env("EDGEKIT_CACHE_DIR", dir.path().join("cache"))
            .stdout(std::fs::File::create(&stdout_path).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr_path).expect("stderr file"));
        let guard = ChildGuard::spawn("edgekit dev", &mut command);
        let dev = Self {
            https_port,
            http_port,
            alb_port,
            keycloak_port,
            guard,
            stderr_path,
            stdout_path,
            _dir: dir,
        };
        let mode = extra
            .iter()
            .position(|a| *a == "--mode")
            .and_then(|i| extra.get(i + 1))
            .copied();
        let ready = match mode {
            Some("development") => wait_for_port(http_port, Duration::from_secs(30)),
            Some("custom-domain") => wait_for_port(https_port, Duration::from_secs(30)),
            _ => {
                wait_for_port(https_port, Duration::from_secs(30))
                    && wait_for_port(alb_port, Duration::from_secs(5))
            }
        };
        if !ready {
            panic!(
                "edgekit dev did not start:\nstdout:\n{}\nstderr:\n{}",
                dev.stdout(),
                dev.stderr()
            );
        }
        dev
    }

    /// [`Dev::start`] with our functions in `runtime`.
    pub fn start_on(runtime: Runtime, extra: &[&str]) -> Self {
        let args: Vec<&str> = runtime.args().iter().chain(extra).copied().collect();
        Self::start(&args)
    }

    /// `https://127.0.0.1:<port><path>` on the CloudFront viewer listener.
    pub fn https(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.https_port)
    }

    /// `http://127.0.0.1:<port><path>` on the HTTP viewer listener.
    pub fn http(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    /// `https://127.0.0.1:<port><path>` on the Keycloak distribution.
    pub fn keycloak(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.keycloak_port)
    }

    /// The ALB listener reached directly.
    pub fn alb(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.alb_port)
    }

    /// What the emulator logged so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// What the emulator printed so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout_path).unwrap_or_default()
    }

    /// Whether the emulator is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.guard.child.try_wait(), Ok(None))
    }
}

/// A viewer for the emulator's listeners: accepts its certificate, follows no redirect.
pub fn viewer() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build the viewer client")
}

/// A response header's value, or "" when absent.
pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default()
}

/// A Python ASGI server from the test venv.
pub struct PyServer {
    pub port: u16,
    _guard: ChildGuard,
}

impl PyServer {
    /// `uvicorn dev_app:<app> --proxy-headers --forwarded-allow-ips '*'`.
    pub fn uvicorn(app: &str) -> Self {
        let port = free_port();
        let mut command = Command::new(venv_bin("uvicorn"));
        command
            .arg(format!("dev_app:{app}"))
            .arg("--app-dir")
            .arg(fixtures_dir())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--proxy-headers",
                "--forwarded-allow-ips",
                "*",
                "--log-level",
                "warning",
            ])
            .stdout(Stdio::null());
        Self::wait("uvicorn", port, &mut command)
    }

    /// `hypercorn dev_app:<app>` (the app brings its own ProxyFixMiddleware).
    pub fn hypercorn(app: &str) -> Self {
        let port = free_port();
        let mut command = Command::new(venv_bin("hypercorn"));
        command
            .arg(format!("dev_app:{app}"))
            .args(["--bind", &format!("127.0.0.1:{port}")])
            // One process (no multiprocessing worker that would outlive a killed parent).
            .args(["--workers", "0", "--log-level", "warning"])
            .current_dir(fixtures_dir())
            .stdout(Stdio::null());
        Self::wait("hypercorn", port, &mut command)
    }

    fn wait(name: &str, port: u16, command: &mut Command) -> Self {
        let guard = ChildGuard::spawn(name, command);
        assert!(
            wait_for_port(port, Duration::from_secs(30)),
            "{name} did not start on port {port}"
        );
        Self {
            port,
            _guard: guard,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// nginx (Debian `nginx-light`) in the foreground with its own prefix, pid, logs and temp
/// paths, running `docs/nginx-snippet.conf` in front of `upstream_port`.
pub struct Nginx {
    pub port: u16,
    _guard: ChildGuard,
    _dir: tempfile::TempDir,
}

impl Nginx {
    pub fn with_snippet(upstream_port: u16) -> Self {
        let snippet = std::fs::read_to_string(workspace_root().join("docs/nginx-snippet.conf"))
            .expect("read snippet");
        let port = free_port();
        let snippet = snippet.replace("listen 8000;", &format!("listen 127.0.0.1:{port};"));
        assert!(
            snippet.contains(&format!("127.0.0.1:{port}")),
            "the snippet's `listen 8000;` line moved"
        );
        Self::start(
            port,
            &format!(
                "upstream app_upstream {{ server 127.0.0.1:{upstream_port}; keepalive 16; }}\n{snippet}"
            ),
        )
    }

    /// Starts nginx with `http_block` inside `http {}`.
    pub fn start(port: u16, http_block: &str) -> Self {
        let nginx = system_bin("nginx", "apt-get install -y nginx-light");
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().display();
        // `master_process off`: one process, so killing it leaves no orphaned worker.
        let conf = format!(
            "master_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{ worker_connections 1024; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{http_block}\n}}\n"
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let mut command = Command::new(nginx);
        command
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null());
        let log = dir.path().join("error.log");
        let guard = spawn_listening("nginx", &mut command, port, Duration::from_secs(10), &log);
        Self {
            port,
            _guard: guard,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Apache Tomcat 10 (Debian `tomcat10-common`) with its own base folder: a Java servlet
/// container that drops `;` path parameters before it resolves dot segments, serving only
/// static files (`files`: path under the web root → content).
pub struct Tomcat {
    pub port: u16,
    _guard: ChildGuard,
    _dir: tempfile::TempDir,
}

/// Where Debian's `tomcat10-common` puts Tomcat.
const CATALINA_HOME: &str = "/usr/share/tomcat10";

impl Tomcat {
    pub fn start(files: &[(&str, &str)]) -> Self {
        let java = system_bin("java", "apt-get install -y default-jre-headless");
        let home = PathBuf::from(CATALINA_HOME);
        assert!(
            home.join("bin/bootstrap.jar").is_file(),
            "Tomcat is not installed: apt-get install -y tomcat10-common (scripts/test installs it)"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path();
        let root = base.join("webapps/ROOT");
        for sub in ["conf", "logs", "temp", "work", "webapps/ROOT/WEB-INF"] {
            std::fs::create_dir_all(base.join(sub)).expect("create tomcat dirs");
        }
        let port = free_port();
        std::fs::write(
            base.join("conf/server.xml"),
            format!(
                r#"<Server port="-1" shutdown="SHUTDOWN"><Service name="Catalina">
<Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1"/>
<Engine name="Catalina" defaultHost="localhost"><Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"/></Engine>
</Service></Server>"#
            ),
        )
        .expect("write server.xml");
        std::fs::write(
            root.join("WEB-INF/web.xml"),
            r#"<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
<servlet><servlet-name>default</servlet-name><servlet-class>org.apache.catalina.servlets.DefaultServlet</servlet-class><load-on-startup>1</load-on-startup></servlet>
<servlet-mapping><servlet-name>default</servlet-name><url-pattern>/</url-pattern></servlet-mapping>
<welcome-file-list><welcome-file>index.html</welcome-file></welcome-file-list>
</web-app>"#,
        )
        .expect("write web.xml");
        for (path, content) in files {
            let file = root.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(file.parent().expect("parent")).expect("create dirs");
            std::fs::write(file, content).expect("write file");
        }
        let classpath = format!(
            "{}/bin/bootstrap.jar:{}/bin/tomcat-juli.jar",
            home.display(),
            home.display()
        );
        let mut command = Command::new(java);
        command
            .args(["-cp", &classpath])
            .arg(format!("-Dcatalina.home={}", home.display()))
            .arg(format!("-Dcatalina.base={}", base.display()))
            .args(["org.apache.catalina.startup.Bootstrap", "start"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(base.join("logs/out.log")).expect("log file"));
        let log = base.join("logs/out.log");
        let guard = spawn_listening("tomcat", &mut command, port, Duration::from_secs(60), &log);
        Self {
            port,
            _guard: guard,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Starts a server and waits until it accepts connections on `port`; fails with its log.
fn spawn_listening(
    name: &str,
    command: &mut Command,
    port: u16,
    timeout: Duration,
    log: &std::path::Path,
) -> ChildGuard {
    let guard = ChildGuard::spawn(name, command);
    if !wait_for_port(port, timeout) {
        let log = std::fs::read_to_string(log).unwrap_or_default();
        panic!("{name} did not start on {port}: {log}");
    }
    guard
}
