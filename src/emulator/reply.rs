//! The model's answer, whichever operation asks: the default reply (quote the last user text), a
//! scripted one, and a guardrail's intervention on input or output, with usage from the tokenizer.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::cache::CacheUsage;
use super::guardrails;
use super::schema_fill;
use super::script::{Block, GuardrailDef, MAX_TOKEN_COUNT, ScriptedReply, StreamException};
use super::tokenizer;

fn fresh_tool_use_id() -> String {
    format!("tooluse_{}", &uuid::Uuid::new_v4().simple().to_string()[..22])
}

/// How an answer renders and counts its blocks (the blocks themselves are the script model's).
impl Block {
    fn with_id(&self) -> Block {
        match self {
            Block::ToolUse { id: None, name, input, raw_input } => Block::ToolUse {
                id: Some(fresh_tool_use_id()),
                name: name.clone(),
                input: input.clone(),
                raw_input: raw_input.clone(),
            },
            other => other.clone(),
        }
    }

    pub fn tool_use_id(&self) -> &str {
        match self {
            Block::ToolUse { id: Some(id), .. } => id,
            _ => "",
        }
    }

    /// The text a stream sends as a toolUse's input deltas.
    pub fn streamed_input(&self) -> String {
        match self {
            Block::ToolUse { raw_input: Some(raw), .. } => raw.clone(),
            Block::ToolUse { input, .. } => input.to_string(),
            _ => String::new(),
        }
    }

    /// The block as Converse's `ContentBlock`.
    pub fn to_converse(&self) -> Value {
        match self {
            Block::Text(text) => json!({"text": text}),
            Block::ToolUse { name, input, .. } => {
                json!({"toolUse": {"toolUseId": self.tool_use_id(), "name": name, "input": input}})
            }
            Block::Reasoning { text, signature } => {
                let mut reasoning = Map::new();
                reasoning.insert("text".into(), json!(text));
                if let Some(signature) = signature {
                    reasoning.insert("signature".into(), json!(signature));
                }
                json!({"reasoningContent": {"reasoningText": reasoning}})
            }
        }
    }

    /// The block in Anthropic's Messages response shape.
    pub fn to_anthropic(&self) -> Value {
        match self {
            Block::Text(text) => json!({"type": "text", "text": text}),
            Block::ToolUse { name, input, .. } => {
                json!({"type": "tool_use", "id": self.tool_use_id(), "name": name, "input": input})
            }
            Block::Reasoning { text, signature } => {
                json!({"type": "thinking", "thinking": text, "signature": signature.clone().unwrap_or_default()})
            }
        }
    }

    fn tokens(&self) -> u64 {
        match self {
            Block::Text(text) | Block::Reasoning { text, .. } => tokenizer::count(text),
            Block::ToolUse { name, input, .. } => tokenizer::count(name) + tokenizer::count(&input.to_string()),
        }
    }
}

/// What the answer depends on, read from a Converse or an Anthropic request.
#[derive(Debug, Clone, Default)]
pub struct Prompt {
    pub last_user_text: String,
    /// Texts of the toolResult blocks in the last user message (JSON results as compact JSON).
    pub tool_results: Vec<String>,
    pub input_tokens: u64,
    pub max_tokens: Option<u64>,
    pub stop_sequences: Vec<String>,
    /// What the prompt cache read and wrote for this request, when it had cache points;
    /// `input_tokens` still counts the whole prompt.
    pub cache: Option<CacheUsage>,
    /// The tool the request forces (`toolChoice` `tool` or `any`): the default answer calls it.
    pub forced_tool: Option<ForcedTool>,
}

/// A tool the request forces the model to call, and the JSON Schema of its input.
#[derive(Debug, Clone, PartialEq)]
pub struct ForcedTool {
    pub name: String,
    pub input_schema: Value,
}

/// The tool a Converse-shaped `toolConfig` forces: `toolChoice.tool.name`, or the first tool for
/// `toolChoice.any`; `None` for `auto` or no choice. Converse, ConverseStream and Nova's InvokeModel
/// body share this shape.
pub fn forced_tool_of_converse(tool_config: Option<&Value>) -> Option<ForcedTool> {
    let config = tool_config?;
    let specs = config["tools"].as_array().into_iter().flatten().filter_map(|tool| tool.get("toolSpec"));
    let spec = match &config["toolChoice"] {
        choice if choice.get("tool").is_some() => {
            let name = choice["tool"]["name"].as_str()?;
            specs.clone().find(|spec| spec["name"] == name)
        }
        choice if choice.get("any").is_some() => specs.clone().next(),
        _ => None,
    }?;
    Some(ForcedTool { name: spec["name"].as_str()?.to_owned(), input_schema: spec["inputSchema"]["json"].clone() })
}

