//! The soak of forwarded-proto (`scripts/soak`; options in `edge::soak::Options`): deterministic
//! mutations of every fixture in `events/`, natively and through the packaged wasm.
fn main() -> std::process::ExitCode {
    let events = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    edge::soak::main::<forwarded_proto::ForwardedProto>(&events)
}
