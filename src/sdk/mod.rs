//! The gateway to Amazon Bedrock Runtime: the only module that imports
//! `aws_sdk_bedrockruntime` and the AWS configuration crates.
//!
//! Everything outside sees our own types: [`GatewaySettings`] in,
//! [`BedrockGateway`] with one method per operation, Bedrock's JSON shapes
//! (from [`crate::protocol`]) and `serde_json::Value` through it, and
//! [`HostError`](crate::HostError) out.
//!
//! # Layout
//!
//! - `client`: building the SDK client from the default AWS chain.
//! - `operations`: CountTokens, ApplyGuardrail, Start/Get/ListAsyncInvoke.
//! - `observe`: the per-call interceptor that counts attempts and announces retries.
//! - `errors`: SDK errors → `HostError`, written once.
//! - `convert`: our JSON shapes ⇄ the SDK's types, both ways.
//! - `converse`: Converse and ConverseStream.
//! - `invoke`: InvokeModel and its response stream (native bodies as bytes).

mod client;
mod converse;
mod convert;
mod errors;
mod invoke;
#[cfg(test)]
mod model_drift;
mod observe;
mod operations;

use std::sync::Arc;
use std::time::Duration;

pub use client::BedrockGateway;
pub use converse::ConverseEventStream;
pub use invoke::{InvokeChunkStream, InvokeModelRequest, InvokeModelResponse};

use crate::protocol::RetryMode;

/// How to reach Bedrock. Every unset member falls back to the AWS default
/// chain (environment, profile files, SSO, credential_process, web identity,
/// IMDS) exactly as the AWS CLI resolves it.
#[derive(Debug, Clone, Default)]
pub struct GatewaySettings {
    /// Tried before the chain's region (AWS_REGION, profile, IMDS).
    pub region: Option<String>,
    /// The profile of ~/.aws/config and ~/.aws/credentials to use instead of AWS_PROFILE/`default`.
    pub profile: Option<String>,
    /// Replaces Bedrock Runtime's endpoint, e.g. the emulator's base URL.
    pub endpoint_url: Option<String>,
    /// HTTP attempts per call, the first included (the SDK's default is 3).
    pub max_attempts: Option<u32>,
    pub retry_mode: Option<RetryMode>,
    /// Bounds each HTTP attempt, up to the response headers for streams.
    pub request_timeout: Option<Duration>,
    /// Longest wait for a stream's first event and between two events
    /// (streamIdleTimeoutMs); unset: `request_timeout`, else [`DEFAULT_STREAM_IDLE`].
    pub stream_idle_timeout: Option<Duration>,
    /// `(access key id, secret access key)` used instead of the chain; for the emulator.
    pub static_credentials: Option<(String, String)>,
}

/// One retry the SDK is about to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNotice {
    /// The number of the attempt about to be sent; the first retry is 2.
    pub attempt: u32,
    /// How long the SDK waited after the failed attempt before this one,
    /// measured (the SDK does not expose the backoff it picked).
    pub delay_ms: u64,
    /// Bedrock's exception name (`ThrottlingException`), or `Timeout` /
    /// `ConnectionError` / `ResponseError` for transport failures.
    pub error_code: String,
    pub message: String,
}

pub type RetryCallback = Arc<dyn Fn(RetryNotice) + Send + Sync>;

/// Per-call options.
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Called before each retry is sent, from the task running the call.
    pub on_retry: Option<RetryCallback>,
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions").field("on_retry", &self.on_retry.is_some()).finish()
    }
}

/// The stream idle timeout when neither streamIdleTimeoutMs nor requestTimeoutMs is set.
pub const DEFAULT_STREAM_IDLE: Duration =
    Duration::from_millis(crate::protocol::lifecycle::DEFAULT_STREAM_IDLE_TIMEOUT_MS);

/// How long a stream may stay silent, and which option said so (for the error message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamIdle {
    pub limit: Duration,
    /// `streamIdleTimeoutMs`, `requestTimeoutMs`, or the default's description.
    pub source: &'static str,
}

impl StreamIdle {
    /// streamIdleTimeoutMs, else requestTimeoutMs, else the default.
    pub(crate) fn of(settings: &GatewaySettings) -> Self {
        match (settings.stream_idle_timeout, settings.request_timeout) {
            (Some(limit), _) => Self { limit, source: "streamIdleTimeoutMs" },
            (None, Some(limit)) => Self { limit, source: "requestTimeoutMs" },
            (None, None) => Self { limit: DEFAULT_STREAM_IDLE, source: "streamIdleTimeoutMs, by default" },
        }
    }
}

/// The next event of a response stream, waiting at most `idle` (the SDK's
/// attempt timeout ends with the response headers, so a stream that goes
/// silent would otherwise hang for ever). `None` when the wait ran out.
async fn next_event_within<T, E>(
    receiver: &mut aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver<T, E>,
    idle: Duration,
) -> Option<
    Result<Option<T>, aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_types::event_stream::RawMessage>>,
> {
    tokio::time::timeout(idle, receiver.recv()).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_get_an_idle_timeout_even_when_no_option_sets_one() {
        let idle = |stream: Option<u64>, request: Option<u64>| {
            StreamIdle::of(&GatewaySettings {
                stream_idle_timeout: stream.map(Duration::from_millis),
                request_timeout: request.map(Duration::from_millis),
                ..GatewaySettings::default()
            })
        };
        assert_eq!(
            idle(None, None),
            StreamIdle { limit: Duration::from_secs(120), source: "streamIdleTimeoutMs, by default" }
        );
        assert_eq!(idle(None, Some(500)), StreamIdle { limit: Duration::from_millis(500), source: "requestTimeoutMs" });
        assert_eq!(
            idle(Some(7), Some(500)),
            StreamIdle { limit: Duration::from_millis(7), source: "streamIdleTimeoutMs" }
        );
    }
}
