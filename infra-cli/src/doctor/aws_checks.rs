//! `edgekit doctor`'s AWS checks: read the deployment's CloudFront distributions, load
//! balancers, ECS services, ACM certificates and Route 53 zones (read-only, concurrently, each
//! call under a timeout) and judge them with the pure evaluations in `doctor/aws/`.
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use aws_config::{Region, SdkConfig};

pub use super::check::CheckSpec;
use super::check::{CheckOutcome, Group, Status};
use crate::aws::cloudfront_read::{self, DistributionState};
use crate::aws::elbv2::LoadBalancer;
use crate::aws::{AwsError, EDGE_REGION, acm, ec2, ecs, elbv2, route53};
use crate::plan::alb::{CLOUDFRONT_PREFIX_LIST, ListenerState};
use crate::plan::arn::Arn;
use crate::plan::distribution::ALL_VIEWER_AND_CLOUDFRONT_HEADERS_POLICY_ID;
use crate::plan::domain::{self, HostedZone};

#[path = "aws/alb.rs"]
pub mod alb;
#[path = "aws/certs.rs"]
pub mod certs;
#[path = "aws/cloudfront.rs"]
pub mod cloudfront;
#[path = "aws/ecs.rs"]
pub mod ecs_eval;

/// What to check; every list may be empty (its checks are then skipped, saying why).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsCheckInputs {
    /// CloudFront distribution ids.
    pub distributions: Vec<String>,
    /// Load balancer names or ARNs.
    pub load_balancers: Vec<String>,
    /// (cluster, service).
    pub services: Vec<(String, String)>,
    pub base_domain: Option<String>,
    pub certificate_arn: Option<String>,
}

pub const CLOUDFRONT_DEPLOYED: CheckSpec = CheckSpec {
    id: "cloudfront-deployed",
    group: Group::Cloudfront,
    symptom: "the site is not served through CloudFront, or a change made to the distribution does not show yet",
};
pub const CLOUDFRONT_ORIGIN_REQUEST_POLICY: CheckSpec = CheckSpec {
    id: "cloudfront-origin-request-policy",
    group: Group::Cloudfront,
    symptom: "every request answers 500 from the edge function, or login succeeds but the user is immediately \
              logged out (the app does not learn the viewer used https)",
};
pub const CLOUDFRONT_ORIGIN_PROTOCOL: CheckSpec = CheckSpec {
    id: "cloudfront-origin-protocol",
    group: Group::Cloudfront,
    symptom: "CloudFront returns 502, or login succeeds but the user is immediately logged out / Keycloak shows \
              \"HTTPS required\" (the app sees http)",
};
pub const CLOUDFRONT_EDGE_FUNCTION: CheckSpec = CheckSpec {
    id: "cloudfront-edge-function",
    group: Group::Cloudfront,
    symptom: "login succeeds but the user is immediately logged out, or Keycloak shows \"HTTPS required\" \
              (nothing tells the origin the viewer used https)",
};
pub const ALB_TARGET_HEALTH: CheckSpec = CheckSpec {
    id: "alb-target-health",
    group: Group::Alb,
    symptom: "CloudFront returns 502 (the load balancer has no healthy target)",
};
pub const ALB_SECURITY_GROUP: CheckSpec = CheckSpec {
    id: "alb-security-group",
    group: Group::Alb,
    symptom: "CloudFront returns 502/504 (the load balancer's security group does not admit CloudFront)",
};
pub const ECS_SERVICE_RUNNING: CheckSpec = CheckSpec {
    id: "ecs-service-running",
    group: Group::Ecs,
    symptom: "CloudFront returns 502/503 (the service's tasks are not running)",
};
pub const ACM_CERTIFICATE: CheckSpec = CheckSpec {
    id: "acm-certificate",
    group: Group::Certificates,
    symptom: "`terraform apply` hangs on ACM certificate validation",
};
pub const ROUTE53_HOSTED_ZONE: CheckSpec = CheckSpec {
    id: "route53-hosted-zone",
    group: Group::Certificates,
    symptom: "`terraform apply` hangs on ACM certificate validation (no hosted zone for the base domain)",
};

