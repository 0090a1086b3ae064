//! Converse, ConverseStream and CountTokens (docs/bedrock-wire.md §2, §3.3, §5).

use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value, json};

use super::cache;
use super::call::{Call, ceil_ms};
use super::errors::ApiError;
use super::eventstream::{self, Event};
use super::guardrails;
use super::invoke;
use super::reply::{self, GuardrailUse, Prompt, Reply};
use super::script::{Block, Facts};
use super::tokenizer;
use super::validation::{self, Checked};

/// Input tokens of a Converse-shaped request: system blocks, every message's blocks, and each tool's
/// compact JSON. CountTokens' converse form uses this same function.
pub fn input_tokens(request: &Map<String, Value>) -> u64 {
    let blocks = |value: Option<&Value>| -> u64 {
        value.and_then(Value::as_array).into_iter().flatten().map(tokenizer::converse_block).sum()
    };
    let system = blocks(request.get("system"));
    let messages: u64 =
        request.get("messages").and_then(Value::as_array).into_iter().flatten().map(|m| blocks(m.get("content"))).sum();
    let tools: u64 = request
        .get("toolConfig")
        .and_then(|config| config["tools"].as_array())
        .into_iter()
        .flatten()
        .map(tokenizer::converse_tool)
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
        cache: None,
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

/// What a Converse answer repeats from its request: `performanceConfig` and `serviceTier` (checked
/// against their enums), and the JSON pointers of `additionalModelResponseFieldPaths`.
#[derive(Debug, Clone, Default)]
struct Echoes {
    performance_config: Option<Value>,
    service_tier: Option<Value>,
    field_paths: Option<Vec<String>>,
}

fn enum_member(request: &Map<String, Value>, member: &str, key: &str, allowed: &[&str]) -> Checked<Option<Value>> {
    let Some(value) = request.get(member).filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    let object = validation::object(member, value)?;
    let path = format!("{member}.{key}");
    match object.get(key).filter(|value| !value.is_null()) {
        Some(inner) => validation::one_of(&path, validation::string(&path, Some(inner))?, allowed)?,
        // `performanceConfig.latency` defaults to `standard`; `serviceTier.type` is required.
        None if member == "performanceConfig" => return Ok(Some(json!({"latency": "standard"}))),
        None => return Err(ApiError::member(&path, "Member must not be null")),
    }
    Ok(Some(value.clone()))
}

fn echoes(request: &Map<String, Value>) -> Checked<Echoes> {
    const PATHS: &str = "additionalModelResponseFieldPaths";
    let field_paths = match request.get(PATHS).filter(|paths| !paths.is_null()) {
        None => None,
        Some(paths) => {
            let paths = validation::array(PATHS, Some(paths), 0)?;
            if paths.len() > 10 {
                return Err(ApiError::member(PATHS, "Member must have length less than or equal to 10"));
            }
            let mut pointers = Vec::with_capacity(paths.len());
            for (index, path) in paths.iter().enumerate() {
                let at = format!("{PATHS}[{index}]");
                let pointer = validation::string(&at, Some(path))?;
                if pointer.is_empty() || pointer.chars().count() > 256 {
                    return Err(ApiError::member(&at, "Member must have length between 1 and 256"));
                }
                if !pointer.starts_with('/') {
                    return Err(ApiError::validation(format!(
                        "{at}: `{pointer}` is not a JSON pointer (RFC 6901); write it from the root, e.g. `/{pointer}`."
                    )));
                }
                pointers.push(pointer.to_owned());
            }
            Some(pointers)
        }
    };
    Ok(Echoes {
        performance_config: enum_member(request, "performanceConfig", "latency", &["standard", "optimized"])?,
        service_tier: enum_member(request, "serviceTier", "type", &["priority", "default", "flex", "reserved"])?,
        field_paths,
    })
}

/// The values `pointers` name in `native` (the model's own response), each at its own path:
/// `/stop_sequence` gives `{"stop_sequence": …}`, `/delta/stop_sequence` `{"delta": {"stop_sequence": …}}`.
/// A pointer that names nothing is left out.
fn additional_fields(native: &Value, pointers: &[String]) -> Value {
    let mut fields = Value::Object(Map::new());
    for pointer in pointers {
        let Some(found) = native.pointer(pointer) else { continue };
        let tokens: Vec<String> =
            pointer.split('/').skip(1).map(|token| token.replace("~1", "/").replace("~0", "~")).collect();
        let mut at = &mut fields;
        for (index, token) in tokens.iter().enumerate() {
            let Value::Object(object) = at else { break };
            if index + 1 == tokens.len() {
                object.insert(token.clone(), found.clone());
                break;
            }
            at = object.entry(token.clone()).or_insert_with(|| Value::Object(Map::new()));
        }
    }
    fields
}

/// The model's own response to `reply` (the emulator answers every model in Anthropic's Messages
/// shape), which `additionalModelResponseFieldPaths` point into.
fn native_response(model_id: &str, reply: &Reply) -> Value {
    json!({
        "type": "message",
        "role": "assistant",
        "model": model_id,
        "content": reply.blocks.iter().map(Block::to_anthropic).collect::<Vec<_>>(),
        "stop_reason": reply.stop_reason,
        "stop_sequence": reply.stop_sequence,
        "usage": reply.usage.to_anthropic(reply.usage.output),
    })
}

/// The model's own last stream event (Anthropic's `message_delta`), which a stream's
/// `additionalModelResponseFieldPaths` point into (e.g. `/delta/stop_sequence`).
fn native_stop_event(reply: &Reply) -> Value {
    json!({
        "type": "message_delta",
        "delta": {"stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence},
        "usage": {"output_tokens": reply.usage.output},
    })
}

pub async fn converse(call: &Call<'_>, model_id: &str, stream: bool) -> Result<Response, ApiError> {
    validation::model_id(model_id)?;
    let request = validation::json_object(&call.body)?;
    validation::converse(&request, stream)?;
    let echoes = echoes(&request)?;
    let cache_plan = cache::converse_plan(model_id, &request)?;
    let mut prompt = prompt(&request);
    let scripted = call.script.decide(&Facts {
        operation: if stream { "ConverseStream" } else { "Converse" },
        model_id: Some(model_id),
        last_user_text: Some(&prompt.last_user_text),
        after_tool_result: prompt.after_tool_result(),
        answers: true,
    })?;
    let guardrail = guardrail_use(call, &request)?;
    prompt.cache = call.script.cache_usage(cache_plan);
    let reply = reply::compose(&prompt, scripted, guardrail.as_ref());
    if stream {
        return Ok(stream_response(&reply, &echoes, call));
    }
    let content: Vec<Value> = reply.blocks.iter().map(Block::to_converse).collect();
    let mut response = json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": reply.stop_reason,
        "usage": reply.usage.to_converse(),
        "metrics": {"latencyMs": call.elapsed_ms()},
    });
    if let Some(pointers) = &echoes.field_paths {
        response["additionalModelResponseFields"] = additional_fields(&native_response(model_id, &reply), pointers);
    }
    if let Some(trace) = reply.guardrail_trace {
        response["trace"] = json!({"guardrail": trace});
    }
    if let Some(config) = echoes.performance_config {
        response["performanceConfig"] = config;
    }
    if let Some(tier) = echoes.service_tier {
        response["serviceTier"] = tier;
    }
    Ok(axum::Json(response).into_response())
}

