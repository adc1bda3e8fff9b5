//! CloudWatch Logs calls for `edgekit logs`: read a log group's events (FilterLogEvents,
//! paginated), read and set a group's retention (DescribeLogGroups, CreateLogGroup,
//! PutRetentionPolicy), and run one call per region concurrently with a bound and a timeout.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_config::{Region, SdkConfig};
use aws_sdk_cloudwatchlogs::Client;
use tokio::sync::Semaphore;

use super::AwsError;
use crate::plan::logs::{GroupState, LogEvent, Target};

/// A CloudWatch Logs client for `region`, sharing the loaded configuration (credentials are
/// resolved once, not once per region).
pub fn client(config: &SdkConfig, region: &str) -> Client {
    let conf = aws_sdk_cloudwatchlogs::config::Builder::from(config)
        .region(Region::new(region.to_owned()))
        .build();
    Client::from_conf(conf)
}

/// What to read from a group.
#[derive(Debug, Clone)]
pub struct Query {
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub filter_pattern: Option<String>,
    /// Events per FilterLogEvents page (`None`: the service's default, up to 10,000).
    pub page_size: Option<i32>,
    /// Stop after this many events (a `--since 1w` on a busy function is millions).
    pub max_events: usize,
}

/// A group's events, or the fact it does not exist in that region.
#[derive(Debug)]
pub enum Read {
    /// No such log group in the region: the function never ran (or logged) there.
    NoGroup,
    Events {
        events: Vec<LogEvent>,
        /// More matched than `max_events`.
        truncated: bool,
    },
}

/// Reads `target`'s events matching `query`, following `nextToken` page by page.
pub async fn read_events(
    client: &Client,
    target: &Target,
    query: &Query,
) -> Result<Read, AwsError> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let answer = client
            .filter_log_events()
            .log_group_name(&target.log_group)
            .start_time(query.start_ms)
            .set_end_time(query.end_ms)
            .set_filter_pattern(query.filter_pattern.clone())
            .set_limit(query.page_size)
            .set_next_token(token.take())
            .send()
            .await;
        let page = match answer {
            Ok(page) => page,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(Read::NoGroup);
            }
            Err(err) => {
                return Err(AwsError::call(
                    format!("FilterLogEvents {} in {}", target.log_group, target.region),
                    &err,
                ));
            }
        };
        events.extend(page.events().iter().map(|e| LogEvent {
            timestamp: e.timestamp().unwrap_or_default(),
            region: target.region.clone(),
            log_group: target.log_group.clone(),
            log_stream: e.log_stream_name().unwrap_or_default().to_owned(),
            event_id: e.event_id().unwrap_or_default().to_owned(),
            message: e.message().unwrap_or_default().to_owned(),
        }));
        if events.len() >= query.max_events {
            events.truncate(query.max_events);
            return Ok(Read::Events {
                events,
                truncated: true,
            });
        }
        // The service may answer an empty page with a token while it searches on: only a
        // missing token ends the read. [CloudWatch Logs API Reference, "FilterLogEvents"]
        match page.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => {
                return Ok(Read::Events {
                    events,
                    truncated: false,
                });
            }
        }
    }
}

/// Whether the group exists in the client's region, and its retention.
pub async fn group_state(client: &Client, target: &Target) -> Result<GroupState, AwsError> {
    let operation = || {
        format!(
            "DescribeLogGroups {} in {}",
            target.log_group, target.region
        )
    };
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_log_groups()
            .log_group_name_prefix(&target.log_group)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|err| AwsError::call(operation(), &err))?;
        // A prefix also matches longer names (`<name>-v2`): only the exact name counts.
        if let Some(group) = page
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(target.log_group.as_str()))
        {
            return Ok(GroupState::Present(group.retention_in_days()));
        }
        match page.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(GroupState::Absent),
        }
    }
}

/// Creates the group; one that appeared meanwhile (another run) is fine.
pub async fn create_group(client: &Client, target: &Target) -> Result<(), AwsError> {
    match client
        .create_log_group()
        .log_group_name(&target.log_group)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(err) => Err(AwsError::call(
            format!("CreateLogGroup {} in {}", target.log_group, target.region),
            &err,
        )),
    }
}

/// Sets the group's retention.
pub async fn put_retention(client: &Client, target: &Target, days: i32) -> Result<(), AwsError> {
    client
        .put_retention_policy()
        .log_group_name(&target.log_group)
        .retention_in_days(days)
        .send()
        .await
        .map(|_| ())
        .map_err(|err| {
            AwsError::call(
                format!(
                    "PutRetentionPolicy {} in {}",
                    target.log_group, target.region
                ),
                &err,
            )
        })
}

/// Why one region's call did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegionFailure {
    pub region: String,
    pub log_group: String,
    pub error: String,
}

/// Runs `call` for every target, at most `parallelism` at a time, each bounded by
/// `timeout`; results come back in the targets' order. A failed or late region is an
/// entry in the result, never the end of the others.
pub async fn each_target<T, F, Fut>(
    targets: &[Target],
    parallelism: usize,
    timeout: Duration,
    call: F,
) -> Vec<(Target, Result<T, RegionFailure>)>
where
    T: Send + 'static,
    F: Fn(Target) -> Fut,
    Fut: Future<Output = Result<T, AwsError>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, target) in targets.iter().cloned().enumerate() {
        let permits = Arc::clone(&permits);
        let work = call(target.clone());
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = permits.acquire_owned().await.ok();
            let outcome = match tokio::time::timeout(timeout, work).await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(err)) => Err(failure(&target, format!("{err}"))),
                Err(_) => Err(failure(
                    &target,
                    format!("no answer within {} s", timeout.as_secs()),
                )),
            };
            (index, target, outcome)
        });
    }
    let mut done = Vec::with_capacity(targets.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(entry) => done.push(entry),
            // A panicked task lost its target; the others still report.
            Err(err) => tracing::warn!("a region task failed: {err}"),
        }
    }
    done.sort_by_key(|(index, _, _)| *index);
    done.into_iter()
        .map(|(_, target, outcome)| (target, outcome))
        .collect()
}

fn failure(target: &Target, error: String) -> RegionFailure {
    RegionFailure {
        region: target.region.clone(),
        log_group: target.log_group.clone(),
        error,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn target(region: &str) -> Target {
        Target {
            region: region.into(),
            log_group: "/aws/lambda/us-east-1.f".into(),
        }
    }

    #[tokio::test]
    async fn regions_run_bounded_in_order_and_a_slow_one_times_out() {
        let targets: Vec<Target> = ["a", "b", "c", "slow", "d"].map(target).to_vec();
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let results = each_target(&targets, 2, Duration::from_millis(300), |t| {
            let (running, most) = (Arc::clone(&running), Arc::clone(&most));
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let pause = if t.region == "slow" { 5_000 } else { 50 };
                tokio::time::sleep(Duration::from_millis(pause)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, AwsError>(t.region.clone())
            }
        })
        .await;
        let regions: Vec<&str> = results.iter().map(|(t, _)| t.region.as_str()).collect();
        assert_eq!(regions, ["a", "b", "c", "slow", "d"]);
        assert_eq!(results[0].1, Ok("a".to_owned()));
        let late = results[3].1.as_ref().unwrap_err();
        assert!(late.error.starts_with("no answer within"), "{late:?}");
        assert!(most.load(Ordering::SeqCst) <= 2);
    }
}
