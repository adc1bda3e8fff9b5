//! The deployment modes and the distribution configs they create, built without I/O.
//!
//! The modes and their table are [`crate::mode::DeploymentMode`] (docs/platform.md,
//! "Deployment modes"): cloudfront (CloudFront only), custom-domain (Route 53 names on the
//! ALB, no CloudFront), dual (both; `deployment_mode` is custom-domain) and development
//! (neither).
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachedMethods, CustomHeaders, CustomOriginConfig,
    DefaultCacheBehavior, DistributionConfig, EventType, FunctionAssociation, FunctionAssociations,
    HttpVersion, LambdaFunctionAssociation, LambdaFunctionAssociations, Method,
    MinimumProtocolVersion, Origin, OriginCustomHeader, OriginProtocolPolicy, OriginSslProtocols,
    Origins, PriceClass, SslProtocol, SslSupportMethod, ViewerCertificate, ViewerProtocolPolicy,
};
use serde::Serialize;

use super::PlanError;
use super::arn::{CloudFrontFunctionArn, FunctionVersionArn};
use crate::functions::EdgeRuntime;
use crate::mode::DeploymentMode;

/// Managed cache policy "CachingDisabled": min/default/max TTL 0, nothing in the cache key.
/// [CloudFront Developer Guide, "Use managed cache policies"]
pub const CACHING_DISABLED_POLICY_ID: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

/// Managed origin request policy "AllViewerAndCloudFrontHeaders-2022-06": all viewer headers,
/// cookies and query strings plus the CloudFront headers, among them
/// `CloudFront-Forwarded-Proto`, which the origin-request function reads.
/// [CloudFront Developer Guide, "Use managed origin request policies"]
pub const ALL_VIEWER_AND_CLOUDFRONT_HEADERS_POLICY_ID: &str =
    "33f36d7e-f396-46d9-90e0-52428a34d9dc";

/// Managed origin request policy "AllViewerExceptHostHeader": every viewer header, cookie
/// and query string except `Host`, so the origin receives its own domain name as Host. A
/// viewer-request CloudFront Function cannot rewrite Host (read-only there), so with
/// CloudFront Functions this policy is what makes `origin_host: origin-domain` true; the
/// public host travels in the X-Forwarded-Host and Forwarded headers the function adds,
/// which this policy forwards. [CloudFront Developer Guide, "Use managed origin request
/// policies": AllViewerExceptHostHeader, ID b689b0a8-53d0-40ab-baf2-68738e2966ac]
pub const ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/// The function a new distribution runs, of either runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeFunction {
    /// A Lambda@Edge version on origin-request.
    Lambda(FunctionVersionArn),
    /// A CloudFront Function (LIVE stage) on viewer-request.
    CloudFront(CloudFrontFunctionArn),
}

impl std::fmt::Display for EdgeFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lambda(arn) => arn.fmt(f),
            Self::CloudFront(arn) => arn.fmt(f),
        }
    }
}

/// [`build_config`] for either runtime: Lambda@Edge keeps today's config; CloudFront
/// Functions swap the origin request policy for AllViewerExceptHostHeader, keep
/// `redirect-to-https` (a viewer-request CloudFront Function must only ever see HTTPS
/// requests, see [`super::associations::CFF_PROTOCOL_POLICIES`]) and put the function in
/// FunctionAssociations on viewer-request.
pub fn build_config_for(
    spec: &DistributionSpec,
    verify_header: &str,
    verify_secret: &str,
    runtime: EdgeRuntime,
    function: Option<&EdgeFunction>,
) -> Result<DistributionConfig, PlanError> {
    let lambda = match function {
        Some(EdgeFunction::Lambda(arn)) => Some(arn.to_string()),
        _ => None,
    };
    let mut config = build_config(spec, verify_header, verify_secret, lambda.as_deref())?;
    if runtime == EdgeRuntime::LambdaEdge {
        if let Some(EdgeFunction::CloudFront(arn)) = function {
            return Err(PlanError::InvalidOption(format!(
                "{arn} is a CloudFront Function: use --edge-runtime cloudfront-functions"
            )));
        }
        return Ok(config);
    }
    if lambda.is_some() {
        return Err(PlanError::InvalidOption(
            "--edge-runtime cloudfront-functions attaches a CloudFront Function, not a Lambda@Edge version"
                .to_owned(),
        ));
    }
    let behavior = config
        .default_cache_behavior
        .as_mut()
        .ok_or(PlanError::NoDefaultBehavior)?;
    behavior.origin_request_policy_id = Some(ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID.to_owned());
    behavior.viewer_protocol_policy = ViewerProtocolPolicy::RedirectToHttps;
    behavior.function_associations = Some(viewer_request_function(function)?);
    Ok(config)
}

