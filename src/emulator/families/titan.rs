//! Amazon Titan Text (`inputText`, `textGenerationConfig`): `inputTextTokenCount` and one `results`
//! entry (`tokenCount`, `outputText`, `completionReason`); the stream sends `outputText` pieces with the
//! running `totalOutputTextTokenCount`.

use serde_json::{Map, Value, json};

use super::super::reply::{Prompt, Reply};
use super::super::tokenizer;
use super::super::validation::Checked;
use super::{Answer, Chunk, Kind, Violations};

const CONFIG_KEYS: &[&str] = &["temperature", "topP", "maxTokenCount", "stopSequences"];

pub fn check(body: &Map<String, Value>) -> Checked {
    let mut violations = Violations::default();
    violations
        .required("#", body, &["inputText"])
        .only("#", body, &["inputText", "textGenerationConfig"])
        .typed("#", body, "inputText", Kind::String)
        .typed("#", body, "textGenerationConfig", Kind::Object);
    if let Some(config) = body.get("textGenerationConfig").and_then(Value::as_object) {
        let at = "#/textGenerationConfig";
        violations
            .only(at, config, CONFIG_KEYS)
            .typed(at, config, "maxTokenCount", Kind::Integer)
            .range(at, config, "maxTokenCount", Some(0.0), Some(8192.0))
            .typed(at, config, "temperature", Kind::Number)
            .range(at, config, "temperature", Some(0.0), Some(1.0))
            .typed(at, config, "topP", Kind::Number)
            .range(at, config, "topP", Some(0.0), Some(1.0))
            .typed(at, config, "stopSequences", Kind::Array);
    }
    violations.finish()
}

pub fn prompt(body: &Map<String, Value>) -> Prompt {
    let config = body.get("textGenerationConfig");
    super::text_prompt(
        body.get("inputText").and_then(Value::as_str).unwrap_or_default(),
        config.and_then(|config| config["maxTokenCount"].as_u64()),
        super::string_list(config.and_then(|config| config.get("stopSequences"))),
    )
}

/// Titan's `completionReason` for a reply's stop reason.
fn completion_reason(reply: &Reply) -> &'static str {
    match reply.stop_reason.as_str() {
        "max_tokens" => "LENGTH",
        "stop_sequence" => "STOP_CRITERIA_MET",
        "guardrail_intervened" | "content_filtered" => "CONTENT_FILTERED",
        _ => "FINISH",
    }
}

pub fn response(answer: &Answer<'_>) -> Value {
    let reply = answer.reply;
    json!({
        "inputTextTokenCount": reply.usage.input,
        "results": [{
            "tokenCount": reply.usage.output,
            "outputText": super::plain_text(reply),
            "completionReason": completion_reason(reply),
        }],
    })
}

pub fn stream(answer: &Answer<'_>) -> Vec<Chunk> {
    let reply = answer.reply;
    let text = super::plain_text(reply);
    let pieces = super::pieces(&text);
    let last = pieces.len() - 1;
    let mut emitted = 0u64;
    pieces
        .into_iter()
        .enumerate()
        .map(|(index, piece)| {
            emitted += tokenizer::count(piece);
            let done = index == last;
            Chunk::delta(json!({
                "outputText": piece,
                "index": 0,
                "totalOutputTextTokenCount": if done { reply.usage.output } else { emitted },
                "completionReason": if done { Value::from(completion_reason(reply)) } else { Value::Null },
                "inputTextTokenCount": if index == 0 { Value::from(reply.usage.input) } else { Value::Null },
            }))
        })
        .collect()
}
