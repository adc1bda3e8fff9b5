//! The canary's schedule and alarms: EventBridge rule + target, the Lambda permission that
//! lets EventBridge invoke the canary, and CloudWatch alarms on its EMF metrics (and on
//! CloudFront's and the ALB's own metrics). `plan_install` is pure; `apply_install` makes
//! the calls, idempotently (put-rule/put-targets/put-metric-alarm overwrite by name; the
//! permission is added only when its statement is missing).
use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::RuleState;
use miette::miette;
use serde::{Deserialize, Serialize};

use alb_canary::CanaryConfig;

use crate::plan::PlanError;

/// Default schedule: every minute. [EventBridge User Guide, "Creating a rule that runs on a
/// schedule" (rate expressions)]
pub const DEFAULT_SCHEDULE: &str = "rate(1 minute)";
/// Id of the rule's target (one target per rule).
pub const TARGET_ID: &str = "edgekit-canary";

/// What the user asked `canary install` for.
#[derive(Debug, Clone)]
pub struct InstallRequest {
    pub function_arn: String,
    pub config: CanaryConfig,
    pub schedule: String,
    pub rule_name: Option<String>,
    pub distribution_id: Option<String>,
    pub alb_arn_suffix: Option<String>,
    pub sns_topic_arn: Option<String>,
}

/// Everything `canary install` creates or updates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstallPlan {
    /// The function's region: the rule, permission and canary alarms live there.
    pub region: String,
    pub function_arn: String,
    pub rule: RulePlan,
    pub target: TargetPlan,
    pub permission: PermissionPlan,
    pub alarms: Vec<AlarmPlan>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RulePlan {
    pub name: String,
    pub schedule_expression: String,
    pub description: String,
}

/// The rule's target: the canary function, invoked with the targets config as its input
/// (the Lambda receives that JSON as its event). The input holds the extra headers (e.g. the
/// origin-verify secret), so it is never serialised into plans or output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetPlan {
    pub id: String,
    pub arn: String,
    /// Target names in the input (the input itself is not shown).
    pub input_targets: Vec<String>,
    #[serde(skip)]
    pub input: String,
}

/// `lambda:AddPermission` for EventBridge. [EventBridge User Guide, "Using resource-based
/// policies for Amazon EventBridge: AWS Lambda permissions"]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionPlan {
    pub statement_id: String,
    pub action: String,
    pub principal: String,
}

/// Where an alarm lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlarmRegion {
    /// The canary function's region (its EMF metrics, ALB metrics).
    Function,
    /// us-east-1: CloudFront metrics are only there. [CloudFront Developer Guide, "Monitor
    /// CloudFront metrics with Amazon CloudWatch"]
    UsEast1,
}

/// One `PutMetricAlarm`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmPlan {
    pub name: String,
    pub description: String,
    pub region: AlarmRegion,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    pub statistic: String,
    pub period_s: i32,
    pub evaluation_periods: i32,
    pub datapoints_to_alarm: i32,
    pub threshold: f64,
    pub comparison: String,
    pub treat_missing_data: String,
    pub actions: Vec<String>,
}

/// The parts of `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

/// Parses a Lambda function ARN (qualified or not).
pub fn parse_function_arn(arn: &str) -> Result<FunctionArn, PlanError> {
    let bad = |reason: &str| PlanError::InvalidArn {
        arn: arn.to_owned(),
        reason: reason.to_owned(),
    };
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" {
        return Err(bad("expected arn:aws:lambda:REGION:ACCOUNT:function:NAME"));
    }
    if parts[3].is_empty() || parts[4].len() != 12 || !parts[4].chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad("region or account id missing"));
    }
    if parts[6].is_empty() || parts.len() > 8 {
        return Err(bad("function name missing or extra segments"));
    }
    Ok(FunctionArn {
        partition: parts[1].to_owned(),
        region: parts[3].to_owned(),
        account: parts[4].to_owned(),
        name: parts[6].to_owned(),
    })
}

