//! Native `lambda_runtime` entry for forwarded-proto (for `cargo lambda watch`/`invoke`).
use edge::{CloudFrontEvent, function::config_from_env};
use forwarded_proto::{ForwardedProto, handle};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = &config_from_env::<ForwardedProto>()?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<CloudFrontEvent>| async move {
            handle(config, event.payload).map_err(Error::from)
        },
    ))
    .await
}
