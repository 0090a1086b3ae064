//! The JSON of MCP servers as tool sources: their configuration
//! (`initializationOptions.mcpServers`, `--mcp-config`), `mcp/status` and
//! `mcp/list` (docs/mcp.md).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One MCP server, in the shape of `.mcp.json`'s `mcpServers` values: a
/// stdio server (`command`, with `args`, `env`, `cwd`) or a streamable-HTTP
/// server (`"type": "http"`, `url`, `headers`). `${VAR}` in any string is
/// replaced by the host's environment variable `VAR`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct McpServerConfig {
    /// `stdio` (the default when `command` is given) or `http` (streamable HTTP).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// stdio: the program to run (looked up on PATH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// stdio: its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// stdio: environment variables added to the host's environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
    /// stdio: the working directory; default the host's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// http: the server's MCP endpoint (`http://` or `https://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// http: headers sent with every request (e.g. `Authorization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

/// Where a tool of `tool/list` comes from, when not from `tool/register`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ToolSource {
    /// The MCP server of this name (its key in `mcpServers`).
    Mcp(String),
}

/// The state of one MCP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum McpServerState {
    /// Starting or restarting; its tools (if any from before) answer error toolResults.
    Starting,
    /// Connected; its tools are registered.
    Ready,
    /// It failed to start or died; the host retries with backoff.
    Failed,
}

/// `mcp/status` params: an MCP server changed state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpStatusParams {
    /// The server's name (its key in `mcpServers`).
    pub server: String,
    pub state: McpServerState,
    /// Why it failed (with `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How many tools it offers (with `ready`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<usize>,
}

/// One tool of an MCP server, in `mcp/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpToolInfo {
    /// The name the model calls it by (`SERVER__TOOL`, mapped to Bedrock's rule).
    pub name: String,
    /// The tool's own name on its server.
    pub mcp_name: String,
}

/// One MCP server, in `mcp/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpServerInfo {
    pub name: String,
    /// `stdio` or `http`.
    pub transport: String,
    pub state: McpServerState,
    /// The last failure, while it is not `ready`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Times it was (re)started.
    pub starts: u32,
    /// Its tools as of its last listing.
    pub tools: Vec<McpToolInfo>,
}

/// `mcp/list` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpListResult {
    /// Every configured MCP server, by name.
    pub servers: Vec<McpServerInfo>,
}
