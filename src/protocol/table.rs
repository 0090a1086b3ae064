//! The table of every method and notification of docs/protocol.md: its name,
//! direction, kind and the JSON Schemas of its params and result. The schema
//! generator (`bedrock-host schema`) and `initialize`'s capabilities read it,
//! so a method missing here is missing from both.

use schemars::{JsonSchema, Schema};
use serde::Serialize;

use super::agent::{
    ConversationCountTokensParams, ConversationCreateParams, ConversationDeleteResult, ConversationForkParams,
    ConversationGetResult, ConversationIdParams, ConversationIdResult, ConversationListResult, ConversationSendParams,
    ToolListResult, ToolRegisterParams, ToolRegisterResult, ToolUnregisterParams, ToolUnregisterResult, TurnResult,
    UsageGetResult,
};
use super::bedrock::{
    ApplyGuardrailRequest, ApplyGuardrailResponse, GetAsyncInvokeRequest, GetAsyncInvokeResponse,
    ListAsyncInvokesRequest, ListAsyncInvokesResponse, StartAsyncInvokeResponse,
};
use super::lifecycle::{CancelParams, InitializeParams, InitializeResult};
use super::method;
use super::methods::{
    ConverseParams, ConverseResult, CostEstimateParams, CostEstimateResult, CountTokensParams, CountTokensResult,
    EmptyParams, InvokeModelParams, InvokeModelResult, ListModelsResult, StartAsyncInvokeParams,
};
use super::notifications::{
    AsyncStatusParams, ConverseEventParams, ConverseGuardrailParams, ConverseRetryParams, InvokeChunkParams,
    ToolCallParams, ToolCallResult,
};

/// Who sends the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    ClientToHost,
    HostToClient,
}

/// Whether the message expects an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MessageKind {
    Request,
    Notification,
}

/// Builds the JSON Schema of one params or result type.
pub type SchemaFn = fn() -> Schema;

/// One method or notification of the protocol.
#[derive(Debug, Clone, Copy)]
pub struct ProtocolMethod {
    /// The method name, as in [`super::method`].
    pub name: &'static str,
    /// Who sends it.
    pub direction: Direction,
    /// Request or notification.
    pub kind: MessageKind,
    /// The params' schema; `None` when the message takes no params.
    pub params: Option<SchemaFn>,
    /// The result's schema; `None` for notifications.
    pub result: Option<SchemaFn>,
}

fn schema<T: JsonSchema>() -> Schema {
    schemars::schema_for!(T)
}

const fn request<P: JsonSchema, R: JsonSchema>(name: &'static str) -> ProtocolMethod {
    ProtocolMethod {
        name,
        direction: Direction::ClientToHost,
        kind: MessageKind::Request,
        params: Some(schema::<P>),
        result: Some(schema::<R>),
    }
}

const fn notification<P: JsonSchema>(name: &'static str, direction: Direction) -> ProtocolMethod {
    ProtocolMethod { name, direction, kind: MessageKind::Notification, params: Some(schema::<P>), result: None }
}

/// Every method and notification, in docs/protocol.md's order.
pub const PROTOCOL_METHODS: &[ProtocolMethod] = &[
    request::<InitializeParams, InitializeResult>(method::INITIALIZE),
    notification::<EmptyParams>(method::INITIALIZED, Direction::ClientToHost),
    // `shutdown` takes no params and answers `null`; `exit` takes none.
    ProtocolMethod {
        name: method::SHUTDOWN,
        direction: Direction::ClientToHost,
        kind: MessageKind::Request,
        params: None,
        result: Some(schema::<()>),
    },
    ProtocolMethod {
        name: method::EXIT,
        direction: Direction::ClientToHost,
        kind: MessageKind::Notification,
        params: None,
        result: None,
    },
    notification::<CancelParams>(method::CANCEL_REQUEST, Direction::ClientToHost),
    request::<EmptyParams, ListModelsResult>(method::LIST_MODELS),
    request::<ConverseParams, ConverseResult>(method::CONVERSE),
    request::<InvokeModelParams, InvokeModelResult>(method::INVOKE_MODEL),
    request::<CountTokensParams, CountTokensResult>(method::COUNT_TOKENS),
    request::<ApplyGuardrailRequest, ApplyGuardrailResponse>(method::APPLY_GUARDRAIL),
    request::<StartAsyncInvokeParams, StartAsyncInvokeResponse>(method::START_ASYNC_INVOKE),
    request::<GetAsyncInvokeRequest, GetAsyncInvokeResponse>(method::GET_ASYNC_INVOKE),
    request::<ListAsyncInvokesRequest, ListAsyncInvokesResponse>(method::LIST_ASYNC_INVOKES),
    request::<CostEstimateParams, CostEstimateResult>(method::COST_ESTIMATE),
    request::<ToolRegisterParams, ToolRegisterResult>(method::TOOL_REGISTER),
    request::<ToolUnregisterParams, ToolUnregisterResult>(method::TOOL_UNREGISTER),
    request::<EmptyParams, ToolListResult>(method::TOOL_LIST),
    request::<ConversationCreateParams, ConversationIdResult>(method::CONVERSATION_CREATE),
    request::<ConversationSendParams, TurnResult>(method::CONVERSATION_SEND),
    request::<ConversationIdParams, ConversationGetResult>(method::CONVERSATION_GET),
    request::<EmptyParams, ConversationListResult>(method::CONVERSATION_LIST),
    request::<ConversationForkParams, ConversationIdResult>(method::CONVERSATION_FORK),
    request::<ConversationIdParams, ConversationDeleteResult>(method::CONVERSATION_DELETE),
    request::<ConversationCountTokensParams, CountTokensResult>(method::CONVERSATION_COUNT_TOKENS),
    request::<EmptyParams, UsageGetResult>(method::USAGE_GET),
    notification::<ConverseEventParams>(method::CONVERSE_EVENT, Direction::HostToClient),
    notification::<ConverseGuardrailParams>(method::CONVERSE_GUARDRAIL, Direction::HostToClient),
    notification::<ConverseRetryParams>(method::CONVERSE_RETRY, Direction::HostToClient),
    notification::<InvokeChunkParams>(method::INVOKE_CHUNK, Direction::HostToClient),
    notification::<AsyncStatusParams>(method::ASYNC_STATUS, Direction::HostToClient),
    ProtocolMethod {
        direction: Direction::HostToClient,
        ..request::<ToolCallParams, ToolCallResult>(method::TOOL_CALL)
    },
];

