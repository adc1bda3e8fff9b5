//! The emulator's resolved settings ([`Settings`], checked once by `edgekit dev` before
//! anything starts): ALB behaviour, origin request policy, the `--config` file model, origin
//! URLs and custom origin headers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http::{StatusCode, Uri};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use edge::policy::OriginVerify;

use super::DevError;
use super::alb::VerifyRule;
use crate::mode::DeploymentMode;

/// Everything the emulator runs from: every flag and the `--config` file, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub mode: DeploymentMode,
    /// The user's origin; `None`: the embedded echo origin on `echo_listen`.
    pub origin: Option<OriginTarget>,
    pub echo_listen: SocketAddr,
    /// The HTTPS viewer listener (unused in development mode).
    pub listen: SocketAddr,
    /// The HTTP viewer listener.
    pub http_listen: SocketAddr,
    /// The ALB listener reached directly, only in modes with CloudFront: `--alb-listen`, in
    /// dual mode 127.0.0.1:9443 by default (the custom domain's HTTPS listener).
    pub alb_listen: Option<SocketAddr>,
    pub alb: AlbSettings,
    /// The distributions' settings; `None` in the modes without CloudFront.
    pub cloudfront: Option<CloudFrontSettings>,
    /// Extra DNS names for the viewer certificate.
    pub tls_names: Vec<String>,
    /// Where the development CA lives ([`dev_cache_dir`]).
    pub ca_dir: PathBuf,
    /// The Node.js executable for `.mjs` handlers.
    pub node: PathBuf,
    /// One log line per request.
    pub log_requests: bool,
}

/// The user's cache directory for edgekit (the development CA lives there):
/// `EDGEKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/edgekit`, else `~/.cache/edgekit` (the XDG
/// Base Directory default). Empty variables count as unset, as the XDG spec says.
pub fn dev_cache_dir() -> Result<PathBuf, super::tls::CaError> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("EDGEKIT_CACHE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(dir).join("edgekit"));
    }
    var("HOME")
        .map(|home| PathBuf::from(home).join(".cache").join("edgekit"))
        .ok_or(super::tls::CaError::NoCacheDir)
}

/// The ALB's listeners in front of the origin.
#[derive(Debug, Clone)]
pub struct AlbSettings {
    /// Never [`AlbMode::Off`] without CloudFront (someone has to reach the origin).
    pub mode: AlbMode,
    /// The origin-verify listener rule (`--alb-verify`).
    pub verify: Option<VerifyRule>,
    /// Idle timeout: no answer from the origin within it → 504.
    pub timeout: Duration,
}

/// What the CloudFront distributions run with.
#[derive(Debug, Clone)]
pub struct CloudFrontSettings {
    /// Node.js handlers by trigger (absolute paths).
    pub handlers: HandlerFiles,
    /// forwarded-proto's config at origin-request; `None` with `--no-forwarded-proto`. A
    /// Node.js origin-request handler takes its place.
    pub forwarded_proto: Option<forwarded_proto::Config>,
    /// Custom origin headers of the app distribution (name, value), config file first.
    pub custom_origin_headers: Vec<(String, String)>,
    /// With CloudFront Functions: forwarded-proto's `origin_verify`, which becomes a custom
    /// origin header of the distribution instead of function code (the code is readable by
    /// anyone allowed `cloudfront:DescribeFunction`; docs/cloudfront-functions.md).
    pub origin_verify_header: Option<OriginVerify>,
    /// The app distribution's origin request policy.
    pub policy: OriginRequestPolicy,
    /// Which runtime runs our functions (`--edge-runtime`).
    pub runtime: EdgeRuntime,
    /// The cache behaviors' viewer protocol policy (`--viewer-protocol-policy`).
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    /// The cache behavior's allowed methods (`--allowed-methods`).
    pub allowed_methods: AllowedMethods,
    /// The status of a function execution error (503 or 500).
    pub function_error_status: StatusCode,
    /// The Keycloak distribution (`--keycloak-origin`).
    pub keycloak: Option<KeycloakSettings>,
}

