//! Prompt caching as Bedrock does it (docs/emulator.md "Prompt caching"): cache points in a request
//! (`cachePoint` blocks in Converse's `toolConfig.tools`, `system` and `messages`; `cache_control`
//! on the blocks of an Anthropic Messages body) mark prefixes; the first request whose prefix up to a
//! cache point is not cached writes it (`cacheWriteInputTokens`), later requests read it while it
//! lives (`cacheReadInputTokens`), and `inputTokens` counts only the rest.
//!
//! The rules follow Amazon Bedrock's documentation, read on 2026-12-03:
//! <https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html> (supported models,
//! minimum tokens per cache checkpoint, at most 4 checkpoints per request, the fields that take
//! them, the 5-minute time to live that each hit renews, Claude's automatic look-back over about 20
//! blocks before a checkpoint), the 1-hour time to live added on 2026-01-26 for Claude Sonnet 4.5,
//! Haiku 4.5 and Opus 4.5, and <https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CachePointBlock.html>
//! (`ttl` `5m` | `1h`; a later checkpoint may not live longer than an earlier one). A request with
//! cache points to a model without prompt caching is refused with AccessDeniedException, as Bedrock
//! answers it ("You invoked an unsupported model or your request did not allow prompt caching").
//!
//! The cache belongs to one emulator (every request it serves shares it), keyed by the model id as
//! the request names it and the exact bytes of the prefix (each block's compact JSON with its object
//! keys sorted, cache markers left out). Its clock is the emulator's clock moved by the script's
//! `clockOffsetMs`, so tests can expire entries without waiting.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::errors::ApiError;
use super::tokenizer;

/// Most cache points one request may carry.
pub const MAX_CACHE_POINTS: usize = 4;
/// How many blocks before a cache point Claude models look back for a cached prefix.
const LOOKBACK_BLOCKS: usize = 20;
/// Most live entries one emulator keeps; past it the entries closest to expiry go first.
const MAX_ENTRIES: usize = 4096;

/// How long a cache entry lives after it was written or last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ttl {
    FiveMinutes,
    OneHour,
}

impl Ttl {
    pub fn as_str(self) -> &'static str {
        match self {
            Ttl::FiveMinutes => "5m",
            Ttl::OneHour => "1h",
        }
    }

    fn duration(self) -> Duration {
        match self {
            Ttl::FiveMinutes => Duration::from_secs(5 * 60),
            Ttl::OneHour => Duration::from_secs(60 * 60),
        }
    }
}

/// What prompt caching a model offers (Bedrock's "Supported models, Regions, and limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ModelCaching {
    /// Tokens a cache point needs after the previous one before it is used.
    min_tokens: u64,
    /// Whether cache points may stand in the tool list.
    tools: bool,
    /// Whether `ttl: "1h"` is offered.
    one_hour: bool,
    /// Whether a cache point also finds prefixes cached up to 20 blocks before it (Claude).
    lookback: bool,
}

const fn claude(min_tokens: u64, one_hour: bool) -> ModelCaching {
    ModelCaching { min_tokens, tools: true, one_hour, lookback: true }
}

const NOVA: ModelCaching = ModelCaching { min_tokens: 1_000, tools: false, one_hour: false, lookback: false };

/// The models with prompt caching, by a part of their id (first match wins). Values from the pages
/// cited in the module docs; Sonnet 4.6 and Opus 4.6 take the minimums Anthropic documents for them.
const CACHING_MODELS: &[(&str, ModelCaching)] = &[
    ("anthropic.claude-opus-4-6", claude(4_096, true)),
    ("anthropic.claude-sonnet-4-6", claude(2_048, true)),
    ("anthropic.claude-opus-4-5", claude(4_096, true)),
    ("anthropic.claude-haiku-4-5", claude(4_096, true)),
    ("anthropic.claude-sonnet-4-5", claude(1_024, true)),
    ("anthropic.claude-opus-4-1", claude(1_024, false)),
    ("anthropic.claude-opus-4-2", claude(1_024, false)),
    ("anthropic.claude-sonnet-4-2", claude(1_024, false)),
    ("anthropic.claude-3-7-sonnet", claude(1_024, false)),
    ("anthropic.claude-3-5-sonnet-20241022-v2", claude(1_024, false)),
    ("anthropic.claude-3-5-haiku", claude(2_048, false)),
    ("amazon.nova-micro", NOVA),
    ("amazon.nova-lite", NOVA),
    ("amazon.nova-pro", NOVA),
    ("amazon.nova-premier", NOVA),
];

