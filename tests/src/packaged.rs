//! Packaged Lambda@Edge handlers for tests: `edgekit package` a function, unzip it, and run
//! events through its `index.mjs` under the runtime's Node.js, the way the Lambda Node.js
//! runtime does (`JSON.stringify(await handler(event))`, one line per event).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::{edgekit_bin, node_bin};

/// Runs every event of a JSON array file through the unzipped handler in a folder.
const NODE_HARNESS: &str = r#"
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [dir, eventsFile] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(dir + "/index.mjs").href);
const events = JSON.parse(readFileSync(eventsFile, "utf8"));
const out = [];
for (const event of events) out.push(JSON.stringify(await handler(event)));
process.stdout.write(out.join("\n") + "\n");
"#;

/// `edgekit package <function> [--config FILE] --out <zip>`.
pub fn package(function: &str, config: Option<&Path>, zip: &Path) -> Output {
    let mut command = Command::new(edgekit_bin());
    command.args(["package", function, "--out"]).arg(zip);
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command.output().expect("run edgekit package")
}

/// Extracts a zip's files into `dir`.
pub fn unzip(zip: &[u8], dir: &Path) {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip");
    std::fs::create_dir_all(dir).expect("create dir");
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).expect("zip entry");
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).expect("read zip entry");
        std::fs::write(dir.join(file.name()), bytes).expect("write zip entry");
    }
}

/// An unzipped package, ready to run under Node.
pub struct Packaged {
    pub dir: PathBuf,
    harness: PathBuf,
}

impl Packaged {
    /// Packages `function` into `work` (a folder the caller keeps alive). `Err` carries
    /// `edgekit package`'s stderr.
    pub fn build(function: &str, config: Option<&Path>, work: &Path) -> Result<Self, String> {
        static BUILDS: AtomicUsize = AtomicUsize::new(0);
        let name = format!("{function}-{}", BUILDS.fetch_add(1, Ordering::Relaxed));
        let zip = work.join(format!("{name}.zip"));
        let output = package(function, config, &zip);
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        let dir = work.join(&name);
        unzip(&std::fs::read(&zip).expect("read zip"), &dir);
        let harness = work.join("harness.mjs");
        std::fs::write(&harness, NODE_HARNESS).expect("write harness");
        Ok(Self { dir, harness })
    }

    /// Runs events (JSON values) through the handler in one node process; one
    /// `JSON.stringify(result)` per event.
    pub fn run(&self, events: &[Value]) -> Vec<String> {
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        // Tests run in parallel on the same package: one input file per run.
        let file = self.dir.join(format!(
            "events-input-{}.json",
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&file, serde_json::to_vec(events).expect("json")).expect("write events");
        let output = Command::new(node_bin())
            .arg(&self.harness)
            .arg(&self.dir)
            .arg(&file)
            .output()
            .expect("run node");
        assert!(
            output.status.success(),
            "node failed for {}:\n{}",
            self.dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let lines: Vec<String> = String::from_utf8(output.stdout)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(lines.len(), events.len(), "one result per event");
        lines
    }
}
