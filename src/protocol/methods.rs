//! Params and results of the stateless Bedrock methods (`bedrock/*`) and the
//! catalog methods (`bedrock/listModels`, `cost/estimate`), docs/protocol.md
//! "Stateless Bedrock operations". Request bodies are Bedrock's own shapes
//! from [`super::shapes`]; where a method adds a member (`stream`, `watch`)
//! the params repeat the Bedrock members instead of using `#[serde(flatten)]`,
//! because flattening would lose the field path of an invalid-params error and
//! the check for unknown fields; a test keeps the two member lists equal.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use super::shapes::{
    AsyncInvokeOutputDataConfig, ConverseRequest, ConverseResponse, CountTokensInput, GuardrailConfiguration,
    InferenceConfiguration, Message, OutputConfig, PerformanceConfigLatency, PerformanceConfiguration,
    PromptVariableValues, ServiceTier, ServiceTierType, StartAsyncInvokeRequest, SystemContentBlock, Tag, TokenUsage,
    ToolConfiguration,
};

/// Params of methods that take none: an empty object (or no params at all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyParams {}

// ---------------------------------------------------------------------------
// bedrock/listModels

/// `bedrock/listModels` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListModelsResult {
    /// Every model in the host's catalog.
    pub models: Vec<ModelInfo>,
}

/// A model of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// The base model id, e.g. `anthropic.claude-3-5-haiku-20241022-v1:0`.
    pub id: String,
    /// A display name, e.g. `Claude 3.5 Haiku`.
    pub name: String,
    /// The model's provider, e.g. `Anthropic`.
    pub provider: String,
    /// Cross-region inference-profile ids by geography.
    pub inference_profiles: InferenceProfiles,
    /// The most input tokens the model accepts.
    pub context_window: u32,
    /// The most tokens the model generates in one response.
    pub max_output_tokens: u32,
    /// On-demand prices.
    pub pricing: Pricing,
    /// What the model supports.
    pub supports: ModelSupports,
    /// Short names that resolve to this model (`haiku`, …).
    pub aliases: Vec<String>,
}

/// Inference-profile ids of a model, by geography; absent where the model has none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InferenceProfiles {
    /// The `us.` profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us: Option<String>,
    /// The `eu.` profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eu: Option<String>,
    /// The `apac.` profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apac: Option<String>,
    /// The `global.` profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global: Option<String>,
}

/// On-demand prices of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pricing {
    /// Price of one million input tokens.
    pub input_per_million: f64,
    /// Price of one million output tokens.
    pub output_per_million: f64,
    /// ISO 4217 currency code; `USD`.
    pub currency: String,
    /// The date (YYYY-MM-DD) the prices were taken from the AWS price list.
    pub as_of: String,
    /// Price of one million input tokens read from the prompt cache; absent for a model without prompt caching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_per_million: Option<f64>,
    /// Price of one million input tokens written to the prompt cache; absent where writes cost the
    /// ordinary input price (Amazon Nova) or the model has no prompt caching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_per_million: Option<f64>,
}

/// What a model supports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelSupports {
    /// ConverseStream.
    pub streaming: bool,
    /// Tool use.
    pub tools: bool,
    /// Image content blocks.
    pub images: bool,
    /// Document content blocks.
    pub documents: bool,
    /// Reasoning (extended thinking) content.
    pub reasoning: bool,
    /// Guardrails.
    pub guardrails: bool,
}

// ---------------------------------------------------------------------------
// bedrock/converse

