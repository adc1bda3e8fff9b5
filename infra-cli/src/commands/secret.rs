//! `edgekit secret rotate`: a new origin-verify secret without downtime, resumable after any
//! step because every step's state is read back from AWS (nothing is kept locally).
//!
//! Order: (1) the listeners accept the old and the new secret (a pending rule for the new
//! one), (2) every distribution's custom origin header moves to the new secret
//! (GetDistributionConfig / UpdateDistribution with If-Match), (3) wait until the
//! distributions are deployed, (4) the listeners accept only the new secret.
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::Value;

use super::alb::{secrets_from, select_listeners};
use crate::aws::{cloudfront, elbv2};
use crate::cli::GlobalArgs;
use crate::output::{Progress, note, print_result};
use crate::plan::alb::{
    AlbWrite, ListenerState, MASK, Phase, plan_header_secret, plan_listener, rotation_phase,
};
use crate::plan::distribution::{ORIGIN_VERIFY_HEADER, generate_origin_verify_secret};

/// The exit codes of `secret rotate` (in its --help).
const EXIT_AFTER_STEP: u8 = 10;

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Rotate the origin-verify secret of the distributions and the ALB without downtime.
    ///
    /// Steps: (1) the ALB rules accept the old and the new secret, (2) every distribution's
    /// custom origin header moves to the new secret, (3) wait until the distributions are
    /// deployed, (4) the ALB rules accept only the new secret. Run it again after any
    /// interruption: it reads where it stopped from AWS and continues.
    ///
    /// The new secret is printed on stdout once, by the run that generates it (step 1); it
    /// is never shown again (it lives only in the distributions and the listener rules).
    #[command(
        after_long_help = "Exit codes:\n  0   rotation complete: the ALB accepts only the new secret\n  1   \
        stopped before step 1 completed (run again: it resumes)\n  11  stopped after step 1: the ALB accepts \
        both secrets, distributions still send the old one\n  12  stopped after step 2: distributions send the new \
        secret (maybe not deployed yet); the ALB accepts both\n  13  stopped after step 3: deployed; the ALB still \
        accepts both\n  2   invalid arguments\nRun the same command again to resume from 11, 12 or 13."
    )]
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Distribution whose custom origin header carries the secret (repeatable; all of those
    /// that front the load balancer).
    #[arg(long = "distribution", required = true)]
    pub distributions: Vec<String>,
    /// Load balancer name or ARN.
    #[arg(long)]
    pub load_balancer: String,
    /// Only these listener ports (default: every listener).
    #[arg(long = "listener-port")]
    pub listener_ports: Vec<i32>,
    /// Name of the custom origin header carrying the secret.
    #[arg(long, default_value = ORIGIN_VERIFY_HEADER)]
    pub header: String,
    /// Give up waiting for the deployment (step 3) after this many seconds.
    #[arg(long, default_value_t = 1800)]
    pub wait_timeout: u64,
    /// Print the next step's calls (secrets masked) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop after this step (1-3), as an interruption would (for tests and careful rollouts).
    #[arg(long, hide = true, value_parser = clap::value_parser!(u8).range(1..=3))]
    pub stop_after: Option<u8>,
}

/// The result of a rotate run.
#[derive(Debug, Serialize)]
pub struct RotateReport {
    pub load_balancer: String,
    /// The phase read from AWS at the start: idle | accepting | moved.
    pub resumed_from: &'static str,
    /// Steps this run completed.
    pub steps: Vec<u8>,
    /// The last completed step of the rotation (4 = done).
    pub completed_step: u8,
    pub dry_run: bool,
    /// `--dry-run`: the next calls (secrets masked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub writes: Vec<Value>,
    /// Only in the run that generated it: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_secret: Option<String>,
}

pub async fn run(cmd: SecretCommand, global: &GlobalArgs) -> miette::Result<ExitCode> {
    match cmd {
        SecretCommand::Rotate(args) => rotate(args, global).await,
    }
}

