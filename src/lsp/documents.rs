//! The open documents (`textDocument/didOpen|didChange|didClose`), kept with a
//! memory bound: at most [`MAX_DOCUMENTS`] documents and [`MAX_TOTAL_BYTES`]
//! bytes of text; beyond either, the least recently used documents are
//! forgotten (a request about one then answers -32602 saying to open it
//! again). Positions are LSP's: zero-based lines and UTF-16 code units.

use std::collections::HashMap;

use crate::protocol::lsp::{Position, Range, TextDocumentContentChangeEvent};

/// Most documents kept open.
pub const MAX_DOCUMENTS: usize = 256;
/// Most bytes of text kept over all open documents.
pub const MAX_TOTAL_BYTES: usize = 64 * 1024 * 1024;

/// One open document.
#[derive(Debug, Clone)]
pub struct Document {
    pub language_id: String,
    pub version: i32,
    pub text: String,
    /// When it was last opened, changed or read (a counter): the least recent is forgotten first.
    used: u64,
}

/// Every open document by URI.
#[derive(Debug, Default)]
pub struct DocumentStore {
    documents: HashMap<String, Document>,
    total_bytes: usize,
    clock: u64,
}

/// What went wrong with a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    /// The document is not open (or was forgotten).
    NotOpen,
    /// The range ends before it starts (`contentChanges[i].range`).
    BackwardRange(usize),
}

impl DocumentStore {
    /// Opens (or reopens) a document; returns the URIs forgotten to stay within the bounds.
    pub fn open(&mut self, uri: &str, language_id: &str, version: i32, text: String) -> Vec<String> {
        self.remove(uri);
        self.clock += 1;
        self.total_bytes += text.len();
        self.documents.insert(
            uri.to_string(),
            Document { language_id: language_id.to_string(), version, text, used: self.clock },
        );
        self.evict(uri)
    }

    /// Applies changes in order (incremental with a range, whole text without).
    pub fn change(
        &mut self,
        uri: &str,
        version: i32,
        changes: &[TextDocumentContentChangeEvent],
    ) -> Result<Vec<String>, ChangeError> {
        self.clock += 1;
        let clock = self.clock;
        let document = self.documents.get_mut(uri).ok_or(ChangeError::NotOpen)?;
        let before = document.text.len();
        // Checked first so that a bad change leaves the document as it was.
        let mut text = document.text.clone();
        for (index, change) in changes.iter().enumerate() {
            match &change.range {
                None => text = change.text.clone(),
                Some(range) => {
                    let start = offset_of(&text, range.start);
                    let end = offset_of(&text, range.end);
                    if end < start {
                        return Err(ChangeError::BackwardRange(index));
                    }
                    text.replace_range(start..end, &change.text);
                }
            }
        }
        document.text = text;
        document.version = version;
        document.used = clock;
        let after = document.text.len();
        self.total_bytes = self.total_bytes + after - before;
        Ok(self.evict(uri))
    }

    /// Closes a document; false when it was not open.
    pub fn close(&mut self, uri: &str) -> bool {
        self.remove(uri)
    }

    /// The document, marked as used.
    pub fn get(&mut self, uri: &str) -> Option<&Document> {
        self.clock += 1;
        let clock = self.clock;
        let document = self.documents.get_mut(uri)?;
        document.used = clock;
        Some(document)
    }

    #[cfg(test)]
    pub fn count(&self) -> usize {
        self.documents.len()
    }

    #[cfg(test)]
    pub fn total_bytes(&self) -> usize {
        self.total_bytes
    }

    fn remove(&mut self, uri: &str) -> bool {
        match self.documents.remove(uri) {
            Some(document) => {
                self.total_bytes -= document.text.len();
                true
            }
            None => false,
        }
    }

    /// Forgets the least recently used documents (never `keep`, the one just touched) until both
    /// bounds hold; `keep` itself goes only when it alone is over the byte bound.
    fn evict(&mut self, keep: &str) -> Vec<String> {
        let mut forgotten = Vec::new();
        while self.documents.len() > MAX_DOCUMENTS || self.total_bytes > MAX_TOTAL_BYTES {
            let oldest = self
                .documents
                .iter()
                .filter(|(uri, _)| uri.as_str() != keep)
                .min_by_key(|(_, document)| document.used)
                .map(|(uri, _)| uri.clone());
            let Some(uri) = oldest.or_else(|| Some(keep.to_string()).filter(|_| !self.documents.is_empty())) else {
                break;
            };
            self.remove(&uri);
            forgotten.push(uri);
        }
        forgotten
    }
}

/// The byte offset of an LSP position in `text`: lines end at `\n`, `\r\n` or `\r`; a character past
/// the line's end means the line's end, a line past the last means the end of the text; a position
/// inside a surrogate pair means the character's start.
pub fn offset_of(text: &str, position: Position) -> usize {
    let bytes = text.as_bytes();
    let mut line_start = 0;
    for _ in 0..position.line {
        let mut at = line_start;
        loop {
            if at >= bytes.len() {
                return text.len();
            }
            match bytes[at] {
                b'\n' => {
                    at += 1;
                    break;
                }
                b'\r' => {
                    at += if bytes.get(at + 1) == Some(&b'\n') { 2 } else { 1 };
                    break;
                }
                _ => at += 1,
            }
        }
        line_start = at;
    }
    let mut units = 0u32;
    for (index, ch) in text[line_start..].char_indices() {
        if ch == '\n' || ch == '\r' {
            return line_start + index;
        }
        let width = ch.len_utf16() as u32;
        if units + width > position.character {
            return line_start + index;
        }
        units += width;
    }
    text.len()
}

