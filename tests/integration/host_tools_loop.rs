//! The tool-use loop through the real binary against the emulator: the
//! client runs tools answering `tool/call`, and the journal shows what
//! Bedrock received on each iteration.

use serde_json::{Value, json};

use crate::support::conversation::message_text;
use crate::support::tools::{ToolHost, first_answer, start, weather_tool};

fn weather_host(script: Value, initialize: Value) -> (ToolHost, Value) {
    let mut host = start(script, initialize);
    host.register(json!([weather_tool()]));
    let conversation = host.create(json!({"tools": "all"}));
    (host, conversation)
}

fn tool_result(id: &str, text: &str, status: &str) -> Value {
    json!({"toolResult": {"toolUseId": id, "content": [{"text": text}], "status": status}})
}

#[test]
fn one_tool_call_goes_to_the_client_and_its_result_to_bedrock() {
    for stream in [true, false] {
        let script = first_answer(json!([
            {"text": "Let me look."},
            {"toolUse": {"toolUseId": "tu_paris", "name": "get_weather", "input": {"city": "Paris"}}}
        ]));
        let (mut host, conversation) = weather_host(script, json!({}));
        let send = host.host.request(
            "conversation/send",
            json!({"conversationId": conversation, "content": "Weather in Paris?", "stream": stream}),
        );
        let call = host.host.host_request();
        assert_eq!(call["method"], "tool/call");
        assert_eq!(
            call["params"],
            json!({"requestId": send, "conversationId": conversation, "toolUseId": "tu_paris",
                   "name": "get_weather", "input": {"city": "Paris"}})
        );
        host.host.reply(&call["id"], json!({"content": "18C and sunny"}));
        let result = host.host.response(&send)["result"].clone();

        let assistant_asks = json!({"role": "assistant", "content": [
            {"text": "Let me look."},
            {"toolUse": {"toolUseId": "tu_paris", "name": "get_weather", "input": {"city": "Paris"}}}
        ]});
        let results_message = json!({"role": "user", "content": [tool_result("tu_paris", "18C and sunny", "success")]});
        let final_answer = json!({"role": "assistant", "content": [{"text": "Tool result received: 18C and sunny"}]});
        assert_eq!(result["stopReason"], "end_turn", "{result}");
        assert_eq!(result["iterations"], 2);
        assert_eq!(result["turn"], 1);
        assert_eq!(result["messages"], json!([assistant_asks, results_message, final_answer]));
        let calls = result["toolCalls"].as_array().expect("toolCalls");
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0]["toolUseId"], "tu_paris");
        assert_eq!(calls[0]["name"], "get_weather");
        assert_eq!(calls[0]["input"], json!({"city": "Paris"}));
        assert_eq!(calls[0]["status"], "success");
        assert!(calls[0]["durationMs"].is_u64(), "{}", calls[0]);

        let journal = host.journal();
        assert_eq!(journal.len(), 2, "one model call per iteration");
        let operation = if stream { "ConverseStream" } else { "Converse" };
        assert!(journal.iter().all(|entry| entry["operation"] == operation), "{journal:?}");
        let question = json!({"role": "user", "content": [{"text": "Weather in Paris?"}]});
        assert_eq!(journal[0]["body"]["messages"], json!([question]));
        assert_eq!(journal[1]["body"]["messages"], json!([question, assistant_asks, results_message]));

        // Usage and cost are the sums over both model calls.
        let usages: Vec<Value> = if stream {
            let notifications = host.host.take_notifications();
            let metadata: Vec<&Value> = notifications
                .iter()
                .filter(|n| n["method"] == "converse/event")
                .filter(|n| n["params"]["event"].get("metadata").is_some())
                .collect();
            assert_eq!(
                metadata.iter().map(|n| n["params"]["iteration"].as_u64().unwrap()).collect::<Vec<_>>(),
                [1, 2],
                "each call's events carry its iteration"
            );
            metadata.iter().map(|n| n["params"]["event"]["metadata"]["usage"].clone()).collect()
        } else {
            Vec::new()
        };
        let input = result["usage"]["inputTokens"].as_u64().expect("inputTokens");
        let output = result["usage"]["outputTokens"].as_u64().expect("outputTokens");
        assert_eq!(result["usage"]["totalTokens"].as_u64(), Some(input + output));
        if stream {
            let sum = |key: &str| usages.iter().map(|usage| usage[key].as_u64().unwrap()).sum::<u64>();
            assert_eq!((input, output), (sum("inputTokens"), sum("outputTokens")));
        }
        assert!(input > 0 && output > 0, "{result}");
        let model_id = journal[0]["modelId"].as_str().expect("modelId").to_string();
        let estimate =
            host.ok("cost/estimate", json!({"modelId": model_id, "inputTokens": input, "outputTokens": output}));
        let cost = result["costUsd"].as_f64().expect("costUsd");
        assert!((cost - estimate["totalCostUsd"].as_f64().unwrap()).abs() < 1e-12, "{cost} vs {estimate}");
        assert!(cost > 0.0);
        assert_eq!(result["cumulativeCostUsd"], result["costUsd"]);
        assert_eq!(result["cumulativeUsage"], result["usage"]);

        let stored = host.ok("conversation/get", json!({"conversationId": conversation}));
        assert_eq!(stored["messages"], json!([question, assistant_asks, results_message, final_answer]));
        assert!(host.unread_host_requests().is_empty());
    }
}