/// EventBridge rule names: 1..64 of `[.\-_A-Za-z0-9]`. [EventBridge API Reference, PutRule]
fn rule_name_for(function: &str) -> String {
    let cleaned: String = format!("edgekit-canary-{function}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned.chars().take(64).collect()
}

/// Alarm names: up to 255 printable ASCII characters. [CloudWatch API Reference, PutMetricAlarm]
fn alarm_name(parts: &[&str]) -> String {
    let name: String = parts
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.chars().take(255).collect()
}

/// Decides everything `canary install` will put in place (pure).
pub fn plan_install(request: &InstallRequest) -> Result<InstallPlan, PlanError> {
    let function = parse_function_arn(&request.function_arn)?;
    request
        .config
        .validate()
        .map_err(|err| PlanError::InvalidOption(err.to_string()))?;
    if request.schedule.trim().is_empty()
        || !(request.schedule.starts_with("rate(") || request.schedule.starts_with("cron("))
        || !request.schedule.ends_with(')')
    {
        return Err(PlanError::InvalidOption(format!(
            "--schedule {:?} must be a rate(...) or cron(...) expression",
            request.schedule
        )));
    }
    let rule_name = match &request.rule_name {
        Some(name) => {
            if name.is_empty()
                || name.len() > 64
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
            {
                return Err(PlanError::InvalidOption(format!(
                    "invalid rule name {name:?}"
                )));
            }
            name.clone()
        }
        None => rule_name_for(&function.name),
    };
    if let Some(topic) = &request.sns_topic_arn
        && (!topic.starts_with("arn:") || !topic.contains(":sns:"))
    {
        return Err(PlanError::InvalidOption(format!(
            "--sns-topic-arn {topic:?} is not an SNS topic ARN"
        )));
    }
    let input = serde_json::to_string(&request.config).map_err(|err| {
        PlanError::InvalidOption(format!("could not serialise the targets: {err}"))
    })?;
    // EventBridge target Input is limited to 8192 characters. [EventBridge API Reference, Target]
    if input.len() > 8192 {
        return Err(PlanError::InvalidOption(format!(
            "the targets config is {} characters; an EventBridge target input holds at most 8192 \
             (set EDGEKIT_CANARY_CONFIG on the function instead)",
            input.len()
        )));
    }
    let actions: Vec<String> = request.sns_topic_arn.iter().cloned().collect();
    let namespace = request.config.namespace().to_owned();
    let prefix = format!("edgekit-canary-{}", function.name);
    let mut alarms = Vec::new();
    for target in &request.config.targets {
        let path = target.probe_path().as_str();
        let dims = vec![
            ("Target".to_owned(), target.name.clone()),
            ("Path".to_owned(), path.to_owned()),
        ];
        let base = |metric: &str, suffix: &str, description: String| AlarmPlan {
            name: alarm_name(&[&prefix, &target.name, path, suffix]),
            description,
            region: AlarmRegion::Function,
            namespace: namespace.clone(),
            metric_name: metric.to_owned(),
            dimensions: dims.clone(),
            statistic: "Sum".to_owned(),
            period_s: 60,
            evaluation_periods: 3,
            datapoints_to_alarm: 2,
            threshold: 1.0,
            comparison: "GreaterThanOrEqualToThreshold".to_owned(),
            treat_missing_data: "notBreaching".to_owned(),
            actions: actions.clone(),
        };
        alarms.push(base(
            "Status502",
            "502",
            format!(
                "{} ({path}) answered 502 in 2 of 3 minutes: see the canary log's Source",
                target.name
            ),
        ));
        // A silent canary is a failing canary: missing Success data breaches.
        alarms.push(AlarmPlan {
            evaluation_periods: 3,
            datapoints_to_alarm: 3,
            comparison: "LessThanThreshold".to_owned(),
            treat_missing_data: "breaching".to_owned(),
            ..base(
                "Success",
                "success",
                format!("{} ({path}) failed 3 minutes in a row", target.name),
            )
        });
        if target.url.starts_with("https://") {
            alarms.push(AlarmPlan {
                statistic: "Minimum".to_owned(),
                period_s: 300,
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
                threshold: 14.0,
                comparison: "LessThanThreshold".to_owned(),
                ..base(
                    "TlsDaysLeft",
                    "tls",
                    format!(
                        "{} ({path}) certificate expires in under 14 days",
                        target.name
                    ),
                )
            });
        }
    }
    if let Some(id) = &request.distribution_id {
        // CloudFront metrics: namespace AWS/CloudFront, dimensions DistributionId and
        // Region=Global, us-east-1 only. [CloudFront Developer Guide, "Monitor CloudFront
        // metrics with Amazon CloudWatch"]
        alarms.push(AlarmPlan {
            name: alarm_name(&[&prefix, "cloudfront", id, "5xx-rate"]),
            description: format!(
                "CloudFront distribution {id}: 5xxErrorRate >= 5% in 2 of 3 minutes"
            ),
            region: AlarmRegion::UsEast1,
            namespace: "AWS/CloudFront".to_owned(),
            metric_name: "5xxErrorRate".to_owned(),
            dimensions: vec![
                ("DistributionId".to_owned(), id.clone()),
                ("Region".to_owned(), "Global".to_owned()),
            ],
            statistic: "Average".to_owned(),
            period_s: 60,
            evaluation_periods: 3,
            datapoints_to_alarm: 2,
            threshold: 5.0,
            comparison: "GreaterThanOrEqualToThreshold".to_owned(),
            treat_missing_data: "notBreaching".to_owned(),
            actions: actions.clone(),
        });
    }
    if let Some(suffix) = &request.alb_arn_suffix {
        // ALB metrics: namespace AWS/ApplicationELB, dimension LoadBalancer = the ARN suffix
        // (app/NAME/ID). [ELB User Guide for ALB, "CloudWatch metrics for your Application
        // Load Balancer"]
        if !suffix.starts_with("app/") || suffix.split('/').count() != 3 {
            return Err(PlanError::InvalidOption(format!(
                "--alb-arn-suffix {suffix:?} must look like app/NAME/ID"
            )));
        }
        for (metric, short, threshold) in [
            ("HTTPCode_ELB_502_Count", "elb-502", 1.0),
            ("HTTPCode_Target_5XX_Count", "target-5xx", 5.0),
        ] {
            alarms.push(AlarmPlan {
                name: alarm_name(&[&prefix, "alb", short]),
                description: format!("ALB {suffix}: {metric} >= {threshold} in 2 of 3 minutes"),
                region: AlarmRegion::Function,
                namespace: "AWS/ApplicationELB".to_owned(),
                metric_name: metric.to_owned(),
                dimensions: vec![("LoadBalancer".to_owned(), suffix.clone())],
                statistic: "Sum".to_owned(),
                period_s: 60,
                evaluation_periods: 3,
                datapoints_to_alarm: 2,
                threshold,
                comparison: "GreaterThanOrEqualToThreshold".to_owned(),
                treat_missing_data: "notBreaching".to_owned(),
                actions: actions.clone(),
            });
        }
    }
    Ok(InstallPlan {
        region: function.region.clone(),
        function_arn: request.function_arn.clone(),
        rule: RulePlan {
            name: rule_name.clone(),
            schedule_expression: request.schedule.clone(),
            description: format!("edgekit canary: invokes {} on a schedule", function.name),
        },
        target: TargetPlan {
            id: TARGET_ID.to_owned(),
            arn: request.function_arn.clone(),
            input_targets: request
                .config
                .targets
                .iter()
                .map(|t| t.name.clone())
                .collect(),
            input,
        },
        permission: PermissionPlan {
            statement_id: format!("{rule_name}-invoke"),
            action: "lambda:InvokeFunction".to_owned(),
            principal: "events.amazonaws.com".to_owned(),
        },
        alarms,
    })
}

/// What `apply_install` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstallOutcome {
    pub rule_arn: String,
    pub target_id: String,
    /// `created` or `existing`.
    pub permission: String,
    pub alarms: Vec<String>,
}

