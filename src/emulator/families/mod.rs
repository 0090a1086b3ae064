//! The model families InvokeModel answers in their own shapes (docs/emulator.md "Model families"): which
//! family a model id belongs to (by its id's prefix, the emulator's own table), how each checks its body,
//! what prompt it reads from it, and how it renders the answer, whole or as stream chunks.
//!
//! A family module knows its request and response JSON only; the operation (`invoke`) decides the reply
//! (default, scripted or guardrailed) and adds the invocation metrics, token-count headers and guardrail
//! keys every family shares.

mod ai21;
mod anthropic;
mod cohere;
mod deepseek;
pub mod embeddings;
mod llama;
mod mistral;
mod nova;
mod openai;
mod titan;

use serde_json::{Map, Value, json};

use super::errors::ApiError;
use super::reply::{Prompt, Reply};
use super::script::Block;
use super::tokenizer;
use super::validation::Checked;

/// A family of models sharing one InvokeModel request and response shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Anthropic Messages (`anthropic.claude-*`).
    Anthropic,
    /// Amazon Nova's `messages-v1` (`amazon.nova-*` text models).
    Nova,
    /// Amazon Titan Text (`amazon.titan-text-*`).
    TitanText,
    /// Meta Llama (`meta.llama*`).
    Llama,
    /// Mistral AI: text completion (`prompt`) and chat completion (`messages`) (`mistral.*`).
    Mistral,
    /// Cohere Command R and R+ (`cohere.command-r*`).
    CohereCommand,
    /// AI21 Jamba (`ai21.jamba*`).
    Ai21,
    /// DeepSeek R1 and V3 (`deepseek.*`).
    DeepSeek,
    /// OpenAI's open-weight gpt-oss models, OpenAI Chat Completions shape (`openai.*`).
    OpenAi,
    /// Embedding models: Titan Text Embeddings v1/v2, Titan Multimodal Embeddings, Cohere Embed.
    Embeddings(embeddings::Model),
}

/// Geography prefixes of system-defined inference profiles.
const PROFILE_PREFIXES: &[&str] = &["us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."];

/// The foundation model id a model id names: the id itself, the model behind a cross-region profile
/// (`us.amazon.nova-pro-v1:0`), or the tail of a foundation-model or inference-profile ARN.
pub fn base_model_id(model_id: &str) -> &str {
    let tail = if model_id.starts_with("arn:") {
        model_id
            .rsplit_once(":foundation-model/")
            .or_else(|| model_id.rsplit_once(":inference-profile/"))
            .map_or(model_id, |(_, tail)| tail)
    } else {
        model_id
    };
    PROFILE_PREFIXES
        .iter()
        .find_map(|prefix| tail.strip_prefix(prefix).filter(|rest| rest.contains('.')))
        .unwrap_or(tail)
}

/// The family table: a base model id's prefix and the family it names, most specific first; `None`
/// marks models of a known provider that InvokeModel does not answer with text or vectors (image,
/// video and speech models).
const TABLE: &[(&str, Option<Family>)] = &[
    ("anthropic.", Some(Family::Anthropic)),
    ("amazon.nova-canvas", None),
    ("amazon.nova-reel", None),
    ("amazon.nova-sonic", None),
    ("amazon.nova-2-sonic", None),
    ("amazon.nova-", Some(Family::Nova)),
    ("amazon.titan-text-", Some(Family::TitanText)),
    ("amazon.titan-tg1-", Some(Family::TitanText)),
    ("amazon.titan-embed-text-v2", Some(Family::Embeddings(embeddings::Model::TitanV2))),
    ("amazon.titan-embed-text-v1", Some(Family::Embeddings(embeddings::Model::TitanV1))),
    ("amazon.titan-embed-g1-text", Some(Family::Embeddings(embeddings::Model::TitanV1))),
    ("amazon.titan-embed-image-v1", Some(Family::Embeddings(embeddings::Model::TitanMultimodal))),
    ("cohere.embed-v4", Some(Family::Embeddings(embeddings::Model::CohereV4))),
    ("cohere.embed-", Some(Family::Embeddings(embeddings::Model::CohereV3))),
    ("cohere.command-r", Some(Family::CohereCommand)),
    ("meta.llama", Some(Family::Llama)),
    ("mistral.", Some(Family::Mistral)),
    ("ai21.jamba", Some(Family::Ai21)),
    ("deepseek.", Some(Family::DeepSeek)),
    ("openai.", Some(Family::OpenAi)),
];

