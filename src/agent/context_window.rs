//! Before each model call of a conversation turn: make the call fit the conversation's context
//! window (`maxContextTokens`, `contextStrategy`), then place cache points (`promptCaching`);
//! docs/protocol.md "Prompt caching and the context window".
//!
//! The estimate of a call's input is the last call's usage plus the new content: the host's own
//! estimate (about four bytes a token, [`super::cache_points`]) scaled by what the last call of the
//! conversation showed (the tokens Bedrock counted over the host's estimate of that call). With no
//! call to go by (a new process, or just after a compaction) and an estimate past
//! [`COUNT_TOKENS_SHARE`] of the limit, CountTokens counts the call first where the model offers it.
//!
//! When the estimate exceeds `maxContextTokens`, `summarize` has the model summarise the oldest
//! turns and sends the summary in their place, `truncate` drops the oldest whole turns, and `fail`
//! fails the turn with an error naming the option. Either way the cut is before a user message
//! that holds no toolResult, so a toolUse is never separated from its toolResult; only turns
//! already in the history are compacted, never the turn being run. Compaction leaves room (it cuts
//! to [`TARGET_SHARE`] of the limit) so that it does not happen again at the very next call and
//! break the prompt cache each time.

use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::cache_points::{self, message_tokens, system_tokens, tools_tokens};
use super::turn::Notifier;
use crate::catalog::caching::PromptCaching;
use crate::catalog::usage::{UsageLedger, cost_usd};
use crate::conversations::context::{Compaction, ContextState, LastCall, SUMMARY_ACKNOWLEDGEMENT, is_turn_start};
use crate::conversations::conversation::rfc3339;
use crate::conversations::store::{ConversationStore, TurnPermit};
use crate::error::{HostError, HostResult};
use crate::protocol::shapes::{
    ContentBlock, ConversationRole, ConverseOutput, ConverseRequest, ConverseTokensRequest, CountTokensInput,
    InferenceConfiguration, Message, SystemContentBlock, TokenUsage, ToolResultContentBlock,
};
use crate::protocol::{ContextStrategy, ConversationCompactedParams, method};
use crate::sdk::{BedrockGateway, CallOptions};

/// Above this share of `maxContextTokens`, a call with no earlier usage to go by is counted with
/// CountTokens first.
pub const COUNT_TOKENS_SHARE: f64 = 0.8;
/// The share of `maxContextTokens` a compaction cuts the call down to.
pub const TARGET_SHARE: f64 = 0.6;
/// The most tokens a summary may take (and at most an eighth of `maxContextTokens`).
pub const SUMMARY_MAX_TOKENS: u32 = 2_048;

const SUMMARY_INSTRUCTION: &str = "You write summaries of conversations between a user and an AI assistant, \
for the assistant to continue the conversation from. Keep every fact, decision, file name, identifier, tool \
result and open question the rest of the conversation may need; leave out pleasantries. Answer with the summary only.";

/// A conversation's context management for one turn.
pub struct ContextWindow<'a> {
    pub store: &'a ConversationStore,
    pub permit: &'a TurnPermit,
    pub conversation_id: String,
    pub state: ContextState,
    /// `None`: no limit known (a model outside the catalog without `maxContextTokens`).
    pub max_context_tokens: Option<u64>,
    pub strategy: ContextStrategy,
    /// The model that writes summaries, as sent to Bedrock.
    pub summary_model_id: String,
    pub region: String,
    /// `None`: no cache points (`promptCaching: "off"`, or a model without prompt caching).
    pub caching: Option<PromptCaching>,
    /// The host's estimate of the call being made, kept to learn from its usage.
    pending_estimate: Option<u64>,
    /// Time spent placing cache points and deciding compaction (not the summary call).
    pub spent: Duration,
}

/// What a prepared call costs besides itself: the summary call of a compaction.
#[derive(Debug, Default)]
pub struct Prepared {
    pub summary_usage: Option<TokenUsage>,
    pub summary_cost_usd: Option<f64>,
}

