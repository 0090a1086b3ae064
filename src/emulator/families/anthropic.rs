//! Anthropic Messages on Bedrock (`anthropic_version`, `max_tokens`, `messages`): the Messages response,
//! and its stream events each as one chunk.

use serde_json::{Map, Value, json};

use super::super::reply::{ForcedTool, Prompt};
use super::super::script::Block;
use super::super::tokenizer;
use super::super::validation::{self, Checked};
use super::{Answer, Chunk, Kind, Violations, fresh_id};

/// Members of the Messages request besides the required ones.
const KNOWN: &[&str] = &[
    "anthropic_version",
    "anthropic_beta",
    "max_tokens",
    "messages",
    "system",
    "stop_sequences",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
    "metadata",
];

pub fn text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|block| block["type"] == "text")
            .filter_map(|block| block["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Tokens of an Anthropic `content`: a string or text blocks count their text; other blocks their JSON.
fn tokens(content: &Value) -> u64 {
    match content {
        Value::String(text) => tokenizer::count(text),
        Value::Array(blocks) => blocks
            .iter()
            .map(|block| match block["text"].as_str() {
                Some(text) if block["type"] == "text" => tokenizer::count(text),
                _ => tokenizer::count(&block.to_string()),
            })
            .sum(),
        _ => 0,
    }
}

/// The tool `tool_choice` forces: `{"type": "tool", "name"}`, or the first tool with an input schema
/// for `{"type": "any"}`.
fn forced_tool(body: &Map<String, Value>) -> Option<ForcedTool> {
    let choice = body.get("tool_choice")?;
    let tools = body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|tool| tool.get("input_schema").is_some());
    let tool = match choice["type"].as_str()? {
        "tool" => {
            let name = choice["name"].as_str()?;
            tools.clone().find(|tool| tool["name"] == name)
        }
        "any" => tools.clone().next(),
        _ => None,
    }?;
    Some(ForcedTool { name: tool["name"].as_str()?.to_owned(), input_schema: tool["input_schema"].clone() })
}

pub fn prompt(body: &Map<String, Value>) -> Prompt {
    let messages: &[Value] = body.get("messages").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let last_user = messages.iter().rev().find(|message| message["role"] == "user");
    let tool_results = last_user
        .and_then(|message| message["content"].as_array())
        .into_iter()
        .flatten()
        .filter(|block| block["type"] == "tool_result")
        .map(|block| text(&block["content"]))
        .collect();
    let tools: u64 = body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|tool| tokenizer::count(&tool.to_string()))
        .sum();
    Prompt {
        last_user_text: last_user.map(|message| text(&message["content"])).unwrap_or_default(),
        tool_results,
        input_tokens: body.get("system").map_or(0, tokens)
            + messages.iter().map(|message| tokens(&message["content"])).sum::<u64>()
            + tools,
        max_tokens: body.get("max_tokens").and_then(Value::as_u64),
        stop_sequences: super::string_list(body.get("stop_sequences")),
        forced_tool: forced_tool(body),
        cache: None,
    }
}

pub fn check(body: &Map<String, Value>) -> Checked {
    let mut violations = Violations::default();
    violations
        .required("#", body, &["max_tokens", "anthropic_version", "messages"])
        .foreign("#", body, KNOWN)
        .typed("#", body, "anthropic_version", Kind::String)
        .typed("#", body, "max_tokens", Kind::Integer)
        .range("#", body, "max_tokens", Some(1.0), None)
        .typed("#", body, "messages", Kind::Array)
        .items("#", body, "messages", 1, None);
    super::sampling(&mut violations, body, 1.0);
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        for (index, message) in messages.iter().enumerate() {
            let at = format!("#/messages/{index}");
            if !matches!(message["role"].as_str(), Some("user" | "assistant")) {
                violations.push(format!("{at}/role: {} is not a valid enum value", message["role"]));
            }
            let content_ok = match &message["content"] {
                Value::String(_) => true,
                Value::Array(blocks) => !blocks.is_empty() && blocks.iter().all(|block| block["type"].is_string()),
                _ => false,
            };
            if !content_ok {
                violations.push(format!("{at}/content: expected a string or a non-empty array of blocks with a type"));
            }
            // A tool_use block's input may nest as deep as the emulator's own tool input, no deeper.
            for (block_index, block) in message["content"].as_array().into_iter().flatten().enumerate() {
                let depth = block.get("input").map_or(0, validation::value_depth);
                if depth > validation::MAX_DOCUMENT_DEPTH {
                    violations.push(format!(
                        "{at}/content/{block_index}/input: nests {depth} levels of arrays and objects, more than the {} accepted",
                        validation::MAX_DOCUMENT_DEPTH
                    ));
                }
            }
        }
    }
    violations.finish()
}

