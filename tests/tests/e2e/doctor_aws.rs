//! `edgekit doctor`'s AWS checks against moto (CloudFront, ELBv2 with target health, EC2
//! security groups and CloudFront's managed prefix list, ECS, ACM, Route 53 are implemented in
//! moto 5.2.5), each check shown passing on a healthy set-up and failing on a broken one.
//!
//! Where moto is not faithful the CloudFront side is mocked with aws-smithy-mocks (the SDK
//! serialises and parses for real, only the HTTP exchange is replaced): moto stores no
//! Lambda@Edge associations (they read back as `Quantity 0` after CreateDistribution) and has
//! no GetOriginRequestPolicy (it answers 404 for any policy id), so the `$LATEST` attachment
//! and the custom policy without `CloudFront-Forwarded-Proto` cannot be set up there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use aws_sdk_cloudfront::types::{
    CustomHeaders, Distribution, DistributionConfig, EventType, Headers, LambdaFunctionAssociation,
    LambdaFunctionAssociations, OriginProtocolPolicy, OriginRequestPolicy,
    OriginRequestPolicyConfig, OriginRequestPolicyCookieBehavior, OriginRequestPolicyCookiesConfig,
    OriginRequestPolicyHeaderBehavior, OriginRequestPolicyHeadersConfig,
    OriginRequestPolicyQueryStringBehavior, OriginRequestPolicyQueryStringsConfig,
    ViewerProtocolPolicy,
};
use aws_sdk_ec2::types::{IpPermission, IpRange, PrefixListId};
use aws_sdk_elasticloadbalancingv2::types::TargetDescription;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use edgekit::doctor::aws_checks::{self, AwsCheckInputs, Clients};
use edgekit::doctor::check::{CheckOutcome, Status};
use edgekit::plan::distribution::{DistributionRole, DistributionSpec, build_config};
use edgekit_tests::alb_fixture::{self, Alb, SECRET};
use edgekit_tests::aws_cli::edgekit as edgekit_cli;
use edgekit_tests::moto::Moto;

const TIMEOUT: Duration = Duration::from_secs(20);

fn spec(origin: &str) -> DistributionSpec {
    DistributionSpec {
        role: DistributionRole::Registry,
        name: "doctor".into(),
        origin_domain: origin.into(),
        origin_protocol: OriginProtocolPolicy::HttpOnly,
        aliases: vec![],
        certificate_arn: None,
        origin_read_timeout: 60,
    }
}

/// `edgekit distribution create`'s config for the registry (HTTP origin, origin-verify and
/// `X-Forwarded-Proto: https` custom headers, AllViewerAndCloudFrontHeaders-2022-06).
fn edgekit_config(origin: &str, function: Option<&str>) -> DistributionConfig {
    build_config(&spec(origin), alb_fixture::HEADER, SECRET, function).unwrap()
}

/// The same without the custom `X-Forwarded-Proto` header.
fn without_xfp(mut config: DistributionConfig) -> DistributionConfig {
    let origin = &mut config.origins.as_mut().unwrap().items[0];
    let kept: Vec<_> = origin
        .custom_headers
        .take()
        .unwrap()
        .items
        .unwrap_or_default()
        .into_iter()
        .filter(|h| !h.header_name.eq_ignore_ascii_case("X-Forwarded-Proto"))
        .collect();
    origin.custom_headers = Some(
        CustomHeaders::builder()
            .quantity(kept.len() as i32)
            .set_items(Some(kept))
            .build()
            .unwrap(),
    );
    config
}

async fn create_distribution(
    moto: &Moto,
    mut config: DistributionConfig,
    reference: &str,
) -> String {
    config.caller_reference = reference.into();
    let out = moto
        .cloudfront_client()
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .unwrap();
    out.distribution.unwrap().id
}

