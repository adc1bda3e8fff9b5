//! Pure planning for `edgekit domain add/remove`: which hosted zone, whether a certificate
//! covers the name, which DNS records to write, the distribution change, and the values only
//! the user can change. No I/O; the AWS calls are in `aws::acm`, `aws::route53` and
//! `aws::cloudfront`. Facts and sources: docs/custom-domain.md.
use aws_sdk_cloudfront::types::{
    Aliases, DistributionConfig, MinimumProtocolVersion, SslSupportMethod, ViewerCertificate,
};
use serde::Serialize;

use super::PlanError;
use super::associations::Plan;
use super::distribution::DistributionRole;

/// The hosted zone id to put in an ALIAS record's `AliasTarget.HostedZoneId` when the target is
/// a CloudFront distribution (the same in every account of the `aws` partition; the China
/// regions use another).
/// [Route 53 API Reference, "AliasTarget": HostedZoneId for a CloudFront distribution; the same
/// value is the AWS CDK API Reference's `CloudFrontTarget.CLOUDFRONT_ZONE_ID`, "This value
/// never changes"]
pub const CLOUDFRONT_ALIAS_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// CloudFront's recommended security policy for SNI with a custom certificate.
/// [CloudFront Developer Guide, "Supported protocols and ciphers between viewers and CloudFront"]
pub const MINIMUM_PROTOCOL: MinimumProtocolVersion = MinimumProtocolVersion::TlSv122021;

/// Security policies at least as strict as [`MINIMUM_PROTOCOL`]: a distribution already on one
/// of them keeps it (adding a name never weakens TLS).
const AT_LEAST_MINIMUM: [&str; 3] = ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"];

/// TTL of the ACM validation CNAMEs (ACM's console and the reference deployment use 300 s).
pub const VALIDATION_TTL: i64 = 300;

/// The path the reference app's OAuth2 client receives Keycloak's answer on.
pub const OAUTH2_CALLBACK_PATH: &str = "/oauth2/callback/keycloak";

/// Lowercase, no trailing dot: how Route 53 (trailing dot), ACM and CloudFront names compare.
pub fn canonical(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Checks `--domain`: a lowercase DNS name of at least two labels, no wildcard (the values to
/// paste are URLs of one host). CloudFront requires lowercase alternate domain names.
/// [CloudFront Developer Guide, "Use custom URLs by adding alternate domain names (CNAMEs)":
/// "Alternate domain names must be lowercase"]
pub fn parse_domain(value: &str) -> Result<String, PlanError> {
    super::distribution::dns_name(value)
        .filter(|name| name.contains('.'))
        .ok_or_else(|| {
            PlanError::InvalidOption(format!(
                "--domain `{value}` is not a host name (expected e.g. app.example.com; wildcards are not supported here)"
            ))
        })
}

/// A Route 53 hosted zone as planning needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostedZone {
    /// The bare id (`Z0123…`, without `/hostedzone/`).
    pub id: String,
    /// Canonical name (no trailing dot).
    pub name: String,
    #[serde(skip)]
    pub private: bool,
}

/// True when `name` is `zone` or below it.
pub fn in_zone(name: &str, zone: &str) -> bool {
    let (name, zone) = (canonical(name), canonical(zone));
    name == zone || name.ends_with(&format!(".{zone}"))
}

/// The public hosted zone for `name`: the longest zone name that is `name` or a suffix of it
/// at a label boundary. Private zones are skipped: Route 53 cannot route to CloudFront from
/// one. [Route 53 API Reference, "AliasTarget": "You can't create a resource record set in a
/// private hosted zone to route traffic to a CloudFront distribution."]
pub fn choose_zone<'a>(zones: &'a [HostedZone], name: &str) -> Option<&'a HostedZone> {
    zones
        .iter()
        .filter(|z| !z.private && in_zone(name, &z.name))
        .max_by_key(|z| z.name.len())
}

/// True when a certificate name (possibly `*.example.com`) covers `host`. A wildcard covers
/// exactly one label: `*.example.com` covers `www.example.com`, not `example.com` nor
/// `a.b.example.com`. [CloudFront Developer Guide, "Use wildcards in alternate domain names";
/// ACM User Guide, "Certificate characteristics": wildcard names]
pub fn name_covers(cert_name: &str, host: &str) -> bool {
    let (cert_name, host) = (canonical(cert_name), canonical(host));
    match cert_name.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => cert_name == host,
    }
}

/// An ACM certificate's status, as far as `domain add` cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertStatus {
    Issued,
    PendingValidation,
    /// Anything else (FAILED, EXPIRED, ...): never used.
    Other(String),
}

