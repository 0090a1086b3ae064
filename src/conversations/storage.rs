//! Durable conversations (`--storage-dir`): one append-only journal file per
//! conversation, and an exclusive lock on the directory.
//!
//! # Layout
//!
//! ```text
//! DIR/bedrock-host.lock     flock'ed by the host that owns DIR; holds its pid
//! DIR/<conversation id>.journal
//! ```
//!
//! A journal is [`MAGIC`] followed by records, each framed as
//! `length: u32 LE | crc32(payload): u32 LE | payload (JSON)`. The first record
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
//! - A crash can only tear the last record; loading detects it (short frame,
//!   bad length, bad CRC or bad JSON), truncates the file to the last good
//!   record and logs a warning. A failed append truncates its own bytes away.
//! - One host per directory: a second one is refused while the lock is held
//!   (the kernel releases it when the owner dies, even by `kill -9`).

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::catalog::usage::add_usage;
use crate::conversations::conversation::{Conversation, ConversationId, ConversationSettings, OfferedTools, rfc3339};
use crate::error::{HostError, HostResult};
use crate::protocol::shapes::{
    GuardrailConfiguration, InferenceConfiguration, Message, SystemContentBlock, TokenUsage, ToolChoice,
};

/// The first bytes of every journal: the format and its version.
pub const MAGIC: &[u8; 8] = b"BHCONV1\n";
const LOCK_FILE: &str = "bedrock-host.lock";
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

/// What reading a journal's records found.
#[derive(Debug, PartialEq)]
pub struct Records<'a> {
    /// Every whole record's payload, in order.
    pub payloads: Vec<&'a [u8]>,
    /// Bytes up to the end of the last whole record.
    pub good_len: usize,
    /// Why the bytes after `good_len` were not a record, if any are left.
    pub torn: Option<String>,
}

/// Splits the bytes after [`MAGIC`] into records, stopping at the first
/// frame that is short or fails its CRC. `offset` is where records start.
pub fn read_records(bytes: &[u8], offset: usize) -> Records<'_> {
    let mut payloads = Vec::new();
    let mut at = offset;
    let torn = loop {
        let rest = &bytes[at..];
        if rest.is_empty() {
            break None;
        }
        if rest.len() < FRAME_HEADER {
            break Some(format!("{} bytes, too few for a record header", rest.len()));
        }
        let length = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes"));
        if length > rest.len() - FRAME_HEADER {
            break Some(format!("a record of {length} bytes with only {} bytes left", rest.len() - FRAME_HEADER));
        }
        let payload = &rest[FRAME_HEADER..FRAME_HEADER + length];
        if crc32fast::hash(payload) != crc {
            break Some(format!("a record of {length} bytes whose CRC32 does not match"));
        }
        payloads.push(payload);
        at += FRAME_HEADER + length;
    };
    Records { payloads, good_len: at, torn }
}

/// The storage directory of this host, locked for its lifetime.
#[derive(Debug)]
pub struct Storage {
    dir: PathBuf,
    /// Holds the exclusive lock; the kernel releases it when the process ends.
    _lock: File,
}

fn storage_error(dir: &Path, message: String) -> HostError {
    HostError::Storage { path: dir.display().to_string(), message }
}