/// `bedrock/converse` params: Converse's request plus `stream`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConverseParams {
    /// A model id, inference-profile id, ARN or catalog alias (`sonnet`, `haiku`, …).
    pub model_id: String,
    /// The conversation so far; optional only when a prompt resource supplies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Message>>,
    /// The system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<Vec<SystemContentBlock>>,
    /// Inference parameters (maxTokens, temperature, topP, stopSequences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<InferenceConfiguration>,
    /// Tools the model may call; the client runs them (this method does not loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfiguration>,
    /// A guardrail to apply; overrides the host's default guardrailConfig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_config: Option<GuardrailConfiguration>,
    /// Model-specific request members, passed through as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<Value>,
    /// Values for the variables of a prompt resource (with a prompt ARN as modelId).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_variables: Option<BTreeMap<String, PromptVariableValues>>,
    /// JSON Pointers (at most 10) of model response members to return in additionalModelResponseFields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_response_field_paths: Option<Vec<String>>,
    /// 1–16 key/value pairs recorded in invocation logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_metadata: Option<BTreeMap<String, String>>,
    /// Latency-optimized inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<PerformanceConfiguration>,
    /// The service tier to run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// Structured (JSON Schema) output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_config: Option<OutputConfig>,
    /// Call ConverseStream and send each event as a `converse/event` notification
    /// before the result. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
}

impl ConverseParams {
    /// Splits the params into Bedrock's request and whether to stream.
    pub fn into_request(self) -> (ConverseRequest, bool) {
        let request = ConverseRequest {
            model_id: self.model_id,
            messages: self.messages,
            system: self.system,
            inference_config: self.inference_config,
            tool_config: self.tool_config,
            guardrail_config: self.guardrail_config,
            additional_model_request_fields: self.additional_model_request_fields,
            prompt_variables: self.prompt_variables,
            additional_model_response_field_paths: self.additional_model_response_field_paths,
            request_metadata: self.request_metadata,
            performance_config: self.performance_config,
            service_tier: self.service_tier,
            output_config: self.output_config,
        };
        (request, self.stream.unwrap_or(false))
    }
}

/// `bedrock/converse` result: Converse's response (assembled from the events
/// when streaming) plus its cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResult {
    /// Bedrock's response, member for member.
    #[serde(flatten)]
    pub response: ConverseResponse,
    /// What the call cost, from the catalog's prices and the usage; `null` when the catalog has no
    /// price for the model; 0 for an answer from the response cache.
    pub cost_usd: Option<f64>,
    /// True when the host answered from its response cache without calling Bedrock.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
}

// ---------------------------------------------------------------------------
// bedrock/invokeModel

/// `bedrock/invokeModel` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvokeModelParams {
    /// A model id, inference-profile id, ARN or catalog alias.
    pub model_id: String,
    /// The model-native request body, as JSON.
    pub body: Value,
    /// The request body's MIME type. Default `application/json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The MIME type wanted for the response. Default `application/json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<String>,
    /// A guardrail id or ARN to apply (needs guardrailVersion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_identifier: Option<String>,
    /// The guardrail's version number or `DRAFT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_version: Option<String>,
    /// Whether the response body carries the guardrail trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<InvokeModelTrace>,
    /// Latency-optimized inference (`X-Amzn-Bedrock-PerformanceConfig-Latency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config_latency: Option<PerformanceConfigLatency>,
    /// The service tier to run on (`X-Amzn-Bedrock-Service-Tier`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTierType>,
    /// Call InvokeModelWithResponseStream and send each chunk as an `invoke/chunk`
    /// notification; the result is then `{chunks}`. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
}

/// InvokeModel's `X-Amzn-Bedrock-Trace` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvokeModelTrace {
    Enabled,
    Disabled,
    EnabledFull,
}

/// `bedrock/invokeModel` result: the body, or with `stream: true` the chunk count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum InvokeModelResult {
    /// Without `stream`.
    Body(InvokeModelBody),
    /// With `stream: true`.
    Streamed(InvokeModelStreamed),
}

/// The model's response to `bedrock/invokeModel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvokeModelBody {
    /// The model-native response body, parsed as JSON.
    pub body: Value,
    /// The response body's MIME type.
    pub content_type: String,
    /// The guardrail's action (`INTERVENED` or `NONE`) when a guardrail was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_action: Option<String>,
    /// The latency mode Bedrock used, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config_latency: Option<String>,
    /// The service tier Bedrock used, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
}

