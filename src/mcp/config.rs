//! MCP server configuration: the `.mcp.json` shape checked field by field,
//! `${VAR}` expanded from the host's environment, and ACP's
//! `session/new {mcpServers}` shape converted to it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{FieldError, HostError, HostResult};
use crate::protocol::McpServerConfig;

/// How to reach one MCP server, after checking and `${VAR}` expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McpTransport {
    /// A child process speaking MCP on its stdin/stdout.
    Stdio { command: String, args: Vec<String>, env: BTreeMap<String, String>, cwd: Option<PathBuf> },
    /// A streamable-HTTP endpoint.
    Http { url: String, headers: BTreeMap<String, String> },
}

impl McpTransport {
    /// `stdio` or `http`, as `mcp/list` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            McpTransport::Stdio { .. } => "stdio",
            McpTransport::Http { .. } => "http",
        }
    }
}

/// One configured MCP server, ready to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpServerSpec {
    /// Its name: the key in `mcpServers`, the prefix of its tools' names.
    pub name: String,
    pub transport: McpTransport,
}

/// Checks and expands a whole `mcpServers` map with `lookup` as the
/// environment; every bad field is named at `{prefix}.{name}.{field}`.
pub fn resolve_with(
    servers: &BTreeMap<String, McpServerConfig>,
    prefix: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<McpServerSpec>, Vec<FieldError>> {
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    for (name, config) in servers {
        match resolve_one(name, config, &format!("{prefix}.{name}"), lookup) {
            Ok(spec) => specs.push(spec),
            Err(mut problems) => errors.append(&mut problems),
        }
    }
    if errors.is_empty() { Ok(specs) } else { Err(errors) }
}

/// [`resolve_with`] over the host's environment, as a -32602 error.
pub fn resolve(servers: &BTreeMap<String, McpServerConfig>, prefix: &str) -> HostResult<Vec<McpServerSpec>> {
    resolve_with(servers, prefix, &|name| std::env::var(name).ok()).map_err(invalid_params)
}

/// The one -32602 error for a list of field errors.
pub fn invalid_params(errors: Vec<FieldError>) -> HostError {
    let summary = errors.iter().map(|e| format!("`{}`: {}", e.path, e.message)).collect::<Vec<_>>().join("; ");
    HostError::InvalidParams { summary, errors }
}

fn resolve_one(
    name: &str,
    config: &McpServerConfig,
    at: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<McpServerSpec, Vec<FieldError>> {
    let mut errors = Vec::new();
    if name.trim().is_empty() {
        errors.push(FieldError::new(at, "a server name must not be empty; name it as its tools should be prefixed"));
    }
    let expand = |field: String, value: &str, errors: &mut Vec<FieldError>| -> String {
        match expand_vars(value, lookup) {
            Ok(expanded) => expanded,
            Err(message) => {
                errors.push(FieldError::new(field, message));
                String::new()
            }
        }
    };
    let kind = config.kind.as_deref().unwrap_or(if config.url.is_some() && config.command.is_none() {
        "http"
    } else {
        "stdio"
    });
    let transport = match kind {
        "stdio" => {
            let command = match config.command.as_deref() {
                Some(command) if !command.trim().is_empty() => expand(format!("{at}.command"), command, &mut errors),
                Some(_) => {
                    errors.push(FieldError::new(format!("{at}.command"), "is empty; give the program to run"));
                    String::new()
                }
                None => {
                    errors.push(FieldError::new(
                        format!("{at}.command"),
                        "is missing; a stdio server needs the program to run (or give `\"type\": \"http\"` and `url`)",
                    ));
                    String::new()
                }
            };
            let args = config
                .args
                .iter()
                .flatten()
                .enumerate()
                .map(|(index, arg)| expand(format!("{at}.args[{index}]"), arg, &mut errors))
                .collect();
            let env = config
                .env
                .iter()
                .flatten()
                .map(|(key, value)| (key.clone(), expand(format!("{at}.env.{key}"), value, &mut errors)))
                .collect();
            let cwd = config.cwd.as_deref().map(|cwd| PathBuf::from(expand(format!("{at}.cwd"), cwd, &mut errors)));
            for (field, present) in [("url", config.url.is_some()), ("headers", config.headers.is_some())] {
                if present {
                    errors.push(FieldError::new(
                        format!("{at}.{field}"),
                        format!("belongs to an HTTP server; a stdio server (with `command`) has no `{field}`"),
                    ));
                }
            }
            McpTransport::Stdio { command, args, env, cwd }
        }
        "http" | "streamable-http" | "streamableHttp" => {
            let url = match config.url.as_deref() {
                Some(url) => {
                    let url = expand(format!("{at}.url"), url, &mut errors);
                    if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
                        errors.push(FieldError::new(
                            format!("{at}.url"),
                            format!("`{url}` is not an http:// or https:// URL"),
                        ));
                    }
                    url
                }
                None => {
                    errors.push(FieldError::new(
                        format!("{at}.url"),
                        "is missing; an HTTP server needs its MCP endpoint URL, e.g. http://127.0.0.1:8000/mcp",
                    ));
                    String::new()
                }
            };
            let headers = config
                .headers
                .iter()
                .flatten()
                .map(|(key, value)| (key.clone(), expand(format!("{at}.headers.{key}"), value, &mut errors)))
                .collect();
            for (field, present) in [
                ("command", config.command.is_some()),
                ("args", config.args.is_some()),
                ("env", config.env.is_some()),
                ("cwd", config.cwd.is_some()),
            ] {
                if present {
                    errors.push(FieldError::new(
                        format!("{at}.{field}"),
                        format!("belongs to a stdio server; an HTTP server (with `url`) has no `{field}`"),
                    ));
                }
            }
            McpTransport::Http { url, headers }
        }
        "sse" => {
            errors.push(FieldError::new(
                format!("{at}.type"),
                "`sse` (the old HTTP+SSE transport) is not supported; use the server's streamable-HTTP endpoint with `\"type\": \"http\"`",
            ));
            McpTransport::Http { url: String::new(), headers: BTreeMap::new() }
        }
        other => {
            errors.push(FieldError::new(
                format!("{at}.type"),
                format!("`{other}` is not a transport; give `stdio` or `http`"),
            ));
            McpTransport::Http { url: String::new(), headers: BTreeMap::new() }
        }
    };
    if errors.is_empty() { Ok(McpServerSpec { name: name.to_string(), transport }) } else { Err(errors) }
}

/// Replaces `${VAR}` (and `${VAR:-default}`) with the environment's value.
/// An unset variable without a default is an error that names it.
pub fn expand_vars(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("`{text}` has `${{` without a closing `}}`; write `${{VAR}}`"));
        };
        let inner = &after[..end];
        let (var, default) = match inner.split_once(":-") {
            Some((var, default)) => (var, Some(default)),
            None => (inner, None),
        };
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`${{{inner}}}` is not a variable reference; write `${{VAR}}` or `${{VAR:-default}}`"));
        }
        match (lookup(var), default) {
            (Some(value), _) => out.push_str(&value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => {
                return Err(format!(
                    "uses `${{{var}}}`, but the environment variable {var} is not set; set it or write `${{{var}:-default}}`"
                ));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Parses a `.mcp.json` file's text (`{"mcpServers": {…}}`); errors name the
/// file and the field.
pub fn parse_config_file(path: &std::path::Path, text: &str) -> Result<BTreeMap<String, McpServerConfig>, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct File {
        #[serde(default)]
        mcp_servers: Option<BTreeMap<String, McpServerConfig>>,
    }
    let shown = path.display();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let file: File = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = error.path().to_string();
        let field = if field == "." { String::new() } else { format!(" at `{field}`") };
        format!("{shown}{field}: {}", error.inner())
    })?;
    file.mcp_servers.ok_or_else(|| {
        format!("{shown}: has no `mcpServers` object; write {{\"mcpServers\": {{\"NAME\": {{\"command\": …}}}}}}")
    })
}

