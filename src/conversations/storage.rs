//! Durable conversations (`--storage-dir`): one append-only journal file per
//! conversation, and an exclusive lock on the directory.
//!
//! # Layout
//!
//! ```text
//! DIR/                                    flock'ed (the directory itself) by the host that owns it
//! DIR/<conversation id>.journal
//! DIR/<conversation id>.journal.corrupt-<time>   a damaged journal's original bytes, kept for a person
//! DIR/<conversation id>.unreadable               a journal that could not be read at all, set aside
//! ```
//!
//! A journal is [`MAGIC`] followed by records, each framed as
//! `length: u32 LE | crc32(payload): u32 LE | payload (a JSON object)`. The first record
//! is a [`Header`] (settings, creation time and, for a fork, the copied
//! history); every later one is a [`TurnRecord`] of one completed turn.
//!
//! # Invariants
//!
//! - A journal appears whole or not at all: it is written to `*.journal.tmp`,
//!   fsync'ed, renamed into place, and the directory fsync'ed.
//! - A turn is appended with one `write` and fsync'ed before
//!   [`Storage::append_turn`] returns, so a client that received a
//!   TurnResult finds that turn after any crash.
//! - A crash can only tear the last record: a short or bad record with no
//!   good one after it is a torn tail, cut off with a warning in the log. A
//!   failed append truncates its own bytes away.
//! - A bad record followed by good ones is damage, not a tear: the original
//!   file is copied aside (`<id>.journal.corrupt-<time>`), every good record
//!   is loaded (reading resynchronises on the next valid frame), the journal
//!   is rewritten without the bad bytes, and the conversation carries a
//!   [`StorageWarning`] that `initialize` and `conversation/get` report.
//! - One host per directory: the directory itself is flock'ed (it cannot be
//!   deleted from under the lock, as a lock file could); a second host is
//!   refused while the lock is held, and the kernel releases it when the
//!   owner dies, even by `kill -9`.
//! - No symlink in the directory is ever followed: every file is opened with
//!   `O_NOFOLLOW`.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::catalog::usage::add_usage;
use crate::conversations::context::Compaction;
use crate::conversations::conversation::{Conversation, ConversationId, ConversationSettings, OfferedTools, rfc3339};
use crate::error::{HostError, HostResult};
use crate::protocol::shapes::{
    GuardrailConfiguration, InferenceConfiguration, Message, SystemContentBlock, TokenUsage, ToolChoice,
};
use crate::protocol::{StorageWarning, StorageWarningKind};

/// The first bytes of every journal: the format and its version.
pub const MAGIC: &[u8; 8] = b"BHCONV1\n";
const JOURNAL_EXTENSION: &str = "journal";
/// Bytes of a record's frame before its payload: length and CRC32.
const FRAME_HEADER: usize = 8;

/// The first record of a journal: the conversation as it was created.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    id: ConversationId,
    created_at: String,
    settings: StoredSettings,
    /// Empty for `conversation/create`; the copied history for a fork.
    messages: Vec<Message>,
    turns: u32,
    usage: TokenUsage,
    /// `null` when a model of the conversation has no catalog price.
    cost_usd: Option<f64>,
    /// Damage found in this journal before it was rewritten (what the history lost).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<StorageWarning>,
}
/// One completed turn, as [`crate::conversations::store::ConversationStore::commit_turn`] applies it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnRecord {
    messages: Vec<Message>,
    usage: TokenUsage,
    cost_usd: Option<f64>,
    updated_at: String,
}

impl TurnRecord {
    pub fn new(messages: Vec<Message>, usage: TokenUsage, cost_usd: Option<f64>, updated_at: OffsetDateTime) -> Self {
        Self { messages, usage, cost_usd, updated_at: rfc3339(updated_at) }
    }

    /// Applies the turn to `conversation` (the one rule for both live commits and replay).
    pub fn apply(self, conversation: &mut Conversation) -> Result<(), String> {
        conversation.updated_at = parse_time(&self.updated_at)?;
        conversation.messages.extend(self.messages);
        conversation.turns += 1;
        add_usage(&mut conversation.usage, &self.usage);
        conversation.cost_usd = crate::catalog::usage::add_cost(conversation.cost_usd, self.cost_usd);
        Ok(())
    }
}

/// A compaction (docs/protocol.md "Prompt caching and the context window"): `{"compaction": …}`, a
/// record kind of its own between turns. Journals without one read as before; a host older than
/// compaction takes the record for damage (it keeps the journal's original aside and every turn).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompactionRecord {
    pub compaction: Compaction,
}

