//! The functions a distribution runs: our Rust functions in-process through the
//! [`edge::EdgeFunction`] core (the same one the native and wasm builds use), or a user's
//! Node.js Lambda@Edge handler (`.mjs`/`.js` exporting `handler`) run by a persistent `node`
//! child through a JSON-lines bridge.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use edge::{CloudFrontEvent, EdgeFunction, EdgeResult, EventType};
use serde::Deserialize;

use super::DevError;
use super::node_child::{NodeChild, RestartingChild};
use crate::functions::{Configured, configured};

/// The bridge: loads the handler module, answers one JSON line per event line. Handlers may
/// be async or callback style (Lambda Node.js runtime, "Define Lambda function handler in
/// Node.js"). `console.log` goes to stderr so it cannot corrupt the protocol.
const BRIDGE_JS: &str = r#"import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
const log = (...args) => process.stderr.write(format(...args) + '\n');
console.log = log; console.info = log; console.debug = log;
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const mod = await import(pathToFileURL(process.argv[2]).href);
const handler = typeof mod.handler === 'function' ? mod.handler : mod.default?.handler;
if (typeof handler !== 'function') {
  out({ ok: false, fatal: true, error: `${process.argv[2]} exports no handler function` });
  process.exit(3);
}
out({ ok: true, ready: true });
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  try {
    const event = JSON.parse(line);
    const context = { functionName: 'edgekit-dev', functionVersion: '1', awsRequestId: event.Records?.[0]?.cf?.config?.requestId ?? '' };
    const result = await new Promise((resolve, reject) => {
      const callback = (err, value) => (err ? reject(err) : resolve(value));
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    });
    out({ ok: true, json: result === undefined ? null : JSON.stringify(result) });
  } catch (err) {
    out({ ok: false, error: String((err && err.stack) || err) });
  }
}
"#;

/// One reply line from the bridge.
#[derive(Debug, Deserialize)]
struct BridgeReply {
    ok: bool,
    #[serde(default)]
    json: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    fatal: bool,
}

/// Why a function produced no usable result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionFailure {
    /// The function threw, timed out or crashed: CloudFront's LambdaExecutionError.
    Execution(String),
    /// The function returned something that is not a request or response: CloudFront's
    /// LambdaValidationError ("The Lambda function returned invalid JSON").
    InvalidResult(String),
}

/// A function attached to one trigger.
#[derive(Clone)]
pub enum EdgeHandler {
    /// One of our functions, in-process (the registry's native handler).
    Native(Arc<dyn Configured>),
    Node(Arc<NodeFunction>),
}

impl EdgeHandler {
    /// One of our functions with its checked config.
    pub fn native<F: EdgeFunction + 'static>(config: F::Config) -> Self {
        Self::Native(configured::<F>(config))
    }

    /// The name in log lines.
    pub fn name(&self) -> String {
        match self {
            Self::Native(function) => function.name().to_owned(),
            Self::Node(node) => node.name.clone(),
        }
    }

    /// Runs the function on an event. Our functions answer by the one failure policy (a
    /// refusal is a generated 500 and a log line, as in every host); a Node handler that
    /// throws or returns garbage fails as CloudFront reports it.
    pub async fn run(&self, event: CloudFrontEvent) -> Result<EdgeResult, FunctionFailure> {
        match self {
            Self::Native(function) => {
                let answer = function.respond(event);
                if let Some(line) = answer.log {
                    tracing::warn!("{line}");
                }
                Ok(answer.result)
            }
            Self::Node(node) => node.invoke(&event).await,
        }
    }
}

/// Function timeouts: viewer triggers 5 s, origin triggers up to 30 s.
/// [CloudFront Developer Guide, "Quotas on Lambda@Edge"]
pub fn timeout_for(event_type: EventType) -> Duration {
    if event_type.is_viewer_trigger() {
        Duration::from_secs(5)
    } else {
        Duration::from_secs(30)
    }
}

/// A user's Node.js handler, run by one persistent `node` process (one event at a time).
pub struct NodeFunction {
    pub name: String,
    node: PathBuf,
    bridge: PathBuf,
    handler: PathBuf,
    timeout: Duration,
    process: RestartingChild,
}

impl NodeFunction {
    /// Writes the bridge next to the other temp files and starts `node` once to check that the
    /// module loads and exports a handler.
    pub async fn start(
        node: &Path,
        handler: &Path,
        event_type: EventType,
        work_dir: &Path,
    ) -> Result<Self, DevError> {
        let bridge = work_dir.join("edgekit-dev-bridge.mjs");
        std::fs::write(&bridge, BRIDGE_JS)?;
        let name = format!(
            "{} ({})",
            handler.file_name().map_or_else(
                || handler.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            ),
            event_type
        );
        let function = Self {
            name,
            node: node.to_path_buf(),
            bridge,
            handler: handler.to_path_buf(),
            timeout: timeout_for(event_type),
            process: RestartingChild::default(),
        };
        let process = function
            .spawn()
            .await
            .map_err(|reason| DevError::Function {
                name: function.name.clone(),
                reason,
            })?;
        function.process.set(process).await;
        Ok(function)
    }

    async fn spawn(&self) -> Result<NodeChild, String> {
        let args = [self.bridge.as_os_str(), self.handler.as_os_str()];
        let (process, first) = NodeChild::spawn(&self.node, &args, &[], "handler").await?;
        let reply: BridgeReply =
            serde_json::from_str(&first).map_err(|err| format!("bridge said {first:?}: {err}"))?;
        if !reply.ok || reply.fatal {
            return Err(reply
                .error
                .unwrap_or_else(|| "the handler did not load".into()));
        }
        Ok(process)
    }

    /// Sends one event, reads one reply. On timeout or a broken pipe the process is dropped
    /// (killed) and restarted on the next call, so a late reply can never be misattributed.
    pub async fn invoke(&self, event: &CloudFrontEvent) -> Result<EdgeResult, FunctionFailure> {
        let line = serde_json::to_string(event)
            .map_err(|err| FunctionFailure::Execution(err.to_string()))?;
        let reply = self
            .process
            .exchange(&line, self.timeout, || self.spawn())
            .await
            .map_err(FunctionFailure::Execution)?;
        let reply: BridgeReply = serde_json::from_str(&reply)
            .map_err(|err| FunctionFailure::Execution(format!("bad bridge reply: {err}")))?;
        if !reply.ok {
            return Err(FunctionFailure::Execution(
                reply.error.unwrap_or_else(|| "unknown error".into()),
            ));
        }
        let json = reply.json.unwrap_or_else(|| "null".into());
        let deserializer = &mut serde_json::Deserializer::from_str(&json);
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let path = err.path().to_string();
            FunctionFailure::InvalidResult(format!(
                "the result is neither a request nor a response (at {path}): {}",
                err.into_inner()
            ))
        })
    }
}
