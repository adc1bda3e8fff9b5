//! The test-command soak of forwarded-proto: 20 k deterministic mutations of the fixtures natively
//! (`scripts/soak` runs millions and the packaged wasm too): no panic, no result
//! `edge::validate` rejects, the view path equal to the full path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use edge::function::config_from_json;
use forwarded_proto::ForwardedProto;

#[test]
fn twenty_thousand_mutated_fixtures_run_clean() {
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let text = std::fs::read_to_string(events.join("config-forwarded-proto.json")).unwrap();
    let config = config_from_json::<ForwardedProto>(&text).unwrap();
    if let Err(failure) =
        edge::soak::run_native_cases::<ForwardedProto>(&config, &events, 20_000, 4)
    {
        panic!("{failure}");
    }
}
