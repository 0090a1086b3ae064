//! The registry of tools the model may be offered (`tool/register|unregister|list`).
//!
//! A tool is a name, a description and a JSON Schema for its input. The
//! schema is compiled once at registration, so a turn can check the model's
//! input before the tool runs, and tell the model what was wrong. Each tool
//! has a [`ToolRunner`]: the client (`tool/call`, for tools the client
//! registered) or the host itself ([`HostTool`]: an MCP server's tool, a
//! built-in of a face such as ACP).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::error::{FieldError, HostError, HostResult};
use crate::protocol::ConversationId;
use crate::protocol::shapes::{ToolResultContentBlock, ToolResultStatus};

/// Who runs a tool when the model asks for it.
#[derive(Clone)]
#[allow(dead_code)] // `Host` is built by the MCP client and the ACP face, which build on this.
pub enum ToolRunner {
    /// The client, through a `tool/call` request (tools from `tool/register`).
    Client,
    /// The host itself, with no round trip to the client.
    Host(Arc<dyn HostTool>),
}

impl std::fmt::Debug for ToolRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ToolRunner::Client => "Client",
            ToolRunner::Host(_) => "Host",
        })
    }
}

/// A tool the host runs itself: its input has already been checked against
/// the tool's schema when `call` runs.
pub trait HostTool: Send + Sync {
    /// Runs one call. Dropping the future cancels the call (the turn was
    /// cancelled, or `toolCallTimeoutMs` passed): an implementation holding
    /// remote work tells the other side then (MCP's `notifications/cancelled`).
    fn call(&self, call: HostToolCall) -> BoxFuture<'static, ToolOutput>;
}

/// One call of a [`HostTool`].
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct HostToolCall {
    /// The conversation whose turn asked, when the call comes from one.
    pub conversation_id: Option<ConversationId>,
    pub tool_use_id: String,
    /// The name the model used (the registered name).
    pub name: String,
    pub input: Value,
}

/// What a tool answered: the toolResult's content and status.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    pub content: Vec<ToolResultContentBlock>,
    pub status: ToolResultStatus,
}

#[allow(dead_code)]
impl ToolOutput {
    pub fn text(text: impl Into<String>) -> Self {
        ToolOutput { content: vec![ToolResultContentBlock::Text(text.into())], status: ToolResultStatus::Success }
    }

    /// An error result: the model reads `message` and can try again.
    pub fn error(message: impl Into<String>) -> Self {
        ToolOutput { content: vec![ToolResultContentBlock::Text(message.into())], status: ToolResultStatus::Error }
    }
}

/// A tool as the client described it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

/// A registered tool with its compiled input validator.
pub struct RegisteredTool {
    pub definition: ToolDefinition,
    pub runner: ToolRunner,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for RegisteredTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredTool")
            .field("definition", &self.definition)
            .field("runner", &self.runner)
            .finish_non_exhaustive()
    }
}

impl RegisteredTool {
    /// True when the host runs the tool itself (no `tool/call` to the client).
    pub fn runs_on_host(&self) -> bool {
        matches!(self.runner, ToolRunner::Host(_))
    }

    /// Every way `input` breaks the tool's schema, as `path: message`
    /// sentences the model can act on; empty when the input is valid.
    pub fn input_errors(&self, input: &Value) -> Vec<String> {
        self.validator
            .iter_errors(input)
            .map(|error| {
                let path = error.instance_path().to_string();
                let path = if path.is_empty() { "(input)".to_string() } else { path };
                format!("{path}: {error}")
            })
            .collect()
    }
}

/// Bedrock's rule for tool names: `[a-zA-Z0-9_-]{1,64}`.
fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 64 {
        return Some(format!("`{name}` must be 1 to 64 characters long (it has {})", name.len()));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-')) {
        return Some(format!(
            "`{name}` contains `{bad}`; tool names may use only letters, digits, `_` and `-` (Bedrock's rule)"
        ));
    }
    None
}

