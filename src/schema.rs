//! `bedrock-host schema`: writes one JSON Schema file per method params and
//! result, plus `protocol.json`, an index of every method and notification.
//! The output is deterministic (table order, sorted keys, two-space
//! indentation, trailing newline) so that `schemas/` can be committed and a
//! test can regenerate it and compare byte for byte.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::protocol::{self, Direction, MessageKind, PROTOCOL_METHODS, SchemaFn};

/// The index file's name.
pub const INDEX_FILE: &str = "protocol.json";

/// Writes every schema into `dir` (created if missing) and returns the paths
/// written, index last. Files already in `dir` that are not schemas are left alone.
pub fn write_schemas(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut index = Vec::new();
    for method in PROTOCOL_METHODS {
        let params = write_one(dir, method.name, "params", method.params, &mut written)?;
        let result = write_one(dir, method.name, "result", method.result, &mut written)?;
        index.push(IndexEntry { name: method.name, direction: method.direction, kind: method.kind, params, result });
    }
    let index = Index { protocol_version: protocol::PROTOCOL_VERSION, methods: index };
    let path = dir.join(INDEX_FILE);
    std::fs::write(&path, pretty(&index)?)?;
    written.push(path);
    Ok(written)
}

/// `protocol.json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Index {
    protocol_version: &'static str,
    methods: Vec<IndexEntry>,
}

/// One method in `protocol.json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IndexEntry {
    name: &'static str,
    direction: Direction,
    kind: MessageKind,
    /// The params schema's file name; null when the message takes no params.
    params: Option<String>,
    /// The result schema's file name; null for notifications.
    result: Option<String>,
}

fn write_one(
    dir: &Path,
    method: &str,
    part: &str,
    schema: Option<SchemaFn>,
    written: &mut Vec<PathBuf>,
) -> io::Result<Option<String>> {
    let Some(schema) = schema else { return Ok(None) };
    let name = schema_file_name(method, part);
    let path = dir.join(&name);
    std::fs::write(&path, pretty(&schema())?)?;
    written.push(path);
    Ok(Some(name))
}

/// The file name of a method's params or result schema: `/` becomes `.` and
/// the `$` of `$/cancelRequest` becomes `dollar`, e.g.
/// `conversation.send.params.json`, `dollar.cancelRequest.params.json`.
pub fn schema_file_name(method: &str, part: &str) -> String {
    format!("{}.{part}.json", method.replace('$', "dollar").replace('/', "."))
}

fn pretty(value: &impl Serialize) -> io::Result<String> {
    let mut text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_readable() {
        assert_eq!(schema_file_name("conversation/send", "params"), "conversation.send.params.json");
        assert_eq!(schema_file_name("$/cancelRequest", "params"), "dollar.cancelRequest.params.json");
        assert_eq!(schema_file_name("initialize", "result"), "initialize.result.json");
    }
}