/// The result of a streamed `bedrock/invokeModel`; the chunks went out as `invoke/chunk`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvokeModelStreamed {
    /// How many `invoke/chunk` notifications were sent.
    pub chunks: u32,
    /// The chunks' MIME type (`X-Amzn-Bedrock-Content-Type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The latency mode Bedrock used, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config_latency: Option<String>,
    /// The service tier Bedrock used, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Token counts, from the last chunk's `amazon-bedrock-invocationMetrics`
    /// (`inputTokenCount`, `outputTokenCount`) when it carries them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
    /// The last chunk's `amazon-bedrock-invocationMetrics` as Bedrock sent it
    /// (`inputTokenCount`, `outputTokenCount`, `invocationLatency`, `firstByteLatency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_metrics: Option<Value>,
    /// The guardrail's action (`INTERVENED` or `NONE`) when a chunk carried
    /// `amazon-bedrock-guardrailAction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_action: Option<String>,
}

// ---------------------------------------------------------------------------
// bedrock/countTokens

/// `bedrock/countTokens` params: CountTokens' request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CountTokensParams {
    /// A model id, inference-profile id, ARN or alias; profiles are mapped to their base model id.
    pub model_id: String,
    /// What to count: `{converse: {messages, system?, toolConfig?}}` or `{invokeModel: {body}}`.
    pub input: CountTokensInput,
    /// Output tokens to expect; the result then adds `estimatedCostUsd` for the
    /// counted input plus these, at the catalog's prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_output_tokens: Option<u64>,
}

/// `bedrock/countTokens` and `conversation/countTokens` result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CountTokensResult {
    /// The input tokens the model would read.
    pub input_tokens: u32,
    /// With `expectedOutputTokens`: what the input tokens and that many output
    /// tokens cost at the catalog's prices; absent when the catalog has no
    /// price for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_cost_usd: Option<f64>,
}

// ---------------------------------------------------------------------------
// bedrock/startAsyncInvoke

/// `bedrock/startAsyncInvoke` params: StartAsyncInvoke's request plus `watch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartAsyncInvokeParams {
    /// Idempotency token (`[!-~]{1,256}`); a UUID is filled in when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    /// The model to run, e.g. `amazon.nova-reel-v1:0`.
    pub model_id: String,
    /// The model-native input, any JSON.
    pub model_input: Value,
    /// Where the job writes its output.
    pub output_data_config: AsyncInvokeOutputDataConfig,
    /// Tags for the job (at most 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// Poll the job and send `async/status` notifications until it ends. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<bool>,
}

impl StartAsyncInvokeParams {
    /// Splits the params into Bedrock's request and whether to watch the job.
    pub fn into_request(self) -> (StartAsyncInvokeRequest, bool) {
        let request = StartAsyncInvokeRequest {
            client_request_token: self.client_request_token,
            model_id: self.model_id,
            model_input: self.model_input,
            output_data_config: self.output_data_config,
            tags: self.tags,
        };
        (request, self.watch.unwrap_or(false))
    }
}

// ---------------------------------------------------------------------------
// cost/estimate

/// `cost/estimate` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CostEstimateParams {
    /// A model id, inference-profile id, ARN or catalog alias.
    pub model_id: String,
    /// Input tokens to price.
    pub input_tokens: u64,
    /// Output tokens to price.
    pub output_tokens: u64,
}

