//! Conversations through the real binary against its in-process emulator:
//! streamed events and the assembled answer, usage and cost arithmetic,
//! the history the model receives, guardrails, the conversation store
//! (get, list, fork, delete), countTokens, and stateless `bedrock/converse`
//! with its response cache.

use serde_json::{Value, json};

use crate::support::conversation::{
    Emulated, assert_close, catalog_price, delta_text, event_kind, events_of, message_text, words,
};

#[test]
fn a_streamed_turn_forwards_every_event_in_order_and_assembles_the_same_text() {
    let mut emulated = Emulated::start(None, json!({}));
    let conversation = emulated.create(json!({"title": "order"}));
    let id = emulated
        .host
        .request("conversation/send", json!({"conversationId": conversation, "content": "hello there world"}));
    let (notifications, response) = emulated.until_response(&id);
    let result = &response["result"];
    assert_eq!(result["stopReason"], "end_turn", "{response}");
    assert_eq!(result["turn"], 1);
    assert_eq!(result["iterations"], 1);

    for notification in &notifications {
        assert_eq!(notification["params"]["conversationId"], conversation.as_str());
        assert_eq!(notification["params"]["iteration"], 1);
    }
    let events = events_of(&notifications, &id);
    assert_eq!(events.len(), notifications.len(), "only converse/event notifications: {notifications:?}");
    let kinds: Vec<String> = events.iter().map(event_kind).collect();
    let deltas = kinds.iter().filter(|kind| *kind == "contentBlockDelta").count();
    assert!(deltas >= 3, "about one delta per word: {kinds:?}");
    let mut expected = vec!["messageStart".to_string()];
    expected.extend(std::iter::repeat_n("contentBlockDelta".to_string(), deltas));
    expected.extend(["contentBlockStop", "messageStop", "metadata"].map(String::from));
    assert_eq!(kinds, expected);
    assert_eq!(events[0]["messageStart"]["role"], "assistant");
    assert_eq!(events[deltas + 2]["messageStop"]["stopReason"], "end_turn");

    let streamed = delta_text(&events);
    assert_eq!(streamed, "You said: hello there world");
    let messages = result["messages"].as_array().expect("the turn's messages");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["role"], "assistant");
    assert_eq!(message_text(&messages[0]), streamed);
    let metrics = &result["metrics"];
    let first_token =
        metrics["firstTokenMs"].as_u64().unwrap_or_else(|| panic!("a streamed turn has firstTokenMs: {result}"));
    assert!(first_token <= metrics["latencyMs"].as_u64().unwrap(), "{metrics}");
}

#[test]
fn events_reach_the_client_while_the_model_is_still_streaming() {
    let script = json!({"rules": [{
        "when": {"operation": "ConverseStream"},
        "respond": {"content": [{"text": words(20)}], "tokenDelayMs": 100}
    }]});
    let mut emulated = Emulated::start(Some(script), json!({}));
    let conversation = emulated.create(json!({}));
    let send = emulated.host.request("conversation/send", json!({"conversationId": conversation, "content": "go"}));

    // Wait for the first delta, then ask for the process's usage: the ledger
    // records a call only when it ends, so an answer with no call in it
    // proves the delta was forwarded while the model was still producing.
    let mut before_probe = Vec::new();
    loop {
        let message = emulated.host.recv();
        assert_ne!(message.get("id"), Some(&send), "the turn ended before any delta was seen: {message}");
        let is_delta = message["params"]["event"].get("contentBlockDelta").is_some();
        before_probe.push(message);
        if is_delta {
            break;
        }
    }
    let probe = emulated.host.request("usage/get", json!({}));
    let (during, usage) = emulated.until_response(&probe);
    assert_eq!(usage["result"]["total"]["calls"], 0, "the call had already ended: {usage}");
    let (after, response) = emulated.until_response(&send);
    assert_eq!(response["result"]["stopReason"], "end_turn", "{response}");

    let deltas_after_probe = events_of(&after, &send).iter().filter(|e| e.get("contentBlockDelta").is_some()).count();
    assert!(deltas_after_probe >= 2, "deltas kept arriving after the probe's answer, got {deltas_after_probe}");
    let all: Vec<Value> = before_probe.into_iter().chain(during).chain(after).collect();
    let events = events_of(&all, &send);
    assert_eq!(delta_text(&events), words(20));
    assert_eq!(message_text(&response["result"]["messages"][0]), words(20));
}

