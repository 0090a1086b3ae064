//! The host against input that used to crash, hang or confuse it, over real
//! stdio: stray bytes before the first message, a message in the other
//! framing, number ids beyond 64 bits, SIGTERM and SIGINT mid-turn, and a
//! journal whose name is not a conversation id.

use std::path::Path;
use std::process::Command;

use bedrock_host::conversations::storage::{MAGIC, frame, scan_records};
use serde_json::{Value, json};

use crate::support::conversation::words;
use crate::support::stdio::{Framing, Host, HostBuilder, result};

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#;

#[test]
fn whitespace_or_a_bom_before_the_first_line_still_means_newline_delimited_json() {
    for prefix in [&b" "[..], b"\t", b"\n", b"\r\n", b"\xEF\xBB\xBF", b"\xEF\xBB\xBF\r\n "] {
        let mut host = Host::spawn(Framing::Ndjson);
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(INITIALIZE.as_bytes());
        bytes.push(b'\n');
        host.send_raw(&bytes);
        let response = host.response(&json!(1));
        assert!(response.get("result").is_some(), "{prefix:?}: {response}");
        assert_eq!(result(&host.call("test/sleep", json!({"ms": 0}))), &json!({"slept": 0}), "{prefix:?}");
        host.finish();
    }
}

#[test]
fn whitespace_before_the_first_header_still_means_content_length() {
    let mut host = Host::spawn(Framing::ContentLength);
    let mut bytes = b"\r\n \xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(&Framing::ContentLength.encode(INITIALIZE.as_bytes()));
    host.send_raw(&bytes);
    assert!(host.response(&json!(1)).get("result").is_some());
    host.finish();
}

/// The next message, which must be a -32700 error with a null id; its message.
fn framing_error(host: &mut Host) -> String {
    let error = host.recv();
    assert_eq!(error["error"]["code"], -32700, "{error}");
    assert_eq!(error["id"], Value::Null, "{error}");
    error["error"]["message"].as_str().unwrap().to_string()
}

#[test]
fn a_message_in_the_other_framing_is_answered_with_the_sessions_framing() {
    let line = r#"{"jsonrpc":"2.0","id":"lost","method":"test/sleep","params":{"ms":0}}"#;

    let mut host = Host::initialized(Framing::ContentLength);
    host.send_raw(format!("{line}\n").as_bytes());
    let message = framing_error(&mut host);
    assert!(message.contains("this session uses Content-Length framing"), "{message}");
    assert_eq!(result(&host.call("test/sleep", json!({"ms": 1}))), &json!({"slept": 1}), "the session goes on");
    host.finish();

    let mut host = Host::initialized(Framing::Ndjson);
    host.send_raw(&Framing::ContentLength.encode(line.as_bytes()));
    host.send_raw(b"\n");
    let message = framing_error(&mut host);
    assert!(message.contains("this session uses newline-delimited JSON"), "{message}");
    assert_eq!(result(&host.call("test/sleep", json!({"ms": 1}))), &json!({"slept": 1}), "the session goes on");
    host.finish();
}

#[test]
fn number_ids_beyond_64_bits_are_refused_not_rounded_into_each_other() {
    let mut host = Host::initialized(Framing::Ndjson);
    for id in ["18446744073709551616", "18446744073709551617", "-9223372036854775809", "1e2"] {
        host.send_raw(
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"test/sleep","params":{{"ms":300}}}}"#).as_bytes(),
        );
        host.send_raw(b"\n");
    }
    for id in ["18446744073709551616", "18446744073709551617", "-9223372036854775809", "1e2"] {
        let answer = host.recv();
        assert_eq!(answer["error"]["code"], -32600, "{id}: {answer}");
        assert_eq!(answer["id"], Value::Null, "{id}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("id {id} cannot be echoed exactly")), "{message}");
        assert!(!message.contains("already used"), "{message}");
    }
    // The largest and smallest 64-bit integers, and a plain decimal, come back exactly.
    for id in [json!(u64::MAX), json!(i64::MIN), json!(2.5)] {
        host.send(&json!({"jsonrpc": "2.0", "id": id, "method": "test/sleep", "params": {"ms": 0}}));
        assert_eq!(host.response(&id)["result"], json!({"slept": 0}), "{id}");
    }
    host.finish();
}

/// Sends `signal` (TERM, INT) to the host through the shell's `kill` builtin.
fn signal(host: &Host, signal: &str) {
    let status = Command::new("sh").arg("-c").arg(format!("kill -{signal} {}", host.pid())).status().unwrap();
    assert!(status.success(), "kill -{signal} failed");
}

fn write_script(dir: &Path, script: Value) -> String {
    let path = dir.join("script.json");
    std::fs::write(&path, script.to_string()).unwrap();
    path.display().to_string()
}

