//! Pure planning for `edgekit alb protect` and `edgekit secret rotate`: from a load balancer's
//! listeners, rules and security groups to the ELBv2/EC2 writes (in the API's own field
//! names), and the origin-verify secret rotation as a state machine read back from AWS.
//!
//! The platform rules used here are in docs/alb-lockdown.md with their sources.
use std::collections::BTreeSet;

use aws_sdk_cloudfront::types::DistributionConfig;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, HttpHeaderConditionConfig, RuleCondition,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::PlanError;
use super::associations::Plan;

/// The fixed response of the listener's default action once protected, and of `edgekit dev`'s
/// origin-verify rule: one fact, used by both. ContentType must be one of the five values
/// ELBv2 accepts and MessageBody at most 1024 characters. [ELB API Reference,
/// "FixedResponseActionConfig"]
pub const DENY_STATUS: u16 = 403;
pub const DENY_CONTENT_TYPE: &str = "text/plain";
pub const DENY_BODY: &str =
    "Forbidden: this load balancer only accepts requests that come through CloudFront.\n";

/// Rule priorities run 1-50000, the lowest evaluated first; the default rule comes last.
/// [ELB API Reference, "CreateRule": Priority; ELB guide, "Listener rules for your
/// Application Load Balancer"]
pub const MAX_RULE_PRIORITY: i32 = 50_000;
/// Up to three comparison strings per condition and five per rule. [ELB guide, "Listener
/// rules for your Application Load Balancer": Requirements]
pub const MAX_VALUES_PER_CONDITION: usize = 3;
pub const MAX_VALUES_PER_RULE: usize = 5;
/// http-header values: at most 128 characters, compared case-insensitively, with `*` and `?`
/// as wildcards. [CloudFormation reference, "AWS::ElasticLoadBalancingV2::ListenerRule
/// HttpHeaderConfig"]
pub const MAX_HEADER_VALUE_LEN: usize = 128;

/// CloudFront's origin-facing managed prefix list (IPv4) and its weight: a reference counts
/// as 55 rules against the security group's rule quota. [VPC User Guide, "AWS-managed prefix
/// lists": Available AWS-managed prefix lists; CloudFront Developer Guide, "Use the
/// CloudFront managed prefix list"]
pub const CLOUDFRONT_PREFIX_LIST: &str = "com.amazonaws.global.cloudfront.origin-facing";
pub const CLOUDFRONT_PREFIX_LIST_WEIGHT: i32 = 55;
/// Default quota of inbound rules per security group (adjustable). [Amazon VPC quotas,
/// "Security groups": Inbound or outbound rules per security group]
pub const DEFAULT_INBOUND_RULES_PER_GROUP: i32 = 60;

/// What a secret is shown as in plans and logs.
pub const MASK: &str = "****";

/// One listener rule other than the default rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleState {
    pub arn: String,
    pub priority: i32,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<Action>,
}

/// One listener with its default actions and rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerState {
    pub arn: String,
    pub port: i32,
    pub protocol: String,
    pub default_actions: Vec<Action>,
    pub rules: Vec<RuleState>,
}

/// Which secrets a listener must accept: the primary rule's values and, during a rotation,
/// the pending rule's (new) secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub header: String,
    pub primary: Vec<String>,
    pub pending: Option<String>,
}

/// One ELBv2 write.
#[derive(Debug, Clone, PartialEq)]
pub enum AlbWrite {
    CreateRule {
        listener_arn: String,
        priority: i32,
        conditions: Vec<RuleCondition>,
        actions: Vec<Action>,
    },
    ModifyRule {
        rule_arn: String,
        conditions: Vec<RuleCondition>,
    },
    DeleteRule {
        rule_arn: String,
    },
    ModifyListener {
        listener_arn: String,
        default_actions: Vec<Action>,
    },
}

/// The fixed 403 default action.
pub fn deny_action() -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(
            FixedResponseActionConfig::builder()
                .status_code(DENY_STATUS.to_string())
                .content_type(DENY_CONTENT_TYPE)
                .message_body(DENY_BODY)
                .build(),
        )
        .build()
}

/// True for the default action `alb protect` installs.
pub fn is_deny(actions: &[Action]) -> bool {
    let [action] = actions else { return false };
    action.r#type() == Some(&ActionTypeEnum::FixedResponse)
        && action.fixed_response_config().is_some_and(|f| {
            f.status_code() == Some(DENY_STATUS.to_string().as_str())
                && f.message_body() == Some(DENY_BODY)
        })
}

/// An `http-header` condition on `header` with these values.
pub fn verify_condition(header: &str, values: &[String]) -> RuleCondition {
    RuleCondition::builder()
        .field("http-header")
        .http_header_config(
            HttpHeaderConditionConfig::builder()
                .http_header_name(header)
                .set_values(Some(values.to_vec()))
                .build(),
        )
        .build()
}

/// The values of a condition when it is an `http-header` condition on `header`.
fn verify_values<'a>(condition: &'a RuleCondition, header: &str) -> Option<&'a [String]> {
    let config = condition.http_header_config()?;
    let name = config.http_header_name()?;
    name.eq_ignore_ascii_case(header).then(|| config.values())
}

