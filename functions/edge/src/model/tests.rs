//! Differential tests: the hand-written serde impls against the serde derives (with
//! `#[serde(flatten)]`) they replaced, on every fixture and on systematic mutations of them.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{BodyEncoding, CloudFrontEvent, EventType, Extra, Response};
use crate::headers::Headers;

/// The model as it was, with serde's derives.
mod legacy {
    use super::{BodyEncoding, EventType, Extra, Headers};
    use serde::{Deserialize, Serialize};

    /// Same name as the real one: serde's untagged error message names the enum.
    #[allow(clippy::large_enum_variant)]
    #[derive(Debug, Serialize, Deserialize)]
    #[serde(untagged)]
    pub enum EdgeResult {
        Request(Request),
        Response(Response),
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct CloudFrontEvent {
        #[serde(rename = "Records")]
        pub records: Vec<Record>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Record {
        pub cf: Cf,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Cf {
        pub config: CfConfig,
        pub request: Request,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub response: Option<Response>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct CfConfig {
        pub distribution_domain_name: String,
        pub distribution_id: String,
        pub event_type: EventType,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub request_id: Option<String>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Request {
        pub client_ip: String,
        #[serde(default)]
        pub headers: Headers,
        pub method: String,
        #[serde(default)]
        pub querystring: String,
        pub uri: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub origin: Option<Origin>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub body: Option<Body>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Origin {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub custom: Option<CustomOrigin>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub s3: Option<S3Origin>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct CustomOrigin {
        #[serde(default)]
        pub custom_headers: Headers,
        pub domain_name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub keepalive_timeout: Option<u32>,
        #[serde(default)]
        pub path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub port: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub protocol: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub read_timeout: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ssl_protocols: Option<Vec<String>>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct S3Origin {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub auth_method: Option<String>,
        #[serde(default)]
        pub custom_headers: Headers,
        pub domain_name: String,
        #[serde(default)]
        pub path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub region: Option<String>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Body {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub action: Option<String>,
        #[serde(default)]
        pub data: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub encoding: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub input_truncated: Option<bool>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Response {
        pub status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status_description: Option<String>,
        #[serde(default)]
        pub headers: Headers,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub body: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub body_encoding: Option<BodyEncoding>,
        #[serde(flatten)]
        pub extra: Extra,
    }
}

/// Parse outcome in a comparable form: the re-serialised JSON (compact and pretty), or the
/// error (`serde_json`'s message with its position, and `serde_path_to_error`'s path).
fn outcome<T: DeserializeOwned + Serialize>(json: &str) -> Result<(String, String), String> {
    match serde_json::from_str::<T>(json) {
        Ok(value) => Ok((
            serde_json::to_string(&value).unwrap(),
            serde_json::to_string_pretty(&value).unwrap(),
        )),
        Err(plain) => {
            let deserializer = &mut serde_json::Deserializer::from_str(json);
            // (Path tracking does not check for trailing characters: it may accept.)
            let tracked = match serde_path_to_error::deserialize::<_, T>(deserializer) {
                Ok(value) => serde_json::to_string(&value).unwrap(),
                Err(err) => {
                    let path = err.path().to_string();
                    format!("{path} :: {}", err.into_inner())
                }
            };
            Err(format!("{plain} || {tracked}"))
        }
    }
}

/// Whether the new impls and the derives agree on `json`; returns whether it parsed.
fn assert_same<New, Old>(json: &str) -> bool
where
    New: DeserializeOwned + Serialize,
    Old: DeserializeOwned + Serialize,
{
    let new = outcome::<New>(json);
    assert_eq!(new, outcome::<Old>(json), "input: {json}");
    new.is_ok()
}

fn fixtures() -> Vec<(PathBuf, String)> {
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let mut paths: Vec<_> = std::fs::read_dir(&events)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            path.is_file() && name.ends_with(".json") && !name.starts_with("config-")
        })
        .collect();
    paths.sort();
    assert!(
        paths.len() > 10,
        "fixtures not found in {}",
        events.display()
    );
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect()
}

/// Every variant of `value` with one object member removed, replaced by a value of
/// another JSON type, or joined by an unknown member.
fn mutations(value: &Value) -> Vec<Value> {
    let replacements = [
        Value::Null,
        Value::Bool(true),
        serde_json::json!(7),
        serde_json::json!(-1),
        serde_json::json!(1.5),
        serde_json::json!("x"),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!([{"value": "v"}]),
    ];
    let mut out = Vec::new();
    match value {
        Value::Object(map) => {
            let mut added = map.clone();
            added.insert("zzUnknown".into(), serde_json::json!({"a": [1, null]}));
            out.push(Value::Object(added));
            for (key, child) in map {
                let mut removed = map.clone();
                removed.shift_remove(key);
                out.push(Value::Object(removed));
                for replacement in &replacements {
                    let mut replaced = map.clone();
                    replaced.insert(key.clone(), replacement.clone());
                    out.push(Value::Object(replaced));
                }
                for mutated in mutations(child) {
                    let mut nested = map.clone();
                    nested.insert(key.clone(), mutated);
                    out.push(Value::Object(nested));
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                for mutated in mutations(child) {
                    let mut nested = items.clone();
                    nested[index] = mutated;
                    out.push(Value::Array(nested));
                }
            }
        }
        _ => {}
    }
    out
}

#[test]
fn every_fixture_parses_and_serialises_as_the_derives_did() {
    let mut parsed = 0;
    for (_path, text) in fixtures() {
        // (Some fixtures are other events, e.g. the canary's: compared all the same.)
        parsed += usize::from(assert_same::<CloudFrontEvent, legacy::CloudFrontEvent>(
            &text,
        ));
    }
    assert!(parsed > 10, "only {parsed} fixtures are CloudFront events");
}

/// An event with the parts no fixture has: an S3 origin and an "include body" body.
const S3_WITH_BODY: &str = r#"{"Records":[{"cf":{"config":{"distributionDomainName":"d111111abcdef8.cloudfront.net","distributionId":"EDFDVBD6EXAMPLE","eventType":"origin-request","requestId":"4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="},"request":{"body":{"action":"read-only","data":"eyJ1c2VybmFtZSI6IkxhbWJkYUBFZGdlIn0=","encoding":"base64","inputTruncated":false},"clientIp":"203.0.113.178","headers":{"host":[{"key":"Host","value":"bucket.s3.amazonaws.com"}]},"method":"POST","origin":{"s3":{"authMethod":"origin-access-identity","customHeaders":{"x-a":[{"key":"X-A","value":"1"}]},"domainName":"bucket.s3.amazonaws.com","path":"/p","region":"us-east-1"}},"querystring":"","uri":"/"}}}]}"#;

/// The distinct object shapes (member paths, header names ignored) among the fixtures:
/// mutating one event per shape covers them all.
fn shape(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let headers = path.ends_with("eaders");
            for (key, child) in map {
                let child_path = format!("{path}.{}", if headers { "*" } else { key });
                out.push(child_path.clone());
                shape(child, &child_path, out);
            }
        }
        Value::Array(items) => {
            for child in items {
                shape(child, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_mutation_of_every_event_shape_gives_the_same_result_or_error() {
    let mut shapes = std::collections::BTreeSet::new();
    let mut checked = 0;
    let texts = fixtures().into_iter().map(|(_, text)| text);
    for text in texts.chain([S3_WITH_BODY.to_owned()]) {
        let value: Value = serde_json::from_str(&text).unwrap();
        let mut signature = Vec::new();
        shape(&value, "", &mut signature);
        signature.sort();
        signature.dedup();
        if serde_json::from_value::<CloudFrontEvent>(value.clone()).is_err()
            || !shapes.insert(signature)
        {
            continue;
        }
        for mutated in mutations(&value) {
            let compact = serde_json::to_string(&mutated).unwrap();
            if !assert_same::<CloudFrontEvent, legacy::CloudFrontEvent>(&compact) {
                // Multi-line input: error lines and columns must match too.
                let pretty = serde_json::to_string_pretty(&mutated).unwrap();
                assert_same::<CloudFrontEvent, legacy::CloudFrontEvent>(&pretty);
            }
            checked += 1;
        }
    }
    assert!(shapes.len() >= 5, "only {} event shapes", shapes.len());
    assert!(checked > 1000, "only {checked} mutations");
}

#[test]
fn duplicates_escapes_and_odd_shapes_match_the_derives() {
    let request = r#""request":{"clientIp":"192.0.2.1","method":"GET","uri":"/"}"#;
    let config = r#""config":{"distributionDomainName":"d","distributionId":"E","eventType":"origin-request"}"#;
    let cases = [
        // Duplicate known field.
        format!(r#"{{"Records":[{{"cf":{{{config},{request},{request}}}}}]}}"#),
        // Duplicate unknown field: first position, last value.
        format!(r#"{{"Records":[{{"cf":{{"x":1,{config},"y":2,"x":3,{request}}}}}]}}"#),
        // Escaped keys (not borrowable) for known and unknown fields.
        format!(
            r#"{{"Rec\u006frds":[{{"cf":{{{config},"r\u0065quest":{{"clientIp":"1","method":"GET","uri":"/","\u00e9x":"\n"}}}}}}]}}"#
        ),
        // Null for optional and defaulted fields.
        format!(
            r#"{{"Records":[{{"cf":{{{config},"request":{{"clientIp":"1","method":"GET","uri":"/","origin":null,"body":null}},"response":null}}}}]}}"#
        ),
        format!(
            r#"{{"Records":[{{"cf":{{{config},"request":{{"clientIp":"1","method":"GET","uri":"/","headers":null}}}}}}]}}"#
        ),
        // Arrays where objects are expected (a flattened struct accepts only maps).
        r#"{"Records":[{"cf":[1,2]}]}"#.to_owned(),
        r#"{"Records":[["x"]]}"#.to_owned(),
        r#"[[]]"#.to_owned(),
        r#"{"Records":[]}"#.to_owned(),
        r#"{}"#.to_owned(),
        r#"{"Records":[{"cf":{}}]}"#.to_owned(),
        // Trailing garbage, truncated input.
        format!(r#"{{"Records":[{{"cf":{{{config},{request}}}}}]}} x"#),
        format!(r#"{{"Records":[{{"cf":{{{config},{request}"#),
        // Big and odd numbers in extras.
        format!(
            r#"{{"Records":[{{"cf":{{{config},{request},"n":[18446744073709551615,-9223372036854775808,1e300,0.1,-0.0]}}}}]}}"#
        ),
    ];
    for case in &cases {
        assert_same::<CloudFrontEvent, legacy::CloudFrontEvent>(case);
    }
}

#[test]
fn generated_responses_and_results_match_the_derives() {
    let cases = [
        r#"{"status":"200"}"#,
        r#"{"status":"302","statusDescription":"Found","headers":{"location":[{"key":"Location","value":"/"}]},"body":"x","bodyEncoding":"text","z":{}}"#,
        r#"{"status":"200","bodyEncoding":"gzip"}"#,
        r#"{"status":200}"#,
        r#"{"statusDescription":"x"}"#,
    ];
    for case in cases {
        assert_same::<Response, legacy::Response>(case);
        assert_same::<super::EdgeResult, legacy::EdgeResult>(case);
    }
    let request = r#"{"clientIp":"1","method":"GET","uri":"/","querystring":"a=1","x":[1]}"#;
    assert_same::<super::EdgeResult, legacy::EdgeResult>(request);
}

#[test]
fn an_empty_extra_and_defaults_serialise_like_the_derives() {
    let response = Response {
        status: "204".into(),
        status_description: None,
        headers: Headers::new(),
        body: None,
        body_encoding: Some(BodyEncoding::Base64),
        extra: Extra::new(),
    };
    assert_eq!(
        serde_json::to_string(&response).unwrap(),
        r#"{"status":"204","headers":{},"bodyEncoding":"base64"}"#
    );
    let _ = EventType::OriginRequest;
}