fn phase_name(phase: &Phase) -> &'static str {
    match phase {
        Phase::Idle { .. } => "idle",
        Phase::Accepting { .. } => "accepting",
        Phase::Moved { .. } => "moved",
    }
}

/// What a run knows while it goes: read once, then carried from step to step.
struct Rotation<'a> {
    args: &'a RotateArgs,
    global: &'a GlobalArgs,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    lb_arn: String,
    report: RotateReport,
}

async fn rotate(args: RotateArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let elb = elbv2::client(&global.aws).await;
    let lb = elbv2::find_load_balancer(&elb, &args.load_balancer).await?;
    let listeners = select_listeners(elbv2::listeners(&elb, &lb.arn).await?, &args.listener_ports)?;
    let sent: Vec<String> = secrets_from(global, &args.distributions, &args.header)
        .await?
        .into_iter()
        .flat_map(|(_, v)| v)
        .collect();
    let phase = rotation_phase(&listeners, &args.header, &sent)?;
    let completed = match phase {
        Phase::Idle { .. } => 0,
        Phase::Accepting { .. } => 1,
        Phase::Moved { .. } => 2,
    };
    tracing::debug!(phase = phase_name(&phase), "rotation state read from AWS");
    let mut rotation = Rotation {
        args: &args,
        global,
        elb,
        lb_arn: lb.arn,
        report: RotateReport {
            load_balancer: lb.name,
            resumed_from: phase_name(&phase),
            steps: Vec::new(),
            completed_step: completed,
            dry_run: args.dry_run,
            writes: Vec::new(),
            new_secret: None,
        },
    };
    if args.dry_run {
        rotation.dry_run(&phase, &listeners)?;
        print_report(global, &rotation.report);
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = rotation.run_steps(phase).await;
    print_report(global, &rotation.report);
    let code = match outcome {
        Ok(()) if rotation.report.completed_step == 4 => 0,
        Ok(()) => EXIT_AFTER_STEP + rotation.report.completed_step,
        Err(report) => {
            note(&format!("{report:?}"));
            match rotation.report.completed_step {
                0 => 1,
                step => EXIT_AFTER_STEP + step,
            }
        }
    };
    Ok(ExitCode::from(code))
}

impl Rotation<'_> {
    /// Runs the steps from `phase` on, stopping after `--stop-after`.
    async fn run_steps(&mut self, phase: Phase) -> miette::Result<()> {
        let (old, new) = match phase {
            Phase::Idle { current } => {
                let new = generate_origin_verify_secret();
                self.alb_step(
                    &Phase::Idle {
                        current: current.clone(),
                    },
                    Some(&new),
                )
                .await?;
                // Shown once, by the run that made it; kept in the report printed at the end.
                self.report.new_secret = Some(new.clone());
                self.done(1);
                (current, new)
            }
            Phase::Accepting { old, new } | Phase::Moved { old, new } => (old, new),
        };
        if self.stopped(1) {
            return Ok(());
        }
        if self.report.completed_step < 2 {
            let accepting = Phase::Accepting {
                old: old.clone(),
                new: new.clone(),
            };
            // Completes a step 1 that was interrupted half-way (usually writes nothing).
            self.alb_step(&accepting, None).await?;
            self.move_distributions(&new).await?;
            self.done(2);
        }
        if self.stopped(2) {
            return Ok(());
        }
        self.wait_deployed().await?;
        self.done(3);
        if self.stopped(3) {
            return Ok(());
        }
        self.alb_step(&Phase::Moved { old, new }, None).await?;
        self.done(4);
        Ok(())
    }

    fn done(&mut self, step: u8) {
        self.report.steps.push(step);
        self.report.completed_step = step;
        note(&format!("step {step} done: {}", step_text(step)));
    }

    fn stopped(&self, step: u8) -> bool {
        self.args.stop_after == Some(step) && self.report.completed_step == step
    }

    /// Re-reads the listeners and writes what the phase's ALB target needs.
    async fn alb_step(&self, phase: &Phase, new: Option<&str>) -> miette::Result<()> {
        let listeners = select_listeners(
            elbv2::listeners(&self.elb, &self.lb_arn).await?,
            &self.args.listener_ports,
        )?;
        let writes = plan_alb(phase, new, &listeners, &self.args.header)?;
        elbv2::apply(&self.elb, &writes).await?;
        Ok(())
    }

    async fn move_distributions(&self, new: &str) -> miette::Result<()> {
        let client = cloudfront::client(&self.global.aws).await;
        for id in &self.args.distributions {
            let outcome = cloudfront::apply_plan(&client, id, false, |config| {
                plan_header_secret(config, &self.args.header, new)
            })
            .await?;
            tracing::debug!(distribution = id.as_str(), outcome = ?outcome_name(&outcome), "custom origin header");
        }
        Ok(())
    }

    async fn wait_deployed(&self) -> miette::Result<()> {
        let client = cloudfront::client(&self.global.aws).await;
        for id in &self.args.distributions {
            let progress = Progress::start(format!(
                "step 3: waiting for distribution {id} to be deployed (up to {} s)",
                self.args.wait_timeout
            ));
            cloudfront::wait_deployed(&client, id, Duration::from_secs(self.args.wait_timeout))
                .await?;
            progress.finish(format!("distribution {id} is deployed"));
        }
        Ok(())
    }

    /// The next ALB step's calls, secrets masked (a placeholder stands for the new secret).
    fn dry_run(&mut self, phase: &Phase, listeners: &[ListenerState]) -> miette::Result<()> {
        let placeholder = "x".repeat(43);
        let next = match phase {
            Phase::Idle { .. } => {
                plan_alb(phase, Some(&placeholder), listeners, &self.args.header)?
            }
            Phase::Accepting { .. } => plan_alb(phase, None, listeners, &self.args.header)?,
            Phase::Moved { .. } => plan_alb(phase, None, listeners, &self.args.header)?,
        };
        self.report.writes = next.iter().map(|w| w.to_json(&self.args.header)).collect();
        Ok(())
    }
}

