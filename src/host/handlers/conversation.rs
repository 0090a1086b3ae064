//! `conversation/*` and `usage/get`: stateful turns over Converse with the
//! tool-use loop.

use std::sync::Arc;
use std::time::Instant;

use crate::agent::turn::{self, LoopSettings, Notifier, SharedProgress};
use crate::conversations::conversation::{Conversation, ConversationSettings, OfferedTools, rfc3339};
use crate::error::{HostError, HostResult};
use crate::host::{RequestContext, Session};
use crate::protocol::EmptyParams;
use crate::protocol::shapes::{
    ContentBlock, ConversationRole, ConverseRequest, ConverseTokensRequest, CountTokensInput, Message, Tool,
    ToolConfiguration, ToolInputSchema, ToolResultBlock, ToolResultContentBlock, ToolResultStatus, ToolSpecification,
};
use crate::protocol::{
    self, ConversationCountTokensParams, ConversationCreateParams, ConversationDeleteResult, ConversationForkParams,
    ConversationGetResult, ConversationIdParams, ConversationIdResult, ConversationListResult, ConversationSendParams,
    ConversationSummary, CountTokensResult, TurnMetrics, TurnResult, UsageGetResult,
};

pub async fn conversation_create(
    ctx: RequestContext,
    mut params: ConversationCreateParams,
) -> HostResult<ConversationIdResult> {
    let session = &ctx.session;
    let model_id = match params.model_id {
        Some(model_id) if model_id.trim().is_empty() => {
            return Err(HostError::invalid_field(
                "modelId",
                "is empty; give a model id, inference-profile id, ARN or alias such as `sonnet`, or leave it out for the default",
            ));
        }
        Some(model_id) => model_id,
        None => {
            session.options.default_model_id.clone().unwrap_or_else(|| super::super::session::FALLBACK_MODEL.into())
        }
    };
    // Without `tools`, every tool registered at each model call (`"all"`); `[]` offers none.
    let tools = offered_tools(session, params.tools.unwrap_or(protocol::ToolSelection::All))?;
    let context = super::context::settings(
        session,
        &model_id,
        params.prompt_caching,
        params.max_context_tokens,
        params.context_strategy,
        params.summary_model_id.take(),
    )?;
    let settings = ConversationSettings {
        context,
        model_id,
        system: params.system.map(|system| system.into_blocks()).unwrap_or_default(),
        inference_config: params.inference_config,
        tools,
        tool_choice: params.tool_choice,
        guardrail_config: params.guardrail_config,
        additional_model_request_fields: params.additional_model_request_fields,
        title: params.title,
    };
    let id = session.conversations.create(settings)?;
    Ok(ConversationIdResult { conversation_id: id })
}

/// The toolConfig a conversation sends now: its selection of the tools
/// registered at this moment. A named tool unregistered since is left out,
/// as with `"all"`: the model is offered only what the client can run.
///
/// Bedrock refuses toolUse/toolResult blocks in a request without a
/// toolConfig, so when no tool is offered but the history (or `new_messages`)
/// holds tool blocks, the tools named there are declared with an open schema
/// and a description saying they are gone. Should the model call one, the
/// loop answers with an error toolResult without asking the client.
fn conversation_tools(
    session: &Session,
    conversation: &Conversation,
    new_messages: &[Message],
) -> HostResult<Option<ToolConfiguration>> {
    let tools = match &conversation.settings.tools {
        OfferedTools::None => Vec::new(),
        OfferedTools::All => session.tools.list(),
        OfferedTools::Named(names) => names
            .iter()
            .filter_map(|name| {
                let tool = session.tools.get(name);
                if tool.is_none() {
                    tracing::warn!(tool = %name, conversation = %conversation.id, "a tool the conversation names is no longer registered; not offered");
                }
                tool
            })
            .collect(),
    };
    if let Some(config) = turn::tool_config(&tools, conversation.settings.tool_choice.clone()) {
        return Ok(Some(config));
    }
    let mut used: Vec<String> = Vec::new();
    for block in conversation.messages.iter().chain(new_messages).flat_map(|message| &message.content) {
        if let ContentBlock::ToolUse(tool_use) = block
            && !used.contains(&tool_use.name)
        {
            used.push(tool_use.name.clone());
        }
    }
    if used.is_empty() {
        return Ok(None);
    }
    Ok(Some(ToolConfiguration {
        tools: used
            .into_iter()
            .map(|name| {
                Tool::ToolSpec(ToolSpecification {
                    name,
                    description: Some("No longer available; do not call it.".to_string()),
                    input_schema: ToolInputSchema::Json(serde_json::json!({"type": "object"})),
                    strict: None,
                })
            })
            .collect(),
        tool_choice: None,
    }))
}

