//! Lambda@Edge associations on a distribution config: the attach/detach plan and its diff.
//!
//! The plan changes only the `LambdaFunctionAssociations` of one cache behavior (or, for
//! `destroy`, of every behavior) and keeps every other field of the config as it was read, so
//! that the UpdateDistribution call that follows, which replaces the whole config, loses
//! nothing. ["UpdateDistribution", CloudFront API Reference: "you must provide the entire
//! distribution configuration ... if you omit an optional field, CloudFront deletes it"]
use std::fmt;

use aws_sdk_cloudfront::types::{
    DistributionConfig, EventType as SdkEventType, FunctionAssociation, FunctionAssociations,
    LambdaFunctionAssociation, LambdaFunctionAssociations, ViewerProtocolPolicy,
};
use edge::EventType;

use super::PlanError;
use super::arn::{CloudFrontFunctionArn, FunctionVersionArn, is_version_of};

/// The SDK's spelling of an event type. ["LambdaFunctionAssociation", CloudFront API
/// Reference: EventType]
pub fn sdk_event_type(event_type: EventType) -> SdkEventType {
    match event_type {
        EventType::ViewerRequest => SdkEventType::ViewerRequest,
        EventType::OriginRequest => SdkEventType::OriginRequest,
        EventType::OriginResponse => SdkEventType::OriginResponse,
        EventType::ViewerResponse => SdkEventType::ViewerResponse,
    }
}

/// Which cache behavior to change: the default one, or the one with this path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BehaviorTarget {
    Default,
    PathPattern(String),
    /// Every behavior (used by `destroy` to detach a function everywhere).
    All,
}

impl From<Option<String>> for BehaviorTarget {
    fn from(pattern: Option<String>) -> Self {
        match pattern {
            Some(p) => Self::PathPattern(p),
            None => Self::Default,
        }
    }
}

impl fmt::Display for BehaviorTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("the default cache behavior"),
            Self::PathPattern(p) => write!(f, "cache behavior `{p}`"),
            Self::All => f.write_str("every cache behavior"),
        }
    }
}

/// Attach this function version on this event of this behavior.
#[derive(Debug, Clone)]
pub struct AttachRequest {
    pub function: FunctionVersionArn,
    pub event_type: EventType,
    pub include_body: bool,
    pub target: BehaviorTarget,
    pub replace: bool,
}

/// Which associations to remove.
#[derive(Debug, Clone)]
pub enum FunctionSelector {
    /// Exactly this (versioned) ARN.
    Arn(String),
    /// Any version of the function with this name.
    AnyVersionOf(String),
}

impl FunctionSelector {
    /// A versioned ARN selects itself; a bare name or an unqualified ARN selects every version.
    pub fn parse(value: &str) -> Self {
        let parts: Vec<&str> = value.split(':').collect();
        match parts.len() {
            8 => Self::Arn(value.to_owned()),
            7 => Self::AnyVersionOf(parts[6].to_owned()),
            _ => Self::AnyVersionOf(value.to_owned()),
        }
    }

    fn matches(&self, arn: &str) -> bool {
        match self {
            Self::Arn(wanted) => arn == wanted,
            Self::AnyVersionOf(name) => is_version_of(arn, name),
        }
    }
}

/// Remove matching associations, optionally only on one event type.
#[derive(Debug, Clone)]
pub struct DetachRequest {
    pub function: FunctionSelector,
    pub event_type: Option<EventType>,
    pub target: BehaviorTarget,
}

/// The outcome of planning: nothing to do, or the full new config to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Unchanged {
        reason: String,
    },
    Change {
        config: Box<DistributionConfig>,
        summary: String,
    },
}

impl Plan {
    pub fn is_change(&self) -> bool {
        matches!(self, Self::Change { .. })
    }
}

/// The associations of one behavior as a list (CloudFront omits Items when Quantity is 0).
fn items_of(assocs: &Option<LambdaFunctionAssociations>) -> Vec<LambdaFunctionAssociation> {
    assocs
        .as_ref()
        .and_then(|a| a.items.clone())
        .unwrap_or_default()
}

/// Builds the list back with `Quantity` equal to the number of items, as the API requires.
/// ["LambdaFunctionAssociations", CloudFront API Reference: Quantity]
fn associations_from(
    items: Vec<LambdaFunctionAssociation>,
) -> Result<LambdaFunctionAssociations, PlanError> {
    let quantity = i32::try_from(items.len()).unwrap_or(i32::MAX);
    let mut assocs = LambdaFunctionAssociations::builder()
        .quantity(quantity)
        .build()
        .map_err(|err| PlanError::InvalidOption(format!("bad association list: {err}")))?;
    assocs.items = if items.is_empty() { None } else { Some(items) };
    Ok(assocs)
}

/// A new association item (the SDK types are non-exhaustive, so built through the builder).
fn existing_template(
    arn: &str,
    event: SdkEventType,
) -> Result<LambdaFunctionAssociation, PlanError> {
    LambdaFunctionAssociation::builder()
        .lambda_function_arn(arn)
        .event_type(event)
        .build()
        .map_err(|err| PlanError::InvalidOption(format!("bad association: {err}")))
}

