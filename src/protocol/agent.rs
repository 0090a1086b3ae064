//! Params and results of the agent-host methods (`tool/*`, `conversation/*`,
//! `usage/get`) and the TurnResult of a conversation turn, docs/protocol.md
//! "Agent host: tools and conversations".

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::shapes::{
    ContentBlock, GuardrailConfiguration, GuardrailTraceAssessment, InferenceConfiguration, Message,
    SystemContentBlock, TokenUsage, ToolChoice, ToolResultContentBlock, ToolResultStatus, ToolUseId,
};

/// The id of a conversation the host keeps.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ConversationId(pub String);

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A block type that has a plain-text form, so a bare string can stand for one block.
pub trait TextBlock {
    fn from_text(text: String) -> Self;
}

impl TextBlock for ContentBlock {
    fn from_text(text: String) -> Self {
        ContentBlock::Text(text)
    }
}

impl TextBlock for SystemContentBlock {
    fn from_text(text: String) -> Self {
        SystemContentBlock::Text(text)
    }
}

impl TextBlock for ToolResultContentBlock {
    fn from_text(text: String) -> Self {
        ToolResultContentBlock::Text(text)
    }
}

/// A string (shorthand for one text block) or an array of blocks.
///
/// Deserialized by hand rather than `#[serde(untagged)]` so that an error
/// inside the array keeps its path and message instead of becoming "did not
/// match any variant".
#[derive(Debug, Clone, PartialEq)]
pub enum StringOrBlocks<B> {
    Text(String),
    Blocks(Vec<B>),
}

impl<B: TextBlock> StringOrBlocks<B> {
    /// The blocks this stands for; a string becomes one text block.
    pub fn into_blocks(self) -> Vec<B> {
        match self {
            StringOrBlocks::Text(text) => vec![B::from_text(text)],
            StringOrBlocks::Blocks(blocks) => blocks,
        }
    }
}

impl<B: Serialize> Serialize for StringOrBlocks<B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StringOrBlocks::Text(text) => serializer.serialize_str(text),
            StringOrBlocks::Blocks(blocks) => blocks.serialize(serializer),
        }
    }
}

impl<'de, B: Deserialize<'de> + JsonSchema> Deserialize<'de> for StringOrBlocks<B> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringOrBlocksVisitor<B>(PhantomData<B>);

        impl<'de, B: Deserialize<'de> + JsonSchema> Visitor<'de> for StringOrBlocksVisitor<B> {
            type Value = StringOrBlocks<B>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a string or an array of {} objects", B::schema_name())
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(StringOrBlocks::Text(text.to_owned()))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(StringOrBlocks::Text(text))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut blocks = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(block) = seq.next_element()? {
                    blocks.push(block);
                }
                Ok(StringOrBlocks::Blocks(blocks))
            }
        }

        deserializer.deserialize_any(StringOrBlocksVisitor(PhantomData))
    }
}

impl<B: JsonSchema> JsonSchema for StringOrBlocks<B> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("StringOr{}Array", B::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let items = generator.subschema_for::<B>();
        json_schema!({
            "anyOf": [
                {"type": "string", "description": "Shorthand for one text block."},
                {"type": "array", "items": items}
            ]
        })
    }
}

/// The system prompt: a string or SystemContentBlocks.
pub type SystemPrompt = StringOrBlocks<SystemContentBlock>;
/// A user message's content: a string or ContentBlocks.
pub type UserContent = StringOrBlocks<ContentBlock>;
/// A tool's answer: a string or ToolResultContentBlocks.
pub type ToolCallContent = StringOrBlocks<ToolResultContentBlock>;

// ---------------------------------------------------------------------------
// tool/register, tool/unregister, tool/list

/// A tool the client runs, as registered with `tool/register`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolSpec {
    /// The name the model calls it by (`[a-zA-Z0-9_-]{1,64}`).
    pub name: String,
    /// What the tool does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A JSON Schema object describing the tool's input.
    pub input_schema: Value,
    /// MCP's Tool `title`: a display name (kept and listed; not sent to the model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// MCP's Tool `outputSchema` (kept and listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// MCP's Tool `annotations` (kept and listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Value>,
    /// Set by the host in `tool/list` for tools it runs itself: `{"mcp": "SERVER"}`; not accepted by `tool/register`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<super::mcp::ToolSource>,
}