/// Applies a record after the header: a turn, or a compaction.
fn apply_later_record(payload: &[u8], conversation: &mut Conversation) -> Result<(), String> {
    if payload.starts_with(br#"{"compaction""#) {
        let record: CompactionRecord = serde_json::from_slice(payload).map_err(|error| error.to_string())?;
        conversation.context.apply(&record.compaction);
        return Ok(());
    }
    serde_json::from_slice::<TurnRecord>(payload).map_err(|error| error.to_string())?.apply(conversation)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredSettings {
    model_id: String,
    system: Vec<SystemContentBlock>,
    inference_config: Option<InferenceConfiguration>,
    tools: StoredTools,
    tool_choice: Option<ToolChoice>,
    guardrail_config: Option<GuardrailConfiguration>,
    additional_model_request_fields: Option<Value>,
    title: Option<String>,
    /// Absent in journals written before prompt caching and context management.
    #[serde(default)]
    context: crate::conversations::context::ContextSettings,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum StoredTools {
    None,
    All,
    Named(Vec<String>),
}

impl From<&ConversationSettings> for StoredSettings {
    fn from(settings: &ConversationSettings) -> Self {
        Self {
            model_id: settings.model_id.clone(),
            system: settings.system.clone(),
            inference_config: settings.inference_config.clone(),
            tools: match &settings.tools {
                OfferedTools::None => StoredTools::None,
                OfferedTools::All => StoredTools::All,
                OfferedTools::Named(names) => StoredTools::Named(names.clone()),
            },
            tool_choice: settings.tool_choice.clone(),
            guardrail_config: settings.guardrail_config.clone(),
            additional_model_request_fields: settings.additional_model_request_fields.clone(),
            title: settings.title.clone(),
            context: settings.context.clone(),
        }
    }
}

impl From<StoredSettings> for ConversationSettings {
    fn from(stored: StoredSettings) -> Self {
        Self {
            model_id: stored.model_id,
            system: stored.system,
            inference_config: stored.inference_config,
            tools: match stored.tools {
                StoredTools::None => OfferedTools::None,
                StoredTools::All => OfferedTools::All,
                StoredTools::Named(names) => OfferedTools::Named(names),
            },
            tool_choice: stored.tool_choice,
            guardrail_config: stored.guardrail_config,
            additional_model_request_fields: stored.additional_model_request_fields,
            title: stored.title,
            context: stored.context,
        }
    }
}

impl Header {
    fn of(conversation: &Conversation) -> Self {
        Self {
            id: conversation.id.clone(),
            created_at: rfc3339(conversation.created_at),
            settings: StoredSettings::from(&conversation.settings),
            messages: conversation.messages.clone(),
            turns: conversation.turns,
            usage: conversation.usage.clone(),
            cost_usd: conversation.cost_usd,
            warnings: conversation.warnings.clone(),
        }
    }

    fn into_conversation(self) -> Result<Conversation, String> {
        let created_at = parse_time(&self.created_at)?;
        Ok(Conversation {
            id: self.id,
            settings: self.settings.into(),
            messages: self.messages,
            turns: self.turns,
            usage: self.usage,
            cost_usd: self.cost_usd,
            created_at,
            updated_at: created_at,
            warnings: self.warnings,
            context: Default::default(),
        })
    }
}

fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|error| format!("`{text}` is not an RFC 3339 time: {error}"))
}

/// `payload` framed as one journal record.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len()).expect("a record is smaller than 4 GiB");
    let mut out = Vec::with_capacity(FRAME_HEADER + payload.len());
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of the valid record that starts at `at`, or why there is none: a record is a
/// whole frame whose CRC32 matches and whose payload is a JSON object (so a run of zeros, which
/// frames an empty payload with a matching CRC, is not one).
fn record_at(bytes: &[u8], at: usize) -> Result<&[u8], String> {
    let rest = &bytes[at..];
    if rest.len() < FRAME_HEADER {
        return Err(format!("{} bytes, too few for a record header", rest.len()));
    }
    let length = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes"));
    if length > rest.len() - FRAME_HEADER {
        return Err(format!("a record of {length} bytes with only {} bytes left", rest.len() - FRAME_HEADER));
    }
    let payload = &rest[FRAME_HEADER..FRAME_HEADER + length];
    if payload.first() != Some(&b'{') {
        return Err(format!("a record of {length} bytes that is not a JSON object"));
    }
    if crc32fast::hash(payload) != crc {
        return Err(format!("a record of {length} bytes whose CRC32 does not match"));
    }
    Ok(payload)
}

/// A stretch of a journal that holds no valid record: `bytes[start..end]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub start: usize,
    pub end: usize,
    /// Why the bytes at `start` are not a record.
    pub reason: String,
}

/// What reading a journal's bytes found: every valid record, and the damage between them.
#[derive(Debug, PartialEq)]
pub struct Scan<'a> {
    /// Every valid record: where its frame starts, and its payload, in order.
    pub records: Vec<(usize, &'a [u8])>,
    /// Every stretch that is not a record, in order; records and damage cover the bytes exactly.
    pub damage: Vec<Damage>,
}

