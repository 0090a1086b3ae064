//! Converse, ConverseStream and CountTokens (docs/bedrock-wire.md §2, §3.3, §5).

use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value, json};

use super::call::Call;
use super::errors::ApiError;
use super::eventstream::{self, Event};
use super::guardrails;
use super::invoke;
use super::reply::{self, GuardrailUse, Prompt, Reply, Usage};
use super::script::{Block, Facts};
use super::tokenizer;
use super::validation::{self, Checked};

/// Tokens of one Converse content block: text counts its text, a toolUse its name and input JSON,
/// a toolResult its texts and JSON, and any other block its compact JSON (cache points count 0).
fn block_tokens(block: &Value) -> u64 {
    let Some((key, inner)) = block.as_object().and_then(|object| object.iter().next()) else {
        return 0;
    };
    match (key.as_str(), inner) {
        ("text", Value::String(text)) => tokenizer::count(text),
        ("toolUse", _) => {
            tokenizer::count(inner["name"].as_str().unwrap_or_default()) + tokenizer::count(&inner["input"].to_string())
        }
        ("toolResult", _) => inner["content"].as_array().into_iter().flatten().map(block_tokens).sum(),
        ("json", _) => tokenizer::count(&inner.to_string()),
        ("guardContent", _) => tokenizer::count(inner["text"]["text"].as_str().unwrap_or_default()),
        ("cachePoint", _) => 0,
        _ => tokenizer::count(&inner.to_string()),
    }
}

/// Input tokens of a Converse-shaped request: system blocks, every message's blocks, and each tool's
/// compact JSON. CountTokens' converse form uses this same function.
pub fn input_tokens(request: &Map<String, Value>) -> u64 {
    let blocks = |value: Option<&Value>| -> u64 {
        value.and_then(Value::as_array).into_iter().flatten().map(block_tokens).sum()
    };
    let system = blocks(request.get("system"));
    let messages: u64 =
        request.get("messages").and_then(Value::as_array).into_iter().flatten().map(|m| blocks(m.get("content"))).sum();
    let tools: u64 = request
        .get("toolConfig")
        .and_then(|config| config["tools"].as_array())
        .into_iter()
        .flatten()
        .map(|tool| tokenizer::count(&tool.to_string()))
        .sum();
    system + messages + tools
}

fn prompt(request: &Map<String, Value>) -> Prompt {
    let last_user = request
        .get("messages")
        .and_then(Value::as_array)
        .and_then(|messages| messages.iter().rev().find(|message| message["role"] == "user"));
    let blocks: &[Value] = last_user.and_then(|message| message["content"].as_array()).map_or(&[], Vec::as_slice);
    let texts: Vec<&str> = blocks
        .iter()
        .filter_map(|block| {
            block.get("text").and_then(Value::as_str).or_else(|| block["guardContent"]["text"]["text"].as_str())
        })
        .collect();
    let tool_results = blocks
        .iter()
        .filter_map(|block| block.get("toolResult"))
        .map(|result| {
            let parts: Vec<String> = result["content"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|part| {
                    part.get("text").and_then(Value::as_str).map_or_else(
                        || part.get("json").map_or_else(|| part.to_string(), Value::to_string),
                        str::to_owned,
                    )
                })
                .collect();
            parts.join("\n")
        })
        .collect();
    let inference = request.get("inferenceConfig");
    Prompt {
        last_user_text: texts.join("\n"),
        tool_results,
        input_tokens: input_tokens(request),
        max_tokens: inference.and_then(|config| config["maxTokens"].as_u64()),
        stop_sequences: inference
            .and_then(|config| config["stopSequences"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|stop| stop.as_str().map(str::to_owned))
            .collect(),
        forced_tool: reply::forced_tool_of_converse(request.get("toolConfig")),
    }
}

fn guardrail_use(call: &Call<'_>, request: &Map<String, Value>) -> Checked<Option<GuardrailUse>> {
    let Some(config) = request.get("guardrailConfig").filter(|config| !config.is_null()) else {
        return Ok(None);
    };
    let script = call.script.current();
    let identifier = config["guardrailIdentifier"].as_str().unwrap_or_default();
    let version = config["guardrailVersion"].as_str().unwrap_or_default();
    let (id, def) = guardrails::lookup(script.guardrails(), identifier, version)?;
    let trace = matches!(config["trace"].as_str(), Some("enabled" | "enabled_full"));
    Ok(Some(GuardrailUse { id: id.to_owned(), def: def.clone(), trace }))
}

pub fn usage_json(usage: Usage) -> Value {
    json!({"inputTokens": usage.input, "outputTokens": usage.output, "totalTokens": usage.total})
}

pub async fn converse(call: &Call<'_>, model_id: &str, stream: bool) -> Result<Response, ApiError> {
    validation::model_id(model_id)?;
    let request = validation::json_object(&call.body)?;
    validation::converse(&request, stream)?;
    let prompt = prompt(&request);
    let scripted = call.script.decide(&Facts {
        operation: if stream { "ConverseStream" } else { "Converse" },
        model_id: Some(model_id),
        last_user_text: Some(&prompt.last_user_text),
        after_tool_result: prompt.after_tool_result(),
        answers: true,
    })?;
    let guardrail = guardrail_use(call, &request)?;
    let reply = reply::compose(&prompt, scripted, guardrail.as_ref());
    let latency_ms = call.elapsed_ms();
    if stream {
        return Ok(stream_response(&reply, latency_ms));
    }
    let content: Vec<Value> = reply.blocks.iter().map(Block::to_converse).collect();
    let mut response = json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": reply.stop_reason,
        "usage": usage_json(reply.usage),
        "metrics": {"latencyMs": latency_ms},
    });
    if let Some(trace) = reply.guardrail_trace {
        response["trace"] = json!({"guardrail": trace});
    }
    Ok(axum::Json(response).into_response())
}

