//! `edgekit iam-policy`: the least-privilege policy the CLI needs.
//!
//! Actions follow the CloudFront Developer Guide, "Set up IAM permissions and roles for
//! Lambda@Edge" (lambda:GetFunction, lambda:EnableReplication*, lambda:DisableReplication*,
//! iam:CreateServiceLinkedRole for the replicator and logger roles, cloudfront:UpdateDistribution)
//! plus what publish, distribution create, wait and destroy call.
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::cli::GlobalArgs;

#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    /// Prefix of the Lambda function and role names the CLI may manage.
    #[arg(long, default_value = "edgekit-")]
    pub name_prefix: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: &'static str,
    pub statement: Vec<Statement>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub sid: &'static str,
    pub effect: &'static str,
    pub action: Vec<&'static str>,
    pub resource: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
}

#[derive(Debug, Serialize)]
pub struct Condition {
    #[serde(rename = "StringEquals")]
    pub string_equals: PassedToService,
}

#[derive(Debug, Serialize)]
pub struct PassedToService {
    #[serde(rename = "iam:PassedToService")]
    pub passed_to_service: Vec<&'static str>,
}

/// The policy for functions and roles named `<prefix>*`.
pub fn policy(prefix: &str) -> PolicyDocument {
    let functions = format!("arn:aws:lambda:us-east-1:*:function:{prefix}*");
    let roles = format!("arn:aws:iam::*:role/{prefix}*");
    PolicyDocument {
        version: "2012-10-17",
        statement: vec![
            Statement {
                sid: "CloudFrontDistributions",
                effect: "Allow",
                action: vec![
                    "cloudfront:ListDistributions",
                    "cloudfront:GetDistribution",
                    "cloudfront:GetDistributionConfig",
                    "cloudfront:CreateDistribution",
                    "cloudfront:UpdateDistribution",
                ],
                resource: vec!["*".to_owned()],
                condition: None,
            },
            Statement {
                sid: "EdgeFunctions",
                effect: "Allow",
                action: vec![
                    "lambda:GetFunction",
                    "lambda:CreateFunction",
                    "lambda:UpdateFunctionCode",
                    "lambda:UpdateFunctionConfiguration",
                    "lambda:PublishVersion",
                    "lambda:ListVersionsByFunction",
                    "lambda:DeleteFunction",
                    "lambda:EnableReplication*",
                    "lambda:DisableReplication*",
                ],
                resource: vec![functions.clone(), format!("{functions}:*")],
                condition: None,
            },
            Statement {
                sid: "EdgeExecutionRole",
                effect: "Allow",
                action: vec!["iam:GetRole", "iam:CreateRole", "iam:AttachRolePolicy"],
                resource: vec![roles.clone()],
                condition: None,
            },
            Statement {
                sid: "PassEdgeExecutionRole",
                effect: "Allow",
                action: vec!["iam:PassRole"],
                resource: vec![roles],
                condition: Some(Condition {
                    string_equals: PassedToService {
                        passed_to_service: vec!["lambda.amazonaws.com", "edgelambda.amazonaws.com"],
                    },
                }),
            },
            // `edgekit logs` and `logs retention`: the function's log groups only, in every
            // region for Lambda@Edge, us-east-1 for CloudFront Functions (docs/logs.md).
            Statement {
                sid: "EdgeFunctionLogs",
                effect: "Allow",
                action: vec![
                    "logs:FilterLogEvents",
                    "logs:DescribeLogGroups",
                    "logs:CreateLogGroup",
                    "logs:PutRetentionPolicy",
                ],
                resource: vec![
                    format!("arn:aws:logs:*:*:log-group:/aws/lambda/us-east-1.{prefix}*"),
                    format!("arn:aws:logs:us-east-1:*:log-group:/aws/cloudfront/function/{prefix}*"),
                ],
                condition: None,
            },
            Statement {
                // `edgekit logs --regions all`: which regions the account has enabled.
                // DescribeRegions takes no resource ARN. [EC2 API Reference, "DescribeRegions"]
                sid: "EdgeFunctionLogRegions",
                effect: "Allow",
                action: vec!["ec2:DescribeRegions"],
                resource: vec!["*".to_owned()],
                condition: None,
            },
            // alb protect / secret rotate: the Describe* calls support no resource-level
            // permissions, so one statement on "*" holds them and the few writes.
            Statement {
                sid: "AlbOriginVerifyLockdown",
                effect: "Allow",
                action: vec![
                    "elasticloadbalancing:DescribeLoadBalancers",
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:CreateRule",
                    "elasticloadbalancing:ModifyRule",
                    "elasticloadbalancing:DeleteRule",
                    "elasticloadbalancing:ModifyListener",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeManagedPrefixLists",
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:RevokeSecurityGroupIngress",
                ],
                resource: vec!["*".to_owned()],
                condition: None,
            },
            // `edgekit domain add/remove`. ListCertificates, RequestCertificate and
            // ListHostedZones take no resource ARN, hence "*".
            Statement {
                sid: "CustomDomain",
                effect: "Allow",
                action: vec![
                    "acm:ListCertificates",
                    "acm:DescribeCertificate",
                    "acm:RequestCertificate",
                    "acm:DeleteCertificate",
                    "route53:ListHostedZones",
                    "route53:ListResourceRecordSets",
                    "route53:ChangeResourceRecordSets",
                ],
                resource: vec!["*".to_owned()],
                condition: None,
            },
            // `publish`/`destroy --runtime cloudfront-js-2.0` and `distribution create
            // --edge-runtime cloudfront-functions --attach`: exactly the Functions API calls
            // edgekit makes, on functions named `<prefix>*`.
            Statement {
                sid: "CloudFrontFunctions",
                effect: "Allow",
                action: vec![
                    "cloudfront:CreateFunction",
                    "cloudfront:DescribeFunction",
                    "cloudfront:GetFunction",
                    "cloudfront:UpdateFunction",
                    "cloudfront:PublishFunction",
                    "cloudfront:TestFunction",
                    "cloudfront:DeleteFunction",
                ],
                resource: vec![format!("arn:aws:cloudfront::*:function/{prefix}*")],
                condition: None,
            },
            // `edgekit doctor`: exactly the reads its AWS checks make (Describe*, List* and
            // Get* of these services take "*": the checks read whatever the user names).
            Statement {
                sid: "DoctorReadOnly",
                effect: "Allow",
                action: vec![
                    "cloudfront:GetDistribution",
                    "cloudfront:GetOriginRequestPolicy",
                    "elasticloadbalancing:DescribeLoadBalancers",
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTargetHealth",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeManagedPrefixLists",
                    "ecs:DescribeServices",
                    "acm:ListCertificates",
                    "acm:DescribeCertificate",
                    "route53:ListHostedZones",
                    "route53:ListResourceRecordSets",
                ],
                resource: vec!["*".to_owned()],
                condition: None,
            },
            Statement {
                sid: "LambdaEdgeServiceLinkedRoles",
                effect: "Allow",
                action: vec!["iam:CreateServiceLinkedRole"],
                resource: vec![
                    "arn:aws:iam::*:role/aws-service-role/replicator.lambda.amazonaws.com/AWSServiceRoleForLambdaReplicator".to_owned(),
                    "arn:aws:iam::*:role/aws-service-role/logger.cloudfront.amazonaws.com/AWSServiceRoleForCloudFrontLogger".to_owned(),
                ],
                condition: None,
            },
        ],
    }
}

pub fn run(args: IamPolicyArgs, _global: &GlobalArgs) -> miette::Result<ExitCode> {
    // A policy document is JSON in both output formats.
    let doc = policy(&args.name_prefix);
    let json = serde_json::to_string_pretty(&doc)
        .map_err(|err| miette::miette!("could not render the policy: {err}"))?;
    crate::output::write_stdout(&format!("{json}\n"))
        .map_err(|err| miette::miette!("could not write the policy: {err}"))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn policy_has_the_edge_specific_permissions() {
        let json = serde_json::to_string(&policy("edgekit-")).unwrap();
        for needle in [
            "lambda:EnableReplication*",
            "iam:CreateServiceLinkedRole",
            "cloudfront:UpdateDistribution",
            "lambda:PublishVersion",
            "iam:PassRole",
            "edgelambda.amazonaws.com",
        ] {
            assert!(json.contains(needle), "{needle} missing from {json}");
        }
    }
}