/// Splits the bytes from `offset` on into records. Where a frame is short or bad, reading
/// resynchronises on the next position where a valid record starts, so one damaged record
/// costs that record only, not every record after it.
pub fn scan_records(bytes: &[u8], offset: usize) -> Scan<'_> {
    let mut scan = Scan { records: Vec::new(), damage: Vec::new() };
    let mut at = offset.min(bytes.len());
    while at < bytes.len() {
        match record_at(bytes, at) {
            Ok(payload) => {
                scan.records.push((at, payload));
                at += FRAME_HEADER + payload.len();
            }
            Err(reason) => {
                let next = (at + 1..bytes.len()).find(|&next| record_at(bytes, next).is_ok()).unwrap_or(bytes.len());
                scan.damage.push(Damage { start: at, end: next, reason });
                at = next;
            }
        }
    }
    scan
}

/// The storage directory of this host, locked for its lifetime.
#[derive(Debug)]
pub struct Storage {
    dir: PathBuf,
    /// The directory itself, flock'ed; the kernel releases the lock when the process ends.
    _lock: File,
}

/// What opening a storage directory found.
#[derive(Debug)]
pub struct Loaded {
    pub conversations: Vec<Conversation>,
    /// Damage found and worked around at this opening, for `initialize`'s result.
    pub warnings: Vec<StorageWarning>,
}

fn storage_error(dir: &Path, message: String) -> HostError {
    HostError::Storage { path: dir.display().to_string(), message, partial: None }
}

/// Options that never follow a symlink: every file in the directory is opened with these.
fn no_follow() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.custom_flags(libc::O_NOFOLLOW);
    options
}

