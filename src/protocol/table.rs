//! The one declaration of every method and notification of the protocol:
//! its name, direction, params and result. From this list the macro below
//! makes a marker type per method in [`method`] (implementing
//! [`Method`](crate::transport::rpc::Method) and [`Request`] or
//! [`Notification`]), the name constants, and [`PROTOCOL_METHODS`], which the
//! schema and docs generator and `initialize`'s capabilities read. The host's
//! router binds a handler to a marker (`router.on::<method::Converse>(…)`), so
//! the compiler checks that handler against the declared types; a unit test in
//! the router checks that every client→host request has exactly one handler.

use schemars::{JsonSchema, Schema};
use serde::Serialize;

use super::agent::{
    ConversationCountTokensParams, ConversationCreateParams, ConversationDeleteResult, ConversationForkParams,
    ConversationGetResult, ConversationIdParams, ConversationIdResult, ConversationListResult, ConversationSendParams,
    ToolListResult, ToolRegisterParams, ToolRegisterResult, ToolUnregisterParams, ToolUnregisterResult, TurnResult,
    UsageGetResult,
};
use super::context::ConversationCompactedParams;
use super::lifecycle::{CancelParams, InitializeParams};
use super::lsp::{
    ApplyWorkspaceEditParams, ApplyWorkspaceEditResult, CodeActionOrCommand, CodeActionParams, CompletionList,
    CompletionParams, DidChangeConfigurationParams, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, ExecuteCommandParams, ExecuteCommandResult, InlineCompletionList,
    InlineCompletionParams, ShowMessageParams,
};
use super::methods::{
    ConverseParams, ConverseResult, CostEstimateParams, CostEstimateResult, CountTokensParams, CountTokensResult,
    EmptyParams, InvokeModelParams, InvokeModelResult, ListModelsResult, StartAsyncInvokeParams,
};
use super::notifications::{
    AsyncStatusParams, ConverseEventParams, ConverseGuardrailParams, ConverseRetryParams, InvokeChunkParams,
    ToolCallParams, ToolCallResult,
};
use super::shapes::{
    ApplyGuardrailRequest, ApplyGuardrailResponse, GetAsyncInvokeRequest, GetAsyncInvokeResponse,
    ListAsyncInvokesRequest, ListAsyncInvokesResponse, StartAsyncInvokeResponse,
};
use super::warnings::InitializeResultWithWarnings;

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

/// Declares the protocol: `kind direction Marker CONST = "name" (Params) [-> Result];`,
/// where `(none)` marks a message without params.
macro_rules! protocol {
    ($($kind:ident $direction:ident $marker:ident $konst:ident = $name:literal $params:tt $(-> $result:ty)?;)*) => {
        /// Every method and notification: its name as a constant, and its marker type.
        pub mod method {
            use super::*;
            $(
                pub const $konst: &str = $name;

                #[doc = concat!("`", $name, "`")]
                pub enum $marker {}

                impl crate::transport::rpc::Method for $marker {
                    const NAME: &'static str = $name;
                    type Params = protocol!(@params_type $params);
                }
                protocol!(@kind $kind $marker $(-> $result)?);
            )*
        }

        /// Every method and notification, in the reference's order.
        pub const PROTOCOL_METHODS: &[ProtocolMethod] = &[$(
            ProtocolMethod {
                name: $name,
                direction: Direction::$direction,
                kind: protocol!(@message_kind $kind),
                params: protocol!(@params_schema $params),
                result: protocol!(@result_schema $($result)?),
            },
        )*];
    };
    (@params_type (none)) => { () };
    (@params_type ($params:ty)) => { $params };
    (@params_schema (none)) => { None };
    (@params_schema ($params:ty)) => { Some(schema::<$params> as SchemaFn) };
    (@result_schema) => { None };
    (@result_schema $result:ty) => { Some(schema::<$result> as SchemaFn) };
    (@message_kind request) => { MessageKind::Request };
    (@message_kind notification) => { MessageKind::Notification };
    (@kind request $marker:ident -> $result:ty) => {
        impl crate::transport::rpc::Request for $marker {
            type Result = $result;
        }
    };
    (@kind notification $marker:ident) => {
        impl crate::transport::rpc::Notification for $marker {}
    };
}

protocol! {
    // Lifecycle (served by the dispatcher itself).
    request ClientToHost Initialize INITIALIZE = "initialize" (InitializeParams) -> InitializeResultWithWarnings;
    notification ClientToHost Initialized INITIALIZED = "initialized" (EmptyParams);
    request ClientToHost Shutdown SHUTDOWN = "shutdown" (none) -> ();
    notification ClientToHost Exit EXIT = "exit" (none);
    notification ClientToHost CancelRequest CANCEL_REQUEST = "$/cancelRequest" (CancelParams);