/// Every AWS check, in report order.
pub const ALL: [CheckSpec; 9] = [
    CLOUDFRONT_DEPLOYED,
    CLOUDFRONT_ORIGIN_REQUEST_POLICY,
    CLOUDFRONT_ORIGIN_PROTOCOL,
    CLOUDFRONT_EDGE_FUNCTION,
    ALB_TARGET_HEALTH,
    ALB_SECURITY_GROUP,
    ECS_SERVICE_RUNNING,
    ACM_CERTIFICATE,
    ROUTE53_HOSTED_ZONE,
];

/// How long one check's AWS calls may take together before it reports a timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

impl CheckSpec {
    /// The check could not read what it judges: `warn` when access was denied or the calls
    /// timed out (nothing is known to be wrong), `fail` otherwise (the resource is missing,
    /// the endpoint refused…), the AWS error as evidence.
    pub fn call_failed(&self, target: &str, failure: &CallFailure) -> CheckOutcome {
        let status = if failure.inconclusive {
            Status::Warn
        } else {
            Status::Fail
        };
        self.outcome(
            status,
            target,
            failure.message.clone(),
            Some(failure.fix_or_default()),
        )
    }

    /// One outcome from several findings on the same target: the worst status wins, the
    /// evidence lists every finding, the fix every non-passing finding's fix.
    pub fn combine(&self, target: &str, findings: Vec<Finding>) -> CheckOutcome {
        let rank = |s: Status| match s {
            Status::Fail => 3,
            Status::Warn => 2,
            Status::Pass => 1,
            Status::Skip => 0,
        };
        let status = findings
            .iter()
            .map(|f| f.status)
            .max_by_key(|s| rank(*s))
            .unwrap_or(Status::Skip);
        let evidence = findings
            .iter()
            .map(|f| f.evidence.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let fixes: Vec<&str> = findings.iter().filter_map(|f| f.fix.as_deref()).collect();
        let fix = (!fixes.is_empty() && status != Status::Pass).then(|| fixes.join("\n"));
        self.outcome(status, target, evidence, fix)
    }
}

/// One observation inside a check (a behaviour, an origin, a listener port…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub status: Status,
    pub evidence: String,
    pub fix: Option<String>,
}

impl Finding {
    pub fn pass(evidence: impl Into<String>) -> Self {
        Self {
            status: Status::Pass,
            evidence: evidence.into(),
            fix: None,
        }
    }

    pub fn fail(evidence: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: Status::Fail,
            evidence: evidence.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn warn(evidence: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: Status::Warn,
            evidence: evidence.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn from_failure(failure: &CallFailure) -> Self {
        Self {
            status: if failure.inconclusive {
                Status::Warn
            } else {
                Status::Fail
            },
            evidence: failure.message.clone(),
            fix: Some(failure.fix_or_default()),
        }
    }
}

/// An AWS call that failed, as evidence (the error says what failed; never a secret: no
/// request or response bodies are kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    pub message: String,
    pub fix: Option<String>,
    /// Access denied or timed out: the check cannot tell whether anything is wrong.
    pub inconclusive: bool,
}

/// Error codes that mean "not allowed to read", not "broken".
const DENIED_CODES: [&str; 4] = [
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
];

impl From<AwsError> for CallFailure {
    fn from(err: AwsError) -> Self {
        let denied = err.error_code().is_some_and(|c| DENIED_CODES.contains(&c));
        let fix = if denied {
            Some(format!(
                "{}add the DoctorReadOnly statement of `edgekit iam-policy` to the caller's policy",
                err.help
                    .as_deref()
                    .map(|h| format!("{h}; "))
                    .unwrap_or_default()
            ))
        } else {
            err.help.clone()
        };
        Self {
            message: err.to_string(),
            fix,
            inconclusive: denied,
        }
    }
}

impl CallFailure {
    /// The error's own fix, or the generic one.
    pub fn fix_or_default(&self) -> String {
        self.fix.clone().unwrap_or_else(|| {
            "fix the cause above (id, name, --region, --endpoint-url) and run `edgekit doctor` again"
                .to_owned()
        })
    }

    /// The same failure, its message prefixed with what was being read.
    pub fn reading(&self, what: &str) -> Self {
        Self {
            message: format!("could not read {what}: {}", self.message),
            ..self.clone()
        }
    }

