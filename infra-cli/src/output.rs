//! Output conventions: results to stdout as text or JSON, progress and logs to stderr.
//!
//! Every write goes through [`write_stdout`] or [`note`]: a closed pipe (`edgekit … | head`)
//! ends the output quietly instead of panicking as `println!` does.
use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use serde::Serialize;

/// How results are printed on stdout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// Prints a result on stdout: `text` through the given renderer, `json` as pretty JSON.
/// A reader that went away (closed pipe) is not an error: the command keeps its own exit
/// status.
pub fn print_result<T: Serialize>(
    format: OutputFormat,
    value: &T,
    text: impl FnOnce(&T) -> String,
) {
    let mut rendered = match format {
        OutputFormat::Json => match serde_json::to_string_pretty(value) {
            Ok(json) => json,
            Err(err) => {
                note(&format!("error: could not serialise the result: {err}"));
                return;
            }
        },
        OutputFormat::Text => text(value),
    };
    if !rendered.ends_with('\n') {
        rendered.push('\n');
    }
    if let Err(err) = write_stdout(&rendered) {
        note(&format!("error: could not write the result: {err}"));
    }
}

/// Writes `text` to stdout and flushes; a closed stdout (BrokenPipe) counts as written, since
/// the reader took all it wanted.
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes one line to stderr, ignoring a closed stderr (there is nobody left to tell).
pub fn note(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A progress indicator on stderr: a spinner on a TTY, plain lines otherwise.
pub struct Progress {
    spinner: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// Starts a progress indicator with a first message.
    pub fn start(message: impl Into<String>) -> Self {
        let message = message.into();
        if std::io::stderr().is_terminal() {
            let spinner = indicatif::ProgressBar::new_spinner();
            spinner.enable_steady_tick(std::time::Duration::from_millis(100));
            spinner.set_message(message);
            Self {
                spinner: Some(spinner),
            }
        } else {
            note(&message);
            Self { spinner: None }
        }
    }

    /// Replaces the current message (a new line when not on a TTY).
    pub fn update(&self, message: impl Into<String>) {
        let message = message.into();
        match &self.spinner {
            Some(spinner) => spinner.set_message(message),
            None => note(&message),
        }
    }

    /// Ends the indicator with a final line.
    pub fn finish(self, message: impl Into<String>) {
        let message = message.into();
        match self.spinner {
            Some(spinner) => spinner.finish_with_message(message),
            None => note(&message),
        }
    }
}
