//! A per-call interceptor that counts HTTP attempts and announces retries.
//!
//! Retries stay in the SDK's retry machinery; this only watches it. The SDK
//! does not expose the backoff it chose (the standard strategy keeps it in a
//! local of the orchestrator's attempt loop), so a retry is announced from
//! `read_before_transmit` of the next attempt: after the SDK slept and just
//! before the request goes out again. `delay_ms` is the time the SDK actually
//! waited between the end of the failed attempt and that moment (backoff plus
//! any adaptive rate-limiter wait), measured, not predicted.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use super::{RetryCallback, RetryNotice};

/// What one call has seen so far; shared between the interceptor and the
/// code that maps the call's error.
#[derive(Debug, Default)]
pub(crate) struct AttemptLog {
    state: Mutex<AttemptState>,
}

#[derive(Debug, Default)]
struct AttemptState {
    /// HTTP attempts handed to the connector.
    sent: u32,
    /// How the last attempt ended, if it failed, and when.
    last_failure: Option<(Instant, String, String)>,
}

impl AttemptLog {
    pub(crate) fn attempts(&self) -> u32 {
        self.lock().sent
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AttemptState> {
        // A panic in a user callback cannot leave the counters inconsistent.
        crate::sync::lock(&self.state)
    }
}

/// Watches one call. `E` is the operation's error type, so the error code of
/// a failed attempt can be read from the service's answer.
pub(crate) struct AttemptObserver<E> {
    log: Arc<AttemptLog>,
    on_retry: Option<RetryCallback>,
    operation_error: PhantomData<fn() -> E>,
}

impl<E> AttemptObserver<E> {
    pub(crate) fn new(log: Arc<AttemptLog>, on_retry: Option<RetryCallback>) -> Self {
        Self { log, on_retry, operation_error: PhantomData }
    }
}

impl<E> fmt::Debug for AttemptObserver<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttemptObserver").field("log", &self.log).finish_non_exhaustive()
    }
}

impl<E> Intercept for AttemptObserver<E>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn name(&self) -> &'static str {
        "BedrockHostAttemptObserver"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let notice = {
            let mut state = self.log.lock();
            state.sent += 1;
            state.last_failure.take().map(|(failed_at, error_code, message)| RetryNotice {
                attempt: state.sent,
                delay_ms: u64::try_from(failed_at.elapsed().as_millis()).unwrap_or(u64::MAX),
                error_code,
                message,
            })
        };
        if let (Some(notice), Some(on_retry)) = (notice, &self.on_retry) {
            on_retry(notice);
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let failure = match context.output_or_error() {
            Some(Err(error)) => Some(describe_failure::<E>(error, context)),
            _ => None,
        };
        self.log.lock().last_failure = failure.map(|(code, message)| (Instant::now(), code, message));
        Ok(())
    }
}

/// `(error code, message)` of a failed attempt: Bedrock's exception name when
/// it answered, else what kind of transport failure it was.
fn describe_failure<E>(
    error: &OrchestratorError<aws_smithy_runtime_api::client::interceptors::context::Error>,
    context: &FinalizerInterceptorContextRef<'_>,
) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(operation_error) = error.as_operation_error().and_then(|e| e.downcast_ref::<E>()) {
        let code = operation_error
            .code()
            .map(str::to_owned)
            .or_else(|| context.response().map(|r| format!("HTTP {}", r.status().as_u16())))
            .unwrap_or_else(|| "Unknown".to_owned());
        let message = operation_error.message().map(str::to_owned).unwrap_or_else(|| operation_error.to_string());
        return (code, message);
    }
    let code = if error.is_timeout_error() {
        "Timeout"
    } else if let Some(connector) = error.as_connector_error() {
        if connector.is_timeout() { "Timeout" } else { "ConnectionError" }
    } else if error.is_response_error() {
        "ResponseError"
    } else {
        "Other"
    };
    (code.to_owned(), super::errors::error_chain(error))
}