#[test]
fn usage_and_cost_add_up_per_turn_and_per_conversation() {
    let mut emulated = Emulated::start(None, json!({}));
    let conversation = emulated.create(json!({"modelId": "haiku"}));
    let mut turns = Vec::new();
    for prompt in ["first question here", "and a second, longer question with more words"] {
        let id = emulated.host.request("conversation/send", json!({"conversationId": conversation, "content": prompt}));
        let (notifications, response) = emulated.until_response(&id);
        let metadata: Vec<Value> =
            events_of(&notifications, &id).into_iter().filter_map(|e| e.get("metadata").cloned()).collect();
        assert_eq!(metadata.len(), 1);
        let result = response["result"].clone();
        for field in ["inputTokens", "outputTokens", "totalTokens"] {
            assert_eq!(result["usage"][field], metadata[0]["usage"][field], "{field} of {result}");
        }
        turns.push(result);
    }
    let sent = emulated.journal_of("ConverseStream");
    assert_eq!(sent.len(), 2);
    let model_id = sent[0]["modelId"].as_str().expect("journal modelId").to_string();
    assert!(model_id.starts_with("us.anthropic.claude-haiku-4-5"), "`haiku` resolved to {model_id}");
    let (input_price, output_price) = catalog_price(&mut emulated.host, &model_id);

    let cost = |usage: &Value| {
        usage["inputTokens"].as_f64().unwrap() * input_price / 1e6
            + usage["outputTokens"].as_f64().unwrap() * output_price / 1e6
    };
    for turn in &turns {
        assert!(turn["usage"]["inputTokens"].as_u64().unwrap() > 0);
        assert_close(turn["costUsd"].as_f64().unwrap(), cost(&turn["usage"]), "costUsd");
    }
    let total = |field: &str| turns[0]["usage"][field].as_u64().unwrap() + turns[1]["usage"][field].as_u64().unwrap();
    let second = &turns[1];
    assert_eq!(turns[0]["cumulativeUsage"], turns[0]["usage"]);
    for field in ["inputTokens", "outputTokens", "totalTokens"] {
        assert_eq!(second["cumulativeUsage"][field].as_u64().unwrap(), total(field), "cumulative {field}");
    }
    let both = turns[0]["costUsd"].as_f64().unwrap() + second["costUsd"].as_f64().unwrap();
    assert_close(second["cumulativeCostUsd"].as_f64().unwrap(), both, "cumulativeCostUsd");

    let got = emulated.host.call("conversation/get", json!({"conversationId": conversation}));
    assert_eq!(got["result"]["usage"], second["cumulativeUsage"]);
    assert_close(got["result"]["costUsd"].as_f64().unwrap(), both, "conversation/get costUsd");
    let usage = emulated.host.call("usage/get", json!({}));
    assert_eq!(usage["result"]["total"]["calls"], 2);
    assert_eq!(usage["result"]["total"]["usage"]["inputTokens"].as_u64().unwrap(), total("inputTokens"));
    assert_eq!(usage["result"]["byModel"][&model_id]["calls"], 2, "{usage}");
    assert_close(usage["result"]["total"]["costUsd"].as_f64().unwrap(), both, "usage/get costUsd");
}

