//! One handler per method, grouped by area (one file per area), and the one
//! place that lists them. A handler is
//! `pub async fn name(ctx: RequestContext, params: P) -> HostResult<R>` with
//! `P: Deserialize` and `R: Serialize`; params are parsed before it runs.
//!
//! `initialize` and `shutdown` change the lifecycle and are served by the
//! dispatcher itself (see [`lifecycle`]).

mod bedrock;
mod conversation;
pub mod lifecycle;
mod test_support;
mod tools;

use super::LaunchConfig;
use super::registry::Registry;
use crate::protocol::method;

/// Registers every method this build serves; one line per method.
pub fn register(registry: &mut Registry, launch: &LaunchConfig) {
    registry.add(method::LIST_MODELS, bedrock::list_models);
    registry.add(method::CONVERSE, bedrock::converse);
    registry.add(method::INVOKE_MODEL, bedrock::invoke_model);
    registry.add(method::COUNT_TOKENS, bedrock::count_tokens);
    registry.add(method::APPLY_GUARDRAIL, bedrock::apply_guardrail);
    registry.add(method::START_ASYNC_INVOKE, bedrock::start_async_invoke);
    registry.add(method::GET_ASYNC_INVOKE, bedrock::get_async_invoke);
    registry.add(method::LIST_ASYNC_INVOKES, bedrock::list_async_invokes);
    registry.add(method::COST_ESTIMATE, bedrock::cost_estimate);

    registry.add(method::TOOL_REGISTER, tools::tool_register);
    registry.add(method::TOOL_UNREGISTER, tools::tool_unregister);
    registry.add(method::TOOL_LIST, tools::tool_list);

    registry.add(method::CONVERSATION_CREATE, conversation::conversation_create);
    registry.add(method::CONVERSATION_SEND, conversation::conversation_send);
    registry.add(method::CONVERSATION_GET, conversation::conversation_get);
    registry.add(method::CONVERSATION_LIST, conversation::conversation_list);
    registry.add(method::CONVERSATION_FORK, conversation::conversation_fork);
    registry.add(method::CONVERSATION_DELETE, conversation::conversation_delete);
    registry.add(method::CONVERSATION_COUNT_TOKENS, conversation::conversation_count_tokens);
    registry.add(method::USAGE_GET, conversation::usage_get);

    for notification in [
        method::CONVERSE_EVENT,
        method::CONVERSE_GUARDRAIL,
        method::CONVERSE_RETRY,
        method::INVOKE_CHUNK,
        method::ASYNC_STATUS,
        method::TOOL_CALL,
    ] {
        registry.sends(notification);
    }
    for feature in ["streaming", "tools", "guardrails", "retryNotifications", "responseCache", "asyncWatch", "aliases"]
    {
        registry.feature(feature);
    }

    if launch.test_methods {
        registry.add(test_support::SLEEP, test_support::sleep);
        registry.add(test_support::ASK_CLIENT, test_support::ask_client);
    }
}
