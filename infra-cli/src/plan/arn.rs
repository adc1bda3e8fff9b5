//! ARNs: the one parser (`arn:partition:service:region:account:resource`), Lambda function
//! ARNs on top of it, and the Lambda@Edge rules for what may be attached.
use std::fmt;

use super::PlanError;
use crate::aws::EDGE_REGION;

/// The six parts of an ARN, borrowed from the text. The resource keeps any further `:` or
/// `/`. [AWS IAM User Guide, "Amazon Resource Names (ARNs)": `arn:partition:service:region:
/// account-id:resource`, also `resource-type/resource-id` and `resource-type:resource-id`]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits an ARN into its parts; `None` when it is not `arn:` and six parts.
    pub fn parse(arn: &'a str) -> Option<Self> {
        let mut parts = arn.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Self {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }
}

/// The parts of `arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]`,
/// in any region, qualified (version or alias) or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
    pub qualifier: Option<String>,
}

impl FunctionArn {
    /// Parses a Lambda function ARN's shape: a region, a function name, at most one qualifier.
    pub fn parse(arn: &str) -> Result<Self, PlanError> {
        let invalid = |reason: &str| invalid_arn(arn, reason);
        let parsed = Arn::parse(arn)
            .filter(|a| a.service == "lambda")
            .and_then(|a| Some((a, a.resource.strip_prefix("function:")?)))
            .ok_or_else(|| {
                invalid("expected arn:aws:lambda:<region>:<account>:function:<name>[:<version>]")
            })?;
        let (parts, function) = parsed;
        if parts.region.is_empty() {
            return Err(invalid("the region is empty"));
        }
        let (name, qualifier) = match function.split_once(':') {
            Some((_, q)) if q.contains(':') => {
                return Err(invalid("too many `:`-separated parts"));
            }
            Some((name, q)) => (name, Some(q.to_owned())),
            None => (function, None),
        };
        if name.is_empty() {
            return Err(invalid("the function name is empty"));
        }
        Ok(Self {
            partition: parts.partition.to_owned(),
            region: parts.region.to_owned(),
            account: parts.account.to_owned(),
            name: name.to_owned(),
            qualifier,
        })
    }

    /// [`Self::parse`], and the account must be a 12-digit account id: the ARN is called
    /// (EventBridge target, Lambda permission), not only compared. [AWS Account Management
    /// Reference Guide, "View AWS account identifiers": "a 12-digit number"]
    pub fn parse_with_account(arn: &str) -> Result<Self, PlanError> {
        let function = Self::parse(arn)?;
        if function.account.len() != 12 || !function.account.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid_arn(arn, "the account id is not 12 digits"));
        }
        Ok(function)
    }
}

fn invalid_arn(arn: &str, reason: &str) -> PlanError {
    PlanError::InvalidArn {
        arn: arn.to_owned(),
        reason: reason.to_owned(),
    }
}

/// A parsed, numbered Lambda function version ARN in us-east-1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionVersionArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub function_name: String,
    pub version: u64,
}

impl FunctionVersionArn {
    /// Parses `arn:<partition>:lambda:us-east-1:<account>:function:<name>:<number>`, refusing
    /// `$LATEST`, aliases, unqualified ARNs and any other region, with the reason.
    ///
    /// A Lambda@Edge function must live in us-east-1 and be attached as a numbered version:
    /// "You must specify a numbered version of the function; you can't use `$LATEST` or an
    /// alias." [AWS CloudFront Developer Guide, "Restrictions on Lambda@Edge" and
    /// "Lambda@Edge function associations" (LambdaFunctionARN in the CloudFront API reference)]
    pub fn parse(arn: &str) -> Result<Self, PlanError> {
        let invalid = |reason: &str| invalid_arn(arn, reason);
        let function = FunctionArn::parse(arn)?;
        let region = function.region.as_str();
        if region != EDGE_REGION {
            return Err(invalid(&format!(
                "Lambda@Edge functions must be in {EDGE_REGION}, this one is in {region} \
                 (run `edgekit publish`, which always publishes to {EDGE_REGION})"
            )));
        }
        let Some(qualifier) = function.qualifier.as_deref() else {
            return Err(invalid(
                "it has no version: CloudFront needs a numbered version such as `:3` \
                 (`edgekit publish` prints one)",
            ));
        };
        if qualifier == "$LATEST" {
            return Err(invalid(
                "`$LATEST` cannot be attached: CloudFront needs a numbered version \
                 (`edgekit publish` prints one)",
            ));
        }
        let version = qualifier.parse::<u64>().map_err(|_| {
            invalid(&format!(
                "`{qualifier}` looks like an alias: CloudFront needs a numbered version, not an alias"
            ))
        })?;
        if version == 0 {
            return Err(invalid("version 0 does not exist; versions start at 1"));
        }
        Ok(Self {
            partition: function.partition,
            region: function.region,
            account: function.account,
            function_name: function.name,
            version,
        })
    }

