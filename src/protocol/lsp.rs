//! The Language Server Protocol's own shapes for the host's LSP face
//! (docs/lsp.md): document sync, inline completion (LSP 3.18), completion,
//! code actions, commands, configuration, and the requests the host sends an
//! LSP client (`workspace/applyEdit`, `window/showMessage`). Named and shaped
//! as the LSP specification names them; members a stock client sends that the
//! host has no use for (`workDoneToken`, …) are accepted and ignored.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::FieldError;

/// A position in a document: zero-based line and UTF-16 code unit offset (LSP's default encoding).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Position {
    /// Zero-based line.
    pub line: u32,
    /// Zero-based offset in UTF-16 code units; past the line's end means the line's end.
    pub character: u32,
}

/// A range between two positions, `end` exclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Range {
    pub start: Position,
    pub end: Position,
}

/// Names an open document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TextDocumentIdentifier {
    /// The document's URI, as the client opened it.
    pub uri: String,
}

/// Names an open document at a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VersionedTextDocumentIdentifier {
    pub uri: String,
    /// The version after the change.
    pub version: i32,
}

/// A document the client opened, with its whole text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TextDocumentItem {
    pub uri: String,
    /// LSP's language identifier (`rust`, `python`, `typescript`, …).
    pub language_id: String,
    pub version: i32,
    pub text: String,
}

/// `textDocument/didOpen` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DidOpenTextDocumentParams {
    pub text_document: TextDocumentItem,
}

/// One change: `range` and `text` replace that range (incremental sync); `text` alone replaces the whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TextDocumentContentChangeEvent {
    /// The range replaced, in UTF-16 positions of the document as the earlier changes of the same
    /// notification left it. Absent: `text` is the whole new document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
    /// LSP's deprecated length of the range; accepted and ignored (`range` decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_length: Option<u32>,
    pub text: String,
}

/// `textDocument/didChange` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DidChangeTextDocumentParams {
    pub text_document: VersionedTextDocumentIdentifier,
    /// Applied in order.
    pub content_changes: Vec<TextDocumentContentChangeEvent>,
}

/// `textDocument/didClose` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DidCloseTextDocumentParams {
    pub text_document: TextDocumentIdentifier,
}

/// The completion a client's popup has selected (LSP's `SelectedCompletionInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SelectedCompletionInfo {
    pub range: Range,
    pub text: String,
}

/// Why inline completion was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InlineCompletionContext {
    /// 1 invoked explicitly, 2 automatically (while typing).
    pub trigger_kind: u32,
    /// Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_completion_info: Option<SelectedCompletionInfo>,
}

/// `textDocument/inlineCompletion` params (LSP 3.18).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InlineCompletionParams {
    pub text_document: TextDocumentIdentifier,
    /// The cursor.
    pub position: Position,
    /// Optional here (LSP requires it; the host does not read it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<InlineCompletionContext>,
    /// LSP's progress token; accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_done_token: Option<Value>,
}

/// One inline completion: the text to insert at the cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InlineCompletionItem {
    /// Inserted at `range` (the cursor).
    pub insert_text: String,
    /// An empty range at the cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
}

/// `textDocument/inlineCompletion`'s result: at most one item; none when completion is off for the
/// document, the request was superseded by a newer one for the same document, or the model had nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InlineCompletionList {
    pub items: Vec<InlineCompletionItem>,
}

/// Why completion was asked for (LSP's `CompletionContext`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompletionContext {
    /// 1 invoked, 2 trigger character, 3 re-trigger for incomplete completions.
    pub trigger_kind: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_character: Option<String>,
}

/// `textDocument/completion` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompletionParams {
    pub text_document: TextDocumentIdentifier,
    pub position: Position,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<CompletionContext>,
    /// Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_done_token: Option<Value>,
    /// Accepted and ignored (the result is never streamed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_result_token: Option<Value>,
}

/// A text edit: `newText` replaces `range`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TextEdit {
    pub range: Range,
    pub new_text: String,
}