    fn timed_out(what: &str, timeout: Duration) -> Self {
        Self {
            message: format!("{what}: no answer from AWS within {} s", timeout.as_secs()),
            fix: Some(
                "check the network path to the AWS endpoint (proxy, --endpoint-url, --region) and run again, or \
                 allow more time with --timeout"
                    .to_owned(),
            ),
            inconclusive: true,
        }
    }
}

/// The result of a read: the value or why it could not be read.
pub type Read<T> = Result<T, CallFailure>;

/// The SDK clients the checks read with. CloudFront and Route 53 are global services whose
/// API is in us-east-1; ACM is regional (CloudFront's certificates are in us-east-1, an ALB's
/// in the ALB's region), so its client is built per certificate.
#[derive(Debug, Clone)]
pub struct Clients {
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub route53: aws_sdk_route53::Client,
    pub acm: aws_sdk_acm::Config,
}

impl Clients {
    /// Clients for `sdk` (its region for ELBv2, EC2 and ECS).
    pub fn new(sdk: &SdkConfig) -> Self {
        let edge = || Region::new(EDGE_REGION);
        Self {
            cloudfront: aws_sdk_cloudfront::Client::from_conf(
                aws_sdk_cloudfront::config::Builder::from(sdk)
                    .region(edge())
                    .build(),
            ),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(sdk),
            ec2: aws_sdk_ec2::Client::new(sdk),
            ecs: aws_sdk_ecs::Client::new(sdk),
            route53: aws_sdk_route53::Client::from_conf(
                aws_sdk_route53::config::Builder::from(sdk)
                    .region(edge())
                    .build(),
            ),
            acm: aws_sdk_acm::Config::from(sdk),
        }
    }

    /// An ACM client in `region` (the configured region when `None`).
    fn acm_in(&self, region: Option<&str>) -> aws_sdk_acm::Client {
        let mut config = self.acm.to_builder();
        if let Some(region) = region.filter(|r| !r.is_empty()) {
            config = config.region(Region::new(region.to_owned()));
        }
        aws_sdk_acm::Client::from_conf(config.build())
    }

    fn region(&self) -> Option<String> {
        self.acm.region().map(|r| r.to_string())
    }
}

/// Runs every AWS check (default timeout).
pub async fn run(inputs: &AwsCheckInputs, sdk: &SdkConfig) -> Vec<CheckOutcome> {
    run_with_timeout(inputs, sdk, DEFAULT_TIMEOUT).await
}

/// Runs every AWS check; each check's calls together get `timeout`.
pub async fn run_with_timeout(
    inputs: &AwsCheckInputs,
    sdk: &SdkConfig,
    timeout: Duration,
) -> Vec<CheckOutcome> {
    run_with(inputs, &Clients::new(sdk), timeout).await
}

/// Every AWS check as skipped, with the reason (`--no-aws`, no credentials).
pub fn skipped(why: &str) -> Vec<CheckOutcome> {
    ALL.iter().map(|spec| spec.skip("aws", why)).collect()
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Polls every future on this task until all are done (the calls are I/O-bound, so one task
/// is enough to overlap them); outputs in input order.
async fn join_all<T>(futures: Vec<BoxFuture<'_, T>>) -> Vec<T> {
    let mut futures = futures;
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// `read` under `timeout`; a timeout becomes an inconclusive [`CallFailure`].
async fn timed<T>(what: &str, timeout: Duration, read: impl Future<Output = Read<T>>) -> Read<T> {
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| Err(CallFailure::timed_out(what, timeout)))
}

/// Runs the checks with these clients (tests pass mocked ones).
pub async fn run_with(
    inputs: &AwsCheckInputs,
    clients: &Clients,
    timeout: Duration,
) -> Vec<CheckOutcome> {
    // Stage 1: everything that needs no other answer, concurrently.
    let zones = async {
        match &inputs.base_domain {
            Some(_) => Some(timed("ListHostedZones", timeout, list_zones(clients)).await),
            None => None,
        }
    };
    let (distributions, named, mut outcomes, zones) = tokio::join!(
        join_all(distribution_reads(inputs, clients, timeout)),
        join_all(load_balancer_reads(inputs, clients, timeout)),
        join_all(service_checks(inputs, clients, timeout)),
        zones
    );

    // Stage 2: the load balancers (named and behind the distributions) and the certificates
    // (given, on the distributions, or found for the base domain).
    let load_balancers = with_origin_load_balancers(named, &distributions);
    let certificates = match certificates_to_check(inputs, &distributions, clients, timeout).await {
        Ok(arns) => arns,
        Err(outcome) => {
            outcomes.push(outcome);
            Vec::new()
        }
    };
    let (lb_outcomes, cert_outcomes) = tokio::join!(
        join_all(load_balancer_checks(load_balancers, clients, timeout)),
        join_all(certificate_checks(&certificates, &zones, clients, timeout)),
    );

    outcomes.extend(distributions.iter().flat_map(distribution_outcomes));
    outcomes.extend(lb_outcomes.into_iter().flatten());
    outcomes.extend(cert_outcomes);
    if let (Some(base), Some(zones)) = (&inputs.base_domain, &zones) {
        outcomes.push(certs::hosted_zone(base, zones));
    }
    add_skips(&mut outcomes, inputs);
    let order = |o: &CheckOutcome| ALL.iter().position(|s| s.id == o.id).unwrap_or(ALL.len());
    outcomes.sort_by_key(order);
    outcomes
}

type DistributionRead = (String, Read<cloudfront::DistributionFacts>);
/// A load balancer by the name it was given or found under, with its listeners when the
/// distribution's origin check already read them.
type LoadBalancerEntry = (String, Read<LoadBalancer>, Option<Vec<ListenerState>>);

fn distribution_reads<'a>(
    inputs: &'a AwsCheckInputs,
    clients: &'a Clients,
    timeout: Duration,
) -> Vec<BoxFuture<'a, DistributionRead>> {
    inputs
        .distributions
        .iter()
        .map(|id| -> BoxFuture<'a, _> {
            Box::pin(async move {
                let what = format!("distribution {id}");
                let facts = timed(&what, timeout, distribution_facts(clients, id)).await;
                (id.clone(), facts)
            })
        })
        .collect()
}

