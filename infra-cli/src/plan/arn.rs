//! Lambda function ARNs: parsing and the Lambda@Edge rules for what may be attached.
use std::fmt;

use super::PlanError;

/// A Lambda@Edge function must live in us-east-1 and be attached as a numbered version:
/// "You must specify a numbered version of the function; you can't use `$LATEST` or an
/// alias." [AWS CloudFront Developer Guide, "Restrictions on Lambda@Edge" and
/// "Lambda@Edge function associations" (LambdaFunctionARN in the CloudFront API reference)]
pub const EDGE_FUNCTION_REGION: &str = "us-east-1";

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
    pub fn parse(arn: &str) -> Result<Self, PlanError> {
        let invalid = |reason: &str| PlanError::InvalidArn {
            arn: arn.to_owned(),
            reason: reason.to_owned(),
        };
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" {
            return Err(invalid(
                "expected arn:aws:lambda:us-east-1:<account>:function:<name>:<version>",
            ));
        }
        let (partition, region, account, name) = (parts[1], parts[3], parts[4], parts[6]);
        if region != EDGE_FUNCTION_REGION {
            return Err(invalid(&format!(
                "Lambda@Edge functions must be in {EDGE_FUNCTION_REGION}, this one is in {region} \
                 (run `edgekit publish`, which always publishes to {EDGE_FUNCTION_REGION})"
            )));
        }
        if name.is_empty() {
            return Err(invalid("the function name is empty"));
        }
        let qualifier = match parts.len() {
            7 => {
                return Err(invalid(
                    "it has no version: CloudFront needs a numbered version such as `:3` \
                     (`edgekit publish` prints one)",
                ));
            }
            8 => parts[7],
            _ => return Err(invalid("too many `:`-separated parts")),
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
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            function_name: name.to_owned(),
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

/// True when `arn` is any version (or the unqualified ARN) of the function named `name`.
pub fn is_version_of(arn: &str, name: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    parts.len() >= 7 && parts[2] == "lambda" && parts[5] == "function" && parts[6] == name
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
}
