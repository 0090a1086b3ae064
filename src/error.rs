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
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BedrockErrorData {
    /// Bedrock's exception name, e.g. `ThrottlingException`.
    pub bedrock_code: String,
    pub http_status: u16,
    pub retryable: bool,
    /// How many HTTP attempts were made, retries included.
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

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
    Bedrock { message: String, data: BedrockErrorData, partial: Option<Value> },
    #[error("{kind} `{id}` not found")]
    NotFound { kind: &'static str, id: String },
    #[error("no usable AWS credentials or region: {message}")]
    NoCredentials { message: String, hint: String },
    #[error("could not reach Bedrock: {message}")]
    Unreachable { message: String, attempts: u32, partial: Option<Value> },
    /// The storage directory cannot be used; `message` names it and what to do.
    #[error("{message}")]
    Storage { path: String, message: String },
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
            Self::NoCredentials { .. } => code::NO_CREDENTIALS,
            Self::Unreachable { .. } => code::UNREACHABLE,
            Self::Storage { .. } | Self::Internal(_) => code::INTERNAL_ERROR,
        }
    }

    /// The `data` member of the JSON-RPC error object, if any.
    pub fn data(&self) -> Option<Value> {
        match self {
            Self::InvalidParams { errors, .. } => Some(json!({ "errors": errors })),
            Self::Cancelled { partial } => partial.as_ref().map(|p| json!({ "partial": p })),
            Self::Bedrock { data, partial, .. } => {
                let mut value = serde_json::to_value(data).expect("plain struct serializes");
                if let Some(partial) = partial {
                    value["partial"] = partial.clone();
                }
                Some(value)
            }
            Self::NotFound { kind, id } => Some(json!({ "kind": kind, "id": id })),
            Self::NoCredentials { hint, .. } => Some(json!({ "hint": hint })),
            Self::Storage { path, .. } => Some(json!({ "storageDir": path })),
            Self::Unreachable { attempts, partial, .. } => {
                let mut value = json!({ "attempts": attempts });
                if let Some(partial) = partial {
                    value["partial"] = partial.clone();
                }
                Some(value)
            }
            _ => None,
        }
    }

    /// Attach what a turn produced before it failed (`data.partial`).
    pub fn with_partial(mut self, produced: Value) -> Self {
        match &mut self {
            Self::Cancelled { partial } | Self::Bedrock { partial, .. } | Self::Unreachable { partial, .. } => {
                *partial = Some(produced)
            }
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
            },
            partial: None,
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