/// `cost/estimate` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostEstimateResult {
    /// Cost of the input tokens.
    pub input_cost_usd: f64,
    /// Cost of the output tokens.
    pub output_cost_usd: f64,
    /// inputCostUsd + outputCostUsd.
    pub total_cost_usd: f64,
    /// The prices used.
    pub pricing: Pricing,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use schemars::schema_for;
    use serde_json::json;

    use super::*;
    use crate::protocol::shapes::{ConverseMetrics, ConverseOutput, TokenUsage};

    fn property_names(schema: schemars::Schema) -> BTreeSet<String> {
        schema.as_value()["properties"].as_object().unwrap().keys().cloned().collect()
    }

    #[test]
    fn converse_params_are_converse_request_plus_stream() {
        let mut expected = property_names(schema_for!(ConverseRequest));
        expected.insert("stream".into());
        assert_eq!(property_names(schema_for!(ConverseParams)), expected);
    }

    #[test]
    fn start_async_invoke_params_are_the_request_plus_watch() {
        let mut expected = property_names(schema_for!(StartAsyncInvokeRequest));
        expected.insert("watch".into());
        assert_eq!(property_names(schema_for!(StartAsyncInvokeParams)), expected);
    }

    #[test]
    fn into_request_keeps_every_member() {
        let params: ConverseParams = serde_json::from_value(json!({
            "modelId": "m", "messages": [], "system": [{"text": "s"}], "inferenceConfig": {"maxTokens": 5},
            "toolConfig": {"tools": [{"systemTool": {"name": "t"}}]},
            "guardrailConfig": {"guardrailIdentifier": "g", "guardrailVersion": "1"},
            "additionalModelRequestFields": {"a": 1}, "promptVariables": {"v": {"text": "x"}},
            "additionalModelResponseFieldPaths": ["/x"], "requestMetadata": {"k": "v"},
            "performanceConfig": {"latency": "standard"}, "serviceTier": {"type": "priority"},
            "outputConfig": {"effort": "low"}, "stream": true
        }))
        .unwrap();
        let mut expected = serde_json::to_value(&params).unwrap();
        expected.as_object_mut().unwrap().remove("stream");
        let (request, stream) = params.into_request();
        assert!(stream);
        assert_eq!(serde_json::to_value(request).unwrap(), expected);
    }

    #[test]
    fn converse_result_is_the_response_plus_cost() {
        let result = ConverseResult {
            response: ConverseResponse {
                output: ConverseOutput::Message(Message {
                    role: crate::protocol::shapes::ConversationRole::Assistant,
                    content: vec![],
                }),
                stop_reason: "end_turn".into(),
                usage: TokenUsage { input_tokens: 1, output_tokens: 2, total_tokens: 3, ..TokenUsage::default() },
                metrics: ConverseMetrics { latency_ms: 4 },
                additional_model_response_fields: None,
                trace: None,
                performance_config: None,
                service_tier: None,
            },
            cost_usd: Some(0.5),
            cached: false,
        };
        let expected = json!({"output": {"message": {"role": "assistant", "content": []}}, "stopReason": "end_turn",
            "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3}, "metrics": {"latencyMs": 4}, "costUsd": 0.5});
        assert_eq!(serde_json::to_value(&result).unwrap(), expected);
        let cached = ConverseResult { cached: true, ..result };
        assert_eq!(serde_json::to_value(&cached).unwrap()["cached"], true);
    }

    #[test]
    fn invoke_model_result_is_the_body_or_the_chunk_count() {
        let body: InvokeModelResult =
            serde_json::from_value(json!({"body": {"completion": "hi"}, "contentType": "application/json"})).unwrap();
        assert!(matches!(body, InvokeModelResult::Body(_)));
        let streamed: InvokeModelResult = serde_json::from_value(json!({"chunks": 3})).unwrap();
        assert_eq!(streamed, InvokeModelResult::Streamed(InvokeModelStreamed { chunks: 3, ..Default::default() }));
        let with_usage: InvokeModelResult = serde_json::from_value(
            json!({"chunks": 2, "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3}}),
        )
        .unwrap();
        assert!(matches!(with_usage, InvokeModelResult::Streamed(InvokeModelStreamed { usage: Some(_), .. })));
        let trace: InvokeModelParams =
            serde_json::from_value(json!({"modelId": "m", "body": {}, "trace": "ENABLED_FULL"})).unwrap();
        assert_eq!(trace.trace, Some(InvokeModelTrace::EnabledFull));
    }
}
