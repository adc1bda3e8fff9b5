//! The edge functions this CLI knows: names, config parsing, and the native handler.
use std::fmt;

use clap::ValueEnum;
use serde::Serialize;

/// An edge function of this workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeFunction {
    /// Origin-request: validates the viewer protocol and injects it in headers the ALB keeps.
    ForwardedProto,
    /// Origin-request for the Keycloak distribution: host allow-list, path guard.
    KeycloakHost,
}

impl EdgeFunction {
    /// The crate (and package) name, e.g. `forwarded-proto`.
    pub fn crate_name(self) -> &'static str {
        match self {
            Self::ForwardedProto => "forwarded-proto",
            Self::KeycloakHost => "keycloak-host",
        }
    }

    /// The Rust library name, e.g. `forwarded_proto` (the wasm file is `<lib>.wasm`).
    pub fn lib_name(self) -> &'static str {
        match self {
            Self::ForwardedProto => "forwarded_proto",
            Self::KeycloakHost => "keycloak_host",
        }
    }

    pub const ALL: [EdgeFunction; 2] = [Self::ForwardedProto, Self::KeycloakHost];
}

impl fmt::Display for EdgeFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.crate_name())
    }
}