/// A rule `alb protect` created: its only condition is the origin-verify header.
fn is_verify_rule(rule: &RuleState, header: &str) -> bool {
    matches!(rule.conditions.as_slice(), [c] if verify_values(c, header).is_some())
}

/// The primary and (during a rotation) pending origin-verify rules, lowest priority first.
pub fn verify_rules<'a>(listener: &'a ListenerState, header: &str) -> Vec<&'a RuleState> {
    let mut rules: Vec<_> = listener
        .rules
        .iter()
        .filter(|r| is_verify_rule(r, header))
        .collect();
    rules.sort_by_key(|r| r.priority);
    rules
}

fn as_set(values: &[String]) -> BTreeSet<&str> {
    values.iter().map(String::as_str).collect()
}

/// How many comparison strings a condition holds (the per-rule quota counts them).
fn value_count(condition: &RuleCondition) -> usize {
    let configs = [
        condition.host_header_config().map(|c| c.values().len()),
        condition.path_pattern_config().map(|c| c.values().len()),
        condition.http_header_config().map(|c| c.values().len()),
        condition
            .http_request_method_config()
            .map(|c| c.values().len()),
        condition.source_ip_config().map(|c| c.values().len()),
        condition.query_string_config().map(|c| c.values().len()),
    ];
    configs
        .into_iter()
        .flatten()
        .next()
        .unwrap_or_else(|| condition.values().len())
}

/// A condition as it can be sent back: DescribeRules may return both `Values` and the
/// `*Config` form, which CreateRule/ModifyRule refuse together.
fn sendable(condition: &RuleCondition) -> RuleCondition {
    let has_config =
        condition.host_header_config().is_some() || condition.path_pattern_config().is_some();
    let mut condition = condition.clone();
    if has_config {
        condition.values = None;
    }
    condition
}

fn refused(reason: impl Into<String>, help: impl Into<String>) -> PlanError {
    PlanError::Refused {
        reason: reason.into(),
        help: help.into(),
    }
}

/// Checks a secret against the http-header value rules.
pub fn check_secret(secret: &str) -> Result<(), PlanError> {
    let ok = !secret.is_empty()
        && secret.len() <= MAX_HEADER_VALUE_LEN
        && secret
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '*' && c != '?');
    if ok {
        Ok(())
    } else {
        Err(refused(
            format!(
                "the origin-verify secret must be 1-{MAX_HEADER_VALUE_LEN} printable ASCII characters without `*` or `?` \
                 (an ALB http-header condition value: at most 128 characters, `*` and `?` are wildcards)"
            ),
            "rotate it with `edgekit secret rotate` to get one that fits",
        ))
    }
}

/// The writes that make `listener` accept exactly `target`'s secrets on every rule and answer
/// 403 otherwise; nothing when it already does. Existing rules keep their priority, actions
/// and other conditions; they only gain (or update) the origin-verify condition.
pub fn plan_listener(
    listener: &ListenerState,
    target: &Target,
) -> Result<Vec<AlbWrite>, PlanError> {
    for secret in target.primary.iter().chain(&target.pending) {
        check_secret(secret)?;
    }
    let header = target.header.as_str();
    let verify = verify_rules(listener, header);
    if verify.len() > 2 {
        return Err(refused(
            format!(
                "listener {} has {} rules whose only condition is {header}; expected at most two (current and pending secret)",
                listener.arn,
                verify.len()
            ),
            "delete the extra ones (aws elbv2 delete-rule) and run the command again",
        ));
    }
    let forward = forward_actions(listener, &verify)?;
    let mut writes = Vec::new();
    let primary_priority = match verify.first() {
        Some(rule) => {
            update_values(rule, header, &target.primary, &mut writes);
            rule.priority
        }
        None => {
            let priority = free_priority_after(listener, 0, true)?;
            writes.push(create(
                listener,
                priority,
                header,
                &target.primary,
                &forward,
            ));
            priority
        }
    };
    match (verify.get(1), &target.pending) {
        (Some(rule), Some(secret)) => {
            update_values(rule, header, std::slice::from_ref(secret), &mut writes);
        }
        (None, Some(secret)) => {
            let priority = free_priority_after(listener, primary_priority, false)?;
            let values = std::slice::from_ref(secret);
            writes.push(create(listener, priority, header, values, &forward));
        }
        _ => {}
    }
    let accepted: Vec<String> = target
        .primary
        .iter()
        .chain(&target.pending)
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for rule in listener.rules.iter().filter(|r| !is_verify_rule(r, header)) {
        if let Some(write) = guard_rule(rule, header, &accepted)? {
            writes.push(write);
        }
    }
    if let (Some(rule), None) = (verify.get(1), &target.pending) {
        writes.push(AlbWrite::DeleteRule {
            rule_arn: rule.arn.clone(),
        });
    }
    if !is_deny(&listener.default_actions) {
        writes.push(AlbWrite::ModifyListener {
            listener_arn: listener.arn.clone(),
            default_actions: vec![deny_action()],
        });
    }
    Ok(writes)
}