    // Stateless Bedrock operations.
    request ClientToHost ListModels LIST_MODELS = "bedrock/listModels" (EmptyParams) -> ListModelsResult;
    request ClientToHost Converse CONVERSE = "bedrock/converse" (ConverseParams) -> ConverseResult;
    request ClientToHost InvokeModel INVOKE_MODEL = "bedrock/invokeModel" (InvokeModelParams) -> InvokeModelResult;
    request ClientToHost CountTokens COUNT_TOKENS = "bedrock/countTokens" (CountTokensParams) -> CountTokensResult;
    request ClientToHost ApplyGuardrail APPLY_GUARDRAIL = "bedrock/applyGuardrail" (ApplyGuardrailRequest) -> ApplyGuardrailResponse;
    request ClientToHost StartAsyncInvoke START_ASYNC_INVOKE = "bedrock/startAsyncInvoke" (StartAsyncInvokeParams) -> StartAsyncInvokeResponse;
    request ClientToHost GetAsyncInvoke GET_ASYNC_INVOKE = "bedrock/getAsyncInvoke" (GetAsyncInvokeRequest) -> GetAsyncInvokeResponse;
    request ClientToHost ListAsyncInvokes LIST_ASYNC_INVOKES = "bedrock/listAsyncInvokes" (ListAsyncInvokesRequest) -> ListAsyncInvokesResponse;
    request ClientToHost CostEstimate COST_ESTIMATE = "cost/estimate" (CostEstimateParams) -> CostEstimateResult;

    // Agent host: tools and conversations.
    request ClientToHost ToolRegister TOOL_REGISTER = "tool/register" (ToolRegisterParams) -> ToolRegisterResult;
    request ClientToHost ToolUnregister TOOL_UNREGISTER = "tool/unregister" (ToolUnregisterParams) -> ToolUnregisterResult;
    request ClientToHost ToolList TOOL_LIST = "tool/list" (EmptyParams) -> ToolListResult;
    request ClientToHost ConversationCreate CONVERSATION_CREATE = "conversation/create" (ConversationCreateParams) -> ConversationIdResult;
    request ClientToHost ConversationSend CONVERSATION_SEND = "conversation/send" (ConversationSendParams) -> TurnResult;
    request ClientToHost ConversationGet CONVERSATION_GET = "conversation/get" (ConversationIdParams) -> ConversationGetResult;
    request ClientToHost ConversationList CONVERSATION_LIST = "conversation/list" (EmptyParams) -> ConversationListResult;
    request ClientToHost ConversationFork CONVERSATION_FORK = "conversation/fork" (ConversationForkParams) -> ConversationIdResult;
    request ClientToHost ConversationDelete CONVERSATION_DELETE = "conversation/delete" (ConversationIdParams) -> ConversationDeleteResult;
    request ClientToHost ConversationCountTokens CONVERSATION_COUNT_TOKENS = "conversation/countTokens" (ConversationCountTokensParams) -> CountTokensResult;
    request ClientToHost UsageGet USAGE_GET = "usage/get" (EmptyParams) -> UsageGetResult;

    // Host → client.
    notification HostToClient ConverseEvent CONVERSE_EVENT = "converse/event" (ConverseEventParams);
    notification HostToClient ConverseGuardrail CONVERSE_GUARDRAIL = "converse/guardrail" (ConverseGuardrailParams);
    notification HostToClient ConverseRetry CONVERSE_RETRY = "converse/retry" (ConverseRetryParams);
    notification HostToClient InvokeChunk INVOKE_CHUNK = "invoke/chunk" (InvokeChunkParams);
    notification HostToClient AsyncStatus ASYNC_STATUS = "async/status" (AsyncStatusParams);
    request HostToClient ToolCall TOOL_CALL = "tool/call" (ToolCallParams) -> ToolCallResult;

