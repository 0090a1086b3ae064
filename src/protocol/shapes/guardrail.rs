//! Guardrail assessments (docs/bedrock-wire.md §2, §7). Enum-like members are strings so that values newer than this build survive.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailTraceAssessment {
    /// The model's output before the guardrail acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_output: Option<Vec<String>>,
    /// Input assessments by guardrail id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_assessment: Option<BTreeMap<String, GuardrailAssessment>>,
    /// Output assessments by guardrail id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_assessments: Option<BTreeMap<String, Vec<GuardrailAssessment>>>,
    /// Why the guardrail acted, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailAssessment {
    /// Denied-topic findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_policy: Option<GuardrailTopicPolicyAssessment>,
    /// Content-filter findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_policy: Option<GuardrailContentPolicyAssessment>,
    /// Word-filter findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word_policy: Option<GuardrailWordPolicyAssessment>,
    /// Sensitive-information findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive_information_policy: Option<GuardrailSensitiveInformationPolicyAssessment>,
    /// Contextual-grounding findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contextual_grounding_policy: Option<GuardrailContextualGroundingPolicyAssessment>,
    /// Automated-reasoning findings, passed through as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_reasoning_policy: Option<Value>,
    /// Latency, usage and coverage of the guardrail call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_metrics: Option<GuardrailInvocationMetrics>,
    /// Which guardrail produced this assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_guardrail_details: Option<AppliedGuardrailDetails>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailTopicPolicyAssessment {
    /// The denied topics found.
    #[serde(default)]
    pub topics: Vec<GuardrailTopic>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailTopic {
    /// The denied topic's name.
    pub name: String,
    /// `DENY`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailContentPolicyAssessment {
    /// The filters that matched.
    #[serde(default)]
    pub filters: Vec<GuardrailContentFilter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailContentFilter {
    /// `INSULTS`, `HATE`, `SEXUAL`, `VIOLENCE`, `MISCONDUCT` or `PROMPT_ATTACK`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `NONE`, `LOW`, `MEDIUM` or `HIGH`.
    pub confidence: String,
    /// `NONE`, `LOW`, `MEDIUM` or `HIGH`: the configured strength.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_strength: Option<String>,
    /// `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailWordPolicyAssessment {
    /// Matches of the guardrail's own word list.
    #[serde(default)]
    pub custom_words: Vec<GuardrailCustomWord>,
    /// Matches of AWS-managed word lists.
    #[serde(default)]
    pub managed_word_lists: Vec<GuardrailManagedWord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailCustomWord {
    /// The text that matched.
    #[serde(rename = "match")]
    pub matched: String,
    /// `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailManagedWord {
    /// The text that matched.
    #[serde(rename = "match")]
    pub matched: String,
    /// `PROFANITY`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailSensitiveInformationPolicyAssessment {
    /// Personal information found.
    #[serde(default)]
    pub pii_entities: Vec<GuardrailPiiEntityFilter>,
    /// Matches of the guardrail's regular expressions.
    #[serde(default)]
    pub regexes: Vec<GuardrailRegexFilter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailPiiEntityFilter {
    /// The text that matched.
    #[serde(rename = "match")]
    pub matched: String,
    /// The PII type, e.g. `EMAIL`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `ANONYMIZED`, `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailRegexFilter {
    /// The regular expression's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The text that matched.
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// The regular expression that matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// `ANONYMIZED`, `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailContextualGroundingPolicyAssessment {
    /// The filters that matched.
    #[serde(default)]
    pub filters: Vec<GuardrailContextualGroundingFilter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailContextualGroundingFilter {
    /// `GROUNDING` or `RELEVANCE`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The configured threshold, 0..1.
    pub threshold: f64,
    /// The measured score, 0..1.
    pub score: f64,
    /// `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailInvocationMetrics {
    /// Milliseconds the guardrail took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_processing_latency: Option<u64>,
    /// Guardrail units billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<GuardrailUsage>,
    /// How much of the content the guardrail evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_coverage: Option<GuardrailCoverage>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliedGuardrailDetails {
    /// The guardrail's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_id: Option<String>,
    /// The guardrail's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_version: Option<String>,
    /// The guardrail's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_arn: Option<String>,
    /// Where the guardrail came from, e.g. `REQUEST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_origin: Option<Vec<String>>,
    /// `SELF` or `CROSS_ACCOUNT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_ownership: Option<String>,
}

/// Billable guardrail units.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailUsage {
    /// Denied-topic units.
    pub topic_policy_units: u32,
    /// Content-filter units.
    pub content_policy_units: u32,
    /// Word-filter units.
    pub word_policy_units: u32,
    /// Sensitive-information units.
    pub sensitive_information_policy_units: u32,
    /// Sensitive-information units that are free of charge.
    pub sensitive_information_policy_free_units: u32,
    /// Contextual-grounding units.
    pub contextual_grounding_policy_units: u32,
    /// Content-filter units for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_policy_image_units: Option<u32>,
    /// Automated-reasoning policy units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_reasoning_policy_units: Option<u32>,
    /// Automated-reasoning policies evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_reasoning_policies: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailCoverage {
    /// Text characters evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_characters: Option<GuardrailCoverageCount>,
    /// Images evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<GuardrailCoverageCount>,
}

/// How much of the content (characters or images) the guardrail evaluated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailCoverageCount {
    /// How much the guardrail evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarded: Option<u32>,
    /// How much there was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u32>,
}
