//! The tool registry through the real binary (`tool/register|unregister|list`),
//! and what reaches Bedrock: the toolConfig of each model call, toolChoice,
//! and the client's tool results in every content-block form.

use serde_json::{Value, json};

use crate::support::conversation::message_text;
use crate::support::tools::{first_answer, start, weather_tool};

fn tool(name: &str, description: &str) -> Value {
    json!({"name": name, "description": description, "inputSchema": {"type": "object"}})
}

fn offered(entry: &Value) -> Vec<(String, String)> {
    entry["body"]["toolConfig"]["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tool| {
            let spec = &tool["toolSpec"];
            (spec["name"].as_str().unwrap().to_string(), spec["description"].as_str().unwrap_or("").to_string())
        })
        .collect()
}

#[test]
fn register_validates_and_list_and_unregister_follow() {
    let mut host = start(json!({"rules": []}), json!({}));
    let response = host.host.call(
        "tool/register",
        json!({"tools": [
            tool("fine", "ok"),
            {"name": "bad name", "inputSchema": {"type": "object"}},
            {"name": "list_maker", "inputSchema": {"type": "array"}},
            {"name": "stringly", "inputSchema": "object"}
        ]}),
    );
    let error = &response["error"];
    assert_eq!(error["code"], -32602, "{response}");
    let paths: Vec<&str> =
        error["data"]["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["tools[1].name", "tools[2].inputSchema.type", "tools[3].inputSchema"]);
    let messages = error["message"].as_str().unwrap();
    assert!(messages.contains("bad name") && messages.contains("list_maker"), "{messages}");
    assert_eq!(host.ok("tool/list", json!({})), json!({"tools": []}), "a rejected call registers nothing");

    host.register(json!([tool("b_tool", "first"), weather_tool()]));
    host.register(json!([tool("b_tool", "second")]));
    let listed = host.ok("tool/list", json!({}));
    assert_eq!(listed["tools"], json!([tool("b_tool", "second"), weather_tool()]), "replaced, sorted by name");
    assert_eq!(
        host.ok("tool/unregister", json!({"names": ["b_tool", "never_there"]})),
        json!({"unregistered": ["b_tool"]})
    );
    assert_eq!(host.ok("tool/list", json!({}))["tools"], json!([weather_tool()]));

    let response = host.host.call("conversation/create", json!({"tools": ["get_weather", "b_tool"]}));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert_eq!(response["error"]["data"]["errors"][0]["path"], "tools[1]");
}

#[test]
fn bedrock_receives_exactly_the_conversations_tools_and_tool_choice() {
    // Every answer is text: unscripted, the forced `gamma` would be called and the turn would wait for it.
    let mut host = start(json!({"rules": [{"respond": {"content": [{"text": "ok"}]}}]}), json!({}));
    host.register(json!([tool("alpha", "ALPHA"), tool("beta", "BETA"), tool("gamma", "GAMMA")]));
    let all = host.create(json!({"tools": "all"}));
    let named = host.create(json!({"tools": ["gamma", "alpha"], "toolChoice": {"tool": {"name": "gamma"}}}));
    let none = host.create(json!({"tools": []}));
    for conversation in [&all, &named, &none] {
        host.ok("conversation/send", json!({"conversationId": conversation, "content": "hi"}));
    }
    let journal = host.journal();
    let pairs =
        |names: &[&str]| -> Vec<(String, String)> { names.iter().map(|n| (n.to_string(), n.to_uppercase())).collect() };
    assert_eq!(offered(&journal[0]), pairs(&["alpha", "beta", "gamma"]));
    assert_eq!(journal[0]["body"]["toolConfig"].get("toolChoice"), None);
    assert_eq!(offered(&journal[1]), pairs(&["gamma", "alpha"]), "the named list, in its order");
    assert_eq!(journal[1]["body"]["toolConfig"]["toolChoice"], json!({"tool": {"name": "gamma"}}));
    assert_eq!(journal[2]["body"].get("toolConfig"), None, "`tools: []`, no toolConfig");
    assert_eq!(
        journal[0]["body"]["toolConfig"]["tools"][0],
        json!({"toolSpec": {"name": "alpha", "description": "ALPHA", "inputSchema": {"json": {"type": "object"}}}})
    );
}

#[test]
fn a_turn_may_offer_its_own_tools_and_the_conversation_keeps_its_selection() {
    let mut host = start(json!({"rules": [{"respond": {"content": [{"text": "ok"}]}}]}), json!({}));
    host.register(json!([tool("alpha", "ALPHA"), tool("beta", "BETA"), tool("gamma", "GAMMA")]));
    let conversation = host.create(json!({"tools": ["alpha", "beta"]}));
    let send = |tools: Value| json!({"conversationId": conversation, "content": "hi", "tools": tools});
    host.ok("conversation/send", send(json!(["gamma"])));
    host.ok("conversation/send", json!({"conversationId": conversation, "content": "again"}));
    host.ok("conversation/send", send(json!("all")));
    host.ok("conversation/send", send(json!([])));
    let response = host.host.call("conversation/send", send(json!(["alpha", "missing"])));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert_eq!(response["error"]["data"]["errors"][0]["path"], "tools[1]", "{response}");
    assert!(
        response["error"]["message"].as_str().unwrap().contains("`missing` is not a registered tool"),
        "{response}"
    );

    let journal = host.journal();
    assert_eq!(journal.len(), 4, "the refused turn never reached Bedrock");
    let names = |entry: &Value| offered(entry).into_iter().map(|(name, _)| name).collect::<Vec<_>>();
    assert_eq!(names(&journal[0]), ["gamma"], "this turn's own tools");
    assert_eq!(names(&journal[1]), ["alpha", "beta"], "the next turn: the conversation's selection again");
    assert_eq!(names(&journal[2]), ["alpha", "beta", "gamma"], "`all` for one turn");
    assert_eq!(journal[3]["body"].get("toolConfig"), None, "`[]`: no toolConfig for this turn");
    let history = host.ok("conversation/get", json!({"conversationId": conversation}));
    assert_eq!(history["messages"].as_array().unwrap().len(), 8, "four turns kept, the refused one not: {history}");
}

#[test]
fn a_tool_registered_again_is_offered_from_the_next_model_call() {
    let script =
        first_answer(json!([{"toolUse": {"toolUseId": "tu_1", "name": "get_weather", "input": {"city": "Oslo"}}}]));
    let mut host = start(script, json!({}));
    host.register(json!([weather_tool()]));
    let conversation = host.create(json!({"tools": "all"}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Oslo"}));
    let call = host.host.host_request();
    // While the client holds the call, it replaces the tool and adds one.
    let replaced = json!({"name": "get_weather", "description": "Weather, in kelvin",
                          "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}}});
    host.register(json!([replaced, tool("later", "L")]));
    host.host.reply(&call["id"], json!({"content": "275K"}));
    let result = host.host.response(&send)["result"].clone();
    assert_eq!(result["stopReason"], "end_turn", "{result}");
    let journal = host.journal();
    assert_eq!(offered(&journal[0]), [("get_weather".to_string(), "Current weather for a city".to_string())]);
    assert_eq!(
        offered(&journal[1]),
        [("get_weather".to_string(), "Weather, in kelvin".to_string()), ("later".to_string(), "L".to_string())]
    );
    assert_eq!(
        journal[1]["body"]["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"],
        replaced["inputSchema"]
    );
}

#[test]
fn the_clients_result_blocks_reach_bedrock_as_given() {
    let script = first_answer(json!([
        {"toolUse": {"toolUseId": "tu_rich", "name": "get_weather", "input": {"city": "Oslo"}}},
        {"toolUse": {"toolUseId": "tu_odd", "name": "get_weather", "input": {"city": "Bergen"}}}
    ]));
    let mut host = start(script, json!({}));
    host.register(json!([weather_tool()]));
    let conversation = host.create(json!({"tools": "all"}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Oslo"}));
    let rich = host.host.host_request();
    let odd = host.host.host_request();
    let blocks = json!([
        {"text": "partly"},
        {"json": {"celsius": 2, "wind": [3, 4]}},
        {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}},
        {"document": {"format": "txt", "name": "forecast", "source": {"bytes": "cmFpbg=="}}}
    ]);
    host.host.reply(&rich["id"], json!({"content": blocks, "status": "error"}));
    host.host.reply(&odd["id"], json!({"answer": 42}));
    let result = host.host.response(&send)["result"].clone();
    assert_eq!(result["stopReason"], "end_turn", "{result}");
    let sent = &host.journal()[1]["body"]["messages"][2]["content"];
    assert_eq!(sent[0], json!({"toolResult": {"toolUseId": "tu_rich", "content": blocks, "status": "error"}}));
    assert_eq!(sent[1]["toolResult"]["status"], "error");
    let text = sent[1]["toolResult"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("was not a tool result"), "{text}");
    let statuses: Vec<&Value> = result["toolCalls"].as_array().unwrap().iter().map(|c| &c["status"]).collect();
    assert_eq!(statuses, [&json!("error"), &json!("error")]);
    assert!(message_text(&result["messages"][2]).starts_with("Tool result received: partly"), "{result}");
}

#[test]
fn a_registered_tool_outside_the_conversations_list_is_not_run() {
    let script = first_answer(json!([{"toolUse": {"toolUseId": "tu_o", "name": "other", "input": {}}}]));
    let mut host = start(script, json!({}));
    host.register(json!([weather_tool(), tool("other", "O")]));
    let conversation = host.create(json!({"tools": ["get_weather"]}));
    let result = host.ok("conversation/send", json!({"conversationId": conversation, "content": "go"}));
    let answer = &result["messages"][1]["content"][0]["toolResult"];
    assert_eq!(answer["status"], "error", "{result}");
    let text = answer["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("`other`") && text.contains("get_weather"), "{text}");
    assert!(host.unread_host_requests().is_empty(), "the client was asked to run a tool it was not offered");
}

#[test]
fn a_conversation_with_tool_history_goes_on_after_its_tools_are_unregistered() {
    let script = json!({"rules": [{
        "when": {"afterToolResult": false},
        "times": 1,
        "respond": {"content": [{"toolUse": {"toolUseId": "tu_w", "name": "get_weather", "input": {"city": "Paris"}}}]}
    }]});
    let mut host = start(script, json!({}));
    host.register(json!([weather_tool()]));
    let conversation = host.create(json!({"tools": "all"}));
    let id = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "weather?"}));
    let call = host.host.host_request();
    assert_eq!(call["method"], "tool/call", "{call}");
    host.host.reply(&call["id"], json!({"content": "sunny"}));
    let first = host.host.response(&id);
    assert_eq!(first["result"]["stopReason"], "end_turn", "{first}");

    // The history now holds toolUse and toolResult blocks, which Bedrock refuses without a toolConfig.
    host.ok("tool/unregister", json!({"names": ["get_weather"]}));
    let second = host.ok("conversation/send", json!({"conversationId": conversation, "content": "thanks"}));
    assert_eq!(second["stopReason"], "end_turn", "{second}");
    let last = host.journal().pop().expect("the second turn reached Bedrock");
    assert_eq!(
        offered(&last),
        vec![("get_weather".to_string(), "No longer available; do not call it.".to_string())],
        "the tool in the history is declared as gone"
    );
    assert_eq!(last["body"]["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"], json!({"type": "object"}));
}
