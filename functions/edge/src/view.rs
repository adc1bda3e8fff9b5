//! The compact boundary of the Node.js + wasm host: a *view* of the event in (the fields a
//! function reads), *edits* out (what JS applies to the runtime's own event object).
//!
//! Serialising the whole event to JSON, parsing it into the typed model (extras as
//! `serde_json::Value`) and serialising the whole result back was most of the packaged
//! handler's time per event (figures: `benches/README.md`). The view moves only
//! `cf.config`'s scalars, the request's scalars, its headers and the origin's domain name;
//! the answer is either a generated response or the changes to the request — the same
//! [`EdgeFunction::handle`] decides both, on a request built from the view, and the edits
//! are the difference between that request before and after (so policy stays in one place).
//!
//! The view is exact only for events whose other parts the typed model takes as they are:
//! `index.mjs` sends a view only for such events (one record, no `cf.response`, headers,
//! origin and body of the model's shape with no `null`s and no missing defaults), and this
//! module answers [`ViewAnswer::Full`] whenever it cannot be sure — the view does not parse
//! strictly (a header line with a `null` key or an unknown member, a non-string field), the
//! handler refuses the event (the full path writes the same log line and 500), or the
//! handler changed something edits cannot express (origin, body, unknown fields). The JS
//! side then runs the full path (`respond_json`), so every answer stays the native one.
//!
//! View: a JSON array `[eventType, distributionDomainName, distributionId, requestId,
//! clientIp, method, uri, querystring, customOriginDomain, s3OriginDomain, headerNames,
//! headerLines]` (`null` for an absent optional): `headerNames` is every key of the header
//! map, `headerLines` the line lists of the headers the function declares it reads
//! ([`EdgeFunction::READS_HEADERS`], in that order, `null` when absent; of every name when
//! it declares none). The handler sees the other headers with no lines: it may remove or
//! replace them, which is all the strip lists do.
//!
//! Edits: a JSON object with only what changed — `"d"`: header map keys to delete, `"h"`:
//! header map keys to set (their whole line lists), `"u"`, `"q"`, `"m"`, `"c"`: the new uri,
//! querystring, method, clientIp.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::function::EdgeFunction;
use crate::headers::{HeaderEntry, HeaderMap, Headers};
use crate::model::json::Key;
use crate::model::{
    CfConfig, CloudFrontEvent, CustomOrigin, EdgeResult, Extra, Origin, Request, Response, S3Origin,
};

/// What the view path answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewAnswer {
    /// Edits JSON for the request (JS applies them to the event's own request object).
    Edits(Vec<u8>),
    /// A generated response, JSON (JS returns it as is).
    Response(Vec<u8>),
    /// Not decidable from the view: run the whole event through `respond_json`.
    Full,
}

/// The header lines a view carries: those of `F::READS_HEADERS`, in its order, or of every
/// name (`None`). JS sends `null` for a header that is absent.
fn carried<'a, F: EdgeFunction>(names: &'a [Key<'_>]) -> Vec<&'a str> {
    match F::READS_HEADERS {
        Some(reads) => reads.to_vec(),
        None => names.iter().map(Key::as_str).collect(),
    }
}

/// Runs a view through the function: edits, a generated response, or [`ViewAnswer::Full`].
pub fn respond_view<F: EdgeFunction>(config: &F::Config, view_json: &[u8]) -> ViewAnswer {
    let Ok(view) = serde_json::from_slice::<View<'_>>(view_json) else {
        return ViewAnswer::Full;
    };
    let carried = carried::<F>(&view.names);
    let Some(headers) = headers(&view.names, &carried, view.lines) else {
        return ViewAnswer::Full;
    };
    // Before: the names, and the lines of the carried headers (the others are empty).
    let before = Before {
        names: &view.names,
        lines: carried
            .iter()
            .filter_map(|name| headers.0.get(*name).map(|lines| (*name, lines.clone())))
            .collect(),
        uri: view.uri.clone(),
        querystring: view.querystring.clone(),
        method: view.method.clone(),
        client_ip: view.client_ip.clone(),
        origin: view.origin.clone(),
    };
    let request = Request {
        client_ip: view.client_ip,
        headers,
        method: view.method,
        querystring: view.querystring,
        uri: view.uri,
        origin: view.origin,
        body: None,
        extra: Extra::new(),
    };
    let event = CloudFrontEvent::from_cf(crate::model::Cf {
        config: view.config,
        request,
        response: None,
        extra: Extra::new(),
    });
    match F::handle(config, event) {
        Ok(EdgeResult::Response(response)) => response_json(&response),
        Ok(EdgeResult::Request(after)) => edits_json(&before, &after),
        Err(_) => ViewAnswer::Full,
    }
}