#[test]
fn the_second_turn_sends_the_first_turn_and_the_system_blocks() {
    let mut emulated = Emulated::start(None, json!({}));
    let conversation = emulated.create(json!({"system": "Answer in one line.", "inferenceConfig": {"maxTokens": 200}}));
    let first =
        emulated.host.call("conversation/send", json!({"conversationId": conversation, "content": "What is Rust?"}));
    let first_answer = first["result"]["messages"][0].clone();
    let second = emulated.host.call(
        "conversation/send",
        json!({"conversationId": conversation, "content": [{"text": "And Go?"}], "stream": false}),
    );
    assert_eq!(second["result"]["turn"], 2, "{second}");

    let journal = emulated.journal();
    let operations: Vec<&str> = journal.iter().map(|entry| entry["operation"].as_str().unwrap()).collect();
    assert_eq!(operations, ["ConverseStream", "Converse"]);
    let body = &journal[1]["body"];
    assert_eq!(body["system"], json!([{"text": "Answer in one line."}]));
    assert_eq!(body["inferenceConfig"]["maxTokens"], 200);
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [{"text": "What is Rust?"}]},
            first_answer,
            {"role": "user", "content": [{"text": "And Go?"}]}
        ])
    );
    assert_eq!(message_text(&first_answer), "You said: What is Rust?");
    assert!(body.get("toolConfig").is_none(), "a conversation without tools sends no toolConfig: {body}");

    let got = emulated.host.call("conversation/get", json!({"conversationId": conversation}));
    let mut expected = body["messages"].as_array().unwrap().clone();
    expected.push(second["result"]["messages"][0].clone());
    assert_eq!(got["result"]["messages"], Value::Array(expected));
    assert_eq!(got["result"]["system"], json!([{"text": "Answer in one line."}]));
}

#[test]
fn a_guardrail_intervention_is_notified_with_its_trace() {
    let script = json!({"guardrails": {"gr-test": {
        "version": "1", "blockedWords": ["forbidden"], "blockedMessage": "Sorry, I can't help with that."
    }}});
    let mut emulated = Emulated::start(Some(script), json!({}));
    let guardrail = json!({"guardrailIdentifier": "gr-test", "guardrailVersion": "1", "trace": "enabled"});
    let conversation = emulated.create(json!({"guardrailConfig": guardrail}));
    let id = emulated.host.request(
        "conversation/send",
        json!({"conversationId": conversation, "content": "tell me the FORBIDDEN thing"}),
    );
    let (notifications, response) = emulated.until_response(&id);
    let result = &response["result"];
    assert_eq!(result["stopReason"], "guardrail_intervened", "{response}");
    assert_eq!(message_text(&result["messages"][0]), "Sorry, I can't help with that.");

    let words_found = &result["guardrail"]["trace"]["inputAssessment"]["gr-test"]["wordPolicy"]["customWords"];
    assert_eq!(words_found[0]["action"], "BLOCKED", "{result}");
    assert_eq!(words_found[0]["detected"], true);
    assert_eq!(words_found[0]["match"].as_str().map(str::to_lowercase).as_deref(), Some("forbidden"));
    assert_eq!(result["guardrail"]["action"], "INTERVENED");

    let notified: Vec<&Value> = notifications.iter().filter(|n| n["method"] == "converse/guardrail").collect();
    assert_eq!(notified.len(), 1, "{notifications:?}");
    let params = &notified[0]["params"];
    assert_eq!(params["requestId"], id);
    assert_eq!(params["conversationId"], conversation.as_str());
    assert_eq!(params["action"], "INTERVENED");
    assert_eq!(params["stopReason"], "guardrail_intervened");
    assert_eq!(params["trace"], result["guardrail"]["trace"]);
    assert_eq!(emulated.journal()[0]["body"]["guardrailConfig"]["guardrailIdentifier"], "gr-test");

    let clean = emulated.host.call("conversation/send", json!({"conversationId": conversation, "content": "hello"}));
    assert_eq!(clean["result"]["stopReason"], "end_turn");
    assert!(clean["result"].get("guardrail").is_none(), "no intervention, no guardrail member: {clean}");
}

