//! The LSP face (docs/lsp.md): document sync, inline completion and its
//! `textDocument/completion` fallback, code actions and the commands behind
//! them, and configuration changes. Model calls go through the gateway like
//! every other call (ConverseStream, so that dropping the future — a
//! `$/cancelRequest` — closes the HTTP stream at once) and count in `usage/get`.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::agent::assemble::{StreamAssembler, message_text};
use crate::catalog::usage::cost_usd;
use crate::error::{FieldError, HostError, HostResult};
use crate::host::{RequestContext, Session};
use crate::lsp::documents::{self, ChangeError};
use crate::lsp::{self as lsp_state, fim};
use crate::protocol::lsp::{
    ApplyWorkspaceEditParams, CodeAction, CodeActionOrCommand, CodeActionParams, Command, CommandArgument,
    CompletionItem, CompletionList, CompletionParams, DidChangeConfigurationParams, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, ExecuteCommandParams, ExecuteCommandResult,
    InlineCompletionItem, InlineCompletionList, InlineCompletionOptions, InlineCompletionParams, LspServerCapabilities,
    Position, Range, ShowMessageParams, TextEdit, WorkspaceEdit,
};
use crate::protocol::method;
use crate::protocol::shapes::{
    ContentBlock, ConversationRole, ConverseRequest, InferenceConfiguration, Message, SystemContentBlock,
};
use crate::sdk::CallOptions;
use crate::sync::lock;
use crate::transport::ClientHandle;

/// LSP's ServerCapabilities keys for `initialize`.
pub(crate) fn capabilities() -> LspServerCapabilities {
    LspServerCapabilities {
        text_document_sync: json!({"openClose": true, "change": 2}),
        inline_completion_provider: json!({}),
        completion_provider: json!({"triggerCharacters": [], "resolveProvider": false}),
        code_action_provider: json!({"codeActionKinds": [KIND_FIX, KIND_DOCUMENT]}),
        execute_command_provider: json!({"commands": lsp_state::COMMANDS}),
    }
}

const KIND_FIX: &str = "quickfix";
const KIND_DOCUMENT: &str = "refactor.rewrite";

/// `window/showMessage` types.
const MESSAGE_ERROR: u32 = 1;
const MESSAGE_INFO: u32 = 3;

fn show(client: &ClientHandle, kind: u32, message: String) {
    let _ = client.notify_now::<method::ShowMessage>(&ShowMessageParams { kind, message });
}

/// Forgets the request tickets of documents the store forgot.
fn forgotten(session: &Session, uris: Vec<String>) {
    for uri in uris {
        tracing::info!(%uri, "forgot an open document to stay within the open-document bound");
        session.lsp.forget(&uri);
    }
}

pub(crate) fn did_open(session: &Arc<Session>, _client: &ClientHandle, params: DidOpenTextDocumentParams) {
    let document = params.text_document;
    let gone = lock(&session.lsp.documents).open(&document.uri, &document.language_id, document.version, document.text);
    forgotten(session, gone);
}

pub(crate) fn did_change(session: &Arc<Session>, client: &ClientHandle, params: DidChangeTextDocumentParams) {
    let uri = &params.text_document.uri;
    let outcome = lock(&session.lsp.documents).change(uri, params.text_document.version, &params.content_changes);
    match outcome {
        Ok(gone) => forgotten(session, gone),
        Err(ChangeError::NotOpen) => {
            tracing::warn!(%uri, "textDocument/didChange for a document that is not open");
            show(
                client,
                MESSAGE_ERROR,
                format!(
                    "bedrock-host ignored `textDocument/didChange`: `textDocument.uri`: `{uri}` is not open; send \
                     textDocument/didOpen first"
                ),
            );
        }
        Err(ChangeError::BackwardRange(index)) => show(
            client,
            MESSAGE_ERROR,
            format!(
                "bedrock-host ignored `textDocument/didChange`: `contentChanges[{index}].range`: ends before it \
                 starts; give `start` before `end` (the document is unchanged)"
            ),
        ),
    }
}

pub(crate) fn did_close(session: &Arc<Session>, _client: &ClientHandle, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    if !lock(&session.lsp.documents).close(&uri) {
        tracing::debug!(%uri, "textDocument/didClose for a document that is not open");
    }
    session.lsp.forget(&uri);
}

