//! Pure evaluation of the certificate checks: an ACM certificate's status and its validation
//! records in Route 53 → `acm-certificate`; the hosted zones → `route53-hosted-zone`.
use super::{ACM_CERTIFICATE, Finding, ROUTE53_HOSTED_ZONE, Read};
use crate::doctor::check::CheckOutcome;
use crate::plan::domain::{CertStatus, Certificate, HostedZone, Record, RecordValue, choose_zone};

/// Where one validation record stands in Route 53.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordLookup {
    /// No public hosted zone holds the record's name.
    NoZone,
    Missing {
        zone: HostedZone,
    },
    Present {
        zone: HostedZone,
    },
    Failed(super::CallFailure),
}

/// A certificate and, while pending, each validation record's state.
#[derive(Debug, Clone)]
pub struct CertFacts {
    pub cert: Certificate,
    pub records: Vec<(Record, RecordLookup)>,
}

/// Issued passes; pending fails while a validation record is missing (ACM waits for it, and
/// so does `terraform apply`'s aws_acm_certificate_validation). [ACM User Guide, "DNS
/// validation"; docs/custom-domain.md]
pub fn certificate(arn: &str, facts: &Read<CertFacts>) -> CheckOutcome {
    let facts = match facts {
        Err(failure) => return ACM_CERTIFICATE.call_failed(arn, failure),
        Ok(f) => f,
    };
    let cert = &facts.cert;
    let names = cert.names.join(", ");
    match &cert.status {
        CertStatus::Issued => ACM_CERTIFICATE.pass(arn, format!("ISSUED for {names}")),
        CertStatus::Other(status) => ACM_CERTIFICATE.fail(
            arn,
            format!("{status} for {names}"),
            "ACM will not issue this one: request a new certificate (`edgekit domain add` or terraform) and validate it \
             by DNS",
        ),
        CertStatus::PendingValidation if facts.records.is_empty() => ACM_CERTIFICATE.warn(
            arn,
            format!("PENDING_VALIDATION for {names}, and ACM lists no DNS validation record"),
            format!("see how it validates: `aws acm describe-certificate --certificate-arn {arn} --region us-east-1`"),
        ),
        CertStatus::PendingValidation => {
            let findings = facts.records.iter().map(record_finding).collect();
            let mut outcome = ACM_CERTIFICATE.combine(arn, findings);
            outcome.evidence = format!("PENDING_VALIDATION for {names}; {}", outcome.evidence);
            outcome
        }
    }
}

fn record_finding((record, lookup): &(Record, RecordLookup)) -> Finding {
    let value = match &record.value {
        RecordValue::Simple { value, .. } => value.as_str(),
        RecordValue::Alias { dns_name, .. } => dns_name.as_str(),
    };
    let upsert = |zone: &str| {
        format!(
            "`aws route53 change-resource-record-sets --hosted-zone-id {zone} --change-batch \
             '{{\"Changes\":[{{\"Action\":\"UPSERT\",\"ResourceRecordSet\":{{\"Name\":\"{}.\",\"Type\":\"CNAME\",\"TTL\":300,\
             \"ResourceRecords\":[{{\"Value\":\"{value}.\"}}]}}}}]}}'`",
            record.name
        )
    };
    match lookup {
        RecordLookup::Failed(failure) => Finding::from_failure(failure),
        RecordLookup::NoZone => Finding::fail(
            format!(
                "validation record {} CNAME {value}: no public hosted zone holds this name",
                record.name
            ),
            format!(
                "create the zone (see route53-hosted-zone) and delegate it at the registrar, then add the record: {}",
                upsert("<zone id>")
            ),
        ),
        RecordLookup::Missing { zone } => Finding::fail(
            format!(
                "validation record {} CNAME {value} is missing from hosted zone {} ({})",
                record.name, zone.name, zone.id
            ),
            upsert(&zone.id),
        ),
        RecordLookup::Present { zone } => Finding::warn(
            format!(
                "validation record {} is in hosted zone {} ({})",
                record.name, zone.name, zone.id
            ),
            format!(
                "ACM validates within about 30 minutes once the record resolves publicly; if it stays pending, check \
                 that the registrar delegates {} to the zone's name servers (`aws route53 get-hosted-zone --id {}`, \
                 `dig NS {}`)",
                zone.name, zone.id, zone.name
            ),
        ),
    }
}