/// ACP's `session/new` `mcpServers` entries (`[{name, command, args,
/// env: [{name, value}]} | {type: "http", name, url, headers: [{name, value}]}]`)
/// as the `.mcp.json` map, for [`resolve`]. Errors are paths into the array.
#[allow(dead_code)] // for the ACP face (`session/new`)
pub fn from_acp(servers: &[Value]) -> Result<BTreeMap<String, McpServerConfig>, Vec<FieldError>> {
    let mut map = BTreeMap::new();
    let mut errors = Vec::new();
    let pairs = |value: Option<&Value>, at: String, errors: &mut Vec<FieldError>| -> Option<BTreeMap<String, String>> {
        let items = value?.as_array();
        let Some(items) = items else {
            errors.push(FieldError::new(at, "must be an array of {name, value}"));
            return None;
        };
        let mut out = BTreeMap::new();
        for (index, item) in items.iter().enumerate() {
            match (item.get("name").and_then(Value::as_str), item.get("value").and_then(Value::as_str)) {
                (Some(name), Some(value)) => {
                    out.insert(name.to_string(), value.to_string());
                }
                _ => errors
                    .push(FieldError::new(format!("{at}[{index}]"), "must be {\"name\": string, \"value\": string}")),
            }
        }
        Some(out)
    };
    for (index, server) in servers.iter().enumerate() {
        let at = format!("mcpServers[{index}]");
        let Some(name) = server.get("name").and_then(Value::as_str) else {
            errors.push(FieldError::new(format!("{at}.name"), "is missing; every MCP server needs a name"));
            continue;
        };
        let kind = server.get("type").and_then(Value::as_str).map(str::to_string);
        let config = McpServerConfig {
            kind: kind.clone().or_else(|| server.get("command").map(|_| "stdio".to_string())),
            command: server.get("command").and_then(Value::as_str).map(str::to_string),
            args: server
                .get("args")
                .and_then(Value::as_array)
                .map(|args| args.iter().filter_map(Value::as_str).map(str::to_string).collect()),
            env: pairs(server.get("env"), format!("{at}.env"), &mut errors),
            cwd: None,
            url: server.get("url").and_then(Value::as_str).map(str::to_string),
            headers: pairs(server.get("headers"), format!("{at}.headers"), &mut errors),
        };
        if map.insert(name.to_string(), config).is_some() {
            errors.push(FieldError::new(
                format!("{at}.name"),
                format!("`{name}` is used twice; give each server its own name"),
            ));
        }
    }
    if errors.is_empty() { Ok(map) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/me".into()),
            "TOKEN" => Some("s3cret".into()),
            _ => None,
        }
    }

    fn parse(value: Value) -> BTreeMap<String, McpServerConfig> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn vars_expand_with_defaults_and_unset_ones_are_named() {
        assert_eq!(expand_vars("${HOME}/x:${NOPE:-d}", &env).unwrap(), "/home/me/x:d");
        assert_eq!(expand_vars("plain $HOME", &env).unwrap(), "plain $HOME");
        assert!(expand_vars("${NOPE}", &env).unwrap_err().contains("NOPE is not set"));
        assert!(expand_vars("${HOME", &env).unwrap_err().contains("without a closing"));
    }

    #[test]
    fn stdio_and_http_servers_resolve() {
        let servers = parse(json!({
            "files": {"command": "npx", "args": ["-y", "${HOME}/srv"], "env": {"K": "${TOKEN}"}, "cwd": "${HOME}"},
            "web": {"type": "http", "url": "http://127.0.0.1:9/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}}
        }));
        let specs = resolve_with(&servers, "initializationOptions.mcpServers", &env).unwrap();
        assert_eq!(
            specs[0].transport,
            McpTransport::Stdio {
                command: "npx".into(),
                args: vec!["-y".into(), "/home/me/srv".into()],
                env: [("K".to_string(), "s3cret".to_string())].into(),
                cwd: Some("/home/me".into()),
            }
        );
        assert_eq!(
            specs[1].transport,
            McpTransport::Http {
                url: "http://127.0.0.1:9/mcp".into(),
                headers: [("Authorization".to_string(), "Bearer s3cret".to_string())].into()
            }
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let servers = parse(json!({
            "files": {"args": ["x"]},
            "web": {"type": "http", "url": "ftp://x", "command": "y"},
            "old": {"type": "sse", "url": "http://x"},
            "env": {"command": "x", "env": {"K": "${NOPE}"}}
        }));
        let errors = resolve_with(&servers, "initializationOptions.mcpServers", &env).unwrap_err();
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "initializationOptions.mcpServers.env.env.K",
                "initializationOptions.mcpServers.files.command",
                "initializationOptions.mcpServers.old.type",
                "initializationOptions.mcpServers.web.url",
                "initializationOptions.mcpServers.web.command",
            ]
        );
    }

    #[test]
    fn acp_servers_convert() {
        let map = from_acp(&[
            json!({"name": "files", "command": "srv", "args": ["a"], "env": [{"name": "K", "value": "v"}]}),
            json!({"type": "http", "name": "web", "url": "http://127.0.0.1:1/mcp", "headers": [{"name": "X", "value": "y"}]}),
        ])
        .unwrap();
        let specs = resolve_with(&map, "mcpServers", &env).unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[1].transport.kind(), "http");
        assert!(from_acp(&[json!({"command": "x"})]).unwrap_err()[0].path == "mcpServers[0].name");
    }

    #[test]
    fn config_files_name_the_file_and_field() {
        let path = std::path::Path::new("/tmp/m.json");
        let error = parse_config_file(path, r#"{"mcpServers": {"a": {"comand": "x"}}}"#).unwrap_err();
        assert!(error.starts_with("/tmp/m.json at `mcpServers.a.comand`") || error.contains("mcpServers.a"), "{error}");
        assert!(parse_config_file(path, "{}").unwrap_err().contains("no `mcpServers`"));
        assert!(parse_config_file(path, "not json").unwrap_err().starts_with("/tmp/m.json"));
    }
}
