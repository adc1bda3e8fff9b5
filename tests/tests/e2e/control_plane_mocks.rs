//! Control-plane answers moto cannot give, with aws-smithy-mocks: the SDK serialises and
//! deserialises for real, only the HTTP exchange is replaced.
//!
//! Why not moto (5.2.5): it stores no Lambda@Edge associations (they read back as
//! `Quantity 0` after CreateDistribution and UpdateDistribution), accepts any If-Match (so never
//! answers PreconditionFailed) and never reports replicas on DeleteFunction. Error bodies are
//! shaped like the CloudFront API Reference's error response example
//! (`<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigOutput;
use aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionOutput;
use aws_sdk_cloudfront::types::{DistributionConfig, EventType, LambdaFunctionAssociations};
use aws_sdk_lambda::operation::delete_function::{DeleteFunctionError, DeleteFunctionOutput};
use aws_smithy_mocks::{Rule, mock};
use edgekit::aws::cloudfront::{ApplyOutcome, MAX_UPDATE_ATTEMPTS, apply_plan};
use edgekit::commands::destroy::{
    DestroyOutcome, EXIT_REPLICAS_PENDING, ReplicaWait, destroy_function, exit_code,
};
use edgekit::output::Progress;
use edgekit::plan::arn::FunctionVersionArn;
use edgekit::plan::associations::{
    AttachRequest, BehaviorTarget, DetachRequest, FunctionSelector, plan_attach, plan_detach,
};
use edgekit_tests::aws_fixtures::{association, rich_distribution_config};

use crate::sdk_mocks::{cloudfront, lambda};

const DIST: &str = "EDFDVBD6EXAMPLE";
const FP: &str = "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:3";
const KC: &str = "arn:aws:lambda:us-east-1:123456789012:function:edgekit-keycloak-host:3";

fn get_config(config: DistributionConfig, etag: &'static str) -> Rule {
    mock!(aws_sdk_cloudfront::Client::get_distribution_config)
        .match_requests(|input| input.id() == Some(DIST))
        .then_output(move || {
            GetDistributionConfigOutput::builder()
                .distribution_config(config.clone())
                .e_tag(etag)
                .build()
        })
}

/// An UpdateDistribution rule that records (If-Match, config) and answers `status`.
/// (If-Match, config) of every UpdateDistribution call.
type Seen = Arc<Mutex<Vec<(Option<String>, DistributionConfig)>>>;

fn update(seen: &Seen, status: u16) -> Rule {
    let seen = Arc::clone(seen);
    let builder =
        mock!(aws_sdk_cloudfront::Client::update_distribution).match_requests(move |input| {
            seen.lock().unwrap().push((
                input.if_match().map(str::to_owned),
                input.distribution_config().cloned().unwrap(),
            ));
            true
        });
    if status == 200 {
        builder.then_output(|| UpdateDistributionOutput::builder().e_tag("E-AFTER").build())
    } else {
        builder.then_http_response(move || {
            aws_smithy_runtime_api_response(
                status,
                "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Sender</Type><Code>PreconditionFailed</Code><Message>The request failed because it didn't meet the preconditions in one or more request-header fields.</Message></Error><RequestId>b0e4a6a1-1111-2222-3333-444455556666</RequestId></ErrorResponse>",
            )
        })
    }
}

fn aws_smithy_runtime_api_response(
    status: u16,
    body: &'static str,
) -> aws_sdk_cloudfront::config::http::HttpResponse {
    aws_sdk_cloudfront::config::http::HttpResponse::new(
        status.try_into().unwrap(),
        aws_smithy_types::body::SdkBody::from(body),
    )
}

fn attach_fp(replace: bool) -> AttachRequest {
    AttachRequest {
        function: FunctionVersionArn::parse(FP).unwrap(),
        event_type: edge::EventType::OriginRequest,
        include_body: false,
        target: BehaviorTarget::Default,
        replace,
    }
}

