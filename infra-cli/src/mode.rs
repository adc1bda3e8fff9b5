//! The deployment mode: the one enum `distribution create` plans with and `edgekit dev`
//! emulates.

use clap::ValueEnum;
use serde::Serialize;

/// A deployment mode of the reference deployment. [docs/platform.md, "Deployment modes"]
///
/// | Mode          | enable_cloudfront | enable_route53_dns | deployment_mode output |
/// |---------------|-------------------|--------------------|------------------------|
/// | cloudfront    | true              | false              | cloudfront             |
/// | custom-domain | false             | true               | custom-domain          |
/// | dual          | true              | true               | custom-domain (warn: two URLs may confuse users) |
/// | development   | false             | false              | development            |
///
/// The variant docs are the `--mode` help of both commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeploymentMode {
    /// Viewer → CloudFront (HTTPS, redirect-to-https) → ALB HTTP listener → origin.
    Cloudfront,
    /// Viewer → ALB HTTPS listener (custom domain) → origin; no CloudFront, no functions.
    CustomDomain,
    /// Both: CloudFront on the viewer listeners, and the ALB's HTTPS listener on the custom
    /// domain (`edgekit dev`: on `--alb-listen`).
    Dual,
    /// Viewer → ALB HTTP listener → origin; no CloudFront, no TLS.
    Development,
}

impl DeploymentMode {
    /// `enable_cloudfront` of the modes table: a CloudFront distribution fronts the app.
    pub fn enable_cloudfront(self) -> bool {
        matches!(self, Self::Cloudfront | Self::Dual)
    }

    /// `enable_route53_dns` of the modes table: Route 53 names point at the ALB.
    pub fn enable_route53_dns(self) -> bool {
        matches!(self, Self::CustomDomain | Self::Dual)
    }

    /// The `deployment_mode` output value, exactly as the modes table says (dual reports
    /// custom-domain).
    pub fn deployment_mode_output(self) -> &'static str {
        match self {
            Self::Cloudfront => "cloudfront",
            Self::CustomDomain | Self::Dual => "custom-domain",
            Self::Development => "development",
        }
    }

    /// The name on the command line (`--mode <name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cloudfront => "cloudfront",
            Self::CustomDomain => "custom-domain",
            Self::Dual => "dual",
            Self::Development => "development",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_command_line() {
        for mode in DeploymentMode::value_variants() {
            let name = mode.to_possible_value().map(|v| v.get_name().to_owned());
            assert_eq!(name.as_deref(), Some(mode.as_str()));
        }
    }
}
