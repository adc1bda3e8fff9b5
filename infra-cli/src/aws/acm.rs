//! ACM calls for `edgekit domain`: find, describe, request and delete certificates in
//! us-east-1 (the only region CloudFront takes certificates from).
use aws_sdk_acm::Client;
use aws_sdk_acm::types::{CertificateStatus, Filters, KeyAlgorithm, ValidationMethod};

use super::AwsError;
use crate::plan::domain::{CertStatus, Certificate, ValidationRecord, canonical};

/// An ACM client in us-east-1. [ACM User Guide, "Supported Regions": "To use an ACM
/// certificate with Amazon CloudFront, you must request or import the certificate in the US
/// East (N. Virginia) region."]
pub async fn client(aws: &super::AwsOptions) -> Client {
    Client::new(&super::sdk_config(aws, Some(super::EDGE_REGION)).await)
}

/// Key types CloudFront accepts for viewer certificates; ListCertificates returns only
/// RSA_2048 ones unless asked. [ACM API Reference, "ListCertificates": Includes; CloudFront
/// Developer Guide, "Requirements for using SSL/TLS certificates with CloudFront": key type]
fn key_types() -> Vec<KeyAlgorithm> {
    vec![
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
        KeyAlgorithm::EcPrime256v1,
        KeyAlgorithm::EcSecp384r1,
    ]
}

/// An issued or pending certificate as the list shows it: its names when the summary has
/// them all (None: only DescribeCertificate can tell).
#[derive(Debug, Clone)]
pub struct Candidate {
    pub arn: String,
    pub names: Option<Vec<String>>,
}

/// The names a summary lists, when complete: `SubjectAlternativeNameSummaries` is cut short
/// (`HasAdditionalSubjectAlternativeNames`) for long lists, and some emulators leave it out.
fn summary_names(summary: &aws_sdk_acm::types::CertificateSummary) -> Option<Vec<String>> {
    if summary.has_additional_subject_alternative_names == Some(true) {
        return None;
    }
    let sans = summary.subject_alternative_name_summaries.as_ref()?;
    let mut names: Vec<String> = summary.domain_name.iter().map(|n| canonical(n)).collect();
    names.extend(sans.iter().map(|n| canonical(n)));
    Some(names)
}

/// Issued and pending certificates (ListCertificates, all pages).
pub async fn list_candidates(client: &Client) -> Result<Vec<Candidate>, AwsError> {
    let mut candidates = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_certificates()
            .certificate_statuses(CertificateStatus::Issued)
            .certificate_statuses(CertificateStatus::PendingValidation)
            .includes(Filters::builder().set_key_types(Some(key_types())).build())
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|err| AwsError::call("ListCertificates", &err))?;
        candidates.extend(page.certificate_summary_list().iter().filter_map(|c| {
            Some(Candidate {
                arn: c.certificate_arn.clone()?,
                names: summary_names(c),
            })
        }));
        match page.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => break,
        }
    }
    Ok(candidates)
}

/// One certificate's names, status, users and validation records (DescribeCertificate).
pub async fn describe(client: &Client, arn: &str) -> Result<Certificate, AwsError> {
    let operation = || format!("DescribeCertificate {arn}");
    let out = client
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|err| AwsError::call(operation(), &err))?;
    let detail = out
        .certificate
        .ok_or_else(|| AwsError::missing(operation(), "Certificate"))?;
    let status = match &detail.status {
        Some(CertificateStatus::Issued) => CertStatus::Issued,
        Some(CertificateStatus::PendingValidation) => CertStatus::PendingValidation,
        Some(other) => CertStatus::Other(other.as_str().to_owned()),
        None => CertStatus::Other("UNKNOWN".to_owned()),
    };
    let mut names: Vec<String> = detail.domain_name.iter().map(|n| canonical(n)).collect();
    for san in detail.subject_alternative_names() {
        let san = canonical(san);
        if !names.contains(&san) {
            names.push(san);
        }
    }
    let validation = detail
        .domain_validation_options()
        .iter()
        .filter_map(|v| {
            let record = v.resource_record.as_ref()?;
            Some(ValidationRecord {
                domain: canonical(&v.domain_name),
                name: canonical(&record.name),
                value: canonical(&record.value),
                status: v
                    .validation_status
                    .as_ref()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            })
        })
        .collect();
    Ok(Certificate {
        arn: arn.to_owned(),
        status,
        names,
        in_use_by: detail.in_use_by.unwrap_or_default(),
        validation,
    })
}

/// Requests a DNS-validated certificate; the idempotency token makes a repeated request
/// (within ACM's hour) return the same ARN.
pub async fn request(
    client: &Client,
    domain: &str,
    sans: &[String],
    token: &str,
) -> Result<String, AwsError> {
    let mut call = client
        .request_certificate()
        .domain_name(domain)
        .validation_method(ValidationMethod::Dns)
        .idempotency_token(token);
    for san in sans {
        call = call.subject_alternative_names(san);
    }
    let out = call.send().await.map_err(|err| {
        AwsError::call(format!("RequestCertificate {domain}"), &err)
            .with_help("nothing was requested; fix the cause above and run the command again")
    })?;
    out.certificate_arn
        .ok_or_else(|| AwsError::missing("RequestCertificate", "CertificateArn"))
}

/// Deletes a certificate (ACM itself refuses one still in use: ResourceInUseException).
pub async fn delete(client: &Client, arn: &str) -> Result<(), AwsError> {
    client
        .delete_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|err| AwsError::call(format!("DeleteCertificate {arn}"), &err))?;
    Ok(())
}
