//! `initialize` and the host's options (docs/protocol.md "Lifecycle").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::shapes::GuardrailConfiguration;
use crate::error::FieldError;

/// `initialize` params: who the client is, what it can do, and the host
/// options for this session. The first request of every session. Every field
/// of LSP's `InitializeParams` is accepted, so a stock LSP client gets
/// through; those the host has no use for are ignored. Any other field is
/// refused, as in every method's params (a misspelt `initializationOptions`
/// must not drop the options silently).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InitializeParams {
    /// The client's name and version, for the host's log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_info: Option<ClientInfo>,
    /// What the client can do: the host's own `tools` (default true), and LSP's client capabilities
    /// (`textDocument`, `workspace`, `window`, `general`, `notebookDocument`, `experimental`, …),
    /// which are accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<ClientCapabilities>,
    /// HostOptions for this session; each one set here overrides its flag and environment variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initialization_options: Option<HostOptions>,
    /// LSP's `processId`; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_id: Option<Value>,
    /// LSP's `locale`; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Value>,
    /// LSP's `rootPath` (deprecated in LSP, still sent by many clients); accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_path: Option<Value>,
    /// LSP's `rootUri`; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_uri: Option<Value>,
    /// LSP's `workspaceFolders`; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_folders: Option<Value>,
    /// LSP's `trace`; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Value>,
    /// LSP's `workDoneToken`; accepted and ignored (the host reports no progress for `initialize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_done_token: Option<Value>,
}

/// The client's name and version (LSP's `clientInfo`; other members are ignored).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    /// The client's name, e.g. `vscode-bedrock`.
    pub name: String,
    /// The client's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// What the client can do. Keys other than the host's own (`tools`) are LSP's
/// client capabilities or a client's own: accepted and ignored, whatever their
/// shape, since every LSP client sends its own set.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientCapabilities {
    /// The client executes tools (`tool/call`). Default true; with false a
    /// turn that asks for a tool ends with stopReason `tool_use`.
    #[serde(default = "default_true")]
    pub tools: bool,
    /// LSP's `textDocument` client capabilities, any shape: the LSP face reads
    /// `codeAction.codeActionLiteralSupport` (without it, code actions are sent as plain `Command`s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_document: Option<Value>,
}

impl Default for ClientCapabilities {
    fn default() -> Self {
        Self { tools: true, text_document: None }
    }
}

fn default_true() -> bool {
    true
}