/// One DNS validation record ACM asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationRecord {
    /// The certificate name it validates.
    pub domain: String,
    /// Canonical record name.
    pub name: String,
    /// CNAME target (canonical).
    pub value: String,
    /// ACM's ValidationStatus (SUCCESS, PENDING_VALIDATION, FAILED).
    pub status: String,
}

/// An ACM certificate as planning needs it (from DescribeCertificate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub arn: String,
    pub status: CertStatus,
    /// DomainName and SubjectAlternativeNames, canonical.
    pub names: Vec<String>,
    /// ARNs of the resources ACM knows use it.
    pub in_use_by: Vec<String>,
    pub validation: Vec<ValidationRecord>,
}

impl Certificate {
    /// True when every host in `hosts` is covered by one of its names.
    pub fn covers_all(&self, hosts: &[String]) -> bool {
        hosts
            .iter()
            .all(|h| self.names.iter().any(|n| name_covers(n, h)))
    }
}

/// `--certificate-arn`: it must cover every needed name and be issued or pending.
pub fn check_given_certificate(cert: &Certificate, needed: &[String]) -> Result<(), DomainError> {
    let missing: Vec<&str> = needed
        .iter()
        .filter(|n| !cert.names.iter().any(|c| name_covers(c, n)))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(DomainError::NotCovered {
            arn: cert.arn.clone(),
            missing: missing.join(", "),
            names: cert.names.join(", "),
        });
    }
    match &cert.status {
        CertStatus::Other(status) => Err(DomainError::Unusable {
            arn: cert.arn.clone(),
            status: status.clone(),
        }),
        _ => Ok(()),
    }
}

/// The names the distribution's certificate must cover after adding `domain`: CloudFront
/// requires a certificate covering every alternate domain name. [CloudFront Developer Guide,
/// "Use custom URLs by adding alternate domain names (CNAMEs)": "Alternate domain names must be
/// covered by a valid TLS certificate"]
pub fn names_needed(config: &DistributionConfig, domain: &str) -> Vec<String> {
    let mut names: Vec<String> = aliases_of(config).iter().map(|a| canonical(a)).collect();
    if !names.iter().any(|n| n == domain) {
        names.push(domain.to_owned());
    }
    names
}

/// Which certificate to use: one that covers all `needed` names and is issued or pending
/// validation (a pending one is resumed, not requested twice); the distribution's own first,
/// then issued ones, then pending ones.
pub fn choose_certificate<'a>(
    certs: &'a [Certificate],
    needed: &[String],
    current_arn: Option<&str>,
) -> Option<&'a Certificate> {
    let usable = |c: &&Certificate| {
        matches!(c.status, CertStatus::Issued | CertStatus::PendingValidation)
            && c.covers_all(needed)
    };
    let rank = |c: &Certificate| {
        let own = current_arn == Some(c.arn.as_str());
        (!own, c.status != CertStatus::Issued)
    };
    certs.iter().filter(usable).min_by_key(|c| rank(c))
}

/// What to request when no certificate fits: the domain as DomainName, the other needed names
/// as SubjectAlternativeNames.
pub fn request_names(domain: &str, needed: &[String]) -> (String, Vec<String>) {
    let sans = needed.iter().filter(|n| *n != domain).cloned().collect();
    (domain.to_owned(), sans)
}

/// A stable ACM IdempotencyToken (`\w+`, at most 32 characters) for a set of names: a re-run
/// within ACM's hour returns the same certificate instead of a second one. [ACM API Reference,
/// "RequestCertificate": IdempotencyToken]
pub fn idempotency_token(domain: &str, sans: &[String]) -> String {
    let mut names = vec![domain.to_owned()];
    names.extend(sans.iter().cloned());
    names.sort();
    // FNV-1a 64 over the names: stable across runs and platforms, no extra crate.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in names.join(",").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("edgekit{hash:016x}")
}

/// A DNS record as Route 53 holds it, reduced to what `domain` compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RecordValue {
    /// A plain record with one value (the validation CNAMEs).
    Simple { value: String, ttl: i64 },
    /// An ALIAS record.
    Alias { dns_name: String, zone_id: String },
}

/// One record set: name (canonical), type (`A`, `AAAA`, `CNAME`) and value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    #[serde(flatten)]
    pub value: RecordValue,
}

impl Record {
    /// True when `existing` already says the same thing (names and targets compared
    /// canonically; the TTL of a plain record does not matter for validation).
    pub fn same_as(&self, existing: &Record) -> bool {
        let same_value = match (&self.value, &existing.value) {
            (RecordValue::Simple { value: a, .. }, RecordValue::Simple { value: b, .. }) => {
                canonical(a) == canonical(b)
            }
            (
                RecordValue::Alias {
                    dns_name: a,
                    zone_id: za,
                },
                RecordValue::Alias {
                    dns_name: b,
                    zone_id: zb,
                },
            ) => canonical(a) == canonical(b) && za == zb,
            _ => false,
        };
        canonical(&self.name) == canonical(&existing.name)
            && self.rtype == existing.rtype
            && same_value
    }
}

