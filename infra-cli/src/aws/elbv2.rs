//! ELBv2 calls: find a load balancer, read its listeners and rules into the plan's types,
//! apply the planned rule and listener writes.
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{Listener, Rule};

use super::AwsError;
use crate::plan::alb::{AlbWrite, ListenerState, RuleState};

/// The load balancer as the plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub security_groups: Vec<String>,
}

/// An ELBv2 client for the CLI's global options (the load balancer's region).
pub async fn client(aws: &super::AwsOptions) -> Client {
    Client::new(&super::sdk_config(aws, None).await)
}

/// Finds a load balancer by name or ARN (DescribeLoadBalancers).
pub async fn find_load_balancer(
    client: &Client,
    name_or_arn: &str,
) -> Result<LoadBalancer, AwsError> {
    let request = client.describe_load_balancers();
    let request = if name_or_arn.starts_with("arn:") {
        request.load_balancer_arns(name_or_arn)
    } else {
        request.names(name_or_arn)
    };
    let operation = || format!("DescribeLoadBalancers {name_or_arn}");
    let out = request.send().await.map_err(|err| {
        AwsError::call(operation(), &err)
            .with_help("pass the load balancer's name or ARN as `aws elbv2 describe-load-balancers` shows it (and --region)")
    })?;
    let lb = out
        .load_balancers
        .and_then(|l| l.into_iter().next())
        .ok_or_else(|| AwsError::missing(operation(), "LoadBalancers"))?;
    Ok(LoadBalancer {
        arn: lb
            .load_balancer_arn
            .ok_or_else(|| AwsError::missing(operation(), "LoadBalancerArn"))?,
        name: lb.load_balancer_name.unwrap_or_default(),
        dns_name: lb.dns_name.unwrap_or_default(),
        security_groups: lb.security_groups.unwrap_or_default(),
    })
}

/// Every listener of the load balancer with its rules (DescribeListeners, DescribeRules; all
/// pages), the default rule as the listener's default actions.
pub async fn listeners(client: &Client, lb_arn: &str) -> Result<Vec<ListenerState>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .describe_listeners()
            .load_balancer_arn(lb_arn)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|err| AwsError::call(format!("DescribeListeners {lb_arn}"), &err))?;
        for listener in page.listeners.unwrap_or_default() {
            out.push(listener_state(client, listener).await?);
        }
        match page.next_marker {
            Some(next) if !next.is_empty() => marker = Some(next),
            _ => break,
        }
    }
    out.sort_by_key(|l| l.port);
    Ok(out)
}

async fn listener_state(client: &Client, listener: Listener) -> Result<ListenerState, AwsError> {
    let arn = listener
        .listener_arn
        .ok_or_else(|| AwsError::missing("DescribeListeners", "ListenerArn"))?;
    let rules = rules(client, &arn).await?;
    Ok(ListenerState {
        port: listener.port.unwrap_or_default(),
        protocol: listener
            .protocol
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        default_actions: listener.default_actions.unwrap_or_default(),
        rules,
        arn,
    })
}

async fn rules(client: &Client, listener_arn: &str) -> Result<Vec<RuleState>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .describe_rules()
            .listener_arn(listener_arn)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|err| AwsError::call(format!("DescribeRules {listener_arn}"), &err))?;
        out.extend(
            page.rules
                .unwrap_or_default()
                .into_iter()
                .filter_map(rule_state),
        );
        match page.next_marker {
            Some(next) if !next.is_empty() => marker = Some(next),
            _ => break,
        }
    }
    Ok(out)
}

/// A non-default rule (the default rule's priority is the string "default").
fn rule_state(rule: Rule) -> Option<RuleState> {
    if rule.is_default == Some(true) {
        return None;
    }
    Some(RuleState {
        arn: rule.rule_arn?,
        priority: rule.priority?.parse().ok()?,
        conditions: rule.conditions.unwrap_or_default(),
        actions: rule.actions.unwrap_or_default(),
    })
}

/// Applies the writes in order; stops at the first failure (each write is safe on its own,
/// and a re-run plans what is left).
pub async fn apply(client: &Client, writes: &[AlbWrite]) -> Result<(), AwsError> {
    let help = "the writes before this one were applied and keep the load balancer serving CloudFront; fix the cause \
                above and run the command again (it continues where it stopped)";
    for write in writes {
        match write {
            AlbWrite::CreateRule {
                listener_arn,
                priority,
                conditions,
                actions,
            } => {
                client
                    .create_rule()
                    .listener_arn(listener_arn)
                    .priority(*priority)
                    .set_conditions(Some(conditions.clone()))
                    .set_actions(Some(actions.clone()))
                    .send()
                    .await
                    .map_err(|err| {
                        AwsError::call(format!("CreateRule {listener_arn}"), &err).with_help(help)
                    })?;
            }
            AlbWrite::ModifyRule {
                rule_arn,
                conditions,
            } => {
                client
                    .modify_rule()
                    .rule_arn(rule_arn)
                    .set_conditions(Some(conditions.clone()))
                    .send()
                    .await
                    .map_err(|err| {
                        AwsError::call(format!("ModifyRule {rule_arn}"), &err).with_help(help)
                    })?;
            }
            AlbWrite::DeleteRule { rule_arn } => {
                client
                    .delete_rule()
                    .rule_arn(rule_arn)
                    .send()
                    .await
                    .map_err(|err| {
                        AwsError::call(format!("DeleteRule {rule_arn}"), &err).with_help(help)
                    })?;
            }
            AlbWrite::ModifyListener {
                listener_arn,
                default_actions,
            } => {
                client
                    .modify_listener()
                    .listener_arn(listener_arn)
                    .set_default_actions(Some(default_actions.clone()))
                    .send()
                    .await
                    .map_err(|err| {
                        AwsError::call(format!("ModifyListener {listener_arn}"), &err)
                            .with_help(help)
                    })?;
            }
        }
        tracing::debug!(operation = write_name(write), "ELBv2 write applied");
    }
    Ok(())
}