impl Prompt {
    pub fn after_tool_result(&self) -> bool {
        !self.tool_results.is_empty()
    }
}

/// A guardrail the request asked for.
pub struct GuardrailUse {
    pub id: String,
    pub def: GuardrailDef,
    pub trace: bool,
}

/// A reply's token counts. With prompt caching `input` is the uncached rest of the prompt and
/// `total` is input + output + cache read + cache write, as Bedrock counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub total: u64,
    /// The cache counts, when the request had cache points or the script gives them.
    pub cache: Option<CacheUsage>,
}

impl Usage {
    /// Converse's `TokenUsage`: the cache members (`cacheReadInputTokens`, `cacheWriteInputTokens`,
    /// and `cacheDetails` when something was written) only when caching was in play.
    pub fn to_converse(self) -> Value {
        let mut usage = json!({"inputTokens": self.input, "outputTokens": self.output, "totalTokens": self.total});
        if let Some(cache) = self.cache {
            usage["cacheReadInputTokens"] = json!(cache.read);
            usage["cacheWriteInputTokens"] = json!(cache.write);
            let details: Vec<Value> = cache
                .details()
                .into_iter()
                .map(|(ttl, tokens)| json!({"ttl": ttl.as_str(), "inputTokens": tokens}))
                .collect();
            if !details.is_empty() {
                usage["cacheDetails"] = Value::Array(details);
            }
        }
        usage
    }

    /// Anthropic's `usage` with `output_tokens` as given (a stream's `message_start` says 0): the
    /// cache members (`cache_creation_input_tokens`, `cache_read_input_tokens`) only when caching
    /// was in play.
    pub fn to_anthropic(self, output_tokens: u64) -> Value {
        let mut usage = json!({"input_tokens": self.input, "output_tokens": output_tokens});
        if let Some(cache) = self.cache {
            usage["cache_creation_input_tokens"] = json!(cache.write);
            usage["cache_read_input_tokens"] = json!(cache.read);
        }
        usage
    }
}

/// Stream shaping from the script.
#[derive(Debug, Clone, Default)]
pub struct Shaping {
    pub first_token_delay: Duration,
    pub token_delay: Duration,
    pub cut_after_events: Option<usize>,
    pub stream_exception: Option<StreamException>,
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub blocks: Vec<Block>,
    pub stop_reason: String,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
    /// `trace.guardrail` when the request enabled the guardrail trace.
    pub guardrail_trace: Option<Value>,
    /// Whether a guardrail intervened (InvokeModel's `amazon-bedrock-guardrailAction`).
    pub guardrail_intervened: bool,
    pub shaping: Shaping,
    /// A scripted raw InvokeModel body.
    pub raw_body: Option<Value>,
}

/// The default answer: a call of the forced tool with an input generated from its schema; else quote
/// the last user text (or the tool results it answers), then honour stop sequences and `maxTokens`.
fn default_blocks(prompt: &Prompt) -> (Vec<Block>, String, Option<String>) {
    if let Some(tool) = &prompt.forced_tool {
        let input = schema_fill::fill(&tool.input_schema);
        let call = Block::ToolUse { id: Some(fresh_tool_use_id()), name: tool.name.clone(), input, raw_input: None };
        return (vec![call], "tool_use".to_owned(), None);
    }
    let prefix = if prompt.last_user_text.is_empty() && prompt.after_tool_result() {
        "Tool result received: "
    } else {
        "You said: "
    };
    let quoted =
        if prefix.starts_with("Tool") { prompt.tool_results.join("\n") } else { prompt.last_user_text.clone() };
    let mut text = format!("{prefix}{quoted}");
    let mut stop_reason = "end_turn";
    let mut stop_sequence = None;
    let earliest = prompt
        .stop_sequences
        .iter()
        .filter(|sequence| !sequence.is_empty())
        // Only the quoted part stops: a cut inside the fixed prefix would leave a blank answer,
        // which Bedrock refuses when it is sent back in the history.
        .filter_map(|sequence| text[prefix.len()..].find(sequence.as_str()).map(|at| (prefix.len() + at, sequence)))
        .min_by_key(|(at, _)| *at);
    if let Some((at, sequence)) = earliest {
        text.truncate(at);
        stop_reason = "stop_sequence";
        stop_sequence = Some(sequence.clone());
    }
    if let Some(max) = prompt.max_tokens
        && let Some(cut) = tokenizer::truncate(&text, max)
    {
        text = cut.to_owned();
        stop_reason = "max_tokens";
        stop_sequence = None;
    }
    (vec![Block::Text(text)], stop_reason.to_owned(), stop_sequence)
}