fn message_id() -> String {
    fresh_id("msg_bdrk_", 24)
}

/// The Messages response.
pub fn response(answer: &Answer<'_>) -> Value {
    let reply = answer.reply;
    json!({
        "id": message_id(),
        "type": "message",
        "role": "assistant",
        "model": answer.model_id,
        "content": reply.blocks.iter().map(Block::to_anthropic).collect::<Vec<_>>(),
        "stop_reason": reply.stop_reason,
        "stop_sequence": reply.stop_sequence,
        "usage": reply.usage.to_anthropic(reply.usage.output),
    })
}

/// The Messages stream: `message_start`, per block `content_block_start`, its deltas and
/// `content_block_stop`, then `message_delta` and `message_stop`. A thinking block starts with an empty
/// `signature` and sends its signature as a `signature_delta` after its thinking, as Anthropic does.
pub fn stream(answer: &Answer<'_>) -> Vec<Chunk> {
    let reply = answer.reply;
    let mut message = response(answer);
    message["content"] = json!([]);
    message["stop_reason"] = Value::Null;
    message["stop_sequence"] = Value::Null;
    message["usage"] = reply.usage.to_anthropic(0);
    let mut chunks = vec![Chunk::event(json!({"type": "message_start", "message": message}))];
    for (index, block) in reply.blocks.iter().enumerate() {
        let (start, deltas): (Value, Vec<Value>) = match block {
            Block::Text(text) => (
                json!({"type": "text", "text": ""}),
                super::pieces(text).into_iter().map(|piece| json!({"type": "text_delta", "text": piece})).collect(),
            ),
            Block::ToolUse { name, .. } => {
                let input = block.streamed_input();
                let pieces = tokenizer::split_even(&input, (input.len() / 16).max(2));
                (
                    json!({"type": "tool_use", "id": block.tool_use_id(), "name": name, "input": {}}),
                    pieces
                        .into_iter()
                        .map(|piece| json!({"type": "input_json_delta", "partial_json": piece}))
                        .collect(),
                )
            }
            Block::Reasoning { text, signature } => {
                let mut deltas: Vec<Value> = super::pieces(text)
                    .into_iter()
                    .map(|piece| json!({"type": "thinking_delta", "thinking": piece}))
                    .collect();
                deltas.push(json!({"type": "signature_delta", "signature": signature.clone().unwrap_or_default()}));
                (json!({"type": "thinking", "thinking": "", "signature": ""}), deltas)
            }
        };
        chunks.push(Chunk::event(json!({"type": "content_block_start", "index": index, "content_block": start})));
        chunks.extend(
            deltas
                .into_iter()
                .map(|delta| Chunk::delta(json!({"type": "content_block_delta", "index": index, "delta": delta}))),
        );
        chunks.push(Chunk::event(json!({"type": "content_block_stop", "index": index})));
    }
    chunks.push(Chunk::event(json!({
        "type": "message_delta",
        "delta": {"stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence},
        "usage": {"output_tokens": reply.usage.output},
    })));
    chunks.push(Chunk::event(json!({"type": "message_stop"})));
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_with_tool_input(depth: usize) -> Map<String, Value> {
        // Built directly: serde_json's parser stops at 128 levels.
        let input = (1..depth).fold(json!([]), |inner, _| json!([inner]));
        let block = json!({"type": "tool_use", "id": "t1", "name": "t", "input": input});
        let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [block]}]});
        body.as_object().cloned().unwrap()
    }

    #[test]
    fn tool_input_nests_as_deep_as_the_emulator_produces_and_no_deeper() {
        assert!(check(&body_with_tool_input(validation::MAX_DOCUMENT_DEPTH)).is_ok());
        let error = check(&body_with_tool_input(validation::MAX_DOCUMENT_DEPTH + 1)).unwrap_err();
        assert!(format!("{error:?}").contains("#/messages/1/content/0/input: nests 129 levels"), "{error:?}");
    }
}
