//! OpenAI's gpt-oss models on Bedrock: the OpenAI Chat Completions request and response
//! (`choices[{message, finish_reason}]`, `usage`), and `chat.completion.chunk`s when streaming. Scripted
//! reasoning comes first in the content, in `<reasoning>` tags, as gpt-oss writes it on Bedrock.
//!
//! The chat helpers here (the prompt of a `messages` list, tool calls, finish reasons, stream deltas) serve
//! AI21 Jamba and Mistral's chat completion too.

use serde_json::{Map, Value, json};

use super::super::reply::{ForcedTool, Prompt, Reply};
use super::super::script::Block;
use super::super::tokenizer;
use super::super::validation::Checked;
use super::{Answer, Chunk, Kind, Violations, fresh_id, unix_now};

const KNOWN: &[&str] = &[
    "messages",
    "model",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning_effort",
    "response_format",
    "n",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "logprobs",
    "top_logprobs",
    "user",
    "metadata",
    "include_reasoning",
];

/// Checks an OpenAI-style chat body: `messages` required, each with a known role.
pub fn check_chat(body: &Map<String, Value>, known: &[&str], roles: &[&str], max_temperature: f64) -> Checked {
    let mut violations = Violations::default();
    violations
        .required("#", body, &["messages"])
        .foreign("#", body, known)
        .typed("#", body, "messages", Kind::Array)
        .items("#", body, "messages", 1, None);
    for key in ["max_tokens", "max_completion_tokens"] {
        violations.typed("#", body, key, Kind::Integer).range("#", body, key, Some(1.0), None);
    }
    super::sampling(&mut violations, body, max_temperature);
    let roles: Vec<Value> = roles.iter().map(|role| json!(role)).collect();
    for (index, message) in body.get("messages").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let at = format!("#/messages/{index}");
        match message.as_object() {
            Some(message) => {
                violations.required(&at, message, &["role"]).one_of(&at, message, "role", &roles);
            }
            None => {
                violations.push(format!("{at}: expected type: JSONObject, found: {}", super::found(message)));
            }
        }
    }
    violations.finish()
}

pub fn check(body: &Map<String, Value>) -> Checked {
    check_chat(body, KNOWN, &["system", "developer", "user", "assistant", "tool"], 2.0)
}

/// The text of a chat `content`: a string, or the `text` of its text parts.
pub fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => {
            parts.iter().filter_map(|part| part.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")
        }
        _ => String::new(),
    }
}

/// The tool a chat `tool_choice` forces: a named function, or the first tool for `required` (OpenAI,
/// AI21) and `any` (Mistral).
fn forced_tool(body: &Map<String, Value>) -> Option<ForcedTool> {
    let tools = body.get("tools").and_then(Value::as_array)?;
    let functions = tools.iter().filter_map(|tool| tool.get("function"));
    let function = match body.get("tool_choice")? {
        Value::String(choice) if choice == "required" || choice == "any" => functions.clone().next(),
        Value::Object(choice) => {
            let name = choice.get("function").and_then(|function| function["name"].as_str())?;
            functions.clone().find(|function| function["name"] == name)
        }
        _ => None,
    }?;
    let schema = function.get("parameters").cloned().unwrap_or_else(|| json!({"type": "object"}));
    Some(ForcedTool { name: function["name"].as_str()?.to_owned(), input_schema: schema })
}

/// The prompt of a chat body: the last user message, or the tool results that end the conversation.
pub fn chat_prompt(body: &Map<String, Value>, max_keys: &[&str]) -> Prompt {
    let messages: &[Value] = body.get("messages").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let trailing_tools: Vec<String> = messages
        .iter()
        .rev()
        .take_while(|message| message["role"] == "tool")
        .map(|message| content_text(&message["content"]))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let last_user_text = if trailing_tools.is_empty() {
        messages
            .iter()
            .rev()
            .find(|message| message["role"] == "user")
            .map(|message| content_text(&message["content"]))
            .unwrap_or_default()
    } else {
        String::new()
    };
    let message_tokens: u64 = messages
        .iter()
        .map(|message| {
            tokenizer::count(&content_text(&message["content"]))
                + message.get("tool_calls").map_or(0, |calls| tokenizer::count(&calls.to_string()))
        })
        .sum();
    let tools: u64 = body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|tool| tokenizer::count(&tool.to_string()))
        .sum();
    Prompt {
        last_user_text,
        tool_results: trailing_tools,
        input_tokens: message_tokens + tools,
        max_tokens: max_keys.iter().find_map(|key| body.get(*key).and_then(Value::as_u64)),
        stop_sequences: super::string_list(body.get("stop")),
        forced_tool: forced_tool(body),
        cache: None,
    }
}

