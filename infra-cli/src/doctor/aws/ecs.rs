//! Pure evaluation of `ecs-service-running`: a service runs as many tasks as it wants.
use super::{ECS_SERVICE_RUNNING, Read};
use crate::aws::ecs::ServiceLookup;
use crate::doctor::check::CheckOutcome;

/// Running = desired (> 0) passes; anything less is why the ALB has no target.
pub fn service_running(target: &str, lookup: &Read<ServiceLookup>) -> CheckOutcome {
    let spec = ECS_SERVICE_RUNNING;
    let service = match lookup {
        Err(failure) => return spec.call_failed(target, failure),
        Ok(ServiceLookup::Missing { reason }) => {
            return spec.fail(
                target,
                format!("ECS does not know service {target} ({reason})"),
                "check the names: `aws ecs list-services --cluster <cluster>` (and --region)",
            );
        }
        Ok(ServiceLookup::Found(s)) => s,
    };
    let (cluster, name) = (&service.cluster, &service.name);
    let mut evidence = format!(
        "{} of {} tasks running ({} pending), service {}",
        service.running, service.desired, service.pending, service.status
    );
    if let Some(rollout) = &service.rollout {
        evidence.push_str(&format!("; deployment {rollout}"));
    }
    if !service.events.is_empty() {
        evidence.push_str(&format!("; latest events: {}", service.events.join(" | ")));
    }
    if service.status != "ACTIVE" {
        return spec.fail(
            target,
            evidence,
            format!(
                "the service is {}: recreate it (terraform apply) in cluster {cluster}",
                service.status
            ),
        );
    }
    if service.desired == 0 {
        return spec.fail(
            target,
            evidence,
            format!(
                "`aws ecs update-service --cluster {cluster} --service {name} --desired-count 1`"
            ),
        );
    }
    if service.running < service.desired {
        return spec.fail(
            target,
            evidence,
            format!(
                "see why tasks stop: `aws ecs describe-tasks --cluster {cluster} --tasks $(aws ecs list-tasks --cluster \
                 {cluster} --service-name {name} --desired-status STOPPED --query 'taskArns[0]' --output text) --query \
                 'tasks[0].[stoppedReason,containers[].reason]'`; after fixing the cause, `aws ecs update-service \
                 --cluster {cluster} --service {name} --force-new-deployment`"
            ),
        );
    }
    spec.pass(target, evidence)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::aws::ecs::ServiceState;
    use crate::doctor::aws_checks::CallFailure;
    use crate::doctor::check::Status;

    fn service(desired: i32, running: i32) -> Read<ServiceLookup> {
        Ok(ServiceLookup::Found(ServiceState {
            cluster: "c".into(),
            name: "s".into(),
            status: "ACTIVE".into(),
            desired,
            running,
            pending: desired - running,
            rollout: None,
            events: vec!["(service s) has started 1 tasks".into()],
        }))
    }

    #[test]
    fn running_must_equal_desired() {
        assert_eq!(service_running("c/s", &service(1, 1)).status, Status::Pass);
        let down = service_running("c/s", &service(1, 0));
        assert_eq!(down.status, Status::Fail);
        assert!(
            down.evidence.starts_with("0 of 1 tasks running"),
            "{}",
            down.evidence
        );
        assert!(down.fix.unwrap().contains("--force-new-deployment"));
        assert_eq!(service_running("c/s", &service(0, 0)).status, Status::Fail);
        let missing = Ok(ServiceLookup::Missing {
            reason: "MISSING".into(),
        });
        assert_eq!(service_running("c/s", &missing).status, Status::Fail);
        let denied = Err(CallFailure {
            message: "DescribeServices c/s: AccessDeniedException".into(),
            fix: None,
            inconclusive: true,
        });
        assert_eq!(service_running("c/s", &denied).status, Status::Warn);
    }
}
