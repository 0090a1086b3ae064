//! Turns that do not simply succeed, through the real binary against its
//! in-process emulator: retries, Bedrock errors before and during the
//! stream, a cut connection, cancellation, a busy conversation, and a host
//! without AWS credentials. Each failed turn must leave the history as it was.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::conversation::{Emulated, delta_text, events_of, words};
use crate::support::stdio::{Framing, HostBuilder};

fn throttle_rule(times: u32) -> Value {
    json!({
        "when": {"operation": "ConverseStream"},
        "times": times,
        "fail": {"error": "ThrottlingException", "status": 429, "message": "Too many tokens, please wait before trying again."}
    })
}

/// Asserts that a conversation holds no messages: the failed turn was not committed.
fn assert_history_empty(emulated: &mut Emulated, conversation: &str) {
    let got = emulated.host.call("conversation/get", json!({"conversationId": conversation}));
    assert_eq!(got["result"]["messages"], json!([]), "the failed turn changed the history: {got}");
    let list = emulated.host.call("conversation/list", json!({}));
    assert_eq!(list["result"]["conversations"][0]["turns"], 0, "{list}");
}

#[test]
fn throttling_is_retried_and_each_retry_is_announced() {
    let mut emulated = Emulated::start(Some(json!({"rules": [throttle_rule(2)]})), json!({}));
    let conversation = emulated.create(json!({}));
    let id = emulated.host.request("conversation/send", json!({"conversationId": conversation, "content": "try hard"}));
    let (notifications, response) = emulated.until_response(&id);
    assert_eq!(response["result"]["stopReason"], "end_turn", "{response}");
    assert_eq!(delta_text(&events_of(&notifications, &id)), "You said: try hard");

    let retries: Vec<&Value> =
        notifications.iter().filter(|n| n["method"] == "converse/retry").map(|n| &n["params"]).collect();
    let attempts: Vec<&Value> = retries.iter().map(|params| &params["attempt"]).collect();
    assert_eq!(attempts, [&json!(2), &json!(3)], "{retries:?}");
    for params in &retries {
        assert_eq!(params["requestId"], id);
        assert_eq!(params["errorCode"], "ThrottlingException");
        assert!(params["delayMs"].is_u64(), "{params}");
        assert!(params["message"].as_str().is_some_and(|m| m.contains("Too many tokens")), "{params}");
    }
    let first_event = notifications.iter().position(|n| n["method"] == "converse/event").unwrap();
    let last_retry = notifications.iter().rposition(|n| n["method"] == "converse/retry").unwrap();
    assert!(last_retry < first_event, "retries are announced before the answer streams");
    assert_eq!(emulated.journal_of("ConverseStream").len(), 3, "every attempt reached the emulator");
    let got = emulated.host.call("conversation/get", json!({"conversationId": conversation}));
    assert_eq!(got["result"]["messages"].as_array().unwrap().len(), 2);
}