/// The request's header map as the handler sees it: every name, with its lines when they
/// are carried, else none. `None` when the view is inconsistent (a name's lines missing,
/// lines for a name that is not there).
fn headers(
    names: &[Key<'_>],
    carried: &[&str],
    lines: Vec<Option<Vec<StrictLine>>>,
) -> Option<Headers> {
    if lines.len() != carried.len() {
        return None;
    }
    let mut map: HeaderMap = names
        .iter()
        .map(|name| (name.as_str().to_owned(), Vec::new()))
        .collect();
    for (name, lines) in carried.iter().zip(lines) {
        match (map.get_mut(*name), lines) {
            (Some(slot), Some(lines)) => *slot = lines.into_iter().map(|line| line.0).collect(),
            (None, None) => {}
            _ => return None,
        }
    }
    Some(Headers(map))
}

fn response_json(response: &Response) -> ViewAnswer {
    serde_json::to_vec(response).map_or(ViewAnswer::Full, ViewAnswer::Response)
}

/// The request as the view described it, for the diff.
struct Before<'a> {
    names: &'a [Key<'a>],
    /// The carried headers that are present, with their lines.
    lines: Vec<(&'a str, Vec<HeaderEntry>)>,
    uri: String,
    querystring: String,
    method: String,
    client_ip: String,
    origin: Option<Origin>,
}

impl Before<'_> {
    /// Whether `after`'s lines for `name` differ from what the request had (a header whose
    /// lines were not carried is unchanged only while the handler leaves it empty).
    fn differs(&self, name: &str, after: &[HeaderEntry]) -> bool {
        if let Some((_, lines)) = self.lines.iter().find(|(carried, _)| *carried == name) {
            return lines.as_slice() != after;
        }
        !self.names.iter().any(|known| known.as_str() == name) || !after.is_empty()
    }
}

/// The changes from `before` to `after`, or [`ViewAnswer::Full`] when edits cannot say them.
fn edits_json(before: &Before<'_>, after: &Request) -> ViewAnswer {
    if after.origin != before.origin || after.body.is_some() || !after.extra.is_empty() {
        return ViewAnswer::Full;
    }
    let edits = Edits {
        delete: before
            .names
            .iter()
            .map(Key::as_str)
            .filter(|name| !after.headers.0.contains_key(*name))
            .collect(),
        set: HeaderSets(
            after
                .headers
                .0
                .iter()
                .filter(|(name, lines)| before.differs(name, lines))
                .collect(),
        ),
        uri: changed(&after.uri, &before.uri),
        querystring: changed(&after.querystring, &before.querystring),
        method: changed(&after.method, &before.method),
        client_ip: changed(&after.client_ip, &before.client_ip),
    };
    serde_json::to_vec(&edits).map_or(ViewAnswer::Full, ViewAnswer::Edits)
}

/// `after`, when it differs from `before`.
fn changed<'a>(after: &'a str, before: &str) -> Option<&'a str> {
    (after != before).then_some(after)
}

