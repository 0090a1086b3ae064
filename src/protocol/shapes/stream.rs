//! ConverseStream events (docs/bedrock-wire.md §3.3).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;

bedrock_union! {
    /// One ConverseStream event, as `:event-type` names it.
    pub enum ConverseStreamEvent {
        "messageStart" => MessageStart(MessageStartEvent),
        "contentBlockStart" => ContentBlockStart(ContentBlockStartEvent),
        "contentBlockDelta" => ContentBlockDelta(ContentBlockDeltaEvent),
        "contentBlockStop" => ContentBlockStop(ContentBlockStopEvent),
        "messageStop" => MessageStop(MessageStopEvent),
        "metadata" => Metadata(ConverseStreamMetadataEvent),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageStartEvent {
    /// Always `assistant`.
    pub role: ConversationRole,
}

/// Starts a toolUse, toolResult or image block; text and reasoning blocks have no start event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockStartEvent {
    /// The position of the block in the message, from 0.
    pub content_block_index: u32,
    /// What kind of block starts.
    pub start: ContentBlockStart,
}

bedrock_union! {
    /// What kind of block starts.
    pub enum ContentBlockStart {
        "toolUse" => ToolUse(ToolUseBlockStart),
        "toolResult" => ToolResult(ToolResultBlockStart),
        "image" => Image(ImageBlockStart),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlockStart {
    /// The id of the tool call.
    pub tool_use_id: ToolUseId,
    /// The tool's name.
    pub name: String,
    /// `server_tool_use` for tools Bedrock runs itself.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultBlockStart {
    /// The id of the tool call this answers.
    pub tool_use_id: ToolUseId,
    /// The result type of a server tool.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `success` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageBlockStart {
    /// The image format, e.g. `png`.
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockDeltaEvent {
    /// The position of the block in the message, from 0.
    pub content_block_index: u32,
    /// The piece.
    pub delta: ContentBlockDelta,
}

bedrock_union! {
    /// A piece of a content block.
    pub enum ContentBlockDelta {
        "text" => Text(String),
        "toolUse" => ToolUse(ToolUseBlockDelta),
        "reasoningContent" => ReasoningContent(ReasoningContentBlockDelta),
        "citation" => Citation(CitationsDelta),
        "toolResult" => ToolResult(Vec<ToolResultBlockDelta>),
        "image" => Image(ImageBlockDelta),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlockDelta {
    /// A piece of the tool input's JSON text; the pieces concatenate to the whole input.
    pub input: String,
}

bedrock_union! {
    /// A piece of reasoning.
    pub enum ReasoningContentBlockDelta {
        "text" => Text(String),
        "signature" => Signature(String),
        "redactedContent" => RedactedContent(Blob),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CitationsDelta {
    /// The title of the cited source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The cited source, e.g. a document name or URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The cited passages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_content: Option<Vec<CitationSourceContentDelta>>,
    /// Where the cited passage is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<CitationLocation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CitationSourceContentDelta {
    /// A piece of a cited passage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

bedrock_union! {
    /// A piece of a streamed tool result.
    pub enum ToolResultBlockDelta {
        "text" => Text(String),
        "json" => Json(Value),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageBlockDelta {
    /// A piece of the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ImageSource>,
    /// Set when Bedrock could not produce the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBlock>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockStopEvent {
    /// The position of the block in the message, from 0.
    pub content_block_index: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageStopEvent {
    /// As ConverseResponse.stopReason.
    pub stop_reason: String,
    /// The model response members named by additionalModelResponseFieldPaths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_response_fields: Option<Value>,
}

/// The last event: usage, metrics and, when enabled, the guardrail trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseStreamMetadataEvent {
    /// Token counts of the call.
    pub usage: TokenUsage,
    /// Bedrock's timing of the call.
    pub metrics: ConverseMetrics,
    /// The guardrail and prompt-router trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<ConverseTrace>,
    /// Latency-optimized inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<PerformanceConfiguration>,
    /// The service tier to run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
}
