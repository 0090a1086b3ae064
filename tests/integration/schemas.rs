//! `schemas/` is generated from the protocol types; this test regenerates it
//! with the real binary and fails on any difference, and checks that the
//! example messages of PROTOCOL.md deserialize into the types.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use bedrock_host::protocol::bedrock::{ContentBlock, ConverseStreamEvent, CountTokensInput};
use bedrock_host::protocol::{
    ConversationCreateParams, ConversationSendParams, ConverseEventParams, ConverseParams, CostEstimateParams,
    CountTokensParams, InitializeParams, InvokeModelParams, PROTOCOL_METHODS, StringOrBlocks, ToolCallParams,
    ToolCallResult, ToolRegisterParams, ToolSelection,
};
use serde::de::DeserializeOwned;
use serde_json::json;

const REGENERATE: &str = "run `cargo run -- schema --out schemas` and commit the result";

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[test]
fn committed_schemas_match_the_generated_ones() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_bedrock-host"))
        .args(["schema", "--out"])
        .arg(out.path())
        .output()
        .expect("run bedrock-host schema");
    assert!(status.status.success(), "bedrock-host schema failed: {}", String::from_utf8_lossy(&status.stderr));

    let committed: PathBuf = [env!("CARGO_MANIFEST_DIR"), "schemas"].iter().collect();
    let generated = file_names(out.path());
    let existing = file_names(&committed);
    let missing: Vec<_> = generated.difference(&existing).collect();
    let stale: Vec<_> = existing.difference(&generated).collect();
    assert!(missing.is_empty(), "schemas/ lacks {missing:?}; {REGENERATE}");
    assert!(
        stale.is_empty(),
        "schemas/ has files the generator no longer writes: {stale:?}; delete them and {REGENERATE}"
    );
    for name in &generated {
        let fresh = std::fs::read_to_string(out.path().join(name)).unwrap();
        let old = std::fs::read_to_string(committed.join(name)).unwrap();
        assert!(fresh == old, "schemas/{name} differs from what the code generates; {REGENERATE}");
    }
}

#[test]
fn the_index_lists_every_method_with_its_files() {
    let committed: PathBuf = [env!("CARGO_MANIFEST_DIR"), "schemas", "protocol.json"].iter().collect();
    let index: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(committed).unwrap()).unwrap();
    let methods = index["methods"].as_array().unwrap();
    assert_eq!(methods.len(), PROTOCOL_METHODS.len());
    let send = methods.iter().find(|entry| entry["name"] == "conversation/send").unwrap();
    assert_eq!(
        send,
        &json!({"name": "conversation/send", "direction": "clientToHost", "kind": "request",
                "params": "conversation.send.params.json", "result": "conversation.send.result.json"})
    );
    let tool_call = methods.iter().find(|entry| entry["name"] == "tool/call").unwrap();
    assert_eq!(tool_call["direction"], "hostToClient");
    let event = methods.iter().find(|entry| entry["name"] == "converse/event").unwrap();
    assert_eq!((&event["kind"], &event["result"]), (&json!("notification"), &serde_json::Value::Null));
}

fn parse<T: DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|error| panic!("{value} does not parse: {error}"))
}

#[test]
fn protocol_md_examples_deserialize() {
    let event: ConverseEventParams = parse(json!({
        "requestId": 7, "conversationId": "c1", "iteration": 1,
        "event": {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hel"}}}
    }));
    assert!(matches!(event.event, ConverseStreamEvent::ContentBlockDelta(_)));

    let converse: ConverseParams = parse(json!({
        "modelId": "sonnet", "stream": true,
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": 100},
        "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]},
        "guardrailConfig": {"guardrailIdentifier": "gr1", "guardrailVersion": "1"},
        "additionalModelRequestFields": {"top_k": 5}
    }));
    let (request, stream) = converse.into_request();
    assert!(stream);
    assert_eq!(request.model_id, "sonnet");

    let count: CountTokensParams = parse(json!({
        "modelId": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "input": {"converse": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}}
    }));
    assert!(matches!(count.input, CountTokensInput::Converse(_)));

    let _: InvokeModelParams =
        parse(json!({"modelId": "m", "body": {"prompt": "hi"}, "accept": "application/json", "stream": true}));
    let _: CostEstimateParams = parse(json!({"modelId": "haiku", "inputTokens": 1000, "outputTokens": 200}));
    let _: ToolRegisterParams = parse(json!({"tools": [{"name": "get_weather", "description": "Weather",
        "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}}}]}));

    let create: ConversationCreateParams =
        parse(json!({"modelId": "haiku", "system": "Be brief.", "tools": "all", "toolChoice": {"auto": {}}}));
    assert_eq!(create.tools, Some(ToolSelection::All));
    assert_eq!(create.system.unwrap().into_blocks().len(), 1);
    let create: ConversationCreateParams = parse(json!({"tools": ["get_weather"], "system": [{"text": "a"}]}));
    assert_eq!(create.tools, Some(ToolSelection::Named(vec!["get_weather".into()])));

    let send: ConversationSendParams = parse(json!({"conversationId": "c1", "content": "Weather in Paris?"}));
    assert!(send.stream, "stream defaults to true");
    assert_eq!(send.content.into_blocks(), vec![ContentBlock::Text("Weather in Paris?".into())]);

    let call: ToolCallParams = parse(json!({"requestId": "r-1", "conversationId": "c1", "toolUseId": "tooluse_x",
        "name": "get_weather", "input": {"city": "Paris"}}));
    assert_eq!(call.name, "get_weather");
    let answer: ToolCallResult = parse(json!({"content": "21°C", "status": "success"}));
    assert_eq!(answer.content, StringOrBlocks::Text("21°C".into()));
    let _: ToolCallResult = parse(json!({"content": [{"json": {"tempC": 21}}]}));

    let _: InitializeParams = parse(json!({"clientInfo": {"name": "test"}, "capabilities": {"tools": true},
        "initializationOptions": {"region": "us-east-1", "endpointUrl": "http://127.0.0.1:1"}}));
}
