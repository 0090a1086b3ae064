//! Automatic prompt caching (`promptCaching: "auto"`, docs/protocol.md "Prompt caching and the
//! context window"): the host places Bedrock cache points in a conversation's model calls.
//!
//! Where: one after the system prompt and tools (the prefix every call of the conversation
//! repeats), one at the end of the history before the new content (what the next call repeats),
//! and one where the previous call put that one, so the previous call's entry is read even by a
//! model that does not look back for cached prefixes (Amazon Nova). Within Bedrock's rules (the
//! same the emulator enforces, docs/bedrock-wire.md §11): at most [`MAX_CACHE_POINTS`] per request,
//! none closer than the model's minimum tokens to the previous one (Bedrock would ignore it), none in
//! the tools of a model that caches only system and messages, and none at all for a model without
//! prompt caching (Bedrock refuses those with AccessDeniedException). A request that already
//! carries cache points (the client's own) is left as it is: the client manages its cache.

use crate::catalog::caching::{MAX_CACHE_POINTS, PromptCaching};
use crate::protocol::shapes::{
    CachePointBlock, CachePointType, ContentBlock, ConverseRequest, Message, SystemContentBlock, Tool,
    ToolResultContentBlock,
};

/// Estimated tokens of a text of `len` bytes: about four bytes a token.
fn text_tokens(len: usize) -> u64 {
    (len as u64).div_ceil(4)
}

/// Estimated tokens of any JSON-shaped value.
fn json_tokens<T: serde::Serialize>(value: &T) -> u64 {
    serde_json::to_string(value).map_or(0, |json| text_tokens(json.len()))
}

/// Estimated tokens of a content block (a cache point counts nothing, as Bedrock counts it).
pub fn block_tokens(block: &ContentBlock) -> u64 {
    match block {
        ContentBlock::Text(text) => text_tokens(text.len()),
        ContentBlock::CachePoint(_) => 0,
        ContentBlock::ToolUse(tool_use) => text_tokens(tool_use.name.len()) + json_tokens(&tool_use.input),
        ContentBlock::ToolResult(result) => result
            .content
            .iter()
            .map(|content| match content {
                ToolResultContentBlock::Text(text) => text_tokens(text.len()),
                ToolResultContentBlock::Json(value) => json_tokens(value),
                // Media: about what Bedrock bills for an image; a precise count needs CountTokens.
                _ => 1_600,
            })
            .sum(),
        ContentBlock::Image(_) | ContentBlock::Video(_) | ContentBlock::Audio(_) => 1_600,
        other => json_tokens(other),
    }
}

/// Estimated tokens of a message.
pub fn message_tokens(message: &Message) -> u64 {
    message.content.iter().map(block_tokens).sum()
}

/// Estimated tokens of the system prompt.
pub fn system_tokens(system: &[SystemContentBlock]) -> u64 {
    system
        .iter()
        .map(|block| match block {
            SystemContentBlock::Text(text) => text_tokens(text.len()),
            SystemContentBlock::CachePoint(_) => 0,
            other => json_tokens(other),
        })
        .sum()
}

/// Estimated tokens of the tool list.
pub fn tools_tokens(request: &ConverseRequest) -> u64 {
    request.tool_config.as_ref().map_or(0, |config| {
        config.tools.iter().map(|tool| if matches!(tool, Tool::CachePoint(_)) { 0 } else { json_tokens(tool) }).sum()
    })
}

/// Whether the request already holds a cache point anywhere.
fn has_cache_points(request: &ConverseRequest) -> bool {
    let in_tools = request
        .tool_config
        .as_ref()
        .is_some_and(|config| config.tools.iter().any(|tool| matches!(tool, Tool::CachePoint(_))));
    let in_system = request.system.iter().flatten().any(|block| matches!(block, SystemContentBlock::CachePoint(_)));
    let in_messages = request
        .messages
        .iter()
        .flatten()
        .flat_map(|message| &message.content)
        .any(|block| matches!(block, ContentBlock::CachePoint(_)));
    in_tools || in_system || in_messages
}

fn cache_point() -> CachePointBlock {
    CachePointBlock { kind: CachePointType::Default, ttl: None }
}

/// Places cache points in `request`, whose last message is the new content. `scale` turns the
/// host's estimates into the model's tokens (the last call's usage over its estimate; 1 without
/// one). Returns how many cache points were placed.
#[cfg(test)]
pub fn place(request: &mut ConverseRequest, caching: PromptCaching, scale: f64) -> usize {
    let prefix = tools_tokens(request) + request.system.as_deref().map_or(0, system_tokens);
    let tokens: Vec<u64> = request.messages.iter().flatten().map(message_tokens).collect();
    place_with(request, caching, scale, prefix, &tokens)
}

