//! `edgekit doctor`'s HTTP checks, each proven both ways against real servers on loopback:
//! the browser tests' login stack (`tests/login/`: npm oidc-provider as Keycloak's stand-in for
//! the protocol, served under `/realms/mcp-gateway/`, and the Starlette + Authlib app on
//! uvicorn that starts an OIDC login and sets its session cookie) behind `edgekit dev` in the
//! cloudfront, custom-domain, dual and development modes and in the reference deployment's broken
//! setup (`--no-forwarded-proto --custom-origin-header 'X-Forwarded-Proto: https'`); nginx with
//! Debian's stock default site; `edgekit dev` in front of a dead origin (the ALB's 502); and,
//! for Keycloak's own pages ("HTTPS required", "Invalid parameter: redirect_uri", the issuer
//! without proxy headers, published /admin/, /metrics, /health), `tests/login/keycloak_standin.py`,
//! a stand-in that answers as Keycloak's documentation and source describe (Keycloak itself
//! cannot be installed here). Exit statuses and the JSON shape are checked through the binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use edgekit_tests::doctor::{CALLBACK, REALM, Servers, arg, doctor, nginx_default_site};
use edgekit_tests::free_port;
use edgekit_tests::moto::Moto;
use serde_json::Value;

/// Every HTTP check id (the interface).
const HTTP_CHECKS: &[&str] = &[
    "reachability",
    "nginx-default-page",
    "app-redirect-uri",
    "app-secure-cookie",
    "keycloak-issuer",
    "keycloak-redirect-uri",
    "keycloak-https-required",
    "keycloak-private-paths",
    "host-header-injection",
    "tls-certificate",
];

/// Runs doctor with `--output json`, expecting `code`; the parsed report and stderr.
fn doctor_json(args: &[&str], code: i32, servers: &Servers) -> (Value, String) {
    let mut all = args.to_vec();
    all.extend(["--output", "json", "--no-aws"]);
    let out = doctor(&all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "doctor {all:?}\n{stdout}\n{stderr}\n{}",
        servers.logs()
    );
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (report, stderr)
}

/// The one check with this id and target prefix.
fn check<'a>(report: &'a Value, id: &str, target: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id && c["target"].as_str().unwrap().starts_with(target))
        .unwrap_or_else(|| panic!("no {id} for {target} in {report:#}"))
}

fn status<'a>(report: &'a Value, id: &str, target: &str) -> &'a str {
    check(report, id, target)["status"].as_str().unwrap()
}

/// The issue's JSON shape, exactly (+ `group`).
fn assert_shape(report: &Value) {
    let keys = |v: &Value| {
        v.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
    };
    let set = |k: &[&str]| k.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(keys(report), set(&["deployment_mode", "checks", "summary"]));
    assert_eq!(
        keys(&report["summary"]),
        set(&["pass", "fail", "warn", "skip"])
    );
    for c in report["checks"].as_array().unwrap() {
        assert_eq!(
            keys(c),
            set(&[
                "id", "group", "status", "target", "symptom", "evidence", "fix"
            ]),
            "{c}"
        );
        assert!(["pass", "fail", "warn", "skip"].contains(&c["status"].as_str().unwrap()));
        assert_eq!(
            c["fix"].is_null(),
            !matches!(c["status"].as_str(), Some("fail" | "warn")),
            "{c}"
        );
    }
    let counted: u64 = ["pass", "fail", "warn", "skip"]
        .iter()
        .map(|k| report["summary"][k].as_u64().unwrap())
        .sum();
    assert_eq!(counted, report["checks"].as_array().unwrap().len() as u64);
}

