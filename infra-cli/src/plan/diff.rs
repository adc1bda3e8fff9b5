//! Plans as a user reads them: a distribution config in the CloudFront API's own JSON shape
//! (PascalCase names, `Quantity`/`Items` lists — what `aws cloudfront get-distribution-config`
//! prints), the list of changed paths, and a unified diff of only the changed part.
//!
//! Pure: no I/O; colouring is the caller's decision. Origin custom header values (the
//! origin-verify secret) are masked before anything is compared or printed.
use serde::Serialize;
use serde_json::Value;

pub use super::api_json::config_json;

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
        AllowedMethods, CustomHeaders, CustomOriginConfig, DefaultCacheBehavior,
        DistributionConfig, EventType, LambdaFunctionAssociation, LambdaFunctionAssociations,
        Method, Origin, OriginCustomHeader, OriginProtocolPolicy, Origins, ViewerProtocolPolicy,
    };
    use serde_json::json;

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