impl Family {
    /// The family that answers a request: the model id's; for an id the table does not list, the
    /// family whose shape the body has; `None` for listed models that answer no text or vectors and for
    /// bodies of no known shape.
    pub fn of_request(model_id: &str, body: &Map<String, Value>) -> Option<Family> {
        let base = base_model_id(model_id);
        match TABLE.iter().find(|(prefix, _)| base.starts_with(prefix)) {
            Some((_, family)) => *family,
            None => Family::of_body(body),
        }
    }

    /// The family a body's shape belongs to, for model ids of no known family.
    pub fn of_body(body: &Map<String, Value>) -> Option<Family> {
        let has = |key: &str| body.contains_key(key);
        Some(if has("anthropic_version") {
            Family::Anthropic
        } else if has("schemaVersion") || (has("messages") && (has("inferenceConfig") || has("toolConfig"))) {
            Family::Nova
        } else if has("textGenerationConfig") {
            Family::TitanText
        } else if has("inputText") && (has("dimensions") || has("normalize") || has("embeddingTypes")) {
            Family::Embeddings(embeddings::Model::TitanV2)
        } else if has("inputText") {
            Family::TitanText
        } else if has("texts") && has("input_type") {
            Family::Embeddings(embeddings::Model::CohereV3)
        } else if has("message") {
            Family::CohereCommand
        } else if has("max_gen_len") {
            Family::Llama
        } else if has("prompt") {
            Family::Mistral
        } else if has("messages") {
            Family::OpenAi
        } else {
            return None;
        })
    }

    /// Checks a body as the model's own schema would, with Bedrock's `Malformed input request` text.
    pub fn check(self, body: &Map<String, Value>) -> Checked {
        match self {
            Family::Anthropic => anthropic::check(body),
            Family::Nova => nova::check(body),
            Family::TitanText => titan::check(body),
            Family::Llama => llama::check(body),
            Family::Mistral => mistral::check(body),
            Family::CohereCommand => cohere::check(body),
            Family::Ai21 => ai21::check(body),
            Family::DeepSeek => deepseek::check(body),
            Family::OpenAi => openai::check(body),
            Family::Embeddings(kind) => embeddings::check(kind, body),
        }
    }

    /// What the answer depends on: the last user turn, tool results, token counts, limits, a forced tool.
    pub fn prompt(self, body: &Map<String, Value>) -> Prompt {
        match self {
            Family::Anthropic => anthropic::prompt(body),
            Family::Nova => nova::prompt(body),
            Family::TitanText => titan::prompt(body),
            Family::Llama => llama::prompt(body),
            Family::Mistral => mistral::prompt(body),
            Family::CohereCommand => cohere::prompt(body),
            Family::Ai21 => ai21::prompt(body),
            Family::DeepSeek => deepseek::prompt(body),
            Family::OpenAi => openai::prompt(body),
            Family::Embeddings(kind) => embeddings::prompt(kind, body),
        }
    }

    /// The whole response body for `reply`.
    pub fn response(self, answer: &Answer<'_>) -> Value {
        match self {
            Family::Anthropic => anthropic::response(answer),
            Family::Nova => nova::response(answer),
            Family::TitanText => titan::response(answer),
            Family::Llama => llama::response(answer),
            Family::Mistral => mistral::response(answer),
            Family::CohereCommand => cohere::response(answer),
            Family::Ai21 => ai21::response(answer),
            Family::DeepSeek => deepseek::response(answer),
            Family::OpenAi => openai::response(answer),
            Family::Embeddings(kind) => embeddings::response(kind, answer),
        }
    }

    /// The stream's chunk payloads, in order; the operation adds the invocation metrics to the last.
    /// Embedding models do not stream (the operation refuses them first).
    pub fn stream(self, answer: &Answer<'_>) -> Vec<Chunk> {
        match self {
            Family::Anthropic => anthropic::stream(answer),
            Family::Nova => nova::stream(answer),
            Family::TitanText => titan::stream(answer),
            Family::Llama => llama::stream(answer),
            Family::Mistral => mistral::stream(answer),
            Family::CohereCommand => cohere::stream(answer),
            Family::Ai21 => ai21::stream(answer),
            Family::DeepSeek => deepseek::stream(answer),
            Family::OpenAi => openai::stream(answer),
            Family::Embeddings(_) => Vec::new(),
        }
    }

