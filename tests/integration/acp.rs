//! `bedrock-host acp` over stdio with raw JSON-RPC lines: the exact fields of
//! `initialize`'s result, ACP's error codes, `session/update` shapes on the
//! wire, the built-in tools against a client that offers no `fs/*` (the disk
//! under `cwd`), permission, and `authenticate` without AWS credentials.

use serde_json::{Value, json};

use crate::support::stdio::{Framing, Host, HostBuilder, result};

fn acp_host(script: Option<&Value>) -> Host {
    HostBuilder::new(Framing::Ndjson).arg("acp").emulator(script).spawn()
}

fn initialize(host: &mut Host, capabilities: Value) -> Value {
    let response =
        host.call("initialize", json!({"protocolVersion": 1, "clientCapabilities": capabilities, "clientInfo": {"name": "raw", "version": "1"}}));
    result(&response).clone()
}

fn new_session(host: &mut Host, cwd: &std::path::Path) -> String {
    let response = host.call("session/new", json!({"cwd": cwd, "mcpServers": []}));
    result(&response)["sessionId"].as_str().expect("a session id").to_string()
}

fn error_of(response: &Value) -> &Value {
    response.get("error").unwrap_or_else(|| panic!("expected an error: {response}"))
}

/// The `session/update`s received so far (stashed while waiting for responses).
fn updates(host: &mut Host) -> Vec<Value> {
    host.take_notifications()
        .into_iter()
        .filter(|message| message["method"] == "session/update")
        .map(|message| message["params"]["update"].clone())
        .collect()
}

#[test]
fn initialize_answers_acp_fields_exactly() {
    let mut host = acp_host(None);
    let before = host.call("session/new", json!({"cwd": "/", "mcpServers": []}));
    assert_eq!(error_of(&before)["code"], -32600, "{before}");
    let answer = initialize(&mut host, json!({"fs": {"readTextFile": true, "writeTextFile": true}, "terminal": true}));
    assert_eq!(
        answer,
        json!({
            "protocolVersion": 1,
            "agentCapabilities": {
                "loadSession": true,
                "promptCapabilities": {"image": true, "audio": false, "embeddedContext": true},
                "mcpCapabilities": {"http": true, "sse": false},
                "sessionCapabilities": {"list": {}}
            },
            "authMethods": [{
                "id": "aws-credentials",
                "name": "AWS credentials",
                "description": "The AWS credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile (run `aws sso login --profile NAME` for an SSO profile), or AWS_BEARER_TOKEN_BEDROCK"
            }],
            "agentInfo": {"name": "bedrock-host", "title": "Bedrock Host", "version": env!("CARGO_PKG_VERSION")}
        })
    );
    let again = host.call("initialize", json!({"protocolVersion": 1}));
    assert_eq!(error_of(&again)["code"], -32600);
    host.finish();
}

#[test]
fn bad_requests_get_acps_error_codes_naming_the_field() {
    let project = tempfile::tempdir().unwrap();
    let mut host = acp_host(None);
    initialize(&mut host, json!({}));
    let missing_cwd = host.call("session/new", json!({"mcpServers": []}));
    assert_eq!(error_of(&missing_cwd)["code"], -32602, "{missing_cwd}");
    assert!(error_of(&missing_cwd)["data"]["errors"][0]["message"].as_str().unwrap().contains("cwd"), "{missing_cwd}");
    let relative = host.call("session/new", json!({"cwd": "src", "mcpServers": []}));
    assert_eq!(error_of(&relative)["data"]["errors"][0]["path"], "cwd", "{relative}");
    let wrong_type = host.call("session/new", json!({"cwd": project.path(), "mcpServers": 3}));
    assert_eq!(error_of(&wrong_type)["code"], -32602);
    assert_eq!(error_of(&wrong_type)["data"]["errors"][0]["path"], "mcpServers", "{wrong_type}");

    let unknown =
        host.call("session/prompt", json!({"sessionId": "conv_0", "prompt": [{"type": "text", "text": "hi"}]}));
    assert_eq!(error_of(&unknown)["code"], -32002, "{unknown}");
    assert_eq!(error_of(&unknown)["data"], json!({"sessionId": "conv_0"}));
    let load = host.call("session/load", json!({"sessionId": "conv_0", "cwd": project.path(), "mcpServers": []}));
    assert_eq!(error_of(&load)["code"], -32002, "{load}");

    let session = new_session(&mut host, project.path());
    let empty = host.call("session/prompt", json!({"sessionId": session, "prompt": []}));
    assert_eq!(error_of(&empty)["data"]["errors"][0]["path"], "prompt", "{empty}");
    let audio = host.call(
        "session/prompt",
        json!({"sessionId": session, "prompt": [{"type": "audio", "data": "aGk=", "mimeType": "audio/wav"}]}),
    );
    assert_eq!(error_of(&audio)["data"]["errors"][0]["path"], "prompt[0]", "{audio}");
    let option =
        host.call("session/set_config_option", json!({"sessionId": session, "configId": "mode", "value": "x"}));
    assert_eq!(error_of(&option)["data"]["errors"][0]["path"], "configId", "{option}");
    let method = host.call("session/set_mode", json!({"sessionId": session, "modeId": "x"}));
    assert_eq!(error_of(&method)["code"], -32601, "{method}");
    host.finish();
}

