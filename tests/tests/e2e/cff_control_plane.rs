//! The CloudFront Functions control plane: `publish --runtime cloudfront-js-2.0` (create or
//! update with If-Match, TestFunction, PublishFunction to LIVE, nothing when unchanged),
//! attach/detach as FunctionAssociations, `distribution create --edge-runtime
//! cloudfront-functions`, `destroy --runtime cloudfront-js-2.0`.
//!
//! Why mocks for the Functions API: moto 5.2.5 implements only part of it (CreateFunction,
//! DescribeFunction and GetFunction ignoring `Stage`, ListFunctions, DeleteFunction accepting
//! any If-Match) and neither UpdateFunction, PublishFunction nor TestFunction, and it never
//! answers PreconditionFailed. So the publish flow is checked on the wire with aws-smithy-mocks
//! (the SDK serialises and parses for real; only the HTTP exchange is replaced): operation,
//! Stage, If-Match, runtime and code bytes of every request.
//!
//! The distribution side runs against moto where it is faithful: CreateDistribution keeps the
//! origin request policy and viewer protocol policy, the recorder shows the wire bodies, and
//! `--dry-run` is proven to write nothing. moto drops FunctionAssociations on
//! CreateDistribution and on UpdateDistribution (its cache behaviour model sets them to
//! `Quantity 0`, as it does LambdaFunctionAssociations; asserted below so a moto upgrade that
//! fixes it shows up), so whole-config attach/detach and the conflict with an existing
//! association are checked with mocks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use aws_sdk_cloudfront::operation::create_function::CreateFunctionOutput;
use aws_sdk_cloudfront::operation::describe_function::{
    DescribeFunctionError, DescribeFunctionOutput,
};
use aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigOutput;
use aws_sdk_cloudfront::operation::get_function::GetFunctionOutput;
use aws_sdk_cloudfront::operation::publish_function::PublishFunctionOutput;
use aws_sdk_cloudfront::operation::test_function::TestFunctionOutput;
use aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionOutput;
use aws_sdk_cloudfront::operation::update_function::UpdateFunctionOutput;
use aws_sdk_cloudfront::primitives::{Blob, DateTime};
use aws_sdk_cloudfront::types::error::NoSuchFunctionExists;
use aws_sdk_cloudfront::types::{
    DistributionConfig, FunctionAssociation, FunctionAssociations, FunctionConfig,
    FunctionMetadata, FunctionRuntime, FunctionStage, FunctionSummary, TestResult,
    ViewerProtocolPolicy,
};
use aws_smithy_mocks::{Rule, mock};
use edgekit::aws::cloudfront::{ApplyOutcome, apply_plan};
use edgekit::commands::publish::cff::{CffPublishError, TestGate, publish_function};
use edgekit::output::Progress;
use edgekit::plan::PlanError;
use edgekit::plan::arn::CloudFrontFunctionArn;
use edgekit::plan::associations::{
    BehaviorTarget, CffAttachRequest, CffDetachRequest, CffSelector, plan_attach_cff,
    plan_detach_cff,
};
use edgekit_tests::aws_cli::{edgekit, recording};
use edgekit_tests::aws_fixtures::rich_distribution_config;
use edgekit_tests::moto::Moto;

use crate::sdk_mocks::cloudfront as client;

const NAME: &str = "edgekit-forwarded-proto";
const ARN: &str = "arn:aws:cloudfront::123456789012:function/edgekit-forwarded-proto";
const DIST: &str = "EDFDVBD6EXAMPLE";
const OLD: &[u8] = b"function handler(event) { return event.request; }\n";
const NEW: &[u8] = b"function handler(event) { var r = event.request; r.headers['x-forwarded-proto'] = {value: 'https'}; return r; }\n";
const PRECONDITION_FAILED: &str = "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Sender</Type><Code>PreconditionFailed</Code><Message>The request failed because it didn't meet the preconditions in one or more request-header fields.</Message></Error><RequestId>b0e4a6a1-1111-2222-3333-444455556666</RequestId></ErrorResponse>";

