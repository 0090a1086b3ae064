//! HTTP: routing on the raw path (split on `/`, then percent-decode each segment), the journal,
//! `x-amzn-RequestId` on every answer, and the `/_emulator/*` control endpoints.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::async_jobs::{DEFAULT_JOB_DURATION_MS, Jobs};
use super::call::{Call, LiveScript};
use super::converse;
use super::errors::ApiError;
use super::guardrails;
use super::invoke;
use super::journal::{Entry, Journal};
use super::script::{Facts, Script};

/// Largest request body accepted (Bedrock's own limit for InvokeModel bodies is in this range).
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

pub struct AppState {
    script: LiveScript,
    journal: Journal,
    jobs: Arc<Jobs>,
}

impl AppState {
    pub fn new(script: Script, journal: Journal, jobs: Arc<Jobs>) -> Self {
        AppState { script: LiveScript::new(script), journal, jobs }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Converse,
    ConverseStream,
    InvokeModel,
    InvokeModelWithResponseStream,
    InvokeModelWithBidirectionalStream,
    CountTokens,
    ApplyGuardrail,
    StartAsyncInvoke,
    GetAsyncInvoke,
    ListAsyncInvokes,
    InvokeGuardrailChecks,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Converse => "Converse",
            Operation::ConverseStream => "ConverseStream",
            Operation::InvokeModel => "InvokeModel",
            Operation::InvokeModelWithResponseStream => "InvokeModelWithResponseStream",
            Operation::InvokeModelWithBidirectionalStream => "InvokeModelWithBidirectionalStream",
            Operation::CountTokens => "CountTokens",
            Operation::ApplyGuardrail => "ApplyGuardrail",
            Operation::StartAsyncInvoke => "StartAsyncInvoke",
            Operation::GetAsyncInvoke => "GetAsyncInvoke",
            Operation::ListAsyncInvokes => "ListAsyncInvokes",
            Operation::InvokeGuardrailChecks => "InvokeGuardrailChecks",
        }
    }
}

/// The operation a method and raw path name, with the decoded path labels.
fn route(method: &Method, raw_path: &str) -> Option<(Operation, Vec<String>)> {
    let segments: Vec<String> = raw_path
        .strip_prefix('/')?
        .split('/')
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect();
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let operation = match (method.as_str(), parts.as_slice()) {
        ("POST", ["model", _, "converse"]) => Operation::Converse,
        ("POST", ["model", _, "converse-stream"]) => Operation::ConverseStream,
        ("POST", ["model", _, "invoke"]) => Operation::InvokeModel,
        ("POST", ["model", _, "invoke-with-response-stream"]) => Operation::InvokeModelWithResponseStream,
        ("POST", ["model", _, "invoke-with-bidirectional-stream"]) => Operation::InvokeModelWithBidirectionalStream,
        ("POST", ["model", _, "count-tokens"]) => Operation::CountTokens,
        ("POST", ["guardrail", _, "version", _, "apply"]) => Operation::ApplyGuardrail,
        ("POST", ["async-invoke"]) => Operation::StartAsyncInvoke,
        ("GET", ["async-invoke"]) => Operation::ListAsyncInvokes,
        ("GET", ["async-invoke", _]) => Operation::GetAsyncInvoke,
        ("POST", ["guardrail-checks", "invoke"]) => Operation::InvokeGuardrailChecks,
        _ => return None,
    };
    Some((operation, segments))
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let mut response = if request.uri().path().starts_with("/_emulator/") {
        control(&state, request).await
    } else {
        bedrock(&state, request).await.unwrap_or_else(IntoResponse::into_response)
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-RequestId", value);
    }
    response
}

fn journal_entry(
    operation: Option<Operation>,
    model_id: Option<String>,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Entry {
    let mut recorded = Vec::new();
    for name in headers.keys().filter(|name| name.as_str() != "authorization") {
        let values: Vec<String> =
            headers.get_all(name).iter().map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()).collect();
        recorded.push((name.as_str().to_owned(), values.join(", ")));
    }
    let now = time::OffsetDateTime::now_utc();
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    Entry {
        operation: operation.map(Operation::name),
        model_id,
        path: path.to_owned(),
        // Its own allocation of its own size: a slice of the connection's buffer would keep all of it alive.
        body: axum::body::Bytes::copy_from_slice(body),
        headers: recorded,
        received_at: now.format(&format).unwrap_or_default(),
        body_omitted: None,
    }
}

