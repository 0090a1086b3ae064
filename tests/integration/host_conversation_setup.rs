//! How the host sets up its Bedrock client, seen through the binary: the
//! normal AWS chain against any endpoint (`--endpoint-url`, credentials and
//! region from the environment), and the retry and timeout options.

use serde_json::json;

use crate::support::conversation::{Emulated, message_text, words};
use crate::support::emulator::{StandaloneEmulator, journal};
use crate::support::stdio::{Framing, HostBuilder};

#[test]
fn the_normal_aws_chain_reaches_any_endpoint() {
    let emulator = StandaloneEmulator::start();
    assert!(emulator.base_url.starts_with("http://127.0.0.1:"), "{}", emulator.base_url);
    let home = tempfile::tempdir().expect("a temp HOME");
    let mut host = HostBuilder::new(Framing::ContentLength)
        .without_aws_setup(home.path())
        .arg("--endpoint-url")
        .arg(&emulator.base_url)
        .env("AWS_ACCESS_KEY_ID", "AKIDFROMTHEENVIRONMENT")
        .env("AWS_SECRET_ACCESS_KEY", "secret-from-the-environment")
        .env("AWS_REGION", "eu-west-1")
        .spawn();
    let init = host.call("initialize", json!({}));
    let backend = &init["result"]["backend"];
    assert_eq!(backend["kind"], "bedrock", "{init}");
    assert_eq!(backend["region"], "eu-west-1");
    assert_eq!(backend["endpointUrl"].as_str().map(|url| url.trim_end_matches('/')), Some(emulator.base_url.as_str()));

    let create = host.call("conversation/create", json!({"modelId": "sonnet"}));
    let conversation = create["result"]["conversationId"].clone();
    let turn = host.call("conversation/send", json!({"conversationId": conversation, "content": "over the chain"}));
    assert_eq!(message_text(&turn["result"]["messages"][0]), "You said: over the chain", "{turn}");

    let journal = journal(&emulator.base_url);
    assert_eq!(journal.len(), 1);
    assert_eq!(
        journal[0]["modelId"], "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "the alias resolves for the region from the environment"
    );
}

#[test]
fn max_attempts_from_the_initialization_options_bounds_the_retries() {
    let rule = json!({
        "when": {"operation": "ConverseStream"},
        "fail": {"error": "ThrottlingException", "status": 429, "message": "Rate exceeded"}
    });
    let mut emulated = Emulated::start(Some(json!({"rules": [rule]})), json!({"maxAttempts": 2}));
    let conversation = emulated.create(json!({}));
    let (notifications, response) =
        emulated.exchange("conversation/send", json!({"conversationId": conversation, "content": "hi"}));
    assert_eq!(response["error"]["code"], -32001, "{response}");
    assert_eq!(response["error"]["data"]["attempts"], 2);
    assert_eq!(notifications.iter().filter(|n| n["method"] == "converse/retry").count(), 1);
    assert_eq!(emulated.journal_of("ConverseStream").len(), 2);
}

#[test]
fn a_stream_that_stalls_longer_than_the_request_timeout_is_a_network_failure() {
    let rule = json!({
        "when": {"operation": "ConverseStream"},
        "respond": {"content": [{"text": "too late"}], "firstTokenDelayMs": 5000}
    });
    let mut emulated =
        Emulated::start(Some(json!({"rules": [rule]})), json!({"requestTimeoutMs": 300, "maxAttempts": 1}));
    let request =
        json!({"modelId": "haiku", "stream": true, "messages": [{"role": "user", "content": [{"text": "hi"}]}]});
    let response = emulated.host.call("bedrock/converse", request);
    assert_eq!(response["error"]["code"], -32005, "{response}");
    assert_eq!(response["error"]["data"]["attempts"], 1, "{response}");
    assert!(response["error"]["message"].as_str().unwrap().contains("requestTimeoutMs"), "{response}");
}

#[test]
fn a_stream_slower_between_tokens_than_the_request_timeout_still_completes() {
    let rule = json!({
        "when": {"operation": "ConverseStream"},
        "respond": {"content": [{"text": words(25)}], "tokenDelayMs": 100}
    });
    // Each gap (100 ms) is far inside the timeout; the whole answer (2.5 s) is not.
    let mut emulated = Emulated::start(Some(json!({"rules": [rule]})), json!({"requestTimeoutMs": 1500}));
    let conversation = emulated.create(json!({}));
    let turn = emulated.host.call("conversation/send", json!({"conversationId": conversation, "content": "count"}));
    assert_eq!(message_text(&turn["result"]["messages"][0]), words(25), "{turn}");
}

#[test]
fn an_invoke_model_stream_that_stalls_longer_than_the_request_timeout_is_a_network_failure() {
    let rule = json!({
        "when": {"operation": "InvokeModelWithResponseStream"},
        "respond": {"content": [{"text": "too late"}], "firstTokenDelayMs": 5000}
    });
    let mut emulated =
        Emulated::start(Some(json!({"rules": [rule]})), json!({"requestTimeoutMs": 300, "maxAttempts": 1}));
    let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
        "messages": [{"role": "user", "content": "hi"}]});
    let response = emulated.host.call("bedrock/invokeModel", json!({"modelId": "haiku", "stream": true, "body": body}));
    assert_eq!(response["error"]["code"], -32005, "{response}");
    assert!(response["error"]["message"].as_str().unwrap().contains("requestTimeoutMs"), "{response}");
}