#[test]
fn throttling_past_the_last_attempt_is_a_bedrock_error_and_changes_nothing() {
    let mut emulated = Emulated::start(Some(json!({"rules": [throttle_rule(5)]})), json!({}));
    let conversation = emulated.create(json!({}));
    let response = emulated.host.call("conversation/send", json!({"conversationId": conversation, "content": "again"}));
    let error = &response["error"];
    assert_eq!(error["code"], -32001, "{response}");
    let data = &error["data"];
    assert_eq!(data["bedrockCode"], "ThrottlingException");
    assert_eq!(data["httpStatus"], 429);
    assert_eq!(data["retryable"], true);
    assert_eq!(data["attempts"], 3);
    assert!(data["requestId"].as_str().is_some_and(|id| !id.is_empty()), "Bedrock's request id: {data}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("not a context-window limit"), "throttling is told apart from a long prompt: {message}");
    assert!(message.contains("please wait before trying again. This is"), "{message}");
    assert_eq!(emulated.journal_of("ConverseStream").len(), 3);
    assert_history_empty(&mut emulated, &conversation);
}

#[test]
fn a_validation_exception_is_not_retried() {
    let rule = json!({
        "when": {"operation": "Converse"},
        "fail": {"error": "ValidationException", "status": 400, "message": "The model returned a validation error: messages.0 is bad"}
    });
    let mut emulated = Emulated::start(Some(json!({"rules": [rule]})), json!({}));
    let conversation = emulated.create(json!({}));
    let (notifications, response) =
        emulated.exchange("conversation/send", json!({"conversationId": conversation, "content": "bad"}));
    let data = &response["error"]["data"];
    assert_eq!(response["error"]["code"], -32001, "{response}");
    assert_eq!(data["bedrockCode"], "ValidationException");
    assert_eq!(data["httpStatus"], 400);
    assert_eq!(data["retryable"], false);
    assert_eq!(data["attempts"], 1);
    assert!(response["error"]["message"].as_str().unwrap().contains("messages.0 is bad"), "{response}");
    assert!(notifications.iter().all(|n| n["method"] != "converse/retry"), "{notifications:?}");
    assert_eq!(emulated.journal().len(), 1);
    assert_history_empty(&mut emulated, &conversation);
}

#[test]
fn an_exception_frame_mid_stream_fails_the_turn_with_the_text_so_far() {
    let rule = json!({
        "when": {"operation": "ConverseStream"},
        "respond": {
            "content": [{"text": words(10)}],
            "cutAfterEvents": 4,
            "streamException": {"type": "modelStreamErrorException", "message": "The model stopped unexpectedly."}
        }
    });
    let mut emulated = Emulated::start(Some(json!({"rules": [rule]})), json!({}));
    let conversation = emulated.create(json!({}));
    let id = emulated.host.request("conversation/send", json!({"conversationId": conversation, "content": "go"}));
    let (notifications, response) = emulated.until_response(&id);
    let error = &response["error"];
    assert_eq!(error["code"], -32001, "{response}");
    assert_eq!(error["data"]["bedrockCode"], "ModelStreamErrorException");
    assert!(error["message"].as_str().unwrap().contains("The model stopped unexpectedly."), "{response}");

    let events = events_of(&notifications, &id);
    assert_eq!(events.len(), 4, "the four events before the exception frame: {events:?}");
    let streamed = delta_text(&events);
    assert_eq!(streamed, "word1 word2 word3 ");
    assert_eq!(error["data"]["partial"]["text"], streamed.as_str());
    assert_eq!(error["data"]["partial"]["messages"][0]["role"], "assistant");
    assert_history_empty(&mut emulated, &conversation);
}

#[test]
fn a_connection_cut_mid_stream_fails_the_turn_with_the_text_so_far() {
    let rule = json!({
        "when": {"operation": "ConverseStream"},
        "respond": {"content": [{"text": words(10)}], "cutAfterEvents": 5}
    });
    let mut emulated = Emulated::start(Some(json!({"rules": [rule]})), json!({}));
    let conversation = emulated.create(json!({}));
    let id = emulated.host.request("conversation/send", json!({"conversationId": conversation, "content": "go"}));
    let (notifications, response) = emulated.until_response(&id);
    assert_eq!(response["error"]["code"], -32005, "a broken connection is a network failure: {response}");
    assert_eq!(response["error"]["data"]["attempts"], 1, "{response}");
    assert!(response["error"]["message"].as_str().unwrap().contains("broke off"), "{response}");
    let streamed = delta_text(&events_of(&notifications, &id));
    assert_eq!(streamed, "word1 word2 word3 word4 ");
    assert_eq!(response["error"]["data"]["partial"]["text"], streamed.as_str(), "{response}");
    assert_history_empty(&mut emulated, &conversation);
}

#[test]
fn cancelling_mid_stream_answers_with_the_partial_text_and_stops_the_events() {
    let rule = json!({
        "when": {"operation": "ConverseStream"},
        "respond": {"content": [{"text": words(30)}], "tokenDelayMs": 100}
    });
    let mut emulated = Emulated::start(Some(json!({"rules": [rule]})), json!({}));
    let conversation = emulated.create(json!({}));
    let id = emulated.host.request("conversation/send", json!({"conversationId": conversation, "content": "go"}));
    loop {
        let message = emulated.host.recv();
        assert_ne!(message.get("id"), Some(&id), "the turn ended before it could be cancelled: {message}");
        if message["params"]["event"].get("contentBlockDelta").is_some() {
            break;
        }
    }
    emulated.host.notify("$/cancelRequest", json!({"id": id}));
    let (before, response) = emulated.until_response(&id);
    let error = &response["error"];
    assert_eq!(error["code"], -32800, "{response}");
    let text = error["data"]["partial"]["text"].as_str().unwrap_or_else(|| panic!("no partial text: {response}"));
    assert!(text.starts_with("word1"), "{response}");
    assert!(!text.contains("word30"), "the answer was cut short: {text}");
    assert!(before.len() < 30, "{before:?}");

    // Several token delays later, a round trip: anything the cancelled
    // stream still sent would have arrived before its answer.
    std::thread::sleep(Duration::from_millis(500));
    let (after, usage) = emulated.exchange("usage/get", json!({}));
    assert!(usage.get("result").is_some(), "{usage}");
    assert!(events_of(&after, &id).is_empty(), "events after the cancel's answer: {after:?}");
    assert_history_empty(&mut emulated, &conversation);

    let next = emulated.host.call("conversation/send", json!({"conversationId": conversation, "content": "again"}));
    assert_eq!(next["result"]["turn"], 1, "the conversation is free again: {next}");
}

#[test]
fn one_turn_at_a_time_per_conversation_while_others_run() {
    let rule = json!({
        "when": {"operation": "ConverseStream", "lastUserText": "slow"},
        "respond": {"content": [{"text": words(30)}], "tokenDelayMs": 100}
    });
    let mut emulated = Emulated::start(Some(json!({"rules": [rule]})), json!({}));
    let busy = emulated.create(json!({"title": "busy"}));
    let other = emulated.create(json!({"title": "other"}));
    let slow = emulated.host.request("conversation/send", json!({"conversationId": busy, "content": "slow please"}));
    loop {
        let message = emulated.host.recv();
        assert_ne!(message.get("id"), Some(&slow), "the slow turn ended too soon: {message}");
        if message["params"]["event"].get("contentBlockDelta").is_some() {
            break;
        }
    }
    let second = emulated.host.request("conversation/send", json!({"conversationId": busy, "content": "me too"}));
    let parallel = emulated.host.request("conversation/send", json!({"conversationId": other, "content": "quick"}));
    let (_, refused) = emulated.until_response(&second);
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains(&busy) && message.contains("already running a turn"), "{message}");

    let (_, quick) = emulated.until_response(&parallel);
    assert_eq!(quick["result"]["stopReason"], "end_turn", "{quick}");
    let (_, slow_result) = emulated.until_response(&slow);
    assert_eq!(slow_result["result"]["turn"], 1, "{slow_result}");
    let got = emulated.host.call("conversation/get", json!({"conversationId": busy}));
    assert_eq!(got["result"]["messages"].as_array().unwrap().len(), 2, "the refused send added nothing: {got}");
}

