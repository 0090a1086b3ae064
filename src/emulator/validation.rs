//! Request validation as Bedrock does it: every violation is a ValidationException whose message
//! names the member (`messages[1].content[0].toolResult.toolUseId`).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::errors::ApiError;

pub type Checked<T = ()> = Result<T, ApiError>;

// Union members and enum values, spelled as Bedrock's Smithy model spells them. The tests in
// `validation/model_drift.rs` hold each list against the vendored model
// (schemas/aws-models/bedrock-runtime.json): every member the model has must be here, and a member beyond
// it (one SDK 1.153 knows and the older model does not) must be listed there with its reason.

const CONTENT_BLOCKS: &[&str] = &[
    "text",
    "image",
    "document",
    "video",
    "audio",
    "toolUse",
    "toolResult",
    "guardContent",
    "cachePoint",
    "reasoningContent",
    "citationsContent",
    "searchResult",
    "toolAddition",
    "toolRemoval",
];
const SYSTEM_BLOCKS: &[&str] = &["text", "guardContent", "cachePoint"];
const TOOL_RESULT_BLOCKS: &[&str] = &["json", "text", "image", "document", "video", "searchResult"];
const TOOLS: &[&str] = &["toolSpec", "systemTool", "cachePoint"];
const TOOL_CHOICES: &[&str] = &["auto", "any", "tool"];
const TOOL_INPUT_SCHEMAS: &[&str] = &["json"];
const IMAGE_SOURCES: &[&str] = &["bytes", "s3Location"];
const DOCUMENT_SOURCES: &[&str] = &["bytes", "s3Location", "text", "content"];
const VIDEO_SOURCES: &[&str] = &["bytes", "s3Location"];
const AUDIO_SOURCES: &[&str] = &["bytes", "s3Location"];
const GUARD_CONTENT_BLOCKS: &[&str] = &["text", "image"];
const GUARD_IMAGE_SOURCES: &[&str] = &["bytes"];
const REASONING_BLOCKS: &[&str] = &["reasoningText", "redactedContent"];

const ROLES: &[&str] = &["user", "assistant", "system"];
const TOOL_RESULT_STATUSES: &[&str] = &["success", "error"];
const IMAGE_FORMATS: &[&str] = &["png", "jpeg", "gif", "webp"];
const DOCUMENT_FORMATS: &[&str] = &["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"];
const VIDEO_FORMATS: &[&str] = &["mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp"];
const AUDIO_FORMATS: &[&str] =
    &["mp3", "opus", "wav", "aac", "flac", "mp4", "ogg", "mkv", "mka", "x-aac", "m4a", "mpeg", "mpga", "pcm", "webm"];
const GUARD_IMAGE_FORMATS: &[&str] = &["png", "jpeg"];
const GUARD_QUALIFIERS: &[&str] = &["grounding_source", "query", "guard_content"];
const CACHE_POINT_TYPES: &[&str] = &["default"];
const GUARDRAIL_TRACES: &[&str] = &["enabled", "disabled", "enabled_full"];
const STREAM_PROCESSING_MODES: &[&str] = &["sync", "async"];

pub fn join(prefix: &str, member: &str) -> String {
    if prefix.is_empty() { member.to_owned() } else { format!("{prefix}.{member}") }
}

/// How deeply a JSON document inside a request may nest arrays and objects: a toolUse's `input`, a
/// toolResult's `json`, an Anthropic `tool_use` input. Scripts cannot make the model produce deeper
/// ones, so whatever the emulator produces it accepts back (docs/emulator.md "Limits").
pub const MAX_DOCUMENT_DEPTH: usize = 128;

/// How deeply a whole request body (or script) may nest: a document at [`MAX_DOCUMENT_DEPTH`] plus
/// the members around it.
pub const MAX_BODY_DEPTH: usize = MAX_DOCUMENT_DEPTH + 16;

