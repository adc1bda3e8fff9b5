//! Pure evaluation of the load balancer checks: target groups' health → `alb-target-health`;
//! listeners, security groups and CloudFront's prefix list id → `alb-security-group`.
use super::{ALB_SECURITY_GROUP, ALB_TARGET_HEALTH, Finding, Read};
use crate::aws::ec2::PrefixList;
use crate::aws::elbv2::{LoadBalancer, TargetGroupHealth};
use crate::doctor::check::CheckOutcome;
use crate::plan::alb::{CLOUDFRONT_PREFIX_LIST, GroupState, Ingress, ListenerState, covers};

/// What the ALB checks judge for one load balancer.
#[derive(Debug, Clone)]
pub struct LbFacts {
    pub lb: LoadBalancer,
    pub listeners: Read<Vec<ListenerState>>,
    pub health: Read<Vec<TargetGroupHealth>>,
    pub groups: Read<Vec<GroupState>>,
    pub prefix_list: Read<PrefixList>,
}

/// Every target group needs a healthy target, or the ALB answers 502/503 for what it routes
/// there. [ELB guide, "Troubleshoot your Application Load Balancers": "HTTP 502", "HTTP 503:
/// Service unavailable"]
pub fn target_health(facts: &LbFacts) -> CheckOutcome {
    let name = facts.lb.name.as_str();
    let groups = match &facts.health {
        Err(failure) => return ALB_TARGET_HEALTH.call_failed(name, failure),
        Ok(groups) => groups,
    };
    if groups.is_empty() {
        return ALB_TARGET_HEALTH.fail(
            name,
            format!("load balancer {name} has no target group"),
            "create a target group, register the service's tasks in it (the ECS service's loadBalancers setting) and \
             forward the listener to it",
        );
    }
    let findings = groups.iter().map(group_finding).collect();
    ALB_TARGET_HEALTH.combine(name, findings)
}

fn group_finding(group: &TargetGroupHealth) -> Finding {
    let healthy = group
        .targets
        .iter()
        .filter(|t| t.state == "healthy")
        .count();
    let states: Vec<String> = group
        .targets
        .iter()
        .map(|t| {
            let port = t.port.map(|p| format!(":{p}")).unwrap_or_default();
            let why = match (&t.reason, &t.description) {
                (Some(r), Some(d)) => format!(" ({r}: {d})"),
                (Some(r), None) => format!(" ({r})"),
                _ => String::new(),
            };
            format!("{}{port} {}{why}", t.id, t.state)
        })
        .collect();
    let evidence = format!(
        "target group {}: {healthy} of {} targets healthy{}",
        group.name,
        group.targets.len(),
        if states.is_empty() {
            String::new()
        } else {
            format!(" [{}]", states.join(", "))
        }
    );
    if healthy > 0 {
        return Finding::pass(evidence);
    }
    let reasons: Vec<&str> = group
        .targets
        .iter()
        .filter_map(|t| t.reason.as_deref())
        .collect();
    Finding::fail(evidence, health_fix(group, &reasons))
}

/// The fix for the reason the targets report. [ELB guide, "Health checks for Application
/// Load Balancer target groups": Target health reason codes]
fn health_fix(group: &TargetGroupHealth, reasons: &[&str]) -> String {
    let path = group.health_check_path.as_deref().unwrap_or("/");
    let port = group
        .port
        .map(|p| p.to_string())
        .unwrap_or_else(|| "<port>".to_owned());
    if group.targets.is_empty()
        || reasons
            .iter()
            .any(|r| *r == "Target.NotRegistered" || *r == "Target.InvalidState")
    {
        return format!(
            "no running target is registered in {}: start the service's tasks (see ecs-service-running) or register \
             them: `aws elbv2 register-targets --target-group-arn {} --targets Id=<task ip or instance id>,Port={port}`",
            group.name, group.arn
        );
    }
    if reasons.contains(&"Target.Timeout") {
        return format!(
            "the health check gets no answer: let the load balancer's security group reach the targets on port {port} \
             (the tasks' security group must allow it) and check the app listens there"
        );
    }
    format!(
        "the health check on `{path}` fails: make the app answer 200 there, or point the check at a path that does: \
         `aws elbv2 modify-target-group --target-group-arn {} --health-check-path <path> --matcher HttpCode=200-399`",
        group.arn
    )
}

