//! What the host sends the client unasked (docs/protocol.md "Host → client"): the
//! notifications and the `tool/call` request with its result.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::agent::{ConversationId, ToolCallContent};
use super::shapes::{AsyncInvokeSummary, ConverseStreamEvent, GuardrailTraceAssessment, ToolResultStatus, ToolUseId};

pub use crate::transport::RequestId;

/// `converse/event` params: one ConverseStream event as Bedrock sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseEventParams {
    /// The id of the client request (`bedrock/converse` or `conversation/send`) that caused the event.
    pub request_id: RequestId,
    /// The conversation, for events of `conversation/send`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    /// Which model call of the turn's tool loop, from 1; always 1 for `bedrock/converse`.
    pub iteration: u32,
    /// The event, e.g. `{"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hel"}}}`.
    pub event: ConverseStreamEvent,
}

/// `converse/guardrail` params, sent whenever a guardrail intervenes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseGuardrailParams {
    /// The id of the client request that caused the call.
    pub request_id: RequestId,
    /// The conversation, for `conversation/send`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    /// `INTERVENED`.
    pub action: String,
    /// The call's stopReason, e.g. `guardrail_intervened`.
    pub stop_reason: String,
    /// The guardrail trace, when guardrailConfig.trace is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<GuardrailTraceAssessment>,
}

/// `converse/retry` params, sent before each retry of a throttled or failed call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseRetryParams {
    /// The id of the client request that caused the call.
    pub request_id: RequestId,
    /// The attempt about to be made, from 2.
    pub attempt: u32,
    /// How long the host waits before it, in milliseconds.
    pub delay_ms: u64,
    /// The failed attempt's Bedrock error code, e.g. `ThrottlingException`.
    pub error_code: String,
    /// The failed attempt's error message.
    pub message: String,
}

/// `invoke/chunk` params: one decoded chunk of InvokeModelWithResponseStream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvokeChunkParams {
    /// The id of the `bedrock/invokeModel` request.
    pub request_id: RequestId,
    /// The chunk's position, from 0.
    pub index: u32,
    /// The model-native chunk, parsed as JSON.
    pub chunk: Value,
}

/// `async/status` params: the state of a watched async job, sent when it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsyncStatusParams {
    /// The id of the `bedrock/startAsyncInvoke` request that asked to watch.
    pub request_id: RequestId,
    /// The job as GetAsyncInvoke describes it (invocationArn, status, …).
    #[serde(flatten)]
    pub invocation: AsyncInvokeSummary,
}

/// `tool/call` params: the host asks the client to run a tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallParams {
    /// The id of the `conversation/send` request running the turn.
    pub request_id: RequestId,
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The toolUse block's id.
    pub tool_use_id: ToolUseId,
    /// The registered tool's name.
    pub name: String,
    /// The input the model gave, any JSON.
    pub input: Value,
}

/// `tool/call` result: the tool's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolCallResult {
    /// The answer: a string or ToolResultContentBlocks.
    pub content: ToolCallContent,
    /// `error` tells the model the tool failed; default `success`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ToolResultStatus>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn request_ids_are_numbers_or_strings() {
        assert_eq!(serde_json::from_value::<RequestId>(json!(7)).unwrap(), RequestId::from(7));
        assert_eq!(serde_json::from_value::<RequestId>(json!("a")).unwrap(), RequestId::String("a".into()));
    }

    #[test]
    fn async_status_carries_the_job_members_at_top_level() {
        let params = json!({"requestId": 3,
            "invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdef123456",
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0", "status": "InProgress",
            "submitTime": "2025-01-02T03:04:05Z", "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://b/p"}}});
        let parsed: AsyncStatusParams = serde_json::from_value(params.clone()).unwrap();
        assert_eq!(parsed.invocation.status.as_deref(), Some("InProgress"));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), params);
    }

    #[test]
    fn a_tool_call_result_rejects_unknown_members() {
        let error =
            serde_json::from_value::<ToolCallResult>(json!({"content": "x", "isError": true})).unwrap_err().to_string();
        assert!(error.contains("unknown field `isError`"), "{error}");
    }
}