/// The events of a ConverseStream answer in Bedrock's order (docs/bedrock-wire.md §3.3).
fn converse_events(reply: &Reply, latency_ms: u64) -> Vec<Event> {
    let event = |event_type: &str, payload: Value| Event {
        delta: false,
        frame: eventstream::event_frame(event_type, &payload),
    };
    let delta = |index: usize, delta: Value| Event {
        delta: true,
        frame: eventstream::event_frame("contentBlockDelta", &json!({"contentBlockIndex": index, "delta": delta})),
    };
    let mut events = vec![event("messageStart", json!({"role": "assistant"}))];
    for (index, block) in reply.blocks.iter().enumerate() {
        match block {
            Block::Text(text) => {
                events
                    .extend(tokenizer::word_pieces(text).into_iter().map(|piece| delta(index, json!({"text": piece}))));
            }
            Block::ToolUse { name, .. } => {
                let start = json!({"toolUse": {"toolUseId": block.tool_use_id(), "name": name}});
                events.push(event("contentBlockStart", json!({"contentBlockIndex": index, "start": start})));
                let input = block.streamed_input();
                let pieces = tokenizer::split_even(&input, (input.len() / 16).max(2));
                events.extend(pieces.into_iter().map(|piece| delta(index, json!({"toolUse": {"input": piece}}))));
            }
            Block::Reasoning { text, signature } => {
                events.extend(
                    tokenizer::word_pieces(text)
                        .into_iter()
                        .map(|piece| delta(index, json!({"reasoningContent": {"text": piece}}))),
                );
                if let Some(signature) = signature {
                    events.push(delta(index, json!({"reasoningContent": {"signature": signature}})));
                }
            }
        }
        events.push(event("contentBlockStop", json!({"contentBlockIndex": index})));
    }
    events.push(event("messageStop", json!({"stopReason": reply.stop_reason})));
    let mut metadata = json!({"usage": usage_json(reply.usage), "metrics": {"latencyMs": latency_ms}});
    if let Some(trace) = &reply.guardrail_trace {
        metadata["trace"] = json!({"guardrail": trace});
    }
    events.push(event("metadata", metadata));
    events
}

fn stream_response(reply: &Reply, latency_ms: u64) -> Response {
    eventstream::response(eventstream::shaped_body(converse_events(reply, latency_ms), &reply.shaping))
}

pub fn count_tokens(call: &Call<'_>, model_id: &str) -> Result<Response, ApiError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | ':');
    if model_id.is_empty() || model_id.len() > 256 || !model_id.chars().all(allowed) {
        return Err(ApiError::validation(format!("The provided model identifier is invalid: `{model_id}`.")));
    }
    let request = validation::json_object(&call.body)?;
    let input = request.get("input").ok_or_else(|| ApiError::member("input", "Member must not be null"))?;
    call.script.decide(&Facts {
        operation: "CountTokens",
        model_id: Some(model_id),
        last_user_text: None,
        after_tool_result: false,
        answers: false,
    })?;
    let tokens = match validation::union("input", input, &["converse", "invokeModel"])? {
        ("converse", converse) => {
            let converse = validation::object("input.converse", converse)?;
            validation::messages("input.converse", converse.get("messages"))?;
            validation::system("input.converse", converse.get("system"))?;
            validation::tool_config("input.converse", converse.get("toolConfig"), converse.get("messages"))?;
            input_tokens(converse)
        }
        (_, invoke_model) => {
            let body = validation::string("input.invokeModel.body", invoke_model.get("body"))?;
            let bytes = base64::engine::general_purpose::STANDARD.decode(body).map_err(|error| {
                ApiError::member("input.invokeModel.body", &format!("Member must be base64 ({error})"))
            })?;
            invoke::input_tokens_of_body(&bytes)
        }
    };
    Ok(axum::Json(json!({"inputTokens": tokens})).into_response())
}