    // The LSP face (docs/lsp.md): LSP's own methods and shapes.
    notification ClientToHost DidOpen DID_OPEN = "textDocument/didOpen" (DidOpenTextDocumentParams);
    notification ClientToHost DidChange DID_CHANGE = "textDocument/didChange" (DidChangeTextDocumentParams);
    notification ClientToHost DidClose DID_CLOSE = "textDocument/didClose" (DidCloseTextDocumentParams);
    notification ClientToHost DidChangeConfiguration DID_CHANGE_CONFIGURATION = "workspace/didChangeConfiguration" (DidChangeConfigurationParams);
    request ClientToHost InlineCompletion INLINE_COMPLETION = "textDocument/inlineCompletion" (InlineCompletionParams) -> InlineCompletionList;
    request ClientToHost Completion COMPLETION = "textDocument/completion" (CompletionParams) -> CompletionList;
    request ClientToHost CodeActionRequest CODE_ACTION = "textDocument/codeAction" (CodeActionParams) -> Vec<CodeActionOrCommand>;
    request ClientToHost ExecuteCommand EXECUTE_COMMAND = "workspace/executeCommand" (ExecuteCommandParams) -> ExecuteCommandResult;
    request HostToClient ApplyEdit APPLY_EDIT = "workspace/applyEdit" (ApplyWorkspaceEditParams) -> ApplyWorkspaceEditResult;
    notification HostToClient ShowMessage SHOW_MESSAGE = "window/showMessage" (ShowMessageParams);
    notification HostToClient ConversationCompacted CONVERSATION_COMPACTED = "conversation/compacted" (ConversationCompactedParams);
}

/// The table entry of `name`, if it is a protocol method or notification.
pub fn protocol_method(name: &str) -> Option<&'static ProtocolMethod> {
    PROTOCOL_METHODS.iter().find(|entry| entry.name == name)
}

/// Every way `params` breaks `method`'s params schema, as `(path, message)`
/// pairs with dotted paths (`messages[0].content`). Used on the error path
/// only, so that -32602 can name each bad field and not just the first one
/// serde stops at: every unknown field is its own error at its own path,
/// worded as serde words the first (`unknown field `x`, expected one of …`).
/// Schemas compile once, on first use.
pub fn params_schema_errors(method: &str, params: &serde_json::Value) -> Vec<(String, String)> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};

    /// A compiled params validator and the schema it was compiled from, by method;
    /// `None` for a schema that does not compile.
    type Validators = HashMap<&'static str, Option<Arc<(jsonschema::Validator, serde_json::Value)>>>;
    static VALIDATORS: OnceLock<Mutex<Validators>> = OnceLock::new();
    let Some(entry) = protocol_method(method) else { return Vec::new() };
    let Some(schema_fn) = entry.params else { return Vec::new() };
    let compiled = {
        let mut cache = crate::sync::lock(VALIDATORS.get_or_init(Mutex::default));
        cache
            .entry(entry.name)
            .or_insert_with(|| {
                let schema = serde_json::to_value(schema_fn()).ok()?;
                let validator = jsonschema::validator_for(&schema).ok()?;
                Some(Arc::new((validator, schema)))
            })
            .clone()
    };
    let Some(compiled) = compiled else { return Vec::new() };
    let (validator, schema) = &*compiled;
    let mut errors = Vec::new();
    for error in validator.iter_errors(params) {
        flatten_error(&error, schema, params, &mut errors);
    }
    errors
}

