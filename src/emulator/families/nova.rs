//! Amazon Nova's InvokeModel body, `messages-v1` (Converse's shapes with base64 media): `output.message`,
//! `stopReason`, `usage`; the stream sends Converse's events, each as one chunk keyed by its name.

use serde_json::{Map, Value, json};

use super::super::reply::{self, Prompt};
use super::super::script::Block;
use super::super::tokenizer;
use super::super::validation::Checked;
use super::{Answer, Chunk, Kind, Violations};

const KNOWN: &[&str] = &[
    "schemaVersion",
    "system",
    "messages",
    "inferenceConfig",
    "toolConfig",
    "guardrailConfig",
    "additionalModelRequestFields",
];

const INFERENCE_KEYS: &[&str] = &[
    "maxTokens",
    "max_new_tokens",
    "temperature",
    "topP",
    "top_p",
    "topK",
    "top_k",
    "stopSequences",
    "reasoningConfig",
];

pub fn check(body: &Map<String, Value>) -> Checked {
    let mut violations = Violations::default();
    violations
        .required("#", body, &["messages"])
        .foreign("#", body, KNOWN)
        .typed("#", body, "messages", Kind::Array)
        .items("#", body, "messages", 1, None)
        .typed("#", body, "system", Kind::Array)
        .typed("#", body, "inferenceConfig", Kind::Object)
        .one_of("#", body, "schemaVersion", &[json!("messages-v1")]);
    if let Some(config) = body.get("inferenceConfig").and_then(Value::as_object) {
        violations.only("#/inferenceConfig", config, INFERENCE_KEYS);
        for key in ["maxTokens", "max_new_tokens"] {
            violations.typed("#/inferenceConfig", config, key, Kind::Integer).range(
                "#/inferenceConfig",
                config,
                key,
                Some(1.0),
                None,
            );
        }
        for key in ["temperature", "topP", "top_p"] {
            violations.typed("#/inferenceConfig", config, key, Kind::Number).range(
                "#/inferenceConfig",
                config,
                key,
                Some(0.0),
                Some(1.0),
            );
        }
    }
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        for (index, message) in messages.iter().enumerate() {
            let at = format!("#/messages/{index}");
            match message.as_object() {
                Some(message) => {
                    violations.required(&at, message, &["role", "content"]).one_of(
                        &at,
                        message,
                        "role",
                        &[json!("user"), json!("assistant")],
                    );
                }
                None => {
                    violations.push(format!("{at}: expected type: JSONObject, found: {}", super::found(message)));
                }
            }
        }
    }
    violations.finish()
}

/// Tokens of one content block, as Converse counts them.
fn block_tokens(block: &Value) -> u64 {
    let Some((key, inner)) = block.as_object().and_then(|object| object.iter().find(|(key, _)| *key != "cachePoint"))
    else {
        return 0;
    };
    match (key.as_str(), inner) {
        ("text", Value::String(text)) => tokenizer::count(text),
        ("toolUse", _) => {
            tokenizer::count(inner["name"].as_str().unwrap_or_default()) + tokenizer::count(&inner["input"].to_string())
        }
        ("toolResult", _) => inner["content"].as_array().into_iter().flatten().map(block_tokens).sum(),
        ("json", _) => tokenizer::count(&inner.to_string()),
        _ => tokenizer::count(&inner.to_string()),
    }
}

pub fn prompt(body: &Map<String, Value>) -> Prompt {
    let blocks = |value: Option<&Value>| -> u64 {
        value.and_then(Value::as_array).into_iter().flatten().map(block_tokens).sum()
    };
    let messages: &[Value] = body.get("messages").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let tools: u64 = body
        .get("toolConfig")
        .and_then(|config| config["tools"].as_array())
        .into_iter()
        .flatten()
        .map(|tool| tokenizer::count(&tool.to_string()))
        .sum();
    let last_user = messages.iter().rev().find(|message| message["role"] == "user");
    let content: &[Value] = last_user.and_then(|message| message["content"].as_array()).map_or(&[], Vec::as_slice);
    let texts: Vec<&str> = content.iter().filter_map(|block| block.get("text").and_then(Value::as_str)).collect();
    let tool_results = content
        .iter()
        .filter_map(|block| block.get("toolResult"))
        .map(|result| {
            let parts: Vec<String> = result["content"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|part| part.get("text").and_then(Value::as_str).map_or_else(|| part.to_string(), str::to_owned))
                .collect();
            parts.join("\n")
        })
        .collect();
    let config = body.get("inferenceConfig");
    let max_tokens = config.and_then(|config| config.get("maxTokens").or_else(|| config.get("max_new_tokens")));
    Prompt {
        last_user_text: texts.join("\n"),
        tool_results,
        input_tokens: blocks(body.get("system"))
            + messages.iter().map(|message| blocks(message.get("content"))).sum::<u64>()
            + tools,
        max_tokens: max_tokens.and_then(Value::as_u64),
        stop_sequences: super::string_list(config.and_then(|config| config.get("stopSequences"))),
        forced_tool: reply::forced_tool_of_converse(body.get("toolConfig")),
        cache: None,
    }
}

fn usage(answer: &Answer<'_>) -> Value {
    let usage = answer.reply.usage;
    json!({
        "inputTokens": usage.input,
        "outputTokens": usage.output,
        "totalTokens": usage.total,
        "cacheReadInputTokenCount": 0,
        "cacheWriteInputTokenCount": 0,
    })
}

pub fn response(answer: &Answer<'_>) -> Value {
    let content: Vec<Value> = answer.reply.blocks.iter().map(Block::to_converse).collect();
    json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": answer.reply.stop_reason,
        "usage": usage(answer),
    })
}

pub fn stream(answer: &Answer<'_>) -> Vec<Chunk> {
    let reply = answer.reply;
    let delta = |index: usize, delta: Value| {
        Chunk::delta(json!({"contentBlockDelta": {"delta": delta, "contentBlockIndex": index}}))
    };
    let mut chunks = vec![Chunk::event(json!({"messageStart": {"role": "assistant"}}))];
    for (index, block) in reply.blocks.iter().enumerate() {
        match block {
            Block::Text(text) => {
                chunks.extend(super::pieces(text).into_iter().map(|piece| delta(index, json!({"text": piece}))))
            }
            Block::ToolUse { name, .. } => {
                let start = json!({"toolUse": {"toolUseId": block.tool_use_id(), "name": name}});
                chunks.push(Chunk::event(json!({"contentBlockStart": {"start": start, "contentBlockIndex": index}})));
                let input = block.streamed_input();
                let pieces = tokenizer::split_even(&input, (input.len() / 16).max(2));
                chunks.extend(pieces.into_iter().map(|piece| delta(index, json!({"toolUse": {"input": piece}}))));
            }
            Block::Reasoning { text, .. } => chunks.extend(
                super::pieces(text).into_iter().map(|piece| delta(index, json!({"reasoningContent": {"text": piece}}))),
            ),
        }
        chunks.push(Chunk::event(json!({"contentBlockStop": {"contentBlockIndex": index}})));
    }
    chunks.push(Chunk::event(json!({"messageStop": {"stopReason": reply.stop_reason}})));
    chunks.push(Chunk::event(json!({"metadata": {"usage": usage(answer), "metrics": {}, "trace": {}}})));
    chunks
}
