//! Native `lambda_runtime` entry for keycloak-host (for `cargo lambda watch`/`invoke`).
use edge::{CloudFrontEvent, function::config_from_env};
use keycloak_host::{KeycloakHost, handle};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = &config_from_env::<KeycloakHost>()?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<CloudFrontEvent>| async move {
            handle(config, event.payload).map_err(Error::from)
        },
    ))
    .await
}