/// Writes `bytes` as the whole of `path`: a temporary file, fsync'ed, renamed over it, and the
/// directory fsync'ed. The temporary is removed when anything fails.
fn write_whole(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("{JOURNAL_EXTENSION}.tmp"));
    let written = (|| {
        let mut file = no_follow().write(true).create(true).truncate(true).open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        sync_dir(dir)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

impl Storage {
    /// Locks `dir` (creating it if missing) and loads every conversation in it.
    pub fn open(dir: &Path) -> HostResult<(Storage, Loaded)> {
        fs::create_dir_all(dir).map_err(|error| {
            storage_error(
                dir,
                format!(
                    "cannot create the storage directory {}: {error}; give a directory this user can write \
                     (--storage-dir or initializationOptions.storageDir)",
                    dir.display()
                ),
            )
        })?;
        let lock = lock_dir(dir)?;
        let storage = Storage { dir: dir.to_path_buf(), _lock: lock };
        let loaded = storage.load()?;
        tracing::info!(
            dir = %dir.display(),
            conversations = loaded.conversations.len(),
            warnings = loaded.warnings.len(),
            "storage opened"
        );
        Ok((storage, loaded))
    }

    fn journal_path(&self, id: &ConversationId) -> PathBuf {
        // Ids come from `fresh_id` or from journal names checked on load; never a path.
        debug_assert!(id.0.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'), "{id:?}");
        self.dir.join(format!("{}.{JOURNAL_EXTENSION}", id.0))
    }

    fn error(&self, message: String) -> HostError {
        storage_error(&self.dir, message)
    }

    /// Writes the journal of a new conversation (created or forked), whole or not at all.
    pub fn create(&self, conversation: &Conversation) -> HostResult<()> {
        let path = self.journal_path(&conversation.id);
        write_whole(&self.dir, &path, &journal_bytes(&Header::of(conversation), &[])).map_err(|error| {
            self.error(format!(
                "cannot write {}: {error}; check that the storage directory is writable and has free space",
                path.display()
            ))
        })
    }

    /// Appends a compaction record and waits until it is on disk.
    pub fn append_compaction(&self, id: &ConversationId, record: &CompactionRecord) -> HostResult<()> {
        let path = self.journal_path(id);
        let record = frame(&serde_json::to_vec(record).expect("a compaction record serializes"));
        let mut file = no_follow()
            .append(true)
            .open(&path)
            .map_err(|error| self.error(format!("cannot open {} to record a compaction: {error}", path.display())))?;
        let before = file
            .metadata()
            .map(|m| m.len())
            .map_err(|error| self.error(format!("cannot read the size of {}: {error}", path.display())))?;
        if let Err(error) = file.write_all(&record).and_then(|()| file.sync_data()) {
            if let Err(undo) = file.set_len(before).and_then(|()| file.sync_data()) {
                tracing::error!(path = %path.display(), %undo, "cannot cut a failed append; the next load drops it");
            }
            return Err(self.error(format!(
                "cannot record a compaction in {}: {error}; free some space or fix the permissions",
                path.display()
            )));
        }
        Ok(())
    }

    /// Appends one completed turn and waits until it is on disk.
    pub fn append_turn(&self, id: &ConversationId, turn: &TurnRecord) -> HostResult<()> {
        let path = self.journal_path(id);
        let record = frame(&serde_json::to_vec(turn).expect("a turn record serializes"));
        let mut file = no_follow().append(true).open(&path).map_err(|error| {
            self.error(format!(
                "cannot open {} to record the turn: {error}; was the file removed or replaced while the host ran?",
                path.display()
            ))
        })?;
        let before = file
            .metadata()
            .map(|m| m.len())
            .map_err(|error| self.error(format!("cannot read the size of {}: {error}", path.display())))?;
        if let Err(error) = file.write_all(&record).and_then(|()| file.sync_data()) {
            // Bytes of a failed append must not sit between this and the next good record.
            if let Err(undo) = file.set_len(before).and_then(|()| file.sync_data()) {
                tracing::error!(path = %path.display(), %undo, "cannot cut a failed append; the next load drops it");
            }
            return Err(self.error(format!(
                "cannot record the turn in {}: {error}; the turn was not added to the history (its messages \
                 are in data.partial). Free some space or fix the permissions, then send it again",
                path.display()
            )));
        }
        Ok(())
    }

    /// Removes a conversation's journal for good.
    pub fn delete(&self, id: &ConversationId) -> HostResult<()> {
        let path = self.journal_path(id);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => {
                return Err(self.error(format!(
                    "cannot delete {}: {error}; check the storage directory's permissions",
                    path.display()
                )));
            }
        }
        sync_dir(&self.dir)
            .map_err(|error| self.error(format!("cannot sync {} after a delete: {error}", self.dir.display())))
    }

    /// Every journal in the directory: torn tails cut off, damaged records skipped (the
    /// original kept aside), unreadable journals set aside; leftovers of creations that never
    /// finished are removed.
    fn load(&self) -> HostResult<Loaded> {
        let entries = fs::read_dir(&self.dir)
            .map_err(|error| self.error(format!("cannot list {}: {error}", self.dir.display())))?;
        let mut loaded = Loaded { conversations: Vec::new(), warnings: Vec::new() };
        for entry in entries {
            let path =
                entry.map_err(|error| self.error(format!("cannot list {}: {error}", self.dir.display())))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.ends_with(".journal.tmp") {
                tracing::info!(path = %path.display(), "removing a journal whose creation never finished");
                let _ = fs::remove_file(&path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some(JOURNAL_EXTENSION) {
                continue;
            }
            match self.load_journal(&path) {
                Ok((conversation, warning)) => {
                    loaded.warnings.extend(warning);
                    loaded.conversations.push(conversation);
                }
                Err(problem) => {
                    // A whole file we cannot read is set aside, never deleted: a person decides.
                    let aside = path.with_extension("unreadable");
                    tracing::error!(path = %path.display(), aside = %aside.display(), %problem, "unreadable journal set aside");
                    fs::rename(&path, &aside).map_err(|error| {
                        self.error(format!(
                            "{} is unreadable ({problem}) and cannot be moved aside: {error}",
                            path.display()
                        ))
                    })?;
                    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                    loaded.warnings.push(StorageWarning {
                        kind: StorageWarningKind::UnreadableJournal,
                        conversation_id: ConversationId(stem.to_string()),
                        message: format!(
                            "the journal of conversation `{stem}` cannot be read ({problem}); the conversation \
                             is not loaded, and the file was moved to {}",
                            aside.display()
                        ),
                        kept_at: aside.display().to_string(),
                    });
                }
            }
        }
        Ok(loaded)
    }

    /// Reads one journal. A torn tail is cut off (with a warning in the log); damage followed by
    /// good records is skipped, the original kept aside and the journal rewritten, with a
    /// [`StorageWarning`] for the client. A journal whose magic or header is bad is an error.
    fn load_journal(&self, path: &Path) -> Result<(Conversation, Option<StorageWarning>), String> {
        let mut bytes = Vec::new();
        no_follow()
            .read(true)
            .open(path)
            .and_then(|mut file| file.read_to_end(&mut bytes))
            .map_err(|error| format!("cannot read it: {error}"))?;
        if !bytes.starts_with(MAGIC) {
            return Err("it does not start with a bedrock-host journal header".into());
        }
        let scan = scan_records(&bytes, MAGIC.len());
        let Some(&(header_at, header)) = scan.records.first().filter(|(at, _)| *at == MAGIC.len()) else {
            return Err(match scan.damage.first() {
                Some(damage) => format!("its first record is damaged: {}", damage.reason),
                None => "it holds no record".to_string(),
            });
        };
        let header: Header =
            serde_json::from_slice(header).map_err(|error| format!("its first record is not a header: {error}"))?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if !super::store::is_valid_id(stem) {
            return Err(format!("its name `{stem}` is not a conversation id (letters, digits, `_` and `-` only)"));
        }
        if header.id.0 != stem {
            return Err(format!("its header names conversation `{}`, not `{stem}`", header.id.0));
        }
        let mut conversation = header.into_conversation()?;

        // Every stretch that is not a good turn: damage, and valid frames that are not a turn.
        let mut bad: Vec<Damage> = scan.damage.clone();
        let mut turns: Vec<&[u8]> = Vec::new();
        let mut good_end = header_at + FRAME_HEADER + scan.records[0].1.len();
        for &(at, payload) in &scan.records[1..] {
            let applied = apply_later_record(payload, &mut conversation);
            match applied {
                Ok(()) => {
                    turns.push(payload);
                    good_end = at + FRAME_HEADER + payload.len();
                }
                Err(problem) => bad.push(Damage {
                    start: at,
                    end: at + FRAME_HEADER + payload.len(),
                    reason: format!("a record that is not a turn ({problem})"),
                }),
            }
        }
        bad.sort_by_key(|damage| damage.start);
        let (inside, tail): (Vec<Damage>, Vec<Damage>) = bad.into_iter().partition(|damage| damage.start < good_end);
        if inside.is_empty() {
            if let Some(torn) = tail.first() {
                tracing::warn!(
                    path = %path.display(),
                    kept_bytes = good_end,
                    dropped_bytes = bytes.len() - good_end,
                    turns = conversation.turns,
                    "torn journal tail dropped: {}; the conversation keeps every turn before it",
                    torn.reason
                );
                let file = no_follow().write(true).open(path).map_err(|error| format!("cannot open it: {error}"))?;
                file.set_len(good_end as u64)
                    .and_then(|()| file.sync_all())
                    .map_err(|error| format!("cannot cut its torn tail: {error}"))?;
            }
            return Ok((conversation, None));
        }
        let warning = self.set_aside_damage(path, &bytes, scan.records[0].1, &mut conversation, &turns, &inside)?;
        Ok((conversation, Some(warning)))
    }

    /// A journal with damage between good records: the original is copied aside untouched, the
    /// journal rewritten with its good records only, and the warning recorded in its header.
    fn set_aside_damage(
        &self,
        path: &Path,
        bytes: &[u8],
        header: &[u8],
        conversation: &mut Conversation,
        turns: &[&[u8]],
        damage: &[Damage],
    ) -> Result<StorageWarning, String> {
        let copy =
            copy_aside(path, bytes).map_err(|error| format!("it is damaged and cannot be copied aside: {error}"))?;
        let damaged_bytes: usize = damage.iter().map(|damage| damage.end - damage.start).sum();
        let places: Vec<String> = damage
            .iter()
            .map(|damage| format!("{} bytes at offset {}: {}", damage.end - damage.start, damage.start, damage.reason))
            .collect();
        let warning = StorageWarning {
            kind: StorageWarningKind::DamagedRecords,
            conversation_id: conversation.id.clone(),
            message: format!(
                "the journal of conversation `{}` had {damaged_bytes} damaged bytes between intact records ({}); \
                 they were skipped and every intact turn was loaded ({} turns), but the turns they held are \
                 missing from the history. The original journal is kept as {}",
                conversation.id,
                places.join("; "),
                conversation.turns,
                copy.display()
            ),
            kept_at: copy.display().to_string(),
        };
        tracing::error!(
            path = %path.display(),
            copy = %copy.display(),
            damaged_bytes,
            turns = conversation.turns,
            "damaged journal records skipped: {}",
            places.join("; ")
        );
        conversation.warnings.push(warning.clone());
        // The header as first written, with the warning: the rewritten journal replays to the same history.
        let mut header = serde_json::from_slice::<Header>(header)
            .map_err(|error| format!("its first record is not a header: {error}"))?;
        header.warnings = conversation.warnings.clone();
        write_whole(&self.dir, path, &journal_bytes(&header, turns))
            .map_err(|error| format!("it is damaged and cannot be rewritten without the damage: {error}"))?;
        Ok(warning)
    }
}

/// A journal's bytes: the magic, the header and the turn records.
fn journal_bytes(header: &Header, turns: &[&[u8]]) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&frame(&serde_json::to_vec(header).expect("a header serializes")));
    for turn in turns {
        bytes.extend_from_slice(&frame(turn));
    }
    bytes
}

/// Copies a damaged journal's bytes to `<name>.corrupt-<UTC time>` (a new file, never over another).
fn copy_aside(path: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let stamp = OffsetDateTime::now_utc().format(&format).unwrap_or_default();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let dir = path.parent().unwrap_or(Path::new("."));
    for attempt in 1..100 {
        let suffix = if attempt == 1 { String::new() } else { format!("-{attempt}") };
        let copy = dir.join(format!("{name}.corrupt-{stamp}{suffix}"));
        match no_follow().write(true).create_new(true).open(&copy) {
            Ok(mut file) => {
                file.write_all(bytes)?;
                file.sync_all()?;
                sync_dir(dir)?;
                return Ok(copy);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other(format!("too many copies of {name} named for {stamp}")))
}

/// Takes the exclusive lock on the directory itself: a handle on the directory cannot be
/// deleted or replaced from under the lock, as a lock file in it could.
fn lock_dir(dir: &Path) -> HostResult<File> {
    let handle =
        OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY).open(dir).map_err(|error| {
            storage_error(dir, format!("cannot open the storage directory {}: {error}", dir.display()))
        })?;
    match handle.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let owner = match handle.metadata().ok().and_then(|metadata| lock_owner(&metadata)) {
                Some(pid) => format!("another bedrock-host (pid {pid})"),
                None => "another process".to_string(),
            };
            return Err(storage_error(
                dir,
                format!(
                    "the storage directory {} is in use by {owner}; stop that host, or give this one another \
                     --storage-dir (two hosts never share one)",
                    dir.display()
                ),
            ));
        }
        Err(TryLockError::Error(error)) => {
            return Err(storage_error(dir, format!("cannot lock the storage directory {}: {error}", dir.display())));
        }
    }
    if !writable(dir) {
        return Err(storage_error(
            dir,
            format!(
                "the storage directory {} is not writable; give a directory this user can write \
                 (--storage-dir or initializationOptions.storageDir)",
                dir.display()
            ),
        ));
    }
    Ok(handle)
}

/// Whether this process may create files in `dir` (access(2), which also sees read-only mounts).
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return false };
    // SAFETY: `path` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// The pid holding the flock on the directory `metadata` describes, from /proc/locks
