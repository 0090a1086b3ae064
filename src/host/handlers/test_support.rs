//! Methods for the integration tests, NOT part of the protocol: served (and
//! listed in `capabilities.methods`) only when `BEDROCK_HOST_TEST_METHODS=1`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::HostResult;
use crate::host::RequestContext;
use crate::transport::ClientRequestError;

pub const SLEEP: &str = "test/sleep";
pub const ASK_CLIENT: &str = "test/askClient";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SleepParams {
    pub ms: u64,
}

#[derive(Debug, Serialize)]
pub struct SleepResult {
    pub slept: u64,
}

/// `test/sleep {ms}` → `{slept: ms}` after `ms` milliseconds; cancellable.
pub async fn sleep(_ctx: RequestContext, params: SleepParams) -> HostResult<SleepResult> {
    tokio::time::sleep(Duration::from_millis(params.ms)).await;
    Ok(SleepResult { slept: params.ms })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AskClientParams {
    pub method: String,
    #[serde(default)]
    pub params: Value,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    10_000
}

/// `test/askClient {method, params, timeoutMs}` sends a request to the client
/// → `{result}` with its answer, `{error}` with its error object, or
/// `{timedOut: true}`. Cancelled while waiting, it answers -32800 with
/// `data.partial: {asked: method}`.
pub async fn ask_client(ctx: RequestContext, params: AskClientParams) -> HostResult<Value> {
    ctx.partial.set(json!({ "asked": params.method }));
    let timeout = Duration::from_millis(params.timeout_ms);
    let answer = match ctx.client.start_request(&params.method, params.params) {
        Ok(request) => request.response(timeout).await,
        Err(error) => Err(error),
    };
    match answer {
        Ok(result) => Ok(json!({ "result": result })),
        Err(ClientRequestError::Error { error, .. }) => Ok(json!({ "error": error })),
        Err(ClientRequestError::Timeout { .. }) => Ok(json!({ "timedOut": true })),
        Err(other) => Err(crate::error::HostError::Internal(other.to_string())),
    }
}
