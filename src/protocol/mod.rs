//! The wire types of docs/protocol.md: every params, result and notification
//! payload, with serde and schemars derives, and the method names as
//! constants. This module owns the JSON the host speaks; `schemas/` is
//! generated from it (`bedrock-host schema --out schemas`).
//!
//! Bedrock's own shapes (messages, content blocks, inference config, …) live
//! in [`bedrock`] and are used unchanged inside the method types: one
//! vocabulary, Bedrock Converse's.

pub mod agent;
pub mod context;
pub mod lifecycle;
pub mod lsp;
pub mod methods;
#[cfg(test)]
mod model_drift;
pub mod notifications;
pub mod shapes;
mod table;
pub mod warnings;

pub use agent::*;
pub use context::*;
pub use lifecycle::*;
pub use methods::*;
pub use notifications::*;
pub use table::{
    Direction, MessageKind, PROTOCOL_METHODS, ProtocolMethod, SchemaFn, method, params_schema_errors, protocol_method,
};
pub use warnings::*;

/// The protocol version `initialize` reports.
pub const PROTOCOL_VERSION: &str = "1";

/// Parses a request's params into `T`. Missing or null params, an empty array
/// (Neovim 0.7 encodes an empty table as `[]`) and `[null]` (vscode-jsonrpc's
/// encoding of `sendRequest(method, null)`) count as `{}`; other positional
/// (array) params are refused. Errors become -32602 with the JSON
/// path of the bad field (`messages[0].content`), and a missing field is
/// reported at its own path, not its parent's.
pub fn parse_params<T: serde::de::DeserializeOwned>(params: Option<serde_json::Value>) -> crate::HostResult<T> {
    use crate::{FieldError, HostError};
    let value = match params {
        None | Some(serde_json::Value::Null) => serde_json::Value::Object(serde_json::Map::new()),
        Some(serde_json::Value::Array(items)) if no_positional_values(&items) => {
            serde_json::Value::Object(serde_json::Map::new())
        }
        Some(serde_json::Value::Array(items)) => {
            let message = format!(
                "params are named, not positional: send an object of named fields (or `{{}}`, `[]`, `null` or \
                 no params for none), not an array of {} value{}",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            );
            return Err(HostError::InvalidParams {
                summary: message.clone(),
                errors: vec![FieldError::new("", message)],
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

/// Positional params that carry nothing: `[]`, and `[null]`, which vscode-jsonrpc sends for a
/// request made with a `null` or `undefined` param.
fn no_positional_values(items: &[serde_json::Value]) -> bool {
    matches!(items, [] | [serde_json::Value::Null])
}

/// [`parse_params`] for a method of the protocol, and when it fails, every
/// other bad field the method's params schema finds too (every unknown field
/// of every object, each wrong type, each missing field): serde stops at the
/// first problem, and a client fixing a request wants them all at once.
/// Fields inside the one serde named are left to its (more precise) message.
pub fn parse_method_params<T: serde::de::DeserializeOwned>(
    method: &str,
    params: Option<serde_json::Value>,
) -> crate::HostResult<T> {
    use crate::{FieldError, HostError};
    let snapshot = params.clone();
    match parse_params::<T>(params) {
        Err(HostError::InvalidParams { summary, mut errors }) => {
            let value = match snapshot {
                None | Some(serde_json::Value::Null) => serde_json::Value::Object(Default::default()),
                Some(serde_json::Value::Array(items)) if no_positional_values(&items) => {
                    serde_json::Value::Object(Default::default())
                }
                // Positional params: the one error already says what to do.
                Some(serde_json::Value::Array(_)) => return Err(HostError::InvalidParams { summary, errors }),
                Some(value) => value,
            };
            let overlaps = |a: &str, b: &str| {
                let within = |inner: &str, outer: &str| {
                    inner == outer
                        || (!outer.is_empty()
                            && inner
                                .strip_prefix(outer)
                                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('[')))
                };
                within(a, b) || within(b, a)
            };
            for (path, message) in params_schema_errors(method, &value) {
                if !errors.iter().any(|known| overlaps(&known.path, &path)) {
                    errors.push(FieldError::new(path, message));
                }
            }
            let summary = if errors.len() > 1 {
                errors.iter().map(|e| format!("`{}`: {}", e.path, e.message)).collect::<Vec<_>>().join("; ")
            } else {
                summary
            };
            Err(HostError::InvalidParams { summary, errors })
        }
        other => other,
    }
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
    fn absent_null_and_empty_params_read_as_an_empty_object() {
        for params in [None, Some(json!(null)), Some(json!({})), Some(json!([])), Some(json!([null]))] {
            assert_eq!(parse_params::<EmptyParams>(params.clone()).unwrap(), EmptyParams {}, "{params:?}");
        }
        assert!(parse_params::<EmptyParams>(Some(json!({"x": 1}))).is_err());
        match parse_params::<EmptyParams>(Some(json!([1, 2]))) {
            Err(HostError::InvalidParams { errors, .. }) => {
                assert_eq!(errors[0].path, "");
                assert!(errors[0].message.contains("not an array of 2 values"), "{}", errors[0].message);
            }
            other => panic!("positional params must be refused: {other:?}"),
        }
    }

    #[test]
    fn every_unknown_field_is_named_with_the_known_ones() {
        let error = parse_method_params::<ConversationCreateParams>(
            method::CONVERSATION_CREATE,
            Some(json!({"modle": "m", "titel": "t", "inferenceConfig": {"maxToken": 1, "topP": 0.5, "tmp": 1}})),
        )
        .unwrap_err();
        let HostError::InvalidParams { errors, summary } = error else { panic!("{error:?}") };
        let mut paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(paths, ["inferenceConfig.maxToken", "inferenceConfig.tmp", "modle", "titel"], "{errors:?}");
        let tmp = errors.iter().find(|e| e.path == "inferenceConfig.tmp").unwrap();
        assert!(
            tmp.message.starts_with("unknown field `tmp`, expected one of") && tmp.message.contains("`maxTokens`"),
            "{}",
            tmp.message
        );
        assert!(summary.contains("`titel`") && summary.contains("`inferenceConfig.tmp`"), "{summary}");
    }
}