/// `tool/register` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolRegisterParams {
    /// The tools; a name registered again is replaced.
    pub tools: Vec<ToolSpec>,
}

/// `tool/register` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolRegisterResult {
    /// The names registered, in the order given.
    pub registered: Vec<String>,
}

/// `tool/unregister` params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolUnregisterParams {
    /// The names of the tools to remove.
    pub names: Vec<String>,
}

/// `tool/unregister` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolUnregisterResult {
    /// The names that were registered and now are not.
    pub unregistered: Vec<String>,
}

/// `tool/list` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolListResult {
    /// Every registered tool.
    pub tools: Vec<ToolSpec>,
}

// ---------------------------------------------------------------------------
// conversation/*

/// Which registered tools a conversation offers the model: `"all"` or a list of names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolSelection {
    All,
    Named(Vec<String>),
}

impl Serialize for ToolSelection {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolSelection::All => serializer.serialize_str("all"),
            ToolSelection::Named(names) => names.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ToolSelection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ToolSelectionVisitor;

        impl<'de> Visitor<'de> for ToolSelectionVisitor {
            type Value = ToolSelection;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#""all" or an array of registered tool names"#)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                if text == "all" {
                    Ok(ToolSelection::All)
                } else {
                    Err(E::custom(format!(
                        r#"tools must be "all" or an array of tool names, not the string "{text}"; for one tool write ["{text}"]"#
                    )))
                }
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element()? {
                    names.push(name);
                }
                Ok(ToolSelection::Named(names))
            }
        }

        deserializer.deserialize_any(ToolSelectionVisitor)
    }
}

impl JsonSchema for ToolSelection {
    fn schema_name() -> Cow<'static, str> {
        "ToolSelection".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Which registered tools the conversation offers: \"all\" or a list of names.",
            "anyOf": [
                {"const": "all"},
                {"type": "array", "items": {"type": "string"}}
            ]
        })
    }
}

/// `conversation/create` params.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationCreateParams {
    /// A model id, inference-profile id, ARN or alias; default: the host's defaultModelId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// The system prompt: a string or SystemContentBlocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemPrompt>,
    /// Inference parameters for every turn (a turn may override them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<InferenceConfiguration>,
    /// Which registered tools to offer: `"all"` (every tool registered at the time of each model call)
    /// or a list of names, each registered now; `[]` offers none. Default `"all"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolSelection>,
    /// How the model chooses among the tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// A guardrail for every turn; overrides the host's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_config: Option<GuardrailConfiguration>,
    /// Model-specific request members for every turn, passed through as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<Value>,
    /// A title for `conversation/list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `auto` (the host places cache points for a model that offers prompt caching) or `off`;
    /// default the host's `promptCaching` (`auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_caching: Option<super::context::PromptCachingMode>,
    /// The most input tokens one model call may be sent, 256–10000000 and at most the model's context
    /// window; default the model's context window minus the answer's `maxTokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = super::context::MIN_CONTEXT_TOKENS, max = super::context::MAX_CONTEXT_TOKENS))]
    pub max_context_tokens: Option<u32>,
    /// What to do when a call would exceed `maxContextTokens`: `summarize`, `truncate` or `fail`;
    /// default the host's `contextStrategy` (`summarize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_strategy: Option<super::context::ContextStrategy>,
    /// The model that writes summaries for `summarize`; default the conversation's model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_model_id: Option<String>,
}

/// The result of methods that create a conversation (`conversation/create`, `conversation/fork`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationIdResult {
    /// The new conversation's id.
    pub conversation_id: ConversationId,
}

/// `conversation/send` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationSendParams {
    /// The conversation to continue.
    pub conversation_id: ConversationId,
    /// The new user message: a string or ContentBlocks.
    pub content: UserContent,
    /// Use ConverseStream and send `converse/event` notifications. Default true.
    #[serde(default = "default_true")]
    pub stream: bool,
    /// The most model calls in this turn's tool loop; default the host's maxToolIterations (10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tool_iterations: Option<u32>,
    /// Inference parameters for this turn only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<InferenceConfiguration>,
    /// A model for this turn only (id, inference-profile id, ARN or alias); the conversation keeps its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// The tools offered in this turn only: `"all"` or a list of registered names (`[]`: none); the
    /// conversation keeps its own selection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolSelection>,
}