#[test]
fn conversations_are_listed_forked_and_deleted() {
    let mut emulated = Emulated::start(None, json!({}));
    let original = emulated.create(json!({"title": "Original", "modelId": "nova-lite"}));
    for prompt in ["one", "two"] {
        let response = emulated.host.call("conversation/send", json!({"conversationId": original, "content": prompt}));
        assert!(response.get("result").is_some(), "{response}");
    }
    let got = emulated.host.call("conversation/get", json!({"conversationId": original}));
    let messages = got["result"]["messages"].as_array().unwrap().clone();
    assert_eq!(messages.len(), 4);
    assert_eq!(got["result"]["title"], "Original");
    assert_eq!(got["result"]["modelId"], "nova-lite");

    let fork = emulated.host.call("conversation/fork", json!({"conversationId": original, "messageCount": 2}));
    let fork = fork["result"]["conversationId"].as_str().expect("a fork id").to_string();
    assert_ne!(fork, original);
    let forked = emulated.host.call("conversation/get", json!({"conversationId": fork}));
    assert_eq!(forked["result"]["messages"], json!(messages[..2]));
    let whole = emulated.host.call("conversation/fork", json!({"conversationId": original}));
    let whole = whole["result"]["conversationId"].as_str().unwrap().to_string();
    let copied = emulated.host.call("conversation/get", json!({"conversationId": whole}));
    assert_eq!(copied["result"]["messages"], json!(messages));

    let half = emulated.host.call("conversation/fork", json!({"conversationId": original, "messageCount": 1}));
    assert_eq!(half["error"]["code"], -32602, "a fork ending on a user message: {half}");

    // The fork goes on alone: its next turn follows its two messages, the original is untouched.
    let next = emulated.host.call("conversation/send", json!({"conversationId": fork, "content": "three"}));
    assert_eq!(next["result"]["stopReason"], "end_turn", "{next}");
    let body = emulated.journal_of("ConverseStream").last().unwrap()["body"].clone();
    assert_eq!(body["messages"].as_array().unwrap().len(), 3);
    let again = emulated.host.call("conversation/get", json!({"conversationId": original}));
    assert_eq!(again["result"]["messages"], json!(messages));

    let list = emulated.host.call("conversation/list", json!({}));
    let summaries = list["result"]["conversations"].as_array().unwrap();
    assert_eq!(summaries.len(), 3, "{list}");
    let summary = summaries.iter().find(|s| s["conversationId"] == original.as_str()).expect("the original");
    assert_eq!(summary["turns"], 2);
    assert_eq!(summary["title"], "Original");
    assert_eq!(summary["modelId"], "nova-lite");

    let deleted = emulated.host.call("conversation/delete", json!({"conversationId": original}));
    assert_eq!(deleted["result"], json!({"deleted": true}));
    let gone = emulated.host.call("conversation/get", json!({"conversationId": original}));
    assert_eq!(gone["error"]["code"], -32003, "{gone}");
    assert_eq!(gone["error"]["data"]["id"], original.as_str());
    let send = emulated.host.call("conversation/send", json!({"conversationId": original, "content": "x"}));
    assert_eq!(send["error"]["code"], -32003, "{send}");
    let list = emulated.host.call("conversation/list", json!({}));
    assert_eq!(list["result"]["conversations"].as_array().unwrap().len(), 2);
    let again = emulated.host.call("conversation/delete", json!({"conversationId": original}));
    assert_eq!(again["error"]["code"], -32003);
}

#[test]
fn count_tokens_equals_the_input_tokens_of_the_next_turn() {
    let mut emulated = Emulated::start(None, json!({}));
    let conversation = emulated.create(json!({"system": [{"text": "You are terse."}]}));
    let first =
        emulated.host.call("conversation/send", json!({"conversationId": conversation, "content": "Hi, who are you?"}));
    assert!(first.get("result").is_some(), "{first}");

    let next = "What did I ask you, exactly?";
    let counted =
        emulated.host.call("conversation/countTokens", json!({"conversationId": conversation, "content": next}));
    let counted = counted["result"]["inputTokens"].as_u64().unwrap_or_else(|| panic!("countTokens failed: {counted}"));
    let history_only = emulated.host.call("conversation/countTokens", json!({"conversationId": conversation}));
    assert!(history_only["result"]["inputTokens"].as_u64().unwrap() < counted);

    let turn = emulated.host.call("conversation/send", json!({"conversationId": conversation, "content": next}));
    assert_eq!(turn["result"]["usage"]["inputTokens"].as_u64().unwrap(), counted, "{turn}");
    let count_request = &emulated.journal_of("CountTokens")[0];
    assert!(
        count_request["modelId"].as_str().unwrap().starts_with("anthropic.claude-haiku-4-5"),
        "CountTokens takes the base model id: {count_request}"
    );
}