/// The table entry of `name`, if it is a protocol method or notification.
pub fn protocol_method(name: &str) -> Option<&'static ProtocolMethod> {
    PROTOCOL_METHODS.iter().find(|entry| entry.name == name)
}

/// Every way `params` breaks `method`'s params schema, as `(path, message)`
/// pairs with dotted paths (`messages[0].content`). Used on the error path
/// only, so that -32602 can name each bad field and not just the first one
/// serde stops at. Schemas compile once, on first use.
pub fn params_schema_errors(method: &str, params: &serde_json::Value) -> Vec<(String, String)> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    /// Compiled params validators by method; `None` for a schema that does not compile.
    type Validators = HashMap<&'static str, Option<std::sync::Arc<jsonschema::Validator>>>;
    static VALIDATORS: OnceLock<Mutex<Validators>> = OnceLock::new();
    let Some(entry) = protocol_method(method) else { return Vec::new() };
    let Some(schema_fn) = entry.params else { return Vec::new() };
    let validator = {
        let mut cache =
            VALIDATORS.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(entry.name)
            .or_insert_with(|| {
                let schema = serde_json::to_value(schema_fn()).ok()?;
                jsonschema::validator_for(&schema).ok().map(std::sync::Arc::new)
            })
            .clone()
    };
    let Some(validator) = validator else { return Vec::new() };
    let mut errors = Vec::new();
    for error in validator.iter_errors(params) {
        flatten_error(&error, &mut errors);
    }
    errors
}

/// An `anyOf`/`oneOf` failure (every `Option` field is `anyOf [T, null]`)
/// says only "not valid under any of the schemas"; the branch that got
/// furthest into the value holds the errors a person can act on.
fn flatten_error(error: &jsonschema::ValidationError<'_>, out: &mut Vec<(String, String)>) {
    use jsonschema::error::ValidationErrorKind;
    let here = error.instance_path().to_string();
    if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } = error.kind() {
        let depth = |branch: &Vec<jsonschema::ValidationError<'static>>| {
            branch.iter().map(|e| e.instance_path().to_string().len()).max().unwrap_or(0)
        };
        if let Some(branch) = context.iter().max_by_key(|branch| depth(branch))
            && depth(branch) > here.len()
        {
            for inner in branch {
                flatten_error(inner, out);
            }
            return;
        }
    }
    // A missing member is reported at its object; name the member itself, as serde's path does.
    let path = match error.kind() {
        ValidationErrorKind::Required { property: serde_json::Value::String(name) } => {
            format!("{here}/{}", name.replace('~', "~0").replace('/', "~1"))
        }
        _ => here,
    };
    out.push((dotted_path(&path), error.to_string()));
}

/// `/messages/0/content` → `messages[0].content`.
fn dotted_path(pointer: &str) -> String {
    let mut path = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&segment);
        }
    }
    path
}

#[cfg(test)]
mod schema_error_tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn pointers_become_dotted_paths() {
        assert_eq!(dotted_path(""), "");
        assert_eq!(dotted_path("/messages/0/content/12/text"), "messages[0].content[12].text");
        assert_eq!(dotted_path("/a~1b"), "a/b");
    }

    #[test]
    fn every_bad_field_is_found() {
        let errors = params_schema_errors(
            method::CONVERSE,
            &json!({"modelId": 5, "inferenceConfig": {"maxTokens": "many"}, "stream": "yes"}),
        );
        let paths: Vec<&str> = errors.iter().map(|(path, _)| path.as_str()).collect();
        for expected in ["modelId", "inferenceConfig.maxTokens", "stream"] {
            assert!(paths.contains(&expected), "{expected} in {errors:?}");
        }
        assert!(params_schema_errors("no/such", &json!({})).is_empty());
        let missing = params_schema_errors(method::COST_ESTIMATE, &json!({"modelId": "m"}));
        let paths: Vec<&str> = missing.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(paths, ["inputTokens", "outputTokens"], "{missing:?}");
    }
}
