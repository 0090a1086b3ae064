//! Scripts (docs/emulator.md "Scripts"): rules tried in order, guardrail definitions and async settings,
//! parsed from JSON with errors that name the rule index and key.
//!
//! This is the script model: every type a script deserializes into (rules, content [`Block`]s,
//! [`GuardrailDef`]s, the async outcome) and the [`Facts`] rules match against. It imports no
//! operation module; `reply`, `guardrails` and the operations build on it.

use std::collections::BTreeMap;
use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::errors::known_status;
use super::validation::{MAX_BODY_DEPTH, MAX_DOCUMENT_DEPTH, text_depth, value_depth};

/// The largest token count a script may give: Bedrock's usage members are int32.
pub const MAX_TOKEN_COUNT: u64 = i32::MAX as u64;

/// A script could not be used; `path` is where in the JSON (`rules[2].when.operation`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ScriptError {
    pub path: String,
    pub message: String,
}

/// The exception members a stream may end with (ConverseStream's five plus InvokeModel's modelTimeoutException).
const STREAM_EXCEPTIONS: &[&str] = &[
    "internalServerException",
    "modelStreamErrorException",
    "validationException",
    "throttlingException",
    "serviceUnavailableException",
    "modelTimeoutException",
];

/// The script as written in JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScriptFile {
    #[serde(default)]
    rules: Vec<RuleFile>,
    #[serde(default)]
    guardrails: BTreeMap<String, GuardrailDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    async_job_duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    async_job_outcome: Option<AsyncJobOutcome>,
    /// Moves the prompt cache's clock forward, so tests can expire cache entries without waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clock_offset_ms: Option<u64>,
}

/// How async jobs end (`asyncJobOutcome`): `Completed` (the default, output written) or `Failed`
/// with a `failureMessage`, so clients can test their handling of failed jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AsyncJobOutcome {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    when: WhenFile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    respond: Option<Respond>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fail: Option<Fail>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WhenFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_user_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after_tool_result: Option<bool>,
}

/// What a matching rule answers instead of the default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Respond {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageOverride>,
    /// InvokeModel's raw response body (sent as one chunk by the stream variant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_after_events: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_exception: Option<StreamException>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    /// Forces `cacheReadInputTokens` (`cache_read_input_tokens` in an Anthropic answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    /// Forces `cacheWriteInputTokens` (`cache_creation_input_tokens` in an Anthropic answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_input_tokens: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StreamException {
    /// The lower-camel exception member, e.g. `modelStreamErrorException`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_status_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_message: Option<String>,
}

/// An error answer: `error` is the exception name; `status` defaults to the modelled one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fail {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A checked script: regexes compiled, content blocks parsed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(try_from = "ScriptFile", into = "ScriptFile")]
pub struct Script {
    file: ScriptFile,
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    operation: Option<Regex>,
    model_id: Option<Regex>,
    last_user_text: Option<Regex>,
    after_tool_result: Option<bool>,
    times: Option<u32>,
    action: Action,
}

/// What a rule does when it matches.
#[derive(Debug, Clone)]
pub enum Action {
    Respond(Arc<ScriptedReply>),
    Fail(Fail),
}

/// A `respond` with its content parsed into blocks.
#[derive(Debug, Clone)]
pub struct ScriptedReply {
    pub respond: Respond,
    pub blocks: Option<Vec<Block>>,
}

/// A block of the assistant's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Text(String),
    /// `raw_input`, when scripted, is streamed as the input deltas instead of
    /// `input`'s JSON, so a script can make the model write broken JSON.
    ToolUse {
        id: Option<String>,
        name: String,
        input: Value,
        raw_input: Option<String>,
    },
    Reasoning {
        text: String,
        signature: Option<String>,
    },
}