/// The deepest nesting of arrays and objects in JSON text, skipping strings; broken JSON (a
/// scripted `rawInput`) is measured the same way.
pub fn text_depth(text: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &byte in text {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// How deeply a value nests arrays and objects: a scalar 0, `[]` 1, `{"a": [1]}` 2.
pub fn value_depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(value, 0usize)];
    while let Some((value, depth)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(members) => Box::new(members.values()),
            _ => continue,
        };
        deepest = deepest.max(depth + 1);
        pending.extend(children.map(|child| (child, depth + 1)));
    }
    deepest
}

/// JSON text nested at most `max_depth` levels, parsed. serde_json's own limit (128 levels) is lifted:
/// the depth was measured first, so the parser's recursion is bounded by `max_depth`.
pub fn parse_json(text: &[u8], max_depth: usize) -> Result<Value, String> {
    let depth = text_depth(text);
    if depth > max_depth {
        return Err(format!("it nests {depth} levels of arrays and objects, more than the {max_depth} accepted"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    deserializer.disable_recursion_limit();
    let value = Value::deserialize(&mut deserializer).map_err(|error| error.to_string())?;
    deserializer.end().map_err(|error| error.to_string())?;
    Ok(value)
}

/// The request body as a JSON object, or a "Malformed input request" ValidationException.
pub fn json_object(body: &[u8]) -> Checked<Map<String, Value>> {
    match parse_json(body, MAX_BODY_DEPTH) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::malformed("the request body must be a JSON object")),
        Err(error) => Err(ApiError::malformed(format_args!("the request body is not valid JSON ({error})"))),
    }
}

/// A document inside the request (tool input, JSON tool result) nested at most [`MAX_DOCUMENT_DEPTH`].
pub fn document(path: &str, value: &Value) -> Checked {
    let depth = value_depth(value);
    if depth > MAX_DOCUMENT_DEPTH {
        return Err(ApiError::member(
            path,
            &format!("Member must nest at most {MAX_DOCUMENT_DEPTH} levels of arrays and objects (it nests {depth})"),
        ));
    }
    Ok(())
}

pub fn object<'a>(path: &str, value: &'a Value) -> Checked<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| ApiError::member(path, "Member must be an object"))
}

pub fn string<'a>(path: &str, value: Option<&'a Value>) -> Checked<&'a str> {
    match value {
        None | Some(Value::Null) => Err(ApiError::member(path, "Member must not be null")),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(ApiError::member(path, "Member must be a string")),
    }
}

pub fn array<'a>(path: &str, value: Option<&'a Value>, min: usize) -> Checked<&'a Vec<Value>> {
    let items = match value {
        None | Some(Value::Null) => return Err(ApiError::member(path, "Member must not be null")),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::member(path, "Member must be a list")),
    };
    if items.len() < min {
        return Err(ApiError::member(path, &format!("Member must have length greater than or equal to {min}")));
    }
    Ok(items)
}

pub fn one_of(path: &str, value: &str, allowed: &[&str]) -> Checked {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::member(path, &format!("Member must satisfy enum value set: {allowed:?}")))
    }
}

/// A union: an object with exactly one non-null member, which must be one of `known`.
pub fn union<'a>(path: &str, value: &'a Value, known: &[&str]) -> Checked<(&'a str, &'a Value)> {
    let members: Vec<(&String, &Value)> = object(path, value)?.iter().filter(|(_, value)| !value.is_null()).collect();
    match members.as_slice() {
        [] => Err(ApiError::member(path, &format!("Union must set exactly one member of {known:?}, found none"))),
        [(key, inner)] if known.contains(&key.as_str()) => Ok((key.as_str(), inner)),
        [(key, _)] => {
            Err(ApiError::member(path, &format!("`{key}` is not a member of this union; use one of {known:?}")))
        }
        many => {
            let keys: Vec<&str> = many.iter().map(|(key, _)| key.as_str()).collect();
            Err(ApiError::member(path, &format!("Union must set exactly one member, found {keys:?}")))
        }
    }
}