/// The viewer-request CloudFront Function, when there is one (none: Quantity 0).
fn viewer_request_function(
    function: Option<&EdgeFunction>,
) -> Result<FunctionAssociations, PlanError> {
    let mut list = FunctionAssociations::builder().quantity(0);
    if let Some(EdgeFunction::CloudFront(arn)) = function {
        let association = FunctionAssociation::builder()
            .function_arn(arn.to_string())
            .event_type(EventType::ViewerRequest)
            .build()
            .map_err(build_err)?;
        list = list.quantity(1).items(association);
    }
    list.build().map_err(build_err)
}

/// Default name of the custom origin header carrying the origin-verify secret.
pub const ORIGIN_VERIFY_HEADER: &str = "X-Origin-Verify";

/// A fresh origin-verify secret: 32 random bytes, base64url (43 characters), safe in a
/// header value and free of `*` and `?`, which ALB `http-header` conditions read as
/// wildcards (docs/alb-lockdown.md). The one non-deterministic step of planning.
pub fn generate_origin_verify_secret() -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// CloudFront's default origin response (read) timeout is 30 s and the console allows 1-120 s
/// (more than 60 s may need a quota increase); the toolkit defaults to 60 s like the
/// reference deployment. [CloudFront Developer Guide, "Origin settings: Response timeout"]
pub const DEFAULT_ORIGIN_READ_TIMEOUT: i32 = 60;
pub const MAX_ORIGIN_READ_TIMEOUT: i32 = 120;

/// What a distribution fronts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DistributionRole {
    Registry,
    Keycloak,
}

impl DistributionRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registry => "registry",
            Self::Keycloak => "keycloak",
        }
    }
}

/// The user's options for `distribution create`.
#[derive(Debug, Clone)]
pub struct ModeOptions {
    pub mode: DeploymentMode,
    pub registry_origin: String,
    pub keycloak_origin: String,
    pub base_domain: Option<String>,
    pub root_domain: Option<String>,
    pub keycloak_domain: Option<String>,
    pub certificate_arn: Option<String>,
    pub name: String,
    pub origin_read_timeout: i32,
}

/// One distribution to create (or find), minus the secret and the function association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionSpec {
    pub role: DistributionRole,
    pub name: String,
    pub origin_domain: String,
    pub origin_protocol: OriginProtocolPolicy,
    pub aliases: Vec<String>,
    pub certificate_arn: Option<String>,
    pub origin_read_timeout: i32,
}

impl DistributionSpec {
    /// The comment that identifies this distribution on re-runs (idempotency).
    pub fn comment(&self) -> String {
        distribution_comment(&self.name, self.role)
    }

    /// A stable caller reference: CloudFront returns the existing distribution for a repeated
    /// caller reference with an identical config and refuses a different one, so it is a
    /// second guard against duplicates. [CloudFront API Reference, "CreateDistribution":
    /// CallerReference]
    pub fn caller_reference(&self) -> String {
        format!("edgekit-{}-{}", self.name, self.role.as_str())
    }
}

/// `edgekit:<name>:<role>`, the comment edgekit puts on (and looks for in) its distributions.
pub fn distribution_comment(name: &str, role: DistributionRole) -> String {
    format!("edgekit:{name}:{}", role.as_str())
}

/// What a mode means: distributions to create, custom-domain URLs, warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModePlan {
    pub mode: DeploymentMode,
    pub distributions: Vec<DistributionSpec>,
    /// The custom-domain URLs (custom-domain and dual modes).
    pub custom_urls: Option<(String, String)>,
    /// Development mode: the origins themselves.
    pub direct_urls: Option<(String, String)>,
    /// Printed on stderr (dual ingress).
    pub warning: Option<String>,
    /// Why nothing is created (custom-domain and development modes).
    pub note: Option<String>,
}

