//! A host on the emulator with a script, for the tool-loop tests: start it,
//! call methods that must succeed, read the emulator's journal of what
//! Bedrock received.

use serde_json::{Value, json};

use super::emulator::journal;
use super::stdio::{Framing, Host, HostBuilder};

/// A running host backed by the in-process emulator.
pub struct ToolHost {
    pub host: Host,
    /// The emulator's base URL (`backend.endpointUrl` of initialize).
    pub endpoint: String,
}

/// Starts `bedrock-host --emulator` with `script` and initializes it with
/// `initialize` as the params.
pub fn start(script: Value, initialize: Value) -> ToolHost {
    let mut host = HostBuilder::new(Framing::Ndjson).emulator(Some(&script)).spawn();
    let endpoint = host.initialize_for_endpoint(initialize);
    host.notify("initialized", json!({}));
    ToolHost { host, endpoint }
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
        journal(&self.endpoint)
            .into_iter()
            .filter(|entry| entry["operation"].as_str().is_some_and(|op| op.starts_with("Converse")))
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
