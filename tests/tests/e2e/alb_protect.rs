//! `edgekit alb protect` against a real moto_server: from scratch (listener rule, fixed 403,
//! CloudFront prefix list in the security group), a re-run that writes nothing, `--dry-run`
//! that writes nothing, a listener with an existing rule set, and the secret in no output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, PathPatternConditionConfig, RuleCondition,
};
use edgekit::plan::alb::{DENY_BODY, DENY_CONTENT_TYPE};
use edgekit_tests::alb_fixture::{
    SECRET, alb, default_actions, distributions, header_values, rules, runtime, writes,
};
use edgekit_tests::aws_cli::edgekit;
use edgekit_tests::moto::Moto;

#[test]
fn protect_from_scratch_dry_run_first_then_rerun_writes_nothing() {
    let moto = Moto::start();
    let rt = runtime();
    let fx = rt.block_on(alb(&moto));
    let ids = distributions(&moto, &fx);
    let base = [
        "alb",
        "protect",
        "--load-balancer",
        "app-alb",
        "--secret-from-distribution",
        &ids[0],
        "--secret-from-distribution",
        &ids[1],
        "--security-group-mode",
        "prefix-list",
    ];

    // Dry run: the whole plan in the API's field names, the secret masked, nothing written.
    moto.start_recording();
    let dry = edgekit(&moto, &[&base[..], &["--dry-run", "-vv"]].concat());
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        writes(&moto).is_empty(),
        "dry run wrote: {:?}",
        writes(&moto)
    );
    for call in [
        "\"CreateRule\"",
        "\"ModifyListener\"",
        "\"AuthorizeSecurityGroupIngress\"",
        "\"RevokeSecurityGroupIngress\"",
        "\"PrefixListIds\"",
        "\"HttpHeaderName\": \"X-Origin-Verify\"",
        "\"****\"",
        "0.0.0.0/0",
        "::/0",
    ] {
        assert!(
            dry.stdout.contains(call),
            "{call} missing from the dry run:\n{}",
            dry.stdout
        );
    }
    assert!(
        !dry.stdout.contains("\"FromPort\": 22"),
        "port 22 is not a listener port:\n{}",
        dry.stdout
    );

    // Apply.
    moto.start_recording();
    let run = edgekit(&moto, &[&base[..], &["--output", "json", "-vv"]].concat());
    let report = run.json();
    assert_eq!(report["result"], "applied");
    let mut calls = writes(&moto);
    calls.sort();
    assert_eq!(
        calls,
        [
            "AuthorizeSecurityGroupIngress",
            "CreateRule",
            "ModifyListener",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupIngress"
        ]
    );
    for out in [&dry.stdout, &dry.stderr, &run.stdout, &run.stderr] {
        assert!(!out.contains(SECRET), "the secret was printed:\n{out}");
    }

    // The listener: one rule at priority 1 forwarding as the default did, with the header.
    let after = rt.block_on(rules(&fx));
    assert_eq!(after.len(), 1, "{after:?}");
    let (priority, conditions, actions) = &after[0];
    assert_eq!(*priority, 1);
    assert_eq!(header_values(conditions), [SECRET]);
    assert_eq!(actions[0].target_group_arn(), Some(fx.tg_arn.as_str()));
    let default = rt.block_on(default_actions(&fx));
    let fixed = default[0]
        .fixed_response_config()
        .expect("a fixed response");
    assert_eq!(default[0].r#type(), Some(&ActionTypeEnum::FixedResponse));
    assert_eq!(fixed.status_code(), Some("403"));
    assert_eq!(fixed.content_type(), Some(DENY_CONTENT_TYPE));
    assert_eq!(fixed.message_body(), Some(DENY_BODY));

    // The security group: port 80 from CloudFront's prefix list only; port 22 untouched.
    let groups = rt
        .block_on(
            fx.ec2
                .describe_security_groups()
                .group_ids(&fx.sg_id)
                .send(),
        )
        .unwrap();
    let ingress = groups
        .security_groups
        .unwrap()
        .remove(0)
        .ip_permissions
        .unwrap();
    let lists = rt
        .block_on(
            fx.ec2
                .describe_managed_prefix_lists()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("prefix-list-name")
                        .values("com.amazonaws.global.cloudfront.origin-facing")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let cf = lists
        .prefix_lists
        .unwrap()
        .remove(0)
        .prefix_list_id
        .unwrap();
    let port = |p: i32| {
        ingress
            .iter()
            .filter(move |i| i.from_port == Some(p))
            .collect::<Vec<_>>()
    };
    assert!(port(80).iter().any(|i| {
        i.prefix_list_ids()
            .iter()
            .any(|l| l.prefix_list_id() == Some(cf.as_str()))
    }));
    assert!(
        port(80)
            .iter()
            .all(|i| i.ip_ranges().is_empty() && i.ipv6_ranges().is_empty()),
        "{ingress:?}"
    );
    assert!(
        port(22).iter().any(|i| i
            .ip_ranges()
            .iter()
            .any(|r| r.cidr_ip() == Some("0.0.0.0/0"))),
        "{ingress:?}"
    );

    // Re-run: nothing to do, no write call.
    moto.start_recording();
    let again = edgekit(&moto, &base);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.starts_with("unchanged:"), "{}", again.stdout);
    assert!(
        writes(&moto).is_empty(),
        "re-run wrote: {:?}",
        writes(&moto)
    );
}

