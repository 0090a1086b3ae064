//! What stock LSP clients send, over real stdio: `initialize` with every field
//! of LSP's InitializeParams (the params pygls/lsprotocol, Neovim 0.7.2 and
//! vscode-languageclient 9 really send), methods without params in every
//! empty form (Neovim 0.7 encodes an empty table as `[]`, vscode-jsonrpc a
//! `null` param as `[null]`), and -32602 naming every unknown field at once.

use serde_json::{Value, json};

use crate::support::stdio::{Framing, Host, HostBuilder, result};
use crate::support::tools::{first_answer, start, weather_tool};

/// The `initialize` params each client sends, as captured from it (Neovim,
/// pygls) or built the way its source builds them (vscode-languageclient).
const STOCK_INITIALIZE: [(&str, &str); 3] = [
    ("neovim 0.7.2", include_str!("support/initialize/neovim-0.7.2.json")),
    ("pygls 2.1.1 / lsprotocol", include_str!("support/initialize/pygls-2.1.1.json")),
    ("vscode-languageclient 9.0.1", include_str!("support/initialize/vscode-languageclient-9.0.1.json")),
];

fn error_paths(response: &Value) -> Vec<String> {
    assert_eq!(response["error"]["code"], -32602, "expected invalid params: {response}");
    let mut paths: Vec<String> = response["error"]["data"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no data.errors: {response}"))
        .iter()
        .map(|error| error["path"].as_str().expect("a path").to_string())
        .collect();
    paths.sort();
    paths
}

fn error_message_at<'a>(response: &'a Value, path: &str) -> &'a str {
    response["error"]["data"]["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|error| error["path"] == path))
        .and_then(|error| error["message"].as_str())
        .unwrap_or_else(|| panic!("no error at `{path}`: {response}"))
}

#[test]
fn initialize_accepts_what_stock_lsp_clients_send() {
    for (client, params) in STOCK_INITIALIZE {
        let params: Value = serde_json::from_str(params).expect("the fixture is JSON");
        let mut host = HostBuilder::new(Framing::ContentLength).emulator(None).spawn();
        let init = host.call("initialize", params);
        assert_eq!(init["result"]["protocolVersion"], "1", "{client}: {init}");
        assert_eq!(init["result"]["backend"]["kind"], "emulator", "{client}");
        host.notify("initialized", json!({}));
        assert_eq!(result(&host.call("tool/list", json!({}))), &json!({"tools": []}), "{client}: the session runs");
        assert_eq!(result(&host.call("shutdown", Value::Null)), &Value::Null);
        host.notify("exit", Value::Null);
        assert_eq!(host.wait_exit().0, Some(0), "{client}");
        host.finish();
    }
}

#[test]
fn initialize_accepts_every_field_of_lsp_initialize_params() {
    let mut host = Host::spawn(Framing::ContentLength);
    let init = host.call(
        "initialize",
        json!({
            "processId": null,
            "clientInfo": {"name": "every-field", "version": "1"},
            "locale": "en-gb",
            "rootPath": null,
            "rootUri": null,
            "initializationOptions": {"region": "eu-west-1"},
            "capabilities": {
                "tools": true,
                "workspace": {"applyEdit": true, "workspaceFolders": true},
                "textDocument": {"synchronization": {"didSave": true}},
                "notebookDocument": {"synchronization": {}},
                "window": {"workDoneProgress": true},
                "general": {"positionEncodings": ["utf-16"]},
                "experimental": {"anything": [1, "two"]},
                "callHierarchy": {"dynamicRegistration": false}
            },
            "trace": "verbose",
            "workspaceFolders": null,
            "workDoneToken": 7
        }),
    );
    let result = result(&init);
    assert_eq!(result["backend"]["region"], "eu-west-1", "initializationOptions still apply: {init}");
    assert!(host.call("initialize", json!({}))["error"]["code"] == -32600, "the session started");
    host.finish();
}

/// Neovim 0.7 encodes an empty Lua table as `[]`: `init_options = {}` arrives as `"initializationOptions": []`.
#[test]
fn empty_tables_from_neovim_read_as_empty_objects_in_initialize() {
    let mut host = HostBuilder::new(Framing::ContentLength).emulator(None).spawn();
    let init = host.call("initialize", json!({"capabilities": [], "initializationOptions": []}));
    assert_eq!(result(&init)["protocolVersion"], "1", "{init}");
    host.finish();
}

/// LSP's client capabilities are accepted; the host's own key `capabilities.tools` keeps its meaning.
#[test]
fn lsp_capabilities_leave_the_hosts_tools_capability_its_meaning() {
    let script =
        first_answer(json!([{"toolUse": {"toolUseId": "tu_lsp", "name": "get_weather", "input": {"city": "Oslo"}}}]));
    let mut capabilities: Value =
        serde_json::from_str(STOCK_INITIALIZE[0].1).map(|p: Value| p["capabilities"].clone()).expect("JSON");
    capabilities["tools"] = json!(false);
    let mut host = start(script, json!({"capabilities": capabilities, "rootPath": null, "locale": "en"}));
    host.register(json!([weather_tool()]));
    let conversation = host.create(json!({"tools": "all"}));
    let turn = host.ok("conversation/send", json!({"conversationId": conversation, "content": "Oslo?"}));
    assert_eq!(turn["stopReason"], "tool_use", "a client without tools is not asked: {turn}");
    assert!(host.unread_host_requests().is_empty(), "no tool/call to a client that said tools: false");
}

