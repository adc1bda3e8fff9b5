//! The fixtures in `events/`: one lister for every test (Lambda@Edge events are the files
//! with `Records`; function configs are `config-<function>*.json`; EventBridge events and
//! the golden answers in `events/golden/` are neither).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::events_dir;

fn json_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(events_dir())
        .expect("read events/")
        .map(|entry| entry.expect("events/ entry").path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// A fixture parsed as JSON.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read fixture"))
        .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()))
}

/// Every Lambda@Edge event fixture (all four event types), sorted.
pub fn edge_events() -> Vec<PathBuf> {
    json_files()
        .into_iter()
        .filter(|path| read_json(path).get("Records").is_some())
        .collect()
}

/// The config fixtures of one function (`events/config-<function>*.json`), sorted.
pub fn configs(function: &str) -> Vec<PathBuf> {
    let prefix = format!("config-{function}");
    json_files()
        .into_iter()
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(&prefix))
        })
        .collect()
}

/// The `cf.config.eventType` of an event fixture.
pub fn event_type(path: &Path) -> Option<String> {
    read_json(path)
        .pointer("/Records/0/cf/config/eventType")?
        .as_str()
        .map(str::to_owned)
}