fn clean_domain(value: &str, what: &str) -> Result<String, PlanError> {
    dns_name(value).ok_or_else(|| {
        PlanError::InvalidOption(format!(
            "{what} `{value}` is not a DNS name (expected e.g. my-alb-123.us-east-1.elb.amazonaws.com)"
        ))
    })
}

/// `value` trimmed, without a trailing dot and lowercased, if it is a DNS name: labels of
/// 1-63 letters, digits and inner hyphens, 253 characters at most [RFC 1035 §2.3.1, §2.3.4].
pub fn dns_name(value: &str) -> Option<String> {
    let value = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !value.is_empty()
        && value.len() <= 253
        && value.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    valid.then_some(value)
}

/// An ACM certificate for CloudFront must be in us-east-1. [CloudFront Developer Guide,
/// "Requirements for using SSL/TLS certificates with CloudFront": "request or import the
/// certificate in the US East (N. Virginia) Region (us-east-1)"]
fn check_certificate(arn: &str) -> Result<(), PlanError> {
    let Some(parts) = super::arn::Arn::parse(arn)
        .filter(|a| a.service == "acm" && a.resource.starts_with("certificate/"))
    else {
        return Err(PlanError::InvalidOption(format!(
            "--certificate-arn `{arn}` is not an ACM certificate ARN (arn:aws:acm:us-east-1:<account>:certificate/<id>)"
        )));
    };
    if parts.region != crate::aws::EDGE_REGION {
        return Err(PlanError::InvalidOption(format!(
            "--certificate-arn is in {}, but CloudFront only uses ACM certificates from {}: \
             request or import the certificate there",
            parts.region,
            crate::aws::EDGE_REGION
        )));
    }
    Ok(())
}

/// Decides what a mode creates and which URLs it prints.
pub fn plan_mode(opts: &ModeOptions) -> Result<ModePlan, PlanError> {
    let registry_origin = clean_domain(&opts.registry_origin, "--registry-origin")?;
    let keycloak_origin = clean_domain(&opts.keycloak_origin, "--keycloak-origin")?;
    if !(1..=MAX_ORIGIN_READ_TIMEOUT).contains(&opts.origin_read_timeout) {
        return Err(PlanError::InvalidOption(format!(
            "--origin-read-timeout must be 1-{MAX_ORIGIN_READ_TIMEOUT} seconds"
        )));
    }
    if opts.name.is_empty()
        || opts.name.len() > 64
        || !opts
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(PlanError::InvalidOption(
            "--name must be 1-64 letters, digits or dashes".to_owned(),
        ));
    }
    if let Some(arn) = &opts.certificate_arn {
        check_certificate(arn)?;
    }
    let custom_urls = if opts.mode.enable_route53_dns() {
        let base = opts
            .base_domain
            .as_deref()
            .or(opts.root_domain.as_deref())
            .ok_or_else(|| {
                PlanError::InvalidOption(format!(
                    "--mode {} needs --base-domain (or --root-domain): the registry is served at registry.<base-domain>",
                    opts.mode.deployment_mode_output()
                ))
            })?;
        let base = clean_domain(base, "--base-domain")?;
        let keycloak = match &opts.keycloak_domain {
            Some(domain) => clean_domain(domain, "--keycloak-domain")?,
            None => format!("kc.{base}"),
        };
        Some((format!("registry.{base}"), keycloak))
    } else {
        None
    };

    let mut plan = ModePlan {
        mode: opts.mode,
        distributions: Vec::new(),
        custom_urls: custom_urls
            .as_ref()
            .map(|(r, k)| (format!("https://{r}"), format!("https://{k}"))),
        direct_urls: None,
        warning: None,
        note: None,
    };
    match opts.mode {
        DeploymentMode::Development => {
            plan.direct_urls = Some((
                format!("http://{registry_origin}"),
                format!("http://{keycloak_origin}"),
            ));
            plan.note = Some(
                "development mode: enable_cloudfront=false and enable_route53_dns=false, so no \
                 distribution is created; the app is reached on the ALB directly over HTTP"
                    .to_owned(),
            );
        }
        DeploymentMode::CustomDomain => {
            plan.note = Some(
                "custom-domain mode: enable_cloudfront=false, so no distribution is created; \
                 Route 53 points the custom names at the ALB's HTTPS listener"
                    .to_owned(),
            );
        }
        DeploymentMode::Cloudfront | DeploymentMode::Dual => {
            // CloudFront mode: the ALB has only an HTTP listener, so CloudFront talks HTTP to it.
            // Dual mode: the ALB has the custom domain's HTTPS listener, so CloudFront uses it.
            let (protocol, aliases) = if opts.mode == DeploymentMode::Dual {
                let aliases = match (&opts.certificate_arn, &custom_urls) {
                    (Some(_), Some((r, k))) => (vec![r.clone()], vec![k.clone()]),
                    _ => (Vec::new(), Vec::new()),
                };
                (OriginProtocolPolicy::HttpsOnly, aliases)
            } else {
                (OriginProtocolPolicy::HttpOnly, (Vec::new(), Vec::new()))
            };
            if opts.mode == DeploymentMode::Dual {
                plan.warning = Some(
                    "dual ingress: the app answers on the custom domain and on the CloudFront \
                     domain; two URLs may confuse users, and deployment_mode stays custom-domain"
                        .to_owned(),
                );
            }
            for (role, origin, aliases) in [
                (DistributionRole::Registry, &registry_origin, aliases.0),
                (DistributionRole::Keycloak, &keycloak_origin, aliases.1),
            ] {
                plan.distributions.push(DistributionSpec {
                    role,
                    name: opts.name.clone(),
                    origin_domain: origin.clone(),
                    origin_protocol: protocol.clone(),
                    certificate_arn: if aliases.is_empty() {
                        None
                    } else {
                        opts.certificate_arn.clone()
                    },
                    aliases,
                    origin_read_timeout: opts.origin_read_timeout,
                });
            }
        }
    }
    Ok(plan)
}