fn load_balancer_reads<'a>(
    inputs: &'a AwsCheckInputs,
    clients: &'a Clients,
    timeout: Duration,
) -> Vec<BoxFuture<'a, (String, Read<LoadBalancer>)>> {
    inputs
        .load_balancers
        .iter()
        .map(|name| -> BoxFuture<'a, _> {
            Box::pin(async move {
                let read = async {
                    elbv2::find_load_balancer(&clients.elbv2, name)
                        .await
                        .map_err(CallFailure::from)
                };
                (name.clone(), timed(name, timeout, read).await)
            })
        })
        .collect()
}

fn service_checks<'a>(
    inputs: &'a AwsCheckInputs,
    clients: &'a Clients,
    timeout: Duration,
) -> Vec<BoxFuture<'a, CheckOutcome>> {
    inputs
        .services
        .iter()
        .map(|(cluster, service)| -> BoxFuture<'a, _> {
            Box::pin(async move {
                let target = format!("{cluster}/{service}");
                let read = async {
                    ecs::describe_service(&clients.ecs, cluster, service)
                        .await
                        .map_err(CallFailure::from)
                };
                ecs_eval::service_running(&target, &timed(&target, timeout, read).await)
            })
        })
        .collect()
}

/// The named load balancers plus those found behind the distributions' origins, once each.
fn with_origin_load_balancers(
    named: Vec<(String, Read<LoadBalancer>)>,
    distributions: &[DistributionRead],
) -> Vec<LoadBalancerEntry> {
    let mut out: Vec<LoadBalancerEntry> = named
        .into_iter()
        .map(|(name, lb)| (name, lb, None))
        .collect();
    let found = distributions
        .iter()
        .filter_map(|(_, facts)| facts.as_ref().ok())
        .flat_map(|facts| &facts.origins)
        .filter_map(|origin| origin.load_balancer.as_ref().ok().and_then(Option::as_ref));
    for origin_lb in found {
        let known = out
            .iter()
            .any(|(_, lb, _)| lb.as_ref().is_ok_and(|lb| lb.arn == origin_lb.lb.arn));
        if !known {
            out.push((
                origin_lb.lb.name.clone(),
                Ok(origin_lb.lb.clone()),
                Some(origin_lb.listeners.clone()),
            ));
        }
    }
    out
}

