//! The AWS side of `edgekit domain`: hosted zone, certificate (pick, request, validation
//! records, wait for ISSUED, diagnosis on timeout), and the records and certificate `remove` deletes.
use super::*;

/// The hosted zone for the domain: `--hosted-zone-id` (checked) or the longest match.
pub(super) async fn find_zone(
    r53: &aws_sdk_route53::Client,
    zone_id: Option<&str>,
    domain: &str,
) -> miette::Result<(HostedZone, Vec<HostedZone>)> {
    let zones = route53::list_zones(r53).await?;
    let zone = match zone_id {
        Some(id) => {
            let id = route53::bare_zone_id(id);
            let zone = zones
                .iter()
                .find(|z| z.id == id)
                .ok_or_else(|| DomainError::NoSuchZone(id.clone()))?;
            if !domain::in_zone(domain, &zone.name) {
                return Err(DomainError::ZoneMismatch {
                    zone_id: zone.id.clone(),
                    zone_name: zone.name.clone(),
                    domain: domain.to_owned(),
                }
                .into());
            }
            zone.clone()
        }
        None => domain::choose_zone(&zones, domain)
            .cloned()
            .ok_or_else(|| no_zone(domain, &zones))?,
    };
    Ok((zone, zones))
}

pub(super) fn no_zone(domain: &str, zones: &[HostedZone]) -> DomainError {
    let seen: Vec<String> = zones
        .iter()
        .map(|z| {
            format!(
                "{} ({}{})",
                z.name,
                z.id,
                if z.private { ", private" } else { "" }
            )
        })
        .collect();
    DomainError::NoHostedZone {
        domain: domain.to_owned(),
        zones: if seen.is_empty() {
            "none".to_owned()
        } else {
            seen.join(", ")
        },
    }
}

/// `--certificate-arn`: an ACM ARN in us-east-1 (refused before any call otherwise).
pub(super) fn check_certificate_arn(arn: &str) -> Result<(), DomainError> {
    let parsed = Arn::parse(arn)
        .filter(|a| a.service == "acm" && a.resource.starts_with("certificate/"))
        .ok_or_else(|| DomainError::NotAnAcmArn(arn.to_owned()))?;
    if parsed.region != crate::aws::EDGE_REGION {
        return Err(DomainError::WrongRegion {
            arn: arn.to_owned(),
            region: parsed.region.to_owned(),
        });
    }
    Ok(())
}

/// The certificate to use: the given one (checked), an existing one that covers every
/// needed name, or a new request (None in a dry run that would request one).
pub(super) async fn pick_certificate(
    clients: &Clients,
    args: &AddArgs,
    needed: &[String],
    current: Option<&str>,
    steps: &mut Vec<Step>,
) -> miette::Result<Option<Certificate>> {
    if let Some(arn) = &args.certificate_arn {
        let cert = acm::describe(&clients.acm, arn).await?;
        domain::check_given_certificate(&cert, needed)?;
        return Ok(Some(cert));
    }
    let certs = existing_certificates(&clients.acm, needed).await?;
    if let Some(cert) = domain::choose_certificate(&certs, needed, current) {
        steps.push(Step {
            action: format!(
                "reuse certificate {} ({})",
                cert.arn,
                status_text(&cert.status)
            ),
            result: StepResult::AlreadyDone,
        });
        return Ok(Some(cert.clone()));
    }
    let (name, sans) = domain::request_names(&args.target.domain, needed);
    let what = format!(
        "request certificate for {} (DNS validation, us-east-1)",
        join(needed)
    );
    if args.target.dry_run {
        steps.push(Step {
            action: what,
            result: StepResult::WouldDo,
        });
        return Ok(None);
    }
    let token = domain::idempotency_token(&name, &sans);
    let arn = acm::request(&clients.acm, &name, &sans, &token).await?;
    steps.push(Step {
        action: format!("{what}: {arn}"),
        result: StepResult::Done,
    });
    Ok(Some(wait_for_records(&clients.acm, &arn).await?))
}

/// The issued and pending certificates that may cover `needed`, described. Only those whose
/// summary does not rule them out are described: DescribeCertificate is throttled per account.
pub(super) async fn existing_certificates(
    acm_client: &aws_sdk_acm::Client,
    needed: &[String],
) -> miette::Result<Vec<Certificate>> {
    let mut certs = Vec::new();
    for candidate in acm::list_candidates(acm_client).await? {
        let may_fit = candidate.names.as_ref().is_none_or(|names| {
            needed
                .iter()
                .all(|n| names.iter().any(|c| domain::name_covers(c, n)))
        });
        if may_fit {
            certs.push(acm::describe(acm_client, &candidate.arn).await?);
        }
    }
    Ok(certs)
}