impl Block {
    /// Parses a Converse content block given in a script's `respond.content`.
    pub fn from_script(value: &Value) -> Result<Block, String> {
        let object = value.as_object().filter(|object| object.len() == 1).ok_or_else(|| {
            "a content block is an object with exactly one key: `text`, `toolUse` or `reasoningContent`".to_owned()
        })?;
        let (key, inner) = object.iter().next().expect("checked: one key");
        match key.as_str() {
            "text" => {
                inner.as_str().map(|text| Block::Text(text.to_owned())).ok_or_else(|| "`text` must be a string".into())
            }
            "toolUse" => {
                let name = inner.get("name").and_then(Value::as_str).ok_or("`toolUse.name` must be a string")?;
                let id = match inner.get("toolUseId") {
                    None => None,
                    Some(Value::String(id)) => Some(id.clone()),
                    Some(_) => return Err("`toolUse.toolUseId` must be a string".into()),
                };
                let input = inner.get("input").cloned().unwrap_or_else(|| json!({}));
                let too_deep = |member: &str, depth: usize| {
                    format!(
                        "`toolUse.{member}` nests {depth} levels of arrays and objects; the emulator accepts tool \
                         input nested at most {MAX_DOCUMENT_DEPTH} levels back, so it produces none deeper"
                    )
                };
                let depth = value_depth(&input);
                if depth > MAX_DOCUMENT_DEPTH {
                    return Err(too_deep("input", depth));
                }
                let raw_input = match inner.get("rawInput") {
                    None => None,
                    Some(Value::String(raw)) => {
                        let depth = text_depth(raw.as_bytes());
                        if depth > MAX_DOCUMENT_DEPTH {
                            return Err(too_deep("rawInput", depth));
                        }
                        Some(raw.clone())
                    }
                    Some(_) => {
                        return Err("`toolUse.rawInput` must be a string (the text streamed as the input)".into());
                    }
                };
                Ok(Block::ToolUse { id, name: name.to_owned(), input, raw_input })
            }
            "reasoningContent" => {
                let reasoning = inner.get("reasoningText").ok_or("`reasoningContent` needs `reasoningText`")?;
                let text =
                    reasoning.get("text").and_then(Value::as_str).ok_or("`reasoningText.text` must be a string")?;
                let signature = reasoning.get("signature").and_then(Value::as_str).map(str::to_owned);
                Ok(Block::Reasoning { text: text.to_owned(), signature })
            }
            other => Err(format!("`{other}` blocks cannot be scripted; use `text`, `toolUse` or `reasoningContent`")),
        }
    }
}

/// What a guardrail answers instead when its definition gives no `blockedMessage`.
const DEFAULT_BLOCKED_MESSAGE: &str = "Sorry, the model cannot answer this question.";

/// A guardrail the script defines (`guardrails.<id>`): blocked words, matched case-insensitively.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuardrailDef {
    /// The version this guardrail answers to besides `DRAFT`; any version when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default)]
    pub blocked_words: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_message: Option<String>,
}

impl GuardrailDef {
    pub fn blocked_message(&self) -> &str {
        self.blocked_message.as_deref().unwrap_or(DEFAULT_BLOCKED_MESSAGE)
    }

    /// The blocked words found in `text`, as the definition spells them.
    pub fn matches(&self, text: &str) -> Vec<String> {
        let text = text.to_lowercase();
        self.blocked_words
            .iter()
            .filter(|word| !word.is_empty() && text.contains(&word.to_lowercase()))
            .cloned()
            .collect()
    }
}

impl Script {
    pub fn from_json(text: &str) -> Result<Script, ScriptError> {
        // A script may hold tool input as deep as a request may (serde_json's own limit is lower):
        // measured first, so the parser's recursion stays bounded.
        let depth = text_depth(text.as_bytes());
        if depth > MAX_BODY_DEPTH {
            return Err(ScriptError {
                path: "script".into(),
                message: format!(
                    "it nests {depth} levels of arrays and objects, more than the {MAX_BODY_DEPTH} accepted"
                ),
            });
        }
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        deserializer.disable_recursion_limit();
        let file: ScriptFile = serde_path_to_error::deserialize(&mut *deserializer).map_err(|error| {
            let path = error.path().to_string();
            ScriptError {
                path: if path == "." { "script".into() } else { path },
                message: error.into_inner().to_string(),
            }
        })?;
        Script::try_from(file)
    }

    pub fn guardrails(&self) -> &BTreeMap<String, GuardrailDef> {
        &self.file.guardrails
    }

    pub fn async_job_duration_ms(&self) -> Option<u64> {
        self.file.async_job_duration_ms
    }

    /// The failure message every async job ends with, when the script makes jobs fail.
    pub fn async_job_failure(&self) -> Option<&str> {
        self.file
            .async_job_outcome
            .as_ref()
            .filter(|outcome| outcome.status == "Failed")
            .map(|outcome| outcome.failure_message.as_deref().unwrap_or(DEFAULT_ASYNC_FAILURE))
    }

