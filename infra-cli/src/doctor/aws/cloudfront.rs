//! Pure evaluation of the CloudFront checks: a distribution as GetDistribution shows it (plus
//! its origin request policies and the load balancers behind its origins) → the outcomes of
//! `cloudfront-deployed`, `cloudfront-origin-request-policy`, `cloudfront-origin-protocol`
//! and `cloudfront-edge-function`. Never prints a custom header's value (the origin-verify
//! secret is one): names only.
use aws_sdk_cloudfront::types::{DistributionConfig, OriginProtocolPolicy, ViewerProtocolPolicy};

use super::{
    CLOUDFRONT_DEPLOYED, CLOUDFRONT_EDGE_FUNCTION, CLOUDFRONT_ORIGIN_PROTOCOL,
    CLOUDFRONT_ORIGIN_REQUEST_POLICY, Finding, Read,
};
use crate::aws::cloudfront_read::{DistributionState, PolicyHeaders};
use crate::aws::elbv2::LoadBalancer;
use crate::doctor::check::CheckOutcome;
use crate::plan::alb::ListenerState;
use crate::plan::arn::{FunctionArn, FunctionVersionArn};
use crate::plan::distribution::ALL_VIEWER_AND_CLOUDFRONT_HEADERS_POLICY_ID;

/// The header CloudFront adds when the origin request policy includes it; forwarded-proto
/// reads it on origin-request. [CloudFront Developer Guide, "Add CloudFront request headers";
/// docs/platform.md, "What CloudFront does to a request"]
const FORWARDED_PROTO_HEADER: &str = "CloudFront-Forwarded-Proto";
/// The header the ALB sets from its own listener (docs/platform.md, "What the ALB does").
const X_FORWARDED_PROTO: &str = "X-Forwarded-Proto";
/// The edge functions this check knows, by the name part of their Lambda ARN.
const FORWARDED_PROTO: &str = "forwarded-proto";
const KEYCLOAK_HOST: &str = "keycloak-host";

/// Everything the CloudFront checks judge for one distribution.
#[derive(Debug, Clone)]
pub struct DistributionFacts {
    pub state: DistributionState,
    /// The behaviours' origin request policies (except the managed one known to include the
    /// header), read with GetOriginRequestPolicy.
    pub policies: Vec<(String, Read<PolicyHeaders>)>,
    /// Custom origins and the load balancer found behind each.
    pub origins: Vec<OriginFacts>,
}

/// A custom origin and the load balancer whose DNS name it is (None: no such load balancer
/// in this region).
#[derive(Debug, Clone)]
pub struct OriginFacts {
    pub id: String,
    pub domain: String,
    pub load_balancer: Read<Option<OriginLb>>,
}

#[derive(Debug, Clone)]
pub struct OriginLb {
    pub lb: LoadBalancer,
    pub listeners: Vec<ListenerState>,
}

/// A cache behaviour reduced to what the checks read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behavior {
    /// `default` or the path pattern.
    pub path: String,
    pub origin_id: String,
    pub viewer_protocol: String,
    pub origin_request_policy_id: Option<String>,
    /// Legacy ForwardedValues headers (when no origin request policy is set).
    pub legacy_headers: Vec<String>,
    /// (event type, Lambda ARN).
    pub lambdas: Vec<(String, String)>,
    /// (event type, CloudFront Function ARN): the cloudfront-functions runtime.
    pub cf_functions: Vec<(String, String)>,
}

/// The default behaviour first, then the others in order.
// ForwardedValues is deprecated in favour of policies, but distributions made before
// policies still use it, and then it decides which headers reach the origin.
#[allow(deprecated)]
pub fn behaviors(config: &DistributionConfig) -> Vec<Behavior> {
    let mut out = Vec::new();
    if let Some(d) = &config.default_cache_behavior {
        out.push(Behavior {
            path: "default".to_owned(),
            origin_id: d.target_origin_id.clone(),
            viewer_protocol: d.viewer_protocol_policy.as_str().to_owned(),
            origin_request_policy_id: d.origin_request_policy_id.clone().filter(|p| !p.is_empty()),
            legacy_headers: legacy_headers(d.forwarded_values.as_ref()),
            lambdas: lambdas(d.lambda_function_associations.as_ref()),
            cf_functions: cf_functions(d.function_associations.as_ref()),
        });
    }
    for c in config.cache_behaviors.iter().flat_map(|c| c.items()) {
        out.push(Behavior {
            path: c.path_pattern.clone(),
            origin_id: c.target_origin_id.clone(),
            viewer_protocol: c.viewer_protocol_policy.as_str().to_owned(),
            origin_request_policy_id: c.origin_request_policy_id.clone().filter(|p| !p.is_empty()),
            legacy_headers: legacy_headers(c.forwarded_values.as_ref()),
            lambdas: lambdas(c.lambda_function_associations.as_ref()),
            cf_functions: cf_functions(c.function_associations.as_ref()),
        });
    }
    out
}