fn number_in(path: &str, value: Option<&Value>, low: f64, high: f64) -> Checked {
    match value {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Number(number)) if number.as_f64().is_some_and(|n| (low..=high).contains(&n)) => Ok(()),
        Some(_) => Err(ApiError::member(path, &format!("Member must be a number between {low} and {high}"))),
    }
}

fn pattern(path: &str, value: &str, allowed: fn(char) -> bool, max: usize) -> Checked {
    if value.is_empty() || value.chars().count() > max || !value.chars().all(allowed) {
        return Err(ApiError::member(path, &format!("Member must be 1 to {max} characters of the allowed set")));
    }
    Ok(())
}

fn tool_use_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

fn tool_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

/// A model id or ARN as InvokeModel/Converse accept them.
pub fn model_id(model_id: &str) -> Checked {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-');
    let starts_well = model_id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if model_id.len() > 2048 || !starts_well || !model_id.chars().all(allowed) {
        return Err(ApiError::validation(format!("The provided model identifier is invalid: `{model_id}`.")));
    }
    if model_id.starts_with("arn:") && model_id.split(':').count() < 6 {
        return Err(ApiError::validation(format!(
            "The provided model identifier is invalid: `{model_id}` is not an ARN."
        )));
    }
    Ok(())
}

/// An image, document, video or audio block: its format (optional for a document, which Bedrock
/// then infers) and its source, each from the kind's own lists; a document also needs its name.
fn media(path: &str, kind: &str, inner: &Value) -> Checked {
    let fields = object(path, inner)?;
    let (formats, sources) = match kind {
        "image" => (IMAGE_FORMATS, IMAGE_SOURCES),
        "document" => (DOCUMENT_FORMATS, DOCUMENT_SOURCES),
        "video" => (VIDEO_FORMATS, VIDEO_SOURCES),
        _ => (AUDIO_FORMATS, AUDIO_SOURCES),
    };
    let format_path = join(path, "format");
    match fields.get("format").filter(|value| !value.is_null()) {
        None if kind == "document" => {}
        format => one_of(&format_path, string(&format_path, format)?, formats)?,
    }
    if kind == "document" {
        let name_path = join(path, "name");
        if string(&name_path, fields.get("name"))?.is_empty() {
            return Err(ApiError::member(&name_path, "Member must have length greater than or equal to 1"));
        }
    }
    let source_path = join(path, "source");
    let source = fields.get("source").ok_or_else(|| ApiError::member(&source_path, "Member must not be null"))?;
    union(&source_path, source, sources)?;
    Ok(())
}

/// A guardContent block (in messages and in the system prompt).
fn guard_content(path: &str, inner: &Value) -> Checked {
    let (key, block) = union(path, inner, GUARD_CONTENT_BLOCKS)?;
    let path = join(path, key);
    let fields = object(&path, block)?;
    if key == "text" {
        string(&join(&path, "text"), fields.get("text"))?;
        if let Some(qualifiers) = fields.get("qualifiers").filter(|value| !value.is_null()) {
            let qualifiers_path = join(&path, "qualifiers");
            for (index, qualifier) in array(&qualifiers_path, Some(qualifiers), 0)?.iter().enumerate() {
                let qualifier_path = format!("{qualifiers_path}[{index}]");
                one_of(&qualifier_path, string(&qualifier_path, Some(qualifier))?, GUARD_QUALIFIERS)?;
            }
        }
    } else {
        let format_path = join(&path, "format");
        one_of(&format_path, string(&format_path, fields.get("format"))?, GUARD_IMAGE_FORMATS)?;
        let source_path = join(&path, "source");
        let source = fields.get("source").ok_or_else(|| ApiError::member(&source_path, "Member must not be null"))?;
        union(&source_path, source, GUARD_IMAGE_SOURCES)?;
    }
    Ok(())
}

