//! keycloak-host's path guard against the traversal corpus (`edgekit_tests::traversal`):
//! every payload gets the decision `docs/path-guard.md` and the README state, through
//! `edgekit invoke` (native), the packaged wasm under Node.js, and `edgekit dev`'s Keycloak
//! distribution in front of two real servers that normalise paths differently — nginx
//! (decodes, merges slashes, resolves dot segments) and Tomcat (also drops `;` path
//! parameters first) — where no payload reaches a private endpoint. The same payloads sent
//! to those servers directly do reach it: that is what the guard is for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use edgekit_tests::dev::{Dev, Nginx, Tomcat};
use edgekit_tests::packaged::Packaged;
use edgekit_tests::traversal::{Expect, Payload, corpus};
use edgekit_tests::{edgekit_bin, events_dir, free_port, run_ok, system_bin};
use serde_json::Value;

const PUBLIC_HOST: &str = "auth.example.com";

fn config() -> PathBuf {
    events_dir().join("config-keycloak-host.json")
}

fn event(path: &str) -> Value {
    let mut event: Value = serde_json::from_slice(
        &std::fs::read(events_dir().join("keycloak-realm-discovery.json")).unwrap(),
    )
    .unwrap();
    event["Records"][0]["cf"]["request"]["uri"] = Value::from(path);
    event
}

/// The generated status of a result, or `None` when the request is forwarded.
fn generated_status(result: &Value) -> Option<u16> {
    result
        .get("status")
        .map(|status| status.as_str().unwrap().parse().unwrap())
}

fn check(payload: &Payload, result: &Value, host: &str) {
    assert_eq!(
        generated_status(result),
        payload.expect.status(),
        "{host}: {} ({}) got {result}",
        payload.path,
        payload.family
    );
    if payload.expect == Expect::Forward {
        assert_eq!(
            result["uri"],
            payload.path.as_str(),
            "the uri is forwarded as is"
        );
    }
}

#[test]
fn every_payload_through_edgekit_invoke() {
    let dir = tempfile::tempdir().unwrap();
    let payloads = corpus();
    std::thread::scope(|scope| {
        for (worker, chunk) in payloads.chunks(payloads.len().div_ceil(2)).enumerate() {
            let dir = dir.path();
            scope.spawn(move || {
                for (index, payload) in chunk.iter().enumerate() {
                    let file = dir.join(format!("event-{worker}-{index}.json"));
                    std::fs::write(&file, serde_json::to_vec(&event(&payload.path)).unwrap())
                        .unwrap();
                    let output = run_ok(
                        Command::new(edgekit_bin())
                            .args(["invoke", "keycloak-host", "--compact", "--event"])
                            .arg(&file)
                            .arg("--config")
                            .arg(config()),
                    );
                    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
                    check(payload, &result, "edgekit invoke");
                }
            });
        }
    });
}

#[test]
fn every_payload_through_the_packaged_wasm_under_node() {
    let work = tempfile::tempdir().unwrap();
    let package = Packaged::build("keycloak-host", Some(&config()), work.path()).unwrap();
    let payloads = corpus();
    let count = |expect| payloads.iter().filter(|p| p.expect == expect).count();
    eprintln!(
        "corpus: {} paths: {} forwarded, {} 404, {} 400",
        payloads.len(),
        count(Expect::Forward),
        count(Expect::NotFound),
        count(Expect::Refused)
    );
    let events: Vec<Value> = payloads.iter().map(|p| event(&p.path)).collect();
    for (payload, line) in payloads.iter().zip(package.run(&events)) {
        check(payload, &serde_json::from_str(&line).unwrap(), "Node+wasm");
    }
}

/// What a server behind the edge answered: status, and whether a private endpoint
/// answered (nginx marks it with `X-Reached: private`; our Tomcat serves only private
/// files, so any 200 from it is one).
#[derive(Debug)]
struct Answer {
    status: u16,
    reached: String,
    cache: String,
}

