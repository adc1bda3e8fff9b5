//! The canary's schedule and alarms, put in place: the SDK calls that apply a
//! [`crate::plan::canary::InstallPlan`], idempotently (put-rule/put-targets/put-metric-alarm
//! overwrite by name; the permission is added only when its statement is missing).
use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use aws_sdk_eventbridge::types::RuleState;
use serde::{Deserialize, Serialize};

use super::{AwsError, SdkFailure};
use crate::plan::canary::{AlarmPlan, AlarmRegion, InstallPlan};

/// Why `canary install` could not put the plan in place.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum InstallError {
    /// An AWS call failed (its code, message and fix as for every AWS call).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Call(#[from] AwsError),
    #[error("events:PutRule returned no RuleArn")]
    MissingRuleArn,
    #[error("EventBridge target: {0}")]
    Target(String),
    #[error("events:PutTargets rejected the target: {0}")]
    TargetRejected(String),
}

fn call_failed<E: SdkFailure>(call: &'static str, err: &E) -> InstallError {
    InstallError::Call(AwsError::call(call, err))
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

/// Applies a plan. `regional` is configured for the function's region, `us_east_1` for
/// CloudFront's alarms.
pub async fn apply_install(
    plan: &InstallPlan,
    regional: &SdkConfig,
    us_east_1: &SdkConfig,
) -> Result<InstallOutcome, InstallError> {
    let rule_arn = put_rule_and_target(plan, regional).await?;
    let permission = ensure_permission(plan, regional, &rule_arn).await?;
    let regional_cw = aws_sdk_cloudwatch::Client::new(regional);
    let global_cw = aws_sdk_cloudwatch::Client::new(us_east_1);
    let mut alarms = Vec::new();
    for alarm in &plan.alarms {
        let client = match alarm.region {
            AlarmRegion::Function => &regional_cw,
            AlarmRegion::UsEast1 => &global_cw,
        };
        put_alarm(client, alarm).await?;
        alarms.push(alarm.name.clone());
    }
    Ok(InstallOutcome {
        rule_arn,
        target_id: plan.target.id.clone(),
        permission: permission.to_owned(),
        alarms,
    })
}

/// PutRule then PutTargets; returns the rule's ARN.
async fn put_rule_and_target(
    plan: &InstallPlan,
    regional: &SdkConfig,
) -> Result<String, InstallError> {
    let events = aws_sdk_eventbridge::Client::new(regional);
    let rule = events
        .put_rule()
        .name(&plan.rule.name)
        .schedule_expression(&plan.rule.schedule_expression)
        .description(&plan.rule.description)
        .state(RuleState::Enabled)
        .send()
        .await
        .map_err(|e| call_failed("events:PutRule", &e))?;
    let rule_arn = rule.rule_arn.ok_or(InstallError::MissingRuleArn)?;
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id(&plan.target.id)
        .arn(&plan.target.arn)
        .input(&plan.target.input)
        .build()
        .map_err(|e| InstallError::Target(e.to_string()))?;
    let put = events
        .put_targets()
        .rule(&plan.rule.name)
        .targets(target)
        .send()
        .await
        .map_err(|e| call_failed("events:PutTargets", &e))?;
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
        return Err(InstallError::TargetRejected(reasons.join("; ")));
    }
    Ok(rule_arn)
}

/// Adds the EventBridge invoke permission unless its statement is there: `created` or
/// `existing`.
async fn ensure_permission(
    plan: &InstallPlan,
    regional: &SdkConfig,
    rule_arn: &str,
) -> Result<&'static str, InstallError> {
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
        Err(err) => return Err(call_failed("lambda:GetPolicy", &err)),
    };
    if existing {
        return Ok("existing");
    }
    match lambda
        .add_permission()
        .function_name(&plan.function_arn)
        .statement_id(&plan.permission.statement_id)
        .action(&plan.permission.action)
        .principal(&plan.permission.principal)
        .source_arn(rule_arn)
        .send()
        .await
    {
        Ok(_) => Ok("created"),
        // Added concurrently since GetPolicy: same statement id, same meaning.
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_conflict_exception()) =>
        {
            Ok("existing")
        }
        Err(err) => Err(call_failed("lambda:AddPermission", &err)),
    }
}

/// One PutMetricAlarm (overwrites an alarm of the same name).
async fn put_alarm(
    client: &aws_sdk_cloudwatch::Client,
    alarm: &AlarmPlan,
) -> Result<(), InstallError> {
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
        .map_err(|e| call_failed("cloudwatch:PutMetricAlarm", &e))?;
    Ok(())
}
