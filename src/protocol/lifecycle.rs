//! `initialize` and the host's options (PROTOCOL.md "Lifecycle").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InitializeParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_info: Option<ClientInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<ClientCapabilities>,
    /// Options that override flags and environment for this session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initialization_options: Option<HostOptions>,
    /// LSP clients send these; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_id: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_uri: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_folders: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientCapabilities {
    /// The client executes tools (`tool/call`). Default true; with false a
    /// turn that asks for a tool ends with stopReason `tool_use`.
    #[serde(default = "default_true")]
    pub tools: bool,
}

impl Default for ClientCapabilities {
    fn default() -> Self {
        Self { tools: true }
    }
}

fn default_true() -> bool {
    true
}

/// HostOptions: each also a flag and an environment variable. Precedence:
/// initializationOptions > flag > env > AWS config files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_model_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_mode: Option<RetryMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_cache: Option<ResponseCacheOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tool_iterations: Option<u32>,
    /// A default guardrailConfig (Bedrock's shape) for every call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_config: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    /// Most conversations the host keeps; `conversation/create` and `fork` beyond it are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_conversations: Option<usize>,
    /// A turn is refused once a conversation's history holds this many messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_messages_per_conversation: Option<usize>,
}

impl HostOptions {
    /// Fill every unset option from `lower` (lower precedence).
    pub fn or(self, lower: HostOptions) -> HostOptions {
        HostOptions {
            region: self.region.or(lower.region),
            profile: self.profile.or(lower.profile),
            endpoint_url: self.endpoint_url.or(lower.endpoint_url),
            default_model_id: self.default_model_id.or(lower.default_model_id),
            max_attempts: self.max_attempts.or(lower.max_attempts),
            retry_mode: self.retry_mode.or(lower.retry_mode),
            request_timeout_ms: self.request_timeout_ms.or(lower.request_timeout_ms),
            storage_dir: self.storage_dir.or(lower.storage_dir),
            response_cache: self.response_cache.or(lower.response_cache),
            tool_call_timeout_ms: self.tool_call_timeout_ms.or(lower.tool_call_timeout_ms),
            max_tool_iterations: self.max_tool_iterations.or(lower.max_tool_iterations),
            guardrail_config: self.guardrail_config.or(lower.guardrail_config),
            log_level: self.log_level.or(lower.log_level),
            max_conversations: self.max_conversations.or(lower.max_conversations),
            max_messages_per_conversation: self.max_messages_per_conversation.or(lower.max_messages_per_conversation),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RetryMode {
    Standard,
    Adaptive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResponseCacheOptions {
    pub max_entries: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    pub protocol_version: String,
    pub server_info: ServerInfo,
    pub capabilities: ServerCapabilities,
    pub backend: Backend,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerCapabilities {
    /// Every request method this build serves.
    pub methods: Vec<String>,
    /// Every notification the host may send.
    pub notifications: Vec<String>,
    /// Every request the host may send the client (`tool/call`), which the client answers.
    pub host_requests: Vec<String>,
    /// Named features: `streaming`, `tools`, `guardrails`, `responseCache`, …
    pub features: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Backend {
    pub kind: BackendKind,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Bedrock,
    Emulator,
}

/// `$/cancelRequest` params.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CancelParams {
    /// The id of the request to cancel (string or number).
    pub id: Value,
}
