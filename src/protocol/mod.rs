//! The wire types of docs/protocol.md: every params, result and notification
//! payload, with serde and schemars derives, and the method names as
//! constants. This module owns the JSON the host speaks; `schemas/` is
//! generated from it (`bedrock-host schema --out schemas`).
//!
//! Bedrock's own shapes (messages, content blocks, inference config, …) live
//! in [`bedrock`] and are used unchanged inside the method types: one
//! vocabulary, Bedrock Converse's.

pub mod agent;
pub mod lifecycle;
pub mod methods;
pub mod notifications;
pub mod shapes;
mod table;
pub mod warnings;

pub use agent::*;
pub use lifecycle::*;
pub use methods::*;
pub use notifications::*;
pub use table::{
    Direction, MessageKind, PROTOCOL_METHODS, ProtocolMethod, SchemaFn, method, params_schema_errors, protocol_method,
};
pub use warnings::*;

/// The protocol version `initialize` reports.
pub const PROTOCOL_VERSION: &str = "1";

/// Parses a request's params into `T`. Missing or null params count as `{}`;
/// positional (array) params are refused. Errors become -32602 with the JSON
/// path of the bad field (`messages[0].content`), and a missing field is
/// reported at its own path, not its parent's.
pub fn parse_params<T: serde::de::DeserializeOwned>(params: Option<serde_json::Value>) -> crate::HostResult<T> {
    use crate::{FieldError, HostError};
    let value = match params {
        None | Some(serde_json::Value::Null) => serde_json::Value::Object(serde_json::Map::new()),
        Some(serde_json::Value::Array(_)) => {
            return Err(HostError::InvalidParams {
                summary: "params must be an object of named fields, not an array".into(),
                errors: vec![FieldError::new("", "expected an object of named fields, found an array")],
            });
        }
        Some(value) => value,
    };
    serde_path_to_error::deserialize::<_, T>(value).map_err(|error| {
        let mut path = error.path().to_string();
        if path == "." {
            path.clear();
        }
        let message = error.inner().to_string();
        // serde reports a missing field at its parent; point at the field itself.
        if let Some(field) = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
            path = if path.is_empty() { field.to_string() } else { format!("{path}.{field}") };
        }
        let summary = if path.is_empty() { message.clone() } else { format!("`{path}`: {message}") };
        HostError::InvalidParams { summary, errors: vec![FieldError::new(path, message)] }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::HostError;

    fn invalid(params: serde_json::Value) -> (String, String) {
        match parse_params::<ConverseParams>(Some(params)) {
            Err(HostError::InvalidParams { errors, .. }) => (errors[0].path.clone(), errors[0].message.clone()),
            other => panic!("expected invalid params, got {other:?}"),
        }
    }

    #[test]
    fn a_bad_nested_field_is_named_by_its_path() {
        let (path, message) = invalid(json!({"modelId": "m", "messages": [{"role": "user", "content": [
            {"text": "ok"}, {"toolUse": {"toolUseId": "a", "name": 3, "input": {}}}]}]}));
        assert_eq!(path, "messages[0].content[1].toolUse.name");
        assert!(message.contains("expected a string"), "{message}");
    }

    #[test]
    fn a_two_key_content_block_is_named_by_its_path() {
        let (path, message) = invalid(
            json!({"modelId": "m", "messages": [{"role": "user", "content": [{"text": "a", "cachePoint": {"type": "default"}}]}]}),
        );
        // A parsed object iterates its keys sorted, so `cachePoint` comes first.
        assert_eq!(path, "messages[0].content[0]");
        assert!(message.contains("both `cachePoint` and `text`"), "{message}");
    }

    #[test]
    fn an_unknown_params_field_is_rejected_by_name() {
        let (_, message) = invalid(json!({"modelId": "m", "strem": true}));
        assert!(message.contains("unknown field `strem`"), "{message}");
    }

    #[test]
    fn a_missing_field_is_reported_at_its_own_path() {
        let (path, message) = invalid(json!({"messages": []}));
        assert_eq!((path.as_str(), message.as_str()), ("modelId", "missing field `modelId`"));
    }

    #[test]
    fn absent_params_read_as_an_empty_object() {
        assert_eq!(parse_params::<EmptyParams>(None).unwrap(), EmptyParams {});
        assert!(parse_params::<EmptyParams>(Some(json!({"x": 1}))).is_err());
    }
}