/// [`place`] with the estimates already made: `prefix` for the tools and system prompt, `tokens`
/// for each message.
pub fn place_with(
    request: &mut ConverseRequest,
    caching: PromptCaching,
    scale: f64,
    prefix: u64,
    tokens: &[u64],
) -> usize {
    if has_cache_points(request) {
        return 0;
    }
    let scaled = |tokens: u64| (tokens as f64 * scale) as u64;
    let mut placed = 0;
    // Tokens up to the last cache point placed: the next needs the model's minimum beyond it.
    let mut covered = 0;
    if scaled(prefix) >= caching.min_tokens {
        if let Some(system) = request.system.as_mut().filter(|system| !system.is_empty()) {
            system.push(SystemContentBlock::CachePoint(cache_point()));
            placed += 1;
            covered = prefix;
        } else if let Some(config) = request.tool_config.as_mut().filter(|_| caching.tools) {
            config.tools.push(Tool::CachePoint(cache_point()));
            placed += 1;
            covered = prefix;
        }
    }
    let Some(messages) = request.messages.as_mut() else { return placed };
    let count = messages.len();
    // After the message that ended the previous call's history, then after the one that ends this
    // call's history (the new content, the last message, is not cached: the next call differs there).
    let boundaries = [count.checked_sub(4), count.checked_sub(2)];
    let mut total = prefix;
    let mut next = 0;
    for boundary in boundaries.into_iter().flatten() {
        while next <= boundary {
            total += tokens.get(next).copied().unwrap_or_else(|| message_tokens(&messages[next]));
            next += 1;
        }
        if placed < MAX_CACHE_POINTS && scaled(total) >= scaled(covered) + caching.min_tokens {
            messages[boundary].content.push(ContentBlock::CachePoint(cache_point()));
            placed += 1;
            covered = total;
        }
    }
    placed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(system_words: usize, turns: usize, words_per_message: usize) -> ConverseRequest {
        let text = |n: usize| vec!["word"; n].join(" ");
        let mut messages = Vec::new();
        for _ in 0..turns {
            messages.push(json!({"role": "user", "content": [{"text": text(words_per_message)}]}));
            messages.push(json!({"role": "assistant", "content": [{"text": text(words_per_message)}]}));
        }
        messages.push(json!({"role": "user", "content": [{"text": "new"}]}));
        serde_json::from_value(json!({
            "modelId": "m",
            "system": [{"text": text(system_words)}],
            "messages": messages,
        }))
        .unwrap()
    }

    fn points(request: &ConverseRequest) -> Vec<String> {
        let mut found = Vec::new();
        for (index, block) in request.system.iter().flatten().enumerate() {
            if matches!(block, SystemContentBlock::CachePoint(_)) {
                found.push(format!("system[{index}]"));
            }
        }
        for (index, message) in request.messages.iter().flatten().enumerate() {
            if message.content.iter().any(|block| matches!(block, ContentBlock::CachePoint(_))) {
                found.push(format!("messages[{index}]"));
            }
        }
        found
    }

    const CLAUDE: PromptCaching = PromptCaching { min_tokens: 1_024, tools: true };

    #[test]
    fn points_after_system_and_at_the_end_of_the_history() {
        // "word " is 5 bytes: 1,000 words are about 1,250 tokens.
        let mut long = request(1_000, 3, 1_000);
        assert_eq!(place(&mut long, CLAUDE, 1.0), 3);
        assert_eq!(points(&long), ["system[1]", "messages[3]", "messages[5]"]);
    }

    #[test]
    fn none_below_the_minimum_and_none_twice() {
        let mut short = request(100, 3, 10);
        assert_eq!(place(&mut short, CLAUDE, 1.0), 0);
        // The history's end is placed only once enough tokens separate it from the system's point.
        let mut close = request(1_000, 1, 20);
        assert_eq!(place(&mut close, CLAUDE, 1.0), 1);
        assert_eq!(points(&close), ["system[1]"]);
        let mut again = request(1_000, 3, 1_000);
        place(&mut again, CLAUDE, 1.0);
        let before = again.clone();
        assert_eq!(place(&mut again, CLAUDE, 1.0), 0, "a request with cache points is left alone");
        assert_eq!(again, before);
    }

    #[test]
    fn the_scale_of_the_last_call_applies() {
        let mut scaled_down = request(1_000, 1, 10);
        assert_eq!(place(&mut scaled_down, CLAUDE, 0.5), 0);
    }
}
