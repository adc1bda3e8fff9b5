//! What `canary install` puts in place, decided without I/O: the EventBridge schedule rule and
//! its target, the Lambda permission that lets EventBridge invoke the canary, and the
//! CloudWatch alarms on the canary's EMF metrics and on CloudFront's and the ALB's own
//! metrics. [`crate::aws::canary`] makes the calls.
use serde::Serialize;

use alb_canary::{CanaryConfig, Target};

use super::PlanError;
use super::arn::FunctionArn;

/// Default schedule: every minute. [EventBridge User Guide, "Creating a rule that runs on a
/// schedule" (rate expressions)]
pub const DEFAULT_SCHEDULE: &str = "rate(1 minute)";
/// Id of the rule's target (one target per rule).
pub const TARGET_ID: &str = "edgekit-canary";
/// EventBridge target Input is limited to 8192 characters. [EventBridge API Reference, Target]
const MAX_TARGET_INPUT: usize = 8192;

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

impl AlarmPlan {
    /// The common shape: a per-minute metric at or over `threshold` in 2 of 3 minutes, no
    /// data is no alarm. Callers override what differs.
    fn per_minute(
        metric: (&str, &str),
        dimensions: Vec<(String, String)>,
        name: String,
        description: String,
        actions: &[String],
    ) -> Self {
        let (namespace, metric_name) = metric;
        Self {
            name,
            description,
            region: AlarmRegion::Function,
            namespace: namespace.to_owned(),
            metric_name: metric_name.to_owned(),
            dimensions,
            statistic: "Sum".to_owned(),
            period_s: 60,
            evaluation_periods: 3,
            datapoints_to_alarm: 2,
            threshold: 1.0,
            comparison: "GreaterThanOrEqualToThreshold".to_owned(),
            treat_missing_data: "notBreaching".to_owned(),
            actions: actions.to_vec(),
        }
    }
}

/// Decides everything `canary install` will put in place.
pub fn plan_install(request: &InstallRequest) -> Result<InstallPlan, PlanError> {
    let function = FunctionArn::parse_with_account(&request.function_arn)?;
    request
        .config
        .validate()
        .map_err(|err| PlanError::InvalidOption(err.to_string()))?;
    check_schedule(&request.schedule)?;
    let rule_name = match &request.rule_name {
        Some(name) => checked_rule_name(name)?,
        None => rule_name_for(&function.name),
    };
    check_topic(request.sns_topic_arn.as_deref())?;
    let input = target_input(&request.config)?;
    let alarms = plan_alarms(request, &format!("edgekit-canary-{}", function.name))?;
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

/// A schedule is a `rate(...)` or `cron(...)` expression; EventBridge checks the inside.
fn check_schedule(schedule: &str) -> Result<(), PlanError> {
    if schedule.trim().is_empty()
        || !(schedule.starts_with("rate(") || schedule.starts_with("cron("))
        || !schedule.ends_with(')')
    {
        return Err(PlanError::InvalidOption(format!(
            "--schedule {schedule:?} must be a rate(...) or cron(...) expression"
        )));
    }
    Ok(())
}

/// EventBridge rule names: 1..64 of `[.\-_A-Za-z0-9]`. [EventBridge API Reference, PutRule]
fn is_rule_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".-_".contains(c)
}

fn checked_rule_name(name: &str) -> Result<String, PlanError> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(is_rule_name_char) {
        return Err(PlanError::InvalidOption(format!(
            "invalid rule name {name:?}"
        )));
    }
    Ok(name.to_owned())
}

/// The default rule name, made valid (see [`is_rule_name_char`]).
fn rule_name_for(function: &str) -> String {
    format!("edgekit-canary-{function}")
        .chars()
        .map(|c| if is_rule_name_char(c) { c } else { '-' })
        .take(64)
        .collect()
}

