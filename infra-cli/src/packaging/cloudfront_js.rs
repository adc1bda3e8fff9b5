//! Generates an edge function as a CloudFront Functions (cloudfront-js-2.0) viewer-request
//! script: the hand-written JS in `functions/cloudfront-js/` with the config (validated by
//! the function's own Rust types) baked in as a literal; and runs such a script locally in
//! the sandbox `cff-sandbox.mjs`. Facts and sources: `docs/cloudfront-functions.md`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::functions::Function;

/// The runtime name CloudFront's API takes (`FunctionConfig.Runtime`).
pub const CFF_RUNTIME: &str = "cloudfront-js-2.0";

/// Largest function code: 10 KB ("Quotas on CloudFront Functions", "Maximum size of a
/// function"); KB taken as 1024 bytes.
pub const CODE_LIMIT_BYTES: usize = 10_240;

/// The sandbox runner: `node <runner.mjs> <script.js>` (protocol in the file's header).
pub const SANDBOX_RUNNER_JS: &str = include_str!("cff-sandbox.mjs");

/// A generated CloudFront Functions script.
#[derive(Clone)]
pub struct CffScript {
    pub function: Function,
    /// The script (UTF-8), ready for CreateFunction/UpdateFunction `FunctionCode`.
    pub code: String,
    /// Hex SHA-256 of `code` (what publish compares to skip unchanged code).
    pub sha256_hex: String,
}

// Hand-written so the code (the baked config) is never printed by `{:?}`.
impl std::fmt::Debug for CffScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CffScript")
            .field("function", &self.function)
            .field("bytes", &self.code.len())
            .field("sha256_hex", &self.sha256_hex)
            .finish()
    }
}

/// Why a CloudFront Functions script could not be generated or run.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CffPackageError {
    #[error("invalid {function} config: {field}: {reason}")]
    #[diagnostic(help("the keys and their meaning are in docs/cloudfront-functions.md"))]
    InvalidConfig {
        function: Function,
        field: String,
        reason: String,
    },
    #[error("{function} config key `{key}` cannot be honoured by {CFF_RUNTIME}: {why}")]
    #[diagnostic(help("{help}"))]
    Unsupported {
        function: Function,
        key: String,
        why: String,
        help: String,
    },
    #[error(
        "the {function} script is {size} bytes, over the CloudFront Functions limit of {limit} bytes (10 KB)"
    )]
    TooLarge {
        function: Function,
        size: usize,
        limit: usize,
    },
    #[error("{0}")]
    Internal(String),
}

/// The hand-written sources (`functions/cloudfront-js/`): embedded, not written as Rust
/// strings. `common.js` comes first in every script, then the function's own file.
const COMMON_JS: &str = include_str!("../../../functions/cloudfront-js/common.js");
const SOURCES: &[(&str, &str)] = &[
    (
        "forwarded-proto",
        include_str!("../../../functions/cloudfront-js/forwarded-proto.js"),
    ),
    (
        "keycloak-host",
        include_str!("../../../functions/cloudfront-js/keycloak-host.js"),
    ),
];