#[tokio::test]
async fn attach_then_detach_a_rich_distribution_changes_only_the_association() {
    // moto would lose the viewer-request association, so the whole-config comparison needs a
    // config store that keeps it: the mock serves exactly what the API would.
    let before = rich_distribution_config(&[]);
    let with_fp = rich_distribution_config(&[association(FP, EventType::OriginRequest)]);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rules = [
        get_config(before.clone(), "E1"),
        update(&seen, 200),
        get_config(with_fp.clone(), "E2"),
        update(&seen, 200),
    ];
    let client = cloudfront(&rules.iter().collect::<Vec<_>>());
    let request = attach_fp(false);
    let outcome = apply_plan(&client, DIST, false, |c| plan_attach(c, &request))
        .await
        .unwrap();
    assert!(
        matches!(outcome, ApplyOutcome::Updated { attempts: 1, .. }),
        "{outcome:?}"
    );
    let detach = DetachRequest {
        function: FunctionSelector::parse(FP),
        event_type: Some(edge::EventType::OriginRequest),
        target: BehaviorTarget::Default,
    };
    let outcome = apply_plan(&client, DIST, false, |c| plan_detach(c, &detach))
        .await
        .unwrap();
    assert!(
        matches!(outcome, ApplyOutcome::Updated { .. }),
        "{outcome:?}"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0.as_deref(), Some("E1"));
    pretty_assertions::assert_eq!(seen[0].1, with_fp, "attach must change nothing else");
    let default = seen[0].1.default_cache_behavior.as_ref().unwrap();
    let assocs = default.lambda_function_associations.as_ref().unwrap();
    assert_eq!(assocs.quantity as usize, assocs.items().len());
    assert_eq!(seen[1].0.as_deref(), Some("E2"));
    pretty_assertions::assert_eq!(seen[1].1, before, "detach must restore the original");
}

#[tokio::test]
async fn repeated_attach_makes_zero_writes() {
    // moto cannot hold the association, so "already attached" is served by the mock.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let get = get_config(
        rich_distribution_config(&[association(FP, EventType::OriginRequest)]),
        "E1",
    );
    let never = update(&seen, 200);
    let client = cloudfront(&[&get, &never]);
    let request = attach_fp(false);
    let outcome = apply_plan(&client, DIST, false, |c| plan_attach(c, &request))
        .await
        .unwrap();
    assert!(
        matches!(outcome, ApplyOutcome::Unchanged { .. }),
        "{outcome:?}"
    );
    assert_eq!(get.num_calls(), 1);
    assert_eq!(never.num_calls(), 0, "no UpdateDistribution call");
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn precondition_failed_rereads_and_replans_with_the_new_etag() {
    // moto ignores If-Match and never answers 412 PreconditionFailed.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let changed_meanwhile = {
        let mut c = rich_distribution_config(&[]);
        c.comment = "changed by someone else".to_owned();
        c
    };
    let rules = [
        get_config(rich_distribution_config(&[]), "E1"),
        update(&seen, 412),
        get_config(changed_meanwhile.clone(), "E2"),
        update(&seen, 200),
    ];
    let client = cloudfront(&rules.iter().collect::<Vec<_>>());
    let request = attach_fp(false);
    let outcome = apply_plan(&client, DIST, false, |c| plan_attach(c, &request))
        .await
        .unwrap();
    assert!(
        matches!(outcome, ApplyOutcome::Updated { attempts: 2, .. }),
        "{outcome:?}"
    );
    let seen = seen.lock().unwrap();
    let etags: Vec<_> = seen.iter().map(|(etag, _)| etag.clone().unwrap()).collect();
    assert_eq!(etags, ["E1", "E2"]);
    // The second write is planned on the re-read config: the other change is kept.
    assert_eq!(seen[1].1.comment, "changed by someone else");
}

