//! One MCP server's supervisor: start, list tools, relist on
//! `list_changed`, restart with backoff, and the host tools that call it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{NotificationContext, RunningService};
use rmcp::{ClientHandler, Peer, RoleClient, ServiceError, ServiceExt};
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::config::{McpServerSpec, McpTransport};
use super::{convert, names};
use crate::agent::tool_registry::{HostTool, HostToolCall, ToolDefinition, ToolOutput, ToolRegistry};
use crate::protocol::{McpServerInfo, McpServerState, McpStatusParams, McpToolInfo, ToolSource};
use crate::sync::lock;

/// First restart delay; it doubles per failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A server that stayed up this long starts its backoff over.
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// The longest a server may take to start and answer `initialize`.
const START_TIMEOUT: Duration = Duration::from_secs(60);

struct SlotState {
    state: McpServerState,
    error: Option<String>,
    starts: u32,
    tools: Vec<McpToolInfo>,
    peer: Option<Peer<RoleClient>>,
    /// The process group of the running stdio server.
    process_group: Option<i32>,
}

/// One configured server and what is known of it now.
pub(super) struct Slot {
    spec: McpServerSpec,
    state: Mutex<SlotState>,
}

impl Slot {
    pub(super) fn new(spec: McpServerSpec) -> Self {
        Slot {
            spec,
            state: Mutex::new(SlotState {
                state: McpServerState::Starting,
                error: None,
                starts: 0,
                tools: Vec::new(),
                peer: None,
                process_group: None,
            }),
        }
    }

    pub(super) fn source(&self) -> ToolSource {
        ToolSource::Mcp(self.spec.name.clone())
    }

    pub(super) fn info(&self) -> McpServerInfo {
        let state = lock(&self.state);
        McpServerInfo {
            name: self.spec.name.clone(),
            transport: self.spec.transport.kind().to_string(),
            state: state.state,
            error: state.error.clone(),
            starts: state.starts,
            tools: state.tools.clone(),
        }
    }

    /// Kills the running stdio server's process group (the server and anything it started).
    pub(super) fn kill_children(&self) {
        let group = lock(&self.state).process_group.take();
        if let Some(group) = group {
            kill_group(group);
        }
    }

    fn peer(&self) -> Result<Peer<RoleClient>, String> {
        let state = lock(&self.state);
        match (&state.peer, state.state) {
            (Some(peer), McpServerState::Ready) => Ok(peer.clone()),
            (_, current) => Err(match &state.error {
                Some(error) => format!("{current:?} ({error})").to_lowercase(),
                None => format!("{current:?}").to_lowercase(),
            }),
        }
    }
}

fn kill_group(group: i32) {
    // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory of ours.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

/// The rmcp client handler: it only listens for `tools/list_changed`.
struct Handler {
    changed: mpsc::UnboundedSender<()>,
}

impl ClientHandler for Handler {
    fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) -> impl Future<Output = ()> + Send + '_ {
        let _ = self.changed.send(());
        std::future::ready(())
    }
}

type Running = RunningService<RoleClient, Handler>;

fn set_state(
    slot: &Slot,
    events: &mpsc::UnboundedSender<McpStatusParams>,
    state: McpServerState,
    error: Option<String>,
    tools: Option<usize>,
) {
    {
        let mut current = lock(&slot.state);
        current.state = state;
        if state == McpServerState::Starting {
            current.starts += 1;
        }
        if error.is_some() || state == McpServerState::Ready {
            current.error = error.clone();
        }
        if state != McpServerState::Ready {
            current.peer = None;
        }
    }
    match &error {
        Some(error) => tracing::warn!(server = %slot.spec.name, ?state, %error, "MCP server"),
        None => tracing::info!(server = %slot.spec.name, ?state, ?tools, "MCP server"),
    }
    let _ = events.send(McpStatusParams { server: slot.spec.name.clone(), state, error, tools });
}

