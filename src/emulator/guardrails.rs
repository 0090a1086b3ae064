//! Guardrails defined by the script: blocked words, matched case-insensitively, and the assessment
//! shapes Bedrock reports for them (BEDROCK_WIRE.md §2 "Guardrail trace", §7).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::errors::ApiError;

pub const DEFAULT_BLOCKED_MESSAGE: &str = "Sorry, the model cannot answer this question.";

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

/// The guardrail's id as a request names it: an id, or an ARN ending in `guardrail/<id>`.
pub fn guardrail_id(identifier: &str) -> &str {
    identifier.rsplit_once("guardrail/").map_or(identifier, |(_, id)| id)
}

/// Finds the definition a request names, or answers ResourceNotFoundException.
pub fn lookup<'a>(
    guardrails: &'a std::collections::BTreeMap<String, GuardrailDef>,
    identifier: &str,
    version: &str,
) -> Result<(&'a str, &'a GuardrailDef), ApiError> {
    let id = guardrail_id(identifier);
    let (id, def) = guardrails.get_key_value(id).ok_or_else(|| {
        ApiError::not_found(format!(
            "The guardrail `{identifier}` does not exist; the emulator's script defines {}.",
            if guardrails.is_empty() { "no guardrails".to_owned() } else { format!("{:?}", guardrails.keys()) }
        ))
    })?;
    match &def.version {
        Some(defined) if version != "DRAFT" && version != defined => Err(ApiError::not_found(format!(
            "The guardrail `{id}` has no version `{version}`; use `{defined}` or `DRAFT`."
        ))),
        _ => Ok((id, def)),
    }
}

/// A GuardrailAssessment for the words found (an empty assessment when none).
pub fn assessment(matches: &[String]) -> Value {
    if matches.is_empty() {
        return json!({});
    }
    let words: Vec<Value> =
        matches.iter().map(|word| json!({"match": word, "action": "BLOCKED", "detected": true})).collect();
    json!({"wordPolicy": {"customWords": words}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_case_insensitively() {
        let def = GuardrailDef { version: None, blocked_words: vec!["Forbidden".into()], blocked_message: None };
        assert_eq!(def.matches("this is FORBIDDEN talk"), vec!["Forbidden".to_owned()]);
        assert!(def.matches("fine").is_empty());
        assert_eq!(guardrail_id("arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1"), "gr1");
    }
}
