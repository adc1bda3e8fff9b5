//! Pure planning for `edgekit logs`: which log groups in which regions hold an edge
//! function's logs, `--since`/`--until` times, merging events of every region by time,
//! never printing an event twice under `--follow`, reading edgekit's failure lines, and the
//! retention plan per region. No I/O here; the calls live in [`crate::aws::logs`].
use std::collections::{BTreeMap, BTreeSet, HashSet};

use aws_sdk_cloudwatchlogs::primitives::{DateTime, DateTimeFormat};
use serde::Serialize;

use super::PlanError;

/// The AWS Regions with a CloudFront regional edge cache: Lambda@Edge runs there and writes
/// its logs to the region "closest to the location where the function receives traffic"
/// [CloudFront Developer Guide, "Edge function logs"; list as of 22 Aug 2022 from Gruntwork's
/// "Multiregional Log groups for Lambda Edge" module docs, the same regions AWS lists under
/// "Use Amazon CloudFront Origin Shield"]. `--regions` overrides it when AWS adds one.
/// docs/logs.md has the list with its sources.
pub const REGIONAL_EDGE_CACHE_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "sa-east-1",
];

/// CloudFront Functions write every log line to one group in us-east-1, wherever they ran.
/// [CloudFront Developer Guide, "Edge function logs", section "CloudFront Functions logs"]
pub const CLOUDFRONT_FUNCTIONS_REGION: &str = "us-east-1";

/// The retention values CloudWatch Logs accepts. [CloudWatch Logs API Reference,
/// "PutRetentionPolicy", retentionInDays]
pub const RETENTION_DAYS: &[i32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Which kind of edge function writes the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    /// Lambda@Edge: `/aws/lambda/us-east-1.<name>` in every region it ran in.
    #[value(name = "lambda-edge")]
    LambdaEdge,
    /// CloudFront Functions (cloudfront-js-1.0): `/aws/cloudfront/function/<name>`, us-east-1.
    #[value(name = "cloudfront-js-1.0")]
    CloudfrontJs1,
    /// CloudFront Functions (cloudfront-js-2.0): `/aws/cloudfront/function/<name>`, us-east-1.
    #[value(name = "cloudfront-js-2.0")]
    CloudfrontJs2,
}

impl Runtime {
    fn is_cloudfront_function(self) -> bool {
        matches!(self, Self::CloudfrontJs1 | Self::CloudfrontJs2)
    }
}

/// The function a user named: a registry name, a Lambda name or ARN, or a CloudFront
/// Function ARN, resolved to the name in its log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    pub name: String,
    /// Known from the input (a CloudFront Function ARN), else `None`: detect.
    pub runtime: Option<Runtime>,
}

/// Resolves `input`: `arn:aws:lambda:us-east-1:<acct>:function:<name>[:<version>]`,
/// `arn:aws:cloudfront::<acct>:function/<name>`, a registry name (`forwarded-proto` →
/// `edgekit-forwarded-proto`, the name `edgekit publish` gives it), or a plain name.
pub fn function_ref(input: &str, registry: &[&str]) -> Result<FunctionRef, PlanError> {
    let bad = |why: &str| PlanError::InvalidOption(format!("`{input}` {why}"));
    if let Some(rest) = input.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(6, ':').collect();
        return match parts.as_slice() {
            [_, "lambda", _, _, "function", name_version] => {
                let name = name_version.split(':').next().unwrap_or_default();
                Ok(FunctionRef {
                    name: name.to_owned(),
                    runtime: Some(Runtime::LambdaEdge),
                })
            }
            [_, "cloudfront", _, _, resource] => match resource.strip_prefix("function/") {
                // Both JavaScript runtimes log alike: which one it is does not matter here.
                Some(name) if !name.is_empty() => Ok(FunctionRef {
                    name: name.to_owned(),
                    runtime: Some(Runtime::CloudfrontJs2),
                }),
                _ => Err(bad("is a CloudFront ARN but not a function's")),
            },
            _ => Err(bad(
                "is not a Lambda function ARN or a CloudFront Function ARN",
            )),
        };
    }
    if input.is_empty() || input.contains(char::is_whitespace) {
        return Err(bad("is not a function name"));
    }
    let name = if registry.contains(&input) {
        format!("edgekit-{input}")
    } else {
        input.to_owned()
    };
    Ok(FunctionRef {
        name,
        runtime: None,
    })
}

