//! The gateway's own guards, through the real SDK over real HTTP against a
//! loopback server: a stream whose answer never starts is given up at the
//! stream idle timeout even without requestTimeoutMs, and a request the SDK
//! cannot build (an empty id in its URL) is invalid params, not a network
//! failure, and never reaches the server.

use std::time::{Duration, Instant};

use bedrock_host::HostError;
use bedrock_host::protocol::shapes::{ApplyGuardrailRequest, ConverseRequest};
use bedrock_host::sdk::{BedrockGateway, CallOptions, GatewaySettings};
use serde_json::json;

use crate::support::canned::{Canned, CannedServer, event_frame};

const MODEL: &str = "us.anthropic.claude-3-5-sonnet-20241022-v2:0";

async fn gateway(server: &CannedServer, stream_idle_timeout: Option<Duration>) -> BedrockGateway {
    BedrockGateway::new(GatewaySettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(server.base_url.clone()),
        max_attempts: Some(1),
        stream_idle_timeout,
        static_credentials: Some(("AKIDTEST".into(), "secret".into())),
        ..GatewaySettings::default()
    })
    .await
    .expect("gateway builds")
}

#[tokio::test]
async fn a_stream_whose_answer_never_starts_is_given_up_at_the_stream_idle_timeout() {
    let mut silent = Canned::event_stream(&[event_frame("messageStart", json!({"role": "assistant"}))]);
    // Far longer than the idle timeout; without a bound the call would wait for it.
    silent.delay = Some(Duration::from_secs(20));
    let server = CannedServer::start(vec![silent]).await;
    let gateway = gateway(&server, Some(Duration::from_millis(300))).await;
    let converse: ConverseRequest =
        serde_json::from_value(json!({"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "hi"}]}]}))
            .unwrap();
    let started = Instant::now();
    let error = gateway.converse_stream(MODEL, &converse, &CallOptions::default()).await.expect_err("times out");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(matches!(error, HostError::Unreachable { attempts: 1, .. }), "{error:?}");
}

#[tokio::test]
async fn a_request_the_sdk_cannot_build_is_invalid_params_and_sends_nothing() {
    let server = CannedServer::start(vec![]).await;
    let gateway = gateway(&server, None).await;
    let guardrail: ApplyGuardrailRequest = serde_json::from_value(json!({
        "guardrailIdentifier": "", "guardrailVersion": "1", "source": "INPUT", "content": [{"text": {"text": "x"}}]
    }))
    .unwrap();
    let error = gateway.apply_guardrail(&guardrail, &CallOptions::default()).await.expect_err("cannot be built");
    assert!(matches!(error, HostError::InvalidParams { .. }), "{error:?}");
    assert!(error.to_string().contains("cannot be built"), "{error}");
    let error = gateway.get_async_invoke("", &CallOptions::default()).await.expect_err("cannot be built");
    assert!(matches!(error, HostError::InvalidParams { .. }), "{error:?}");
    assert!(server.received().is_empty(), "nothing was sent");
}