/// One completion item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompletionItem {
    /// What the popup shows: the completion's first line.
    pub label: String,
    /// 1 (Text).
    pub kind: u32,
    /// `Bedrock (<model>)`.
    pub detail: String,
    /// The word before the cursor followed by the completion, so that clients filtering on the word
    /// (Neovim's `omnifunc`) keep the item.
    pub filter_text: String,
    /// Same as `textEdit.newText`.
    pub insert_text: String,
    /// 1 (plain text).
    pub insert_text_format: u32,
    /// Replaces the word before the cursor with itself followed by the completion.
    pub text_edit: TextEdit,
}

/// `textDocument/completion`'s result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompletionList {
    /// Always true: typing on asks again.
    pub is_incomplete: bool,
    pub items: Vec<CompletionItem>,
}

/// What the client knows about the range (LSP's `CodeActionContext`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeActionContext {
    /// The diagnostics in the range; accepted and ignored.
    #[serde(default)]
    pub diagnostics: Vec<Value>,
    /// Only actions of these kinds (or kinds below them) are wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<Vec<String>>,
    /// 1 invoked, 2 automatic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_kind: Option<u32>,
}

/// `textDocument/codeAction` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeActionParams {
    pub text_document: TextDocumentIdentifier,
    /// The selection; an empty range means the cursor's line.
    pub range: Range,
    pub context: CodeActionContext,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_done_token: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_result_token: Option<Value>,
}

/// A command the client runs through `workspace/executeCommand`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Command {
    pub title: String,
    /// `bedrock.explain`, `bedrock.fix` or `bedrock.document`.
    pub command: String,
    /// One [`CommandArgument`].
    pub arguments: Vec<CommandArgument>,
}

/// One code action: a command (the model is called only when the client runs it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CodeAction {
    /// "Explain with Bedrock", "Fix with Bedrock", "Add documentation".
    pub title: String,
    /// `quickfix` (fix), `refactor.rewrite` (documentation), `empty`-kind actions have none (explain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub command: Command,
}

/// One entry of `textDocument/codeAction`'s result: a [`CodeAction`] for clients that announce
/// `textDocument.codeAction.codeActionLiteralSupport`, else the bare [`Command`] (as LSP asks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CodeActionOrCommand {
    CodeAction(CodeAction),
    Command(Command),
}

/// The argument of the host's commands: the document and range to act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommandArgument {
    pub uri: String,
    pub range: Range,
}

/// `workspace/executeCommand` params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecuteCommandParams {
    /// `bedrock.explain`, `bedrock.fix` or `bedrock.document`.
    pub command: String,
    /// Exactly one [`CommandArgument`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Vec<CommandArgument>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_done_token: Option<Value>,
}

/// `workspace/executeCommand`'s result (LSP leaves its shape to the server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteCommandResult {
    pub command: String,
    /// The model's answer: the explanation, the fixed code, or the documentation comment.
    pub text: String,
    /// For `bedrock.fix` and `bedrock.document`: the client's `workspace/applyEdit` answer. Absent for `bedrock.explain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<bool>,
}

/// `workspace/didChangeConfiguration` params: `settings.inlineCompletion`, or
/// `settings.bedrock.inlineCompletion`, replaces the options given so far; other settings are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DidChangeConfigurationParams {
    #[serde(default)]
    pub settings: Value,
}

/// A workspace edit: text edits by document URI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceEdit {
    pub changes: BTreeMap<String, Vec<TextEdit>>,
}

/// `workspace/applyEdit` params (host → client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplyWorkspaceEditParams {
    /// Shown by clients in their undo history: the action's title.
    pub label: String,
    pub edit: WorkspaceEdit,
}

/// The client's answer to `workspace/applyEdit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyWorkspaceEditResult {
    pub applied: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_change: Option<u32>,
}

/// `window/showMessage` params (host → client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShowMessageParams {
    /// 1 error, 2 warning, 3 info, 4 log.
    #[serde(rename = "type")]
    pub kind: u32,
    pub message: String,
}