/// "doctor: HTTP checks took 0.12 s" on stderr.
fn http_seconds(stderr: &str) -> f64 {
    let at = stderr
        .find("HTTP checks took ")
        .unwrap_or_else(|| panic!("no timing in {stderr}"));
    stderr[at + 17..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn the_login_stack_passes_in_each_mode_and_the_broken_setup_fails() {
    let mut s = Servers::new();
    let (idp_port, app_port) = (free_port(), free_port());
    let origin = format!("http://127.0.0.1:{app_port}");
    let kc_origin = format!("http://127.0.0.1:{idp_port}");
    let (cf, kc) = s.dev("dev cloudfront", &origin, Some(&kc_origin), &[]);
    let broken_flags = [
        "--no-forwarded-proto",
        "--custom-origin-header",
        "X-Forwarded-Proto: https",
    ];
    let (broken, kc_broken) = s.dev("dev broken", &origin, Some(&kc_origin), &broken_flags);
    let (cd, _) = s.dev(
        "dev custom-domain",
        &origin,
        None,
        &["--mode", "custom-domain"],
    );
    let (devel, _) = s.dev("dev development", &origin, None, &["--mode", "development"]);
    let (dual, _) = s.dev("dev dual", &origin, None, &["--mode", "dual"]);
    // The client registers the public https URLs, as the reference deployment's guide says.
    let registered = [cf, broken, cd, dual].map(|p| format!("https://localhost:{p}{CALLBACK}"));
    s.idp(idp_port, &registered);
    s.app(
        "app",
        app_port,
        &format!("https://127.0.0.1:{kc}/realms/{REALM}"),
        &[],
    );
    s.wait(idp_port, "idp");
    s.wait(app_port, "app");
    let ca = arg(&s.ca_file());

    // Healthy: the deployment file as `distribution create --output json` prints it (secret
    // included), plus a custom-domain URL given as a flag.
    let secret = "origin-verify-secret-never-printed-0123";
    let file = s.dir.path().join("deployment.json");
    let deployment = serde_json::json!({
        "deployment_mode": "cloudfront",
        "registry_url": format!("https://localhost:{cf}"),
        "keycloak_url": format!("https://127.0.0.1:{kc}"),
        "distributions": [{"id": "E2DEVREGISTRY", "domain_name": "localhost", "role": "registry", "created": true}],
        "origin_verify_secret": secret,
    });
    std::fs::write(&file, deployment.to_string()).unwrap();
    let cd_url = format!("https://localhost:{cd}");
    let dual_url = format!("https://localhost:{dual}");
    let (report, stderr) = doctor_json(
        &[
            "--deployment",
            &arg(&file),
            "--url",
            &cd_url,
            "--url",
            &dual_url,
            "--ca-file",
            &ca,
        ],
        0,
        &s,
    );
    assert_shape(&report);
    assert_eq!(report["deployment_mode"], "cloudfront");
    for id in HTTP_CHECKS {
        for c in report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == *id)
        {
            assert_eq!(c["status"], "pass", "{c:#}");
        }
    }
    for target in [
        format!("https://localhost:{cf}"),
        cd_url.clone(),
        dual_url.clone(),
    ] {
        for id in [
            "reachability",
            "app-redirect-uri",
            "app-secure-cookie",
            "host-header-injection",
            "tls-certificate",
        ] {
            assert_eq!(status(&report, id, &target), "pass");
        }
    }
    assert_eq!(status(&report, "cloudfront-deployed", "aws"), "skip");
    let text = report.to_string();
    assert!(
        !text.contains(secret) && !text.contains("mcp_gateway_session="),
        "a secret leaked: {text}"
    );
    let took = http_seconds(&stderr);
    assert!(took <= 2.0, "HTTP checks took {took} s (budget 2 s)");
    eprintln!("healthy stack: HTTP checks took {took} s");

    // The reference deployment's broken setup: the custom X-Forwarded-Proto header does not
    // survive the HTTP ALB listener, so the app builds http URLs and drops Secure.
    let broken_url = format!("https://localhost:{broken}");
    let kc_broken_url = format!("https://127.0.0.1:{kc_broken}");
    let args = [
        "--url",
        broken_url.as_str(),
        "--keycloak-url",
        &kc_broken_url,
        "--ca-file",
        &ca,
    ];
    let (report, _) = doctor_json(&args, 1, &s);
    assert_shape(&report);
    let redirect = check(&report, "app-redirect-uri", &broken_url);
    assert_eq!(redirect["status"], "fail");
    assert!(
        redirect["evidence"]
            .as_str()
            .unwrap()
            .contains("scheme http"),
        "{redirect}"
    );
    assert!(
        redirect["fix"]
            .as_str()
            .unwrap()
            .contains("forwarded-proto"),
        "{redirect}"
    );
    let cookie = check(&report, "app-secure-cookie", &broken_url);
    assert_eq!(cookie["status"], "fail", "{cookie}");
    assert!(
        cookie["evidence"]
            .as_str()
            .unwrap()
            .contains("SameSite=None but without Secure")
    );
    let kc_redirect = check(&report, "keycloak-redirect-uri", &kc_broken_url);
    assert_eq!(kc_redirect["status"], "fail", "{kc_redirect}");
    let fix = kc_redirect["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!(
            "Valid redirect URIs: {broken_url}{CALLBACK}; Web origins: {broken_url}"
        )),
        "{fix}"
    );
    assert_eq!(report["summary"]["fail"], 3, "{report:#}");
    // The text report: grouped, marked, then the fixes.
    let out = doctor(&[&args[..], &["--no-aws"]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    for needle in [
        "app\n",
        "\nKeycloak\n",
        "\ncertificates\n",
        "✖ app-redirect-uri",
        "✔ keycloak-issuer",
        "– alb-target-health",
        "\nFixes\n",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from\n{text}");
    }

    // Development mode is plain http: doctor says the login would not be https.
    let devel_url = format!("http://localhost:{devel}");
    let (report, _) = doctor_json(
        &[
            "--login-path",
            "/login",
            "--url",
            &devel_url,
            "--keycloak-url",
            &format!("https://127.0.0.1:{kc}"),
            "--ca-file",
            &ca,
        ],
        1,
        &s,
    );
    assert_eq!(status(&report, "reachability", &devel_url), "pass");
    assert_eq!(status(&report, "app-redirect-uri", &devel_url), "fail");
    assert_eq!(status(&report, "tls-certificate", &devel_url), "skip");

    // Without the development CA the certificate is untrusted.
    let cf_url = format!("https://localhost:{cf}");
    let (report, _) = doctor_json(&["--url", &cf_url], 1, &s);
    let tls = check(&report, "tls-certificate", &cf_url);
    assert_eq!(tls["status"], "fail", "{tls}");
    assert!(
        tls["evidence"].as_str().unwrap().contains("UnknownIssuer"),
        "{tls}"
    );
}

#[test]
fn keycloak_standin_nginx_and_a_dead_origin_fail_their_checks() {
    let mut s = Servers::new();
    let nginx = nginx_default_site();
    let dead = free_port();
    let (dead_dev, _) = s.dev(
        "dev dead origin",
        &format!("http://127.0.0.1:{dead}"),
        None,
        &[],
    );
    // Keycloak published whole, no proxy headers trusted but X-Forwarded-*, SSL required.
    let exposed = s.keycloak_standin(
        "keycloak exposed",
        &[
            "--proxy-headers",
            "xforwarded",
            "--ssl-required",
            "all",
            "--expose",
        ],
    );
    let strict = s.keycloak_standin(
        "keycloak strict",
        &[
            "--redirect-uri",
            "https://registry.example.com/oauth2/callback/keycloak",
        ],
    );
    let trusting = free_port();
    s.app(
        "app trusting X-Forwarded-Host",
        trusting,
        &format!("http://127.0.0.1:{strict}/realms/{REALM}"),
        &[("APP_TRUST_FORWARDED_HOST", "1")],
    );
    let hostless = free_port();
    s.app(
        "app with an empty public host",
        hostless,
        &format!("http://127.0.0.1:{strict}/realms/{REALM}"),
        &[("APP_PUBLIC_HOST", "")],
    );
    for (port, name) in [
        (hostless, "app with an empty public host"),
        (exposed, "keycloak exposed"),
        (strict, "keycloak strict"),
        (trusting, "app"),
    ] {
        s.wait(port, name);
    }
    let ca = arg(&s.ca_file());
    let nginx_url = nginx.url();
    let dead_url = format!("https://127.0.0.1:{dead_dev}");
    let trusting_url = format!("http://127.0.0.1:{trusting}");
    let exposed_url = format!("http://127.0.0.1:{exposed}");

    let args = [
        "--url",
        &nginx_url,
        "--url",
        &dead_url,
        "--url",
        &trusting_url,
        "--keycloak-url",
        &exposed_url,
        "--ca-file",
        &ca,
    ];
    let (report, _) = doctor_json(&args, 1, &s);
    assert_shape(&report);
    // nginx's welcome page, and the pass side on the other app.
    assert_eq!(status(&report, "nginx-default-page", &nginx_url), "fail");
    assert_eq!(status(&report, "nginx-default-page", &trusting_url), "pass");
    assert_eq!(status(&report, "reachability", &nginx_url), "pass");
    // The ALB's 502 (no target answering), named by the canary's signature table.
    let unreachable = check(&report, "reachability", &dead_url);
    assert_eq!(unreachable["status"], "fail");
    assert!(
        unreachable["evidence"]
            .as_str()
            .unwrap()
            .contains("HTTP 502 generated by alb"),
        "{unreachable}"
    );
    // The app that takes its host from X-Forwarded-Host.
    let injected = check(&report, "host-header-injection", &trusting_url);
    assert_eq!(injected["status"], "fail", "{injected}");
    assert!(
        injected["evidence"]
            .as_str()
            .unwrap()
            .contains("doctor-spoofed.invalid")
    );
    // Keycloak published without proxy settings.
    let issuer = check(&report, "keycloak-issuer", &exposed_url);
    assert_eq!(issuer["status"], "fail");
    assert!(
        issuer["evidence"].as_str().unwrap().contains("scheme http"),
        "{issuer}"
    );
    assert_eq!(
        status(&report, "keycloak-https-required", &exposed_url),
        "fail"
    );
    assert_eq!(
        status(&report, "keycloak-redirect-uri", &exposed_url),
        "skip"
    );
    let private = check(&report, "keycloak-private-paths", &exposed_url);
    assert_eq!(private["status"], "fail");
    assert!(
        private["evidence"]
            .as_str()
            .unwrap()
            .contains("/admin/, /metrics, /health"),
        "{private}"
    );
    assert_eq!(
        status(&report, "host-header-injection", &exposed_url),
        "fail"
    );

    // A client without the app's redirect URI: Keycloak's "Invalid parameter: redirect_uri".
    let strict_url = format!("http://127.0.0.1:{strict}");
    let hostless_url = format!("http://127.0.0.1:{hostless}");
    let args = [
        "--url",
        &nginx_url,
        "--url",
        &hostless_url,
        "--keycloak-url",
        &strict_url,
    ];
    let (report, _) = doctor_json(&args, 1, &s);
    // The app whose public host setting is empty: symptom 3.
    let hostless_redirect = check(&report, "app-redirect-uri", &hostless_url);
    assert_eq!(hostless_redirect["status"], "fail", "{hostless_redirect}");
    let evidence = hostless_redirect["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("redirect_uri http:/oauth2/callback/keycloak: no host"),
        "{evidence}"
    );
    let redirect = check(&report, "keycloak-redirect-uri", &strict_url);
    assert_eq!(redirect["status"], "fail", "{redirect}");
    let expected = nginx_url.replacen("http://", "https://", 1);
    assert!(
        redirect["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("Valid redirect URIs: {expected}{CALLBACK}")),
        "{redirect}"
    );
    assert_eq!(
        status(&report, "keycloak-https-required", &strict_url),
        "pass"
    );
    assert_eq!(
        status(&report, "keycloak-private-paths", &strict_url),
        "pass"
    );
}

#[test]
fn doctor_exits_2_when_it_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, r#"{"registry_url": "https://x"}"#).unwrap();
    let missing = arg(&dir.path().join("missing.json"));
    let bad = arg(&bad_json);
    let cases: [(&[&str], &str); 6] = [
        (
            &["--deployment", &missing],
            "could not read the deployment file",
        ),
        (
            &["--deployment", &bad],
            "is not what `distribution create --output json` prints",
        ),
        (&["--url", "ftp://x"], "is not a usable URL"),
        (
            &["--url", "https://x", "--cluster", "c"],
            "each --service needs its --cluster",
        ),
        (&["--url", "https://x", "--timeout", "0"], "--timeout"),
        (&[], "nothing to check"),
    ];
    for (args, message) in cases {
        let out = doctor(args);
        // miette wraps long lines: compare with the wrapping undone.
        let stderr = String::from_utf8_lossy(&out.stderr).replace('│', " ");
        let stderr = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// The AWS half is wired in: with credentials (moto's) the AWS checks run and report what the
/// API said; without any, each is skipped with the reason. The checks themselves are tested
/// in `doctor_aws`.
#[test]
fn aws_checks_run_with_credentials_and_are_skipped_without() {
    let moto = Moto::start();
    let args = [
        "doctor",
        "--url",
        "http://127.0.0.1:9/",
        "--distribution",
        "E2DOESNOTEXIST",
        "--output",
        "json",
        "--timeout",
        "5",
    ];
    let mut with = std::process::Command::new(edgekit_tests::edgekit_bin());
    with.args(args).envs(moto.env());
    let out = with.output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let deployed = check(&report, "cloudfront-deployed", "");
    assert_ne!(deployed["status"], "skip", "{deployed}");
    assert_eq!(out.status.code(), Some(1), "{report:#}");

    let mut without = std::process::Command::new(edgekit_tests::edgekit_bin());
    without
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap());
    without.envs([
        ("HOME", "/nonexistent"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_REGION", "us-east-1"),
    ]);
    let out = without.output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let deployed = check(&report, "cloudfront-deployed", "");
    assert_eq!(deployed["status"], "skip", "{deployed}");
    assert!(
        deployed["evidence"]
            .as_str()
            .unwrap()
            .contains("no AWS credentials"),
        "{deployed}"
    );
}

/// Every probe has a timeout: a server that accepts connections and never answers costs
/// `--timeout`, not a hang.
#[test]
fn a_silent_server_costs_the_timeout_not_a_hang() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/", silent.local_addr().unwrap().port());
    let started = std::time::Instant::now();
    let out = doctor(&[
        "--url",
        &url,
        "--timeout",
        "0.5",
        "--no-aws",
        "--output",
        "json",
    ]);
    let took = started.elapsed();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let reach = check(&report, "reachability", &url);
    assert_eq!(reach["status"], "fail");
    assert!(
        reach["evidence"].as_str().unwrap().contains("timeout"),
        "{reach}"
    );
    assert!(
        took.as_secs_f64() < 3.0,
        "doctor took {took:?} with --timeout 0.5"
    );
}