/// CloudFront reaches the ALB from the addresses of its origin-facing prefix list, so the
/// security group must admit that list (or 0.0.0.0/0) on every listener port.
/// [CloudFront Developer Guide, "Use the CloudFront managed prefix list"]
pub fn security_group(facts: &LbFacts) -> CheckOutcome {
    let name = facts.lb.name.as_str();
    let listeners = match &facts.listeners {
        Err(failure) => return ALB_SECURITY_GROUP.call_failed(name, failure),
        Ok(l) => l,
    };
    let groups = match &facts.groups {
        Err(failure) => return ALB_SECURITY_GROUP.call_failed(name, failure),
        Ok(g) => g,
    };
    if facts.lb.security_groups.is_empty() {
        return ALB_SECURITY_GROUP.warn(
            name,
            format!("load balancer {name} has no security group (a Network Load Balancer?)"),
            "doctor checks Application Load Balancers; check the targets' security groups by hand",
        );
    }
    if listeners.is_empty() {
        return ALB_SECURITY_GROUP.fail(
            name,
            format!("load balancer {name} has no listener"),
            "add an HTTP (CloudFront mode) or HTTPS (custom domain) listener",
        );
    }
    let prefix_id = facts.prefix_list.as_ref().ok().map(|p| p.id.as_str());
    let findings = listeners
        .iter()
        .map(|l| port_finding(name, groups, l.port, prefix_id, &facts.prefix_list))
        .collect();
    ALB_SECURITY_GROUP.combine(name, findings)
}