fn load_balancer_checks<'a>(
    load_balancers: Vec<LoadBalancerEntry>,
    clients: &'a Clients,
    timeout: Duration,
) -> Vec<BoxFuture<'a, Vec<CheckOutcome>>> {
    load_balancers
        .into_iter()
        .map(|(name, lb, listeners)| -> BoxFuture<'a, _> {
            Box::pin(async move {
                let facts = match lb {
                    Ok(lb) => timed(&name, timeout, lb_facts(clients, lb, listeners)).await,
                    Err(failure) => Err(failure),
                };
                match facts {
                    Ok(facts) => vec![alb::target_health(&facts), alb::security_group(&facts)],
                    Err(failure) => vec![
                        ALB_TARGET_HEALTH.call_failed(&name, &failure),
                        ALB_SECURITY_GROUP.call_failed(&name, &failure),
                    ],
                }
            })
        })
        .collect()
}

/// `--certificate-arn` and the distributions' certificates; without any, the ones found for
/// the base domain (`Err`: the failed search as the check's outcome).
async fn certificates_to_check(
    inputs: &AwsCheckInputs,
    distributions: &[DistributionRead],
    clients: &Clients,
    timeout: Duration,
) -> Result<Vec<String>, CheckOutcome> {
    let arns = certificate_arns(inputs, distributions);
    match (arns.is_empty(), &inputs.base_domain) {
        (true, Some(base)) => timed("ListCertificates", timeout, certificates_for(clients, base))
            .await
            .map_err(|failure| ACM_CERTIFICATE.call_failed(base, &failure)),
        _ => Ok(arns),
    }
}

fn certificate_checks<'a>(
    certificates: &'a [String],
    zones: &Option<Read<Vec<HostedZone>>>,
    clients: &'a Clients,
    timeout: Duration,
) -> Vec<BoxFuture<'a, CheckOutcome>> {
    certificates
        .iter()
        .map(|arn| -> BoxFuture<'a, _> {
            let zones = zones.clone();
            Box::pin(async move {
                let facts = timed(arn, timeout, cert_facts(clients, arn, zones)).await;
                certs::certificate(arn, &facts)
            })
        })
        .collect()
}

/// The four CloudFront outcomes of one distribution (each the read's failure when it failed).
fn distribution_outcomes((id, facts): &DistributionRead) -> Vec<CheckOutcome> {
    match facts {
        Ok(facts) => cloudfront::evaluate(facts),
        Err(failure) => [
            CLOUDFRONT_DEPLOYED,
            CLOUDFRONT_ORIGIN_REQUEST_POLICY,
            CLOUDFRONT_ORIGIN_PROTOCOL,
            CLOUDFRONT_EDGE_FUNCTION,
        ]
        .iter()
        .map(|spec| spec.call_failed(id, failure))
        .collect(),
    }
}

/// A skip line, with the reason, for every check that had nothing to look at.
fn add_skips(outcomes: &mut Vec<CheckOutcome>, inputs: &AwsCheckInputs) {
    let reasons = [
        (CLOUDFRONT_DEPLOYED, "no --distribution given"),
        (CLOUDFRONT_ORIGIN_REQUEST_POLICY, "no --distribution given"),
        (CLOUDFRONT_ORIGIN_PROTOCOL, "no --distribution given"),
        (CLOUDFRONT_EDGE_FUNCTION, "no --distribution given"),
        (
            ALB_TARGET_HEALTH,
            "no --load-balancer given and no distribution origin is a load balancer found in this region",
        ),
        (
            ALB_SECURITY_GROUP,
            "no --load-balancer given and no distribution origin is a load balancer found in this region",
        ),
        (ECS_SERVICE_RUNNING, "no --cluster/--service given"),
        (
            ACM_CERTIFICATE,
            if inputs.base_domain.is_some() {
                "no --certificate-arn given, no distribution uses an ACM certificate and none is issued or pending \
                 for a name in the base domain"
            } else {
                "no --certificate-arn or --base-domain given and no distribution uses an ACM certificate"
            },
        ),
        (ROUTE53_HOSTED_ZONE, "no --base-domain given"),
    ];
    for (spec, why) in reasons {
        if !outcomes.iter().any(|o| o.id == spec.id) {
            outcomes.push(spec.skip("aws", why));
        }
    }
}

