//! A conversation's prompt-caching and context-window settings, and its compaction: which of its
//! oldest messages the model is no longer sent, and the summary sent in their place
//! (docs/protocol.md "Prompt caching and the context window").
//!
//! The history itself is never rewritten: `Conversation::messages` keeps every original message
//! (`conversation/get` returns them), and [`ContextState::view`] is what a model call is sent.

use serde::{Deserialize, Serialize};

use crate::protocol::shapes::{ContentBlock, ConversationRole, Message};
use crate::protocol::{ContextStrategy, ConversationContext, PromptCachingMode};

/// What `conversation/create` set about caching and the context window; `None`: the host's default.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_caching: Option<PromptCachingMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_context_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_strategy: Option<ContextStrategy>,
    /// The model that writes summaries; default the conversation's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_model_id: Option<String>,
}

/// One compaction, as the journal records it (a record of its own, `{"compaction": …}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Compaction {
    pub strategy: ContextStrategy,
    /// How many messages of the history, from the start, the model is no longer sent (all
    /// compactions so far together).
    pub compacted_messages: usize,
    /// The summary sent in their place; `None` after `truncate` (an earlier summary is dropped too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Message>,
    /// RFC 3339.
    pub at: String,
}

/// What the last model call of a conversation showed: the input it was sent (as the host estimated
/// it) and the input Bedrock counted, so the next estimate starts from real usage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastCall {
    pub estimated: u64,
    pub actual: u64,
}

/// A conversation's compaction (kept in its journal) and its last call (memory only).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContextState {
    pub compacted_messages: usize,
    pub summary: Option<Message>,
    pub compactions: u32,
    pub last_call: Option<LastCall>,
}

/// What the assistant answers to a summary, so that roles keep alternating.
pub const SUMMARY_ACKNOWLEDGEMENT: &str = "Understood. I will continue from that summary.";

impl ContextState {
    pub fn apply(&mut self, compaction: &Compaction) {
        self.compacted_messages = compaction.compacted_messages;
        self.summary = compaction.summary.clone();
        self.compactions += 1;
        // The prompt changed at its start: the last call's usage no longer describes it.
        self.last_call = None;
    }

    /// What a model call is sent of `messages` (the history plus the turn so far): the summary and
    /// its acknowledgement (when there is one), then every message from the first not compacted.
    pub fn view(&self, messages: &[Message]) -> Vec<Message> {
        let start = self.compacted_messages.min(messages.len());
        let mut view = Vec::with_capacity(messages.len() - start + 2);
        if let Some(summary) = &self.summary {
            view.push(summary.clone());
            view.push(Message {
                role: ConversationRole::Assistant,
                content: vec![ContentBlock::Text(SUMMARY_ACKNOWLEDGEMENT.to_string())],
            });
        }
        view.extend_from_slice(&messages[start..]);
        view
    }

    /// `conversation/get`'s `context`; `None` before any compaction.
    pub fn wire(&self) -> Option<ConversationContext> {
        (self.compactions > 0).then(|| ConversationContext {
            compacted_messages: self.compacted_messages as u32,
            summary: self.summary.clone(),
            compactions: self.compactions,
        })
    }
}

/// Whether a conversation may be cut before `messages[index]`: a user message that answers no
/// toolUse (it holds no toolResult), so no toolUse is separated from its toolResult.
pub fn is_turn_start(messages: &[Message], index: usize) -> bool {
    messages.get(index).is_some_and(|message| {
        message.role == ConversationRole::User
            && !message.content.iter().any(|block| matches!(block, ContentBlock::ToolResult(_)))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(value: serde_json::Value) -> Message {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_view_replaces_compacted_messages_with_the_summary() {
        let history = vec![
            message(json!({"role": "user", "content": [{"text": "a"}]})),
            message(
                json!({"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "x", "input": {}}}]}),
            ),
            message(
                json!({"role": "user", "content": [{"toolResult": {"toolUseId": "t", "content": [{"text": "r"}]}}]}),
            ),
            message(json!({"role": "assistant", "content": [{"text": "b"}]})),
            message(json!({"role": "user", "content": [{"text": "c"}]})),
        ];
        assert!(is_turn_start(&history, 0) && !is_turn_start(&history, 2) && is_turn_start(&history, 4));
        let mut state = ContextState::default();
        assert_eq!(state.view(&history), history);
        let summary = message(json!({"role": "user", "content": [{"text": "summary"}]}));
        state.apply(&Compaction {
            strategy: ContextStrategy::Summarize,
            compacted_messages: 4,
            summary: Some(summary.clone()),
            at: "2026-12-03T00:00:00Z".into(),
        });
        let view = state.view(&history);
        assert_eq!(view.len(), 3);
        assert_eq!(view[0], summary);
        assert_eq!(view[1].role, ConversationRole::Assistant);
        assert_eq!(view[2], history[4]);
        assert_eq!(state.wire().unwrap().compacted_messages, 4);
    }
}