/// Mutable access to the association lists of the targeted behaviors, with their labels.
fn targeted<'a>(
    config: &'a mut DistributionConfig,
    target: &BehaviorTarget,
) -> Result<Vec<(String, &'a mut Option<LambdaFunctionAssociations>)>, PlanError> {
    let mut out = Vec::new();
    let want_default = matches!(target, BehaviorTarget::Default | BehaviorTarget::All);
    if want_default {
        let default = config
            .default_cache_behavior
            .as_mut()
            .ok_or(PlanError::NoDefaultBehavior)?;
        out.push((
            "the default cache behavior".to_owned(),
            &mut default.lambda_function_associations,
        ));
    }
    match target {
        BehaviorTarget::Default => {}
        BehaviorTarget::All => {
            if let Some(items) = config
                .cache_behaviors
                .as_mut()
                .and_then(|c| c.items.as_mut())
            {
                for behavior in items.iter_mut() {
                    out.push((
                        format!("cache behavior `{}`", behavior.path_pattern),
                        &mut behavior.lambda_function_associations,
                    ));
                }
            }
        }
        BehaviorTarget::PathPattern(pattern) => {
            let behavior = config
                .cache_behaviors
                .as_mut()
                .and_then(|c| c.items.as_mut())
                .and_then(|items| items.iter_mut().find(|b| &b.path_pattern == pattern))
                .ok_or_else(|| PlanError::NoSuchBehavior(pattern.clone()))?;
            out.push((
                format!("cache behavior `{pattern}`"),
                &mut behavior.lambda_function_associations,
            ));
        }
    }
    Ok(out)
}

/// Plans attaching a function version. Already attached (same ARN, same IncludeBody): no
/// change. Another function on that event type: an error naming it, unless `replace`.
/// CloudFront allows one Lambda@Edge function per event type per behavior.
/// [CloudFront Developer Guide, "Add triggers for a Lambda@Edge function"]
pub fn plan_attach(config: &DistributionConfig, req: &AttachRequest) -> Result<Plan, PlanError> {
    // IncludeBody is only valid for request events.
    // ["LambdaFunctionAssociation", CloudFront API Reference: IncludeBody]
    if req.include_body && !req.event_type.is_request_trigger() {
        return Err(PlanError::InvalidOption(format!(
            "--include-body is only allowed on viewer-request and origin-request, not {}",
            req.event_type
        )));
    }
    if req.target == BehaviorTarget::All {
        return Err(PlanError::InvalidOption(
            "attach targets one cache behavior".to_owned(),
        ));
    }
    refuse_lambda_on_cff_event(config, &req.target, req.event_type)?;
    let wanted_arn = req.function.to_string();
    let wanted_type = sdk_event_type(req.event_type);
    let mut config = config.clone();
    let summary;
    {
        let mut behaviors = targeted(&mut config, &req.target)?;
        let Some((label, assocs)) = behaviors.pop() else {
            return Err(PlanError::NoDefaultBehavior);
        };
        let mut items = items_of(assocs);
        match items.iter_mut().find(|a| a.event_type == wanted_type) {
            Some(existing)
                if existing.lambda_function_arn == wanted_arn
                    && existing.include_body.unwrap_or(false) == req.include_body =>
            {
                return Ok(Plan::Unchanged {
                    reason: format!(
                        "{wanted_arn} is already attached to {label} on {}",
                        req.event_type
                    ),
                });
            }
            Some(existing) if existing.lambda_function_arn == wanted_arn => {
                existing.include_body = Some(req.include_body);
                summary = format!(
                    "set IncludeBody={} for {wanted_arn} on {} of {label}",
                    req.include_body, req.event_type
                );
            }
            Some(existing) if !req.replace => {
                return Err(PlanError::EventTypeTaken {
                    behavior: label,
                    event_type: req.event_type.to_string(),
                    existing: existing.lambda_function_arn.clone(),
                    wanted: wanted_arn,
                });
            }
            Some(existing) => {
                summary = format!(
                    "replace {} with {wanted_arn} on {} of {label}",
                    existing.lambda_function_arn, req.event_type
                );
                existing.lambda_function_arn = wanted_arn.clone();
                existing.include_body = Some(req.include_body);
            }
            None => {
                let mut assoc = existing_template(&wanted_arn, wanted_type)?;
                assoc.include_body = Some(req.include_body);
                items.push(assoc);
                summary = format!("attach {wanted_arn} on {} of {label}", req.event_type);
            }
        }
        *assocs = Some(associations_from(items)?);
    }
    Ok(Plan::Change {
        config: Box::new(config),
        summary,
    })
}

