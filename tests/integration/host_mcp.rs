//! MCP servers as tool sources through the real binary against the emulator:
//! a server written with the official Python SDK (`mcp`,
//! tests/python/mcp_servers/kitchen_sink.py) over stdio and streamable HTTP.
//! The model (an emulator script) calls its tools; the host runs them itself.
//! Skipped, with a message, when Python's `mcp` package is absent (CI installs it).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::stdio::{Framing, Host, HostBuilder};

/// `python3` when it can import the `mcp` SDK; else the reason to skip.
pub fn python_with_mcp() -> Option<String> {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import mcp.server.mcpserver"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !ok {
        eprintln!("SKIPPED: python3 cannot import the `mcp` SDK; run `pip install -r tests/python/requirements.txt`");
        return None;
    }
    Some("python3".to_string())
}

pub fn kitchen_sink() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/mcp_servers/kitchen_sink.py").display().to_string()
}

/// A script in which the user text `use NAME` makes the model call the tool `NAME` with `input`.
pub fn calls(tools: &[(&str, Value)]) -> Value {
    let rules: Vec<Value> = tools
        .iter()
        .map(|(name, input)| {
            json!({"when": {"lastUserText": format!("^use {name}$"), "afterToolResult": false},
                   "respond": {"content": [{"toolUse": {"toolUseId": format!("tu_{name}"), "name": name, "input": input}}]}})
        })
        .collect();
    json!({ "rules": rules })
}

/// Reads messages until `mcp/status` for `server` reaches `state`; the statuses seen on the way, in order.
pub fn wait_status(host: &mut Host, server: &str, state: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let message = host.recv();
        if message["method"] == "mcp/status" && message["params"]["server"] == server {
            let now = message["params"]["state"].as_str().unwrap().to_string();
            seen.push(now.clone());
            if now == state {
                return seen;
            }
        }
    }
    panic!("`{server}` did not reach `{state}`; saw {seen:?}");
}

/// Sends `use TOOL` in `conversation`; the toolResult of the turn.
pub fn tool_result_of(host: &mut Host, conversation: &Value, tool: &str) -> Value {
    let response =
        host.call("conversation/send", json!({"conversationId": conversation, "content": format!("use {tool}")}));
    let result = response.get("result").unwrap_or_else(|| panic!("turn failed: {response}"));
    result["messages"][1]["content"][0]["toolResult"].clone()
}

fn ok(host: &mut Host, method: &str, params: Value) -> Value {
    let response = host.call(method, params);
    response.get("result").cloned().unwrap_or_else(|| panic!("{method} failed: {response}"))
}

fn record_events(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Polls `check` every 50 ms for up to 20 s.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}

fn process_alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .is_ok_and(|status| !status.lines().any(|line| line.starts_with("State:") && line.contains('Z')))
}

/// The name docs/mcp.md promises for `ks`'s `dotted.name`: `.` replaced, then `_` and the FNV-1a hash of the joined name.
fn dotted_name() -> String {
    let hash = "ks__dotted.name".bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    format!("ks__dotted_name_{hash:08x}")
}