/// A new certificate's validation records appear a few seconds after the request.
pub(super) async fn wait_for_records(
    acm_client: &aws_sdk_acm::Client,
    arn: &str,
) -> miette::Result<Certificate> {
    let start = Instant::now();
    loop {
        let cert = acm::describe(acm_client, arn).await?;
        let complete = cert.validation.len() >= cert.names.len();
        if complete
            || cert.status != CertStatus::PendingValidation
            || start.elapsed() > RECORDS_APPEAR_TIMEOUT
        {
            return Ok(cert);
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

pub(super) fn status_text(status: &CertStatus) -> String {
    match status {
        CertStatus::Issued => "ISSUED".to_owned(),
        CertStatus::PendingValidation => "PENDING_VALIDATION".to_owned(),
        CertStatus::Other(other) => other.clone(),
    }
}

pub(super) fn join<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn describe_record(r: &Record) -> String {
    match &r.value {
        RecordValue::Simple { value, .. } => format!("{} {} → {value}", r.rtype, r.name),
        RecordValue::Alias { dns_name, zone_id } => {
            format!("{} {} → ALIAS {dns_name} (zone {zone_id})", r.rtype, r.name)
        }
    }
}

/// UPSERTs the records that differ from what the zone holds; one step per record.
pub(super) async fn upsert_records(
    r53: &aws_sdk_route53::Client,
    zone: &HostedZone,
    wanted: &[Record],
    dry_run: bool,
    steps: &mut Vec<Step>,
) -> miette::Result<()> {
    let mut existing = Vec::new();
    let mut names: Vec<&str> = wanted.iter().map(|r| r.name.as_str()).collect();
    names.dedup();
    for name in names {
        existing.extend(route53::records_named(r53, &zone.id, name).await?);
    }
    let todo = domain::records_to_upsert(wanted, &existing);
    for record in wanted {
        let write = todo.contains(record);
        steps.push(Step {
            action: format!(
                "{}{} in {} ({})",
                if write { "UPSERT " } else { "record " },
                describe_record(record),
                zone.id,
                zone.name
            ),
            result: match (write, dry_run) {
                (false, _) => StepResult::AlreadyDone,
                (true, true) => StepResult::WouldDo,
                (true, false) => StepResult::Done,
            },
        });
    }
    if !dry_run {
        route53::change(r53, &zone.id, ChangeAction::Upsert, &todo, "edgekit domain").await?;
    }
    Ok(())
}

/// Writes a pending certificate's validation CNAMEs, each in the zone that holds its name.
pub(super) async fn write_validation_records(
    r53: &aws_sdk_route53::Client,
    zones: &[HostedZone],
    cert: &Certificate,
    dry_run: bool,
    steps: &mut Vec<Step>,
) -> miette::Result<()> {
    for record in domain::validation_records(cert) {
        match domain::choose_zone(zones, &record.name) {
            Some(zone) => upsert_records(r53, zone, &[record], dry_run, steps).await?,
            None => steps.push(Step {
                action: format!(
                    "{}: no hosted zone holds this name; add the record at your DNS provider",
                    describe_record(&record)
                ),
                result: StepResult::Skipped,
            }),
        }
    }
    Ok(())
}

/// Polls the certificate until ISSUED (progress on stderr); on timeout, says which
/// validation record is missing from Route 53 or not taking effect.
pub(super) async fn wait_issued(
    clients: &Clients,
    zones: &[HostedZone],
    cert: Certificate,
    timeout: u64,
) -> miette::Result<Certificate> {
    let start = Instant::now();
    let progress = Progress::start(format!(
        "waiting for certificate {} to be issued (up to {timeout} s)",
        cert.arn
    ));
    let mut cert = cert;
    loop {
        match &cert.status {
            CertStatus::Issued => {
                progress.finish(format!(
                    "certificate {} issued after {} s",
                    cert.arn,
                    start.elapsed().as_secs()
                ));
                return Ok(cert);
            }
            CertStatus::Other(status) => {
                progress.finish(format!("certificate {} is {status}", cert.arn));
                return Err(DomainError::Unusable {
                    arn: cert.arn.clone(),
                    status: status.clone(),
                }
                .into());
            }
            CertStatus::PendingValidation => {}
        }
        if start.elapsed() >= Duration::from_secs(timeout) {
            progress.finish("gave up waiting for the certificate");
            let records = validation_diagnosis(&clients.r53, zones, &cert).await?;
            return Err(DomainError::NotIssued {
                arn: cert.arn.clone(),
                seconds: timeout,
                status: status_text(&cert.status),
                records,
            }
            .into());
        }
        tokio::time::sleep(POLL_INTERVAL).await;
        progress.update(format!(
            "waiting for certificate {} to be issued ({} s of {timeout} s)",
            cert.arn,
            start.elapsed().as_secs()
        ));
        cert = acm::describe(&clients.acm, &cert.arn).await?;
    }
}

/// For each pending validation record: present in Route 53, missing, or different. Whether
/// public DNS resolves it cannot be seen from here (edgekit does not query DNS).
pub(super) async fn validation_diagnosis(
    r53: &aws_sdk_route53::Client,
    zones: &[HostedZone],
    cert: &Certificate,
) -> miette::Result<String> {
    let mut lines = Vec::new();
    for record in domain::validation_records(cert) {
        let line = match domain::choose_zone(zones, &record.name) {
            None => format!(
                "  missing: {} (no hosted zone holds this name)",
                describe_record(&record)
            ),
            Some(zone) => {
                let existing = route53::records_named(r53, &zone.id, &record.name).await?;
                if existing.iter().any(|e| record.same_as(e)) {
                    format!(
                        "  in Route 53 zone {} ({}) but not validated yet: {}; check that `dig +short CNAME {}` answers {} (the registrar must delegate {} to this zone's name servers)",
                        zone.id,
                        zone.name,
                        describe_record(&record),
                        record.name,
                        match &record.value {
                            RecordValue::Simple { value, .. } => value.as_str(),
                            RecordValue::Alias { dns_name, .. } => dns_name.as_str(),
                        },
                        zone.name
                    )
                } else {
                    format!(
                        "  missing from Route 53 zone {} ({}): {}",
                        zone.id,
                        zone.name,
                        describe_record(&record)
                    )
                }
            }
        };
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push("  ACM lists no pending validation record".to_owned());
    }
    Ok(lines.join("\n"))
}

/// Deletes the domain's ALIAS records that point at this distribution (others are left).
pub(super) async fn remove_records(
    clients: &Clients,
    args: &RemoveArgs,
    resolved: &Resolved,
    domain_name: &str,
    report: &mut RemoveReport,
) -> miette::Result<()> {
    let zone = match find_zone(
        &clients.r53,
        args.target.hosted_zone_id.as_deref(),
        domain_name,
    )
    .await
    {
        Ok((zone, _)) => zone,
        Err(err) if args.target.hosted_zone_id.is_none() => {
            report.steps.push(Step {
                action: format!("DNS records: {err}"),
                result: StepResult::Skipped,
            });
            return Ok(());
        }
        Err(err) => return Err(err),
    };
    let existing = route53::records_named(&clients.r53, &zone.id, domain_name).await?;
    let delete = domain::records_to_delete(domain_name, &resolved.dist.domain_name, &existing);
    if delete.is_empty() {
        report.steps.push(Step {
            action: format!(
                "no ALIAS record of {domain_name} points at {} in {}",
                resolved.dist.domain_name, zone.id
            ),
            result: StepResult::AlreadyDone,
        });
    }
    for record in &delete {
        report.steps.push(Step {
            action: format!(
                "DELETE {} in {} ({})",
                describe_record(record),
                zone.id,
                zone.name
            ),
            result: StepResult::write(args.target.dry_run),
        });
    }
    if !args.target.dry_run {
        route53::change(
            &clients.r53,
            &zone.id,
            ChangeAction::Delete,
            &delete,
            "edgekit domain remove",
        )
        .await?;
    }
    report.hosted_zone = Some(zone);
    Ok(())
}

/// `--delete-certificate`: the certificate the distribution had, deleted only when no
/// distribution (this one after the change included) and nothing ACM knows of uses it.
pub(super) async fn delete_certificate(
    clients: &Clients,
    resolved: &Resolved,
    before: &aws_sdk_cloudfront::types::DistributionConfig,
    domain_name: &str,
    certificate_arn: Option<&str>,
    dry_run: bool,
    steps: &mut Vec<Step>,
) -> miette::Result<()> {
    let Some(arn) = domain::certificate_of(before).or_else(|| certificate_arn.map(str::to_owned))
    else {
        steps.push(Step {
            action: "no ACM certificate on the distribution to delete".to_owned(),
            result: StepResult::Skipped,
        });
        return Ok(());
    };
    let own_keeps_it = domain::aliases_of(before)
        .iter()
        .any(|a| domain::canonical(a) != domain_name);
    let uses: Vec<CertUse<'_>> = resolved
        .all
        .iter()
        .map(|d| CertUse {
            id: &d.id,
            certificate_arn: d.acm_certificate_arn.as_deref(),
        })
        .collect();
    let cert = acm::describe(&clients.acm, &arn).await?;
    let users = domain::certificate_users(
        &arn,
        &uses,
        &resolved.dist.id,
        own_keeps_it,
        &cert.in_use_by,
    );
    if !users.is_empty() {
        steps.push(Step {
            action: format!("keep certificate {arn}: still used by {}", users.join(", ")),
            result: StepResult::Skipped,
        });
        return Ok(());
    }
    steps.push(Step {
        action: format!("delete certificate {arn}"),
        result: StepResult::write(dry_run),
    });
    if !dry_run {
        acm::delete(&clients.acm, &arn).await.map_err(|err| {
            err.with_help(format!(
                "ACM refuses a certificate CloudFront still uses until the change is deployed: run `edgekit wait --distribution {}`, then this command again",
                resolved.dist.id
            ))
        })?;
    }
    Ok(())
}