/// Plans removing the selected associations; nothing selected: no change.
pub fn plan_detach(config: &DistributionConfig, req: &DetachRequest) -> Result<Plan, PlanError> {
    let mut config = config.clone();
    let mut removed = Vec::new();
    for (label, assocs) in targeted(&mut config, &req.target)? {
        let items = items_of(assocs);
        let before = items.len();
        let (gone, kept): (Vec<_>, Vec<_>) = items.into_iter().partition(|a| {
            req.function.matches(&a.lambda_function_arn)
                && req
                    .event_type
                    .is_none_or(|event| a.event_type == sdk_event_type(event))
        });
        if kept.len() != before {
            for assoc in &gone {
                removed.push(format!(
                    "detach {} from {} of {label}",
                    assoc.lambda_function_arn,
                    assoc.event_type.as_str()
                ));
            }
            *assocs = Some(associations_from(kept)?);
        }
    }
    if removed.is_empty() {
        return Ok(Plan::Unchanged {
            reason: format!("no matching association on {}", req.target),
        });
    }
    Ok(Plan::Change {
        config: Box::new(config),
        summary: removed.join("; "),
    })
}

/// Every function ARN attached anywhere in the config (for `destroy`).
pub fn attached_arns(config: &DistributionConfig) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(default) = &config.default_cache_behavior {
        out.extend(
            items_of(&default.lambda_function_associations)
                .into_iter()
                .map(|a| a.lambda_function_arn),
        );
    }
    if let Some(items) = config
        .cache_behaviors
        .as_ref()
        .and_then(|c| c.items.as_ref())
    {
        for behavior in items {
            out.extend(
                items_of(&behavior.lambda_function_associations)
                    .into_iter()
                    .map(|a| a.lambda_function_arn),
            );
        }
    }
    out
}

// ---- CloudFront Functions (FunctionAssociations) ----------------------------------------

/// The events a CloudFront Function can run on: "You cannot use origin-facing event types
/// (origin-request and origin-response) with a CloudFront function." [AWS CloudFormation
/// User Guide, "AWS::CloudFront::Distribution FunctionAssociation": EventType; CloudFront API
/// Reference, "FunctionAssociation"]
pub const CFF_EVENT_TYPES: [EventType; 2] = [EventType::ViewerRequest, EventType::ViewerResponse];

/// The viewer protocol policies behind which every request reaching a viewer-request
/// function came over HTTPS (`redirect-to-https` answers HTTP with a redirect before any
/// function runs; `https-only` refuses HTTP). The CloudFront Functions event has no protocol
/// field, so under `allow-all` the function cannot know the protocol and edgekit's functions
/// would tell the origin `https` for plain-HTTP requests. [CloudFront Developer Guide,
/// "CloudFront Functions event structure" (viewer: ip only); "Values that you specify when you
/// create or update a distribution": Viewer protocol policy; "CloudFront events that can
/// trigger a Lambda@Edge function": viewer request does not run on the HTTP-to-HTTPS redirect]
pub const CFF_PROTOCOL_POLICIES: [ViewerProtocolPolicy; 2] = [
    ViewerProtocolPolicy::RedirectToHttps,
    ViewerProtocolPolicy::HttpsOnly,
];

/// Attach this CloudFront Function (its LIVE stage) on this event of this behavior.
#[derive(Debug, Clone)]
pub struct CffAttachRequest {
    pub function: CloudFrontFunctionArn,
    pub event_type: EventType,
    pub target: BehaviorTarget,
    /// Replace another CloudFront Function already on this event.
    pub replace: bool,
}

/// Which CloudFront Function associations to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CffSelector {
    /// Exactly this ARN.
    Arn(String),
    /// The function with this name (in any account the distribution refers to).
    Name(String),
}

impl CffSelector {
    /// An ARN selects itself, anything else is a function name.
    pub fn parse(value: &str) -> Self {
        match CloudFrontFunctionArn::parse(value) {
            Ok(arn) => Self::Arn(arn.to_string()),
            Err(_) => Self::Name(value.to_owned()),
        }
    }

    fn matches(&self, arn: &str) -> bool {
        match self {
            Self::Arn(wanted) => arn == wanted,
            Self::Name(name) => {
                CloudFrontFunctionArn::parse(arn).is_ok_and(|parsed| &parsed.name == name)
            }
        }
    }
}

/// Remove matching CloudFront Function associations.
#[derive(Debug, Clone)]
pub struct CffDetachRequest {
    pub function: CffSelector,
    pub event_type: Option<EventType>,
    pub target: BehaviorTarget,
}

/// One targeted behavior as the CloudFront Function rules see it.
struct BehaviorView<'a> {
    label: String,
    protocol: &'a ViewerProtocolPolicy,
    lambdas: &'a Option<LambdaFunctionAssociations>,
    functions: &'a mut Option<FunctionAssociations>,
}