/// The distribution, the origin request policies its behaviours name (except the managed
/// one known to forward `CloudFront-Forwarded-Proto`) and the load balancer behind each
/// custom origin with its listeners.
async fn distribution_facts(clients: &Clients, id: &str) -> Read<cloudfront::DistributionFacts> {
    let state: DistributionState =
        cloudfront_read::get_distribution(&clients.cloudfront, id).await?;
    let behaviors = cloudfront::behaviors(&state.config);
    let mut policy_ids: Vec<String> = behaviors
        .iter()
        .filter_map(|b| b.origin_request_policy_id.clone())
        .filter(|p| p != ALL_VIEWER_AND_CLOUDFRONT_HEADERS_POLICY_ID)
        .collect();
    policy_ids.sort();
    policy_ids.dedup();
    let policy_reads: Vec<BoxFuture<'_, (String, Read<cloudfront_read::PolicyHeaders>)>> =
        policy_ids
            .into_iter()
            .map(|pid| -> BoxFuture<'_, _> {
                Box::pin(async move {
                    let read = cloudfront_read::origin_request_policy(&clients.cloudfront, &pid)
                        .await
                        .map_err(CallFailure::from);
                    (pid, read)
                })
            })
            .collect();
    let origins = cloudfront::custom_origins(&state.config);
    let origin_reads: Vec<BoxFuture<'_, cloudfront::OriginFacts>> = origins
        .into_iter()
        .map(|(origin_id, domain)| -> BoxFuture<'_, _> {
            Box::pin(async move {
                let load_balancer = origin_load_balancer(clients, &domain).await;
                cloudfront::OriginFacts {
                    id: origin_id,
                    domain,
                    load_balancer,
                }
            })
        })
        .collect();
    let (policies, origins) = tokio::join!(join_all(policy_reads), join_all(origin_reads));
    Ok(cloudfront::DistributionFacts {
        state,
        policies,
        origins,
    })
}

async fn origin_load_balancer(
    clients: &Clients,
    domain: &str,
) -> Read<Option<cloudfront::OriginLb>> {
    let Some(lb) = elbv2::find_by_dns_name(&clients.elbv2, domain).await? else {
        return Ok(None);
    };
    let listeners = elbv2::listeners(&clients.elbv2, &lb.arn).await?;
    Ok(Some(cloudfront::OriginLb { lb, listeners }))
}

/// Listeners (unless already read), target health, security groups and CloudFront's prefix
/// list id for one load balancer.
async fn lb_facts(
    clients: &Clients,
    lb: LoadBalancer,
    listeners: Option<Vec<ListenerState>>,
) -> Read<alb::LbFacts> {
    let listeners = async {
        match listeners {
            Some(l) => Ok(l),
            None => elbv2::listeners(&clients.elbv2, &lb.arn)
                .await
                .map_err(CallFailure::from),
        }
    };
    let health = async {
        elbv2::target_health(&clients.elbv2, &lb.arn)
            .await
            .map_err(CallFailure::from)
    };
    let groups = async {
        ec2::groups(&clients.ec2, &lb.security_groups)
            .await
            .map_err(CallFailure::from)
    };
    let prefix_list = async {
        ec2::prefix_list(&clients.ec2, CLOUDFRONT_PREFIX_LIST)
            .await
            .map_err(CallFailure::from)
    };
    let (listeners, health, groups, prefix_list) =
        tokio::join!(listeners, health, groups, prefix_list);
    Ok(alb::LbFacts {
        lb,
        listeners,
        health,
        groups,
        prefix_list,
    })
}

async fn list_zones(clients: &Clients) -> Read<Vec<HostedZone>> {
    route53::list_zones(&clients.route53)
        .await
        .map_err(CallFailure::from)
}