/// The caching a model id offers: a foundation-model id, an inference profile id (`us.…`,
/// `global.…`) or an ARN naming either.
fn model_caching(model_id: &str) -> Option<ModelCaching> {
    let name = model_id.rsplit('/').next().unwrap_or(model_id);
    CACHING_MODELS.iter().find(|(part, _)| name.contains(part)).map(|(_, caching)| *caching)
}

/// Where a cache point stands, in Bedrock's processing order (tools, then system, then messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Tools,
    System,
    Messages,
}

/// A cache point: after how many blocks of the prefix it stands, how long it asks to live, and
/// where it is in the request (for error messages).
#[derive(Debug, Clone)]
struct Point {
    at: usize,
    ttl: Ttl,
    section: Section,
    path: String,
}

/// A prefix's identity: a 128-bit hash of the model id and the prefix bytes, and their length.
type Key = (u64, u64, usize);

/// Builds a request's prefix: each block's bytes and tokens, and the cache points between them.
struct PrefixBuilder {
    hashers: [DefaultHasher; 2],
    length: usize,
    keys: Vec<Key>,
    tokens: Vec<u64>,
    points: Vec<Point>,
}

impl PrefixBuilder {
    fn new(model_id: &str) -> Self {
        let mut hashers = [DefaultHasher::new(), DefaultHasher::new()];
        for (seed, hasher) in hashers.iter_mut().enumerate() {
            seed.hash(hasher);
            model_id.hash(hasher);
        }
        let mut builder =
            PrefixBuilder { hashers, length: model_id.len(), keys: Vec::new(), tokens: vec![0], points: Vec::new() };
        builder.keys.push(builder.key());
        builder
    }

    fn key(&self) -> Key {
        (self.hashers[0].finish(), self.hashers[1].finish(), self.length)
    }

    /// One block of the prefix: `bytes` identify it, `tokens` is what it counts.
    fn block(&mut self, bytes: &str, tokens: u64) {
        for hasher in &mut self.hashers {
            hasher.write(bytes.as_bytes());
            hasher.write_u8(0xff);
        }
        self.length += bytes.len() + 1;
        self.keys.push(self.key());
        self.tokens.push(self.tokens.last().copied().unwrap_or(0) + tokens);
    }

    fn point(&mut self, ttl: Ttl, section: Section, path: String) {
        self.points.push(Point { at: self.keys.len() - 1, ttl, section, path });
    }
}

/// A request's cache points, checked: what [`PromptCache::apply`] needs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The key of the prefix of the first `i` blocks, for every `i`.
    keys: Vec<Key>,
    /// The tokens of the prefix of the first `i` blocks.
    tokens: Vec<u64>,
    /// Every cache point, in order.
    points: Vec<Point>,
    /// The points far enough apart to be cached (the model's minimum), in order.
    effective: Vec<Point>,
    lookback: bool,
}

/// The cache counts of one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUsage {
    pub read: u64,
    pub write: u64,
    /// The part of `write` written with the 1-hour time to live (the rest has 5 minutes).
    pub write_one_hour: u64,
}

impl CacheUsage {
    /// Tokens written per time to live, longest first, leaving out none written (Converse's
    /// `cacheDetails`: "Sorted by TTL duration (1h before 5m)").
    pub fn details(&self) -> Vec<(Ttl, u64)> {
        [(Ttl::OneHour, self.write_one_hour), (Ttl::FiveMinutes, self.write.saturating_sub(self.write_one_hour))]
            .into_iter()
            .filter(|(_, tokens)| *tokens > 0)
            .collect()
    }
}

fn ttl_of(path: &str, ttl: Option<&Value>) -> Result<Ttl, ApiError> {
    match ttl {
        None | Some(Value::Null) => Ok(Ttl::FiveMinutes),
        Some(Value::String(ttl)) if ttl == "5m" => Ok(Ttl::FiveMinutes),
        Some(Value::String(ttl)) if ttl == "1h" => Ok(Ttl::OneHour),
        Some(_) => Err(ApiError::member(path, "Member must satisfy enum value set: [5m, 1h]")),
    }
}