// Every option is checked by `HostOptions::problems`; a flag and its environment variable by the
// same checks (`OptionRange`, `check_region`, …) when the command line is parsed.
/// HostOptions: each also a flag and an environment variable. Precedence:
/// initializationOptions > flag > env > AWS config files. A value outside
/// its allowed range answers -32602 naming the option.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostOptions {
    /// AWS region of the Bedrock endpoint, e.g. `us-east-1`, `us-gov-west-1`; default: AWS_REGION, then the profile's region (`us-east-1` with `--emulator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 50))]
    pub region: Option<String>,
    /// Profile of ~/.aws/config and ~/.aws/credentials; default: AWS_PROFILE, then `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub profile: Option<String>,
    /// Bedrock Runtime endpoint URL (`http://` or `https://`); default: AWS_ENDPOINT_URL_BEDROCK_RUNTIME, then the region's endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub endpoint_url: Option<String>,
    /// Model for calls that name none: an id, inference-profile id, ARN or alias; default `haiku`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub default_model_id: Option<String>,
    /// HTTP attempts per Bedrock call, retries included, 1–20; default: AWS_MAX_ATTEMPTS, then the SDK's 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = MAX_ATTEMPTS.min, max = MAX_ATTEMPTS.max))]
    pub max_attempts: Option<u32>,
    /// The AWS SDK's retry mode; default: AWS_RETRY_MODE, then `standard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_mode: Option<RetryMode>,
    /// Timeout of one Bedrock call attempt (for a stream: until its response headers), in milliseconds,
    /// 1–3600000; default none. Also the stream idle timeout when `streamIdleTimeoutMs` is not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = REQUEST_TIMEOUT_MS.min, max = REQUEST_TIMEOUT_MS.max))]
    pub request_timeout_ms: Option<u64>,
    /// Longest wait for a stream's first event and between two events, in milliseconds, 1–3600000;
    /// default: `requestTimeoutMs` when set, else 120000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = STREAM_IDLE_TIMEOUT_MS.min, max = STREAM_IDLE_TIMEOUT_MS.max))]
    pub stream_idle_timeout_ms: Option<u64>,
    /// Persist conversations in this directory; default: in memory only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub storage_dir: Option<String>,
    /// Answer identical stateless non-streaming `bedrock/converse` calls from an LRU cache; default off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_cache: Option<ResponseCacheOptions>,
    /// How long the host waits for the client to answer a `tool/call`, in milliseconds, 1–86400000; default 60000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = TOOL_CALL_TIMEOUT_MS.min, max = TOOL_CALL_TIMEOUT_MS.max))]
    pub tool_call_timeout_ms: Option<u64>,
    /// Model calls per turn before the loop stops with `tool_iterations_exhausted`, 0–1000 (0 counts as 1); default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = MAX_TOOL_ITERATIONS.min, max = MAX_TOOL_ITERATIONS.max))]
    pub max_tool_iterations: Option<u32>,
    /// A default guardrailConfig (Bedrock's shape) for every call that names no guardrail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_config: Option<GuardrailConfiguration>,
    /// Log level or tracing filter; replaces `--log-level`'s filter once `initialize` succeeds. One
    /// that does not parse answers -32602 here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    /// Most conversations the host keeps, 1–1000000; `conversation/create` and `fork` beyond it are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = MAX_CONVERSATIONS.min, max = MAX_CONVERSATIONS.max))]
    pub max_conversations: Option<usize>,
    /// A turn is refused once a conversation's history holds this many messages, 1–1000000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = MAX_MESSAGES_PER_CONVERSATION.min, max = MAX_MESSAGES_PER_CONVERSATION.max))]
    pub max_messages_per_conversation: Option<usize>,
    /// The LSP face's completion and code-action options (docs/lsp.md "Options"); `initializationOptions` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_completion: Option<super::lsp::InlineCompletionOptions>,
    /// `auto` (default): for a model that offers prompt caching, the host places cache points in each
    /// conversation's calls; `off`: it places none. A conversation may set its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_caching: Option<super::context::PromptCachingMode>,
    /// What a conversation does when a call would exceed its `maxContextTokens`: `summarize` (default),
    /// `truncate` or `fail`. A conversation may set its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_strategy: Option<super::context::ContextStrategy>,
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
            stream_idle_timeout_ms: self.stream_idle_timeout_ms.or(lower.stream_idle_timeout_ms),
            storage_dir: self.storage_dir.or(lower.storage_dir),
            response_cache: self.response_cache.or(lower.response_cache),
            tool_call_timeout_ms: self.tool_call_timeout_ms.or(lower.tool_call_timeout_ms),
            max_tool_iterations: self.max_tool_iterations.or(lower.max_tool_iterations),
            guardrail_config: self.guardrail_config.or(lower.guardrail_config),
            log_level: self.log_level.or(lower.log_level),
            max_conversations: self.max_conversations.or(lower.max_conversations),
            max_messages_per_conversation: self.max_messages_per_conversation.or(lower.max_messages_per_conversation),
            inline_completion: self.inline_completion.or(lower.inline_completion),
            prompt_caching: self.prompt_caching.or(lower.prompt_caching),
            context_strategy: self.context_strategy.or(lower.context_strategy),
        }
    }

    /// `Ok` when every option is within its allowed values; else -32602 naming
    /// each bad one at `{prefix}.{option}` (`initializationOptions.maxAttempts`).
    pub fn validate(&self, prefix: &str) -> crate::HostResult<()> {
        let errors: Vec<FieldError> = self
            .problems()
            .into_iter()
            .map(|problem| FieldError::new(format!("{prefix}.{}", problem.path), problem.message))
            .collect();
        if errors.is_empty() {
            return Ok(());
        }
        let summary = errors.iter().map(|error| format!("`{}`: {}", error.path, error.message)).collect::<Vec<_>>();
        Err(crate::HostError::InvalidParams { summary: summary.join("; "), errors })
    }

    /// Every option outside its allowed values, one [`FieldError`] each, at
    /// the option's path (`maxAttempts`, `responseCache.maxEntries`, …).
    /// The flags run the same checks on their values (`src/cli.rs`).
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        let mut check = |path: &str, outcome: Result<(), String>| {
            if let Err(message) = outcome {
                problems.push(FieldError::new(path, message));
            }
        };
        fn ranged<T: Into<u128> + Copy>(value: Option<T>, range: OptionRange) -> Result<(), String> {
            value.map_or(Ok(()), |value| range.check(value.into()))
        }
        let usize_ranged = |value: Option<usize>, range: OptionRange| {
            ranged(value.map(|v| u64::try_from(v).unwrap_or(u64::MAX)), range)
        };
        if let Some(region) = &self.region {
            check("region", check_region(region));
        }
        if let Some(profile) = &self.profile {
            check("profile", check_profile(profile));
        }
        if let Some(url) = &self.endpoint_url {
            check("endpointUrl", check_endpoint_url(url));
        }
        if let Some(model) = &self.default_model_id {
            check("defaultModelId", check_model_id(model));
        }
        check("maxAttempts", ranged(self.max_attempts, MAX_ATTEMPTS));
        check("requestTimeoutMs", ranged(self.request_timeout_ms, REQUEST_TIMEOUT_MS));
        check("streamIdleTimeoutMs", ranged(self.stream_idle_timeout_ms, STREAM_IDLE_TIMEOUT_MS));
        if let Some(dir) = &self.storage_dir {
            check("storageDir", check_storage_dir(dir));
        }
        if let Some(cache) = &self.response_cache {
            check("responseCache.maxEntries", usize_ranged(Some(cache.max_entries), RESPONSE_CACHE_ENTRIES));
        }
        check("toolCallTimeoutMs", ranged(self.tool_call_timeout_ms, TOOL_CALL_TIMEOUT_MS));
        check("maxToolIterations", ranged(self.max_tool_iterations, MAX_TOOL_ITERATIONS));
        if let Some(guardrail) = &self.guardrail_config {
            check(
                "guardrailConfig.guardrailIdentifier",
                non_empty(&guardrail.guardrail_identifier, "a guardrail id or ARN"),
            );
            check(
                "guardrailConfig.guardrailVersion",
                non_empty(&guardrail.guardrail_version, "a version number or `DRAFT`"),
            );
        }
        if let Some(level) = &self.log_level {
            check("logLevel", crate::logging::check_level(level));
        }
        check("maxConversations", usize_ranged(self.max_conversations, MAX_CONVERSATIONS));
        check(
            "maxMessagesPerConversation",
            usize_ranged(self.max_messages_per_conversation, MAX_MESSAGES_PER_CONVERSATION),
        );
        if let Some(inline) = &self.inline_completion {
            problems.extend(inline.problems("inlineCompletion"));
        }
        problems
    }
}

