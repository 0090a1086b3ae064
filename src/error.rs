//! The one error type of the host, and its mapping to JSON-RPC error objects.
//!
//! Every failure a client can see is a [`HostError`]. Each variant knows its
//! JSON-RPC code (docs/protocol.md "Errors") and carries the `data` a program needs
//! to react, while `Display` is the message a person reads: it names the
//! field, the value and what to do.

use serde::Serialize;
use serde_json::{Value, json};

/// JSON-RPC and bedrock-host error codes (docs/protocol.md "Errors").
pub mod code {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
    pub const BEDROCK_ERROR: i64 = -32001;
    pub const NOT_INITIALIZED: i64 = -32002;
    pub const NOT_FOUND: i64 = -32003;
    pub const NO_CREDENTIALS: i64 = -32004;
    pub const UNREACHABLE: i64 = -32005;
    pub const STORAGE_FAILED: i64 = -32006;
    pub const REQUEST_CANCELLED: i64 = -32800;
}

/// One bad field of a request's params: `path` is a JSON path such as
/// `messages[0].content[1].toolUse.name`, `message` says what was expected.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }
}

/// What Bedrock said when it answered with an error (`data` of -32001).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BedrockErrorData {
    /// Bedrock's exception name, e.g. `ThrottlingException`.
    pub bedrock_code: String,
    /// The HTTP status of Bedrock's answer.
    pub http_status: u16,
    /// Whether the same call may succeed later (throttling, 500/502/503/504).
    pub retryable: bool,
    /// How many HTTP attempts were made, retries included.
    pub attempts: u32,
    /// Bedrock's request id (`x-amzn-RequestId`), for AWS support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// What the request produced before it failed (a turn's text so far).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<Value>,
}

/// `data` of -32602: every bad field of the params.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct InvalidParamsData {
    /// One entry per bad field.
    pub errors: Vec<FieldError>,
}

/// `data` of -32800 (cancelled), when the request had produced something.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CancelledData {
    /// What the request produced before it was cancelled; the conversation's history does not keep it.
    pub partial: Value,
}

/// `data` of -32003: what was not found.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NotFoundData {
    /// `conversation`, `tool` or `asyncJob`.
    pub kind: String,
    /// The id or name that was looked up.
    pub id: String,
}

/// `data` of -32004: how to give the host credentials or a region.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AwsSetupData {
    /// What to do: environment variables, a profile, `aws sso login`, `--region`.
    pub hint: String,
}

/// `data` of -32005.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct UnreachableData {
    /// How many HTTP attempts were made, retries included.
    pub attempts: u32,
    /// What arrived before the connection or stream broke.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<Value>,
}

/// `data` of -32006: the storage directory could not be used or written.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageData {
    /// The storage directory in question.
    pub storage_dir: String,
    /// What the request produced before its result could not be stored (a turn's messages and
    /// text, when the model had answered but the turn could not be written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<Value>,
}

/// An error code, the name of its `data` shape, and that shape's schema.
pub type ErrorDataShape = (i64, &'static str, fn() -> schemars::Schema);

/// The `data` of every error code that carries one, for the generated schema
/// (`schemas/errors.json`) and the reference.
pub const ERROR_DATA: &[ErrorDataShape] = &[
    (code::INVALID_PARAMS, "InvalidParamsData", || schemars::schema_for!(InvalidParamsData)),
    (code::BEDROCK_ERROR, "BedrockErrorData", || schemars::schema_for!(BedrockErrorData)),
    (code::NOT_FOUND, "NotFoundData", || schemars::schema_for!(NotFoundData)),
    (code::NO_CREDENTIALS, "AwsSetupData", || schemars::schema_for!(AwsSetupData)),
    (code::UNREACHABLE, "UnreachableData", || schemars::schema_for!(UnreachableData)),
    (code::STORAGE_FAILED, "StorageData", || schemars::schema_for!(StorageData)),
    (code::REQUEST_CANCELLED, "CancelledData", || schemars::schema_for!(CancelledData)),
];

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("parse error: {0}")]
    Parse(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error(
        "method not found: `{0}` is not a bedrock-host method; see docs/protocol.md or `initialize`'s capabilities for the list"
    )]
    MethodNotFound(String),
    /// Bad params; `summary` is the person-readable sentence, `errors` one entry per bad field.
    #[error("invalid params: {summary}")]
    InvalidParams { summary: String, errors: Vec<FieldError> },
    #[error("the host is not initialized: send `initialize` first")]
    NotInitialized,
    #[error("request cancelled")]
    Cancelled { partial: Option<Value> },
    #[error("{message}")]
    Bedrock { message: String, data: BedrockErrorData },
    #[error("{kind} `{id}` not found")]
    NotFound { kind: &'static str, id: String },
    #[error("no usable AWS credentials: {message}")]
    NoCredentials { message: String, hint: String },
    #[error("no AWS region: {message}")]
    NoRegion { message: String, hint: String },
    /// The request did not get through: network, endpoint, timeout.
    #[error("could not reach Bedrock: {message}")]
    Unreachable { message: String, attempts: u32, partial: Option<Value> },
    /// The call got through but its answer stream broke off, went silent or
    /// ended early; `message` says which.
    #[error("{message}")]
    StreamInterrupted { message: String, attempts: u32, partial: Option<Value> },
    /// The storage directory cannot be used or written (not writable, locked by another host,
    /// full); `message` names it and what to do.
    #[error("{message}")]
    Storage { path: String, message: String, partial: Option<Value> },
    #[error("internal error: {0}")]
    Internal(String),
}