#[test]
fn stdio_server_tools_are_listed_offered_called_and_converted() {
    let Some(python) = python_with_mcp() else { return };
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record.jsonl");
    let tools = ["echo", "picture", "embedded", "link", "stats", "fail", "reject"];
    let mut script_tools: Vec<(String, Value)> = tools
        .iter()
        .map(|t| (format!("ks__{t}"), if *t == "echo" { json!({"text": "hi"}) } else { json!({}) }))
        .collect();
    script_tools.push((dotted_name(), json!({})));
    let mut host = HostBuilder::new(Framing::Ndjson)
        .emulator(Some(&calls(&script_tools.iter().map(|(n, i)| (n.as_str(), i.clone())).collect::<Vec<_>>())))
        .env("MCP_RECORD", record.display().to_string())
        .spawn();
    let init = host.call(
        "initialize",
        json!({"initializationOptions": {"mcpServers": {"ks": {"command": python, "args": [kitchen_sink()], "env": {"KS_UNUSED": "${HOME}"}}}}}),
    );
    assert!(init.get("result").is_some(), "{init}");
    assert!(init["result"]["capabilities"]["methods"].as_array().unwrap().contains(&json!("mcp/list")));
    assert!(init["result"]["capabilities"]["notifications"].as_array().unwrap().contains(&json!("mcp/status")));
    assert_eq!(wait_status(&mut host, "ks", "ready"), ["starting", "ready"]);

    let listed = ok(&mut host, "tool/list", json!({}))["tools"].clone();
    let echo = listed.as_array().unwrap().iter().find(|t| t["name"] == "ks__echo").expect("ks__echo listed").clone();
    assert_eq!(echo["source"], json!({"mcp": "ks"}));
    assert_eq!(echo["description"], "Echoes the text back.");
    assert_eq!(echo["inputSchema"]["required"], json!(["text"]));
    let dotted = dotted_name();
    assert!(listed.as_array().unwrap().iter().any(|t| t["name"] == dotted.as_str()), "{dotted} in {listed}");

    let servers = ok(&mut host, "mcp/list", json!({}))["servers"].clone();
    assert_eq!(servers[0]["name"], "ks");
    assert_eq!(servers[0]["transport"], "stdio");
    assert_eq!(servers[0]["state"], "ready");
    assert_eq!(servers[0]["starts"], 1);
    assert!(servers[0]["tools"].as_array().unwrap().contains(&json!({"name": dotted, "mcpName": "dotted.name"})));

    let conversation = ok(&mut host, "conversation/create", json!({"tools": "all"}))["conversationId"].clone();
    let text = |result: &Value| result["content"][0]["text"].as_str().unwrap_or_default().to_string();
    let echo = tool_result_of(&mut host, &conversation, "ks__echo");
    assert_eq!(echo["status"], "success", "{echo}");
    assert_eq!(echo["content"], json!([{"text": "echo: hi"}, {"json": {"result": "echo: hi"}}]));
    let picture = tool_result_of(&mut host, &conversation, "ks__picture");
    assert_eq!(picture["content"][0]["image"]["format"], "png", "{picture}");
    assert!(picture["content"][0]["image"]["source"]["bytes"].as_str().unwrap().starts_with("iVBORw0KGgo"));
    let embedded = tool_result_of(&mut host, &conversation, "ks__embedded");
    assert_eq!(text(&embedded), "Resource file:///notes/today.txt (text/plain):\nbuy milk");
    let link = tool_result_of(&mut host, &conversation, "ks__link");
    assert_eq!(text(&link), "Resource link: all notes <file:///notes/all.md>: every note");
    let stats = tool_result_of(&mut host, &conversation, "ks__stats");
    assert_eq!(stats["content"], json!([{"text": "2 files"}, {"json": {"files": 2, "bytes": 42}}]));
    let fail = tool_result_of(&mut host, &conversation, "ks__fail");
    assert_eq!((fail["status"].as_str(), text(&fail)), (Some("error"), "disk on fire".to_string()));
    let reject = tool_result_of(&mut host, &conversation, "ks__reject");
    assert_eq!(reject["status"], "error");
    assert!(text(&reject).contains("not allowed today") && text(&reject).contains("-32001"), "{reject}");
    let dotted_result = tool_result_of(&mut host, &conversation, &dotted);
    assert_eq!(text(&dotted_result), "dotted ok", "mapped back to `dotted.name`");

    // The history keeps what the model read, and the server saw each call under its own name.
    let history = ok(&mut host, "conversation/get", json!({"conversationId": conversation}));
    let history = history["messages"].as_array().unwrap();
    assert_eq!(history.len(), 8 * 4, "{} messages", history.len());
    assert_eq!(history[2]["content"][0]["toolResult"]["content"][0]["text"], "echo: hi");
    assert!(history[3]["content"][0]["text"].as_str().unwrap().starts_with("Tool result received: echo: hi"));
    let called: Vec<String> = record_events(&record)
        .iter()
        .filter(|e| e["event"] == "call")
        .map(|e| e["tool"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(called, ["echo", "picture", "embedded", "link", "stats", "fail", "reject", "dotted.name"]);
    assert!(host.log_text().contains("kitchen-sink starting (stdio)"), "the server's stderr goes to the host's log");
    let rest = host.finish();
    assert!(!rest.iter().any(|m| m["method"] == "tool/call"), "MCP tools never go to the client as tool/call");
}

#[test]
fn http_server_runs_tools_and_a_cancelled_turn_sends_notifications_cancelled() {
    let Some(python) = python_with_mcp() else { return };
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record.jsonl");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = std::process::Command::new(&python)
        .args([kitchen_sink(), "http".into(), port.to_string()])
        .env("MCP_RECORD", &record)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = KillOnDrop(server);
    eventually("the HTTP MCP server listens", || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let config = dir.path().join("mcp.json");
    std::fs::write(
        &config,
        json!({"mcpServers": {"web": {"type": "http", "url": format!("http://127.0.0.1:{port}/mcp"), "headers": {"X-Test": "${MCP_TEST_HEADER}"}}}})
            .to_string(),
    )
    .unwrap();
    let script = calls(&[("web__echo", json!({"text": "over http"})), ("web__slow", json!({}))]);
    let mut host = HostBuilder::new(Framing::Ndjson)
        .emulator(Some(&script))
        .arg("--mcp-config")
        .arg(config.display().to_string())
        .env("MCP_TEST_HEADER", "yes")
        .spawn();
    assert!(host.call("initialize", json!({})).get("result").is_some());
    assert_eq!(wait_status(&mut host, "web", "ready"), ["starting", "ready"]);
    let servers = ok(&mut host, "mcp/list", json!({}))["servers"].clone();
    assert_eq!(servers[0]["transport"], "http");

    let conversation =
        ok(&mut host, "conversation/create", json!({"tools": ["web__echo", "web__slow"]}))["conversationId"].clone();
    let echo = tool_result_of(&mut host, &conversation, "web__echo");
    // The SDK adds a `str` result as structuredContent too: text, then json.
    assert_eq!(echo["content"], json!([{"text": "echo: over http"}, {"json": {"result": "echo: over http"}}]));

    let send = host.request("conversation/send", json!({"conversationId": conversation, "content": "use web__slow"}));
    eventually("the server runs `slow`", || record_events(&record).iter().any(|e| e["tool"] == "slow"));
    host.notify("$/cancelRequest", json!({"id": send}));
    let response = host.response(&send);
    assert_eq!(response["error"]["code"], -32800, "{response}");
    eventually("the server records notifications/cancelled", || {
        record_events(&record).iter().any(|e| e["event"] == "cancelled" && e["tool"] == "slow")
    });
    host.finish();
}

#[test]
fn list_changed_relists_and_a_dead_server_restarts_answering_errors_meanwhile() {
    let Some(python) = python_with_mcp() else { return };
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record.jsonl");
    let script = calls(&[
        ("ks__grow", json!({})),
        ("ks__extra", json!({})),
        ("ks__die", json!({})),
        ("ks__slow", json!({})),
        ("ks__echo", json!({"text": "again"})),
    ]);
    let mut host = HostBuilder::new(Framing::Ndjson)
        .emulator(Some(&script))
        .env("MCP_RECORD", record.display().to_string())
        .spawn();
    let init = host.call(
        "initialize",
        json!({"initializationOptions": {"toolCallTimeoutMs": 2000, "mcpServers": {"ks": {"command": python, "args": [kitchen_sink()]}}}}),
    );
    assert!(init.get("result").is_some(), "{init}");
    wait_status(&mut host, "ks", "ready");
    let names = |host: &mut Host| -> Vec<String> {
        ok(host, "tool/list", json!({}))["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!names(&mut host).contains(&"ks__extra".to_string()));
    let conversation = ok(&mut host, "conversation/create", json!({"tools": "all"}))["conversationId"].clone();
    assert_eq!(tool_result_of(&mut host, &conversation, "ks__grow")["content"][0]["text"], "grown");
    eventually("tools/list_changed adds ks__extra", || names(&mut host).contains(&"ks__extra".to_string()));
    assert_eq!(tool_result_of(&mut host, &conversation, "ks__extra")["content"][0]["text"], "extra tool");

    let died = tool_result_of(&mut host, &conversation, "ks__die");
    assert_eq!(died["status"], "error", "{died}");
    assert_eq!(wait_status(&mut host, "ks", "starting"), ["failed", "starting"]);
    let meanwhile = tool_result_of(&mut host, &conversation, "ks__echo");
    assert_eq!(meanwhile["status"], "error", "{meanwhile}");
    assert!(meanwhile["content"][0]["text"].as_str().unwrap().contains("is not available"), "{meanwhile}");
    wait_status(&mut host, "ks", "ready");
    let servers = ok(&mut host, "mcp/list", json!({}))["servers"].clone();
    assert_eq!((servers[0]["state"].as_str(), servers[0]["starts"].as_u64()), (Some("ready"), Some(2)));
    let again = tool_result_of(&mut host, &conversation, "ks__echo");
    assert_eq!(again["content"][0]["text"], "echo: again", "{again}");
    let starts = record_events(&record).iter().filter(|e| e["event"] == "start").count();
    assert_eq!(starts, 2);

    // A call that outlives toolCallTimeoutMs is an error toolResult, and the server is told to stop.
    let slow = tool_result_of(&mut host, &conversation, "ks__slow");
    assert_eq!(slow["status"], "error", "{slow}");
    assert!(slow["content"][0]["text"].as_str().unwrap().contains("2000 ms"), "{slow}");
    eventually("the timed-out call is cancelled on the server", || {
        record_events(&record).iter().any(|e| e["event"] == "cancelled" && e["tool"] == "slow")
    });
    host.finish();
}

#[test]
fn bad_configurations_are_named_and_a_server_that_cannot_start_fails_and_retries() {
    let mut host = HostBuilder::new(Framing::Ndjson).emulator(None).spawn();
    let response = host.call(
        "initialize",
        json!({"initializationOptions": {"mcpServers": {
            "files": {"args": ["x"]},
            "web": {"type": "http", "url": "ftp://x"},
            "env": {"command": "x", "env": {"K": "${BEDROCK_HOST_TEST_SURELY_UNSET}"}}
        }}}),
    );
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let paths: Vec<&str> =
        response["error"]["data"]["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "initializationOptions.mcpServers.env.env.K",
            "initializationOptions.mcpServers.files.command",
            "initializationOptions.mcpServers.web.url"
        ]
    );
    let response = host.call("initialize", json!({"initializationOptions": {"mcpServers": {"a": {"comand": "x"}}}}));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert_eq!(response["error"]["data"]["errors"][0]["path"], "initializationOptions.mcpServers.a.comand");
    drop(host);

    // A server that cannot start is `failed` with the reason, and is tried again.
    let mut host = HostBuilder::new(Framing::Ndjson).emulator(None).spawn();
    let ghost = json!({"ghost": {"command": "/nonexistent/mcp-server"}});
    assert!(host.call("initialize", json!({"initializationOptions": {"mcpServers": ghost}})).get("result").is_some());
    assert_eq!(wait_status(&mut host, "ghost", "failed"), ["starting", "failed"]);
    assert_eq!(wait_status(&mut host, "ghost", "starting"), ["starting"], "restarted after the backoff");
    let servers = ok(&mut host, "mcp/list", json!({}))["servers"].clone();
    assert!(servers[0]["error"].as_str().unwrap().contains("cannot start `/nonexistent/mcp-server`"), "{servers}");
    drop(host);

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"mcpServers": {"files": {"type": "http"}}}"#).unwrap();
    for (file, expected) in [(&missing, "cannot read"), (&bad, "mcpServers.files.url")] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-host"))
            .arg("--mcp-config")
            .arg(file)
            .arg("--emulator")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&file.display().to_string()) && stderr.contains(expected), "{stderr}");
        assert!(stderr.contains("--mcp-config"), "{stderr}");
    }
}

