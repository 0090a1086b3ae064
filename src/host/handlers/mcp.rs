//! MCP servers as tool sources (docs/mcp.md): started after `initialize` is
//! answered, `mcp/status` forwarded, `mcp/list`, stopped with the session.

use std::sync::Arc;

use crate::error::HostResult;
use crate::host::{RequestContext, Session};
use crate::mcp::McpServers;
use crate::protocol::{EmptyParams, McpListResult, method};
use crate::transport::ClientHandle;

/// Starts the session's MCP servers (if any) and forwards their status changes, in order.
pub fn start(session: &Arc<Session>, client: &ClientHandle) {
    if session.mcp_specs.is_empty() {
        return;
    }
    let (servers, mut status) = McpServers::start(session.mcp_specs.clone(), session.tools.clone());
    if session.mcp.set(servers).is_err() {
        return;
    }
    let client = client.clone();
    let shutdown = session.shutdown.clone();
    tokio::spawn(async move {
        loop {
            let next = tokio::select! {
                () = shutdown.cancelled() => return,
                next = status.recv() => next,
            };
            let Some(params) = next else { return };
            if client.notify::<method::McpStatus>(&params).await.is_err() {
                return;
            }
        }
    });
}

/// Stops the session's MCP servers now (their processes are killed).
pub fn stop(session: &Session) {
    if let Some(servers) = session.mcp.get() {
        servers.shutdown();
    }
}

pub async fn mcp_list(ctx: RequestContext, _params: EmptyParams) -> HostResult<McpListResult> {
    Ok(McpListResult { servers: ctx.session.mcp.get().map(McpServers::list).unwrap_or_default() })
}