fn legacy_headers(values: Option<&aws_sdk_cloudfront::types::ForwardedValues>) -> Vec<String> {
    values
        .and_then(|v| v.headers.as_ref())
        .map(|h| h.items().to_vec())
        .unwrap_or_default()
}

fn lambdas(
    assocs: Option<&aws_sdk_cloudfront::types::LambdaFunctionAssociations>,
) -> Vec<(String, String)> {
    assocs
        .map(|a| {
            a.items()
                .iter()
                .map(|l| {
                    (
                        l.event_type.as_str().to_owned(),
                        l.lambda_function_arn.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn cf_functions(
    assocs: Option<&aws_sdk_cloudfront::types::FunctionAssociations>,
) -> Vec<(String, String)> {
    assocs
        .map(|a| {
            a.items()
                .iter()
                .map(|f| (f.event_type.as_str().to_owned(), f.function_arn.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Which of our functions a CloudFront Function ARN (`arn:aws:cloudfront::<account>:function/<name>`) is.
fn our_cf_function(arn: &str) -> Option<&'static str> {
    let name = arn.rsplit('/').next()?;
    [FORWARDED_PROTO, KEYCLOAK_HOST]
        .into_iter()
        .find(|f| name.contains(f))
}

impl Behavior {
    /// Our CloudFront Function on viewer-request, if any (the cloudfront-functions runtime).
    fn viewer_cf_function(&self) -> Option<&'static str> {
        self.cf_functions
            .iter()
            .filter(|(event, _)| event == "viewer-request")
            .find_map(|(_, arn)| our_cf_function(arn))
    }

    fn viewers_https_only(&self) -> bool {
        self.viewer_protocol == ViewerProtocolPolicy::RedirectToHttps.as_str()
            || self.viewer_protocol == ViewerProtocolPolicy::HttpsOnly.as_str()
    }
}

/// Custom origins (id, domain): the ones that can be a load balancer.
pub fn custom_origins(config: &DistributionConfig) -> Vec<(String, String)> {
    config
        .origins
        .iter()
        .flat_map(|o| o.items())
        .filter(|o| o.custom_origin_config.is_some())
        .map(|o| (o.id.clone(), o.domain_name.clone()))
        .collect()
}

/// Which of our functions an ARN is (by the function name: `edgekit-forwarded-proto`, or any
/// name containing the function's).
fn our_function(arn: &str) -> Option<&'static str> {
    let name = FunctionArn::parse(arn).ok()?.name;
    [FORWARDED_PROTO, KEYCLOAK_HOST]
        .into_iter()
        .find(|f| name.contains(f))
}

/// The four CloudFront outcomes for one distribution.
pub fn evaluate(facts: &DistributionFacts) -> Vec<CheckOutcome> {
    let behaviors = behaviors(&facts.state.config);
    vec![
        deployed(&facts.state),
        origin_request_policy(facts, &behaviors),
        origin_protocol(facts, &behaviors),
        edge_function(&facts.state, &behaviors),
    ]
}

fn deployed(state: &DistributionState) -> CheckOutcome {
    let id = state.id.as_str();
    if !state.config.enabled {
        return CLOUDFRONT_DEPLOYED.fail(
            id,
            format!("distribution {id} ({}) is disabled", state.domain_name),
            format!(
                "enable it: `aws cloudfront get-distribution-config --id {id}`, set \"Enabled\": true, then \
                 `aws cloudfront update-distribution --id {id} --if-match <ETag> --distribution-config file://config.json`"
            ),
        );
    }
    if state.status != "Deployed" {
        return CLOUDFRONT_DEPLOYED.warn(
            id,
            format!(
                "status {}: the last change is still propagating to the edge locations",
                state.status
            ),
            format!("wait for it: `edgekit wait --distribution {id}` (usually a few minutes)"),
        );
    }
    CLOUDFRONT_DEPLOYED.pass(
        id,
        format!(
            "Deployed and enabled, served at https://{}",
            state.domain_name
        ),
    )
}

/// Whether `CloudFront-Forwarded-Proto` reaches the origin (and so an origin-request
/// function) on this behaviour, and why.
fn header_reaches(
    behavior: &Behavior,
    policies: &[(String, Read<PolicyHeaders>)],
) -> Result<(bool, String), Finding> {
    let Some(id) = &behavior.origin_request_policy_id else {
        let reaches = behavior
            .legacy_headers
            .iter()
            .any(|h| h == "*" || h.eq_ignore_ascii_case(FORWARDED_PROTO_HEADER));
        return Ok((
            reaches,
            format!(
                "no origin request policy; legacy forwarded headers [{}]",
                behavior.legacy_headers.join(", ")
            ),
        ));
    };
    if id == ALL_VIEWER_AND_CLOUDFRONT_HEADERS_POLICY_ID {
        return Ok((
            true,
            format!("managed policy AllViewerAndCloudFrontHeaders-2022-06 ({id})"),
        ));
    }
    match policies.iter().find(|(p, _)| p == id).map(|(_, r)| r) {
        Some(Ok(policy)) => {
            let listed = policy
                .headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(FORWARDED_PROTO_HEADER));
            // whitelist and allViewerAndWhitelistCloudFront forward the listed headers;
            // allViewer and allExcept forward viewer headers only, and CloudFront-* headers
            // are CloudFront's, not the viewer's. [CloudFront API Reference,
            // "OriginRequestPolicyHeadersConfig": HeaderBehavior]
            let reaches = listed
                && matches!(
                    policy.behavior.as_str(),
                    "whitelist" | "allViewerAndWhitelistCloudFront"
                );
            Ok((
                reaches,
                format!(
                    "origin request policy {} ({id}): HeaderBehavior {}, headers [{}]",
                    policy.name,
                    policy.behavior,
                    policy.headers.join(", ")
                ),
            ))
        }
        Some(Err(failure)) => Err(Finding::from_failure(&failure.reading(&format!(
            "the {} behavior's origin request policy",
            behavior.path
        )))),
        None => Err(Finding::warn(
            format!("origin request policy {id} was not read"),
            "run `edgekit doctor` again",
        )),
    }
}

fn origin_request_policy(facts: &DistributionFacts, behaviors: &[Behavior]) -> CheckOutcome {
    let id = facts.state.id.as_str();
    let mut findings = Vec::new();
    for behavior in behaviors {
        let functions: Vec<&str> = behavior
            .lambdas
            .iter()
            .filter(|(event, _)| event == "origin-request")
            .filter_map(|(_, arn)| our_function(arn))
            .collect();
        // Behaviours other than the default matter only when forwarded-proto runs there.
        if behavior.path != "default" && !functions.contains(&FORWARDED_PROTO) {
            continue;
        }
        if let Some(function) = behavior.viewer_cf_function() {
            findings.push(cf_function_policy_finding(behavior, function));
            continue;
        }
        let (reaches, how) = match header_reaches(behavior, &facts.policies) {
            Ok(r) => r,
            Err(finding) => {
                findings.push(finding);
                continue;
            }
        };
        let place = format!("{} behavior: {how}", behavior.path);
        findings.push(policy_finding(id, behavior, &functions, reaches, place));
    }
    CLOUDFRONT_ORIGIN_REQUEST_POLICY.combine(id, findings)
}

/// A CloudFront Function runs before CloudFront adds its headers, so it cannot read
/// CloudFront-Forwarded-Proto; it is right to assume https only when viewers cannot use http.
/// [CloudFront Developer Guide, "Choose between CloudFront Functions and Lambda@Edge"; docs/platform.md]
fn cf_function_policy_finding(behavior: &Behavior, function: &str) -> Finding {
    let place = format!(
        "{} behavior: CloudFront Function {function} on viewer-request, viewer protocol {}",
        behavior.path, behavior.viewer_protocol
    );
    if behavior.viewers_https_only() {
        Finding::pass(format!("{place}: every request it sees came over https"))
    } else {
        Finding::fail(
            format!("{place}: http viewers reach it too, and it cannot tell them apart"),
            "set the behavior's ViewerProtocolPolicy to redirect-to-https (`aws cloudfront update-distribution`)",
        )
    }
}

fn policy_finding(
    id: &str,
    behavior: &Behavior,
    functions: &[&str],
    reaches: bool,
    place: String,
) -> Finding {
    if reaches {
        return Finding::pass(format!(
            "{place}; {FORWARDED_PROTO_HEADER} reaches the origin"
        ));
    }
    if functions.contains(&KEYCLOAK_HOST) && !functions.contains(&FORWARDED_PROTO) {
        return Finding::pass(format!(
            "{place}; {FORWARDED_PROTO_HEADER} is not forwarded, and keycloak-host assumes https without it"
        ));
    }
    let fix = format!(
        "give the {} behavior the managed origin request policy AllViewerAndCloudFrontHeaders-2022-06: \
         `aws cloudfront get-distribution-config --id {id} > config.json`, set \"OriginRequestPolicyId\": \
         \"{ALL_VIEWER_AND_CLOUDFRONT_HEADERS_POLICY_ID}\" on it, then `aws cloudfront update-distribution --id {id} \
         --if-match <ETag> --distribution-config file://<the DistributionConfig part>`; or add {FORWARDED_PROTO_HEADER} \
         to the custom policy's headers (`aws cloudfront update-origin-request-policy`)",
        behavior.path
    );
    if !functions.contains(&FORWARDED_PROTO) {
        return Finding::warn(
            format!(
                "{place}; {FORWARDED_PROTO_HEADER} does not reach the origin (it matters once forwarded-proto is \
                 attached, see cloudfront-edge-function)"
            ),
            fix,
        );
    }
    // forwarded-proto answers 500 without the header unless it was published with
    // on_missing_proto=assume-https, which is only right when viewers cannot use http.
    if behavior.viewers_https_only() {
        Finding::warn(
            format!(
                "{place}; {FORWARDED_PROTO_HEADER} does not reach forwarded-proto: it answers 500 unless it was \
                 published with {{\"on_missing_proto\": \"assume-https\"}} (doctor cannot read the packaged config; \
                 viewer protocol {} makes that setting safe)",
                behavior.viewer_protocol
            ),
            fix,
        )
    } else {
        Finding::fail(
            format!(
                "{place}; {FORWARDED_PROTO_HEADER} does not reach forwarded-proto, and viewer protocol {} lets http \
                 viewers in, so assuming https would be wrong",
                behavior.viewer_protocol
            ),
            fix,
        )
    }
}

fn origin_protocol(facts: &DistributionFacts, behaviors: &[Behavior]) -> CheckOutcome {
    let id = facts.state.id.as_str();
    let origins: Vec<_> = facts
        .state
        .config
        .origins
        .iter()
        .flat_map(|o| o.items())
        .collect();
    let mut findings = Vec::new();
    for origin_facts in &facts.origins {
        let Some(origin) = origins.iter().find(|o| o.id == origin_facts.id) else {
            continue;
        };
        let Some(custom) = &origin.custom_origin_config else {
            continue;
        };
        let header_names: Vec<&str> = origin
            .custom_headers
            .iter()
            .flat_map(|h| h.items())
            .map(|h| h.header_name.as_str())
            .collect();
        let has_xfp = header_names
            .iter()
            .any(|h| h.eq_ignore_ascii_case(X_FORWARDED_PROTO));
        // Both functions send the viewer's protocol in their own header, which the ALB keeps.
        let forwarded_proto_runs = behaviors.iter().any(|b| {
            b.origin_id == origin.id
                && (b.viewer_cf_function().is_some()
                    || b.lambdas
                        .iter()
                        .any(|(e, arn)| e == "origin-request" && our_function(arn).is_some()))
        });
        let lb = match &origin_facts.load_balancer {
            Err(failure) => {
                findings.push(Finding::from_failure(failure));
                continue;
            }
            Ok(None) => {
                findings.push(Finding::warn(
                    format!(
                        "origin {} ({}) is not a load balancer found in this region",
                        origin.id, origin.domain_name
                    ),
                    "pass the ALB's region with --region (or its name with --load-balancer) to check its listeners",
                ));
                continue;
            }
            Ok(Some(lb)) => lb,
        };
        let protocol = custom.origin_protocol_policy.clone();
        let check = OriginCheck {
            distribution: id,
            origin_id: &origin.id,
            protocol: &protocol,
            http_port: custom.http_port,
            https_port: custom.https_port,
            header_names: &header_names,
            has_xfp,
            forwarded_proto_runs,
        };
        findings.extend(check.judge(lb));
    }
    if findings.is_empty() {
        return CLOUDFRONT_ORIGIN_PROTOCOL.pass(
            id,
            "no custom origin (nothing to compare with a load balancer)",
        );
    }
    CLOUDFRONT_ORIGIN_PROTOCOL.combine(id, findings)
}

struct OriginCheck<'a> {
    distribution: &'a str,
    origin_id: &'a str,
    protocol: &'a OriginProtocolPolicy,
    http_port: i32,
    https_port: i32,
    header_names: &'a [&'a str],
    has_xfp: bool,
    forwarded_proto_runs: bool,
}

impl OriginCheck<'_> {
    /// The listener CloudFront connects to for each protocol the origin policy uses.
    fn judge(&self, found: &OriginLb) -> Vec<Finding> {
        let wanted: Vec<(&str, i32)> = match self.protocol {
            OriginProtocolPolicy::HttpOnly => vec![("HTTP", self.http_port)],
            OriginProtocolPolicy::HttpsOnly => vec![("HTTPS", self.https_port)],
            _ => vec![("HTTP", self.http_port), ("HTTPS", self.https_port)],
        };
        let have: Vec<String> = found
            .listeners
            .iter()
            .map(|l| format!("{}:{}", l.protocol, l.port))
            .collect();
        let have = if have.is_empty() {
            "none".to_owned()
        } else {
            have.join(", ")
        };
        let mut findings = Vec::new();
        for (proto, port) in wanted {
            let listener = found.listeners.iter().find(|l| l.port == port);
            let evidence = format!(
                "origin {} uses {} on port {port}; load balancer {} listens on {have}",
                self.origin_id,
                self.protocol.as_str(),
                found.lb.name
            );
            match listener {
                Some(l) if l.protocol.eq_ignore_ascii_case(proto) => {
                    findings.push(self.header_finding(evidence, proto, found));
                }
                _ => findings.push(Finding::fail(
                    format!("{evidence}: CloudFront's {proto} connections on port {port} get no {proto} listener (502)"),
                    self.protocol_fix(found, &have),
                )),
            }
        }
        findings
    }

    fn protocol_fix(&self, found: &OriginLb, have: &str) -> String {
        let id = self.distribution;
        let https = found.listeners.iter().find(|l| l.protocol == "HTTPS");
        let http = found.listeners.iter().find(|l| l.protocol == "HTTP");
        let suggestion = match (https, http) {
            (Some(l), _) => format!(
                "\"OriginProtocolPolicy\": \"https-only\", \"HTTPSPort\": {}",
                l.port
            ),
            (None, Some(l)) => format!(
                "\"OriginProtocolPolicy\": \"http-only\", \"HTTPPort\": {}",
                l.port
            ),
            (None, None) => "(the load balancer has no listener: add one first)".to_owned(),
        };
        format!(
            "match the origin to the load balancer's listeners ({have}): `aws cloudfront get-distribution-config --id {id} \
             > config.json`, set on origin {} {suggestion}, then `aws cloudfront update-distribution --id {id} --if-match \
             <ETag> --distribution-config file://<the DistributionConfig part>`",
            self.origin_id
        )
    }

    /// Behind an HTTP listener the ALB sets `X-Forwarded-Proto: http` whatever CloudFront sent
    /// (docs/platform.md, "What the ALB does"), so a custom `X-Forwarded-Proto: https` origin
    /// header does not reach the app; forwarded-proto's own header does.
    fn header_finding(&self, evidence: String, proto: &str, found: &OriginLb) -> Finding {
        let names = if self.header_names.is_empty() {
            "none".to_owned()
        } else {
            self.header_names.join(", ")
        };
        let evidence = format!("{evidence}; custom origin headers (names only): {names}");
        if proto != "HTTP" || !self.has_xfp {
            return Finding::pass(evidence);
        }
        if self.forwarded_proto_runs {
            return Finding::pass(format!(
                "{evidence}; the ALB's HTTP listener overwrites the custom {X_FORWARDED_PROTO} with `http`, and \
                 the edge function sends the viewer's protocol in X-Cloudfront-Forwarded-Proto instead"
            ));
        }
        Finding::fail(
            format!(
                "{evidence}; the custom {X_FORWARDED_PROTO} header is overwritten by load balancer {}'s HTTP listener \
                 (the app sees `http`) and no forwarded-proto or keycloak-host function carries the protocol",
                found.lb.name
            ),
            format!(
                "attach forwarded-proto on origin-request (`edgekit publish forwarded-proto`, then `edgekit attach \
                 --distribution {} --function-arn <the version ARN it prints>`) and read X-Cloudfront-Forwarded-Proto \
                 in the app (docs/forwarding-headers.md); or give the ALB an HTTPS listener and the origin \
                 https-only, so the ALB itself sets {X_FORWARDED_PROTO}: https",
                self.distribution
            ),
        )
    }
}

fn edge_function(state: &DistributionState, behaviors: &[Behavior]) -> CheckOutcome {
    let id = state.id.as_str();
    let expected = if state.config.comment.ends_with(":keycloak") {
        KEYCLOAK_HOST
    } else {
        FORWARDED_PROTO
    };
    let mut findings = Vec::new();
    for behavior in behaviors {
        let ours: Vec<(&str, &str, &str)> = behavior
            .lambdas
            .iter()
            .filter_map(|(event, arn)| Some((our_function(arn)?, event.as_str(), arn.as_str())))
            .collect();
        if let Some(function) = behavior.viewer_cf_function() {
            findings.push(Finding::pass(format!(
                "CloudFront Function {function} on viewer-request ({} behavior)",
                behavior.path
            )));
            continue;
        }
        if behavior.path == "default" && ours.is_empty() {
            findings.push(Finding::fail(
                "no forwarded-proto or keycloak-host association on the default behavior",
                format!(
                    "`edgekit publish {expected}`, then `edgekit attach --distribution {id} --function-arn <the version \
                     ARN it prints>` (origin-request is the default event type)"
                ),
            ));
        }
        for (function, event, arn) in ours {
            findings.push(association_finding(
                id,
                &behavior.path,
                function,
                event,
                arn,
            ));
        }
    }
    CLOUDFRONT_EDGE_FUNCTION.combine(id, findings)
}

fn association_finding(id: &str, path: &str, function: &str, event: &str, arn: &str) -> Finding {
    let reattach = format!(
        "`edgekit publish {function}` prints a numbered version ARN; then `edgekit attach --distribution {id} \
         --function-arn <that ARN> --replace`{}",
        if path == "default" {
            String::new()
        } else {
            format!(" --path-pattern '{path}'")
        }
    );
    if event != "origin-request" {
        return Finding::fail(
            format!(
                "{function} is attached on {event} ({path} behavior): CloudFront-Forwarded-Proto and the origin's Host \
                 exist only on origin-request"
            ),
            format!(
                "`edgekit detach --distribution {id} --function-arn {arn} --event-type {event}`, then attach it on \
                 origin-request: {reattach}"
            ),
        );
    }
    match FunctionVersionArn::parse(arn) {
        Ok(version) => Finding::pass(format!(
            "{function} version {} on origin-request ({path} behavior)",
            version.version
        )),
        Err(err) => Finding::fail(
            format!(
                "{function} on origin-request ({path} behavior) is not attachable as is: {err}"
            ),
            reattach,
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use aws_sdk_cloudfront::types::{
        EventType, LambdaFunctionAssociation, LambdaFunctionAssociations,
    };

    use super::*;
    use crate::doctor::check::Status;
    use crate::plan::distribution::{DistributionRole, DistributionSpec, build_config};

    const ALB: &str = "my-alb-123.us-east-1.elb.amazonaws.com";
    const SECRET: &str = "very-secret-origin-verify-value";
    const FP3: &str = "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:3";

    fn config(protocol: OriginProtocolPolicy, function: Option<&str>) -> DistributionConfig {
        let spec = DistributionSpec {
            role: DistributionRole::Registry,
            name: "demo".into(),
            origin_domain: ALB.into(),
            origin_protocol: protocol,
            aliases: vec![],
            certificate_arn: None,
            origin_read_timeout: 60,
        };
        build_config(&spec, "X-Origin-Verify", SECRET, function).unwrap()
    }

    fn with_lambda(
        mut config: DistributionConfig,
        event: EventType,
        arn: &str,
    ) -> DistributionConfig {
        let assoc = LambdaFunctionAssociation::builder()
            .event_type(event)
            .lambda_function_arn(arn)
            .build()
            .unwrap();
        let list = LambdaFunctionAssociations::builder()
            .quantity(1)
            .items(assoc)
            .build()
            .unwrap();
        config
            .default_cache_behavior
            .as_mut()
            .unwrap()
            .lambda_function_associations = Some(list);
        config
    }

    fn listener(protocol: &str, port: i32) -> ListenerState {
        ListenerState {
            arn: format!("l-{port}"),
            port,
            protocol: protocol.into(),
            default_actions: vec![],
            rules: vec![],
        }
    }

    fn facts(config: DistributionConfig, listeners: Vec<ListenerState>) -> DistributionFacts {
        facts_with(config, listeners, vec![])
    }

    fn facts_with(
        config: DistributionConfig,
        listeners: Vec<ListenerState>,
        policies: Vec<(String, Read<PolicyHeaders>)>,
    ) -> DistributionFacts {
        let lb = LoadBalancer {
            arn: "arn:lb".into(),
            name: "my-alb".into(),
            dns_name: ALB.into(),
            security_groups: vec![],
        };
        DistributionFacts {
            state: DistributionState {
                id: "E1".into(),
                status: "Deployed".into(),
                domain_name: "d1.cloudfront.net".into(),
                config,
            },
            policies,
            origins: vec![OriginFacts {
                id: "registry-alb".into(),
                domain: ALB.into(),
                load_balancer: Ok(Some(OriginLb { lb, listeners })),
            }],
        }
    }

    fn status_of(outcomes: &[CheckOutcome], id: &str) -> (Status, String) {
        let o = outcomes.iter().find(|o| o.id == id).unwrap();
        (
            o.status,
            format!("{} | {}", o.evidence, o.fix.clone().unwrap_or_default()),
        )
    }

    #[test]
    fn an_edgekit_distribution_passes_every_check_and_never_shows_the_secret() {
        let outcomes = evaluate(&facts(
            config(OriginProtocolPolicy::HttpOnly, Some(FP3)),
            vec![listener("HTTP", 80)],
        ));
        for o in &outcomes {
            assert_eq!(o.status, Status::Pass, "{o:?}");
            assert!(!format!("{o:?}").contains(SECRET));
        }
        let (_, protocol) = status_of(&outcomes, "cloudfront-origin-protocol");
        assert!(
            protocol.contains("overwrites the custom X-Forwarded-Proto"),
            "{protocol}"
        );
        assert!(
            protocol.contains("X-Origin-Verify"),
            "header names are shown: {protocol}"
        );
    }

    #[test]
    fn custom_x_forwarded_proto_behind_http_without_the_function_fails() {
        let outcomes = evaluate(&facts(
            config(OriginProtocolPolicy::HttpOnly, None),
            vec![listener("HTTP", 80)],
        ));
        let (status, text) = status_of(&outcomes, "cloudfront-origin-protocol");
        assert_eq!(status, Status::Fail, "{text}");
        assert!(
            text.contains("overwritten") && !text.contains(SECRET),
            "{text}"
        );
        let (status, text) = status_of(&outcomes, "cloudfront-edge-function");
        assert_eq!(status, Status::Fail, "{text}");
        assert!(text.contains("edgekit publish forwarded-proto"), "{text}");
        assert_eq!(
            status_of(&outcomes, "cloudfront-origin-request-policy").0,
            Status::Pass
        );
    }

    #[test]
    fn origin_protocol_without_a_matching_listener_fails() {
        let outcomes = evaluate(&facts(
            config(OriginProtocolPolicy::HttpsOnly, Some(FP3)),
            vec![listener("HTTP", 80)],
        ));
        let (status, text) = status_of(&outcomes, "cloudfront-origin-protocol");
        assert_eq!(status, Status::Fail, "{text}");
        assert!(
            text.contains("502") && text.contains("\"http-only\", \"HTTPPort\": 80"),
            "{text}"
        );
    }

    #[test]
    fn latest_alias_and_viewer_request_attachments_fail() {
        let latest =
            "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:$LATEST";
        for (event, arn, needle) in [
            (EventType::OriginRequest, latest, "$LATEST"),
            (
                EventType::OriginRequest,
                "arn:aws:lambda:us-east-1:1:function:edgekit-forwarded-proto:live",
                "alias",
            ),
            (EventType::ViewerRequest, FP3, "viewer-request"),
        ] {
            let c = with_lambda(config(OriginProtocolPolicy::HttpOnly, None), event, arn);
            let (status, text) = status_of(
                &evaluate(&facts(c, vec![listener("HTTP", 80)])),
                "cloudfront-edge-function",
            );
            assert_eq!(status, Status::Fail, "{text}");
            assert!(text.contains(needle), "{text}");
        }
    }

    fn policy(behavior: &str, headers: &[&str]) -> (String, Read<PolicyHeaders>) {
        (
            "custom-1".into(),
            Ok(PolicyHeaders {
                id: "custom-1".into(),
                name: "mine".into(),
                behavior: behavior.into(),
                headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            }),
        )
    }

    fn custom_policy(viewer: ViewerProtocolPolicy, p: (String, Read<PolicyHeaders>)) -> Status {
        let mut c = config(OriginProtocolPolicy::HttpOnly, Some(FP3));
        let b = c.default_cache_behavior.as_mut().unwrap();
        b.origin_request_policy_id = Some("custom-1".into());
        b.viewer_protocol_policy = viewer;
        let outcomes = evaluate(&facts_with(c, vec![listener("HTTP", 80)], vec![p]));
        status_of(&outcomes, "cloudfront-origin-request-policy").0
    }

    #[test]
    fn custom_policies_are_read_for_cloudfront_forwarded_proto() {
        use ViewerProtocolPolicy::{AllowAll, RedirectToHttps};
        assert_eq!(
            custom_policy(AllowAll, policy("allViewer", &[])),
            Status::Fail
        );
        assert_eq!(
            custom_policy(RedirectToHttps, policy("allViewer", &[])),
            Status::Warn
        );
        assert_eq!(
            custom_policy(
                AllowAll,
                policy("whitelist", &["cloudfront-forwarded-proto"])
            ),
            Status::Pass
        );
        assert_eq!(
            custom_policy(
                AllowAll,
                policy("allExcept", &["CloudFront-Forwarded-Proto"])
            ),
            Status::Fail,
            "allExcept lists what is NOT forwarded"
        );
        let failed = (
            "custom-1".to_owned(),
            Err(super::super::CallFailure {
                message: "GetOriginRequestPolicy custom-1: NoSuchOriginRequestPolicy".into(),
                fix: None,
                inconclusive: false,
            }),
        );
        assert_eq!(custom_policy(AllowAll, failed), Status::Fail);
    }

    #[test]
    fn keycloak_host_carries_the_protocol_too() {
        let kc = "arn:aws:lambda:us-east-1:123456789012:function:edgekit-keycloak-host:2";
        let mut c = config(OriginProtocolPolicy::HttpOnly, Some(kc));
        c.comment = "edgekit:demo:keycloak".into();
        let outcomes = evaluate(&facts(c, vec![listener("HTTP", 80)]));
        for o in &outcomes {
            assert_eq!(o.status, Status::Pass, "{o:?}");
        }
    }

    #[test]
    fn deployment_state() {
        let mut f = facts(
            config(OriginProtocolPolicy::HttpOnly, Some(FP3)),
            vec![listener("HTTP", 80)],
        );
        f.state.status = "InProgress".into();
        assert_eq!(
            status_of(&evaluate(&f), "cloudfront-deployed").0,
            Status::Warn
        );
        f.state.config.enabled = false;
        assert_eq!(
            status_of(&evaluate(&f), "cloudfront-deployed").0,
            Status::Fail
        );
    }
}