#[test]
fn stateless_converse_answers_with_and_without_stream() {
    let mut emulated = Emulated::start(None, json!({}));
    let request = json!({
        "modelId": "sonnet",
        "messages": [{"role": "user", "content": [{"text": "stateless please"}]}],
        "system": [{"text": "Be brief."}],
    });
    let (notifications, plain) = emulated.exchange("bedrock/converse", request.clone());
    assert!(notifications.is_empty(), "no events without stream: {notifications:?}");
    let plain = &plain["result"];
    assert_eq!(message_text(&plain["output"]["message"]), "You said: stateless please");
    assert_eq!(plain["stopReason"], "end_turn");
    assert_ne!(plain["cached"], true);

    let mut streamed_request = request.clone();
    streamed_request["stream"] = json!(true);
    let id = emulated.host.request("bedrock/converse", streamed_request);
    let (notifications, streamed) = emulated.until_response(&id);
    let streamed = &streamed["result"];
    let events = events_of(&notifications, &id);
    assert!(notifications.iter().all(|n| n["params"].get("conversationId").is_none()));
    assert_eq!(delta_text(&events), "You said: stateless please");
    assert_eq!(streamed["output"], plain["output"]);
    assert_eq!(streamed["usage"], plain["usage"]);
    assert_eq!(streamed["stopReason"], "end_turn");

    let journal = emulated.journal();
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[0]["operation"], "Converse");
    assert_eq!(journal[1]["operation"], "ConverseStream");
    let model_id = journal[0]["modelId"].as_str().unwrap().to_string();
    assert!(model_id.starts_with("us.anthropic.claude-sonnet-4-5"), "`sonnet` resolved to {model_id}");
    let (input_price, output_price) = catalog_price(&mut emulated.host, &model_id);
    let usage = &plain["usage"];
    let expected = usage["inputTokens"].as_f64().unwrap() * input_price / 1e6
        + usage["outputTokens"].as_f64().unwrap() * output_price / 1e6;
    assert_close(plain["costUsd"].as_f64().unwrap(), expected, "costUsd");
    assert_close(streamed["costUsd"].as_f64().unwrap(), expected, "streamed costUsd");
}

#[test]
fn the_response_cache_answers_identical_calls_but_never_streams() {
    let mut emulated = Emulated::start(None, json!({"responseCache": {"maxEntries": 8}}));
    let request = json!({"modelId": "haiku", "messages": [{"role": "user", "content": [{"text": "cache me"}]}]});
    let first = emulated.host.call("bedrock/converse", request.clone());
    let second = emulated.host.call("bedrock/converse", request.clone());
    assert_ne!(first["result"]["cached"], true, "{first}");
    assert_eq!(second["result"]["cached"], true, "{second}");
    assert_eq!(second["result"]["output"], first["result"]["output"]);
    assert_eq!(second["result"]["usage"], first["result"]["usage"]);
    assert_eq!(emulated.journal_of("Converse").len(), 1);

    let mut different = request.clone();
    different["inferenceConfig"] = json!({"maxTokens": 50});
    let third = emulated.host.call("bedrock/converse", different);
    assert_ne!(third["result"]["cached"], true, "a different request is a different entry");

    let mut streamed = request.clone();
    streamed["stream"] = json!(true);
    for _ in 0..2 {
        let response = emulated.host.call("bedrock/converse", streamed.clone());
        assert_ne!(response["result"]["cached"], true, "{response}");
    }
    assert_eq!(emulated.journal_of("ConverseStream").len(), 2);
    assert_eq!(emulated.journal_of("Converse").len(), 2);
}

#[test]
fn without_a_cache_every_call_reaches_the_model() {
    let mut emulated = Emulated::start(None, json!({}));
    let request = json!({"modelId": "haiku", "messages": [{"role": "user", "content": [{"text": "again"}]}]});
    for _ in 0..2 {
        let response = emulated.host.call("bedrock/converse", request.clone());
        assert_ne!(response["result"]["cached"], true, "{response}");
    }
    assert_eq!(emulated.journal_of("Converse").len(), 2);
}