/// The compact JSON of `value` with its cache marker (`cache_control`) left out, so moving a marker
/// does not change the prefix it closes.
fn bytes_without(value: &Value, marker: &str) -> String {
    match value {
        Value::Object(object) if object.contains_key(marker) => {
            let mut object = object.clone();
            object.remove(marker);
            Value::Object(object).to_string()
        }
        other => other.to_string(),
    }
}

/// The cache points of a Converse request (or `None` when it has none), checked against the model.
pub fn converse_plan(model_id: &str, request: &Map<String, Value>) -> Result<Option<Plan>, ApiError> {
    let tools = request.get("toolConfig").and_then(|config| config.get("tools")).and_then(Value::as_array);
    let messages = request.get("messages").and_then(Value::as_array);
    let mut blocks = tools
        .into_iter()
        .flatten()
        .chain(request.get("system").and_then(Value::as_array).into_iter().flatten())
        .chain(messages.into_iter().flatten().filter_map(|message| message["content"].as_array()).flatten());
    if !blocks.any(|block| block.get("cachePoint").is_some()) {
        return Ok(None);
    }
    let mut prefix = PrefixBuilder::new(model_id);
    let point = |prefix: &mut PrefixBuilder, path: String, inner: &Value, section: Section| -> Result<(), ApiError> {
        let type_path = format!("{path}.type");
        match inner.get("type") {
            None | Some(Value::Null) => return Err(ApiError::member(&type_path, "Member must not be null")),
            Some(Value::String(kind)) if kind == "default" => {}
            Some(_) => return Err(ApiError::member(&type_path, "Member must satisfy enum value set: [default]")),
        }
        let ttl = ttl_of(&format!("{path}.ttl"), inner.get("ttl"))?;
        prefix.point(ttl, section, path);
        Ok(())
    };
    for (index, tool) in tools.into_iter().flatten().enumerate() {
        match tool.get("cachePoint") {
            Some(inner) => point(&mut prefix, format!("toolConfig.tools[{index}].cachePoint"), inner, Section::Tools)?,
            None => prefix.block(&format!("tool:{tool}"), tokenizer::converse_tool(tool)),
        }
    }
    for (index, block) in request.get("system").and_then(Value::as_array).into_iter().flatten().enumerate() {
        match block.get("cachePoint") {
            Some(inner) => point(&mut prefix, format!("system[{index}].cachePoint"), inner, Section::System)?,
            None => prefix.block(&format!("system:{block}"), tokenizer::converse_block(block)),
        }
    }
    for (message_index, message) in messages.into_iter().flatten().enumerate() {
        let role = message["role"].as_str().unwrap_or_default();
        for (index, block) in message["content"].as_array().into_iter().flatten().enumerate() {
            match block.get("cachePoint") {
                Some(inner) => {
                    let path = format!("messages[{message_index}].content[{index}].cachePoint");
                    point(&mut prefix, path, inner, Section::Messages)?;
                }
                None => {
                    let start = if index == 0 { "message:" } else { "" };
                    prefix.block(&format!("{start}{role}:{block}"), tokenizer::converse_block(block));
                }
            }
        }
    }
    finish(model_id, prefix, Dialect::Converse)
}