fn check_topic(topic: Option<&str>) -> Result<(), PlanError> {
    match topic {
        Some(topic) if !topic.starts_with("arn:") || !topic.contains(":sns:") => Err(
            PlanError::InvalidOption(format!("--sns-topic-arn {topic:?} is not an SNS topic ARN")),
        ),
        _ => Ok(()),
    }
}

/// The scheduled invocation's input: the targets config, as the Lambda's event.
fn target_input(config: &CanaryConfig) -> Result<String, PlanError> {
    let input = serde_json::to_string(config).map_err(|err| {
        PlanError::InvalidOption(format!("could not serialise the targets: {err}"))
    })?;
    if input.len() > MAX_TARGET_INPUT {
        return Err(PlanError::InvalidOption(format!(
            "the targets config is {} characters; an EventBridge target input holds at most \
             {MAX_TARGET_INPUT} (set EDGEKIT_CANARY_CONFIG on the function instead)",
            input.len()
        )));
    }
    Ok(input)
}

/// Alarm names: up to 255 printable ASCII characters. [CloudWatch API Reference, PutMetricAlarm]
fn alarm_name(parts: &[&str]) -> String {
    parts
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .take(255)
        .collect()
}

/// Every alarm: per target, then CloudFront's, then the ALB's.
fn plan_alarms(request: &InstallRequest, prefix: &str) -> Result<Vec<AlarmPlan>, PlanError> {
    let actions: Vec<String> = request.sns_topic_arn.iter().cloned().collect();
    let namespace = request.config.namespace();
    let mut alarms: Vec<AlarmPlan> = request
        .config
        .targets
        .iter()
        .flat_map(|target| target_alarms(target, namespace, prefix, &actions))
        .collect();
    if let Some(id) = &request.distribution_id {
        alarms.push(cloudfront_alarm(id, prefix, &actions));
    }
    if let Some(suffix) = &request.alb_arn_suffix {
        alarms.extend(alb_alarms(suffix, prefix, &actions)?);
    }
    Ok(alarms)
}

/// On the canary's EMF metrics for one target: 502s, success, and certificate expiry on https.
fn target_alarms(
    target: &Target,
    namespace: &str,
    prefix: &str,
    actions: &[String],
) -> Vec<AlarmPlan> {
    let path = target.probe_path().as_str();
    let base = |metric: &str, suffix: &str, description: String| {
        AlarmPlan::per_minute(
            (namespace, metric),
            vec![
                ("Target".to_owned(), target.name.clone()),
                ("Path".to_owned(), path.to_owned()),
            ],
            alarm_name(&[prefix, &target.name, path, suffix]),
            description,
            actions,
        )
    };
    let name = &target.name;
    let mut alarms = vec![
        base(
            "Status502",
            "502",
            format!("{name} ({path}) answered 502 in 2 of 3 minutes: see the canary log's Source"),
        ),
        // A silent canary is a failing canary: missing Success data breaches.
        AlarmPlan {
            datapoints_to_alarm: 3,
            comparison: "LessThanThreshold".to_owned(),
            treat_missing_data: "breaching".to_owned(),
            ..base(
                "Success",
                "success",
                format!("{name} ({path}) failed 3 minutes in a row"),
            )
        },
    ];
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
                format!("{name} ({path}) certificate expires in under 14 days"),
            )
        });
    }
    alarms
}

/// CloudFront metrics: namespace AWS/CloudFront, dimensions DistributionId and Region=Global,
/// us-east-1 only. [CloudFront Developer Guide, "Monitor CloudFront metrics with Amazon
/// CloudWatch"]
fn cloudfront_alarm(id: &str, prefix: &str, actions: &[String]) -> AlarmPlan {
    AlarmPlan {
        region: AlarmRegion::UsEast1,
        statistic: "Average".to_owned(),
        threshold: 5.0,
        ..AlarmPlan::per_minute(
            ("AWS/CloudFront", "5xxErrorRate"),
            vec![
                ("DistributionId".to_owned(), id.to_owned()),
                ("Region".to_owned(), "Global".to_owned()),
            ],
            alarm_name(&[prefix, "cloudfront", id, "5xx-rate"]),
            format!("CloudFront distribution {id}: 5xxErrorRate >= 5% in 2 of 3 minutes"),
            actions,
        )
    }
}