/// The targeted behaviors with their protocol policy, Lambda@Edge and function lists.
fn targeted_views<'a>(
    config: &'a mut DistributionConfig,
    target: &BehaviorTarget,
) -> Result<Vec<BehaviorView<'a>>, PlanError> {
    let mut out = Vec::new();
    if matches!(target, BehaviorTarget::Default | BehaviorTarget::All) {
        let d = config
            .default_cache_behavior
            .as_mut()
            .ok_or(PlanError::NoDefaultBehavior)?;
        out.push(BehaviorView {
            label: BehaviorTarget::Default.to_string(),
            protocol: &d.viewer_protocol_policy,
            lambdas: &d.lambda_function_associations,
            functions: &mut d.function_associations,
        });
    }
    if matches!(target, BehaviorTarget::Default) {
        return Ok(out);
    }
    let items = config
        .cache_behaviors
        .as_mut()
        .and_then(|c| c.items.as_mut());
    let mut found = false;
    for b in items.into_iter().flatten() {
        let wanted = match target {
            BehaviorTarget::PathPattern(p) => &b.path_pattern == p,
            _ => true,
        };
        if wanted {
            found = true;
            out.push(BehaviorView {
                label: format!("cache behavior `{}`", b.path_pattern),
                protocol: &b.viewer_protocol_policy,
                lambdas: &b.lambda_function_associations,
                functions: &mut b.function_associations,
            });
        }
    }
    match target {
        BehaviorTarget::PathPattern(p) if !found => Err(PlanError::NoSuchBehavior(p.clone())),
        _ => Ok(out),
    }
}

fn function_items(assocs: &Option<FunctionAssociations>) -> Vec<FunctionAssociation> {
    assocs
        .as_ref()
        .and_then(|a| a.items.clone())
        .unwrap_or_default()
}

/// The function list back with `Quantity` equal to its length (Items omitted when empty).
/// ["FunctionAssociations", CloudFront API Reference: Quantity, Items]
fn function_list(items: Vec<FunctionAssociation>) -> Result<FunctionAssociations, PlanError> {
    let quantity = i32::try_from(items.len()).unwrap_or(i32::MAX);
    let mut assocs = FunctionAssociations::builder()
        .quantity(quantity)
        .build()
        .map_err(|err| PlanError::InvalidOption(format!("bad function association list: {err}")))?;
    assocs.items = if items.is_empty() { None } else { Some(items) };
    Ok(assocs)
}

fn function_association(arn: &str, event: EventType) -> Result<FunctionAssociation, PlanError> {
    FunctionAssociation::builder()
        .function_arn(arn)
        .event_type(sdk_event_type(event))
        .build()
        .map_err(|err| PlanError::InvalidOption(format!("bad function association: {err}")))
}

/// A Lambda@Edge function and a CloudFront Function cannot share a viewer event of one
/// behavior: "You can't combine CloudFront Functions and Lambda@Edge in viewer events (viewer
/// request and viewer response)." Origin events are Lambda@Edge only, so a viewer-request
/// CloudFront Function with an origin-request Lambda@Edge is allowed. [CloudFront Developer
/// Guide, "Restrictions on all edge functions": "Combining CloudFront Functions with
/// Lambda@Edge"]
fn refuse_lambda_on_cff_event(
    config: &DistributionConfig,
    target: &BehaviorTarget,
    event: EventType,
) -> Result<(), PlanError> {
    if !event.is_viewer_trigger() {
        return Ok(());
    }
    let mut config = config.clone();
    for view in targeted_views(&mut config, target)? {
        let sdk = sdk_event_type(event);
        if let Some(cff) = function_items(view.functions)
            .into_iter()
            .find(|a| a.event_type == sdk)
        {
            return Err(PlanError::Refused {
                reason: format!(
                    "{event} on {} already runs the CloudFront Function `{}`; CloudFront does not \
                     allow a Lambda@Edge function and a CloudFront Function on the same viewer event \
                     (CloudFront Developer Guide, \"Restrictions on all edge functions\")",
                    view.label, cff.function_arn
                ),
                help: format!(
                    "detach it first (`edgekit detach --function-arn {} --event-type {event}`), or \
                     attach the Lambda@Edge function on origin-request, which may run next to it",
                    cff.function_arn
                ),
            });
        }
    }
    Ok(())
}

/// Why a CloudFront Function cannot go on this behavior's event, if it cannot.
fn cff_conflict(view: &BehaviorView<'_>, req: &CffAttachRequest) -> Option<PlanError> {
    let event = req.event_type;
    let sdk = sdk_event_type(event);
    if let Some(lambda) = items_of(view.lambdas)
        .into_iter()
        .find(|a| a.event_type == sdk)
    {
        return Some(PlanError::Refused {
            reason: format!(
                "{event} on {} already runs the Lambda@Edge function `{}`; CloudFront does not allow \
                 a CloudFront Function and a Lambda@Edge function on the same viewer event \
                 (CloudFront Developer Guide, \"Restrictions on all edge functions\")",
                view.label, lambda.lambda_function_arn
            ),
            help: format!(
                "detach the Lambda@Edge function first (`edgekit detach --function-arn {} \
                 --event-type {event}`); a Lambda@Edge function on origin-request may stay",
                lambda.lambda_function_arn
            ),
        });
    }
    if event == EventType::ViewerRequest && !CFF_PROTOCOL_POLICIES.contains(view.protocol) {
        return Some(PlanError::Refused {
            reason: format!(
                "{} has viewer protocol policy `{}`: plain-HTTP requests reach a viewer-request \
                 CloudFront Function there, and its event carries no protocol, so the function \
                 cannot know whether the viewer used HTTPS and would tell the origin `https` for \
                 HTTP requests",
                view.label,
                view.protocol.as_str()
            ),
            help: "set the behavior's viewer protocol policy to redirect-to-https (or https-only) \
                   first; then every request that reaches the function came over HTTPS"
                .to_owned(),
        });
    }
    None
}

