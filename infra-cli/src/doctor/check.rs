//! What one doctor check reports: the interface every check returns and the report prints.
use serde::Serialize;

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Warn,
    /// Not run; the evidence says why (no credentials, `--no-aws`, nothing to check).
    Skip,
}

/// Where a check looks; the text report groups lines by it, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    App,
    Keycloak,
    Cloudfront,
    Alb,
    Ecs,
    Certificates,
}

/// One check's result on one target. `id` values are part of the interface: stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    pub id: &'static str,
    pub group: Group,
    pub status: Status,
    /// What was checked: a URL, a distribution id, a load balancer name…
    pub target: String,
    /// What the user sees when this check fails, in their words.
    pub symptom: &'static str,
    /// What was found; never a secret (origin-verify values, cookie values, tokens).
    pub evidence: String,
    /// The fix, with values to paste; `None` when the check passed or was skipped.
    pub fix: Option<String>,
}

impl CheckOutcome {
    /// A skipped check with the reason as its evidence.
    pub fn skip(
        id: &'static str,
        group: Group,
        target: impl Into<String>,
        symptom: &'static str,
        why: impl Into<String>,
    ) -> Self {
        CheckOutcome {
            id,
            group,
            status: Status::Skip,
            target: target.into(),
            symptom,
            evidence: why.into(),
            fix: None,
        }
    }
}