#[test]
fn without_credentials_a_call_answers_32004_with_a_hint() {
    let home = tempfile::tempdir().expect("a temp HOME");
    let mut host =
        HostBuilder::new(Framing::Ndjson).without_aws_setup(home.path()).env("AWS_REGION", "us-east-1").spawn();
    let init = host.call("initialize", json!({}));
    assert_eq!(init["result"]["backend"]["kind"], "bedrock", "the host starts without AWS: {init}");

    let request = json!({"modelId": "haiku", "messages": [{"role": "user", "content": [{"text": "hi"}]}]});
    let response = host.call("bedrock/converse", request);
    let error = &response["error"];
    assert_eq!(error["code"], -32004, "{response}");
    let hint = error["data"]["hint"].as_str().unwrap_or_else(|| panic!("no hint: {response}"));
    for named in ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "sso login"] {
        assert!(hint.contains(named), "the hint names {named}: {hint}");
    }
    let create = host.call("conversation/create", json!({}));
    let conversation = create["result"]["conversationId"].clone();
    let send = host.call("conversation/send", json!({"conversationId": conversation, "content": "hi"}));
    assert_eq!(send["error"]["code"], -32004, "{send}");
}

#[test]
fn a_stateless_streamed_converse_is_cancelled_like_a_turn() {
    let rule = json!({
        "when": {"operation": "ConverseStream"},
        "respond": {"content": [{"text": words(30)}], "tokenDelayMs": 100}
    });
    let mut emulated = Emulated::start(Some(json!({"rules": [rule]})), json!({}));
    let request =
        json!({"modelId": "haiku", "stream": true, "messages": [{"role": "user", "content": [{"text": "go"}]}]});
    let id = emulated.host.request("bedrock/converse", request);
    loop {
        let message = emulated.host.recv();
        assert_ne!(message.get("id"), Some(&id), "the call ended before it could be cancelled: {message}");
        if message["params"]["event"].get("contentBlockDelta").is_some() {
            break;
        }
    }
    emulated.host.notify("$/cancelRequest", json!({"id": id}));
    let (_, response) = emulated.until_response(&id);
    assert_eq!(response["error"]["code"], -32800, "{response}");
    assert!(
        response["error"]["data"]["partial"]["text"].as_str().is_some_and(|t| t.starts_with("word1")),
        "{response}"
    );
    std::thread::sleep(Duration::from_millis(500));
    let (after, usage) = emulated.exchange("usage/get", json!({}));
    assert!(events_of(&after, &id).is_empty(), "events after the cancel's answer: {after:?}");
    assert_eq!(usage["result"]["total"]["calls"], 0, "a cancelled call is not counted: {usage}");
}