/// One log group to read in one region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Target {
    pub region: String,
    pub log_group: String,
}

/// The Lambda@Edge log group name. [CloudFront Developer Guide, "Edge function logs": the
/// name always carries us-east-1, the region the function was created in]
pub fn lambda_edge_group(name: &str) -> String {
    format!("/aws/lambda/us-east-1.{name}")
}

/// The CloudFront Functions log group name. [CloudFront Developer Guide, "Edge function
/// logs", "CloudFront Functions logs"]
pub fn cloudfront_function_group(name: &str) -> String {
    format!("/aws/cloudfront/function/{name}")
}

/// The groups to read: Lambda@Edge's in every region, CloudFront Functions' in us-east-1;
/// both when the runtime is not known (whichever exists is the function's: detection).
pub fn targets(function: &FunctionRef, regions: &[String]) -> Vec<Target> {
    let mut out = Vec::new();
    if function.runtime.is_none_or(|r| !r.is_cloudfront_function()) {
        out.extend(regions.iter().map(|region| Target {
            region: region.clone(),
            log_group: lambda_edge_group(&function.name),
        }));
    }
    if function.runtime.is_none_or(Runtime::is_cloudfront_function) {
        out.push(Target {
            region: CLOUDFRONT_FUNCTIONS_REGION.to_owned(),
            log_group: cloudfront_function_group(&function.name),
        });
    }
    out
}

/// What `--regions` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// `all`: every region enabled for the account (EC2 DescribeRegions), since Lambda@Edge
    /// logs wherever it ran; [`REGIONAL_EDGE_CACHE_REGIONS`] when that call is refused.
    Enabled,
    /// `edge-caches` or a comma-separated list.
    List(Vec<String>),
}

/// `--regions`: `all`, `edge-caches` (the regional edge cache regions) or a comma-separated
/// list.
pub fn regions(spec: &str) -> Result<Regions, PlanError> {
    match spec.trim() {
        "all" => return Ok(Regions::Enabled),
        "edge-caches" => {
            return Ok(Regions::List(
                REGIONAL_EDGE_CACHE_REGIONS
                    .iter()
                    .map(|r| (*r).to_owned())
                    .collect(),
            ));
        }
        _ => {}
    }
    let mut out: Vec<String> = Vec::new();
    for region in spec.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let valid = region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(PlanError::InvalidOption(format!(
                "--regions: `{region}` is not a region code (e.g. eu-west-1)"
            )));
        }
        if !out.iter().any(|r| r == region) {
            out.push(region.to_owned());
        }
    }
    if out.is_empty() {
        return Err(PlanError::InvalidOption(
            "--regions: give `all`, `edge-caches` or a comma-separated list such as us-east-1,eu-west-1".into(),
        ));
    }
    Ok(Regions::List(out))
}

/// A point in time from `--since`/`--until`: `15m`, `2h`, `1d`, `30s`, `1w` before `now_ms`,
/// `now`, or an RFC 3339 time (`2026-12-02T08:00:00Z`; no offset means UTC). Milliseconds
/// since the epoch, what the CloudWatch Logs API takes.
pub fn parse_time(spec: &str, now_ms: i64) -> Result<i64, PlanError> {
    let spec = spec.trim();
    if spec == "now" {
        return Ok(now_ms);
    }
    if let Some(ago) = relative_ms(spec) {
        return Ok(now_ms.saturating_sub(ago));
    }
    let with_zone = if spec.ends_with('Z') || spec.ends_with('z') || has_offset(spec) {
        spec.to_owned()
    } else if spec.len() == 10 {
        format!("{spec}T00:00:00Z")
    } else {
        format!("{spec}Z")
    };
    DateTime::from_str(&with_zone, DateTimeFormat::DateTime)
        .ok()
        .and_then(|t| t.to_millis().ok())
        .ok_or_else(|| {
            PlanError::InvalidOption(format!(
                "`{spec}` is not a time: use a duration before now (15m, 2h, 1d, 1w) or an ISO time such as 2026-12-02T08:00:00Z"
            ))
        })
}

