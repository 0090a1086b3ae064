//! The wire types of prompt caching and context-window management (docs/protocol.md "Prompt
//! caching and the context window"): the options, and the `conversation/compacted` notification.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::agent::ConversationId;
use super::shapes::{Message, TokenUsage};
use crate::transport::RequestId;

/// `promptCaching`: whether the host places cache points itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PromptCachingMode {
    /// For a model whose catalog entry offers prompt caching: a cache point after the system prompt and
    /// tools, and at the end of the history before the new content, within Bedrock's limits.
    #[default]
    Auto,
    /// The host places none (cache points the client writes in its own content are still sent).
    Off,
}

/// `contextStrategy`: what the host does when the next model call would exceed `maxContextTokens`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ContextStrategy {
    /// The model summarises the oldest turns; the summary stands in their place.
    #[default]
    Summarize,
    /// The oldest whole turns are dropped (a toolUse is never separated from its toolResult).
    Truncate,
    /// The call is not made; the turn fails with an error naming `maxContextTokens`.
    Fail,
}

impl ContextStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            ContextStrategy::Summarize => "summarize",
            ContextStrategy::Truncate => "truncate",
            ContextStrategy::Fail => "fail",
        }
    }
}

/// The most `maxContextTokens` may be (more than any model's window).
pub const MAX_CONTEXT_TOKENS: u32 = 10_000_000;
/// The least `maxContextTokens` may be: room for a system prompt and one exchange.
pub const MIN_CONTEXT_TOKENS: u32 = 256;

/// `conversation/compacted` params: the host made the conversation fit its context window before a
/// model call. Sent before that call is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationCompactedParams {
    /// The `conversation/send` request whose model call needed the room.
    pub request_id: RequestId,
    /// The conversation.
    pub conversation_id: ConversationId,
    /// `summarize` or `truncate`.
    pub strategy: ContextStrategy,
    /// The limit the call had to fit in (`maxContextTokens`).
    pub max_context_tokens: u32,
    /// The estimated input tokens of the call before compaction.
    pub tokens_before: u64,
    /// The estimated input tokens of the call after it.
    pub tokens_after: u64,
    /// How many turns (a user message and everything up to the next user message that is not a
    /// toolResult) this compaction removed from what the model is sent.
    pub removed_turns: u32,
    /// How many messages those turns held.
    pub removed_messages: u32,
    /// How many messages of the history (`conversation/get`'s `messages`, from the start) the model is
    /// no longer sent, this compaction and earlier ones together.
    pub compacted_messages: u32,
    /// For `summarize`: the summary, as the user message that now stands for the compacted messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Message>,
    /// For `summarize`: the summary call's token usage (also counted in the turn's usage and `usage/get`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_usage: Option<TokenUsage>,
    /// For `summarize`: what the summary call cost; `null` when the catalog has no price for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_cost_usd: Option<f64>,
}

/// `conversation/get`'s `context`: what the model is sent in place of the history's oldest messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationContext {
    /// How many of `messages`, from the start, the model is no longer sent.
    pub compacted_messages: u32,
    /// The summary message sent in their place (absent after `truncate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Message>,
    /// How many compactions happened, oldest first.
    pub compactions: u32,
}