/// An ECS cluster `app` with service `app` wanting one task (moto's running count comes from
/// MOTO_ECS_SERVICE_RUNNING, read by the server).
async fn ecs_service(moto: &Moto) {
    let ecs = aws_sdk_ecs::Client::new(&moto.sdk_config("us-east-1").await);
    ecs.create_cluster()
        .cluster_name("app")
        .send()
        .await
        .unwrap();
    ecs.register_task_definition()
        .family("app")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("nginx")
                .memory(128)
                .build(),
        )
        .send()
        .await
        .unwrap();
    ecs.create_service()
        .cluster("app")
        .service_name("app")
        .task_definition("app")
        .desired_count(1)
        .send()
        .await
        .unwrap();
}

async fn hosted_zone(moto: &Moto, name: &str) {
    let r53 = aws_sdk_route53::Client::new(&moto.sdk_config("us-east-1").await);
    r53.create_hosted_zone()
        .name(name)
        .caller_reference(format!("doctor-{name}"))
        .send()
        .await
        .unwrap();
}

async fn certificate(moto: &Moto, domain: &str) -> String {
    let acm = aws_sdk_acm::Client::new(&moto.sdk_config("us-east-1").await);
    acm.request_certificate()
        .domain_name(domain)
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap()
        .certificate_arn
        .unwrap()
}

async fn prefix_list_id(alb: &Alb) -> String {
    edgekit::aws::ec2::prefix_list(&alb.ec2, "com.amazonaws.global.cloudfront.origin-facing")
        .await
        .unwrap()
        .id
}

fn find<'a>(outcomes: &'a [CheckOutcome], id: &str) -> &'a CheckOutcome {
    outcomes
        .iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no {id} in {outcomes:#?}"))
}

fn assert_status(outcomes: &[CheckOutcome], id: &str, status: Status, needle: &str) {
    let o = find(outcomes, id);
    let text = format!("{} | {}", o.evidence, o.fix.clone().unwrap_or_default());
    assert_eq!(o.status, status, "{id}: {text}");
    assert!(text.contains(needle), "{id}: `{needle}` not in: {text}");
}

