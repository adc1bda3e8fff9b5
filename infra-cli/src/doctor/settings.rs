//! The resolved settings of one `edgekit doctor` run: the deployment file and the flags merged,
//! the reference deployment's defaults applied, validated once. Everything after this trusts it.
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;

use super::deployment::{DEPLOYMENT_MODES, DeploymentFile};

/// The reference deployment's realm, client and callback (overridable).
pub const DEFAULT_REALM: &str = "mcp-gateway";
pub const DEFAULT_CLIENT_ID: &str = "mcp-gateway-web";
pub const DEFAULT_CALLBACK_PATH: &str = "/oauth2/callback/keycloak";
/// Where the login starts by default: the app's home page, whose same-site redirects doctor
/// follows until one carries a `redirect_uri`.
pub const DEFAULT_LOGIN_PATH: &str = "/";
pub const DEFAULT_TIMEOUT_SECS: f64 = 5.0;

/// Why doctor could not run (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DoctorError {
    #[error("could not read the deployment file {}", path.display())]
    #[diagnostic(
        code(edgekit::doctor::deployment_file),
        help("pass the file `edgekit distribution create --output json > deployment.json` wrote")
    )]
    ReadDeployment {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not what `distribution create --output json` prints", path.display())]
    #[diagnostic(
        code(edgekit::doctor::deployment_file),
        help(
            "expected {{\"deployment_mode\": ..., \"registry_url\": ..., \"keycloak_url\": ..., \"distributions\": [...]}}"
        )
    )]
    ParseDeployment {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: deployment_mode {mode:?} is not one of {}", path.display(), DEPLOYMENT_MODES.join(", "))]
    #[diagnostic(code(edgekit::doctor::deployment_file))]
    UnknownMode { path: PathBuf, mode: String },
    #[error("{flag} {value:?} is not a usable URL: {reason}")]
    #[diagnostic(
        code(edgekit::doctor::url),
        help("give the public URL users open, e.g. https://registry.example.com")
    )]
    BadUrl {
        flag: &'static str,
        value: String,
        reason: String,
    },
    #[error("{flag} {value:?} must be a path starting with /")]
    #[diagnostic(code(edgekit::doctor::path))]
    BadPath { flag: &'static str, value: String },
    #[error("--realm {0:?} is not a realm name")]
    #[diagnostic(code(edgekit::doctor::realm))]
    BadRealm(String),
    #[error("--timeout {0} must be more than 0 and at most 300 seconds")]
    #[diagnostic(code(edgekit::doctor::timeout))]
    BadTimeout(f64),
    #[error("{clusters} --cluster and {services} --service: each --service needs its --cluster")]
    #[diagnostic(
        code(edgekit::doctor::service),
        help("give them in pairs: --cluster NAME --service NAME (repeatable)")
    )]
    UnpairedService { clusters: usize, services: usize },
    #[error("the CA file {} cannot be used", path.display())]
    #[diagnostic(code(edgekit::doctor::ca_file))]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("nothing to check")]
    #[diagnostic(
        code(edgekit::doctor::nothing),
        help(
            "give --deployment FILE, or --url / --keycloak-url, or AWS resources (--distribution, --load-balancer, ...)"
        )
    )]
    NothingToCheck,
}

impl DoctorError {
    /// Every error means doctor could not run.
    pub const EXIT_CODE: u8 = 2;
}

/// What the command line asked for, before validation (built from the clap arguments).
#[derive(Debug, Clone, Default)]
pub struct Requested {
    pub deployment: Option<PathBuf>,
    pub urls: Vec<String>,
    pub keycloak_url: Option<String>,
    pub realm: Option<String>,
    pub client_id: Option<String>,
    pub login_path: Option<String>,
    pub callback_path: Option<String>,
    pub distributions: Vec<String>,
    pub load_balancers: Vec<String>,
    pub clusters: Vec<String>,
    pub services: Vec<String>,
    pub base_domain: Option<String>,
    pub certificate_arn: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub no_aws: bool,
    pub timeout_secs: Option<f64>,
}

/// The AWS resources to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsTargets {
    pub distributions: Vec<String>,
    pub load_balancers: Vec<String>,
    pub services: Vec<(String, String)>,
    pub base_domain: Option<String>,
    pub certificate_arn: Option<String>,
}

