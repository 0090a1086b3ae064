//! The table of every method and notification of PROTOCOL.md: its name,
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

/// Every method and notification, in PROTOCOL.md's order.
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