fn default_true() -> bool {
    true
}

/// The result of `conversation/send`: what one turn did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnResult {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// This turn's number, from 1.
    pub turn: u32,
    /// The last model call's stopReason, or `tool_iterations_exhausted` when the loop hit maxToolIterations.
    pub stop_reason: String,
    /// What this turn appended after the user message: assistant messages and toolResult user messages.
    pub messages: Vec<Message>,
    /// The tool calls made, in the model's order.
    pub tool_calls: Vec<ToolCallRecord>,
    /// How many model calls the turn made.
    pub iterations: u32,
    /// Tokens of this turn, summed over its model calls.
    pub usage: TokenUsage,
    /// Tokens of the conversation so far, this turn included.
    pub cumulative_usage: TokenUsage,
    /// What this turn cost; `null` when the catalog has no price for the model.
    pub cost_usd: Option<f64>,
    /// What the conversation has cost so far, this turn included; `null` when the catalog has no price for the model.
    pub cumulative_cost_usd: Option<f64>,
    /// Present when a guardrail intervened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<TurnGuardrail>,
    /// Timings measured by the host.
    pub metrics: TurnMetrics,
}

/// One tool call of a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallRecord {
    /// The toolUse block's id.
    pub tool_use_id: ToolUseId,
    /// The tool's name.
    pub name: String,
    /// The input the model gave.
    pub input: Value,
    /// `error` when the tool failed, timed out or is not registered.
    pub status: ToolResultStatus,
    /// How long the client took to answer, in milliseconds.
    pub duration_ms: u64,
}

/// A guardrail's intervention in a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnGuardrail {
    /// `INTERVENED`.
    pub action: String,
    /// The guardrail trace, when guardrailConfig.trace is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<GuardrailTraceAssessment>,
}

/// Timings of a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnMetrics {
    /// From the request to the end of the turn, in milliseconds.
    pub latency_ms: u64,
    /// From the request to the first text delta, in milliseconds; absent without streaming or text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u64>,
    /// Time the host spent placing cache points and deciding compaction over the turn's model calls
    /// (not the summary call), in microseconds; absent outside conversations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_us: Option<u64>,
}

/// Params of methods that name one conversation (`conversation/get`, `conversation/delete`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationIdParams {
    /// The conversation.
    pub conversation_id: ConversationId,
}

/// `conversation/get` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationGetResult {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The model it talks to, as given at creation.
    pub model_id: String,
    /// The system prompt as blocks; empty when there is none.
    pub system: Vec<SystemContentBlock>,
    /// The whole history, oldest first.
    pub messages: Vec<Message>,
    /// Tokens of all its turns.
    pub usage: TokenUsage,
    /// What all its turns cost; `null` when the catalog has no price for its model.
    pub cost_usd: Option<f64>,
    /// Its title, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339; when the last turn completed.
    pub updated_at: String,
    /// Damage its stored journal had (records skipped, so turns missing from `messages`) and
    /// where the original was kept; absent when there was none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<super::warnings::StorageWarning>,
    /// Present once the host compacted the conversation to fit its context window: how many of
    /// `messages` (which always holds every original message) the model is no longer sent, and the
    /// summary sent in their place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<super::context::ConversationContext>,
}

/// `conversation/list` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationListResult {
    /// Every conversation, most recently updated first.
    pub conversations: Vec<ConversationSummary>,
}

/// One line of `conversation/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Its title, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The model it talks to.
    pub model_id: String,
    /// How many turns completed.
    pub turns: u32,
    /// RFC 3339.
    pub updated_at: String,
}

/// `conversation/fork` params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationForkParams {
    /// The conversation to copy.
    pub conversation_id: ConversationId,
    /// Copy only the first this many messages (for edit-and-retry); default all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_count: Option<u32>,
    /// The copy's model, as `conversation/create` takes it (default: the source's); the history goes on under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
}