/// What the origin-verify rule forwards to: the listener's default action before protection,
/// kept in the primary rule after.
fn forward_actions(
    listener: &ListenerState,
    verify: &[&RuleState],
) -> Result<Vec<Action>, PlanError> {
    if !is_deny(&listener.default_actions) {
        return Ok(listener.default_actions.clone());
    }
    match verify.first() {
        Some(rule) => Ok(rule.actions.clone()),
        None => Err(refused(
            format!(
                "listener {} (port {}) answers the edgekit 403 by default but has no origin-verify rule to forward with, \
                 so where requests went before is unknown",
                listener.arn, listener.port
            ),
            "set its default action back (aws elbv2 modify-listener --default-actions ...) and run `edgekit alb protect` again",
        )),
    }
}

fn create(
    listener: &ListenerState,
    priority: i32,
    header: &str,
    values: &[String],
    actions: &[Action],
) -> AlbWrite {
    AlbWrite::CreateRule {
        listener_arn: listener.arn.clone(),
        priority,
        conditions: vec![verify_condition(header, values)],
        actions: actions.to_vec(),
    }
}

fn update_values(rule: &RuleState, header: &str, values: &[String], writes: &mut Vec<AlbWrite>) {
    let current = rule
        .conditions
        .first()
        .and_then(|c| verify_values(c, header));
    if current.is_some_and(|v| as_set(v) == as_set(values)) {
        return;
    }
    writes.push(AlbWrite::ModifyRule {
        rule_arn: rule.arn.clone(),
        conditions: vec![verify_condition(header, values)],
    });
}

/// An existing rule gains the origin-verify condition (or its values are updated): otherwise
/// it would route direct-to-ALB requests past the 403.
fn guard_rule(
    rule: &RuleState,
    header: &str,
    accepted: &[String],
) -> Result<Option<AlbWrite>, PlanError> {
    let current: Vec<_> = rule
        .conditions
        .iter()
        .filter_map(|c| verify_values(c, header))
        .collect();
    if let [values] = current.as_slice()
        && as_set(values) == as_set(accepted)
    {
        return Ok(None);
    }
    let mut conditions: Vec<RuleCondition> = rule
        .conditions
        .iter()
        .filter(|c| verify_values(c, header).is_none())
        .map(sendable)
        .collect();
    conditions.push(verify_condition(header, accepted));
    let total: usize = conditions.iter().map(value_count).sum();
    if accepted.len() > MAX_VALUES_PER_CONDITION || total > MAX_VALUES_PER_RULE {
        return Err(refused(
            format!(
                "rule {} (priority {}) would need {total} condition values with the origin-verify header, more than the \
                 {MAX_VALUES_PER_RULE} an ALB rule allows (at most {MAX_VALUES_PER_CONDITION} per condition)",
                rule.arn, rule.priority
            ),
            "split the rule or drop a value, then run the command again",
        ));
    }
    Ok(Some(AlbWrite::ModifyRule {
        rule_arn: rule.arn.clone(),
        conditions,
    }))
}

/// The primary rule goes after every existing rule (so it never shadows their routing); the
/// pending one right after the primary.
fn free_priority_after(
    listener: &ListenerState,
    after: i32,
    after_all: bool,
) -> Result<i32, PlanError> {
    let taken: BTreeSet<i32> = listener.rules.iter().map(|r| r.priority).collect();
    let start = if after_all {
        taken.iter().max().copied().unwrap_or(0) + 1
    } else {
        after + 1
    };
    (start..=MAX_RULE_PRIORITY)
        .find(|p| !taken.contains(p))
        .ok_or_else(|| {
            refused(
                format!(
                    "listener {} has no free rule priority after {}: priorities end at {MAX_RULE_PRIORITY}",
                    listener.arn,
                    start - 1
                ),
                "renumber its rules (aws elbv2 set-rule-priorities) and run the command again",
            )
        })
}

// ---------------------------------------------------------------------------------------
// Security group

/// One ingress permission of a security group, reduced to what the plan looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ingress {
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub cidrs_v4: Vec<String>,
    pub cidrs_v6: Vec<String>,
    pub prefix_lists: Vec<String>,
    pub groups: usize,
}

/// A security group of the load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupState {
    pub group_id: String,
    pub ingress: Vec<Ingress>,
}

/// What `--security-group-mode` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupMode {
    /// Allow the listener ports from CloudFront's prefix list and remove 0.0.0.0/0 and ::/0
    /// ingress on those ports.
    PrefixList,
    /// Leave the security groups as they are (warn when they are open to the internet).
    Keep,
}

/// One EC2 write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupWrite {
    AuthorizeIngress {
        group_id: String,
        port: i32,
        prefix_list_id: String,
    },
    RevokeIngress {
        group_id: String,
        port: i32,
        cidr: String,
    },
}

/// The security-group part of the plan, with what the user should know.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupPlan {
    pub writes: Vec<GroupWrite>,
    pub warnings: Vec<String>,
}

const OPEN: [&str; 2] = ["0.0.0.0/0", "::/0"];

/// Whether an inbound rule admits TCP `port` (all traffic, or a TCP range containing it).
pub fn covers(ingress: &Ingress, port: i32) -> bool {
    ingress.protocol == "-1"
        || (ingress.protocol == "tcp"
            && ingress.from_port.is_some_and(|f| f <= port)
            && ingress.to_port.is_some_and(|t| t >= port))
}

