//! `bedrock-host schema`: writes one JSON Schema file per method params and
//! result, plus `protocol.json`, an index of every method and notification,
//! and (with `--docs FILE`) [`methods_markdown`], the method reference that
//! `docs/methods.md` holds. The output is deterministic (table order, sorted
//! keys, two-space indentation, trailing newline) so that `schemas/` and
//! `docs/methods.md` can be committed and a test can regenerate them and
//! compare byte for byte.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ERROR_DATA;
use crate::protocol::{self, Direction, MessageKind, PROTOCOL_METHODS, ProtocolMethod, SchemaFn};

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
    let mut errors = Vec::new();
    for (code, name, schema) in ERROR_DATA {
        let file = format!("error.{name}.json");
        let path = dir.join(&file);
        std::fs::write(&path, pretty(&schema())?)?;
        written.push(path);
        errors.push(ErrorEntry { code: *code, data: file });
    }
    let index = Index { protocol_version: protocol::PROTOCOL_VERSION, methods: index, errors };
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
    /// The schema of each error code's `data`.
    errors: Vec<ErrorEntry>,
}

/// One error code's `data` in `protocol.json`.
#[derive(Serialize)]
struct ErrorEntry {
    code: i64,
    /// The schema's file name.
    data: String,
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

/// The command that regenerates `schemas/` and `docs/methods.md`.
pub const REGENERATE_COMMAND: &str = "cargo run -- schema --out schemas --docs docs/methods.md";

/// Writes [`methods_markdown`] to `path`, creating its directory if missing.
pub fn write_methods_markdown(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, methods_markdown())
}

/// The method reference in Markdown, as `docs/methods.md` holds it: an index
/// of every method and notification of [`PROTOCOL_METHODS`], then one section
/// each with its direction, its kind and a table of the top-level fields of
/// its params and of its result (name, JSON type, required or default, and
/// the description the Rust doc comments gave the schema). Generated from the
/// same schemas as `schemas/`, so it cannot say what the code does not.
/// Links point at `../schemas/`, as seen from `docs/`.
pub fn methods_markdown() -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "<!-- Generated from the wire types in src/protocol/ by `{REGENERATE_COMMAND}`. Do not edit: \
         change the doc comments of the types and regenerate; tests/schemas.rs fails when this file is stale. -->\n\n"
    ));
    out.push_str("# Methods and notifications (generated)\n\n");
    out.push_str(&format!(
        "Every message of protocol version {}, with the top-level fields of its params and result as the \
         JSON Schemas in [`schemas/`](../schemas/) define them. [protocol.md](protocol.md) is the prose \
         reference (framing, lifecycle, the tool-use loop, errors, the command line); the Bedrock shapes \
         named in the type column (`Message`, `ContentBlock`, `InferenceConfiguration`, …) are Bedrock \
         Converse's own and are spelled out in the linked schema files.\n\n",
        protocol::PROTOCOL_VERSION
    ));
    out.push_str(
        "*Required* fields must be present; the others may be left out (or sent as `null`). In results, \
         a field that is not required may be absent, or `null` where its description says so.\n\n",
    );
    out.push_str("| message | direction | kind |\n|---|---|---|\n");
    for method in PROTOCOL_METHODS {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} |",
            method.name,
            anchor(method.name),
            direction_text(method.direction),
            kind_text(method.kind)
        );
    }
    // Each section ends with a blank line, so the next heading follows directly.
    out.push('\n');
    for method in PROTOCOL_METHODS {
        method_section(&mut out, method);
    }
    out.push_str("## Error data\n\nThe `data` member of each error code that carries one ([protocol.md](protocol.md#errors) says when each code is used).\n\n");
    for (code, name, schema) in ERROR_DATA {
        let schema = serde_json::to_value(schema()).unwrap_or_default();
        let _ =
            writeln!(out, "### `{code}`: `{name}`\n\nSchema: [`error.{name}.json`](../schemas/error.{name}.json)\n");
        part_section(&mut out, "data", &schema);
    }
    let end = out.trim_end().len();
    out.truncate(end);
    out.push('\n');
    out
}

fn direction_text(direction: Direction) -> &'static str {
    match direction {
        Direction::ClientToHost => "client → host",
        Direction::HostToClient => "host → client",
    }
}

fn kind_text(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Request => "request",
        MessageKind::Notification => "notification",
    }
}

/// The anchor GitHub gives the heading ``## `name` ``: lower case, with only
/// letters, digits, `-` and `_` kept.
fn anchor(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect::<String>().to_lowercase()
}