/// The edits JSON (see the module doc).
#[derive(Serialize)]
struct Edits<'a> {
    #[serde(rename = "d", skip_serializing_if = "Vec::is_empty")]
    delete: Vec<&'a str>,
    #[serde(rename = "h", skip_serializing_if = "HeaderSets::is_empty")]
    set: HeaderSets<'a>,
    #[serde(rename = "u", skip_serializing_if = "Option::is_none")]
    uri: Option<&'a str>,
    #[serde(rename = "q", skip_serializing_if = "Option::is_none")]
    querystring: Option<&'a str>,
    #[serde(rename = "m", skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
    #[serde(rename = "c", skip_serializing_if = "Option::is_none")]
    client_ip: Option<&'a str>,
}

/// Header map entries to set, serialised as a JSON object in order.
struct HeaderSets<'a>(Vec<(&'a String, &'a Vec<HeaderEntry>)>);

impl HeaderSets<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for HeaderSets<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, lines) in &self.0 {
            map.serialize_entry(name, lines)?;
        }
        map.end()
    }
}

/// A parsed view (header names borrowed from the view's bytes).
struct View<'de> {
    config: CfConfig,
    client_ip: String,
    method: String,
    uri: String,
    querystring: String,
    origin: Option<Origin>,
    names: Vec<Key<'de>>,
    lines: Vec<Option<Vec<StrictLine>>>,
}

impl<'de> Deserialize<'de> for View<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(ViewVisitor)
    }
}

struct ViewVisitor;

/// The next array element, or an error naming the missing one.
fn element<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(
    seq: &mut A,
    name: &'static str,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::custom(format_args!("view: missing {name}")))
}

impl<'de> Visitor<'de> for ViewVisitor {
    type Value = View<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an edgekit event view (JSON array)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<View<'de>, A::Error> {
        let config = CfConfig {
            event_type: element(&mut seq, "eventType")?,
            distribution_domain_name: element(&mut seq, "distributionDomainName")?,
            distribution_id: element(&mut seq, "distributionId")?,
            request_id: element(&mut seq, "requestId")?,
            extra: Extra::new(),
        };
        let view = View {
            config,
            client_ip: element(&mut seq, "clientIp")?,
            method: element(&mut seq, "method")?,
            uri: element(&mut seq, "uri")?,
            querystring: element(&mut seq, "querystring")?,
            origin: origin(
                element(&mut seq, "custom origin domain")?,
                element(&mut seq, "s3 origin domain")?,
            ),
            names: element(&mut seq, "header names")?,
            lines: element(&mut seq, "header lines")?,
        };
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("view: too many elements"));
        }
        Ok(view)
    }
}

/// The origin as far as the view tells it: its kind and domain name.
fn origin(custom: Option<String>, s3: Option<String>) -> Option<Origin> {
    if custom.is_none() && s3.is_none() {
        return None;
    }
    Some(Origin {
        custom: custom.map(|domain_name| CustomOrigin {
            custom_headers: Headers::new(),
            domain_name,
            keepalive_timeout: None,
            path: String::new(),
            port: None,
            protocol: None,
            read_timeout: None,
            ssl_protocols: None,
            extra: Extra::new(),
        }),
        s3: s3.map(|domain_name| S3Origin {
            auth_method: None,
            custom_headers: Headers::new(),
            domain_name,
            path: String::new(),
            region: None,
            extra: Extra::new(),
        }),
        extra: Extra::new(),
    })
}

/// A header line the model would re-serialise unchanged: an object with `value` (a string)
/// and optionally `key` (a string), nothing else. (The model drops a `null` key and unknown
/// members, which edits could not mirror on the JS object.)
struct StrictLine(HeaderEntry);

impl<'de> Deserialize<'de> for StrictLine {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(LineVisitor)
    }
}

struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = StrictLine;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a header line {key?, value}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrictLine, A::Error> {
        let (mut key, mut value) = (None, None);
        while let Some(name) = map.next_key::<Key<'de>>()? {
            match name.as_str() {
                "key" if key.is_none() => key = Some(map.next_value::<String>()?),
                "value" if value.is_none() => value = Some(map.next_value::<String>()?),
                other => return Err(de::Error::unknown_field(other, &["key", "value"])),
            }
        }
        let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
        Ok(StrictLine(HeaderEntry { key, value }))
    }
}

/// The view of a parsed event, as `index.mjs` builds it from the runtime's object (for
/// native benches, the soak and tests: the JS side is the one that runs in production).
pub fn view_json<F: EdgeFunction>(cf: &crate::model::Cf) -> Result<Vec<u8>, serde_json::Error> {
    let (config, request) = (&cf.config, &cf.request);
    let names: Vec<&String> = request.headers.0.keys().collect();
    let lines: Vec<Option<&Vec<HeaderEntry>>> = match F::READS_HEADERS {
        Some(reads) => reads
            .iter()
            .map(|name| request.headers.0.get(*name))
            .collect(),
        None => request.headers.0.values().map(Some).collect(),
    };
    let origin = request.origin.as_ref();
    serde_json::to_vec(&(
        config.event_type,
        &config.distribution_domain_name,
        &config.distribution_id,
        &config.request_id,
        &request.client_ip,
        &request.method,
        &request.uri,
        &request.querystring,
        origin
            .and_then(|o| o.custom.as_ref())
            .map(|c| &c.domain_name),
        origin.and_then(|o| o.s3.as_ref()).map(|s| &s.domain_name),
        names,
        lines,
    ))
}

/// Applies edits JSON to a request (a JSON object), as `index.mjs` applies them to the
/// runtime's object (for the soak and tests).
pub fn apply_edits(
    request: &mut serde_json::Map<String, serde_json::Value>,
    edits: &[u8],
) -> Result<(), serde_json::Error> {
    let edits: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(edits)?;
    if let Some(serde_json::Value::Object(headers)) = request.get_mut("headers") {
        if let Some(serde_json::Value::Array(names)) = edits.get("d") {
            for name in names.iter().filter_map(serde_json::Value::as_str) {
                headers.shift_remove(name);
            }
        }
        if let Some(serde_json::Value::Object(sets)) = edits.get("h") {
            for (name, lines) in sets {
                headers.insert(name.clone(), lines.clone());
            }
        }
    }
    for (edit, field) in [
        ("u", "uri"),
        ("q", "querystring"),
        ("m", "method"),
        ("c", "clientIp"),
    ] {
        if let Some(value) = edits.get(edit) {
            request.insert(field.to_owned(), value.clone());
        }
    }
    Ok(())
}

/// The result of the view path on an event, as a JSON value: the event's own request with
/// the edits applied, or the generated response; `None` when the event does not parse or
/// the view path hands over to the full path. The event is first normalised by the model
/// (what `index.mjs`'s shape checks guarantee of the events it sends a view for). For
/// tests and the soak: it must equal [`respond_json`](crate::function::respond_json)'s
/// result whenever it is `Some`.
pub fn result_via_view<F: EdgeFunction>(
    config: &F::Config,
    event_json: &[u8],
) -> Option<serde_json::Value> {
    let event: CloudFrontEvent = serde_json::from_slice(event_json).ok()?;
    let view = view_json::<F>(event.cf().ok()?).ok()?;
    match respond_view::<F>(config, &view) {
        ViewAnswer::Full => None,
        ViewAnswer::Response(json) => serde_json::from_slice(&json).ok(),
        ViewAnswer::Edits(edits) => {
            let cf = event.into_cf().ok()?;
            let serde_json::Value::Object(mut request) = serde_json::to_value(&cf.request).ok()?
            else {
                return None;
            };
            apply_edits(&mut request, &edits).ok()?;
            Some(serde_json::Value::Object(request))
        }
    }
}