fn text_of(blocks: &[Block]) -> String {
    blocks
        .iter()
        .filter_map(|block| match block {
            Block::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn compose(prompt: &Prompt, scripted: Option<Arc<ScriptedReply>>, guardrail: Option<&GuardrailUse>) -> Reply {
    let respond = scripted.as_ref().map(|scripted| &scripted.respond);
    let (mut blocks, mut stop_reason, mut stop_sequence) = match scripted.as_ref().and_then(|s| s.blocks.as_ref()) {
        Some(blocks) => {
            let blocks: Vec<Block> = blocks.iter().map(Block::with_id).collect();
            let has_tool_use = blocks.iter().any(|block| matches!(block, Block::ToolUse { .. }));
            (blocks, if has_tool_use { "tool_use" } else { "end_turn" }.to_owned(), None)
        }
        None => default_blocks(prompt),
    };
    if let Some(reason) = respond.and_then(|respond| respond.stop_reason.clone()) {
        stop_reason = reason;
    }

    let mut guardrail_trace = None;
    let mut guardrail_intervened = false;
    if let Some(guardrail) = guardrail {
        let input_matches = guardrail.def.matches(&prompt.last_user_text);
        let output_matches =
            if input_matches.is_empty() { guardrail.def.matches(&text_of(&blocks)) } else { Vec::new() };
        let mut trace = Map::new();
        trace.insert("inputAssessment".into(), json!({ &guardrail.id: guardrails::assessment(&input_matches) }));
        if input_matches.is_empty() {
            trace.insert(
                "outputAssessments".into(),
                json!({ &guardrail.id: [guardrails::assessment(&output_matches)] }),
            );
        }
        if !input_matches.is_empty() || !output_matches.is_empty() {
            guardrail_intervened = true;
            blocks = vec![Block::Text(guardrail.def.blocked_message().to_owned())];
            stop_reason = "guardrail_intervened".into();
            stop_sequence = None;
            trace.insert("actionReason".into(), json!("Guardrail blocked."));
        }
        if guardrail.trace {
            guardrail_trace = Some(Value::Object(trace));
        }
    }

    let computed_output: u64 = blocks.iter().map(Block::tokens).sum();
    let overrides = respond.and_then(|respond| respond.usage.clone()).unwrap_or_default();
    let cache = match (prompt.cache, overrides.cache_read_input_tokens, overrides.cache_write_input_tokens) {
        (None, None, None) => None,
        (computed, read, write) => {
            let computed = computed.unwrap_or_default();
            let write = write.unwrap_or(computed.write);
            let write_one_hour = if write == computed.write { computed.write_one_hour } else { 0 };
            Some(CacheUsage { read: read.unwrap_or(computed.read), write, write_one_hour })
        }
    };
    let cached = cache.map_or(0, |cache| cache.read + cache.write);
    let uncached = prompt.input_tokens.saturating_sub(prompt.cache.map_or(0, |cache| cache.read + cache.write));
    let input = overrides.input_tokens.unwrap_or(uncached);
    let output = overrides.output_tokens.unwrap_or(computed_output);
    // Scripts give at most int32 counts (checked when they load); a sum beyond stays at the maximum.
    let total = overrides
        .total_tokens
        .unwrap_or_else(|| input.saturating_add(output).saturating_add(cached).min(MAX_TOKEN_COUNT));
    let usage = Usage { input, output, total, cache };

    let shaping = respond
        .map(|respond| Shaping {
            first_token_delay: Duration::from_millis(respond.first_token_delay_ms.unwrap_or(0)),
            token_delay: Duration::from_millis(respond.token_delay_ms.unwrap_or(0)),
            cut_after_events: respond.cut_after_events,
            stream_exception: respond.stream_exception.clone(),
        })
        .unwrap_or_default();
    Reply {
        blocks,
        stop_reason,
        stop_sequence,
        usage,
        guardrail_trace,
        guardrail_intervened,
        shaping,
        raw_body: respond.and_then(|respond| respond.body.clone()),
    }
}

/// The exception frame payload a script's `streamException` describes.
pub fn exception_payload(exception: &StreamException) -> Value {
    let mut payload = Map::new();
    payload.insert("message".into(), json!(exception.message.as_deref().unwrap_or("The stream failed (scripted).")));
    if exception.kind == "modelStreamErrorException" {
        payload.insert("originalStatusCode".into(), json!(exception.original_status_code.unwrap_or(500)));
        if let Some(original) = &exception.original_message {
            payload.insert("originalMessage".into(), json!(original));
        }
    }
    Value::Object(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::script::{Action, Facts, Script, ScriptState};

    fn prompt(text: &str) -> Prompt {
        Prompt { last_user_text: text.into(), input_tokens: 3, ..Prompt::default() }
    }

    #[test]
    fn raw_tool_input_is_streamed_verbatim() {
        let raw = Block::from_script(&json!({"toolUse": {"name": "t", "rawInput": "{\"a\": "}})).unwrap();
        assert_eq!(raw.streamed_input(), "{\"a\": ");
        let parsed = Block::from_script(&json!({"toolUse": {"name": "t", "input": {"a": 1}}})).unwrap();
        assert_eq!(parsed.streamed_input(), r#"{"a":1}"#);
        let error = Block::from_script(&json!({"toolUse": {"name": "t", "rawInput": 3}})).unwrap_err();
        assert!(error.contains("rawInput"), "{error}");
    }

    #[test]
    fn default_reply_quotes_and_counts() {
        let reply = compose(&prompt("hello there"), None, None);
        assert_eq!(reply.blocks, vec![Block::Text("You said: hello there".into())]);
        assert_eq!(reply.stop_reason, "end_turn");
        assert_eq!(reply.usage, Usage { input: 3, output: 5, total: 8, cache: None });
        assert_eq!(reply.usage.to_converse(), json!({"inputTokens": 3, "outputTokens": 5, "totalTokens": 8}));
    }

    #[test]
    fn cache_counts_leave_the_rest_as_input_and_add_to_the_total() {
        let cache = CacheUsage { read: 100, write: 50, write_one_hour: 50 };
        let reply = compose(&Prompt { input_tokens: 160, cache: Some(cache), ..prompt("x") }, None, None);
        assert_eq!(reply.usage, Usage { input: 10, output: 4, total: 164, cache: Some(cache) });
        assert_eq!(
            reply.usage.to_converse(),
            json!({"inputTokens": 10, "outputTokens": 4, "totalTokens": 164, "cacheReadInputTokens": 100,
                   "cacheWriteInputTokens": 50, "cacheDetails": [{"ttl": "1h", "inputTokens": 50}]})
        );
        assert_eq!(
            reply.usage.to_anthropic(3),
            json!({"input_tokens": 10, "output_tokens": 3, "cache_creation_input_tokens": 50, "cache_read_input_tokens": 100})
        );
        let read_only = Usage { cache: Some(CacheUsage { read: 7, ..CacheUsage::default() }), ..Usage::default() };
        assert!(read_only.to_converse().get("cacheDetails").is_none(), "no details without a write");
    }

    #[test]
    fn scripted_usage_at_the_int32_limit_does_not_overflow() {
        let script = Script::from_json(
            r#"{"rules":[{"respond":{"usage":{"inputTokens":2147483647,"outputTokens":2147483647}}}]}"#,
        )
        .unwrap();
        let mut state = ScriptState::new(script);
        let facts = Facts {
            operation: "Converse",
            model_id: None,
            last_user_text: None,
            after_tool_result: false,
            answers: true,
        };
        let Some(Action::Respond(scripted)) = state.decide(&facts) else { panic!("the rule answers") };
        let reply = compose(&prompt("hi"), Some(scripted), None);
        assert_eq!(reply.usage, Usage { input: 2147483647, output: 2147483647, total: 2147483647, cache: None });
    }

    #[test]
    fn max_tokens_and_stop_sequences_cut_the_reply() {
        let limited = compose(&Prompt { max_tokens: Some(2), ..prompt("a b c") }, None, None);
        assert_eq!(limited.blocks, vec![Block::Text("You said".into())]);
        assert_eq!(limited.stop_reason, "max_tokens");
        let stopped = compose(&Prompt { stop_sequences: vec!["b".into()], ..prompt("a b c") }, None, None);
        assert_eq!(stopped.blocks, vec![Block::Text("You said: a ".into())]);
        let in_prefix = compose(&Prompt { stop_sequences: vec!["You".into()], ..prompt("a You c") }, None, None);
        assert_eq!(in_prefix.blocks, vec![Block::Text("You said: a ".into())], "the prefix never stops");
        assert_eq!(stopped.stop_reason, "stop_sequence");
        assert_eq!(stopped.stop_sequence.as_deref(), Some("b"));
    }

    #[test]
    fn guardrail_blocks_input_with_trace() {
        let guardrail = GuardrailUse {
            id: "gr".into(),
            def: GuardrailDef { version: None, blocked_words: vec!["bad".into()], blocked_message: Some("No.".into()) },
            trace: true,
        };
        let reply = compose(&prompt("a BAD idea"), None, Some(&guardrail));
        assert_eq!(reply.stop_reason, "guardrail_intervened");
        assert_eq!(reply.blocks, vec![Block::Text("No.".into())]);
        assert_eq!(
            reply.guardrail_trace.unwrap()["inputAssessment"]["gr"]["wordPolicy"]["customWords"][0],
            json!({"match": "bad", "action": "BLOCKED", "detected": true})
        );
    }
}