/// Node.js Lambda@Edge handler files, one per trigger.
#[derive(Debug, Clone, Default)]
pub struct HandlerFiles {
    pub viewer_request: Option<PathBuf>,
    pub origin_request: Option<PathBuf>,
    pub origin_response: Option<PathBuf>,
    pub viewer_response: Option<PathBuf>,
}

/// The second distribution, in front of Keycloak, running keycloak-host.
#[derive(Debug, Clone)]
pub struct KeycloakSettings {
    pub origin: OriginTarget,
    /// keycloak-host's config (default: the listener's own names as public hosts).
    pub config: keycloak_host::Config,
    /// Its HTTPS viewer listener.
    pub listen: SocketAddr,
    /// Its origin request policy (the app's with Lambda@Edge; with CloudFront Functions the
    /// one its `origin_host` needs).
    pub policy: OriginRequestPolicy,
    /// With CloudFront Functions: keycloak-host's `origin_verify` as a custom origin header.
    pub origin_verify_header: Option<OriginVerify>,
}

/// The runtime our functions run in at the edge (`--edge-runtime`).
pub use crate::functions::EdgeRuntime;

/// The cache behavior's viewer protocol policy. [CloudFront API Reference, CacheBehavior,
/// ViewerProtocolPolicy; Developer Guide, "Require HTTPS for communication between viewers
/// and CloudFront": redirect-to-https answers an HTTP request with a redirect, https-only
/// with 403 (Forbidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViewerProtocolPolicy {
    /// HTTP viewers get a 301 to the HTTPS URL (default; what `distribution create` sets).
    #[default]
    RedirectToHttps,
    /// HTTP viewers get CloudFront's 403.
    HttpsOnly,
    /// HTTP and HTTPS reach the functions.
    AllowAll,
}

impl ViewerProtocolPolicy {
    /// The API's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RedirectToHttps => "redirect-to-https",
            Self::HttpsOnly => "https-only",
            Self::AllowAll => "allow-all",
        }
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

    /// The policy a CloudFront Function's `origin_host` needs: Host is read-only at
    /// viewer-request, so `origin-domain` is the policy's doing (AllViewerExceptHostHeader),
    /// and `keep` forwards the viewer's Host (AllViewerAndCloudFrontHeaders-2022-06).
    /// [docs/cloudfront-functions.md; Developer Guide, "Use managed origin request policies"]
    pub fn for_cloudfront_functions(origin_host: edge::policy::OriginHost) -> Self {
        match origin_host {
            edge::policy::OriginHost::Keep => Self::AllViewerAndCloudfrontHeaders,
            edge::policy::OriginHost::OriginDomain => Self::AllViewerExceptHostHeader,
        }
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

/// The cache behavior's allowed HTTP methods: CloudFront offers exactly these three sets and
/// answers any other method (TRACE, CONNECT and unknown ones included) with its own 403.
/// [CloudFront Developer Guide, "Values that you specify when you create or update a
/// distribution", "Allowed HTTP methods"; "HTTP 403 status code (Invalid method)"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllowedMethods {
    /// GET, HEAD.
    GetHead,
    /// GET, HEAD, OPTIONS.
    GetHeadOptions,
    /// GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE (what `edgekit distribution create` sets).
    All,
}