impl HostError {
    /// Invalid params with a single bad field.
    pub fn invalid_field(path: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(path, message);
        Self::InvalidParams { summary: format!("`{}`: {}", error.path, error.message), errors: vec![error] }
    }

    pub fn code(&self) -> i64 {
        match self {
            Self::Parse(_) => code::PARSE_ERROR,
            Self::InvalidRequest(_) => code::INVALID_REQUEST,
            Self::MethodNotFound(_) => code::METHOD_NOT_FOUND,
            Self::InvalidParams { .. } => code::INVALID_PARAMS,
            Self::NotInitialized => code::NOT_INITIALIZED,
            Self::Cancelled { .. } => code::REQUEST_CANCELLED,
            Self::Bedrock { .. } => code::BEDROCK_ERROR,
            Self::NotFound { .. } => code::NOT_FOUND,
            Self::NoCredentials { .. } | Self::NoRegion { .. } => code::NO_CREDENTIALS,
            Self::Unreachable { .. } | Self::StreamInterrupted { .. } => code::UNREACHABLE,
            Self::Storage { .. } => code::STORAGE_FAILED,
            Self::Internal(_) => code::INTERNAL_ERROR,
        }
    }

    /// The `data` member of the JSON-RPC error object, if any: one of the
    /// typed shapes of [`ERROR_DATA`].
    pub fn data(&self) -> Option<Value> {
        fn to_json(data: impl Serialize) -> Option<Value> {
            Some(serde_json::to_value(data).expect("error data serializes"))
        }
        match self {
            Self::InvalidParams { errors, .. } => to_json(InvalidParamsData { errors: errors.clone() }),
            Self::Cancelled { partial } => partial.clone().and_then(|partial| to_json(CancelledData { partial })),
            Self::Bedrock { data, .. } => to_json(data),
            Self::NotFound { kind, id } => to_json(NotFoundData { kind: kind.to_string(), id: id.clone() }),
            Self::NoCredentials { hint, .. } | Self::NoRegion { hint, .. } => {
                to_json(AwsSetupData { hint: hint.clone() })
            }
            Self::Storage { path, partial, .. } => {
                to_json(StorageData { storage_dir: path.clone(), partial: partial.clone() })
            }
            Self::Unreachable { attempts, partial, .. } | Self::StreamInterrupted { attempts, partial, .. } => {
                to_json(UnreachableData { attempts: *attempts, partial: partial.clone() })
            }
            _ => None,
        }
    }

    /// Attach what a turn produced before it failed (`data.partial`).
    pub fn with_partial(mut self, produced: Value) -> Self {
        match &mut self {
            Self::Cancelled { partial }
            | Self::Bedrock { data: BedrockErrorData { partial, .. }, .. }
            | Self::Unreachable { partial, .. }
            | Self::StreamInterrupted { partial, .. }
            | Self::Storage { partial, .. } => *partial = Some(produced),
            _ => {}
        }
        self
    }

    /// The JSON-RPC error object: `{code, message, data?}`.
    pub fn to_error_object(&self) -> Value {
        let mut object = json!({ "code": self.code(), "message": self.to_string() });
        if let Some(data) = self.data() {
            object["data"] = data;
        }
        object
    }
}

pub type HostResult<T> = Result<T, HostError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_params_names_the_field() {
        let error = HostError::invalid_field("messages[0].role", "expected `user` or `assistant`");
        assert_eq!(
            error.to_error_object(),
            json!({
                "code": -32602,
                "message": "invalid params: `messages[0].role`: expected `user` or `assistant`",
                "data": {"errors": [{"path": "messages[0].role", "message": "expected `user` or `assistant`"}]}
            })
        );
    }

    #[test]
    fn bedrock_error_carries_partial() {
        let error = HostError::Bedrock {
            message: "Bedrock throttled the call".into(),
            data: BedrockErrorData {
                bedrock_code: "ThrottlingException".into(),
                http_status: 429,
                retryable: true,
                attempts: 3,
                request_id: None,
                partial: None,
            },
        }
        .with_partial(json!({"text": "Hel"}));
        assert_eq!(
            error.data(),
            Some(
                json!({"bedrockCode": "ThrottlingException", "httpStatus": 429, "retryable": true, "attempts": 3, "partial": {"text": "Hel"}})
            )
        );
    }
}
