//! The Converse response: output, usage, metrics, trace (docs/bedrock-wire.md §2).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponse {
    /// What the model produced.
    pub output: ConverseOutput,
    /// `end_turn`, `tool_use`, `max_tokens`, `stop_sequence`, `guardrail_intervened`,
    /// `content_filtered`, `malformed_model_output`, `malformed_tool_use`,
    /// `model_context_window_exceeded`, or a newer value passed through.
    pub stop_reason: String,
    /// Token counts of the call.
    pub usage: TokenUsage,
    /// Bedrock's timing of the call.
    pub metrics: ConverseMetrics,
    /// The model response members named by additionalModelResponseFieldPaths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_response_fields: Option<Value>,
    /// The guardrail and prompt-router trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<ConverseTrace>,
    /// Latency-optimized inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<PerformanceConfiguration>,
    /// The service tier to run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
}

bedrock_union! {
    /// What the model produced.
    pub enum ConverseOutput {
        "message" => Message(Message),
    }
}

/// Token counts of one call (or, in our results, a sum of calls).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    /// Input tokens read by the model.
    pub input_tokens: u32,
    /// Tokens the model generated.
    pub output_tokens: u32,
    /// Input plus output tokens.
    pub total_tokens: u32,
    /// Input tokens read from the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u32>,
    /// Input tokens written to the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_input_tokens: Option<u32>,
    /// Cache writes by time-to-live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_details: Option<Vec<CacheDetail>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheDetail {
    /// `5m` or `1h`.
    pub ttl: String,
    /// Input tokens written with this TTL.
    pub input_tokens: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseMetrics {
    /// Bedrock's own latency for the call, in milliseconds.
    pub latency_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseTrace {
    /// Present when guardrailConfig.trace is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<GuardrailTraceAssessment>,
    /// Present when a prompt router chose the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_router: Option<PromptRouterTrace>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromptRouterTrace {
    /// The model a prompt router chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_model_id: Option<String>,
}
