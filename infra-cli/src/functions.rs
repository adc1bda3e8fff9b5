//! The registry of this workspace's edge functions: each one once — its name, trigger,
//! config type, native handler and package recipe. `invoke`, `package`, `publish`,
//! `distribution create`, `dev` and the tests iterate [`REGISTRY`]; adding a function is
//! one entry here (and its crate).
use std::fmt;
use std::sync::Arc;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use edge::function::{self, Answer, EdgeFunction};
use edge::policy::ConfigProblem;
use edge::{CloudFrontEvent, EdgeResult, EventType};
use serde::Serialize;

/// The edge runtime our functions are built for and run in: one enum for `package`,
/// `invoke`, `publish`, `attach`, `destroy` (`--runtime`), `distribution create` and `dev`
/// (`--edge-runtime`). Both spellings of CloudFront Functions are accepted everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeRuntime {
    /// Lambda@Edge at origin-request: the Rust core as WebAssembly in a Node.js package.
    #[default]
    LambdaEdge,
    /// CloudFront Functions at viewer-request (also spelled cloudfront-js-2.0, its JavaScript
    /// runtime): the generated script.
    #[value(name = "cloudfront-functions", alias = "cloudfront-js-2.0")]
    CloudfrontFunctions,
}

/// One edge function of this workspace.
pub struct FunctionSpec {
    /// The crate, CLI and package name, e.g. `forwarded-proto`.
    pub name: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    /// The CloudFront event it is attached to.
    pub trigger: EventType,
    /// The distribution `distribution create --attach` puts it on (`registry`, `keycloak`).
    pub distribution_role: &'static str,
    /// Parses and checks a config (JSON text), naming the field of any problem.
    pub load: fn(&str) -> Result<Arc<dyn Configured>, ConfigProblem>,
}

/// A function with a checked config: what every host runs.
pub trait Configured: Send + Sync {
    /// The function's name, e.g. `forwarded-proto`.
    fn name(&self) -> &'static str;
    /// The handler itself (`Err`: it refused the event).
    fn handle(&self, event: CloudFrontEvent) -> Result<EdgeResult, String>;
    /// The one failure policy: a refusal becomes the generated 500 and a log line.
    fn respond(&self, event: CloudFrontEvent) -> Answer<EdgeResult>;
    /// [`Configured::respond`] on event JSON, result JSON out (what the wasm build runs).
    fn respond_json(&self, event_json: &[u8]) -> Answer<Vec<u8>>;
    /// The config re-serialised canonically (what a package bakes in).
    fn config_json(&self) -> Result<String, serde_json::Error>;
}

struct Loaded<F: EdgeFunction>(F::Config);

impl<F: EdgeFunction> Configured for Loaded<F> {
    fn name(&self) -> &'static str {
        F::NAME
    }

    fn handle(&self, event: CloudFrontEvent) -> Result<EdgeResult, String> {
        F::handle(&self.0, event).map_err(|err| err.to_string())
    }

    fn respond(&self, event: CloudFrontEvent) -> Answer<EdgeResult> {
        function::respond::<F>(&self.0, event)
    }

    fn respond_json(&self, event_json: &[u8]) -> Answer<Vec<u8>> {
        function::respond_json::<F>(&self.0, event_json)
    }

    fn config_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&self.0)
    }
}

fn load<F: EdgeFunction + 'static>(json: &str) -> Result<Arc<dyn Configured>, ConfigProblem> {
    Ok(configured::<F>(function::config_from_json::<F>(json)?))
}

/// A function with a config already parsed and checked by its own types.
pub fn configured<F: EdgeFunction + 'static>(config: F::Config) -> Arc<dyn Configured> {
    Arc::new(Loaded::<F>(config))
}

const fn spec<F: EdgeFunction + 'static>(
    distribution_role: &'static str,
    about: &'static str,
) -> FunctionSpec {
    FunctionSpec {
        name: F::NAME,
        about,
        trigger: F::TRIGGER,
        distribution_role,
        load: load::<F>,
    }
}

/// Every edge function of the workspace.
pub static REGISTRY: [FunctionSpec; 2] = [
    spec::<forwarded_proto::ForwardedProto>(
        "registry",
        "Origin-request: validates the viewer protocol and injects it in headers the ALB keeps",
    ),
    spec::<keycloak_host::KeycloakHost>(
        "keycloak",
        "Origin-request for the Keycloak distribution: host allow-list, path guard",
    ),
];

/// A registered function, as commands take it (`Copy`, compared by name).
#[derive(Clone, Copy)]
pub struct Function(pub &'static FunctionSpec);

impl Function {
    /// Every registered function.
    pub fn all() -> impl Iterator<Item = Function> {
        REGISTRY.iter().map(Function)
    }

    /// The function called `name`.
    pub fn find(name: &str) -> Option<Function> {
        Self::all().find(|f| f.name() == name)
    }

    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The Rust library name, e.g. `forwarded_proto` (the wasm file is `<lib>.wasm`; the
    /// `edgekit dev --config` key).
    pub fn lib_name(self) -> String {
        self.0.name.replace('-', "_")
    }

    /// The function `distribution create --attach` puts on a distribution role.
    pub fn for_distribution(role: &str) -> Option<Function> {
        Self::all().find(|f| f.0.distribution_role == role)
    }

    /// Parses and checks a config (JSON text).
    pub fn load(self, json: &str) -> Result<Arc<dyn Configured>, ConfigProblem> {
        (self.0.load)(json)
    }

    /// The function with its defaults (`Err` when it has no usable defaults).
    pub fn load_defaults(self) -> Result<Arc<dyn Configured>, ConfigProblem> {
        self.load("{}")
    }

    /// The clap parser for a function name argument (possible values listed in `--help`).
    pub fn value_parser() -> impl TypedValueParser<Value = Function> {
        let names = Self::all().map(|f| PossibleValue::new(f.name()).help(f.0.about));
        PossibleValuesParser::new(names)
            .try_map(|name| Self::find(&name).ok_or_else(|| format!("unknown function {name}")))
    }
}

impl PartialEq for Function {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Function {}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Function {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for function in Function::all() {
            assert_eq!(Function::find(function.name()), Some(function));
        }
        assert_eq!(Function::all().count(), REGISTRY.len());
        assert!(Function::find("nope").is_none());
        assert_eq!(
            Function::find("forwarded-proto").unwrap().lib_name(),
            "forwarded_proto"
        );
    }

    #[test]
    fn configs_load_through_the_function_types() {
        let function = Function::find("forwarded-proto").unwrap();
        function.load_defaults().unwrap();
        let err = function.load(r#"{"nope": 1}"#).err().unwrap();
        assert!(err.reason.contains("nope"), "{err}");
        let keycloak = Function::find("keycloak-host").unwrap();
        assert_eq!(
            keycloak.load_defaults().err().unwrap().field,
            "public_hosts"
        );
    }
}
