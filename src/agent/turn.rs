//! One model call with its events forwarded, and the tool-use loop of a
//! conversation turn (docs/protocol.md "Agent host").
//!
//! A call streams (ConverseStream) or not (Converse). Streaming, each event
//! goes to the client as `converse/event` the moment it arrives and is folded
//! into the response by the [`StreamAssembler`]. The loop then asks the
//! client to run each tool the model asked for (`tool/call`, concurrently),
//! puts the answers in the model's order into one user message, and calls
//! the model again, until a final stop reason or the iteration limit.
//!
//! Everything a turn produces is kept in [`TurnProgress`], shared with the
//! request's partial-result slot, so that a cancelled or failed turn can say
//! what it had produced (`data.partial`) while the history stays untouched.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::agent::assemble::{AssembledResponse, InvalidToolInput, StreamAssembler, message_text};
use crate::agent::tool_registry::{HostToolCall, ToolOutput, ToolRegistry, ToolRunner};
use crate::catalog::usage::{UsageLedger, add_cost, add_usage, cost_usd};
use crate::error::{HostError, HostResult};
use crate::protocol::shapes::{
    ContentBlock, ConversationRole, ConverseOutput, ConverseRequest, ConverseResponse, ConverseTrace, Message,
    TokenUsage, Tool, ToolConfiguration, ToolInputSchema, ToolResultBlock, ToolResultContentBlock, ToolResultStatus,
    ToolSpecification, ToolUseBlock, ToolUseId,
};
use crate::protocol::{
    ConversationId, ConverseEventParams, ConverseGuardrailParams, ConverseRetryParams, RequestId, ToolCallParams,
    ToolCallRecord, ToolCallResult, TurnGuardrail, method,
};
use crate::sdk::{BedrockGateway, CallOptions, RetryNotice};
use crate::sync::lock;
use crate::transport::rpc::Notification;
use crate::transport::{ClientHandle, ClientRequestError};

/// Where one client request's notifications go.
#[derive(Clone)]
pub struct Notifier {
    pub client: ClientHandle,
    pub request_id: RequestId,
    pub conversation_id: Option<ConversationId>,
}

impl Notifier {
    /// Sends a notification once the client has room for it (the outbound budget, see
    /// `transport::connection`): a stream forwarded this way goes no faster than the client
    /// reads. Fails only when the client is gone.
    pub async fn send<N: Notification>(&self, params: N::Params) -> Result<(), ClientRequestError> {
        match self.client.notify::<N>(&params).await {
            Err(ClientRequestError::Serialize { method, message }) => {
                // A bug in a params type must not end the request; the client misses one message.
                tracing::error!(%method, %message, "notification not sent");
                Ok(())
            }
            other => other,
        }
    }

    /// Sends a small notification at once, where nothing may wait (inside the SDK's retry hook).
    fn send_now<N: Notification>(&self, params: N::Params) {
        if let Err(error) = self.client.notify_now::<N>(&params) {
            tracing::debug!(%error, method = N::NAME, "notification not sent");
        }
    }

    fn retry_options(&self) -> CallOptions {
        let notifier = self.clone();
        CallOptions {
            on_retry: Some(Arc::new(move |notice: RetryNotice| {
                notifier.send_now::<method::ConverseRetry>(ConverseRetryParams {
                    request_id: notifier.request_id.clone(),
                    attempt: notice.attempt,
                    delay_ms: notice.delay_ms,
                    error_code: notice.error_code,
                    message: notice.message,
                })
            })),
        }
    }
}

/// Whether a response shows a guardrail intervention: Bedrock's stop
/// reason, or a trace in which some policy blocked or masked something.
pub fn guardrail_intervened(response: &ConverseResponse) -> bool {
    if response.stop_reason == "guardrail_intervened" {
        return true;
    }
    let Some(ConverseTrace { guardrail: Some(trace), .. }) = &response.trace else { return false };
    fn acted(value: &Value) -> bool {
        match value {
            Value::Object(object) => {
                let intervening = object
                    .get("action")
                    .and_then(Value::as_str)
                    .is_some_and(|action| matches!(action, "BLOCKED" | "ANONYMIZED" | "INTERVENED"))
                    && object.get("detected").and_then(Value::as_bool) != Some(false);
                intervening || object.values().any(acted)
            }
            Value::Array(items) => items.iter().any(acted),
            _ => false,
        }
    }
    serde_json::to_value(trace).is_ok_and(|value| acted(&value))
}

