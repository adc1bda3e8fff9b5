//! The compact boundary (`edge::view`) answers what the full path answers: on every fixture
//! in `events/`, with the config fixture (keycloak-host has no usable defaults), the view path's result
//! (edits applied to the event's request, or the generated response) equals
//! `respond_json`'s, and every origin-request fixture takes the view path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use edge::function::{config_from_json, respond_json};
use edge::view::result_via_view;
use keycloak_host::KeycloakHost;

#[test]
fn view_path_equals_the_full_path_on_every_fixture() {
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let configs = [std::fs::read_to_string(events.join("config-keycloak-host.json")).unwrap()];
    let mut viewed = 0;
    for config in &configs {
        let config = config_from_json::<KeycloakHost>(config).unwrap();
        for entry in std::fs::read_dir(&events).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !path.is_file() || !name.ends_with(".json") || name.starts_with("config-") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let full: serde_json::Value =
                serde_json::from_slice(&respond_json::<KeycloakHost>(&config, &bytes).result)
                    .unwrap();
            let origin_request = bytes
                .windows(b"\"origin-request\"".len())
                .any(|w| w == b"\"origin-request\"");
            match result_via_view::<KeycloakHost>(&config, &bytes) {
                Some(view) => {
                    assert_eq!(view, full, "{name}");
                    viewed += 1;
                }
                None => assert!(!origin_request, "{name}: origin-request took the full path"),
            }
        }
    }
    assert!(viewed >= 10, "{viewed}");
}
