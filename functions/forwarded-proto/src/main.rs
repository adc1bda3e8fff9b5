//! Native `lambda_runtime` entry for forwarded-proto (for `cargo lambda watch`/`invoke`): every event
//! answered by the one failure policy of `edge::function::respond`.
edge::lambda_main!(forwarded_proto::ForwardedProto);
