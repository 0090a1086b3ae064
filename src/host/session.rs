//! The per-process state every handler sees.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::backend::BedrockBackend;
use crate::agent::tool_registry::ToolRegistry;
use crate::catalog;
use crate::catalog::usage::UsageLedger;
use crate::conversations::store::ConversationStore;
use crate::error::{HostError, HostResult};
use crate::host::response_cache::ResponseCache;
use crate::protocol::shapes::GuardrailConfiguration;
use crate::protocol::{ClientCapabilities, HostOptions};

/// The model used when a call names none and no defaultModelId is set.
pub const FALLBACK_MODEL: &str = "haiku";
/// How long the host waits for a `tool/call` answer by default.
pub const DEFAULT_TOOL_CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Model calls per turn by default.
pub const DEFAULT_MAX_TOOL_ITERATIONS: u32 = 10;

/// Created by `initialize`, shared by every request after it (`Arc<Session>`).
/// Services are fields here, built in [`super::handlers::lifecycle::initialize`].
pub struct Session {
    /// Effective options: `initializationOptions` over flags over environment.
    pub options: HostOptions,
    pub client_capabilities: ClientCapabilities,
    /// Where Bedrock calls go.
    pub backend: BedrockBackend,
    pub conversations: ConversationStore,
    pub tools: ToolRegistry,
    pub usage: UsageLedger,
    /// Identical stateless non-streaming `bedrock/converse` calls, when enabled.
    pub response_cache: Option<ResponseCache>,
    /// Cancelled when the session ends (`exit` or end of input); background
    /// work that outlives its request (e.g. watched async jobs) stops on it.
    pub shutdown: CancellationToken,
    /// The LSP face's documents and options (docs/lsp.md).
    pub lsp: crate::lsp::LspState,
}

impl Session {
    /// The region aliases resolve for.
    pub fn region(&self) -> &str {
        if self.backend.region.is_empty() { super::backend::DEFAULT_REGION } else { &self.backend.region }
    }

    /// The model id to send for what a client wrote (or for nothing: the default).
    pub fn resolve_model(&self, requested: Option<&str>) -> HostResult<String> {
        let requested = requested.or(self.options.default_model_id.as_deref()).unwrap_or(FALLBACK_MODEL).trim();
        if requested.is_empty() {
            return Err(HostError::invalid_field(
                "modelId",
                "is empty; give a model id, inference-profile id, ARN or alias such as `sonnet` (see bedrock/listModels)",
            ));
        }
        Ok(catalog::resolve_model_id(requested, self.region()))
    }

    /// HostOptions.guardrailConfig, applied to every call that names no guardrail.
    pub fn default_guardrail(&self) -> Option<GuardrailConfiguration> {
        self.options.guardrail_config.clone()
    }

    pub fn tool_call_timeout(&self) -> Duration {
        self.options.tool_call_timeout_ms.map_or(DEFAULT_TOOL_CALL_TIMEOUT, Duration::from_millis)
    }

    pub fn max_tool_iterations(&self) -> u32 {
        self.options.max_tool_iterations.unwrap_or(DEFAULT_MAX_TOOL_ITERATIONS).max(1)
    }
}
