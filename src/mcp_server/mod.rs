//! `bedrock-host mcp`: Bedrock offered to MCP clients (Claude Code, Cursor,
//! goose, Zed, …) as tools, over MCP's stdio transport, with the official
//! Rust MCP SDK (`rmcp`). docs/mcp-server.md is what users read.
//!
//! The backend and the models are chosen as the stdio server and `ask`
//! choose them (same flags, same environment, same aliases): `--emulator`
//! answers offline, otherwise the AWS chain decides. stdout carries MCP
//! messages only; logs go to the log file or, with `--log-stderr`, stderr.
//!
//! Tools: `converse`, `count_tokens`, `apply_guardrail`, `list_models`,
//! `estimate_cost`. Resource: `bedrock://models` (the catalog as JSON).
//! Bad arguments and Bedrock's refusals are tool errors (`isError: true`)
//! whose text names the field or Bedrock's exception and what to do, so the
//! model calling the tool can correct itself.

mod shapes;

use std::process::ExitCode;
use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::{schema_for_input, schema_for_output};
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, InitializeResult, JsonObject, ListResourcesResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::catalog::usage::{cost_usd, round_usd};
use crate::catalog::{self, BilledTokens, MODELS, ModelEntry, PRICES_AS_OF, PRICES_SOURCE};
use crate::cli::CommonArgs;
use crate::error::{HostError, HostResult};
use crate::host::backend::{self, BedrockBackend, DEFAULT_REGION};
use crate::host::{FALLBACK_MODEL, LaunchConfig};
use crate::protocol::shapes::{
    ContentBlock as BedrockBlock, ConversationRole, ConverseOutput as BedrockOutput, ConverseRequest,
    ConverseTokensRequest, CountTokensInput, InferenceConfiguration, Message, SystemContentBlock,
};
use crate::sdk::CallOptions;
use shapes::*;

/// The URI of the model catalog resource.
pub const MODELS_URI: &str = "bedrock://models";

/// What the client's model reads about this server (`instructions` of `initialize`).
const INSTRUCTIONS: &str = "Amazon Bedrock as tools. `converse` asks a Bedrock model (by alias such as `sonnet`, \
`haiku`, `opus`, `nova-pro`, or by Bedrock model id) and answers its text, with stop reason, token usage and cost in \
USD. `count_tokens` counts a prompt's input tokens before sending it; `estimate_cost` prices token counts; \
`list_models` (and the resource bedrock://models) lists the catalog: aliases, ids, inference profiles per region, \
prices, features. `apply_guardrail` checks text against a Bedrock guardrail. Errors come back as tool errors that name \
the argument to fix or Bedrock's exception.";

