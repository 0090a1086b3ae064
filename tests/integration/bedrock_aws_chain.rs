//! The AWS default chain: a named profile supplies region and credentials;
//! without credentials or a region the gateway still builds, and a call
//! answers -32004 with a hint. The scenarios run in a child process of this
//! test binary with the environment cleared (no AWS_* variables, HOME an
//! empty directory, IMDS disabled), so the developer's own AWS set-up cannot
//! leak in and no other test's environment is touched.

use std::process::Command;

use bedrock_host::HostError;
use bedrock_host::sdk::{BedrockGateway, CallOptions, GatewaySettings, InvokeModelRequest};

use crate::support::canned::{Canned, CannedServer};

fn run_isolated(test_name: &str) {
    run_isolated_in(test_name, tempfile::tempdir().expect("temp HOME"));
}

/// Runs the ignored test `test_name` of this module, alone, in this test binary run again with a
/// cleared environment and `home` as HOME.
fn run_isolated_in(test_name: &str, home: tempfile::TempDir) {
    // The binary names its tests by their path below the crate root: `bedrock_aws_chain::isolated_…`.
    let (_, module) = module_path!().split_once("::").expect("this module is below the crate root");
    let test_name = format!("{module}::{test_name}");
    let output = Command::new(std::env::current_exe().expect("test binary path"))
        .args(["--exact", &test_name, "--ignored", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{test_name} failed in a cleared environment:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "{test_name} did not run:\n{stdout}");
}

#[test]
fn missing_credentials_answer_no_credentials_with_a_hint() {
    run_isolated("isolated_missing_credentials");
}

#[test]
fn missing_region_answers_no_credentials_with_a_hint() {
    run_isolated("isolated_missing_region");
}

#[test]
fn a_named_profile_supplies_region_and_credentials() {
    let home = tempfile::tempdir().expect("temp HOME");
    let aws = home.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    std::fs::write(aws.join("config"), "[default]\nregion = us-east-1\n\n[profile work]\nregion = ap-southeast-2\n")
        .unwrap();
    std::fs::write(
        aws.join("credentials"),
        "[work]\naws_access_key_id = AKIDPROFILEWORK\naws_secret_access_key = profile-secret\n",
    )
    .unwrap();
    run_isolated_in("isolated_named_profile", home);
}

fn request() -> InvokeModelRequest {
    InvokeModelRequest { body: b"{}".to_vec().into(), ..InvokeModelRequest::default() }
}

#[tokio::test]
#[ignore = "run by missing_credentials_answer_no_credentials_with_a_hint in a cleared environment"]
async fn isolated_missing_credentials() {
    let server = CannedServer::start(vec![Canned::json(200, "{}")]).await;
    let gateway = BedrockGateway::new(GatewaySettings {
        region: Some("eu-west-1".into()),
        endpoint_url: Some(server.base_url.clone()),
        ..GatewaySettings::default()
    })
    .await
    .expect("the gateway builds without credentials");
    assert_eq!(gateway.region(), Some("eu-west-1"));
    assert_eq!(gateway.endpoint_url(), Some(server.base_url.as_str()));

    let error =
        gateway.invoke_model("amazon.titan-text-express-v1", request(), &CallOptions::default()).await.unwrap_err();

    assert_eq!(error.code(), -32004, "{error:?}");
    let HostError::NoCredentials { hint, .. } = &error else { panic!("{error:?}") };
    for advice in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "aws sso login --profile",
        "AWS_BEARER_TOKEN_BEDROCK",
    ] {
        assert!(hint.contains(advice), "hint lacks {advice}: {hint}");
    }
    assert_eq!(error.to_error_object()["data"]["hint"], hint.as_str());
    assert!(server.received().is_empty(), "nothing unsigned may be sent");
}

#[tokio::test]
#[ignore = "run by missing_region_answers_no_credentials_with_a_hint in a cleared environment"]
async fn isolated_missing_region() {
    let gateway = BedrockGateway::new(GatewaySettings::default()).await.expect("the gateway builds without a region");
    assert_eq!(gateway.region(), None);

    let error =
        gateway.invoke_model("amazon.titan-text-express-v1", request(), &CallOptions::default()).await.unwrap_err();

    assert_eq!(error.code(), -32004, "{error:?}");
    let HostError::NoRegion { message, hint } = &error else { panic!("{error:?}") };
    assert!(message.contains("no AWS region"), "{message}");
    assert!(hint.contains("AWS_REGION") && hint.contains("--region"), "{hint}");
}

#[tokio::test]
#[ignore = "run by a_named_profile_supplies_region_and_credentials in a cleared environment"]
async fn isolated_named_profile() {
    let server = CannedServer::start(vec![Canned::json(200, r#"{"ok":true}"#)]).await;
    let gateway = BedrockGateway::new(GatewaySettings {
        profile: Some("work".into()),
        endpoint_url: Some(server.base_url.clone()),
        ..GatewaySettings::default()
    })
    .await
    .unwrap();
    assert_eq!(gateway.region(), Some("ap-southeast-2"));

    gateway
        .invoke_model("amazon.titan-text-express-v1", request(), &CallOptions::default())
        .await
        .expect("signed call");

    let authorization = server.received()[0].header("authorization").unwrap_or_default().to_owned();
    assert!(
        authorization.contains("Credential=AKIDPROFILEWORK/")
            && authorization.contains("/ap-southeast-2/bedrock/aws4_request"),
        "{authorization}"
    );
}