/// `conversation/delete` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDeleteResult {
    /// Always true; an unknown id is a -32003 error instead.
    pub deleted: bool,
}

/// `conversation/countTokens` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationCountTokensParams {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// A user message to count as the next turn's; without it, the history alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<UserContent>,
}

// ---------------------------------------------------------------------------
// usage/get

/// `usage/get` result: totals for this host process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageGetResult {
    /// Over every model.
    pub total: UsageTotals,
    /// By model id as sent to Bedrock (aliases resolved).
    pub by_model: BTreeMap<String, UsageTotals>,
}

/// Token and cost totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotals {
    /// How many model calls succeeded.
    pub calls: u64,
    /// Tokens summed over those calls.
    pub usage: TokenUsage,
    /// Their cost; `null` when one of the models has no price in the catalog (never a misleading 0).
    pub cost_usd: Option<f64>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::parse_params;

    #[test]
    fn tools_must_be_all_or_a_list() {
        let error = serde_json::from_value::<ToolSelection>(json!("get_weather")).unwrap_err().to_string();
        assert!(error.contains(r#"for one tool write ["get_weather"]"#), "{error}");
        let error = serde_json::from_value::<ToolSelection>(json!(3)).unwrap_err().to_string();
        assert!(error.contains(r#""all" or an array of registered tool names"#), "{error}");
        assert_eq!(serde_json::to_value(ToolSelection::All).unwrap(), json!("all"));
    }

    #[test]
    fn an_error_inside_a_content_array_keeps_its_path() {
        let params = json!({"conversationId": "c1", "content": [{"text": "a"}, {"image": {"format": "bmp"}}]});
        let error = parse_params::<ConversationSendParams>(Some(params)).unwrap_err();
        let crate::HostError::InvalidParams { errors, .. } = error else { panic!("{error:?}") };
        assert_eq!(errors[0].path, "content[1].image.format");
        assert!(errors[0].message.contains("unknown variant `bmp`"), "{}", errors[0].message);
    }

    #[test]
    fn content_is_a_string_or_blocks_and_serializes_back_the_same() {
        for content in [json!("hi"), json!([{"text": "hi"}, {"cachePoint": {"type": "default"}}])] {
            let parsed: UserContent = serde_json::from_value(content.clone()).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap(), content);
        }
        let error = serde_json::from_value::<UserContent>(json!({"text": "hi"})).unwrap_err().to_string();
        assert!(error.contains("a string or an array of ContentBlock objects"), "{error}");
    }

    #[test]
    fn turn_result_has_protocol_md_member_names() {
        let turn = TurnResult {
            conversation_id: ConversationId("c1".into()),
            turn: 1,
            stop_reason: "end_turn".into(),
            messages: vec![],
            tool_calls: vec![ToolCallRecord {
                tool_use_id: ToolUseId("t1".into()),
                name: "get_weather".into(),
                input: json!({"city": "Paris"}),
                status: ToolResultStatus::Success,
                duration_ms: 5,
            }],
            iterations: 2,
            usage: TokenUsage { cache_read_input_tokens: Some(1), ..TokenUsage::default() },
            cumulative_usage: TokenUsage::default(),
            cost_usd: Some(0.1),
            cumulative_cost_usd: Some(0.2),
            guardrail: Some(TurnGuardrail { action: "INTERVENED".into(), trace: None }),
            metrics: TurnMetrics { latency_ms: 10, first_token_ms: Some(3), context_us: None },
        };
        assert_eq!(
            serde_json::to_value(&turn).unwrap(),
            json!({"conversationId": "c1", "turn": 1, "stopReason": "end_turn", "messages": [],
                "toolCalls": [{"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}, "status": "success", "durationMs": 5}],
                "iterations": 2,
                "usage": {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0, "cacheReadInputTokens": 1},
                "cumulativeUsage": {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0},
                "costUsd": 0.1, "cumulativeCostUsd": 0.2, "guardrail": {"action": "INTERVENED"},
                "metrics": {"latencyMs": 10, "firstTokenMs": 3}})
        );
    }
}
