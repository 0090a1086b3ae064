//! Mistral AI. Text completion (`prompt`, `max_tokens`, `stop`): `outputs[{text, stop_reason}]`, streamed
//! as `outputs` pieces. Chat completion (`messages`, Mistral Large 2 and later): `choices[{index, message,
//! stop_reason}]`, streamed as `choices[{index, message: {role, content}, stop_reason}]` pieces.

use serde_json::{Map, Value, json};

use super::super::reply::Prompt;
use super::super::validation::Checked;
use super::openai::{self, finish_reason};
use super::{Answer, Chunk, Kind, Violations};

const TEXT_KEYS: &[&str] = &["prompt", "max_tokens", "stop", "temperature", "top_p", "top_k"];
const CHAT_KEYS: &[&str] =
    &["messages", "tools", "tool_choice", "max_tokens", "temperature", "top_p", "response_format"];

fn is_chat(body: &Map<String, Value>) -> bool {
    body.contains_key("messages") && !body.contains_key("prompt")
}

pub fn check(body: &Map<String, Value>) -> Checked {
    if is_chat(body) {
        return openai::check_chat(body, CHAT_KEYS, &["system", "user", "assistant", "tool"], 1.0);
    }
    let mut violations = Violations::default();
    violations
        .required("#", body, &["prompt"])
        .only("#", body, TEXT_KEYS)
        .typed("#", body, "prompt", Kind::String)
        .typed("#", body, "max_tokens", Kind::Integer)
        .range("#", body, "max_tokens", Some(1.0), None)
        .typed("#", body, "top_k", Kind::Integer)
        .range("#", body, "top_k", Some(1.0), Some(200.0))
        .typed("#", body, "stop", Kind::Array)
        .items("#", body, "stop", 0, Some(10));
    super::sampling(&mut violations, body, 1.0);
    violations.finish()
}

pub fn prompt(body: &Map<String, Value>) -> Prompt {
    if is_chat(body) {
        return openai::chat_prompt(body, &["max_tokens"]);
    }
    super::text_prompt(
        body.get("prompt").and_then(Value::as_str).unwrap_or_default(),
        body.get("max_tokens").and_then(Value::as_u64),
        super::string_list(body.get("stop")),
    )
}

pub fn response(answer: &Answer<'_>) -> Value {
    let reply = answer.reply;
    if is_chat(answer.request) {
        let message = openai::message(super::text_blocks(reply), reply);
        return json!({"choices": [{"index": 0, "message": message, "stop_reason": finish_reason(reply)}]});
    }
    json!({"outputs": [{"text": super::plain_text(reply), "stop_reason": super::stop_or_length(reply)}]})
}

pub fn stream(answer: &Answer<'_>) -> Vec<Chunk> {
    let reply = answer.reply;
    if is_chat(answer.request) {
        let mut chunks: Vec<Chunk> = openai::deltas(&super::text_blocks(reply), reply)
            .into_iter()
            .map(|mut delta| {
                delta["role"] = json!("assistant");
                Chunk::delta(json!({"choices": [{"index": 0, "message": delta, "stop_reason": null}]}))
            })
            .collect();
        chunks.push(Chunk::event(json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": ""},
                                                       "stop_reason": finish_reason(reply)}]})));
        return chunks;
    }
    let text = super::plain_text(reply);
    let pieces = super::pieces(&text);
    let last = pieces.len() - 1;
    pieces
        .into_iter()
        .enumerate()
        .map(|(index, piece)| {
            let stop = if index == last { Value::from(super::stop_or_length(reply)) } else { Value::Null };
            Chunk::delta(json!({"outputs": [{"text": piece, "stop_reason": stop}]}))
        })
        .collect()
}
