//! The request journal behind `GET /_emulator/requests`: every Bedrock request received, in order,
//! capped at a fixed number of entries (the oldest are dropped first).

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The Bedrock operation name, or `null` for a path no operation serves.
    pub operation: Option<&'static str>,
    pub model_id: Option<String>,
    /// The request path as received, still percent-encoded (`/model/arn%3Aaws%3A…/invoke`).
    pub path: String,
    /// The request body: its JSON when it parses, else the text, else `null` for an empty body.
    pub body: Value,
    /// Request headers by lower-case name; `authorization` is left out.
    pub headers: Map<String, Value>,
    pub received_at: String,
}

pub struct Journal {
    limit: usize,
    entries: Mutex<VecDeque<Entry>>,
}

impl Journal {
    pub fn new(limit: usize) -> Self {
        Journal { limit, entries: Mutex::new(VecDeque::new()) }
    }

    pub fn record(&self, entry: Entry) {
        if self.limit == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while entries.len() >= self.limit {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub fn snapshot(&self) -> Vec<Entry> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> Entry {
        Entry {
            operation: Some("Converse"),
            model_id: Some(format!("m{n}")),
            path: format!("/model/m{n}/converse"),
            body: Value::Null,
            headers: Map::new(),
            received_at: String::new(),
        }
    }

    #[test]
    fn keeps_only_the_newest_entries() {
        let journal = Journal::new(2);
        (0..3).for_each(|n| journal.record(entry(n)));
        let ids: Vec<_> = journal.snapshot().into_iter().map(|e| e.model_id.unwrap()).collect();
        assert_eq!(ids, ["m1", "m2"]);
        journal.clear();
        assert!(journal.snapshot().is_empty());
    }
}