fn exactly(ingress: &Ingress, port: i32) -> bool {
    ingress.protocol == "tcp" && ingress.from_port == Some(port) && ingress.to_port == Some(port)
}

/// How much of the inbound-rule quota a group uses: a prefix list counts as its weight.
fn weight(group: &GroupState, prefix_list_id: &str, list_weight: i32) -> i32 {
    let rules: usize = group
        .ingress
        .iter()
        .map(|i| i.cidrs_v4.len() + i.cidrs_v6.len() + i.groups)
        .sum();
    let lists: i32 = group
        .ingress
        .iter()
        .flat_map(|i| &i.prefix_lists)
        .map(|id| if id == prefix_list_id { list_weight } else { 1 })
        .sum();
    i32::try_from(rules)
        .unwrap_or(i32::MAX)
        .saturating_add(lists)
}

/// Plans the security groups: in prefix-list mode, CloudFront's prefix list on each port
/// (on the first group unless one already allows it) and no internet-wide ingress on those
/// ports; in keep mode, no write but a warning for every internet-wide ingress.
pub fn plan_groups(
    groups: &[GroupState],
    ports: &[i32],
    prefix_list_id: &str,
    list_weight: i32,
    mode: GroupMode,
) -> GroupPlan {
    let mut plan = GroupPlan::default();
    for &port in ports {
        plan_port(groups, port, prefix_list_id, mode, &mut plan);
    }
    if let Some(first) = groups.first() {
        let added = plan
            .writes
            .iter()
            .filter(|w| matches!(w, GroupWrite::AuthorizeIngress { group_id, .. } if *group_id == first.group_id))
            .count();
        let removed = plan
            .writes
            .iter()
            .filter(|w| matches!(w, GroupWrite::RevokeIngress { group_id, .. } if *group_id == first.group_id))
            .count();
        let after = weight(first, prefix_list_id, list_weight)
            + list_weight * i32::try_from(added).unwrap_or(0)
            - i32::try_from(removed).unwrap_or(0);
        if added > 0 && after > DEFAULT_INBOUND_RULES_PER_GROUP {
            plan.warnings.push(format!(
                "security group {} would use {after} inbound rules, over the default quota of {DEFAULT_INBOUND_RULES_PER_GROUP}: \
                 CloudFront's prefix list {CLOUDFRONT_PREFIX_LIST} counts as {list_weight} rules per reference (VPC User Guide, \
                 \"AWS-managed prefix lists\"); request a higher \"Inbound or outbound rules per security group\" quota or \
                 free rules first, or AuthorizeSecurityGroupIngress fails with RulesPerSecurityGroupLimitExceeded",
                first.group_id
            ));
        }
    }
    plan
}

fn plan_port(
    groups: &[GroupState],
    port: i32,
    prefix_list_id: &str,
    mode: GroupMode,
    plan: &mut GroupPlan,
) {
    let allowed = groups
        .iter()
        .flat_map(|g| &g.ingress)
        .any(|i| covers(i, port) && i.prefix_lists.iter().any(|p| p == prefix_list_id));
    if mode == GroupMode::PrefixList
        && !allowed
        && let Some(first) = groups.first()
    {
        plan.writes.push(GroupWrite::AuthorizeIngress {
            group_id: first.group_id.clone(),
            port,
            prefix_list_id: prefix_list_id.to_owned(),
        });
    }
    for group in groups {
        for ingress in group.ingress.iter().filter(|i| covers(i, port)) {
            let open = ingress
                .cidrs_v4
                .iter()
                .chain(&ingress.cidrs_v6)
                .filter(|c| OPEN.contains(&c.as_str()));
            for cidr in open {
                open_ingress(group, ingress, port, cidr, mode, plan);
            }
        }
    }
}

