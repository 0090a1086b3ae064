//! The conversation store: every conversation of the session and the
//! one-turn-at-a-time rule. A turn works on a snapshot and joins the history only through
//! [`ConversationStore::commit_turn`], so a failed or cancelled turn leaves
//! the conversation exactly as it was.
//!
//! With a storage directory ([`ConversationStore::open`]) every change —
//! create, fork, commit, delete — is on disk (see [`crate::conversations::storage`]) before
//! the method that made it returns; without one, conversations live in memory.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use super::context::{Compaction, LastCall};
use super::conversation::{Conversation, ConversationSettings};
use super::storage::{CompactionRecord, Storage, TurnRecord};
use crate::error::{HostError, HostResult};
pub use crate::protocol::ConversationId;
use crate::protocol::StorageWarning;
use crate::protocol::shapes::{ContentBlock, ConversationRole, Message, TokenUsage};

/// A fresh id: `conv_` followed by 32 hex digits.
fn fresh_id() -> ConversationId {
    ConversationId(format!("conv_{}", uuid::Uuid::new_v4().simple()))
}

/// Whether `id` can name a conversation and its journal file
/// (`DIR/<id>.journal`): 1 to 128 ASCII letters, digits, `_` or `-`, so never
/// a path, a dot or an extension. Fresh ids always are; a journal whose name
/// is not is set aside when the store loads (see `storage.rs`).
pub fn is_valid_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

struct Slot {
    state: Mutex<Conversation>,
    /// Held for the whole of a turn: one turn at a time per conversation.
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl Slot {
    fn new(conversation: Conversation) -> Self {
        Self { state: Mutex::new(conversation), turn: Arc::default() }
    }
}

/// Held while a turn runs; dropping it lets the next turn start.
#[derive(Debug)]
pub struct TurnPermit {
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

/// Limits a store enforces (HostOptions `maxConversations`, `maxMessagesPerConversation`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StoreLimits {
    /// Most conversations kept at once; creating or forking one more is refused.
    pub conversations: Option<usize>,
    /// A turn is refused once a conversation's history holds this many messages.
    pub messages: Option<usize>,
}

/// Every conversation of this host process.
#[derive(Default)]
pub struct ConversationStore {
    slots: Mutex<HashMap<ConversationId, Arc<Slot>>>,
    limits: StoreLimits,
    /// Where every change is made durable; `None`: memory only.
    storage: Option<Storage>,
    /// What opening the storage directory found wrong and worked around.
    load_warnings: Vec<StorageWarning>,
}

fn not_found(id: &str) -> HostError {
    HostError::NotFound { kind: "conversation", id: id.to_string() }
}

impl ConversationStore {
    /// A store in memory only.
    pub fn in_memory(limits: StoreLimits) -> Self {
        Self { slots: Mutex::default(), limits, storage: None, load_warnings: Vec::new() }
    }

    /// A store persisted in `dir`, with every conversation found there
    /// (limits apply to new conversations, not to those loaded).
    pub fn open(dir: &Path, limits: StoreLimits) -> HostResult<Self> {
        let (storage, loaded) = Storage::open(dir)?;
        let slots = loaded
            .conversations
            .into_iter()
            .map(|conversation| (conversation.id.clone(), Arc::new(Slot::new(conversation))))
            .collect();
        Ok(Self { slots: Mutex::new(slots), limits, storage: Some(storage), load_warnings: loaded.warnings })
    }

    /// Damage found in the storage directory when it was opened (for `initialize`'s result).
    pub fn load_warnings(&self) -> &[StorageWarning] {
        &self.load_warnings
    }

    fn slot(&self, id: &str) -> HostResult<Arc<Slot>> {
        let slots = crate::sync::lock(&self.slots);
        slots.get(&ConversationId(id.to_string())).cloned().ok_or_else(|| not_found(id))
    }

    fn insert(&self, conversation: Conversation) -> HostResult<ConversationId> {
        let mut slots = crate::sync::lock(&self.slots);
        if let Some(limit) = self.limits.conversations
            && slots.len() >= limit
        {
            return Err(HostError::InvalidRequest(format!(
                "this host already holds {limit} conversations, its limit (maxConversations); \
                 delete some with conversation/delete or raise --max-conversations"
            )));
        }
        if let Some(storage) = &self.storage {
            storage.create(&conversation)?;
        }
        let id = conversation.id.clone();
        slots.insert(id.clone(), Arc::new(Slot::new(conversation)));
        Ok(id)
    }

    pub fn create(&self, settings: ConversationSettings) -> HostResult<ConversationId> {
        let now = OffsetDateTime::now_utc();
        self.insert(Conversation {
            id: fresh_id(),
            settings,
            messages: Vec::new(),
            turns: 0,
            usage: TokenUsage::default(),
            cost_usd: Some(0.0),
            created_at: now,
            updated_at: now,
            warnings: Vec::new(),
            context: Default::default(),
        })
    }

    /// A copy of the conversation as it is now.
    pub fn get(&self, id: &str) -> HostResult<Conversation> {
        let slot = self.slot(id)?;
        let state = crate::sync::lock(&slot.state);
        Ok(state.clone())
    }

