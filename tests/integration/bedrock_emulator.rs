//! The gateway against the in-process emulator: the real SDK over real HTTP
//! end to end, for the operations the host calls most.

use bedrock_host::emulator::{self, EmulatorConfig};
use bedrock_host::protocol::shapes::{
    ContentBlock, ConverseOutput, ConverseRequest, ConverseStreamEvent, CountTokensInput,
};
use bedrock_host::sdk::{BedrockGateway, CallOptions, GatewaySettings, InvokeModelRequest};
use serde_json::{Value, json};

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

async fn gateway(base_url: &str) -> BedrockGateway {
    BedrockGateway::new(GatewaySettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(base_url.to_owned()),
        static_credentials: Some(("AKIDEMULATOR".into(), "emulator-secret".into())),
        ..GatewaySettings::default()
    })
    .await
    .expect("gateway builds")
}

fn conversation() -> Value {
    json!({
        "modelId": MODEL,
        "system": [{"text": "You are terse."}],
        "messages": [{"role": "user", "content": [{"text": "hello emulator, how are you today?"}]}],
        "inferenceConfig": {"maxTokens": 200}
    })
}

#[tokio::test]
async fn converse_stream_assembles_to_what_converse_answers_and_count_tokens_agrees() {
    let emulator = emulator::start(EmulatorConfig::loopback()).await.expect("emulator starts");
    let gateway = gateway(emulator.base_url()).await;
    let request: ConverseRequest = serde_json::from_value(conversation()).unwrap();
    let options = CallOptions::default();

    let response = gateway.converse(MODEL, &request, &options).await.expect("converse");
    let ConverseOutput::Message(message) = &response.output;
    let [ContentBlock::Text(answer)] = message.content.as_slice() else {
        panic!("one text block expected: {message:?}")
    };
    assert!(answer.contains("hello emulator"), "{answer}");
    assert_eq!(response.stop_reason, "end_turn");
    assert_eq!(response.usage.total_tokens, response.usage.input_tokens + response.usage.output_tokens);

    let mut stream = gateway.converse_stream(MODEL, &request, &options).await.expect("stream opens");
    let mut kinds = Vec::new();
    let mut streamed = String::new();
    for _ in 0..1000 {
        let Some(event) = stream.next().await else { break };
        let event = event.expect("event");
        if let ConverseStreamEvent::ContentBlockDelta(delta) = &event
            && let bedrock_host::protocol::shapes::ContentBlockDelta::Text(text) = &delta.delta
        {
            streamed.push_str(text);
        }
        let kind = serde_json::to_value(&event).unwrap().as_object().unwrap().keys().next().unwrap().clone();
        if kinds.last() != Some(&kind) {
            kinds.push(kind);
        }
    }
    assert_eq!(kinds, ["messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]);
    assert_eq!(&streamed, answer);

    let input: CountTokensInput = serde_json::from_value(json!({"converse": {
        "system": conversation()["system"], "messages": conversation()["messages"]
    }}))
    .unwrap();
    assert_eq!(gateway.count_tokens(MODEL, &input, &options).await.unwrap(), response.usage.input_tokens);
    emulator.shutdown().await;
}

#[tokio::test]
async fn invoke_model_and_its_stream_pass_native_bodies_through() {
    let emulator = emulator::start(EmulatorConfig::loopback()).await.expect("emulator starts");
    let gateway = gateway(emulator.base_url()).await;
    let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
                      "messages": [{"role": "user", "content": "hello native body"}]});
    let request =
        InvokeModelRequest { body: serde_json::to_vec(&body).unwrap().into(), ..InvokeModelRequest::default() };

    let response = gateway.invoke_model(MODEL, request.clone(), &CallOptions::default()).await.expect("invoke");
    let answer = response.body_json().expect("JSON body");
    assert_eq!(answer["content"][0]["type"], "text", "{answer}");
    assert!(response.content_type.starts_with("application/json"), "{}", response.content_type);

    let mut stream = gateway.invoke_model_stream(MODEL, request, &CallOptions::default()).await.expect("stream");
    let mut types = Vec::new();
    for _ in 0..1000 {
        let Some(chunk) = stream.next().await else { break };
        let chunk: Value = serde_json::from_slice(&chunk.expect("chunk")).expect("JSON chunk");
        types.push(chunk["type"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(types.first().map(String::as_str), Some("message_start"));
    assert_eq!(types.last().map(String::as_str), Some("message_stop"));
    emulator.shutdown().await;
}
