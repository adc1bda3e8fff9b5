//! A protocol bridge in front of moto for CloudWatch. aws-sdk-cloudwatch (1.140) speaks only
//! Smithy RPC v2 CBOR (`POST /service/GraniteServiceVersion20100801/operation/<Op>`), which
//! moto 5.2.5 does not implement (it speaks CloudWatch's Query and JSON 1.0 protocols:
//! getmoto/moto issue 9195). The bridge turns each CBOR request into the same request in
//! JSON 1.0 for moto and answers in CBOR; every other request passes through unchanged. So
//! CloudWatch calls really land in moto, and a test reads them back with [`cloudwatch_json`].
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use serde_json::{Map, Value};

/// The path prefix of CloudWatch's RPC v2 CBOR operations. [Smithy docs, "RPC v2 CBOR
/// protocol": `POST /service/{serviceName}/operation/{operationName}`]
const CBOR_PREFIX: &str = "/service/GraniteServiceVersion20100801/operation/";

/// The bridge: a loopback listener, one thread per connection, one request per connection.
pub struct CborBridge {
    port: u16,
}

impl CborBridge {
    /// Listens on a free loopback port and forwards to moto on `upstream`.
    pub fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the CBOR bridge");
        let port = listener.local_addr().expect("bridge address").port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || bridge(stream, upstream));
            }
        });
        Self { port }
    }

    /// The endpoint URL to give the SDK or `edgekit --endpoint-url` instead of moto's.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A CloudWatch call to moto in JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`):
/// (status, body). `authorization` only has to name the region in its credential scope.
pub fn cloudwatch_json(
    port: u16,
    operation: &str,
    authorization: &str,
    body: &[u8],
) -> (u16, Vec<u8>) {
    let target = format!("GraniteServiceVersion20100801.{operation}");
    http_post(
        port,
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", &target),
            ("Authorization", authorization),
        ],
        body,
    )
}

/// An `Authorization` header moto accepts for CloudWatch in `region` (it reads the region
/// from the credential scope and does not check the signature).
pub fn cloudwatch_authorization(region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/monitoring/aws4_request, SignedHeaders=host, Signature=0"
    )
}

/// A blocking HTTP/1.0 POST to a loopback port (HTTP/1.0: the answer is never chunked):
/// (status, body).
pub fn http_post(port: u16, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to upstream");
    let mut head = format!(
        "POST {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .expect("write request head");
    stream.write_all(body).expect("write request body");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    let (head, body) = split_head(&response).expect("response head");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, body.to_vec())
}

/// The head (as text) and the rest of an HTTP message.
fn split_head(message: &[u8]) -> Option<(String, &[u8])> {
    let end = message.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&message[..end]).into_owned();
    Some((head, &message[end + 4..]))
}

/// One request as the bridge read it (Content-Length bodies only: the SDK sends those).
struct Request {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn read(stream: &mut TcpStream) -> Option<Self> {
        let mut data = Vec::new();
        let mut buf = [0u8; 8192];
        let (head, rest_len) = loop {
            if let Some((head, rest)) = split_head(&data) {
                break (head, rest.len());
            }
            let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
            data.extend_from_slice(&buf[..n]);
        };
        let mut lines = head.split("\r\n");
        let line = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let mut request = Self {
            line,
            headers,
            body: data[data.len() - rest_len..].to_vec(),
        };
        assert!(
            request.header("transfer-encoding").is_none(),
            "the bridge expects Content-Length bodies"
        );
        let length: usize = request
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while request.body.len() < length {
            let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
            request.body.extend_from_slice(&buf[..n]);
        }
        request.body.truncate(length);
        Some(request)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.line.split_whitespace().nth(1).unwrap_or("/")
    }
}

fn bridge(mut client: TcpStream, upstream: u16) {
    let Some(request) = Request::read(&mut client) else {
        return;
    };
    let response = match request.path().strip_prefix(CBOR_PREFIX) {
        Some(operation) => cbor_call(&request, operation, upstream),
        None => pass_through(&request, upstream),
    };
    let _ = client.write_all(&response);
    let _ = client.flush();
}

