//! The one translation from the SDK's errors to [`HostError`].
//!
//! Bedrock's exceptions become -32001 with the exception name, HTTP status,
//! whether retrying later may help, how many HTTP attempts were made and the
//! request id; transport failures and timeouts become -32005; missing
//! credentials or region become -32004 with a hint a person can follow.

use std::error::Error as StdError;

use aws_credential_types::provider::error::{CredentialsError, TokenError};
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response as HttpResponse;

use crate::error::{BedrockErrorData, HostError};

/// What the error message needs to know about the call that failed.
#[derive(Debug, Clone)]
pub(crate) struct CallContext {
    /// The Bedrock operation, e.g. `Converse`.
    pub operation: &'static str,
    /// The IAM action that authorizes it, e.g. `bedrock:InvokeModel`.
    pub iam_action: &'static str,
    /// What was called, for messages: "model `x`", "guardrail `g` version `1`", …
    pub target: String,
    pub region: String,
    pub attempts: u32,
}

/// Where a Bedrock exception was read from.
pub(crate) struct ServiceFailure<'a> {
    pub code: Option<&'a str>,
    pub message: Option<&'a str>,
    pub http_status: u16,
    pub request_id: Option<String>,
}

pub(crate) const REGION_HINT: &str = "Set the AWS region: export AWS_REGION=us-east-1 (or another region where Bedrock \
     offers your model), pass --region us-east-1, or put `region = us-east-1` in your profile in ~/.aws/config.";

pub(crate) const CREDENTIALS_HINT: &str = "Give bedrock-host AWS credentials in one of these ways: \
     export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary credentials); \
     or set AWS_PROFILE (or pass --profile NAME) to a profile in ~/.aws/config, and for an SSO profile run \
     `aws sso login --profile NAME` first; or export AWS_BEARER_TOKEN_BEDROCK with a Bedrock API key. \
     To try bedrock-host without AWS, run it with --emulator.";

/// -32004 for a call made while no usable region is configured; `problem`:
/// why the region the AWS chain found was set aside.
pub(crate) fn no_region(operation: &str, problem: Option<&str>) -> HostError {
    let message = match problem {
        None => format!("no AWS region is configured, so {operation} has no Bedrock endpoint to call"),
        Some(problem) => {
            format!("no usable AWS region is configured ({problem}), so {operation} has no Bedrock endpoint to call")
        }
    };
    HostError::NoRegion { message, hint: REGION_HINT.to_owned() }
}

/// Maps the error of an SDK call whose answer is an HTTP response.
pub(crate) fn from_sdk_error<E>(error: SdkError<E, HttpResponse>, call: &CallContext) -> HostError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let raw = service.raw();
            let request_id = raw
                .headers()
                .get("x-amzn-RequestId")
                .or_else(|| raw.headers().get("x-amz-request-id"))
                .map(str::to_owned);
            let http_status = raw.status().as_u16();
            let error = service.err();
            from_service_failure(
                ServiceFailure { code: error.code(), message: error.message(), http_status, request_id },
                call,
            )
        }
        other => from_transport_error(&other, call),
    }
}

/// A stream that ended cleanly but before its `messageStop`: the answer is
/// incomplete (a proxy or load balancer closed it), so it must not count as done.
pub(crate) fn stream_incomplete(call: &CallContext) -> HostError {
    HostError::StreamInterrupted {
        message: format!(
            "the {} stream for {} ended before Bedrock's messageStop, so the answer is incomplete. What arrived \
             is kept; retry the call.",
            call.operation, call.target
        ),
        attempts: call.attempts,
        partial: None,
    }
}

/// A stream that went silent for longer than its idle timeout (streamIdleTimeoutMs).
pub(crate) fn stream_idle(call: &CallContext, idle: super::StreamIdle) -> HostError {
    HostError::StreamInterrupted {
        message: format!(
            "the {} stream for {} sent nothing for {} ms ({}) and was given up. What arrived before is kept; \
             retry the call, or raise streamIdleTimeoutMs if the model needs longer before or between tokens.",
            call.operation,
            call.target,
            idle.limit.as_millis(),
            idle.source,
        ),
        attempts: call.attempts,
        partial: None,
    }
}