fn outcome_name(outcome: &cloudfront::ApplyOutcome) -> &'static str {
    match outcome {
        cloudfront::ApplyOutcome::Unchanged { .. } => "unchanged",
        cloudfront::ApplyOutcome::DryRun { .. } => "dry-run",
        cloudfront::ApplyOutcome::Updated { .. } => "updated",
    }
}

fn plan_alb(
    phase: &Phase,
    new: Option<&str>,
    listeners: &[ListenerState],
    header: &str,
) -> miette::Result<Vec<AlbWrite>> {
    let Some(target) = phase.alb_target(header, new) else {
        return Ok(Vec::new());
    };
    let mut writes = Vec::new();
    for listener in listeners {
        writes.extend(plan_listener(listener, &target)?);
    }
    Ok(writes)
}

fn step_text(step: u8) -> &'static str {
    match step {
        1 => "the ALB accepts the old and the new secret",
        2 => "every distribution sends the new secret",
        3 => "the distributions are deployed",
        _ => "the ALB accepts only the new secret",
    }
}

fn print_report(global: &GlobalArgs, report: &RotateReport) {
    print_result(global.output, report, |r| {
        let mut text = String::new();
        if r.dry_run {
            text.push_str(&format!(
                "dry run, nothing written: rotation is {}; the next step's calls (secrets shown as {MASK}):\n",
                r.resumed_from
            ));
            for write in &r.writes {
                text.push_str(&serde_json::to_string_pretty(write).unwrap_or_default());
                text.push('\n');
            }
            return text;
        }
        text.push_str(&format!(
            "{}: rotation {} (steps done this run: {:?}; last completed step: {})\n",
            r.load_balancer,
            if r.completed_step == 4 {
                "complete"
            } else {
                "stopped"
            },
            r.steps,
            r.completed_step
        ));
        if let Some(secret) = &r.new_secret {
            text.push_str(&format!(
                "new origin-verify secret (shown this once; it is not stored anywhere else by edgekit): {secret}\n"
            ));
        }
        text
    });
}