/// Runs one server until `cancel`: start, serve, restart with backoff.
pub(super) async fn supervise(
    slot: Arc<Slot>,
    registry: Arc<ToolRegistry>,
    events: mpsc::UnboundedSender<McpStatusParams>,
    cancel: CancellationToken,
) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        set_state(&slot, &events, McpServerState::Starting, None, None);
        let (changed_tx, mut changed_rx) = mpsc::unbounded_channel();
        let started = tokio::select! {
            () = cancel.cancelled() => return slot.kill_children(),
            started = tokio::time::timeout(START_TIMEOUT, connect(&slot, Handler { changed: changed_tx })) => started,
        };
        let error = match started {
            Err(_) => format!("did not answer `initialize` within {} s", START_TIMEOUT.as_secs()),
            Ok(Err(error)) => error,
            Ok(Ok(running)) => {
                let up_since = tokio::time::Instant::now();
                let error = serve(&slot, &registry, &events, running, &mut changed_rx, &cancel).await;
                if cancel.is_cancelled() {
                    return slot.kill_children();
                }
                if up_since.elapsed() >= STABLE_AFTER {
                    backoff = FIRST_BACKOFF;
                }
                error
            }
        };
        slot.kill_children();
        set_state(&slot, &events, McpServerState::Failed, Some(error), None);
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Serves a connected server until it ends or `cancel`; returns why it ended.
async fn serve(
    slot: &Arc<Slot>,
    registry: &Arc<ToolRegistry>,
    events: &mpsc::UnboundedSender<McpStatusParams>,
    running: Running,
    changed: &mut mpsc::UnboundedReceiver<()>,
    cancel: &CancellationToken,
) -> String {
    let peer = running.peer().clone();
    let stop = running.cancellation_token();
    let mut ended = std::pin::pin!(running.waiting());
    match refresh(slot, registry, &peer).await {
        Ok(count) => {
            lock(&slot.state).peer = Some(peer.clone());
            set_state(slot, events, McpServerState::Ready, None, Some(count));
        }
        Err(error) => {
            stop.cancel();
            let _ = ended.await;
            return error;
        }
    }
    loop {
        tokio::select! {
            () = cancel.cancelled() => {
                stop.cancel();
                let _ = tokio::time::timeout(Duration::from_secs(2), ended).await;
                return "stopped".to_string();
            }
            outcome = &mut ended => {
                return match outcome {
                    Ok(reason) => format!("the server closed the connection ({reason:?})"),
                    Err(error) => format!("the connection task failed: {error}"),
                };
            }
            Some(()) = changed.recv() => {
                while changed.try_recv().is_ok() {}
                match refresh(slot, registry, &peer).await {
                    Ok(count) => tracing::info!(server = %slot.spec.name, tools = count, "MCP tools relisted (list_changed)"),
                    Err(error) => tracing::warn!(server = %slot.spec.name, %error, "relisting MCP tools failed"),
                }
            }
        }
    }
}

/// Lists the server's tools and replaces its tools in the registry.
async fn refresh(slot: &Arc<Slot>, registry: &ToolRegistry, peer: &Peer<RoleClient>) -> Result<usize, String> {
    let tools = peer.list_all_tools().await.map_err(|error| format!("tools/list failed: {error}"))?;
    let server = &slot.spec.name;
    let mut definitions = Vec::with_capacity(tools.len());
    let mut infos = Vec::with_capacity(tools.len());
    let mut taken: HashMap<String, String> = HashMap::new();
    for tool in tools {
        let tool = serde_json::to_value(&tool).unwrap_or(Value::Null);
        let Some(mcp_name) = tool.get("name").and_then(Value::as_str).map(str::to_string) else { continue };
        let name = names::offered_name(server, &mcp_name);
        if let Some(other) = taken.insert(name.clone(), mcp_name.clone()) {
            tracing::warn!(%server, tool = %mcp_name, %other, %name, "two MCP tools map to one name; the later is left out");
            continue;
        }
        let text = |key: &str| tool.get(key).and_then(Value::as_str).map(str::to_string);
        let definition = ToolDefinition {
            name: name.clone(),
            description: text("description").unwrap_or_default(),
            input_schema: tool.get("inputSchema").cloned().unwrap_or_else(|| serde_json::json!({"type": "object"})),
            title: text("title"),
            output_schema: tool.get("outputSchema").cloned(),
            annotations: tool.get("annotations").cloned(),
            source: None,
        };
        let runner: Arc<dyn HostTool> = Arc::new(McpTool { slot: slot.clone(), mcp_name: mcp_name.clone() });
        definitions.push((definition, runner));
        infos.push(McpToolInfo { name, mcp_name });
    }
    let (registered, skipped) = registry.replace_source(&slot.source(), definitions);
    for problem in &skipped {
        tracing::warn!(%server, path = %problem.path, message = %problem.message, "an MCP tool was left out");
    }
    infos.retain(|info| registered.contains(&info.name));
    let count = infos.len();
    lock(&slot.state).tools = infos;
    Ok(count)
}