/// The LSP position of a byte offset (a char boundary) in `text`.
pub fn position_of(text: &str, offset: usize) -> Position {
    let before = &text[..offset];
    let mut line = 0u32;
    let mut line_start = 0;
    let bytes = before.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\n' => {
                line += 1;
                line_start = at + 1;
            }
            b'\r' if bytes.get(at + 1) != Some(&b'\n') => {
                line += 1;
                line_start = at + 1;
            }
            _ => {}
        }
        at += 1;
    }
    let character = before[line_start..].chars().map(|c| c.len_utf16() as u32).sum();
    Position { line, character }
}

/// The range's text (`start..end`, clamped as [`offset_of`] does; a backward range is empty).
pub fn slice(text: &str, range: Range) -> &str {
    let start = offset_of(text, range.start);
    let end = offset_of(text, range.end).max(start);
    &text[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    fn change(range: Option<(Position, Position)>, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|(start, end)| Range { start, end }),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn utf16_positions_count_surrogate_pairs_as_two() {
        let text = "a😀b\nsecond";
        assert_eq!(offset_of(text, at(0, 0)), 0);
        assert_eq!(offset_of(text, at(0, 1)), 1);
        assert_eq!(offset_of(text, at(0, 3)), 5, "after the emoji (two UTF-16 units, four bytes)");
        assert_eq!(offset_of(text, at(0, 4)), 6);
        assert_eq!(offset_of(text, at(0, 99)), 6, "past the end of the line: its end");
        assert_eq!(offset_of(text, at(1, 2)), 9);
        assert_eq!(offset_of(text, at(7, 0)), text.len());
        assert_eq!(position_of(text, 5), at(0, 3));
        assert_eq!(position_of(text, 9), at(1, 2));
    }

    #[test]
    fn crlf_and_cr_end_lines() {
        let text = "one\r\ntwo\rthree";
        assert_eq!(offset_of(text, at(1, 0)), 5);
        assert_eq!(offset_of(text, at(2, 1)), 10);
        assert_eq!(offset_of(text, at(0, 9)), 3, "the line's end is before its \\r\\n");
        assert_eq!(position_of(text, 10), at(2, 1));
    }

    #[test]
    fn incremental_changes_apply_in_order() {
        let mut store = DocumentStore::default();
        store.open("file:///a.rs", "rust", 1, "fn main() {\n}\n".to_string());
        store
            .change(
                "file:///a.rs",
                2,
                &[change(Some((at(0, 11), at(0, 11))), "\n    let x = 1;"), change(Some((at(1, 8), at(1, 9))), "y")],
            )
            .unwrap();
        let document = store.get("file:///a.rs").unwrap();
        assert_eq!(document.text, "fn main() {\n    let y = 1;\n}\n");
        assert_eq!(document.version, 2);
        store.change("file:///a.rs", 3, &[change(None, "whole")]).unwrap();
        assert_eq!(store.get("file:///a.rs").unwrap().text, "whole");
        assert_eq!(store.total_bytes(), 5);
        assert_eq!(
            store.change("file:///a.rs", 4, &[change(Some((at(0, 3), at(0, 1))), "")]),
            Err(ChangeError::BackwardRange(0))
        );
        assert_eq!(store.get("file:///a.rs").unwrap().text, "whole", "a bad change leaves the text as it was");
        assert_eq!(store.change("file:///b.rs", 1, &[]), Err(ChangeError::NotOpen));
        assert!(store.close("file:///a.rs"));
        assert_eq!((store.count(), store.total_bytes()), (0, 0));
    }

    #[test]
    fn the_least_recently_used_documents_go_first() {
        let mut store = DocumentStore::default();
        for index in 0..MAX_DOCUMENTS {
            assert!(store.open(&format!("file:///{index}"), "text", 1, "x".into()).is_empty());
        }
        store.get("file:///0");
        let forgotten = store.open("file:///new", "text", 1, "x".into());
        assert_eq!(forgotten, ["file:///1"], "document 0 was used more recently than 1");
        assert_eq!(store.count(), MAX_DOCUMENTS);
        let big = "y".repeat(MAX_TOTAL_BYTES - 10);
        let forgotten = store.open("file:///big", "text", 1, big);
        assert!(forgotten.len() >= 10, "{}", forgotten.len());
        assert!(store.total_bytes() <= MAX_TOTAL_BYTES);
        assert!(store.get("file:///big").is_some());
        let forgotten = store.open("file:///huge", "text", 1, "z".repeat(MAX_TOTAL_BYTES + 1));
        assert!(forgotten.contains(&"file:///huge".to_string()), "a document over the whole bound is not kept");
        assert!(store.total_bytes() <= MAX_TOTAL_BYTES);
    }
}
