//! Cohere Command R and R+ (`message`, `chat_history`, `tool_results`): `response_id`, `text`,
//! `generation_id`, `chat_history`, `finish_reason`, `tool_calls`, `meta`; the stream sends Cohere's
//! events (`stream-start`, `text-generation`, `tool-calls-generation`, `stream-end` with the response).

use serde_json::{Map, Value, json};

use super::super::reply::{Prompt, Reply};
use super::super::script::Block;
use super::super::tokenizer;
use super::super::validation::Checked;
use super::{Answer, Chunk, Kind, Violations, fresh_id};

const KNOWN: &[&str] = &[
    "message",
    "chat_history",
    "documents",
    "search_queries_only",
    "preamble",
    "max_tokens",
    "temperature",
    "p",
    "k",
    "prompt_truncation",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "return_prompt",
    "tools",
    "tool_results",
    "stop_sequences",
    "raw_prompting",
];

pub fn check(body: &Map<String, Value>) -> Checked {
    let mut violations = Violations::default();
    violations
        .required("#", body, &["message"])
        .only("#", body, KNOWN)
        .typed("#", body, "message", Kind::String)
        .typed("#", body, "chat_history", Kind::Array)
        .typed("#", body, "max_tokens", Kind::Integer)
        .range("#", body, "max_tokens", Some(1.0), Some(4000.0))
        .typed("#", body, "temperature", Kind::Number)
        .range("#", body, "temperature", Some(0.0), Some(1.0))
        .typed("#", body, "p", Kind::Number)
        .range("#", body, "p", Some(0.01), Some(0.99))
        .typed("#", body, "k", Kind::Integer)
        .range("#", body, "k", Some(0.0), Some(500.0));
    let roles = [json!("USER"), json!("CHATBOT"), json!("SYSTEM"), json!("TOOL")];
    for (index, turn) in body.get("chat_history").and_then(Value::as_array).into_iter().flatten().enumerate() {
        if let Some(turn) = turn.as_object() {
            violations.required(&format!("#/chat_history/{index}"), turn, &["role"]).one_of(
                &format!("#/chat_history/{index}"),
                turn,
                "role",
                &roles,
            );
        }
    }
    violations.finish()
}

pub fn prompt(body: &Map<String, Value>) -> Prompt {
    let message = body.get("message").and_then(Value::as_str).unwrap_or_default();
    let history: u64 = body
        .get("chat_history")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|turn| tokenizer::count(turn["message"].as_str().unwrap_or_default()))
        .sum();
    let counted = ["preamble"].iter().filter_map(|key| body.get(*key).and_then(Value::as_str)).map(tokenizer::count);
    let as_json = ["tools", "tool_results", "documents"]
        .iter()
        .filter_map(|key| body.get(*key))
        .map(|value| tokenizer::count(&value.to_string()));
    let tool_results = body
        .get("tool_results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|result| result["outputs"].to_string())
        .collect();
    Prompt {
        last_user_text: message.to_owned(),
        tool_results,
        input_tokens: tokenizer::count(message) + history + counted.sum::<u64>() + as_json.sum::<u64>(),
        max_tokens: body.get("max_tokens").and_then(Value::as_u64),
        stop_sequences: super::string_list(body.get("stop_sequences")),
        forced_tool: None,
        cache: None,
    }
}

fn finish_reason(reply: &Reply) -> &'static str {
    match reply.stop_reason.as_str() {
        "max_tokens" => "MAX_TOKENS",
        "guardrail_intervened" | "content_filtered" => "ERROR_TOXIC",
        _ => "COMPLETE",
    }
}

fn tool_calls(reply: &Reply) -> Vec<Value> {
    reply
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::ToolUse { name, input, .. } => Some(json!({"name": name, "parameters": input})),
            _ => None,
        })
        .collect()
}

fn response_with_id(answer: &Answer<'_>, generation_id: &str) -> Value {
    let reply = answer.reply;
    let text = super::text_blocks(reply);
    let mut history: Vec<Value> =
        answer.request.get("chat_history").and_then(Value::as_array).cloned().unwrap_or_default();
    history.push(json!({"role": "USER", "message": answer.prompt.last_user_text}));
    history.push(json!({"role": "CHATBOT", "message": text}));
    let mut response = json!({
        "response_id": fresh_id("", 32),
        "text": text,
        "generation_id": generation_id,
        "chat_history": history,
        "finish_reason": finish_reason(reply),
        "meta": {
            "api_version": {"version": "1"},
            "billed_units": {"input_tokens": reply.usage.input, "output_tokens": reply.usage.output},
            "tokens": {"input_tokens": reply.usage.input, "output_tokens": reply.usage.output},
        },
    });
    let calls = tool_calls(reply);
    if !calls.is_empty() {
        response["tool_calls"] = Value::Array(calls);
    }
    response
}

pub fn response(answer: &Answer<'_>) -> Value {
    response_with_id(answer, &uuid::Uuid::new_v4().to_string())
}

pub fn stream(answer: &Answer<'_>) -> Vec<Chunk> {
    let generation_id = uuid::Uuid::new_v4().to_string();
    let text = super::text_blocks(answer.reply);
    let mut chunks =
        vec![Chunk::event(json!({"is_finished": false, "event_type": "stream-start", "generation_id": generation_id}))];
    if !text.is_empty() {
        chunks.extend(
            super::pieces(&text).into_iter().map(|piece| {
                Chunk::delta(json!({"is_finished": false, "event_type": "text-generation", "text": piece}))
            }),
        );
    }
    let calls = tool_calls(answer.reply);
    if !calls.is_empty() {
        chunks.push(Chunk::event(
            json!({"is_finished": false, "event_type": "tool-calls-generation", "text": text, "tool_calls": calls}),
        ));
    }
    chunks.push(Chunk::event(json!({
        "is_finished": true,
        "event_type": "stream-end",
        "finish_reason": finish_reason(answer.reply),
        "response": response_with_id(answer, &generation_id),
    })));
    chunks
}