    pub fn streams(self) -> bool {
        !matches!(self, Family::Embeddings(_))
    }
}

/// What a family renders: the request it answers and the reply decided for it.
pub struct Answer<'a> {
    pub model_id: &'a str,
    pub request: &'a Map<String, Value>,
    pub prompt: &'a Prompt,
    pub reply: &'a Reply,
}

/// One stream chunk's JSON payload, and whether it is a delta (the events `tokenDelayMs` spaces out).
pub struct Chunk {
    pub payload: Value,
    pub delta: bool,
}

impl Chunk {
    pub fn event(payload: Value) -> Chunk {
        Chunk { payload, delta: false }
    }

    pub fn delta(payload: Value) -> Chunk {
        Chunk { payload, delta: true }
    }
}

// ---------------------------------------------------------------------------
// What families share: checks with Bedrock's wording, prompts from text, rendering of blocks.

/// JSON Schema violations in the wording of the validator behind Bedrock's InvokeModel
/// (`#: required key [prompt] not found`, `#/temperature: 1.5 is not less or equal to 1`), joined as
/// Bedrock joins them into one `Malformed input request: …, please reformat your input and try again.`
#[derive(Default)]
pub struct Violations(Vec<String>);

/// A JSON type as the validator names it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::String => "String",
            Kind::Integer => "Integer",
            Kind::Number => "Number",
            Kind::Boolean => "Boolean",
            Kind::Array => "JSONArray",
            Kind::Object => "JSONObject",
        }
    }

    fn matches(self, value: &Value) -> bool {
        match self {
            Kind::String => value.is_string(),
            Kind::Integer => value.is_i64() || value.is_u64(),
            Kind::Number => value.is_number(),
            Kind::Boolean => value.is_boolean(),
            Kind::Array => value.is_array(),
            Kind::Object => value.is_object(),
        }
    }
}

fn found(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(number) if number.is_f64() => "BigDecimal",
        Value::Number(_) => "Integer",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

impl Violations {
    /// `#: required key [k] not found` for each missing key, in the order given.
    pub fn required(&mut self, at: &str, object: &Map<String, Value>, keys: &[&str]) -> &mut Self {
        for key in keys.iter().filter(|key| !object.contains_key(**key)) {
            self.0.push(format!("{at}: required key [{key}] not found"));
        }
        self
    }

    /// `#: extraneous key [k] is not permitted` for each key not in `allowed`.
    pub fn only(&mut self, at: &str, object: &Map<String, Value>, allowed: &[&str]) -> &mut Self {
        for key in object.keys().filter(|key| !allowed.contains(&key.as_str())) {
            self.0.push(format!("{at}: extraneous key [{key}] is not permitted"));
        }
        self
    }

    /// Like [`Violations::only`] for models whose schema grows often: only keys that belong to another
    /// family's request (a body of the wrong family) are extraneous; keys no family knows are let through.
    pub fn foreign(&mut self, at: &str, object: &Map<String, Value>, allowed: &[&str]) -> &mut Self {
        for key in object.keys().filter(|key| !allowed.contains(&key.as_str()) && FOREIGN_KEYS.contains(&key.as_str()))
        {
            self.0.push(format!("{at}: extraneous key [{key}] is not permitted"));
        }
        self
    }

    /// `#/k: expected type: String, found: Integer` when `k` is present with another type.
    pub fn typed(&mut self, at: &str, object: &Map<String, Value>, key: &str, kind: Kind) -> &mut Self {
        if let Some(value) = object.get(key)
            && !kind.matches(value)
        {
            self.0.push(format!("{at}/{key}: expected type: {}, found: {}", kind.name(), found(value)));
        }
        self
    }

    /// Bounds of a number member that is present and a number.
    pub fn range(
        &mut self,
        at: &str,
        object: &Map<String, Value>,
        key: &str,
        min: Option<f64>,
        max: Option<f64>,
    ) -> &mut Self {
        let Some(value) = object.get(key).filter(|value| value.is_number()) else { return self };
        let number = value.as_f64().unwrap_or_default();
        let bound = |bound: f64| if bound.fract() == 0.0 { format!("{}", bound as i64) } else { bound.to_string() };
        if let Some(min) = min.filter(|min| number < *min) {
            self.0.push(format!("{at}/{key}: {value} is not greater or equal to {}", bound(min)));
        }
        if let Some(max) = max.filter(|max| number > *max) {
            self.0.push(format!("{at}/{key}: {value} is not less or equal to {}", bound(max)));
        }
        self
    }

    /// Item counts of an array member that is present and an array.
    pub fn items(
        &mut self,
        at: &str,
        object: &Map<String, Value>,
        key: &str,
        min: usize,
        max: Option<usize>,
    ) -> &mut Self {
        let Some(items) = object.get(key).and_then(Value::as_array) else { return self };
        if items.len() < min {
            self.0.push(format!("{at}/{key}: expected minimum item count: {min}, found: {}", items.len()));
        }
        if let Some(max) = max.filter(|max| items.len() > *max) {
            self.0.push(format!("{at}/{key}: expected maximum item count: {max}, found: {}", items.len()));
        }
        self
    }

    /// `#/k: v is not a valid enum value` when `k` is present and not one of `values`.
    pub fn one_of(&mut self, at: &str, object: &Map<String, Value>, key: &str, values: &[Value]) -> &mut Self {
        if let Some(value) = object.get(key)
            && !values.contains(value)
        {
            let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            self.0.push(format!("{at}/{key}: {shown} is not a valid enum value"));
        }
        self
    }

    pub fn push(&mut self, violation: String) -> &mut Self {
        self.0.push(violation);
        self
    }

    pub fn finish(&mut self) -> Checked {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::malformed(self.0.concat())) }
    }
}

