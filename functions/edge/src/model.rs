//! Typed Lambda@Edge events (all four event types) and the results a function returns.
//!
//! Shapes from the AWS CloudFront Developer Guide, "Lambda@Edge event structure" and
//! "Generate HTTP responses in request triggers". Every struct keeps the fields it does not
//! model in `extra`, so `event → struct → JSON` loses nothing.
//!
//! # Why the open structs do not derive serde with `#[serde(flatten)]`
//!
//! A derived struct with a flattened `extra` map deserialises its keys through serde's
//! private `Content` machinery (every unknown member is buffered as `Content`, then replayed
//! through `FlatMapDeserializer` into the map) and serialises through `FlatMapSerializer`:
//! slow, and a lot of generic code per struct, which V8 compiles lazily on the wasm handler's
//! first call. The `json_object!` macro (module `json`) writes the impls by hand instead: a
//! map visitor that matches the known keys (borrowed from the input, no allocation) and
//! parses the rest straight into `extra` as `serde_json::Value`; serialising writes the known
//! fields in declaration order, then the extras, as the derive did. The JSON semantics are
//! the derive's (listed in `json`), checked against the old derives on every fixture and on
//! every one-member mutation of them (`model/tests.rs`).
//!
//! Measured faster and smaller than the derives: figures and command in `benches/README.md`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::EdgeError;
use crate::headers::Headers;
use json::json_object;

pub(crate) mod json;
#[cfg(test)]
mod tests;

/// Unknown fields, kept verbatim for a lossless round trip.
pub type Extra = Map<String, Value>;

/// The event Lambda@Edge passes to a function: `{"Records": [{"cf": {...}}]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudFrontEvent {
    pub records: Vec<Record>,
    pub extra: Extra,
}

/// One record; Lambda@Edge always sends exactly one.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub cf: Cf,
    pub extra: Extra,
}

/// The `cf` object: config, request and (for response triggers) the response.
#[derive(Debug, Clone, PartialEq)]
pub struct Cf {
    pub config: CfConfig,
    pub request: Request,
    pub response: Option<Response>,
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
    /// All four, in the order CloudFront runs them.
    pub const ALL: [EventType; 4] = [
        Self::ViewerRequest,
        Self::OriginRequest,
        Self::OriginResponse,
        Self::ViewerResponse,
    ];

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

impl std::str::FromStr for EventType {
    type Err = EdgeError;

    /// Parses CloudFront's name (`origin-request`, ...).
    fn from_str(name: &str) -> Result<Self, EdgeError> {
        Self::ALL
            .into_iter()
            .find(|event_type| event_type.as_str() == name)
            .ok_or_else(|| EdgeError::MalformedEvent(format!("unknown event type {name:?}")))
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `cf.config`.
#[derive(Debug, Clone, PartialEq)]
pub struct CfConfig {
    pub distribution_domain_name: String,
    pub distribution_id: String,
    pub event_type: EventType,
    pub request_id: Option<String>,
    pub extra: Extra,
}

/// `cf.request`: the viewer's request as CloudFront forwards it (or will forward it).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Read-only. [Lambda@Edge event structure: "clientIp (read-only)"]
    pub client_ip: String,
    pub headers: Headers,
    /// Read-only. [Lambda@Edge event structure: "method (read-only)"]
    pub method: String,
    pub querystring: String,
    pub uri: String,
    pub origin: Option<Origin>,
    pub body: Option<Body>,
    pub extra: Extra,
}

/// `request.origin`: exactly one of `custom` or `s3` (origin triggers, and viewer triggers
/// of distributions with one origin).
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub custom: Option<CustomOrigin>,
    pub s3: Option<S3Origin>,
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
#[derive(Debug, Clone, PartialEq)]
pub struct CustomOrigin {
    pub custom_headers: Headers,
    pub domain_name: String,
    pub keepalive_timeout: Option<u32>,
    pub path: String,
    pub port: Option<u16>,
    pub protocol: Option<String>,
    pub read_timeout: Option<u32>,
    pub ssl_protocols: Option<Vec<String>>,
    pub extra: Extra,
}

/// An S3 origin.
#[derive(Debug, Clone, PartialEq)]
pub struct S3Origin {
    pub auth_method: Option<String>,
    pub custom_headers: Headers,
    pub domain_name: String,
    pub path: String,
    pub region: Option<String>,
    pub extra: Extra,
}

/// `request.body` when the trigger has "include body" on: base64 or text, truncated at
/// 40 KB (viewer) / 1 MB (origin). [CloudFront quotas, "Quotas on Lambda@Edge"]
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub action: Option<String>,
    pub data: String,
    pub encoding: Option<String>,
    pub input_truncated: Option<bool>,
    pub extra: Extra,
}

/// A response: `cf.response` in response triggers, or a response generated by a request
/// trigger. `status` is a string, as in AWS's examples ("Generate HTTP responses in request
/// triggers").
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: String,
    pub status_description: Option<String>,
    pub headers: Headers,
    pub body: Option<String>,
    pub body_encoding: Option<BodyEncoding>,
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

// The JSON names and kinds of every open struct's fields (see `json::json_object!`).
json_object!(CloudFrontEvent {
    records: "Records" required,
});
json_object!(Record {
    cf: "cf" required,
});
json_object!(Cf {
    config: "config" required,
    request: "request" required,
    response: "response" optional,
});
json_object!(CfConfig {
    distribution_domain_name: "distributionDomainName" required,
    distribution_id: "distributionId" required,
    event_type: "eventType" required,
    request_id: "requestId" optional,
});
json_object!(Request {
    client_ip: "clientIp" required,
    headers: "headers" default,
    method: "method" required,
    querystring: "querystring" default,
    uri: "uri" required,
    origin: "origin" optional,
    body: "body" optional,
});
json_object!(Origin {
    custom: "custom" optional,
    s3: "s3" optional,
});
json_object!(CustomOrigin {
    custom_headers: "customHeaders" default,
    domain_name: "domainName" required,
    keepalive_timeout: "keepaliveTimeout" optional,
    path: "path" default,
    port: "port" optional,
    protocol: "protocol" optional,
    read_timeout: "readTimeout" optional,
    ssl_protocols: "sslProtocols" optional,
});
json_object!(S3Origin {
    auth_method: "authMethod" optional,
    custom_headers: "customHeaders" default,
    domain_name: "domainName" required,
    path: "path" default,
    region: "region" optional,
});
json_object!(Body {
    action: "action" optional,
    data: "data" default,
    encoding: "encoding" optional,
    input_truncated: "inputTruncated" optional,
});
json_object!(Response {
    status: "status" required,
    status_description: "statusDescription" optional,
    headers: "headers" default,
    body: "body" optional,
    body_encoding: "bodyEncoding" optional,
});

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

    /// The request of an event of the `expected` type (a function's trigger).
    pub fn into_request_for(self, expected: EventType) -> Result<Request, EdgeError> {
        let cf = self.into_cf()?;
        cf.expect_event_type(expected)?;
        Ok(cf.request)
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