/// The script for `function` with `config_json` (the config file's text; None: the
/// defaults) validated by the function's own Rust types and baked in: deterministic (same
/// inputs, same bytes) and at most [`CODE_LIMIT_BYTES`].
pub fn generate(
    function: Function,
    config_json: Option<&str>,
) -> Result<CffScript, CffPackageError> {
    let text = config_json.unwrap_or("{}");
    let configured = function
        .load(text)
        .map_err(|problem| CffPackageError::InvalidConfig {
            function,
            field: problem.field,
            reason: problem.reason,
        })?;
    let canonical = configured
        .config_json()
        .map_err(|err| CffPackageError::Internal(format!("cannot serialise the config: {err}")))?;
    let config: serde_json::Value = serde_json::from_str(&canonical)
        .map_err(|err| CffPackageError::Internal(format!("canonical config: {err}")))?;
    let explicit: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    if let Some(refusal) = refusal(function, &explicit, &config) {
        return Err(refusal);
    }
    let source = SOURCES
        .iter()
        .find(|(name, _)| *name == function.name())
        .map(|(_, source)| *source)
        .ok_or_else(|| {
            CffPackageError::Internal(format!("{function} has no {CFF_RUNTIME} source"))
        })?;
    let body = minify(&format!("{COMMON_JS}\n{source}")).map_err(CffPackageError::Internal)?;
    let code = format!(
        "// edgekit {function}, {CFF_RUNTIME} viewer-request (generated: edgekit package)\n{}\n{body}\n",
        constants(function, &config)?
    );
    if code.len() > CODE_LIMIT_BYTES {
        return Err(CffPackageError::TooLarge {
            function,
            size: code.len(),
            limit: CODE_LIMIT_BYTES,
        });
    }
    let sha256_hex = sha256_hex(&code);
    Ok(CffScript {
        function,
        code,
        sha256_hex,
    })
}

/// The constants a script starts with: the canonical config, the default strip list and the
/// protocol header (from the Rust core, so the two runtimes share one list), and keycloak's
/// private prefixes.
fn constants(function: Function, config: &serde_json::Value) -> Result<String, CffPackageError> {
    let stripped: Vec<&str> = edge::forwarding::STRIPPED.iter().map(|h| h.name).collect();
    let proto_header = config
        .get("proto_header")
        .and_then(serde_json::Value::as_str)
        .unwrap_or(edge::policy::DEFAULT_PROTO_HEADER);
    let mut out = format!(
        "var CONFIG={};var STRIPPED={}.split(' ');var PROTO_HEADER={};",
        js_literal(config)?,
        js_literal(&stripped.join(" "))?,
        js_literal(&proto_header)?
    );
    if function.name() == "keycloak-host" {
        out.push_str(&format!(
            "var PRIVATE_PREFIXES={};",
            js_literal(&keycloak_host::PRIVATE_PREFIXES)?
        ));
    }
    Ok(out)
}

/// JSON is a JavaScript literal once U+2028/U+2029 are escaped (older engines end a string
/// literal there).
fn js_literal<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, CffPackageError> {
    let json = serde_json::to_string(value)
        .map_err(|err| CffPackageError::Internal(format!("cannot serialise a constant: {err}")))?;
    Ok(json
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029"))
}

/// A config key this runtime cannot honour, named with why and what to do instead
/// (docs/cloudfront-functions.md, "Config keys").
fn refusal(
    function: Function,
    explicit: &serde_json::Value,
    config: &serde_json::Value,
) -> Option<CffPackageError> {
    let refuse = |key: String, why: &str, help: &str| {
        Some(CffPackageError::Unsupported {
            function,
            key,
            why: why.to_owned(),
            help: help.to_owned(),
        })
    };
    if config.get("origin_verify").is_some_and(|v| !v.is_null()) {
        return refuse(
            "origin_verify".into(),
            "function code is readable by anyone allowed cloudfront:DescribeFunction or GetFunction, so the secret must not be baked in",
            "remove origin_verify: keep the secret a custom origin header on the distribution (edgekit distribution create sets it)",
        );
    }
    if explicit.get("on_missing_proto").and_then(|v| v.as_str()) == Some("reject") {
        return refuse(
            "on_missing_proto".into(),
            "CloudFront-Forwarded-Proto does not exist at viewer-request; the protocol is https by construction (viewer protocol policy redirect-to-https or https-only)",
            "remove on_missing_proto or set it to assume-https",
        );
    }
    if config.get("require_https").and_then(|v| v.as_bool()) == Some(false) {
        return refuse(
            "require_https".into(),
            "this runtime serves only behind viewer protocol policy redirect-to-https or https-only, where no request on http reaches the function (behind allow-all it cannot know the protocol)",
            "remove require_https (CloudFront's viewer protocol policy enforces https), or use the Lambda@Edge runtime",
        );
    }
    read_only_header(config).and_then(|(key, name)| {
        refuse(
            key,
            &format!("{name} is read-only in viewer-request (CloudFront Developer Guide, \"Restrictions on all edge functions\")"),
            "remove it from the config, or use the Lambda@Edge runtime (origin-request may change it)",
        )
    })
}

/// A header name in `proto_header` or `strip_headers` that a viewer-request function may
/// not add, change or remove.
fn read_only_header(config: &serde_json::Value) -> Option<(String, String)> {
    let names = config
        .get("strip_headers")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(index, v)| Some((format!("strip_headers[{index}]"), v.as_str()?)));
    let proto = config
        .get("proto_header")
        .and_then(|v| v.as_str())
        .map(|name| ("proto_header".to_owned(), name));
    names
        .chain(proto)
        .find(|(_, name)| edge::cloudfront_functions::rules::is_read_only_viewer_request(name))
        .map(|(key, name)| (key, name.to_owned()))
}

