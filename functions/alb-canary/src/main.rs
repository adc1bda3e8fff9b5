//! Native lambda_runtime entry for the canary (provided.al2023; `cargo lambda watch`/`deploy`).
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    alb_canary::init_tracing();
    let handler =
        |event: LambdaEvent<alb_canary::CanaryEvent>| alb_canary::handle_event(event.payload);
    lambda_runtime::run(service_fn(handler)).await
}