fn relative_ms(spec: &str) -> Option<i64> {
    let unit_at = spec.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = spec.split_at(unit_at);
    let n: i64 = number.parse().ok()?;
    let unit_ms: i64 = match unit {
        "s" | "sec" | "secs" => 1_000,
        "m" | "min" | "mins" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        "w" | "week" | "weeks" => 604_800_000,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

/// `+01:00` / `-05:30` after the time part.
fn has_offset(spec: &str) -> bool {
    let Some(time) = spec.split_once('T').map(|(_, t)| t) else {
        return false;
    };
    time.contains('+') || time.contains('-')
}

/// A time as the output shows it: `2026-12-02T08:00:00.123Z` (fixed width, UTC).
pub fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// One log event, from whichever region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEvent {
    pub timestamp: i64,
    pub region: String,
    pub log_group: String,
    pub log_stream: String,
    pub event_id: String,
    pub message: String,
}

impl LogEvent {
    /// What makes an event itself: event ids are unique per stream only (moto numbers
    /// them per stream), so region and stream go with it.
    fn key(&self) -> (String, String, String) {
        (
            self.region.clone(),
            self.log_stream.clone(),
            self.event_id.clone(),
        )
    }
}

/// The events of every region in time order (ties: region, stream, event id, so the
/// order is the same on every run).
pub fn merge(per_region: Vec<Vec<LogEvent>>) -> Vec<LogEvent> {
    let mut all: Vec<LogEvent> = per_region.into_iter().flatten().collect();
    all.sort_by(|a, b| {
        (a.timestamp, &a.region, &a.log_stream, &a.event_id).cmp(&(
            b.timestamp,
            &b.region,
            &b.log_stream,
            &b.event_id,
        ))
    });
    all
}

/// How far back `--follow` reads again on every poll: CloudWatch Logs may deliver an
/// event after later ones ("best-effort", [CloudFront Developer Guide, "Edge function
/// logs"]); re-reading this window and skipping seen ids catches those without repeats.
pub const FOLLOW_OVERLAP_MS: i64 = 60_000;

/// What `--follow` has printed: the newest timestamp and the ids inside the overlap window.
#[derive(Debug, Default)]
pub struct Seen {
    newest: Option<i64>,
    ids: BTreeMap<i64, HashSet<(String, String, String)>>,
}

impl Seen {
    /// The events not printed before, in order; remembers them.
    pub fn admit(&mut self, events: Vec<LogEvent>) -> Vec<LogEvent> {
        let mut fresh = Vec::new();
        for event in events {
            let key = event.key();
            let slot = self.ids.entry(event.timestamp).or_default();
            if slot.insert(key) {
                self.newest = Some(
                    self.newest
                        .map_or(event.timestamp, |n| n.max(event.timestamp)),
                );
                fresh.push(event);
            }
        }
        self.prune();
        fresh
    }

    /// Where the next poll starts: the overlap window before the newest event seen, never
    /// before `since`.
    pub fn next_start(&self, since: i64) -> i64 {
        self.newest
            .map_or(since, |n| since.max(n - FOLLOW_OVERLAP_MS))
    }

    /// Ids older than the window can no longer be read again: forget them (bounded memory).
    fn prune(&mut self) {
        if let Some(newest) = self.newest {
            let keep_from = newest - FOLLOW_OVERLAP_MS;
            self.ids = self.ids.split_off(&keep_from);
        }
    }
}

/// The next `--follow` wait: back to `min` after new events, doubled (up to `max`) after an
/// empty poll.
pub fn next_backoff(current_ms: u64, got_events: bool, min_ms: u64, max_ms: u64) -> u64 {
    if got_events {
        min_ms
    } else {
        (current_ms.saturating_mul(2)).clamp(min_ms, max_ms.max(min_ms))
    }
}

/// The Lambda request id and the text of a message, Lambda's prefixes removed:
/// `START RequestId: <id> ...`, `END/REPORT RequestId: <id>`, the Node.js runtime's
/// `<time>\t<id>\t<LEVEL>\t<text>` and Lambda's JSON log format `{"requestId": ...}`.
/// [Lambda Developer Guide, "Working with Lambda function logs" / "Log-level filtering"]
pub fn split_request_id(message: &str) -> (Option<String>, String) {
    let message = message.trim_end();
    for keyword in ["START RequestId: ", "END RequestId: ", "REPORT RequestId: "] {
        if let Some(rest) = message.strip_prefix(keyword) {
            let id = rest.split_whitespace().next().map(str::to_owned);
            return (id, message.to_owned());
        }
    }
    let fields: Vec<&str> = message.splitn(4, '\t').collect();
    if let [time, id, level, text] = fields.as_slice()
        && time.len() >= 20
        && looks_like_request_id(id)
    {
        return (Some((*id).to_owned()), format!("{level}\t{text}"));
    }
    if message.starts_with('{')
        && let Ok(json) = serde_json::from_str::<serde_json::Value>(message)
        && let Some(id) = json.get("requestId").and_then(|v| v.as_str())
    {
        let text = json
            .get("message")
            .and_then(|v| v.as_str())
            .unwrap_or(message);
        return (Some(id.to_owned()), text.to_owned());
    }
    (None, message.to_owned())
}

fn looks_like_request_id(id: &str) -> bool {
    id.len() >= 8 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// An edgekit failure line. Two forms are read:
///
/// - the stable form every host writes (`edge::function::failure_line`, docs/logs.md,
///   "edgekit's failure lines"):
///   `edgekit failure function=<name> cf_request_id=<id or -> kind=<answering-500|init-failed> reason=<JSON string>`,
///   with the CloudFront request id (`Records[0].cf.config.requestId`);
/// - the form packages written before it still log:
///   `edgekit <function>: answering 500: <reason>` and `edgekit <function>: init failed: <reason>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub function: String,
    pub kind: FailureKind,
    pub reason: String,
    /// The Lambda request id from the runtime's prefix, when the line has one.
    pub request_id: Option<String>,
    /// The CloudFront request id (stable form only).
    pub cf_request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    Answering500,
    InitFailed,
}

impl FailureKind {
    /// The words of today's form (`answering 500`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answering500 => "answering 500",
            Self::InitFailed => "init failed",
        }
    }

    /// The token of the stable form (`answering-500`).
    pub fn token(self) -> &'static str {
        match self {
            Self::Answering500 => "answering-500",
            Self::InitFailed => "init-failed",
        }
    }
}

