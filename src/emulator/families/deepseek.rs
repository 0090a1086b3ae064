//! DeepSeek on Bedrock (`prompt`, `max_tokens`, `stop`): `choices[{text, stop_reason}]`; the stream
//! sends `choices[{text, stop_reason}]` pieces. Scripted reasoning comes first, closed by `</think>`, as
//! R1 writes it.

use serde_json::{Map, Value, json};

use super::super::reply::{Prompt, Reply};
use super::super::validation::Checked;
use super::{Answer, Chunk, Kind, Violations};

pub fn check(body: &Map<String, Value>) -> Checked {
    let mut violations = Violations::default();
    violations
        .required("#", body, &["prompt"])
        .only("#", body, &["prompt", "temperature", "top_p", "max_tokens", "stop"])
        .typed("#", body, "prompt", Kind::String)
        .typed("#", body, "max_tokens", Kind::Integer)
        .range("#", body, "max_tokens", Some(1.0), Some(32768.0))
        .typed("#", body, "stop", Kind::Array)
        .items("#", body, "stop", 0, Some(10));
    super::sampling(&mut violations, body, 1.0);
    violations.finish()
}

pub fn prompt(body: &Map<String, Value>) -> Prompt {
    super::text_prompt(
        body.get("prompt").and_then(Value::as_str).unwrap_or_default(),
        body.get("max_tokens").and_then(Value::as_u64),
        super::string_list(body.get("stop")),
    )
}

fn text(reply: &Reply) -> String {
    let answer = super::plain_text(reply);
    match super::reasoning_text(reply) {
        Some(reasoning) => format!("{reasoning}\n</think>\n\n{answer}"),
        None => answer,
    }
}

pub fn response(answer: &Answer<'_>) -> Value {
    json!({"choices": [{"text": text(answer.reply), "stop_reason": super::stop_or_length(answer.reply)}]})
}

pub fn stream(answer: &Answer<'_>) -> Vec<Chunk> {
    let text = text(answer.reply);
    let pieces = super::pieces(&text);
    let last = pieces.len() - 1;
    pieces
        .into_iter()
        .enumerate()
        .map(|(index, piece)| {
            let stop = if index == last { Value::from(super::stop_or_length(answer.reply)) } else { Value::Null };
            Chunk::delta(json!({"choices": [{"text": piece, "stop_reason": stop}]}))
        })
        .collect()
}