/// The allowed values of an integer option, the same for its flag, its
/// environment variable and `initializationOptions` (docs/protocol.md "HostOptions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionRange {
    pub min: u64,
    pub max: u64,
}

impl OptionRange {
    /// `Ok` when `value` is within the range; else what to send instead.
    pub fn check(self, value: u128) -> Result<(), String> {
        if (u128::from(self.min)..=u128::from(self.max)).contains(&value) {
            Ok(())
        } else {
            Err(format!("{value} is out of range; give a whole number from {} to {}", self.min, self.max))
        }
    }

    /// Parses a flag's or environment variable's text and checks it.
    pub fn parse<T: TryFrom<u64>>(self, text: &str) -> Result<T, String> {
        let value: u128 = text
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not a whole number; give one from {} to {}", self.min, self.max))?;
        self.check(value)?;
        let value = u64::try_from(value).expect("within a u64 range");
        T::try_from(value).map_err(|_| format!("{value} does not fit this platform"))
    }
}

/// `maxAttempts`: each attempt may wait out a backoff; more than 20 only delays the error.
pub const MAX_ATTEMPTS: OptionRange = OptionRange { min: 1, max: 20 };
/// `requestTimeoutMs`: up to an hour, the longest a single Bedrock answer may take.
pub const REQUEST_TIMEOUT_MS: OptionRange = OptionRange { min: 1, max: 3_600_000 };
/// `streamIdleTimeoutMs`: up to an hour.
pub const STREAM_IDLE_TIMEOUT_MS: OptionRange = OptionRange { min: 1, max: 3_600_000 };
/// The stream idle timeout when neither `streamIdleTimeoutMs` nor `requestTimeoutMs` is set: a long
/// prompt's first token can take a minute or more.
pub const DEFAULT_STREAM_IDLE_TIMEOUT_MS: u64 = 120_000;
/// `toolCallTimeoutMs`: up to a day, for tools that wait for a person.
pub const TOOL_CALL_TIMEOUT_MS: OptionRange = OptionRange { min: 1, max: 86_400_000 };
/// `maxToolIterations` (0 counts as 1).
pub const MAX_TOOL_ITERATIONS: OptionRange = OptionRange { min: 0, max: 1000 };
/// `maxConversations`.
pub const MAX_CONVERSATIONS: OptionRange = OptionRange { min: 1, max: 1_000_000 };
/// `maxMessagesPerConversation`.
pub const MAX_MESSAGES_PER_CONVERSATION: OptionRange = OptionRange { min: 1, max: 1_000_000 };
/// `responseCache.maxEntries` and `--response-cache-entries` (0 is off). Each entry holds a whole response.
pub const RESPONSE_CACHE_ENTRIES: OptionRange = OptionRange { min: 0, max: 100_000 };