impl Storage {
    /// Locks `dir` (creating it if missing) and loads every conversation in it.
    pub fn open(dir: &Path) -> HostResult<(Storage, Vec<Conversation>)> {
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
        let conversations = storage.load()?;
        tracing::info!(dir = %dir.display(), conversations = conversations.len(), "storage opened");
        Ok((storage, conversations))
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
        let temporary = path.with_extension(format!("{JOURNAL_EXTENSION}.tmp"));
        let header = serde_json::to_vec(&Header::of(conversation)).expect("a header serializes");
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&frame(&header));
        let written = (|| {
            let mut file = File::create(&temporary)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&temporary, &path)?;
            sync_dir(&self.dir)
        })();
        written.map_err(|error| {
            let _ = fs::remove_file(&temporary);
            self.error(format!(
                "cannot write {}: {error}; check that the storage directory is writable and has free space",
                path.display()
            ))
        })
    }

    /// Appends one completed turn and waits until it is on disk.
    pub fn append_turn(&self, id: &ConversationId, turn: &TurnRecord) -> HostResult<()> {
        let path = self.journal_path(id);
        let record = frame(&serde_json::to_vec(turn).expect("a turn record serializes"));
        let mut file = OpenOptions::new().append(true).open(&path).map_err(|error| {
            self.error(format!(
                "cannot open {} to record the turn: {error}; was the file removed while the host ran?",
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
                "cannot record the turn in {}: {error}; the turn was not added. Check free space and permissions",
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

    /// Every journal in the directory, torn tails cut off; leftovers of
    /// creations that never finished are removed.
    fn load(&self) -> HostResult<Vec<Conversation>> {
        let entries = fs::read_dir(&self.dir)
            .map_err(|error| self.error(format!("cannot list {}: {error}", self.dir.display())))?;
        let mut conversations = Vec::new();
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
            match load_journal(&path) {
                Ok(conversation) => conversations.push(conversation),
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
                }
            }
        }
        Ok(conversations)
    }
}

/// Takes the directory's exclusive lock and writes our pid into the lock file.
fn lock_dir(dir: &Path) -> HostResult<File> {
    let path = dir.join(LOCK_FILE);
    let mut file =
        OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(|error| {
            storage_error(
                dir,
                format!(
                    "the storage directory {} is not writable ({error}); give a directory this user can write \
                     (--storage-dir or initializationOptions.storageDir)",
                    dir.display()
                ),
            )
        })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut owner = String::new();
            let _ = file.read_to_string(&mut owner);
            let owner = match owner.trim() {
                "" => "another process".to_string(),
                pid => format!("another bedrock-host (pid {pid})"),
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
            return Err(storage_error(dir, format!("cannot lock {}: {error}", path.display())));
        }
    }
    let pid = std::process::id().to_string();
    (|| {
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(pid.as_bytes())
    })()
    .map_err(|error| storage_error(dir, format!("cannot write {}: {error}", path.display())))?;
    Ok(file)
}

/// Reads one journal. A torn tail is cut off (with a warning); a journal
/// whose magic or header is bad is an error.
fn load_journal(path: &Path) -> Result<Conversation, String> {
    let bytes = fs::read(path).map_err(|error| format!("cannot read it: {error}"))?;
    if !bytes.starts_with(MAGIC) {
        return Err("it does not start with a bedrock-host journal header".into());
    }
    let records = read_records(&bytes, MAGIC.len());
    let mut payloads = records.payloads.iter();
    let header = payloads.next().ok_or_else(|| match &records.torn {
        Some(torn) => format!("its first record is damaged: {torn}"),
        None => "it holds no record".to_string(),
    })?;
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
    let mut good_len = MAGIC.len() + FRAME_HEADER + records.payloads[0].len();
    let mut torn = records.torn.clone();
    for payload in payloads {
        let applied = serde_json::from_slice::<TurnRecord>(payload)
            .map_err(|error| error.to_string())
            .and_then(|turn| turn.apply(&mut conversation));
        if let Err(problem) = applied {
            torn = Some(format!("a record that is not a turn ({problem})"));
            break;
        }
        good_len += FRAME_HEADER + payload.len();
    }
    if let Some(torn) = torn {
        let dropped = bytes.len() - good_len;
        tracing::warn!(
            path = %path.display(),
            kept_bytes = good_len,
            dropped_bytes = dropped,
            turns = conversation.turns,
            "torn journal tail dropped: {torn}; the conversation keeps every turn before it"
        );
        let file = OpenOptions::new().write(true).open(path).map_err(|error| format!("cannot open it: {error}"))?;
        file.set_len(good_len as u64)
            .and_then(|()| file.sync_all())
            .map_err(|error| format!("cannot cut its torn tail: {error}"))?;
    }
    Ok(conversation)
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
        }
    }

    fn turn() -> TurnRecord {
        TurnRecord::new(
            vec![
                message(json!({"role": "user", "content": [{"text": "Weather in Paris?"}]})),
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

    #[test]
    fn frames_round_trip_and_stop_at_damage() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(frame(b"{\"a\":1}"));
        bytes.extend(frame(b"[]"));
        let whole = read_records(&bytes, MAGIC.len());
        assert_eq!(whole, Records { payloads: vec![b"{\"a\":1}", b"[]"], good_len: bytes.len(), torn: None });

        let first_end = MAGIC.len() + FRAME_HEADER + 7;
        for cut in first_end + 1..bytes.len() {
            let records = read_records(&bytes[..cut], MAGIC.len());
            assert_eq!(records.payloads, vec![b"{\"a\":1}"], "cut at {cut}");
            assert_eq!(records.good_len, first_end);
            assert!(records.torn.is_some());
        }
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let records = read_records(&flipped, MAGIC.len());
        assert_eq!(records.good_len, first_end);
        assert_eq!(records.torn.as_deref(), Some("a record of 2 bytes whose CRC32 does not match"));
    }

    #[test]
    fn conversations_survive_reopening_and_forget_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let mut original = conversation();
        {
            let (storage, loaded) = Storage::open(dir.path()).unwrap();
            assert!(loaded.is_empty());
            storage.create(&original).unwrap();
            let turn = turn();
            storage.append_turn(&original.id, &turn).unwrap();
            turn.apply(&mut original).unwrap();
        }
        let (storage, loaded) = Storage::open(dir.path()).unwrap();
        assert_eq!(loaded, vec![original.clone()]);
        storage.delete(&original.id).unwrap();
        drop(storage);
        assert!(Storage::open(dir.path()).unwrap().1.is_empty());
    }

    #[test]
    fn a_torn_tail_is_cut_and_earlier_turns_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut original = conversation();
        let path = {
            let (storage, _) = Storage::open(dir.path()).unwrap();
            storage.create(&original).unwrap();
            let turn = turn();
            storage.append_turn(&original.id, &turn).unwrap();
            turn.apply(&mut original).unwrap();
            storage.journal_path(&original.id)
        };
        let good_len = fs::metadata(&path).unwrap().len();
        let half_record = &frame(&serde_json::to_vec(&turn()).unwrap())[..40];
        OpenOptions::new().append(true).open(&path).unwrap().write_all(half_record).unwrap();

        let (_storage, loaded) = Storage::open(dir.path()).unwrap();
        assert_eq!(loaded, vec![original]);
        assert_eq!(fs::metadata(&path).unwrap().len(), good_len, "the torn tail is truncated");
    }

    #[test]
    fn a_bad_journal_is_set_aside_and_tmp_leftovers_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("conv_x.journal"), b"not a journal").unwrap();
        fs::write(dir.path().join("conv_y.journal.tmp"), b"BHCONV1\n").unwrap();
        let (_storage, loaded) = Storage::open(dir.path()).unwrap();
        assert!(loaded.is_empty());
        assert!(dir.path().join("conv_x.unreadable").exists());
        assert!(!dir.path().join("conv_x.journal").exists());
        assert!(!dir.path().join("conv_y.journal.tmp").exists());
    }

    #[test]
    fn a_second_opener_is_refused_with_the_owner_pid() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Storage::open(dir.path()).unwrap();
        let error = Storage::open(dir.path()).unwrap_err();
        let message = error.to_string();
        assert!(message.contains(&format!("in use by another bedrock-host (pid {})", std::process::id())), "{message}");
        assert!(message.contains(&dir.path().display().to_string()), "{message}");
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
        fn arbitrary_bytes_split_into_records_that_reframe_exactly(
            data in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..512),
        ) {
            let records = read_records(&data, 0);
            proptest::prop_assert_eq!(records.torn.is_none(), records.good_len == data.len());
            let reframed: Vec<u8> = records.payloads.iter().flat_map(|payload| frame(payload)).collect();
            proptest::prop_assert_eq!(&reframed[..], &data[..records.good_len]);
        }
    }
}
