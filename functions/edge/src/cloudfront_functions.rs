//! The CloudFront Functions (cloudfront-js-2.0) viewer-request event and result shapes, the
//! runtime's rules as cited data beside the Lambda@Edge ones (`rules.rs`), and
//! [`validate_viewer_request_result`].
//!
//! Shapes from the AWS CloudFront Developer Guide, "CloudFront Functions event structure";
//! every fact and its source is listed in `docs/cloudfront-functions.md`. Differences from
//! Lambda@Edge that matter here: headers, cookies and query string are objects keyed by
//! lowercase name with `{value, multiValue}` entries, the viewer's address is `viewer.ip`,
//! there is no protocol field, and a generated response has a numeric `statusCode`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod convert;
pub mod rules;

pub use rules::{CffRule, CffViolation, validate_viewer_request_result};

/// The event a cloudfront-js-2.0 function receives (`handler(event)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CffEvent {
    /// `"1.0"` in every documented example.
    pub version: String,
    pub context: CffContext,
    pub viewer: CffViewer,
    pub request: CffRequest,
    /// Present only in viewer-response events; edgekit's functions run at viewer-request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<serde_json::Value>,
}

/// `event.context`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CffContext {
    #[serde(default)]
    pub distribution_domain_name: String,
    #[serde(default)]
    pub distribution_id: String,
    /// `viewer-request` or `viewer-response`.
    pub event_type: String,
    #[serde(default)]
    pub request_id: String,
}

/// `event.viewer`: only the viewer's IP address (no protocol, no port).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CffViewer {
    pub ip: String,
}

/// `event.request`, and what a handler returns to let the request continue.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CffRequest {
    pub method: String,
    pub uri: String,
    #[serde(default)]
    pub querystring: BTreeMap<String, CffValue>,
    #[serde(default)]
    pub headers: BTreeMap<String, CffValue>,
    #[serde(default)]
    pub cookies: BTreeMap<String, CffValue>,
}

/// One header, cookie or query parameter: `value` is the first (or only) value; a repeated
/// one also lists every value, the first included, in `multiValue`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CffValue {
    pub value: String,
    #[serde(
        default,
        rename = "multiValue",
        skip_serializing_if = "Option::is_none"
    )]
    pub multi_value: Option<Vec<CffValue>>,
}

impl CffValue {
    /// A single value.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            multi_value: None,
        }
    }

    /// Every value, in order: `multiValue` when present, else `value`.
    pub fn values(&self) -> Vec<&str> {
        match &self.multi_value {
            Some(all) if !all.is_empty() => all.iter().map(|v| v.value.as_str()).collect(),
            _ => vec![self.value.as_str()],
        }
    }
}

/// A response cookie (`Set-Cookie`): value plus attributes such as `Path=/; Secure`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CffSetCookie {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<String>,
    #[serde(
        default,
        rename = "multiValue",
        skip_serializing_if = "Option::is_none"
    )]
    pub multi_value: Option<Vec<CffSetCookie>>,
}

/// What a viewer-request handler returns: the (possibly modified) request, or a generated
/// response. A returned object with `statusCode` is a response (that is how CloudFront tells
/// them apart: "CloudFront Functions event structure", "Response object").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CffResult {
    Response(CffResponse),
    Request(CffRequest),
}

/// A generated response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CffResponse {
    /// A number, unlike Lambda@Edge's string `status`.
    pub status_code: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_description: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, CffValue>,
    #[serde(default)]
    pub cookies: BTreeMap<String, CffSetCookie>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<CffBody>,
}

/// A generated response's body: a string, or `{data, encoding}` with `text` or `base64`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CffBody {
    Text(String),
    Encoded {
        data: String,
        encoding: CffBodyEncoding,
    },
}

impl CffBody {
    /// The body's bytes as CloudFront would send them (`None`: invalid base64).
    pub fn bytes(&self) -> Option<Vec<u8>> {
        match self {
            Self::Text(text)
            | Self::Encoded {
                data: text,
                encoding: CffBodyEncoding::Text,
            } => Some(text.as_bytes().to_vec()),
            Self::Encoded {
                data,
                encoding: CffBodyEncoding::Base64,
            } => rules::decode_base64(data),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CffBodyEncoding {
    Text,
    Base64,
}

/// Parses an event (JSON) in the CloudFront Functions shape.
pub fn event_from_json(json: &[u8]) -> Result<CffEvent, serde_json::Error> {
    serde_json::from_slice(json)
}

/// Parses what a handler returned (JSON).
pub fn result_from_json(json: &[u8]) -> Result<CffResult, serde_json::Error> {
    serde_json::from_slice(json)
}