/// The statements of a Lambda resource policy (only what we read).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDocument {
    #[serde(default)]
    statement: Vec<PolicyStatement>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyStatement {
    #[serde(default)]
    sid: Option<String>,
}

fn report<E: std::error::Error + 'static>(what: &str, err: &E) -> miette::Report {
    miette!("{what} failed: {}", DisplayErrorContext(err))
}

/// Applies a plan. `regional` is configured for the function's region, `us_east_1` for
/// CloudFront's alarms.
pub async fn apply_install(
    plan: &InstallPlan,
    regional: &SdkConfig,
    us_east_1: &SdkConfig,
) -> miette::Result<InstallOutcome> {
    let events = aws_sdk_eventbridge::Client::new(regional);
    let rule = events
        .put_rule()
        .name(&plan.rule.name)
        .schedule_expression(&plan.rule.schedule_expression)
        .description(&plan.rule.description)
        .state(RuleState::Enabled)
        .send()
        .await
        .map_err(|e| report("events:PutRule", &e))?;
    let rule_arn = rule
        .rule_arn
        .ok_or_else(|| miette!("PutRule returned no RuleArn"))?;
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id(&plan.target.id)
        .arn(&plan.target.arn)
        .input(&plan.target.input)
        .build()
        .map_err(|e| miette!("EventBridge target: {e}"))?;
    let put = events
        .put_targets()
        .rule(&plan.rule.name)
        .targets(target)
        .send()
        .await
        .map_err(|e| report("events:PutTargets", &e))?;
    if put.failed_entry_count > 0 {
        let reasons: Vec<String> = put
            .failed_entries()
            .iter()
            .map(|f| {
                format!(
                    "{}: {}",
                    f.error_code().unwrap_or("?"),
                    f.error_message().unwrap_or("?")
                )
            })
            .collect();
        return Err(miette!(
            "events:PutTargets rejected the target: {}",
            reasons.join("; ")
        ));
    }

    let lambda = aws_sdk_lambda::Client::new(regional);
    let existing = match lambda
        .get_policy()
        .function_name(&plan.function_arn)
        .send()
        .await
    {
        Ok(out) => out
            .policy
            .and_then(|p| serde_json::from_str::<PolicyDocument>(&p).ok())
            .is_some_and(|doc| {
                doc.statement
                    .iter()
                    .any(|s| s.sid.as_deref() == Some(plan.permission.statement_id.as_str()))
            }),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(err) => return Err(report("lambda:GetPolicy", &err)),
    };
    let permission = if existing {
        "existing"
    } else {
        match lambda
            .add_permission()
            .function_name(&plan.function_arn)
            .statement_id(&plan.permission.statement_id)
            .action(&plan.permission.action)
            .principal(&plan.permission.principal)
            .source_arn(&rule_arn)
            .send()
            .await
        {
            Ok(_) => "created",
            // Added concurrently since GetPolicy: same statement id, same meaning.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_conflict_exception()) =>
            {
                "existing"
            }
            Err(err) => return Err(report("lambda:AddPermission", &err)),
        }
    };

    let regional_cw = aws_sdk_cloudwatch::Client::new(regional);
    let global_cw = aws_sdk_cloudwatch::Client::new(us_east_1);
    let mut alarms = Vec::new();
    for alarm in &plan.alarms {
        let client = match alarm.region {
            AlarmRegion::Function => &regional_cw,
            AlarmRegion::UsEast1 => &global_cw,
        };
        let mut call = client
            .put_metric_alarm()
            .alarm_name(&alarm.name)
            .alarm_description(&alarm.description)
            .namespace(&alarm.namespace)
            .metric_name(&alarm.metric_name)
            .statistic(Statistic::from(alarm.statistic.as_str()))
            .period(alarm.period_s)
            .evaluation_periods(alarm.evaluation_periods)
            .datapoints_to_alarm(alarm.datapoints_to_alarm)
            .threshold(alarm.threshold)
            .comparison_operator(ComparisonOperator::from(alarm.comparison.as_str()))
            .treat_missing_data(&alarm.treat_missing_data);
        for (name, value) in &alarm.dimensions {
            call = call.dimensions(Dimension::builder().name(name).value(value).build());
        }
        for action in &alarm.actions {
            call = call.alarm_actions(action).ok_actions(action);
        }
        call.send()
            .await
            .map_err(|e| report("cloudwatch:PutMetricAlarm", &e))?;
        alarms.push(alarm.name.clone());
    }
    Ok(InstallOutcome {
        rule_arn,
        target_id: plan.target.id.clone(),
        permission: permission.to_owned(),
        alarms,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn request(config: &str) -> InstallRequest {
        InstallRequest {
            function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:alb-canary".into(),
            config: CanaryConfig::from_json("t", config).unwrap(),
            schedule: DEFAULT_SCHEDULE.into(),
            rule_name: None,
            distribution_id: None,
            alb_arn_suffix: None,
            sns_topic_arn: None,
        }
    }

    const TARGETS: &str = r#"{"targets":[
        {"name":"registry","url":"https://registry.example.com/health","headers":{"X-Origin-Verify":"s3cr3t"}},
        {"name":"registry","url":"http://internal-alb.example/health","host":"registry.example.com"}]}"#;

    #[test]
    fn plans_rule_target_permission_and_per_target_alarms() {
        let plan = plan_install(&request(TARGETS)).unwrap();
        assert_eq!(plan.region, "eu-west-1");
        assert_eq!(plan.rule.name, "edgekit-canary-alb-canary");
        assert_eq!(plan.rule.schedule_expression, "rate(1 minute)");
        assert_eq!(plan.permission.principal, "events.amazonaws.com");
        assert!(
            plan.target.input.contains("s3cr3t"),
            "the function needs the header"
        );
        let shown = serde_json::to_string(&plan).unwrap();
        assert!(!shown.contains("s3cr3t"), "plans never show header values");
        let names: Vec<&str> = plan.alarms.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "edgekit-canary-alb-canary-registry-edge-502",
                "edgekit-canary-alb-canary-registry-edge-success",
                "edgekit-canary-alb-canary-registry-edge-tls",
                "edgekit-canary-alb-canary-registry-origin-502",
                "edgekit-canary-alb-canary-registry-origin-success",
            ]
        );
        let s502 = &plan.alarms[0];
        assert_eq!(
            (
                s502.evaluation_periods,
                s502.datapoints_to_alarm,
                s502.threshold
            ),
            (3, 2, 1.0)
        );
        assert_eq!(s502.comparison, "GreaterThanOrEqualToThreshold");
        let success = &plan.alarms[1];
        assert_eq!(
            (success.evaluation_periods, success.datapoints_to_alarm),
            (3, 3)
        );
        assert_eq!(
            (
                success.comparison.as_str(),
                success.treat_missing_data.as_str()
            ),
            ("LessThanThreshold", "breaching")
        );
        let tls = &plan.alarms[2];
        assert_eq!(
            (tls.metric_name.as_str(), tls.threshold),
            ("TlsDaysLeft", 14.0)
        );
        assert_eq!(
            s502.dimensions,
            vec![
                ("Target".into(), "registry".into()),
                ("Path".into(), "edge".into())
            ]
        );
    }

    #[test]
    fn plans_cloudfront_and_alb_alarms_with_actions() {
        let mut req = request(TARGETS);
        req.distribution_id = Some("E2EXAMPLE".into());
        req.alb_arn_suffix = Some("app/registry-alb/50dc6c495c0c9188".into());
        req.sns_topic_arn = Some("arn:aws:sns:eu-west-1:123456789012:ops".into());
        let plan = plan_install(&req).unwrap();
        let cf = plan
            .alarms
            .iter()
            .find(|a| a.namespace == "AWS/CloudFront")
            .unwrap();
        assert_eq!(cf.region, AlarmRegion::UsEast1);
        assert_eq!(cf.metric_name, "5xxErrorRate");
        assert!(cf.dimensions.contains(&("Region".into(), "Global".into())));
        let alb: Vec<&str> = plan
            .alarms
            .iter()
            .filter(|a| a.namespace == "AWS/ApplicationELB")
            .map(|a| a.metric_name.as_str())
            .collect();
        assert_eq!(alb, ["HTTPCode_ELB_502_Count", "HTTPCode_Target_5XX_Count"]);
        assert!(
            plan.alarms
                .iter()
                .all(|a| a.actions == ["arn:aws:sns:eu-west-1:123456789012:ops"])
        );
    }

    #[test]
    fn rejects_bad_input() {
        let mut req = request(TARGETS);
        req.function_arn = "arn:aws:lambda:eu-west-1:123:function:x".into();
        assert!(matches!(
            plan_install(&req),
            Err(PlanError::InvalidArn { .. })
        ));
        let mut req = request(TARGETS);
        req.schedule = "every minute".into();
        assert!(
            plan_install(&req)
                .unwrap_err()
                .to_string()
                .contains("rate(")
        );
        let mut req = request(TARGETS);
        req.alb_arn_suffix = Some("my-alb".into());
        assert!(
            plan_install(&req)
                .unwrap_err()
                .to_string()
                .contains("app/NAME/ID")
        );
        let mut req = request(TARGETS);
        req.sns_topic_arn = Some("ops".into());
        assert!(plan_install(&req).is_err());
    }

    #[test]
    fn qualified_arn_and_long_names() {
        let arn = parse_function_arn("arn:aws:lambda:us-east-1:123456789012:function:f:7").unwrap();
        assert_eq!((arn.region.as_str(), arn.name.as_str()), ("us-east-1", "f"));
        assert_eq!(rule_name_for(&"x".repeat(100)).len(), 64);
    }
}