#[test]
fn a_non_streaming_turn_is_retried_too() {
    let rule = json!({
        "when": {"operation": "^Converse$"},
        "times": 1,
        "fail": {"error": "ServiceUnavailableException", "status": 503, "message": "Bedrock is busy."}
    });
    let mut emulated = Emulated::start(Some(json!({"rules": [rule]})), json!({}));
    let conversation = emulated.create(json!({}));
    let id = emulated
        .host
        .request("conversation/send", json!({"conversationId": conversation, "content": "hi", "stream": false}));
    let (notifications, response) = emulated.until_response(&id);
    assert_eq!(response["result"]["stopReason"], "end_turn", "{response}");
    let retries: Vec<&Value> = notifications.iter().filter(|n| n["method"] == "converse/retry").collect();
    assert_eq!(retries.len(), 1, "{notifications:?}");
    assert_eq!(retries[0]["params"]["attempt"], 2);
    assert_eq!(retries[0]["params"]["errorCode"], "ServiceUnavailableException");
    assert!(events_of(&notifications, &id).is_empty(), "no stream events without stream");
    assert_eq!(emulated.journal_of("Converse").len(), 2);
}

#[test]
fn without_a_region_a_call_answers_32004_with_a_hint() {
    let home = tempfile::tempdir().expect("a temp HOME");
    let mut host = HostBuilder::new(Framing::Ndjson)
        .without_aws_setup(home.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDFROMTHEENVIRONMENT")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .spawn();
    let init = host.call("initialize", json!({}));
    assert!(init.get("result").is_some(), "the host starts without a region: {init}");
    let create = host.call("conversation/create", json!({}));
    let conversation = create["result"]["conversationId"].clone();
    let send = host.call("conversation/send", json!({"conversationId": conversation, "content": "hi"}));
    assert_eq!(send["error"]["code"], -32004, "{send}");
    let hint = send["error"]["data"]["hint"].as_str().unwrap_or_else(|| panic!("no hint: {send}"));
    assert!(hint.contains("AWS_REGION") && hint.contains("--region"), "{hint}");
}