/// The request a turn starts from: history plus `new_messages`, the
/// conversation's system blocks and configuration.
fn base_request(
    session: &Session,
    conversation: &Conversation,
    model_id: &str,
    new_messages: &[Message],
    inference_override: Option<crate::protocol::shapes::InferenceConfiguration>,
) -> HostResult<ConverseRequest> {
    let mut messages = conversation.messages.clone();
    messages.extend_from_slice(new_messages);
    Ok(ConverseRequest {
        model_id: model_id.to_string(),
        messages: Some(messages),
        system: Some(conversation.settings.system.clone()).filter(|system| !system.is_empty()),
        inference_config: inference_override.or_else(|| conversation.settings.inference_config.clone()),
        tool_config: None,
        guardrail_config: match &conversation.settings.guardrail_config {
            Some(config) => Some(config.clone()),
            None => session.default_guardrail(),
        },
        additional_model_request_fields: conversation.settings.additional_model_request_fields.clone(),
        ..ConverseRequest::default()
    })
}

/// The tools a selection offers; each named one must be registered.
fn offered_tools(session: &Session, selection: protocol::ToolSelection) -> HostResult<OfferedTools> {
    match selection {
        protocol::ToolSelection::All => Ok(OfferedTools::All),
        protocol::ToolSelection::Named(names) => {
            for (index, name) in names.iter().enumerate() {
                if session.tools.get(name).is_none() {
                    return Err(HostError::invalid_field(
                        format!("tools[{index}]"),
                        format!("`{name}` is not a registered tool; register it first with tool/register"),
                    ));
                }
            }
            Ok(OfferedTools::Named(names))
        }
    }
}

/// The user message a send adds. toolUse blocks left unanswered (a manual
/// loop that forgot one, or a turn stopped by the iteration limit) get an
/// error toolResult first, because Bedrock refuses a toolUse without its result.
fn user_message(conversation: &Conversation, content: Vec<ContentBlock>) -> HostResult<Message> {
    if content.is_empty() {
        return Err(HostError::invalid_field(
            "content",
            "is empty; send a string or at least one content block such as {\"text\": \"…\"}",
        ));
    }
    let unanswered = turn::unanswered_tool_uses(conversation.messages.last(), &content);
    let mut blocks: Vec<ContentBlock> = unanswered
        .into_iter()
        .map(|tool_use_id| {
            ContentBlock::ToolResult(ToolResultBlock {
                tool_use_id,
                content: vec![ToolResultContentBlock::Text(
                    "not run: the previous turn ended before this tool was called".to_string(),
                )],
                status: Some(ToolResultStatus::Error),
                kind: None,
            })
        })
        .collect();
    blocks.extend(content);
    Ok(Message { role: ConversationRole::User, content: blocks })
}

pub async fn conversation_send(ctx: RequestContext, params: ConversationSendParams) -> HostResult<TurnResult> {
    let started = Instant::now();
    let session = ctx.session.clone();
    let id = params.conversation_id.0.clone();
    let permit = session.conversations.begin_turn(&id)?;
    let mut conversation = session.conversations.get(&id)?;
    let new_message = user_message(&conversation, params.content.into_blocks())?;
    // A turn may offer its own selection of tools (`tools`); the conversation keeps its own.
    if let Some(selection) = params.tools {
        conversation.settings.tools = offered_tools(&session, selection)?;
    }
    if params.model_id.as_deref().is_some_and(|model| model.trim().is_empty()) {
        return Err(HostError::invalid_field(
            "modelId",
            "is empty; give a model id, inference-profile id, ARN or alias such as `sonnet`, or leave it out for the conversation's model",
        ));
    }
    // A turn may name its own model (`modelId`); the conversation keeps the one it was created with.
    let model_id =
        session.resolve_model(Some(params.model_id.as_deref().unwrap_or(&conversation.settings.model_id)))?;
    let mut context =
        super::context::window(&session, &conversation, &model_id, &permit, params.inference_config.as_ref())?;
    let base =
        base_request(&session, &conversation, &model_id, std::slice::from_ref(&new_message), params.inference_config)?;

    let progress: SharedProgress = Arc::default();
    let snapshot_source = progress.clone();
    ctx.partial.set_snapshot(Arc::new(move || crate::sync::lock(&snapshot_source).snapshot()));
    let notifier = Notifier {
        client: ctx.client.clone(),
        request_id: ctx.id.clone(),
        conversation_id: Some(params.conversation_id.clone()),
    };
    let settings = LoopSettings {
        model_id: model_id.clone(),
        region: session.region().to_string(),
        stream: params.stream,
        max_iterations: params.max_tool_iterations.unwrap_or_else(|| session.max_tool_iterations()).max(1),
        client_executes_tools: session.client_capabilities.tools,
        tool_call_timeout: session.tool_call_timeout(),
    };
    let outcome = turn::run_loop(
        &session.backend.gateway,
        &session.tools,
        &session.usage,
        base,
        || conversation_tools(&session, &conversation, std::slice::from_ref(&new_message)),
        &settings,
        &notifier,
        &progress,
        Some(&mut context),
    )
    .await
    .map_err(|error| error.with_partial(crate::sync::lock(&progress).snapshot()))?;

    // From here the turn is permanent: a $/cancelRequest arriving now is too late and ignored.
    ctx.completion.commit()?;
    let mut appended = vec![new_message];
    appended.extend(outcome.messages.iter().cloned());
    // A turn that cannot be stored (a full disk) fails with what the model answered in data.partial.
    let updated = session
        .conversations
        .commit_turn(&id, &permit, appended, &outcome.usage, outcome.cost_usd)
        .map_err(|error| error.with_partial(crate::sync::lock(&progress).snapshot()))?;
    Ok(TurnResult {
        conversation_id: params.conversation_id,
        turn: updated.turns,
        stop_reason: outcome.stop_reason,
        messages: outcome.messages,
        tool_calls: outcome.tool_calls,
        iterations: outcome.iterations,
        usage: outcome.usage,
        cumulative_usage: updated.usage,
        cost_usd: outcome.cost_usd,
        cumulative_cost_usd: updated.cost_usd,
        guardrail: outcome.guardrail,
        metrics: TurnMetrics {
            latency_ms: started.elapsed().as_millis() as u64,
            first_token_ms: outcome.first_token_ms,
            context_us: Some(context.spent.as_micros() as u64),
        },
    })
}

