//! A distribution config in the CloudFront API's own JSON shape (PascalCase names,
//! `Quantity`/`Items` lists, absent fields left out — what `aws cloudfront
//! get-distribution-config` prints), built from the SDK's types. Origin custom header values
//! (the origin-verify secret) are masked.

use serde_json::{Map, Value, json};

use aws_sdk_cloudfront::types::{
    AllowedMethods, CacheBehavior, CustomErrorResponses, DefaultCacheBehavior, DistributionConfig,
    ForwardedValues, FunctionAssociations, LambdaFunctionAssociations, Origin, OriginGroups,
    ViewerCertificate,
};

use super::diff::MASK;

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
