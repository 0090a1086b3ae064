//! AI21 Jamba (`messages`, OpenAI-like): `id`, `choices[{index, message, finish_reason}]`, `usage`,
//! `meta.requestDurationMillis`, `model`; the stream sends `choices[{delta}]` chunks, the last with the
//! finish reason and the usage.

use serde_json::{Map, Value, json};

use super::super::reply::Prompt;
use super::super::validation::Checked;
use super::openai::{self, finish_reason, usage};
use super::{Answer, Chunk, fresh_id};

const KNOWN: &[&str] = &[
    "messages",
    "n",
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "tools",
    "tool_choice",
    "response_format",
    "documents",
    "frequency_penalty",
    "presence_penalty",
];

pub fn check(body: &Map<String, Value>) -> Checked {
    openai::check_chat(body, KNOWN, &["system", "user", "assistant", "tool"], 2.0)
}

pub fn prompt(body: &Map<String, Value>) -> Prompt {
    openai::chat_prompt(body, &["max_tokens"])
}

/// `ai21.jamba-1-5-large-v1:0` → `jamba-1.5-large`, the name Jamba answers with.
fn model_name(model_id: &str) -> String {
    let base = super::base_model_id(model_id);
    let name = base.strip_prefix("ai21.").unwrap_or(base);
    let name = name.split_once("-v1").map_or(name, |(name, _)| name);
    name.replacen("-1-5-", "-1.5-", 1)
}

pub fn response(answer: &Answer<'_>) -> Value {
    let reply = answer.reply;
    json!({
        "id": fresh_id("chatcmpl-", 32),
        "choices": [{"index": 0, "message": openai::message(super::text_blocks(reply), reply),
                     "finish_reason": finish_reason(reply)}],
        "usage": usage(reply),
        "meta": {"requestDurationMillis": 0},
        "model": model_name(answer.model_id),
    })
}

pub fn stream(answer: &Answer<'_>) -> Vec<Chunk> {
    let reply = answer.reply;
    let id = fresh_id("chatcmpl-", 32);
    let mut chunks: Vec<Chunk> = openai::deltas(&super::text_blocks(reply), reply)
        .into_iter()
        .map(|delta| {
            Chunk::delta(
                json!({"id": id, "choices": [{"index": 0, "delta": delta, "finish_reason": null}], "usage": null}),
            )
        })
        .collect();
    chunks.push(Chunk::event(json!({
        "id": id,
        "choices": [{"index": 0, "delta": {}, "finish_reason": finish_reason(reply)}],
        "usage": usage(reply),
    })));
    chunks
}

#[cfg(test)]
mod tests {
    #[test]
    fn model_names() {
        assert_eq!(super::model_name("ai21.jamba-1-5-large-v1:0"), "jamba-1.5-large");
        assert_eq!(super::model_name("us.ai21.jamba-1-5-mini-v1:0"), "jamba-1.5-mini");
    }
}