/// ALB metrics: namespace AWS/ApplicationELB, dimension LoadBalancer = the ARN suffix
/// (app/NAME/ID). [ELB User Guide for ALB, "CloudWatch metrics for your Application Load
/// Balancer"]
fn alb_alarms(suffix: &str, prefix: &str, actions: &[String]) -> Result<Vec<AlarmPlan>, PlanError> {
    if !suffix.starts_with("app/") || suffix.split('/').count() != 3 {
        return Err(PlanError::InvalidOption(format!(
            "--alb-arn-suffix {suffix:?} must look like app/NAME/ID"
        )));
    }
    let alarms = [
        ("HTTPCode_ELB_502_Count", "elb-502", 1.0),
        ("HTTPCode_Target_5XX_Count", "target-5xx", 5.0),
    ]
    .map(|(metric, short, threshold)| AlarmPlan {
        threshold,
        ..AlarmPlan::per_minute(
            ("AWS/ApplicationELB", metric),
            vec![("LoadBalancer".to_owned(), suffix.to_owned())],
            alarm_name(&[prefix, "alb", short]),
            format!("ALB {suffix}: {metric} >= {threshold} in 2 of 3 minutes"),
            actions,
        )
    });
    Ok(alarms.to_vec())
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

    /// The whole alarm set as it was planned before the planning moved out of `aws/`.
    #[test]
    fn cloudfront_and_alb_alarms_keep_their_settings() {
        let mut req = request(TARGETS);
        req.distribution_id = Some("E2EXAMPLE".into());
        req.alb_arn_suffix = Some("app/registry-alb/50dc6c495c0c9188".into());
        let plan = plan_install(&req).unwrap();
        let settings: Vec<String> = plan.alarms[5..]
            .iter()
            .map(|a| {
                format!(
                    "{} {} {}s {}/{} {} {} {}",
                    a.name,
                    a.statistic,
                    a.period_s,
                    a.datapoints_to_alarm,
                    a.evaluation_periods,
                    a.threshold,
                    a.comparison,
                    a.treat_missing_data
                )
            })
            .collect();
        assert_eq!(
            settings,
            [
                "edgekit-canary-alb-canary-cloudfront-E2EXAMPLE-5xx-rate Average 60s 2/3 5 \
                 GreaterThanOrEqualToThreshold notBreaching",
                "edgekit-canary-alb-canary-alb-elb-502 Sum 60s 2/3 1 \
                 GreaterThanOrEqualToThreshold notBreaching",
                "edgekit-canary-alb-canary-alb-target-5xx Sum 60s 2/3 5 \
                 GreaterThanOrEqualToThreshold notBreaching",
            ]
        );
        let tls = &plan.alarms[2];
        assert_eq!(
            (
                tls.statistic.as_str(),
                tls.period_s,
                tls.evaluation_periods,
                tls.datapoints_to_alarm,
                tls.comparison.as_str(),
                tls.treat_missing_data.as_str()
            ),
            ("Minimum", 300, 1, 1, "LessThanThreshold", "notBreaching")
        );
        assert_eq!(
            plan.alarms[6].description,
            "ALB app/registry-alb/50dc6c495c0c9188: HTTPCode_ELB_502_Count >= 1 in 2 of 3 minutes"
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
        let err = plan_install(&req).unwrap_err();
        assert!(err.to_string().contains("SNS topic ARN"), "{err}");
    }

    #[test]
    fn qualified_arn_and_long_names() {
        let mut req = request(TARGETS);
        req.function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f:7".into();
        let plan = plan_install(&req).unwrap();
        assert_eq!(
            (plan.region.as_str(), plan.rule.name.as_str()),
            ("us-east-1", "edgekit-canary-f")
        );
        assert_eq!(rule_name_for(&"x".repeat(100)).len(), 64);
    }
}
