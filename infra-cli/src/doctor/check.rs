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

/// One check: its stable id, report group and the symptom the user sees when it fails. Each
/// check is a `const` of this; its constructors make that check's outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSpec {
    pub id: &'static str,
    pub group: Group,
    pub symptom: &'static str,
}

impl CheckSpec {
    pub(crate) fn outcome(
        &self,
        status: Status,
        target: &str,
        evidence: impl Into<String>,
        fix: Option<String>,
    ) -> CheckOutcome {
        CheckOutcome {
            id: self.id,
            group: self.group,
            status,
            target: target.to_owned(),
            symptom: self.symptom,
            evidence: evidence.into(),
            fix,
        }
    }

    pub fn pass(&self, target: &str, evidence: impl Into<String>) -> CheckOutcome {
        self.outcome(Status::Pass, target, evidence, None)
    }

    pub fn fail(
        &self,
        target: &str,
        evidence: impl Into<String>,
        fix: impl Into<String>,
    ) -> CheckOutcome {
        self.outcome(Status::Fail, target, evidence, Some(fix.into()))
    }

    pub fn warn(
        &self,
        target: &str,
        evidence: impl Into<String>,
        fix: impl Into<String>,
    ) -> CheckOutcome {
        self.outcome(Status::Warn, target, evidence, Some(fix.into()))
    }

    pub fn skip(&self, target: &str, why: impl Into<String>) -> CheckOutcome {
        CheckOutcome::skip(self.id, self.group, target, self.symptom, why)
    }
}
