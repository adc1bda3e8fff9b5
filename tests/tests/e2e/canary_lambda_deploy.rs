//! The canary's deployable package: `cargo lambda build --release --output-format zip`
//! produces `target/lambda/alb-canary/bootstrap.zip` (a `bootstrap` for provided.al2023), and
//! `cargo lambda deploy --endpoint-url <moto>` creates the function from it, as the README
//! tells users to do. The release build uses zig (from the test venv); cold it takes a few
//! minutes, so this is its own test binary (no other test waits on its build lock).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use edgekit_tests::canary_origins::cargo_lambda;
use edgekit_tests::moto::Moto;
use edgekit_tests::target_dir;

#[tokio::test(flavor = "multi_thread")]
async fn cargo_lambda_build_zip_and_deploy_to_moto() {
    let build = cargo_lambda()
        .args([
            "lambda",
            "build",
            "--release",
            "--output-format",
            "zip",
            "-p",
            "alb-canary",
        ])
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "cargo lambda build failed: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let zip_path = target_dir()
        .join("lambda")
        .join("alb-canary")
        .join("bootstrap.zip");
    let zip_bytes = std::fs::read(&zip_path).unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.clone())).unwrap();
    let names: Vec<&str> = archive.file_names().collect();
    assert_eq!(
        names,
        ["bootstrap"],
        "a provided.al2023 package holds one `bootstrap`"
    );

    let moto = Moto::start();
    let deploy = cargo_lambda()
        .args([
            "lambda",
            "deploy",
            "--endpoint-url",
            &moto.endpoint(),
            "--region",
            "us-east-1",
        ])
        .args([
            "--binary-name",
            "alb-canary",
            "--output-format",
            "json",
            "alb-canary",
        ])
        .envs(moto.env())
        .output()
        .unwrap();
    assert!(
        deploy.status.success(),
        "cargo lambda deploy failed: {}",
        String::from_utf8_lossy(&deploy.stderr)
    );
    // stdout has progress lines before the JSON document.
    let stdout = String::from_utf8_lossy(&deploy.stdout).into_owned();
    let json_start = stdout
        .find('{')
        .unwrap_or_else(|| panic!("no JSON in: {stdout}"));
    let out: serde_json::Value = serde_json::from_str(&stdout[json_start..]).unwrap();
    let arn = out["function_arn"].as_str().unwrap();
    assert_eq!(
        arn,
        "arn:aws:lambda:us-east-1:123456789012:function:alb-canary"
    );

    // Read the function back from moto.
    let sdk = moto.sdk_config("us-east-1").await;
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let function = lambda
        .get_function()
        .function_name("alb-canary")
        .send()
        .await
        .unwrap();
    let config = function.configuration().unwrap();
    assert_eq!(
        config.runtime().map(|r| r.as_str()),
        Some("provided.al2023")
    );
    assert_eq!(config.handler(), Some("bootstrap"));
    assert_eq!(
        config.code_size(),
        i64::try_from(zip_bytes.len()).unwrap(),
        "moto holds our zip"
    );
}
