//! InvokeModel and InvokeModelWithResponseStream (docs/bedrock-wire.md §1, §3.4): the body is checked and
//! answered in the native shapes of the model's family (`families`: Anthropic, Nova, Titan, Llama,
//! Mistral, Cohere, AI21, DeepSeek, OpenAI, embeddings), whole or as `chunk` events; the invocation
//! metrics, token-count headers and guardrail keys are the same for every family. A body for a model id
//! of no known family, in no shape the emulator knows, is echoed back.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use super::cache;
use super::call::Call;
use super::errors::ApiError;
use super::eventstream::{self, Event};
use super::families::{Answer, Chunk, Family};
use super::guardrails;
use super::reply::{self, GuardrailUse, Prompt, Reply};
use super::script::Facts;
use super::tokenizer;
use super::validation::{self, Checked};

/// Request headers the response repeats, as Bedrock does.
const ECHOED_HEADERS: &[&str] = &["x-amzn-bedrock-performanceconfig-latency", "x-amzn-bedrock-service-tier"];

/// Input tokens of a native InvokeModel body (CountTokens' `invokeModel` form): a body of a known
/// family's shape counts like its prompt; anything else counts its text.
pub fn input_tokens_of_body(bytes: &[u8]) -> u64 {
    match validation::parse_json(bytes, validation::MAX_BODY_DEPTH) {
        Ok(Value::Object(body)) => match Family::of_body(&body) {
            Some(family) => family.prompt(&body).input_tokens,
            None => tokenizer::count(&String::from_utf8_lossy(bytes)),
        },
        _ => tokenizer::count(&String::from_utf8_lossy(bytes)),
    }
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

fn chunk(payload: &Value, delta: bool) -> Event {
    let bytes = base64::engine::general_purpose::STANDARD.encode(payload.to_string());
    Event { delta, frame: eventstream::event_frame("chunk", &json!({"bytes": bytes})) }
}

/// Adds the stream's `amazon-bedrock-invocationMetrics` to its last chunk, as Bedrock does for every family.
fn add_metrics(chunks: &mut [Chunk], reply: &Reply, latency_ms: u64) {
    if let Some(Value::Object(last)) = chunks.last_mut().map(|chunk| &mut chunk.payload) {
        last.insert(
            "amazon-bedrock-invocationMetrics".into(),
            json!({
                "inputTokenCount": reply.usage.input,
                "outputTokenCount": reply.usage.output,
                "invocationLatency": latency_ms,
                "firstByteLatency": latency_ms,
            }),
        );
    }
}

fn stream_response(chunks: Vec<Chunk>, reply: &Reply) -> Response {
    let events = chunks.iter().map(|c| chunk(&c.payload, c.delta)).collect();
    let mut response = eventstream::response(eventstream::shaped_body(events, &reply.shaping));
    response.headers_mut().insert("x-amzn-bedrock-content-type", HeaderValue::from_static("application/json"));
    response
}

fn json_response(body: Value, reply: &Reply, latency_ms: u64) -> Response {
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
}

fn echo_headers(call: &Call<'_>, response: &mut Response) {
    for name in ECHOED_HEADERS {
        if let Some(value) = call.headers.get(*name) {
            response.headers_mut().insert(HeaderName::from_static(name), value.clone());
        }
    }
}

/// What Bedrock says when a model that does not stream is asked to.
const NOT_STREAMING: &str = "The model is unsupported for streaming";

pub async fn invoke(call: &Call<'_>, model_id: &str, stream: bool) -> Result<Response, ApiError> {
    validation::model_id(model_id)?;
    let request = validation::json_object(&call.body)?;
    let Some(family) = Family::of_request(model_id, &request) else {
        return echo(call, model_id, Value::Object(request), stream);
    };
    if stream && !family.streams() {
        return Err(ApiError::validation(NOT_STREAMING));
    }
    let mut prompt = family.prompt(&request);
    let scripted = call.script.decide(&Facts {
        operation: if stream { "InvokeModelWithResponseStream" } else { "InvokeModel" },
        model_id: Some(model_id),
        last_user_text: Some(&prompt.last_user_text),
        after_tool_result: prompt.after_tool_result(),
        answers: true,
    })?;
    // A scripted raw `body` answers whatever was sent; anything else answers a body the model accepts.
    if scripted.as_ref().is_none_or(|scripted| scripted.respond.body.is_none()) {
        family.check(&request)?;
    }
    let embeds = matches!(family, Family::Embeddings(_));
    // Guardrails apply to text generation; embedding models take no guardrail.
    let guardrail = if embeds { None } else { guardrail_use(call)? };
    // Prompt caching (`cache_control` blocks) is Anthropic's, in its own body shape.
    if matches!(family, Family::Anthropic) {
        let plan = cache::anthropic_plan(model_id, &request)?;
        prompt.cache = call.script.cache_usage(plan);
    }
    let mut reply = reply::compose(&prompt, scripted, guardrail.as_ref());
    if embeds {
        reply.usage.output = 0;
        reply.usage.total = reply.usage.input;
    }
    let latency_ms = call.elapsed_ms();
    let answer = Answer { model_id, request: &request, prompt: &prompt, reply: &reply };

    let mut response = if stream {
        let mut chunks = match &reply.raw_body {
            Some(raw) => vec![Chunk::event(raw.clone())],
            None => {
                let mut chunks = family.stream(&answer);
                add_metrics(&mut chunks, &reply, latency_ms);
                chunks
            }
        };
        if let Some(last) = chunks.last_mut() {
            mark_guardrail(&mut last.payload, guardrail.as_ref(), &reply);
        }
        stream_response(chunks, &reply)
    } else {
        let mut body = reply.raw_body.clone().unwrap_or_else(|| family.response(&answer));
        mark_guardrail(&mut body, guardrail.as_ref(), &reply);
        json_response(body, &reply, latency_ms)
    };
    echo_headers(call, &mut response);
    Ok(response)
}

/// A body of no known shape for a model id of no known family: echoed back (the project's extension),
/// or `{"message": <blockedMessage>}` when a guardrail intervenes.
fn echo(call: &Call<'_>, model_id: &str, request: Value, stream: bool) -> Result<Response, ApiError> {
    let text = String::from_utf8_lossy(&call.body).into_owned();
    let prompt = Prompt { input_tokens: tokenizer::count(&text), last_user_text: text, ..Prompt::default() };
    let scripted = call.script.decide(&Facts {
        operation: if stream { "InvokeModelWithResponseStream" } else { "InvokeModel" },
        model_id: Some(model_id),
        last_user_text: Some(&prompt.last_user_text),
        after_tool_result: false,
        answers: true,
    })?;
    let guardrail = guardrail_use(call)?;
    let reply = reply::compose(&prompt, scripted, guardrail.as_ref());
    let latency_ms = call.elapsed_ms();
    let mut body = if let Some(raw) = &reply.raw_body {
        raw.clone()
    } else if reply.guardrail_intervened {
        json!({"message": guardrail.as_ref().map(|g| g.def.blocked_message()).unwrap_or_default()})
    } else {
        request
    };
    mark_guardrail(&mut body, guardrail.as_ref(), &reply);
    let mut response = if stream {
        stream_response(vec![Chunk::event(body)], &reply)
    } else {
        json_response(body, &reply, latency_ms)
    };
    echo_headers(call, &mut response);
    Ok(response)
}

/// The default answer to a native body, as async jobs write it: the family's shape, or the echo.
pub fn default_answer(model_id: &str, input: &Value) -> Value {
    let body = match input {
        Value::Object(body) => body,
        other => return other.clone(),
    };
    match Family::of_request(model_id, body) {
        Some(family) => {
            let prompt = family.prompt(body);
            let mut reply = reply::compose(&prompt, None, None);
            if matches!(family, Family::Embeddings(_)) {
                reply.usage.output = 0;
                reply.usage.total = reply.usage.input;
            }
            family.response(&Answer { model_id, request: body, prompt: &prompt, reply: &reply })
        }
        None => input.clone(),
    }
}