fn open_ingress(
    group: &GroupState,
    ingress: &Ingress,
    port: i32,
    cidr: &str,
    mode: GroupMode,
    plan: &mut GroupPlan,
) {
    match mode {
        GroupMode::PrefixList if exactly(ingress, port) => plan.writes.push(GroupWrite::RevokeIngress {
            group_id: group.group_id.clone(),
            port,
            cidr: cidr.to_owned(),
        }),
        GroupMode::PrefixList => plan.warnings.push(format!(
            "security group {} allows {cidr} on a range that includes port {port} (protocol {}, ports {}-{}); \
             it is not removed because it covers other ports too: narrow it by hand",
            group.group_id,
            ingress.protocol,
            ingress.from_port.unwrap_or(-1),
            ingress.to_port.unwrap_or(-1)
        )),
        GroupMode::Keep => plan.warnings.push(format!(
            "security group {} still allows {cidr} on port {port}: direct requests reach the ALB (and get the 403); \
             `--security-group-mode prefix-list` replaces it with CloudFront's prefix list (see it first with --dry-run)",
            group.group_id
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Rendering (API field names, secrets masked)

fn masked(values: &[String]) -> Vec<&'static str> {
    values.iter().map(|_| MASK).collect()
}

/// A condition as the ELBv2 API shows it; origin-verify values masked.
pub fn condition_json(condition: &RuleCondition, header: &str) -> Value {
    let mut out = Map::new();
    if let Some(field) = condition.field() {
        out.insert("Field".into(), json!(field));
    }
    if !condition.values().is_empty() {
        out.insert("Values".into(), json!(condition.values()));
    }
    if let Some(c) = condition.http_header_config() {
        let values = if verify_values(condition, header).is_some() {
            json!(masked(c.values()))
        } else {
            json!(c.values())
        };
        out.insert(
            "HttpHeaderConfig".into(),
            json!({"HttpHeaderName": c.http_header_name(), "Values": values}),
        );
    }
    if let Some(c) = condition.host_header_config() {
        out.insert("HostHeaderConfig".into(), json!({"Values": c.values()}));
    }
    if let Some(c) = condition.path_pattern_config() {
        out.insert("PathPatternConfig".into(), json!({"Values": c.values()}));
    }
    if let Some(c) = condition.http_request_method_config() {
        out.insert(
            "HttpRequestMethodConfig".into(),
            json!({"Values": c.values()}),
        );
    }
    if let Some(c) = condition.source_ip_config() {
        out.insert("SourceIpConfig".into(), json!({"Values": c.values()}));
    }
    if let Some(c) = condition.query_string_config() {
        let pairs: Vec<Value> = c
            .values()
            .iter()
            .map(|p| json!({"Key": p.key(), "Value": p.value()}))
            .collect();
        out.insert("QueryStringConfig".into(), json!({ "Values": pairs }));
    }
    Value::Object(out)
}

/// An action as the ELBv2 API shows it (authentication configs by name only).
pub fn action_json(action: &Action) -> Value {
    let mut out = Map::new();
    out.insert(
        "Type".into(),
        json!(action.r#type().map(ActionTypeEnum::as_str)),
    );
    if let Some(arn) = action.target_group_arn() {
        out.insert("TargetGroupArn".into(), json!(arn));
    }
    if let Some(order) = action.order() {
        out.insert("Order".into(), json!(order));
    }
    if let Some(f) = action.forward_config() {
        let groups: Vec<Value> = f
            .target_groups()
            .iter()
            .map(|t| json!({"TargetGroupArn": t.target_group_arn(), "Weight": t.weight()}))
            .collect();
        out.insert("ForwardConfig".into(), json!({ "TargetGroups": groups }));
    }
    if let Some(f) = action.fixed_response_config() {
        out.insert(
            "FixedResponseConfig".into(),
            json!({"StatusCode": f.status_code(), "ContentType": f.content_type(), "MessageBody": f.message_body()}),
        );
    }
    if let Some(r) = action.redirect_config() {
        out.insert(
            "RedirectConfig".into(),
            json!({"Protocol": r.protocol(), "Port": r.port(), "Host": r.host(), "Path": r.path(),
                   "Query": r.query(), "StatusCode": r.status_code().map(|s| s.as_str())}),
        );
    }
    if action.authenticate_oidc_config().is_some() {
        out.insert("AuthenticateOidcConfig".into(), json!("(unchanged)"));
    }
    if action.authenticate_cognito_config().is_some() {
        out.insert("AuthenticateCognitoConfig".into(), json!("(unchanged)"));
    }
    Value::Object(out)
}

impl AlbWrite {
    /// The call as `{"Operation": ..., <request fields>}`, secrets masked.
    pub fn to_json(&self, header: &str) -> Value {
        let conditions = |c: &[RuleCondition]| -> Vec<Value> {
            c.iter().map(|c| condition_json(c, header)).collect()
        };
        let actions = |a: &[Action]| -> Vec<Value> { a.iter().map(action_json).collect() };
        match self {
            Self::CreateRule {
                listener_arn,
                priority,
                conditions: c,
                actions: a,
            } => {
                json!({"Operation": "CreateRule", "ListenerArn": listener_arn, "Priority": priority,
                        "Conditions": conditions(c), "Actions": actions(a)})
            }
            Self::ModifyRule {
                rule_arn,
                conditions: c,
            } => {
                json!({"Operation": "ModifyRule", "RuleArn": rule_arn, "Conditions": conditions(c)})
            }
            Self::DeleteRule { rule_arn } => {
                json!({"Operation": "DeleteRule", "RuleArn": rule_arn})
            }
            Self::ModifyListener {
                listener_arn,
                default_actions,
            } => json!({"Operation": "ModifyListener", "ListenerArn": listener_arn,
                        "DefaultActions": actions(default_actions)}),
        }
    }
}

impl GroupWrite {
    /// The call as `{"Operation": ..., <request fields>}`.
    pub fn to_json(&self) -> Value {
        match self {
            Self::AuthorizeIngress {
                group_id,
                port,
                prefix_list_id,
            } => json!({"Operation": "AuthorizeSecurityGroupIngress", "GroupId": group_id,
                "IpPermissions": [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                    "PrefixListIds": [{"PrefixListId": prefix_list_id, "Description": PREFIX_LIST_RULE_DESCRIPTION}]}]}),
            Self::RevokeIngress {
                group_id,
                port,
                cidr,
            } => {
                let range = if cidr.contains(':') {
                    json!({"Ipv6Ranges": [{"CidrIpv6": cidr}]})
                } else {
                    json!({"IpRanges": [{"CidrIp": cidr}]})
                };
                let mut permission = json!({"IpProtocol": "tcp", "FromPort": port, "ToPort": port});
                if let (Some(p), Some(r)) = (permission.as_object_mut(), range.as_object()) {
                    p.extend(r.clone());
                }
                json!({"Operation": "RevokeSecurityGroupIngress", "GroupId": group_id, "IpPermissions": [permission]})
            }
        }
    }
}

/// The description on the ingress rule edgekit adds.
pub const PREFIX_LIST_RULE_DESCRIPTION: &str = "edgekit: CloudFront origin-facing servers only";

// ---------------------------------------------------------------------------------------
// Distributions: the secret in the custom origin header

/// The values of `header` on the distribution's origins (distinct, in origin order).
pub fn distribution_secrets(config: &DistributionConfig, header: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let origins = config.origins().map(|o| o.items()).unwrap_or_default();
    for origin in origins {
        let headers = origin
            .custom_headers()
            .map(|h| h.items())
            .unwrap_or_default();
        for h in headers
            .iter()
            .filter(|h| h.header_name().eq_ignore_ascii_case(header))
        {
            if !out.iter().any(|v| v == h.header_value()) {
                out.push(h.header_value().to_owned());
            }
        }
    }
    out
}

/// Moves every origin's `header` to `secret`; nothing else in the config changes.
pub fn plan_header_secret(
    config: &DistributionConfig,
    header: &str,
    secret: &str,
) -> Result<Plan, PlanError> {
    let current = distribution_secrets(config, header);
    if current.is_empty() {
        return Err(refused(
            format!("the distribution has no origin with the custom header {header}"),
            "pass --header with the header name `distribution create` used (--origin-verify-header)",
        ));
    }
    if current.iter().all(|v| v == secret) {
        return Ok(Plan::Unchanged {
            reason: format!("every origin already sends the new {header}"),
        });
    }
    let mut config = config.clone();
    if let Some(origins) = config.origins.as_mut() {
        for origin in &mut origins.items {
            let Some(headers) = origin.custom_headers.as_mut() else {
                continue;
            };
            for h in headers.items.iter_mut().flatten() {
                if h.header_name.eq_ignore_ascii_case(header) {
                    h.header_value = secret.to_owned();
                }
            }
        }
    }
    Ok(Plan::Change {
        config: Box::new(config),
        summary: format!("move the custom origin header {header} to the new secret"),
    })
}

// ---------------------------------------------------------------------------------------
// Rotation state machine

/// Where a rotation stands, read back from AWS (nothing is kept locally).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The ALB accepts `current` only and every distribution sends one of them: step 1 next
    /// (generate a secret, accept both).
    Idle { current: Vec<String> },
    /// The ALB accepts `old` and `new`; some distribution still sends an old one: step 2 next
    /// (after completing step 1 on every listener).
    Accepting { old: Vec<String>, new: String },
    /// Every distribution sends `new`; the ALB still accepts `old`: step 3 (wait for the
    /// deployment) and step 4 (accept only `new`) next.
    Moved { old: Vec<String>, new: String },
}

impl Phase {
    /// The ALB state that the next ALB step must reach (`new` for step 1 from Idle).
    pub fn alb_target(&self, header: &str, new: Option<&str>) -> Option<Target> {
        let target = |primary: &[String], pending: Option<&str>| Target {
            header: header.to_owned(),
            primary: primary.to_vec(),
            pending: pending.map(str::to_owned),
        };
        match self {
            Self::Idle { current } => new.map(|n| target(current, Some(n))),
            Self::Accepting { old, new } => Some(target(old, Some(new))),
            Self::Moved { new, .. } => Some(target(std::slice::from_ref(new), None)),
        }
    }
}

/// Reads the rotation phase from the listeners and the distributions' secrets.
pub fn rotation_phase(
    listeners: &[ListenerState],
    header: &str,
    sent: &[String],
) -> Result<Phase, PlanError> {
    let mut primary = BTreeSet::new();
    let mut pending = BTreeSet::new();
    for listener in listeners {
        let rules = verify_rules(listener, header);
        let Some(first) = rules.first().filter(|_| is_deny(&listener.default_actions)) else {
            return Err(refused(
                format!(
                    "listener {} (port {}) is not protected",
                    listener.arn, listener.port
                ),
                "run `edgekit alb protect --secret-from-distribution ID` first",
            ));
        };
        first
            .conditions
            .iter()
            .filter_map(|c| verify_values(c, header))
            .flatten()
            .for_each(|v| {
                primary.insert(v.clone());
            });
        if let Some(second) = rules.get(1) {
            second
                .conditions
                .iter()
                .filter_map(|c| verify_values(c, header))
                .flatten()
                .for_each(|v| {
                    pending.insert(v.clone());
                });
        }
    }
    let sent: BTreeSet<String> = sent.iter().cloned().collect();
    let unknown = || {
        refused(
            "a distribution sends an origin-verify secret the ALB does not accept (CloudFront requests get the 403)",
            "run `edgekit alb protect --secret-from-distribution ID` for every distribution to accept what they send, \
             then rotate again",
        )
    };
    let [new] = pending.iter().collect::<Vec<_>>()[..] else {
        if pending.len() > 1 {
            return Err(refused(
                "the listeners' pending origin-verify rules hold different secrets",
                "delete the pending rules (the origin-verify rule with the larger priority) and rotate again",
            ));
        }
        if !sent.is_subset(&primary) {
            return Err(unknown());
        }
        return Ok(Phase::Idle {
            current: primary.into_iter().collect(),
        });
    };
    let new = new.clone();
    let old: Vec<String> = primary.iter().filter(|v| **v != new).cloned().collect();
    if sent.iter().all(|s| *s == new) {
        return Ok(Phase::Moved { old, new });
    }
    if sent.iter().all(|s| *s == new || old.contains(s)) {
        return Ok(Phase::Accepting { old, new });
    }
    Err(unknown())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const H: &str = "X-Origin-Verify";

    fn forward(tg: &str) -> Action {
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(tg)
            .build()
    }

    fn path_rule(arn: &str, priority: i32, path: &str) -> RuleState {
        RuleState {
            arn: arn.into(),
            priority,
            conditions: vec![
                RuleCondition::builder()
                    .field("path-pattern")
                    .values(path)
                    .path_pattern_config(
                        aws_sdk_elasticloadbalancingv2::types::PathPatternConditionConfig::builder(
                        )
                        .values(path)
                        .build(),
                    )
                    .build(),
            ],
            actions: vec![forward("tg-api")],
        }
    }

    fn listener(rules: Vec<RuleState>) -> ListenerState {
        ListenerState {
            arn: "l1".into(),
            port: 80,
            protocol: "HTTP".into(),
            default_actions: vec![forward("tg-app")],
            rules,
        }
    }

    fn target(primary: &[&str], pending: Option<&str>) -> Target {
        Target {
            header: H.into(),
            primary: primary.iter().map(|s| (*s).to_owned()).collect(),
            pending: pending.map(str::to_owned),
        }
    }

    /// Applies writes to a listener the way ELBv2 would.
    fn apply(mut l: ListenerState, writes: &[AlbWrite]) -> ListenerState {
        for (n, w) in writes.iter().enumerate() {
            match w {
                AlbWrite::CreateRule {
                    priority,
                    conditions,
                    actions,
                    ..
                } => l.rules.push(RuleState {
                    arn: format!("created-{}-{n}", l.rules.len()),
                    priority: *priority,
                    conditions: conditions.clone(),
                    actions: actions.clone(),
                }),
                AlbWrite::ModifyRule {
                    rule_arn,
                    conditions,
                } => {
                    let r = l.rules.iter_mut().find(|r| r.arn == *rule_arn).unwrap();
                    r.conditions = conditions.clone();
                }
                AlbWrite::DeleteRule { rule_arn } => l.rules.retain(|r| r.arn != *rule_arn),
                AlbWrite::ModifyListener {
                    default_actions, ..
                } => l.default_actions = default_actions.clone(),
            }
        }
        l
    }

    #[test]
    fn protect_from_scratch_then_nothing() {
        let l = listener(vec![]);
        let writes = plan_listener(&l, &target(&["s3cret-value-123456"], None)).unwrap();
        assert!(
            matches!(&writes[0], AlbWrite::CreateRule { priority: 1, actions, .. } if actions == &vec![forward("tg-app")])
        );
        assert!(
            matches!(&writes[1], AlbWrite::ModifyListener { default_actions, .. } if is_deny(default_actions))
        );
        let l = apply(l, &writes);
        assert!(
            plan_listener(&l, &target(&["s3cret-value-123456"], None))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn existing_rules_keep_priority_and_gain_the_header() {
        let l = listener(vec![
            path_rule("r5", 5, "/api/*"),
            path_rule("r9", 9, "/admin/*"),
        ]);
        let writes = plan_listener(&l, &target(&["abc"], None)).unwrap();
        let created = writes
            .iter()
            .find_map(|w| match w {
                AlbWrite::CreateRule { priority, .. } => Some(*priority),
                _ => None,
            })
            .unwrap();
        assert_eq!(created, 10, "after every existing rule");
        let l2 = apply(l.clone(), &writes);
        for arn in ["r5", "r9"] {
            let before = l.rules.iter().find(|r| r.arn == arn).unwrap();
            let after = l2.rules.iter().find(|r| r.arn == arn).unwrap();
            assert_eq!(before.priority, after.priority);
            assert_eq!(before.actions, after.actions);
            assert_eq!(after.conditions.len(), 2);
            assert!(
                after.conditions[0].values().is_empty(),
                "Values dropped next to PathPatternConfig"
            );
        }
        assert!(
            plan_listener(&l2, &target(&["abc"], None))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn too_many_values_is_refused() {
        let mut rule = path_rule("r1", 1, "/a");
        rule.conditions.push(
            RuleCondition::builder()
                .field("host-header")
                .host_header_config(
                    aws_sdk_elasticloadbalancingv2::types::HostHeaderConditionConfig::builder()
                        .values("a.example")
                        .values("b.example")
                        .values("c.example")
                        .build(),
                )
                .build(),
        );
        let err = plan_listener(&listener(vec![rule]), &target(&["x1", "x2"], None)).unwrap_err();
        assert!(err.to_string().contains("condition values"), "{err}");
    }

    #[test]
    fn secrets_with_wildcards_are_refused() {
        assert!(check_secret("abc*def").is_err());
        assert!(check_secret(&"a".repeat(129)).is_err());
        assert!(check_secret("Zm9vYmFy-_").is_ok());
    }

    #[test]
    fn rotation_walks_through_the_phases() {
        let l = listener(vec![path_rule("r5", 5, "/api/*")]);
        let l = apply(
            l.clone(),
            &plan_listener(&l, &target(&["old"], None)).unwrap(),
        );
        let sent = |s: &[&str]| s.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>();
        let phase = rotation_phase(std::slice::from_ref(&l), H, &sent(&["old"])).unwrap();
        assert_eq!(
            phase,
            Phase::Idle {
                current: sent(&["old"])
            }
        );
        let step1 = plan_listener(&l, &phase.alb_target(H, Some("new")).unwrap()).unwrap();
        let l = apply(l, &step1);
        let phase = rotation_phase(std::slice::from_ref(&l), H, &sent(&["old"])).unwrap();
        assert_eq!(
            phase,
            Phase::Accepting {
                old: sent(&["old"]),
                new: "new".into()
            }
        );
        assert!(
            plan_listener(&l, &phase.alb_target(H, None).unwrap())
                .unwrap()
                .is_empty()
        );
        let phase = rotation_phase(std::slice::from_ref(&l), H, &sent(&["new", "old"])).unwrap();
        assert!(matches!(phase, Phase::Accepting { .. }));
        let phase = rotation_phase(std::slice::from_ref(&l), H, &sent(&["new"])).unwrap();
        assert_eq!(
            phase,
            Phase::Moved {
                old: sent(&["old"]),
                new: "new".into()
            }
        );
        let step4 = plan_listener(&l, &phase.alb_target(H, None).unwrap()).unwrap();
        assert!(
            step4
                .iter()
                .any(|w| matches!(w, AlbWrite::DeleteRule { .. }))
        );
        let l = apply(l, &step4);
        assert_eq!(
            rotation_phase(std::slice::from_ref(&l), H, &sent(&["new"])).unwrap(),
            Phase::Idle {
                current: sent(&["new"])
            }
        );
        assert_eq!(l.rules.iter().find(|r| r.arn == "r5").unwrap().priority, 5);
    }

    #[test]
    fn unaccepted_secret_and_unprotected_listener_are_errors() {
        let l = listener(vec![]);
        assert!(rotation_phase(std::slice::from_ref(&l), H, &["x".into()]).is_err());
        let l = apply(
            l.clone(),
            &plan_listener(&l, &target(&["a"], None)).unwrap(),
        );
        assert!(rotation_phase(std::slice::from_ref(&l), H, &["b".into()]).is_err());
    }

    #[test]
    fn masked_in_json() {
        let w = AlbWrite::ModifyRule {
            rule_arn: "r".into(),
            conditions: vec![verify_condition(H, &["topsecret".into()])],
        };
        let text = w.to_json(H).to_string();
        assert!(!text.contains("topsecret") && text.contains(MASK), "{text}");
    }

    fn group(ingress: Vec<Ingress>) -> GroupState {
        GroupState {
            group_id: "sg-1".into(),
            ingress,
        }
    }

    fn open(port: i32) -> Ingress {
        Ingress {
            protocol: "tcp".into(),
            from_port: Some(port),
            to_port: Some(port),
            cidrs_v4: vec!["0.0.0.0/0".into(), "10.0.0.0/8".into()],
            cidrs_v6: vec!["::/0".into()],
            ..Ingress::default()
        }
    }

    #[test]
    fn prefix_list_mode_adds_and_revokes_only_on_listener_ports() {
        let groups = vec![group(vec![open(80), open(22)])];
        let plan = plan_groups(&groups, &[80], "pl-cf", 55, GroupMode::PrefixList);
        assert_eq!(plan.writes.len(), 3, "{plan:?}");
        assert!(plan.writes.iter().all(|w| match w {
            GroupWrite::AuthorizeIngress { port, .. } | GroupWrite::RevokeIngress { port, .. } =>
                *port == 80,
        }));
        assert!(plan.warnings.is_empty(), "{plan:?}");
        let keep = plan_groups(&groups, &[80], "pl-cf", 55, GroupMode::Keep);
        assert!(keep.writes.is_empty());
        assert_eq!(keep.warnings.len(), 2);
    }

    #[test]
    fn quota_warning_when_the_list_does_not_fit() {
        let mut big = open(443);
        big.cidrs_v4 = (0..10).map(|i| format!("10.{i}.0.0/16")).collect();
        big.cidrs_v6.clear();
        let plan = plan_groups(
            &[group(vec![big])],
            &[80],
            "pl-cf",
            55,
            GroupMode::PrefixList,
        );
        assert!(
            plan.warnings.iter().any(|w| w.contains("65 inbound rules")),
            "{plan:?}"
        );
    }
}
