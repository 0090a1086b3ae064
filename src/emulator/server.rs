//! HTTP: routing on the raw path (split on `/`, then percent-decode each segment), the journal,
//! `x-amzn-RequestId` on every answer, and the `/_emulator/*` control endpoints, which answer only
//! requests that carry the control token and name a loopback `Host` with the bound port.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
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

/// The header that carries the control token (`Authorization: Bearer <token>` works too).
pub const CONTROL_TOKEN_HEADER: &str = "x-emulator-token";

/// The shortest control token accepted.
pub const MIN_CONTROL_TOKEN_CHARS: usize = 16;

/// The control endpoints' guard: the token they require and the address the emulator is bound to.
pub struct Control {
    token: String,
    bound: SocketAddr,
}

impl Control {
    pub fn new(token: String, bound: SocketAddr) -> Self {
        Control { token, bound }
    }

    /// The answer for a request that may not use the control endpoints; `None` admits it.
    fn refusal(&self, headers: &HeaderMap) -> Option<Response> {
        let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or_default();
        if !host_is_loopback(host, self.bound) {
            return Some(control_error(
                StatusCode::FORBIDDEN,
                format!(
                    "The control endpoints answer only a loopback Host with port {} (localhost, 127.0.0.1, [::1]), not `{host}`.",
                    self.bound.port()
                ),
            ));
        }
        let presented = headers.get(CONTROL_TOKEN_HEADER).and_then(|value| value.to_str().ok()).or_else(|| {
            let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
            let (scheme, token) = authorization.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
        });
        match presented {
            Some(token) if constant_time_eq(token.as_bytes(), self.token.as_bytes()) => None,
            presented => {
                let problem = if presented.is_some() { "a wrong control token" } else { "no control token" };
                let mut response = control_error(
                    StatusCode::UNAUTHORIZED,
                    format!(
                        "This request carries {problem}. Send the emulator's token as `{CONTROL_TOKEN_HEADER}: <token>` \
                         or `Authorization: Bearer <token>`: the one given with --control-token \
                         (BEDROCK_EMULATOR_CONTROL_TOKEN), or the `control-token:` line the emulator printed; see \
                         docs/emulator.md \"Control\"."
                    ),
                );
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                Some(response)
            }
        }
    }
}

fn control_error(status: StatusCode, message: String) -> Response {
    (status, axum::Json(json!({ "message": message }))).into_response()
}

/// Whether a `Host` header names this emulator on loopback: `localhost`, a loopback address or the
/// bound address, with the bound port (80 when the header has none). Anything else may be a DNS
/// rebinding page in a browser.
fn host_is_loopback(host: &str, bound: SocketAddr) -> bool {
    let (name, port) = match host.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((name, "")) => (name, None),
            Some((name, rest)) => match rest.strip_prefix(':') {
                Some(port) => (name, Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let port = match port {
        None => 80,
        Some(port) => match port.parse::<u16>() {
            Ok(port) => port,
            Err(_) => return false,
        },
    };
    if port != bound.port() {
        return false;
    }
    if name.eq_ignore_ascii_case("localhost") || name.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback() || (ip == bound.ip() && !ip.is_unspecified()))
}

/// Compares without stopping at the first difference, so timing does not reveal a prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether a request header is a credential the journal must not keep: `authorization` and any
/// name holding `token`, `secret`, `cookie`, `password`, `credential` or `api-key`.
fn is_credential_header(name: &str) -> bool {
    const WORDS: &[&str] = &["authorization", "token", "secret", "cookie", "password", "credential", "api-key"];
    let name = name.to_ascii_lowercase();
    WORDS.iter().any(|word| name.contains(word))
}

pub struct AppState {
    script: LiveScript,
    journal: Journal,
    jobs: Arc<Jobs>,
    /// `None`: the control endpoints are off.
    control: Option<Control>,
    /// How long a request body may take to arrive.
    body_timeout: Duration,
}

impl AppState {
    pub fn new(
        script: Script,
        journal: Journal,
        jobs: Arc<Jobs>,
        control: Option<Control>,
        body_timeout: Duration,
    ) -> Self {
        AppState { script: LiveScript::new(script), journal, jobs, control, body_timeout }
    }

    /// The request body, read within the body timeout and the size limit.
    async fn read_body(&self, body: axum::body::Body) -> Result<axum::body::Bytes, ApiError> {
        match tokio::time::timeout(self.body_timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(error)) => Err(ApiError::validation(format!(
                "The request body could not be read or exceeds {MAX_BODY_BYTES} bytes: {error}"
            ))),
            Err(_) => Err(ApiError::new(
                "RequestTimeoutException",
                408,
                format!("The request body did not arrive within {} ms.", self.body_timeout.as_millis()),
            )),
        }
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
    for name in headers.keys().filter(|name| !is_credential_header(name.as_str())) {
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
    let body = state.read_body(body).await;
    let body_for_journal: &[u8] = body.as_ref().map_or(&[], |body| body.as_ref());
    let model_id = match &routed {
        Some((Operation::StartAsyncInvoke, _)) => super::validation::json_object(body_for_journal)
            .ok()
            .and_then(|body| body.get("modelId").and_then(Value::as_str).map(str::to_owned)),
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
    let Some(control) = &state.control else {
        return control_error(
            StatusCode::NOT_FOUND,
            "The emulator's control endpoints are off; see docs/emulator.md \"Control\".".to_owned(),
        );
    };
    if let Some(refusal) = control.refusal(&parts.headers) {
        return refusal;
    }
    match (parts.method.as_str(), parts.uri.path()) {
        ("GET", "/_emulator/health") => ok(),
        ("GET", "/_emulator/requests") => axum::Json(state.journal.snapshot()).into_response(),
        ("DELETE", "/_emulator/requests") => {
            state.journal.clear();
            ok()
        }
        ("GET", "/_emulator/script") => axum::Json(state.script.current().as_ref().clone()).into_response(),
        ("PUT", "/_emulator/script") => {
            let text = match state.read_body(body).await {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(error) => return error.into_response(),
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

    #[test]
    fn only_loopback_hosts_with_the_bound_port_pass() {
        let bound: SocketAddr = "127.0.0.1:4567".parse().unwrap();
        for good in ["127.0.0.1:4567", "localhost:4567", "LOCALHOST:4567", "[::1]:4567", "127.0.0.2:4567"] {
            assert!(host_is_loopback(good, bound), "{good}");
        }
        for bad in [
            "",
            "127.0.0.1",
            "127.0.0.1:80",
            "evil.example:4567",
            "localhost.evil.example:4567",
            "10.0.0.1:4567",
            "[::1]",
            "[::1]x:4567",
            "127.0.0.1:4567:1",
            "x",
        ] {
            assert!(!host_is_loopback(bad, bound), "{bad}");
        }
        let everywhere: SocketAddr = "0.0.0.0:4567".parse().unwrap();
        assert!(!host_is_loopback("0.0.0.0:4567", everywhere));
        let lan: SocketAddr = "192.168.1.5:4567".parse().unwrap();
        assert!(host_is_loopback("192.168.1.5:4567", lan), "the bound address itself");
    }

    #[test]
    fn credential_headers_are_recognised() {
        for name in ["authorization", "x-amz-security-token", "x-emulator-token", "cookie", "x-api-key", "x-my-secret"]
        {
            assert!(is_credential_header(name), "{name}");
        }
        for name in ["x-amz-content-sha256", "content-type", "x-amz-date", "amz-sdk-request", "x-amzn-bedrock-trace"] {
            assert!(!is_credential_header(name), "{name}");
        }
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
