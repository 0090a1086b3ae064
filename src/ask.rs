//! `bedrock-host ask`: one ConverseStream turn from the terminal. The answer's
//! text goes to stdout as it streams; the stop reason, usage and cost go to
//! stderr, so `ask … > answer.txt` keeps only the answer.
//!
//! The backend and the model are chosen as the stdio server chooses them
//! (same flags, same environment, same aliases), so `ask` is also a quick
//! check that a machine's AWS set-up works before an editor relies on it.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use crate::agent::assemble::StreamAssembler;
use crate::catalog;
use crate::catalog::usage::cost_usd;
use crate::cli::{AskArgs, CommonArgs};
use crate::error::HostError;
use crate::host::backend::{self, DEFAULT_REGION};
use crate::host::{FALLBACK_MODEL, LaunchConfig};
use crate::protocol::shapes::{
    ContentBlock, ContentBlockDelta, ConversationRole, ConverseRequest, ConverseStreamEvent, InferenceConfiguration,
    Message, SystemContentBlock,
};
use crate::sdk::{CallOptions, RetryNotice};

/// Runs one turn; `Ok(FAILURE)` when Bedrock or the set-up refused it (the
/// reason is already on stderr).
pub async fn run(args: &AskArgs, common: &CommonArgs) -> anyhow::Result<ExitCode> {
    let prompt = read_prompt(&args.prompt).await?;
    match ask(args, common, prompt).await {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => {
            eprintln!("bedrock-host ask: {}", describe(&error));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The prompt words joined with spaces, or all of stdin for `-`.
async fn read_prompt(words: &[String]) -> anyhow::Result<String> {
    let prompt = if words == ["-"] {
        tokio::task::spawn_blocking(|| std::io::read_to_string(std::io::stdin()))
            .await
            .context("the stdin reader stopped")?
            .context("cannot read the prompt from stdin")?
            // The newline that ends piped text is not part of the question.
            .trim_end()
            .to_string()
    } else {
        words.join(" ")
    };
    if prompt.trim().is_empty() {
        anyhow::bail!("the prompt is empty; give some words, or `-` and the prompt on stdin");
    }
    Ok(prompt)
}

/// The message a person reads: the error, then whatever `data` says that helps.
fn describe(error: &HostError) -> String {
    match error {
        HostError::NoCredentials { hint, .. } | HostError::NoRegion { hint, .. } => format!("{error}\nhint: {hint}"),
        HostError::Bedrock { data, .. } => format!(
            "{error}\n(Bedrock {} {}, {} attempt(s){})",
            data.http_status,
            data.bedrock_code,
            data.attempts,
            data.request_id.as_deref().map(|id| format!(", request id {id}")).unwrap_or_default()
        ),
        _ => error.to_string(),
    }
}

async fn ask(args: &AskArgs, common: &CommonArgs, prompt: String) -> Result<(), HostError> {
    let launch = LaunchConfig {
        options: common.host_options(),
        emulator: common.emulator,
        emulator_script: common.emulator_script.clone(),
        emulator_control_token: None,
        max_frame_bytes: 0,
        response_cache_entries: 0,
        test_methods: false,
    };
    let backend = backend::connect(&launch, &launch.options).await?;
    let region = if backend.region.is_empty() { DEFAULT_REGION } else { backend.region.as_str() };
    let requested =
        args.model.as_deref().or(launch.options.default_model_id.as_deref()).unwrap_or(FALLBACK_MODEL).trim();
    if requested.is_empty() {
        return Err(HostError::invalid_field(
            "--model",
            "is empty; give a model id, inference-profile id, ARN or alias such as `sonnet` or `haiku`",
        ));
    }
    let model_id = catalog::resolve_model_id(requested, region);
    let request = ConverseRequest {
        model_id: model_id.clone(),
        messages: Some(vec![Message { role: ConversationRole::User, content: vec![ContentBlock::Text(prompt)] }]),
        system: args.system.clone().map(|system| vec![SystemContentBlock::Text(system)]),
        inference_config: args
            .max_tokens
            .map(|max_tokens| InferenceConfiguration { max_tokens: Some(max_tokens), ..Default::default() }),
        ..ConverseRequest::default()
    };
    let options = CallOptions {
        on_retry: Some(Arc::new(|notice: RetryNotice| {
            eprintln!(
                "bedrock-host ask: {} ({}); attempt {} in {} ms",
                notice.error_code, notice.message, notice.attempt, notice.delay_ms
            );
        })),
    };

    let mut events = backend.gateway.converse_stream(&model_id, &request, &options).await?;
    let mut assembler = StreamAssembler::new();
    let mut stdout = std::io::stdout();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                // What streamed so far stays on stdout as a finished line; the reason follows on stderr.
                if assembler.has_text() {
                    let _ = writeln!(stdout).and_then(|()| stdout.flush());
                }
                return Err(error);
            }
        };
        if let ConverseStreamEvent::ContentBlockDelta(delta) = &event
            && let ContentBlockDelta::Text(text) = &delta.delta
        {
            // A closed stdout (`ask … | head -1`) must not abort the turn before its usage is reported.
            let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
        }
        assembler.push(&event);
    }
    let _ = writeln!(stdout).and_then(|()| stdout.flush());

    let response = assembler.finish().response;
    let usage = &response.usage;
    eprintln!("model: {model_id}");
    eprintln!("stop reason: {}", response.stop_reason);
    eprintln!("usage: {} input + {} output = {} tokens", usage.input_tokens, usage.output_tokens, usage.total_tokens);
    match cost_usd(&model_id, region, usage) {
        Some(cost) => eprintln!("cost: ${cost:.6}"),
        None => eprintln!("cost: unknown (`{model_id}` has no price in the catalog)"),
    }
    Ok(())
}
