//! Native `lambda_runtime` entry for keycloak-host (for `cargo lambda watch`/`invoke`): every event
//! answered by the one failure policy of `edge::function::respond`.
edge::lambda_main!(keycloak_host::KeycloakHost);