fn cache_point(path: &str, inner: &Value) -> Checked {
    let fields = object(path, inner)?;
    let type_path = join(path, "type");
    one_of(&type_path, string(&type_path, fields.get("type"))?, CACHE_POINT_TYPES)
}

fn content_block(path: &str, block: &Value, previous_tool_uses: &BTreeSet<String>) -> Checked {
    let (key, inner) = union(path, block, CONTENT_BLOCKS)?;
    let path = join(path, key);
    match key {
        "text" => {
            if string(&path, Some(inner))?.trim().is_empty() {
                return Err(ApiError::member(&path, "Member must not be blank"));
            }
        }
        "image" | "video" | "audio" | "document" => media(&path, key, inner)?,
        "guardContent" => guard_content(&path, inner)?,
        "cachePoint" => cache_point(&path, inner)?,
        "reasoningContent" => {
            union(&path, inner, REASONING_BLOCKS)?;
        }
        "toolUse" => {
            let fields = object(&path, inner)?;
            let id_path = join(&path, "toolUseId");
            pattern(&id_path, string(&id_path, fields.get("toolUseId"))?, tool_use_id_char, 64)?;
            let name_path = join(&path, "name");
            pattern(&name_path, string(&name_path, fields.get("name"))?, tool_name_char, 64)?;
            match fields.get("input") {
                None | Some(Value::Null) => {
                    return Err(ApiError::member(&join(&path, "input"), "Member must not be null"));
                }
                Some(input) => document(&join(&path, "input"), input)?,
            }
        }
        "toolResult" => {
            let fields = object(&path, inner)?;
            let id_path = join(&path, "toolUseId");
            let id = string(&id_path, fields.get("toolUseId"))?;
            if !previous_tool_uses.contains(id) {
                return Err(ApiError::validation(format!(
                    "{id_path}: `{id}` does not answer a toolUse of the preceding assistant message; \
                     a toolResult must follow the toolUse it answers."
                )));
            }
            let content_path = join(&path, "content");
            for (index, item) in array(&content_path, fields.get("content"), 0)?.iter().enumerate() {
                let item_path = format!("{content_path}[{index}]");
                let (kind, inner) = union(&item_path, item, TOOL_RESULT_BLOCKS)?;
                if matches!(kind, "image" | "document" | "video") {
                    media(&join(&item_path, kind), kind, inner)?;
                } else if kind == "json" {
                    document(&join(&item_path, "json"), inner)?;
                }
            }
            if let Some(status) = fields.get("status") {
                one_of(&join(&path, "status"), string(&join(&path, "status"), Some(status))?, TOOL_RESULT_STATUSES)?;
            }
        }
        _ => {
            object(&path, inner)?;
        }
    }
    Ok(())
}

