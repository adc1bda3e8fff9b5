//! ECS calls for `edgekit doctor`: how many of a service's tasks run (DescribeServices).
use aws_sdk_ecs::Client;

use super::AwsError;

/// A service's counts and its latest events, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    pub cluster: String,
    pub name: String,
    /// `ACTIVE`, `DRAINING` or `INACTIVE`.
    pub status: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    /// The primary deployment's rollout state and reason (`FAILED: …`), when ECS reports one.
    pub rollout: Option<String>,
    /// The newest service events' messages (at most [`EVENTS_KEPT`]).
    pub events: Vec<String>,
}

/// How many service events are kept as evidence.
pub const EVENTS_KEPT: usize = 3;

/// A service, or why ECS did not return it (DescribeServices lists missing services under
/// `failures` with a reason such as `MISSING`, not as an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceLookup {
    Found(ServiceState),
    Missing { reason: String },
}

/// An ECS client for the CLI's global options.
pub async fn client(aws: &super::AwsOptions) -> Client {
    Client::new(&super::sdk_config(aws, None).await)
}

/// Describes one service of a cluster (DescribeServices).
pub async fn describe_service(
    client: &Client,
    cluster: &str,
    service: &str,
) -> Result<ServiceLookup, AwsError> {
    let out = client
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map_err(|err| AwsError::call(format!("DescribeServices {cluster}/{service}"), &err))?;
    let Some(found) = out.services.unwrap_or_default().into_iter().next() else {
        let reason = out
            .failures
            .unwrap_or_default()
            .into_iter()
            .find_map(|f| f.reason)
            .unwrap_or_else(|| "not returned".to_owned());
        return Ok(ServiceLookup::Missing { reason });
    };
    let rollout = found
        .deployments
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|d| d.status.as_deref() == Some("PRIMARY"))
        .and_then(|d| {
            let state = d.rollout_state.as_ref()?.as_str().to_owned();
            Some(match &d.rollout_state_reason {
                Some(reason) => format!("{state}: {reason}"),
                None => state,
            })
        });
    Ok(ServiceLookup::Found(ServiceState {
        cluster: cluster.to_owned(),
        name: found.service_name.unwrap_or_else(|| service.to_owned()),
        status: found.status.unwrap_or_default(),
        desired: found.desired_count,
        running: found.running_count,
        pending: found.pending_count,
        rollout,
        events: found
            .events
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| e.message)
            .take(EVENTS_KEPT)
            .collect(),
    }))
}
