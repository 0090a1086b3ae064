//! The host's LSP face (docs/lsp.md): what a stock LSP client's editor gets
//! without a plugin. The open documents ([`documents`]), the fill-in-the-middle
//! prompt and the trimming of its answer ([`fim`]), and the session's LSP
//! state ([`LspState`]): the documents, the options in force, and the newest
//! completion request per document (so that an older one still waiting out
//! its debounce calls no model). The handlers are in
//! `src/host/handlers/lsp.rs`; the wire shapes in `src/protocol/lsp.rs`.

pub mod documents;
pub mod fim;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::protocol::lsp::InlineCompletionOptions;
use crate::sync::lock;

use documents::DocumentStore;

/// The model completions use when the options name none.
pub const DEFAULT_MODEL: &str = "haiku";
/// Most tokens of one completion by default.
pub const DEFAULT_MAX_TOKENS: u32 = 128;
/// Characters before the cursor by default (a quarter as many after it).
pub const DEFAULT_CONTEXT_CHARS: u32 = 6000;
/// The wait before the model is called, by default.
pub const DEFAULT_DEBOUNCE_MS: u64 = 75;
/// Most tokens a code action's answer may have.
pub const ACTION_MAX_TOKENS: u32 = 1024;

/// The commands `workspace/executeCommand` runs (and code actions carry).
pub const COMMAND_EXPLAIN: &str = "bedrock.explain";
pub const COMMAND_FIX: &str = "bedrock.fix";
pub const COMMAND_DOCUMENT: &str = "bedrock.document";
pub const COMMANDS: [&str; 3] = [COMMAND_EXPLAIN, COMMAND_FIX, COMMAND_DOCUMENT];

/// The options in force, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub enabled: bool,
    /// As the options give it (an alias or id); the host resolves it.
    pub model_id: String,
    pub max_tokens: u32,
    pub context_chars: u32,
    pub languages: Option<Vec<String>>,
    pub debounce: Duration,
}

impl Effective {
    /// True when completion is on for documents of `language_id`.
    pub fn completes(&self, language_id: &str) -> bool {
        self.enabled && self.languages.as_ref().is_none_or(|languages| languages.iter().any(|l| l == language_id))
    }
}

/// The session's LSP state.
#[derive(Debug, Default)]
pub struct LspState {
    pub documents: Mutex<DocumentStore>,
    options: Mutex<InlineCompletionOptions>,
    /// The newest completion request by document URI (a counter).
    newest: Mutex<HashMap<String, u64>>,
}

impl LspState {
    pub fn new(options: Option<InlineCompletionOptions>) -> Self {
        Self { options: Mutex::new(options.unwrap_or_default()), ..Self::default() }
    }

    /// Replaces the options (`workspace/didChangeConfiguration`).
    pub fn set_options(&self, options: InlineCompletionOptions) {
        *lock(&self.options) = options;
    }

    pub fn options(&self) -> Effective {
        let options = lock(&self.options).clone();
        Effective {
            enabled: options.enabled.unwrap_or(true),
            model_id: options.model_id.unwrap_or_else(|| DEFAULT_MODEL.to_string()),
            max_tokens: options.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            context_chars: options.context_chars.unwrap_or(DEFAULT_CONTEXT_CHARS),
            languages: options.languages,
            debounce: Duration::from_millis(options.debounce_ms.unwrap_or(DEFAULT_DEBOUNCE_MS)),
        }
    }

    /// Records a completion request for `uri` that arrived `arrival`-th (its ticket): it is the newest
    /// unless a request that arrived later has begun already (tasks may start out of order).
    pub fn begin_completion(&self, uri: &str, arrival: u64) {
        let mut newest = lock(&self.newest);
        let entry = newest.entry(uri.to_string()).or_insert(arrival);
        *entry = (*entry).max(arrival);
    }

    /// True while no newer completion request for `uri` has begun.
    pub fn is_newest(&self, uri: &str, ticket: u64) -> bool {
        lock(&self.newest).get(uri) == Some(&ticket)
    }

    /// Forgets `uri`'s request ticket (the document closed or was forgotten).
    pub fn forget(&self, uri: &str) {
        lock(&self.newest).remove(uri);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_language_filter() {
        let state = LspState::new(None);
        let options = state.options();
        assert_eq!((options.model_id.as_str(), options.max_tokens, options.context_chars), ("haiku", 128, 6000));
        assert!(options.completes("anything"));
        state.set_options(InlineCompletionOptions {
            languages: Some(vec!["rust".into()]),
            debounce_ms: Some(0),
            ..Default::default()
        });
        let options = state.options();
        assert!(options.completes("rust") && !options.completes("python"));
        assert_eq!(options.debounce, Duration::ZERO);
        state.set_options(InlineCompletionOptions { enabled: Some(false), ..Default::default() });
        assert!(!state.options().completes("rust"));
    }

    #[test]
    fn only_the_newest_request_per_document_goes_on() {
        let state = LspState::default();
        state.begin_completion("file:///a", 1);
        state.begin_completion("file:///b", 2);
        assert!(state.is_newest("file:///a", 1));
        state.begin_completion("file:///a", 4);
        assert!(!state.is_newest("file:///a", 1) && state.is_newest("file:///a", 4));
        state.begin_completion("file:///a", 3);
        assert!(!state.is_newest("file:///a", 3), "an older request that starts late is not the newest");
        assert!(state.is_newest("file:///a", 4) && state.is_newest("file:///b", 2));
    }
}