fn build_err(err: impl std::fmt::Display) -> PlanError {
    PlanError::InvalidOption(format!("could not build the distribution config: {err}"))
}

/// The full CloudFront config for one distribution: one custom origin (the ALB) with the
/// `X-Forwarded-Proto: https` and origin-verify custom headers, `redirect-to-https`,
/// CachingDisabled, AllViewerAndCloudFrontHeaders-2022-06, all methods, and optionally the
/// origin-request function.
pub fn build_config(
    spec: &DistributionSpec,
    verify_header: &str,
    verify_secret: &str,
    origin_request_function: Option<&str>,
) -> Result<DistributionConfig, PlanError> {
    let origin_id = format!("{}-alb", spec.role.as_str());
    let origin = alb_origin(spec, &origin_id, verify_header, verify_secret)?;
    let behavior = DefaultCacheBehavior::builder()
        .target_origin_id(&origin_id)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .allowed_methods(all_methods()?)
        .compress(true)
        .cache_policy_id(CACHING_DISABLED_POLICY_ID)
        .origin_request_policy_id(ALL_VIEWER_AND_CLOUDFRONT_HEADERS_POLICY_ID)
        .lambda_function_associations(origin_request_association(origin_request_function)?)
        .build()
        .map_err(build_err)?;
    let mut aliases = Aliases::builder().quantity(i32::try_from(spec.aliases.len()).unwrap_or(0));
    for alias in &spec.aliases {
        aliases = aliases.items(alias);
    }
    let origins = Origins::builder()
        .quantity(1)
        .items(origin)
        .build()
        .map_err(build_err)?;
    DistributionConfig::builder()
        .caller_reference(spec.caller_reference())
        .comment(spec.comment())
        .enabled(true)
        .aliases(aliases.build().map_err(build_err)?)
        .origins(origins)
        .default_cache_behavior(behavior)
        .viewer_certificate(viewer_certificate(spec.certificate_arn.as_deref()))
        .price_class(PriceClass::PriceClassAll)
        .http_version(HttpVersion::Http2and3)
        .is_ipv6_enabled(true)
        .build()
        .map_err(build_err)
}

