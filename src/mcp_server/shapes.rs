//! The JSON of `bedrock-host mcp`'s tools: each tool's arguments and its
//! `structuredContent`, with serde + schemars. The tools' `inputSchema` and
//! `outputSchema` are generated from these types, and the results are
//! serialized from them, so what a client validates against is what it gets
//! (docs/mcp-server.md "Tools").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::protocol::shapes::{ApplyGuardrailRequest, ApplyGuardrailResponse, Message, TokenUsage};

/// Arguments of `converse`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConverseArgs {
    /// The model: an alias (`sonnet`, `haiku`, `opus`, `nova-pro`, … see `list_models`), a Bedrock model id,
    /// an inference-profile id or an ARN. Default: the server's default model.
    #[serde(default)]
    pub model: Option<String>,
    /// The user's message, as plain text. Give this or `messages`.
    #[serde(default)]
    pub prompt: Option<String>,
    /// The whole conversation in Bedrock Converse's shape, oldest first, ending with a `user` message:
    /// `[{"role": "user", "content": [{"text": "…"}]}, …]`. Give this or `prompt`.
    #[serde(default)]
    #[schemars(schema_with = "messages_schema")]
    pub messages: Option<Vec<Message>>,
    /// A system prompt.
    #[serde(default)]
    pub system: Option<String>,
    /// The most tokens the answer may have (at least 1).
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Sampling temperature, 0 to 1; higher is more random.
    #[serde(default)]
    pub temperature: Option<f32>,
}

/// `structuredContent` of `converse`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseOutput {
    /// The answer's text (its text blocks joined).
    pub text: String,
    /// Why the model stopped: `end_turn`, `max_tokens`, `stop_sequence`, `guardrail_intervened`,
    /// `content_filtered`, … (Bedrock's value, passed through).
    pub stop_reason: String,
    /// Token counts of the call.
    pub usage: TokenUsage,
    /// What the call cost in USD at the catalog's list prices; null when the catalog has no price for the model.
    pub cost_usd: Option<f64>,
    /// The model id the call was sent with (an alias resolved for the region).
    pub model_id: String,
    /// Bedrock's time for the call, in milliseconds.
    pub latency_ms: u64,
}

/// Arguments of `count_tokens`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CountTokensArgs {
    /// The model, as for `converse`. Default: the server's default model.
    #[serde(default)]
    pub model: Option<String>,
    /// Text to count as one user message. Give this or `messages`.
    #[serde(default)]
    pub prompt: Option<String>,
    /// A conversation in Bedrock Converse's shape to count. Give this or `prompt`.
    #[serde(default)]
    #[schemars(schema_with = "messages_schema")]
    pub messages: Option<Vec<Message>>,
    /// A system prompt, counted too.
    #[serde(default)]
    pub system: Option<String>,
    /// Output tokens you expect, to include in `estimatedCostUsd`.
    #[serde(default)]
    pub expected_output_tokens: Option<u64>,
}

/// `structuredContent` of `count_tokens`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CountTokensOutput {
    /// Input tokens the model would read for this input.
    pub input_tokens: u32,
    /// The base model id the tokens were counted for (CountTokens takes no inference profiles).
    pub model_id: String,
    /// The cost in USD of these input tokens plus `expectedOutputTokens`; null when the catalog has no price.
    pub estimated_cost_usd: Option<f64>,
}

/// Arguments of `apply_guardrail`: Bedrock ApplyGuardrail's request.
pub type ApplyGuardrailArgs = ApplyGuardrailRequest;

/// `structuredContent` of `apply_guardrail`: Bedrock ApplyGuardrail's response.
pub type ApplyGuardrailOutput = ApplyGuardrailResponse;

/// Arguments of `list_models`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListModelsArgs {
    /// Only this provider's models (`Anthropic`, `Amazon`, `Meta`, …; any case).
    #[serde(default)]
    pub provider: Option<String>,
}

/// `structuredContent` of `list_models`, and the `bedrock://models` resource.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelCatalog {
    /// The AWS region calls go to; `modelIdInRegion` is resolved for it.
    pub region: String,
    /// The model `converse` uses when given none, as configured (an alias or id).
    pub default_model: String,
    /// The date the prices were read.
    pub prices_as_of: String,
    /// Where the prices come from.
    pub prices_source: String,
    pub models: Vec<CatalogModel>,
}

/// One model of the catalog.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogModel {
    /// The base (foundation) model id.
    pub id: String,
    pub name: String,
    pub provider: String,
    /// Short names accepted wherever a model is asked for.
    pub aliases: Vec<String>,
    /// What an alias of this model is sent as in this region: the region's cross-region inference profile,
    /// else the global one, else the base id.
    pub model_id_in_region: String,
    /// Cross-region inference-profile ids by geography (null where none exists).
    pub inference_profiles: Profiles,
    pub context_window: u32,
    pub max_output_tokens: u32,
    pub pricing: ModelPricing,
    pub supports: ModelFeatures,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profiles {
    /// For us-* and ca-* regions.
    pub us: Option<String>,
    /// For eu-* regions.
    pub eu: Option<String>,
    /// For ap-* regions.
    pub apac: Option<String>,
    /// Any commercial region.
    pub global: Option<String>,
}

/// On-demand list prices, USD per million tokens.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelPricing {
    pub input_per_million: f64,
    pub output_per_million: f64,
    /// Prompt-cache reads, where the model supports caching.
    pub cache_read_per_million: Option<f64>,
    /// Prompt-cache writes, where the model charges for them.
    pub cache_write_per_million: Option<f64>,
    /// Always `USD`.
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelFeatures {
    pub streaming: bool,
    pub tools: bool,
    pub images: bool,
    pub documents: bool,
    pub reasoning: bool,
    pub guardrails: bool,
}

/// Arguments of `estimate_cost`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EstimateCostArgs {
    /// The model, as for `converse`. Default: the server's default model.
    #[serde(default)]
    pub model: Option<String>,
    /// Input tokens (not counting cache reads and writes).
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens read from the prompt cache.
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    /// Input tokens written to the prompt cache.
    #[serde(default)]
    pub cache_write_input_tokens: u64,
}

/// `structuredContent` of `estimate_cost`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EstimateCostOutput {
    /// The catalog's base model id for the model asked about.
    pub model_id: String,
    /// Input, cache reads and cache writes, in USD.
    pub input_cost_usd: f64,
    pub output_cost_usd: f64,
    pub total_cost_usd: f64,
    /// The prices used.
    pub pricing: ModelPricing,
    /// The date the prices were read.
    pub prices_as_of: String,
}

/// The schema `messages` is offered with: Bedrock's message shape with each content block left open.
/// The full schema of every content block (images, documents, tool use and results, reasoning, …) is
/// 20 KB, which every client would put in its model's context with each tool list; the arguments are
/// still parsed against the full shapes, and a bad block is an error naming its path.
fn messages_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "The conversation in Bedrock Converse's shape, oldest first, ending with a `user` message. Give this or `prompt`.",
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "role": {"type": "string", "enum": ["user", "assistant"]},
                "content": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "description": "One Bedrock Converse content block, an object with one key: {\"text\": \"…\"}, {\"image\": {\"format\": \"png\", \"source\": {\"bytes\": \"<base64>\"}}}, {\"document\": {…}}, {\"toolUse\": {…}}, {\"toolResult\": {…}}, …"
                    }
                }
            },
            "required": ["role", "content"],
            "additionalProperties": false
        }
    })
}
