//! `attach`/`detach --dry-run` plans as a user reads them: a unified diff in the CloudFront
//! API's JSON shape (what `aws cloudfront get-distribution-config` prints), only the changed
//! part, the origin-verify secret masked, no colour off a terminal; `--output json` gives
//! `{"changes": [{"path", "before", "after"}]}`. Against moto (which stores no associations,
//! so the distribution starts with `{"Quantity": 0}`), and detach on the pure plan.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_cloudfront::types::{CustomHeaders, EventType, OriginCustomHeader};
use edgekit::plan::associations::{
    BehaviorTarget, DetachRequest, FunctionSelector, Plan, plan_detach,
};
use edgekit::plan::diff::{changes, config_json, unified};
use edgekit_tests::aws_cli::{edgekit, recording};
use edgekit_tests::aws_fixtures::{association, rich_distribution_config};
use edgekit_tests::moto::Moto;

const FP: &str = "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:1";
const SECRET: &str = "s3cr3t-origin-verify-value-0123456789";

/// The rich fixture with an origin-verify header on its first origin.
fn config_with_secret() -> aws_sdk_cloudfront::types::DistributionConfig {
    let mut config = rich_distribution_config(&[]);
    let header = OriginCustomHeader::builder()
        .header_name("X-Origin-Verify")
        .header_value(SECRET)
        .build()
        .unwrap();
    if let Some(origins) = config.origins.as_mut() {
        origins.items[0].custom_headers = Some(
            CustomHeaders::builder()
                .quantity(1)
                .items(header)
                .build()
                .unwrap(),
        );
    }
    config
}

async fn create_in_moto(moto: &Moto) -> String {
    let created = moto
        .cloudfront_client()
        .create_distribution()
        .distribution_config(config_with_secret())
        .send()
        .await
        .unwrap();
    created.distribution.unwrap().id
}

#[tokio::test(flavor = "multi_thread")]
async fn attach_dry_run_is_an_api_shaped_diff_of_the_change_only() {
    let moto = Moto::start();
    let id = create_in_moto(&moto).await;
    let args = [
        "attach",
        "--distribution",
        &id,
        "--function-arn",
        FP,
        "--dry-run",
    ];
    moto.start_recording();
    let dry = tokio::task::block_in_place(|| edgekit(&moto, &args));
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let out = &dry.stdout;
    println!("{out}");
    assert!(out.contains("--- current\n+++ planned\n@@ "), "{out}");
    assert!(
        out.contains("@@ DefaultCacheBehavior.LambdaFunctionAssociations"),
        "{out}"
    );
    for line in [
        "-      \"Quantity\": 0",
        "+      \"Quantity\": 1,",
        "+      \"Items\": [",
        &format!("+          \"LambdaFunctionARN\": \"{FP}\","),
        "+          \"EventType\": \"origin-request\",",
        "+          \"IncludeBody\": false",
    ] {
        assert!(out.contains(line), "missing {line:?}:\n{out}");
    }
    // Only the changed part, no SDK Debug syntax, no secret, no colour into a pipe.
    for absent in [
        "CallerReference",
        "Some(",
        "lambda_function_associations",
        SECRET,
        "\x1b[",
    ] {
        assert!(!out.contains(absent), "{absent:?} in:\n{out}");
    }
    assert!(out.lines().count() < 40, "{out}");
    assert!(recording(&moto).iter().all(|c| !c.is_write()));

    let mut json_args = args.to_vec();
    json_args.extend(["--output", "json"]);
    let json = tokio::task::block_in_place(|| edgekit(&moto, &json_args)).json();
    assert_eq!(json["result"], "dry-run");
    let changes = json["changes"].as_array().unwrap();
    let paths: Vec<&str> = changes
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "DefaultCacheBehavior.LambdaFunctionAssociations.Quantity",
            "DefaultCacheBehavior.LambdaFunctionAssociations.Items"
        ],
        "{json}"
    );
    assert_eq!(changes[0]["before"], 0);
    assert_eq!(changes[0]["after"], 1);
    assert_eq!(changes[1]["before"], serde_json::Value::Null);
    assert_eq!(changes[1]["after"][0]["LambdaFunctionARN"], FP);
    assert!(!json.to_string().contains(SECRET));
}

#[test]
fn detach_plan_diff_removes_the_item_and_masks_the_secret() {
    let mut before = config_with_secret();
    let assoc = association(FP, EventType::OriginRequest);
    let behavior = before.default_cache_behavior.as_mut().unwrap();
    behavior.lambda_function_associations = Some(
        aws_sdk_cloudfront::types::LambdaFunctionAssociations::builder()
            .quantity(1)
            .items(assoc)
            .build()
            .unwrap(),
    );
    let request = DetachRequest {
        function: FunctionSelector::parse("edgekit-forwarded-proto"),
        event_type: None,
        target: BehaviorTarget::Default,
    };
    let Plan::Change { config, .. } = plan_detach(&before, &request).unwrap() else {
        panic!("a change")
    };
    let (old, new) = (config_json(&before), config_json(&config));
    let diff = unified(&old, &new, false);
    assert!(
        diff.contains(&format!("-          \"LambdaFunctionARN\": \"{FP}\",")),
        "{diff}"
    );
    assert!(diff.contains("+      \"Quantity\": 0"), "{diff}");
    assert!(!diff.contains(SECRET) && !old.to_string().contains(SECRET));
    assert_eq!(
        old["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"],
        "****"
    );
    let paths: Vec<String> = changes(&old, &new).into_iter().map(|c| c.path).collect();
    assert!(
        paths.contains(&"DefaultCacheBehavior.LambdaFunctionAssociations.Quantity".to_owned()),
        "{paths:?}"
    );
}
