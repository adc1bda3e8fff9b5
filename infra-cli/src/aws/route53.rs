//! Route 53 calls for `edgekit domain`: list hosted zones, read the record sets of one name,
//! and UPSERT or DELETE records in one change batch.
use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};

use aws_sdk_route53::error::BuildError;

use super::AwsError;
use crate::plan::domain::{HostedZone, Record, RecordValue, canonical};

/// A Route 53 client (a global service; its API is in us-east-1).
pub async fn client(aws: &super::AwsOptions) -> Client {
    Client::new(&super::sdk_config(aws, Some(super::EDGE_REGION)).await)
}

/// `/hostedzone/Z123` → `Z123`.
pub fn bare_zone_id(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_owned()
}

/// Every hosted zone of the account (ListHostedZones, all pages).
pub async fn list_zones(client: &Client) -> Result<Vec<HostedZone>, AwsError> {
    let mut zones = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_hosted_zones()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|err| AwsError::call("ListHostedZones", &err))?;
        zones.extend(page.hosted_zones.iter().map(|z| HostedZone {
            id: bare_zone_id(&z.id),
            name: canonical(&z.name),
            private: z.config.as_ref().is_some_and(|c| c.private_zone),
        }));
        match (page.is_truncated, page.next_marker) {
            (true, Some(next)) if !next.is_empty() => marker = Some(next),
            _ => break,
        }
    }
    Ok(zones)
}

fn record_type(rtype: &str) -> RrType {
    RrType::from(rtype)
}

/// The record sets named exactly `name` in a zone (ListResourceRecordSets starting at the
/// name; simple routing only, which is all edgekit writes).
pub async fn records_named(
    client: &Client,
    zone_id: &str,
    name: &str,
) -> Result<Vec<Record>, AwsError> {
    let wanted = canonical(name);
    let out = client
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .start_record_name(format!("{wanted}."))
        .max_items(10)
        .send()
        .await
        .map_err(|err| AwsError::call(format!("ListResourceRecordSets {zone_id}"), &err))?;
    Ok(out
        .resource_record_sets
        .iter()
        .filter(|r| canonical(&r.name) == wanted && r.set_identifier.is_none())
        .filter_map(to_record)
        .collect())
}

/// An SDK record set as planning sees it (None for shapes edgekit never writes).
fn to_record(r: &ResourceRecordSet) -> Option<Record> {
    let value = match (&r.alias_target, r.resource_records.as_deref()) {
        (Some(alias), _) => RecordValue::Alias {
            dns_name: canonical(&alias.dns_name),
            zone_id: alias.hosted_zone_id.clone(),
        },
        (None, Some([one])) => RecordValue::Simple {
            value: one.value.clone(),
            ttl: r.ttl.unwrap_or_default(),
        },
        _ => return None,
    };
    Some(Record {
        name: canonical(&r.name),
        rtype: r.r#type.as_str().to_owned(),
        value,
    })
}

fn build_err(err: impl std::fmt::Display) -> AwsError {
    AwsError {
        operation: "ChangeResourceRecordSets".to_owned(),
        detail: format!("could not build the request: {err}"),
        help: None,
        cause: None,
    }
}

/// The SDK record set for a planned record.
fn to_sdk(record: &Record) -> Result<ResourceRecordSet, BuildError> {
    let builder = ResourceRecordSet::builder()
        .name(format!("{}.", canonical(&record.name)))
        .r#type(record_type(&record.rtype));
    let builder = match &record.value {
        RecordValue::Simple { value, ttl } => builder
            .ttl(*ttl)
            .resource_records(ResourceRecord::builder().value(value).build()?),
        RecordValue::Alias { dns_name, zone_id } => builder.alias_target(
            AliasTarget::builder()
                .hosted_zone_id(zone_id)
                .dns_name(format!("{}.", canonical(dns_name)))
                // "You can't set EvaluateTargetHealth to true when the alias target is a
                // CloudFront distribution." [Route 53 API Reference, "AliasTarget"]
                .evaluate_target_health(false)
                .build()?,
        ),
    };
    builder.build()
}

/// Applies `records` with one action in one change batch (all or nothing).
/// [Route 53 API Reference, "ChangeResourceRecordSets": change batches are transactional]
pub async fn change(
    client: &Client,
    zone_id: &str,
    action: ChangeAction,
    records: &[Record],
    comment: &str,
) -> Result<(), AwsError> {
    if records.is_empty() {
        return Ok(());
    }
    let mut batch = ChangeBatch::builder().comment(comment);
    for record in records {
        batch = batch.changes(
            Change::builder()
                .action(action.clone())
                .resource_record_set(to_sdk(record).map_err(build_err)?)
                .build()
                .map_err(build_err)?,
        );
    }
    client
        .change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(batch.build().map_err(build_err)?)
        .send()
        .await
        .map_err(|err| {
            AwsError::call(format!("ChangeResourceRecordSets {zone_id}"), &err).with_help(
                "the batch is all or nothing, so nothing was changed; fix the cause above and run the command again",
            )
        })?;
    Ok(())
}