/// The events of a ConverseStream answer in Bedrock's order (docs/bedrock-wire.md §3.3), up to
/// `messageStop`; the `metadata` event is made when it is sent (see [`stream_response`]).
fn converse_events(reply: &Reply, echoes: &Echoes) -> Vec<Event> {
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
    let mut stop = json!({"stopReason": reply.stop_reason});
    if let Some(pointers) = &echoes.field_paths {
        stop["additionalModelResponseFields"] = additional_fields(&native_stop_event(reply), pointers);
    }
    events.push(event("messageStop", stop));
    events
}

/// ConverseStream's `metadata` payload: usage, the latency so far, the guardrail trace, and the
/// echoed `performanceConfig` and `serviceTier`.
fn metadata(reply: &Reply, echoes: &Echoes, latency_ms: u64) -> Value {
    let mut metadata = json!({"usage": reply.usage.to_converse(), "metrics": {"latencyMs": latency_ms}});
    if let Some(trace) = &reply.guardrail_trace {
        metadata["trace"] = json!({"guardrail": trace});
    }
    if let Some(config) = &echoes.performance_config {
        metadata["performanceConfig"] = config.clone();
    }
    if let Some(tier) = &echoes.service_tier {
        metadata["serviceTier"] = tier.clone();
    }
    metadata
}

/// The stream, whose `metadata` event is made when it is sent, so its `latencyMs` is the time the
/// whole answer took (scripted delays included).
fn stream_response(reply: &Reply, echoes: &Echoes, call: &Call<'_>) -> Response {
    let (started, payload_reply, payload_echoes) = (call.started(), reply.clone(), echoes.clone());
    let last: eventstream::LastFrame = Box::new(move || {
        eventstream::event_frame("metadata", &metadata(&payload_reply, &payload_echoes, ceil_ms(started)))
    });
    eventstream::response(eventstream::shaped_body_then(converse_events(reply, echoes), Some(last), &reply.shaping))
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