    /// How far the script moves the prompt cache's clock forward (`clockOffsetMs`), in milliseconds.
    pub fn clock_offset_ms(&self) -> u64 {
        self.file.clock_offset_ms.unwrap_or(0)
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }
}

impl From<Script> for ScriptFile {
    fn from(script: Script) -> Self {
        script.file
    }
}

fn regex(path: String, pattern: &Option<String>) -> Result<Option<Regex>, ScriptError> {
    pattern
        .as_deref()
        .map(|pattern| {
            Regex::new(pattern).map_err(|error| ScriptError { path, message: format!("invalid regex: {error}") })
        })
        .transpose()
}

impl TryFrom<ScriptFile> for Script {
    type Error = ScriptError;

    fn try_from(file: ScriptFile) -> Result<Self, ScriptError> {
        if let Some(outcome) = &file.async_job_outcome {
            check_async_outcome(outcome)?;
        }
        let mut rules = Vec::with_capacity(file.rules.len());
        for (index, rule) in file.rules.iter().enumerate() {
            let at = |key: &str| format!("rules[{index}].{key}");
            let action = match (&rule.respond, &rule.fail) {
                (Some(respond), None) => Action::Respond(Arc::new(check_respond(&at("respond"), respond)?)),
                (None, Some(fail)) => Action::Fail(check_fail(&at("fail"), fail)?),
                _ => {
                    return Err(ScriptError {
                        path: format!("rules[{index}]"),
                        message: "give exactly one of `respond` or `fail`".into(),
                    });
                }
            };
            rules.push(Rule {
                operation: regex(at("when.operation"), &rule.when.operation)?,
                model_id: regex(at("when.modelId"), &rule.when.model_id)?,
                last_user_text: regex(at("when.lastUserText"), &rule.when.last_user_text)?,
                after_tool_result: rule.when.after_tool_result,
                times: rule.times,
                action,
            });
        }
        Ok(Script { file, rules })
    }
}

/// The failure message of a `Failed` outcome that gives none.
const DEFAULT_ASYNC_FAILURE: &str = "The emulator's script made this job fail.";

fn check_async_outcome(outcome: &AsyncJobOutcome) -> Result<(), ScriptError> {
    match outcome.status.as_str() {
        "Failed" => Ok(()),
        "Completed" if outcome.failure_message.is_none() => Ok(()),
        "Completed" => Err(ScriptError {
            path: "asyncJobOutcome.failureMessage".into(),
            message: "a failureMessage goes with status `Failed` only".into(),
        }),
        other => Err(ScriptError {
            path: "asyncJobOutcome.status".into(),
            message: format!("`{other}` is not an end status; use `Completed` or `Failed`"),
        }),
    }
}

fn check_fail(path: &str, fail: &Fail) -> Result<Fail, ScriptError> {
    let status = match fail.status {
        Some(status) if (400..=599).contains(&status) => status,
        Some(status) => {
            return Err(ScriptError {
                path: format!("{path}.status"),
                message: format!("{status} is not an error status; use 400-599"),
            });
        }
        None => known_status(&fail.error).ok_or_else(|| ScriptError {
            path: format!("{path}.status"),
            message: format!("`{}` is not a modelled Bedrock exception, so give its status", fail.error),
        })?,
    };
    if fail.error.is_empty() || !fail.error.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ScriptError {
            path: format!("{path}.error"),
            message: format!("`{}` is not an exception name such as ThrottlingException", fail.error),
        });
    }
    Ok(Fail { status: Some(status), ..fail.clone() })
}