/// The marker that starts the stable form.
pub const FAILURE_MARKER: &str = "edgekit failure ";

/// The failure a log message reports, if it is one of edgekit's failure lines.
pub fn parse_failure(message: &str) -> Option<Failure> {
    let (request_id, text) = split_request_id(message);
    let text = text
        .split_once('\t')
        .filter(|(level, _)| is_level(level))
        .map_or(text.as_str(), |(_, rest)| rest);
    if let Some(at) = text.find(FAILURE_MARKER) {
        return parse_stable(&text[at + FAILURE_MARKER.len()..], request_id);
    }
    let at = text.find("edgekit ")?;
    let rest = &text[at + "edgekit ".len()..];
    let (function, rest) = rest.split_once(": ")?;
    if function.is_empty() || function.contains(char::is_whitespace) {
        return None;
    }
    let (kind, reason) = [FailureKind::Answering500, FailureKind::InitFailed]
        .into_iter()
        .find_map(|kind| {
            rest.strip_prefix(kind.as_str())
                .and_then(|r| r.strip_prefix(": "))
                .map(|reason| (kind, reason))
        })?;
    Some(Failure {
        function: function.to_owned(),
        kind,
        reason: reason.trim().to_owned(),
        request_id,
        cf_request_id: None,
    })
}

/// `function=<name> cf_request_id=<id> kind=<token> reason=<JSON string>`, in that order;
/// the reason is last and JSON-quoted so it may hold anything.
fn parse_stable(fields: &str, request_id: Option<String>) -> Option<Failure> {
    let (function, rest) = fields.strip_prefix("function=")?.split_once(' ')?;
    let (cf_request_id, rest) = rest.strip_prefix("cf_request_id=")?.split_once(' ')?;
    let (kind, rest) = rest.strip_prefix("kind=")?.split_once(' ')?;
    let kind = [FailureKind::Answering500, FailureKind::InitFailed]
        .into_iter()
        .find(|k| k.token() == kind)?;
    let reason: String = serde_json::from_str(rest.strip_prefix("reason=")?.trim_end()).ok()?;
    Some(Failure {
        function: function.to_owned(),
        kind,
        reason,
        request_id,
        cf_request_id: (cf_request_id != "-").then(|| cf_request_id.to_owned()),
    })
}

fn is_level(word: &str) -> bool {
    matches!(
        word,
        "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE" | "FATAL"
    )
}