#[test]
fn parallel_calls_answered_in_reverse_order_go_back_in_the_models_order() {
    let script = first_answer(json!([
        {"toolUse": {"toolUseId": "tu_a", "name": "get_weather", "input": {"city": "Paris"}}},
        {"toolUse": {"toolUseId": "tu_b", "name": "get_weather", "input": {"city": "Oslo"}}}
    ]));
    let (mut host, conversation) = weather_host(script, json!({}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Two cities"}));
    // Both requests are out before the client answers either: they run at once.
    let first = host.host.host_request();
    let second = host.host.host_request();
    let ids: Vec<&Value> = [&first, &second].iter().map(|call| &call["params"]["toolUseId"]).collect();
    assert_eq!(ids, [&json!("tu_a"), &json!("tu_b")]);
    host.host.reply(&second["id"], json!({"content": [{"text": "Oslo: 2C"}]}));
    host.host
        .reply(&first["id"], json!({"content": [{"json": {"city": "Paris", "celsius": 18}}], "status": "success"}));
    let result = host.host.response(&send)["result"].clone();

    let results_message = json!({"role": "user", "content": [
        {"toolResult": {"toolUseId": "tu_a", "content": [{"json": {"city": "Paris", "celsius": 18}}], "status": "success"}},
        tool_result("tu_b", "Oslo: 2C", "success")
    ]});
    assert_eq!(result["messages"][1], results_message, "{result}");
    assert_eq!(result["stopReason"], "end_turn");
    let statuses: Vec<&Value> = result["toolCalls"].as_array().unwrap().iter().map(|c| &c["toolUseId"]).collect();
    assert_eq!(statuses, [&json!("tu_a"), &json!("tu_b")]);
    let journal = host.journal();
    assert_eq!(journal.len(), 2);
    let sent = journal[1]["body"]["messages"].as_array().unwrap();
    assert_eq!(sent.len(), 3, "one user message holds both results");
    assert_eq!(sent[2], results_message);
    assert!(host.unread_host_requests().is_empty());
}

#[test]
fn a_chain_of_three_iterations() {
    let script = json!({"rules": [
        {"when": {"afterToolResult": false}, "respond": {"content": [
            {"toolUse": {"toolUseId": "tu_1", "name": "get_weather", "input": {"city": "Paris"}}}]}},
        {"when": {"afterToolResult": true}, "times": 1, "respond": {"content": [
            {"text": "And Rome?"},
            {"toolUse": {"toolUseId": "tu_2", "name": "get_weather", "input": {"city": "Rome"}}}]}}
    ]});
    let (mut host, conversation) = weather_host(script, json!({}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Compare"}));
    for (id, answer) in [("tu_1", "Paris 18C"), ("tu_2", "Rome 25C")] {
        let call = host.host.host_request();
        assert_eq!(call["params"]["toolUseId"], id);
        host.host.reply(&call["id"], json!({"content": answer}));
    }
    let result = host.host.response(&send)["result"].clone();
    assert_eq!(result["iterations"], 3, "{result}");
    assert_eq!(result["stopReason"], "end_turn");
    assert_eq!(result["messages"].as_array().unwrap().len(), 5);
    assert_eq!(message_text(&result["messages"][4]), "Tool result received: Rome 25C");
    assert_eq!(result["toolCalls"].as_array().unwrap().len(), 2);
    let journal = host.journal();
    assert_eq!(journal.len(), 3);
    let lengths: Vec<usize> = journal.iter().map(|e| e["body"]["messages"].as_array().unwrap().len()).collect();
    assert_eq!(lengths, [1, 3, 5]);
    assert_eq!(journal[2]["body"]["messages"][4]["content"][0], tool_result("tu_2", "Rome 25C", "success"));
    let iterations: Vec<u64> = host
        .host
        .take_notifications()
        .iter()
        .filter(|n| n["method"] == "converse/event" && n["params"]["event"].get("messageStart").is_some())
        .map(|n| n["params"]["iteration"].as_u64().unwrap())
        .collect();
    assert_eq!(iterations, [1, 2, 3]);
}

#[test]
fn the_iteration_limit_ends_the_turn() {
    let script = json!({"rules": [{"respond": {"content": [
        {"toolUse": {"name": "get_weather", "input": {"city": "Paris"}}}]}}]});
    let (mut host, conversation) = weather_host(script, json!({"initializationOptions": {"maxToolIterations": 2}}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Loop"}));
    let call = host.host.host_request();
    host.host.reply(&call["id"], json!({"content": "18C"}));
    let result = host.host.response(&send)["result"].clone();
    assert_eq!(result["stopReason"], "tool_iterations_exhausted", "{result}");
    assert_eq!(result["iterations"], 2);
    assert_eq!(result["toolCalls"].as_array().unwrap().len(), 1, "the last toolUse is not run");
    assert_eq!(host.journal().len(), 2);
    let unanswered = result["messages"][2]["content"][0]["toolUse"]["toolUseId"].clone();

    // The next send answers the toolUse left open, so Bedrock accepts the history;
    // a per-send limit of 1 overrides the session's.
    let next = host.ok(
        "conversation/send",
        json!({"conversationId": conversation, "content": "Stop now", "maxToolIterations": 1}),
    );
    assert_eq!(next["stopReason"], "tool_iterations_exhausted");
    assert_eq!(next["iterations"], 1);
    let journal = host.journal();
    assert_eq!(journal.len(), 3);
    let last = journal[2]["body"]["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["content"][0]["toolResult"]["toolUseId"], unanswered);
    assert_eq!(last["content"][0]["toolResult"]["status"], "error");
    assert_eq!(last["content"][1], json!({"text": "Stop now"}));
    assert!(host.unread_host_requests().is_empty());
}

/// A turn whose tool is answered by the host itself: the client is never asked.
fn host_answered(content: Value) -> (Value, Vec<Value>) {
    let (mut host, conversation) = weather_host(first_answer(content), json!({}));
    let result = host.ok("conversation/send", json!({"conversationId": conversation, "content": "Go"}));
    let journal = host.journal();
    assert_eq!(journal.len(), 2, "the loop goes on after the error result");
    assert_eq!(journal[1]["body"]["messages"][2], result["messages"][1]);
    assert!(host.unread_host_requests().is_empty(), "the client was asked");
    (result, journal)
}

#[test]
fn schema_invalid_input_is_answered_with_an_error_result() {
    let (result, _) =
        host_answered(json!([{"toolUse": {"toolUseId": "tu_bad", "name": "get_weather", "input": {"city": 3}}}]));
    let answer = &result["messages"][1]["content"][0]["toolResult"];
    assert_eq!(answer["toolUseId"], "tu_bad");
    assert_eq!(answer["status"], "error");
    let text = answer["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("/city") && text.contains("not of type \"string\"") && text.contains("not run"), "{text}");
    assert_eq!(result["toolCalls"][0]["status"], "error");
}

#[test]
fn an_unknown_tool_is_answered_with_an_error_result() {
    let (result, _) = host_answered(json!([{"toolUse": {"toolUseId": "tu_x", "name": "launch_rockets", "input": {}}}]));
    let answer = &result["messages"][1]["content"][0]["toolResult"];
    assert_eq!(answer["status"], "error");
    let text = answer["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("no tool named `launch_rockets`") && text.contains("get_weather"), "{text}");
    assert_eq!(result["stopReason"], "end_turn");
}

#[test]
fn a_client_error_becomes_an_error_result_and_the_loop_goes_on() {
    let script =
        first_answer(json!([{"toolUse": {"toolUseId": "tu_e", "name": "get_weather", "input": {"city": "Lima"}}}]));
    let (mut host, conversation) = weather_host(script, json!({}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Lima?"}));
    let call = host.host.host_request();
    host.host.send(
        &json!({"jsonrpc": "2.0", "id": call["id"], "error": {"code": -32000, "message": "the sensor is offline"}}),
    );
    let result = host.host.response(&send)["result"].clone();
    assert_eq!(result["stopReason"], "end_turn", "{result}");
    assert_eq!(result["iterations"], 2);
    let answer = &result["messages"][1]["content"][0]["toolResult"];
    assert_eq!(answer["status"], "error");
    assert!(answer["content"][0]["text"].as_str().unwrap().contains("the sensor is offline"), "{answer}");
    assert_eq!(result["toolCalls"][0]["status"], "error");
    assert_eq!(host.journal()[1]["body"]["messages"][2], result["messages"][1]);
}

#[test]
fn a_client_timeout_becomes_an_error_result_and_cancels_the_call() {
    let script =
        first_answer(json!([{"toolUse": {"toolUseId": "tu_t", "name": "get_weather", "input": {"city": "Kyiv"}}}]));
    let (mut host, conversation) = weather_host(script, json!({"initializationOptions": {"toolCallTimeoutMs": 200}}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Kyiv?"}));
    let call = host.host.host_request();
    let result = host.host.response(&send)["result"].clone();
    let answer = &result["messages"][1]["content"][0]["toolResult"];
    assert_eq!(answer["status"], "error", "{result}");
    let text = answer["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("did not answer within 200 ms"), "{text}");
    assert_eq!(result["stopReason"], "end_turn");
    let cancels: Vec<Value> = host
        .host
        .take_notifications()
        .into_iter()
        .filter(|n| n["method"] == "$/cancelRequest")
        .map(|n| n["params"].clone())
        .collect();
    assert_eq!(cancels, [json!({"id": call["id"]})]);
    // A late answer is ignored and the session goes on.
    host.host.reply(&call["id"], json!({"content": "too late"}));
    let stored = host.ok("conversation/get", json!({"conversationId": conversation}));
    assert_eq!(stored["messages"].as_array().unwrap().len(), 4);
}

#[test]
fn cancel_while_the_client_holds_a_tool_call() {
    let script = first_answer(json!([
        {"text": "Checking."},
        {"toolUse": {"toolUseId": "tu_c", "name": "get_weather", "input": {"city": "Cairo"}}}
    ]));
    let (mut host, conversation) = weather_host(script, json!({}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Cairo?"}));
    let call = host.host.host_request();
    host.host.notify("$/cancelRequest", json!({"id": send}));
    let response = host.host.response(&send);
    assert_eq!(response["error"]["code"], -32800, "{response}");
    let partial = &response["error"]["data"]["partial"];
    assert_eq!(partial["messages"][0]["content"][1]["toolUse"]["toolUseId"], "tu_c", "{partial}");
    assert_eq!(partial["text"], "Checking.");
    // The host withdraws the tool call it had sent.
    let mut seen = Vec::new();
    let cancel = loop {
        let message = host.host.recv();
        if message["method"] == "$/cancelRequest" {
            break message;
        }
        assert!(seen.len() < 1000, "no $/cancelRequest for the tool call: {seen:?}");
        seen.push(message);
    };
    assert_eq!(cancel["params"], json!({"id": call["id"]}));
    let stored = host.ok("conversation/get", json!({"conversationId": conversation}));
    assert_eq!(stored["messages"], json!([]), "a cancelled turn leaves the history as it was");
    assert_eq!(host.journal().len(), 1);
    // The conversation takes a new turn.
    host.host.reply(&call["id"], json!({"content": "late"}));
    let again = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Again"}));
    let call = host.host.host_request();
    host.host.reply(&call["id"], json!({"content": "30C"}));
    assert_eq!(host.host.response(&again)["result"]["stopReason"], "end_turn");
}

#[test]
fn a_guardrail_intervention_inside_the_loop_ends_it() {
    let script = json!({
        "rules": [
            {"when": {"afterToolResult": false}, "respond": {"content": [
                {"toolUse": {"toolUseId": "tu_g", "name": "get_weather", "input": {"city": "Paris"}}}]}},
            {"when": {"afterToolResult": true}, "respond": {"content": [
                {"text": "That is forbidden knowledge."},
                {"toolUse": {"name": "get_weather", "input": {"city": "Rome"}}}]}}
        ],
        "guardrails": {"gr-test": {"version": "1", "blockedWords": ["forbidden"], "blockedMessage": "Blocked."}}
    });
    let mut host = start(script, json!({}));
    host.register(json!([weather_tool()]));
    let conversation = host.create(json!({"tools": "all", "guardrailConfig":
        {"guardrailIdentifier": "gr-test", "guardrailVersion": "1", "trace": "enabled"}}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Weather"}));
    let call = host.host.host_request();
    host.host.reply(&call["id"], json!({"content": "18C"}));
    let result = host.host.response(&send)["result"].clone();
    assert_eq!(result["stopReason"], "guardrail_intervened", "{result}");
    assert_eq!(result["iterations"], 2);
    assert_eq!(result["guardrail"]["action"], "INTERVENED");
    assert_eq!(message_text(&result["messages"][2]), "Blocked.");
    let notified = host.host.take_notifications().into_iter().any(|n| n["method"] == "converse/guardrail");
    assert!(notified, "converse/guardrail is sent");
    assert_eq!(host.journal().len(), 2);
    assert!(host.unread_host_requests().is_empty());
}

#[test]
fn max_tokens_inside_the_loop_ends_it() {
    let script = json!({"rules": [
        {"when": {"afterToolResult": false}, "respond": {"content": [
            {"toolUse": {"toolUseId": "tu_m", "name": "get_weather", "input": {"city": "Paris"}}}]}},
        {"when": {"afterToolResult": true}, "respond": {"stopReason": "max_tokens", "content": [
            {"text": "Half an"}, {"toolUse": {"toolUseId": "tu_cut", "name": "get_weather", "input": {"city": "Ro"}}}]}}
    ]});
    let (mut host, conversation) = weather_host(script, json!({}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Weather"}));
    let call = host.host.host_request();
    host.host.reply(&call["id"], json!({"content": "18C"}));
    let result = host.host.response(&send)["result"].clone();
    assert_eq!(result["stopReason"], "max_tokens", "{result}");
    assert_eq!(result["iterations"], 2);
    assert_eq!(result["toolCalls"].as_array().unwrap().len(), 1, "a cut-off toolUse is not run");
    assert_eq!(host.journal().len(), 2);
    assert!(host.unread_host_requests().is_empty());
}

#[test]
fn the_manual_loop_without_client_tools() {
    let script =
        first_answer(json!([{"toolUse": {"toolUseId": "tu_man", "name": "get_weather", "input": {"city": "Oslo"}}}]));
    let (mut host, conversation) = weather_host(script, json!({"capabilities": {"tools": false}}));
    let first = host.ok("conversation/send", json!({"conversationId": conversation, "content": "Oslo?"}));
    let asks = json!({"role": "assistant", "content": [
        {"toolUse": {"toolUseId": "tu_man", "name": "get_weather", "input": {"city": "Oslo"}}}]});
    assert_eq!(first["stopReason"], "tool_use", "{first}");
    assert_eq!(first["iterations"], 1);
    assert_eq!(first["messages"], json!([asks]));
    assert_eq!(first["toolCalls"], json!([]));

    let answer = json!([{"toolResult": {"toolUseId": "tu_man", "content": [{"text": "2C"}]}}]);
    let second = host.ok("conversation/send", json!({"conversationId": conversation, "content": answer}));
    assert_eq!(second["stopReason"], "end_turn", "{second}");
    assert_eq!(message_text(&second["messages"][0]), "Tool result received: 2C");
    let journal = host.journal();
    assert_eq!(journal.len(), 2);
    assert_eq!(
        journal[1]["body"]["messages"],
        json!([{"role": "user", "content": [{"text": "Oslo?"}]}, asks, {"role": "user", "content": answer}])
    );
    assert!(journal.iter().all(|e| e["body"]["toolConfig"]["tools"][0]["toolSpec"]["name"] == "get_weather"));
    assert!(host.unread_host_requests().is_empty(), "no tool/call to a client without tools");
}

#[test]
fn invalid_json_from_the_model_is_answered_with_an_error_result() {
    let script = first_answer(json!([
        {"toolUse": {"toolUseId": "tu_broken", "name": "get_weather", "rawInput": "{\"city\": \"Par"}},
        {"toolUse": {"toolUseId": "tu_fine", "name": "get_weather", "input": {"city": "Rome"}}}
    ]));
    let (mut host, conversation) = weather_host(script, json!({}));
    let send = host.host.request("conversation/send", json!({"conversationId": conversation, "content": "Two"}));
    let call = host.host.host_request();
    assert_eq!(call["params"]["toolUseId"], "tu_fine", "only the well-formed call reaches the client");
    host.host.reply(&call["id"], json!({"content": "25C"}));
    let result = host.host.response(&send)["result"].clone();
    assert_eq!(result["stopReason"], "end_turn", "{result}");
    let results = &result["messages"][1]["content"];
    assert_eq!(results[0]["toolResult"]["toolUseId"], "tu_broken");
    assert_eq!(results[0]["toolResult"]["status"], "error");
    let text = results[0]["toolResult"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("not valid JSON") && text.contains("was not run"), "{text}");
    assert_eq!(results[1], tool_result("tu_fine", "25C", "success"));
    // Bedrock gets the broken call back with an empty object as its input.
    let journal = host.journal();
    assert_eq!(journal[1]["body"]["messages"][1]["content"][0]["toolUse"]["input"], json!({}));
    assert_eq!(journal[1]["body"]["messages"][2], result["messages"][1]);
    assert!(host.unread_host_requests().is_empty());
}