/// The calls moto recorded that are not reads (Describe*, List*, Get* by query Action, JSON
/// X-Amz-Target or REST GET).
fn recorded_writes(moto: &Moto) -> Vec<String> {
    moto.download_recording()
        .into_iter()
        .filter_map(|entry| {
            let method = entry["method"].as_str().unwrap_or_default().to_owned();
            let raw = entry["body"].as_str().unwrap_or_default();
            let body = if entry["body_encoded"].as_bool().unwrap_or(false) {
                String::from_utf8_lossy(&aws_smithy_types::base64::decode(raw).unwrap_or_default())
                    .into_owned()
            } else {
                raw.to_owned()
            };
            let headers = entry["headers"].as_object().cloned().unwrap_or_default();
            let target = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
                .and_then(|(_, v)| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let action = body
                .split('&')
                .find_map(|kv| kv.strip_prefix("Action="))
                .map(str::to_owned)
                .or_else(|| {
                    target
                        .rsplit('.')
                        .next()
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                });
            let read = match &action {
                Some(a) => ["Describe", "List", "Get"].iter().any(|p| a.starts_with(p)),
                None => method == "GET" || method == "HEAD",
            };
            (!read).then(|| format!("{method} {} {action:?}", entry["url"]))
        })
        .collect()
}

fn assert_no_secret(outcomes: &[CheckOutcome]) {
    let json = serde_json::to_string(outcomes).unwrap();
    assert!(
        !json.contains(SECRET),
        "the origin-verify value leaked: {json}"
    );
}

#[test]
fn healthy_deployment_passes_the_aws_checks() {
    let moto = Moto::start_with_env(&[
        ("MOTO_ECS_SERVICE_RUNNING", "1"),
        ("MOTO_ACM_VALIDATION_WAIT", "0"),
    ]);
    alb_fixture::runtime().block_on(async {
        let alb = alb_fixture::alb(&moto).await;
        // CloudFront's prefix list on the listener port, and a registered target.
        let list = prefix_list_id(&alb).await;
        alb.ec2
            .authorize_security_group_ingress()
            .group_id(&alb.sg_id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(80)
                    .to_port(80)
                    .prefix_list_ids(PrefixListId::builder().prefix_list_id(&list).build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        alb.elb
            .register_targets()
            .target_group_arn(&alb.tg_arn)
            .targets(
                TargetDescription::builder()
                    .id("10.0.1.10")
                    .port(8080)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ecs_service(&moto).await;
        hosted_zone(&moto, "example.org").await;
        let cert = certificate(&moto, "app.example.org").await;
        let dist = create_distribution(
            &moto,
            without_xfp(edgekit_config(&alb.dns_name, None)),
            "healthy",
        )
        .await;

        let inputs = AwsCheckInputs {
            distributions: vec![dist.clone()],
            load_balancers: vec![alb.lb_name.clone()],
            services: vec![("app".into(), "app".into())],
            base_domain: Some("app.example.org".into()),
            certificate_arn: Some(cert),
        };
        let started = Instant::now();
        let outcomes = aws_checks::run(&inputs, &moto.sdk_config("us-east-1").await).await;
        eprintln!(
            "healthy: {} checks in {:?}",
            outcomes.len(),
            started.elapsed()
        );
        assert_no_secret(&outcomes);
        assert_status(&outcomes, "cloudfront-deployed", Status::Pass, "Deployed");
        assert_status(
            &outcomes,
            "cloudfront-origin-request-policy",
            Status::Pass,
            "AllViewerAndCloudFrontHeaders-2022-06",
        );
        assert_status(
            &outcomes,
            "cloudfront-origin-protocol",
            Status::Pass,
            "listens on HTTP:80",
        );
        // moto drops Lambda@Edge associations, so the function is never there: the passing
        // side of this check is in `edge_function_and_custom_policies_with_mocks`.
        assert_status(
            &outcomes,
            "cloudfront-edge-function",
            Status::Fail,
            "no forwarded-proto",
        );
        assert_status(
            &outcomes,
            "alb-target-health",
            Status::Pass,
            "1 of 1 targets healthy",
        );
        assert_status(&outcomes, "alb-security-group", Status::Pass, &list);
        assert_status(
            &outcomes,
            "ecs-service-running",
            Status::Pass,
            "1 of 1 tasks running",
        );
        assert_status(&outcomes, "acm-certificate", Status::Pass, "ISSUED");
        assert_status(
            &outcomes,
            "route53-hosted-zone",
            Status::Pass,
            "example.org",
        );
        // The load balancer was named once and found again behind the origin: one line each.
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| o.id == "alb-target-health")
                .count(),
            1
        );

        // The same through the CLI (text output; `--nocapture` shows it).
        // No --certificate-arn: the certificate is found from the base domain.
        let cert = inputs.certificate_arn.clone().unwrap();
        let run = edgekit_cli(
            &moto,
            &[
                "doctor",
                "--distribution",
                &dist,
                "--load-balancer",
                &alb.lb_name,
                "--cluster",
                "app",
                "--service",
                "app",
                "--base-domain",
                "app.example.org",
            ],
        );
        eprintln!(
            "$ edgekit doctor ... (exit {})\n{}{}",
            run.code, run.stdout, run.stderr
        );
        assert_eq!(
            run.code, 1,
            "the edge-function check fails on moto: {}",
            run.stdout
        );
        assert!(run.stdout.contains("alb-target-health") && !run.stdout.contains(SECRET));
        assert!(
            run.stdout
                .contains(&format!("acm-certificate                  {cert}  ISSUED")),
            "{}",
            run.stdout
        );
    });
}

#[test]
fn broken_deployment_fails_the_aws_checks() {
    let moto = Moto::start();
    alb_fixture::runtime().block_on(async {
        let alb = alb_fixture::alb(&moto).await;
        // The fixture opens port 80 to the internet; take that away (no CloudFront list).
        alb.ec2
            .revoke_security_group_ingress()
            .group_id(&alb.sg_id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(80)
                    .to_port(80)
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ecs_service(&moto).await; // running 0 of 1 (MOTO_ECS_SERVICE_RUNNING unset)
        hosted_zone(&moto, "example.org").await; // the certificate's zone, without its record
        let cert = certificate(&moto, "app.example.org").await; // pending (60 s validation wait)
        // The reference deployment's broken setup: custom X-Forwarded-Proto behind the HTTP
        // listener and no function; a custom origin request policy moto cannot read.
        let mut config = edgekit_config(&alb.dns_name, None);
        config
            .default_cache_behavior
            .as_mut()
            .unwrap()
            .origin_request_policy_id = Some("custom-policy-1".into());
        let dist = create_distribution(&moto, config, "broken").await;

        let inputs = AwsCheckInputs {
            distributions: vec![dist.clone(), "E0MISSING0000".into()],
            load_balancers: vec![],
            services: vec![("app".into(), "app".into())],
            base_domain: Some("example.net".into()),
            certificate_arn: Some(cert),
        };
        moto.start_recording();
        moto.start_recording();
        let outcomes = aws_checks::run(&inputs, &moto.sdk_config("us-east-1").await).await;
        assert_no_secret(&outcomes);
        let of = |target: &str, id: &str| {
            outcomes
                .iter()
                .find(|o| o.target == target && o.id == id)
                .cloned()
                .unwrap()
        };
        let protocol = of(&dist, "cloudfront-origin-protocol");
        assert_eq!(protocol.status, Status::Fail, "{protocol:?}");
        assert!(
            protocol
                .evidence
                .contains("X-Forwarded-Proto header is overwritten"),
            "{protocol:?}"
        );
        let policy = of(&dist, "cloudfront-origin-request-policy");
        assert_eq!(policy.status, Status::Fail, "{policy:?}");
        assert!(
            policy
                .evidence
                .contains("GetOriginRequestPolicy custom-policy-1"),
            "{policy:?}"
        );
        assert_eq!(of(&dist, "cloudfront-edge-function").status, Status::Fail);
        let missing = of("E0MISSING0000", "cloudfront-deployed");
        assert_eq!(missing.status, Status::Fail, "{missing:?}");
        assert!(
            missing.evidence.contains("GetDistribution E0MISSING0000"),
            "{missing:?}"
        );
        // The ALB was found from the distribution's origin alone.
        assert_status(
            &outcomes,
            "alb-target-health",
            Status::Fail,
            "0 of 0 targets healthy",
        );
        assert_status(
            &outcomes,
            "alb-security-group",
            Status::Fail,
            "PrefixListId=pl-",
        );
        assert_status(
            &outcomes,
            "ecs-service-running",
            Status::Fail,
            "0 of 1 tasks running",
        );
        assert_status(
            &outcomes,
            "acm-certificate",
            Status::Fail,
            "is missing from hosted zone example.org",
        );
        assert_status(
            &outcomes,
            "acm-certificate",
            Status::Fail,
            "\"Action\":\"UPSERT\"",
        );
        assert_status(
            &outcomes,
            "route53-hosted-zone",
            Status::Fail,
            "create-hosted-zone --name example.net",
        );

        // `edgekit doctor` reports them in its JSON, exits 1, and neither run wrote anything.
        let cert_arn = inputs.certificate_arn.clone().unwrap();
        let run = edgekit_cli(
            &moto,
            &[
                "doctor",
                "--distribution",
                &dist,
                "--cluster",
                "app",
                "--service",
                "app",
                "--base-domain",
                "example.net",
                "--certificate-arn",
                &cert_arn,
                "--output",
                "json",
            ],
        );
        assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
        assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET));
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let status = |id: &str| {
            report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id)
                .unwrap_or_else(|| panic!("{id} missing: {report}"))["status"]
                .clone()
        };
        for id in [
            "cloudfront-origin-protocol",
            "cloudfront-origin-request-policy",
            "cloudfront-edge-function",
            "alb-target-health",
            "alb-security-group",
            "ecs-service-running",
            "acm-certificate",
            "route53-hosted-zone",
        ] {
            assert_eq!(status(id), "fail", "{id}: {report}");
        }
        assert!(report["summary"]["fail"].as_u64().unwrap() >= 8, "{report}");
        // The text report: the fixes with values to paste (`--nocapture` shows it).
        let text = edgekit_cli(
            &moto,
            &[
                "doctor",
                "--distribution",
                &dist,
                "--cluster",
                "app",
                "--service",
                "app",
                "--base-domain",
                "example.net",
                "--certificate-arn",
                &cert_arn,
            ],
        );
        eprintln!(
            "$ edgekit doctor ... (exit {})\n{}{}",
            text.code, text.stdout, text.stderr
        );
        assert!(
            text.stdout.contains("authorize-security-group-ingress")
                && !text.stdout.contains(SECRET)
        );
        assert_eq!(
            recorded_writes(&moto),
            Vec::<String>::new(),
            "doctor only reads"
        );
    });
}