#[tokio::test]
async fn association_already_present_on_reread_stops_without_a_second_write() {
    // Someone else attached the same version between our read and write (moto cannot model it).
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rules = [
        get_config(rich_distribution_config(&[]), "E1"),
        update(&seen, 412),
        get_config(
            rich_distribution_config(&[association(FP, EventType::OriginRequest)]),
            "E2",
        ),
    ];
    let client = cloudfront(&rules.iter().collect::<Vec<_>>());
    let request = attach_fp(false);
    let outcome = apply_plan(&client, DIST, false, |c| plan_attach(c, &request))
        .await
        .unwrap();
    assert!(
        matches!(outcome, ApplyOutcome::Unchanged { .. }),
        "{outcome:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn precondition_failed_every_time_gives_up_after_the_bound() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut rules = Vec::new();
    for _ in 0..MAX_UPDATE_ATTEMPTS {
        rules.push(get_config(rich_distribution_config(&[]), "E1"));
        rules.push(update(&seen, 412));
    }
    let client = cloudfront(&rules.iter().collect::<Vec<_>>());
    let request = attach_fp(false);
    let err = apply_plan(&client, DIST, false, |c| plan_attach(c, &request))
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("PreconditionFailed"), "{err:?}");
    assert_eq!(seen.lock().unwrap().len(), MAX_UPDATE_ATTEMPTS as usize);
}

#[tokio::test]
async fn another_function_on_the_event_is_refused_by_name_without_writing() {
    // moto drops the existing association, so the conflict can only be served by the mock.
    let other = "arn:aws:lambda:us-east-1:123456789012:function:someone-else:9";
    let seen = Arc::new(Mutex::new(Vec::new()));
    let get = get_config(
        rich_distribution_config(&[association(other, EventType::OriginRequest)]),
        "E1",
    );
    let never = update(&seen, 200);
    let client = cloudfront(&[&get, &never]);
    let request = attach_fp(false);
    let err = apply_plan(&client, DIST, false, |c| plan_attach(c, &request))
        .await
        .unwrap_err();
    let text = format!("{err:?}");
    assert!(
        text.contains("someone-else") && text.contains("--replace"),
        "{text}"
    );
    assert_eq!(never.num_calls(), 0);
}

#[tokio::test]
async fn dry_run_prints_a_diff_and_writes_nothing() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let get = get_config(rich_distribution_config(&[]), "E1");
    let never = update(&seen, 200);
    let client = cloudfront(&[&get, &never]);
    let request = attach_fp(false);
    let outcome = apply_plan(&client, DIST, true, |c| plan_attach(c, &request))
        .await
        .unwrap();
    let ApplyOutcome::DryRun { diff, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        diff.contains("+") && diff.contains("edgekit-forwarded-proto:3"),
        "{diff}"
    );
    assert_eq!(never.num_calls(), 0);
}

const LIST_WITH_KC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DistributionList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>1</Quantity>
  <Items><DistributionSummary>
    <Id>EDFDVBD6EXAMPLE</Id><ARN>arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE</ARN>
    <Status>Deployed</Status><LastModifiedTime>2024-01-01T00:00:00.000Z</LastModifiedTime>
    <DomainName>d111111abcdef8.cloudfront.net</DomainName><Comment>edgekit:edgekit:keycloak</Comment>
    <Enabled>true</Enabled>
    <DefaultCacheBehavior><TargetOriginId>keycloak-alb</TargetOriginId>
      <ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>
      <LambdaFunctionAssociations><Quantity>1</Quantity><Items><LambdaFunctionAssociation>
        <LambdaFunctionARN>arn:aws:lambda:us-east-1:123456789012:function:edgekit-keycloak-host:3</LambdaFunctionARN>
        <EventType>origin-request</EventType><IncludeBody>false</IncludeBody>
      </LambdaFunctionAssociation></Items></LambdaFunctionAssociations>
    </DefaultCacheBehavior>
    <CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>
  </DistributionSummary></Items>
</DistributionList>"#;

const LIST_EMPTY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DistributionList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>0</Quantity>
</DistributionList>"#;