fn port_finding(
    name: &str,
    groups: &[GroupState],
    port: i32,
    prefix_id: Option<&str>,
    prefix_list: &Read<PrefixList>,
) -> Finding {
    let covering: Vec<(&str, &Ingress)> = groups
        .iter()
        .flat_map(|g| g.ingress.iter().map(move |i| (g.group_id.as_str(), i)))
        .filter(|(_, i)| covers(i, port))
        .collect();
    let via_list = covering
        .iter()
        .find(|(_, i)| prefix_id.is_some_and(|id| i.prefix_lists.iter().any(|p| p == id)));
    if let Some((group, _)) = via_list {
        return Finding::pass(format!(
            "port {port}: {group} admits CloudFront's prefix list {CLOUDFRONT_PREFIX_LIST} ({})",
            prefix_id.unwrap_or_default()
        ));
    }
    if let Some((group, _)) = covering
        .iter()
        .find(|(_, i)| i.cidrs_v4.iter().any(|c| c == "0.0.0.0/0"))
    {
        return Finding::pass(format!(
            "port {port}: {group} admits 0.0.0.0/0 (CloudFront included; `edgekit alb protect --security-group-mode \
             prefix-list` narrows it to CloudFront)"
        ));
    }
    let admitted: Vec<String> = covering
        .iter()
        .flat_map(|(_, i)| {
            i.cidrs_v4
                .iter()
                .chain(&i.cidrs_v6)
                .chain(&i.prefix_lists)
                .cloned()
        })
        .collect();
    let group_ids: Vec<&str> = groups.iter().map(|g| g.group_id.as_str()).collect();
    let evidence = format!(
        "port {port}: security groups {} of {name} admit only [{}] there, not CloudFront's prefix list {CLOUDFRONT_PREFIX_LIST}",
        group_ids.join(", "),
        admitted.join(", ")
    );
    let list_id = match (prefix_id, prefix_list) {
        (Some(id), _) => id.to_owned(),
        (None, Err(failure)) => {
            return Finding::fail(
                format!("{evidence}; {}", failure.message),
                failure.fix.clone().unwrap_or_default(),
            );
        }
        (None, Ok(_)) => "<pl-id>".to_owned(),
    };
    let group = group_ids.first().copied().unwrap_or("<sg-id>");
    Finding::fail(
        evidence,
        format!(
            "`aws ec2 authorize-security-group-ingress --group-id {group} --ip-permissions \
             'IpProtocol=tcp,FromPort={port},ToPort={port},PrefixListIds=[{{PrefixListId={list_id}}}]'` \
             (or `edgekit alb protect --load-balancer {name} --security-group-mode prefix-list ...`)"
        ),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::aws::elbv2::TargetHealthState;
    use crate::doctor::check::Status;

    fn lb_facts(targets: Vec<TargetHealthState>, ingress: Vec<Ingress>) -> LbFacts {
        LbFacts {
            lb: LoadBalancer {
                arn: "arn:lb".into(),
                name: "my-alb".into(),
                dns_name: "my-alb.example".into(),
                security_groups: vec!["sg-1".into()],
            },
            listeners: Ok(vec![ListenerState {
                arn: "l".into(),
                port: 80,
                protocol: "HTTP".into(),
                default_actions: vec![],
                rules: vec![],
            }]),
            health: Ok(vec![TargetGroupHealth {
                arn: "arn:tg".into(),
                name: "app".into(),
                port: Some(8080),
                health_check_path: Some("/health".into()),
                targets,
            }]),
            groups: Ok(vec![GroupState {
                group_id: "sg-1".into(),
                ingress,
            }]),
            prefix_list: Ok(PrefixList {
                id: "pl-cf".into(),
                max_entries: Some(55),
            }),
        }
    }

    fn target(state: &str, reason: Option<&str>) -> TargetHealthState {
        TargetHealthState {
            id: "10.0.1.5".into(),
            port: Some(8080),
            state: state.into(),
            reason: reason.map(str::to_owned),
            description: None,
        }
    }

    fn rule(protocol: &str, ports: (i32, i32), cidr: Option<&str>, list: Option<&str>) -> Ingress {
        Ingress {
            protocol: protocol.into(),
            from_port: Some(ports.0),
            to_port: Some(ports.1),
            cidrs_v4: cidr.into_iter().map(str::to_owned).collect(),
            prefix_lists: list.into_iter().map(str::to_owned).collect(),
            ..Ingress::default()
        }
    }

    #[test]
    fn target_health_needs_a_healthy_target_per_group() {
        let ok = lb_facts(
            vec![
                target("healthy", None),
                target("unhealthy", Some("Target.Timeout")),
            ],
            vec![],
        );
        assert_eq!(target_health(&ok).status, Status::Pass);
        let bad = lb_facts(
            vec![target("unhealthy", Some("Target.FailedHealthChecks"))],
            vec![],
        );
        let outcome = target_health(&bad);
        assert_eq!(outcome.status, Status::Fail);
        assert!(outcome.fix.unwrap().contains("--health-check-path"));
        let none = target_health(&lb_facts(vec![], vec![]));
        assert_eq!(none.status, Status::Fail);
        assert!(none.fix.unwrap().contains("register-targets"));
    }

    #[test]
    fn security_group_must_admit_cloudfront_on_each_listener_port() {
        let cases = [
            (rule("tcp", (80, 80), None, Some("pl-cf")), Status::Pass),
            (
                rule("tcp", (0, 65535), Some("0.0.0.0/0"), None),
                Status::Pass,
            ),
            (rule("-1", (-1, -1), Some("0.0.0.0/0"), None), Status::Pass),
            (
                rule("tcp", (80, 80), Some("10.0.0.0/8"), None),
                Status::Fail,
            ),
            (rule("tcp", (443, 443), None, Some("pl-cf")), Status::Fail),
        ];
        for (ingress, want) in cases {
            let outcome = security_group(&lb_facts(vec![], vec![ingress.clone()]));
            assert_eq!(outcome.status, want, "{ingress:?}: {outcome:?}");
            if want == Status::Fail {
                assert!(outcome.fix.unwrap().contains("PrefixListId=pl-cf"));
            }
        }
    }
}
