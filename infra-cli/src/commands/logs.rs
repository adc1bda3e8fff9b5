//! `edgekit logs`: one stream of an edge function's logs from every region (merged by time,
//! `--follow` without repeats, `--failures` grouped by reason) and `edgekit logs retention`
//! (create the log group where missing and set its retention in every region).
use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::aws::logs::{self as cwl, Query, Read, RegionFailure};
use crate::cli::GlobalArgs;
use crate::functions::Function;
use crate::output::{OutputFormat, Progress, note, print_result, write_stdout};
use crate::plan::logs::{
    self as plan, FailureGroup, FunctionRef, LogEvent, RetentionAction, Runtime, Seen, Target,
};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct LogsArgs {
    #[command(subcommand)]
    pub command: Option<LogsCommand>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Create the function's log group where it is missing and set its retention, in every
    /// region with a regional edge cache (idempotent).
    Retention(RetentionArgs),
}

/// Where to look: regions, runtime, and how hard to try per region.
#[derive(Debug, Clone, Args)]
pub struct RegionArgs {
    /// `all` (every region enabled for the account: Lambda@Edge logs wherever it ran),
    /// `edge-caches` (the regions with a CloudFront regional edge cache, docs/logs.md) or a
    /// comma-separated list (us-east-1,eu-west-1).
    #[arg(long, default_value = "all")]
    pub regions: String,
    /// The function's runtime. `logs` looks for both a Lambda@Edge and a CloudFront
    /// Functions log group by default (whichever exists is the function's); `logs retention`
    /// manages Lambda@Edge groups unless told otherwise.
    #[arg(long, value_enum)]
    pub runtime: Option<Runtime>,
    /// Regions queried at the same time.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Give up on a region after this many seconds (it is reported; the others go on).
    #[arg(long, default_value_t = 30)]
    pub region_timeout: u64,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The function: a registry name (forwarded-proto), a Lambda@Edge function name or ARN,
    /// or a CloudFront Function name or ARN.
    #[arg(required = true)]
    pub function: Option<String>,
    /// Oldest event: a duration before now (15m, 2h, 1d, 1w) or an ISO time
    /// (2026-12-02T08:00:00Z).
    #[arg(long, default_value = "15m")]
    pub since: String,
    /// Newest event (same forms as --since); default now.
    #[arg(long, conflicts_with = "follow")]
    pub until: Option<String>,
    /// CloudWatch Logs filter pattern (e.g. `ERROR`, `"edgekit failure"`).
    #[arg(long)]
    pub filter: Option<String>,
    /// Keep polling for new events (with backoff) until interrupted; none is printed twice.
    #[arg(long)]
    pub follow: bool,
    /// Only edgekit's failure lines, grouped by reason with counts.
    #[arg(long, conflicts_with = "follow")]
    pub failures: bool,
    #[command(flatten)]
    pub where_: RegionArgs,
    /// Stop reading a region after this many events.
    #[arg(long, default_value_t = 10_000)]
    pub max_events: usize,
    /// Events per FilterLogEvents call (the service's default when absent).
    #[arg(long, hide = true)]
    pub page_size: Option<i32>,
    /// With --follow: stop after this many seconds (tests, scripts).
    #[arg(long, hide = true, requires = "follow")]
    pub follow_for: Option<u64>,
    /// With --follow: longest wait between polls, in seconds (the backoff's ceiling).
    #[arg(long, default_value_t = 10, requires = "follow")]
    pub poll_max: u64,
}

#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// The function (same forms as `edgekit logs`).
    pub function: String,
    /// Days to keep events (a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, ...).
    #[arg(long)]
    pub days: i32,
    /// Print what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub where_: RegionArgs,
}

/// Why `edgekit logs` could not answer.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LogsError {
    #[error("no log group for `{function}` in any of the {regions} regions searched")]
    #[diagnostic(help(
        "Lambda@Edge creates `/aws/lambda/us-east-1.<name>` in a region on the function's first run there; check the name (`edgekit logs edgekit-forwarded-proto`), --regions, or --runtime cloudfront-js-2.0 for a CloudFront Function"
    ))]
    NoLogGroup { function: String, regions: usize },
    #[error("every region failed ({count}); the first: {first}")]
    #[diagnostic(help(
        "check credentials and network (`aws sts get-caller-identity`), or narrow --regions"
    ))]
    AllRegionsFailed { count: usize, first: String },
    #[error("{count} region(s) failed; the others were done")]
    #[diagnostic(help("run the command again: regions already done are left unchanged"))]
    SomeRegionsFailed { count: usize },
}