/// What a turn (or a single call) has produced so far.
#[derive(Debug, Default)]
pub struct TurnProgress {
    /// Messages this turn completed (assistant answers, toolResult messages).
    pub messages: Vec<Message>,
    /// The answer streaming now.
    pub streaming: Option<StreamAssembler>,
}

impl TurnProgress {
    /// `data.partial`: `{messages, text}` — every message produced, the one
    /// still streaming last, and all their answer text joined.
    pub fn snapshot(&self) -> Value {
        let mut messages = self.messages.clone();
        if let Some(assembler) = &self.streaming {
            let message = assembler.partial_message();
            if !message.content.is_empty() {
                messages.push(message);
            }
        }
        let text: String =
            messages.iter().filter(|m| m.role == ConversationRole::Assistant).map(message_text).collect();
        json!({ "messages": messages, "text": text })
    }
}

pub type SharedProgress = Arc<Mutex<TurnProgress>>;

/// One finished model call.
pub struct CallOutcome {
    pub assembled: AssembledResponse,
    /// Time from the call to its first text (streaming only).
    pub first_token_ms: Option<u64>,
}

/// Calls the model once, forwarding stream events as they arrive. On an
/// error the partial answer stays in `progress` for the caller to report.
pub async fn call_model(
    gateway: &BedrockGateway,
    model_id: &str,
    request: &ConverseRequest,
    stream: bool,
    iteration: u32,
    notifier: &Notifier,
    progress: &SharedProgress,
) -> HostResult<CallOutcome> {
    let options = notifier.retry_options();
    let started = Instant::now();
    if !stream {
        let response = gateway.converse(model_id, request, &options).await?;
        return Ok(CallOutcome {
            assembled: AssembledResponse { response, invalid_tool_inputs: Vec::new() },
            first_token_ms: None,
        });
    }
    let mut events = gateway.converse_stream(model_id, request, &options).await?;
    lock(progress).streaming = Some(StreamAssembler::new());
    let mut first_token_ms = None;
    while let Some(event) = events.next().await {
        let event = event?;
        {
            let mut progress = lock(progress);
            let assembler = progress.streaming.get_or_insert_with(StreamAssembler::new);
            assembler.push(&event);
            if first_token_ms.is_none() && assembler.has_text() {
                first_token_ms = Some(started.elapsed().as_millis() as u64);
            }
        }
        // Folded first, so that the event moves into its notification instead of being cloned.
        // Waiting here for room to send is what keeps a slow client from making the host buffer
        // the stream: the next event is not read from Bedrock until this one is queued.
        let sent = notifier
            .send::<method::ConverseEvent>(ConverseEventParams {
                request_id: notifier.request_id.clone(),
                conversation_id: notifier.conversation_id.clone(),
                iteration,
                event,
            })
            .await;
        if sent.is_err() {
            // The client is gone: nobody will see the rest, and the turn must not be kept.
            return Err(client_gone(progress));
        }
    }
    let assembler = lock(progress).streaming.take().unwrap_or_default();
    Ok(CallOutcome { assembled: assembler.finish(), first_token_ms })
}

/// The error of a call whose client went away mid-stream: cancelled, with what was produced.
fn client_gone(progress: &SharedProgress) -> HostError {
    HostError::Cancelled { partial: Some(lock(progress).snapshot()) }
}

/// Reports a guardrail intervention (`converse/guardrail`) and returns what
/// the result's `guardrail` member says.
pub async fn report_guardrail(notifier: &Notifier, response: &ConverseResponse) -> Option<TurnGuardrail> {
    if !guardrail_intervened(response) {
        return None;
    }
    let trace = response.trace.as_ref().and_then(|trace| trace.guardrail.clone());
    let params = ConverseGuardrailParams {
        request_id: notifier.request_id.clone(),
        conversation_id: notifier.conversation_id.clone(),
        action: "INTERVENED".to_string(),
        stop_reason: response.stop_reason.clone(),
        trace: trace.clone(),
    };
    // A client that is gone misses nothing it could still read; the caller's result goes nowhere too.
    let _ = notifier.send::<method::ConverseGuardrail>(params).await;
    Some(TurnGuardrail { action: "INTERVENED".to_string(), trace })
}

/// The toolConfig for a set of registered tools; `None` when there are none
/// (Bedrock rejects an empty tool list).
pub fn tool_config(
    tools: &[Arc<crate::agent::tool_registry::RegisteredTool>],
    tool_choice: Option<crate::protocol::shapes::ToolChoice>,
) -> Option<ToolConfiguration> {
    if tools.is_empty() {
        return None;
    }
    Some(ToolConfiguration {
        tools: tools
            .iter()
            .map(|tool| {
                Tool::ToolSpec(ToolSpecification {
                    name: tool.definition.name.clone(),
                    description: Some(tool.definition.description.clone()).filter(|d| !d.is_empty()),
                    input_schema: ToolInputSchema::Json(tool.definition.input_schema.clone()),
                    strict: None,
                })
            })
            .collect(),
        tool_choice,
    })
}