/// The validation CNAMEs still to write: pending ones, once each (ACM gives `example.com`
/// and `*.example.com` the same record), unless the zone already holds the same record.
pub fn validation_records(cert: &Certificate) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    for v in cert.validation.iter().filter(|v| v.status != "SUCCESS") {
        let record = Record {
            name: canonical(&v.name),
            rtype: "CNAME".to_owned(),
            value: RecordValue::Simple {
                value: canonical(&v.value),
                ttl: VALIDATION_TTL,
            },
        };
        if !out.iter().any(|r| r.name == record.name) {
            out.push(record);
        }
    }
    out
}

/// The ALIAS records for `domain` → the distribution: A, and AAAA when the distribution has
/// IPv6 enabled. [CloudFront Developer Guide, "Enable IPv6 for CloudFront distributions": with
/// a Route 53 alias record, "you need to create a second alias resource record set" when IPv6
/// is enabled and alternate domain names are used]
pub fn alias_records(domain: &str, distribution_domain: &str, ipv6: bool) -> Vec<Record> {
    let types: &[&str] = if ipv6 { &["A", "AAAA"] } else { &["A"] };
    types
        .iter()
        .map(|t| Record {
            name: canonical(domain),
            rtype: (*t).to_owned(),
            value: RecordValue::Alias {
                dns_name: canonical(distribution_domain),
                zone_id: CLOUDFRONT_ALIAS_ZONE_ID.to_owned(),
            },
        })
        .collect()
}

/// The wanted records that `existing` does not already hold: what to UPSERT (nothing on a
/// re-run).
pub fn records_to_upsert(wanted: &[Record], existing: &[Record]) -> Vec<Record> {
    wanted
        .iter()
        .filter(|w| !existing.iter().any(|e| w.same_as(e)))
        .cloned()
        .collect()
}

/// The existing ALIAS records of `domain` that point at this distribution: what `remove`
/// deletes (a record pointing elsewhere is left alone).
pub fn records_to_delete(
    domain: &str,
    distribution_domain: &str,
    existing: &[Record],
) -> Vec<Record> {
    existing
        .iter()
        .filter(|r| {
            canonical(&r.name) == canonical(domain)
                && matches!(&r.value, RecordValue::Alias { dns_name, zone_id }
                    if canonical(dns_name) == canonical(distribution_domain)
                        && zone_id == CLOUDFRONT_ALIAS_ZONE_ID)
        })
        .cloned()
        .collect()
}

/// The aliases of a config as a list (CloudFront omits Items when Quantity is 0).
pub fn aliases_of(config: &DistributionConfig) -> Vec<String> {
    config
        .aliases
        .as_ref()
        .and_then(|a| a.items.clone())
        .unwrap_or_default()
}

/// The ACM certificate a config uses, if any.
pub fn certificate_of(config: &DistributionConfig) -> Option<String> {
    config
        .viewer_certificate
        .as_ref()
        .and_then(|v| v.acm_certificate_arn.clone())
        .filter(|arn| !arn.is_empty())
}

fn build_aliases(items: Vec<String>) -> Result<Aliases, PlanError> {
    let quantity = i32::try_from(items.len()).unwrap_or(i32::MAX);
    let builder = Aliases::builder().quantity(quantity);
    let builder = if items.is_empty() {
        builder
    } else {
        builder.set_items(Some(items))
    };
    builder
        .build()
        .map_err(|err| PlanError::InvalidOption(format!("could not build Aliases: {err}")))
}

/// The viewer certificate `domain add` wants: the ACM certificate, SNI (no dedicated-IP
/// charge) unless the distribution already pays for `vip`, and TLSv1.2_2021 unless it already
/// has a stricter policy. [CloudFront API Reference, "ViewerCertificate": with an ACM
/// certificate set CloudFrontDefaultCertificate false and give MinimumProtocolVersion and
/// SSLSupportMethod]
fn wanted_viewer_certificate(
    current: Option<&ViewerCertificate>,
    certificate_arn: &str,
) -> ViewerCertificate {
    let custom = current.filter(|v| v.cloud_front_default_certificate != Some(true));
    let method = custom
        .and_then(|v| v.ssl_support_method.clone())
        .filter(|m| *m == SslSupportMethod::Vip)
        .unwrap_or(SslSupportMethod::SniOnly);
    let protocol = custom
        .and_then(|v| v.minimum_protocol_version.clone())
        .filter(|p| AT_LEAST_MINIMUM.contains(&p.as_str()))
        .unwrap_or(MINIMUM_PROTOCOL);
    ViewerCertificate::builder()
        .cloud_front_default_certificate(false)
        .acm_certificate_arn(certificate_arn)
        .ssl_support_method(method)
        .minimum_protocol_version(protocol)
        .build()
}

