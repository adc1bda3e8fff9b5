//! The `--deployment FILE` input: exactly what `edgekit distribution create --output json`
//! prints (`commands::distribution::CreateReport`), read back with a typed serde struct.
use serde::Deserialize;

/// `distribution create --output json`'s object. Fields doctor does not use (`warning`,
/// `note`, `origin_verify_secret`) are ignored and never kept: the secret is not read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeploymentFile {
    /// `cloudfront`, `custom-domain` or `development` (the modes table's output value).
    pub deployment_mode: String,
    /// The app's (registry's) public URL; empty when the run created nothing for it.
    #[serde(default)]
    pub registry_url: String,
    /// Keycloak's public URL.
    #[serde(default)]
    pub keycloak_url: String,
    #[serde(default)]
    pub distributions: Vec<DeploymentDistribution>,
}

/// One `distributions[]` item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeploymentDistribution {
    pub id: String,
    pub domain_name: String,
    /// `registry` or `keycloak`.
    pub role: String,
    #[serde(default)]
    pub function_arn: Option<String>,
}

/// The `deployment_mode` values `distribution create` prints (`DeploymentMode::deployment_mode_output`).
pub const DEPLOYMENT_MODES: &[&str] = &["cloudfront", "custom-domain", "development"];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// The README's example output of `distribution create --output json`, secret included.
    #[test]
    fn reads_what_distribution_create_prints() {
        let json = r#"{
  "deployment_mode": "custom-domain",
  "registry_url": "https://registry.example.com",
  "keycloak_url": "https://kc.example.com",
  "distributions": [
    {"id": "E3CDEFAB456789", "domain_name": "d3c4d5e6f7a8b9.cloudfront.net", "role": "registry", "created": true,
     "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:1"},
    {"id": "E4DEFABC567890", "domain_name": "d9b8a7f6e5d4c3.cloudfront.net", "role": "keycloak", "created": true}
  ],
  "warning": "dual ingress: ...",
  "origin_verify_secret": "s3cr3t-value-never-kept"
}"#;
        let file: DeploymentFile = serde_json::from_str(json).unwrap();
        assert_eq!(file.deployment_mode, "custom-domain");
        assert_eq!(file.distributions.len(), 2);
        assert_eq!(file.distributions[1].role, "keycloak");
        assert!(!format!("{file:?}").contains("s3cr3t"));
    }
}