/// A public hosted zone must hold the base domain (or a parent of it): the validation and
/// alias records go there. [Route 53 Developer Guide, "Working with public hosted zones"]
pub fn hosted_zone(base: &str, zones: &Read<Vec<HostedZone>>) -> CheckOutcome {
    let zones = match zones {
        Err(failure) => return ROUTE53_HOSTED_ZONE.call_failed(base, failure),
        Ok(z) => z,
    };
    if let Some(zone) = choose_zone(zones, base) {
        return ROUTE53_HOSTED_ZONE.pass(
            base,
            format!("public hosted zone {} ({})", zone.name, zone.id),
        );
    }
    let private = zones
        .iter()
        .any(|z| z.private && crate::plan::domain::in_zone(base, &z.name));
    let evidence = if private {
        format!("only a private hosted zone holds {base}; ACM and CloudFront need a public one")
    } else {
        let names: Vec<&str> = zones.iter().take(5).map(|z| z.name.as_str()).collect();
        let more = if zones.len() > names.len() {
            ", …"
        } else {
            ""
        };
        format!(
            "no hosted zone holds {base} (the account's zones: [{}{more}])",
            names.join(", ")
        )
    };
    ROUTE53_HOSTED_ZONE.fail(
        base,
        evidence,
        format!(
            "`aws route53 create-hosted-zone --name {base} --caller-reference edgekit-$(date +%s)`, then set the \
             registrar's name servers to the zone's (`aws route53 get-hosted-zone --id <zone id> --query \
             DelegationSet.NameServers`)"
        ),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::doctor::check::Status;
    use crate::plan::domain::ValidationRecord;

    fn zone(name: &str, private: bool) -> HostedZone {
        HostedZone {
            id: "Z1".into(),
            name: name.into(),
            private,
        }
    }

    fn facts(status: CertStatus, lookup: Option<RecordLookup>) -> Read<CertFacts> {
        let cert = Certificate {
            arn: "arn:aws:acm:us-east-1:1:certificate/c".into(),
            status,
            names: vec!["app.example.org".into()],
            in_use_by: vec![],
            validation: vec![ValidationRecord {
                domain: "app.example.org".into(),
                name: "_x.app.example.org".into(),
                value: "_y.acm-validations.aws".into(),
                status: "PENDING_VALIDATION".into(),
            }],
        };
        let records = crate::plan::domain::validation_records(&cert)
            .into_iter()
            .zip(lookup)
            .collect();
        Ok(CertFacts { cert, records })
    }

    #[test]
    fn certificate_states() {
        let arn = "arn";
        assert_eq!(
            certificate(arn, &facts(CertStatus::Issued, None)).status,
            Status::Pass
        );
        let missing = certificate(
            arn,
            &facts(
                CertStatus::PendingValidation,
                Some(RecordLookup::Missing {
                    zone: zone("example.org", false),
                }),
            ),
        );
        assert_eq!(missing.status, Status::Fail);
        let fix = missing.fix.unwrap();
        assert!(
            fix.contains("--hosted-zone-id Z1") && fix.contains("_x.app.example.org."),
            "{fix}"
        );
        let present = certificate(
            arn,
            &facts(
                CertStatus::PendingValidation,
                Some(RecordLookup::Present {
                    zone: zone("example.org", false),
                }),
            ),
        );
        assert_eq!(present.status, Status::Warn);
        let no_zone = certificate(
            arn,
            &facts(CertStatus::PendingValidation, Some(RecordLookup::NoZone)),
        );
        assert_eq!(no_zone.status, Status::Fail);
        let failed = certificate(arn, &facts(CertStatus::Other("FAILED".into()), None));
        assert_eq!(failed.status, Status::Fail);
    }

    #[test]
    fn hosted_zone_for_the_base_domain() {
        let zones = Ok(vec![zone("example.org", false)]);
        assert_eq!(hosted_zone("app.example.org", &zones).status, Status::Pass);
        assert_eq!(hosted_zone("example.net", &zones).status, Status::Fail);
        let private = hosted_zone("example.org", &Ok(vec![zone("example.org", true)]));
        assert_eq!(private.status, Status::Fail);
        assert!(private.evidence.contains("private"));
    }
}