/// True when the current viewer certificate already is what `domain add` wants.
fn viewer_certificate_matches(
    current: Option<&ViewerCertificate>,
    wanted: &ViewerCertificate,
) -> bool {
    current.is_some_and(|c| {
        c.cloud_front_default_certificate != Some(true)
            && c.acm_certificate_arn == wanted.acm_certificate_arn
            && c.ssl_support_method == wanted.ssl_support_method
            && c.minimum_protocol_version == wanted.minimum_protocol_version
    })
}

/// `domain add`'s distribution change: `domain` added to Aliases and the certificate set,
/// nothing else touched. Unchanged when both are already there.
pub fn plan_add_alias(
    config: &DistributionConfig,
    domain: &str,
    certificate_arn: &str,
) -> Result<Plan, PlanError> {
    let mut aliases = aliases_of(config);
    let has_alias = aliases.iter().any(|a| canonical(a) == domain);
    let current = config.viewer_certificate.as_ref();
    let wanted = wanted_viewer_certificate(current, certificate_arn);
    let cert_ok = viewer_certificate_matches(current, &wanted);
    if has_alias && cert_ok {
        return Ok(Plan::Unchanged {
            reason: format!("{domain} is already an alias with certificate {certificate_arn}"),
        });
    }
    let mut next = config.clone();
    let mut summary = Vec::new();
    if !has_alias {
        aliases.push(domain.to_owned());
        next.aliases = Some(build_aliases(aliases)?);
        summary.push(format!("add alias {domain}"));
    }
    if !cert_ok {
        next.viewer_certificate = Some(wanted);
        summary.push(format!(
            "use certificate {certificate_arn} (SNI, TLSv1.2_2021 or stricter)"
        ));
    }
    Ok(Plan::Change {
        config: Box::new(next),
        summary: summary.join(" and "),
    })
}

/// `domain remove`'s distribution change: `domain` removed from Aliases; when no alias is
/// left, back to CloudFront's default certificate (an ACM certificate without aliases serves
/// no name). Unchanged when the alias is not there.
pub fn plan_remove_alias(config: &DistributionConfig, domain: &str) -> Result<Plan, PlanError> {
    let aliases = aliases_of(config);
    if !aliases.iter().any(|a| canonical(a) == domain) {
        return Ok(Plan::Unchanged {
            reason: format!("{domain} is not an alias of this distribution"),
        });
    }
    let rest: Vec<String> = aliases
        .into_iter()
        .filter(|a| canonical(a) != domain)
        .collect();
    let mut next = config.clone();
    let mut summary = format!("remove alias {domain}");
    if rest.is_empty() && certificate_of(config).is_some() {
        // [CloudFront Developer Guide, "Revert from a custom SSL/TLS certificate to the
        // default CloudFront certificate"]
        next.viewer_certificate = Some(
            ViewerCertificate::builder()
                .cloud_front_default_certificate(true)
                .build(),
        );
        summary.push_str(" and go back to the default *.cloudfront.net certificate");
    }
    next.aliases = Some(build_aliases(rest)?);
    Ok(Plan::Change {
        config: Box::new(next),
        summary,
    })
}

/// A distribution as the alias check sees it (from ListDistributions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasOwner {
    pub id: String,
    pub comment: String,
    pub aliases: Vec<String>,
}

/// Another distribution that already has `domain` as an alias: CloudFront refuses the update
/// with CNAMEAlreadyExists. [CloudFront Developer Guide, "Move an alternate domain name"]
pub fn alias_taken_by<'a>(
    distributions: &'a [AliasOwner],
    domain: &str,
    own_id: &str,
) -> Option<&'a AliasOwner> {
    distributions
        .iter()
        .filter(|d| d.id != own_id)
        .find(|d| d.aliases.iter().any(|a| canonical(a) == domain))
}

/// A distribution's certificate, for [`certificate_users`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertUse<'a> {
    pub id: &'a str,
    pub certificate_arn: Option<&'a str>,
}