// ---------------------------------------------------------------------------------------
// CloudFront answers moto cannot give.

const FP3: &str = "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:3";
const FP_LATEST: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:$LATEST";
const ORIGIN: &str = "gone-alb-1.us-east-1.elb.amazonaws.com";

fn with_function(
    mut config: DistributionConfig,
    arn: &str,
    policy: &str,
    viewer: ViewerProtocolPolicy,
) -> DistributionConfig {
    let behavior = config.default_cache_behavior.as_mut().unwrap();
    behavior.lambda_function_associations = Some(
        LambdaFunctionAssociations::builder()
            .quantity(1)
            .items(
                LambdaFunctionAssociation::builder()
                    .event_type(EventType::OriginRequest)
                    .lambda_function_arn(arn)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
    );
    behavior.origin_request_policy_id = Some(policy.into());
    behavior.viewer_protocol_policy = viewer;
    config
}

fn get_distribution(id: &'static str, config: DistributionConfig) -> Rule {
    mock!(aws_sdk_cloudfront::Client::get_distribution)
        .match_requests(move |input| input.id() == Some(id))
        .then_output(move || {
            aws_sdk_cloudfront::operation::get_distribution::GetDistributionOutput::builder()
                .distribution(
                    Distribution::builder()
                        .id(id)
                        .arn(format!(
                            "arn:aws:cloudfront::123456789012:distribution/{id}"
                        ))
                        .status("Deployed")
                        .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
                        .in_progress_invalidation_batches(0)
                        .domain_name(format!("{}.cloudfront.net", id.to_lowercase()))
                        .distribution_config(config.clone())
                        .build()
                        .unwrap(),
                )
                .e_tag("E1")
                .build()
        })
}

fn get_policy(
    id: &'static str,
    behavior: OriginRequestPolicyHeaderBehavior,
    headers: &'static [&'static str],
) -> Rule {
    mock!(aws_sdk_cloudfront::Client::get_origin_request_policy)
        .match_requests(move |input| input.id() == Some(id))
        .then_output(move || {
            let config = OriginRequestPolicyConfig::builder()
                .name(id)
                .headers_config(
                    OriginRequestPolicyHeadersConfig::builder()
                        .header_behavior(behavior.clone())
                        .headers(
                            Headers::builder()
                                .quantity(headers.len() as i32)
                                .set_items(Some(headers.iter().map(|h| (*h).to_owned()).collect()))
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .cookies_config(
                    OriginRequestPolicyCookiesConfig::builder()
                        .cookie_behavior(OriginRequestPolicyCookieBehavior::All)
                        .build()
                        .unwrap(),
                )
                .query_strings_config(
                    OriginRequestPolicyQueryStringsConfig::builder()
                        .query_string_behavior(OriginRequestPolicyQueryStringBehavior::All)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap();
            aws_sdk_cloudfront::operation::get_origin_request_policy::GetOriginRequestPolicyOutput::builder()
                .origin_request_policy(
                    OriginRequestPolicy::builder()
                        .id(id)
                        .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
                        .origin_request_policy_config(config)
                        .build()
                        .unwrap(),
                )
                .build()
        })
}

#[test]
fn edge_function_and_custom_policies_with_mocks() {
    alb_fixture::runtime().block_on(async {
        let good = with_function(
            edgekit_config(ORIGIN, None),
            FP3,
            "pol-with-proto",
            ViewerProtocolPolicy::RedirectToHttps,
        );
        let bad = with_function(
            edgekit_config(ORIGIN, None),
            FP_LATEST,
            "pol-without-proto",
            ViewerProtocolPolicy::AllowAll,
        );
        let rules = [
            get_distribution("EGOOD", good),
            get_distribution("EBAD", bad),
            get_policy(
                "pol-with-proto",
                OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront,
                &["CloudFront-Forwarded-Proto"],
            ),
            get_policy(
                "pol-without-proto",
                OriginRequestPolicyHeaderBehavior::AllViewer,
                &[],
            ),
        ];
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in &rules {
            interceptor = interceptor.with_rule(rule);
        }
        // ELBv2 knows no load balancer for the origin; nothing else is called.
        let no_load_balancers = mock!(aws_sdk_elasticloadbalancingv2::Client::describe_load_balancers)
            .then_output(|| {
                aws_sdk_elasticloadbalancingv2::operation::describe_load_balancers::DescribeLoadBalancersOutput::builder()
                    .build()
            });
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_cloudfront::config::SharedCredentialsProvider::new(
                aws_sdk_cloudfront::config::Credentials::new("testing", "testing", None, None, "test"),
            ))
            .http_client(create_mock_http_client())
            .build();
        let mut clients = Clients::new(&sdk);
        clients.cloudfront = aws_sdk_cloudfront::Client::from_conf(
            aws_sdk_cloudfront::Config::from(&sdk).to_builder().interceptor(interceptor).build(),
        );
        clients.elbv2 = aws_sdk_elasticloadbalancingv2::Client::from_conf(
            aws_sdk_elasticloadbalancingv2::Config::from(&sdk)
                .to_builder()
                .interceptor(MockResponseInterceptor::new().with_rule(&no_load_balancers))
                .build(),
        );
        let inputs = AwsCheckInputs {
            distributions: vec!["EGOOD".into(), "EBAD".into()],
            ..AwsCheckInputs::default()
        };
        let outcomes = aws_checks::run_with(&inputs, &clients, TIMEOUT).await;
        assert_no_secret(&outcomes);
        let of = |target: &str, id: &str| {
            outcomes
                .iter()
                .find(|o| o.target == target && o.id == id)
                .cloned()
                .unwrap()
        };
        let edge = of("EGOOD", "cloudfront-edge-function");
        assert_eq!(edge.status, Status::Pass, "{edge:?}");
        assert!(
            edge.evidence
                .contains("forwarded-proto version 3 on origin-request"),
            "{edge:?}"
        );
        let policy = of("EGOOD", "cloudfront-origin-request-policy");
        assert_eq!(policy.status, Status::Pass, "{policy:?}");
        assert!(
            policy
                .evidence
                .contains("HeaderBehavior allViewerAndWhitelistCloudFront"),
            "{policy:?}"
        );
        let edge = of("EBAD", "cloudfront-edge-function");
        assert_eq!(edge.status, Status::Fail, "{edge:?}");
        assert!(edge.evidence.contains("$LATEST"), "{edge:?}");
        let policy = of("EBAD", "cloudfront-origin-request-policy");
        assert_eq!(policy.status, Status::Fail, "{policy:?}");
        assert!(
            policy
                .fix
                .as_deref()
                .unwrap()
                .contains("33f36d7e-f396-46d9-90e0-52428a34d9dc"),
            "{policy:?}"
        );
        // The origin is no load balancer of this region: said, not guessed.
        let protocol = of("EGOOD", "cloudfront-origin-protocol");
        assert_eq!(protocol.status, Status::Warn, "{protocol:?}");
        // Nothing else was asked for: skipped with the reason.
        assert_status(
            &outcomes,
            "ecs-service-running",
            Status::Skip,
            "no --cluster/--service given",
        );
    });
}