/// Runs the MCP server until the client closes stdin (or SIGTERM/SIGINT).
pub async fn run(common: &CommonArgs) -> anyhow::Result<ExitCode> {
    let emulator_control_token = match common.emulator_control_token() {
        Ok(token) => token,
        Err(problem) => {
            eprintln!("bedrock-host mcp: {problem}");
            return Ok(ExitCode::from(2));
        }
    };
    let launch = LaunchConfig {
        options: common.host_options(),
        emulator: common.emulator,
        emulator_script: common.emulator_script.clone(),
        emulator_control_token,
        max_frame_bytes: 0,
        response_cache_entries: 0,
        test_methods: false,
    };
    let backend = match backend::connect(&launch, &launch.options).await {
        Ok(backend) => backend,
        Err(error) => {
            eprintln!("bedrock-host mcp: {}", describe(&error));
            return Ok(ExitCode::FAILURE);
        }
    };
    let default_model = launch.options.default_model_id.clone().unwrap_or_else(|| FALLBACK_MODEL.to_string());
    let server = BedrockMcp::new(backend, default_model);
    tracing::info!(region = %server.inner.region(), "MCP server starting on stdio");
    let stop = crate::termination_signal();
    tokio::pin!(stop);
    // A signal that arrives while the client has not yet initialized ends the server too.
    let started = tokio::select! {
        started = server.serve(rmcp::transport::stdio()) => started,
        () = &mut stop => {
            tracing::info!("MCP server stopped by a signal before the session began");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let running = match started {
        Ok(running) => running,
        Err(error) => {
            // The client left or spoke something else before the session began.
            tracing::warn!(%error, "the MCP session did not start");
            eprintln!("bedrock-host mcp: the MCP session did not start: {error}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let cancel = running.cancellation_token();
    tokio::select! {
        quit = running.waiting() => match quit {
            Ok(reason) => tracing::info!(?reason, "MCP session ended"),
            Err(error) => tracing::warn!(%error, "MCP session task failed"),
        },
        () = &mut stop => {
            cancel.cancel();
            tracing::info!("MCP server stopped by a signal");
        }
    }
    Ok(ExitCode::SUCCESS)
}

struct Inner {
    backend: BedrockBackend,
    /// `--default-model-id`, or the host's fallback.
    default_model: String,
}

impl Inner {
    fn region(&self) -> &str {
        if self.backend.region.is_empty() { DEFAULT_REGION } else { &self.backend.region }
    }

    /// The model id to send for what the caller wrote at `field` (or the default model).
    fn resolve(&self, requested: Option<&str>, field: &str) -> HostResult<String> {
        let requested = requested.unwrap_or(&self.default_model).trim();
        if requested.is_empty() {
            return Err(HostError::invalid_field(
                field,
                "is empty; give a model alias such as `sonnet` or `haiku`, or a Bedrock model id (see list_models), \
                 or leave it out for the default model",
            ));
        }
        Ok(catalog::resolve_model_id(requested, self.region()))
    }

    fn catalog(&self, provider: Option<&str>) -> ModelCatalog {
        let region = self.region();
        let models = MODELS
            .iter()
            .filter(|entry| provider.is_none_or(|provider| entry.provider.eq_ignore_ascii_case(provider.trim())))
            .map(|entry| catalog_model(entry, region))
            .collect();
        ModelCatalog {
            region: region.to_string(),
            default_model: self.default_model.clone(),
            prices_as_of: PRICES_AS_OF.to_string(),
            prices_source: PRICES_SOURCE.to_string(),
            models,
        }
    }
}

fn catalog_model(entry: &ModelEntry, region: &str) -> CatalogModel {
    let owned = |id: Option<&str>| id.map(str::to_string);
    CatalogModel {
        id: entry.id.to_string(),
        name: entry.name.to_string(),
        provider: entry.provider.to_string(),
        aliases: entry.aliases.iter().map(|alias| alias.to_string()).collect(),
        model_id_in_region: entry
            .aliases
            .first()
            .map_or_else(|| entry.id.to_string(), |alias| catalog::resolve_model_id(alias, region)),
        inference_profiles: Profiles {
            us: owned(entry.profiles.us),
            eu: owned(entry.profiles.eu),
            apac: owned(entry.profiles.apac),
            global: owned(entry.profiles.global),
        },
        context_window: entry.context_window,
        max_output_tokens: entry.max_output_tokens,
        pricing: pricing(entry),
        supports: ModelFeatures {
            streaming: entry.supports.streaming,
            tools: entry.supports.tools,
            images: entry.supports.images,
            documents: entry.supports.documents,
            reasoning: entry.supports.reasoning,
            guardrails: entry.supports.guardrails,
        },
    }
}

fn pricing(entry: &ModelEntry) -> ModelPricing {
    ModelPricing {
        input_per_million: entry.pricing.input_per_million,
        output_per_million: entry.pricing.output_per_million,
        // Derived from the input price (`input * 0.1`): rounded, so 0.3 does not read 0.30000000000000004.
        cache_read_per_million: entry.pricing.cache_read_per_million.map(round_usd),
        cache_write_per_million: entry.pricing.cache_write_per_million.map(round_usd),
        currency: "USD".to_string(),
    }
}

/// The MCP server: one per process, shared by every request.
#[derive(Clone)]
pub struct BedrockMcp {
    inner: Arc<Inner>,
    tool_router: ToolRouter<Self>,
}

/// Parses a tool's arguments; a bad field is an error naming its JSON path.
fn parse<T: DeserializeOwned>(arguments: JsonObject) -> HostResult<T> {
    crate::protocol::parse_params(Some(serde_json::Value::Object(arguments)))
}

/// The message a model reads when a tool fails: the field and the fix, or Bedrock's exception.
fn describe(error: &HostError) -> String {
    match error {
        HostError::InvalidParams { errors, .. } => {
            let fields: Vec<String> = errors
                .iter()
                .map(|field| {
                    if field.path.is_empty() {
                        field.message.clone()
                    } else {
                        format!("`{}`: {}", field.path, field.message)
                    }
                })
                .collect();
            format!("invalid arguments: {}", fields.join("; "))
        }
        HostError::Bedrock { message, data } => format!(
            "Bedrock answered {} (HTTP {}{}, {} attempt(s){}): {message}",
            data.bedrock_code,
            data.http_status,
            if data.retryable { ", retryable" } else { "" },
            data.attempts,
            data.request_id.as_deref().map(|id| format!(", request id {id}")).unwrap_or_default(),
        ),
        HostError::NoCredentials { hint, .. } | HostError::NoRegion { hint, .. } => format!("{error}\nhint: {hint}"),
        other => other.to_string(),
    }
}

fn tool_error(error: &HostError) -> CallToolResult {
    tracing::debug!(%error, "tool error");
    CallToolResult::error(vec![ContentBlock::text(describe(error))])
}

/// A result whose `structuredContent` is `value` and whose text is `text`.
fn structured_result(text: String, value: &impl Serialize) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(serde_json::to_value(value).expect("tool output serializes"));
    result
}

/// A result whose text is the JSON of `structuredContent` (what MCP asks of tools with an output schema).
fn json_result(value: &impl Serialize) -> CallToolResult {
    CallToolResult::structured(serde_json::to_value(value).expect("tool output serializes"))
}

/// Runs a tool body; a `HostError` becomes a tool error.
fn finish(outcome: HostResult<CallToolResult>) -> Result<CallToolResult, ErrorData> {
    Ok(outcome.unwrap_or_else(|error| tool_error(&error)))
}

/// `prompt` or `messages` (exactly one), as Bedrock messages.
fn conversation(prompt: Option<String>, messages: Option<Vec<Message>>) -> HostResult<Vec<Message>> {
    match (prompt, messages) {
        (Some(_), Some(_)) => Err(HostError::invalid_field(
            "messages",
            "give `prompt` (one user message as text) or `messages` (a Bedrock conversation), not both",
        )),
        (None, None) => Err(HostError::invalid_field(
            "prompt",
            "is missing; give `prompt` (the user's message as text) or `messages` (a Bedrock conversation)",
        )),
        (Some(prompt), None) if prompt.trim().is_empty() => {
            Err(HostError::invalid_field("prompt", "is empty; give the user's message as text"))
        }
        (Some(prompt), None) => {
            Ok(vec![Message { role: ConversationRole::User, content: vec![BedrockBlock::Text(prompt)] }])
        }
        (None, Some(messages)) if messages.is_empty() => Err(HostError::invalid_field(
            "messages",
            "is empty; give at least one message: [{\"role\": \"user\", \"content\": [{\"text\": \"…\"}]}]",
        )),
        (None, Some(messages)) => Ok(messages),
    }
}

fn system_blocks(system: Option<String>) -> Option<Vec<SystemContentBlock>> {
    system.filter(|text| !text.trim().is_empty()).map(|text| vec![SystemContentBlock::Text(text)])
}

#[tool_router(router = tool_router)]
impl BedrockMcp {
    fn new(backend: BedrockBackend, default_model: String) -> Self {
        Self { inner: Arc::new(Inner { backend, default_model }), tool_router: Self::tool_router() }
    }

    #[tool(
        name = "converse",
        title = "Ask a Bedrock model",
        description = "Send a prompt (or a whole conversation in Bedrock Converse's message shape) to an Amazon \
            Bedrock model and get its answer. `model` is an alias (`sonnet`, `haiku`, `opus`, `nova-pro`, … see \
            list_models) or a Bedrock model id; left out, the server's default model answers. The text content is \
            the answer; structuredContent adds stopReason, usage (tokens), costUsd (null when the model has no price \
            in the catalog) and the modelId used.",
        input_schema = input_schema::<ConverseArgs>(),
        output_schema = schema_for_output::<ConverseOutput>(),
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn converse(&self, arguments: JsonObject) -> Result<CallToolResult, ErrorData> {
        finish(self.converse_call(arguments).await)
    }

    async fn converse_call(&self, arguments: JsonObject) -> HostResult<CallToolResult> {
        let args: ConverseArgs = parse(arguments)?;
        let model_id = self.inner.resolve(args.model.as_deref(), "model")?;
        if args.max_tokens == Some(0) {
            return Err(HostError::invalid_field(
                "maxTokens",
                "must be at least 1; leave it out for the model's default",
            ));
        }
        if let Some(temperature) = args.temperature
            && !(0.0..=1.0).contains(&temperature)
        {
            return Err(HostError::invalid_field(
                "temperature",
                format!("is {temperature}; give a number from 0 to 1"),
            ));
        }
        let messages = conversation(args.prompt, args.messages)?;
        let inference_config = (args.max_tokens.is_some() || args.temperature.is_some()).then(|| {
            InferenceConfiguration { max_tokens: args.max_tokens, temperature: args.temperature, ..Default::default() }
        });
        let request = ConverseRequest {
            model_id: model_id.clone(),
            messages: Some(messages),
            system: system_blocks(args.system),
            inference_config,
            ..ConverseRequest::default()
        };
        let response = self.inner.backend.gateway.converse(&model_id, &request, &CallOptions::default()).await?;
        let BedrockOutput::Message(message) = &response.output;
        let text: String = message
            .content
            .iter()
            .filter_map(|block| match block {
                BedrockBlock::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let output = ConverseOutput {
            text: text.clone(),
            stop_reason: response.stop_reason.clone(),
            cost_usd: cost_usd(&model_id, self.inner.region(), &response.usage),
            usage: response.usage,
            model_id,
            latency_ms: response.metrics.latency_ms,
        };
        tracing::info!(model = %output.model_id, stop_reason = %output.stop_reason, "converse answered");
        Ok(structured_result(text, &output))
    }

    #[tool(
        name = "count_tokens",
        title = "Count a prompt's tokens",
        description = "Count the input tokens a Bedrock model would read for a prompt (or conversation) and system \
            prompt, without running the model (Bedrock CountTokens). Give `expectedOutputTokens` to get the \
            estimated cost of the whole call in estimatedCostUsd.",
        input_schema = input_schema::<CountTokensArgs>(),
        output_schema = schema_for_output::<CountTokensOutput>(),
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn count_tokens(&self, arguments: JsonObject) -> Result<CallToolResult, ErrorData> {
        finish(self.count_tokens_call(arguments).await)
    }

    async fn count_tokens_call(&self, arguments: JsonObject) -> HostResult<CallToolResult> {
        let args: CountTokensArgs = parse(arguments)?;
        // CountTokens takes base model ids only: aliases and `us.…` profiles are mapped back.
        let model_id =
            catalog::base_model_id(&self.inner.resolve(args.model.as_deref(), "model")?, self.inner.region());
        let messages = conversation(args.prompt, args.messages)?;
        let input = CountTokensInput::Converse(ConverseTokensRequest {
            messages: Some(messages),
            system: system_blocks(args.system),
            ..ConverseTokensRequest::default()
        });
        let input_tokens = self.inner.backend.gateway.count_tokens(&model_id, &input, &CallOptions::default()).await?;
        let tokens = BilledTokens {
            input: u64::from(input_tokens),
            output: args.expected_output_tokens.unwrap_or(0),
            ..Default::default()
        };
        let estimated_cost_usd =
            catalog::cost_for(&model_id, self.inner.region(), tokens).map(|cost| round_usd(cost.total_usd));
        Ok(json_result(&CountTokensOutput { input_tokens, model_id, estimated_cost_usd }))
    }

    #[tool(
        name = "apply_guardrail",
        title = "Check text against a Bedrock guardrail",
        description = "Evaluate text with an Amazon Bedrock guardrail (Bedrock ApplyGuardrail) without calling a \
            model. `source` is INPUT (a user prompt) or OUTPUT (a model answer); `content` is a list such as \
            [{\"text\": {\"text\": \"…\"}}]. The result's `action` is GUARDRAIL_INTERVENED (with the replacement \
            text in `outputs`) or NONE, with the guardrail's assessments.",
        input_schema = input_schema::<ApplyGuardrailArgs>(),
        output_schema = schema_for_output::<ApplyGuardrailOutput>(),
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn apply_guardrail(&self, arguments: JsonObject) -> Result<CallToolResult, ErrorData> {
        finish(self.apply_guardrail_call(arguments).await)
    }

    async fn apply_guardrail_call(&self, arguments: JsonObject) -> HostResult<CallToolResult> {
        let args: ApplyGuardrailArgs = parse(arguments)?;
        if args.guardrail_identifier.trim().is_empty() {
            return Err(HostError::invalid_field("guardrailIdentifier", "is empty; give the guardrail's id or ARN"));
        }
        if args.guardrail_version.trim().is_empty() {
            return Err(HostError::invalid_field(
                "guardrailVersion",
                "is empty; give the guardrail's version number or `DRAFT`",
            ));
        }
        if args.content.is_empty() {
            return Err(HostError::invalid_field(
                "content",
                "is empty; give at least one block such as {\"text\": {\"text\": \"…\"}}",
            ));
        }
        let response: ApplyGuardrailOutput =
            self.inner.backend.gateway.apply_guardrail(&args, &CallOptions::default()).await?;
        Ok(json_result(&response))
    }

    #[tool(
        name = "list_models",
        title = "List Bedrock models",
        description = "The model catalog: each model's id, name, provider, aliases (usable as `model` in the other \
            tools), the id an alias is sent as in this server's region, cross-region inference profiles, context \
            window, prices in USD per million tokens and features. Optionally only one `provider`'s models.",
        input_schema = input_schema::<ListModelsArgs>(),
        output_schema = schema_for_output::<ModelCatalog>(),
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_models(&self, arguments: JsonObject) -> Result<CallToolResult, ErrorData> {
        finish(
            parse::<ListModelsArgs>(arguments).map(|args| json_result(&self.inner.catalog(args.provider.as_deref()))),
        )
    }

    #[tool(
        name = "estimate_cost",
        title = "Estimate the cost of tokens",
        description = "The cost in USD of a number of input and output tokens (and prompt-cache reads and writes) \
            on a model, at the catalog's on-demand list prices. `model` as for converse; left out, the default \
            model. A model the catalog has no price for is an error.",
        input_schema = input_schema::<EstimateCostArgs>(),
        output_schema = schema_for_output::<EstimateCostOutput>(),
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn estimate_cost(&self, arguments: JsonObject) -> Result<CallToolResult, ErrorData> {
        finish(self.estimate_cost_call(arguments))
    }

    fn estimate_cost_call(&self, arguments: JsonObject) -> HostResult<CallToolResult> {
        let args: EstimateCostArgs = parse(arguments)?;
        let requested = self.inner.resolve(args.model.as_deref(), "model")?;
        let entry = catalog::find_model(&requested, self.inner.region()).ok_or_else(|| {
            HostError::invalid_field(
                "model",
                format!(
                    "the catalog has no price for `{}`; give a model from list_models (an alias such as `sonnet`, \
                     or its id)",
                    args.model.as_deref().unwrap_or(&self.inner.default_model)
                ),
            )
        })?;
        let cost = entry.pricing.cost(BilledTokens {
            input: args.input_tokens,
            output: args.output_tokens,
            cache_read: args.cache_read_input_tokens,
            cache_write: args.cache_write_input_tokens,
        });
        Ok(json_result(&EstimateCostOutput {
            model_id: entry.id.to_string(),
            input_cost_usd: round_usd(cost.input_usd),
            output_cost_usd: round_usd(cost.output_usd),
            total_cost_usd: round_usd(cost.total_usd),
            pricing: pricing(entry),
            prices_as_of: PRICES_AS_OF.to_string(),
        }))
    }
}

/// A tool's `inputSchema` from its arguments type (an object schema by construction). An optional
/// argument is offered as its own type (`"type": "string"`, not `["string", "null"]`, and no
/// `"default": null`): leaving it out is how it is not given, and clients that map tool schemas onto
/// a single-`type` dialect (Gemini's function declarations, OpenAPI 3.0) accept it. `null` is still
/// accepted as "not given".
fn input_schema<T: schemars::JsonSchema + 'static>() -> Arc<JsonObject> {
    let schema = schema_for_input::<T>()
        .unwrap_or_else(|problem| panic!("the input schema of a tool is not an object: {problem}"));
    let mut schema = serde_json::Value::Object(schema.as_ref().clone());
    drop_null_types(&mut schema);
    match schema {
        serde_json::Value::Object(object) => Arc::new(object),
        _ => unreachable!("an object stays an object"),
    }
}

/// `"type": [T, "null"]` → `"type": T`, `"anyOf": [X, {"type": "null"}]` → X, and no `"default": null`,
/// everywhere in `schema`.
fn drop_null_types(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(object) => {
            if let Some(serde_json::Value::Array(types)) = object.get("type")
                && types.len() == 2
                && let Some(index) = types.iter().position(|t| t == "null")
            {
                let other = types[1 - index].clone();
                object.insert("type".into(), other);
                if object.get("default") == Some(&serde_json::Value::Null) {
                    object.remove("default");
                }
            }
            // `anyOf: [X, {"type": "null"}]` (an optional enum or struct) → X's keys.
            if let Some(serde_json::Value::Array(branches)) = object.get("anyOf")
                && branches.len() == 2
                && let Some(index) = branches.iter().position(|b| *b == serde_json::json!({"type": "null"}))
                && let serde_json::Value::Object(other) = branches[1 - index].clone()
            {
                object.remove("anyOf");
                for (key, value) in other {
                    object.entry(key).or_insert(value);
                }
                if object.get("default") == Some(&serde_json::Value::Null) {
                    object.remove("default");
                }
            }
            object.values_mut().for_each(drop_null_types);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_null_types),
        _ => {}
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for BedrockMcp {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(
                Implementation::new("bedrock-host", env!("CARGO_PKG_VERSION"))
                    .with_title("Amazon Bedrock (bedrock-host)"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(MODELS_URI, "models")
                .with_title("Bedrock model catalog")
                .with_description(
                    "Every model the catalog knows: ids, aliases, inference profiles per region, prices (USD per \
                     million tokens), features; the same JSON as the list_models tool.",
                )
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != MODELS_URI {
            return Err(ErrorData::resource_not_found(
                format!("no resource `{}`: this server has `{MODELS_URI}`", request.uri),
                None,
            ));
        }
        let catalog = serde_json::to_string_pretty(&self.inner.catalog(None)).expect("the catalog serializes");
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(catalog, MODELS_URI).with_mime_type("application/json"),
        ])
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input_schemas() -> Vec<(&'static str, Arc<JsonObject>)> {
        vec![
            ("converse", input_schema::<ConverseArgs>()),
            ("count_tokens", input_schema::<CountTokensArgs>()),
            ("apply_guardrail", input_schema::<ApplyGuardrailArgs>()),
            ("list_models", input_schema::<ListModelsArgs>()),
            ("estimate_cost", input_schema::<EstimateCostArgs>()),
        ]
    }

    #[test]
    fn input_schemas_offer_optional_arguments_with_one_type() {
        for (tool, schema) in input_schemas() {
            let text = serde_json::to_string(&schema).unwrap();
            assert!(!text.contains("\"null\""), "{tool}: {text}");
            assert_eq!(schema["type"], "object", "{tool}");
        }
    }

    #[test]
    fn every_argument_of_our_own_tools_is_described() {
        for (tool, schema) in input_schemas().into_iter().filter(|(tool, _)| *tool != "apply_guardrail") {
            for (name, property) in schema["properties"].as_object().unwrap() {
                assert!(
                    property.get("description").and_then(|d| d.as_str()).is_some_and(|d| d.len() > 10),
                    "{tool}.{name} has no description: {property}"
                );
            }
        }
    }

    #[test]
    fn drop_null_types_keeps_the_other_type_and_drops_a_null_default() {
        let mut schema = serde_json::json!({
            "type": "object",
            "properties": {
                "a": {"type": ["string", "null"], "default": null},
                "b": {"type": ["null", "integer"], "default": 3},
                "c": {"type": ["string", "integer", "null"]},
                "d": {"items": {"type": ["boolean", "null"]}},
                "e": {"anyOf": [{"$ref": "#/$defs/E"}, {"type": "null"}], "description": "an enum"}
            }
        });
        drop_null_types(&mut schema);
        assert_eq!(
            schema["properties"],
            serde_json::json!({
                "a": {"type": "string"},
                "b": {"type": "integer", "default": 3},
                "c": {"type": ["string", "integer", "null"]},
                "d": {"items": {"type": "boolean"}},
                "e": {"$ref": "#/$defs/E", "description": "an enum"}
            })
        );
    }

    #[test]
    fn tool_errors_name_the_field_or_the_exception() {
        let error = HostError::invalid_field("messages[0].role", "unknown variant `robot`");
        assert_eq!(describe(&error), "invalid arguments: `messages[0].role`: unknown variant `robot`");
        let error = HostError::Bedrock {
            message: "Bedrock throttled Converse.".into(),
            data: crate::error::BedrockErrorData {
                bedrock_code: "ThrottlingException".into(),
                http_status: 429,
                retryable: true,
                attempts: 3,
                request_id: Some("req-1".into()),
                partial: None,
            },
        };
        assert_eq!(
            describe(&error),
            "Bedrock answered ThrottlingException (HTTP 429, retryable, 3 attempt(s), request id req-1): Bedrock \
             throttled Converse."
        );
        let result = tool_error(&error);
        assert_eq!(result.is_error, Some(true));
        assert!(result.structured_content.is_none());
    }
}
