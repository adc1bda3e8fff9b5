//! The compact boundary (`edge::view`) answers what the full path answers on every fixture
//! in `events/` (with the default config and the config fixture), and every origin-request fixture
//! takes the view path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use edge::function::config_from_json;
use forwarded_proto::ForwardedProto;

#[test]
fn view_path_equals_the_full_path_on_every_fixture() {
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    for text in [
        "{}".to_owned(),
        std::fs::read_to_string(events.join("config-forwarded-proto.json")).unwrap(),
    ] {
        let config = config_from_json::<ForwardedProto>(&text).unwrap();
        let viewed = edge::soak::view_equals_full_on_fixtures::<ForwardedProto>(&config, &events)
            .unwrap_or_else(|failure| panic!("{failure}"));
        assert!(viewed >= 10, "only {viewed} fixtures took the view path");
    }
}