/// Removes comments and the whitespace JavaScript does not need, deterministically: the
/// 10 KB limit counts every byte, and the readable sources are twice that. Strings and
/// regular expression literals are copied as they are; a space is kept only between two
/// word characters (and between `+`/`-`/`/` pairs). Newlines go too, which is safe because
/// the sources end every statement with `;` (the sandbox and the differential test run the
/// result). Template literals are refused (the sources use none).
pub fn minify(source: &str) -> Result<String, String> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut space = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            space = true;
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let end = (i + 2..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                .ok_or("unterminated /* comment")?;
            i = end + 2;
            space = true;
        } else if c == '`' {
            return Err("template literals are not supported by the generator".into());
        } else {
            let end = if c == '"' || c == '\'' {
                string_end(&chars, i)?
            } else if c == '/' && regex_may_start(&out) {
                regex_end(&chars, i)?
            } else if is_word(c) {
                (i..chars.len())
                    .find(|&j| !is_word(chars[j]))
                    .unwrap_or(chars.len())
            } else {
                i + 1
            };
            let token: String = chars[i..end].iter().collect();
            if space && needs_space(out.chars().last(), c) {
                out.push(' ');
            }
            space = false;
            out.push_str(&token);
            i = end;
        }
    }
    Ok(out)
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

fn needs_space(before: Option<char>, after: char) -> bool {
    before.is_some_and(|b| {
        (is_word(b) && is_word(after)) || ("+-/".contains(b) && "+-/".contains(after))
    })
}

/// A `/` starts a regular expression unless it follows a value (a name, a number, `)` or
/// `]`); after a keyword such as `return` it starts one.
fn regex_may_start(out: &str) -> bool {
    const KEYWORDS: [&str; 8] = [
        "return", "typeof", "case", "in", "of", "new", "throw", "else",
    ];
    match out.chars().last() {
        None => true,
        Some(c) if c == ')' || c == ']' => false,
        Some(c) if is_word(c) => {
            let word: String = out.chars().rev().take_while(|c| is_word(*c)).collect();
            let word: String = word.chars().rev().collect();
            KEYWORDS.contains(&word.as_str())
        }
        Some(_) => true,
    }
}

fn string_end(chars: &[char], start: usize) -> Result<usize, String> {
    let quote = chars[start];
    let mut j = start + 1;
    while j < chars.len() {
        match chars[j] {
            '\\' => j += 2,
            '\n' => break,
            c if c == quote => return Ok(j + 1),
            _ => j += 1,
        }
    }
    Err("unterminated string literal".into())
}

fn regex_end(chars: &[char], start: usize) -> Result<usize, String> {
    let mut j = start + 1;
    let mut class = false;
    while j < chars.len() {
        match chars[j] {
            '\\' => j += 2,
            '\n' => break,
            '[' => {
                class = true;
                j += 1;
            }
            ']' => {
                class = false;
                j += 1;
            }
            '/' if !class => {
                j += 1;
                while j < chars.len() && chars[j].is_ascii_alphabetic() {
                    j += 1;
                }
                return Ok(j);
            }
            _ => j += 1,
        }
    }
    Err("unterminated regular expression literal".into())
}