/// `settings.inlineCompletion` or `settings.bedrock.inlineCompletion` replaces the options; settings
/// without either are ignored (clients send their whole configuration).
pub(crate) fn did_change_configuration(
    session: &Arc<Session>,
    client: &ClientHandle,
    params: DidChangeConfigurationParams,
) {
    let settings = &params.settings;
    let (path, value) = match (settings.get("inlineCompletion"), settings.pointer("/bedrock/inlineCompletion")) {
        (Some(value), _) => ("settings.inlineCompletion", value),
        (None, Some(value)) => ("settings.bedrock.inlineCompletion", value),
        (None, None) => return tracing::debug!("didChangeConfiguration without inlineCompletion settings"),
    };
    let parsed =
        crate::protocol::parse_params::<InlineCompletionOptions>(Some(value.clone())).map_err(|error| match error {
            HostError::InvalidParams { errors, .. } => errors
                .into_iter()
                .map(|e| FieldError::new(format!("{path}.{}", e.path).trim_end_matches('.').to_string(), e.message))
                .collect(),
            other => vec![FieldError::new(path, other.to_string())],
        });
    let problems = match parsed {
        Ok(options) => {
            let problems = options.problems(path);
            if problems.is_empty() {
                tracing::info!(?options, "inline completion options replaced");
                session.lsp.set_options(options);
                return;
            }
            problems
        }
        Err(problems) => problems,
    };
    let listed: Vec<String> = problems.iter().map(|p| format!("`{}`: {}", p.path, p.message)).collect();
    tracing::warn!(problems = %listed.join("; "), "ignored workspace/didChangeConfiguration");
    show(
        client,
        MESSAGE_ERROR,
        format!(
            "bedrock-host ignored `workspace/didChangeConfiguration` (the options in force are unchanged): {}",
            listed.join("; ")
        ),
    );
}

/// The error of a request about a document that is not open.
fn not_open(path: &str, uri: &str) -> HostError {
    HostError::invalid_field(
        path,
        format!(
            "`{uri}` is not open; send textDocument/didOpen first (the host keeps at most {} documents and {} MiB \
             of text, forgetting the least recently used)",
            documents::MAX_DOCUMENTS,
            documents::MAX_TOTAL_BYTES / (1024 * 1024)
        ),
    )
}

/// What a completion found: the text to insert, and the word before the cursor (for the fallback item).
struct Completed {
    text: String,
    word_start: Position,
    word: String,
    model_id: String,
}

/// The shared work of both completion methods: the text around the cursor, the debounce, the model
/// call and the trimming. `None`: completion is off for the document, or a newer request for the same
/// document superseded this one during the debounce.
async fn complete(ctx: &RequestContext, uri: &str, position: Position) -> HostResult<Option<Completed>> {
    let session = &ctx.session;
    let options = session.lsp.options();
    let (language_id, prompt, prefix, suffix, word_start, word) = {
        let mut store = lock(&session.lsp.documents);
        let document = store.get(uri).ok_or_else(|| not_open("textDocument.uri", uri))?;
        if !options.completes(&document.language_id) {
            return Ok(None);
        }
        let text = &document.text;
        let cursor = documents::offset_of(text, position);
        let chars = options.context_chars as usize;
        let context = fim::context(text, cursor, chars, chars / 4);
        let prompt = fim::prompt(&document.language_id, uri, &context);
        let line_start = text[..cursor].rfind(['\n', '\r']).map_or(0, |at| at + 1);
        let word_offset = text[line_start..cursor]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(cursor, |(at, _)| line_start + at);
        (
            document.language_id.clone(),
            prompt,
            context.prefix.to_string(),
            context.suffix.to_string(),
            documents::position_of(text, word_offset),
            text[word_offset..cursor].to_string(),
        )
    };
    let ticket = ctx.arrival;
    session.lsp.begin_completion(uri, ticket);
    if !options.debounce.is_zero() {
        // A `$/cancelRequest` drops this future here: no model call.
        tokio::time::sleep(options.debounce).await;
    }
    if !session.lsp.is_newest(uri, ticket) {
        tracing::debug!(%uri, "completion superseded by a newer request for the same document");
        return Ok(None);
    }
    let (answer, model_id) =
        call_model(session, &options.model_id, fim::SYSTEM_PROMPT, prompt, options.max_tokens).await?;
    tracing::debug!(%uri, language = %language_id, answer_chars = answer.len(), "completion answered");
    Ok(Some(Completed { text: fim::trim(&answer, &prefix, &suffix), word_start, word, model_id }))
}