    /// The unqualified function ARN (no version).
    pub fn unqualified(&self) -> String {
        format!(
            "arn:{}:lambda:{}:{}:function:{}",
            self.partition, self.region, self.account, self.function_name
        )
    }
}

impl fmt::Display for FunctionVersionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.unqualified(), self.version)
    }
}

/// A CloudFront Function's ARN, `arn:<partition>:cloudfront::<account>:function/<name>`: no
/// region (CloudFront is global) and no version (the association runs the LIVE stage).
/// [CloudFront API Reference, "FunctionAssociation": FunctionARN; AWS CloudFormation User
/// Guide, "AWS::CloudFront::Distribution FunctionAssociation": pattern
/// `arn:aws:cloudfront::[0-9]{12}:function\/[a-zA-Z0-9-_]{1,64}`]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudFrontFunctionArn {
    pub partition: String,
    pub account: String,
    pub name: String,
}

impl CloudFrontFunctionArn {
    /// Parses the ARN `edgekit publish --runtime cloudfront-js-2.0` prints.
    pub fn parse(arn: &str) -> Result<Self, PlanError> {
        let invalid = |reason: &str| PlanError::InvalidCloudFrontFunctionArn {
            arn: arn.to_owned(),
            reason: reason.to_owned(),
        };
        let (parts, name) = Arn::parse(arn)
            .filter(|a| a.service == "cloudfront")
            .and_then(|a| Some((a, a.resource.strip_prefix("function/")?)))
            .ok_or_else(|| invalid("expected arn:aws:cloudfront::<account>:function/<name>"))?;
        if !parts.region.is_empty() {
            return Err(invalid("a CloudFront Function ARN has no region"));
        }
        if parts.account.len() != 12 || !parts.account.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid("the account id is not 12 digits"));
        }
        if !is_function_name(name) {
            return Err(invalid(
                "the function name must be 1-64 letters, digits, `-` or `_`",
            ));
        }
        Ok(Self {
            partition: parts.partition.to_owned(),
            account: parts.account.to_owned(),
            name: name.to_owned(),
        })
    }

    /// True when `value` has the shape of a CloudFront Function ARN (parsed or not), so that
    /// a command can tell the two runtimes apart by the ARN alone.
    pub fn looks_like(value: &str) -> bool {
        Arn::parse(value)
            .is_some_and(|a| a.service == "cloudfront" && a.resource.starts_with("function/"))
    }
}

impl fmt::Display for CloudFrontFunctionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:cloudfront::{}:function/{}",
            self.partition, self.account, self.name
        )
    }
}

