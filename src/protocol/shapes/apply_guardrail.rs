//! ApplyGuardrail (docs/bedrock-wire.md §7).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::*;

/// ApplyGuardrail's request: the guardrail and the content it evaluates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyGuardrailRequest {
    /// The guardrail's id or ARN.
    pub guardrail_identifier: String,
    /// A version number or `DRAFT`.
    pub guardrail_version: String,
    /// `INPUT` (a user prompt) or `OUTPUT` (a model response).
    pub source: GuardrailContentSource,
    /// The content to evaluate.
    pub content: Vec<GuardrailConverseContentBlock>,
    /// `INTERVENTIONS` (default) or `FULL`: how much of the assessment to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_scope: Option<GuardrailOutputScope>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum GuardrailContentSource {
    Input,
    Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum GuardrailOutputScope {
    Interventions,
    Full,
}

/// ApplyGuardrail's response: what the guardrail decided and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplyGuardrailResponse {
    /// Guardrail units billed.
    pub usage: GuardrailUsage,
    /// `GUARDRAIL_INTERVENED` or `NONE`.
    pub action: String,
    /// Why the guardrail acted, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    /// The masked or blocked text; empty when action is `NONE`.
    pub outputs: Vec<GuardrailOutputContent>,
    /// One assessment per guardrail.
    pub assessments: Vec<GuardrailAssessment>,
    /// How much of the content the guardrail evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_coverage: Option<GuardrailCoverage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailOutputContent {
    /// The masked or blocked text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}