    /// Every conversation, most recently updated first.
    pub fn list(&self) -> Vec<Conversation> {
        let slots: Vec<_> = crate::sync::lock(&self.slots).values().cloned().collect();
        let mut all: Vec<_> = slots.iter().map(|slot| crate::sync::lock(&slot.state).clone()).collect();
        all.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.id.cmp(&b.id)));
        all
    }

    /// A new conversation with the same settings and the first
    /// `message_count` messages (all when `None`). The copy must end where a
    /// new user message may follow: empty, or after an assistant message
    /// that asks for no tool.
    /// With `model_id`, the copy uses that model instead of the source's.
    pub fn fork(&self, id: &str, message_count: Option<usize>, model_id: Option<String>) -> HostResult<ConversationId> {
        let source = self.get(id)?;
        let count = message_count.unwrap_or(source.messages.len());
        if count > source.messages.len() {
            return Err(HostError::invalid_field(
                "messageCount",
                format!("{count} is more than the {} messages conversation `{id}` has", source.messages.len()),
            ));
        }
        let messages = source.messages[..count].to_vec();
        if let Some(last) = messages.last() {
            let asks_for_tool = last.content.iter().any(|b| matches!(b, ContentBlock::ToolUse(_)));
            if last.role != ConversationRole::Assistant || asks_for_tool {
                let valid: Vec<String> = (0..=source.messages.len())
                    .filter(|&n| {
                        n == 0 || {
                            let m = &source.messages[n - 1];
                            m.role == ConversationRole::Assistant
                                && !m.content.iter().any(|b| matches!(b, ContentBlock::ToolUse(_)))
                        }
                    })
                    .map(|n| n.to_string())
                    .collect();
                return Err(HostError::invalid_field(
                    "messageCount",
                    format!(
                        "a fork must end after a finished assistant answer so that a user message can follow; {count} cuts a turn in half. Valid counts for `{id}`: {}",
                        valid.join(", ")
                    ),
                ));
            }
        }
        let now = OffsetDateTime::now_utc();
        let turns = messages
            .iter()
            .filter(|m| {
                m.role == ConversationRole::User && !m.content.iter().all(|b| matches!(b, ContentBlock::ToolResult(_)))
            })
            .count() as u32;
        let mut settings = source.settings;
        if let Some(model_id) = model_id {
            settings.model_id = model_id;
        }
        self.insert(Conversation {
            id: fresh_id(),
            settings,
            messages,
            turns,
            usage: TokenUsage::default(),
            cost_usd: Some(0.0),
            created_at: now,
            updated_at: now,
            warnings: Vec::new(),
            context: Default::default(),
        })
    }

    /// Removes the conversation, and its data when it persists. A commit in
    /// progress finishes first; a turn still running fails with not found.
    pub fn delete(&self, id: &str) -> HostResult<()> {
        let id = ConversationId(id.to_string());
        let mut slots = crate::sync::lock(&self.slots);
        let slot = slots.get(&id).ok_or_else(|| not_found(&id.0))?;
        if let Some(storage) = &self.storage {
            let _state = crate::sync::lock(&slot.state);
            storage.delete(&id)?;
        }
        slots.remove(&id);
        Ok(())
    }

    /// Reserves the conversation for one turn; a second concurrent turn is refused.
    pub fn begin_turn(&self, id: &str) -> HostResult<TurnPermit> {
        let slot = self.slot(id)?;
        if let Some(limit) = self.limits.messages {
            let held = crate::sync::lock(&slot.state).messages.len();
            if held >= limit {
                return Err(HostError::InvalidRequest(format!(
                    "conversation `{id}` holds {held} messages, the limit (maxMessagesPerConversation is {limit}); \
                     continue in a new conversation, fork a shorter copy with conversation/fork, \
                     or raise --max-messages-per-conversation"
                )));
            }
        }
        let guard = slot.turn.clone().try_lock_owned().map_err(|_| {
            HostError::InvalidRequest(format!(
                "conversation `{id}` is already running a turn; wait for its result or cancel it with $/cancelRequest, \
                 or fork it (conversation/fork) to run turns side by side"
            ))
        })?;
        Ok(TurnPermit { _guard: guard })
    }

    /// Records a compaction made during a turn (on disk first when the store persists): from now on
    /// the model is sent the conversation's [`ContextState::view`](super::context::ContextState::view).
    /// The history itself keeps every message.
    pub fn compact(&self, id: &str, _permit: &TurnPermit, compaction: Compaction) -> HostResult<()> {
        let slot = self.slot(id)?;
        let mut state = crate::sync::lock(&slot.state);
        if let Some(storage) = &self.storage {
            storage.append_compaction(&state.id, &CompactionRecord { compaction: compaction.clone() })?;
        }
        state.context.apply(&compaction);
        Ok(())
    }

    /// Remembers what the conversation's last model call was estimated at and counted (memory only).
    pub fn note_last_call(&self, id: &str, last_call: LastCall) {
        if let Ok(slot) = self.slot(id) {
            crate::sync::lock(&slot.state).context.last_call = Some(last_call);
        }
    }

    /// Appends a completed turn, on disk first when the store persists (so a
    /// result sent after this returns is never lost). Returns the updated
    /// conversation. A conversation deleted while the turn ran is gone.
    pub fn commit_turn(
        &self,
        id: &str,
        _permit: &TurnPermit,
        appended: Vec<Message>,
        usage: &TokenUsage,
        cost_usd: Option<f64>,
    ) -> HostResult<Conversation> {
        let slot = self.slot(id)?;
        let mut state = crate::sync::lock(&slot.state);
        let turn = TurnRecord::new(appended, usage.clone(), cost_usd, OffsetDateTime::now_utc());
        if let Some(storage) = &self.storage {
            storage.append_turn(&state.id, &turn)?;
        }
        turn.apply(&mut state).map_err(HostError::Internal)?;
        Ok(state.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use serde_json::json;

    fn message(value: Value) -> Message {
        serde_json::from_value(value).unwrap()
    }

    fn store_with_history() -> (ConversationStore, ConversationId) {
        let store = ConversationStore::default();
        let id = store.create(ConversationSettings { model_id: "haiku".into(), ..Default::default() }).unwrap();
        let permit = store.begin_turn(&id.0).unwrap();
        store
            .commit_turn(
                &id.0,
                &permit,
                vec![
                    message(json!({"role": "user", "content": [{"text": "What is the weather\nin Paris?"}]})),
                    message(json!({"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "w", "input": {}}}]})),
                    message(json!({"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "sunny"}]}}]})),
                    message(json!({"role": "assistant", "content": [{"text": "Sunny."}]})),
                ],
                &TokenUsage { input_tokens: 10, output_tokens: 5, total_tokens: 15, ..Default::default() },
                Some(0.5),
            )
            .unwrap();
        (store, id)
    }

    #[test]
    fn fresh_ids_are_valid_and_paths_are_not() {
        assert!(is_valid_id(&fresh_id().0));
        for bad in ["", "a.b", "../x", "a/b", "conv x", "é", &"a".repeat(129)] {
            assert!(!is_valid_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn one_turn_at_a_time() {
        let (store, id) = store_with_history();
        let permit = store.begin_turn(&id.0).unwrap();
        let error = store.begin_turn(&id.0).unwrap_err();
        assert!(error.to_string().contains("already running a turn"), "{error}");
        drop(permit);
        assert!(store.begin_turn(&id.0).is_ok());
    }

    #[test]
    fn commit_accumulates_and_titles_derive() {
        let (store, id) = store_with_history();
        let conversation = store.get(&id.0).unwrap();
        assert_eq!(conversation.turns, 1);
        assert_eq!(conversation.messages.len(), 4);
        assert_eq!(conversation.usage.total_tokens, 15);
        assert_eq!(conversation.title(), "What is the weather");
    }

    #[test]
    fn fork_copies_and_refuses_half_turns() {
        let (store, id) = store_with_history();
        let copy = store.fork(&id.0, Some(0), None).unwrap();
        assert!(store.get(&copy.0).unwrap().messages.is_empty());
        let full = store.fork(&id.0, None, None).unwrap();
        assert_eq!(store.get(&full.0).unwrap().messages.len(), 4);
        assert_eq!(store.get(&full.0).unwrap().turns, 1);
        let error = store.fork(&id.0, Some(2), None).unwrap_err();
        let HostError::InvalidParams { errors, .. } = &error else { panic!("{error}") };
        assert_eq!(errors[0].path, "messageCount");
        assert!(errors[0].message.ends_with(&format!("Valid counts for `{}`: 0, 4", id.0)), "{}", errors[0].message);
        assert!(matches!(store.fork(&id.0, Some(9), None), Err(HostError::InvalidParams { .. })));
    }

    #[test]
    fn delete_and_not_found() {
        let (store, id) = store_with_history();
        store.delete(&id.0).unwrap();
        assert!(matches!(store.get(&id.0), Err(HostError::NotFound { kind: "conversation", .. })));
        assert!(matches!(store.delete(&id.0), Err(HostError::NotFound { .. })));
    }

    #[test]
    fn limit_is_enforced() {
        let store = ConversationStore::in_memory(StoreLimits { conversations: Some(1), messages: None });
        store.create(ConversationSettings::default()).unwrap();
        let error = store.create(ConversationSettings::default()).unwrap_err();
        assert!(error.to_string().contains("limit"), "{error}");
    }

    #[test]
    fn message_limit_refuses_the_next_turn() {
        let (store, id) = store_with_history();
        let store = ConversationStore { limits: StoreLimits { messages: Some(4), ..StoreLimits::default() }, ..store };
        let fresh = store.create(ConversationSettings::default()).unwrap();
        assert!(store.begin_turn(&fresh.0).is_ok(), "an empty history is under the limit");
        let error = store.begin_turn(&id.0).unwrap_err();
        assert_eq!(error.code(), crate::error::code::INVALID_REQUEST);
        assert!(error.to_string().contains("holds 4 messages, the limit (maxMessagesPerConversation is 4)"), "{error}");
    }
}