impl AllowedMethods {
    /// Whether CloudFront forwards `method` under this setting.
    pub fn allows(self, method: &http::Method) -> bool {
        use http::Method;
        let read = [Method::GET, Method::HEAD];
        match self {
            Self::GetHead => read.contains(method),
            Self::GetHeadOptions => read.contains(method) || method == Method::OPTIONS,
            Self::All => {
                read.contains(method)
                    || [
                        Method::OPTIONS,
                        Method::PUT,
                        Method::POST,
                        Method::PATCH,
                        Method::DELETE,
                    ]
                    .contains(method)
            }
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
            <forwarded_proto::ForwardedProto as edge::EdgeFunction>::check_config(config)
                .map_err(|err| problem(err, "forwarded_proto"))?;
        }
        if let Some(config) = &file.keycloak_host {
            <keycloak_host::KeycloakHost as edge::EdgeFunction>::check_config(config)
                .map_err(|err| problem(err, "keycloak_host"))?;
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

/// The distribution's custom origin headers: the config file's, then `--custom-origin-header`
/// flags ('Name: value'), refusing the names CloudFront refuses.
pub fn custom_origin_headers(
    from_file: &IndexMap<String, String>,
    flags: &[String],
) -> Result<Vec<(String, String)>, DevError> {
    let mut headers: Vec<(String, String)> = from_file
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for value in flags {
        headers.push(parse_custom_header(value)?);
    }
    if let Some((name, _)) = headers.iter().find(|(name, _)| custom_header_refused(name)) {
        return Err(DevError::InvalidArg {
            what: "custom origin header",
            value: name.clone(),
            reason: "CloudFront can't add this header to origin requests (Developer Guide, \"Add custom headers to origin requests\")".into(),
        });
    }
    Ok(headers)
}

/// Header names CloudFront refuses as custom origin headers. [CloudFront Developer Guide,
/// "Add custom headers to origin requests": "Custom headers that CloudFront can't add to
/// origin requests"]
fn custom_header_refused(name: &str) -> bool {
    const REFUSED: &[&str] = &[
        "cache-control",
        "connection",
        "content-length",
        "cookie",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "max-forwards",
        "pragma",
        "proxy-authorization",
        "proxy-connection",
        "range",
        "request-range",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "x-real-ip",
    ];
    let lower = name.to_ascii_lowercase();
    REFUSED.contains(&lower.as_str()) || lower.starts_with("x-amz-") || lower.starts_with("x-edge-")
}

fn parse_custom_header(value: &str) -> Result<(String, String), DevError> {
    let invalid = |reason: &str| DevError::InvalidArg {
        what: "--custom-origin-header",
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let (name, header_value) = value
        .split_once(':')
        .ok_or_else(|| invalid("use 'Name: value'"))?;
    let (name, header_value) = (name.trim(), header_value.trim());
    if !edge::rules::is_token(name) || http::HeaderValue::from_str(header_value).is_err() {
        return Err(invalid("not a valid header"));
    }
    Ok((name.to_owned(), header_value.to_owned()))
}

/// The ALB's origin-verify rule (`--alb-verify`) from forwarded-proto's `origin_verify`: the
/// ALB checks the header that forwarded-proto (or the custom origin header) carries.
pub fn verify_rule(forwarded_proto: &forwarded_proto::Config) -> Result<VerifyRule, DevError> {
    let Some(verify) = &forwarded_proto.origin_verify else {
        return Err(DevError::InvalidArg {
            what: "--alb-verify",
            value: "on".into(),
            reason: "set forwarded_proto.origin_verify {\"header\", \"secret\"} in --config FILE"
                .into(),
        });
    };
    let header = http::HeaderName::from_bytes(verify.header.as_bytes()).map_err(|err| {
        DevError::InvalidArg {
            what: "origin_verify.header",
            value: verify.header.clone(),
            reason: err.to_string(),
        }
    })?;
    Ok(VerifyRule {
        header,
        secret: verify.secret.expose().to_owned(),
    })
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
    fn allowed_methods_are_the_three_sets() {
        use http::Method;
        let trace = Method::from_bytes(b"TRACE").unwrap();
        let unknown = Method::from_bytes(b"FOO").unwrap();
        for set in [
            AllowedMethods::GetHead,
            AllowedMethods::GetHeadOptions,
            AllowedMethods::All,
        ] {
            assert!(set.allows(&Method::GET) && set.allows(&Method::HEAD));
            assert!(!set.allows(&trace) && !set.allows(&unknown) && !set.allows(&Method::CONNECT));
        }
        assert!(!AllowedMethods::GetHead.allows(&Method::OPTIONS));
        assert!(AllowedMethods::GetHeadOptions.allows(&Method::OPTIONS));
        assert!(!AllowedMethods::GetHeadOptions.allows(&Method::POST));
        assert!(AllowedMethods::All.allows(&Method::PATCH));
    }

    #[test]
    fn custom_headers() {
        assert_eq!(
            parse_custom_header("X-Forwarded-Proto: https").unwrap(),
            ("X-Forwarded-Proto".into(), "https".into())
        );
        assert!(parse_custom_header("nocolon").is_err());
        assert!(custom_header_refused("Host"));
        assert!(custom_header_refused("X-Amz-Foo"));
        assert!(!custom_header_refused("X-Forwarded-Proto"));
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