/// Failures with one reason: how many, where, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureGroup {
    pub function: String,
    pub kind: FailureKind,
    pub reason: String,
    pub count: usize,
    pub regions: BTreeSet<String>,
    pub first: String,
    pub last: String,
    /// Up to [`SAMPLE_IDS`] request ids, to look the requests up: the CloudFront request id
    /// when the line has one (it is in CloudFront's access logs as `x-edge-request-id`),
    /// else the Lambda request id.
    pub request_ids: Vec<String>,
}

/// How many request ids a failure group keeps as examples.
pub const SAMPLE_IDS: usize = 3;

/// The failure lines among `events` (in time order), grouped by function, kind and reason,
/// most frequent first.
pub fn group_failures(events: &[LogEvent]) -> Vec<FailureGroup> {
    let mut groups: BTreeMap<(String, FailureKind, String), FailureGroup> = BTreeMap::new();
    for event in events {
        let Some(failure) = parse_failure(&event.message) else {
            continue;
        };
        let time = format_time(event.timestamp);
        let key = (
            failure.function.clone(),
            failure.kind,
            failure.reason.clone(),
        );
        let group = groups.entry(key).or_insert_with(|| FailureGroup {
            function: failure.function.clone(),
            kind: failure.kind,
            reason: failure.reason.clone(),
            count: 0,
            regions: BTreeSet::new(),
            first: time.clone(),
            last: time.clone(),
            request_ids: Vec::new(),
        });
        group.count += 1;
        group.regions.insert(event.region.clone());
        group.last = time;
        if let Some(id) = failure.cf_request_id.or(failure.request_id)
            && group.request_ids.len() < SAMPLE_IDS
        {
            group.request_ids.push(id);
        }
    }
    let mut out: Vec<FailureGroup> = groups.into_values().collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    out
}

/// A log group as it is in one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Absent,
    /// Present, with its retention (`None`: never expire).
    Present(Option<i32>),
}

/// What `logs retention` does in one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum RetentionAction {
    /// Create the group, then set the retention.
    Create,
    /// Change the retention (`from`: `None` = never expire).
    Update { from: Option<i32> },
    /// Already as wanted.
    Unchanged,
}

impl RetentionAction {
    pub fn writes(self) -> bool {
        !matches!(self, Self::Unchanged)
    }
}

