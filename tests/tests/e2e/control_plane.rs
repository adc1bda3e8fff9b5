//! The AWS control plane (`edgekit publish`, `distribution create`, `attach`/`detach`, `wait`,
//! `destroy`, `iam-policy`) against a real moto_server, asserting the wire requests with
//! moto's recorder.
//!
//! moto 5.2.5 stores no Lambda@Edge associations at all (its `DefaultCacheBehaviour` sets
//! `LambdaFunctionAssociations` to `{"Quantity": 0}` on create and on update), ignores If-Match
//! and deletes enabled distributions; what depends on those answers is covered in
//! `control_plane_mocks.rs` with aws-smithy-mocks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use edgekit_tests::aws_cli::{edgekit, recording, write_handler_zip};
use edgekit_tests::aws_fixtures::rich_distribution_config;
use edgekit_tests::moto::Moto;

const ACM: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/0b5e8a1c-aaaa-bbbb-cccc-123456789012";

#[test]
fn publish_creates_role_and_version_skips_unchanged_and_refuses_other_regions() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("fn.zip");
    write_handler_zip(
        &zip,
        "export const handler = async (e) => e.Records[0].cf.request;\n",
    );
    let zip = zip.to_str().unwrap();

    moto.start_recording();
    let first = edgekit(
        &moto,
        &[
            "publish",
            "forwarded-proto",
            "--zip",
            zip,
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(first["function_name"], "edgekit-forwarded-proto");
    assert_eq!(first["version"], 1);
    assert_eq!(first["published"], true);
    assert_eq!(first["role_created"], true);
    assert_eq!(
        first["arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:1"
    );
    let calls = recording(&moto);
    let create_role = calls
        .iter()
        .find(|c| c.body.contains("Action=CreateRole"))
        .expect("CreateRole was sent");
    assert!(
        create_role.body.contains("lambda.amazonaws.com"),
        "{}",
        create_role.body
    );
    assert!(
        create_role.body.contains("edgelambda.amazonaws.com"),
        "{}",
        create_role.body
    );
    assert!(
        calls
            .iter()
            .any(|c| c.body.contains("AWSLambdaBasicExecutionRole"))
    );
    let create_fn = calls
        .iter()
        .find(|c| c.method == "POST" && c.url.ends_with("/2015-03-31/functions"))
        .expect("CreateFunction was sent");
    assert!(
        create_fn.body.contains("\"Runtime\":\"nodejs22.x\""),
        "{}",
        create_fn.body
    );
    assert!(
        create_fn.body.contains("\"Architectures\":[\"x86_64\"]"),
        "{}",
        create_fn.body
    );
    assert!(
        !create_fn.body.contains("Environment"),
        "{}",
        create_fn.body
    );
    assert!(
        calls
            .iter()
            .any(|c| c.url.ends_with("/versions") && c.method == "POST")
    );

    // Same code: no new version, no upload.
    moto.start_recording();
    let again = edgekit(
        &moto,
        &[
            "publish",
            "forwarded-proto",
            "--zip",
            zip,
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(again["published"], false);
    assert_eq!(again["version"], 1);
    assert_eq!(again["code_sha256"], first["code_sha256"]);
    let writes: Vec<_> = recording(&moto)
        .into_iter()
        .filter(|c| c.is_write())
        .collect();
    assert!(
        writes.is_empty(),
        "unchanged code must not write: {writes:?}"
    );

    // New code: version 2.
    let zip2 = dir.path().join("fn2.zip");
    write_handler_zip(
        &zip2,
        "export const handler = async (e) => { return e.Records[0].cf.request; };\n",
    );
    let second = edgekit(
        &moto,
        &[
            "publish",
            "forwarded-proto",
            "--zip",
            zip2.to_str().unwrap(),
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(second["version"], 2);
    assert_eq!(second["published"], true);
    assert_eq!(second["role_created"], false);

    let refused = edgekit(
        &moto,
        &[
            "publish",
            "forwarded-proto",
            "--zip",
            zip,
            "--region",
            "eu-west-1",
        ],
    );
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("us-east-1"), "{}", refused.stderr);
}

#[test]
fn distribution_create_per_mode_is_idempotent_and_counts_its_calls() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("fn.zip");
    write_handler_zip(
        &zip,
        "export const handler = async (e) => e.Records[0].cf.request;\n",
    );
    for function in ["forwarded-proto", "keycloak-host"] {
        edgekit(
            &moto,
            &[
                "publish",
                function,
                "--zip",
                zip.to_str().unwrap(),
                "--output",
                "json",
            ],
        )
        .json();
    }
    let dual = [
        "distribution",
        "create",
        "--mode",
        "dual",
        "--registry-origin",
        "registry-alb.example.com",
        "--keycloak-origin",
        "kc-alb.example.com",
        "--base-domain",
        "example.com",
        "--certificate-arn",
        ACM,
        "--attach",
        "--output",
        "json",
    ];
    moto.start_recording();
    let run = edgekit(&moto, &dual);
    let out = run.json();
    let calls = recording(&moto);
    println!(
        "distribution create --mode dual --attach: {} API calls",
        calls.len()
    );
    for call in &calls {
        println!("  {} {}", call.method, call.url);
    }
    // 2 ListVersionsByFunction + 1 ListDistributions + 2 CreateDistribution.
    assert_eq!(calls.len(), 5, "{calls:#?}");
    assert_eq!(out["deployment_mode"], "custom-domain");
    assert_eq!(out["registry_url"], "https://registry.example.com");
    assert_eq!(out["keycloak_url"], "https://kc.example.com");
    assert!(
        run.stderr.contains("two URLs may confuse users"),
        "{}",
        run.stderr
    );
    let dists = out["distributions"].as_array().unwrap();
    assert_eq!(dists.len(), 2);
    assert_eq!(dists[0]["role"], "registry");
    assert_eq!(dists[1]["role"], "keycloak");
    for d in dists {
        assert!(d["id"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(
            d["domain_name"]
                .as_str()
                .unwrap()
                .ends_with(".cloudfront.net")
        );
    }
    let secret = out["origin_verify_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 40);
    let creates: Vec<_> = calls
        .iter()
        .filter(|c| c.method == "POST" && c.url.ends_with("/2020-05-31/distribution"))
        .collect();
    assert_eq!(creates.len(), 2);
    for (create, function, alias) in [
        (
            creates[0],
            "edgekit-forwarded-proto:1",
            "registry.example.com",
        ),
        (creates[1], "edgekit-keycloak-host:1", "kc.example.com"),
    ] {
        let body = &create.body;
        for needle in [
            "<ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>",
            "<CachePolicyId>4135ea2d-6df8-44a3-9df3-4b5a84be39ad</CachePolicyId>",
            "<OriginRequestPolicyId>33f36d7e-f396-46d9-90e0-52428a34d9dc</OriginRequestPolicyId>",
            "<HeaderName>X-Forwarded-Proto</HeaderName><HeaderValue>https</HeaderValue>",
            "<OriginProtocolPolicy>https-only</OriginProtocolPolicy>",
            "<OriginReadTimeout>60</OriginReadTimeout>",
            "<EventType>origin-request</EventType>",
            function,
            alias,
            ACM,
            secret.as_str(),
        ] {
            assert!(body.contains(needle), "{needle} missing from {body}");
        }
    }

    // Again: found by comment, nothing created, secret not shown again.
    moto.start_recording();
    let rerun = edgekit(&moto, &dual).json();
    let calls = recording(&moto);
    assert!(
        !calls
            .iter()
            .any(|c| c.method == "POST" && c.url.ends_with("/2020-05-31/distribution")),
        "re-run created a distribution: {calls:#?}"
    );
    assert_eq!(rerun["distributions"][0]["id"], dists[0]["id"]);
    assert_eq!(rerun["distributions"][0]["created"], false);
    assert!(rerun.get("origin_verify_secret").is_none());

    // CloudFront mode: http-only origin to the ALB, URLs are the distribution domains.
    moto.start_recording();
    let cf = edgekit(
        &moto,
        &[
            "distribution",
            "create",
            "--mode",
            "cloudfront",
            "--name",
            "cfmode",
            "--registry-origin",
            "registry-alb.example.com",
            "--keycloak-origin",
            "kc-alb.example.com",
            "--origin-read-timeout",
            "45",
            "--output",
            "json",
        ],
    )
    .json();
    let calls = recording(&moto);
    assert_eq!(cf["deployment_mode"], "cloudfront");
    let registry_domain = cf["distributions"][0]["domain_name"].as_str().unwrap();
    assert_eq!(cf["registry_url"], format!("https://{registry_domain}"));
    let create = calls.iter().find(|c| c.method == "POST").unwrap();
    assert!(
        create
            .body
            .contains("<OriginProtocolPolicy>http-only</OriginProtocolPolicy>")
    );
    assert!(
        create
            .body
            .contains("<OriginReadTimeout>45</OriginReadTimeout>")
    );
    assert!(!create.body.contains("LambdaFunctionARN"));

    // Custom-domain and development modes create nothing and make no call.
    for (mode, registry) in [
        ("custom-domain", "https://registry.example.com"),
        ("development", "http://registry-alb.example.com"),
    ] {
        moto.start_recording();
        let run = edgekit(
            &moto,
            &[
                "distribution",
                "create",
                "--mode",
                mode,
                "--registry-origin",
                "registry-alb.example.com",
                "--keycloak-origin",
                "kc-alb.example.com",
                "--base-domain",
                "example.com",
                "--output",
                "json",
            ],
        );
        let out = run.json();
        assert_eq!(out["deployment_mode"], mode);
        assert_eq!(out["registry_url"], registry);
        assert_eq!(out["distributions"].as_array().unwrap().len(), 0);
        assert!(
            run.stderr.contains("no distribution is created"),
            "{}",
            run.stderr
        );
        assert!(recording(&moto).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn attach_and_detach_keep_every_other_field_of_a_rich_distribution() {
    let moto = Moto::start();
    let client = moto.cloudfront_client();
    let created = client
        .create_distribution()
        .distribution_config(rich_distribution_config(&[]))
        .send()
        .await
        .unwrap();
    let id = created.distribution.unwrap().id;
    let before = client
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .unwrap();
    let etag = before.e_tag.clone().unwrap();
    let fp = "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:1";

    // Dry run: a diff on stdout, no write.
    moto.start_recording();
    let dry = edgekit(
        &moto,
        &[
            "attach",
            "--distribution",
            &id,
            "--function-arn",
            fp,
            "--dry-run",
        ],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains("+++ planned"), "{}", dry.stdout);
    assert!(
        dry.stdout.contains(&format!("+{}", " ".repeat(32)))
            || dry.stdout.contains("edgekit-forwarded-proto:1")
    );
    assert!(recording(&moto).iter().all(|c| !c.is_write()));

    moto.start_recording();
    let attach = edgekit(
        &moto,
        &[
            "attach",
            "--distribution",
            &id,
            "--function-arn",
            fp,
            "--event-type",
            "origin-request",
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(attach["result"], "updated");
    let calls = recording(&moto);
    let puts: Vec<_> = calls.iter().filter(|c| c.method == "PUT").collect();
    assert_eq!(puts.len(), 1, "{calls:#?}");
    let put = puts[0];
    // If-Match carries the ETag just read.
    assert_eq!(put.if_match.as_deref(), Some(etag.as_str()));
    for needle in [
        "<LambdaFunctionARN>arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:1</LambdaFunctionARN>",
        "<EventType>origin-request</EventType>",
        "<CNAME>app.example.com</CNAME>",
        "<PathPattern>/static/*</PathPattern>",
        "<ResponsePagePath>/maintenance.html</ResponsePagePath>",
        "<Bucket>logs.s3.amazonaws.com</Bucket>",
        "<Comment>hand-made, not edgekit&apos;s</Comment>",
    ] {
        let alt = needle.replace("&apos;", "'");
        assert!(
            put.body.contains(needle) || put.body.contains(&alt),
            "{needle} missing from {}",
            put.body
        );
    }
    // moto keeps everything but associations, so the whole config reads back unchanged.
    let after = client
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .unwrap();
    pretty_assertions::assert_eq!(before.distribution_config, after.distribution_config);

    // Invalid ARNs are refused before any call.
    moto.start_recording();
    for bad in [
        "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:live",
        "arn:aws:lambda:eu-west-1:123456789012:function:edgekit-forwarded-proto:1",
    ] {
        let run = edgekit(
            &moto,
            &["attach", "--distribution", &id, "--function-arn", bad],
        );
        assert_ne!(run.code, 0);
        assert!(
            run.stderr.contains("numbered version") || run.stderr.contains("us-east-1"),
            "{}",
            run.stderr
        );
    }
    assert!(recording(&moto).is_empty());

    // Detach of something moto never stored: no write; wait sees Deployed.
    moto.start_recording();
    let detach = edgekit(
        &moto,
        &[
            "detach",
            "--distribution",
            &id,
            "--function-arn",
            fp,
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(detach["result"], "unchanged");
    assert!(recording(&moto).iter().all(|c| !c.is_write()));
    let wait = edgekit(
        &moto,
        &[
            "wait",
            "--distribution",
            &id,
            "--timeout",
            "60",
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(wait["status"], "Deployed");
}

#[test]
fn destroy_deletes_and_is_resumable_and_iam_policy_prints() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("fn.zip");
    write_handler_zip(
        &zip,
        "export const handler = async (e) => e.Records[0].cf.request;\n",
    );
    edgekit(
        &moto,
        &[
            "publish",
            "keycloak-host",
            "--zip",
            zip.to_str().unwrap(),
            "--output",
            "json",
        ],
    )
    .json();
    let first = edgekit(
        &moto,
        &[
            "destroy",
            "--function",
            "edgekit-keycloak-host",
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(first["result"], "deleted");
    let again = edgekit(
        &moto,
        &[
            "destroy",
            "--function",
            "edgekit-keycloak-host",
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(again["result"], "already-gone");

    let policy = edgekit(&moto, &["iam-policy"]).json();
    let text = policy.to_string();
    for needle in [
        "lambda:EnableReplication*",
        "iam:CreateServiceLinkedRole",
        "cloudfront:UpdateDistribution",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
}
