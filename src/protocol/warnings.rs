//! What the host found wrong with the data it keeps and worked around, reported to the client
//! rather than only logged: `warnings` in `initialize`'s result (what this start found) and in
//! `conversation/get` (what a conversation lost, for as long as it exists).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::agent::ConversationId;
use super::lifecycle::InitializeResult;

/// What kind of damage a [`StorageWarning`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum StorageWarningKind {
    /// Damaged records in the middle of a journal were skipped; every intact record before and
    /// after them was loaded. The turns they held are missing from the history.
    DamagedRecords,
    /// A journal could not be read at all (its header is damaged or it is not a journal); it was
    /// set aside and its conversation is not loaded.
    UnreadableJournal,
}

/// Damage found in the storage directory, and what the host did about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageWarning {
    /// What was found.
    pub kind: StorageWarningKind,
    /// The conversation concerned (for an unreadable journal: the id its file name gives).
    pub conversation_id: ConversationId,
    /// What happened and what was lost, for a person.
    pub message: String,
    /// Where the original bytes were kept, untouched, for inspection or recovery.
    pub kept_at: String,
}

/// `initialize` result: what this host is and serves, where its Bedrock calls go, and what it
/// found wrong in the storage directory it opened.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "InitializeResult")]
pub struct InitializeResultWithWarnings {
    #[serde(flatten)]
    pub result: InitializeResult,
    /// Damage found while loading `storageDir` at this start (damaged records skipped, unreadable
    /// journals set aside); absent when there was none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<StorageWarning>,
}