fn summary(stage: FunctionStage) -> FunctionSummary {
    FunctionSummary::builder()
        .name(NAME)
        .status("UNASSOCIATED")
        .function_config(
            FunctionConfig::builder()
                .comment("edgekit forwarded-proto (cloudfront-js-2.0, viewer-request)")
                .runtime(FunctionRuntime::CloudfrontJs20)
                .build()
                .unwrap(),
        )
        .function_metadata(
            FunctionMetadata::builder()
                .function_arn(ARN)
                .stage(stage)
                .last_modified_time(DateTime::from_secs(1_764_000_000))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn describe(stage: FunctionStage, etag: Option<&'static str>) -> Rule {
    let wanted = stage.clone();
    let rule = mock!(aws_sdk_cloudfront::Client::describe_function)
        .match_requests(move |i| i.name() == Some(NAME) && i.stage() == Some(&wanted));
    match etag {
        Some(etag) => rule.then_output(move || {
            DescribeFunctionOutput::builder()
                .function_summary(summary(stage.clone()))
                .e_tag(etag)
                .build()
        }),
        None => rule.then_error(|| {
            DescribeFunctionError::NoSuchFunctionExists(
                NoSuchFunctionExists::builder()
                    .message("The function does not exist.")
                    .build(),
            )
        }),
    }
}

fn get_code(stage: FunctionStage, code: &'static [u8], etag: &'static str) -> Rule {
    let wanted = stage.clone();
    mock!(aws_sdk_cloudfront::Client::get_function)
        .match_requests(move |i| i.name() == Some(NAME) && i.stage() == Some(&wanted))
        .then_output(move || {
            GetFunctionOutput::builder()
                .function_code(Blob::new(code))
                .e_tag(etag)
                .content_type("application/octet-stream")
                .build()
        })
}

/// (operation, If-Match, runtime, code or event bytes, stage) of every write request.
type Wire = Arc<
    Mutex<
        Vec<(
            &'static str,
            Option<String>,
            Option<String>,
            Vec<u8>,
            Option<String>,
        )>,
    >,
>;

fn create(wire: &Wire, etag: &'static str) -> Rule {
    let wire = Arc::clone(wire);
    mock!(aws_sdk_cloudfront::Client::create_function)
        .match_requests(move |i| {
            wire.lock().unwrap().push((
                "CreateFunction",
                None,
                i.function_config().map(|c| c.runtime().as_str().to_owned()),
                i.function_code().unwrap().as_ref().to_vec(),
                None,
            ));
            i.name() == Some(NAME)
        })
        .then_output(move || {
            CreateFunctionOutput::builder()
                .function_summary(summary(FunctionStage::Development))
                .e_tag(etag)
                .build()
        })
}

fn update(wire: &Wire, answer: Result<&'static str, u16>) -> Rule {
    let wire = Arc::clone(wire);
    let rule = mock!(aws_sdk_cloudfront::Client::update_function).match_requests(move |i| {
        wire.lock().unwrap().push((
            "UpdateFunction",
            i.if_match().map(str::to_owned),
            i.function_config().map(|c| c.runtime().as_str().to_owned()),
            i.function_code().unwrap().as_ref().to_vec(),
            None,
        ));
        true
    });
    match answer {
        Ok(etag) => rule.then_output(move || {
            UpdateFunctionOutput::builder()
                .function_summary(summary(FunctionStage::Development))
                .e_tag(etag)
                .build()
        }),
        Err(status) => rule.then_http_response(move || {
            aws_sdk_cloudfront::config::http::HttpResponse::new(
                status.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::from(PRECONDITION_FAILED),
            )
        }),
    }
}

fn publish(wire: &Wire) -> Rule {
    let wire = Arc::clone(wire);
    mock!(aws_sdk_cloudfront::Client::publish_function)
        .match_requests(move |i| {
            wire.lock().unwrap().push((
                "PublishFunction",
                i.if_match().map(str::to_owned),
                None,
                Vec::new(),
                None,
            ));
            i.name() == Some(NAME)
        })
        .then_output(|| {
            PublishFunctionOutput::builder()
                .function_summary(summary(FunctionStage::Live))
                .build()
        })
}

fn test_function(wire: &Wire, utilization: &'static str, error: Option<&'static str>) -> Rule {
    let wire = Arc::clone(wire);
    mock!(aws_sdk_cloudfront::Client::test_function)
        .match_requests(move |i| {
            wire.lock().unwrap().push((
                "TestFunction",
                i.if_match().map(str::to_owned),
                None,
                i.event_object().unwrap().as_ref().to_vec(),
                i.stage().map(|s| s.as_str().to_owned()),
            ));
            true
        })
        .then_output(move || {
            let mut result = TestResult::builder()
                .function_summary(summary(FunctionStage::Development))
                .compute_utilization(utilization)
                .function_execution_logs("log line");
            if let Some(message) = error {
                result = result.function_error_message(message);
            }
            TestFunctionOutput::builder()
                .test_result(result.build())
                .build()
        })
}

fn ops(wire: &Wire) -> Vec<(&'static str, Option<String>)> {
    wire.lock()
        .unwrap()
        .iter()
        .map(|(op, etag, ..)| (*op, etag.clone()))
        .collect()
}

fn progress() -> Progress {
    Progress::start("test")
}

const EVENT: &[u8] = br#"{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"198.51.100.7"},"request":{"method":"GET","uri":"/","querystring":{},"headers":{"host":{"value":"app.example.com"}},"cookies":{}}}"#;

#[tokio::test]
async fn publish_creates_tests_and_publishes_with_the_development_etag() {
    let wire: Wire = Arc::default();
    let rules = [
        describe(FunctionStage::Live, None),
        describe(FunctionStage::Development, None),
        create(&wire, "ETDEV1"),
        test_function(&wire, "12", None),
        publish(&wire),
        describe(FunctionStage::Live, Some("ETLIVE1")),
    ];
    let client = client(&rules.iter().collect::<Vec<_>>());
    let gate = TestGate {
        event: EVENT.to_vec(),
        max_compute_utilization: 70,
    };
    let report = publish_function(&client, NAME, "c", NEW, Some(&gate), &progress())
        .await
        .unwrap();
    assert!(report.published && report.created, "{report:?}");
    assert_eq!(
        (
            report.arn.as_str(),
            report.etag.as_str(),
            report.stage.as_str()
        ),
        (ARN, "ETLIVE1", "LIVE")
    );
    assert_eq!(report.code_size, NEW.len());
    assert_eq!(report.compute_utilization.as_deref(), Some("12"));
    let text = edgekit::commands::publish::cff::text(&report);
    assert!(
        text.contains("stage      LIVE") && text.contains("published  true"),
        "{text}"
    );
    let wire = wire.lock().unwrap();
    let (op, _, runtime, code, _) = &wire[0];
    assert_eq!(
        (*op, runtime.as_deref()),
        ("CreateFunction", Some("cloudfront-js-2.0"))
    );
    assert_eq!(code.as_slice(), NEW, "the script's bytes go out unchanged");
    let (op, etag, _, event, stage) = &wire[1];
    assert_eq!(
        (*op, etag.as_deref(), stage.as_deref()),
        ("TestFunction", Some("ETDEV1"), Some("DEVELOPMENT"))
    );
    assert_eq!(event.as_slice(), EVENT);
    assert_eq!(
        (wire[2].0, wire[2].1.as_deref()),
        ("PublishFunction", Some("ETDEV1"))
    );
}

#[tokio::test]
async fn unchanged_live_code_publishes_nothing_and_a_pending_development_is_only_published() {
    // LIVE already runs the script: two reads, no write.
    let wire: Wire = Arc::default();
    let never_update = update(&wire, Ok("X"));
    let never_publish = publish(&wire);
    let rules = [
        describe(FunctionStage::Live, Some("ETLIVE")),
        get_code(FunctionStage::Live, NEW, "ETLIVE"),
    ];
    let mut all: Vec<&Rule> = rules.iter().collect();
    all.extend([&never_update, &never_publish]);
    let report = publish_function(&client(&all), NAME, "c", NEW, None, &progress())
        .await
        .unwrap();
    assert!(!report.published, "{report:?}");
    assert_eq!(report.etag, "ETLIVE");
    assert_eq!(
        (never_update.num_calls(), never_publish.num_calls()),
        (0, 0)
    );
    assert!(wire.lock().unwrap().is_empty());

    // DEVELOPMENT holds the script (an earlier run stopped before publishing): publish only.
    let wire: Wire = Arc::default();
    let never_update = update(&wire, Ok("X"));
    let rules = [
        describe(FunctionStage::Live, Some("ETLIVE")),
        get_code(FunctionStage::Live, OLD, "ETLIVE"),
        describe(FunctionStage::Development, Some("ETDEV")),
        get_code(FunctionStage::Development, NEW, "ETDEV"),
        publish(&wire),
        describe(FunctionStage::Live, Some("ETLIVE2")),
    ];
    let mut all: Vec<&Rule> = rules.iter().collect();
    all.push(&never_update);
    let report = publish_function(&client(&all), NAME, "c", NEW, None, &progress())
        .await
        .unwrap();
    assert!(report.published && !report.created);
    assert_eq!(ops(&wire), [("PublishFunction", Some("ETDEV".to_owned()))]);
    assert_eq!(never_update.num_calls(), 0);
}

#[tokio::test]
async fn precondition_failed_rereads_and_writes_with_the_new_etag() {
    // Someone updated the function between our read and our write (moto never answers 412).
    let wire: Wire = Arc::default();
    let rules = [
        describe(FunctionStage::Live, Some("ETLIVE")),
        get_code(FunctionStage::Live, OLD, "ETLIVE"),
        describe(FunctionStage::Development, Some("E1")),
        get_code(FunctionStage::Development, OLD, "E1"),
        update(&wire, Err(412)),
        describe(FunctionStage::Live, Some("ETLIVE")),
        get_code(FunctionStage::Live, OLD, "ETLIVE"),
        describe(FunctionStage::Development, Some("E2")),
        get_code(FunctionStage::Development, OLD, "E2"),
        update(&wire, Ok("E3")),
        publish(&wire),
        describe(FunctionStage::Live, Some("ETLIVE3")),
    ];
    let client = client(&rules.iter().collect::<Vec<_>>());
    let report = publish_function(&client, NAME, "c", NEW, None, &progress())
        .await
        .unwrap();
    assert_eq!((report.attempts, report.published), (2, true));
    assert_eq!(
        ops(&wire),
        [
            ("UpdateFunction", Some("E1".to_owned())),
            ("UpdateFunction", Some("E2".to_owned())),
            ("PublishFunction", Some("E3".to_owned())),
        ]
    );
    let wire = wire.lock().unwrap();
    assert_eq!(wire[1].2.as_deref(), Some("cloudfront-js-2.0"));
    assert_eq!(wire[1].3.as_slice(), NEW);
}

#[tokio::test]
async fn test_function_refusal_leaves_live_untouched() {
    for (utilization, error, expect_slow) in [
        ("85", None, true),
        ("5", Some("TypeError: r is undefined"), false),
    ] {
        let wire: Wire = Arc::default();
        let never_publish = publish(&wire);
        let rules = [
            describe(FunctionStage::Live, None),
            describe(FunctionStage::Development, None),
            create(&wire, "ETDEV1"),
            test_function(&wire, utilization, error),
        ];
        let mut all: Vec<&Rule> = rules.iter().collect();
        all.push(&never_publish);
        let gate = TestGate {
            event: EVENT.to_vec(),
            max_compute_utilization: 70,
        };
        let err = publish_function(&client(&all), NAME, "c", NEW, Some(&gate), &progress())
            .await
            .unwrap_err();
        let refused = err
            .downcast_ref::<CffPublishError>()
            .expect("a CffPublishError");
        assert_eq!(
            matches!(refused, CffPublishError::TooSlow { .. }),
            expect_slow,
            "{refused}"
        );
        assert!(
            refused.to_string().contains("LIVE is unchanged"),
            "{refused}"
        );
        assert_eq!(
            never_publish.num_calls(),
            0,
            "nothing published after a refusal"
        );
    }
}

fn get_config(config: DistributionConfig, etag: &'static str) -> Rule {
    mock!(aws_sdk_cloudfront::Client::get_distribution_config)
        .match_requests(|i| i.id() == Some(DIST))
        .then_output(move || {
            GetDistributionConfigOutput::builder()
                .distribution_config(config.clone())
                .e_tag(etag)
                .build()
        })
}

type Seen = Arc<Mutex<Vec<(Option<String>, DistributionConfig)>>>;

fn update_distribution(seen: &Seen) -> Rule {
    let seen = Arc::clone(seen);
    mock!(aws_sdk_cloudfront::Client::update_distribution)
        .match_requests(move |i| {
            seen.lock().unwrap().push((
                i.if_match().map(str::to_owned),
                i.distribution_config().cloned().unwrap(),
            ));
            true
        })
        .then_output(|| UpdateDistributionOutput::builder().e_tag("E-AFTER").build())
}

/// The rich config with this CloudFront Function on viewer-request of `/api/*`.
fn rich_with_function(arn: &str) -> DistributionConfig {
    let mut config = rich_distribution_config(&[]);
    let api = &mut config
        .cache_behaviors
        .as_mut()
        .unwrap()
        .items
        .as_mut()
        .unwrap()[0];
    api.function_associations = Some(
        FunctionAssociations::builder()
            .quantity(1)
            .items(
                FunctionAssociation::builder()
                    .function_arn(arn)
                    .event_type(aws_sdk_cloudfront::types::EventType::ViewerRequest)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
    );
    config
}

#[tokio::test]
async fn attach_and_detach_a_function_change_only_function_associations_and_conflicts_write_nothing()
 {
    // moto drops FunctionAssociations, so the whole-config comparison needs the mock store.
    let before = rich_distribution_config(&[]);
    let after = rich_with_function(ARN);
    let seen: Seen = Arc::default();
    let rules = [
        get_config(before.clone(), "E1"),
        update_distribution(&seen),
        get_config(after.clone(), "E2"),
        update_distribution(&seen),
        // The default behavior runs a Lambda@Edge viewer-request function: refused, no write.
        get_config(before.clone(), "E3"),
    ];
    let client = client(&rules.iter().collect::<Vec<_>>());
    let attach = |target| CffAttachRequest {
        function: CloudFrontFunctionArn::parse(ARN).unwrap(),
        event_type: edge::EventType::ViewerRequest,
        target,
        replace: false,
    };
    let api = attach(BehaviorTarget::PathPattern("/api/*".into()));
    let outcome = apply_plan(&client, DIST, false, |c| plan_attach_cff(c, &api))
        .await
        .unwrap();
    assert!(
        matches!(outcome, ApplyOutcome::Updated { attempts: 1, .. }),
        "{outcome:?}"
    );
    let detach = CffDetachRequest {
        function: CffSelector::Name(NAME.to_owned()),
        event_type: None,
        target: BehaviorTarget::All,
    };
    apply_plan(&client, DIST, false, |c| plan_detach_cff(c, &detach))
        .await
        .unwrap();
    let default = attach(BehaviorTarget::Default);
    let refused = apply_plan(&client, DIST, false, |c| plan_attach_cff(c, &default))
        .await
        .unwrap_err();
    let reason = refused.downcast_ref::<PlanError>().unwrap().to_string();
    assert!(reason.contains("Lambda@Edge function"), "{reason}");

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "the refusal wrote nothing");
    assert_eq!(seen[0].0.as_deref(), Some("E1"));
    pretty_assertions::assert_eq!(seen[0].1, after, "attach must change nothing else");
    assert_eq!(seen[1].0.as_deref(), Some("E2"));
    let api_after = &seen[1].1.cache_behaviors.as_ref().unwrap().items()[0];
    let functions = api_after.function_associations.as_ref().unwrap();
    assert_eq!((functions.quantity, functions.items.is_none()), (0, true));
    assert_eq!(
        seen[1].1.default_cache_behavior,
        before.default_cache_behavior
    );
}

/// Creates a CloudFront Function in moto (it implements CreateFunction) and returns its ARN.
async fn moto_function(client: &aws_sdk_cloudfront::Client, name: &str) -> String {
    let out = client
        .create_function()
        .name(name)
        .function_config(
            FunctionConfig::builder()
                .comment("test")
                .runtime(FunctionRuntime::CloudfrontJs20)
                .build()
                .unwrap(),
        )
        .function_code(Blob::new(OLD))
        .send()
        .await
        .unwrap();
    out.function_summary
        .unwrap()
        .function_metadata
        .unwrap()
        .function_arn
}

#[tokio::test(flavor = "multi_thread")]
async fn distribution_side_against_moto() {
    let moto = Moto::start();
    let cf = moto.cloudfront_client();
    let fp = moto_function(&cf, "edgekit-forwarded-proto").await;
    moto_function(&cf, "edgekit-keycloak-host").await;
    assert_eq!(fp, ARN);

    // distribution create --edge-runtime cloudfront-functions --attach.
    moto.start_recording();
    let created = edgekit(
        &moto,
        &[
            "distribution",
            "create",
            "--mode",
            "cloudfront",
            "--registry-origin",
            "registry-alb.example.com",
            "--keycloak-origin",
            "kc-alb.example.com",
            "--edge-runtime",
            "cloudfront-functions",
            "--attach",
            "--output",
            "json",
        ],
    )
    .json();
    let calls = recording(&moto);
    let posts: Vec<_> = calls
        .iter()
        .filter(|c| c.method == "POST" && c.url.ends_with("/2020-05-31/distribution"))
        .collect();
    assert_eq!(posts.len(), 2, "{calls:#?}");
    for (post, function) in posts
        .iter()
        .zip(["edgekit-forwarded-proto", "edgekit-keycloak-host"])
    {
        for needle in [
            "<OriginRequestPolicyId>b689b0a8-53d0-40ab-baf2-68738e2966ac</OriginRequestPolicyId>",
            "<ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>",
            &format!(
                "<FunctionARN>arn:aws:cloudfront::123456789012:function/{function}</FunctionARN>"
            ),
            "<EventType>viewer-request</EventType>",
        ] {
            assert!(
                post.body.contains(needle),
                "{needle} missing from {}",
                post.body
            );
        }
        assert!(!post.body.contains("<LambdaFunctionARN>"), "{}", post.body);
    }
    let id = created["distributions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = cf.get_distribution_config().id(&id).send().await.unwrap();
    let behavior = read
        .distribution_config
        .unwrap()
        .default_cache_behavior
        .unwrap();
    assert_eq!(
        behavior.origin_request_policy_id.as_deref(),
        Some("b689b0a8-53d0-40ab-baf2-68738e2966ac")
    );
    assert_eq!(
        behavior.viewer_protocol_policy,
        ViewerProtocolPolicy::RedirectToHttps
    );
    // moto's gap: the association sent above reads back as Quantity 0.
    assert_eq!(behavior.function_associations.map(|f| f.quantity), Some(0));

    // attach --dry-run: a diff of FunctionAssociations, no write call.
    moto.start_recording();
    let dry = edgekit(
        &moto,
        &[
            "attach",
            "--distribution",
            &id,
            "--function-arn",
            ARN,
            "--dry-run",
        ],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("FunctionAssociations") && dry.stdout.contains(ARN),
        "{}",
        dry.stdout
    );
    assert!(recording(&moto).iter().all(|c| !c.is_write()));

    // A real attach: UpdateDistribution with If-Match carries the association; moto drops it
    // on update too.
    moto.start_recording();
    let attached = edgekit(
        &moto,
        &[
            "attach",
            "--distribution",
            &id,
            "--function-arn",
            ARN,
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(attached["result"], "updated");
    let calls = recording(&moto);
    let put = calls
        .iter()
        .find(|c| c.method == "PUT")
        .expect("UpdateDistribution");
    assert!(put.if_match.is_some());
    assert!(
        put.body
            .contains(&format!("<FunctionARN>{ARN}</FunctionARN>")),
        "{}",
        put.body
    );
    let read = cf.get_distribution_config().id(&id).send().await.unwrap();
    let functions = read
        .distribution_config
        .unwrap()
        .default_cache_behavior
        .unwrap()
        .function_associations;
    assert_eq!(
        functions.map(|f| f.quantity),
        Some(0),
        "moto keeps no FunctionAssociations"
    );

    // allow-all: refused with the reason and the fix, nothing written.
    let mut open = rich_distribution_config(&[]);
    open.caller_reference = "allow-all".into();
    open.cache_behaviors
        .as_mut()
        .unwrap()
        .items
        .as_mut()
        .unwrap()[0]
        .viewer_protocol_policy = ViewerProtocolPolicy::AllowAll;
    let open_id = cf
        .create_distribution()
        .distribution_config(open)
        .send()
        .await
        .unwrap()
        .distribution
        .unwrap()
        .id;
    moto.start_recording();
    let refused = edgekit(
        &moto,
        &[
            "attach",
            "--distribution",
            &open_id,
            "--function-arn",
            ARN,
            "--path-pattern",
            "/api/*",
        ],
    );
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("allow-all") && refused.stderr.contains("redirect-to-https"),
        "{}",
        refused.stderr
    );
    assert!(recording(&moto).iter().all(|c| !c.is_write()));

    // destroy: moto reports no association, so straight to DeleteFunction with If-Match.
    moto.start_recording();
    let destroyed = edgekit(
        &moto,
        &[
            "destroy",
            "--runtime",
            "cloudfront-js-2.0",
            "--function",
            "edgekit-keycloak-host",
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(destroyed["result"], "deleted");
    let calls = recording(&moto);
    let delete = calls
        .iter()
        .find(|c| c.method == "DELETE")
        .expect("DeleteFunction");
    assert!(
        delete
            .url
            .ends_with("/2020-05-31/function/edgekit-keycloak-host"),
        "{}",
        delete.url
    );
    assert!(delete.if_match.is_some(), "DeleteFunction without If-Match");
    let again = edgekit(
        &moto,
        &[
            "destroy",
            "--runtime",
            "cloudfront-js-2.0",
            "--function",
            "edgekit-keycloak-host",
            "--output",
            "json",
        ],
    )
    .json();
    assert_eq!(again["result"], "already-gone");
}

fn xml(body: String) -> aws_sdk_cloudfront::config::http::HttpResponse {
    aws_sdk_cloudfront::config::http::HttpResponse::new(
        200.try_into().unwrap(),
        aws_smithy_types::body::SdkBody::from(body),
    )
}

#[tokio::test]
async fn destroy_detaches_everywhere_waits_then_deletes_with_if_match() {
    // moto keeps no association to detach, so the detach-then-delete order is checked here.
    // The XML answers carry only the fields edgekit reads (the SDK fills the rest).
    let ns = "xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"";
    let list = format!(
        "<?xml version=\"1.0\"?><DistributionList {ns}><Marker></Marker><MaxItems>100</MaxItems>\
         <IsTruncated>false</IsTruncated><Quantity>2</Quantity><Items>\
         <DistributionSummary><Id>{DIST}</Id><Status>Deployed</Status><DomainName>d1.cloudfront.net</DomainName>\
         <Comment>runs it</Comment><DefaultCacheBehavior><TargetOriginId>app</TargetOriginId>\
         <ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy></DefaultCacheBehavior>\
         <CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior><PathPattern>/api/*</PathPattern>\
         <TargetOriginId>app</TargetOriginId><ViewerProtocolPolicy>https-only</ViewerProtocolPolicy>\
         <FunctionAssociations><Quantity>1</Quantity><Items><FunctionAssociation><FunctionARN>{ARN}</FunctionARN>\
         <EventType>viewer-request</EventType></FunctionAssociation></Items></FunctionAssociations>\
         </CacheBehavior></Items></CacheBehaviors></DistributionSummary>\
         <DistributionSummary><Id>EUNRELATED</Id><Status>Deployed</Status><DomainName>d2.cloudfront.net</DomainName>\
         <Comment>other</Comment><DefaultCacheBehavior><TargetOriginId>o</TargetOriginId>\
         <ViewerProtocolPolicy>https-only</ViewerProtocolPolicy></DefaultCacheBehavior></DistributionSummary>\
         </Items></DistributionList>"
    );
    let deployed = format!(
        "<?xml version=\"1.0\"?><Distribution {ns}><Id>{DIST}</Id><Status>Deployed</Status>\
         <DomainName>d1.cloudfront.net</DomainName></Distribution>"
    );
    let seen: Seen = Arc::default();
    let deletes = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&deletes);
    let rules = [
        mock!(aws_sdk_cloudfront::Client::list_distributions)
            .match_requests(|_| true)
            .then_http_response(move || xml(list.clone())),
        get_config(rich_with_function(ARN), "E1"),
        update_distribution(&seen),
        mock!(aws_sdk_cloudfront::Client::get_distribution)
            .match_requests(|i| i.id() == Some(DIST))
            .then_http_response(move || xml(deployed.clone())),
        describe(FunctionStage::Development, Some("ETDEV")),
        mock!(aws_sdk_cloudfront::Client::delete_function)
            .match_requests(move |i| {
                recorded
                    .lock()
                    .unwrap()
                    .push((i.name().map(str::to_owned), i.if_match().map(str::to_owned)));
                true
            })
            .then_output(|| {
                aws_sdk_cloudfront::operation::delete_function::DeleteFunctionOutput::builder()
                    .build()
            }),
    ];
    let client = client(&rules.iter().collect::<Vec<_>>());
    let report = edgekit::commands::destroy::destroy_cloudfront_function(
        &client,
        NAME,
        std::time::Duration::from_secs(30),
        &progress(),
    )
    .await
    .unwrap();
    assert_eq!(report.detached_from, [DIST]);
    assert_eq!(
        report.outcome,
        edgekit::commands::destroy::DestroyOutcome::Deleted
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0.as_deref(), Some("E1"));
    let mut expected = rich_with_function(ARN);
    expected
        .cache_behaviors
        .as_mut()
        .unwrap()
        .items
        .as_mut()
        .unwrap()[0]
        .function_associations = Some(FunctionAssociations::builder().quantity(0).build().unwrap());
    pretty_assertions::assert_eq!(seen[0].1, expected, "only the association goes");
    assert_eq!(
        *deletes.lock().unwrap(),
        [(Some(NAME.to_owned()), Some("ETDEV".to_owned()))]
    );
}