/// Who still uses `arn` after `remove` took the name off `own_id`: other distributions with
/// it, `own_id` itself when it keeps other aliases, and what ACM's InUseBy names besides
/// `own_id` (InUseBy lags behind the update just made, so `own_id` is judged by its aliases).
pub fn certificate_users(
    arn: &str,
    distributions: &[CertUse<'_>],
    own_id: &str,
    own_keeps_it: bool,
    in_use_by: &[String],
) -> Vec<String> {
    let mut users: Vec<String> = distributions
        .iter()
        .filter(|d| d.certificate_arn == Some(arn))
        .filter(|d| d.id != own_id || own_keeps_it)
        .map(|d| format!("distribution {}", d.id))
        .collect();
    let own_suffix = format!("distribution/{own_id}");
    for user in in_use_by.iter().filter(|u| !u.ends_with(&own_suffix)) {
        let id = user.rsplit('/').next().unwrap_or_default();
        if !users.iter().any(|u| u == &format!("distribution {id}")) {
            users.push(user.clone());
        }
    }
    users
}

/// The role of an edgekit distribution from its comment `edgekit:<name>:<role>`.
pub fn role_from_comment(comment: &str) -> Option<DistributionRole> {
    let mut parts = comment.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("edgekit"), Some(_), Some("registry"), None) => Some(DistributionRole::Registry),
        (Some("edgekit"), Some(_), Some("keycloak"), None) => Some(DistributionRole::Keycloak),
        _ => None,
    }
}

/// The edge function's `public_hosts` with the new name: unchanged (None) when the list is
/// empty (any host allowed) or already has it; Keycloak's canonical host is the first, so the
/// new Keycloak name goes first, an app name last.
pub fn public_hosts_with(
    current: &[String],
    domain: &str,
    role: Option<DistributionRole>,
) -> Option<Vec<String>> {
    if current.is_empty() || current.iter().any(|h| canonical(h) == domain) {
        return None;
    }
    let mut hosts = current.to_vec();
    if role == Some(DistributionRole::Keycloak) {
        hosts.insert(0, domain.to_owned());
    } else {
        hosts.push(domain.to_owned());
    }
    Some(hosts)
}

/// What only the user can change, for the new name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasteValues {
    /// The app's public URL (registry distribution).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_public_url: Option<String>,
    /// Keycloak's `KC_HOSTNAME` (keycloak distribution).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kc_hostname: Option<String>,
    /// The Keycloak client's "Valid redirect URIs" entry for the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_redirect_uri: Option<String>,
    /// The Keycloak client's "Web origins" entry for the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_origin: Option<String>,
}

/// The values for `domain`: app values for a registry distribution, `KC_HOSTNAME` for a
/// Keycloak one, all of them when the role is unknown (a distribution edgekit did not create).
/// Missing redirect URIs and public URL are the reference deployment's "Invalid parameter:
/// redirect_uri" and "redirect_uri without host" symptoms.
pub fn paste_values(domain: &str, role: Option<DistributionRole>) -> PasteValues {
    let url = format!("https://{domain}");
    let app = role != Some(DistributionRole::Keycloak);
    let keycloak = role != Some(DistributionRole::Registry);
    PasteValues {
        app_public_url: app.then(|| url.clone()),
        kc_hostname: keycloak.then(|| url.clone()),
        valid_redirect_uri: app.then(|| format!("{url}{OAUTH2_CALLBACK_PATH}")),
        web_origin: app.then(|| url.clone()),
    }
}

