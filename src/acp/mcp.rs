//! The MCP servers an editor names in `session/new {mcpServers}` (or
//! `session/load`): started per session with the host's MCP client
//! ([`crate::mcp`]), their tools kept in a registry of the session, offered to
//! the in-process host as ordinary client tools (`tool/register`), and run by
//! the face when the host's `tool/call` for one arrives from that session.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use agent_client_protocol_schema as acp;
use tokio::sync::mpsc;

use super::convert::{self, invalid_params};
use crate::agent::tool_registry::{HostToolCall, RegisteredTool, ToolOutput, ToolRegistry, ToolRunner};
use crate::mcp::McpServers;
use crate::protocol::{McpServerState, McpStatusParams, ToolSpec};

/// How long `session/new` waits for the session's MCP servers to list their tools (each ready or
/// failed), so that the first prompt already offers them. Slower servers join later.
pub const START_WAIT: Duration = Duration::from_secs(15);

/// The MCP servers of one session and the registry their tools live in.
pub struct SessionMcp {
    servers: McpServers,
    pub registry: Arc<ToolRegistry>,
}

impl SessionMcp {
    /// The tools of the session's servers, as `tool/register` takes them.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.registry
            .list()
            .iter()
            .map(|tool| ToolSpec {
                name: tool.definition.name.clone(),
                description: Some(tool.definition.description.clone()).filter(|text| !text.is_empty()),
                input_schema: tool.definition.input_schema.clone(),
                title: tool.definition.title.clone(),
                output_schema: None,
                annotations: None,
                source: None,
            })
            .collect()
    }

    /// The tool `name` of this session's servers.
    pub fn tool(&self, name: &str) -> Option<Arc<RegisteredTool>> {
        self.registry.get(name).filter(|tool| tool.runs_on_host())
    }

    /// Stops every server (its process group killed) and forgets its tools.
    pub fn shutdown(&self) {
        self.servers.shutdown();
    }
}

/// Starts `servers` (none: `Ok(None)`); the status receiver reports each state change.
/// A bad entry answers -32602 naming it (`mcpServers[1].url`, `mcpServers.NAME.command`).
pub fn start(
    servers: &[acp::McpServer],
) -> Result<Option<(SessionMcp, mpsc::UnboundedReceiver<McpStatusParams>)>, acp::Error> {
    if servers.is_empty() {
        return Ok(None);
    }
    let values: Vec<serde_json::Value> = servers
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .map_err(|error| invalid_params("mcpServers", error.to_string()))?;
    let config = crate::mcp::config::from_acp(&values).map_err(|errors| {
        let first = errors.first().map(|error| format!("{}: {}", error.path, error.message)).unwrap_or_default();
        convert::WithMessage::with_message(
            acp::Error::invalid_params().data(serde_json::json!({"errors": errors})),
            format!("invalid params: {first}"),
        )
    })?;
    let specs = crate::mcp::resolve(&config, "mcpServers")
        .map_err(|error| convert::from_host(convert::host_error_object(&error)))?;
    let registry = Arc::new(ToolRegistry::default());
    let (servers, status) = McpServers::start(specs, registry.clone());
    Ok(Some((SessionMcp { servers, registry }, status)))
}

/// Waits until every one of `count` servers has been ready or failed once, at most [`START_WAIT`].
pub async fn wait_started(status: &mut mpsc::UnboundedReceiver<McpStatusParams>, count: usize) {
    let mut settled = HashSet::new();
    let deadline = tokio::time::Instant::now() + START_WAIT;
    while settled.len() < count {
        match tokio::time::timeout_at(deadline, status.recv()).await {
            Ok(Some(change)) => {
                tracing::info!(server = %change.server, state = ?change.state, error = ?change.error, "MCP server");
                if matches!(change.state, McpServerState::Ready | McpServerState::Failed) {
                    settled.insert(change.server);
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
}

/// Runs a tool of the session's MCP servers for the host's `tool/call`; `tool/call`'s result.
pub async fn call(tool: Arc<RegisteredTool>, call: HostToolCall) -> (ToolOutput, serde_json::Value) {
    let ToolRunner::Host(runner) = &tool.runner else {
        let output = ToolOutput::error(format!("`{}` is not a tool of this session's MCP servers", call.name));
        return (output.clone(), answer(&output));
    };
    let output = runner.call(call).await;
    let value = answer(&output);
    (output, value)
}

fn answer(output: &ToolOutput) -> serde_json::Value {
    serde_json::json!({"content": output.content, "status": output.status})
}
