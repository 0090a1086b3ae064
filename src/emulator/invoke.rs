//! InvokeModel and InvokeModelWithResponseStream (docs/bedrock-wire.md §1, §3.4): an Anthropic Messages
//! body gets the Anthropic response shape (or its stream events as `chunk`s); any other JSON body is
//! echoed back.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value, json};

use super::cache;
use super::call::Call;
use super::errors::ApiError;
use super::eventstream::{self, Event};
use super::guardrails;
use super::reply::{self, GuardrailUse, Prompt, Reply};
use super::script::{Block, Facts};
use super::tokenizer;
use super::validation::{self, Checked};

/// Request headers the response repeats, as Bedrock does.
const ECHOED_HEADERS: &[&str] = &["x-amzn-bedrock-performanceconfig-latency", "x-amzn-bedrock-service-tier"];

fn is_anthropic(body: &Map<String, Value>) -> bool {
    body.contains_key("anthropic_version") && body.contains_key("messages")
}

fn anthropic_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|block| block["type"] == "text")
            .filter_map(|block| block["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Tokens of an Anthropic `content`: a string or text blocks count their text; other blocks their JSON.
fn anthropic_tokens(content: &Value) -> u64 {
    match content {
        Value::String(text) => tokenizer::count(text),
        Value::Array(blocks) => blocks
            .iter()
            .map(|block| match block["text"].as_str() {
                Some(text) if block["type"] == "text" => tokenizer::count(text),
                _ => tokenizer::count(&block.to_string()),
            })
            .sum(),
        _ => 0,
    }
}

fn anthropic_prompt(body: &Map<String, Value>) -> Prompt {
    let messages: &[Value] = body.get("messages").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let last_user = messages.iter().rev().find(|message| message["role"] == "user");
    let tool_results = last_user
        .and_then(|message| message["content"].as_array())
        .into_iter()
        .flatten()
        .filter(|block| block["type"] == "tool_result")
        .map(|block| anthropic_text(&block["content"]))
        .collect();
    let tools: u64 = body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|tool| tokenizer::count(&tool.to_string()))
        .sum();
    Prompt {
        last_user_text: last_user.map(|message| anthropic_text(&message["content"])).unwrap_or_default(),
        tool_results,
        input_tokens: body.get("system").map_or(0, anthropic_tokens)
            + messages.iter().map(|message| anthropic_tokens(&message["content"])).sum::<u64>()
            + tools,
        max_tokens: body.get("max_tokens").and_then(Value::as_u64),
        stop_sequences: body
            .get("stop_sequences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|stop| stop.as_str().map(str::to_owned))
            .collect(),
        cache: None,
    }
}

/// Input tokens of a native InvokeModel body (CountTokens' `invokeModel` form): an Anthropic body
/// counts like its prompt; anything else counts its text.
pub fn input_tokens_of_body(bytes: &[u8]) -> u64 {
    match validation::parse_json(bytes, validation::MAX_BODY_DEPTH) {
        Ok(Value::Object(body)) if is_anthropic(&body) => anthropic_prompt(&body).input_tokens,
        _ => tokenizer::count(&String::from_utf8_lossy(bytes)),
    }
}

fn malformed_member(member: &str, problem: &str) -> ApiError {
    ApiError::malformed(format_args!("#/{member}: {problem}"))
}

fn validate_anthropic(body: &Map<String, Value>) -> Checked {
    if !body["anthropic_version"].is_string() {
        return Err(malformed_member("anthropic_version", "expected type: String"));
    }
    match body.get("max_tokens") {
        None => return Err(ApiError::malformed("#: required key [max_tokens] not found")),
        Some(max) if max.as_i64().is_none_or(|max| max < 1) => {
            return Err(malformed_member("max_tokens", "must be an integer of at least 1"));
        }
        Some(_) => {}
    }
    for key in ["temperature", "top_p"] {
        if let Some(value) = body.get(key)
            && value.as_f64().is_none_or(|value| !(0.0..=1.0).contains(&value))
        {
            return Err(malformed_member(key, "must be a number between 0 and 1"));
        }
    }
    let messages = body["messages"].as_array().filter(|messages| !messages.is_empty());
    let messages = messages.ok_or_else(|| malformed_member("messages", "expected a non-empty array"))?;
    for (index, message) in messages.iter().enumerate() {
        if !matches!(message["role"].as_str(), Some("user" | "assistant")) {
            return Err(malformed_member(&format!("messages/{index}/role"), "must be `user` or `assistant`"));
        }
        let content_ok = match &message["content"] {
            Value::String(_) => true,
            Value::Array(blocks) => !blocks.is_empty() && blocks.iter().all(|block| block["type"].is_string()),
            _ => false,
        };
        if !content_ok {
            return Err(malformed_member(
                &format!("messages/{index}/content"),
                "expected a string or a non-empty array of blocks with a `type`",
            ));
        }
        for (block_index, block) in message["content"].as_array().into_iter().flatten().enumerate() {
            let depth = block.get("input").map_or(0, validation::value_depth);
            if depth > validation::MAX_DOCUMENT_DEPTH {
                return Err(malformed_member(
                    &format!("messages/{index}/content/{block_index}/input"),
                    &format!(
                        "nests {depth} levels of arrays and objects, more than the {} accepted",
                        validation::MAX_DOCUMENT_DEPTH
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn guardrail_use(call: &Call<'_>) -> Checked<Option<GuardrailUse>> {
    let identifier = header(call.headers, "x-amzn-bedrock-guardrailidentifier");
    let version = header(call.headers, "x-amzn-bedrock-guardrailversion");
    let (identifier, version) = match (identifier, version) {
        (None, None) => return Ok(None),
        (Some(identifier), Some(version)) => (identifier, version),
        _ => {
            return Err(ApiError::validation(
                "X-Amzn-Bedrock-GuardrailIdentifier and X-Amzn-Bedrock-GuardrailVersion must be given together.",
            ));
        }
    };
    let script = call.script.current();
    let (id, def) = guardrails::lookup(script.guardrails(), identifier, version)?;
    let trace = matches!(header(call.headers, "x-amzn-bedrock-trace"), Some("ENABLED" | "ENABLED_FULL"));
    Ok(Some(GuardrailUse { id: id.to_owned(), def: def.clone(), trace }))
}

/// Adds InvokeModel's guardrail keys to a response object.
fn mark_guardrail(target: &mut Value, guardrail: Option<&GuardrailUse>, reply: &Reply) {
    let (Some(_), Value::Object(object)) = (guardrail, target) else {
        return;
    };
    let action = if reply.guardrail_intervened { "INTERVENED" } else { "NONE" };
    object.insert("amazon-bedrock-guardrailAction".into(), json!(action));
    if let Some(trace) = &reply.guardrail_trace {
        object.insert("amazon-bedrock-trace".into(), json!({"guardrail": trace}));
    }
}

fn message_id() -> String {
    format!("msg_bdrk_{}", &uuid::Uuid::new_v4().simple().to_string()[..24])
}

fn anthropic_response(model_id: &str, reply: &Reply) -> Value {
    json!({
        "id": message_id(),
        "type": "message",
        "role": "assistant",
        "model": model_id,
        "content": reply.blocks.iter().map(Block::to_anthropic).collect::<Vec<_>>(),
        "stop_reason": reply.stop_reason,
        "stop_sequence": reply.stop_sequence,
        "usage": reply.usage.to_anthropic(reply.usage.output),
    })
}

/// What the model answers for this request: a scripted body, the Anthropic shape, or the echo.
fn non_stream_body(
    model_id: &str,
    request: &Value,
    anthropic: bool,
    reply: &Reply,
    guardrail: Option<&GuardrailUse>,
) -> Value {
    let mut body = if let Some(raw) = &reply.raw_body {
        raw.clone()
    } else if anthropic {
        anthropic_response(model_id, reply)
    } else if reply.guardrail_intervened {
        json!({"message": guardrail.map(|g| g.def.blocked_message()).unwrap_or_default()})
    } else {
        request.clone()
    };
    mark_guardrail(&mut body, guardrail, reply);
    body
}

fn chunk(payload: &Value, delta: bool) -> Event {
    let bytes = base64::engine::general_purpose::STANDARD.encode(payload.to_string());
    Event { delta, frame: eventstream::event_frame("chunk", &json!({"bytes": bytes})) }
}

/// Anthropic's stream events, each as a `chunk`; the last carries the invocation metrics.
fn anthropic_events(model_id: &str, reply: &Reply, latency_ms: u64, guardrail: Option<&GuardrailUse>) -> Vec<Event> {
    let mut message = anthropic_response(model_id, reply);
    message["content"] = json!([]);
    message["stop_reason"] = Value::Null;
    message["stop_sequence"] = Value::Null;
    message["usage"] = reply.usage.to_anthropic(0);
    let mut events = vec![chunk(&json!({"type": "message_start", "message": message}), false)];
    for (index, block) in reply.blocks.iter().enumerate() {
        let (start, deltas): (Value, Vec<Value>) = match block {
            Block::Text(text) => (
                json!({"type": "text", "text": ""}),
                tokenizer::word_pieces(text)
                    .into_iter()
                    .map(|piece| json!({"type": "text_delta", "text": piece}))
                    .collect(),
            ),
            Block::ToolUse { name, .. } => {
                let input = block.streamed_input();
                let pieces = tokenizer::split_even(&input, (input.len() / 16).max(2));
                (
                    json!({"type": "tool_use", "id": block.tool_use_id(), "name": name, "input": {}}),
                    pieces
                        .into_iter()
                        .map(|piece| json!({"type": "input_json_delta", "partial_json": piece}))
                        .collect(),
                )
            }
            Block::Reasoning { text, .. } => (
                json!({"type": "thinking", "thinking": ""}),
                tokenizer::word_pieces(text)
                    .into_iter()
                    .map(|piece| json!({"type": "thinking_delta", "thinking": piece}))
                    .collect(),
            ),
        };
        events.push(chunk(&json!({"type": "content_block_start", "index": index, "content_block": start}), false));
        events.extend(
            deltas
                .into_iter()
                .map(|delta| chunk(&json!({"type": "content_block_delta", "index": index, "delta": delta}), true)),
        );
        events.push(chunk(&json!({"type": "content_block_stop", "index": index}), false));
    }
    events.push(chunk(
        &json!({"type": "message_delta", "delta": {"stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence},
                "usage": {"output_tokens": reply.usage.output}}),
        false,
    ));
    let mut stop = json!({
        "type": "message_stop",
        "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": reply.usage.input,
            "outputTokenCount": reply.usage.output,
            "invocationLatency": latency_ms,
            "firstByteLatency": latency_ms,
        },
    });
    mark_guardrail(&mut stop, guardrail, reply);
    events.push(chunk(&stop, false));
    events
}

fn echo_headers(call: &Call<'_>, response: &mut Response) {
    for name in ECHOED_HEADERS {
        if let Some(value) = call.headers.get(*name) {
            response.headers_mut().insert(HeaderName::from_static(name), value.clone());
        }
    }
}

pub async fn invoke(call: &Call<'_>, model_id: &str, stream: bool) -> Result<Response, ApiError> {
    validation::model_id(model_id)?;
    let request = validation::json_object(&call.body)?;
    let anthropic = is_anthropic(&request);
    let mut cache_plan = None;
    let mut prompt = if anthropic {
        validate_anthropic(&request)?;
        cache_plan = cache::anthropic_plan(model_id, &request)?;
        anthropic_prompt(&request)
    } else {
        let text = String::from_utf8_lossy(&call.body).into_owned();
        Prompt { input_tokens: tokenizer::count(&text), last_user_text: text, ..Prompt::default() }
    };
    let scripted = call.script.decide(&Facts {
        operation: if stream { "InvokeModelWithResponseStream" } else { "InvokeModel" },
        model_id: Some(model_id),
        last_user_text: Some(&prompt.last_user_text),
        after_tool_result: prompt.after_tool_result(),
        answers: true,
    })?;
    let guardrail = guardrail_use(call)?;
    prompt.cache = call.script.cache_usage(cache_plan);
    let reply = reply::compose(&prompt, scripted, guardrail.as_ref());
    let latency_ms = call.elapsed_ms();
    let request = Value::Object(request);

    let mut response = if stream {
        let events = if anthropic && reply.raw_body.is_none() {
            anthropic_events(model_id, &reply, latency_ms, guardrail.as_ref())
        } else {
            vec![chunk(&non_stream_body(model_id, &request, anthropic, &reply, guardrail.as_ref()), false)]
        };
        let mut response = eventstream::response(eventstream::shaped_body(events, &reply.shaping));
        response.headers_mut().insert("x-amzn-bedrock-content-type", HeaderValue::from_static("application/json"));
        response
    } else {
        let body = non_stream_body(model_id, &request, anthropic, &reply, guardrail.as_ref());
        let mut response = axum::Json(body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert("x-amzn-bedrock-input-token-count", HeaderValue::from(reply.usage.input));
        headers.insert("x-amzn-bedrock-output-token-count", HeaderValue::from(reply.usage.output));
        headers.insert("x-amzn-bedrock-invocation-latency", HeaderValue::from(latency_ms));
        if let Some(cache) = reply.usage.cache {
            headers.insert("x-amzn-bedrock-cache-read-input-token-count", HeaderValue::from(cache.read));
            headers.insert("x-amzn-bedrock-cache-write-input-token-count", HeaderValue::from(cache.write));
        }
        response
    };
    echo_headers(call, &mut response);
    Ok(response)
}

/// The default answer to a native body, as async jobs write it: the Anthropic shape or the echo.
pub fn default_answer(model_id: &str, input: &Value) -> Value {
    match input {
        Value::Object(body) if is_anthropic(body) => {
            anthropic_response(model_id, &reply::compose(&anthropic_prompt(body), None, None))
        }
        other => other.clone(),
    }
}