impl<'a> ContextWindow<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: &'a ConversationStore,
        permit: &'a TurnPermit,
        conversation_id: String,
        state: ContextState,
        max_context_tokens: Option<u64>,
        strategy: ContextStrategy,
        summary_model_id: String,
        region: String,
        caching: Option<PromptCaching>,
    ) -> Self {
        Self {
            store,
            permit,
            conversation_id,
            state,
            max_context_tokens,
            strategy,
            summary_model_id,
            region,
            caching,
            pending_estimate: None,
            spent: Duration::ZERO,
        }
    }

    /// The scale from the host's estimates to the model's tokens, from the last call.
    fn scale(&self) -> f64 {
        match self.state.last_call {
            Some(LastCall { estimated, actual }) if estimated > 0 && actual > 0 => {
                (actual as f64 / estimated as f64).clamp(0.1, 10.0)
            }
            _ => 1.0,
        }
    }

    /// Sets `request.messages` to what the model is sent of `messages` (the history, the new user
    /// message at `turn_start`, and the turn so far), compacting first when it would not fit, then
    /// places cache points.
    pub async fn prepare(
        &mut self,
        request: &mut ConverseRequest,
        messages: Vec<Message>,
        turn_start: usize,
        gateway: &BedrockGateway,
        ledger: &UsageLedger,
        notifier: &Notifier,
    ) -> HostResult<Prepared> {
        let mut started = Instant::now();
        let mut prepared = Prepared::default();
        let fixed = tools_tokens(request) + request.system.as_deref().map_or(0, system_tokens);
        let tokens: Vec<u64> = messages.iter().map(message_tokens).collect();
        let view_tokens = |state: &ContextState| -> u64 {
            let start = state.compacted_messages.min(tokens.len());
            let summary = state
                .summary
                .as_ref()
                .map_or(0, |summary| message_tokens(summary) + SUMMARY_ACKNOWLEDGEMENT.len().div_ceil(4) as u64);
            fixed + summary + tokens[start..].iter().sum::<u64>()
        };
        let mut estimate = view_tokens(&self.state);
        if let Some(limit) = self.max_context_tokens
            && self.state.last_call.is_none()
            && estimate as f64 > limit as f64 * COUNT_TOKENS_SHARE
        {
            // No call's usage to go by (a new process, or just after a compaction) and close to the
            // limit: CountTokens, where the model offers it, gives the exact count.
            self.spent += started.elapsed();
            let input = CountTokensInput::Converse(ConverseTokensRequest {
                messages: Some(self.state.view(&messages)),
                system: request.system.clone(),
                tool_config: request.tool_config.clone(),
                additional_model_request_fields: request.additional_model_request_fields.clone(),
            });
            let base_model = crate::catalog::base_model_id(&request.model_id, &self.region);
            match gateway.count_tokens(&base_model, &input, &CallOptions::default()).await {
                Ok(counted) => {
                    self.state.last_call = Some(LastCall { estimated: estimate, actual: u64::from(counted) });
                }
                Err(error) => tracing::debug!(%error, "CountTokens not offered; the host's estimate stands"),
            }
            started = Instant::now();
        }
        let scale = self.scale();
        let scaled = |tokens: u64| (tokens as f64 * scale).ceil() as u64;
        if let Some(limit) = self.max_context_tokens
            && scaled(estimate) > limit
        {
            let before = scaled(estimate);
            if self.strategy == ContextStrategy::Fail {
                return Err(HostError::InvalidRequest(format!(
                    "the next model call of conversation `{}` needs about {before} input tokens, more than its \
                     maxContextTokens ({limit}), and its contextStrategy is `fail`; create the conversation with \
                     contextStrategy `summarize` or `truncate`, or a larger maxContextTokens, or continue in a \
                     shorter fork (conversation/fork)",
                    self.conversation_id
                )));
            }
            let summary_budget = u64::from(SUMMARY_MAX_TOKENS).min(limit / 8);
            let reserve = if self.strategy == ContextStrategy::Summarize {
                summary_budget + SUMMARY_ACKNOWLEDGEMENT.len().div_ceil(4) as u64
            } else {
                0
            };
            let target = (limit as f64 * TARGET_SHARE) as u64;
            // Every cut that keeps tool pairs whole, oldest first: the turn starts after what is
            // already compacted, up to the turn being run.
            let first = self.state.compacted_messages + 1;
            let cuts: Vec<usize> = (first..=turn_start).filter(|&index| is_turn_start(&messages, index)).collect();
            let kept = |cut: usize| scaled(fixed + tokens[cut..].iter().sum::<u64>()) + reserve;
            let Some(cut) = cuts
                .iter()
                .copied()
                .find(|&cut| kept(cut) <= target)
                .or_else(|| cuts.last().copied().filter(|&cut| kept(cut) <= limit))
            else {
                return Err(HostError::InvalidRequest(format!(
                    "the next model call of conversation `{}` needs about {before} input tokens, more than its \
                     maxContextTokens ({limit}), even without every earlier turn (contextStrategy `{}`): the \
                     system prompt, tools and this turn alone need about {}; send less at once, or create the \
                     conversation with a larger maxContextTokens",
                    self.conversation_id,
                    self.strategy.as_str(),
                    kept(turn_start).saturating_sub(reserve),
                )));
            };
            let old_start = self.state.compacted_messages;
            let removed_turns = (old_start..cut).filter(|&index| is_turn_start(&messages, index)).count() as u32;
            let summary = if self.strategy == ContextStrategy::Summarize {
                self.spent += started.elapsed();
                let (summary, usage, cost) =
                    self.summarize(&messages[old_start..cut], summary_budget, gateway, ledger).await?;
                prepared.summary_usage = Some(usage);
                prepared.summary_cost_usd = cost;
                Some(summary)
            } else {
                None
            };
            let compaction = Compaction {
                strategy: self.strategy,
                compacted_messages: cut,
                summary,
                at: rfc3339(OffsetDateTime::now_utc()),
            };
            self.store.compact(&self.conversation_id, self.permit, compaction.clone())?;
            self.state.apply(&compaction);
            estimate = view_tokens(&self.state);
            let params = ConversationCompactedParams {
                request_id: notifier.request_id.clone(),
                conversation_id: crate::protocol::ConversationId(self.conversation_id.clone()),
                strategy: self.strategy,
                max_context_tokens: u32::try_from(limit).unwrap_or(u32::MAX),
                tokens_before: before,
                tokens_after: scaled(estimate),
                removed_turns,
                removed_messages: (cut - old_start) as u32,
                compacted_messages: cut as u32,
                summary: compaction.summary,
                summary_usage: prepared.summary_usage.clone(),
                summary_cost_usd: prepared.summary_cost_usd,
            };
            // Sent before the call is made; a client that is gone fails the call's stream anyway.
            let _ = notifier.send::<method::ConversationCompacted>(params).await;
        }
        let started = Instant::now();
        let start = self.state.compacted_messages.min(messages.len());
        let mut sent_tokens: Vec<u64> = Vec::with_capacity(tokens.len() - start + 2);
        if let Some(summary) = &self.state.summary {
            sent_tokens.push(message_tokens(summary));
            sent_tokens.push(SUMMARY_ACKNOWLEDGEMENT.len().div_ceil(4) as u64);
        }
        sent_tokens.extend_from_slice(&tokens[start..]);
        // Without a compaction the view is the messages themselves: moved, not copied.
        request.messages = Some(if self.state.compactions == 0 { messages } else { self.state.view(&messages) });
        if let Some(caching) = self.caching {
            cache_points::place_with(request, caching, self.scale(), fixed, &sent_tokens);
        }
        self.pending_estimate = Some(estimate);
        self.spent += started.elapsed();
        Ok(prepared)
    }

    /// Learns from the usage of the call just made.
    pub fn observe(&mut self, usage: &TokenUsage) {
        let Some(estimated) = self.pending_estimate.take() else { return };
        let actual = u64::from(usage.input_tokens)
            + u64::from(usage.cache_read_input_tokens.unwrap_or(0))
            + u64::from(usage.cache_write_input_tokens.unwrap_or(0));
        let last_call = LastCall { estimated, actual };
        self.state.last_call = Some(last_call);
        self.store.note_last_call(&self.conversation_id, last_call);
    }

    /// Has the summary model summarise `removed` (and the summary they continue, if any).
    async fn summarize(
        &self,
        removed: &[Message],
        budget: u64,
        gateway: &BedrockGateway,
        ledger: &UsageLedger,
    ) -> HostResult<(Message, TokenUsage, Option<f64>)> {
        let mut transcript = String::new();
        if let Some(previous) = &self.state.summary {
            transcript.push_str(&transcript_of(std::slice::from_ref(previous)));
            transcript.push('\n');
        }
        transcript.push_str(&transcript_of(removed));
        let request = ConverseRequest {
            model_id: self.summary_model_id.clone(),
            system: Some(vec![SystemContentBlock::Text(SUMMARY_INSTRUCTION.to_string())]),
            messages: Some(vec![Message {
                role: ConversationRole::User,
                content: vec![ContentBlock::Text(format!(
                    "<conversation>\n{transcript}</conversation>\n\nSummarize the conversation above."
                ))],
            }]),
            inference_config: Some(InferenceConfiguration {
                max_tokens: Some(u32::try_from(budget.max(1)).unwrap_or(SUMMARY_MAX_TOKENS)),
                ..InferenceConfiguration::default()
            }),
            ..ConverseRequest::default()
        };
        let response = gateway.converse(&self.summary_model_id, &request, &CallOptions::default()).await?;
        let cost = cost_usd(&self.summary_model_id, &self.region, &response.usage);
        ledger.record(&self.summary_model_id, &response.usage, cost);
        let ConverseOutput::Message(answer) = response.output;
        let text: String = answer
            .content
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let summary = Message {
            role: ConversationRole::User,
            content: vec![ContentBlock::Text(format!("Summary of the earlier conversation:\n{}", text.trim()))],
        };
        Ok((summary, response.usage, cost))
    }
}

/// Messages as plain text for the summary call: roles, texts, tool calls and their results.
fn transcript_of(messages: &[Message]) -> String {
    let mut out = String::new();
    for message in messages {
        let role = match message.role {
            ConversationRole::Assistant => "assistant",
            _ => "user",
        };
        for block in &message.content {
            match block {
                ContentBlock::Text(text) => out.push_str(&format!("{role}: {text}\n")),
                ContentBlock::ToolUse(tool_use) => {
                    out.push_str(&format!("{role} called tool {} with {}\n", tool_use.name, tool_use.input))
                }
                ContentBlock::ToolResult(result) => {
                    let content: Vec<String> = result
                        .content
                        .iter()
                        .map(|content| match content {
                            ToolResultContentBlock::Text(text) => text.clone(),
                            ToolResultContentBlock::Json(value) => value.to_string(),
                            _ => "(media)".to_string(),
                        })
                        .collect();
                    out.push_str(&format!("tool result: {}\n", content.join(" ")));
                }
                ContentBlock::CachePoint(_) => {}
                _ => out.push_str(&format!("{role}: (non-text content)\n")),
            }
        }
    }
    out
}