pub async fn run(args: LogsArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    match args.command {
        Some(LogsCommand::Retention(retention)) => run_retention(retention, global).await,
        None => run_read(args.read, global).await,
    }
}

/// The function, its runtime (`--runtime` wins over what the input says) and the regions.
async fn resolve(
    input: &str,
    where_: &RegionArgs,
    global: &GlobalArgs,
) -> miette::Result<(FunctionRef, Vec<String>)> {
    let registry: Vec<&str> = Function::all().map(Function::name).collect();
    let mut function = plan::function_ref(input, &registry)?;
    if where_.runtime.is_some() {
        function.runtime = where_.runtime;
    }
    let regions = match plan::regions(&where_.regions)? {
        plan::Regions::List(regions) => regions,
        plan::Regions::Enabled => enabled_regions(global).await,
    };
    Ok((function, regions))
}

/// The account's enabled regions (DescribeRegions); the regional edge cache regions, with a
/// warning, when the call is refused (e.g. no `ec2:DescribeRegions`).
async fn enabled_regions(global: &GlobalArgs) -> Vec<String> {
    let config = crate::aws::sdk_config(&global.aws, Some(crate::aws::EDGE_REGION)).await;
    match crate::aws::ec2::enabled_regions(&aws_sdk_ec2::Client::new(&config)).await {
        Ok(regions) if !regions.is_empty() => regions,
        outcome => {
            if let Err(err) = outcome {
                note(&format!(
                    "warning: {err}; reading the regions with a regional edge cache instead (--regions to choose)"
                ));
            }
            plan::REGIONAL_EDGE_CACHE_REGIONS
                .iter()
                .map(|r| (*r).to_owned())
                .collect()
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What one pass over every target found.
struct Collected {
    events: Vec<LogEvent>,
    found: Vec<Target>,
    failed: Vec<RegionFailure>,
    truncated: Vec<Target>,
}

async fn collect(
    config: &SdkConfig,
    targets: &[Target],
    query: &Query,
    where_: &RegionArgs,
) -> Collected {
    let results = cwl::each_target(
        targets,
        usize::from(where_.parallel),
        Duration::from_secs(where_.region_timeout),
        |target| {
            let client = cwl::client(config, &target.region);
            let query = query.clone();
            async move { cwl::read_events(&client, &target, &query).await }
        },
    )
    .await;
    let mut collected = Collected {
        events: Vec::new(),
        found: Vec::new(),
        failed: Vec::new(),
        truncated: Vec::new(),
    };
    let mut per_region = Vec::new();
    for (target, outcome) in results {
        match outcome {
            Ok(Read::NoGroup) => {}
            Ok(Read::Events { events, truncated }) => {
                if truncated {
                    collected.truncated.push(target.clone());
                }
                collected.found.push(target);
                per_region.push(events);
            }
            Err(failure) => collected.failed.push(failure),
        }
    }
    collected.events = plan::merge(per_region);
    collected
}

fn summary(collected: &Collected, searched: usize) -> String {
    let found: Vec<String> = collected
        .found
        .iter()
        .map(|t| format!("{} {}", t.region, t.log_group))
        .collect();
    let mut line = format!(
        "{} event(s) from {} of {} log group(s) searched",
        collected.events.len(),
        collected.found.len(),
        searched
    );
    if !found.is_empty() {
        line.push_str(&format!(": {}", found.join(", ")));
    }
    line
}

fn warn_failures(failed: &[RegionFailure]) {
    for failure in failed {
        note(&format!(
            "warning: {} ({}): {}",
            failure.region, failure.log_group, failure.error
        ));
    }
}

fn warn_truncated(truncated: &[Target], max: usize) {
    for target in truncated {
        note(&format!(
            "warning: {}: more than {max} events; showing the first {max} (narrow --since/--filter or raise --max-events)",
            target.region
        ));
    }
}

/// Fails when nothing could be read at all; a region that failed beside others that
/// answered is only a warning.
fn check_reach(
    collected: &Collected,
    targets: &[Target],
    function: &FunctionRef,
) -> Result<(), LogsError> {
    if let (true, Some(first)) = (collected.found.is_empty(), collected.failed.first())
        && collected.failed.len() == targets.len()
    {
        return Err(LogsError::AllRegionsFailed {
            count: collected.failed.len(),
            first: format!("{}: {}", first.region, first.error),
        });
    }
    if collected.found.is_empty() && collected.failed.is_empty() {
        let regions: std::collections::BTreeSet<&str> =
            targets.iter().map(|t| t.region.as_str()).collect();
        return Err(LogsError::NoLogGroup {
            function: function.name.clone(),
            regions: regions.len(),
        });
    }
    Ok(())
}

async fn run_read(args: ReadArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let input = args.function.as_deref().unwrap_or_default();
    let (function, regions) = resolve(input, &args.where_, global).await?;
    let targets = plan::targets(&function, &regions);
    let now = now_ms();
    let start_ms = plan::parse_time(&args.since, now)?;
    let end_ms = args
        .until
        .as_deref()
        .map(|until| plan::parse_time(until, now))
        .transpose()?;
    // Failure lines all carry the word `edgekit`: let the service drop the rest.
    let filter_pattern = args
        .filter
        .clone()
        .or_else(|| args.failures.then(|| "edgekit".to_owned()));
    let query = Query {
        start_ms,
        end_ms,
        filter_pattern,
        page_size: args.page_size,
        max_events: args.max_events,
    };
    let config = crate::aws::sdk_config(&global.aws, Some(crate::aws::EDGE_REGION)).await;
    if args.follow {
        return follow(&config, &targets, query, &args, global.output).await;
    }
    let progress = Progress::start(format!(
        "reading {} log group(s) of {} in {} region(s)",
        targets.len(),
        function.name,
        targets
            .iter()
            .map(|t| &t.region)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    ));
    let collected = collect(&config, &targets, &query, &args.where_).await;
    progress.finish(summary(&collected, targets.len()));
    warn_failures(&collected.failed);
    warn_truncated(&collected.truncated, args.max_events);
    check_reach(&collected, &targets, &function)?;
    if args.failures {
        print_failures(&function, &collected, global.output);
    } else {
        print_events(&collected.events, global.output);
    }
    Ok(ExitCode::SUCCESS)
}

/// One event as `--output json` prints it (one JSON object per line).
#[derive(Serialize)]
struct EventLine<'a> {
    time: String,
    timestamp: i64,
    region: &'a str,
    log_group: &'a str,
    log_stream: &'a str,
    event_id: &'a str,
    request_id: Option<String>,
    message: &'a str,
}

/// `time region request-id message`, or JSON lines; continuation lines of a multi-line
/// message (stack traces) are indented so each event still starts with its time.
fn render_events(events: &[LogEvent], format: OutputFormat) -> String {
    let mut out = String::new();
    for event in events {
        let (request_id, text) = plan::split_request_id(&event.message);
        let line = match format {
            OutputFormat::Json => serde_json::to_string(&EventLine {
                time: plan::format_time(event.timestamp),
                timestamp: event.timestamp,
                region: &event.region,
                log_group: &event.log_group,
                log_stream: &event.log_stream,
                event_id: &event.event_id,
                request_id,
                message: event.message.trim_end(),
            })
            .unwrap_or_default(),
            OutputFormat::Text => format!(
                "{} {} {} {}",
                plan::format_time(event.timestamp),
                event.region,
                request_id.as_deref().unwrap_or("-"),
                // Tabs (Lambda's prefixes, REPORT lines) as spaces: columns stay readable.
                text.replace('\t', " ").replace('\n', "\n    ")
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn print_events(events: &[LogEvent], format: OutputFormat) {
    if let Err(err) = write_stdout(&render_events(events, format)) {
        note(&format!("error: could not write the events: {err}"));
    }
}

#[derive(Serialize)]
struct FailureReport<'a> {
    function: &'a str,
    events_scanned: usize,
    failures: Vec<FailureGroup>,
}

fn print_failures(function: &FunctionRef, collected: &Collected, format: OutputFormat) {
    let report = FailureReport {
        function: &function.name,
        events_scanned: collected.events.len(),
        failures: plan::group_failures(&collected.events),
    };
    print_result(format, &report, |r| {
        if r.failures.is_empty() {
            return format!(
                "no edgekit failure lines among {} event(s)",
                r.events_scanned
            );
        }
        let mut text =
            String::from("COUNT FUNCTION KIND REASON (regions; first..last; request ids)\n");
        for g in &r.failures {
            text.push_str(&format!(
                "{} {} {} {} ({}; {}..{}; {})\n",
                g.count,
                g.function,
                g.kind.as_str().replace(' ', "-"),
                g.reason,
                g.regions.iter().cloned().collect::<Vec<_>>().join(","),
                g.first,
                g.last,
                if g.request_ids.is_empty() {
                    "-".to_owned()
                } else {
                    g.request_ids.join(",")
                }
            ));
        }
        text
    });
}

/// Polls every target until interrupted (or `--follow-for`), printing each event once.
async fn follow(
    config: &SdkConfig,
    targets: &[Target],
    mut query: Query,
    args: &ReadArgs,
    format: OutputFormat,
) -> miette::Result<ExitCode> {
    const MIN_WAIT_MS: u64 = 1_000;
    let max_wait_ms = args.poll_max.max(1).saturating_mul(1000);
    let deadline = args
        .follow_for
        .map(|secs| Instant::now() + Duration::from_secs(secs));
    let since = query.start_ms;
    let mut seen = Seen::default();
    let mut wait_ms = MIN_WAIT_MS;
    // A region's failure is told when it starts and when it changes, not on every poll.
    let mut told: HashMap<String, String> = HashMap::new();
    note(&format!(
        "following {} log group(s) (Ctrl-C to stop)",
        targets.len()
    ));
    loop {
        query.start_ms = seen.next_start(since);
        let collected = collect(config, targets, &query, &args.where_).await;
        for failure in &collected.failed {
            let key = format!("{} {}", failure.region, failure.log_group);
            if told.get(&key) != Some(&failure.error) {
                warn_failures(std::slice::from_ref(failure));
                told.insert(key, failure.error.clone());
            }
        }
        let fresh = seen.admit(collected.events);
        print_events(&fresh, format);
        wait_ms = plan::next_backoff(wait_ms, !fresh.is_empty(), MIN_WAIT_MS, max_wait_ms);
        let mut pause = Duration::from_millis(wait_ms);
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(ExitCode::SUCCESS);
            }
            pause = pause.min(left);
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        }
    }
}

/// One region's line of `logs retention`.
#[derive(Debug, Serialize)]
struct RetentionLine {
    region: String,
    log_group: String,
    #[serde(flatten)]
    action: RetentionAction,
    /// The change was made (false under --dry-run and for unchanged groups).
    applied: bool,
}

#[derive(Debug, Serialize)]
struct RetentionReport {
    days: i32,
    dry_run: bool,
    regions: Vec<RetentionLine>,
    failed: Vec<RegionFailure>,
}

/// The groups `logs retention` manages: Lambda@Edge's in every region unless the function is
/// a CloudFront Function (its one group in us-east-1). A group is never created for the
/// runtime the function does not have.
fn retention_targets(function: &FunctionRef, regions: &[String]) -> Vec<Target> {
    let kind = FunctionRef {
        runtime: Some(function.runtime.unwrap_or(Runtime::LambdaEdge)),
        ..function.clone()
    };
    plan::targets(&kind, regions)
}

async fn run_retention(args: RetentionArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let days = plan::check_retention_days(args.days)?;
    let (function, regions) = resolve(&args.function, &args.where_, global).await?;
    let targets = retention_targets(&function, &regions);
    let config = crate::aws::sdk_config(&global.aws, Some(crate::aws::EDGE_REGION)).await;
    let parallel = usize::from(args.where_.parallel);
    let timeout = Duration::from_secs(args.where_.region_timeout);
    let progress = Progress::start(format!(
        "reading the retention of {} log group(s)",
        targets.len()
    ));
    let states = cwl::each_target(&targets, parallel, timeout, |target| {
        let client = cwl::client(&config, &target.region);
        async move { cwl::group_state(&client, &target).await }
    })
    .await;
    let mut failed = Vec::new();
    let mut planned = Vec::new();
    for (target, state) in states {
        match state {
            Ok(state) => planned.push((target, plan::plan_retention(state, days))),
            Err(failure) => failed.push(failure),
        }
    }
    let to_apply: Vec<Target> = planned
        .iter()
        .filter(|(_, action)| action.writes() && !args.dry_run)
        .map(|(target, _)| target.clone())
        .collect();
    let creates: HashMap<Target, bool> = planned
        .iter()
        .map(|(t, a)| (t.clone(), matches!(a, RetentionAction::Create)))
        .collect();
    if !args.dry_run {
        progress.update(format!("changing {} log group(s)", to_apply.len()));
    }
    let applied = cwl::each_target(&to_apply, parallel, timeout, |target| {
        let client = cwl::client(&config, &target.region);
        let create = creates.get(&target).copied().unwrap_or(false);
        async move {
            if create {
                cwl::create_group(&client, &target).await?;
            }
            cwl::put_retention(&client, &target, days).await
        }
    })
    .await;
    let mut done = std::collections::HashSet::new();
    for (target, outcome) in applied {
        match outcome {
            Ok(()) => {
                done.insert(target);
            }
            Err(failure) => failed.push(failure),
        }
    }
    progress.finish(format!(
        "{} log group(s): {} changed, {} failed{}",
        targets.len(),
        done.len(),
        failed.len(),
        if args.dry_run { " (dry run)" } else { "" }
    ));
    let report = RetentionReport {
        days,
        dry_run: args.dry_run,
        regions: planned
            .into_iter()
            .map(|(target, action)| RetentionLine {
                applied: done.contains(&target),
                region: target.region,
                log_group: target.log_group,
                action,
            })
            .collect(),
        failed,
    };
    print_result(global.output, &report, render_retention);
    warn_failures(&report.failed);
    if report.failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(LogsError::SomeRegionsFailed {
            count: report.failed.len(),
        }
        .into())
    }
}

fn days_text(days: Option<i32>) -> String {
    days.map_or_else(|| "never expire".to_owned(), |d| format!("{d} days"))
}

fn render_retention(report: &RetentionReport) -> String {
    let would = if report.dry_run { "would " } else { "" };
    let mut text = String::new();
    for line in &report.regions {
        let what = match line.action {
            RetentionAction::Create => {
                format!("{would}create, retention {}", days_text(Some(report.days)))
            }
            RetentionAction::Update { from } => format!(
                "{would}set retention {} -> {}",
                days_text(from),
                days_text(Some(report.days))
            ),
            RetentionAction::Unchanged => {
                format!("unchanged, retention {}", days_text(Some(report.days)))
            }
        };
        let failed = line.action.writes() && !report.dry_run && !line.applied;
        text.push_str(&format!(
            "{} {} {what}{}\n",
            line.region,
            line.log_group,
            if failed { " (FAILED)" } else { "" }
        ));
    }
    for failure in &report.failed {
        if !report.regions.iter().any(|l| l.region == failure.region) {
            text.push_str(&format!(
                "{} {} FAILED: {}\n",
                failure.region, failure.log_group, failure.error
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn event(ts: i64, region: &str, message: &str) -> LogEvent {
        LogEvent {
            timestamp: ts,
            region: region.into(),
            log_group: "/aws/lambda/us-east-1.f".into(),
            log_stream: "2026/12/02/[3]abc".into(),
            event_id: "1".into(),
            message: message.into(),
        }
    }

    #[test]
    fn text_lines_are_time_region_request_id_message() {
        let events = [
            event(
                1_796_198_400_000,
                "eu-west-1",
                "2026-12-02T08:00:00.000Z\t3f1c2d4e-aaaa-bbbb-cccc-0123456789ab\tERROR\tboom\n    at x\n",
            ),
            event(1_796_198_400_001, "us-east-1", "plain line\n"),
        ];
        let text = render_events(&events, OutputFormat::Text);
        assert_eq!(
            text,
            "2026-12-02T08:00:00.000Z eu-west-1 3f1c2d4e-aaaa-bbbb-cccc-0123456789ab ERROR boom\n        at x\n\
             2026-12-02T08:00:00.001Z us-east-1 - plain line\n"
        );
        let json = render_events(&events[1..], OutputFormat::Json);
        let value: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        assert_eq!(value["region"], "us-east-1");
        assert_eq!(value["message"], "plain line");
        assert_eq!(value["time"], "2026-12-02T08:00:00.001Z");
    }

    #[test]
    fn retention_never_creates_the_other_runtime_group() {
        let regions = vec!["us-east-1".to_owned(), "eu-west-1".to_owned()];
        let lambda = FunctionRef {
            name: "f".into(),
            runtime: None,
        };
        let targets = retention_targets(&lambda, &regions);
        assert!(
            targets
                .iter()
                .all(|t| t.log_group.starts_with("/aws/lambda/"))
        );
        let cff = FunctionRef {
            runtime: Some(Runtime::CloudfrontJs2),
            ..lambda
        };
        assert_eq!(retention_targets(&cff, &regions).len(), 1);
    }
}