/// Plans attaching a CloudFront Function. Same ARN already there: no change. Another
/// CloudFront Function on the event: an error naming it unless `replace` ("Each event type
/// ... can have only one edge function association", CloudFront Developer Guide,
/// "Restrictions on all edge functions"). Refused: origin events, a Lambda@Edge function on
/// the same viewer event, and viewer-request behind `allow-all` (see
/// [`CFF_PROTOCOL_POLICIES`]).
pub fn plan_attach_cff(
    config: &DistributionConfig,
    req: &CffAttachRequest,
) -> Result<Plan, PlanError> {
    if !CFF_EVENT_TYPES.contains(&req.event_type) {
        return Err(PlanError::InvalidOption(format!(
            "a CloudFront Function runs on viewer-request or viewer-response only, not {} \
             (origin events need Lambda@Edge)",
            req.event_type
        )));
    }
    if req.target == BehaviorTarget::All {
        return Err(PlanError::InvalidOption(
            "attach targets one cache behavior".to_owned(),
        ));
    }
    let wanted = req.function.to_string();
    let sdk = sdk_event_type(req.event_type);
    let mut config = config.clone();
    let summary;
    {
        let mut views = targeted_views(&mut config, &req.target)?;
        let Some(view) = views.pop() else {
            return Err(PlanError::NoDefaultBehavior);
        };
        let mut items = function_items(view.functions);
        let existing = items.iter_mut().find(|a| a.event_type == sdk);
        if existing.as_ref().is_some_and(|a| a.function_arn == wanted) {
            return Ok(Plan::Unchanged {
                reason: format!(
                    "{wanted} is already attached to {} on {}",
                    view.label, req.event_type
                ),
            });
        }
        if let Some(err) = cff_conflict(&view, req) {
            return Err(err);
        }
        match existing {
            Some(other) if !req.replace => {
                return Err(PlanError::EventTypeTaken {
                    behavior: view.label,
                    event_type: req.event_type.to_string(),
                    existing: other.function_arn.clone(),
                    wanted,
                });
            }
            Some(other) => {
                summary = format!(
                    "replace CloudFront Function {} with {wanted} on {} of {}",
                    other.function_arn, req.event_type, view.label
                );
                other.function_arn = wanted;
            }
            None => {
                items.push(function_association(&wanted, req.event_type)?);
                summary = format!(
                    "attach CloudFront Function {wanted} on {} of {}",
                    req.event_type, view.label
                );
            }
        }
        *view.functions = Some(function_list(items)?);
    }
    Ok(Plan::Change {
        config: Box::new(config),
        summary,
    })
}

/// Plans removing the selected CloudFront Function associations; none selected: no change.
pub fn plan_detach_cff(
    config: &DistributionConfig,
    req: &CffDetachRequest,
) -> Result<Plan, PlanError> {
    let mut config = config.clone();
    let mut removed = Vec::new();
    for view in targeted_views(&mut config, &req.target)? {
        let items = function_items(view.functions);
        let before = items.len();
        let (gone, kept): (Vec<_>, Vec<_>) = items.into_iter().partition(|a| {
            req.function.matches(&a.function_arn)
                && req
                    .event_type
                    .is_none_or(|event| a.event_type == sdk_event_type(event))
        });
        if kept.len() != before {
            removed.extend(gone.iter().map(|a| {
                format!(
                    "detach CloudFront Function {} from {} of {}",
                    a.function_arn,
                    a.event_type.as_str(),
                    view.label
                )
            }));
            *view.functions = Some(function_list(kept)?);
        }
    }
    if removed.is_empty() {
        return Ok(Plan::Unchanged {
            reason: format!(
                "no matching CloudFront Function association on {}",
                req.target
            ),
        });
    }
    Ok(Plan::Change {
        config: Box::new(config),
        summary: removed.join("; "),
    })
}

