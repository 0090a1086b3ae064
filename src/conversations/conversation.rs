//! One conversation: its settings, history, usage and times.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use crate::protocol::ConversationId;
use crate::protocol::StorageWarning;
use crate::protocol::shapes::{
    ContentBlock, ConversationRole, GuardrailConfiguration, InferenceConfiguration, Message, SystemContentBlock,
    TokenUsage, ToolChoice,
};

/// Which registered tools a conversation offers the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum OfferedTools {
    /// No tools: the model is sent no toolConfig.
    #[default]
    None,
    /// Every tool registered at the time of each model call.
    All,
    /// These names (each must be registered when the model is called).
    Named(Vec<String>),
}

/// What `conversation/create` set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConversationSettings {
    /// As the client wrote it (alias, base id, profile id or ARN); resolved per call.
    pub model_id: String,
    pub system: Vec<SystemContentBlock>,
    pub inference_config: Option<InferenceConfiguration>,
    pub tools: OfferedTools,
    pub tool_choice: Option<ToolChoice>,
    pub guardrail_config: Option<GuardrailConfiguration>,
    pub additional_model_request_fields: Option<Value>,
    pub title: Option<String>,
    /// Prompt caching and the context window (`promptCaching`, `maxContextTokens`, `contextStrategy`).
    pub context: super::context::ContextSettings,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: ConversationId,
    pub settings: ConversationSettings,
    pub messages: Vec<Message>,
    /// Completed turns.
    pub turns: u32,
    pub usage: TokenUsage,
    /// `None` once a turn had no catalog price.
    pub cost_usd: Option<f64>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Damage its journal had when it was loaded (records skipped); kept in the journal's header.
    pub warnings: Vec<StorageWarning>,
    /// Which oldest messages the model is no longer sent, and what stands in their place.
    pub context: super::context::ContextState,
}

impl Conversation {
    pub fn title(&self) -> String {
        self.settings.title.clone().unwrap_or_else(|| derived_title(&self.messages))
    }
}

/// The first line of the first user text, cut at 60 characters: what a
/// conversation list shows when the client gave no title.
fn derived_title(messages: &[Message]) -> String {
    let first_text =
        messages.iter().filter(|m| m.role == ConversationRole::User).flat_map(|m| m.content.iter()).find_map(|block| {
            match block {
                ContentBlock::Text(text) if !text.trim().is_empty() => Some(text.trim()),
                _ => None,
            }
        });
    let Some(text) = first_text else { return "New conversation".to_string() };
    let line = text.lines().next().unwrap_or(text);
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    title
}

pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("a current UTC time formats as RFC 3339")
}
