//! Conversations that outgrow their context window (docs/protocol.md "Prompt caching and the context
//! window"), through the real binary against the emulator: `truncate` over a 200-turn conversation
//! with tools never fails and never separates a toolUse from its toolResult; `summarize` has the
//! model summarise the oldest turns, sends the summary in their place and says so before the call;
//! `fail` gives an error naming the option; with `--storage-dir` the compaction is in the journal and
//! `conversation/get` still returns every original message after a restart; bad option values are
//! named.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::conversation::Emulated;
use crate::support::stdio::{Framing, Host, HostBuilder};
use crate::support::tools::{self, weather_tool};

fn words(count: usize, tag: &str) -> String {
    (0..count).map(|index| format!("{tag}{index}")).collect::<Vec<_>>().join(" ")
}

/// Every toolUse of an assistant message is answered by a toolResult in the next message, and every
/// toolResult answers a toolUse of the message before it; the messages start with a user message.
fn assert_tool_pairs_intact(messages: &[Value], what: &str) {
    assert_eq!(messages.first().map(|m| m["role"].clone()), Some(json!("user")), "{what}: starts with a user message");
    let ids = |message: &Value, kind: &str| -> HashSet<String> {
        message["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|block| block[kind]["toolUseId"].as_str().map(str::to_string))
            .collect()
    };
    for (index, message) in messages.iter().enumerate() {
        let uses = ids(message, "toolUse");
        if !uses.is_empty() {
            let answered = messages.get(index + 1).map(|next| ids(next, "toolResult")).unwrap_or_default();
            assert!(uses.is_subset(&answered), "{what}: toolUse in messages[{index}] without its toolResult");
        }
        let results = ids(message, "toolResult");
        if !results.is_empty() {
            let asked = if index == 0 { HashSet::new() } else { ids(&messages[index - 1], "toolUse") };
            assert!(results.is_subset(&asked), "{what}: toolResult in messages[{index}] without its toolUse");
        }
    }
}

/// Sends one turn, answering each `tool/call`; the response and the notifications that came first.
fn turn(host: &mut Host, id: &Value, content: &str) -> (Value, Vec<Value>) {
    let request = host.request("conversation/send", json!({"conversationId": id, "content": content}));
    let mut notifications = Vec::new();
    loop {
        let message = host.recv();
        if message.get("id") == Some(&request) && message.get("method").is_none() {
            return (message, notifications);
        }
        if message["method"] == "tool/call" {
            let city = message["params"]["input"]["city"].as_str().unwrap_or("?").to_string();
            host.reply(&message["id"], json!({"content": format!("{} sunny in {city}", words(20, "r"))}));
        } else {
            notifications.push(message);
        }
    }
}

fn compacted(notifications: &[Value]) -> Vec<Value> {
    notifications.iter().filter(|n| n["method"] == "conversation/compacted").map(|n| n["params"].clone()).collect()
}

#[test]
fn truncate_keeps_a_200_turn_conversation_with_tools_under_its_limit_with_every_tool_pair_intact() {
    let script = json!({"rules": [
        {"when": {"lastUserText": "weather", "afterToolResult": false},
         "respond": {"content": [{"text": "Let me look."}, {"toolUse": {"name": "get_weather", "input": {"city": "Oslo"}}}]}}
    ]});
    let mut host = tools::start(script, json!({}));
    host.register(json!([weather_tool()]));
    let limit = 1_500;
    let id = host.create(json!({"modelId": "sonnet", "system": "Be brief.", "tools": ["get_weather"],
                               "maxContextTokens": limit, "contextStrategy": "truncate"}));
    let mut compactions = Vec::new();
    for n in 0..200 {
        let content = if n % 3 == 0 { format!("{} weather?", words(15, "q")) } else { words(25, &format!("m{n}x")) };
        let (response, notifications) = turn(&mut host.host, &id, &content);
        let result = response.get("result").unwrap_or_else(|| panic!("turn {n} failed: {response}"));
        assert_eq!(result["turn"], n + 1);
        // Each model call's input, as the emulator counted it, fit the limit.
        let usage = &result["usage"];
        let input: u64 = ["inputTokens", "cacheReadInputTokens", "cacheWriteInputTokens"]
            .iter()
            .map(|member| usage[*member].as_u64().unwrap_or(0))
            .sum();
        assert!(input <= limit * result["iterations"].as_u64().unwrap(), "turn {n}: {usage}");
        for params in compacted(&notifications) {
            assert_eq!(params["strategy"], "truncate");
            assert!(params["tokensAfter"].as_u64().unwrap() <= limit, "{params}");
            assert!(params["tokensBefore"].as_u64().unwrap() > limit, "{params}");
            assert!(params["removedTurns"].as_u64().unwrap() >= 1, "{params}");
            assert!(params.get("summary").is_none(), "{params}");
            compactions.push(params);
        }
    }
    assert!(compactions.len() >= 5, "a 200-turn conversation compacts more than a few times: {}", compactions.len());

    let requests = host.journal();
    assert!(requests.len() > 200 + 60, "every tool turn made two calls: {}", requests.len());
    for (index, request) in requests.iter().enumerate() {
        let messages = request["body"]["messages"].as_array().unwrap();
        assert_tool_pairs_intact(messages, &format!("request {index}"));
    }
    let got = host.ok("conversation/get", json!({"conversationId": id}));
    let messages = got["messages"].as_array().unwrap();
    assert!(messages.len() >= 400, "conversation/get returns every original message: {}", messages.len());
    assert_tool_pairs_intact(messages, "the stored history");
    let context = &got["context"];
    assert!(context["compactedMessages"].as_u64().unwrap() > 300, "{context}");
    assert_eq!(context["compactions"].as_u64().unwrap() as usize, compactions.len());
    assert!(context.get("summary").is_none(), "{context}");
    host.host.finish();
}

#[test]
fn summarize_replaces_the_oldest_turns_with_the_models_summary_and_says_so_before_the_call() {
    let script = json!({"rules": [
        {"when": {"operation": "^Converse$", "lastUserText": "Summarize the conversation above"},
         "respond": {"content": [{"text": "SUMMARY: the user listed words."}]}}
    ]});
    let mut emulated = Emulated::start(Some(script), json!({}));
    let id = emulated.create(json!({"modelId": "sonnet", "maxContextTokens": 600}));
    let mut found = None;
    for n in 0..10 {
        let (notifications, response) = emulated
            .exchange("conversation/send", json!({"conversationId": id, "content": words(80, &format!("t{n}x"))}));
        let result = response.get("result").cloned().unwrap_or_else(|| panic!("turn {n} failed: {response}"));
        let compacted_at = notifications.iter().position(|n| n["method"] == "conversation/compacted");
        if let Some(at) = compacted_at {
            let first_event = notifications.iter().position(|n| n["method"] == "converse/event").unwrap();
            assert!(at < first_event, "compacted is sent before the call's events: {notifications:?}");
            found = Some((n, notifications[at]["params"].clone(), result));
            break;
        }
    }
    let (n, params, result) = found.expect("a conversation past its maxContextTokens is compacted");
    assert_eq!(params["strategy"], "summarize");
    assert_eq!(params["conversationId"], id.as_str());
    assert_eq!(params["maxContextTokens"], 600);
    assert!(params["tokensBefore"].as_u64().unwrap() > 600, "{params}");
    assert!(params["tokensAfter"].as_u64().unwrap() <= 600, "{params}");
    let removed = params["removedMessages"].as_u64().unwrap();
    assert!(removed >= 2 && removed % 2 == 0, "whole turns: {params}");
    assert_eq!(params["compactedMessages"].as_u64().unwrap(), removed);
    let summary_text = params["summary"]["content"][0]["text"].as_str().unwrap();
    assert!(summary_text.contains("SUMMARY: the user listed words."), "{params}");
    let summary_usage = &params["summaryUsage"];
    assert!(summary_usage["inputTokens"].as_u64().unwrap() > 80, "{params}");
    assert!(params["summaryCostUsd"].as_f64().unwrap() > 0.0, "{params}");
    // The turn's usage and cost count the summary call too.
    let turn_output = result["usage"]["outputTokens"].as_u64().unwrap();
    assert!(turn_output >= summary_usage["outputTokens"].as_u64().unwrap() + 80, "{result}");

    // The summary call was made first, with the removed turns' text; then the turn's call, which
    // starts with the summary and its acknowledgement, then the first turn kept.
    let journal = emulated.journal_of("Converse");
    let summary_call = journal.last().expect("the summary call");
    let transcript = summary_call["body"]["messages"][0]["content"][0]["text"].as_str().unwrap();
    assert!(
        transcript.contains("t0x0") && transcript.contains("user:") && transcript.contains("assistant:"),
        "{transcript}"
    );
    assert!(summary_call["body"]["system"][0]["text"].as_str().unwrap().contains("summaries"));
    let streams = emulated.journal_of("ConverseStream");
    let call = streams.last().unwrap();
    let sent = call["body"]["messages"].as_array().unwrap();
    assert_eq!(sent[0]["content"][0]["text"], summary_text);
    assert_eq!(sent[1]["role"], "assistant");
    let got = emulated.host.call("conversation/get", json!({"conversationId": id}));
    let history = got["result"]["messages"].as_array().unwrap().clone();
    assert_eq!(history.len(), 2 * (n + 1), "every original message is kept");
    assert_eq!(sent[2], history[removed as usize], "the first turn kept follows the summary");
    assert_eq!(got["result"]["context"]["summary"]["content"][0]["text"], summary_text);
    // countTokens counts what the next turn sends: the compacted view, not the whole history.
    let counted = emulated.host.call("conversation/countTokens", json!({"conversationId": id}));
    let counted = counted["result"]["inputTokens"].as_u64().unwrap_or_else(|| panic!("{counted}"));
    assert!(counted < 600, "the view fits the limit the history exceeds: {counted}");
    // usage/get counts the summary call.
    let usage = emulated.host.call("usage/get", json!({}));
    assert_eq!(usage["result"]["total"]["calls"].as_u64().unwrap(), (n + 2) as u64, "{usage}");
    emulated.host.finish();
}

#[test]
fn fail_refuses_the_call_with_an_error_naming_the_option_and_keeps_the_history() {
    let mut emulated = Emulated::start(Some(json!({})), json!({"contextStrategy": "fail"}));
    let id = emulated.create(json!({"modelId": "sonnet", "maxContextTokens": 300}));
    let mut sent = 0;
    let error = loop {
        assert!(sent < 10, "the limit is reached within 10 turns");
        let (_, response) =
            emulated.exchange("conversation/send", json!({"conversationId": id, "content": words(60, "w")}));
        match response.get("error") {
            Some(error) => break error.clone(),
            None => sent += 1,
        }
    };
    assert!(sent >= 1, "the first turns fit");
    assert_eq!(error["code"], -32600, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("maxContextTokens (300)") && message.contains("contextStrategy is `fail`"), "{message}");
    assert_eq!(emulated.journal_of("ConverseStream").len(), sent, "the refused call was not made");
    let got = emulated.host.call("conversation/get", json!({"conversationId": id}));
    assert_eq!(got["result"]["messages"].as_array().unwrap().len(), 2 * sent);
    assert!(got["result"].get("context").is_none(), "{got}");
    emulated.host.finish();
}

fn stored_host(dir: &std::path::Path) -> (Host, String) {
    let mut host = HostBuilder::new(Framing::Ndjson)
        .emulator(Some(&json!({})))
        .arg("--storage-dir")
        .arg(dir.to_str().unwrap())
        .spawn();
    let endpoint = host.initialize_for_endpoint(json!({}));
    (host, endpoint)
}

#[test]
fn with_storage_the_compaction_is_journaled_and_the_originals_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut host, _) = stored_host(dir.path());
    let created = host.call(
        "conversation/create",
        json!({"modelId": "sonnet", "maxContextTokens": 400, "contextStrategy": "truncate"}),
    );
    let id = created["result"]["conversationId"].as_str().unwrap().to_string();
    for n in 0..8 {
        let response =
            host.call("conversation/send", json!({"conversationId": id, "content": words(40, &format!("t{n}x"))}));
        assert!(response.get("result").is_some(), "{response}");
    }
    let before = host.call("conversation/get", json!({"conversationId": id}))["result"].clone();
    let compacted = before["context"]["compactedMessages"].as_u64().expect("compacted within 8 turns");
    assert!(compacted >= 2, "{before}");
    host.call("shutdown", json!(null));
    host.notify("exit", json!(null));
    assert_eq!(host.wait_exit().0, Some(0));
    host.finish();
    let journal = std::fs::read(dir.path().join(format!("{id}.journal"))).unwrap();
    assert!(String::from_utf8_lossy(&journal).contains(r#"{"compaction":{"strategy":"truncate""#));

    let (mut host, endpoint) = stored_host(dir.path());
    let after = host.call("conversation/get", json!({"conversationId": id}))["result"].clone();
    assert_eq!(after["messages"], before["messages"], "every original message survives");
    assert_eq!(after["messages"].as_array().unwrap().len(), 16);
    assert_eq!(after["context"], before["context"]);
    let response = host.call("conversation/send", json!({"conversationId": id, "content": "one more"}));
    assert!(response.get("result").is_some(), "{response}");
    let sent = crate::support::emulator::journal_of(&endpoint, "ConverseStream");
    let first = &sent.last().unwrap()["body"]["messages"][0];
    // The view starts where the compaction cut (or later, should this turn have compacted again):
    // never at the start of the history.
    let originals = after["messages"].as_array().unwrap();
    let at = originals.iter().position(|message| message == first).expect("the first message sent is an original");
    assert!(at as u64 >= compacted, "the view after a restart starts at message {at}, before the cut at {compacted}");
    host.finish();
}

#[test]
fn bad_option_values_are_refused_naming_the_field() {
    let mut emulated = Emulated::start(Some(json!({})), json!({}));
    let cases = [
        (json!({"promptCaching": "on"}), "promptCaching", "unknown variant"),
        (json!({"contextStrategy": "drop"}), "contextStrategy", "unknown variant"),
        (json!({"maxContextTokens": 10}), "maxContextTokens", "from 256 to 10000000"),
        (
            json!({"modelId": "sonnet", "maxContextTokens": 300_000}),
            "maxContextTokens",
            "context window of `sonnet` (200000 tokens)",
        ),
        (json!({"summaryModelId": " "}), "summaryModelId", "is empty"),
    ];
    for (params, path, says) in cases {
        let response = emulated.host.call("conversation/create", params.clone());
        let error = response.get("error").unwrap_or_else(|| panic!("{params} was accepted: {response}"));
        assert_eq!(error["code"], -32602, "{response}");
        let errors = error["data"]["errors"].as_array().unwrap();
        assert!(
            errors.iter().any(|e| e["path"] == path && e["message"].as_str().unwrap().contains(says)),
            "{params}: no error at {path} saying {says}: {response}"
        );
    }
    emulated.host.finish();

    let mut host = HostBuilder::new(Framing::Ndjson).emulator(None).spawn();
    let response =
        host.call("initialize", json!({"initializationOptions": {"promptCaching": "yes", "contextStrategy": 3}}));
    let errors = response["error"]["data"]["errors"].as_array().unwrap_or_else(|| panic!("{response}")).clone();
    let paths: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"initializationOptions.promptCaching"), "{response}");
    host.finish();

    for (flag, value) in [("--prompt-caching", "sometimes"), ("--context-strategy", "drop")] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-host"))
            .args([flag, value, "--log-stderr"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag) && stderr.contains("possible values"), "{stderr}");
    }
}

#[test]
fn with_no_usage_to_go_by_a_call_near_the_limit_is_counted_with_count_tokens_first() {
    // 900 one-token words, about 1,100 tokens by the host's four-bytes-a-token estimate: over a limit
    // of 1,000 by the estimate, under it by the model's count.
    let mut emulated = Emulated::start(Some(json!({})), json!({}));
    let id = emulated.create(json!({"modelId": "sonnet", "maxContextTokens": 1_000, "contextStrategy": "fail"}));
    let (_, response) =
        emulated.exchange("conversation/send", json!({"conversationId": id, "content": words(900, "w")}));
    assert!(response.get("result").is_some(), "counted, the call fits: {response}");
    let counts = emulated.journal_of("CountTokens");
    assert_eq!(counts.len(), 1, "one CountTokens before the call");
    assert_eq!(emulated.journal_of("ConverseStream").len(), 1);
    emulated.host.finish();
}