/// Maps a failure that is not Bedrock answering with an exception: the
/// request was not built, not sent, timed out, or its answer was cut off.
pub(crate) fn from_transport_error(error: &(dyn StdError + 'static), call: &CallContext) -> HostError {
    if let Some(credentials) = find_credentials_error(error) {
        return HostError::NoCredentials {
            message: format!("found no AWS credentials to sign {} with ({credentials})", call.operation),
            hint: CREDENTIALS_HINT.to_owned(),
        };
    }
    if let Some(build) = find_build_error(error) {
        // The SDK could not build the request from what was given (an empty id in its URL, …):
        // nothing was sent, and the network is not to blame. Handlers refuse these first, by name.
        return HostError::invalid_field(
            "",
            format!("the {} request for {} cannot be built: {build}", call.operation, call.target),
        );
    }
    let detail = error_chain(error);
    HostError::Unreachable {
        message: format!(
            "{} for {} in region `{}` failed after {} attempt(s): {detail}. Check the network and the endpoint \
             (AWS_ENDPOINT_URL_BEDROCK_RUNTIME / --endpoint-url), or raise requestTimeoutMs if the model needs longer.",
            call.operation, call.target, call.region, call.attempts
        ),
        attempts: call.attempts,
        partial: None,
    }
}

/// Maps one Bedrock exception, from an HTTP error answer or a stream frame.
pub(crate) fn from_service_failure(failure: ServiceFailure<'_>, call: &CallContext) -> HostError {
    let code = failure.code.map(str::to_owned).unwrap_or_else(|| format!("HTTP{}", failure.http_status));
    let said = failure.message.unwrap_or("(Bedrock gave no message)");
    let retryable = is_retryable(&code, failure.http_status);
    let message = explain(&code, said, call);
    HostError::Bedrock {
        message,
        data: BedrockErrorData {
            bedrock_code: code,
            http_status: failure.http_status,
            retryable,
            attempts: call.attempts,
            request_id: failure.request_id,
            partial: None,
        },
    }
}

/// Whether the same call may succeed later: throttling, a model still
/// loading, or a server-side fault. The SDK retries exactly these.
fn is_retryable(code: &str, http_status: u16) -> bool {
    matches!(
        code,
        "ThrottlingException"
            | "ThrottledException"
            | "TooManyRequestsException"
            | "ModelNotReadyException"
            | "InternalServerException"
            | "ServiceUnavailableException"
    ) || matches!(http_status, 500 | 502 | 503 | 504)
}

fn explain(code: &str, said: &str, call: &CallContext) -> String {
    let CallContext { operation, iam_action, target, region, attempts, .. } = call;
    // Bedrock's messages usually end with a period; where more sentences follow, that period is ours.
    let clipped = said.trim_end_matches('.');
    match code {
        "AccessDeniedException" => format!(
            "Bedrock denied {operation} on {target} in region `{region}`: {clipped}. Allow the IAM action \
             `{iam_action}` on this resource for your identity, and check that access to the model is enabled \
             in the Bedrock console of `{region}`."
        ),
        "ThrottlingException" | "ThrottledException" | "TooManyRequestsException" => format!(
            "Bedrock throttled {operation} on {target} in region `{region}` after {attempts} attempt(s): {clipped}. \
             This is a requests- or tokens-per-minute quota, not a context-window limit: wait and retry, raise \
             --max-attempts, use a cross-region inference profile, or ask for a higher quota."
        ),
        "ValidationException" => format!("Bedrock rejected the {operation} request for {target}: {said}",),
        "ResourceNotFoundException" => {
            let profile_hint = if target.starts_with("model") {
                " (some models are only reachable through an inference profile such as `us.…`)"
            } else {
                ""
            };
            format!(
                "Bedrock found no {target} in region `{region}`: {clipped}. Check the id, and that it is offered in \
                 `{region}`{profile_hint}."
            )
        }
        "ModelNotReadyException" => format!(
            "{target} is not ready to serve requests yet in region `{region}`: {clipped}. Retry in a little while."
        ),
        "ModelTimeoutException" => {
            format!(
                "{target} took too long to answer {operation}: {clipped}. Retry, or ask for less output (maxTokens)."
            )
        }
        "ModelErrorException" => format!("{target} failed while processing the {operation} request: {said}"),
        "ModelStreamErrorException" => format!("{target} failed in the middle of its stream: {said}"),
        "ServiceQuotaExceededException" => format!(
            "{operation} on {target} in region `{region}` exceeds a Bedrock quota: {clipped}. Wait until the \
             quota resets or ask for a higher quota in the Service Quotas console."
        ),
        "InternalServerException" | "ServiceUnavailableException" => format!(
            "Bedrock could not serve {operation} on {target} in region `{region}` after {attempts} attempt(s) \
             ({code}): {clipped}. This is on Bedrock's side; retry later."
        ),
        "ConflictException" => format!("Bedrock refused {operation}: {said}"),
        _ => format!("Bedrock answered {operation} on {target} with {code}: {said}"),
    }
}

fn find_credentials_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<CredentialsError>() || error.is::<TokenError>() {
            return Some(error);
        }
        // The orchestrator's own error when no signer has an identity; its type is private.
        if error.to_string().contains("there was no identity resolver") {
            return Some(error);
        }
        current = error.source();
    }
    None
}