/// Why `domain add` or `domain remove` stopped.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DomainError {
    #[error(
        "no Route 53 hosted zone for {domain}, so the certificate's DNS validation can never complete (the certificate would stay \"Pending validation\")"
    )]
    #[diagnostic(help(
        "create a public hosted zone for the domain (or its parent) and delegate to its name servers at your registrar, or pass --hosted-zone-id; zones seen: {zones}"
    ))]
    NoHostedZone { domain: String, zones: String },
    #[error("hosted zone {zone_id} ({zone_name}) does not hold {domain}")]
    #[diagnostic(help("pass the id of the zone whose name is {domain} or a parent of it"))]
    ZoneMismatch {
        zone_id: String,
        zone_name: String,
        domain: String,
    },
    #[error("hosted zone {0} does not exist")]
    NoSuchZone(String),
    #[error(
        "certificate {arn} is in {region}, but CloudFront only uses ACM certificates from us-east-1"
    )]
    #[diagnostic(help(
        "request or import the certificate in us-east-1 (N. Virginia), or omit --certificate-arn and edgekit requests one there"
    ))]
    WrongRegion { arn: String, region: String },
    #[error(
        "`{0}` is not an ACM certificate ARN (arn:aws:acm:us-east-1:<account>:certificate/<id>)"
    )]
    NotAnAcmArn(String),
    #[error("certificate {arn} does not cover {missing} (it covers: {names})")]
    #[diagnostic(help(
        "a distribution's certificate must cover all its alternate domain names; omit --certificate-arn and edgekit finds or requests one that does"
    ))]
    NotCovered {
        arn: String,
        missing: String,
        names: String,
    },
    #[error("certificate {arn} is {status}; CloudFront only takes an issued certificate")]
    #[diagnostic(help("omit --certificate-arn and edgekit requests a new certificate"))]
    Unusable { arn: String, status: String },
    #[error("{domain} is already an alternate domain name of distribution {owner} ({comment})")]
    #[diagnostic(help(
        "CloudFront refuses a name on two distributions (CNAMEAlreadyExists): run `edgekit domain remove --distribution {owner} --domain {domain}` first, or move it with CloudFront's AssociateAlias"
    ))]
    AliasTaken {
        domain: String,
        owner: String,
        comment: String,
    },
    #[error("no distribution `{0}`")]
    #[diagnostic(help(
        "pass a distribution id (E...) or a role `registry`/`keycloak` with the --name used by `edgekit distribution create`"
    ))]
    NoSuchDistribution(String),
    #[error("certificate {arn} is not issued after {seconds} s (status {status})\n{records}")]
    #[diagnostic(help(
        "run the same command again to keep waiting (it resumes: nothing is requested twice); ACM usually issues within minutes of the records resolving"
    ))]
    NotIssued {
        arn: String,
        seconds: u64,
        status: String,
        records: String,
    },
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn zone(id: &str, name: &str, private: bool) -> HostedZone {
        HostedZone {
            id: id.into(),
            name: name.into(),
            private,
        }
    }

    fn cert(arn: &str, status: CertStatus, names: &[&str]) -> Certificate {
        Certificate {
            arn: arn.into(),
            status,
            names: names.iter().map(|s| s.to_string()).collect(),
            in_use_by: vec![],
            validation: vec![],
        }
    }

    fn config(aliases: &[&str], cert: Option<&str>) -> DistributionConfig {
        let mut b = DistributionConfig::builder()
            .caller_reference("r")
            .comment("c")
            .enabled(true)
            .aliases(build_aliases(aliases.iter().map(|s| s.to_string()).collect()).unwrap());
        b = b.viewer_certificate(match cert {
            Some(arn) => ViewerCertificate::builder()
                .cloud_front_default_certificate(false)
                .acm_certificate_arn(arn)
                .ssl_support_method(SslSupportMethod::SniOnly)
                .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
                .build(),
            None => ViewerCertificate::builder()
                .cloud_front_default_certificate(true)
                .build(),
        });
        b.build().unwrap()
    }

    #[test]
    fn longest_suffix_public_zone_wins() {
        let zones = [
            zone("Z1", "example.com", false),
            zone("Z2", "app.example.com", false),
            zone("Z3", "dev.app.example.com", true),
            zone("Z4", "ample.com", false),
        ];
        assert_eq!(choose_zone(&zones, "x.app.example.com").unwrap().id, "Z2");
        assert_eq!(choose_zone(&zones, "app.example.com").unwrap().id, "Z2");
        assert_eq!(choose_zone(&zones, "www.example.com").unwrap().id, "Z1");
        // Private zone skipped; label boundary respected (example.com is not in ample.com).
        assert_eq!(
            choose_zone(&zones, "a.dev.app.example.com").unwrap().id,
            "Z2"
        );
        assert!(choose_zone(&zones, "example.org").is_none());
        assert_eq!(choose_zone(&zones, "WWW.Example.COM.").unwrap().id, "Z1");
    }

    #[test]
    fn wildcards_cover_one_label_only() {
        assert!(name_covers("*.example.com", "www.example.com"));
        assert!(!name_covers("*.example.com", "example.com"));
        assert!(!name_covers("*.example.com", "a.b.example.com"));
        assert!(name_covers("app.example.com", "APP.example.com."));
        assert!(!name_covers("app.example.com", "www.example.com"));
        let c = cert("a", CertStatus::Issued, &["example.com", "*.example.com"]);
        assert!(c.covers_all(&["example.com".into(), "www.example.com".into()]));
        assert!(!c.covers_all(&["a.b.example.com".into()]));
        assert!(check_given_certificate(&c, &["www.example.com".into()]).is_ok());
        let err = check_given_certificate(&c, &["a.b.example.com".into()]).unwrap_err();
        assert!(
            err.to_string().contains("does not cover a.b.example.com"),
            "{err}"
        );
        let failed = cert("f", CertStatus::Other("FAILED".into()), &["*.example.com"]);
        assert!(check_given_certificate(&failed, &["www.example.com".into()]).is_err());
    }

    #[test]
    fn certificate_choice_prefers_own_then_issued_then_pending() {
        let certs = [
            cert(
                "pending",
                CertStatus::PendingValidation,
                &["app.example.com"],
            ),
            cert("issued", CertStatus::Issued, &["*.example.com"]),
            cert(
                "failed",
                CertStatus::Other("FAILED".into()),
                &["app.example.com"],
            ),
            cert("narrow", CertStatus::Issued, &["www.example.com"]),
        ];
        let needed = vec!["app.example.com".to_string()];
        assert_eq!(
            choose_certificate(&certs, &needed, None).unwrap().arn,
            "issued"
        );
        assert_eq!(
            choose_certificate(&certs, &needed, Some("pending"))
                .unwrap()
                .arn,
            "pending"
        );
        let both = vec!["app.example.com".to_string(), "www.example.com".to_string()];
        assert_eq!(
            choose_certificate(&certs, &both, None).unwrap().arn,
            "issued"
        );
        let apex = vec!["example.com".to_string()];
        assert!(choose_certificate(&certs, &apex, None).is_none());
    }

    #[test]
    fn request_names_and_token_are_stable() {
        let needed = vec!["old.example.com".to_string(), "app.example.com".to_string()];
        let (name, sans) = request_names("app.example.com", &needed);
        assert_eq!(name, "app.example.com");
        assert_eq!(sans, vec!["old.example.com".to_string()]);
        let t1 = idempotency_token(&name, &sans);
        assert_eq!(t1, idempotency_token(&name, &sans));
        assert!(t1.len() <= 32 && t1.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(t1, idempotency_token("www.example.com", &[]));
    }

    #[test]
    fn validation_records_are_deduplicated_and_skip_success() {
        let mut c = cert(
            "a",
            CertStatus::PendingValidation,
            &["example.com", "*.example.com"],
        );
        let v = |domain: &str, status: &str| ValidationRecord {
            domain: domain.into(),
            name: "_x.example.com.".into(),
            value: "_y.acm-validations.aws.".into(),
            status: status.into(),
        };
        c.validation = vec![
            v("example.com", "PENDING_VALIDATION"),
            v("*.example.com", "PENDING_VALIDATION"),
        ];
        let records = validation_records(&c);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].name, "_x.example.com");
        c.validation = vec![v("example.com", "SUCCESS")];
        assert!(validation_records(&c).is_empty());
    }

    #[test]
    fn upserts_only_what_differs() {
        let wanted = alias_records("app.example.com", "d1.cloudfront.net", true);
        assert_eq!(wanted.len(), 2);
        assert!(
            matches!(&wanted[0].value, RecordValue::Alias { zone_id, .. } if zone_id == "Z2FDTNDATAQYW2")
        );
        let existing = vec![Record {
            name: "app.example.com.".into(),
            rtype: "A".into(),
            value: RecordValue::Alias {
                dns_name: "D1.cloudfront.net.".into(),
                zone_id: CLOUDFRONT_ALIAS_ZONE_ID.into(),
            },
        }];
        let todo = records_to_upsert(&wanted, &existing);
        assert_eq!(todo.len(), 1);
        assert_eq!(todo[0].rtype, "AAAA");
        assert_eq!(alias_records("a.example.com", "d", false).len(), 1);
        assert_eq!(
            records_to_delete("app.example.com", "d1.cloudfront.net", &existing).len(),
            1
        );
        assert!(records_to_delete("app.example.com", "d2.cloudfront.net", &existing).is_empty());
    }

    #[test]
    fn add_alias_changes_only_aliases_and_viewer_certificate() {
        let before = config(&["old.example.com"], None);
        let Plan::Change {
            config: after,
            summary,
        } = plan_add_alias(&before, "app.example.com", "arn:c").unwrap()
        else {
            panic!("expected a change")
        };
        assert!(summary.contains("add alias app.example.com"), "{summary}");
        assert_eq!(
            aliases_of(&after),
            vec!["old.example.com", "app.example.com"]
        );
        assert_eq!(after.aliases.as_ref().unwrap().quantity, 2);
        let vc = after.viewer_certificate.clone().unwrap();
        assert_eq!(vc.acm_certificate_arn.as_deref(), Some("arn:c"));
        assert_eq!(vc.ssl_support_method, Some(SslSupportMethod::SniOnly));
        assert_eq!(
            vc.minimum_protocol_version,
            Some(MinimumProtocolVersion::TlSv122021)
        );
        assert_eq!(vc.cloud_front_default_certificate, Some(false));
        // Everything else is untouched.
        let mut same = (*after).clone();
        same.aliases = before.aliases.clone();
        same.viewer_certificate = before.viewer_certificate.clone();
        assert_eq!(same, before);
        // Re-planning on the result: nothing to do.
        assert!(
            !plan_add_alias(&after, "app.example.com", "arn:c")
                .unwrap()
                .is_change()
        );
    }

    #[test]
    fn add_alias_keeps_a_stricter_policy() {
        let mut before = config(&[], Some("arn:c"));
        if let Some(vc) = before.viewer_certificate.as_mut() {
            vc.minimum_protocol_version = Some(MinimumProtocolVersion::TlSv132025);
        }
        let Plan::Change { config: after, .. } =
            plan_add_alias(&before, "a.example.com", "arn:c").unwrap()
        else {
            panic!("expected a change")
        };
        assert_eq!(
            after.viewer_certificate.unwrap().minimum_protocol_version,
            Some(MinimumProtocolVersion::TlSv132025)
        );
    }

    #[test]
    fn remove_alias_reverts_to_the_default_certificate_when_none_is_left() {
        let before = config(&["app.example.com"], Some("arn:c"));
        let Plan::Change { config: after, .. } =
            plan_remove_alias(&before, "app.example.com").unwrap()
        else {
            panic!("expected a change")
        };
        assert!(aliases_of(&after).is_empty());
        assert_eq!(after.aliases.as_ref().unwrap().quantity, 0);
        assert_eq!(
            after
                .viewer_certificate
                .as_ref()
                .unwrap()
                .cloud_front_default_certificate,
            Some(true)
        );
        assert!(
            !plan_remove_alias(&after, "app.example.com")
                .unwrap()
                .is_change()
        );

        let two = config(&["app.example.com", "www.example.com"], Some("arn:c"));
        let Plan::Change { config: after, .. } =
            plan_remove_alias(&two, "app.example.com").unwrap()
        else {
            panic!("expected a change")
        };
        assert_eq!(aliases_of(&after), vec!["www.example.com"]);
        assert_eq!(certificate_of(&after).as_deref(), Some("arn:c"));
    }

    #[test]
    fn alias_owner_role_and_values() {
        let dists = vec![
            AliasOwner {
                id: "E1".into(),
                comment: "mine".into(),
                aliases: vec!["app.example.com".into()],
            },
            AliasOwner {
                id: "E2".into(),
                comment: "theirs".into(),
                aliases: vec!["App.Example.com".into()],
            },
        ];
        assert_eq!(
            alias_taken_by(&dists, "app.example.com", "E1").unwrap().id,
            "E2"
        );
        assert!(alias_taken_by(&dists[..1], "app.example.com", "E1").is_none());
        assert_eq!(
            role_from_comment("edgekit:prod:keycloak"),
            Some(DistributionRole::Keycloak)
        );
        assert_eq!(role_from_comment("hand-made"), None);

        let app = paste_values("app.example.com", Some(DistributionRole::Registry));
        assert_eq!(
            app.valid_redirect_uri.as_deref(),
            Some("https://app.example.com/oauth2/callback/keycloak")
        );
        assert_eq!(app.web_origin.as_deref(), Some("https://app.example.com"));
        assert!(app.kc_hostname.is_none());
        let kc = paste_values("auth.example.com", Some(DistributionRole::Keycloak));
        assert_eq!(kc.kc_hostname.as_deref(), Some("https://auth.example.com"));
        assert!(kc.app_public_url.is_none());
        let unknown = paste_values("x.example.com", None);
        assert!(unknown.kc_hostname.is_some() && unknown.app_public_url.is_some());

        let hosts = vec!["old.example.com".to_string()];
        assert_eq!(
            public_hosts_with(&hosts, "auth.example.com", Some(DistributionRole::Keycloak))
                .unwrap(),
            vec!["auth.example.com", "old.example.com"]
        );
        assert_eq!(
            public_hosts_with(&hosts, "app.example.com", Some(DistributionRole::Registry)).unwrap(),
            vec!["old.example.com", "app.example.com"]
        );
        assert!(public_hosts_with(&[], "app.example.com", None).is_none());
        assert!(public_hosts_with(&hosts, "old.example.com", None).is_none());
    }

    #[test]
    fn a_certificate_is_in_use_while_anything_else_has_it() {
        let uses = [
            CertUse {
                id: "E1",
                certificate_arn: Some("arn:c"),
            },
            CertUse {
                id: "E2",
                certificate_arn: Some("arn:c"),
            },
            CertUse {
                id: "E3",
                certificate_arn: Some("arn:other"),
            },
        ];
        let in_use = vec![
            "arn:aws:cloudfront::123456789012:distribution/E1".to_string(),
            "arn:aws:cloudfront::123456789012:distribution/E2".to_string(),
        ];
        assert_eq!(
            certificate_users("arn:c", &uses, "E1", false, &in_use),
            vec!["distribution E2"]
        );
        assert_eq!(
            certificate_users("arn:c", &uses[..1], "E1", true, &in_use[..1]),
            vec!["distribution E1"]
        );
        assert!(certificate_users("arn:c", &uses[..1], "E1", false, &in_use[..1]).is_empty());
        let elb = vec!["arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/y".to_string()];
        assert_eq!(
            certificate_users("arn:c", &uses[..1], "E1", false, &elb),
            elb
        );
    }

    #[test]
    fn domain_names_are_checked() {
        assert_eq!(parse_domain("App.Example.com.").unwrap(), "app.example.com");
        assert!(parse_domain("*.example.com").is_err());
        assert!(parse_domain("localhost").is_err());
        assert!(parse_domain("a_b.example.com").is_err());
    }
}
