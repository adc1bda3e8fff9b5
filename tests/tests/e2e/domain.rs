//! `edgekit domain add` / `domain remove` against a real moto_server: ACM (moto keeps a
//! requested certificate PENDING_VALIDATION for `MOTO_ACM_VALIDATION_WAIT` seconds and
//! returns its DNS validation records), Route 53 (zones, CNAME and ALIAS records) and
//! CloudFront (aliases, viewer certificate); writes are counted with moto's recorder.
//!
//! moto 5.2.5 does not enforce CNAMEAlreadyExists (two distributions may hold one alias) nor
//! that the certificate covers the aliases, and never fills ACM's InUseBy for CloudFront:
//! the CLI checks all three itself (ListDistributions), which is what these tests see.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use aws_sdk_cloudfront::types::{
    Aliases, CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, Origin,
    OriginProtocolPolicy, Origins, ViewerProtocolPolicy,
};
use edgekit::plan::diff::{changes, config_json};
use edgekit_tests::aws_cli::{CliRun, edgekit};
use edgekit_tests::aws_fixtures::rich_distribution_config;
use edgekit_tests::moto::Moto;
use serde_json::Value;

/// Seconds moto keeps a requested certificate pending.
const VALIDATION_WAIT: &str = "2";

/// A small distribution: one custom origin, the given comment and aliases.
fn simple_config(reference: &str, comment: &str, aliases: &[&str]) -> DistributionConfig {
    let origin = Origin::builder()
        .id("alb")
        .domain_name("alb.example.net")
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpOnly)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let mut alias_list = Aliases::builder().quantity(aliases.len() as i32);
    for alias in aliases {
        alias_list = alias_list.items(*alias);
    }
    DistributionConfig::builder()
        .caller_reference(reference)
        .comment(comment)
        .enabled(true)
        .aliases(alias_list.build().unwrap())
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("alb")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

/// A created distribution: id and *.cloudfront.net name.
async fn create_distribution(moto: &Moto, config: DistributionConfig) -> (String, String) {
    let out = moto
        .cloudfront_client()
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .unwrap();
    let dist = out.distribution.unwrap();
    (dist.id, dist.domain_name)
}

fn route53(sdk: &aws_config::SdkConfig) -> aws_sdk_route53::Client {
    aws_sdk_route53::Client::new(sdk)
}

fn acm(sdk: &aws_config::SdkConfig) -> aws_sdk_acm::Client {
    aws_sdk_acm::Client::new(sdk)
}

/// Creates a public hosted zone and returns its bare id.
async fn create_zone(sdk: &aws_config::SdkConfig, name: &str) -> String {
    let out = route53(sdk)
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("zone-{name}"))
        .send()
        .await
        .unwrap();
    out.hosted_zone
        .unwrap()
        .id
        .trim_start_matches("/hostedzone/")
        .to_owned()
}

/// Every record set of a zone as (name, type, value or alias target, alias zone id).
async fn zone_records(
    sdk: &aws_config::SdkConfig,
    zone: &str,
) -> Vec<(String, String, String, String)> {
    let out = route53(sdk)
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    out.resource_record_sets
        .into_iter()
        .map(|r| {
            let (value, alias_zone) = match (&r.alias_target, r.resource_records.as_deref()) {
                (Some(a), _) => (a.dns_name.clone(), a.hosted_zone_id.clone()),
                (None, Some([one, ..])) => (one.value.clone(), String::new()),
                _ => (String::new(), String::new()),
            };
            (r.name, r.r#type.as_str().to_owned(), value, alias_zone)
        })
        .collect()
}

/// A request header of a recorder entry ("" when absent).
fn header(entry: &Value, name: &str) -> String {
    entry["headers"]
        .as_object()
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str().map(str::to_owned))
        })
        .unwrap_or_default()
}

/// The writes moto saw since `start_recording`: `method url X-Amz-Target if-match=…`. ACM
/// calls are all POSTs, so an ACM write is told by its target; Route 53 and CloudFront by
/// method and URL.
fn writes(moto: &Moto) -> Vec<String> {
    moto.download_recording()
        .into_iter()
        .filter_map(|entry| {
            let method = entry["method"].as_str().unwrap_or_default().to_owned();
            let url = entry["url"].as_str().unwrap_or_default().to_owned();
            let target = header(&entry, "x-amz-target");
            let if_match = header(&entry, "if-match");
            let acm_write = [
                "RequestCertificate",
                "DeleteCertificate",
                "ImportCertificate",
            ]
            .iter()
            .any(|op| target.ends_with(op));
            let write = method == "PUT"
                || method == "DELETE"
                || acm_write
                || (method == "POST" && (url.contains("/rrset") || url.ends_with("/distribution")));
            write.then(|| format!("{method} {url} {target} if-match={if_match}"))
        })
        .collect()
}