pub async fn conversation_get(ctx: RequestContext, params: ConversationIdParams) -> HostResult<ConversationGetResult> {
    let conversation = ctx.session.conversations.get(&params.conversation_id.0)?;
    Ok(ConversationGetResult {
        conversation_id: params.conversation_id,
        model_id: conversation.settings.model_id.clone(),
        system: conversation.settings.system.clone(),
        title: Some(conversation.title()),
        usage: conversation.usage,
        cost_usd: conversation.cost_usd,
        created_at: rfc3339(conversation.created_at),
        updated_at: rfc3339(conversation.updated_at),
        context: conversation.context.wire(),
        messages: conversation.messages,
        warnings: conversation.warnings,
    })
}

pub async fn conversation_list(ctx: RequestContext, _params: EmptyParams) -> HostResult<ConversationListResult> {
    let conversations = ctx
        .session
        .conversations
        .list()
        .into_iter()
        .map(|conversation| ConversationSummary {
            conversation_id: conversation.id.clone(),
            title: Some(conversation.title()),
            model_id: conversation.settings.model_id.clone(),
            turns: conversation.turns,
            updated_at: rfc3339(conversation.updated_at),
        })
        .collect();
    Ok(ConversationListResult { conversations })
}

pub async fn conversation_fork(
    ctx: RequestContext,
    params: ConversationForkParams,
) -> HostResult<ConversationIdResult> {
    if params.model_id.as_deref().is_some_and(|m| m.trim().is_empty()) {
        return Err(HostError::invalid_field(
            "modelId",
            "is empty; give a model id, inference-profile id, ARN or alias such as `haiku`, or leave it out to keep the conversation's model",
        ));
    }
    let id = ctx.session.conversations.fork(
        &params.conversation_id.0,
        params.message_count.map(|n| n as usize),
        params.model_id,
    )?;
    Ok(ConversationIdResult { conversation_id: id })
}

pub async fn conversation_delete(
    ctx: RequestContext,
    params: ConversationIdParams,
) -> HostResult<ConversationDeleteResult> {
    ctx.session.conversations.delete(&params.conversation_id.0)?;
    Ok(ConversationDeleteResult { deleted: true })
}

/// What the next turn would send, counted by CountTokens (which takes the
/// base model id, not a profile).
pub async fn conversation_count_tokens(
    ctx: RequestContext,
    params: ConversationCountTokensParams,
) -> HostResult<CountTokensResult> {
    let session = &ctx.session;
    let conversation = session.conversations.get(&params.conversation_id.0)?;
    let new_messages = match params.content {
        Some(content) => vec![user_message(&conversation, content.into_blocks())?],
        None => Vec::new(),
    };
    let model_id = session.resolve_model(Some(&conversation.settings.model_id))?;
    let request = base_request(session, &conversation, &model_id, &new_messages, None)?;
    // What the model is sent: after a compaction, the summary and the messages not compacted.
    let messages = request.messages.map(|messages| conversation.context.view(&messages));
    let input = CountTokensInput::Converse(ConverseTokensRequest {
        messages,
        system: request.system,
        tool_config: conversation_tools(session, &conversation, &new_messages)?,
        additional_model_request_fields: request.additional_model_request_fields,
    });
    let base_model = crate::catalog::base_model_id(&model_id, session.region());
    let input_tokens = session.backend.gateway.count_tokens(&base_model, &input, &Default::default()).await?;
    Ok(CountTokensResult { input_tokens, estimated_cost_usd: None })
}

pub async fn usage_get(ctx: RequestContext, _params: EmptyParams) -> HostResult<UsageGetResult> {
    Ok(ctx.session.usage.snapshot())
}