pub fn prompt(body: &Map<String, Value>) -> Prompt {
    chat_prompt(body, &["max_completion_tokens", "max_tokens"])
}

/// The reply's tool uses as chat `tool_calls`.
pub fn tool_calls(reply: &Reply) -> Vec<Value> {
    reply
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::ToolUse { name, input, .. } => Some(json!({
                "id": block.tool_use_id(),
                "type": "function",
                "function": {"name": name, "arguments": input.to_string()},
            })),
            _ => None,
        })
        .collect()
}

/// `stop`, `length` or `tool_calls`.
pub fn finish_reason(reply: &Reply) -> &'static str {
    match reply.stop_reason.as_str() {
        "tool_use" => "tool_calls",
        "max_tokens" => "length",
        _ => "stop",
    }
}

/// The message content of a gpt-oss answer: reasoning in `<reasoning>` tags, then the text.
fn content(reply: &Reply) -> String {
    let text = super::text_blocks(reply);
    match super::reasoning_text(reply) {
        Some(reasoning) => format!("<reasoning>{reasoning}</reasoning>{text}"),
        None => text,
    }
}

/// The assistant message of a chat answer: `content` (null when there are only tool calls) and
/// `tool_calls` when there are any.
pub fn message(content: String, reply: &Reply) -> Value {
    let calls = tool_calls(reply);
    let mut message = json!({"role": "assistant", "content": content});
    if !calls.is_empty() {
        if message["content"] == "" {
            message["content"] = Value::Null;
        }
        message["tool_calls"] = Value::Array(calls);
    }
    message
}

pub fn usage(reply: &Reply) -> Value {
    json!({"prompt_tokens": reply.usage.input, "completion_tokens": reply.usage.output, "total_tokens": reply.usage.total})
}

pub fn response(answer: &Answer<'_>) -> Value {
    let reply = answer.reply;
    json!({
        "id": fresh_id("chatcmpl-", 24),
        "object": "chat.completion",
        "created": unix_now(),
        "model": answer.model_id,
        "choices": [{"index": 0, "message": message(content(reply), reply), "finish_reason": finish_reason(reply)}],
        "usage": usage(reply),
    })
}

/// The deltas of a chat stream: the role with the first text piece, the text in pieces, then each tool
/// call (its id and name, then its arguments in pieces).
pub fn deltas(content: &str, reply: &Reply) -> Vec<Value> {
    let mut deltas: Vec<Value> = super::pieces(content).into_iter().map(|piece| json!({"content": piece})).collect();
    if let Some(first) = deltas.first_mut() {
        first["role"] = json!("assistant");
    }
    for (index, call) in tool_calls(reply).into_iter().enumerate() {
        let arguments = call["function"]["arguments"].as_str().unwrap_or_default().to_owned();
        deltas.push(json!({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                           "function": {"name": call["function"]["name"], "arguments": ""}}]}));
        for piece in tokenizer::split_even(&arguments, (arguments.len() / 16).max(2)) {
            deltas.push(json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}));
        }
    }
    deltas
}

pub fn stream(answer: &Answer<'_>) -> Vec<Chunk> {
    let reply = answer.reply;
    let id = fresh_id("chatcmpl-", 24);
    let created = unix_now();
    let chunk = |delta: Value, finish: Value| {
        json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": answer.model_id,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut chunks: Vec<Chunk> =
        deltas(&content(reply), reply).into_iter().map(|delta| Chunk::delta(chunk(delta, Value::Null))).collect();
    chunks.push(Chunk::event(chunk(json!({}), json!(finish_reason(reply)))));
    chunks
}