/// One ConverseStream call; its text and the model id it went to. Usage is recorded once the stream
/// ends; a dropped call (cancelled) records nothing and reads no further tokens.
async fn call_model(
    session: &Session,
    model: &str,
    system: &str,
    prompt: String,
    max_tokens: u32,
) -> HostResult<(String, String)> {
    let model_id = session.resolve_model(Some(model))?;
    let request = ConverseRequest {
        model_id: model_id.clone(),
        messages: Some(vec![Message { role: ConversationRole::User, content: vec![ContentBlock::Text(prompt)] }]),
        system: Some(vec![SystemContentBlock::Text(system.to_string())]),
        inference_config: Some(InferenceConfiguration {
            max_tokens: Some(max_tokens),
            temperature: Some(0.0),
            ..Default::default()
        }),
        guardrail_config: session.default_guardrail(),
        ..Default::default()
    };
    let mut events = session.backend.gateway.converse_stream(&model_id, &request, &CallOptions::default()).await?;
    let mut assembler = StreamAssembler::new();
    while let Some(event) = events.next().await {
        assembler.push(&event?);
    }
    let response = assembler.finish().response;
    session.usage.record(&model_id, &response.usage, cost_usd(&model_id, session.region(), &response.usage));
    let text = match &response.output {
        crate::protocol::shapes::ConverseOutput::Message(message) => message_text(message),
        #[allow(unreachable_patterns)]
        _ => String::new(),
    };
    Ok((text, model_id))
}

pub(crate) async fn inline_completion(
    ctx: RequestContext,
    params: InlineCompletionParams,
) -> HostResult<InlineCompletionList> {
    let position = params.position;
    let completed = complete(&ctx, &params.text_document.uri, position).await?;
    let items = completed
        .filter(|completed| !completed.text.is_empty())
        .map(|completed| InlineCompletionItem {
            insert_text: completed.text,
            range: Some(Range { start: position, end: position }),
        })
        .into_iter()
        .collect();
    Ok(InlineCompletionList { items })
}

pub(crate) async fn completion(ctx: RequestContext, params: CompletionParams) -> HostResult<CompletionList> {
    let position = params.position;
    let completed = complete(&ctx, &params.text_document.uri, position).await?;
    let items = completed
        .filter(|completed| !completed.text.is_empty())
        .map(|completed| {
            let new_text = format!("{}{}", completed.word, completed.text);
            let first_line = new_text.lines().next().unwrap_or("").trim();
            let label: String = if first_line.chars().count() > 80 {
                format!("{}…", first_line.chars().take(80).collect::<String>())
            } else {
                first_line.to_string()
            };
            CompletionItem {
                label: if label.is_empty() { new_text.trim().chars().take(80).collect() } else { label },
                kind: 1,
                detail: format!("Bedrock ({})", completed.model_id),
                filter_text: new_text.clone(),
                insert_text: new_text.clone(),
                insert_text_format: 1,
                text_edit: TextEdit { range: Range { start: completed.word_start, end: position }, new_text },
            }
        })
        .into_iter()
        .collect();
    Ok(CompletionList { is_incomplete: true, items })
}

/// The range an action works on: the selection, or the cursor's whole line when it is empty.
fn action_range(text: &str, range: Range) -> Range {
    if range.start != range.end {
        return range;
    }
    let line = range.start.line;
    let start = documents::offset_of(text, Position { line, character: 0 });
    let end = documents::offset_of(text, Position { line, character: u32::MAX });
    Range { start: documents::position_of(text, start), end: documents::position_of(text, end) }
}

