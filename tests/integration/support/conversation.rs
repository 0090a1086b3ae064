//! What the conversation tests share: a host on the in-process emulator
//! with a script, the emulator's journal, and the messages of one request
//! in the order they arrived.

use serde_json::{Value, json};

use super::emulator::{journal, journal_of};
use super::stdio::{Framing, Host, HostBuilder};

/// A host served by the in-process emulator, initialized.
pub struct Emulated {
    pub host: Host,
    /// The emulator's base URL (`initialize`'s `backend.endpointUrl`).
    pub endpoint: String,
    /// Responses read while waiting for another one.
    pending: Vec<Value>,
}

impl Emulated {
    /// Starts a host with `--emulator`, the script (if any) and `initializationOptions`.
    pub fn start(script: Option<Value>, initialization_options: Value) -> Emulated {
        let mut host = HostBuilder::new(Framing::Ndjson).emulator(script.as_ref()).spawn();
        let endpoint = host.initialize_for_endpoint(json!({"initializationOptions": initialization_options}));
        host.notify("initialized", json!({}));
        Emulated { host, endpoint, pending: Vec::new() }
    }

    /// Every Bedrock request the emulator received, in order.
    pub fn journal(&self) -> Vec<Value> {
        journal(&self.endpoint)
    }

    /// The journal's entries for one operation (`Converse`, `ConverseStream`, …).
    pub fn journal_of(&self, operation: &str) -> Vec<Value> {
        journal_of(&self.endpoint, operation)
    }

    /// Creates a conversation and returns its id.
    pub fn create(&mut self, params: Value) -> String {
        let response = self.host.call("conversation/create", params);
        response["result"]["conversationId"]
            .as_str()
            .unwrap_or_else(|| panic!("conversation/create failed: {response}"))
            .to_string()
    }

    /// Sends a request and reads every message up to its response: the
    /// notifications that arrived first, in order, and the response.
    pub fn exchange(&mut self, method: &str, params: Value) -> (Vec<Value>, Value) {
        let id = self.host.request(method, params);
        self.until_response(&id)
    }

    /// Reads messages until the response to `id`; returns the notifications
    /// read on the way (other responses are kept for later).
    pub fn until_response(&mut self, id: &Value) -> (Vec<Value>, Value) {
        let mut notifications = Vec::new();
        if let Some(index) = self.pending.iter().position(|m| m.get("id") == Some(id)) {
            return (notifications, self.pending.remove(index));
        }
        let response = loop {
            let message = self.host.recv();
            if message.get("method").is_none() && message.get("id") == Some(id) {
                break message;
            }
            if message.get("method").is_some() && message.get("id").is_none() {
                notifications.push(message);
            } else {
                assert!(message.get("method").is_none(), "the host asked the client something: {message}");
                self.pending.push(message);
            }
        };
        (notifications, response)
    }
}

/// The `converse/event` notifications of one request, as their `event` objects.
pub fn events_of(notifications: &[Value], request_id: &Value) -> Vec<Value> {
    notifications
        .iter()
        .filter(|n| n["method"] == "converse/event" && &n["params"]["requestId"] == request_id)
        .map(|n| n["params"]["event"].clone())
        .collect()
}

/// The text of every text delta, joined.
pub fn delta_text(events: &[Value]) -> String {
    events.iter().filter_map(|event| event["contentBlockDelta"]["delta"]["text"].as_str()).collect()
}

/// The text blocks of a message, joined.
pub fn message_text(message: &Value) -> String {
    message["content"]
        .as_array()
        .expect("a message has content")
        .iter()
        .filter_map(|block| block["text"].as_str())
        .collect()
}

/// The key of an event: `messageStart`, `contentBlockDelta`, ….
pub fn event_kind(event: &Value) -> String {
    event.as_object().and_then(|object| object.keys().next()).cloned().expect("an event has one key")
}

/// A text answer of `words` words, for scripts that shape the stream.
pub fn words(count: usize) -> String {
    (1..=count).map(|n| format!("word{n}")).collect::<Vec<_>>().join(" ")
}

/// The catalog price (USD per million input and output tokens) of a model id as sent to Bedrock.
pub fn catalog_price(host: &mut Host, model_id: &str) -> (f64, f64) {
    let response = host.call("bedrock/listModels", json!({}));
    let models = response["result"]["models"].as_array().expect("listModels has models");
    let model = models
        .iter()
        .find(|model| {
            model["id"] == model_id
                || model["inferenceProfiles"]
                    .as_object()
                    .is_some_and(|profiles| profiles.values().any(|p| p == model_id))
        })
        .unwrap_or_else(|| panic!("`{model_id}` is not in bedrock/listModels"));
    let pricing = &model["pricing"];
    (pricing["inputPerMillion"].as_f64().unwrap(), pricing["outputPerMillion"].as_f64().unwrap())
}

pub fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!((actual - expected).abs() < 1e-12, "{what}: {actual} != {expected}");
}