/// Starts the server and completes MCP's `initialize` handshake.
async fn connect(slot: &Slot, handler: Handler) -> Result<Running, String> {
    match &slot.spec.transport {
        McpTransport::Stdio { command, args, env, cwd } => {
            let mut cmd = tokio::process::Command::new(command);
            cmd.args(args).envs(env).process_group(0).kill_on_drop(true);
            if let Some(cwd) = cwd {
                cmd.current_dir(cwd);
            }
            // SAFETY: the closure only calls prctl(2), which is async-signal-safe, between fork and exec.
            unsafe {
                cmd.pre_exec(|| {
                    // The child gets SIGKILL if the host dies without cleaning up (e.g. SIGKILL).
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            let (transport, stderr) = rmcp::transport::TokioChildProcess::builder(cmd)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|error| format!("cannot start `{command}`: {error}"))?;
            let pid = transport.id().and_then(|pid| i32::try_from(pid).ok());
            lock(&slot.state).process_group = pid;
            if let Some(stderr) = stderr {
                let server = slot.spec.name.clone();
                tokio::spawn(async move {
                    let mut lines = tokio::io::BufReader::new(stderr).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        tracing::info!(server = %server, "MCP server stderr: {line}");
                    }
                });
            }
            handler.serve(transport).await.map_err(|error| format!("the MCP handshake failed: {error}"))
        }
        McpTransport::Http { url, headers } => {
            use rmcp::transport::StreamableHttpClientTransport;
            use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
            let mut custom = HashMap::new();
            for (name, value) in headers {
                let name = http::HeaderName::try_from(name.as_str())
                    .map_err(|error| format!("header name `{name}` is not valid: {error}"))?;
                let value = http::HeaderValue::try_from(value.as_str())
                    .map_err(|error| format!("the value of header `{name}` is not valid: {error}"))?;
                custom.insert(name, value);
            }
            let config = StreamableHttpClientTransportConfig::with_uri(url.as_str()).custom_headers(custom);
            let transport = StreamableHttpClientTransport::from_config(config);
            handler.serve(transport).await.map_err(|error| format!("the MCP handshake with {url} failed: {error}"))
        }
    }
}

/// One MCP tool, run by the host.
struct McpTool {
    slot: Arc<Slot>,
    mcp_name: String,
}

impl HostTool for McpTool {
    fn call(&self, call: HostToolCall) -> BoxFuture<'static, ToolOutput> {
        let slot = self.slot.clone();
        let mcp_name = self.mcp_name.clone();
        Box::pin(async move {
            let server = slot.spec.name.clone();
            let peer = match slot.peer() {
                Ok(peer) => peer,
                Err(state) => {
                    return ToolOutput::error(format!(
                        "the MCP server `{server}` is not available ({state}); the host restarts it, try again later"
                    ));
                }
            };
            let mut params = CallToolRequestParams::new(mcp_name.clone());
            params.arguments = match call.input {
                Value::Object(map) => Some(map),
                _ => None,
            };
            // Dropping this future (cancelled turn, timeout) makes rmcp send notifications/cancelled.
            match peer.call_tool(params).await {
                Ok(result) => convert::tool_output(&serde_json::to_value(&result).unwrap_or(Value::Null)),
                Err(ServiceError::McpError(error)) => ToolOutput::error(format!(
                    "the MCP server `{server}` answered an error for `{mcp_name}`: {} (code {})",
                    error.message, error.code.0
                )),
                Err(error) => {
                    ToolOutput::error(format!("calling `{mcp_name}` on the MCP server `{server}` failed: {error}"))
                }
            }
        })
    }
}
