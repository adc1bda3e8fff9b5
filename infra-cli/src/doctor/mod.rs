//! `edgekit doctor`'s engine: the troubleshooting list of a CloudFront → ALB → app + Keycloak
//! deployment as checks. Every check only reads; each returns [`check::CheckOutcome`]s with a
//! stable id, the symptom in the user's words, the evidence found and the fix.

pub mod aws_checks;
pub mod check;
pub mod deployment;
pub mod http;
pub mod report;
pub mod settings;
