//! CloudWatch Embedded Metric Format: one JSON log line per probe on stdout, turned into
//! metrics by CloudWatch Logs (no PutMetricData call, so a failing canary never throttles).
//! [CloudWatch User Guide, "Specification: Embedded metric format"]
use serde::Serialize;

use crate::classify::Class;
use crate::config::ProbePath;
use crate::probe::ProbeResult;
use crate::signatures::Source;

/// The root `_aws` member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmfMetadata {
    /// Milliseconds since the epoch.
    #[serde(rename = "Timestamp")]
    pub timestamp: u64,
    #[serde(rename = "CloudWatchMetrics")]
    pub cloudwatch_metrics: Vec<MetricDirective>,
}

/// A MetricDirective: namespace, dimension sets (names of root members), metric definitions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricDirective {
    #[serde(rename = "Namespace")]
    pub namespace: String,
    #[serde(rename = "Dimensions")]
    pub dimensions: Vec<Vec<String>>,
    #[serde(rename = "Metrics")]
    pub metrics: Vec<MetricDefinition>,
}

/// A MetricDefinition (`Unit` from the CloudWatch unit list).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricDefinition {
    #[serde(rename = "Name")]
    pub name: &'static str,
    #[serde(rename = "Unit")]
    pub unit: &'static str,
}

/// One EMF log line: `_aws`, the dimension values, metric values and properties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmfRecord {
    #[serde(rename = "_aws")]
    pub aws: EmfMetadata,
    #[serde(rename = "Target")]
    pub target: String,
    #[serde(rename = "Path")]
    pub path: ProbePath,
    #[serde(rename = "Success")]
    pub success: u8,
    #[serde(rename = "Status5xx")]
    pub status_5xx: u8,
    #[serde(rename = "Status502")]
    pub status_502: u8,
    #[serde(rename = "LatencyMs")]
    pub latency_ms: u64,
    #[serde(rename = "TlsDaysLeft", skip_serializing_if = "Option::is_none")]
    pub tls_days_left: Option<i64>,
    #[serde(rename = "Class")]
    pub class: Class,
    #[serde(rename = "Source")]
    pub source: Option<Source>,
    #[serde(rename = "StatusCode", skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(rename = "Detail")]
    pub detail: String,
    #[serde(rename = "Attempts")]
    pub attempts: u32,
    #[serde(rename = "X-Amz-Cf-Pop", skip_serializing_if = "Option::is_none")]
    pub cf_pop: Option<String>,
    #[serde(rename = "X-Amz-Cf-Id", skip_serializing_if = "Option::is_none")]
    pub cf_id: Option<String>,
}

/// The EMF record of one result.
pub fn record(result: &ProbeResult, namespace: &str, timestamp_ms: u64) -> EmfRecord {
    let mut metrics = vec![
        MetricDefinition {
            name: "Success",
            unit: "Count",
        },
        MetricDefinition {
            name: "Status5xx",
            unit: "Count",
        },
        MetricDefinition {
            name: "Status502",
            unit: "Count",
        },
        MetricDefinition {
            name: "LatencyMs",
            unit: "Milliseconds",
        },
    ];
    // Every metric named in the directive must be a member of the root, so TlsDaysLeft is
    // declared only when there is a value. [EMF specification, "MetricDefinition"]
    if result.tls_days_left.is_some() {
        metrics.push(MetricDefinition {
            name: "TlsDaysLeft",
            unit: "None",
        });
    }
    let status = result.status.unwrap_or(0);
    EmfRecord {
        aws: EmfMetadata {
            timestamp: timestamp_ms,
            cloudwatch_metrics: vec![MetricDirective {
                namespace: namespace.to_owned(),
                dimensions: vec![vec!["Target".to_owned(), "Path".to_owned()]],
                metrics,
            }],
        },
        target: result.name.clone(),
        path: result.path,
        success: u8::from(result.is_ok()),
        status_5xx: u8::from((500..600).contains(&status)),
        status_502: u8::from(status == 502),
        latency_ms: result.latency_ms,
        tls_days_left: result.tls_days_left,
        class: result.class,
        source: result.source,
        status: result.status,
        detail: result.detail.clone(),
        attempts: result.attempts,
        cf_pop: result.cf_pop.clone(),
        cf_id: result.cf_id.clone(),
    }
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