fn storage_host(storage: &Path, script: &str) -> Host {
    let mut host = HostBuilder::new(Framing::Ndjson)
        .arg("--emulator")
        .arg("--emulator-script")
        .arg(script)
        .arg("--storage-dir")
        .arg(storage.display().to_string())
        .spawn();
    assert!(host.call("initialize", json!({})).get("result").is_some());
    host
}

#[test]
fn sigterm_mid_turn_ends_the_host_as_the_end_of_input_does() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("store");
    let slow =
        json!({"when": {"lastUserText": "slow"}, "respond": {"content": [{"text": words(200)}], "tokenDelayMs": 50}});
    let script = write_script(dir.path(), json!({"rules": [slow]}));
    let mut host = storage_host(&storage, &script);
    let id = result(&host.call("conversation/create", json!({})))["conversationId"].as_str().unwrap().to_string();
    result(&host.call("conversation/send", json!({"conversationId": id, "content": "quick"})));

    let turn = host.request("conversation/send", json!({"conversationId": id, "content": "slow"}));
    // Mid-turn: the stream has begun.
    loop {
        let message = host.recv();
        if message["method"] == "converse/event" && message["params"]["event"].get("contentBlockDelta").is_some() {
            break;
        }
        assert!(message.get("id").is_none(), "an answer before the stream began: {message}");
    }
    signal(&host, "TERM");
    let answer = host.response(&turn);
    assert_eq!(answer["error"]["code"], -32800, "{answer}");
    assert_eq!(host.wait_exit().0, Some(0), "SIGTERM is a clean end");
    host.finish();

    // The lock is free, the completed turn is on disk, the cancelled one left no trace.
    let mut again = storage_host(&storage, &script);
    let conversation = result(&again.call("conversation/get", json!({"conversationId": id}))).clone();
    assert_eq!(conversation["messages"].as_array().unwrap().len(), 2, "{conversation}");
    again.finish();
}

#[test]
fn sigint_ends_the_host_cleanly_too() {
    let mut host = Host::initialized(Framing::ContentLength);
    let sleeping = host.request("test/sleep", json!({"ms": 20_000}));
    // The request is in flight once a later one has been answered.
    result(&host.call("test/sleep", json!({"ms": 0})));
    signal(&host, "INT");
    assert_eq!(host.response(&sleeping)["error"]["code"], -32800);
    assert_eq!(host.wait_exit().0, Some(0));
    host.finish();

    // Before any message, too.
    let mut idle = Host::spawn(Framing::Ndjson);
    std::thread::sleep(std::time::Duration::from_millis(300));
    signal(&idle, "TERM");
    assert_eq!(idle.wait_exit().0, Some(0));
    idle.finish();
}

#[test]
fn a_journal_whose_name_is_not_a_conversation_id_is_set_aside_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("store");
    let script = write_script(dir.path(), json!({"rules": []}));
    let mut host = storage_host(&storage, &script);
    let id = result(&host.call("conversation/create", json!({})))["conversationId"].as_str().unwrap().to_string();
    result(&host.call("conversation/send", json!({"conversationId": id, "content": "hello"})));
    assert_eq!(result(&host.call("shutdown", Value::Null)), &Value::Null);
    host.notify("exit", Value::Null);
    host.finish();

    // A copy whose header (and file name) says `conv.evil`: a valid journal but not a valid id.
    let bytes = std::fs::read(storage.join(format!("{id}.journal"))).unwrap();
    let payloads: Vec<&[u8]> =
        scan_records(&bytes, MAGIC.len()).records.into_iter().map(|(_, payload)| payload).collect();
    let mut header: Value = serde_json::from_slice(payloads[0]).unwrap();
    header["id"] = json!("conv.evil");
    let mut forged = MAGIC.to_vec();
    forged.extend_from_slice(&frame(&serde_json::to_vec(&header).unwrap()));
    for payload in &payloads[1..] {
        forged.extend_from_slice(&frame(payload));
    }
    std::fs::write(storage.join("conv.evil.journal"), forged).unwrap();

    let mut host = storage_host(&storage, &script);
    let listed = result(&host.call("conversation/list", json!({})))["conversations"].clone();
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|c| c["conversationId"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.as_str()], "{listed}");
    assert_eq!(host.call("conversation/get", json!({"conversationId": "conv.evil"}))["error"]["code"], -32003);
    assert!(storage.join("conv.evil.unreadable").exists(), "the journal is set aside, not deleted");
    assert!(!storage.join("conv.evil.journal").exists());
    // Every conversation call still works.
    let turn = host.call("conversation/send", json!({"conversationId": id, "content": "still there?"}));
    assert!(turn.get("result").is_some(), "{turn}");
    result(&host.call("conversation/delete", json!({"conversationId": id})));
    let log = host.log_text();
    assert!(log.contains("is not a conversation id"), "{log}");
    host.finish();
}