fn method_section(out: &mut String, method: &ProtocolMethod) {
    let _ = writeln!(out, "## `{}`\n", method.name);
    let mut files = Vec::new();
    for (part, schema) in [("params", method.params), ("result", method.result)] {
        if schema.is_some() {
            let file = schema_file_name(method.name, part);
            files.push(format!("[`{file}`](../schemas/{file})"));
        }
    }
    let _ = write!(out, "{} {}.", capitalized(direction_text(method.direction)), kind_text(method.kind));
    if !files.is_empty() {
        let _ = write!(out, " Schemas: {}.", files.join(", "));
    }
    out.push_str("\n\n");
    match method.params {
        Some(params) => part_section(out, "Params", params().as_value()),
        None => out.push_str("**Params**: none.\n\n"),
    }
    match (method.kind, method.result) {
        (_, Some(result)) => part_section(out, "Result", result().as_value()),
        (MessageKind::Notification, None) => out.push_str("No result: a notification is not answered.\n\n"),
        (MessageKind::Request, None) => out.push_str("**Result**: none.\n\n"),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// One params or result schema: its description, then its fields (or, for a
/// schema that is one of several objects, each of them in turn).
fn part_section(out: &mut String, label: &str, schema: &Value) {
    let defs = schema.get("$defs").and_then(Value::as_object).cloned().unwrap_or_default();
    let title = schema.get("title").and_then(Value::as_str).unwrap_or_default();
    let _ = write!(out, "**{label}**");
    if !title.is_empty() && title != "null" {
        let _ = write!(out, " (`{title}`)");
    }
    out.push(':');
    if let Some(description) = description(schema) {
        let _ = write!(out, " {description}");
    }
    if schema.get("type").and_then(Value::as_str) == Some("null") {
        out.push_str(" `null`.");
    }
    out.push_str("\n\n");
    if let Some(variants) = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array) {
        out.push_str("One of:\n\n");
        for variant in variants {
            let (name, object) = resolve(variant, &defs);
            let texts: Vec<String> = [description(variant), description(object)].into_iter().flatten().collect();
            let _ = writeln!(out, "- `{}`: {}", name.unwrap_or("object"), texts.join(" "));
        }
        out.push('\n');
        for variant in variants {
            let (name, object) = resolve(variant, &defs);
            if let Some(name) = name {
                let _ = writeln!(out, "Fields of `{name}`:\n");
            }
            field_table(out, object, &defs);
        }
        return;
    }
    field_table(out, schema, &defs);
}

/// A `$ref` followed into `$defs`: the definition's name and schema.
fn resolve<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> (Option<&'a str>, &'a Value) {
    match schema.get("$ref").and_then(Value::as_str).and_then(|reference| reference.strip_prefix("#/$defs/")) {
        Some(name) => (Some(name), defs.get(name).unwrap_or(schema)),
        None => (None, schema),
    }
}

/// A schema's description on one line, with `|` escaped for a table cell.
fn description(schema: &Value) -> Option<String> {
    let text = schema.get("description")?.as_str()?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|"))
}

/// The table of an object schema's properties: required ones first, in
/// declaration order, then the optional ones by name.
fn field_table(out: &mut String, schema: &Value, defs: &Map<String, Value>) {
    let properties = schema.get("properties").and_then(Value::as_object);
    let Some(properties) = properties.filter(|properties| !properties.is_empty()) else {
        if schema.get("type").and_then(Value::as_str) == Some("object") {
            out.push_str("No fields.\n\n");
        }
        return;
    };
    let required: Vec<&str> =
        schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let mut names: Vec<&str> = required.iter().copied().filter(|name| properties.contains_key(*name)).collect();
    names.extend(properties.keys().map(String::as_str).filter(|name| !required.contains(name)));
    out.push_str("| field | type | required | description |\n|---|---|---|---|\n");
    for name in names {
        let property = &properties[name];
        let is_required = required.contains(&name);
        let presence = match property.get("default") {
            _ if is_required => "required".to_string(),
            Some(default) => format!("optional, default `{default}`"),
            None => "optional".to_string(),
        };
        let text = description(property).or_else(|| description(resolve(property, defs).1)).unwrap_or_default();
        let _ = writeln!(
            out,
            "| `{name}` | `{}` | {presence} | {text} |",
            type_name(property, defs, !is_required).replace('|', "\\|")
        );
    }
    out.push('\n');
}

/// A short JSON type for a table: `string`, `array of Message`,
/// `"standard" | "adaptive"`, `HostOptions`. `optional` drops the `null`
/// that schemars adds to an `Option`; a required field keeps it, because it
/// can be `null` on the wire.
fn type_name(schema: &Value, defs: &Map<String, Value>, optional: bool) -> String {
    let Value::Object(object) = schema else { return "any".to_string() };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return match defs.get(name) {
            Some(def) if is_simple(def) => type_name(def, defs, optional),
            _ => name.to_string(),
        };
    }
    if let Some(value) = object.get("const") {
        return value.to_string();
    }
    if let Some(values) = object.get("enum").and_then(Value::as_array) {
        return values.iter().map(Value::to_string).collect::<Vec<_>>().join(" | ");
    }
    if let Some(variants) = object.get("anyOf").or_else(|| object.get("oneOf")).and_then(Value::as_array) {
        let names: Vec<String> = variants
            .iter()
            .filter(|variant| !(optional && variant.get("type").and_then(Value::as_str) == Some("null")))
            .map(|variant| type_name(variant, defs, optional))
            .collect();
        return names.join(" | ");
    }
    let types: Vec<&str> = match object.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => {
            kinds.iter().filter_map(Value::as_str).filter(|kind| !(optional && *kind == "null")).collect()
        }
        _ => return "any".to_string(),
    };
    let names: Vec<String> = types
        .into_iter()
        .map(|kind| match kind {
            "array" => format!("array of {}", nested(object.get("items"), defs)),
            "object" => match object.get("additionalProperties") {
                Some(values @ Value::Object(_)) => format!("map of {}", nested(Some(values), defs)),
                _ => "object".to_string(),
            },
            other => other.to_string(),
        })
        .collect();
    names.join(" | ")
}

