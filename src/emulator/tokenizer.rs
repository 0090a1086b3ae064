//! The one tokenizer: a token is a maximal run of word characters (letters, digits, `_`) or a maximal
//! run of other non-whitespace characters; whitespace separates tokens and is not counted.
//! `"Hello, world!"` is 4 tokens: `Hello`, `,`, `world`, `!`.
//!
//! It also says how a request's blocks count, so that usage, CountTokens and the prompt cache agree:
//! [`converse_block`] for Converse content blocks, [`anthropic_block`] for Anthropic Messages blocks.

use serde_json::Value;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Space,
    Word,
    Punct,
}

fn class(c: char) -> Class {
    if c.is_whitespace() {
        Class::Space
    } else if c.is_alphanumeric() || c == '_' {
        Class::Word
    } else {
        Class::Punct
    }
}

/// Byte offsets where each token ends, in order.
fn token_ends(text: &str) -> impl Iterator<Item = usize> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            let (start, c) = chars.next()?;
            let kind = class(c);
            if kind == Class::Space {
                continue;
            }
            let mut end = start + c.len_utf8();
            while let Some(&(index, next)) = chars.peek() {
                if class(next) != kind {
                    break;
                }
                end = index + next.len_utf8();
                chars.next();
            }
            return Some(end);
        }
    })
}

pub fn count(text: &str) -> u64 {
    token_ends(text).count() as u64
}

/// Tokens of one Converse content block: text counts its text, a toolUse its name and input JSON,
/// a toolResult its texts and JSON, guardContent its text, a cachePoint 0, and any other block its
/// compact JSON.
pub fn converse_block(block: &Value) -> u64 {
    let Some((key, inner)) = block.as_object().and_then(|object| object.iter().next()) else {
        return 0;
    };
    match (key.as_str(), inner) {
        ("text", Value::String(text)) => count(text),
        ("toolUse", _) => count(inner["name"].as_str().unwrap_or_default()) + count(&inner["input"].to_string()),
        ("toolResult", _) => inner["content"].as_array().into_iter().flatten().map(converse_block).sum(),
        ("json", _) => count(&inner.to_string()),
        ("guardContent", _) => count(inner["text"]["text"].as_str().unwrap_or_default()),
        ("cachePoint", _) => 0,
        _ => count(&inner.to_string()),
    }
}

/// Tokens of one Converse tool (`toolConfig.tools[i]`): its compact JSON; a cachePoint counts 0.
pub fn converse_tool(tool: &Value) -> u64 {
    if tool.get("cachePoint").is_some() { 0 } else { count(&tool.to_string()) }
}

/// Tokens of one block of an Anthropic Messages `content` (or `system`) array: a text block counts
/// its text, any other block its compact JSON.
pub fn anthropic_block(block: &Value) -> u64 {
    match block["text"].as_str() {
        Some(text) if block["type"] == "text" => count(text),
        _ => count(&block.to_string()),
    }
}

/// The text cut after its first `max` tokens, or `None` when it has no more than `max`.
pub fn truncate(text: &str, max: u64) -> Option<&str> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let mut ends = token_ends(text);
    let cut = if max == 0 { 0 } else { ends.nth(max - 1)? };
    ends.next().map(|_| &text[..cut])
}

/// Stream pieces of about one word each; concatenated they give back `text` exactly
/// (each piece keeps the whitespace that follows it).
pub fn word_pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut previous_space = false;
    let mut piece_has_word = false;
    for (index, c) in text.char_indices() {
        let space = c.is_whitespace();
        if !space && previous_space && piece_has_word {
            pieces.push(&text[start..index]);
            start = index;
        }
        piece_has_word |= !space;
        previous_space = space;
    }
    if start < text.len() || pieces.is_empty() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// Splits a JSON text into `parts` pieces (at most one per character) at character boundaries.
pub fn split_even(text: &str, parts: usize) -> Vec<&str> {
    let chars: Vec<usize> = text.char_indices().map(|(index, _)| index).collect();
    let parts = parts.clamp(1, chars.len().max(1));
    let mut pieces = Vec::with_capacity(parts);
    let mut start = 0;
    for part in 1..parts {
        let end = chars[part * chars.len() / parts];
        pieces.push(&text[start..end]);
        start = end;
    }
    pieces.push(&text[start..]);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_and_punctuation_runs() {
        assert_eq!(count("Hello, world!"), 4);
        assert_eq!(count("  "), 0);
        assert_eq!(count("a...b c_d ?!"), 5);
        assert_eq!(count("{\"city\":\"Paris\"}"), 5);
    }

    #[test]
    fn blocks_count_by_kind() {
        use serde_json::json;
        assert_eq!(converse_block(&json!({"text": "Hello, world!"})), 4);
        assert_eq!(converse_block(&json!({"cachePoint": {"type": "default"}})), 0);
        assert_eq!(converse_block(&json!({"toolUse": {"name": "get_weather", "input": {"city": "Paris"}}})), 6);
        assert_eq!(converse_tool(&json!({"cachePoint": {"type": "default", "ttl": "1h"}})), 0);
        assert_eq!(anthropic_block(&json!({"type": "text", "text": "a b", "cache_control": {"type": "ephemeral"}})), 2);
    }

    #[test]
    fn truncates_after_n_tokens() {
        assert_eq!(truncate("one two three", 2), Some("one two"));
        assert_eq!(truncate("one two", 2), None);
        assert_eq!(truncate("one, two", 1), Some("one"));
    }

    #[test]
    fn pieces_reassemble_exactly() {
        let text = " You said:  hello\nworld ";
        let pieces = word_pieces(text);
        assert_eq!(pieces, vec![" You ", "said:  ", "hello\n", "world "]);
        assert_eq!(pieces.concat(), text);
        assert_eq!(word_pieces(""), vec![""]);
    }

    #[test]
    fn json_splits_into_requested_pieces() {
        let pieces = split_even("{\"a\":1}", 3);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces.concat(), "{\"a\":1}");
    }
}
