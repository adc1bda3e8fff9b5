//! The emulator's resolved settings: deployment mode, ALB behaviour, origin request policy,
//! the `--config` file model, and origin URLs.

use std::path::{Path, PathBuf};

use http::Uri;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::DevError;

/// Deployment mode, as in the reference deployment (DESIGN.md, "Deployment modes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Viewer → CloudFront (HTTPS, redirect-to-https) → ALB HTTP listener → origin.
    Cloudfront,
    /// Viewer → ALB HTTPS listener (custom domain) → origin; no CloudFront, no functions.
    CustomDomain,
    /// Both: CloudFront on the viewer listeners, and the ALB's HTTPS listener on `--alb-listen`.
    Dual,
    /// Viewer → ALB HTTP listener → origin; no CloudFront, no TLS.
    Development,
}

impl Mode {
    /// Whether a CloudFront distribution fronts the viewer listeners.
    pub fn has_cloudfront(self) -> bool {
        matches!(self, Self::Cloudfront | Self::Dual)
    }
}

/// How the ALB treats `X-Forwarded-Proto`/`X-Forwarded-Port`. The ELB guide ("HTTP headers
/// and Application Load Balancers", X-Forwarded-Proto) says the ALB sets them from its
/// listener; reports differ on whether an incoming value is overwritten or appended to
/// (kubernetes-sigs/aws-load-balancer-controller issue 1852), so both are selectable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlbMode {
    /// Replace any incoming value with the listener's (default).
    XfpOverwrite,
    /// Append the listener's value to an incoming one.
    XfpAppend,
    /// No ALB: CloudFront talks to the origin directly.
    Off,
}

/// The origin request policy attached to the cache behavior (managed policies).
/// [CloudFront Developer Guide, "Use managed origin request policies"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OriginRequestPolicy {
    /// AllViewerAndCloudFrontHeaders-2022-06: every viewer header (Host included) plus the
    /// CloudFront headers such as `CloudFront-Forwarded-Proto`.
    AllViewerAndCloudfrontHeaders,
    /// AllViewer: every viewer header (Host included), no CloudFront headers.
    AllViewer,
    /// AllViewerExceptHostHeader: every viewer header but Host (Host = origin domain),
    /// plus the CloudFront headers.
    AllViewerExceptHostHeader,
}

impl OriginRequestPolicy {
    /// Whether the viewer's Host is forwarded (else Host = the origin's domain name).
    pub fn forwards_host(self) -> bool {
        !matches!(self, Self::AllViewerExceptHostHeader)
    }

    /// Whether `CloudFront-Forwarded-Proto` and the other CloudFront headers are added.
    pub fn adds_cloudfront_headers(self) -> bool {
        !matches!(self, Self::AllViewer)
    }

    /// The managed policy's name.
    pub fn managed_name(self) -> &'static str {
        match self {
            Self::AllViewerAndCloudfrontHeaders => "AllViewerAndCloudFrontHeaders-2022-06",
            Self::AllViewer => "AllViewer",
            Self::AllViewerExceptHostHeader => "AllViewerExceptHostHeader",
        }
    }
}

/// The `--config FILE` JSON: function configs (the same keys as `edgekit invoke --config`)
/// and the distribution's custom origin headers. Every key is optional; unknown keys are an
/// error naming the key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DevConfigFile {
    /// forwarded-proto's config (defaults when absent).
    pub forwarded_proto: Option<forwarded_proto::Config>,
    /// keycloak-host's config, for the Keycloak distribution (`--keycloak-origin`).
    pub keycloak_host: Option<keycloak_host::Config>,
    /// Custom origin headers of the app distribution (name → value).
    pub custom_origin_headers: IndexMap<String, String>,
}

impl DevConfigFile {
    /// Reads and checks the file, naming the JSON path of any problem.
    pub fn load(path: &Path) -> Result<Self, DevError> {
        let text = std::fs::read_to_string(path).map_err(|source| DevError::ReadConfig {
            path: path.to_path_buf(),
            source,
        })?;
        let deserializer = &mut serde_json::Deserializer::from_str(&text);
        let file: Self =
            serde_path_to_error::deserialize(deserializer).map_err(|err| DevError::Config {
                path: path.to_path_buf(),
                field: err.path().to_string(),
                reason: err.into_inner().to_string(),
            })?;
        let problem = |err: edge::policy::ConfigProblem, prefix: &str| DevError::Config {
            path: path.to_path_buf(),
            field: format!("{prefix}.{}", err.field),
            reason: err.reason,
        };
        if let Some(config) = &file.forwarded_proto {
            forwarded_proto::check_config(config).map_err(|err| problem(err, "forwarded_proto"))?;
        }
        if let Some(config) = &file.keycloak_host {
            keycloak_host::check_config(config).map_err(|err| problem(err, "keycloak_host"))?;
        }
        Ok(file)
    }
}

/// Where the ALB (or CloudFront, with `--alb off`) sends requests: an `http://host:port` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginTarget {
    /// `http://host:port` (no path).
    pub base: String,
    /// `host:port`.
    pub authority: String,
}

impl OriginTarget {
    /// Parses `--origin`/`--keycloak-origin`: `http://host[:port]` (https origins are not
    /// emulated: the ALB-to-target hop in the reference deployment is plain HTTP).
    pub fn parse(what: &'static str, value: &str) -> Result<Self, DevError> {
        let invalid = |reason: &str| DevError::InvalidArg {
            what,
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = value.parse().map_err(|_| invalid("not a URL"))?;
        if uri.scheme_str() != Some("http") {
            return Err(invalid(
                "use an http:// URL (the ALB reaches its targets over HTTP)",
            ));
        }
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        let authority = match authority.port_u16() {
            Some(_) => authority.as_str().to_owned(),
            None => format!("{}:80", authority.host()),
        };
        if uri.path() != "/" && !uri.path().is_empty() {
            return Err(invalid(
                "origin paths are not supported; give http://host:port",
            ));
        }
        Ok(Self {
            base: format!("http://{authority}"),
            authority,
        })
    }
}

/// A path given on the command line, made absolute (the Node bridge imports it by URL).
pub fn absolute(path: &Path) -> Result<PathBuf, DevError> {
    if !path.is_file() {
        return Err(DevError::InvalidArg {
            what: "handler file",
            value: path.display().to_string(),
            reason: "no such file".into(),
        });
    }
    Ok(std::fs::canonicalize(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_urls() {
        let target = OriginTarget::parse("--origin", "http://127.0.0.1:8000").unwrap();
        assert_eq!(target.base, "http://127.0.0.1:8000");
        assert_eq!(
            OriginTarget::parse("--origin", "http://app")
                .unwrap()
                .authority,
            "app:80"
        );
        assert!(OriginTarget::parse("--origin", "https://app").is_err());
        assert!(OriginTarget::parse("--origin", "http://app/x").is_err());
    }

    #[test]
    fn config_file_names_unknown_keys() {
        let dir = tempfile_dir();
        let path = dir.join("bad.json");
        std::fs::write(&path, r#"{"forwarded_proto": {"requre_https": false}}"#).unwrap();
        let err = DevConfigFile::load(&path).unwrap_err().to_string();
        assert!(err.contains("requre_https"), "{err}");
        std::fs::write(
            &path,
            r#"{"custom_origin_headers": {"X-Forwarded-Proto": "https"}}"#,
        )
        .unwrap();
        let file = DevConfigFile::load(&path).unwrap();
        assert_eq!(
            file.custom_origin_headers
                .get("X-Forwarded-Proto")
                .map(String::as_str),
            Some("https")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("edgekit-dev-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
