//! CountTokens inputs (docs/bedrock-wire.md §5).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;

bedrock_union! {
    /// What to count: a Converse request or an InvokeModel body.
    pub enum CountTokensInput {
        "converse" => Converse(ConverseTokensRequest),
        "invokeModel" => InvokeModel(InvokeModelTokensRequest),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConverseTokensRequest {
    /// The conversation to count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Message>>,
    /// The system prompt to count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<Vec<SystemContentBlock>>,
    /// The tools to count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfiguration>,
    /// Model-specific request members, passed through as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvokeModelTokensRequest {
    /// The model-native InvokeModel request body, base64-encoded.
    pub body: Blob,
}