/// The type of array items or map values, in parentheses when it is a union.
fn nested(schema: Option<&Value>, defs: &Map<String, Value>) -> String {
    let name = schema.map_or_else(|| "any".to_string(), |schema| type_name(schema, defs, false));
    if name.contains(" | ") { format!("({name})") } else { name }
}

/// A definition a reader understands from its JSON type alone (a string
/// newtype, an enum of strings, a string-or-number, `"all"` or a list of
/// strings): shown inline instead of by name.
fn is_simple(def: &Value) -> bool {
    fn primitive(schema: &Value) -> bool {
        schema.get("properties").is_none()
            && matches!(
                schema.get("type").and_then(Value::as_str),
                Some("string" | "integer" | "number" | "boolean" | "null")
            )
    }
    let list_of_primitives = |schema: &Value| {
        schema.get("type").and_then(Value::as_str) == Some("array") && schema.get("items").is_some_and(primitive)
    };
    if primitive(def) {
        return true;
    }
    def.get("anyOf").or_else(|| def.get("oneOf")).and_then(Value::as_array).is_some_and(|variants| {
        variants
            .iter()
            .all(|variant| primitive(variant) || list_of_primitives(variant) || variant.get("const").is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_match_github_headings() {
        assert_eq!(anchor("bedrock/converse"), "bedrockconverse");
        assert_eq!(anchor("$/cancelRequest"), "cancelrequest");
    }

    #[test]
    fn types_read_as_json() {
        let defs: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "Mode": {"type": "string", "enum": ["standard", "adaptive"]},
            "Message": {"type": "object", "properties": {"role": {"type": "string"}}}
        }))
        .unwrap();
        let check = |schema: Value, optional: bool, expected: &str| {
            assert_eq!(type_name(&schema, &defs, optional), expected, "{schema}");
        };
        check(serde_json::json!({"type": ["string", "null"]}), true, "string");
        check(serde_json::json!({"type": ["number", "null"]}), false, "number | null");
        check(serde_json::json!({"type": "array", "items": {"$ref": "#/$defs/Message"}}), false, "array of Message");
        check(
            serde_json::json!({"anyOf": [{"$ref": "#/$defs/Mode"}, {"type": "null"}]}),
            true,
            r#""standard" | "adaptive""#,
        );
        check(
            serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}}),
            false,
            "map of string",
        );
        check(serde_json::json!({"description": "anything"}), false, "any");
        check(Value::Bool(true), false, "any");
    }

    #[test]
    fn the_reference_has_a_section_per_method() {
        let markdown = methods_markdown();
        for method in PROTOCOL_METHODS {
            assert!(markdown.contains(&format!("\n## `{}`\n", method.name)), "{}", method.name);
        }
        assert!(markdown.contains("| `stream` | `boolean` | optional, default `true` |"), "conversation/send's stream");
    }

    #[test]
    fn file_names_are_safe_and_readable() {
        assert_eq!(schema_file_name("conversation/send", "params"), "conversation.send.params.json");
        assert_eq!(schema_file_name("$/cancelRequest", "params"), "dollar.cancelRequest.params.json");
        assert_eq!(schema_file_name("initialize", "result"), "initialize.result.json");
    }
}