/// Top-level keys of every family's request: one of these in a body of another family is extraneous.
const FOREIGN_KEYS: &[&str] = &[
    // Anthropic
    "anthropic_version",
    "anthropic_beta",
    "max_tokens_to_sample",
    "stop_sequences",
    "top_k",
    "thinking",
    // Nova and Converse
    "schemaVersion",
    "inferenceConfig",
    "toolConfig",
    "additionalModelRequestFields",
    // Titan
    "inputText",
    "textGenerationConfig",
    "dimensions",
    "normalize",
    "embeddingTypes",
    "embeddingConfig",
    "inputImage",
    // Llama, Mistral, DeepSeek
    "prompt",
    "max_gen_len",
    "images",
    // Cohere
    "message",
    "chat_history",
    "preamble",
    "documents",
    "texts",
    "input_type",
    "embedding_types",
    "tool_results",
    // OpenAI-style chat
    "max_completion_tokens",
    "reasoning_effort",
    "response_format",
    "n",
];

/// Common sampling checks: `temperature` and `top_p` numbers in [0, `max_temperature`] and [0, 1].
pub fn sampling(violations: &mut Violations, body: &Map<String, Value>, max_temperature: f64) {
    for (key, max) in [("temperature", max_temperature), ("top_p", 1.0)] {
        violations.typed("#", body, key, Kind::Number).range("#", body, key, Some(0.0), Some(max));
    }
}

