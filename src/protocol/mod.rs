//! The wire types of PROTOCOL.md: every params, result and notification
//! payload, with serde and schemars derives, and the method names as
//! constants. This module owns the JSON the host speaks; `schemas/` is
//! generated from it (`bedrock-host schema --out schemas`).
//!
//! Bedrock's own shapes (messages, content blocks, inference config, …) live
//! in [`bedrock`] and are used unchanged inside the method types: one
//! vocabulary, Bedrock Converse's.

pub mod agent;
pub mod bedrock;
pub mod lifecycle;
pub mod methods;
pub mod notifications;
mod table;

pub use agent::*;
pub use lifecycle::*;
pub use methods::*;
pub use notifications::*;
pub use table::{Direction, MessageKind, PROTOCOL_METHODS, ProtocolMethod, SchemaFn, protocol_method};

/// Method and notification names, exactly as PROTOCOL.md spells them.
pub mod method {
    // Lifecycle.
    pub const INITIALIZE: &str = "initialize";
    pub const INITIALIZED: &str = "initialized";
    pub const SHUTDOWN: &str = "shutdown";
    pub const EXIT: &str = "exit";
    pub const CANCEL_REQUEST: &str = "$/cancelRequest";

    // Stateless Bedrock operations.
    pub const LIST_MODELS: &str = "bedrock/listModels";
    pub const CONVERSE: &str = "bedrock/converse";
    pub const INVOKE_MODEL: &str = "bedrock/invokeModel";
    pub const COUNT_TOKENS: &str = "bedrock/countTokens";
    pub const APPLY_GUARDRAIL: &str = "bedrock/applyGuardrail";
    pub const START_ASYNC_INVOKE: &str = "bedrock/startAsyncInvoke";
    pub const GET_ASYNC_INVOKE: &str = "bedrock/getAsyncInvoke";
    pub const LIST_ASYNC_INVOKES: &str = "bedrock/listAsyncInvokes";
    pub const COST_ESTIMATE: &str = "cost/estimate";

    // Agent host.
    pub const TOOL_REGISTER: &str = "tool/register";
    pub const TOOL_UNREGISTER: &str = "tool/unregister";
    pub const TOOL_LIST: &str = "tool/list";
    pub const CONVERSATION_CREATE: &str = "conversation/create";
    pub const CONVERSATION_SEND: &str = "conversation/send";
    pub const CONVERSATION_GET: &str = "conversation/get";
    pub const CONVERSATION_LIST: &str = "conversation/list";
    pub const CONVERSATION_FORK: &str = "conversation/fork";
    pub const CONVERSATION_DELETE: &str = "conversation/delete";
    pub const CONVERSATION_COUNT_TOKENS: &str = "conversation/countTokens";
    pub const USAGE_GET: &str = "usage/get";

    // Host → client.
    pub const CONVERSE_EVENT: &str = "converse/event";
    pub const CONVERSE_GUARDRAIL: &str = "converse/guardrail";
    pub const CONVERSE_RETRY: &str = "converse/retry";
    pub const INVOKE_CHUNK: &str = "invoke/chunk";
    pub const ASYNC_STATUS: &str = "async/status";
    pub const TOOL_CALL: &str = "tool/call";
}

/// The protocol version `initialize` reports.
pub const PROTOCOL_VERSION: &str = "1";