impl AwsTargets {
    pub fn is_empty(&self) -> bool {
        self.distributions.is_empty()
            && self.load_balancers.is_empty()
            && self.services.is_empty()
            && self.base_domain.is_none()
            && self.certificate_arn.is_none()
    }
}

/// One run's settings, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub deployment_mode: Option<String>,
    /// The app's public URLs (the registry), as users open them.
    pub apps: Vec<Url>,
    /// Keycloak's public URL (its distribution or custom domain).
    pub keycloak: Option<Url>,
    pub realm: String,
    pub client_id: String,
    pub login_path: String,
    pub callback_path: String,
    /// Extra trusted roots (PEM), e.g. `edgekit dev --print-ca`.
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
    /// `--timeout` when given (each AWS check then gets it); `None`: the AWS engine's default.
    pub aws_timeout: Option<Duration>,
    pub aws: AwsTargets,
    pub no_aws: bool,
}

impl Settings {
    /// Merges the deployment file (when given) and the flags; explicit flags add to the file's
    /// lists and replace its single values.
    pub fn resolve(req: Requested) -> Result<Self, DoctorError> {
        let file = req.deployment.as_deref().map(read_deployment).transpose()?;
        let mut apps = Vec::new();
        let mut distributions = Vec::new();
        let mut keycloak_raw = req.keycloak_url.clone();
        if let Some(file) = &file {
            if !file.registry_url.is_empty() {
                apps.push(parse_url("registry_url", &file.registry_url)?);
            }
            if keycloak_raw.is_none() && !file.keycloak_url.is_empty() {
                keycloak_raw = Some(file.keycloak_url.clone());
            }
            distributions.extend(file.distributions.iter().map(|d| d.id.clone()));
        }
        for url in &req.urls {
            let url = parse_url("--url", url)?;
            if !apps.contains(&url) {
                apps.push(url);
            }
        }
        distributions.extend(req.distributions.iter().cloned());
        distributions.dedup();
        let keycloak = keycloak_raw
            .as_deref()
            .map(|u| parse_url("--keycloak-url", u))
            .transpose()?;
        let aws = AwsTargets {
            distributions,
            load_balancers: req.load_balancers.clone(),
            services: pair_services(&req.clusters, &req.services)?,
            base_domain: req.base_domain.clone(),
            certificate_arn: req.certificate_arn.clone(),
        };
        if apps.is_empty() && keycloak.is_none() && aws.is_empty() {
            return Err(DoctorError::NothingToCheck);
        }
        if let Some(path) = &req.ca_file {
            std::fs::metadata(path).map_err(|source| DoctorError::CaFile {
                path: path.clone(),
                source,
            })?;
        }
        Ok(Self {
            deployment_mode: file.map(|f| f.deployment_mode),
            apps,
            keycloak,
            realm: realm(req.realm)?,
            client_id: req
                .client_id
                .unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned()),
            login_path: path("--login-path", req.login_path, DEFAULT_LOGIN_PATH)?,
            callback_path: path("--callback-path", req.callback_path, DEFAULT_CALLBACK_PATH)?,
            ca_file: req.ca_file,
            timeout: timeout(req.timeout_secs)?,
            aws_timeout: req.timeout_secs.map(Duration::from_secs_f64),
            aws,
            no_aws: req.no_aws,
        })
    }
}

fn read_deployment(path: &Path) -> Result<DeploymentFile, DoctorError> {
    let text = std::fs::read_to_string(path).map_err(|source| DoctorError::ReadDeployment {
        path: path.to_owned(),
        source,
    })?;
    let file: DeploymentFile =
        serde_json::from_str(&text).map_err(|source| DoctorError::ParseDeployment {
            path: path.to_owned(),
            source,
        })?;
    if !DEPLOYMENT_MODES.contains(&file.deployment_mode.as_str()) {
        return Err(DoctorError::UnknownMode {
            path: path.to_owned(),
            mode: file.deployment_mode,
        });
    }
    Ok(file)
}

