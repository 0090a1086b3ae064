//! Guardrails defined by the script: blocked words, matched case-insensitively, and the assessment
//! shapes Bedrock reports for them (docs/bedrock-wire.md §2 "Guardrail trace", §7).

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::call::Call;
use super::errors::ApiError;
use super::script::{Facts, GuardrailDef};
use super::validation;

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

/// ApplyGuardrail: checks the texts given against the script's definition of the guardrail.
pub fn apply(call: &Call<'_>, identifier: &str, version: &str) -> Result<Response, ApiError> {
    let version_ok = version == "DRAFT"
        || (version.len() <= 8
            && version.starts_with(|c: char| ('1'..='9').contains(&c))
            && version.chars().all(|c| c.is_ascii_digit()));
    if !version_ok {
        return Err(ApiError::member(
            "guardrailVersion",
            "Member must satisfy regular expression pattern: ([1-9][0-9]{0,7})|(DRAFT)",
        ));
    }
    let request = validation::json_object(&call.body)?;
    let source = validation::string("source", request.get("source"))?;
    validation::one_of("source", source, &["INPUT", "OUTPUT"])?;
    if let Some(scope) = request.get("outputScope").filter(|scope| !scope.is_null()) {
        validation::one_of("outputScope", validation::string("outputScope", Some(scope))?, &["INTERVENTIONS", "FULL"])?;
    }
    let mut texts = Vec::new();
    let mut images = 0u64;
    for (index, block) in validation::array("content", request.get("content"), 1)?.iter().enumerate() {
        let path = format!("content[{index}]");
        match validation::union(&path, block, &["text", "image"])? {
            ("text", inner) => texts.push(validation::string(&format!("{path}.text.text"), inner.get("text"))?),
            _ => images += 1,
        }
    }
    call.script.decide(&Facts {
        operation: "ApplyGuardrail",
        model_id: None,
        last_user_text: None,
        after_tool_result: false,
        answers: false,
    })?;
    let script = call.script.current();
    let (_, def) = lookup(script.guardrails(), identifier, version)?;
    let matches = def.matches(&texts.join("\n"));
    let characters: u64 = texts.iter().map(|text| text.chars().count() as u64).sum();
    let intervened = !matches.is_empty();
    let usage = json!({
        "topicPolicyUnits": 0,
        "contentPolicyUnits": 0,
        "wordPolicyUnits": characters.div_ceil(1000),
        "sensitiveInformationPolicyUnits": 0,
        "sensitiveInformationPolicyFreeUnits": 0,
        "contextualGroundingPolicyUnits": 0,
        "contentPolicyImageUnits": 0,
    });
    let coverage = json!({
        "textCharacters": {"guarded": characters, "total": characters},
        "images": {"guarded": 0, "total": images},
    });
    // Bedrock's assessment always carries its invocation metrics, so a check that finds nothing is
    // one assessment with only `invocationMetrics`, never an empty object (docs/bedrock-wire.md §7).
    let mut assessment = assessment(&matches);
    assessment["invocationMetrics"] = json!({
        "guardrailProcessingLatency": call.elapsed_ms(),
        "usage": usage,
        "guardrailCoverage": coverage,
    });
    let mut response = json!({
        "action": if intervened { "GUARDRAIL_INTERVENED" } else { "NONE" },
        "outputs": if intervened { json!([{"text": def.blocked_message()}]) } else { json!([]) },
        "assessments": [assessment],
        "usage": usage,
        "guardrailCoverage": coverage,
    });
    if intervened {
        response["actionReason"] = json!("Guardrail blocked.");
    }
    Ok(axum::Json(response).into_response())
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