pub(crate) async fn code_action(ctx: RequestContext, params: CodeActionParams) -> HostResult<Vec<CodeActionOrCommand>> {
    let literals = ctx.session.client_capabilities.text_document.as_ref().is_some_and(|capabilities| {
        capabilities.pointer("/codeAction/codeActionLiteralSupport").is_some_and(|support| !support.is_null())
    });
    let uri = params.text_document.uri;
    let range = {
        let mut store = lock(&ctx.session.lsp.documents);
        let document = store.get(&uri).ok_or_else(|| not_open("textDocument.uri", &uri))?;
        action_range(&document.text, params.range)
    };
    let wanted = |kind: Option<&str>| match (&params.context.only, kind) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(only), Some(kind)) => {
            only.iter().any(|o| kind == o || kind.strip_prefix(o.as_str()).is_some_and(|rest| rest.starts_with('.')))
        }
    };
    let actions = [
        ("Explain with Bedrock", None, lsp_state::COMMAND_EXPLAIN),
        ("Fix with Bedrock", Some(KIND_FIX), lsp_state::COMMAND_FIX),
        ("Add documentation", Some(KIND_DOCUMENT), lsp_state::COMMAND_DOCUMENT),
    ];
    Ok(actions
        .into_iter()
        .filter(|(_, kind, _)| wanted(*kind))
        .map(|(title, kind, command)| {
            let command = Command {
                title: title.to_string(),
                command: command.to_string(),
                arguments: vec![CommandArgument { uri: uri.clone(), range }],
            };
            if literals {
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: title.to_string(),
                    kind: kind.map(str::to_string),
                    command,
                })
            } else {
                CodeActionOrCommand::Command(command)
            }
        })
        .collect())
}

pub(crate) async fn execute_command(
    ctx: RequestContext,
    params: ExecuteCommandParams,
) -> HostResult<ExecuteCommandResult> {
    let command = params.command.as_str();
    if !lsp_state::COMMANDS.contains(&command) {
        return Err(HostError::invalid_field(
            "command",
            format!(
                "`{command}` is not a command of this host; give one of {}",
                lsp_state::COMMANDS.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let argument = match params.arguments.as_deref() {
        Some([argument]) => argument.clone(),
        other => {
            return Err(HostError::invalid_field(
                "arguments",
                format!(
                    "gives {} arguments; give exactly one, `{{uri, range}}` (as the code action's command carries it)",
                    other.map_or(0, <[CommandArgument]>::len)
                ),
            ));
        }
    };
    let session = &ctx.session;
    let (language_id, code, indent) = {
        let mut store = lock(&session.lsp.documents);
        let document = store.get(&argument.uri).ok_or_else(|| not_open("arguments[0].uri", &argument.uri))?;
        let code = documents::slice(&document.text, argument.range).to_string();
        let line_start =
            documents::offset_of(&document.text, Position { line: argument.range.start.line, character: 0 });
        let indent: String = document.text[line_start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
        (document.language_id.clone(), code, indent)
    };
    if code.trim().is_empty() {
        return Err(HostError::invalid_field(
            "arguments[0].range",
            "holds no code (it is empty or only whitespace); select the code to act on",
        ));
    }
    let model = session.lsp.options().model_id;
    let (prompt, title) = match command {
        lsp_state::COMMAND_EXPLAIN => (fim::actions::explain(&language_id, &code), "Explain with Bedrock"),
        lsp_state::COMMAND_FIX => (fim::actions::fix(&language_id, &code), "Fix with Bedrock"),
        _ => (fim::actions::document(&language_id, &code), "Add documentation"),
    };
    let system = "You are a careful programming assistant inside a code editor.";
    let (answer, _model_id) = call_model(session, &model, system, prompt, lsp_state::ACTION_MAX_TOKENS).await?;
    if command == lsp_state::COMMAND_EXPLAIN {
        let text = answer.trim().to_string();
        show(&ctx.client, MESSAGE_INFO, text.clone());
        return Ok(ExecuteCommandResult { command: command.to_string(), text, applied: None });
    }
    let text = fim::actions::unfenced(&answer);
    let edit = if command == lsp_state::COMMAND_FIX {
        TextEdit { range: argument.range, new_text: text.clone() }
    } else {
        let at = Position { line: argument.range.start.line, character: 0 };
        let comment: String = text.lines().map(|line| format!("{indent}{}\n", line.trim_end())).collect();
        TextEdit { range: Range { start: at, end: at }, new_text: comment }
    };
    let params = ApplyWorkspaceEditParams {
        label: title.to_string(),
        edit: WorkspaceEdit { changes: [(argument.uri.clone(), vec![edit])].into_iter().collect() },
    };
    let applied = match ctx.client.request::<method::ApplyEdit>(&params, session.tool_call_timeout()).await {
        Ok(answer) => answer.get("applied").and_then(Value::as_bool).unwrap_or(false),
        Err(error) => {
            tracing::warn!(%error, "workspace/applyEdit failed");
            false
        }
    };
    Ok(ExecuteCommandResult { command: command.to_string(), text, applied: Some(applied) })
}