/// The `cache_control` blocks of an Anthropic Messages body (InvokeModel, InvokeModelWithResponseStream),
/// as cache points (or `None` when it has none), checked against the model. The blocks count as
/// InvokeModel counts them: a `system` or `content` string as its text, a text block as its text,
/// any other block and each tool as its compact JSON.
pub fn anthropic_plan(model_id: &str, body: &Map<String, Value>) -> Result<Option<Plan>, ApiError> {
    let marked = |value: Option<&Value>| {
        value.and_then(Value::as_array).into_iter().flatten().any(|block| block.get("cache_control").is_some())
    };
    let mut messages = body.get("messages").and_then(Value::as_array).into_iter().flatten();
    if !marked(body.get("tools")) && !marked(body.get("system")) && !messages.any(|m| marked(m.get("content"))) {
        return Ok(None);
    }
    let mut prefix = PrefixBuilder::new(model_id);
    let marker = |prefix: &mut PrefixBuilder, path: &str, value: &Value, section: Section| -> Result<(), ApiError> {
        let Some(control) = value.get("cache_control").filter(|control| !control.is_null()) else {
            return Ok(());
        };
        if control["type"] != "ephemeral" {
            return Err(ApiError::malformed(format_args!(
                "#/{path}/cache_control/type: expected `ephemeral`, found {}",
                control["type"]
            )));
        }
        let ttl = match control.get("ttl") {
            None | Some(Value::Null) => Ttl::FiveMinutes,
            Some(ttl) if ttl == "5m" => Ttl::FiveMinutes,
            Some(ttl) if ttl == "1h" => Ttl::OneHour,
            Some(other) => {
                return Err(ApiError::malformed(format_args!(
                    "#/{path}/cache_control/ttl: expected `5m` or `1h`, found {other}"
                )));
            }
        };
        prefix.point(ttl, section, format!("{path}/cache_control"));
        Ok(())
    };
    for (index, tool) in body.get("tools").and_then(Value::as_array).into_iter().flatten().enumerate() {
        prefix.block(&format!("tool:{}", bytes_without(tool, "cache_control")), tokenizer::count(&tool.to_string()));
        marker(&mut prefix, &format!("tools/{index}"), tool, Section::Tools)?;
    }
    match body.get("system") {
        Some(Value::String(text)) => {
            prefix.block(&format!("system:{}", Value::String(text.clone())), tokenizer::count(text))
        }
        Some(Value::Array(blocks)) => {
            for (index, block) in blocks.iter().enumerate() {
                prefix.block(
                    &format!("system:{}", bytes_without(block, "cache_control")),
                    tokenizer::anthropic_block(block),
                );
                marker(&mut prefix, &format!("system/{index}"), block, Section::System)?;
            }
        }
        _ => {}
    }
    for (message_index, message) in body.get("messages").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let role = message["role"].as_str().unwrap_or_default();
        match &message["content"] {
            Value::String(text) => {
                prefix.block(&format!("message:{role}:{}", Value::String(text.clone())), tokenizer::count(text));
            }
            Value::Array(blocks) => {
                for (index, block) in blocks.iter().enumerate() {
                    let start = if index == 0 { "message:" } else { "" };
                    let bytes = format!("{start}{role}:{}", bytes_without(block, "cache_control"));
                    prefix.block(&bytes, tokenizer::anthropic_block(block));
                    marker(
                        &mut prefix,
                        &format!("messages/{message_index}/content/{index}"),
                        block,
                        Section::Messages,
                    )?;
                }
            }
            _ => {}
        }
    }
    finish(model_id, prefix, Dialect::Anthropic)
}

/// Whose words the errors use: Bedrock's Converse, or Anthropic's (InvokeModel passes a body on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Converse,
    Anthropic,
}

/// Checks the cache points against the model and Bedrock's limits; keeps those far enough apart.
fn finish(model_id: &str, prefix: PrefixBuilder, dialect: Dialect) -> Result<Option<Plan>, ApiError> {
    let PrefixBuilder { keys, tokens, points, .. } = prefix;
    if points.is_empty() {
        return Ok(None);
    }
    if points.len() > MAX_CACHE_POINTS {
        return Err(ApiError::validation(match dialect {
            Dialect::Converse => format!(
                "The request has {} cache points; a request may have at most {MAX_CACHE_POINTS}. Remove cache points and try again.",
                points.len()
            ),
            Dialect::Anthropic => format!(
                "A maximum of {MAX_CACHE_POINTS} blocks with cache_control may be provided. Found {}.",
                points.len()
            ),
        }));
    }
    let caching = model_caching(model_id).ok_or_else(|| {
        ApiError::new(
            "AccessDeniedException",
            403,
            "You invoked an unsupported model or your request did not allow prompt caching. \
             See the documentation for more information.",
        )
    })?;
    if let Some(point) = points.iter().find(|point| point.section == Section::Tools && !caching.tools) {
        return Err(ApiError::validation(format!(
            "{}: the model {model_id} does not cache tools; put cache points in system or messages only.",
            point.path
        )));
    }
    if let Some(point) = points.iter().find(|point| point.ttl == Ttl::OneHour && !caching.one_hour) {
        return Err(ApiError::validation(format!(
            "{}: the model {model_id} does not offer the 1h time to live; use 5m or leave ttl out.",
            point.path
        )));
    }
    if let Some(pair) = points.windows(2).find(|pair| pair[1].ttl > pair[0].ttl) {
        return Err(ApiError::validation(format!(
            "{}: a cache point with ttl {} may not follow one with ttl {} ({}); longer times to live come first \
             (tools, then system, then messages).",
            pair[1].path,
            pair[1].ttl.as_str(),
            pair[0].ttl.as_str(),
            pair[0].path
        )));
    }
    let mut effective: Vec<Point> = Vec::new();
    let mut covered = 0;
    for point in &points {
        if tokens[point.at] >= covered + caching.min_tokens {
            covered = tokens[point.at];
            effective.push(point.clone());
        }
    }
    Ok(Some(Plan { keys, tokens, points, effective, lookback: caching.lookback }))
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    expires: Instant,
    ttl: Ttl,
}