async fn bedrock(state: &AppState, request: Request) -> Result<Response, ApiError> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let routed = route(&parts.method, parts.uri.path());
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|error| {
        ApiError::validation(format!("The request body could not be read or exceeds {MAX_BODY_BYTES} bytes: {error}"))
    });
    let body_for_journal: &[u8] = body.as_ref().map_or(&[], |body| body.as_ref());
    let model_id = match &routed {
        Some((Operation::StartAsyncInvoke, _)) => serde_json::from_slice::<Value>(body_for_journal)
            .ok()
            .and_then(|body| body["modelId"].as_str().map(str::to_owned)),
        Some((_, segments)) if segments[0] == "model" => Some(segments[1].clone()),
        _ => None,
    };
    state.journal.record(journal_entry(
        routed.as_ref().map(|(operation, _)| *operation),
        model_id,
        parts.uri.path(),
        &parts.headers,
        body_for_journal,
    ));

    let Some((operation, segments)) = routed else {
        return Err(ApiError::new(
            "UnknownOperationException",
            404,
            format!("No Bedrock Runtime operation is served at {} {}.", parts.method, parts.uri.path()),
        ));
    };
    let call = Call::new(&state.script, &parts.headers, body?, started);
    match operation {
        Operation::Converse => converse::converse(&call, &segments[1], false).await,
        Operation::ConverseStream => converse::converse(&call, &segments[1], true).await,
        Operation::InvokeModel => invoke::invoke(&call, &segments[1], false).await,
        Operation::InvokeModelWithResponseStream => invoke::invoke(&call, &segments[1], true).await,
        Operation::CountTokens => converse::count_tokens(&call, &segments[1]),
        Operation::ApplyGuardrail => guardrails::apply(&call, &segments[1], &segments[3]),
        Operation::StartAsyncInvoke => {
            let request = super::validation::json_object(&call.body)?;
            let model_id = request.get("modelId").and_then(Value::as_str);
            state.script.decide(&Facts {
                operation: operation.name(),
                model_id,
                last_user_text: None,
                after_tool_result: false,
                answers: false,
            })?;
            let script = state.script.current();
            let duration = script.async_job_duration_ms().unwrap_or(DEFAULT_JOB_DURATION_MS);
            let failure = script.async_job_failure().map(str::to_owned);
            state.jobs.start(&request, &call.region(), duration, failure)
        }
        Operation::GetAsyncInvoke | Operation::ListAsyncInvokes => {
            state.script.decide(&Facts {
                operation: operation.name(),
                model_id: None,
                last_user_text: None,
                after_tool_result: false,
                answers: false,
            })?;
            if operation == Operation::GetAsyncInvoke {
                state.jobs.get(&segments[1])
            } else {
                state.jobs.list(parts.uri.query().unwrap_or_default())
            }
        }
        Operation::InvokeModelWithBidirectionalStream | Operation::InvokeGuardrailChecks => {
            Err(ApiError::validation(format!("{} is not supported by the emulator.", operation.name())))
        }
    }
}

async fn control(state: &AppState, request: Request) -> Response {
    let ok = || axum::Json(json!({"ok": true})).into_response();
    let (parts, body) = request.into_parts();
    match (parts.method.as_str(), parts.uri.path()) {
        ("GET", "/_emulator/health") => ok(),
        ("GET", "/_emulator/requests") => axum::Json(state.journal.snapshot()).into_response(),
        ("DELETE", "/_emulator/requests") => {
            state.journal.clear();
            ok()
        }
        ("GET", "/_emulator/script") => axum::Json(state.script.current().as_ref().clone()).into_response(),
        ("PUT", "/_emulator/script") => {
            let text = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(error) => return ApiError::validation(format!("cannot read the script: {error}")).into_response(),
            };
            match Script::from_json(&text) {
                Ok(script) => {
                    state.script.replace(script);
                    ok()
                }
                Err(error) => ApiError::validation(format!("The script was not replaced: {error}")).into_response(),
            }
        }
        (method, path) => (
            StatusCode::NOT_FOUND,
            axum::Json(
                json!({"message": format!("No emulator control endpoint at {method} {path}; see docs/emulator.md.")}),
            ),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_split_before_decoding() {
        let (operation, segments) =
            route(&Method::POST, "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse").unwrap();
        assert_eq!(operation, Operation::Converse);
        assert_eq!(segments[1], "us.anthropic.claude-3-5-sonnet-20241022-v2:0");
        let arn = "/async-invoke/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aasync-invoke%2Fabcdef123456";
        let (operation, segments) = route(&Method::GET, arn).unwrap();
        assert_eq!(operation, Operation::GetAsyncInvoke);
        assert_eq!(segments[1], "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdef123456");
        let model_arn = "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx/invoke";
        assert_eq!(route(&Method::POST, model_arn).unwrap().0, Operation::InvokeModel);
        assert!(route(&Method::GET, "/model/x/converse").is_none());
    }
}