#[test]
fn a_model_without_a_catalog_price_costs_null_never_zero() {
    let mut emulated = Emulated::start(None, json!({}));
    // A Bedrock model the catalog does not list.
    let model = "qwen.qwen3-32b-v1:0";
    let conversation = emulated.create(json!({"modelId": model}));
    let turn = emulated.host.call("conversation/send", json!({"conversationId": conversation, "content": "price?"}));
    let result = &turn["result"];
    assert!(result["usage"]["outputTokens"].as_u64().unwrap() > 0, "{turn}");
    assert_eq!(result["costUsd"], Value::Null, "{turn}");
    assert_eq!(result["cumulativeCostUsd"], Value::Null);
    let got = emulated.host.call("conversation/get", json!({"conversationId": conversation}));
    assert_eq!(got["result"]["costUsd"], Value::Null, "{got}");

    let stateless = emulated.host.call(
        "bedrock/converse",
        json!({"modelId": model, "messages": [{"role": "user", "content": [{"text": "and now?"}]}]}),
    );
    assert_eq!(stateless["result"]["costUsd"], Value::Null, "{stateless}");
    let priced = emulated.host.call(
        "bedrock/converse",
        json!({"modelId": "haiku", "messages": [{"role": "user", "content": [{"text": "and now?"}]}]}),
    );
    assert!(priced["result"]["costUsd"].as_f64().unwrap() > 0.0, "{priced}");

    let usage = emulated.host.call("usage/get", json!({}));
    assert_eq!(usage["result"]["byModel"][model]["calls"], 2, "{usage}");
    assert_eq!(usage["result"]["byModel"][model]["costUsd"], Value::Null, "{usage}");
    assert_eq!(usage["result"]["total"]["costUsd"], Value::Null, "a total with an unknown part: {usage}");
    let haiku = usage["result"]["byModel"].as_object().unwrap().iter().find(|(id, _)| id.contains("haiku"));
    assert_eq!(haiku.expect("haiku's totals").1["costUsd"], priced["result"]["costUsd"]);
}

#[test]
fn the_default_guardrail_applies_to_conversations_and_stateless_calls() {
    let script = json!({
        "rules": [{"when": {"lastUserText": "reply"}, "respond": {"content": [{"text": "Here is the forbidden reply."}]}}],
        "guardrails": {"gr-test": {"version": "1", "blockedWords": ["forbidden"], "blockedMessage": "Blocked."}}
    });
    let guardrail = json!({"guardrailIdentifier": "gr-test", "guardrailVersion": "1", "trace": "enabled"});
    let mut emulated = Emulated::start(Some(script), json!({"guardrailConfig": guardrail}));
    let conversation = emulated.create(json!({}));

    // The model's own reply holds the blocked word: an intervention on the output.
    let id =
        emulated.host.request("conversation/send", json!({"conversationId": conversation, "content": "reply please"}));
    let (notifications, response) = emulated.until_response(&id);
    let result = &response["result"];
    assert_eq!(result["stopReason"], "guardrail_intervened", "{response}");
    let output = &result["guardrail"]["trace"]["outputAssessments"]["gr-test"];
    assert!(output.is_array() && !output.as_array().unwrap().is_empty(), "an output assessment: {result}");
    assert_eq!(notifications.iter().filter(|n| n["method"] == "converse/guardrail").count(), 1);

    let request = json!({
        "modelId": "haiku", "stream": true,
        "messages": [{"role": "user", "content": [{"text": "something forbidden"}]}]
    });
    let id = emulated.host.request("bedrock/converse", request);
    let (notifications, response) = emulated.until_response(&id);
    assert_eq!(response["result"]["stopReason"], "guardrail_intervened", "{response}");
    let notified: Vec<&Value> = notifications.iter().filter(|n| n["method"] == "converse/guardrail").collect();
    assert_eq!(notified.len(), 1, "{notifications:?}");
    assert_eq!(notified[0]["params"]["requestId"], id);
    assert!(notified[0]["params"].get("conversationId").is_none());
    assert_eq!(notified[0]["params"]["trace"], response["result"]["trace"]["guardrail"]);
    for entry in emulated.journal() {
        for member in ["guardrailIdentifier", "guardrailVersion", "trace"] {
            assert_eq!(entry["body"]["guardrailConfig"][member], guardrail[member], "the default guardrail: {entry}");
        }
    }
}