fn non_empty(text: &str, what: &str) -> Result<(), String> {
    if text.trim().is_empty() { Err(format!("is empty; give {what}")) } else { Ok(()) }
}

/// The text quoted in an error message: escapes shown, cut to a readable length.
fn quoted(text: &str) -> String {
    let escaped: String = text.escape_debug().collect();
    if escaped.chars().count() > 60 { format!("{}…", escaped.chars().take(60).collect::<String>()) } else { escaped }
}

/// An AWS region name: two letters, words joined by `-`, and a number
/// (`us-east-1`, `us-gov-west-1`, `cn-north-1`, `eu-isoe-west-1`).
pub fn check_region(region: &str) -> Result<(), String> {
    let valid = region.len() <= 50 && {
        let parts: Vec<&str> = region.split('-').collect();
        parts.len() >= 3
            && parts[0].len() == 2
            && parts[..parts.len() - 1]
                .iter()
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase()))
            && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
            && !parts[parts.len() - 1].is_empty()
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not an AWS region name; give one such as `us-east-1`, `eu-west-3` or `us-gov-west-1`",
            quoted(region)
        ))
    }
}

/// A profile name: not empty, no control characters.
pub fn check_profile(profile: &str) -> Result<(), String> {
    non_empty(profile, "the name of a profile in ~/.aws/config")?;
    if profile.chars().any(char::is_control) {
        return Err(format!("`{}` holds a control character; give a profile name from ~/.aws/config", quoted(profile)));
    }
    Ok(())
}

/// An endpoint URL: `http://` or `https://`, a host, no spaces or control characters.
pub fn check_endpoint_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    let clean = !url.chars().any(|c| c.is_control() || c.is_whitespace());
    match host {
        Some(host) if clean && !host.is_empty() => Ok(()),
        _ => Err(format!(
            "`{}` is not an http:// or https:// URL with a host; give one such as \
             `https://bedrock-runtime.us-east-1.amazonaws.com`",
            quoted(url)
        )),
    }
}

/// A model id, profile id, ARN or alias: not empty, at most 2048 characters (Bedrock's limit).
pub fn check_model_id(model: &str) -> Result<(), String> {
    non_empty(model, "a model id, inference-profile id, ARN or alias such as `sonnet`")?;
    if model.len() > 2048 {
        return Err(format!("is {} bytes long; Bedrock model ids are at most 2048", model.len()));
    }
    if model.chars().any(char::is_control) {
        return Err(format!("`{}` holds a control character; give a model id or alias", quoted(model)));
    }
    Ok(())
}

/// A storage directory: not empty (that would be the working directory), no NUL byte.
pub fn check_storage_dir(dir: &str) -> Result<(), String> {
    if dir.trim().is_empty() {
        return Err("is empty; give the directory to keep conversations in (an empty path would be the working \
                    directory)"
            .into());
    }
    if dir.contains('\0') {
        return Err("holds a NUL byte, which no path can; give a directory path".into());
    }
    Ok(())
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
    /// How many responses the cache keeps, 0–100000, least recently used dropped first; 0 turns it off.
    #[schemars(range(min = RESPONSE_CACHE_ENTRIES.min, max = RESPONSE_CACHE_ENTRIES.max))]
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
    /// LSP's ServerCapabilities keys (docs/lsp.md), which share no key with the host's.
    #[serde(flatten)]
    pub lsp: super::lsp::LspServerCapabilities,
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
