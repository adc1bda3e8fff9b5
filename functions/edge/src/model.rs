//! Typed Lambda@Edge events (all four event types) and the results a function returns.
//!
//! Shapes from the AWS CloudFront Developer Guide, "Lambda@Edge event structure" and
//! "Generate HTTP responses in request triggers". Every struct keeps the fields it does not
//! model in `extra`, so `event → struct → JSON` loses nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::EdgeError;
use crate::headers::Headers;

/// Unknown fields, kept verbatim for a lossless round trip.
pub type Extra = Map<String, Value>;

/// The event Lambda@Edge passes to a function: `{"Records": [{"cf": {...}}]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudFrontEvent {
    #[serde(rename = "Records")]
    pub records: Vec<Record>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One record; Lambda@Edge always sends exactly one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub cf: Cf,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `cf` object: config, request and (for response triggers) the response.
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

/// Which trigger invoked the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventType {
    ViewerRequest,
    OriginRequest,
    OriginResponse,
    ViewerResponse,
}

impl EventType {
    /// The name CloudFront uses (`origin-request`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewerRequest => "viewer-request",
            Self::OriginRequest => "origin-request",
            Self::OriginResponse => "origin-response",
            Self::ViewerResponse => "viewer-response",
        }
    }

    /// Request triggers may return a request or a generated response.
    pub fn is_request_trigger(self) -> bool {
        matches!(self, Self::ViewerRequest | Self::OriginRequest)
    }

    /// Viewer triggers have the tighter quotas (128 MB, 5 s, 1 MB package, 40 KB response).
    pub fn is_viewer_trigger(self) -> bool {
        matches!(self, Self::ViewerRequest | Self::ViewerResponse)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `cf.config`.
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

/// `cf.request`: the viewer's request as CloudFront forwards it (or will forward it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// Read-only. [Lambda@Edge event structure: "clientIp (read-only)"]
    pub client_ip: String,
    #[serde(default)]
    pub headers: Headers,
    /// Read-only. [Lambda@Edge event structure: "method (read-only)"]
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

/// `request.origin`: exactly one of `custom` or `s3` (origin triggers, and viewer triggers
/// of distributions with one origin).
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

impl Origin {
    /// The origin's domain name, whichever kind it is.
    pub fn domain_name(&self) -> Option<&str> {
        self.custom
            .as_ref()
            .map(|custom| custom.domain_name.as_str())
            .or_else(|| self.s3.as_ref().map(|s3| s3.domain_name.as_str()))
    }
}

/// A custom (HTTP) origin such as an ALB.
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

/// An S3 origin.
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

/// `request.body` when the trigger has "include body" on: base64 or text, truncated at
/// 40 KB (viewer) / 1 MB (origin). [CloudFront quotas, "Quotas on Lambda@Edge"]
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

/// A response: `cf.response` in response triggers, or a response generated by a request
/// trigger. `status` is a string, as in AWS's examples ("Generate HTTP responses in request
/// triggers").
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

/// A response generated by a request trigger (same shape as a response).
pub type GeneratedResponse = Response;

/// `bodyEncoding` of a generated response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyEncoding {
    Text,
    Base64,
}

/// What a function hands back to CloudFront: the (possibly changed) request to forward, or
/// a response (generated in a request trigger, or the changed one in a response trigger).
// Not boxed: a result is built once and moved once per invocation; boxing would only add an
// allocation on the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EdgeResult {
    Request(Request),
    Response(Response),
}

impl CloudFrontEvent {
    /// The single `cf` record. [Lambda@Edge event structure: one record per event]
    pub fn cf(&self) -> Result<&Cf, EdgeError> {
        match self.records.as_slice() {
            [record] => Ok(&record.cf),
            [] => Err(EdgeError::MalformedEvent("Records is empty".into())),
            _ => Err(EdgeError::MalformedEvent(format!(
                "Records has {} entries; Lambda@Edge sends exactly one",
                self.records.len()
            ))),
        }
    }

    /// Takes the single `cf` record by value.
    pub fn into_cf(self) -> Result<Cf, EdgeError> {
        self.cf()?;
        self.records
            .into_iter()
            .next()
            .map(|record| record.cf)
            .ok_or_else(|| EdgeError::MalformedEvent("Records is empty".into()))
    }

    /// Wraps a `cf` record into an event (used by the emulator).
    pub fn from_cf(cf: Cf) -> Self {
        Self {
            records: vec![Record {
                cf,
                extra: Extra::new(),
            }],
            extra: Extra::new(),
        }
    }
}

impl Cf {
    /// Errors unless the event is of the given type.
    pub fn expect_event_type(&self, expected: EventType) -> Result<(), EdgeError> {
        if self.config.event_type == expected {
            Ok(())
        } else {
            Err(EdgeError::WrongEventType {
                expected: expected.to_string(),
                actual: self.config.event_type.to_string(),
            })
        }
    }
}

impl Request {
    /// The viewer's `Host` header, if any.
    pub fn host(&self) -> Option<&str> {
        self.headers.first("host")
    }
}