/// `initializationOptions.inlineCompletion` (and `workspace/didChangeConfiguration`'s
/// `settings.inlineCompletion`): the LSP face's options (docs/lsp.md "Options").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InlineCompletionOptions {
    /// Completions on or off; default true. Off: both completion methods answer no items and call no model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The model completions and code actions use: an id, inference-profile id, ARN or alias; default `haiku`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub model_id: Option<String>,
    /// Most tokens one completion may generate, 1–4096; default 128.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = MAX_TOKENS.min, max = MAX_TOKENS.max))]
    pub max_tokens: Option<u32>,
    /// Characters of the document sent around the cursor, 64–100000; default 6000: up to this many
    /// before the cursor and a quarter as many after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = CONTEXT_CHARS.min, max = CONTEXT_CHARS.max))]
    pub context_chars: Option<u32>,
    /// Complete only documents of these LSP language ids (`rust`, `python`, …); default every language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    /// How long a completion request waits, 0–2000 ms, before calling the model; a newer request for
    /// the same document, or `$/cancelRequest`, within that time means no model call. Default 75.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = DEBOUNCE_MS.min, max = DEBOUNCE_MS.max))]
    pub debounce_ms: Option<u64>,
}

/// An integer option's allowed values.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub min: u64,
    pub max: u64,
}

/// `inlineCompletion.maxTokens`.
pub const MAX_TOKENS: Bounds = Bounds { min: 1, max: 4096 };
/// `inlineCompletion.contextChars`.
pub const CONTEXT_CHARS: Bounds = Bounds { min: 64, max: 100_000 };
/// `inlineCompletion.debounceMs`.
pub const DEBOUNCE_MS: Bounds = Bounds { min: 0, max: 2000 };

impl InlineCompletionOptions {
    /// Each option outside its allowed values, at its path below `prefix`.
    pub fn problems(&self, prefix: &str) -> Vec<FieldError> {
        let mut problems = Vec::new();
        let mut ranged = |name: &str, value: Option<u64>, bounds: Bounds| {
            if let Some(value) = value
                && !(bounds.min..=bounds.max).contains(&value)
            {
                problems.push(FieldError::new(
                    format!("{prefix}.{name}"),
                    format!("{value} is out of range; give a whole number from {} to {}", bounds.min, bounds.max),
                ));
            }
        };
        ranged("maxTokens", self.max_tokens.map(u64::from), MAX_TOKENS);
        ranged("contextChars", self.context_chars.map(u64::from), CONTEXT_CHARS);
        ranged("debounceMs", self.debounce_ms, DEBOUNCE_MS);
        if let Some(model) = &self.model_id
            && model.trim().is_empty()
        {
            problems.push(FieldError::new(
                format!("{prefix}.modelId"),
                "is empty; give a model id, inference-profile id, ARN or alias such as `haiku`",
            ));
        }
        if let Some(languages) = &self.languages {
            for (index, language) in languages.iter().enumerate() {
                if language.trim().is_empty() {
                    problems.push(FieldError::new(
                        format!("{prefix}.languages[{index}]"),
                        "is empty; give an LSP language id such as `rust`",
                    ));
                }
            }
        }
        problems
    }
}

/// The LSP keys of `initialize`'s `capabilities` (LSP's `ServerCapabilities`), beside the host's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LspServerCapabilities {
    /// `{openClose: true, change: 2}`: incremental sync.
    pub text_document_sync: Value,
    /// `{}`: `textDocument/inlineCompletion` is served.
    pub inline_completion_provider: Value,
    /// `{triggerCharacters: [], resolveProvider: false}`.
    pub completion_provider: Value,
    /// `{codeActionKinds: ["quickfix", "refactor.rewrite"]}`.
    pub code_action_provider: Value,
    /// `{commands: ["bedrock.explain", "bedrock.fix", "bedrock.document"]}`.
    pub execute_command_provider: Value,
}