#[test]
fn a_prompt_streams_agent_message_chunks_then_answers_end_turn_with_usage() {
    let project = tempfile::tempdir().unwrap();
    let script = json!({"rules": [{"respond": {"content": [{"text": "one two three four"}]}}]});
    let mut host = acp_host(Some(&script));
    initialize(&mut host, json!({}));
    let session = new_session(&mut host, project.path());
    let answer = host.call("session/prompt", json!({"sessionId": session, "prompt": [{"type": "text", "text": "hi"}]}));
    let answer = result(&answer);
    assert_eq!(answer["stopReason"], "end_turn");
    assert!(answer["usage"]["outputTokens"].as_u64().unwrap() > 0, "{answer}");
    let updates = updates(&mut host);
    let chunks: Vec<&Value> =
        updates.iter().filter(|update| update["sessionUpdate"] == "agent_message_chunk").collect();
    assert!(chunks.len() >= 2, "{updates:?}");
    assert_eq!(chunks[0]["content"]["type"], "text");
    let text: String = chunks.iter().map(|chunk| chunk["content"]["text"].as_str().unwrap()).collect();
    assert_eq!(text, "one two three four");
    let usage = updates.iter().find(|update| update["sessionUpdate"] == "usage_update").expect("a usage_update");
    assert_eq!(usage["size"], 200_000);
    assert_eq!(usage["cost"]["currency"], "USD");
    host.finish();
}

#[test]
fn without_fs_capabilities_the_tools_use_the_disk_under_cwd_after_permission() {
    let project = tempfile::tempdir().unwrap();
    let root = project.path().canonicalize().unwrap();
    std::fs::write(root.join("notes.txt"), "line one\nline two\nline three\n").unwrap();
    let script = json!({"rules": [
        {"when": {"afterToolResult": true}, "respond": {"content": [{"text": "ok"}]}},
        {"when": {"lastUserText": "read"}, "respond": {"content": [
            {"toolUse": {"toolUseId": "tooluse_read", "name": "read_file", "input": {"path": "notes.txt", "line": 2, "limit": 1}}}]}},
        {"when": {"lastUserText": "write"}, "respond": {"content": [
            {"toolUse": {"toolUseId": "tooluse_write", "name": "write_file", "input": {"path": "sub/new.txt", "content": "fresh\n"}}}]}}
    ]});
    let mut host = acp_host(Some(&script));
    initialize(&mut host, json!({"fs": {"readTextFile": false, "writeTextFile": false}, "terminal": false}));
    let session = new_session(&mut host, &root);

    let answer =
        host.call("session/prompt", json!({"sessionId": session, "prompt": [{"type": "text", "text": "read"}]}));
    assert_eq!(result(&answer)["stopReason"], "end_turn");
    let seen = updates(&mut host);
    let start = seen.iter().find(|update| update["sessionUpdate"] == "tool_call").expect("a tool_call");
    assert_eq!(start["toolCallId"], "tooluse_read");
    assert_eq!(start["kind"], "read");
    // `pending` is ACP's default status, which the schema crate leaves out.
    assert!(start.get("status").is_none() || start["status"] == "pending", "{start}");
    let last = seen.iter().rev().find(|update| update["sessionUpdate"] == "tool_call_update").expect("an update");
    assert_eq!(last["toolCallId"], "tooluse_read");
    assert_eq!(last["status"], "completed");
    assert_eq!(last["content"], json!([{"type": "content", "content": {"type": "text", "text": "line two\n"}}]));

    let id =
        host.request("session/prompt", json!({"sessionId": session, "prompt": [{"type": "text", "text": "write"}]}));
    let permission = host.host_request();
    assert_eq!(permission["method"], "session/request_permission");
    let params = &permission["params"];
    assert_eq!(params["sessionId"], session.as_str());
    assert_eq!(params["toolCall"]["toolCallId"], "tooluse_write");
    assert_eq!(
        params["toolCall"]["content"],
        json!([{"type": "diff", "path": root.join("sub/new.txt"), "newText": "fresh\n"}]) // no oldText: a new file
    );
    assert_eq!(
        params["options"],
        json!([
            {"optionId": "allow", "name": "Allow", "kind": "allow_once"},
            {"optionId": "reject", "name": "Reject", "kind": "reject_once"}
        ])
    );
    host.reply(&permission["id"], json!({"outcome": {"outcome": "selected", "optionId": "allow"}}));
    let answer = host.response(&id);
    assert_eq!(result(&answer)["stopReason"], "end_turn");
    assert_eq!(std::fs::read_to_string(root.join("sub/new.txt")).unwrap(), "fresh\n");
    host.finish();
}

#[test]
fn authenticate_without_aws_credentials_is_auth_required_with_the_fix() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let mut host = HostBuilder::new(Framing::Ndjson)
        .arg("acp")
        .arg("--region")
        .arg("us-east-1")
        .without_aws_setup(home.path())
        .spawn();
    initialize(&mut host, json!({}));
    let answer = host.call("authenticate", json!({"methodId": "aws-credentials"}));
    let error = error_of(&answer);
    assert_eq!(error["code"], -32000, "{answer}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("AWS_ACCESS_KEY_ID") && message.contains("aws sso login"), "{message}");
    let session = new_session(&mut host, project.path());
    let prompt = host.call("session/prompt", json!({"sessionId": session, "prompt": [{"type": "text", "text": "hi"}]}));
    assert_eq!(error_of(&prompt)["code"], -32000, "{prompt}");
    host.finish();
}
