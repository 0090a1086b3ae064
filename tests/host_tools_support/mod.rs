//! A host on the emulator with a script, for the tool-loop tests: start it,
//! call methods that must succeed, read the emulator's journal of what
//! Bedrock received.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::{Value, json};

use crate::common::{Framing, Host, HostBuilder};

/// A running host backed by the in-process emulator.
pub struct ToolHost {
    pub host: Host,
    /// The emulator's base URL (`backend.endpointUrl` of initialize).
    pub endpoint: String,
    _script_dir: tempfile::TempDir,
}

/// Starts `bedrock-host --emulator` with `script` and initializes it with
/// `initialize` as the params.
pub fn start(script: Value, initialize: Value) -> ToolHost {
    let script_dir = tempfile::tempdir().expect("temp dir for the script");
    let path = script_dir.path().join("script.json");
    std::fs::write(&path, script.to_string()).expect("write the script");
    let mut host = HostBuilder::new(Framing::Ndjson)
        .arg("--emulator")
        .arg("--emulator-script")
        .arg(path.to_str().expect("UTF-8 temp path"))
        .spawn();
    let response = host.call("initialize", initialize);
    let endpoint = response["result"]["backend"]["endpointUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("initialize gives the emulator's URL: {response}"))
        .to_string();
    host.notify("initialized", json!({}));
    ToolHost { host, endpoint, _script_dir: script_dir }
}

impl ToolHost {
    /// Calls a method that must succeed; its result.
    pub fn ok(&mut self, method: &str, params: Value) -> Value {
        let response = self.host.call(method, params);
        response.get("result").cloned().unwrap_or_else(|| panic!("{method} failed: {response}"))
    }

    /// Registers tools given as `{name, description, inputSchema}` values.
    pub fn register(&mut self, tools: Value) {
        let count = tools.as_array().map_or(0, Vec::len);
        let result = self.ok("tool/register", json!({ "tools": tools }));
        assert_eq!(result["registered"].as_array().map(Vec::len), Some(count), "{result}");
    }

    /// Creates a conversation; its id.
    pub fn create(&mut self, params: Value) -> Value {
        self.ok("conversation/create", params)["conversationId"].clone()
    }

    /// The Converse / ConverseStream requests the emulator received, oldest first.
    pub fn journal(&self) -> Vec<Value> {
        let address = self.endpoint.strip_prefix("http://").expect("an http:// endpoint");
        let mut stream = TcpStream::connect(address).expect("connect to the emulator");
        stream
            .write_all(format!("GET /_emulator/requests HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes())
            .expect("send the journal request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read the journal");
        let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
        assert!(head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"), "{head}");
        let entries: Value = serde_json::from_str(body).expect("the journal is JSON");
        entries
            .as_array()
            .expect("the journal is an array")
            .iter()
            .filter(|entry| entry["operation"].as_str().is_some_and(|op| op.starts_with("Converse")))
            .cloned()
            .collect()
    }

    /// Requests the host sent to the client that the test has not read.
    pub fn unread_host_requests(self) -> Vec<Value> {
        self.host.finish().into_iter().filter(|m| m.get("method").is_some() && m.get("id").is_some()).collect()
    }
}

/// `get_weather {city: string}`.
pub fn weather_tool() -> Value {
    json!({
        "name": "get_weather",
        "description": "Current weather for a city",
        "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    })
}

/// A script whose first ConverseStream/Converse answer to a fresh question is
/// `content`; later answers (after tool results) are the emulator's default.
pub fn first_answer(content: Value) -> Value {
    json!({"rules": [{"when": {"afterToolResult": false}, "respond": {"content": content}}]})
}

/// The text blocks of a message, joined.
pub fn text_of(message: &Value) -> String {
    message["content"].as_array().into_iter().flatten().filter_map(|block| block["text"].as_str()).collect()
}