/// What the loop needs besides the conversation.
pub struct LoopSettings {
    pub model_id: String,
    pub region: String,
    pub stream: bool,
    pub max_iterations: u32,
    /// False when the client declared `capabilities.tools: false`: the turn
    /// ends at the first toolUse and the client answers in its next send.
    pub client_executes_tools: bool,
    pub tool_call_timeout: Duration,
}

/// What a turn's loop ended with.
pub struct LoopOutcome {
    pub stop_reason: String,
    pub messages: Vec<Message>,
    pub tool_calls: Vec<ToolCallRecord>,
    pub iterations: u32,
    pub usage: TokenUsage,
    /// `None` when the catalog has no price for the model.
    pub cost_usd: Option<f64>,
    pub guardrail: Option<TurnGuardrail>,
    pub first_token_ms: Option<u64>,
}

/// Stop reason when the model still wants tools after the last allowed iteration.
pub const TOOL_ITERATIONS_EXHAUSTED: &str = "tool_iterations_exhausted";

/// Runs the tool-use loop. `base` carries the history (ending with the new
/// user message), system blocks and configuration; `tools` returns the
/// conversation's tools as registered at the moment of each model call.
#[allow(clippy::too_many_arguments)]
pub async fn run_loop(
    gateway: &BedrockGateway,
    registry: &ToolRegistry,
    ledger: &UsageLedger,
    base: ConverseRequest,
    tools: impl Fn() -> HostResult<Option<ToolConfiguration>>,
    settings: &LoopSettings,
    notifier: &Notifier,
    progress: &SharedProgress,
    mut context: Option<&mut crate::agent::context_window::ContextWindow<'_>>,
) -> HostResult<LoopOutcome> {
    let history = base.messages.clone().unwrap_or_default();
    // The new user message: the newest place a compaction may cut before.
    let turn_start = history.len().saturating_sub(1);
    let mut outcome = LoopOutcome {
        stop_reason: String::new(),
        messages: Vec::new(),
        tool_calls: Vec::new(),
        iterations: 0,
        usage: TokenUsage::default(),
        cost_usd: Some(0.0),
        guardrail: None,
        first_token_ms: None,
    };
    loop {
        outcome.iterations += 1;
        let mut request = base.clone();
        request.messages = Some(history.iter().chain(outcome.messages.iter()).cloned().collect());
        request.tool_config = tools()?;
        if let Some(context) = context.as_deref_mut() {
            // The context window (compaction) and prompt caching: docs/protocol.md "Prompt caching and the context window".
            let messages = request.messages.take().unwrap_or_default();
            let prepared = context.prepare(&mut request, messages, turn_start, gateway, ledger, notifier).await?;
            if let Some(usage) = &prepared.summary_usage {
                add_usage(&mut outcome.usage, usage);
                outcome.cost_usd = add_cost(outcome.cost_usd, prepared.summary_cost_usd);
            }
        }
        let call =
            call_model(gateway, &settings.model_id, &request, settings.stream, outcome.iterations, notifier, progress)
                .await?;
        if outcome.first_token_ms.is_none() {
            outcome.first_token_ms = call.first_token_ms;
        }
        let AssembledResponse { response, invalid_tool_inputs } = call.assembled;
        if let Some(context) = context.as_deref_mut() {
            context.observe(&response.usage);
        }
        let call_cost = cost_usd(&settings.model_id, &settings.region, &response.usage);
        ledger.record(&settings.model_id, &response.usage, call_cost);
        add_usage(&mut outcome.usage, &response.usage);
        outcome.cost_usd = add_cost(outcome.cost_usd, call_cost);
        if let Some(guardrail) = report_guardrail(notifier, &response).await {
            outcome.guardrail = Some(guardrail);
        }
        let ConverseOutput::Message(answer) = response.output;
        let tool_uses: Vec<ToolUseBlock> = answer
            .content
            .iter()
            .filter_map(|block| match block {
                ContentBlock::ToolUse(tool_use) => Some(tool_use.clone()),
                _ => None,
            })
            .collect();
        outcome.messages.push(answer.clone());
        lock(progress).messages.push(answer);
        outcome.stop_reason = response.stop_reason;

        let wants_tools = outcome.stop_reason == "tool_use" && !tool_uses.is_empty();
        // A client that runs no tools still gets the host's own tools run for it.
        let host_runs_every_tool = tool_uses
            .iter()
            .all(|tool_use| registry.get(&tool_use.name).is_some_and(|tool| tool.runs_on_host()));
        if !wants_tools || !(settings.client_executes_tools || host_runs_every_tool) {
            return Ok(outcome);
        }
        if outcome.iterations >= settings.max_iterations {
            outcome.stop_reason = TOOL_ITERATIONS_EXHAUSTED.to_string();
            return Ok(outcome);
        }
        let offered = offered_tool_names(request.tool_config.as_ref());
        let (results, records) =
            run_tools(registry, &offered, &tool_uses, &invalid_tool_inputs, settings.tool_call_timeout, notifier).await;
        let results_message = Message {
            role: ConversationRole::User,
            content: results.into_iter().map(ContentBlock::ToolResult).collect(),
        };
        outcome.tool_calls.extend(records);
        outcome.messages.push(results_message.clone());
        lock(progress).messages.push(results_message);
    }
}

