//! The test-command soak of keycloak-host: 50 k deterministic mutations of the fixtures natively
//! (half of the 100 k the test command runs; `scripts/soak` runs millions and the packaged
//! wasm too): no panic, no result `edge::validate` rejects, the view path equal to the
//! full path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use edge::function::config_from_json;
use edge::soak::{load_fixtures, run_native};
use keycloak_host::KeycloakHost;

#[test]
fn fifty_thousand_mutated_fixtures_run_clean() {
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let fixtures = load_fixtures(&events).unwrap();
    let text = std::fs::read_to_string(events.join("config-keycloak-host.json")).unwrap();
    let config = config_from_json::<KeycloakHost>(&text).unwrap();
    let threads = 4u64;
    let per = 50_000 / threads;
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (config, fixtures) = (&config, &fixtures);
            scope.spawn(move || {
                if let Some(failure) =
                    run_native::<KeycloakHost>(config, fixtures, 1, t * per..(t + 1) * per)
                {
                    panic!(
                        "case {} (seed 1, scripts/soak reproduces it): {}\n{}",
                        failure.case,
                        failure.what,
                        String::from_utf8_lossy(&failure.event)
                    );
                }
            });
        }
    });
}
