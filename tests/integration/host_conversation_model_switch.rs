//! `conversation/fork` with `modelId`: a conversation's history continues under another model
//! (what an editor does when the user changes the model mid-chat), through the real binary
//! and its in-process emulator; the copy's model is kept in the storage directory too.

use serde_json::json;

use crate::support::conversation::Emulated;
use crate::support::stdio::{Framing, HostBuilder};

#[test]
fn a_fork_with_model_id_continues_the_history_under_the_new_model() {
    let mut emulated = Emulated::start(None, json!({}));
    let original = emulated.create(json!({"modelId": "nova-lite"}));
    let first = emulated.host.call("conversation/send", json!({"conversationId": original, "content": "remember 7"}));
    assert_eq!(first["result"]["stopReason"], "end_turn", "{first}");
    let before = emulated.host.call("conversation/get", json!({"conversationId": original}))["result"].clone();

    let fork = emulated.host.call("conversation/fork", json!({"conversationId": original, "modelId": "haiku"}));
    let fork = fork["result"]["conversationId"].as_str().unwrap_or_else(|| panic!("a fork id: {fork}")).to_string();
    let copy = emulated.host.call("conversation/get", json!({"conversationId": fork}))["result"].clone();
    assert_eq!(copy["modelId"], "haiku");
    assert_eq!(copy["messages"], before["messages"], "the whole history is copied");

    let next = emulated.host.call("conversation/send", json!({"conversationId": fork, "content": "what number"}));
    assert_eq!(next["result"]["stopReason"], "end_turn", "{next}");
    let call = emulated.journal_of("ConverseStream").last().unwrap().clone();
    let model = call["modelId"].as_str().unwrap_or_default();
    assert!(model.contains("claude-haiku"), "the new model answers: {call}");
    let messages = call["body"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "the earlier turn goes with it: {messages:?}");
    assert_eq!(messages[0]["content"][0]["text"], "remember 7");

    let unchanged = emulated.host.call("conversation/get", json!({"conversationId": original}))["result"].clone();
    assert_eq!(unchanged["modelId"], "nova-lite");
    assert_eq!(unchanged["messages"], before["messages"]);
}

#[test]
fn a_fork_with_an_empty_model_id_is_refused_naming_the_field() {
    let mut emulated = Emulated::start(None, json!({}));
    let original = emulated.create(json!({}));
    let response = emulated.host.call("conversation/fork", json!({"conversationId": original, "modelId": " "}));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let errors = response["error"]["data"]["errors"].as_array().unwrap_or_else(|| panic!("{response}"));
    assert_eq!(errors[0]["path"], "modelId", "{response}");
    assert!(errors[0]["message"].as_str().unwrap().contains("leave it out"), "{response}");
    let typed = emulated.host.call("conversation/fork", json!({"conversationId": original, "modelId": 3}));
    assert_eq!(typed["error"]["code"], -32602, "{typed}");
}

#[test]
fn the_forks_model_is_stored_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let spawn = || {
        let mut host = HostBuilder::new(Framing::Ndjson)
            .arg("--emulator")
            .arg("--storage-dir")
            .arg(dir.path().to_str().unwrap())
            .spawn();
        assert!(host.call("initialize", json!({}))["result"].is_object());
        host
    };
    let mut host = spawn();
    let original = host.call("conversation/create", json!({"modelId": "nova-lite"}))["result"]["conversationId"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = host.call("conversation/send", json!({"conversationId": original, "content": "hello"}));
    assert_eq!(sent["result"]["stopReason"], "end_turn", "{sent}");
    let fork = host.call("conversation/fork", json!({"conversationId": original, "modelId": "haiku"}))["result"]
        ["conversationId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(host.call("shutdown", json!(null))["result"].is_null());
    host.notify("exit", json!(null));
    assert_eq!(host.wait_exit().0, Some(0));
    host.finish();

    let mut again = spawn();
    let copy = again.call("conversation/get", json!({"conversationId": fork}))["result"].clone();
    assert_eq!(copy["modelId"], "haiku", "{copy}");
    assert_eq!(copy["messages"].as_array().map(Vec::len), Some(2), "{copy}");
    assert!(again.call("shutdown", json!(null))["result"].is_null());
    again.notify("exit", json!(null));
    assert_eq!(again.wait_exit().0, Some(0));
    again.finish();
}
