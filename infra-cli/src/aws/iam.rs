//! IAM calls: the execution role of edge functions (created or reused).
use std::time::Duration;

use super::AwsError;
use aws_sdk_iam::Client;
use aws_sdk_iam::client::Waiters;
use serde::Serialize;

/// The only managed policy the role gets: CloudWatch Logs for the function.
/// [Lambda Developer Guide, "AWS managed policies for Lambda": AWSLambdaBasicExecutionRole]
pub const BASIC_EXECUTION_POLICY_ARN: &str =
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

/// Lambda@Edge's execution role must be assumable by both services.
/// [CloudFront Developer Guide, "Set up IAM permissions and roles for Lambda@Edge"]
pub const TRUSTED_SERVICES: [&str; 2] = ["lambda.amazonaws.com", "edgelambda.amazonaws.com"];

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDocument {
    version: &'static str,
    statement: Vec<TrustStatement>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TrustStatement {
    effect: &'static str,
    principal: ServicePrincipal,
    action: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ServicePrincipal {
    service: Vec<&'static str>,
}

/// The trust policy document (JSON) for the edge execution role.
pub fn trust_policy() -> String {
    let doc = PolicyDocument {
        version: "2012-10-17",
        statement: vec![TrustStatement {
            effect: "Allow",
            principal: ServicePrincipal {
                service: TRUSTED_SERVICES.to_vec(),
            },
            action: "sts:AssumeRole",
        }],
    };
    serde_json::to_string(&doc).unwrap_or_default()
}

/// Returns the ARN of `role_name`, creating it (trusted by Lambda and Lambda@Edge, basic
/// execution only) when it does not exist, and waiting for it with the SDK waiter.
pub async fn ensure_edge_role(
    client: &Client,
    role_name: &str,
) -> Result<(String, bool), AwsError> {
    match client.get_role().role_name(role_name).send().await {
        Ok(out) => {
            let role = out
                .role
                .ok_or_else(|| AwsError::missing(format!("GetRole {role_name}"), "Role"))?;
            return Ok((role.arn, false));
        }
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) => {}
        Err(err) => {
            return Err(AwsError::call(format!("GetRole {role_name}"), &err)
                .with_help("pass --role-arn to use an existing role instead"));
        }
    }
    let created = client
        .create_role()
        .role_name(role_name)
        .assume_role_policy_document(trust_policy())
        .description("Execution role of edgekit Lambda@Edge functions (basic execution only)")
        .send()
        .await
        .map_err(|err| {
            AwsError::call(format!("CreateRole {role_name}"), &err).with_help(
                "the caller needs iam:CreateRole (see `edgekit iam-policy`), or pass --role-arn",
            )
        })?;
    let arn = created
        .role
        .map(|r| r.arn)
        .ok_or_else(|| AwsError::missing(format!("CreateRole {role_name}"), "Role"))?;
    client
        .attach_role_policy()
        .role_name(role_name)
        .policy_arn(BASIC_EXECUTION_POLICY_ARN)
        .send()
        .await
        .map_err(|err| AwsError::call(format!("AttachRolePolicy {role_name}"), &err))?;
    client
        .wait_until_role_exists()
        .role_name(role_name)
        .wait(Duration::from_secs(60))
        .await
        .map_err(|err| {
            AwsError::call(
                format!("GetRole {role_name} (waiting until it exists)"),
                &err,
            )
        })?;
    Ok((arn, true))
}

/// An IAM client (a global service; the us-east-1 endpoint).
pub async fn client(aws: &super::AwsOptions) -> Client {
    Client::new(&super::sdk_config(aws, Some(super::EDGE_REGION)).await)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn trust_policy_names_both_services() {
        let policy = trust_policy();
        assert!(policy.contains("\"lambda.amazonaws.com\""));
        assert!(policy.contains("\"edgelambda.amazonaws.com\""));
        assert!(policy.contains("sts:AssumeRole"));
    }
}