/// The CBOR request as JSON 1.0 to moto, moto's JSON answer back as CBOR.
fn cbor_call(request: &Request, operation: &str, upstream: u16) -> Vec<u8> {
    let json = if request.body.is_empty() {
        Value::Object(Map::new())
    } else {
        let value: ciborium::Value =
            ciborium::from_reader(&request.body[..]).expect("the SDK sent valid CBOR");
        cbor_to_json(value)
    };
    let (status, answer) = cloudwatch_json(
        upstream,
        operation,
        request.header("authorization").unwrap_or_default(),
        serde_json::to_string(&json).expect("JSON").as_bytes(),
    );
    let answer: Value = serde_json::from_slice(&answer).unwrap_or(Value::Object(Map::new()));
    let mut out = Vec::new();
    ciborium::into_writer(&answer, &mut out).expect("encode CBOR");
    let mut response = format!(
        "HTTP/1.1 {status} X\r\nsmithy-protocol: rpc-v2-cbor\r\nContent-Type: application/cbor\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        out.len()
    )
    .into_bytes();
    response.extend_from_slice(&out);
    response
}

/// CBOR data as JSON: tags (e.g. epoch timestamps) are unwrapped, byte strings read as text
/// (CloudWatch's alarm calls carry none).
fn cbor_to_json(value: ciborium::Value) -> Value {
    use ciborium::Value as Cbor;
    match value {
        Cbor::Integer(i) => {
            let i = i128::from(i);
            u64::try_from(i)
                .map(Value::from)
                .or_else(|_| i64::try_from(i).map(Value::from))
                .unwrap_or(Value::Null)
        }
        Cbor::Float(f) => Value::from(f),
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Null => Value::Null,
        Cbor::Text(s) => Value::String(s),
        Cbor::Bytes(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
        Cbor::Tag(_, inner) => cbor_to_json(*inner),
        Cbor::Array(items) => Value::Array(items.into_iter().map(cbor_to_json).collect()),
        Cbor::Map(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| match cbor_to_json(k) {
                    Value::String(key) => (key, cbor_to_json(v)),
                    other => (other.to_string(), cbor_to_json(v)),
                })
                .collect(),
        ),
        other => panic!("unsupported CBOR value {other:?}"),
    }
}

/// Forwards a request unchanged, and tells both sides not to reuse the connection.
fn pass_through(request: &Request, upstream: u16) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", upstream)).expect("connect to upstream");
    let mut forwarded = format!("{}\r\n", request.line);
    for (k, v) in &request.headers {
        if !k.eq_ignore_ascii_case("connection") {
            forwarded.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    stream
        .write_all(forwarded.as_bytes())
        .expect("forward the head");
    stream.write_all(&request.body).expect("forward the body");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let Some((head, body)) = split_head(&answer) else {
        return answer;
    };
    let mut response = String::new();
    for line in head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            response.push_str(line);
            response.push_str("\r\n");
        }
    }
    response.push_str("Connection: close\r\n\r\n");
    let mut response = response.into_bytes();
    response.extend_from_slice(body);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbor_maps_tags_and_numbers_become_json() {
        let cbor = ciborium::Value::Map(vec![
            (
                ciborium::Value::Text("Threshold".into()),
                ciborium::Value::Float(1.5),
            ),
            (
                ciborium::Value::Text("Period".into()),
                ciborium::Value::Integer(60.into()),
            ),
            (
                ciborium::Value::Text("Delta".into()),
                ciborium::Value::Integer((-3).into()),
            ),
            (
                ciborium::Value::Text("At".into()),
                ciborium::Value::Tag(1, Box::new(ciborium::Value::Float(1.0e9))),
            ),
        ]);
        assert_eq!(
            cbor_to_json(cbor),
            serde_json::json!({"Threshold": 1.5, "Period": 60, "Delta": -3, "At": 1.0e9})
        );
    }

    #[test]
    fn json_round_trips_through_cbor() {
        let json = serde_json::json!({"A": [1, "x", true, null], "B": {"C": 2.25}});
        let mut out = Vec::new();
        ciborium::into_writer(&json, &mut out).unwrap();
        let back: ciborium::Value = ciborium::from_reader(&out[..]).unwrap();
        assert_eq!(cbor_to_json(back), json);
    }
}