/// One curl process for many requests (`--path-as-is`: the paths go out exactly as
/// written, dot segments and all; `-g`: no URL globbing).
fn curl_all(base: &str, paths: &[&str], host: Option<&str>) -> Vec<Answer> {
    let curl = system_bin("curl", "apt-get install -y curl");
    let mut command = Command::new(curl);
    command.args(["-sk", "-g", "--path-as-is", "--max-time", "20"]);
    command.args([
        "-w",
        "%{http_code} reached=%header{x-reached} cache=%header{x-cache}\\n",
    ]);
    if let Some(host) = host {
        command.args(["-H", &format!("Host: {host}")]);
    }
    for path in paths {
        command.args(["-o", "/dev/null", &format!("{base}{path}")]);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let answers: Vec<Answer> = stdout
        .lines()
        .map(|line| {
            let (status, rest) = line.split_once(' ').unwrap();
            let (reached, cache) = rest.split_once(" cache=").unwrap();
            Answer {
                status: status.parse().unwrap(),
                reached: reached.trim_start_matches("reached=").to_owned(),
                cache: cache.to_owned(),
            }
        })
        .collect();
    assert_eq!(answers.len(), paths.len(), "curl: {stdout}");
    answers
}

fn nginx() -> Nginx {
    let port = free_port();
    Nginx::start(
        port,
        &format!(
            r#"server {{
  listen 127.0.0.1:{port};
  merge_slashes on;
  location ~* ^/(admin|metrics|health) {{ add_header X-Reached private always; return 200 "private\n"; }}
  location / {{ add_header X-Reached public always; return 200 "public\n"; }}
}}"#
        ),
    )
}

const TOMCAT_PRIVATE_FILES: &[(&str, &str)] = &[
    ("/admin/master/console/index.html", "private"),
    ("/metrics", "private"),
    ("/health/ready", "private"),
];

fn tomcat_reached(answer: &Answer) -> bool {
    answer.status == 200
}

fn nginx_reached(answer: &Answer) -> bool {
    answer.reached == "private"
}

/// Every payload through `edgekit dev`'s Keycloak distribution, then straight to the server.
fn guard_holds_in_front_of(origin: &str, reached: fn(&Answer) -> bool, server: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dev.json");
    let keycloak_config = std::fs::read_to_string(self::config()).unwrap();
    std::fs::write(
        &config,
        format!(r#"{{"keycloak_host": {keycloak_config}}}"#),
    )
    .unwrap();
    let dev = Dev::start(&[
        "--quiet",
        "--config",
        config.to_str().unwrap(),
        "--keycloak-origin",
        origin,
    ]);
    let payloads = corpus();
    let paths: Vec<&str> = payloads.iter().map(|p| p.path.as_str()).collect();
    let through_edge = curl_all(&dev.keycloak(""), &paths, Some(PUBLIC_HOST));
    for (payload, answer) in payloads.iter().zip(&through_edge) {
        let what = format!(
            "{server} behind edgekit dev: {} ({})",
            payload.path, payload.family
        );
        assert!(
            !reached(answer),
            "{what} reached a private endpoint: {answer:?}"
        );
        match payload.expect.status() {
            Some(status) => {
                assert_eq!(answer.status, status, "{what}: {answer:?}");
                assert_eq!(
                    answer.cache, "LambdaGeneratedResponse from cloudfront",
                    "{what}"
                );
            }
            None => assert_ne!(
                answer.cache, "LambdaGeneratedResponse from cloudfront",
                "{what}"
            ),
        }
    }
    let direct = curl_all(origin, &paths, None);
    direct.iter().filter(|answer| reached(answer)).count()
}

#[test]
fn nothing_private_is_reached_behind_nginx() {
    let nginx = nginx();
    let reached_directly = guard_holds_in_front_of(&nginx.url(), nginx_reached, "nginx");
    eprintln!("nginx: {reached_directly} payloads reach a private endpoint without the guard");
    let direct = curl_all(
        &nginx.url(),
        &["/realms/%2e%2e/admin/master/console/"],
        None,
    );
    assert!(
        nginx_reached(&direct[0]),
        "nginx decodes then resolves: {direct:?}"
    );
}

#[test]
fn nothing_private_is_reached_behind_tomcat() {
    let tomcat = Tomcat::start(TOMCAT_PRIVATE_FILES);
    let reached_directly = guard_holds_in_front_of(&tomcat.url(), tomcat_reached, "tomcat");
    eprintln!("tomcat: {reached_directly} payloads reach a private endpoint without the guard");
    let direct = curl_all(
        &tomcat.url(),
        &["/resources/..;/admin/master/console/"],
        None,
    );
    assert!(
        tomcat_reached(&direct[0]),
        "Tomcat drops ;params first: {direct:?}"
    );
}