/// An http(s) URL with a host.
pub fn parse_url(flag: &'static str, value: &str) -> Result<Url, DoctorError> {
    let bad = |reason: String| DoctorError::BadUrl {
        flag,
        value: value.to_owned(),
        reason,
    };
    let url = Url::parse(value).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!("scheme {} is not http or https", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host".into()));
    }
    Ok(url)
}

fn pair_services(
    clusters: &[String],
    services: &[String],
) -> Result<Vec<(String, String)>, DoctorError> {
    if clusters.len() != services.len() {
        return Err(DoctorError::UnpairedService {
            clusters: clusters.len(),
            services: services.len(),
        });
    }
    Ok(clusters
        .iter()
        .cloned()
        .zip(services.iter().cloned())
        .collect())
}

fn realm(value: Option<String>) -> Result<String, DoctorError> {
    let realm = value.unwrap_or_else(|| DEFAULT_REALM.to_owned());
    if realm.is_empty() || realm.contains(['/', '?', '#', ' ']) {
        return Err(DoctorError::BadRealm(realm));
    }
    Ok(realm)
}

fn path(flag: &'static str, value: Option<String>, default: &str) -> Result<String, DoctorError> {
    let value = value.unwrap_or_else(|| default.to_owned());
    if !value.starts_with('/') || value.contains(char::is_whitespace) {
        return Err(DoctorError::BadPath { flag, value });
    }
    Ok(value)
}

fn timeout(secs: Option<f64>) -> Result<Duration, DoctorError> {
    let secs = secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if !(secs > 0.0 && secs <= 300.0) {
        return Err(DoctorError::BadTimeout(secs));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn req(urls: &[&str]) -> Requested {
        Requested {
            urls: urls.iter().map(|s| (*s).to_owned()).collect(),
            ..Requested::default()
        }
    }

    #[test]
    fn defaults_follow_the_reference_deployment() {
        let s = Settings::resolve(req(&["https://registry.example.com"])).unwrap();
        assert_eq!(s.realm, "mcp-gateway");
        assert_eq!(s.client_id, "mcp-gateway-web");
        assert_eq!(s.callback_path, "/oauth2/callback/keycloak");
        assert_eq!(s.timeout, Duration::from_secs(5));
    }

    #[test]
    fn the_deployment_file_and_flags_merge() {
        let file =
            std::env::temp_dir().join(format!("doctor-settings-{}.json", std::process::id()));
        std::fs::write(
            &file,
            r#"{"deployment_mode":"cloudfront","registry_url":"https://d1.cloudfront.net","keycloak_url":"https://d2.cloudfront.net",
                "distributions":[{"id":"E1","domain_name":"d1.cloudfront.net","role":"registry","created":false}]}"#,
        )
        .unwrap();
        let mut r = req(&["https://registry.example.com"]);
        r.deployment = Some(file);
        r.distributions = vec!["E9".into()];
        let s = Settings::resolve(r).unwrap();
        let _ = std::fs::remove_file(
            std::env::temp_dir().join(format!("doctor-settings-{}.json", std::process::id())),
        );
        assert_eq!(s.deployment_mode.as_deref(), Some("cloudfront"));
        assert_eq!(s.apps.len(), 2);
        assert_eq!(s.keycloak.unwrap().host_str(), Some("d2.cloudfront.net"));
        assert_eq!(s.aws.distributions, ["E1", "E9"]);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(
            Settings::resolve(Requested::default()),
            Err(DoctorError::NothingToCheck)
        ));
        assert!(matches!(
            Settings::resolve(req(&["ftp://x"])),
            Err(DoctorError::BadUrl { .. })
        ));
        let mut r = req(&["https://x"]);
        r.clusters = vec!["c".into()];
        assert!(matches!(
            Settings::resolve(r),
            Err(DoctorError::UnpairedService { .. })
        ));
        let mut r = req(&["https://x"]);
        r.timeout_secs = Some(0.0);
        assert!(matches!(
            Settings::resolve(r),
            Err(DoctorError::BadTimeout(_))
        ));
        let mut r = req(&["https://x"]);
        r.deployment = Some("/nonexistent/d.json".into());
        assert!(matches!(
            Settings::resolve(r),
            Err(DoctorError::ReadDeployment { .. })
        ));
    }
}
