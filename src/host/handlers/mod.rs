//! One handler per method, grouped by area (one file per area), and the one
//! place that lists them. A handler is
//! `pub async fn name(ctx: RequestContext, params: P) -> HostResult<R>` with
//! `P: Deserialize` and `R: Serialize`; params are parsed before it runs.
//!
//! `initialize` and `shutdown` change the lifecycle and are served by the
//! dispatcher itself (see [`lifecycle`]).

mod context;
mod conversation;
pub mod lifecycle;
mod lsp;
pub mod mcp;
mod runtime;
mod test_support;
mod tools;

use super::LaunchConfig;
use super::router::Router;
use crate::protocol::method;

/// Named features `initialize` announces (`capabilities.features`).
pub(crate) const FEATURES: [&str; 11] = [
    "streaming",
    "tools",
    "guardrails",
    "retryNotifications",
    "responseCache",
    "asyncWatch",
    "aliases",
    "promptCaching",
    "contextCompaction",
    "mcpTools",
    "lspFeatures",
];

/// Binds every client→host request of the protocol to its handler; one line
/// per method. The marker type carries the method's name, params and result,
/// so a handler with the wrong types does not compile, and a unit test fails
/// when a declared request has no line here.
pub(crate) fn register(router: &mut Router, launch: &LaunchConfig) {
    router.on::<method::ListModels, _, _>(runtime::list_models);
    router.on::<method::Converse, _, _>(runtime::converse);
    router.on::<method::InvokeModel, _, _>(runtime::invoke_model);
    router.on::<method::CountTokens, _, _>(runtime::count_tokens);
    router.on::<method::ApplyGuardrail, _, _>(runtime::apply_guardrail);
    router.on::<method::StartAsyncInvoke, _, _>(runtime::start_async_invoke);
    router.on::<method::GetAsyncInvoke, _, _>(runtime::get_async_invoke);
    router.on::<method::ListAsyncInvokes, _, _>(runtime::list_async_invokes);
    router.on::<method::CostEstimate, _, _>(runtime::cost_estimate);

    router.on::<method::ToolRegister, _, _>(tools::tool_register);
    router.on::<method::ToolUnregister, _, _>(tools::tool_unregister);
    router.on::<method::ToolList, _, _>(tools::tool_list);

    router.on::<method::ConversationCreate, _, _>(conversation::conversation_create);
    router.on::<method::ConversationSend, _, _>(conversation::conversation_send);
    router.on::<method::ConversationGet, _, _>(conversation::conversation_get);
    router.on::<method::ConversationList, _, _>(conversation::conversation_list);
    router.on::<method::ConversationFork, _, _>(conversation::conversation_fork);
    router.on::<method::ConversationDelete, _, _>(conversation::conversation_delete);
    router.on::<method::ConversationCountTokens, _, _>(conversation::conversation_count_tokens);
    router.on::<method::UsageGet, _, _>(conversation::usage_get);

    router.on_notification::<method::DidOpen, _>(lsp::did_open);
    router.on_notification::<method::DidChange, _>(lsp::did_change);
    router.on_notification::<method::DidClose, _>(lsp::did_close);
    router.on_notification::<method::DidChangeConfiguration, _>(lsp::did_change_configuration);
    router.on::<method::InlineCompletion, _, _>(lsp::inline_completion);
    router.on::<method::Completion, _, _>(lsp::completion);
    router.on::<method::CodeActionRequest, _, _>(lsp::code_action);
    router.on::<method::ExecuteCommand, _, _>(lsp::execute_command);
    router.on::<method::McpList, _, _>(mcp::mcp_list);

    if launch.test_methods {
        router.on_undeclared(test_support::SLEEP, test_support::sleep);
        router.on_undeclared(test_support::ASK_CLIENT, test_support::ask_client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::router::declared_client_requests;

    #[test]
    fn every_declared_client_request_has_exactly_one_handler() {
        let launch = LaunchConfig {
            options: Default::default(),
            emulator: false,
            emulator_script: None,
            emulator_control_token: None,
            max_frame_bytes: 1,
            response_cache_entries: 0,
            test_methods: false,
        };
        let mut router = Router::default();
        register(&mut router, &launch);
        let served: Vec<&str> = router.methods().collect();
        let mut declared: Vec<&str> = declared_client_requests().collect();
        declared.sort_unstable();
        assert_eq!(served, declared, "handlers/mod.rs `register` and the protocol table disagree");
    }
}