#[test]
fn initialize_names_every_unknown_field() {
    let mut host = Host::spawn(Framing::Ndjson);
    let bad = host.call(
        "initialize",
        json!({
            "rootPath": null,
            "bogus": 1,
            "initialisationOptions": {},
            "initializationOptions": {"regoin": "x", "maxAttempts": "three", "alsoBad": 1}
        }),
    );
    assert_eq!(
        error_paths(&bad),
        [
            "bogus",
            "initialisationOptions",
            "initializationOptions.alsoBad",
            "initializationOptions.maxAttempts",
            "initializationOptions.regoin"
        ]
    );
    let regoin = error_message_at(&bad, "initializationOptions.regoin");
    assert!(regoin.contains("unknown field `regoin`") && regoin.contains("region"), "names the fix: {regoin}");
    let summary = bad["error"]["message"].as_str().unwrap();
    assert!(summary.contains("bogus") && summary.contains("alsoBad"), "{summary}");
    assert_eq!(host.call("tool/list", json!({}))["error"]["code"], -32002, "still not initialized");
    assert!(host.call("initialize", json!({"rootPath": null}))["result"].is_object());
    host.finish();
}

#[test]
fn every_unknown_field_of_a_method_is_named() {
    let mut host = Host::initialized(Framing::Ndjson);
    let create = host.call(
        "conversation/create",
        json!({"modle": "haiku", "titel": "t", "inferenceConfig": {"maxToken": 5, "temprature": 1.0}}),
    );
    assert_eq!(error_paths(&create), ["inferenceConfig.maxToken", "inferenceConfig.temprature", "modle", "titel"]);
    let titel = error_message_at(&create, "titel");
    assert!(titel.contains("unknown field `titel`") && titel.contains("title"), "{titel}");
    let max_token = error_message_at(&create, "inferenceConfig.maxToken");
    assert!(max_token.contains("maxTokens"), "names the known fields of that object: {max_token}");

    let converse = host.call(
        "bedrock/converse",
        json!({
            "modelId": "m",
            "messages": [{"role": "user", "content": [{"text": "hi"}], "extra": 1}],
            "inferenceConfig": {"maxToken": 5},
            "strem": true
        }),
    );
    assert_eq!(error_paths(&converse), ["inferenceConfig.maxToken", "messages[0].extra", "strem"]);
    host.finish();
}

#[test]
fn methods_without_params_accept_every_empty_form() {
    let mut host = Host::initialized(Framing::ContentLength);
    let mut id = 100;
    for method in ["tool/list", "conversation/list", "usage/get", "bedrock/listModels"] {
        // `[null]`: what vscode-jsonrpc sends for `sendRequest(method, null)`.
        for params in [None, Some(Value::Null), Some(json!({})), Some(json!([])), Some(json!([null]))] {
            id += 1;
            let mut request = json!({"jsonrpc": "2.0", "id": id, "method": method});
            if let Some(params) = &params {
                request["params"] = params.clone();
            }
            host.send(&request);
            let response = host.response(&json!(id));
            assert!(response.get("result").is_some(), "{method} with params {params:?}: {response}");
        }
        let positional = host.call(method, json!([1]));
        assert_eq!(positional["error"]["code"], -32602, "{method}: {positional}");
        let message = positional["error"]["message"].as_str().unwrap();
        assert!(message.contains("positional") && message.contains("object"), "{method}: {message}");
        let unknown = host.call(method, json!({"x": 1}));
        assert_eq!(error_paths(&unknown), ["x"], "{method}");
    }

    let positional = host.call("shutdown", json!([1]));
    assert_eq!(positional["error"]["code"], -32602, "{positional}");
    assert_eq!(result(&host.call("tool/list", json!([]))), &json!({"tools": []}), "still running");
    assert_eq!(result(&host.call("shutdown", json!([null]))), &Value::Null);
    host.notify("exit", Value::Null);
    assert_eq!(host.wait_exit().0, Some(0));
    host.finish();
}

#[test]
fn capabilities_list_tool_call_as_a_host_request_not_a_notification() {
    let mut host = Host::spawn(Framing::Ndjson);
    let init = host.call("initialize", json!({}));
    let capabilities = &result(&init)["capabilities"];
    assert_eq!(capabilities["hostRequests"], json!(["tool/call", "workspace/applyEdit"]), "{capabilities}");
    let notifications: Vec<&str> =
        capabilities["notifications"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert!(!notifications.contains(&"tool/call"), "{notifications:?}");
    assert!(notifications.contains(&"converse/event"), "{notifications:?}");
    host.finish();
}