fn check_respond(path: &str, respond: &Respond) -> Result<ScriptedReply, ScriptError> {
    if let Some(exception) = &respond.stream_exception
        && !STREAM_EXCEPTIONS.contains(&exception.kind.as_str())
    {
        return Err(ScriptError {
            path: format!("{path}.streamException.type"),
            message: format!("`{}` is not a stream exception; use one of {STREAM_EXCEPTIONS:?}", exception.kind),
        });
    }
    if let Some(usage) = &respond.usage {
        for (member, count) in [
            ("inputTokens", usage.input_tokens),
            ("outputTokens", usage.output_tokens),
            ("totalTokens", usage.total_tokens),
        ] {
            if let Some(count) = count.filter(|count| *count > MAX_TOKEN_COUNT) {
                return Err(ScriptError {
                    path: format!("{path}.usage.{member}"),
                    message: format!(
                        "{count} does not fit Bedrock's token counts (32-bit integers); give at most {MAX_TOKEN_COUNT}"
                    ),
                });
            }
        }
    }
    let blocks = respond
        .content
        .as_ref()
        .map(|content| {
            content
                .iter()
                .enumerate()
                .map(|(index, block)| {
                    Block::from_script(block)
                        .map_err(|message| ScriptError { path: format!("{path}.content[{index}]"), message })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    Ok(ScriptedReply { respond: respond.clone(), blocks })
}

/// What the router knows about a request when it consults the script.
pub struct Facts<'a> {
    pub operation: &'static str,
    pub model_id: Option<&'a str>,
    pub last_user_text: Option<&'a str>,
    pub after_tool_result: bool,
    /// Whether the operation produces a model answer, so `respond` rules apply to it.
    pub answers: bool,
}

/// The script in force and how often each rule has answered.
pub struct ScriptState {
    pub script: Arc<Script>,
    used: Vec<u32>,
}

impl ScriptState {
    pub fn new(script: Script) -> Self {
        let used = vec![0; script.rule_count()];
        ScriptState { script: Arc::new(script), used }
    }

    /// The first rule that matches and still has answers left; counts the answer.
    pub fn decide(&mut self, facts: &Facts<'_>) -> Option<Action> {
        let script = Arc::clone(&self.script);
        for (rule, used) in script.rules.iter().zip(self.used.iter_mut()) {
            let text_matches = |pattern: &Option<Regex>, value: Option<&str>| match pattern {
                None => true,
                Some(pattern) => value.is_some_and(|value| pattern.is_match(value)),
            };
            let matches = text_matches(&rule.operation, Some(facts.operation))
                && text_matches(&rule.model_id, facts.model_id)
                && text_matches(&rule.last_user_text, facts.last_user_text)
                && rule.after_tool_result.is_none_or(|wanted| wanted == facts.after_tool_result)
                && (facts.answers || matches!(rule.action, Action::Fail(_)))
                && rule.times.is_none_or(|times| *used < times);
            if matches {
                *used += 1;
                return Some(rule.action.clone());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(operation: &'static str) -> Facts<'static> {
        Facts {
            operation,
            model_id: Some("anthropic.claude"),
            last_user_text: Some("hi"),
            after_tool_result: false,
            answers: true,
        }
    }

    #[test]
    fn errors_name_rule_index_and_key() {
        let bad_regex = r#"{"rules":[{"respond":{}},{"respond":{}},{"when":{"operation":"("},"respond":{}}]}"#;
        let error = Script::from_json(bad_regex).unwrap_err();
        assert_eq!(error.path, "rules[2].when.operation");
        assert!(error.to_string().starts_with("rules[2].when.operation: invalid regex"), "{error}");

        let unknown_key = r#"{"rules":[{"when":{"model":"x"},"respond":{}}]}"#;
        assert_eq!(Script::from_json(unknown_key).unwrap_err().path, "rules[0].when.model");

        let both = r#"{"rules":[{"respond":{},"fail":{"error":"ThrottlingException"}}]}"#;
        assert_eq!(Script::from_json(both).unwrap_err().path, "rules[0]");

        let bad_block = r#"{"rules":[{"respond":{"content":[{"text":"a","image":{}}]}}]}"#;
        assert_eq!(Script::from_json(bad_block).unwrap_err().path, "rules[0].respond.content[0]");

        let bad_outcome = r#"{"asyncJobOutcome":{"status":"InProgress"}}"#;
        assert_eq!(Script::from_json(bad_outcome).unwrap_err().path, "asyncJobOutcome.status");
    }

    #[test]
    fn token_counts_beyond_int32_are_refused_naming_the_member() {
        let script = |usage: &str| format!(r#"{{"rules":[{{"respond":{{"usage":{usage}}}}}]}}"#);
        let error = Script::from_json(&script(r#"{"outputTokens": 18446744073709551615}"#)).unwrap_err();
        assert_eq!(error.path, "rules[0].respond.usage.outputTokens");
        assert!(error.message.contains("at most 2147483647"), "{error}");
        let error = Script::from_json(&script(r#"{"totalTokens": 2147483648}"#)).unwrap_err();
        assert_eq!(error.path, "rules[0].respond.usage.totalTokens");
        assert!(Script::from_json(&script(r#"{"inputTokens": 2147483647, "outputTokens": 2147483647}"#)).is_ok());
    }

    #[test]
    fn tool_input_deeper_than_the_emulator_accepts_is_refused() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let with_input = |input: &str| {
            format!(r#"{{"rules":[{{"respond":{{"content":[{{"toolUse":{{"name":"t","input":{input}}}}}]}}}}]}}"#)
        };
        assert!(Script::from_json(&with_input(&nested(MAX_DOCUMENT_DEPTH))).is_ok(), "the limit itself is accepted");
        let error = Script::from_json(&with_input(&nested(MAX_DOCUMENT_DEPTH + 1))).unwrap_err();
        assert_eq!(error.path, "rules[0].respond.content[0]");
        assert!(error.message.contains("`toolUse.input` nests 129 levels"), "{error}");

        let with_raw = |raw: &str| {
            json!({"rules": [{"respond": {"content": [{"toolUse": {"name": "t", "rawInput": raw}}]}}]}).to_string()
        };
        assert!(Script::from_json(&with_raw(&nested(MAX_DOCUMENT_DEPTH))).is_ok());
        assert!(Script::from_json(&with_raw("{\"broken\": [")).is_ok(), "broken JSON stays scriptable");
        let error = Script::from_json(&with_raw(&nested(MAX_DOCUMENT_DEPTH + 1))).unwrap_err();
        assert!(error.message.contains("`toolUse.rawInput` nests 129 levels"), "{error}");

        let error = Script::from_json(&nested(MAX_BODY_DEPTH + 1)).unwrap_err();
        assert_eq!(error.path, "script");
    }

    #[test]
    fn clock_offset_and_cache_counts_are_script_fields() {
        let script = Script::from_json(
            r#"{"clockOffsetMs": 300001, "rules": [{"respond": {"usage": {"cacheReadInputTokens": 7, "cacheWriteInputTokens": 3}}}]}"#,
        )
        .unwrap();
        assert_eq!(script.clock_offset_ms(), 300_001);
        assert_eq!(Script::default().clock_offset_ms(), 0);
        let echoed = serde_json::to_value(&script).unwrap();
        assert_eq!(echoed["clockOffsetMs"], 300_001, "GET /_emulator/script shows it");
        assert_eq!(
            echoed["rules"][0]["respond"]["usage"],
            json!({"cacheReadInputTokens": 7, "cacheWriteInputTokens": 3})
        );
        assert_eq!(Script::from_json(r#"{"clockOffsetMs": -1}"#).unwrap_err().path, "clockOffsetMs");
    }

    #[test]
    fn async_job_outcome_gives_the_failure_message() {
        let failing = Script::from_json(r#"{"asyncJobOutcome":{"status":"Failed","failureMessage":"quota"}}"#).unwrap();
        assert_eq!(failing.async_job_failure(), Some("quota"));
        let silent = Script::from_json(r#"{"asyncJobOutcome":{"status":"Failed"}}"#).unwrap();
        assert_eq!(silent.async_job_failure(), Some(DEFAULT_ASYNC_FAILURE));
        let completing = Script::from_json(r#"{"asyncJobOutcome":{"status":"Completed"}}"#).unwrap();
        assert_eq!(completing.async_job_failure(), None);
        assert_eq!(Script::default().async_job_failure(), None);
    }

    #[test]
    fn rules_match_unanchored_and_count_times() {
        let script = Script::from_json(
            r#"{"rules":[{"when":{"operation":"^Converse$"},"times":1,"fail":{"error":"ThrottlingException"}},
                         {"when":{"operation":"Converse","modelId":"claude"},"respond":{"content":[{"text":"x"}]}}]}"#,
        )
        .unwrap();
        let mut state = ScriptState::new(script);
        assert!(matches!(state.decide(&facts("Converse")), Some(Action::Fail(fail)) if fail.status == Some(429)));
        assert!(matches!(state.decide(&facts("Converse")), Some(Action::Respond(_))));
        assert!(matches!(state.decide(&facts("ConverseStream")), Some(Action::Respond(_))));
        assert!(state.decide(&facts("CountTokens")).is_none(), "`Converse` does not occur in CountTokens");
    }
}
