//! What `edgekit dev` prints once its listeners are up: the mode, one line per listener, the
//! functions and ALB behaviour, the origin, the certificate and a first request to try.
//! Tests and users read these lines: change them deliberately.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use edge::policy::OriginVerify;

use super::settings::{
    AlbMode, AlbSettings, CloudFrontSettings, EdgeRuntime, OriginTarget, Settings,
};
use crate::mode::DeploymentMode;

/// What was started, beyond the settings.
pub struct Started<'a> {
    /// Where the ALB sends requests (the embedded echo's address when no `--origin`).
    pub origin: &'a OriginTarget,
    /// The app distribution's functions, with CloudFront.
    pub functions: Option<&'a str>,
    /// The development CA's certificate (PEM) that issued this start's certificate, when a
    /// listener serves HTTPS.
    pub certificate: Option<&'a Path>,
}

/// Prints the banner on stdout and flushes it (stdout may be a file or a pipe).
pub fn print(settings: &Settings, started: &Started<'_>) {
    println!(
        "edgekit dev: mode {} — a local CloudFront + ALB in front of your origin",
        settings.mode.as_str()
    );
    for line in listener_lines(settings, started.functions.unwrap_or_default()) {
        println!("{line}");
    }
    println!(
        "  origin: {}{}",
        started.origin.base,
        if settings.origin.is_none() {
            " (embedded echo: answers with what the origin received)"
        } else {
            ""
        }
    );
    if let Some(ca) = started.certificate {
        for line in trust_lines(ca) {
            println!("{line}");
        }
    }
    if settings.mode.enable_cloudfront() {
        let cacert = started
            .certificate
            .map(|ca| format!("--cacert {} ", ca.display()))
            .unwrap_or_default();
        println!(
            "Try: curl {cacert}https://{}/hello -H 'X-Forwarded-Host: evil.example'   (Ctrl-C stops)",
            show(settings.listen)
        );
    }
    let _ = std::io::stdout().flush();
}

/// How to trust the development CA, said once per start: the CA stays the same across
/// starts, so trusting it once is enough (`edgekit dev --print-ca` prints its path).
fn trust_lines(ca: &Path) -> [String; 2] {
    let ca = ca.display();
    [
        format!("  certificate: issued at start by the edgekit development CA {ca}"),
        format!(
            "  trust the CA once: curl --cacert {ca}; canary targets \"ca_file\": \"{ca}\"; a browser: import it as a certificate authority (path: edgekit dev --print-ca)"
        ),
    ]
}

fn listener_lines(settings: &Settings, functions: &str) -> Vec<String> {
    match &settings.cloudfront {
        Some(cloudfront) => cloudfront_lines(settings, cloudfront, functions),
        None if settings.mode == DeploymentMode::CustomDomain => vec![
            format!(
                "  https://{}/  ALB HTTPS listener (custom domain; no CloudFront, no edge functions)",
                show(settings.listen)
            ),
            format!(
                "  http://{}/   ALB HTTP listener (redirects to HTTPS)",
                show(settings.http_listen)
            ),
        ],
        None => vec![format!(
            "  http://{}/   ALB HTTP listener (development: no CloudFront, no TLS)",
            show(settings.http_listen)
        )],
    }
}

fn cloudfront_lines(
    settings: &Settings,
    cloudfront: &CloudFrontSettings,
    functions: &str,
) -> Vec<String> {
    let mut lines = vec![
        format!(
            "  https://{}/  CloudFront viewer, HTTPS (certificate from the edgekit development CA)",
            show(settings.listen)
        ),
        format!(
            "  http://{}/   CloudFront viewer, HTTP (viewer protocol policy {})",
            show(settings.http_listen),
            cloudfront.viewer_protocol_policy.as_str()
        ),
        format!(
            "  functions: {functions}; origin request policy {}; custom origin headers: {}",
            cloudfront.policy.managed_name(),
            custom_headers(
                &cloudfront.custom_origin_headers,
                cloudfront.origin_verify_header.as_ref()
            )
        ),
        alb_line(&settings.alb),
    ];
    if let Some(keycloak) = &cloudfront.keycloak {
        let function = match cloudfront.runtime {
            EdgeRuntime::LambdaEdge => "origin-request: keycloak-host".to_owned(),
            EdgeRuntime::CloudfrontFunctions => format!(
                "viewer-request: keycloak-host (cloudfront-js-2.0), origin request policy {}",
                keycloak.policy.managed_name()
            ),
        };
        lines.push(format!(
            "  https://{}/  Keycloak distribution ({function}, public hosts {}) → {}",
            show(keycloak.listen),
            keycloak.config.public_hosts.join(", "),
            keycloak.origin.base
        ));
    }
    if let Some(addr) = settings.alb_listen {
        lines.extend(alb_direct_lines(settings.mode, addr));
    }
    lines
}

/// The custom origin headers; the origin-verify secret (CloudFront Functions) is never
/// printed.
fn custom_headers(headers: &[(String, String)], verify: Option<&OriginVerify>) -> String {
    let mut list: Vec<String> = headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    if let Some(verify) = verify
        && !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(&verify.header))
    {
        list.push(format!(
            "{}: *** (origin_verify, kept out of the function's code)",
            verify.header
        ));
    }
    if list.is_empty() {
        return "none".to_owned();
    }
    list.join(", ")
}

/// The ALB behind CloudFront: its HTTP listener, or none with `--alb off`.
fn alb_line(alb: &AlbSettings) -> String {
    if alb.mode == AlbMode::Off {
        return "  ALB: off (CloudFront talks to the origin directly)".into();
    }
    format!(
        "  ALB: HTTP listener (X-Forwarded-Proto: http, {}){}",
        if alb.mode == AlbMode::XfpAppend {
            "appended"
        } else {
            "overwritten"
        },
        if alb.verify.is_some() {
            "; origin-verify rule on (403 without the secret)"
        } else {
            ""
        }
    )
}

fn alb_direct_lines(mode: DeploymentMode, addr: SocketAddr) -> Vec<String> {
    if mode != DeploymentMode::Dual {
        return vec![format!(
            "  http://{}/  ALB HTTP listener reached directly (bypassing CloudFront)",
            show(addr)
        )];
    }
    vec![
        format!(
            "  https://{}/  ALB HTTPS listener (dual ingress: the custom domain, no CloudFront)",
            show(addr)
        ),
        // The reference deployment warns about dual ingress. [docs/platform.md,
        // "Deployment modes"]
        "  warning: dual ingress serves the app at two URLs (CloudFront and the custom domain); that may confuse users and cookies".into(),
    ]
}

/// `127.0.0.1:8443` → `localhost:8443` (what the certificate and a browser expect).
fn show(addr: SocketAddr) -> String {
    if addr.ip().is_loopback() && addr.is_ipv4() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    }
}