/// Strings of a `stop` member given as one string or a list.
pub fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(|item| item.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// The last user turn of a text prompt written in a model's chat template: Llama 3's headers,
/// `[INST] … [/INST]` (Llama 2, Mistral), DeepSeek's `<｜User｜>`, Titan's `User: … Bot:`, Claude's legacy
/// `Human: … Assistant:`; otherwise the whole prompt, trimmed.
pub fn last_turn(prompt: &str) -> String {
    let between = |start: &str, ends: &[&str]| -> Option<String> {
        let (_, after) = prompt.rsplit_once(start)?;
        let end = ends.iter().filter_map(|end| after.find(end)).min().unwrap_or(after.len());
        Some(after[..end].trim().to_owned())
    };
    let turn = between("<|start_header_id|>user<|end_header_id|>", &["<|eot_id|>", "<|start_header_id|>"])
        .or_else(|| {
            between("[INST]", &["[/INST]"]).map(|turn| match turn.rsplit_once("<</SYS>>") {
                Some((_, rest)) => rest.trim().to_owned(),
                None => turn,
            })
        })
        .or_else(|| between("<｜User｜>", &["<｜Assistant｜>", "<｜end▁of▁sentence｜>"]))
        .or_else(|| between("User:", &["Bot:", "\nUser:"]))
        .or_else(|| between("Human:", &["Assistant:", "\nHuman:"]));
    turn.filter(|turn| !turn.is_empty()).unwrap_or_else(|| prompt.trim().to_owned())
}

/// A prompt read from one text (the text-completion families).
pub fn text_prompt(text: &str, max_tokens: Option<u64>, stop_sequences: Vec<String>) -> Prompt {
    Prompt {
        last_user_text: last_turn(text),
        input_tokens: tokenizer::count(text),
        max_tokens,
        stop_sequences,
        ..Prompt::default()
    }
}

/// The answer as plain text for families without tool or reasoning blocks: text blocks as they are, a
/// toolUse as its call in JSON (`{"name": …, "parameters": …}`), reasoning left out.
pub fn plain_text(reply: &Reply) -> String {
    reply
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Text(text) => Some(text.clone()),
            Block::ToolUse { name, input, .. } => Some(json!({"name": name, "parameters": input}).to_string()),
            Block::Reasoning { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text blocks only, joined (families whose tool calls and reasoning have their own members).
pub fn text_blocks(reply: &Reply) -> String {
    reply
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reasoning blocks' text, joined.
pub fn reasoning_text(reply: &Reply) -> Option<String> {
    let parts: Vec<&str> = reply
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Reasoning { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

/// Stream pieces of a text: about one word each, at least one (possibly empty) piece.
pub fn pieces(text: &str) -> Vec<&str> {
    tokenizer::word_pieces(text)
}

/// The reply's stop reason in the text-completion vocabulary: `stop` or `length`.
pub fn stop_or_length(reply: &Reply) -> &'static str {
    if reply.stop_reason == "max_tokens" { "length" } else { "stop" }
}

/// A fresh id made of `prefix` and `len` hex characters.
pub fn fresh_id(prefix: &str, len: usize) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}{}", &hex[..len.min(hex.len())])
}

/// Seconds since the Unix epoch (OpenAI-style `created`).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_name_their_family() {
        let table = [
            ("anthropic.claude-3-haiku-20240307-v1:0", Some(Family::Anthropic)),
            ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", Some(Family::Anthropic)),
            ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0", Some(Family::Nova)),
            ("arn:aws:bedrock:us-east-1:1:inference-profile/eu.meta.llama3-2-1b-instruct-v1:0", Some(Family::Llama)),
            ("amazon.titan-text-express-v1", Some(Family::TitanText)),
            ("amazon.titan-embed-text-v2:0", Some(Family::Embeddings(embeddings::Model::TitanV2))),
            ("cohere.embed-english-v3", Some(Family::Embeddings(embeddings::Model::CohereV3))),
            ("cohere.command-r-plus-v1:0", Some(Family::CohereCommand)),
            ("mistral.mistral-large-2407-v1:0", Some(Family::Mistral)),
            ("ai21.jamba-1-5-mini-v1:0", Some(Family::Ai21)),
            ("us.deepseek.r1-v1:0", Some(Family::DeepSeek)),
            ("openai.gpt-oss-20b-1:0", Some(Family::OpenAi)),
            ("amazon.nova-canvas-v1:0", None),
            ("someone.unknown-model-v9", None),
            ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", None),
        ];
        for (id, family) in table {
            assert_eq!(Family::of_request(id, &Map::new()), family, "{id}");
        }
    }

    #[test]
    fn violations_read_like_bedrocks() {
        let body = json!({"messages": [], "temperature": 1.5}).as_object().cloned().unwrap();
        let message = Violations::default()
            .required("#", &body, &["prompt"])
            .only("#", &body, &["prompt", "temperature"])
            .range("#", &body, "temperature", Some(0.0), Some(1.0))
            .finish()
            .unwrap_err()
            .message;
        assert_eq!(
            message,
            "Malformed input request: #: required key [prompt] not found#: extraneous key [messages] is not \
             permitted#/temperature: 1.5 is not less or equal to 1, please reformat your input and try again."
        );
    }

    #[test]
    fn last_turns_of_chat_templates() {
        let table = [
            (
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief<|eot_id|>\
                 <|start_header_id|>user<|end_header_id|>\n\nHello there<|eot_id|>\
                 <|start_header_id|>assistant<|end_header_id|>\n\n",
                "Hello there",
            ),
            ("<s>[INST] <<SYS>>\nBe brief\n<</SYS>>\n\nfirst [/INST] ok </s><s>[INST] second [/INST]", "second"),
            ("<｜begin▁of▁sentence｜><｜User｜>why?<｜Assistant｜><think>\n", "why?"),
            ("\n\nUser: tell me a story\n\nBot:", "tell me a story"),
            ("\n\nHuman: hi\n\nAssistant:", "hi"),
            ("  just text ", "just text"),
        ];
        for (prompt, expected) in table {
            assert_eq!(last_turn(prompt), expected, "{prompt:?}");
        }
    }
}
