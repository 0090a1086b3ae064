//! The automated-reasoning part of a guardrail assessment → JSON. Our shape
//! keeps it as raw JSON (it is a deep union tree that only gets passed on),
//! written here in Bedrock's member names with absent members omitted.

use aws_sdk_bedrockruntime::types as sdk;
use serde_json::{Map, Value, json};

pub(crate) fn automated_reasoning_from_sdk(assessment: &sdk::GuardrailAutomatedReasoningPolicyAssessment) -> Value {
    object([(
        "findings",
        assessment.findings.as_ref().map(|findings| Value::Array(findings.iter().filter_map(finding).collect())),
    )])
}

/// An object of the members that are present.
fn object<const N: usize>(members: [(&str, Option<Value>); N]) -> Value {
    Value::Object(
        members
            .into_iter()
            .filter_map(|(key, value)| value.map(|value| (key.to_owned(), value)))
            .collect::<Map<_, _>>(),
    )
}

fn list<T>(items: &Option<Vec<T>>, each: impl Fn(&T) -> Value) -> Option<Value> {
    items.as_ref().map(|items| Value::Array(items.iter().map(each).collect()))
}

fn finding(finding: &sdk::GuardrailAutomatedReasoningFinding) -> Option<Value> {
    use sdk::GuardrailAutomatedReasoningFinding as F;
    Some(match finding {
        F::Valid(f) => json!({"valid": object([
            ("translation", f.translation.as_ref().map(translation)),
            ("claimsTrueScenario", f.claims_true_scenario.as_ref().map(scenario)),
            ("supportingRules", list(&f.supporting_rules, rule)),
            ("logicWarning", f.logic_warning.as_ref().map(logic_warning)),
        ])}),
        F::Invalid(f) => json!({"invalid": object([
            ("translation", f.translation.as_ref().map(translation)),
            ("contradictingRules", list(&f.contradicting_rules, rule)),
            ("logicWarning", f.logic_warning.as_ref().map(logic_warning)),
        ])}),
        F::Satisfiable(f) => json!({"satisfiable": object([
            ("translation", f.translation.as_ref().map(translation)),
            ("claimsTrueScenario", f.claims_true_scenario.as_ref().map(scenario)),
            ("claimsFalseScenario", f.claims_false_scenario.as_ref().map(scenario)),
            ("logicWarning", f.logic_warning.as_ref().map(logic_warning)),
        ])}),
        F::Impossible(f) => json!({"impossible": object([
            ("translation", f.translation.as_ref().map(translation)),
            ("contradictingRules", list(&f.contradicting_rules, rule)),
            ("logicWarning", f.logic_warning.as_ref().map(logic_warning)),
        ])}),
        F::TranslationAmbiguous(f) => json!({"translationAmbiguous": object([
            ("options", list(&f.options, |option| object([("translations", list(&option.translations, translation))]))),
            ("differenceScenarios", list(&f.difference_scenarios, scenario)),
        ])}),
        F::TooComplex(_) => json!({"tooComplex": {}}),
        F::NoTranslations(_) => json!({"noTranslations": {}}),
        _ => {
            tracing::warn!("skipping an automated-reasoning finding this SDK reports as Unknown");
            return None;
        }
    })
}

fn statement(statement: &sdk::GuardrailAutomatedReasoningStatement) -> Value {
    object([
        ("logic", statement.logic.clone().map(Value::String)),
        ("naturalLanguage", statement.natural_language.clone().map(Value::String)),
    ])
}

fn text_reference(reference: &sdk::GuardrailAutomatedReasoningInputTextReference) -> Value {
    object([("text", reference.text.clone().map(Value::String))])
}

fn translation(translation: &sdk::GuardrailAutomatedReasoningTranslation) -> Value {
    object([
        ("premises", list(&translation.premises, statement)),
        ("claims", list(&translation.claims, statement)),
        ("untranslatedPremises", list(&translation.untranslated_premises, text_reference)),
        ("untranslatedClaims", list(&translation.untranslated_claims, text_reference)),
        ("confidence", translation.confidence.map(|c| json!(c))),
    ])
}

fn scenario(scenario: &sdk::GuardrailAutomatedReasoningScenario) -> Value {
    object([("statements", list(&scenario.statements, statement))])
}

fn rule(rule: &sdk::GuardrailAutomatedReasoningRule) -> Value {
    object([
        ("identifier", rule.identifier.clone().map(Value::String)),
        ("policyVersionArn", rule.policy_version_arn.clone().map(Value::String)),
    ])
}

fn logic_warning(warning: &sdk::GuardrailAutomatedReasoningLogicWarning) -> Value {
    object([
        ("type", warning.r#type.as_ref().map(|kind| Value::String(kind.as_str().to_owned()))),
        ("premises", list(&warning.premises, statement)),
        ("claims", list(&warning.claims, statement)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_come_out_in_bedrocks_member_names() {
        let statement = |logic: &str| {
            sdk::GuardrailAutomatedReasoningStatement::builder().logic(logic).natural_language("in words").build()
        };
        let assessment = sdk::GuardrailAutomatedReasoningPolicyAssessment::builder()
            .findings(sdk::GuardrailAutomatedReasoningFinding::Valid(
                sdk::GuardrailAutomatedReasoningValidFinding::builder()
                    .translation(
                        sdk::GuardrailAutomatedReasoningTranslation::builder()
                            .premises(statement("(= x 1)"))
                            .claims(statement("(> x 0)"))
                            .confidence(0.5)
                            .build(),
                    )
                    .supporting_rules(
                        sdk::GuardrailAutomatedReasoningRule::builder()
                            .identifier("rule-1")
                            .policy_version_arn("arn:p")
                            .build(),
                    )
                    .logic_warning(
                        sdk::GuardrailAutomatedReasoningLogicWarning::builder()
                            .r#type(sdk::GuardrailAutomatedReasoningLogicWarningType::AlwaysTrue)
                            .build(),
                    )
                    .build(),
            ))
            .findings(sdk::GuardrailAutomatedReasoningFinding::TooComplex(
                sdk::GuardrailAutomatedReasoningTooComplexFinding::builder().build(),
            ))
            .build();
        assert_eq!(
            automated_reasoning_from_sdk(&assessment),
            json!({"findings": [
                {"valid": {
                    "translation": {"premises": [{"logic": "(= x 1)", "naturalLanguage": "in words"}],
                                    "claims": [{"logic": "(> x 0)", "naturalLanguage": "in words"}], "confidence": 0.5},
                    "supportingRules": [{"identifier": "rule-1", "policyVersionArn": "arn:p"}],
                    "logicWarning": {"type": "ALWAYS_TRUE"}
                }},
                {"tooComplex": {}}
            ]})
        );
    }
}