fn path_condition(path: &str) -> RuleCondition {
    RuleCondition::builder()
        .field("path-pattern")
        .path_pattern_config(PathPatternConditionConfig::builder().values(path).build())
        .build()
}

#[test]
fn existing_rules_keep_their_priorities_and_gain_the_header() {
    let moto = Moto::start();
    let rt = runtime();
    let fx = rt.block_on(alb(&moto));
    let api_tg = rt
        .block_on(
            fx.elb
                .create_target_group()
                .name("api")
                .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
                .port(8080)
                .vpc_id(&fx.vpc_id)
                .send(),
        )
        .unwrap()
        .target_groups
        .unwrap()
        .remove(0)
        .target_group_arn
        .unwrap();
    let forward_api = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(&api_tg)
        .build();
    for (priority, path) in [(1, "/api/*"), (7, "/admin/*")] {
        rt.block_on(
            fx.elb
                .create_rule()
                .listener_arn(&fx.listener_arn)
                .priority(priority)
                .conditions(path_condition(path))
                .actions(forward_api.clone())
                .send(),
        )
        .unwrap();
    }
    let before = rt.block_on(rules(&fx));

    // --secret instead of a distribution; keep mode: the open security group is only reported.
    let args = [
        "alb",
        "protect",
        "--load-balancer",
        &fx.lb_arn,
        "--secret",
        SECRET,
        "--listener-port",
        "80",
    ];
    moto.start_recording();
    let run = edgekit(&moto, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut calls = writes(&moto);
    calls.sort();
    assert_eq!(
        calls,
        ["CreateRule", "ModifyListener", "ModifyRule", "ModifyRule"]
    );
    assert!(
        run.stderr.contains("still allows 0.0.0.0/0 on port 80"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET));

    let after = rt.block_on(rules(&fx));
    assert_eq!(
        after.iter().map(|r| r.0).collect::<Vec<_>>(),
        [1, 7, 8],
        "{after:?}"
    );
    for ((p0, c0, a0), (p1, c1, a1)) in before.iter().zip(&after) {
        assert_eq!(p0, p1);
        assert_eq!(a0, a1, "actions unchanged");
        assert_eq!(c1.len(), c0.len() + 1);
        assert_eq!(
            c1[0].path_pattern_config(),
            c0[0].path_pattern_config(),
            "path condition kept"
        );
        assert_eq!(header_values(c1), [SECRET]);
    }
    assert_eq!(
        after[2].2[0].target_group_arn(),
        Some(fx.tg_arn.as_str()),
        "the old default action"
    );
    assert_eq!(header_values(&after[2].1), [SECRET]);

    moto.start_recording();
    let again = edgekit(&moto, &args);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        writes(&moto).is_empty(),
        "re-run wrote: {:?}",
        writes(&moto)
    );
}

#[test]
fn protect_needs_a_secret_source() {
    let moto = Moto::start();
    let out = edgekit(&moto, &["alb", "protect", "--load-balancer", "app-alb"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("--secret-from-distribution"),
        "{}",
        out.stderr
    );
}