fn compile(index: usize, definition: ToolDefinition, runner: ToolRunner) -> Result<RegisteredTool, Vec<FieldError>> {
    let mut errors = Vec::new();
    let at = |field: &str| format!("tools[{index}].{field}");
    if let Some(problem) = name_problem(&definition.name) {
        errors.push(FieldError::new(at("name"), problem));
    }
    let schema = &definition.input_schema;
    match schema {
        Value::Object(object) => {
            if let Some(kind) = object.get("type")
                && kind != "object"
            {
                errors.push(FieldError::new(
                    at("inputSchema.type"),
                    format!(
                        "tool `{}`: a tool's input is a JSON object, so its schema's `type` must be \"object\", not {kind}",
                        definition.name
                    ),
                ));
            }
        }
        other => errors.push(FieldError::new(
            at("inputSchema"),
            format!("tool `{}`: inputSchema must be a JSON Schema object such as {{\"type\": \"object\", \"properties\": {{…}}}}, not {other}", definition.name),
        )),
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    match jsonschema::validator_for(schema) {
        Ok(validator) => Ok(RegisteredTool { definition, runner, validator }),
        Err(error) => {
            let location = error.instance_path().to_string();
            let path = if location.is_empty() {
                at("inputSchema")
            } else {
                format!("{}{}", at("inputSchema"), location.replace('/', "."))
            };
            Err(vec![FieldError::new(path, format!("tool `{}`: not a valid JSON Schema: {error}", definition.name))])
        }
    }
}

/// The tools this host process knows. Changes apply from the next model call.
#[derive(Debug, Default)]
pub struct ToolRegistry {
    tools: RwLock<BTreeMap<String, Arc<RegisteredTool>>>,
}

impl ToolRegistry {
    /// Registers all or none: one bad tool rejects the call, naming each bad
    /// field. A name registered again is replaced.
    pub fn register(&self, definitions: Vec<ToolDefinition>) -> HostResult<Vec<String>> {
        self.register_with(definitions.into_iter().map(|definition| (definition, ToolRunner::Client)).collect())
    }

    /// Registers tools the host runs itself, all or none, as [`register`](Self::register) does.
    #[allow(dead_code)]
    pub fn register_host(&self, tools: Vec<(ToolDefinition, Arc<dyn HostTool>)>) -> HostResult<Vec<String>> {
        self.register_with(tools.into_iter().map(|(definition, tool)| (definition, ToolRunner::Host(tool))).collect())
    }

    fn register_with(&self, definitions: Vec<(ToolDefinition, ToolRunner)>) -> HostResult<Vec<String>> {
        let mut compiled = Vec::with_capacity(definitions.len());
        let mut errors = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (index, (definition, runner)) in definitions.into_iter().enumerate() {
            if !seen.insert(definition.name.clone()) {
                errors.push(FieldError::new(
                    format!("tools[{index}].name"),
                    format!("`{}` appears twice in this call; register each name once", definition.name),
                ));
                continue;
            }
            match compile(index, definition, runner) {
                Ok(tool) => compiled.push(tool),
                Err(mut problems) => errors.append(&mut problems),
            }
        }
        if !errors.is_empty() {
            let summary = errors.iter().map(|e| format!("`{}`: {}", e.path, e.message)).collect::<Vec<_>>().join("; ");
            return Err(HostError::InvalidParams { summary, errors });
        }
        let mut tools = self.tools.write().expect("tool registry lock poisoned");
        Ok(compiled
            .into_iter()
            .map(|tool| {
                let name = tool.definition.name.clone();
                tools.insert(name.clone(), Arc::new(tool));
                name
            })
            .collect())
    }

    /// Removes the named tools; returns those that were registered.
    pub fn unregister(&self, names: &[String]) -> Vec<String> {
        let mut tools = self.tools.write().expect("tool registry lock poisoned");
        names.iter().filter(|name| tools.remove(name.as_str()).is_some()).cloned().collect()
    }

    /// Every registered tool, by name.
    pub fn list(&self) -> Vec<Arc<RegisteredTool>> {
        self.tools.read().expect("tool registry lock poisoned").values().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Option<Arc<RegisteredTool>> {
        self.tools.read().expect("tool registry lock poisoned").get(name).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str, schema: Value) -> ToolDefinition {
        ToolDefinition { name: name.into(), description: format!("{name} tool"), input_schema: schema }
    }

    fn weather_schema() -> Value {
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
    }

    #[test]
    fn register_replace_list_unregister() {
        let registry = ToolRegistry::default();
        assert_eq!(registry.register(vec![tool("get_weather", weather_schema())]).unwrap(), ["get_weather"]);
        let mut replacement = tool("get_weather", json!({"type": "object"}));
        replacement.description = "new".into();
        registry.register(vec![replacement]).unwrap();
        let listed = registry.list();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].definition.description, "new");
        assert_eq!(registry.unregister(&["get_weather".into(), "nope".into()]), ["get_weather"]);
        assert!(registry.list().is_empty());
    }

    #[test]
    fn bad_tools_are_named_and_nothing_is_registered() {
        let registry = ToolRegistry::default();
        let error = registry
            .register(vec![
                tool("ok_tool", json!({"type": "object"})),
                tool("bad name!", json!({"type": "object"})),
                tool("arr", json!({"type": "array"})),
                tool("str", json!("not a schema")),
                tool("broken", json!({"type": "object", "properties": {"x": {"type": 12}}})),
            ])
            .unwrap_err();
        let HostError::InvalidParams { errors, .. } = error else { panic!("expected invalid params") };
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths[..3], ["tools[1].name", "tools[2].inputSchema.type", "tools[3].inputSchema"]);
        assert!(paths[3].starts_with("tools[4].inputSchema"), "{paths:?}");
        assert!(errors[1].message.contains("must be \"object\""), "{}", errors[1].message);
        assert!(registry.list().is_empty(), "a rejected call registers nothing");
    }

    struct Echo;

    impl HostTool for Echo {
        fn call(&self, call: HostToolCall) -> BoxFuture<'static, ToolOutput> {
            Box::pin(async move { ToolOutput::text(format!("{}: {}", call.name, call.input)) })
        }
    }

    #[tokio::test]
    async fn host_tools_run_on_the_host_and_client_tools_replace_them() {
        let registry = ToolRegistry::default();
        registry.register_host(vec![(tool("echo", json!({"type": "object"})), Arc::new(Echo))]).unwrap();
        let echo = registry.get("echo").unwrap();
        assert!(echo.runs_on_host());
        let ToolRunner::Host(runner) = &echo.runner else { panic!("expected a host tool") };
        let call = HostToolCall {
            conversation_id: None,
            tool_use_id: "t1".into(),
            name: "echo".into(),
            input: json!({"a": 1}),
        };
        assert_eq!(runner.call(call).await, ToolOutput::text("echo: {\"a\":1}"));
        registry.register(vec![tool("echo", json!({"type": "object"}))]).unwrap();
        assert!(!registry.get("echo").unwrap().runs_on_host(), "a name registered again is replaced");
    }

    #[test]
    fn input_is_checked_against_the_schema() {
        let registry = ToolRegistry::default();
        registry.register(vec![tool("get_weather", weather_schema())]).unwrap();
        let weather = registry.get("get_weather").unwrap();
        assert!(weather.input_errors(&json!({"city": "Paris"})).is_empty());
        let errors = weather.input_errors(&json!({"city": 3}));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("/city: "), "{errors:?}");
        assert!(weather.input_errors(&json!({}))[0].contains("\"city\" is a required property"));
    }
}
