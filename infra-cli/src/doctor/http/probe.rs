//! The fetching side of the HTTP checks: one GET through the canary's engine
//! (`alb_canary::fetch`, its shared clients and transport classification), no redirect
//! followed, bounded by `--timeout`. What the answer means is decided elsewhere (pure).
use std::path::PathBuf;
use std::time::Duration;

use alb_canary::Target;
use alb_canary::fetch::{Answer, ClientSet, Failure, fetch};
use reqwest::Url;

/// One request and what came back.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub url: Url,
    pub answer: Result<Answer, Failure>,
}

/// Sends doctor's requests with the canary's engine.
pub struct Prober {
    clients: ClientSet,
    ca_file: Option<PathBuf>,
    timeout: Duration,
}

impl Prober {
    /// Builds the one shared client (no redirects, the extra CA when given). Fails on a CA
    /// file the TLS stack refuses.
    pub fn new(ca_file: Option<PathBuf>, timeout: Duration) -> Result<Self, String> {
        let prober = Self {
            clients: ClientSet::default(),
            ca_file,
            timeout,
        };
        let template = prober.target(
            &Url::parse("http://doctor.invalid/").map_err(|e| e.to_string())?,
            &[],
        );
        let clients =
            ClientSet::build(std::slice::from_ref(&template)).map_err(|e| e.to_string())?;
        Ok(Self { clients, ..prober })
    }

    fn target(&self, url: &Url, headers: &[(&str, &str)]) -> Target {
        let mut target = Target::new("doctor", url.as_str());
        target.ca_file.clone_from(&self.ca_file);
        target.timeout_ms = Some(u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX));
        target.follow_redirects = false;
        for (name, value) in headers {
            target
                .headers
                .0
                .insert((*name).to_owned(), (*value).to_owned());
        }
        target
    }

    /// One GET (never retried: doctor reports what one user would see now).
    pub async fn get(&self, url: &Url, headers: &[(&str, &str)]) -> Exchange {
        let target = self.target(url, headers);
        Exchange {
            url: url.clone(),
            answer: fetch(&self.clients, &target).await,
        }
    }
}