/// The ALB as a custom origin, with the `X-Forwarded-Proto: https` and origin-verify
/// headers. Custom origin headers overwrite same-named viewer headers. [CloudFront Developer
/// Guide, "Add custom headers to origin requests"]
fn alb_origin(
    spec: &DistributionSpec,
    origin_id: &str,
    verify_header: &str,
    verify_secret: &str,
) -> Result<Origin, PlanError> {
    let header = |name: &str, value: &str| {
        OriginCustomHeader::builder()
            .header_name(name)
            .header_value(value)
            .build()
            .map_err(build_err)
    };
    let headers = vec![
        header("X-Forwarded-Proto", "https")?,
        header(verify_header, verify_secret)?,
    ];
    let tls = OriginSslProtocols::builder()
        .quantity(1)
        .items(SslProtocol::TlSv12)
        .build()
        .map_err(build_err)?;
    let connection = CustomOriginConfig::builder()
        .http_port(80)
        .https_port(443)
        .origin_protocol_policy(spec.origin_protocol.clone())
        .origin_ssl_protocols(tls)
        .origin_read_timeout(spec.origin_read_timeout)
        .origin_keepalive_timeout(5)
        .build()
        .map_err(build_err)?;
    let custom_headers = CustomHeaders::builder()
        .quantity(2)
        .set_items(Some(headers))
        .build()
        .map_err(build_err)?;
    Origin::builder()
        .id(origin_id)
        .domain_name(&spec.origin_domain)
        .origin_path("")
        .custom_headers(custom_headers)
        .custom_origin_config(connection)
        .connection_attempts(3)
        .connection_timeout(10)
        .build()
        .map_err(build_err)
}

/// All seven methods allowed (an app and Keycloak take POST, PUT, ...); GET and HEAD cached.
fn all_methods() -> Result<AllowedMethods, PlanError> {
    let methods = [
        Method::Get,
        Method::Head,
        Method::Options,
        Method::Put,
        Method::Post,
        Method::Patch,
        Method::Delete,
    ];
    let cached = CachedMethods::builder()
        .quantity(2)
        .items(Method::Get)
        .items(Method::Head)
        .build()
        .map_err(build_err)?;
    AllowedMethods::builder()
        .quantity(7)
        .set_items(Some(methods.to_vec()))
        .cached_methods(cached)
        .build()
        .map_err(build_err)
}

/// The origin-request function, when there is one (none: an empty list, Quantity 0).
fn origin_request_association(
    function_arn: Option<&str>,
) -> Result<LambdaFunctionAssociations, PlanError> {
    let Some(arn) = function_arn else {
        return LambdaFunctionAssociations::builder()
            .quantity(0)
            .build()
            .map_err(build_err);
    };
    let association = LambdaFunctionAssociation::builder()
        .lambda_function_arn(arn)
        .event_type(EventType::OriginRequest)
        .include_body(false)
        .build()
        .map_err(build_err)?;
    LambdaFunctionAssociations::builder()
        .quantity(1)
        .items(association)
        .build()
        .map_err(build_err)
}

