//! Every cross-crate, CLI, browser and end-to-end test, in one test binary: one link of the
//! AWS SDK instead of one per file. Each module is one area; shared helpers are in `tests/src`.

mod alb_protect;
mod browser_login;
mod canary_classes;
mod canary_cli;
mod canary_lambda_deploy;
mod canary_lambda_watch;
mod cargo_lambda_edge;
mod cff_control_plane;
mod cff_dev;
mod cff_differential;
mod cff_package;
mod cli_errors;
mod control_plane;
mod control_plane_mocks;
mod dev_alb_verify;
mod dev_ca;
mod dev_conformance;
mod dev_e2e;
mod differential;
mod doctor_aws;
mod doctor_http;
mod domain;
mod forwarding_headers;
mod install;
mod invoke_golden;
mod logs;
mod packaging;
mod path_guard;
mod plan_diff;
mod properties;
mod publish_package;
mod sdk_mocks;
mod secret_rotate;