/// (`1: FLOCK  ADVISORY  WRITE <pid> <major>:<minor>:<inode> 0 EOF`).
fn lock_owner(metadata: &fs::Metadata) -> Option<u32> {
    let locks = fs::read_to_string("/proc/locks").ok()?;
    let device = metadata.dev();
    let wanted = format!("{:02x}:{:02x}:{}", libc::major(device), libc::minor(device), metadata.ino());
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // Lines with `->` are processes waiting for a lock, not holding it.
        if fields.get(1) != Some(&"FLOCK") {
            return None;
        }
        let at = fields.iter().position(|field| *field == wanted)?;
        fields.get(at.checked_sub(1)?)?.parse().ok()
    })
}

/// Makes a creation, rename or removal in `dir` durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(value: Value) -> Message {
        serde_json::from_value(value).unwrap()
    }

    fn conversation() -> Conversation {
        let now = OffsetDateTime::now_utc();
        Conversation {
            id: ConversationId("conv_0123456789abcdef0123456789abcdef".into()),
            settings: ConversationSettings {
                model_id: "haiku".into(),
                system: vec![serde_json::from_value(json!({"text": "Be brief."})).unwrap()],
                tools: OfferedTools::Named(vec!["get_weather".into()]),
                title: Some("Weather".into()),
                additional_model_request_fields: Some(json!({"top_k": 5})),
                ..Default::default()
            },
            messages: Vec::new(),
            turns: 0,
            usage: TokenUsage::default(),
            cost_usd: Some(0.0),
            created_at: now,
            updated_at: now,
            warnings: Vec::new(),
            context: Default::default(),
        }
    }

    fn turn() -> TurnRecord {
        numbered_turn(0)
    }

    fn numbered_turn(n: usize) -> TurnRecord {
        TurnRecord::new(
            vec![
                message(json!({"role": "user", "content": [{"text": format!("Weather in Paris? ({n})")}]})),
                message(
                    json!({"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}}]}),
                ),
                message(
                    json!({"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"sky": "clear"}}], "status": "success"}}]}),
                ),
                message(json!({"role": "assistant", "content": [{"text": "Clear."}]})),
            ],
            TokenUsage { input_tokens: 12, output_tokens: 3, total_tokens: 15, ..Default::default() },
            Some(0.000_123),
            OffsetDateTime::now_utc(),
        )
    }

    fn open(dir: &Path) -> (Storage, Loaded) {
        Storage::open(dir).unwrap()
    }

    #[test]
    fn frames_round_trip_and_a_damaged_record_costs_only_itself() {
        let payloads: [&[u8]; 3] = [b"{\"a\":1}", b"{}", b"{\"c\":[3]}"];
        let mut bytes = MAGIC.to_vec();
        let mut starts = Vec::new();
        for payload in payloads {
            starts.push(bytes.len());
            bytes.extend(frame(payload));
        }
        let whole = scan_records(&bytes, MAGIC.len());
        assert_eq!(whole.records, starts.iter().copied().zip(payloads).collect::<Vec<_>>());
        assert!(whole.damage.is_empty());

        // A torn last record: the first two stay, the rest is damage to the end.
        for cut in starts[2] + 1..bytes.len() {
            let scan = scan_records(&bytes[..cut], MAGIC.len());
            assert_eq!(scan.records.len(), 2, "cut at {cut}");
            assert_eq!(scan.damage.len(), 1, "cut at {cut}");
            assert_eq!((scan.damage[0].start, scan.damage[0].end), (starts[2], cut));
        }
        // Any one flipped bit of the middle record: the records around it are found.
        for bit in 0..(starts[2] - starts[1]) * 8 {
            let mut flipped = bytes.clone();
            flipped[starts[1] + bit / 8] ^= 1 << (bit % 8);
            let scan = scan_records(&flipped, MAGIC.len());
            assert_eq!(scan.records, vec![(starts[0], payloads[0]), (starts[2], payloads[2])], "bit {bit}");
            assert_eq!((scan.damage[0].start, scan.damage[0].end), (starts[1], starts[2]), "bit {bit}");
        }
    }

    #[test]
    fn a_compaction_record_survives_reopening_and_old_settings_still_load() {
        use crate::conversations::context::Compaction;
        use crate::protocol::ContextStrategy;
        let dir = tempfile::tempdir().unwrap();
        let (storage, _) = open(dir.path());
        let conversation = conversation();
        storage.create(&conversation).unwrap();
        storage.append_turn(&conversation.id, &numbered_turn(0)).unwrap();
        let summary =
            message(json!({"role": "user", "content": [{"text": "Summary of the earlier conversation: rain."}]}));
        let compaction = Compaction {
            strategy: ContextStrategy::Summarize,
            compacted_messages: 4,
            summary: Some(summary.clone()),
            at: "2026-12-03T22:00:00Z".into(),
        };
        storage.append_compaction(&conversation.id, &CompactionRecord { compaction }).unwrap();
        storage.append_turn(&conversation.id, &numbered_turn(1)).unwrap();
        drop(storage);
        let (_, loaded) = open(dir.path());
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let back = &loaded.conversations[0];
        assert_eq!(back.messages.len(), 8, "every original message is kept");
        assert_eq!(back.turns, 2);
        assert_eq!(back.context.compacted_messages, 4);
        assert_eq!(back.context.summary, Some(summary));
        assert_eq!(back.context.compactions, 1);
        assert_eq!(back.context.view(&back.messages).len(), 2 + 4);

        // A header written before the context settings existed loads with the defaults.
        let mut header = serde_json::to_value(Header::of(&conversation)).unwrap();
        header["settings"].as_object_mut().unwrap().remove("context");
        let old: Header = serde_json::from_value(header).unwrap();
        assert_eq!(old.into_conversation().unwrap().settings.context, Default::default());
    }

    #[test]
    fn a_run_of_zeros_is_damage_not_empty_records() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(frame(b"{}"));
        bytes.extend([0u8; 64]);
        let scan = scan_records(&bytes, MAGIC.len());
        assert_eq!(scan.records.len(), 1);
        assert_eq!(scan.damage[0].reason, "a record of 0 bytes that is not a JSON object");
    }

    #[test]
    fn conversations_survive_reopening_and_forget_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let mut original = conversation();
        {
            let (storage, loaded) = open(dir.path());
            assert!(loaded.conversations.is_empty());
            storage.create(&original).unwrap();
            let turn = turn();
            storage.append_turn(&original.id, &turn).unwrap();
            turn.apply(&mut original).unwrap();
        }
        let (storage, loaded) = open(dir.path());
        assert_eq!(loaded.conversations, vec![original.clone()]);
        assert!(loaded.warnings.is_empty());
        storage.delete(&original.id).unwrap();
        drop(storage);
        assert!(open(dir.path()).1.conversations.is_empty());
    }

    #[test]
    fn a_torn_tail_is_cut_and_earlier_turns_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut original = conversation();
        let path = {
            let (storage, _) = open(dir.path());
            storage.create(&original).unwrap();
            let turn = turn();
            storage.append_turn(&original.id, &turn).unwrap();
            turn.apply(&mut original).unwrap();
            storage.journal_path(&original.id)
        };
        let good_len = fs::metadata(&path).unwrap().len();
        let half_record = &frame(&serde_json::to_vec(&turn()).unwrap())[..40];
        OpenOptions::new().append(true).open(&path).unwrap().write_all(half_record).unwrap();

        let (_storage, loaded) = open(dir.path());
        assert_eq!(loaded.conversations, vec![original]);
        assert!(loaded.warnings.is_empty(), "a torn tail is a crash mid-write, not damage");
        assert_eq!(fs::metadata(&path).unwrap().len(), good_len, "the torn tail is truncated");
    }

    #[test]
    fn a_flipped_bit_mid_journal_loses_one_turn_keeps_the_original_and_warns() {
        let dir = tempfile::tempdir().unwrap();
        let mut expected = conversation();
        let mut starts = Vec::new();
        let path = {
            let (storage, _) = open(dir.path());
            storage.create(&expected).unwrap();
            let path = storage.journal_path(&expected.id);
            for n in 0..8 {
                starts.push(fs::metadata(&path).unwrap().len() as usize);
                let turn = numbered_turn(n);
                storage.append_turn(&expected.id, &turn).unwrap();
                if n != 1 {
                    turn.apply(&mut expected).unwrap();
                }
            }
            path
        };
        let mut original = fs::read(&path).unwrap();
        original[starts[1] + 40] ^= 0x10;
        fs::write(&path, &original).unwrap();

        let (storage, loaded) = open(dir.path());
        let [conversation] = &loaded.conversations[..] else { panic!("{:?}", loaded.conversations) };
        assert_eq!(conversation.turns, 7, "every intact turn, before and after the damage");
        assert_eq!(conversation.messages, expected.messages);
        let [warning] = &loaded.warnings[..] else { panic!("{:?}", loaded.warnings) };
        assert_eq!(warning.kind, StorageWarningKind::DamagedRecords);
        assert_eq!(warning.conversation_id, expected.id);
        assert!(warning.message.contains("whose CRC32 does not match"), "{}", warning.message);
        assert_eq!(conversation.warnings, vec![warning.clone()]);
        let copy = PathBuf::from(&warning.kept_at);
        assert!(copy.file_name().unwrap().to_str().unwrap().starts_with(&format!("{}.journal.corrupt-", expected.id)));
        assert_eq!(fs::read(&copy).unwrap(), original, "the original bytes are kept as they were");
        drop(storage);

        // The rewritten journal loads clean, keeps the warning, and makes no second copy.
        let (storage, loaded) = open(dir.path());
        assert!(loaded.warnings.is_empty(), "nothing new was found");
        assert_eq!(loaded.conversations[0].messages, expected.messages);
        assert_eq!(loaded.conversations[0].warnings, vec![warning.clone()]);
        let turn = numbered_turn(9);
        storage.append_turn(&expected.id, &turn).unwrap();
        drop(storage);
        assert_eq!(open(dir.path()).1.conversations[0].turns, 8, "appends go on after the rewrite");
        let copies = fs::read_dir(dir.path()).unwrap().filter(|e| e.as_ref().unwrap().path() != path).count();
        assert_eq!(copies, 1, "one copy aside");
    }

    #[test]
    fn a_bad_journal_is_set_aside_with_a_warning_and_tmp_leftovers_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("conv_x.journal"), b"not a journal").unwrap();
        fs::write(dir.path().join("conv_y.journal.tmp"), b"BHCONV1\n").unwrap();
        let (_storage, loaded) = open(dir.path());
        assert!(loaded.conversations.is_empty());
        assert!(dir.path().join("conv_x.unreadable").exists());
        assert!(!dir.path().join("conv_x.journal").exists());
        assert!(!dir.path().join("conv_y.journal.tmp").exists());
        let [warning] = &loaded.warnings[..] else { panic!("{:?}", loaded.warnings) };
        assert_eq!(warning.kind, StorageWarningKind::UnreadableJournal);
        assert_eq!(warning.conversation_id.0, "conv_x");
        assert_eq!(PathBuf::from(&warning.kept_at), dir.path().join("conv_x.unreadable"));
    }

    #[test]
    fn a_second_opener_is_refused_with_the_owner_pid() {
        let dir = tempfile::tempdir().unwrap();
        let _first = open(dir.path());
        let error = Storage::open(dir.path()).unwrap_err();
        let message = error.to_string();
        assert!(message.contains(&format!("in use by another bedrock-host (pid {})", std::process::id())), "{message}");
        assert!(message.contains(&dir.path().display().to_string()), "{message}");
        assert_eq!(error.code(), crate::error::code::STORAGE_FAILED);
    }

    #[test]
    fn the_lock_is_the_directory_itself_and_symlinks_are_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("precious");
        fs::write(&target, b"keep me").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("bedrock-host.lock")).unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("conv_link.journal")).unwrap();
        let (storage, loaded) = open(dir.path());
        assert!(loaded.conversations.is_empty());
        assert_eq!(fs::read(&target).unwrap(), b"keep me", "no symlink's target is written");
        // No file in the directory holds the lock: removing every one leaves it held.
        for entry in fs::read_dir(dir.path()).unwrap() {
            fs::remove_file(entry.unwrap().path()).unwrap();
        }
        assert!(Storage::open(dir.path()).unwrap_err().to_string().contains("is in use by"));
        drop(storage);
        assert!(Storage::open(dir.path()).is_ok(), "the lock goes with its owner");
    }

    #[test]
    fn a_file_in_place_of_the_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        fs::write(&file, b"").unwrap();
        let error = Storage::open(&file.join("store")).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("cannot create the storage directory"), "{message}");
        assert!(message.contains("plain-file/store"), "{message}");
    }

    proptest::proptest! {
        /// What `fuzz/fuzz_targets/journal.rs` checks, for CI.
        #[test]
        fn arbitrary_bytes_split_into_records_and_damage_that_cover_them_exactly(
            data in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..512),
        ) {
            let scan = scan_records(&data, 0);
            let mut pieces: Vec<(usize, usize, Option<Vec<u8>>)> = scan
                .records
                .iter()
                .map(|&(at, payload)| (at, at + FRAME_HEADER + payload.len(), Some(frame(payload))))
                .chain(scan.damage.iter().map(|damage| (damage.start, damage.end, None)))
                .collect();
            pieces.sort_by_key(|piece| piece.0);
            let mut at = 0;
            for (start, end, reframed) in pieces {
                proptest::prop_assert_eq!(start, at);
                proptest::prop_assert!(end > start);
                if let Some(reframed) = reframed {
                    proptest::prop_assert_eq!(&reframed[..], &data[start..end]);
                }
                at = end;
            }
            proptest::prop_assert_eq!(at, data.len());
        }
    }
}
