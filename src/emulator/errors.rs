//! Bedrock's restJson1 error responses (docs/bedrock-wire.md §4).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// The namespace suffix real Bedrock puts after the error name in `x-amzn-ErrorType`.
const ERROR_TYPE_SUFFIX: &str = ":http://internal.amazon.com/coral/com.amazon.bedrock/";

/// The modelled exceptions and their HTTP statuses.
pub const KNOWN_ERRORS: &[(&str, u16)] = &[
    ("ValidationException", 400),
    ("ServiceQuotaExceededException", 400),
    ("ConflictException", 400),
    ("AccessDeniedException", 403),
    ("ResourceNotFoundException", 404),
    ("ModelTimeoutException", 408),
    ("ModelErrorException", 424),
    ("ModelStreamErrorException", 424),
    ("ThrottlingException", 429),
    ("ModelNotReadyException", 429),
    ("InternalServerException", 500),
    ("ServiceUnavailableException", 503),
];

pub fn known_status(name: &str) -> Option<u16> {
    KNOWN_ERRORS.iter().find(|(known, _)| *known == name).map(|(_, status)| *status)
}

/// An error answer: the exception name, its HTTP status, the message and any extra members.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub name: String,
    pub status: StatusCode,
    pub message: String,
    pub extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(name: &str, status: u16, message: impl Into<String>) -> Self {
        ApiError {
            name: name.to_owned(),
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: message.into(),
            extra: Map::new(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", 400, message)
    }

    /// A constraint violation on one member, in Bedrock's own wording.
    pub fn member(path: &str, constraint: &str) -> Self {
        Self::validation(format!(
            "1 validation error detected: Value at '{path}' failed to satisfy constraint: {constraint}"
        ))
    }

    pub fn malformed(detail: impl std::fmt::Display) -> Self {
        Self::validation(format!("Malformed input request: {detail}, please reformat your input and try again."))
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("ResourceNotFoundException", 404, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = self.extra;
        body.insert("message".into(), json!(self.message));
        body.insert("__type".into(), json!(self.name));
        let mut response = (self.status, axum::Json(Value::Object(body))).into_response();
        if let Ok(value) = HeaderValue::from_str(&format!("{}{ERROR_TYPE_SUFFIX}", self.name)) {
            response.headers_mut().insert("x-amzn-ErrorType", value);
        }
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}