/// The SDK's "cannot build this request" error (a required member missing or empty), if it is one.
fn find_build_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<aws_smithy_types::error::operation::BuildError>() {
            return Some(error);
        }
        current = error.source();
    }
    None
}

/// An error and its sources on one line, outermost first, repeats dropped
/// (the SDK's wrappers often repeat their source's text).
pub(crate) fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if !parts.iter().any(|seen| seen.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

/// An exception frame inside an event stream: the HTTP answer was 200, so
/// the status reported is the one Bedrock's model gives the exception.
pub(crate) trait StreamException: ProvideErrorMetadata + StdError + Send + Sync + 'static {
    /// `(exception name, modelled HTTP status)`; `None` for exceptions this SDK does not know.
    fn name_and_status(&self) -> Option<(&'static str, u16)>;
}

impl StreamException for aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError {
    fn name_and_status(&self) -> Option<(&'static str, u16)> {
        use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError as E;
        match self {
            E::InternalServerException(_) => Some(("InternalServerException", 500)),
            E::ModelStreamErrorException(_) => Some(("ModelStreamErrorException", 424)),
            E::ValidationException(_) => Some(("ValidationException", 400)),
            E::ThrottlingException(_) => Some(("ThrottlingException", 429)),
            E::ServiceUnavailableException(_) => Some(("ServiceUnavailableException", 503)),
            _ => None,
        }
    }
}

impl StreamException for aws_sdk_bedrockruntime::types::error::ResponseStreamError {
    fn name_and_status(&self) -> Option<(&'static str, u16)> {
        use aws_sdk_bedrockruntime::types::error::ResponseStreamError as E;
        match self {
            E::InternalServerException(_) => Some(("InternalServerException", 500)),
            E::ModelStreamErrorException(_) => Some(("ModelStreamErrorException", 424)),
            E::ValidationException(_) => Some(("ValidationException", 400)),
            E::ThrottlingException(_) => Some(("ThrottlingException", 429)),
            E::ModelTimeoutException(_) => Some(("ModelTimeoutException", 408)),
            E::ServiceUnavailableException(_) => Some(("ServiceUnavailableException", 503)),
            _ => None,
        }
    }
}

/// Maps an error read from an event stream after the 200 answer: an
/// exception frame, or the stream breaking off.
pub(crate) fn from_stream_error<E: StreamException>(
    error: SdkError<E, aws_smithy_types::event_stream::RawMessage>,
    call: &CallContext,
    request_id: Option<&str>,
) -> HostError {
    match error {
        SdkError::ServiceError(service) => {
            let exception = service.err();
            let (code, status) = match exception.name_and_status() {
                Some((name, status)) => (Some(name), status),
                None => (exception.code(), 500),
            };
            from_service_failure(
                ServiceFailure {
                    code: Some(code.unwrap_or("UnknownStreamException")),
                    message: exception.message(),
                    http_status: status,
                    request_id: request_id.map(str::to_owned),
                },
                call,
            )
        }
        other => {
            let detail = error_chain(&other);
            HostError::StreamInterrupted {
                message: format!(
                    "the {} stream for {} broke off: {detail}. What arrived before is kept; retry the call.",
                    call.operation, call.target
                ),
                attempts: call.attempts,
                partial: None,
            }
        }
    }
}
