//! Plans as a user reads them: a distribution config in the CloudFront API's own JSON shape
//! (PascalCase names, `Quantity`/`Items` lists — what `aws cloudfront get-distribution-config`
//! prints), the list of changed paths, and a unified diff of only the changed part.
//!
//! Pure: no I/O; colouring is the caller's decision. Origin custom header values (the
//! origin-verify secret) are masked before anything is compared or printed.
use serde::Serialize;
use serde_json::{Map, Value, json};

use aws_sdk_cloudfront::types::{
    AllowedMethods, CacheBehavior, CustomErrorResponses, DefaultCacheBehavior, DistributionConfig,
    ForwardedValues, FunctionAssociations, LambdaFunctionAssociations, Origin, OriginGroups,
    ViewerCertificate,
};

/// What a masked value is shown as: never the secret, the same text before and after.
pub const MASK: &str = "****";

/// Lines of unchanged context around each change in the text diff.
pub const CONTEXT_LINES: usize = 3;

/// One changed value: its path in the API shape and the values on each side (`null` when
/// the field is absent on that side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub path: String,
    pub before: Value,
    pub after: Value,
}

/// `--output json` of a dry run: `{"changes": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub changes: Vec<Change>,
}

/// A JSON object from (name, value) pairs in the API's order, leaving out absent fields as
/// the API does.
fn obj(fields: Vec<(&str, Option<Value>)>) -> Value {
    let map: Map<String, Value> = fields
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect();
    Value::Object(map)
}

/// A CloudFront list: `{"Quantity": n, "Items": [...]}`, `Items` left out when absent.
fn list<T>(quantity: i32, items: Option<&[T]>, item: impl Fn(&T) -> Value) -> Value {
    obj(vec![
        ("Quantity", Some(json!(quantity))),
        (
            "Items",
            items.map(|i| Value::Array(i.iter().map(item).collect())),
        ),
    ])
}

