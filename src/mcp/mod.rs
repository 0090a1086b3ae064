//! MCP servers as tool sources (docs/mcp.md).
//!
//! The host connects to MCP servers with the official Rust SDK (`rmcp`),
//! registers their tools in a [`ToolRegistry`] as host tools
//! ([`HostTool`]: the turn calls them itself, no `tool/call` to the
//! client), and keeps them running.
//!
//! # API (for any face that wants MCP servers, e.g. per ACP session)
//!
//! 1. Configuration: [`McpServerConfig`] (the `.mcp.json` value shape, a
//!    wire type in `crate::protocol`) → [`config::resolve`] (checks every
//!    field, expands `${VAR}`, errors at `{prefix}.{name}.{field}`) →
//!    `Vec<McpServerSpec>`. ACP's `session/new {mcpServers}` array converts
//!    with [`config::from_acp`] into the same map first.
//! 2. `let (servers, mut status) = McpServers::start(specs, registry);`
//!    spawns one supervisor task per server and returns at once. Each task
//!    starts its server (a stdio child in its own process group, stderr to
//!    the log; or a streamable-HTTP session), lists its tools and registers
//!    them as `SERVER__TOOL` (mapped to Bedrock's name rule by
//!    [`names::offered_name`]) with `source: {"mcp": SERVER}`; it relists on
//!    `notifications/tools/list_changed`, and restarts a server that fails
//!    or dies with exponential backoff (0.5 s doubling to 30 s), its tools
//!    answering error toolResults meanwhile. `status` receives an
//!    [`McpStatusParams`] for each state change (`starting`, `ready`,
//!    `failed`), in order; forward them as the face's notification.
//! 3. [`McpServers::list`] is `mcp/list`'s answer.
//! 4. [`McpServers::shutdown`] (synchronous: call it when the session ends,
//!    before the process exits) stops every task, kills each stdio server's
//!    process group and removes the servers' tools from the registry.
//!
//! A tool call's future being dropped (the turn was cancelled, or
//! `toolCallTimeoutMs` passed) sends MCP's `notifications/cancelled` to the
//! server (rmcp's `call_tool` cancels on drop).

pub mod config;
pub mod convert;
pub mod names;
mod server;

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use config::McpServerSpec;

#[allow(unused_imports)] // named in the docs above
use crate::agent::tool_registry::HostTool;
use crate::agent::tool_registry::ToolRegistry;
use crate::protocol::{McpServerConfig, McpServerInfo, McpStatusParams};

/// The running MCP servers of one session (or one ACP session).
pub struct McpServers {
    slots: Vec<Arc<server::Slot>>,
    cancel: CancellationToken,
    registry: Arc<ToolRegistry>,
}

impl McpServers {
    /// Starts a supervisor task per server (call inside a tokio runtime);
    /// returns at once. Status changes arrive on the receiver, in order.
    pub fn start(
        specs: Vec<McpServerSpec>,
        registry: Arc<ToolRegistry>,
    ) -> (McpServers, mpsc::UnboundedReceiver<McpStatusParams>) {
        let (events, receiver) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let slots: Vec<Arc<server::Slot>> = specs.into_iter().map(|spec| Arc::new(server::Slot::new(spec))).collect();
        for slot in &slots {
            tokio::spawn(server::supervise(slot.clone(), registry.clone(), events.clone(), cancel.clone()));
        }
        (McpServers { slots, cancel, registry }, receiver)
    }

    /// Every server: its transport, state, last error and tools.
    pub fn list(&self) -> Vec<McpServerInfo> {
        self.slots.iter().map(|slot| slot.info()).collect()
    }

    /// Stops every server now: tasks cancelled, stdio process groups
    /// killed, their tools unregistered. Idempotent.
    pub fn shutdown(&self) {
        self.cancel.cancel();
        for slot in &self.slots {
            slot.kill_children();
            self.registry.remove_source(&slot.source());
        }
    }
}

impl Drop for McpServers {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Checks `servers` (errors at `{prefix}.NAME.field`) and returns them ready to start.
pub fn resolve(
    servers: &std::collections::BTreeMap<String, McpServerConfig>,
    prefix: &str,
) -> crate::error::HostResult<Vec<McpServerSpec>> {
    config::resolve(servers, prefix)
}