fn viewer_certificate(certificate_arn: Option<&str>) -> ViewerCertificate {
    match certificate_arn {
        // SNI and TLS 1.2_2021 are CloudFront's recommended settings for custom certificates.
        // [CloudFront Developer Guide, "Supported protocols and ciphers between viewers and CloudFront"]
        Some(arn) => ViewerCertificate::builder()
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
            .cloud_front_default_certificate(false)
            .build(),
        None => ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn opts(mode: DeploymentMode) -> ModeOptions {
        ModeOptions {
            mode,
            registry_origin: "registry-alb-1.us-east-1.elb.amazonaws.com".into(),
            keycloak_origin: "kc-alb-1.us-east-1.elb.amazonaws.com".into(),
            base_domain: Some("example.com".into()),
            root_domain: None,
            keycloak_domain: None,
            certificate_arn: None,
            name: "mcp".into(),
            origin_read_timeout: DEFAULT_ORIGIN_READ_TIMEOUT,
        }
    }

    #[test]
    fn modes_match_the_table() {
        use DeploymentMode::*;
        let rows = [
            (Cloudfront, true, false, "cloudfront"),
            (CustomDomain, false, true, "custom-domain"),
            (Dual, true, true, "custom-domain"),
            (Development, false, false, "development"),
        ];
        for (mode, cf, dns, out) in rows {
            assert_eq!(mode.enable_cloudfront(), cf);
            assert_eq!(mode.enable_route53_dns(), dns);
            assert_eq!(mode.deployment_mode_output(), out);
            let plan = plan_mode(&opts(mode)).unwrap();
            assert_eq!(plan.distributions.len(), if cf { 2 } else { 0 });
            assert_eq!(plan.warning.is_some(), mode == Dual);
        }
    }

    #[test]
    fn cloudfront_mode_uses_http_only_origins_and_dual_https_only() {
        let cf = plan_mode(&opts(DeploymentMode::Cloudfront)).unwrap();
        assert!(
            cf.distributions
                .iter()
                .all(|d| d.origin_protocol == OriginProtocolPolicy::HttpOnly)
        );
        let mut dual_opts = opts(DeploymentMode::Dual);
        dual_opts.certificate_arn =
            Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".into());
        let dual = plan_mode(&dual_opts).unwrap();
        assert!(
            dual.distributions
                .iter()
                .all(|d| d.origin_protocol == OriginProtocolPolicy::HttpsOnly)
        );
        assert_eq!(
            dual.distributions[0].aliases,
            vec!["registry.example.com".to_owned()]
        );
        assert_eq!(
            dual.distributions[1].aliases,
            vec!["kc.example.com".to_owned()]
        );
        assert_eq!(
            dual.custom_urls,
            Some((
                "https://registry.example.com".into(),
                "https://kc.example.com".into()
            ))
        );
    }

    #[test]
    fn certificate_must_be_acm_in_us_east_1() {
        let mut o = opts(DeploymentMode::Dual);
        o.certificate_arn = Some("arn:aws:acm:eu-west-1:1:certificate/x".into());
        assert!(plan_mode(&o).unwrap_err().to_string().contains("us-east-1"));
    }

    #[test]
    fn custom_domain_needs_a_base_domain() {
        let mut o = opts(DeploymentMode::CustomDomain);
        o.base_domain = None;
        assert!(
            plan_mode(&o)
                .unwrap_err()
                .to_string()
                .contains("--base-domain")
        );
        o.root_domain = Some("example.org".into());
        assert_eq!(
            plan_mode(&o).unwrap().custom_urls.unwrap().0,
            "https://registry.example.org"
        );
    }

    #[test]
    fn bad_origins_and_timeouts_are_refused() {
        let mut o = opts(DeploymentMode::Cloudfront);
        o.registry_origin = "http://alb/".into();
        assert!(plan_mode(&o).is_err());
        let mut o = opts(DeploymentMode::Cloudfront);
        o.origin_read_timeout = 0;
        assert!(plan_mode(&o).is_err());
    }

    #[test]
    fn config_carries_policies_headers_and_association() {
        let plan = plan_mode(&opts(DeploymentMode::Cloudfront)).unwrap();
        let arn = "arn:aws:lambda:us-east-1:1:function:edgekit-forwarded-proto:1";
        let config = build_config(
            &plan.distributions[0],
            ORIGIN_VERIFY_HEADER,
            "s3cret",
            Some(arn),
        )
        .unwrap();
        let behavior = config.default_cache_behavior.as_ref().unwrap();
        assert_eq!(
            behavior.viewer_protocol_policy,
            ViewerProtocolPolicy::RedirectToHttps
        );
        assert_eq!(
            behavior.cache_policy_id.as_deref(),
            Some(CACHING_DISABLED_POLICY_ID)
        );
        assert_eq!(
            behavior.origin_request_policy_id.as_deref(),
            Some(ALL_VIEWER_AND_CLOUDFRONT_HEADERS_POLICY_ID)
        );
        let assocs = behavior.lambda_function_associations.as_ref().unwrap();
        assert_eq!(assocs.quantity, 1);
        assert_eq!(assocs.items()[0].lambda_function_arn, arn);
        let origin = &config.origins.as_ref().unwrap().items[0];
        let headers = origin.custom_headers.as_ref().unwrap();
        assert_eq!(headers.quantity, 2);
        assert_eq!(headers.items()[0].header_name, "X-Forwarded-Proto");
        assert_eq!(headers.items()[0].header_value, "https");
        assert_eq!(headers.items()[1].header_value, "s3cret");
        let custom = origin.custom_origin_config.as_ref().unwrap();
        assert_eq!(
            custom.origin_protocol_policy,
            OriginProtocolPolicy::HttpOnly
        );
        assert_eq!(custom.origin_read_timeout, Some(60));
        assert_eq!(config.comment, "edgekit:mcp:registry");
    }

    #[test]
    fn cloudfront_functions_runtime_uses_all_viewer_except_host_and_a_viewer_request_function() {
        let plan = plan_mode(&opts(DeploymentMode::Cloudfront)).unwrap();
        let arn = CloudFrontFunctionArn::parse(
            "arn:aws:cloudfront::123456789012:function/edgekit-forwarded-proto",
        )
        .unwrap();
        let function = EdgeFunction::CloudFront(arn.clone());
        let config = build_config_for(
            &plan.distributions[0],
            ORIGIN_VERIFY_HEADER,
            "s3cret",
            EdgeRuntime::CloudfrontFunctions,
            Some(&function),
        )
        .unwrap();
        let behavior = config.default_cache_behavior.as_ref().unwrap();
        assert_eq!(
            behavior.origin_request_policy_id.as_deref(),
            Some(ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID)
        );
        assert_eq!(
            behavior.viewer_protocol_policy,
            ViewerProtocolPolicy::RedirectToHttps
        );
        let functions = behavior.function_associations.as_ref().unwrap();
        assert_eq!(functions.quantity, 1);
        assert_eq!(functions.items()[0].function_arn, arn.to_string());
        assert_eq!(functions.items()[0].event_type, EventType::ViewerRequest);
        assert_eq!(
            behavior
                .lambda_function_associations
                .as_ref()
                .unwrap()
                .quantity,
            0
        );
        // The secret stays an origin custom header, never function code.
        let origin = &config.origins.as_ref().unwrap().items[0];
        assert_eq!(
            origin.custom_headers.as_ref().unwrap().items()[1].header_value,
            "s3cret"
        );
        // Without --attach: the same policy, no function.
        let bare = build_config_for(
            &plan.distributions[0],
            ORIGIN_VERIFY_HEADER,
            "s3cret",
            EdgeRuntime::CloudfrontFunctions,
            None,
        )
        .unwrap();
        let bare_behavior = bare.default_cache_behavior.as_ref().unwrap();
        assert_eq!(
            bare_behavior
                .function_associations
                .as_ref()
                .unwrap()
                .quantity,
            0
        );
        assert_eq!(
            bare_behavior.origin_request_policy_id.as_deref(),
            Some(ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID)
        );
    }

    #[test]
    fn lambda_edge_runtime_keeps_todays_config_and_runtimes_do_not_mix() {
        let plan = plan_mode(&opts(DeploymentMode::Cloudfront)).unwrap();
        let spec = &plan.distributions[0];
        let lambda = FunctionVersionArn::parse(
            "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:1",
        )
        .unwrap();
        let via_new = build_config_for(
            spec,
            ORIGIN_VERIFY_HEADER,
            "s3cret",
            EdgeRuntime::default(),
            Some(&EdgeFunction::Lambda(lambda.clone())),
        )
        .unwrap();
        let today = build_config(
            spec,
            ORIGIN_VERIFY_HEADER,
            "s3cret",
            Some(&lambda.to_string()),
        )
        .unwrap();
        assert_eq!(via_new, today);
        let cff = EdgeFunction::CloudFront(
            CloudFrontFunctionArn::parse("arn:aws:cloudfront::123456789012:function/f").unwrap(),
        );
        assert!(
            build_config_for(
                spec,
                ORIGIN_VERIFY_HEADER,
                "s",
                EdgeRuntime::LambdaEdge,
                Some(&cff)
            )
            .is_err()
        );
        assert!(
            build_config_for(
                spec,
                ORIGIN_VERIFY_HEADER,
                "s",
                EdgeRuntime::CloudfrontFunctions,
                Some(&EdgeFunction::Lambda(lambda))
            )
            .is_err()
        );
    }
}