fn s(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// A DistributionConfig as the CloudFront API (and the AWS CLI) shows it, secrets masked.
pub fn config_json(c: &DistributionConfig) -> Value {
    obj(vec![
        ("CallerReference", Some(s(&c.caller_reference))),
        (
            "Aliases",
            c.aliases
                .as_ref()
                .map(|a| list(a.quantity, a.items.as_deref(), |x| s(x))),
        ),
        ("DefaultRootObject", c.default_root_object.as_deref().map(s)),
        (
            "Origins",
            c.origins
                .as_ref()
                .map(|o| list(o.quantity, Some(&o.items), origin_json)),
        ),
        (
            "OriginGroups",
            c.origin_groups.as_ref().map(origin_groups_json),
        ),
        (
            "DefaultCacheBehavior",
            c.default_cache_behavior.as_ref().map(default_behavior_json),
        ),
        (
            "CacheBehaviors",
            c.cache_behaviors
                .as_ref()
                .map(|b| list(b.quantity, b.items.as_deref(), cache_behavior_json)),
        ),
        (
            "CustomErrorResponses",
            c.custom_error_responses.as_ref().map(error_responses_json),
        ),
        ("Comment", Some(s(&c.comment))),
        (
            "Logging",
            c.logging.as_ref().map(|l| {
                json!({"Enabled": l.enabled, "IncludeCookies": l.include_cookies,
                       "Bucket": l.bucket, "Prefix": l.prefix})
            }),
        ),
        ("PriceClass", c.price_class.as_ref().map(|p| s(p.as_str()))),
        ("Enabled", Some(json!(c.enabled))),
        (
            "ViewerCertificate",
            c.viewer_certificate.as_ref().map(viewer_certificate_json),
        ),
        (
            "Restrictions",
            c.restrictions.as_ref().map(|r| {
                obj(vec![(
                    "GeoRestriction",
                    r.geo_restriction.as_ref().map(|g| {
                        let mut v = list(g.quantity, g.items.as_deref(), |x| s(x));
                        if let Value::Object(m) = &mut v {
                            m.shift_insert(
                                0,
                                "RestrictionType".into(),
                                s(g.restriction_type.as_str()),
                            );
                        }
                        v
                    }),
                )])
            }),
        ),
        ("WebACLId", c.web_acl_id.as_deref().map(s)),
        (
            "HttpVersion",
            c.http_version.as_ref().map(|h| s(h.as_str())),
        ),
        ("IsIPV6Enabled", c.is_ipv6_enabled.map(Value::Bool)),
        (
            "ContinuousDeploymentPolicyId",
            c.continuous_deployment_policy_id.as_deref().map(s),
        ),
        ("Staging", c.staging.map(Value::Bool)),
        ("AnycastIpListId", c.anycast_ip_list_id.as_deref().map(s)),
    ])
}

fn origin_json(o: &Origin) -> Value {
    obj(vec![
        ("Id", Some(s(&o.id))),
        ("DomainName", Some(s(&o.domain_name))),
        ("OriginPath", o.origin_path.as_deref().map(s)),
        (
            "CustomHeaders",
            o.custom_headers.as_ref().map(|h| {
                // The origin-verify secret travels here: masked, never printed.
                list(
                    h.quantity,
                    h.items.as_deref(),
                    |x| json!({"HeaderName": x.header_name, "HeaderValue": MASK}),
                )
            }),
        ),
        (
            "S3OriginConfig",
            o.s3_origin_config.as_ref().map(|c| {
                obj(vec![
                    ("OriginAccessIdentity", Some(s(&c.origin_access_identity))),
                    ("OriginReadTimeout", c.origin_read_timeout.map(|t| json!(t))),
                ])
            }),
        ),
        (
            "CustomOriginConfig",
            o.custom_origin_config.as_ref().map(|c| {
                obj(vec![
                    ("HTTPPort", Some(json!(c.http_port))),
                    ("HTTPSPort", Some(json!(c.https_port))),
                    (
                        "OriginProtocolPolicy",
                        Some(s(c.origin_protocol_policy.as_str())),
                    ),
                    (
                        "OriginSslProtocols",
                        c.origin_ssl_protocols
                            .as_ref()
                            .map(|p| list(p.quantity, Some(&p.items), |x| s(x.as_str()))),
                    ),
                    ("OriginReadTimeout", c.origin_read_timeout.map(|t| json!(t))),
                    (
                        "OriginKeepaliveTimeout",
                        c.origin_keepalive_timeout.map(|t| json!(t)),
                    ),
                    (
                        "IpAddressType",
                        c.ip_address_type.as_ref().map(|t| s(t.as_str())),
                    ),
                ])
            }),
        ),
        (
            "VpcOriginConfig",
            o.vpc_origin_config.as_ref().map(|c| {
                obj(vec![
                    ("VpcOriginId", Some(s(&c.vpc_origin_id))),
                    ("OwnerAccountId", c.owner_account_id.as_deref().map(s)),
                    ("OriginReadTimeout", c.origin_read_timeout.map(|t| json!(t))),
                    (
                        "OriginKeepaliveTimeout",
                        c.origin_keepalive_timeout.map(|t| json!(t)),
                    ),
                ])
            }),
        ),
        (
            "ConnectionAttempts",
            o.connection_attempts.map(|n| json!(n)),
        ),
        ("ConnectionTimeout", o.connection_timeout.map(|n| json!(n))),
        (
            "ResponseCompletionTimeout",
            o.response_completion_timeout.map(|n| json!(n)),
        ),
        (
            "OriginShield",
            o.origin_shield.as_ref().map(|sh| {
                obj(vec![
                    ("Enabled", Some(json!(sh.enabled))),
                    (
                        "OriginShieldRegion",
                        sh.origin_shield_region.as_deref().map(s),
                    ),
                ])
            }),
        ),
        (
            "OriginAccessControlId",
            o.origin_access_control_id.as_deref().map(s),
        ),
    ])
}

fn origin_groups_json(g: &OriginGroups) -> Value {
    list(g.quantity, g.items.as_deref(), |group| {
        obj(vec![
            ("Id", Some(s(&group.id))),
            (
                "FailoverCriteria",
                group.failover_criteria.as_ref().map(|f| {
                    obj(vec![(
                        "StatusCodes",
                        f.status_codes
                            .as_ref()
                            .map(|c| list(c.quantity, Some(&c.items), |n| json!(n))),
                    )])
                }),
            ),
            (
                "Members",
                group.members.as_ref().map(|m| {
                    list(
                        m.quantity,
                        Some(&m.items),
                        |x| json!({"OriginId": x.origin_id}),
                    )
                }),
            ),
            (
                "SelectionCriteria",
                group.selection_criteria.as_ref().map(|c| s(c.as_str())),
            ),
        ])
    })
}

fn error_responses_json(r: &CustomErrorResponses) -> Value {
    list(r.quantity, r.items.as_deref(), |e| {
        obj(vec![
            ("ErrorCode", Some(json!(e.error_code))),
            ("ResponsePagePath", e.response_page_path.as_deref().map(s)),
            ("ResponseCode", e.response_code.as_deref().map(s)),
            (
                "ErrorCachingMinTTL",
                e.error_caching_min_ttl.map(|t| json!(t)),
            ),
        ])
    })
}

// Deprecated in the API but still returned for distributions that use them (legacy cache
// settings, old certificate fields): a diff must show what the distribution has.
#[allow(deprecated)]
fn viewer_certificate_json(v: &ViewerCertificate) -> Value {
    obj(vec![
        (
            "CloudFrontDefaultCertificate",
            v.cloud_front_default_certificate.map(Value::Bool),
        ),
        ("IAMCertificateId", v.iam_certificate_id.as_deref().map(s)),
        ("ACMCertificateArn", v.acm_certificate_arn.as_deref().map(s)),
        (
            "SSLSupportMethod",
            v.ssl_support_method.as_ref().map(|m| s(m.as_str())),
        ),
        (
            "MinimumProtocolVersion",
            v.minimum_protocol_version.as_ref().map(|m| s(m.as_str())),
        ),
        ("Certificate", v.certificate.as_deref().map(s)),
        (
            "CertificateSource",
            v.certificate_source.as_ref().map(|c| s(c.as_str())),
        ),
    ])
}

/// The fields of a cache behavior, shared by the default and the path-pattern ones (two
/// SDK types with the same fields).
macro_rules! behavior_fields {
    ($b:expr) => {{
        let b = $b;
        let signers = |enabled: bool, quantity: i32, items: Option<&[String]>| {
            let mut v = list(quantity, items, |x| s(x));
            if let Value::Object(m) = &mut v {
                m.shift_insert(0, "Enabled".into(), json!(enabled));
            }
            v
        };
        vec![
            ("TargetOriginId", Some(s(&b.target_origin_id))),
            (
                "TrustedSigners",
                b.trusted_signers
                    .as_ref()
                    .map(|t| signers(t.enabled, t.quantity, t.items.as_deref())),
            ),
            (
                "TrustedKeyGroups",
                b.trusted_key_groups
                    .as_ref()
                    .map(|t| signers(t.enabled, t.quantity, t.items.as_deref())),
            ),
            ("ViewerProtocolPolicy", Some(s(b.viewer_protocol_policy.as_str()))),
            ("AllowedMethods", b.allowed_methods.as_ref().map(allowed_methods_json)),
            ("SmoothStreaming", b.smooth_streaming.map(Value::Bool)),
            ("Compress", b.compress.map(Value::Bool)),
            (
                "LambdaFunctionAssociations",
                b.lambda_function_associations.as_ref().map(lambda_json),
            ),
            (
                "FunctionAssociations",
                b.function_associations.as_ref().map(functions_json),
            ),
            ("FieldLevelEncryptionId", b.field_level_encryption_id.as_deref().map(s)),
            ("RealtimeLogConfigArn", b.realtime_log_config_arn.as_deref().map(s)),
            ("CachePolicyId", b.cache_policy_id.as_deref().map(s)),
            ("OriginRequestPolicyId", b.origin_request_policy_id.as_deref().map(s)),
            ("ResponseHeadersPolicyId", b.response_headers_policy_id.as_deref().map(s)),
            (
                "GrpcConfig",
                b.grpc_config.as_ref().map(|g| json!({"Enabled": g.enabled})),
            ),
            ("ForwardedValues", b.forwarded_values.as_ref().map(forwarded_json)),
            ("MinTTL", b.min_ttl.map(|t| json!(t))),
            ("DefaultTTL", b.default_ttl.map(|t| json!(t))),
            ("MaxTTL", b.max_ttl.map(|t| json!(t))),
        ]
    }};
}

// Deprecated in the API but still returned for distributions that use them (legacy cache
// settings, old certificate fields): a diff must show what the distribution has.
#[allow(deprecated)]
fn default_behavior_json(b: &DefaultCacheBehavior) -> Value {
    obj(behavior_fields!(b))
}

// Deprecated in the API but still returned for distributions that use them (legacy cache
// settings, old certificate fields): a diff must show what the distribution has.
#[allow(deprecated)]
fn cache_behavior_json(b: &CacheBehavior) -> Value {
    let mut fields = vec![("PathPattern", Some(s(&b.path_pattern)))];
    fields.extend(behavior_fields!(b));
    obj(fields)
}

fn allowed_methods_json(m: &AllowedMethods) -> Value {
    obj(vec![
        ("Quantity", Some(json!(m.quantity))),
        (
            "Items",
            Some(Value::Array(
                m.items.iter().map(|x| s(x.as_str())).collect(),
            )),
        ),
        (
            "CachedMethods",
            m.cached_methods
                .as_ref()
                .map(|c| list(c.quantity, Some(&c.items), |x| s(x.as_str()))),
        ),
    ])
}

fn lambda_json(l: &LambdaFunctionAssociations) -> Value {
    list(l.quantity, l.items.as_deref(), |a| {
        obj(vec![
            ("LambdaFunctionARN", Some(s(&a.lambda_function_arn))),
            ("EventType", Some(s(a.event_type.as_str()))),
            ("IncludeBody", a.include_body.map(Value::Bool)),
        ])
    })
}

fn functions_json(f: &FunctionAssociations) -> Value {
    list(
        f.quantity,
        f.items.as_deref(),
        |a| json!({"FunctionARN": a.function_arn, "EventType": a.event_type.as_str()}),
    )
}

fn forwarded_json(f: &ForwardedValues) -> Value {
    let names = |q: i32, items: Option<&[String]>| list(q, items, |x| s(x));
    obj(vec![
        ("QueryString", Some(json!(f.query_string))),
        (
            "Cookies",
            f.cookies.as_ref().map(|c| {
                obj(vec![
                    ("Forward", Some(s(c.forward.as_str()))),
                    (
                        "WhitelistedNames",
                        c.whitelisted_names
                            .as_ref()
                            .map(|n| names(n.quantity, n.items.as_deref())),
                    ),
                ])
            }),
        ),
        (
            "Headers",
            f.headers
                .as_ref()
                .map(|h| names(h.quantity, h.items.as_deref())),
        ),
        (
            "QueryStringCacheKeys",
            f.query_string_cache_keys
                .as_ref()
                .map(|k| names(k.quantity, k.items.as_deref())),
        ),
    ])
}

/// The changed values between two API-shaped documents, deepest path that still says what
/// changed: objects field by field, lists element by element when their length is kept,
/// else the whole list.
pub fn changes(before: &Value, after: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    collect(String::new(), before, after, &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn collect(path: String, before: &Value, after: &Value, out: &mut Vec<Change>) {
    match (before, after) {
        _ if before == after => {}
        (Value::Object(b), Value::Object(a)) => {
            for (key, bv) in b {
                collect(
                    join(&path, key),
                    bv,
                    a.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
            for (key, av) in a.iter().filter(|(k, _)| !b.contains_key(*k)) {
                collect(join(&path, key), &Value::Null, av, out);
            }
        }
        (Value::Array(b), Value::Array(a)) if b.len() == a.len() => {
            for (i, (bv, av)) in b.iter().zip(a).enumerate() {
                collect(format!("{path}[{i}]"), bv, av, out);
            }
        }
        _ => out.push(Change {
            path,
            before: before.clone(),
            after: after.clone(),
        }),
    }
}

/// A unified diff of two API-shaped documents (pretty JSON, two-space indent), only the
/// changed lines with [`CONTEXT_LINES`] of context; each hunk header names the path of its
/// first change. `color`: ANSI red/green/cyan, for a terminal only.
pub fn unified(before: &Value, after: &Value, color: bool) -> String {
    let old = pretty(before);
    let new = pretty(after);
    let old_paths = line_paths(&old);
    let new_paths = line_paths(&new);
    let diff = similar::TextDiff::from_lines(&old, &new);
    let paint = |code: &str, line: &str| {
        if color {
            format!("\x1b[{code}m{line}\x1b[0m\n")
        } else {
            format!("{line}\n")
        }
    };
    let mut out = String::new();
    out.push_str(&paint("1", "--- current"));
    out.push_str(&paint("1", "+++ planned"));
    for group in diff.grouped_ops(CONTEXT_LINES) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (old_range, new_range) = (
            first.old_range().start..last.old_range().end,
            first.new_range().start..last.new_range().end,
        );
        let label = group
            .iter()
            .find(|op| op.tag() != similar::DiffTag::Equal)
            .and_then(|op| {
                if op.new_range().is_empty() {
                    old_paths.get(op.old_range().start)
                } else {
                    new_paths.get(op.new_range().start)
                }
            })
            .cloned()
            .unwrap_or_default();
        out.push_str(&paint(
            "36",
            &format!(
                "@@ -{},{} +{},{} @@ {label}",
                old_range.start + 1,
                old_range.len(),
                new_range.start + 1,
                new_range.len()
            ),
        ));
        for op in &group {
            for change in diff.iter_changes(op) {
                let line = change.value().trim_end_matches('\n');
                match change.tag() {
                    similar::ChangeTag::Delete => out.push_str(&paint("31", &format!("-{line}"))),
                    similar::ChangeTag::Insert => out.push_str(&paint("32", &format!("+{line}"))),
                    similar::ChangeTag::Equal => out.push_str(&format!(" {line}\n")),
                }
            }
        }
    }
    out
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// For each line of a pretty-printed JSON document, the path of the value it opens, holds
/// or closes (`DefaultCacheBehavior.LambdaFunctionAssociations.Items[1]`): the hunk labels.
fn line_paths(text: &str) -> Vec<String> {
    // (segment, next index when the container is an array)
    let mut stack: Vec<(String, Option<usize>)> = Vec::new();
    let render = |stack: &[(String, Option<usize>)], extra: Option<String>| {
        let mut path = String::new();
        for seg in stack.iter().map(|(s, _)| s.clone()).chain(extra) {
            if seg.starts_with('[') || path.is_empty() {
                path.push_str(&seg);
            } else {
                path.push('.');
                path.push_str(&seg);
            }
        }
        path
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim().trim_end_matches(',');
        let opens = t.ends_with('{') || t.ends_with('[');
        let as_array = t.ends_with('[').then_some(0);
        if t.starts_with('}') || t.starts_with(']') {
            out.push(render(&stack, None));
            stack.pop();
            if let Some((_, Some(next))) = stack.last_mut() {
                *next += 1;
            }
            continue;
        }
        let segment = match t.strip_prefix('"').and_then(|r| r.split_once("\": ")) {
            Some((key, _)) => key.to_owned(),
            None => match stack.last_mut() {
                Some((_, Some(next))) => {
                    let seg = format!("[{next}]");
                    if !opens {
                        *next += 1;
                    }
                    seg
                }
                _ => String::new(),
            },
        };
        out.push(render(
            &stack,
            Some(segment.clone()).filter(|s| !s.is_empty()),
        ));
        if opens && !(stack.is_empty() && segment.is_empty()) {
            stack.push((segment, as_array));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use aws_sdk_cloudfront::types::{
        CustomHeaders, CustomOriginConfig, EventType, LambdaFunctionAssociation, Method,
        OriginCustomHeader, OriginProtocolPolicy, Origins, ViewerProtocolPolicy,
    };

    use super::*;

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:edgekit-forwarded-proto:3";

    fn config(assocs: &[&str]) -> DistributionConfig {
        let items: Vec<LambdaFunctionAssociation> = assocs
            .iter()
            .map(|arn| {
                LambdaFunctionAssociation::builder()
                    .lambda_function_arn(*arn)
                    .event_type(EventType::OriginRequest)
                    .include_body(false)
                    .build()
                    .unwrap()
            })
            .collect();
        let header = OriginCustomHeader::builder()
            .header_name("X-Origin-Verify")
            .header_value("s3cr3t-value-never-shown")
            .build()
            .unwrap();
        let origin = Origin::builder()
            .id("alb")
            .domain_name("alb.example.com")
            .custom_headers(
                CustomHeaders::builder()
                    .quantity(1)
                    .items(header)
                    .build()
                    .unwrap(),
            )
            .custom_origin_config(
                CustomOriginConfig::builder()
                    .http_port(80)
                    .https_port(443)
                    .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                    .origin_read_timeout(60)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let behavior = DefaultCacheBehavior::builder()
            .target_origin_id("alb")
            .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
            .allowed_methods(
                AllowedMethods::builder()
                    .quantity(2)
                    .items(Method::Get)
                    .items(Method::Head)
                    .build()
                    .unwrap(),
            )
            .lambda_function_associations(
                LambdaFunctionAssociations::builder()
                    .quantity(items.len() as i32)
                    .set_items((!items.is_empty()).then_some(items))
                    .build()
                    .unwrap(),
            )
            .cache_policy_id("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
            .build()
            .unwrap();
        DistributionConfig::builder()
            .caller_reference("edgekit-test")
            .comment("edgekit:test:registry")
            .enabled(true)
            .origins(
                Origins::builder()
                    .quantity(1)
                    .items(origin)
                    .build()
                    .unwrap(),
            )
            .default_cache_behavior(behavior)
            .build()
            .unwrap()
    }

    #[test]
    fn the_shape_is_the_apis_pascal_case_with_quantity_and_items() {
        let v = config_json(&config(&[ARN]));
        let assocs = &v["DefaultCacheBehavior"]["LambdaFunctionAssociations"];
        assert_eq!(assocs["Quantity"], 1);
        assert_eq!(assocs["Items"][0]["LambdaFunctionARN"], ARN);
        assert_eq!(assocs["Items"][0]["EventType"], "origin-request");
        assert_eq!(assocs["Items"][0]["IncludeBody"], false);
        assert_eq!(
            v["Origins"]["Items"][0]["CustomOriginConfig"]["HTTPSPort"],
            443
        );
        assert_eq!(
            v["DefaultCacheBehavior"]["AllowedMethods"]["Items"],
            json!(["GET", "HEAD"])
        );
        assert_eq!(v["Enabled"], true);
        // Quantity 0 has no Items, as the API answers.
        let empty = config_json(&config(&[]));
        assert_eq!(
            empty["DefaultCacheBehavior"]["LambdaFunctionAssociations"],
            json!({"Quantity": 0})
        );
    }

    #[test]
    fn secrets_are_masked() {
        let v = config_json(&config(&[]));
        let text = v.to_string();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert_eq!(
            v["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"],
            MASK
        );
    }

    #[test]
    fn changes_name_the_paths_that_changed() {
        let before = config_json(&config(&[]));
        let after = config_json(&config(&[ARN]));
        let changes = changes(&before, &after);
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "DefaultCacheBehavior.LambdaFunctionAssociations.Quantity",
                "DefaultCacheBehavior.LambdaFunctionAssociations.Items"
            ]
        );
        assert_eq!(changes[0].before, 0);
        assert_eq!(changes[1].before, Value::Null);
        assert_eq!(changes[1].after[0]["LambdaFunctionARN"], ARN);
    }

    #[test]
    fn the_diff_shows_only_the_change_with_context() {
        let before = config_json(&config(&[]));
        let after = config_json(&config(&[ARN]));
        let diff = unified(&before, &after, false);
        assert!(diff.starts_with("--- current\n+++ planned\n@@ "), "{diff}");
        assert!(
            diff.contains("@@ DefaultCacheBehavior.LambdaFunctionAssociations"),
            "{diff}"
        );
        assert!(diff.contains("-      \"Quantity\": 0\n"), "{diff}");
        assert!(diff.contains("+      \"Quantity\": 1,\n"), "{diff}");
        assert!(
            diff.contains(&format!("+          \"LambdaFunctionARN\": \"{ARN}\",")),
            "{diff}"
        );
        assert!(
            !diff.contains("CallerReference"),
            "not the whole document: {diff}"
        );
        assert!(!diff.contains('\x1b'), "no colour off a terminal");
        assert!(unified(&before, &after, true).contains("\x1b[32m+"));
    }

    #[test]
    fn line_paths_follow_objects_and_arrays() {
        let text = pretty(&json!({"A": {"Items": [{"X": 1}, 2]}, "B": 3}));
        let paths = line_paths(&text);
        let lines: Vec<&str> = text.lines().collect();
        let at =
            |needle: &str| paths[lines.iter().position(|l| l.contains(needle)).unwrap()].clone();
        assert_eq!(at("\"X\""), "A.Items[0].X");
        assert_eq!(at("      2"), "A.Items[1]");
        assert_eq!(at("\"B\""), "B");
    }
}