/// Every CloudFront Function ARN attached anywhere in the config (for `destroy`).
pub fn attached_function_arns(config: &DistributionConfig) -> Vec<String> {
    let mut config = config.clone();
    targeted_views(&mut config, &BehaviorTarget::All)
        .map(|views| {
            views
                .iter()
                .flat_map(|v| function_items(v.functions))
                .map(|a| a.function_arn)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use aws_sdk_cloudfront::types::{
        Aliases, CacheBehavior, CacheBehaviors, CustomErrorResponse, CustomErrorResponses,
        DefaultCacheBehavior, LoggingConfig, ViewerProtocolPolicy,
    };

    use super::*;

    const FP3: &str = "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:3";
    const FP4: &str = "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:4";
    const OTHER: &str = "arn:aws:lambda:us-east-1:123456789012:function:someone-else:9";
    const VIEWER: &str = "arn:aws:lambda:us-east-1:123456789012:function:viewer-auth:2";

    fn assoc(arn: &str, event: SdkEventType) -> LambdaFunctionAssociation {
        LambdaFunctionAssociation::builder()
            .lambda_function_arn(arn)
            .event_type(event)
            .include_body(false)
            .build()
            .unwrap()
    }

    fn behavior_assocs(items: Vec<LambdaFunctionAssociation>) -> LambdaFunctionAssociations {
        associations_from(items).unwrap()
    }

    fn rich_config() -> DistributionConfig {
        let default = DefaultCacheBehavior::builder()
            .target_origin_id("alb")
            .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
            .cache_policy_id("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
            .lambda_function_associations(behavior_assocs(vec![assoc(
                VIEWER,
                SdkEventType::ViewerRequest,
            )]))
            .build()
            .unwrap();
        let api = CacheBehavior::builder()
            .path_pattern("/api/*")
            .target_origin_id("alb")
            .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
            .cache_policy_id("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
            .build()
            .unwrap();
        DistributionConfig::builder()
            .caller_reference("rich")
            .comment("rich")
            .enabled(true)
            .aliases(
                Aliases::builder()
                    .quantity(1)
                    .items("app.example.com")
                    .build()
                    .unwrap(),
            )
            .default_cache_behavior(default)
            .cache_behaviors(
                CacheBehaviors::builder()
                    .quantity(1)
                    .items(api)
                    .build()
                    .unwrap(),
            )
            .custom_error_responses(
                CustomErrorResponses::builder()
                    .quantity(1)
                    .items(
                        CustomErrorResponse::builder()
                            .error_code(503)
                            .response_page_path("/503.html")
                            .response_code("503")
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .logging(
                LoggingConfig::builder()
                    .enabled(true)
                    .bucket("logs.s3.amazonaws.com")
                    .prefix("cf/")
                    .include_cookies(false)
                    .build(),
            )
            .build()
            .unwrap()
    }

    fn attach(arn: &str, replace: bool, target: BehaviorTarget) -> AttachRequest {
        AttachRequest {
            function: FunctionVersionArn::parse(arn).unwrap(),
            event_type: EventType::OriginRequest,
            include_body: false,
            target,
            replace,
        }
    }

    fn changed(plan: Plan) -> DistributionConfig {
        match plan {
            Plan::Change { config, .. } => *config,
            Plan::Unchanged { reason } => panic!("expected a change, got: {reason}"),
        }
    }

    #[test]
    fn attach_adds_one_item_keeps_the_rest_and_counts_right() {
        let before = rich_config();
        let after =
            changed(plan_attach(&before, &attach(FP3, false, BehaviorTarget::Default)).unwrap());
        let assocs = after
            .default_cache_behavior
            .as_ref()
            .unwrap()
            .lambda_function_associations
            .clone()
            .unwrap();
        assert_eq!(assocs.quantity, 2);
        assert_eq!(assocs.items().len(), 2);
        assert_eq!(assocs.items()[0].lambda_function_arn, VIEWER);
        assert_eq!(assocs.items()[1].lambda_function_arn, FP3);
        // Everything but that one list is unchanged.
        let mut expected = after.clone();
        expected
            .default_cache_behavior
            .as_mut()
            .unwrap()
            .lambda_function_associations = before
            .default_cache_behavior
            .as_ref()
            .unwrap()
            .lambda_function_associations
            .clone();
        assert_eq!(expected, before);
    }

    #[test]
    fn attach_twice_is_no_change_and_detach_restores_the_original() {
        let before = rich_config();
        let once =
            changed(plan_attach(&before, &attach(FP3, false, BehaviorTarget::Default)).unwrap());
        let twice = plan_attach(&once, &attach(FP3, false, BehaviorTarget::Default)).unwrap();
        assert!(!twice.is_change(), "{twice:?}");
        let detached = changed(
            plan_detach(
                &once,
                &DetachRequest {
                    function: FunctionSelector::parse(FP3),
                    event_type: Some(EventType::OriginRequest),
                    target: BehaviorTarget::Default,
                },
            )
            .unwrap(),
        );
        assert_eq!(detached, before);
    }

    #[test]
    fn another_function_on_the_event_is_an_error_unless_replace() {
        let mut config = rich_config();
        config =
            changed(plan_attach(&config, &attach(OTHER, false, BehaviorTarget::Default)).unwrap());
        let err = plan_attach(&config, &attach(FP3, false, BehaviorTarget::Default)).unwrap_err();
        assert!(err.to_string().contains("someone-else"), "{err}");
        let help = miette::Diagnostic::help(&err).map(|h| h.to_string());
        assert!(help.unwrap_or_default().contains("--replace"), "{err:?}");
        let replaced =
            changed(plan_attach(&config, &attach(FP3, true, BehaviorTarget::Default)).unwrap());
        assert_eq!(
            attached_arns(&replaced),
            vec![VIEWER.to_owned(), FP3.to_owned()]
        );
    }

    #[test]
    fn a_new_version_of_the_same_function_needs_replace_too() {
        let config = changed(
            plan_attach(&rich_config(), &attach(FP3, false, BehaviorTarget::Default)).unwrap(),
        );
        assert!(plan_attach(&config, &attach(FP4, false, BehaviorTarget::Default)).is_err());
        let upgraded =
            changed(plan_attach(&config, &attach(FP4, true, BehaviorTarget::Default)).unwrap());
        assert!(attached_arns(&upgraded).contains(&FP4.to_owned()));
    }

    #[test]
    fn path_pattern_targets_that_behavior_only() {
        let before = rich_config();
        let after = changed(
            plan_attach(
                &before,
                &attach(FP3, false, BehaviorTarget::PathPattern("/api/*".into())),
            )
            .unwrap(),
        );
        assert_eq!(after.default_cache_behavior, before.default_cache_behavior);
        let api = &after.cache_behaviors.as_ref().unwrap().items()[0];
        assert_eq!(
            api.lambda_function_associations.as_ref().unwrap().quantity,
            1
        );
        let missing = plan_attach(
            &before,
            &attach(FP3, false, BehaviorTarget::PathPattern("/nope".into())),
        );
        assert!(matches!(missing, Err(PlanError::NoSuchBehavior(_))));
    }

    #[test]
    fn include_body_only_on_request_events() {
        let mut req = attach(FP3, false, BehaviorTarget::Default);
        req.include_body = true;
        req.event_type = EventType::OriginResponse;
        assert!(plan_attach(&rich_config(), &req).is_err());
    }

    #[test]
    fn detach_everywhere_removes_every_version_and_sets_quantity_zero() {
        let config = changed(
            plan_attach(&rich_config(), &attach(FP3, false, BehaviorTarget::Default)).unwrap(),
        );
        let config = changed(
            plan_attach(
                &config,
                &attach(FP4, false, BehaviorTarget::PathPattern("/api/*".into())),
            )
            .unwrap(),
        );
        let cleaned = changed(
            plan_detach(
                &config,
                &DetachRequest {
                    function: FunctionSelector::parse("edgekit-forwarded-proto"),
                    event_type: None,
                    target: BehaviorTarget::All,
                },
            )
            .unwrap(),
        );
        assert_eq!(attached_arns(&cleaned), vec![VIEWER.to_owned()]);
        let api = &cleaned.cache_behaviors.as_ref().unwrap().items()[0];
        let api_assocs = api.lambda_function_associations.as_ref().unwrap();
        assert_eq!(api_assocs.quantity, 0);
        assert!(api_assocs.items.is_none());
    }

    #[test]
    fn detach_of_something_absent_is_no_change() {
        let plan = plan_detach(
            &rich_config(),
            &DetachRequest {
                function: FunctionSelector::parse(FP3),
                event_type: None,
                target: BehaviorTarget::Default,
            },
        )
        .unwrap();
        assert!(!plan.is_change());
    }

    const CFF: &str = "arn:aws:cloudfront::123456789012:function/edgekit-forwarded-proto";
    const CFF_OTHER: &str = "arn:aws:cloudfront::123456789012:function/someone-else";
    const API: &str = "/api/*";

    fn cff(arn: &str, target: BehaviorTarget, replace: bool) -> CffAttachRequest {
        CffAttachRequest {
            function: CloudFrontFunctionArn::parse(arn).unwrap(),
            event_type: EventType::ViewerRequest,
            target,
            replace,
        }
    }

    fn api() -> BehaviorTarget {
        BehaviorTarget::PathPattern(API.into())
    }

    fn api_functions(config: &DistributionConfig) -> FunctionAssociations {
        config.cache_behaviors.as_ref().unwrap().items()[0]
            .function_associations
            .clone()
            .unwrap()
    }

    fn refusal(result: Result<Plan, PlanError>) -> (String, String) {
        match result {
            Err(PlanError::Refused { reason, help }) => (reason, help),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn cff_attach_sets_function_associations_only_and_repeats_as_no_change() {
        let before = rich_config();
        let after = changed(plan_attach_cff(&before, &cff(CFF, api(), false)).unwrap());
        assert_eq!(after.default_cache_behavior, before.default_cache_behavior);
        let assocs = api_functions(&after);
        assert_eq!(assocs.quantity, 1);
        assert_eq!(assocs.items()[0].function_arn, CFF);
        assert_eq!(assocs.items()[0].event_type, SdkEventType::ViewerRequest);
        let api_after = &after.cache_behaviors.as_ref().unwrap().items()[0];
        assert!(api_after.lambda_function_associations.is_none());
        let again = plan_attach_cff(&after, &cff(CFF, api(), false)).unwrap();
        assert!(!again.is_change());
        assert_eq!(attached_function_arns(&after), vec![CFF.to_owned()]);
    }

    #[test]
    fn cff_refused_on_a_viewer_event_held_by_lambda_edge_and_vice_versa() {
        // The default behavior of the rich config runs a Lambda@Edge function on viewer-request.
        let (reason, help) = refusal(plan_attach_cff(
            &rich_config(),
            &cff(CFF, BehaviorTarget::Default, false),
        ));
        assert!(reason.contains(VIEWER) && reason.contains("Restrictions on all edge functions"));
        assert!(help.contains("edgekit detach"), "{help}");
        // --replace does not lift the rule: the Lambda function is another runtime.
        refusal(plan_attach_cff(
            &rich_config(),
            &cff(CFF, BehaviorTarget::Default, true),
        ));
        // The other way round: a Lambda@Edge viewer-request function next to a CFF.
        let with_cff = changed(plan_attach_cff(&rich_config(), &cff(CFF, api(), false)).unwrap());
        let mut lambda = attach(FP3, false, api());
        lambda.event_type = EventType::ViewerRequest;
        let (reason, _) = refusal(plan_attach(&with_cff, &lambda));
        assert!(reason.contains(CFF), "{reason}");
    }

    #[test]
    fn cff_viewer_request_and_lambda_origin_request_share_a_behavior() {
        let with_lambda = changed(plan_attach(&rich_config(), &attach(FP3, false, api())).unwrap());
        let both = changed(plan_attach_cff(&with_lambda, &cff(CFF, api(), false)).unwrap());
        let api_behavior = &both.cache_behaviors.as_ref().unwrap().items()[0];
        assert_eq!(
            api_behavior
                .lambda_function_associations
                .as_ref()
                .unwrap()
                .items()[0]
                .event_type,
            SdkEventType::OriginRequest
        );
        assert_eq!(api_functions(&both).quantity, 1);
        // And in the other order.
        let with_cff = changed(plan_attach_cff(&rich_config(), &cff(CFF, api(), false)).unwrap());
        assert!(
            plan_attach(&with_cff, &attach(FP3, false, api()))
                .unwrap()
                .is_change()
        );
    }

    #[test]
    fn cff_refused_behind_allow_all_with_the_fix() {
        let mut config = rich_config();
        config
            .cache_behaviors
            .as_mut()
            .unwrap()
            .items
            .as_mut()
            .unwrap()[0]
            .viewer_protocol_policy = ViewerProtocolPolicy::AllowAll;
        let (reason, help) = refusal(plan_attach_cff(&config, &cff(CFF, api(), false)));
        assert!(
            reason.contains("allow-all") && reason.contains("no protocol"),
            "{reason}"
        );
        assert!(help.contains("redirect-to-https"), "{help}");
        // viewer-response does not depend on the request protocol.
        let mut response = cff(CFF, api(), false);
        response.event_type = EventType::ViewerResponse;
        assert!(plan_attach_cff(&config, &response).unwrap().is_change());
    }

    #[test]
    fn cff_second_function_on_the_event_needs_replace_and_origin_events_are_refused() {
        let with_cff = changed(plan_attach_cff(&rich_config(), &cff(CFF, api(), false)).unwrap());
        let taken = plan_attach_cff(&with_cff, &cff(CFF_OTHER, api(), false));
        assert!(
            matches!(taken, Err(PlanError::EventTypeTaken { .. })),
            "{taken:?}"
        );
        let replaced = changed(plan_attach_cff(&with_cff, &cff(CFF_OTHER, api(), true)).unwrap());
        assert_eq!(
            attached_function_arns(&replaced),
            vec![CFF_OTHER.to_owned()]
        );
        let mut origin = cff(CFF, api(), false);
        origin.event_type = EventType::OriginRequest;
        let err = plan_attach_cff(&rich_config(), &origin)
            .unwrap_err()
            .to_string();
        assert!(err.contains("viewer-request or viewer-response"), "{err}");
    }

    #[test]
    fn cff_detach_by_name_everywhere_leaves_lambda_edge_alone() {
        let with_cff = changed(plan_attach_cff(&rich_config(), &cff(CFF, api(), false)).unwrap());
        let request = CffDetachRequest {
            function: CffSelector::parse("edgekit-forwarded-proto"),
            event_type: None,
            target: BehaviorTarget::All,
        };
        let cleaned = changed(plan_detach_cff(&with_cff, &request).unwrap());
        let assocs = api_functions(&cleaned);
        assert_eq!((assocs.quantity, assocs.items.is_none()), (0, true));
        assert_eq!(attached_arns(&cleaned), vec![VIEWER.to_owned()]);
        assert!(!plan_detach_cff(&cleaned, &request).unwrap().is_change());
        assert_eq!(CffSelector::parse(CFF), CffSelector::Arn(CFF.to_owned()));
    }
}
