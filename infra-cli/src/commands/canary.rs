//! `edgekit canary run|install`: the probe engine from the CLI, and its schedule and alarms.
use std::path::PathBuf;
use std::process::ExitCode;

use alb_canary::{ProbeResult, Summary};
use clap::{Args, Subcommand};
use miette::IntoDiagnostic;
use serde::Serialize;

use crate::aws::canary::apply_install;
use crate::cli::GlobalArgs;
use crate::output::{OutputFormat, Progress, note, print_result};
use crate::plan::canary::{DEFAULT_SCHEDULE, InstallRequest, plan_install};

#[derive(Debug, Subcommand)]
pub enum CanaryCommand {
    /// Probe the targets once and print the classification (exit code 1 when any failed).
    Run(RunArgs),
    /// Create the schedule rule, its target, the Lambda permission and the alarms (idempotent).
    Install(InstallArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Targets file: {"targets": [{"name", "url", ...}]}.
    #[arg(long)]
    pub targets: PathBuf,
    /// Also write the CloudWatch EMF lines the Lambda would log, on stderr.
    #[arg(long)]
    pub emf: bool,
}

#[derive(Debug, Clone, Args)]
pub struct InstallArgs {
    /// ARN of the deployed canary function (its region is where the rule and alarms go).
    #[arg(long)]
    pub function_arn: String,
    /// Targets file; it becomes the input of the scheduled invocation.
    #[arg(long)]
    pub targets: PathBuf,
    /// EventBridge schedule expression.
    #[arg(long, default_value = DEFAULT_SCHEDULE)]
    pub schedule: String,
    /// CloudFront distribution id: also alarm on its 5xxErrorRate (us-east-1, Region=Global).
    #[arg(long)]
    pub distribution: Option<String>,
    /// ALB ARN suffix (app/NAME/ID): also alarm on HTTPCode_ELB_502_Count and HTTPCode_Target_5XX_Count.
    #[arg(long)]
    pub alb_arn_suffix: Option<String>,
    /// SNS topic for alarm (and OK) actions.
    #[arg(long)]
    pub sns_topic_arn: Option<String>,
    /// Rule name (default edgekit-canary-<function name>).
    #[arg(long)]
    pub rule_name: Option<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(cmd: CanaryCommand, global: &GlobalArgs) -> miette::Result<ExitCode> {
    match cmd {
        CanaryCommand::Run(args) => run_once(args, global).await,
        CanaryCommand::Install(args) => install(args, global).await,
    }
}

/// The `--output json` shape of `canary run` (a stable interface).
#[derive(Debug, Serialize)]
struct RunOutput<'a> {
    results: &'a [ProbeResult],
}

async fn run_once(args: RunArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let config = alb_canary::config::load_file(&args.targets).into_diagnostic()?;
    let results = alb_canary::probe_all(&config).await.into_diagnostic()?;
    if args.emf {
        // Locked only after the probes: stderr also carries the logs.
        alb_canary::write_emf(&results, config.namespace(), &mut std::io::stderr().lock())
            .into_diagnostic()?;
    }
    let summary = Summary::new(results);
    print_result(
        global.output,
        &RunOutput {
            results: &summary.results,
        },
        |out| render_table(out.results),
    );
    if global.output == OutputFormat::Text {
        note(&format!(
            "{} of {} targets failed",
            summary.failed, summary.total
        ));
    }
    Ok(if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A plain table: name, path, class, source, status, latency, detail.
pub fn render_table(results: &[ProbeResult]) -> String {
    let rows: Vec<[String; 7]> = results
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.path.as_str().to_owned(),
                r.class.as_str().to_owned(),
                r.source.map_or("-".to_owned(), |s| s.as_str().to_owned()),
                r.status.map_or("-".to_owned(), |s| s.to_string()),
                format!("{} ms", r.latency_ms),
                r.detail.clone(),
            ]
        })
        .collect();
    let header = [
        "NAME", "PATH", "CLASS", "SOURCE", "STATUS", "LATENCY", "DETAIL",
    ]
    .map(str::to_owned);
    let mut widths = [0usize; 7];
    for row in std::iter::once(&header).chain(rows.iter()) {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths.iter())
            .enumerate()
            .map(|(i, (cell, w))| {
                if i == 6 {
                    cell.clone()
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

async fn install(args: InstallArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let config = alb_canary::config::load_file(&args.targets).into_diagnostic()?;
    let request = InstallRequest {
        function_arn: args.function_arn.clone(),
        config,
        schedule: args.schedule,
        rule_name: args.rule_name,
        distribution_id: args.distribution,
        alb_arn_suffix: args.alb_arn_suffix,
        sns_topic_arn: args.sns_topic_arn,
    };
    let plan = plan_install(&request).into_diagnostic()?;
    if args.dry_run {
        print_result(global.output, &plan, |plan| {
            let mut text = format!(
                "would put rule {} ({}) in {} -> {} with targets [{}]\nwould allow {} to invoke it ({})\n",
                plan.rule.name,
                plan.rule.schedule_expression,
                plan.region,
                plan.function_arn,
                plan.target.input_targets.join(", "),
                plan.permission.principal,
                plan.permission.statement_id
            );
            for alarm in &plan.alarms {
                text.push_str(&format!(
                    "would put alarm {}: {}\n",
                    alarm.name, alarm.description
                ));
            }
            text
        });
        return Ok(ExitCode::SUCCESS);
    }
    let progress = Progress::start(format!("installing the canary schedule in {}", plan.region));
    // The plan's region is the function ARN's: the rule, permission and canary alarms go there.
    let regional = crate::aws::sdk_config(&global.aws, Some(&plan.region)).await;
    let us_east_1 = crate::aws::sdk_config(&global.aws, Some(crate::aws::EDGE_REGION)).await;
    let outcome = apply_install(&plan, &regional, &us_east_1).await?;
    progress.finish(format!(
        "rule {} installed with {} alarms",
        plan.rule.name,
        outcome.alarms.len()
    ));
    print_result(global.output, &outcome, |o| {
        format!(
            "rule: {}\ntarget: {}\npermission: {}\nalarms:\n{}",
            o.rule_arn,
            o.target_id,
            o.permission,
            o.alarms
                .iter()
                .map(|a| format!("  {a}\n"))
                .collect::<String>()
        )
    });
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn table_has_a_header_and_a_row_per_result() {
        let result = ProbeResult {
            name: "registry".into(),
            class: alb_canary::Class::Http5xx,
            source: Some(alb_canary::Source::Alb),
            status: Some(502),
            latency_ms: 12,
            detail: "502 from alb".into(),
            path: alb_canary::ProbePath::Origin,
            tls_days_left: None,
            attempts: 3,
            signature: None,
            location: None,
            cf_pop: None,
            cf_id: None,
        };
        let table = render_table(&[result]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("NAME"));
        assert!(
            lines[1].contains("http-5xx")
                && lines[1].contains("alb")
                && lines[1].contains("502 from alb")
        );
    }
}
