//! Output conventions: results to stdout as text or JSON, progress and logs to stderr.
use std::io::IsTerminal;

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
pub fn print_result<T: Serialize>(
    format: OutputFormat,
    value: &T,
    text: impl FnOnce(&T) -> String,
) {
    match format {
        OutputFormat::Json => match serde_json::to_string_pretty(value) {
            Ok(json) => println!("{json}"),
            Err(err) => eprintln!("error: could not serialise the result: {err}"),
        },
        OutputFormat::Text => {
            let rendered = text(value);
            if rendered.ends_with('\n') {
                print!("{rendered}");
            } else {
                println!("{rendered}");
            }
        }
    }
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
            eprintln!("{message}");
            Self { spinner: None }
        }
    }

    /// Replaces the current message (a new line when not on a TTY).
    pub fn update(&self, message: impl Into<String>) {
        let message = message.into();
        match &self.spinner {
            Some(spinner) => spinner.set_message(message),
            None => eprintln!("{message}"),
        }
    }

    /// Ends the indicator with a final line.
    pub fn finish(self, message: impl Into<String>) {
        let message = message.into();
        match self.spinner {
            Some(spinner) => spinner.finish_with_message(message),
            None => eprintln!("{message}"),
        }
    }
}