/// A CloudFront Function name: 1-64 of `[a-zA-Z0-9-_]`. [CloudFront API Reference,
/// "CreateFunction": Name]
pub fn is_function_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// True when `arn` is any version (or the unqualified ARN) of the function named `name`.
pub fn is_version_of(arn: &str, name: &str) -> bool {
    FunctionArn::parse(arn).is_ok_and(|function| function.name == name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn accepts_numbered_versions_in_us_east_1() {
        let arn = FunctionVersionArn::parse(
            "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:7",
        )
        .unwrap();
        assert_eq!(arn.function_name, "edgekit-forwarded-proto");
        assert_eq!(arn.version, 7);
        assert_eq!(
            arn.to_string(),
            "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:7"
        );
    }

    #[test]
    fn refuses_latest_alias_unqualified_and_other_regions() {
        for (arn, needle) in [
            ("arn:aws:lambda:us-east-1:1:function:f:$LATEST", "$LATEST"),
            ("arn:aws:lambda:us-east-1:1:function:f:live", "alias"),
            ("arn:aws:lambda:us-east-1:1:function:f", "no version"),
            ("arn:aws:lambda:eu-west-1:1:function:f:3", "eu-west-1"),
            ("arn:aws:s3:::bucket", "expected arn"),
            ("arn:aws:lambda:us-east-1:1:function:f:0", "version 0"),
        ] {
            let err = FunctionVersionArn::parse(arn).unwrap_err().to_string();
            assert!(err.contains(needle), "{arn}: {err}");
        }
    }

    #[test]
    fn recognises_versions_of_a_function() {
        assert!(is_version_of(
            "arn:aws:lambda:us-east-1:1:function:f:3",
            "f"
        ));
        assert!(!is_version_of(
            "arn:aws:lambda:us-east-1:1:function:fg:3",
            "f"
        ));
    }

    #[test]
    fn parses_any_region_and_qualifier_for_the_canary() {
        let arn = FunctionArn::parse("arn:aws:lambda:eu-west-1:123456789012:function:f:7").unwrap();
        assert_eq!(
            (
                arn.region.as_str(),
                arn.name.as_str(),
                arn.qualifier.as_deref()
            ),
            ("eu-west-1", "f", Some("7"))
        );
        let arn =
            FunctionArn::parse_with_account("arn:aws:lambda:eu-west-1:123456789012:function:f")
                .unwrap();
        assert_eq!(arn.qualifier, None);
        for (arn, needle) in [
            ("arn:aws:lambda:eu-west-1:123:function:f", "12 digits"),
            ("arn:aws:lambda::123456789012:function:f", "region"),
            ("arn:aws:lambda:eu-west-1:123456789012:function:", "name"),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:f:1:2",
                "too many",
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:layer:l:1",
                "expected arn",
            ),
        ] {
            let err = FunctionArn::parse_with_account(arn)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{arn}: {err}");
        }
    }

    #[test]
    fn parses_cloudfront_function_arns_and_refuses_near_misses() {
        let arn = CloudFrontFunctionArn::parse(
            "arn:aws:cloudfront::123456789012:function/edgekit-forwarded-proto",
        )
        .unwrap();
        assert_eq!(arn.name, "edgekit-forwarded-proto");
        assert_eq!(
            arn.to_string(),
            "arn:aws:cloudfront::123456789012:function/edgekit-forwarded-proto"
        );
        for (bad, needle) in [
            (
                "arn:aws:cloudfront:us-east-1:123456789012:function/f",
                "no region",
            ),
            ("arn:aws:cloudfront::1234:function/f", "12 digits"),
            ("arn:aws:cloudfront::123456789012:function/", "1-64"),
            ("arn:aws:cloudfront::123456789012:function/a.b", "1-64"),
            (
                "arn:aws:cloudfront::123456789012:distribution/E1",
                "expected arn",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f:1",
                "expected arn",
            ),
        ] {
            let err = CloudFrontFunctionArn::parse(bad).unwrap_err().to_string();
            assert!(err.contains(needle), "{bad}: {err}");
        }
        assert!(CloudFrontFunctionArn::looks_like(
            "arn:aws:cloudfront::1:function/x"
        ));
        assert!(!CloudFrontFunctionArn::looks_like(
            "arn:aws:lambda:us-east-1:1:function:x:1"
        ));
        assert!(is_function_name(&"a".repeat(64)) && !is_function_name(&"a".repeat(65)));
    }

    #[test]
    fn splits_any_arn_keeping_the_resource_whole() {
        let arn = Arn::parse("arn:aws:acm:us-east-1:123456789012:certificate/abc:def").unwrap();
        assert_eq!(
            (arn.service, arn.region, arn.resource),
            ("acm", "us-east-1", "certificate/abc:def")
        );
        assert_eq!(Arn::parse("arn:aws:s3"), None);
        assert_eq!(Arn::parse("urn:aws:s3:::b:c"), None);
    }
}
