//! The request journal behind `GET /_emulator/requests`: every Bedrock request received, in order,
//! capped at a number of entries and at a number of bytes (the oldest are dropped first).
//!
//! An entry keeps its body as the bytes received and parses it only when the journal is read: a
//! parsed JSON body costs many times its size (each number or string of a 31 MB body a tree node),
//! and a host that keeps a conversation sends the whole history with every call, so what the
//! journal holds must be counted in bytes, not entries.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::body::Bytes;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

/// What one entry costs besides its body, path, model id and headers (the struct, the time, the queue slot).
const ENTRY_OVERHEAD: usize = 128;

#[derive(Debug, Clone)]
pub struct Entry {
    /// The Bedrock operation name, or `null` for a path no operation serves.
    pub operation: Option<&'static str>,
    pub model_id: Option<String>,
    /// The request path as received, still percent-encoded (`/model/arn%3Aaws%3A…/invoke`).
    pub path: String,
    /// The request body as received; see [`Entry`]'s `Serialize` for how it is shown.
    pub body: Bytes,
    /// Request headers by lower-case name, several values joined; `authorization` is left out.
    pub headers: Vec<(String, String)>,
    pub received_at: String,
    /// Set when the body alone was over the journal's byte limit and was not kept: its size.
    pub body_omitted: Option<usize>,
}

impl Entry {
    /// The bytes this entry holds, for the journal's byte limit.
    fn cost(&self) -> usize {
        ENTRY_OVERHEAD
            + self.body.len()
            + self.path.len()
            + self.model_id.as_ref().map_or(0, String::len)
            + self.received_at.len()
            + self.headers.iter().map(|(name, value)| name.len() + value.len()).sum::<usize>()
    }
}

/// An entry as `GET /_emulator/requests` shows it: `body` is the body's JSON when it parses (as
/// received), else its text, else `null` for an empty body; `bodyOmittedBytes` appears when the
/// body was too large to keep.
impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Headers<'a>(&'a [(String, String)]);
        impl Serialize for Headers<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (name, value) in self.0 {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("operation", &self.operation)?;
        map.serialize_entry("modelId", &self.model_id)?;
        map.serialize_entry("path", &self.path)?;
        if self.body.is_empty() {
            map.serialize_entry("body", &())?;
        } else if let Ok(json) = serde_json::from_slice::<&RawValue>(&self.body) {
            map.serialize_entry("body", json)?;
        } else {
            map.serialize_entry("body", &String::from_utf8_lossy(&self.body))?;
        }
        if let Some(bytes) = self.body_omitted {
            map.serialize_entry("bodyOmittedBytes", &bytes)?;
        }
        map.serialize_entry("headers", &Headers(&self.headers))?;
        map.serialize_entry("receivedAt", &self.received_at)?;
        map.end()
    }
}

#[derive(Default)]
struct Entries {
    queue: VecDeque<Entry>,
    /// The sum of the entries' costs.
    bytes: usize,
}

pub struct Journal {
    /// Most entries kept.
    limit: usize,
    /// Most bytes kept (bodies, paths, headers and a fixed overhead per entry).
    max_bytes: usize,
    entries: Mutex<Entries>,
}

impl Journal {
    pub fn new(limit: usize, max_bytes: usize) -> Self {
        Journal { limit, max_bytes, entries: Mutex::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn record(&self, mut entry: Entry) {
        if self.limit == 0 || self.max_bytes == 0 {
            return;
        }
        if entry.cost() > self.max_bytes {
            // Kept without its body, so that the journal still shows the request was made.
            entry.body_omitted = Some(entry.body.len());
            entry.body = Bytes::new();
        }
        let cost = entry.cost();
        let mut entries = self.lock();
        while !entries.queue.is_empty() && (entries.queue.len() >= self.limit || entries.bytes + cost > self.max_bytes)
        {
            let dropped = entries.queue.pop_front().expect("the queue is not empty");
            entries.bytes -= dropped.cost();
        }
        entries.bytes += cost;
        entries.queue.push_back(entry);
    }

    /// The entries, oldest first (their bodies are shared, not copied).
    pub fn snapshot(&self) -> Vec<Entry> {
        self.lock().queue.iter().cloned().collect()
    }

    /// Forgets every entry and gives their memory back.
    pub fn clear(&self) {
        let dropped = std::mem::take(&mut *self.lock());
        drop(dropped);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn entry(n: usize, body: &str) -> Entry {
        Entry {
            operation: Some("Converse"),
            model_id: Some(format!("m{n}")),
            path: format!("/model/m{n}/converse"),
            body: Bytes::from(body.to_owned()),
            headers: vec![("content-type".into(), "application/json".into())],
            received_at: String::new(),
            body_omitted: None,
        }
    }

    fn ids(journal: &Journal) -> Vec<String> {
        journal.snapshot().into_iter().map(|e| e.model_id.unwrap()).collect()
    }

    #[test]
    fn keeps_only_the_newest_entries() {
        let journal = Journal::new(2, usize::MAX);
        (0..3).for_each(|n| journal.record(entry(n, "")));
        assert_eq!(ids(&journal), ["m1", "m2"]);
        journal.clear();
        assert!(journal.snapshot().is_empty());
    }

    #[test]
    fn keeps_only_as_many_bytes_as_allowed() {
        let body = format!("{{\"text\": \"{}\"}}", "x".repeat(1000));
        let one = entry(0, &body).cost();
        let journal = Journal::new(100, 3 * one);
        (0..5).for_each(|n| journal.record(entry(n, &body)));
        assert_eq!(ids(&journal), ["m2", "m3", "m4"]);
        assert!(journal.lock().bytes <= 3 * one);
        // A body over the whole limit is left out, and says so; older entries make room for the rest.
        journal.record(entry(5, &"y".repeat(4 * one)));
        let last = journal.snapshot().pop().unwrap();
        assert_eq!(last.body_omitted, Some(4 * one));
        assert!(journal.lock().bytes <= 3 * one);
        journal.clear();
        assert_eq!(journal.lock().bytes, 0);
    }

    #[test]
    fn bodies_are_shown_as_json_text_or_null() {
        let shown = |body: &str| serde_json::to_value(entry(0, body)).unwrap()["body"].clone();
        assert_eq!(shown(r#"{"messages": [{"role": "user"}]}"#), json!({"messages": [{"role": "user"}]}));
        assert_eq!(shown("not json"), json!("not json"));
        assert_eq!(shown(""), Value::Null);
        let mut omitted = entry(0, "");
        omitted.body_omitted = Some(99);
        let value = serde_json::to_value(omitted).unwrap();
        assert_eq!((value["body"].clone(), value["bodyOmittedBytes"].clone()), (Value::Null, json!(99)));
        assert_eq!(value["headers"], json!({"content-type": "application/json"}));
        assert_eq!(value["path"], "/model/m0/converse");
    }
}
