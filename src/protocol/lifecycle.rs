//! `initialize` and the host's options (docs/protocol.md "Lifecycle").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::shapes::GuardrailConfiguration;

/// `initialize` params: who the client is, what it can do, and the host
/// options for this session. The first request of every session.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InitializeParams {
    /// The client's name and version, for the host's log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_info: Option<ClientInfo>,
    /// What the client can do; default `{"tools": true}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<ClientCapabilities>,
    /// HostOptions for this session; each one set here overrides its flag and environment variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initialization_options: Option<HostOptions>,
    /// LSP's `processId`; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_id: Option<Value>,
    /// LSP's `rootUri`; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_uri: Option<Value>,
    /// LSP's `workspaceFolders`; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_folders: Option<Value>,
    /// LSP's `trace`; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Value>,
}

/// The client's name and version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    /// The client's name, e.g. `vscode-bedrock`.
    pub name: String,
    /// The client's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// What the client can do.
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
    /// AWS region of the Bedrock endpoint; default: AWS_REGION, then the profile's region (`us-east-1` with `--emulator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Profile of ~/.aws/config and ~/.aws/credentials; default: AWS_PROFILE, then `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Bedrock Runtime endpoint URL; default: AWS_ENDPOINT_URL_BEDROCK_RUNTIME, then the region's endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// Model for calls that name none: an id, inference-profile id, ARN or alias; default `haiku`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_model_id: Option<String>,
    /// HTTP attempts per Bedrock call, retries included; default: AWS_MAX_ATTEMPTS, then the SDK's 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// The AWS SDK's retry mode; default: AWS_RETRY_MODE, then `standard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_mode: Option<RetryMode>,
    /// Timeout of one Bedrock call attempt, and the longest silence within a stream, in milliseconds; default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<u64>,
    /// Persist conversations in this directory; default: in memory only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_dir: Option<String>,
    /// Answer identical stateless non-streaming `bedrock/converse` calls from an LRU cache; default off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_cache: Option<ResponseCacheOptions>,
    /// How long the host waits for the client to answer a `tool/call`, in milliseconds; default 60000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_timeout_ms: Option<u64>,
    /// Model calls per turn before the loop stops with `tool_iterations_exhausted`; default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tool_iterations: Option<u32>,
    /// A default guardrailConfig (Bedrock's shape) for every call that names no guardrail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_config: Option<GuardrailConfiguration>,
    /// Log level or tracing filter; replaces `--log-level`'s filter once `initialize` succeeds. One
    /// that does not parse answers -32602 here.
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

/// The AWS SDK's retry modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RetryMode {
    Standard,
    Adaptive,
}

/// The response cache (`responseCache`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResponseCacheOptions {
    /// How many responses the cache keeps, least recently used dropped first; 0 turns it off.
    pub max_entries: usize,
}

/// `initialize` result: what this host is and serves, and where its Bedrock calls go.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    /// The protocol version, `"1"`.
    pub protocol_version: String,
    /// The host's name (`bedrock-host`) and version.
    pub server_info: ServerInfo,
    /// The methods, notifications and features this build serves.
    pub capabilities: ServerCapabilities,
    /// Where Bedrock calls go.
    pub backend: Backend,
}

/// The host's name and version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// `bedrock-host`.
    pub name: String,
    /// The crate version, e.g. `0.1.0`.
    pub version: String,
}

/// What this build serves.
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

/// Where Bedrock calls go.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Backend {
    /// `emulator` with `--emulator`, else `bedrock`.
    pub kind: BackendKind,
    /// The region calls go to; empty when none is configured (every call then answers -32004).
    pub region: String,
    /// The endpoint override in force, if any: the emulator's URL, or `endpointUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
}

/// The kind of backend.
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