fn tool_ids(message: &Value, block_key: &str) -> BTreeSet<String> {
    message["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|block| block.get(block_key)?.get("toolUseId")?.as_str().map(str::to_owned))
        .collect()
}

/// `messages` of Converse, ConverseStream and CountTokens' converse form.
pub fn messages(prefix: &str, messages: Option<&Value>) -> Checked {
    let path = join(prefix, "messages");
    let items = array(&path, messages, 1)?;
    let mut previous_role = "";
    for (index, message) in items.iter().enumerate() {
        let message_path = format!("{path}[{index}]");
        let fields = object(&message_path, message)?;
        let role_path = join(&message_path, "role");
        let role = string(&role_path, fields.get("role"))?;
        one_of(&role_path, role, ROLES)?;
        if role != "system" {
            if previous_role.is_empty() && role != "user" {
                return Err(ApiError::validation(format!(
                    "A conversation must start with a user message ({role_path} is `{role}`). \
                     Try again with a conversation that starts with a user message."
                )));
            }
            if role == previous_role {
                return Err(ApiError::validation(format!(
                    "A conversation must alternate between user and assistant roles ({role_path} is `{role}` again). \
                     Make sure the conversation alternates between user and assistant roles and try again."
                )));
            }
            previous_role = role;
        }
        let answered = match index.checked_sub(1).map(|previous| &items[previous]) {
            Some(previous) if previous["role"] == "assistant" && role == "user" => tool_ids(previous, "toolUse"),
            _ => BTreeSet::new(),
        };
        let content_path = join(&message_path, "content");
        for (block_index, block) in array(&content_path, fields.get("content"), 1)?.iter().enumerate() {
            content_block(&format!("{content_path}[{block_index}]"), block, &answered)?;
        }
        if role == "user" && !answered.is_empty() {
            let results = tool_ids(message, "toolResult");
            let missing: Vec<&String> = answered.iter().filter(|id| !results.contains(*id)).collect();
            if !missing.is_empty() {
                return Err(ApiError::validation(format!(
                    "Expected toolResult blocks at {content_path} for the toolUse ids {missing:?} of the preceding \
                     assistant message."
                )));
            }
        }
    }
    Ok(())
}

pub fn system(prefix: &str, system: Option<&Value>) -> Checked {
    let Some(system) = system.filter(|value| !value.is_null()) else {
        return Ok(());
    };
    let path = join(prefix, "system");
    for (index, block) in array(&path, Some(system), 0)?.iter().enumerate() {
        let block_path = format!("{path}[{index}]");
        let (key, inner) = union(&block_path, block, SYSTEM_BLOCKS)?;
        match key {
            "text" if string(&join(&block_path, "text"), Some(inner))?.is_empty() => {
                return Err(ApiError::member(
                    &join(&block_path, "text"),
                    "Member must have length greater than or equal to 1",
                ));
            }
            "guardContent" => guard_content(&join(&block_path, key), inner)?,
            "cachePoint" => cache_point(&join(&block_path, key), inner)?,
            _ => {}
        }
    }
    Ok(())
}

pub fn tool_config(prefix: &str, tool_config: Option<&Value>, messages: Option<&Value>) -> Checked {
    let path = join(prefix, "toolConfig");
    let Some(config) = tool_config.filter(|value| !value.is_null()) else {
        let uses_tools = messages.and_then(Value::as_array).into_iter().flatten().any(|message| {
            message["content"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|block| block.get("toolUse").is_some() || block.get("toolResult").is_some())
        });
        if uses_tools {
            return Err(ApiError::validation(format!(
                "The {path} field must be defined when using toolUse and toolResult content blocks."
            )));
        }
        return Ok(());
    };
    let fields = object(&path, config)?;
    let tools_path = join(&path, "tools");
    for (index, tool) in array(&tools_path, fields.get("tools"), 1)?.iter().enumerate() {
        let tool_path = format!("{tools_path}[{index}]");
        let (key, inner) = union(&tool_path, tool, TOOLS)?;
        let spec_path = join(&tool_path, key);
        if key == "toolSpec" || key == "systemTool" {
            let spec = object(&spec_path, inner)?;
            let name_path = join(&spec_path, "name");
            pattern(&name_path, string(&name_path, spec.get("name"))?, tool_name_char, 64)?;
        }
        if key == "toolSpec" {
            let schema_path = join(&spec_path, "inputSchema");
            let schema =
                inner.get("inputSchema").ok_or_else(|| ApiError::member(&schema_path, "Member must not be null"))?;
            union(&schema_path, schema, TOOL_INPUT_SCHEMAS)?;
        }
        if key == "cachePoint" {
            cache_point(&spec_path, inner)?;
        }
    }
    if let Some(choice) = fields.get("toolChoice").filter(|value| !value.is_null()) {
        union(&join(&path, "toolChoice"), choice, TOOL_CHOICES)?;
    }
    Ok(())
}

pub fn inference_config(config: Option<&Value>) -> Checked {
    let Some(config) = config.filter(|value| !value.is_null()) else {
        return Ok(());
    };
    let fields = object("inferenceConfig", config)?;
    if let Some(max) = fields.get("maxTokens").filter(|value| !value.is_null())
        && max.as_i64().is_none_or(|max| max < 1)
    {
        return Err(ApiError::member(
            "inferenceConfig.maxTokens",
            "Member must be an integer greater than or equal to 1",
        ));
    }
    number_in("inferenceConfig.temperature", fields.get("temperature"), 0.0, 1.0)?;
    number_in("inferenceConfig.topP", fields.get("topP"), 0.0, 1.0)?;
    if let Some(stops) = fields.get("stopSequences").filter(|value| !value.is_null()) {
        for (index, stop) in array("inferenceConfig.stopSequences", Some(stops), 0)?.iter().enumerate() {
            string(&format!("inferenceConfig.stopSequences[{index}]"), Some(stop))?;
        }
    }
    Ok(())
}

pub fn guardrail_config(config: Option<&Value>, stream: bool) -> Checked {
    let Some(config) = config.filter(|value| !value.is_null()) else {
        return Ok(());
    };
    let fields = object("guardrailConfig", config)?;
    string("guardrailConfig.guardrailIdentifier", fields.get("guardrailIdentifier"))?;
    string("guardrailConfig.guardrailVersion", fields.get("guardrailVersion"))?;
    if let Some(trace) = fields.get("trace") {
        let trace = string("guardrailConfig.trace", Some(trace))?;
        one_of("guardrailConfig.trace", trace, GUARDRAIL_TRACES)?;
    }
    if let Some(mode) = fields.get("streamProcessingMode") {
        if !stream {
            return Err(ApiError::member(
                "guardrailConfig.streamProcessingMode",
                "Member is only accepted by ConverseStream",
            ));
        }
        one_of(
            "guardrailConfig.streamProcessingMode",
            string("guardrailConfig.streamProcessingMode", Some(mode))?,
            STREAM_PROCESSING_MODES,
        )?;
    }
    Ok(())
}

/// Everything Converse and ConverseStream check before answering.
pub fn converse(body: &Map<String, Value>, stream: bool) -> Checked {
    messages("", body.get("messages"))?;
    system("", body.get("system"))?;
    inference_config(body.get("inferenceConfig"))?;
    tool_config("", body.get("toolConfig"), body.get("messages"))?;
    guardrail_config(body.get("guardrailConfig"), stream)
}

#[cfg(test)]
mod model_drift;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(body: Value) -> Result<(), String> {
        converse(body.as_object().unwrap(), false).map_err(|error| error.message)
    }

    fn user(text: &str) -> Value {
        json!({"role": "user", "content": [{"text": text}]})
    }

    #[test]
    fn names_the_offending_member() {
        let cases = [
            (json!({}), "'messages'"),
            (json!({"messages": []}), "'messages'"),
            (json!({"messages": [{"role": "user", "content": []}]}), "'messages[0].content'"),
            (
                json!({"messages": [{"role": "user", "content": [{"text": "a", "image": {}}]}]}),
                "'messages[0].content[0]'",
            ),
            (json!({"messages": [{"role": "user", "content": [{}]}]}), "'messages[0].content[0]'"),
            (json!({"messages": [{"role": "user", "content": [{"picture": {}}]}]}), "`picture` is not a member"),
            (json!({"messages": [user("a")], "inferenceConfig": {"maxTokens": 0}}), "'inferenceConfig.maxTokens'"),
            (
                json!({"messages": [user("a")], "inferenceConfig": {"temperature": 1.5}}),
                "'inferenceConfig.temperature'",
            ),
            (json!({"messages": [user("a")], "inferenceConfig": {"topP": -0.1}}), "'inferenceConfig.topP'"),
            (json!({"messages": [user("a")], "toolConfig": {"tools": []}}), "'toolConfig.tools'"),
        ];
        for (body, expected) in cases {
            let message = check(body.clone()).expect_err(&body.to_string());
            assert!(message.contains(expected), "{body}: {message}");
        }
    }

    #[test]
    fn depth_is_measured_outside_strings_and_on_broken_json() {
        assert_eq!(text_depth(br#"{"a": [1, {"b": "[[[{{{"}]}"#), 3);
        assert_eq!(text_depth(br#"["\"]]]]", [[]]]"#), 3);
        assert_eq!(text_depth(b"[[[[[["), 6, "an unclosed prefix counts its opening brackets");
        assert_eq!(text_depth(b"42"), 0);
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let value = parse_json(nested(300).as_bytes(), 300).expect("deeper than serde_json's own limit");
        assert_eq!(value_depth(&value), 300);
        assert_eq!(value_depth(&Value::Null), 0);
        assert!(parse_json(nested(301).as_bytes(), 300).unwrap_err().contains("nests 301 levels"));
        assert!(parse_json(b"[1] x", 5).is_err(), "trailing characters");
    }

    #[test]
    fn tool_input_may_nest_up_to_the_document_limit() {
        let nested = |depth: usize| -> Value {
            parse_json(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).as_bytes(), usize::MAX).unwrap()
        };
        let body = |input: Value| {
            let tools = json!({"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {}}}}]});
            let tool_use = json!({"role": "assistant", "content": [{"toolUse": {"toolUseId": "tu1", "name": "t", "input": input}}]});
            let result =
                json!({"role": "user", "content": [{"toolResult": {"toolUseId": "tu1", "content": [{"text": "ok"}]}}]});
            json!({"messages": [user("a"), tool_use, result], "toolConfig": tools})
        };
        let within = serde_json::to_vec(&body(json!({"a": nested(MAX_DOCUMENT_DEPTH - 1)}))).unwrap();
        let parsed = json_object(&within).expect("a body around a document at the limit parses");
        assert_eq!(converse(&parsed, false).map_err(|error| error.message), Ok(()));
        let beyond = serde_json::to_vec(&body(json!({"a": nested(MAX_DOCUMENT_DEPTH)}))).unwrap();
        let message = converse(&json_object(&beyond).unwrap(), false).unwrap_err().message;
        assert!(message.contains("'messages[1].content[0].toolUse.input'"), "{message}");
        assert!(message.contains(&format!("at most {MAX_DOCUMENT_DEPTH} levels")), "{message}");
    }

    #[test]
    fn model_ids_and_arns() {
        for good in [
            "anthropic.claude-3-haiku-20240307-v1:0",
            "us.amazon.nova-pro-v1:0",
            "arn:aws:bedrock:us-east-1:1:inference-profile/x",
        ] {
            assert!(model_id(good).is_ok(), "{good}");
        }
        for bad in ["", "has space", "-leading", "arn:aws:bedrock", "a?b"] {
            assert!(model_id(bad).unwrap_err().message.contains("model identifier is invalid"), "{bad}");
        }
    }

    #[test]
    fn tool_results_must_answer_the_preceding_tool_use() {
        let tools = json!({"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {}}}}]});
        let tool_use =
            json!({"role": "assistant", "content": [{"toolUse": {"toolUseId": "tu1", "name": "t", "input": {}}}]});
        let result = |id: &str| json!({"role": "user", "content": [{"toolResult": {"toolUseId": id, "content": [{"text": "ok"}]}}]});
        assert_eq!(check(json!({"messages": [user("a"), tool_use, result("tu1")], "toolConfig": tools})), Ok(()));
        let message =
            check(json!({"messages": [user("a"), tool_use, result("tu2")], "toolConfig": tools})).unwrap_err();
        assert!(message.contains("messages[2].content[0].toolResult.toolUseId"), "{message}");
        let message = check(json!({"messages": [result("tu1")], "toolConfig": tools})).unwrap_err();
        assert!(message.contains("does not answer"), "{message}");
    }
}