#[test]
fn stdio_servers_end_with_the_host_on_stdin_eof_and_on_sigterm() {
    let Some(python) = python_with_mcp() else { return };
    for how in ["eof", "sigterm"] {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("record.jsonl");
        let mut host =
            HostBuilder::new(Framing::Ndjson).emulator(None).env("MCP_RECORD", record.display().to_string()).spawn();
        let servers = json!({"a": {"command": python, "args": [kitchen_sink()]}, "b": {"command": python, "args": [kitchen_sink()]}});
        assert!(
            host.call("initialize", json!({"initializationOptions": {"mcpServers": servers}})).get("result").is_some()
        );
        let mut ready = 0;
        while ready < 2 {
            let message = host.recv();
            if message["method"] == "mcp/status" && message["params"]["state"] == "ready" {
                ready += 1;
            }
        }
        let pids: Vec<u64> = record_events(&record)
            .iter()
            .filter(|e| e["event"] == "start")
            .map(|e| e["pid"].as_u64().unwrap())
            .collect();
        assert_eq!(pids.len(), 2);
        assert!(pids.iter().all(|pid| process_alive(*pid)));
        match how {
            "eof" => host.close_stdin(),
            _ => {
                // SAFETY: kill(2) on the host's pid.
                unsafe { libc::kill(host.pid() as i32, libc::SIGTERM) };
            }
        }
        let (code, _) = host.wait_exit();
        assert!(code.is_some(), "{how}: the host exited by itself");
        eventually(&format!("{how}: no MCP server outlives the host"), || pids.iter().all(|pid| !process_alive(*pid)));
    }
}

#[test]
fn tool_register_keeps_mcp_tool_fields_and_refuses_source() {
    let mut host = HostBuilder::new(Framing::Ndjson).emulator(None).spawn();
    assert!(host.call("initialize", json!({})).get("result").is_some());
    let tool = json!({
        "name": "get_weather",
        "title": "Weather",
        "description": "Current weather",
        "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
        "outputSchema": {"type": "object", "properties": {"celsius": {"type": "number"}}},
        "annotations": {"readOnlyHint": true}
    });
    assert_eq!(ok(&mut host, "tool/register", json!({"tools": [tool]})), json!({"registered": ["get_weather"]}));
    assert_eq!(ok(&mut host, "tool/list", json!({})), json!({"tools": [tool]}), "kept and listed as given");
    let response = host.call(
        "tool/register",
        json!({"tools": [{"name": "x", "inputSchema": {"type": "object"}, "source": {"mcp": "files"}}]}),
    );
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert_eq!(response["error"]["data"]["errors"][0]["path"], "tools[0].source");
    assert_eq!(ok(&mut host, "mcp/list", json!({})), json!({"servers": []}));
}