/// One emulator's prompt cache.
#[derive(Debug, Default)]
pub struct PromptCache {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl PromptCache {
    fn entries(&self) -> MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads and writes the cache for one request at `now` (the emulator's clock), and says what
    /// was read and written.
    pub fn apply(&self, plan: &Plan, now: Instant) -> CacheUsage {
        let mut entries = self.entries();
        entries.retain(|_, entry| entry.expires > now);

        // The longest cached prefix: at a cache point, or (Claude) up to 20 blocks before one.
        let mut candidates: Vec<usize> = Vec::new();
        for point in &plan.points {
            let back = if plan.lookback { LOOKBACK_BLOCKS } else { 0 };
            candidates.extend((point.at.saturating_sub(back)..=point.at).filter(|at| *at > 0));
        }
        candidates.sort_unstable();
        candidates.dedup();
        let read_at = candidates.iter().rev().copied().find(|at| entries.contains_key(&plan.keys[*at])).unwrap_or(0);
        for at in candidates.iter().copied().filter(|at| *at <= read_at) {
            if let Some(entry) = entries.get_mut(&plan.keys[at]) {
                entry.expires = now + entry.ttl.duration();
            }
        }

        let mut usage = CacheUsage { read: plan.tokens[read_at], ..CacheUsage::default() };
        let mut written_up_to = usage.read;
        for point in plan.effective.iter().filter(|point| point.at > read_at) {
            entries.insert(plan.keys[point.at], Entry { expires: now + point.ttl.duration(), ttl: point.ttl });
            if point.ttl == Ttl::OneHour {
                usage.write_one_hour += plan.tokens[point.at] - written_up_to;
            }
            written_up_to = plan.tokens[point.at];
        }
        usage.write = written_up_to - usage.read;

        if entries.len() > MAX_ENTRIES {
            let mut by_expiry: Vec<(Instant, Key)> = entries.iter().map(|(key, entry)| (entry.expires, *key)).collect();
            by_expiry.sort_unstable();
            for (_, key) in by_expiry.into_iter().take(entries.len() - MAX_ENTRIES) {
                entries.remove(&key);
            }
        }
        usage
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

    fn words(count: usize) -> String {
        (0..count).map(|index| format!("w{index}")).collect::<Vec<_>>().join(" ")
    }

    fn converse(model_id: &str, request: Value) -> Result<Option<Plan>, ApiError> {
        converse_plan(model_id, request.as_object().unwrap())
    }

    fn cached_request(system_words: usize, question: &str) -> Value {
        json!({
            "system": [{"text": words(system_words)}, {"cachePoint": {"type": "default"}}],
            "messages": [{"role": "user", "content": [{"text": question}]}],
        })
    }

    #[test]
    fn first_use_writes_later_uses_read_until_the_entry_expires() {
        let cache = PromptCache::default();
        let plan = converse(SONNET, cached_request(1_500, "one")).unwrap().unwrap();
        let start = Instant::now();
        let written = cache.apply(&plan, start);
        assert_eq!(written, CacheUsage { read: 0, write: 1_500, write_one_hour: 0 });
        assert_eq!(written.details(), vec![(Ttl::FiveMinutes, 1_500)]);
        let other = converse(SONNET, cached_request(1_500, "two")).unwrap().unwrap();
        let later = start + Duration::from_secs(4 * 60);
        assert_eq!(cache.apply(&other, later), CacheUsage { read: 1_500, write: 0, write_one_hour: 0 });
        // The read renewed the entry: 4 more minutes later it still lives.
        assert_eq!(cache.apply(&other, later + Duration::from_secs(4 * 60)).read, 1_500);
        // 5 minutes without a read: gone, written again.
        let expired = cache.apply(&other, later + Duration::from_secs(9 * 60 + 1));
        assert_eq!((expired.read, expired.write), (0, 1_500));
    }

    #[test]
    fn a_prefix_below_the_minimum_is_not_cached() {
        let cache = PromptCache::default();
        let plan = converse(SONNET, cached_request(1_000, "q")).unwrap().unwrap();
        assert_eq!(cache.apply(&plan, Instant::now()), CacheUsage::default());
        let haiku = converse("anthropic.claude-3-5-haiku-20241022-v1:0", cached_request(2_000, "q")).unwrap().unwrap();
        assert_eq!(cache.apply(&haiku, Instant::now()).write, 0, "Claude 3.5 Haiku needs 2,048");
        let nova = converse("us.amazon.nova-pro-v1:0", cached_request(1_000, "q")).unwrap().unwrap();
        assert_eq!(cache.apply(&nova, Instant::now()).write, 1_000, "Nova needs 1,000");
    }

    #[test]
    fn a_longer_prefix_reads_the_cached_part_and_writes_the_rest() {
        let cache = PromptCache::default();
        let now = Instant::now();
        cache.apply(&converse(SONNET, cached_request(1_100, "q")).unwrap().unwrap(), now);
        let longer = json!({
            "system": [{"text": words(1_100)}, {"cachePoint": {"type": "default"}}],
            "messages": [{"role": "user", "content": [{"text": words(1_200)}, {"cachePoint": {"type": "default"}}, {"text": "tail"}]}],
        });
        let usage = cache.apply(&converse(SONNET, longer).unwrap().unwrap(), now);
        assert_eq!(usage, CacheUsage { read: 1_100, write: 1_200, write_one_hour: 0 });
    }

    #[test]
    fn claude_looks_back_for_a_prefix_cached_at_an_earlier_block() {
        let cache = PromptCache::default();
        let now = Instant::now();
        let first = json!({"messages": [{"role": "user", "content": [{"text": words(1_100)}, {"cachePoint": {"type": "default"}}]}]});
        cache.apply(&converse(SONNET, first).unwrap().unwrap(), now);
        // The next turn moves the cache point to its own end: the first turn's prefix is found.
        let second = json!({"messages": [
            {"role": "user", "content": [{"text": words(1_100)}]},
            {"role": "assistant", "content": [{"text": "answer"}]},
            {"role": "user", "content": [{"text": "more"}, {"cachePoint": {"type": "default"}}]},
        ]});
        let usage = cache.apply(&converse(SONNET, second.clone()).unwrap().unwrap(), now);
        assert_eq!((usage.read, usage.write), (1_100, 2), "the rest up to the new cache point is written");
        assert_eq!(cache.apply(&converse(SONNET, second.clone()).unwrap().unwrap(), now).read, 1_102);
        // Nova does not look back.
        let nova = PromptCache::default();
        let first = json!({"messages": [{"role": "user", "content": [{"text": words(1_100)}, {"cachePoint": {"type": "default"}}]}]});
        nova.apply(&converse("amazon.nova-lite-v1:0", first).unwrap().unwrap(), now);
        assert_eq!(nova.apply(&converse("amazon.nova-lite-v1:0", second).unwrap().unwrap(), now).read, 0);
    }

    #[test]
    fn the_cache_is_keyed_by_model_and_exact_prefix() {
        let cache = PromptCache::default();
        let now = Instant::now();
        cache.apply(&converse(SONNET, cached_request(1_100, "q")).unwrap().unwrap(), now);
        let other_model =
            converse("anthropic.claude-3-7-sonnet-20250219-v1:0", cached_request(1_100, "q")).unwrap().unwrap();
        assert_eq!(cache.apply(&other_model, now).read, 0);
        let mut changed = cached_request(1_100, "q");
        changed["system"][0]["text"] = json!(format!("{} x", words(1_099)));
        assert_eq!(cache.apply(&converse(SONNET, changed).unwrap().unwrap(), now).read, 0);
    }

    #[test]
    fn one_hour_entries_outlive_five_minute_ones_and_come_first_in_details() {
        let cache = PromptCache::default();
        let now = Instant::now();
        let request = json!({
            "system": [{"text": words(1_100)}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
            "messages": [{"role": "user", "content": [{"text": words(1_050)}, {"cachePoint": {"type": "default", "ttl": "5m"}}]}],
        });
        let plan = converse(SONNET, request).unwrap().unwrap();
        let usage = cache.apply(&plan, now);
        assert_eq!(usage.details(), vec![(Ttl::OneHour, 1_100), (Ttl::FiveMinutes, 1_050)]);
        let usage = cache.apply(&plan, now + Duration::from_secs(30 * 60));
        assert_eq!((usage.read, usage.write), (1_100, 1_050));
    }

    #[test]
    fn limits_and_unsupported_models_are_refused_as_bedrock_does() {
        let point = json!({"cachePoint": {"type": "default"}});
        let five = json!({"system": [{"text": "a"}, point, {"text": "b"}, point, {"text": "c"}, point, {"text": "d"}, point, {"text": "e"}, point],
                          "messages": [{"role": "user", "content": [{"text": "q"}]}]});
        let error = converse(SONNET, five).unwrap_err();
        assert_eq!(error.name, "ValidationException");
        assert!(error.message.contains("at most 4"), "{}", error.message);

        let error = converse("anthropic.claude-3-haiku-20240307-v1:0", cached_request(10, "q")).unwrap_err();
        assert_eq!((error.name.as_str(), error.status.as_u16()), ("AccessDeniedException", 403));

        let tools = json!({"toolConfig": {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {}}}}, point]},
                           "messages": [{"role": "user", "content": [{"text": "q"}]}]});
        assert!(
            converse("amazon.nova-pro-v1:0", tools.clone())
                .unwrap_err()
                .message
                .contains("toolConfig.tools[1].cachePoint")
        );
        assert!(converse(SONNET, tools).unwrap().is_some());