/// The certificates to check: `--certificate-arn` and every distribution's ACM certificate.
fn certificate_arns(inputs: &AwsCheckInputs, distributions: &[DistributionRead]) -> Vec<String> {
    let mut arns: Vec<String> = inputs.certificate_arn.iter().cloned().collect();
    for facts in distributions.iter().filter_map(|(_, f)| f.as_ref().ok()) {
        if let Some(arn) = domain::certificate_of(&facts.state.config)
            && !arns.contains(&arn)
        {
            arns.push(arn);
        }
    }
    arns
}

/// Without a given certificate: the issued or pending ones whose names are in the base domain,
/// in us-east-1 (CloudFront's) and the configured region (an ALB's HTTPS listener's).
async fn certificates_for(clients: &Clients, base: &str) -> Read<Vec<String>> {
    let mut regions = vec![EDGE_REGION.to_owned()];
    if let Some(region) = clients.region().filter(|r| r != EDGE_REGION) {
        regions.push(region);
    }
    let mut arns = Vec::new();
    for region in regions {
        let candidates = acm::list_candidates(&clients.acm_in(Some(&region))).await?;
        arns.extend(
            candidates
                .into_iter()
                .filter(|c| {
                    // Names unknown from the summary: DescribeCertificate will show them.
                    c.names.as_ref().is_none_or(|names| {
                        names
                            .iter()
                            .any(|n| domain::in_zone(n.trim_start_matches("*."), base))
                    })
                })
                .map(|c| c.arn),
        );
    }
    Ok(arns)
}

/// A certificate and, while it is pending, where each validation record stands in Route 53.
async fn cert_facts(
    clients: &Clients,
    arn: &str,
    zones: Option<Read<Vec<HostedZone>>>,
) -> Read<certs::CertFacts> {
    let region = Arn::parse(arn).map(|a| a.region.to_owned());
    let acm_client = clients.acm_in(region.as_deref().or(clients.region().as_deref()));
    let cert = acm::describe(&acm_client, arn).await?;
    let wanted = domain::validation_records(&cert);
    if cert.status != domain::CertStatus::PendingValidation || wanted.is_empty() {
        return Ok(certs::CertFacts {
            cert,
            records: Vec::new(),
        });
    }
    let zones = match zones {
        Some(zones) => zones,
        None => list_zones(clients).await,
    };
    let mut records = Vec::new();
    for record in wanted {
        let lookup = match &zones {
            Err(failure) => certs::RecordLookup::Failed(failure.clone()),
            Ok(zones) => match domain::choose_zone(zones, &record.name) {
                None => certs::RecordLookup::NoZone,
                Some(zone) => {
                    match route53::records_named(&clients.route53, &zone.id, &record.name).await {
                        Err(err) => certs::RecordLookup::Failed(err.into()),
                        Ok(existing) if existing.iter().any(|e| record.same_as(e)) => {
                            certs::RecordLookup::Present { zone: zone.clone() }
                        }
                        Ok(_) => certs::RecordLookup::Missing { zone: zone.clone() },
                    }
                }
            },
        };
        records.push((record, lookup));
    }
    Ok(certs::CertFacts { cert, records })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[tokio::test]
    async fn a_read_that_never_answers_times_out_inconclusively() {
        let never = std::future::pending::<Read<()>>();
        let err = timed("distribution E1", Duration::from_millis(20), never)
            .await
            .unwrap_err();
        assert!(err.inconclusive && err.message.contains("no answer from AWS within"));
        let outcome = CLOUDFRONT_DEPLOYED.call_failed("E1", &err);
        assert_eq!(outcome.status, Status::Warn);
    }

    #[tokio::test]
    async fn join_all_keeps_the_order_and_overlaps() {
        let slow: BoxFuture<'_, u32> = Box::pin(async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            1
        });
        let fast: BoxFuture<'_, u32> = Box::pin(async { 2 });
        let started = std::time::Instant::now();
        assert_eq!(join_all(vec![slow, fast]).await, vec![1, 2]);
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn empty_inputs_skip_every_check_with_the_reason() {
        let mut outcomes = Vec::new();
        add_skips(&mut outcomes, &AwsCheckInputs::default());
        assert_eq!(outcomes.len(), ALL.len());
        assert!(
            outcomes
                .iter()
                .all(|o| o.status == Status::Skip && !o.evidence.is_empty())
        );
        assert_eq!(skipped("--no-aws").len(), ALL.len());
    }
}