/// Checks `--days` against what CloudWatch Logs accepts.
pub fn check_retention_days(days: i32) -> Result<i32, PlanError> {
    if RETENTION_DAYS.contains(&days) {
        Ok(days)
    } else {
        Err(PlanError::InvalidOption(format!(
            "--days {days}: CloudWatch Logs accepts only {}",
            RETENTION_DAYS
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

/// The action for one region's group state.
pub fn plan_retention(state: GroupState, days: i32) -> RetentionAction {
    match state {
        GroupState::Absent => RetentionAction::Create,
        GroupState::Present(Some(current)) if current == days => RetentionAction::Unchanged,
        GroupState::Present(from) => RetentionAction::Update { from },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn event(ts: i64, region: &str, id: &str, message: &str) -> LogEvent {
        LogEvent {
            timestamp: ts,
            region: region.into(),
            log_group: "/aws/lambda/us-east-1.f".into(),
            log_stream: "s".into(),
            event_id: id.into(),
            message: message.into(),
        }
    }

    #[test]
    fn functions_resolve_from_names_and_arns() {
        let registry = ["forwarded-proto", "keycloak-host"];
        let fp = function_ref("forwarded-proto", &registry).unwrap();
        assert_eq!(fp.name, "edgekit-forwarded-proto");
        assert_eq!(fp.runtime, None);
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:my-edge:7";
        let by_arn = function_ref(arn, &registry).unwrap();
        assert_eq!(by_arn.name, "my-edge");
        assert_eq!(by_arn.runtime, Some(Runtime::LambdaEdge));
        let cff = function_ref(
            "arn:aws:cloudfront::123456789012:function/rewrite",
            &registry,
        )
        .unwrap();
        assert_eq!(cff.name, "rewrite");
        assert!(function_ref("arn:aws:s3:::bucket", &registry).is_err());
        assert!(function_ref("two words", &registry).is_err());
    }

    #[test]
    fn targets_cover_every_region_and_the_cloudfront_functions_group() {
        let regions = vec!["us-east-1".to_owned(), "eu-west-1".to_owned()];
        let f = FunctionRef {
            name: "f".into(),
            runtime: None,
        };
        let all = targets(&f, &regions);
        assert_eq!(all.len(), 3);
        assert_eq!(all[1].log_group, "/aws/lambda/us-east-1.f");
        assert_eq!(all[1].region, "eu-west-1");
        assert_eq!(all[2].log_group, "/aws/cloudfront/function/f");
        assert_eq!(all[2].region, "us-east-1");
        let cff = FunctionRef {
            runtime: Some(Runtime::CloudfrontJs2),
            ..f
        };
        assert_eq!(targets(&cff, &regions).len(), 1);
    }

    #[test]
    fn regions_are_all_edge_caches_or_a_list() {
        assert_eq!(regions("all").unwrap(), Regions::Enabled);
        let Regions::List(edge) = regions("edge-caches").unwrap() else {
            panic!("a list")
        };
        assert_eq!(edge.len(), REGIONAL_EDGE_CACHE_REGIONS.len());
        assert_eq!(
            regions("us-east-1, eu-west-1,us-east-1").unwrap(),
            Regions::List(vec!["us-east-1".into(), "eu-west-1".into()])
        );
        assert!(regions("EU_WEST").is_err());
        assert!(regions(",").is_err());
    }

    #[test]
    fn times_are_durations_or_iso() {
        let now = 1_800_000_000_000;
        assert_eq!(parse_time("15m", now).unwrap(), now - 900_000);
        assert_eq!(parse_time("2h", now).unwrap(), now - 7_200_000);
        assert_eq!(parse_time("1d", now).unwrap(), now - 86_400_000);
        assert_eq!(parse_time("now", now).unwrap(), now);
        assert_eq!(
            parse_time("2026-12-02T08:00:00Z", now).unwrap(),
            1_796_198_400_000
        );
        assert_eq!(
            parse_time("2026-12-02T08:00:00", now).unwrap(),
            1_796_198_400_000
        );
        assert_eq!(parse_time("2026-12-02", now).unwrap(), 1_796_169_600_000);
        assert!(parse_time("yesterday", now).is_err());
        assert!(parse_time("15x", now).is_err());
    }

    #[test]
    fn times_print_fixed_width_utc() {
        assert_eq!(format_time(1_796_198_400_000), "2026-12-02T08:00:00.000Z");
        assert_eq!(format_time(1_796_198_400_123), "2026-12-02T08:00:00.123Z");
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn merge_orders_regions_by_time() {
        let merged = merge(vec![
            vec![
                event(1, "us-east-1", "0", "a"),
                event(4, "us-east-1", "1", "d"),
            ],
            vec![event(2, "eu-west-1", "0", "b")],
            vec![
                event(3, "ap-south-1", "0", "c"),
                event(4, "ap-south-1", "1", "e"),
            ],
        ]);
        let order: Vec<&str> = merged.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(order, ["a", "b", "c", "e", "d"]);
    }

    #[test]
    fn follow_admits_each_event_once() {
        let mut seen = Seen::default();
        let first = seen.admit(vec![event(10, "a", "0", "x"), event(11, "b", "0", "y")]);
        assert_eq!(first.len(), 2);
        assert_eq!(seen.next_start(-1_000_000), 11 - FOLLOW_OVERLAP_MS);
        assert_eq!(seen.next_start(5), 5);
        let again = seen.admit(vec![
            event(11, "b", "0", "y"),
            event(11, "a", "0", "same ms, other region"),
            event(12, "b", "1", "z"),
        ]);
        let messages: Vec<&str> = again.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["same ms, other region", "z"]);
        // Far past the window: old ids are forgotten, memory stays bounded.
        seen.admit(vec![event(10 + 2 * FOLLOW_OVERLAP_MS, "a", "9", "late")]);
        assert_eq!(seen.ids.len(), 1);
    }

    #[test]
    fn backoff_doubles_then_resets() {
        assert_eq!(next_backoff(1000, false, 1000, 10_000), 2000);
        assert_eq!(next_backoff(8000, false, 1000, 10_000), 10_000);
        assert_eq!(next_backoff(8000, true, 1000, 10_000), 1000);
    }

    #[test]
    fn request_ids_come_from_lambda_prefixes() {
        let node = "2026-12-02T08:00:00.000Z\t3f1c2d4e-aaaa-bbbb-cccc-0123456789ab\tERROR\tedgekit forwarded-proto: answering 500: boom";
        let (id, text) = split_request_id(node);
        assert_eq!(id.as_deref(), Some("3f1c2d4e-aaaa-bbbb-cccc-0123456789ab"));
        assert_eq!(text, "ERROR\tedgekit forwarded-proto: answering 500: boom");
        let (id, _) = split_request_id("START RequestId: abc-123 Version: 3");
        assert_eq!(id.as_deref(), Some("abc-123"));
        let (id, text) = split_request_id(r#"{"requestId":"r-1","message":"hi","level":"INFO"}"#);
        assert_eq!((id.as_deref(), text.as_str()), (Some("r-1"), "hi"));
        assert_eq!(split_request_id("plain").0, None);
    }

    #[test]
    fn failure_lines_parse_in_every_host_format() {
        let node = "2026-12-02T08:00:00.000Z\t3f1c2d4e-aaaa-bbbb-cccc-0123456789ab\tERROR\tedgekit forwarded-proto: answering 500: RuntimeError: unreachable";
        let f = parse_failure(node).unwrap();
        assert_eq!(f.function, "forwarded-proto");
        assert_eq!(f.kind, FailureKind::Answering500);
        assert_eq!(f.reason, "RuntimeError: unreachable");
        assert!(f.request_id.is_some());
        let native = "edgekit keycloak-host: answering 500: event does not match the Lambda@Edge event model at Records[0]";
        assert_eq!(parse_failure(native).unwrap().function, "keycloak-host");
        let init = "edgekit forwarded-proto: init failed: config refused: x";
        assert_eq!(parse_failure(init).unwrap().kind, FailureKind::InitFailed);
        assert_eq!(parse_failure("START RequestId: abc Version: 1"), None);
        let stable = "2026-12-02T08:00:00.000Z\t3f1c2d4e-aaaa-bbbb-cccc-0123456789ab\tERROR\tedgekit failure function=forwarded-proto cf_request_id=4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ== kind=answering-500 reason=\"RuntimeError: \\\"x\\\" at a=b\"";
        let f = parse_failure(stable).unwrap();
        assert_eq!(f.function, "forwarded-proto");
        assert_eq!(f.kind, FailureKind::Answering500);
        assert_eq!(f.reason, "RuntimeError: \"x\" at a=b");
        assert_eq!(
            f.cf_request_id.as_deref(),
            Some("4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==")
        );
        let init = "edgekit failure function=keycloak-host cf_request_id=- kind=init-failed reason=\"config refused\"";
        let f = parse_failure(init).unwrap();
        assert_eq!((f.kind, f.cf_request_id), (FailureKind::InitFailed, None));
        assert_eq!(
            parse_failure("edgekit failure function=x kind=answering-500"),
            None
        );
        assert_eq!(parse_failure("edgekit forwarded-proto: started"), None);
    }

    #[test]
    fn failures_group_by_reason_most_frequent_first() {
        let events = vec![
            event(1, "us-east-1", "0", "edgekit f: answering 500: a"),
            event(2, "eu-west-1", "0", "edgekit f: answering 500: b"),
            event(3, "eu-west-1", "1", "edgekit f: answering 500: b"),
            event(4, "eu-west-1", "2", "not a failure"),
        ];
        let groups = group_failures(&events);
        assert_eq!(groups.len(), 2);
        assert_eq!((groups[0].reason.as_str(), groups[0].count), ("b", 2));
        assert_eq!(groups[1].count, 1);
        assert_eq!(groups[0].first, format_time(2));
        assert_eq!(groups[0].last, format_time(3));
    }

    #[test]
    fn retention_plans_create_update_or_nothing() {
        assert_eq!(
            plan_retention(GroupState::Absent, 30),
            RetentionAction::Create
        );
        assert_eq!(
            plan_retention(GroupState::Present(None), 30),
            RetentionAction::Update { from: None }
        );
        assert_eq!(
            plan_retention(GroupState::Present(Some(7)), 30),
            RetentionAction::Update { from: Some(7) }
        );
        assert_eq!(
            plan_retention(GroupState::Present(Some(30)), 30),
            RetentionAction::Unchanged
        );
        assert!(check_retention_days(30).is_ok());
        assert!(check_retention_days(31).is_err());
    }
}
