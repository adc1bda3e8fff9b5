//! The CloudFront Functions host of `edgekit dev --edge-runtime cloudfront-functions`: one of
//! our functions generated as a cloudfront-js-2.0 script
//! ([`crate::packaging::cloudfront_js::generate`], the same script `edgekit package
//! --runtime cloudfront-js-2.0` writes) and run by a persistent `node` child in edgekit's
//! sandbox (`cff-sandbox.mjs`): one event line in, one result line out.
//!
//! The CloudFront Functions runtime itself runs only at AWS; the sandbox enforces what it
//! forbids (docs/cloudfront-functions.md), so a script that works here does not fail there
//! for a forbidden feature.

use std::path::{Path, PathBuf};
use std::time::Duration;

use edge::cloudfront_functions::{CffEvent, CffResult};
use serde::Serialize;

use super::DevError;
use super::functions::FunctionFailure;
use super::node_child::{NodeChild, RestartingChild};
use crate::functions::Function;
use crate::packaging::cloudfront_js::{self, CFF_RUNTIME, SandboxAnswer};

/// The sandbox's per-event limit, unless `EDGEKIT_CFF_TIMEOUT_MS` says otherwise. It only
/// has to stop a runaway handler (the runtime's real limit is compute utilization, which
/// only CloudFront measures), and must not fire on a loaded machine: our handlers take well
/// under a millisecond.
const SANDBOX_TIMEOUT_MS: &str = "1000";

/// Guards against a child that stopped answering at all.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(5);

/// One of our functions as a CloudFront Function, run in the sandbox.
pub struct CloudFrontFunction {
    /// `forwarded-proto (cloudfront-js-2.0)`, in log lines.
    pub name: String,
    node: PathBuf,
    runner: PathBuf,
    script: PathBuf,
    process: RestartingChild,
}

/// `config` as the generator takes it: only the keys that differ from the function's
/// defaults (a key at its default value means nothing more at viewer-request), without
/// `origin_verify`, which the distribution carries as a custom origin header instead (a
/// function's code is readable by anyone allowed `cloudfront:DescribeFunction`:
/// docs/cloudfront-functions.md).
pub fn script_config<C: Serialize + Default>(config: &C) -> Result<String, serde_json::Error> {
    let given = serde_json::to_value(config)?;
    let defaults = serde_json::to_value(C::default())?;
    let mut kept = serde_json::Map::new();
    if let serde_json::Value::Object(given) = given {
        for (key, value) in given {
            if key != "origin_verify" && defaults.get(&key) != Some(&value) {
                kept.insert(key, value);
            }
        }
    }
    serde_json::to_string(&serde_json::Value::Object(kept))
}

impl CloudFrontFunction {
    /// Generates the script for `function` with `config_json` (see [`script_config`]),
    /// writes it and the sandbox runner into `work_dir`, and starts the sandbox once to
    /// check that the script loads.
    pub async fn start(
        node: &Path,
        function: Function,
        config_json: &str,
        label: &str,
        work_dir: &Path,
    ) -> Result<Self, DevError> {
        let script = cloudfront_js::generate(function, Some(config_json)).map_err(|source| {
            DevError::Generate {
                function: function.name().to_owned(),
                source,
            }
        })?;
        let name = format!("{} ({CFF_RUNTIME})", function.name());
        let file = format!("edgekit-dev-{label}-{}.js", function.name());
        Self::start_script(node, name, &script.code, &file, work_dir).await
    }

    /// Starts the sandbox on `code`, written to `work_dir/file`.
    async fn start_script(
        node: &Path,
        name: String,
        code: &str,
        file: &str,
        work_dir: &Path,
    ) -> Result<Self, DevError> {
        let runner = work_dir.join("edgekit-dev-cff-sandbox.mjs");
        std::fs::write(&runner, cloudfront_js::SANDBOX_RUNNER_JS)?;
        let script = work_dir.join(file);
        std::fs::write(&script, code)?;
        let host = Self {
            name,
            node: node.to_path_buf(),
            runner,
            script,
            process: RestartingChild::default(),
        };
        let process = host.spawn().await.map_err(|reason| DevError::Function {
            name: host.name.clone(),
            reason,
        })?;
        host.process.set(process).await;
        Ok(host)
    }

