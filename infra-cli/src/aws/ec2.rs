//! EC2 calls for `alb protect`: read the load balancer's security groups, look up CloudFront's
//! managed prefix list by name, apply the planned ingress changes.
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range, PrefixListId};

use super::AwsError;
use crate::plan::alb::{GroupState, GroupWrite, Ingress, PREFIX_LIST_RULE_DESCRIPTION};

/// A managed prefix list's id and how many rules a reference to it counts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixList {
    pub id: String,
    /// MaxEntries when EC2 reports it (it is the list's weight).
    pub max_entries: Option<i32>,
}

/// The regions enabled for the account (DescribeRegions without AllRegions: opted-in and
/// default regions only), for `edgekit logs --regions all`.
pub async fn enabled_regions(client: &Client) -> Result<Vec<String>, AwsError> {
    let out = client
        .describe_regions()
        .send()
        .await
        .map_err(|err| AwsError::call("DescribeRegions", &err))?;
    let mut regions: Vec<String> = out
        .regions
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.region_name)
        .collect();
    regions.sort();
    Ok(regions)
}

/// An EC2 client for the CLI's global options (the load balancer's region).
pub async fn client(aws: &super::AwsOptions) -> Client {
    Client::new(&super::sdk_config(aws, None).await)
}

/// Looks a managed prefix list up by name (DescribeManagedPrefixLists, filter
/// prefix-list-name).
pub async fn prefix_list(client: &Client, name: &str) -> Result<PrefixList, AwsError> {
    let operation = || format!("DescribeManagedPrefixLists {name}");
    let out = client
        .describe_managed_prefix_lists()
        .filters(
            Filter::builder()
                .name("prefix-list-name")
                .values(name)
                .build(),
        )
        .send()
        .await
        .map_err(|err| AwsError::call(operation(), &err))?;
    let list = out
        .prefix_lists
        .and_then(|l| l.into_iter().next())
        .ok_or_else(|| {
            AwsError::missing(operation(), "PrefixLists").with_help(
                "CloudFront's origin-facing prefix list exists in every commercial region; check --region, or use \
                 --security-group-mode keep",
            )
        })?;
    Ok(PrefixList {
        id: list
            .prefix_list_id
            .ok_or_else(|| AwsError::missing(operation(), "PrefixListId"))?,
        max_entries: list.max_entries,
    })
}

/// The security groups' ingress (DescribeSecurityGroups), in the order given.
pub async fn groups(client: &Client, ids: &[String]) -> Result<Vec<GroupState>, AwsError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let out = client
        .describe_security_groups()
        .set_group_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|err| AwsError::call(format!("DescribeSecurityGroups {}", ids.join(",")), &err))?;
    let mut groups: Vec<GroupState> = out
        .security_groups
        .unwrap_or_default()
        .into_iter()
        .map(|g| GroupState {
            group_id: g.group_id.unwrap_or_default(),
            ingress: g
                .ip_permissions
                .unwrap_or_default()
                .into_iter()
                .map(ingress)
                .collect(),
        })
        .collect();
    groups.sort_by_key(|g| ids.iter().position(|id| *id == g.group_id));
    Ok(groups)
}

fn ingress(p: IpPermission) -> Ingress {
    Ingress {
        protocol: p.ip_protocol.unwrap_or_default(),
        from_port: p.from_port,
        to_port: p.to_port,
        cidrs_v4: p
            .ip_ranges
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| r.cidr_ip)
            .collect(),
        cidrs_v6: p
            .ipv6_ranges
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| r.cidr_ipv6)
            .collect(),
        prefix_lists: p
            .prefix_list_ids
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| r.prefix_list_id)
            .collect(),
        groups: p.user_id_group_pairs.map_or(0, |g| g.len()),
    }
}

/// Applies the writes in order (authorizations come first in the plan, so the ALB is never
/// closed to CloudFront in between).
pub async fn apply(client: &Client, writes: &[GroupWrite]) -> Result<(), AwsError> {
    for write in writes {
        match write {
            GroupWrite::AuthorizeIngress {
                group_id,
                port,
                prefix_list_id,
            } => {
                let permission = IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(*port)
                    .to_port(*port)
                    .prefix_list_ids(
                        PrefixListId::builder()
                            .prefix_list_id(prefix_list_id)
                            .description(PREFIX_LIST_RULE_DESCRIPTION)
                            .build(),
                    )
                    .build();
                client
                    .authorize_security_group_ingress()
                    .group_id(group_id)
                    .ip_permissions(permission)
                    .send()
                    .await
                    .map_err(|err| {
                        AwsError::call(format!("AuthorizeSecurityGroupIngress {group_id}"), &err).with_help(
                            "a reference to CloudFront's prefix list counts as 55 rules against the security group's \
                             rule quota (VPC User Guide, \"AWS-managed prefix lists\"): raise the quota or free rules",
                        )
                    })?;
            }
            GroupWrite::RevokeIngress {
                group_id,
                port,
                cidr,
            } => {
                let permission = IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(*port)
                    .to_port(*port);
                let permission = if cidr.contains(':') {
                    permission.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(cidr).build())
                } else {
                    permission.ip_ranges(IpRange::builder().cidr_ip(cidr).build())
                };
                client
                    .revoke_security_group_ingress()
                    .group_id(group_id)
                    .ip_permissions(permission.build())
                    .send()
                    .await
                    .map_err(|err| {
                        AwsError::call(format!("RevokeSecurityGroupIngress {group_id}"), &err)
                    })?;
            }
        }
    }
    Ok(())
}