/// Hex SHA-256 of a script.
pub fn sha256_hex(code: &str) -> String {
    Sha256::digest(code.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Why running a script in the sandbox failed as a whole (one event's failure is an
/// [`SandboxAnswer`] with `ok: false` instead).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SandboxError {
    #[error("could not run `{node}`")]
    #[diagnostic(help("install Node.js 20+ or point EDGEKIT_NODE at a node binary"))]
    Spawn {
        node: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the CloudFront Functions sandbox refused the script: {0}")]
    Refused(String),
    #[error("the sandbox broke off: {0}")]
    Protocol(String),
}

/// One event's outcome in the sandbox.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct SandboxAnswer {
    pub ok: bool,
    /// What `handler` returned (when `ok`).
    #[serde(default)]
    pub result: Option<serde_json::Value>,
    /// Why the handler failed (when not `ok`).
    #[serde(default)]
    pub error: Option<String>,
    /// The function's `console.log` lines.
    #[serde(default)]
    pub logs: Vec<String>,
}

/// The Node.js binary: `$EDGEKIT_NODE`, else `node` on PATH.
pub fn node_binary() -> PathBuf {
    std::env::var_os("EDGEKIT_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from)
}

/// Runs `code` in the sandbox on each event (JSON, one per element), in one Node process.
pub fn run_in_sandbox(
    node: &Path,
    code: &str,
    events: &[String],
) -> Result<Vec<SandboxAnswer>, SandboxError> {
    let dir = tempfile_dir()?;
    let script = dir.join("function.js");
    std::fs::write(&script, code).map_err(|err| SandboxError::Protocol(err.to_string()))?;
    let answers = run_file(node, &script, events);
    let _ = std::fs::remove_dir_all(&dir);
    answers
}

fn tempfile_dir() -> Result<PathBuf, SandboxError> {
    let unique = format!(
        "edgekit-cff-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let dir = std::env::temp_dir().join(unique);
    std::fs::create_dir_all(&dir).map_err(|err| SandboxError::Protocol(err.to_string()))?;
    Ok(dir)
}

fn run_file(
    node: &Path,
    script: &Path,
    events: &[String],
) -> Result<Vec<SandboxAnswer>, SandboxError> {
    let mut child = Command::new(node)
        .args(["--input-type=module", "--eval", SANDBOX_RUNNER_JS])
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| SandboxError::Spawn {
            node: node.display().to_string(),
            source,
        })?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| SandboxError::Protocol("no stdin".into()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| SandboxError::Protocol("no stdout".into()))?;
    let mut lines = BufReader::new(stdout).lines();
    let ready = next_answer(&mut lines)?;
    if !ready.ok {
        let _ = child.wait();
        return Err(SandboxError::Refused(ready.error.unwrap_or_default()));
    }
    let mut answers = Vec::with_capacity(events.len());
    for event in events {
        let line: String = event.chars().filter(|c| *c != '\n' && *c != '\r').collect();
        writeln!(stdin, "{line}").map_err(|err| SandboxError::Protocol(err.to_string()))?;
        stdin
            .flush()
            .map_err(|err| SandboxError::Protocol(err.to_string()))?;
        answers.push(next_answer(&mut lines)?);
    }
    drop(stdin);
    let _ = child.wait();
    Ok(answers)
}

fn next_answer(
    lines: &mut std::io::Lines<BufReader<std::process::ChildStdout>>,
) -> Result<SandboxAnswer, SandboxError> {
    let line = lines
        .next()
        .ok_or_else(|| SandboxError::Protocol("node exited without answering".into()))?
        .map_err(|err| SandboxError::Protocol(err.to_string()))?;
    serde_json::from_str(&line)
        .map_err(|err| SandboxError::Protocol(format!("unreadable answer {line:?}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(name: &str) -> Function {
        Function::find(name).unwrap()
    }

    const FORWARDED_PROTO_CONFIG: &str =
        include_str!("../../../events/cloudfront-functions/config-forwarded-proto.json");
    const KEYCLOAK_CONFIG: &str =
        include_str!("../../../events/cloudfront-functions/config-keycloak-host.json");

    #[test]
    fn every_registered_function_has_a_source() {
        for f in Function::all() {
            assert!(SOURCES.iter().any(|(name, _)| *name == f.name()), "{f}");
        }
    }

    #[test]
    fn both_functions_fit_and_are_deterministic() {
        for (name, config) in [
            ("forwarded-proto", FORWARDED_PROTO_CONFIG),
            ("keycloak-host", KEYCLOAK_CONFIG),
        ] {
            let a = generate(function(name), Some(config)).unwrap();
            let b = generate(function(name), Some(config)).unwrap();
            assert_eq!(a.code, b.code);
            assert_eq!(a.sha256_hex, sha256_hex(&b.code));
            assert!(a.code.len() <= CODE_LIMIT_BYTES, "{name}: {}", a.code.len());
            assert!(a.code.contains("function handler(event)"), "{name}");
            assert!(!a.code.contains("export "), "{name}");
            eprintln!("{name}: {} bytes", a.code.len());
        }
        let defaults = generate(function("forwarded-proto"), None).unwrap();
        assert!(defaults.code.len() <= CODE_LIMIT_BYTES);
    }

    #[test]
    fn refused_keys_are_named() {
        let cases = [
            (
                "forwarded-proto",
                r#"{"on_missing_proto": "reject"}"#,
                "on_missing_proto",
            ),
            (
                "forwarded-proto",
                r#"{"require_https": false}"#,
                "require_https",
            ),
            (
                "forwarded-proto",
                r#"{"proto_header": "Host"}"#,
                "proto_header",
            ),
            (
                "forwarded-proto",
                r#"{"strip_headers": ["X-A", "host"]}"#,
                "strip_headers[1]",
            ),
            (
                "keycloak-host",
                include_str!("../../../events/config-keycloak-host.json"),
                "origin_verify",
            ),
        ];
        for (name, config, key) in cases {
            let err = generate(function(name), Some(config)).unwrap_err();
            assert!(
                matches!(&err, CffPackageError::Unsupported { key: k, .. } if k == key),
                "{name} {config}: {err}"
            );
            assert!(err.to_string().contains(key), "{err}");
        }
        generate(
            function("forwarded-proto"),
            Some(r#"{"on_missing_proto": "assume-https"}"#),
        )
        .unwrap();
    }

    #[test]
    fn invalid_config_uses_the_rust_loader() {
        let err = generate(function("forwarded-proto"), Some(r#"{"nope": 1}"#)).unwrap_err();
        assert!(
            matches!(err, CffPackageError::InvalidConfig { .. }),
            "{err}"
        );
        let err = generate(function("keycloak-host"), None).unwrap_err();
        assert!(
            matches!(&err, CffPackageError::InvalidConfig { field, .. } if field == "public_hosts"),
            "{err}"
        );
    }

    #[test]
    fn minify_keeps_strings_regexes_and_needed_spaces() {
        let out =
            minify("// c\nconst a = 'x  y'; // t\nreturn /[ /]+/g.test(a) && b - -c;\n").unwrap();
        assert_eq!(out, "const a='x  y';return/[ /]+/g.test(a)&&b- -c;");
        assert!(minify("const a = `t`;").is_err());
        assert!(minify("const a = 'x;").is_err());
    }

    #[test]
    fn oversize_code_is_refused() {
        let hosts: Vec<String> = (0..300).map(|i| format!("\"h{i}.example.com\"")).collect();
        let config = format!("{{\"public_hosts\": [{}]}}", hosts.join(","));
        let err = generate(function("forwarded-proto"), Some(&config)).unwrap_err();
        assert!(matches!(err, CffPackageError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("10 KB"), "{err}");
    }
}