/// The names of the client tools a model call offered.
fn offered_tool_names(config: Option<&ToolConfiguration>) -> Vec<String> {
    config
        .map(|config| config.tools.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|tool| match tool {
            Tool::ToolSpec(spec) => Some(spec.name.clone()),
            _ => None,
        })
        .collect()
}

/// Runs every tool the model asked for at once and returns their results in
/// the model's order. Nothing here fails the turn: each problem becomes an
/// error toolResult that tells the model what went wrong. Only the tools
/// `offered` in the model call run: the client is never asked for a tool
/// the conversation does not use, even one registered for another.
async fn run_tools(
    registry: &ToolRegistry,
    offered: &[String],
    tool_uses: &[ToolUseBlock],
    invalid_inputs: &[InvalidToolInput],
    timeout: Duration,
    notifier: &Notifier,
) -> (Vec<ToolResultBlock>, Vec<ToolCallRecord>) {
    let calls = tool_uses.iter().map(|tool_use| async move {
        let started = Instant::now();
        let (content, status) = run_one_tool(registry, offered, tool_use, invalid_inputs, timeout, notifier).await;
        let record = ToolCallRecord {
            tool_use_id: tool_use.tool_use_id.clone(),
            name: tool_use.name.clone(),
            input: tool_use.input.clone(),
            status,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        let result =
            ToolResultBlock { tool_use_id: tool_use.tool_use_id.clone(), content, status: Some(status), kind: None };
        (result, record)
    });
    join_all(calls).await.into_iter().unzip()
}

fn error_content(text: String) -> (Vec<ToolResultContentBlock>, ToolResultStatus) {
    (vec![ToolResultContentBlock::Text(text)], ToolResultStatus::Error)
}

async fn run_one_tool(
    registry: &ToolRegistry,
    offered: &[String],
    tool_use: &ToolUseBlock,
    invalid_inputs: &[InvalidToolInput],
    timeout: Duration,
    notifier: &Notifier,
) -> (Vec<ToolResultContentBlock>, ToolResultStatus) {
    let name = &tool_use.name;
    if let Some(invalid) = invalid_inputs.iter().find(|invalid| invalid.tool_use_id == tool_use.tool_use_id) {
        return error_content(format!(
            "{}; the tool `{name}` was not run. Call it again with a JSON object as input.",
            invalid.problem
        ));
    }
    let Some(tool) = offered.contains(name).then(|| registry.get(name)).flatten() else {
        let available = if offered.is_empty() { "none".to_string() } else { offered.join(", ") };
        return error_content(format!("there is no tool named `{name}`; the tools available are: {available}"));
    };
    let problems = tool.input_errors(&tool_use.input);
    if !problems.is_empty() {
        return error_content(format!(
            "the input does not match the tool `{name}`'s input schema, so it was not run: {}",
            problems.join("; ")
        ));
    }
    if let ToolRunner::Host(host_tool) = &tool.runner {
        let call = HostToolCall {
            conversation_id: notifier.conversation_id.clone(),
            tool_use_id: tool_use.tool_use_id.to_string(),
            name: name.clone(),
            input: tool_use.input.clone(),
        };
        // On timeout the call's future is dropped, which cancels it.
        return match tokio::time::timeout(timeout, host_tool.call(call)).await {
            Ok(ToolOutput { content, status }) => (content, status),
            Err(_) => error_content(format!(
                "the tool `{name}` did not answer within {} ms (toolCallTimeoutMs)",
                timeout.as_millis()
            )),
        };
    }
    let Some(conversation_id) = notifier.conversation_id.clone() else {
        return error_content(format!("the tool `{name}` can only run inside a conversation"));
    };
    let params = ToolCallParams {
        request_id: notifier.request_id.clone(),
        conversation_id,
        tool_use_id: tool_use.tool_use_id.clone(),
        name: name.clone(),
        input: tool_use.input.clone(),
    };
    match notifier.client.request::<method::ToolCall>(&params, timeout).await {
        Ok(answer) => match serde_json::from_value::<ToolCallResult>(answer) {
            Ok(result) => (result.content.into_blocks(), result.status.unwrap_or(ToolResultStatus::Success)),
            Err(error) => error_content(format!(
                "the client's answer to tool/call for `{name}` was not a tool result ({error}); expected {{\"content\": string | blocks, \"status\"?: \"success\" | \"error\"}}"
            )),
        },
        Err(ClientRequestError::Error { error, .. }) => {
            error_content(format!("the tool `{name}` failed: {}", error_text(&error)))
        }
        Err(ClientRequestError::Timeout { timeout, .. }) => error_content(format!(
            "the tool `{name}` did not answer within {} ms (toolCallTimeoutMs)",
            timeout.as_millis()
        )),
        Err(error) => error_content(format!("the tool `{name}` could not be run: {error}")),
    }
}

/// What the model is told of a client's error answer: its message, and its
/// `data` too when that is text the message does not already hold.
fn error_text(error: &crate::transport::ErrorObject) -> String {
    match &error.data {
        Some(Value::String(data)) if !data.trim().is_empty() && !error.message.contains(data.as_str()) => {
            format!("{} ({data})", error.message)
        }
        _ => error.message.clone(),
    }
}

/// toolUse ids of `message` that `answer` (the next user content) leaves
/// without a toolResult.
pub fn unanswered_tool_uses(message: Option<&Message>, answer: &[ContentBlock]) -> Vec<ToolUseId> {
    let Some(message) = message.filter(|m| m.role == ConversationRole::Assistant) else { return Vec::new() };
    message
        .content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::ToolUse(tool_use) => Some(tool_use.tool_use_id.clone()),
            _ => None,
        })
        .filter(|id| {
            !answer.iter().any(|block| matches!(block, ContentBlock::ToolResult(result) if &result.tool_use_id == id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(value: Value) -> ConverseResponse {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn guardrail_seen_in_stop_reason_or_trace() {
        let base = json!({"output": {"message": {"role": "assistant", "content": [{"text": "x"}]}}, "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}, "metrics": {"latencyMs": 1}});
        let mut stopped = base.clone();
        stopped["stopReason"] = json!("guardrail_intervened");
        assert!(guardrail_intervened(&response(stopped)));
        let mut clean = base.clone();
        clean["stopReason"] = json!("end_turn");
        clean["trace"] = json!({"guardrail": {"inputAssessment": {"g1": {"wordPolicy": {"customWords": [{"match": "x", "action": "NONE", "detected": false}]}}}}});
        assert!(!guardrail_intervened(&response(clean.clone())));
        clean["trace"]["guardrail"]["inputAssessment"]["g1"]["sensitiveInformationPolicy"] =
            json!({"piiEntities": [{"match": "a@b.c", "type": "EMAIL", "action": "ANONYMIZED", "detected": true}]});
        assert!(guardrail_intervened(&response(clean)));
    }

    #[test]
    fn unanswered_tool_uses_are_found() {
        let assistant: Message = serde_json::from_value(json!({"role": "assistant", "content": [
            {"toolUse": {"toolUseId": "a", "name": "x", "input": {}}},
            {"toolUse": {"toolUseId": "b", "name": "y", "input": {}}}
        ]}))
        .unwrap();
        let answer: Vec<ContentBlock> = serde_json::from_value(
            json!([{"toolResult": {"toolUseId": "a", "content": [{"text": "ok"}]}}, {"text": "go on"}]),
        )
        .unwrap();
        assert_eq!(unanswered_tool_uses(Some(&assistant), &answer), vec![ToolUseId("b".into())]);
        assert!(unanswered_tool_uses(None, &answer).is_empty());
    }

    #[test]
    fn progress_snapshot_joins_text() {
        let progress = TurnProgress {
            messages: vec![
                serde_json::from_value(json!({"role": "assistant", "content": [{"text": "One. "}]})).unwrap(),
            ],
            streaming: None,
        };
        assert_eq!(progress.snapshot()["text"], "One. ");
    }
}