const DEPLOYED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <Id>EDFDVBD6EXAMPLE</Id><ARN>arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE</ARN>
  <Status>Deployed</Status><LastModifiedTime>2024-01-01T00:00:00.000Z</LastModifiedTime>
  <InProgressInvalidationBatches>0</InProgressInvalidationBatches>
  <DomainName>d111111abcdef8.cloudfront.net</DomainName>
</Distribution>"#;

fn replicated() -> DeleteFunctionError {
    DeleteFunctionError::InvalidParameterValueException(
        aws_sdk_lambda::types::error::InvalidParameterValueException::builder()
            .r#type("User")
            .message(
                "Lambda was unable to delete arn:aws:lambda:us-east-1:123456789012:function:edgekit-keycloak-host:3 \
                 because it is a replicated function. Please see our documentation for Deleting Lambda@Edge Functions and Replicas.",
            )
            .build(),
    )
}

#[tokio::test]
async fn destroy_detaches_waits_and_reports_replicas_with_a_distinct_exit_code_then_resumes() {
    // moto never reports replicas and cannot hold the association to detach.
    let kc_config = {
        let mut c = rich_distribution_config(&[]);
        c.default_cache_behavior
            .as_mut()
            .unwrap()
            .lambda_function_associations = Some(
            LambdaFunctionAssociations::builder()
                .quantity(1)
                .items(association(KC, EventType::OriginRequest))
                .build()
                .unwrap(),
        );
        c
    };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let cf_rules = [
        mock!(aws_sdk_cloudfront::Client::list_distributions)
            .then_http_response(|| aws_smithy_runtime_api_response(200, LIST_WITH_KC)),
        get_config(kc_config, "E1"),
        update(&seen, 200),
        mock!(aws_sdk_cloudfront::Client::get_distribution)
            .then_http_response(|| aws_smithy_runtime_api_response(200, DEPLOYED)),
        // Second run (resumed): nothing attached any more.
        mock!(aws_sdk_cloudfront::Client::list_distributions)
            .then_http_response(|| aws_smithy_runtime_api_response(200, LIST_EMPTY)),
    ];
    let lambda_rules = [
        mock!(aws_sdk_lambda::Client::delete_function).then_error(replicated),
        mock!(aws_sdk_lambda::Client::delete_function)
            .then_output(|| DeleteFunctionOutput::builder().build()),
    ];
    let cf = cloudfront(&cf_rules.iter().collect::<Vec<_>>());
    let lambda_client = lambda(&lambda_rules.iter().collect::<Vec<_>>());
    let no_wait = ReplicaWait {
        enabled: false,
        first_delay: Duration::from_secs(60),
        max_delay: Duration::from_secs(900),
        max_total: Duration::from_secs(3600),
    };
    let progress = Progress::start("destroy (test)");
    let first = destroy_function(
        &cf,
        &lambda_client,
        "edgekit-keycloak-host",
        Duration::from_secs(30),
        no_wait,
        &progress,
    )
    .await
    .unwrap();
    assert_eq!(first.detached_from, vec![DIST.to_owned()]);
    assert!(
        matches!(first.outcome, DestroyOutcome::ReplicasPending { .. }),
        "{:?}",
        first.outcome
    );
    assert_eq!(
        exit_code(&first.outcome),
        std::process::ExitCode::from(EXIT_REPLICAS_PENDING)
    );
    let written = seen.lock().unwrap()[0].1.clone();
    let assocs = written
        .default_cache_behavior
        .unwrap()
        .lambda_function_associations
        .unwrap();
    assert_eq!(assocs.quantity, 0);

    let second = destroy_function(
        &cf,
        &lambda_client,
        "edgekit-keycloak-host",
        Duration::from_secs(30),
        no_wait,
        &progress,
    )
    .await
    .unwrap();
    assert!(second.detached_from.is_empty());
    assert_eq!(second.outcome, DestroyOutcome::Deleted);
    assert_eq!(exit_code(&second.outcome), std::process::ExitCode::SUCCESS);
}