fn ok_json(run: &CliRun) -> Value {
    run.json()
}

fn failed(run: &CliRun) -> &str {
    assert_ne!(
        run.code, 0,
        "expected a failure\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    &run.stderr
}

/// A miette report with its line wrapping and frame undone.
fn flat(report: &str) -> String {
    report
        .replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn step_results(out: &Value) -> Vec<(String, String)> {
    out["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["result"].as_str().unwrap().to_owned(),
                s["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn viewer_config(moto: &Moto, id: &str) -> DistributionConfig {
    moto.cloudfront_client()
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .unwrap()
        .distribution_config
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn fresh_add_requests_validates_and_attaches_then_a_rerun_writes_nothing() {
    let moto = Moto::start_with_env(&[("MOTO_ACM_VALIDATION_WAIT", VALIDATION_WAIT)]);
    let sdk = moto.sdk_config("us-east-1").await;
    let zone = create_zone(&sdk, "example.com").await;
    // A narrower zone wins for names under it (longest suffix).
    let sub_zone = create_zone(&sdk, "new.example.com").await;
    // The rich fixture already has app. and www.example.com: the certificate must cover them.
    let (id, cf_domain) = create_distribution(&moto, rich_distribution_config(&[])).await;
    let before = viewer_config(&moto, &id).await;
    let dir = tempfile::tempdir().unwrap();
    let fn_config = dir.path().join("forwarded-proto.json");
    std::fs::write(
        &fn_config,
        r#"{"public_hosts": ["app.example.com"], "origin_verify": {"header": "X-Origin-Verify", "secret": "s3cr3t-never-printed-0123456789"}}"#,
    )
    .unwrap();

    moto.start_recording();
    let run = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            &id,
            "--domain",
            "New.Example.com",
            "--function-config",
            fn_config.to_str().unwrap(),
            "--function",
            "forwarded-proto",
            "--timeout",
            "30",
            "--output",
            "json",
        ],
    );
    let out = ok_json(&run);
    assert!(!run.stdout.contains("s3cr3t") && !run.stderr.contains("s3cr3t"));
    // Progress on stderr while waiting for ISSUED.
    assert!(run.stderr.contains("to be issued"), "{}", run.stderr);
    assert_eq!(out["domain"], "new.example.com");
    assert_eq!(out["hosted_zone"]["id"], sub_zone);
    assert_eq!(out["certificate"]["status"], "ISSUED");
    assert_eq!(out["complete"], true);
    let arn = out["certificate"]["arn"].as_str().unwrap().to_owned();
    assert!(arn.starts_with("arn:aws:acm:us-east-1:"), "{arn}");

    // The certificate covers the new name and the distribution's other aliases.
    let cert = acm(&sdk)
        .describe_certificate()
        .certificate_arn(&arn)
        .send()
        .await
        .unwrap();
    let cert = cert.certificate.unwrap();
    assert_eq!(cert.domain_name.as_deref(), Some("new.example.com"));
    let sans = cert.subject_alternative_names.unwrap_or_default();
    for name in ["app.example.com", "www.example.com"] {
        assert!(sans.iter().any(|s| s == name), "{sans:?}");
    }

    // Validation CNAMEs: each in the zone holding its name.
    let in_sub = zone_records(&sdk, &sub_zone).await;
    let in_parent = zone_records(&sdk, &zone).await;
    let cname = |records: &[(String, String, String, String)], name: &str| {
        records.iter().any(|(n, t, v, _)| {
            t == "CNAME"
                && n.ends_with(&format!("{name}."))
                && n.starts_with('_')
                && v.contains("acm-validations.aws")
        })
    };
    assert!(cname(&in_sub, "new.example.com"), "{in_sub:?}");
    assert!(cname(&in_parent, "app.example.com"), "{in_parent:?}");
    assert!(cname(&in_parent, "www.example.com"), "{in_parent:?}");
    // ALIAS A and AAAA to the distribution with CloudFront's alias zone id.
    for rtype in ["A", "AAAA"] {
        assert!(
            in_sub.iter().any(|(n, t, v, z)| n == "new.example.com."
                && t == rtype
                && v.trim_end_matches('.') == cf_domain
                && z == "Z2FDTNDATAQYW2"),
            "{rtype} missing: {in_sub:?}"
        );
    }

    // The distribution: alias + certificate (SNI, TLSv1.2_2021), nothing else.
    let after = viewer_config(&moto, &id).await;
    let aliases = after.aliases.clone().unwrap().items.unwrap();
    assert_eq!(
        aliases,
        vec!["app.example.com", "www.example.com", "new.example.com"]
    );
    let vc = after.viewer_certificate.clone().unwrap();
    assert_eq!(vc.acm_certificate_arn.as_deref(), Some(arn.as_str()));
    assert_eq!(vc.ssl_support_method.unwrap().as_str(), "sni-only");
    assert_eq!(
        vc.minimum_protocol_version.unwrap().as_str(),
        "TLSv1.2_2021"
    );
    let changed: Vec<String> = changes(&config_json(&before), &config_json(&after))
        .into_iter()
        .map(|c| c.path)
        .filter(|p| !p.starts_with("Aliases") && !p.starts_with("ViewerCertificate"))
        .collect();
    assert!(
        changed.is_empty(),
        "changed beyond aliases and certificate: {changed:?}"
    );
    let update = writes(&moto);
    // UpdateDistribution with the ETag just read (If-Match), as attach does.
    assert!(
        update.iter().any(|w| w.starts_with("PUT")
            && w.contains(&format!("/distribution/{id}/config"))
            && !w.ends_with("if-match=")),
        "{update:?}"
    );
    assert_eq!(
        update
            .iter()
            .filter(|w| w.contains("RequestCertificate"))
            .count(),
        1,
        "{update:?}"
    );

    // What the user pastes.
    assert_eq!(out["paste"]["app_public_url"], "https://new.example.com");
    assert_eq!(
        out["paste"]["valid_redirect_uri"],
        "https://new.example.com/oauth2/callback/keycloak"
    );
    assert_eq!(out["paste"]["web_origin"], "https://new.example.com");
    assert_eq!(
        out["paste"]["kc_hostname"], "https://new.example.com",
        "unknown role: all values"
    );
    assert_eq!(
        out["edge_function"]["public_hosts"],
        serde_json::json!(["app.example.com", "new.example.com"])
    );
    assert!(
        out["edge_function"]["commands"][0]
            .as_str()
            .unwrap()
            .starts_with("edgekit publish forwarded-proto --config")
    );

    // Re-run: everything already done, not one write.
    moto.start_recording();
    let again = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            &id,
            "--domain",
            "new.example.com",
            "--output",
            "json",
        ],
    );
    let again = ok_json(&again);
    let w = writes(&moto);
    assert!(w.is_empty(), "a re-run must not write: {w:?}");
    assert!(
        step_results(&again)
            .iter()
            .all(|(r, _)| r == "already-done"),
        "{again}"
    );
    assert_eq!(again["certificate"]["arn"], arn.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_shows_every_write_and_makes_none() {
    let moto = Moto::start_with_env(&[("MOTO_ACM_VALIDATION_WAIT", VALIDATION_WAIT)]);
    let sdk = moto.sdk_config("us-east-1").await;
    create_zone(&sdk, "example.com").await;
    let (_, _) =
        create_distribution(&moto, simple_config("r1", "edgekit:prod:keycloak", &[])).await;

    moto.start_recording();
    let run = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            "keycloak",
            "--name",
            "prod",
            "--domain",
            "auth.example.com",
            "--dry-run",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let w = writes(&moto);
    assert!(w.is_empty(), "dry run wrote: {w:?}");
    let text = &run.stdout;
    for needle in [
        "dry run: nothing written",
        "request certificate for auth.example.com",
        "UPSERT A auth.example.com",
        "UPSERT AAAA auth.example.com",
        "Z2FDTNDATAQYW2",
        // moto already says sni-only for the default certificate: a context line.
        "\"SSLSupportMethod\": \"sni-only\"",
        "+    \"MinimumProtocolVersion\": \"TLSv1.2_2021\"",
        "\"auth.example.com\"",
        "KC_HOSTNAME",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    // A keycloak distribution: KC_HOSTNAME, not the app's client values; no color off a TTY.
    assert!(
        !text.contains("Valid Redirect URIs") && !text.contains('\x1b'),
        "{text}"
    );
    let json = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            "keycloak",
            "--name",
            "prod",
            "--domain",
            "auth.example.com",
            "--dry-run",
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["paste"]["kc_hostname"], "https://auth.example.com");
    let paths: Vec<&str> = json["distribution_change"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("Aliases") || p.starts_with("ViewerCertificate")),
        "{paths:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issued_wildcard_certificate_is_reused_and_remove_deletes_it_only_when_unused() {
    let moto = Moto::start_with_env(&[("MOTO_ACM_VALIDATION_WAIT", "0")]);
    let sdk = moto.sdk_config("us-east-1").await;
    let zone = create_zone(&sdk, "example.com").await;
    let wildcard = acm(&sdk)
        .request_certificate()
        .domain_name("*.example.com")
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap()
        .certificate_arn
        .unwrap();
    // moto issues it on the first read after the (zero-second) wait.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (one, _) =
        create_distribution(&moto, simple_config("r1", "edgekit:prod:registry", &[])).await;
    let (two, _) = create_distribution(&moto, simple_config("r2", "second", &[])).await;

    moto.start_recording();
    let first = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            &one,
            "--domain",
            "www.example.com",
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(first["certificate"]["arn"], wildcard.as_str());
    assert_eq!(first["role"], "registry");
    assert!(first["paste"].get("kc_hostname").is_none(), "{first}");
    let w = writes(&moto);
    assert!(!w.iter().any(|x| x.contains("RequestCertificate")), "{w:?}");
    // No validation record written for an issued certificate: only the A/AAAA batch.
    assert_eq!(
        w.iter().filter(|x| x.contains("/rrset")).count(),
        1,
        "{w:?}"
    );
    // An explicit certificate that does not cover the name is refused before any write.
    let run = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            &two,
            "--domain",
            "example.com",
            "--certificate-arn",
            &wildcard,
        ],
    );
    let err = flat(failed(&run));
    assert!(err.contains("does not cover example.com"), "{err}");
    let second = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            &two,
            "--domain",
            "api.example.com",
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(second["certificate"]["arn"], wildcard.as_str());

    // Removing from the first: records and alias go, the shared certificate stays.
    let removed = edgekit(
        &moto,
        &[
            "domain",
            "remove",
            "--distribution",
            &one,
            "--domain",
            "www.example.com",
            "--delete-certificate",
            "--output",
            "json",
        ],
    )
    .json();
    let steps = step_results(&removed);
    assert!(
        steps.iter().any(|(r, a)| r == "skipped"
            && a.contains("still used by distribution")
            && a.contains(&two)),
        "{steps:?}"
    );
    let records = zone_records(&sdk, &zone).await;
    assert!(
        !records.iter().any(|(n, ..)| n == "www.example.com."),
        "{records:?}"
    );
    assert!(
        records
            .iter()
            .any(|(n, t, ..)| n == "api.example.com." && t == "A"),
        "{records:?}"
    );
    let config = viewer_config(&moto, &one).await;
    assert_eq!(config.aliases.unwrap().quantity, 0);
    assert_eq!(
        config
            .viewer_certificate
            .unwrap()
            .cloud_front_default_certificate,
        Some(true)
    );

    // Removing from the second: now unused, deleted.
    let removed = edgekit(
        &moto,
        &[
            "domain",
            "remove",
            "--distribution",
            &two,
            "--domain",
            "api.example.com",
            "--delete-certificate",
            "--output",
            "json",
        ],
    )
    .json();
    assert!(
        step_results(&removed)
            .iter()
            .any(|(r, a)| r == "done" && a.contains("delete certificate")),
        "{removed}"
    );
    let gone = acm(&sdk)
        .describe_certificate()
        .certificate_arn(&wildcard)
        .send()
        .await;
    assert!(gone.is_err(), "certificate still there");
    // Remove again: nothing to do, nothing written.
    moto.start_recording();
    edgekit(
        &moto,
        &[
            "domain",
            "remove",
            "--distribution",
            &two,
            "--domain",
            "api.example.com",
            "--output",
            "json",
        ],
    )
    .json();
    let w = writes(&moto);
    assert!(w.is_empty(), "{w:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_no_zone_wrong_region_alias_taken() {
    let moto = Moto::start();
    let sdk = moto.sdk_config("us-east-1").await;
    create_zone(&sdk, "example.com").await;
    let (id, _) = create_distribution(&moto, simple_config("r1", "mine", &[])).await;
    let (other, _) =
        create_distribution(&moto, simple_config("r2", "theirs", &["taken.example.com"])).await;
    moto.start_recording();

    // No hosted zone: the certificate could never be validated — said before anything is requested.
    let run = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            &id,
            "--domain",
            "app.example.org",
        ],
    );
    let err = flat(failed(&run));
    assert!(
        err.contains("no Route 53 hosted zone for app.example.org"),
        "{err}"
    );
    assert!(err.contains("validation can never complete"), "{err}");
    assert!(
        err.contains("example.com ("),
        "zones seen are listed: {err}"
    );

    // A certificate outside us-east-1.
    let run = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            &id,
            "--domain",
            "app.example.com",
            "--certificate-arn",
            "arn:aws:acm:eu-west-1:123456789012:certificate/0b5e8a1c-aaaa-bbbb-cccc-123456789012",
        ],
    );
    let err = flat(failed(&run));
    assert!(
        err.contains("eu-west-1") && err.contains("us-east-1"),
        "{err}"
    );

    // An alias another distribution holds (moto would accept it; the CLI names the owner).
    let run = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            &id,
            "--domain",
            "taken.example.com",
        ],
    );
    let err = flat(failed(&run));
    assert!(err.contains(&other) && err.contains("theirs"), "{err}");
    assert!(err.contains("CNAMEAlreadyExists"), "{err}");

    // An unknown distribution.
    let run = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            "registry",
            "--domain",
            "a.example.com",
        ],
    );
    assert!(flat(failed(&run)).contains("no distribution `registry`"));

    let w = writes(&moto);
    assert!(w.is_empty(), "refusals must not write: {w:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_and_no_wait_name_the_validation_record() {
    let moto = Moto::start_with_env(&[("MOTO_ACM_VALIDATION_WAIT", "600")]);
    let sdk = moto.sdk_config("us-east-1").await;
    create_zone(&sdk, "example.com").await;
    let (id, _) = create_distribution(&moto, simple_config("r1", "mine", &[])).await;

    let run = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            &id,
            "--domain",
            "app.example.com",
            "--no-wait",
            "--output",
            "json",
        ],
    );
    let out = run.json();
    assert_eq!(out["complete"], false);
    assert_eq!(out["certificate"]["status"], "PENDING_VALIDATION");
    let steps = step_results(&out);
    assert!(
        steps
            .iter()
            .any(|(r, a)| r == "done" && a.starts_with("UPSERT CNAME _")),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|(r, a)| r == "skipped" && a.starts_with("wait for certificate")),
        "{steps:?}"
    );
    assert!(
        !steps.iter().any(|(_, a)| a.starts_with("distribution")),
        "no distribution change before ISSUED: {steps:?}"
    );

    // Resumed: the pending certificate is reused (no second request), then the wait times out.
    moto.start_recording();
    let run = edgekit(
        &moto,
        &[
            "domain",
            "add",
            "--distribution",
            &id,
            "--domain",
            "app.example.com",
            "--timeout",
            "3",
        ],
    );
    // miette wraps the report to the terminal width: compare it unwrapped.
    let err = flat(failed(&run));
    assert!(err.contains("is not issued after 3 s"), "{err}");
    assert!(
        err.contains("in Route 53 zone") && err.contains("not validated yet"),
        "{err}"
    );
    assert!(err.contains("dig +short CNAME _"), "{err}");
    let w = writes(&moto);
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn iam_policy_grants_every_call_domain_makes() {
    let out = std::process::Command::new(edgekit_tests::edgekit_bin())
        .arg("iam-policy")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for action in [
        "acm:ListCertificates",
        "acm:DescribeCertificate",
        "acm:RequestCertificate",
        "acm:DeleteCertificate",
        "route53:ListHostedZones",
        "route53:ListResourceRecordSets",
        "route53:ChangeResourceRecordSets",
        "cloudfront:ListDistributions",
        "cloudfront:GetDistributionConfig",
        "cloudfront:UpdateDistribution",
    ] {
        assert!(text.contains(action), "{action} missing from {text}");
    }
}