        let hour = json!({"system": [{"text": "a"}, {"cachePoint": {"type": "default", "ttl": "1h"}}], "messages": []});
        assert!(converse("anthropic.claude-3-7-sonnet-20250219-v1:0", hour).unwrap_err().message.contains("1h"));
        let increasing = json!({"system": [{"text": "a"}, {"cachePoint": {"type": "default"}}],
                                "messages": [{"role": "user", "content": [{"text": "q"}, {"cachePoint": {"type": "default", "ttl": "1h"}}]}]});
        assert!(converse(SONNET, increasing).unwrap_err().message.contains("messages[0].content[1].cachePoint"));
        let bad_ttl = json!({"system": [{"text": "a"}, {"cachePoint": {"type": "default", "ttl": "2h"}}]});
        assert!(converse(SONNET, bad_ttl).unwrap_err().message.contains("system[1].cachePoint.ttl"));
        assert!(
            converse(SONNET, json!({"messages": [{"role": "user", "content": [{"text": "q"}]}]})).unwrap().is_none()
        );
    }

    #[test]
    fn anthropic_bodies_cache_like_converse() {
        let cache = PromptCache::default();
        let now = Instant::now();
        let body = json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
            "system": [{"type": "text", "text": words(1_200), "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": "hi"}],
        });
        let plan = anthropic_plan(SONNET, body.as_object().unwrap()).unwrap().unwrap();
        assert_eq!(cache.apply(&plan, now).write, 1_200);
        assert_eq!(cache.apply(&plan, now).read, 1_200);
        let five: Vec<Value> =
            (0..5).map(|_| json!({"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}})).collect();
        let body = json!({"anthropic_version": "x", "max_tokens": 1, "messages": [{"role": "user", "content": five}]});
        let error = anthropic_plan(SONNET, body.as_object().unwrap()).unwrap_err();
        assert!(
            error.message.contains("A maximum of 4 blocks with cache_control may be provided. Found 5."),
            "{}",
            error.message
        );
    }
}