fn write_name(write: &AlbWrite) -> &'static str {
    match write {
        AlbWrite::CreateRule { .. } => "CreateRule",
        AlbWrite::ModifyRule { .. } => "ModifyRule",
        AlbWrite::DeleteRule { .. } => "DeleteRule",
        AlbWrite::ModifyListener { .. } => "ModifyListener",
    }
}

// ---------------------------------------------------------------------------------------
// Read-only additions for `edgekit doctor`.

/// One target's health as DescribeTargetHealth reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetHealthState {
    pub id: String,
    pub port: Option<i32>,
    /// `healthy`, `unhealthy`, `initial`, `draining`, `unused`, `unavailable`.
    pub state: String,
    /// E.g. `Target.FailedHealthChecks`, `Target.Timeout`, `Target.NotRegistered`.
    pub reason: Option<String>,
    pub description: Option<String>,
}

/// A target group of a load balancer with its targets' health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroupHealth {
    pub arn: String,
    pub name: String,
    pub port: Option<i32>,
    pub health_check_path: Option<String>,
    pub targets: Vec<TargetHealthState>,
}

/// The load balancer's target groups (DescribeTargetGroups) and each one's target health
/// (DescribeTargetHealth).
pub async fn target_health(
    client: &Client,
    lb_arn: &str,
) -> Result<Vec<TargetGroupHealth>, AwsError> {
    let groups = client
        .describe_target_groups()
        .load_balancer_arn(lb_arn)
        .send()
        .await
        .map_err(|err| AwsError::call(format!("DescribeTargetGroups {lb_arn}"), &err))?;
    let mut out = Vec::new();
    for group in groups.target_groups.unwrap_or_default() {
        let Some(arn) = group.target_group_arn else {
            continue;
        };
        let health = client
            .describe_target_health()
            .target_group_arn(&arn)
            .send()
            .await
            .map_err(|err| AwsError::call(format!("DescribeTargetHealth {arn}"), &err))?;
        let targets = health
            .target_health_descriptions
            .unwrap_or_default()
            .into_iter()
            .map(|d| {
                let health = d.target_health.unwrap_or_else(|| {
                    aws_sdk_elasticloadbalancingv2::types::TargetHealth::builder().build()
                });
                TargetHealthState {
                    id: d
                        .target
                        .as_ref()
                        .and_then(|t| t.id.clone())
                        .unwrap_or_default(),
                    port: d.target.as_ref().and_then(|t| t.port),
                    state: health
                        .state
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    reason: health.reason.map(|r| r.as_str().to_owned()),
                    description: health.description,
                }
            })
            .collect();
        out.push(TargetGroupHealth {
            name: group.target_group_name.unwrap_or_default(),
            port: group.port,
            health_check_path: group.health_check_path,
            targets,
            arn,
        });
    }
    Ok(out)
}

/// The load balancer whose DNS name is `dns_name` (a CloudFront origin's domain), if any
/// (DescribeLoadBalancers, all pages). `dualstack.` names the same load balancer.
pub async fn find_by_dns_name(
    client: &Client,
    dns_name: &str,
) -> Result<Option<LoadBalancer>, AwsError> {
    let wanted = dns_name
        .trim_end_matches('.')
        .trim_start_matches("dualstack.")
        .to_ascii_lowercase();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .describe_load_balancers()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|err| AwsError::call("DescribeLoadBalancers", &err))?;
        for lb in page.load_balancers.unwrap_or_default() {
            let matches = lb
                .dns_name
                .as_deref()
                .is_some_and(|d| d.to_ascii_lowercase() == wanted);
            if let (true, Some(arn)) = (matches, lb.load_balancer_arn) {
                return Ok(Some(LoadBalancer {
                    arn,
                    name: lb.load_balancer_name.unwrap_or_default(),
                    dns_name: lb.dns_name.unwrap_or_default(),
                    security_groups: lb.security_groups.unwrap_or_default(),
                }));
            }
        }
        match page.next_marker {
            Some(next) if !next.is_empty() => marker = Some(next),
            _ => return Ok(None),
        }
    }
}