/// An `anyOf`/`oneOf` failure (every `Option` field is `anyOf [T, null]`)
/// says only "not valid under any of the schemas"; the branch that got
/// furthest into the value, or the one branch of the value's own kind (an
/// object against `anyOf [Struct, null]`), holds the errors a person can act on.
fn flatten_error(
    error: &jsonschema::ValidationError<'_>,
    schema: &serde_json::Value,
    params: &serde_json::Value,
    out: &mut Vec<(String, String)>,
) {
    use jsonschema::error::ValidationErrorKind;
    let here = error.instance_path().to_string();
    if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } = error.kind() {
        let depth = |branch: &Vec<jsonschema::ValidationError<'static>>| {
            branch.iter().map(|e| e.instance_path().to_string().len()).max().unwrap_or(0)
        };
        // A branch whose only complaint is the value's kind (`null` expected) is not the one meant.
        let wrong_kind = |branch: &Vec<jsonschema::ValidationError<'static>>| {
            matches!(branch.as_slice(), [only] if matches!(only.kind(), ValidationErrorKind::Type { .. })
                && only.instance_path().to_string() == here)
        };
        let deepest = context.iter().max_by_key(|branch| depth(branch)).filter(|branch| depth(branch) > here.len());
        let mut of_its_kind = context.iter().filter(|branch| !wrong_kind(branch));
        let only_of_its_kind = match (of_its_kind.next(), of_its_kind.next()) {
            (Some(branch), None) => Some(branch),
            _ => None,
        };
        if let Some(branch) = deepest.or(only_of_its_kind) {
            for inner in branch {
                flatten_error(inner, schema, params, out);
            }
            return;
        }
    }
    let keyword = error.schema_path().to_string();
    let unknown: Option<Vec<String>> = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => Some(unexpected.clone()),
        // `additionalProperties: false` beside no `properties` (an empty struct) fails as a false
        // schema at the object, naming only its first member: every member of that object is unknown.
        ValidationErrorKind::FalseSchema if keyword.ends_with("/additionalProperties") => {
            params.pointer(&here).and_then(serde_json::Value::as_object).map(|object| object.keys().cloned().collect())
        }
        _ => None,
    };
    if let Some(unknown) = unknown {
        // One error per unknown field, at the field's own path, worded as serde words the first.
        let known = known_properties(schema, &keyword).unwrap_or_default();
        for name in unknown.iter().filter(|name| !known.contains(name)) {
            let path = format!("{here}/{}", name.replace('~', "~0").replace('/', "~1"));
            let message = if known.is_empty() {
                format!("unknown field `{name}`, there are no fields")
            } else {
                format!(
                    "unknown field `{name}`, expected one of {}",
                    known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                )
            };
            out.push((dotted_path(&path), message));
        }
        return;
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

/// The `properties` of the schema object whose `additionalProperties` keyword
/// is at `keyword` (a JSON pointer into `schema` that may pass through local
/// `$ref`s, as the validator reports it), in the schema's order.
fn known_properties(schema: &serde_json::Value, keyword: &str) -> Option<Vec<String>> {
    let mut segments: Vec<String> =
        keyword.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
    if segments.pop().as_deref() != Some("additionalProperties") {
        return None;
    }
    let mut node = schema;
    for segment in &segments {
        node = if segment == "$ref" {
            let target = node.get("$ref")?.as_str()?.strip_prefix('#')?;
            schema.pointer(target)?
        } else {
            match node {
                serde_json::Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => node.get(segment)?,
            }
        };
    }
    // A `$ref` as the last hop: the keyword sits beside `properties` in the target.
    match node.get("properties") {
        Some(properties) => Some(properties.as_object()?.keys().cloned().collect()),
        None => Some(Vec::new()),
    }
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

    /// The shapes a client may send with members the host ignores: LSP's open-ended client capabilities
    /// and client info, and Bedrock's `ErrorBlock`, which Bedrock's stream events share (shapes Bedrock
    /// sends tolerate members it adds). Every other object a client sends refuses unknown members, and
    /// must say so in its schema (`additionalProperties: false`), which is how -32602 names every
    /// unknown field at once.
    const OPEN_SHAPES: [&str; 3] = ["ClientCapabilities", "ClientInfo", "ErrorBlock"];

    fn closed_objects_missing(schema: &serde_json::Value, at: &str, missing: &mut Vec<String>) {
        match schema {
            serde_json::Value::Object(members) => {
                if members.contains_key("properties") && members.get("additionalProperties") != Some(&json!(false)) {
                    missing.push(at.to_string());
                }
                for (key, value) in members {
                    if at.ends_with("/$defs") && OPEN_SHAPES.contains(&key.as_str()) {
                        continue;
                    }
                    closed_objects_missing(value, &format!("{at}/{key}"), missing);
                }
            }
            serde_json::Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    closed_objects_missing(item, &format!("{at}/{index}"), missing);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_shape_a_client_sends_refuses_unknown_members_in_its_schema() {
        let mut missing = Vec::new();
        for entry in PROTOCOL_METHODS {
            let schemas = match (entry.direction, entry.kind) {
                (Direction::ClientToHost, MessageKind::Request) => entry.params,
                // The client's answer to a host request.
                (Direction::HostToClient, MessageKind::Request) => entry.result,
                _ => None,
            };
            if let Some(schema_fn) = schemas {
                let schema = serde_json::to_value(schema_fn()).unwrap();
                closed_objects_missing(&schema, entry.name, &mut missing);
            }
        }
        assert_eq!(missing, Vec::<String>::new(), "objects without `additionalProperties: false`");
    }

    #[test]
    fn unknown_members_of_an_empty_object_are_each_named() {
        let errors = params_schema_errors(method::TOOL_LIST, &json!({"x": 1, "y": {}}));
        assert_eq!(
            errors,
            [
                ("x".to_string(), "unknown field `x`, there are no fields".to_string()),
                ("y".to_string(), "unknown field `y`, there are no fields".to_string())
            ]
        );
    }
}
