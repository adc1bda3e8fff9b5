//! The compact boundary (`edge::view`) answers what the full path answers on every fixture
//! in `events/` (with the config fixture), and every origin-request fixture
//! takes the view path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use edge::function::config_from_json;
use keycloak_host::KeycloakHost;

#[test]
fn view_path_equals_the_full_path_on_every_fixture() {
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let text = std::fs::read_to_string(events.join("config-keycloak-host.json")).unwrap();
    let config = config_from_json::<KeycloakHost>(&text).unwrap();
    let viewed = edge::soak::view_equals_full_on_fixtures::<KeycloakHost>(&config, &events)
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert!(viewed >= 10, "only {viewed} fixtures took the view path");
}
