//! The conversation options of prompt caching and the context window (`promptCaching`,
//! `maxContextTokens`, `contextStrategy`, `summaryModelId`): checked at `conversation/create`, and
//! turned into each turn's [`ContextWindow`] (docs/protocol.md "Prompt caching and the context window").

use crate::agent::context_window::ContextWindow;
use crate::catalog;
use crate::conversations::context::ContextSettings;
use crate::conversations::conversation::Conversation;
use crate::conversations::store::TurnPermit;
use crate::error::{FieldError, HostError, HostResult};
use crate::host::Session;
use crate::protocol::shapes::InferenceConfiguration;
use crate::protocol::{ContextStrategy, MAX_CONTEXT_TOKENS, MIN_CONTEXT_TOKENS, PromptCachingMode};

/// The context settings `conversation/create` asked for, each checked (every bad one named).
pub fn settings(
    session: &Session,
    model_id: &str,
    prompt_caching: Option<PromptCachingMode>,
    max_context_tokens: Option<u32>,
    context_strategy: Option<ContextStrategy>,
    summary_model_id: Option<String>,
) -> HostResult<ContextSettings> {
    let mut errors = Vec::new();
    if let Some(max) = max_context_tokens {
        let resolved = catalog::resolve_model_id(model_id, session.region());
        let window = catalog::find_model(&resolved, session.region()).map(|entry| entry.context_window);
        if !(MIN_CONTEXT_TOKENS..=MAX_CONTEXT_TOKENS).contains(&max) {
            errors.push(FieldError::new(
                "maxContextTokens",
                format!(
                    "{max} is out of range; give a whole number from {MIN_CONTEXT_TOKENS} to {MAX_CONTEXT_TOKENS}, \
                     at most the model's context window (bedrock/listModels `contextWindow`), or leave it out for \
                     the model's window minus the answer's maxTokens"
                ),
            ));
        } else if let Some(window) = window.filter(|&window| window > 0 && max > window) {
            errors.push(FieldError::new(
                "maxContextTokens",
                format!(
                    "{max} is more than the context window of `{model_id}` ({window} tokens); give at most {window}"
                ),
            ));
        }
    }
    if let Some(summary_model) = &summary_model_id
        && summary_model.trim().is_empty()
    {
        errors.push(FieldError::new(
            "summaryModelId",
            "is empty; give a model id, inference-profile id, ARN or alias, or leave it out for the conversation's model",
        ));
    }
    if !errors.is_empty() {
        let summary = errors.iter().map(|error| format!("`{}`: {}", error.path, error.message)).collect::<Vec<_>>();
        return Err(HostError::InvalidParams { summary: summary.join("; "), errors });
    }
    Ok(ContextSettings { prompt_caching, max_context_tokens, context_strategy, summary_model_id })
}

/// The context management of one turn of `conversation` on `model_id` (as sent to Bedrock).
pub fn window<'a>(
    session: &'a Session,
    conversation: &Conversation,
    model_id: &str,
    permit: &'a TurnPermit,
    inference: Option<&InferenceConfiguration>,
) -> HostResult<ContextWindow<'a>> {
    let region = session.region().to_string();
    let settings = &conversation.settings.context;
    let entry = catalog::find_model(model_id, &region);
    let max_context_tokens = match settings.max_context_tokens {
        Some(max) => Some(u64::from(max)),
        None => entry.filter(|entry| entry.context_window > 0).map(|entry| {
            let answer = inference.and_then(|config| config.max_tokens).unwrap_or(entry.max_output_tokens);
            u64::from(entry.context_window.saturating_sub(answer)).max(u64::from(MIN_CONTEXT_TOKENS))
        }),
    };
    let mode = settings.prompt_caching.or(session.options.prompt_caching).unwrap_or_default();
    let caching = match mode {
        PromptCachingMode::Auto => catalog::caching::prompt_caching(model_id, &region),
        PromptCachingMode::Off => None,
    };
    let strategy: ContextStrategy = settings.context_strategy.or(session.options.context_strategy).unwrap_or_default();
    let summary_model_id = match &settings.summary_model_id {
        Some(model) => session.resolve_model(Some(model))?,
        None => model_id.to_string(),
    };
    Ok(ContextWindow::new(
        &session.conversations,
        permit,
        conversation.id.0.clone(),
        conversation.context.clone(),
        max_context_tokens,
        strategy,
        summary_model_id,
        region,
        caching,
    ))
}
