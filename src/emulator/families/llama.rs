//! Meta Llama (`prompt`, `max_gen_len`): `generation`, `prompt_token_count`, `generation_token_count`,
//! `stop_reason`; the stream sends `generation` pieces, the last with the stop reason.

use serde_json::{Map, Value, json};

use super::super::reply::Prompt;
use super::super::tokenizer;
use super::super::validation::Checked;
use super::{Answer, Chunk, Kind, Violations};

pub fn check(body: &Map<String, Value>) -> Checked {
    let mut violations = Violations::default();
    violations
        .required("#", body, &["prompt"])
        .only("#", body, &["prompt", "temperature", "top_p", "max_gen_len", "images"])
        .typed("#", body, "prompt", Kind::String)
        .typed("#", body, "max_gen_len", Kind::Integer)
        .range("#", body, "max_gen_len", Some(1.0), Some(8192.0))
        .typed("#", body, "images", Kind::Array);
    super::sampling(&mut violations, body, 1.0);
    violations.finish()
}

pub fn prompt(body: &Map<String, Value>) -> Prompt {
    super::text_prompt(
        body.get("prompt").and_then(Value::as_str).unwrap_or_default(),
        body.get("max_gen_len").and_then(Value::as_u64),
        Vec::new(),
    )
}

pub fn response(answer: &Answer<'_>) -> Value {
    let reply = answer.reply;
    json!({
        "generation": super::plain_text(reply),
        "prompt_token_count": reply.usage.input,
        "generation_token_count": reply.usage.output,
        "stop_reason": super::stop_or_length(reply),
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
                "generation": piece,
                "prompt_token_count": if index == 0 { Value::from(reply.usage.input) } else { Value::Null },
                "generation_token_count": if done { reply.usage.output } else { emitted },
                "stop_reason": if done { Value::from(super::stop_or_length(reply)) } else { Value::Null },
            }))
        })
        .collect()
}