    async fn spawn(&self) -> Result<NodeChild, String> {
        let args = [self.runner.as_os_str(), self.script.as_os_str()];
        let timeout = std::env::var("EDGEKIT_CFF_TIMEOUT_MS")
            .unwrap_or_else(|_| SANDBOX_TIMEOUT_MS.to_owned());
        let envs = [("EDGEKIT_CFF_TIMEOUT_MS", timeout)];
        let (process, first) =
            NodeChild::spawn(&self.node, &args, &envs, "CloudFront Function").await?;
        let ready: SandboxAnswer = serde_json::from_str(&first)
            .map_err(|err| format!("the sandbox said {first:?}: {err}"))?;
        if !ready.ok {
            return Err(format!(
                "the sandbox refused the script: {}",
                ready.error.unwrap_or_default()
            ));
        }
        Ok(process)
    }

    /// Runs the function on one event. A throw, a timeout or a crash is an execution error;
    /// a result that is neither a request nor a response is an invalid result.
    pub async fn invoke(&self, event: &CffEvent) -> Result<CffResult, FunctionFailure> {
        let line = serde_json::to_string(event)
            .map_err(|err| FunctionFailure::Execution(err.to_string()))?;
        let reply = self
            .process
            .exchange(&line, EXCHANGE_TIMEOUT, || self.spawn())
            .await
            .map_err(FunctionFailure::Execution)?;
        let answer: SandboxAnswer = serde_json::from_str(&reply)
            .map_err(|err| FunctionFailure::Execution(format!("bad sandbox reply: {err}")))?;
        for line in &answer.logs {
            eprintln!("edgekit dev: {} log: {line}", self.name);
        }
        if !answer.ok {
            return Err(FunctionFailure::Execution(
                answer.error.unwrap_or_else(|| "unknown error".into()),
            ));
        }
        let result = answer.result.unwrap_or(serde_json::Value::Null);
        serde_json::from_value(result).map_err(|err| {
            FunctionFailure::InvalidResult(format!(
                "the result is neither a request nor a response: {err}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge::cloudfront_functions::{CffContext, CffRequest, CffViewer};

    fn event() -> CffEvent {
        CffEvent {
            version: "1.0".into(),
            context: CffContext {
                distribution_domain_name: String::new(),
                distribution_id: String::new(),
                event_type: "viewer-request".into(),
                request_id: String::new(),
            },
            viewer: CffViewer {
                ip: "203.0.113.7".into(),
            },
            request: CffRequest {
                method: "GET".into(),
                uri: "/".into(),
                ..CffRequest::default()
            },
            response: None,
        }
    }

    async fn host(code: &str, dir: &Path) -> CloudFrontFunction {
        CloudFrontFunction::start_script(
            &cloudfront_js::node_binary(),
            "test (cloudfront-js-2.0)".into(),
            code,
            "test.js",
            dir,
        )
        .await
        .unwrap()
    }

    // The sandbox tells the three outcomes apart: a result, a throw (an execution error,
    // after which the same child keeps serving), and something that is neither a request
    // nor a response (an invalid result). A script the sandbox refuses fails at start.
    #[tokio::test]
    async fn results_throws_and_invalid_results() {
        let dir = std::env::temp_dir().join(format!("edgekit-dev-cff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = host("function handler(event) { return event.request; }", &dir).await;
        let result = ok.invoke(&event()).await.unwrap();
        assert!(matches!(result, CffResult::Request(r) if r.uri == "/"));
        let throwing = host(
            "function handler(event) { if (event.request.uri === '/') throw new Error('boom'); return event.request; }",
            &dir,
        )
        .await;
        let failure = throwing.invoke(&event()).await.unwrap_err();
        assert!(
            matches!(&failure, FunctionFailure::Execution(e) if e.contains("boom")),
            "{failure:?}"
        );
        let mut other = event();
        other.request.uri = "/x".into();
        assert!(throwing.invoke(&other).await.is_ok(), "the child survives");
        let invalid = host("function handler(event) { return 42; }", &dir).await;
        let failure = invalid.invoke(&event()).await.unwrap_err();
        assert!(
            matches!(failure, FunctionFailure::InvalidResult(_)),
            "{failure:?}"
        );
        let refused = CloudFrontFunction::start_script(
            &cloudfront_js::node_binary(),
            "eval".into(),
            "export function handler(event) { return event.request; }",
            "refused.js",
            &dir,
        )
        .await;
        assert!(refused.is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn script_config_keeps_changed_keys_and_never_the_secret() {
        let config: forwarded_proto::Config = serde_json::from_str(
            r#"{"on_missing_proto": "reject", "public_hosts": ["app.example.com"],
                "origin_verify": {"header": "X-Origin-Verify", "secret": "0123456789abcdef-x"}}"#,
        )
        .unwrap();
        let json = script_config(&config).unwrap();
        assert_eq!(json, r#"{"public_hosts":["app.example.com"]}"#);
        assert_eq!(
            script_config(&forwarded_proto::Config::default()).unwrap(),
            "{}"
        );
    }
}
