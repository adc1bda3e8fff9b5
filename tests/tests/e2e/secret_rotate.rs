//! `edgekit secret rotate` against a real moto_server: the rotation is interrupted after each
//! step (hidden `--stop-after STEP`, which exits as an interruption would) and resumed from
//! the state read back from AWS; the exit codes say where it stopped; `--dry-run` writes
//! nothing; the distributions change in nothing but the header; the old and the new secret
//! are in no output or log line except the new one, once, in the run that made it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_cloudfront::types::DistributionConfig;
use edgekit_tests::alb_fixture::{
    HEADER, SECRET, alb, distributions, header_values, rules, runtime, writes,
};
use edgekit_tests::aws_cli::{CliRun, edgekit};
use edgekit_tests::moto::Moto;

fn origin_secrets(config: &DistributionConfig) -> Vec<String> {
    edgekit::plan::alb::distribution_secrets(config, HEADER)
}

/// The config with every origin-verify header value replaced by `value`.
fn with_secret(config: &DistributionConfig, value: &str) -> DistributionConfig {
    match edgekit::plan::alb::plan_header_secret(config, HEADER, value).unwrap() {
        edgekit::plan::associations::Plan::Change { config, .. } => *config,
        edgekit::plan::associations::Plan::Unchanged { .. } => config.clone(),
    }
}

fn json(run: &CliRun) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

#[test]
fn rotation_interrupted_after_each_step_resumes_without_downtime() {
    let moto = Moto::start();
    let rt = runtime();
    let fx = rt.block_on(alb(&moto));
    let ids = distributions(&moto, &fx);
    let protect = edgekit(
        &moto,
        &[
            "alb",
            "protect",
            "--load-balancer",
            "app-alb",
            "--secret-from-distribution",
            &ids[0],
            "--secret-from-distribution",
            &ids[1],
        ],
    );
    assert_eq!(protect.code, 0, "{}", protect.stderr);
    let cf = moto.cloudfront_client();
    let config = |id: &str| {
        rt.block_on(cf.get_distribution_config().id(id).send())
            .unwrap()
            .distribution_config
            .unwrap()
    };
    let before: Vec<_> = ids.iter().map(|id| config(id)).collect();
    let rotate = |extra: &[&str]| {
        let mut args = vec![
            "secret",
            "rotate",
            "--load-balancer",
            "app-alb",
            "--distribution",
            &ids[0],
            "--distribution",
            &ids[1],
            "--output",
            "json",
            "-vv",
        ];
        args.extend_from_slice(extra);
        moto.start_recording();
        let run = edgekit(&moto, &args);
        (run, writes(&moto))
    };
    let mut outputs = Vec::new();

    // Step 1 only: the ALB accepts both (a pending rule after the primary); exit 11.
    let (step1, calls) = rotate(&["--stop-after", "1"]);
    assert_eq!(step1.code, 11, "{}", step1.stderr);
    assert_eq!(calls, ["CreateRule"]);
    let report = json(&step1);
    let new = report["new_secret"]
        .as_str()
        .expect("the new secret, once")
        .to_owned();
    assert_eq!(report["resumed_from"], "idle");
    assert_eq!(step1.stdout.matches(&new).count(), 1, "shown once");
    assert!(!step1.stderr.contains(&new), "not in the log");
    let r = rt.block_on(rules(&fx));
    assert_eq!(
        (r[0].0, header_values(&r[0].1)),
        (1, vec![SECRET.to_owned()])
    );
    assert_eq!((r[1].0, header_values(&r[1].1)), (2, vec![new.clone()]));
    assert!(ids.iter().all(|id| origin_secrets(&config(id)) == [SECRET]));
    outputs.push(step1.stderr.clone());

    // The same step again: already there, nothing written, the secret not shown again.
    let (again, calls) = rotate(&["--stop-after", "1"]);
    assert_eq!(again.code, 11, "{}", again.stderr);
    assert!(calls.is_empty(), "{calls:?}");
    assert!(json(&again).get("new_secret").is_none());
    outputs.extend([again.stdout, again.stderr]);

    // Step 2: both distributions move to the new secret through If-Match; nothing else changes.
    let (step2, calls) = rotate(&["--stop-after", "2"]);
    assert_eq!(step2.code, 12, "{}", step2.stderr);
    assert_eq!(calls.len(), 2, "two UpdateDistribution: {calls:?}");
    assert!(
        calls
            .iter()
            .all(|c| c.starts_with("PUT ") && c.ends_with("/config")),
        "{calls:?}"
    );
    assert_eq!(json(&step2)["resumed_from"], "accepting");
    for (id, old) in ids.iter().zip(&before) {
        let now = config(id);
        assert_eq!(origin_secrets(&now), std::slice::from_ref(&new));
        assert_eq!(
            with_secret(&now, SECRET),
            *old,
            "only the header changed on {id}"
        );
    }
    outputs.extend([step2.stdout, step2.stderr]);

    // Dry run in the middle: the next ALB calls, masked, nothing written.
    let (dry, calls) = rotate(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(calls.is_empty(), "{calls:?}");
    assert!(
        dry.stdout.contains("\"DeleteRule\"") && dry.stdout.contains("\"****\""),
        "{}",
        dry.stdout
    );
    outputs.extend([dry.stdout, dry.stderr]);

    // Step 3: moto reports the distributions Deployed at once; exit 13, nothing written.
    let (step3, calls) = rotate(&["--stop-after", "3"]);
    assert_eq!(step3.code, 13, "{}", step3.stderr);
    assert!(calls.is_empty(), "{calls:?}");
    assert_eq!(json(&step3)["resumed_from"], "moved");
    outputs.extend([step3.stdout, step3.stderr]);

    // Step 4: the ALB accepts only the new secret; the pending rule is gone.
    let (done, calls) = rotate(&[]);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(calls, ["ModifyRule", "DeleteRule"]);
    let r = rt.block_on(rules(&fx));
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!((r[0].0, header_values(&r[0].1)), (1, vec![new.clone()]));
    outputs.extend([done.stdout, done.stderr, protect.stdout, protect.stderr]);

    for out in &outputs {
        assert!(!out.contains(SECRET), "old secret printed:\n{out}");
        assert!(!out.contains(&new), "new secret printed again:\n{out}");
    }
}

#[test]
fn rotate_refuses_an_unprotected_load_balancer() {
    let moto = Moto::start();
    let rt = runtime();
    let fx = rt.block_on(alb(&moto));
    let ids = distributions(&moto, &fx);
    moto.start_recording();
    let out = edgekit(
        &moto,
        &[
            "secret",
            "rotate",
            "--load-balancer",
            "app-alb",
            "--distribution",
            &ids[0],
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("edgekit alb protect"), "{}", out.stderr);
    assert!(writes(&moto).is_empty());
}
