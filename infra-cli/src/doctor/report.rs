//! The doctor's report: every outcome grouped (app, Keycloak, CloudFront, ALB, ECS,
//! certificates), the summary, the exit status, and its text rendering (pure).
use std::fmt::Write as _;

use serde::Serialize;

use super::check::{CheckOutcome, Group, Status};

/// What `--output json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub deployment_mode: Option<String>,
    pub checks: Vec<CheckOutcome>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub skip: usize,
}

/// Exit statuses: 0 nothing failed, 1 a check failed (2, doctor could not run, is
/// [`super::settings::DoctorError::EXIT_CODE`]).
pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;

impl Report {
    /// Orders the checks by group, keeping each group's order.
    pub fn new(deployment_mode: Option<String>, mut checks: Vec<CheckOutcome>) -> Self {
        checks.sort_by_key(|c| c.group);
        let mut summary = Summary::default();
        for check in &checks {
            match check.status {
                Status::Pass => summary.pass += 1,
                Status::Fail => summary.fail += 1,
                Status::Warn => summary.warn += 1,
                Status::Skip => summary.skip += 1,
            }
        }
        Self {
            deployment_mode,
            checks,
            summary,
        }
    }

    pub fn exit_code(&self) -> u8 {
        if self.summary.fail > 0 {
            EXIT_FAILED
        } else {
            EXIT_OK
        }
    }

    /// One line per check under its group's heading, the summary, then the fixes.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if let Some(mode) = &self.deployment_mode {
            let _ = writeln!(out, "deployment mode: {mode}\n");
        }
        let width = self
            .checks
            .iter()
            .map(|c| c.target.chars().count())
            .max()
            .unwrap_or(0);
        let mut group = None;
        for check in &self.checks {
            if group != Some(check.group) {
                let _ = writeln!(
                    out,
                    "{}{}",
                    if group.is_some() { "\n" } else { "" },
                    heading(check.group)
                );
                group = Some(check.group);
            }
            let evidence = match check.status {
                Status::Skip => format!("skipped: {}", check.evidence),
                _ => check.evidence.clone(),
            };
            let _ = writeln!(
                out,
                "  {} {:<32} {:<width$}  {}",
                mark(check.status),
                check.id,
                check.target,
                evidence
            );
        }
        let s = self.summary;
        let _ = writeln!(
            out,
            "\n{} failed, {} warnings, {} passed, {} skipped",
            s.fail, s.warn, s.pass, s.skip
        );
        self.fixes(&mut out);
        out
    }

    fn fixes(&self, out: &mut String) {
        let todo: Vec<&CheckOutcome> = self
            .checks
            .iter()
            .filter(|c| matches!(c.status, Status::Fail | Status::Warn) && c.fix.is_some())
            .collect();
        if todo.is_empty() {
            return;
        }
        let _ = writeln!(out, "\nFixes");
        for check in todo {
            let _ = writeln!(
                out,
                "\n{} {} ({})",
                mark(check.status),
                check.id,
                check.target
            );
            let _ = writeln!(out, "  symptom: {}", check.symptom);
            let _ = writeln!(out, "  found:   {}", check.evidence);
            let _ = writeln!(
                out,
                "  fix:     {}",
                check.fix.as_deref().unwrap_or_default()
            );
        }
    }
}

fn heading(group: Group) -> &'static str {
    match group {
        Group::App => "app",
        Group::Keycloak => "Keycloak",
        Group::Cloudfront => "CloudFront",
        Group::Alb => "ALB",
        Group::Ecs => "ECS",
        Group::Certificates => "certificates",
    }
}

fn mark(status: Status) -> char {
    match status {
        Status::Pass => '✔',
        Status::Fail => '✖',
        Status::Warn => '!',
        Status::Skip => '–',
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn check(id: &'static str, group: Group, status: Status) -> CheckOutcome {
        CheckOutcome {
            id,
            group,
            status,
            target: "t".into(),
            symptom: "s",
            evidence: "e".into(),
            fix: (status == Status::Fail).then(|| "do this".to_owned()),
        }
    }

    #[test]
    fn grouped_summarised_and_fixed() {
        let report = Report::new(
            Some("cloudfront".into()),
            vec![
                check("tls-certificate", Group::Certificates, Status::Pass),
                check("keycloak-issuer", Group::Keycloak, Status::Fail),
                check("reachability", Group::App, Status::Pass),
                check("alb-target-health", Group::Alb, Status::Skip),
            ],
        );
        assert_eq!(
            report.summary,
            Summary {
                pass: 2,
                fail: 1,
                warn: 0,
                skip: 1
            }
        );
        assert_eq!(report.exit_code(), 1);
        let text = report.text();
        let order: Vec<usize> = [
            "\napp\n",
            "\nKeycloak\n",
            "\nALB\n",
            "\ncertificates\n",
            "\nFixes\n",
        ]
        .iter()
        .map(|h| text.find(h).unwrap_or_else(|| panic!("{h:?} in\n{text}")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(
            text.contains("✖ keycloak-issuer") && text.contains("– alb-target-health"),
            "{text}"
        );
        assert!(text.contains("fix:     do this"));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["checks"][0]["status"], "pass");
        assert_eq!(json["summary"]["fail"], 1);
    }
}
