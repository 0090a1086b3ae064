//! What a conversation offers by default, and how loosely a client may answer
//! `tool/call`: any answer carrying the call's id is the answer, even one that
//! breaks JSON-RPC's rules, and a malformed error still reaches the model as
//! an error toolResult with the client's text.

use serde_json::{Value, json};

use crate::support::tools::{first_answer, start, weather_tool};

fn tool_names(entry: &Value) -> Vec<String> {
    entry["body"]["toolConfig"]["tools"]
        .as_array()
        .map(|tools| tools.iter().map(|tool| tool["toolSpec"]["name"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn clock_tool() -> Value {
    json!({"name": "get_time", "description": "The time in a city", "inputSchema": {"type": "object"}})
}

#[test]
fn a_conversation_created_without_tools_offers_every_registered_tool() {
    let mut host = start(json!({"rules": []}), json!({}));
    host.register(json!([weather_tool()]));
    let default = host.create(json!({}));
    let none = host.create(json!({"tools": []}));
    // "all" is the selection at each model call: a tool registered after creation is offered too.
    host.register(json!([clock_tool()]));
    for conversation in [&default, &none] {
        host.ok("conversation/send", json!({"conversationId": conversation, "content": "hi"}));
    }
    let journal = host.journal();
    assert_eq!(tool_names(&journal[0]), ["get_time", "get_weather"], "{}", journal[0]["body"]);
    assert_eq!(journal[1]["body"].get("toolConfig"), None, "`tools: []` offers none");
}

/// Answers to `tool/call` that break JSON-RPC's rules, and the text the model must see for each.
fn malformed_answers(id: &Value) -> Vec<(&'static str, Value, &'static str)> {
    vec![
        (
            "string code",
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": "E_SENSOR", "message": "sensor offline"}}),
            "sensor offline",
        ),
        (
            "float code",
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32000.5, "message": "float code text"}}),
            "float code text",
        ),
        (
            "no message",
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32000, "data": "the text is in data"}}),
            "the text is in data",
        ),
        (
            "neither message nor data",
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": 7, "reason": "only a reason"}}),
            "only a reason",
        ),
        ("a bare string", json!({"jsonrpc": "2.0", "id": id, "error": "a bare string error"}), "a bare string error"),
        (
            "result and error",
            json!({"jsonrpc": "2.0", "id": id, "result": {"content": "fine"}, "error": {"code": 1, "message": "both"}}),
            "both",
        ),
        (
            "no jsonrpc",
            json!({"id": id, "error": {"code": -32000, "message": "no jsonrpc member"}}),
            "no jsonrpc member",
        ),
    ]
}

#[test]
fn a_malformed_error_answer_to_tool_call_becomes_an_error_result_at_once() {
    let script =
        first_answer(json!([{"toolUse": {"toolUseId": "tu_m", "name": "get_weather", "input": {"city": "Lima"}}}]));
    // Before answers like these were read, each turn waited out this timeout and said "did not answer".
    let mut host = start(script, json!({"initializationOptions": {"toolCallTimeoutMs": 3000}}));
    host.register(json!([weather_tool()]));
    let cases = malformed_answers(&Value::Null).len();
    for case in 0..cases {
        let conversation = host.create(json!({}));
        let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Lima?"}));
        let call = host.host.host_request();
        assert_eq!(call["method"], "tool/call");
        let (name, answer, text) = malformed_answers(&call["id"]).swap_remove(case);
        host.host.send(&answer);
        let response = host.host.response(&send);
        let result = response.get("result").unwrap_or_else(|| panic!("{name}: {response}"));
        let tool_result = &result["messages"][1]["content"][0]["toolResult"];
        assert_eq!(tool_result["status"], "error", "{name}: {result}");
        let said = tool_result["content"][0]["text"].as_str().unwrap();
        assert!(said.contains(text), "{name}: the client's text reaches the model: {said}");
        assert!(!said.contains("did not answer"), "{name}: {said}");
        assert_eq!(result["toolCalls"][0]["status"], "error", "{name}");
        assert_eq!(result["stopReason"], "end_turn", "{name}: the loop goes on");
    }
}

#[test]
fn a_result_without_jsonrpc_is_the_answer() {
    let script =
        first_answer(json!([{"toolUse": {"toolUseId": "tu_r", "name": "get_weather", "input": {"city": "Rome"}}}]));
    let mut host = start(script, json!({"initializationOptions": {"toolCallTimeoutMs": 3000}}));
    host.register(json!([weather_tool()]));
    let conversation = host.create(json!({}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Rome?"}));
    let call = host.host.host_request();
    host.host.send(&json!({"id": call["id"], "result": {"content": "31C and sunny"}}));
    let result = host.host.response(&send)["result"].clone();
    let tool_result = &result["messages"][1]["content"][0]["toolResult"];
    assert_eq!(tool_result["status"], "success", "{result}");
    assert_eq!(tool_result["content"], json!([{"text": "31C and sunny"}]));
}
