//! The stateless Bedrock operations (`bedrock/*`) and the catalog methods
//! (`bedrock/listModels`, `cost/estimate`), one-to-one with Bedrock Runtime.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::agent::turn::{self, Notifier, SharedProgress};
use crate::catalog::usage::cost_usd;
use crate::catalog::{self, BilledTokens, MODELS, ModelEntry, PRICES_AS_OF};
use crate::error::{HostError, HostResult};
use crate::host::RequestContext;
use crate::protocol::EmptyParams;
use crate::protocol::shapes::{
    ApplyGuardrailRequest, ApplyGuardrailResponse, AsyncInvokeSummary, GetAsyncInvokeRequest, GuardrailTrace,
    ListAsyncInvokesRequest, ListAsyncInvokesResponse, StartAsyncInvokeResponse, TokenUsage,
};
use crate::protocol::{
    AsyncStatusParams, ConverseGuardrailParams, ConverseParams, ConverseResult, CostEstimateParams, CostEstimateResult,
    CountTokensParams, CountTokensResult, InferenceProfiles, InvokeChunkParams, InvokeModelBody, InvokeModelParams,
    InvokeModelResult, InvokeModelStreamed, InvokeModelTrace, ListModelsResult, ModelInfo, ModelSupports, Pricing,
    StartAsyncInvokeParams, method,
};
use crate::sdk::{BedrockGateway, CallOptions, InvokeModelRequest};
use crate::transport::ClientHandle;

fn model_info(entry: &ModelEntry) -> ModelInfo {
    ModelInfo {
        id: entry.id.to_string(),
        name: entry.name.to_string(),
        provider: entry.provider.to_string(),
        inference_profiles: InferenceProfiles {
            us: entry.profiles.us.map(str::to_string),
            eu: entry.profiles.eu.map(str::to_string),
            apac: entry.profiles.apac.map(str::to_string),
            global: entry.profiles.global.map(str::to_string),
        },
        context_window: entry.context_window,
        max_output_tokens: entry.max_output_tokens,
        pricing: pricing(entry),
        supports: ModelSupports {
            streaming: entry.supports.streaming,
            tools: entry.supports.tools,
            images: entry.supports.images,
            documents: entry.supports.documents,
            reasoning: entry.supports.reasoning,
            guardrails: entry.supports.guardrails,
        },
        aliases: entry.aliases.iter().map(|alias| alias.to_string()).collect(),
    }
}

fn pricing(entry: &ModelEntry) -> Pricing {
    let caches = crate::catalog::caching::prompt_caching(entry.id, "us-east-1").is_some();
    Pricing {
        input_per_million: entry.pricing.input_per_million,
        output_per_million: entry.pricing.output_per_million,
        currency: "USD".to_string(),
        as_of: PRICES_AS_OF.to_string(),
        cache_read_per_million: entry
            .pricing
            .cache_read_per_million
            .filter(|_| caches)
            .map(crate::catalog::usage::round_usd),
        cache_write_per_million: entry
            .pricing
            .cache_write_per_million
            .filter(|_| caches)
            .map(crate::catalog::usage::round_usd),
    }
}

pub async fn list_models(_ctx: RequestContext, _params: EmptyParams) -> HostResult<ListModelsResult> {
    Ok(ListModelsResult { models: MODELS.iter().map(model_info).collect() })
}

pub async fn cost_estimate(ctx: RequestContext, params: CostEstimateParams) -> HostResult<CostEstimateResult> {
    let region = ctx.session.region();
    let entry = catalog::find_model(&params.model_id, region).ok_or_else(|| {
        HostError::invalid_field(
            "modelId",
            format!(
                "the catalog has no price for `{}`; use a model from bedrock/listModels (an id, profile id or alias)",
                params.model_id
            ),
        )
    })?;
    let cost = entry.pricing.cost(BilledTokens {
        input: params.input_tokens,
        output: params.output_tokens,
        ..Default::default()
    });
    Ok(CostEstimateResult {
        input_cost_usd: cost.input_usd,
        output_cost_usd: cost.output_usd,
        total_cost_usd: cost.total_usd,
        pricing: pricing(entry),
    })
}

/// Refuses an empty (or blank) string that Bedrock needs: most are part of
/// the request's URL, which the SDK cannot even build without them.
fn required(value: &str, path: &str, what: &str) -> HostResult<()> {
    if value.trim().is_empty() {
        return Err(HostError::invalid_field(path, format!("is empty; give {what}")));
    }
    Ok(())
}

const GUARDRAIL_ID: &str = "the guardrail's id or ARN";
const GUARDRAIL_VERSION: &str = "the guardrail's version number or `DRAFT`";

pub async fn converse(ctx: RequestContext, params: ConverseParams) -> HostResult<ConverseResult> {
    let session = &ctx.session;
    if let Some(guardrail) = &params.guardrail_config {
        required(&guardrail.guardrail_identifier, "guardrailConfig.guardrailIdentifier", GUARDRAIL_ID)?;
        required(&guardrail.guardrail_version, "guardrailConfig.guardrailVersion", GUARDRAIL_VERSION)?;
    }
    let (mut request, stream) = params.into_request();
    let model_id = session.resolve_model(Some(&request.model_id))?;
    request.model_id = model_id.clone();
    if request.guardrail_config.is_none() {
        request.guardrail_config = session.default_guardrail();
    }
    let cache = session.response_cache.as_ref().filter(|_| !stream);
    if let Some(response) = cache.and_then(|cache| cache.get(&model_id, &request)) {
        return Ok(ConverseResult { response, cost_usd: Some(0.0), cached: true });
    }
    let notifier = Notifier { client: ctx.client.clone(), request_id: ctx.id.clone(), conversation_id: None };
    let progress: SharedProgress = Arc::default();
    let snapshot_source = progress.clone();
    ctx.partial.set_snapshot(Arc::new(move || crate::sync::lock(&snapshot_source).snapshot()));
    let outcome = turn::call_model(&session.backend.gateway, &model_id, &request, stream, 1, &notifier, &progress)
        .await
        .map_err(|error| error.with_partial(crate::sync::lock(&progress).snapshot()))?;
    let response = outcome.assembled.response;
    let cost = cost_usd(&model_id, session.region(), &response.usage);
    session.usage.record(&model_id, &response.usage, cost);
    turn::report_guardrail(&notifier, &response).await;
    if let Some(cache) = cache {
        cache.put(&model_id, &request, response.clone());
    }
    Ok(ConverseResult { response, cost_usd: cost, cached: false })
}

/// A chunk as the client sees it: JSON when it parses, else base64.
fn chunk_value(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(BASE64.encode(bytes)))
}

/// `amazon-bedrock-guardrailAction` of a native body, when Bedrock put one there.
fn guardrail_action(body: &Value) -> Option<String> {
    body.get("amazon-bedrock-guardrailAction").and_then(Value::as_str).map(str::to_owned)
}

/// Sends `converse/guardrail` when a native body says the guardrail intervened.
async fn report_intervention(notifier: &Notifier, action: Option<&str>) {
    if action != Some("INTERVENED") {
        return;
    }
    let params = ConverseGuardrailParams {
        request_id: notifier.request_id.clone(),
        conversation_id: None,
        action: "INTERVENED".to_string(),
        stop_reason: "guardrail_intervened".to_string(),
        trace: None,
    };
    // A client that is gone misses nothing it could still read.
    let _ = notifier.send::<method::ConverseGuardrail>(params).await;
}

fn token_usage(input: u64, output: u64) -> TokenUsage {
    let clamp = |tokens: u64| u32::try_from(tokens).unwrap_or(u32::MAX);
    TokenUsage {
        input_tokens: clamp(input),
        output_tokens: clamp(output),
        total_tokens: clamp(input.saturating_add(output)),
        ..TokenUsage::default()
    }
}

/// The usage an Anthropic response body reports (`usage.input_tokens`, `usage.output_tokens`).
fn anthropic_usage(body: &Value) -> Option<TokenUsage> {
    let usage = body.get("usage")?;
    Some(token_usage(usage.get("input_tokens")?.as_u64()?, usage.get("output_tokens")?.as_u64()?))
}

/// The usage in `amazon-bedrock-invocationMetrics` (`inputTokenCount`, `outputTokenCount`).
fn invocation_metrics_usage(metrics: &Value) -> Option<TokenUsage> {
    Some(token_usage(metrics.get("inputTokenCount")?.as_u64()?, metrics.get("outputTokenCount")?.as_u64()?))
}

/// The wire value of one of the protocol's enums (`ENABLED_FULL`, `optimized`).
fn wire_value<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        other => unreachable!("protocol enums serialize to strings, got {other:?}"),
    }
}

pub async fn invoke_model(ctx: RequestContext, params: InvokeModelParams) -> HostResult<InvokeModelResult> {
    let session = &ctx.session;
    let model_id = session.resolve_model(Some(&params.model_id))?;
    if params.guardrail_identifier.is_some() != params.guardrail_version.is_some() {
        return Err(HostError::invalid_field(
            if params.guardrail_identifier.is_some() { "guardrailVersion" } else { "guardrailIdentifier" },
            "guardrailIdentifier and guardrailVersion go together; give both or neither",
        ));
    }
    if let Some(identifier) = &params.guardrail_identifier {
        required(identifier, "guardrailIdentifier", GUARDRAIL_ID)?;
    }
    if let Some(version) = &params.guardrail_version {
        required(version, "guardrailVersion", GUARDRAIL_VERSION)?;
    }
    // HostOptions.guardrailConfig is a default for every call: InvokeModel takes it as headers.
    let (guardrail_identifier, guardrail_version, default_trace) =
        match (params.guardrail_identifier, params.guardrail_version) {
            (Some(identifier), Some(version)) => (Some(identifier), Some(version), None),
            _ => match session.default_guardrail() {
                Some(config) => (
                    Some(config.guardrail_identifier),
                    Some(config.guardrail_version),
                    config.trace.filter(|trace| *trace != GuardrailTrace::Disabled).map(|_| InvokeModelTrace::Enabled),
                ),
                None => (None, None, None),
            },
        };
    let body = serde_json::to_vec(&params.body).expect("a JSON value serializes");
    let request = InvokeModelRequest {
        body: body.into(),
        content_type: Some(params.content_type.unwrap_or_else(|| "application/json".to_string())),
        accept: Some(params.accept.unwrap_or_else(|| "application/json".to_string())),
        guardrail_identifier,
        guardrail_version,
        // The enums' serde names are Bedrock's wire values (checked against the Smithy model).
        trace: params.trace.or(default_trace).map(wire_value),
        performance_config_latency: params.performance_config_latency.map(wire_value),
        service_tier: params.service_tier.map(wire_value),
    };
    let notifier = Notifier { client: ctx.client.clone(), request_id: ctx.id.clone(), conversation_id: None };
    let options = CallOptions::default();
    let record_usage = |usage: &TokenUsage| {
        session.usage.record(&model_id, usage, cost_usd(&model_id, session.region(), usage));
    };
    if !params.stream.unwrap_or(false) {
        let response = session.backend.gateway.invoke_model(&model_id, request, &options).await?;
        let body = chunk_value(&response.body);
        if let Some(usage) = anthropic_usage(&body) {
            record_usage(&usage);
        }
        let guardrail_action = guardrail_action(&body);
        report_intervention(&notifier, guardrail_action.as_deref()).await;
        return Ok(InvokeModelResult::Body(InvokeModelBody {
            guardrail_action,
            body,
            content_type: response.content_type,
            performance_config_latency: response.performance_config_latency,
            service_tier: response.service_tier,
        }));
    }
    let mut chunks = session.backend.gateway.invoke_model_stream(&model_id, request, &options).await?;
    let mut streamed = InvokeModelStreamed {
        content_type: Some(chunks.content_type.clone()),
        performance_config_latency: chunks.performance_config_latency.clone(),
        service_tier: chunks.service_tier.clone(),
        ..InvokeModelStreamed::default()
    };
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk_value(&chunk?);
        if let Some(action) = guardrail_action(&chunk) {
            report_intervention(&notifier, Some(&action)).await;
            streamed.guardrail_action = Some(action);
        }
        // Bedrock puts the metrics on the last chunk; keeping the latest seen is keeping that one.
        if let Some(metrics) = chunk.get("amazon-bedrock-invocationMetrics") {
            streamed.invocation_metrics = Some(metrics.clone());
        }
        let params = InvokeChunkParams { request_id: notifier.request_id.clone(), index: streamed.chunks, chunk };
        // Waits for room: the next chunk is not read from Bedrock until this one is queued for the client.
        if notifier.send::<method::InvokeChunk>(params).await.is_err() {
            // The client is gone; nobody reads the rest.
            return Err(HostError::Cancelled { partial: None });
        }
        streamed.chunks += 1;
    }
    streamed.usage = streamed.invocation_metrics.as_ref().and_then(invocation_metrics_usage);
    if let Some(usage) = &streamed.usage {
        record_usage(usage);
    }
    Ok(InvokeModelResult::Streamed(streamed))
}

pub async fn count_tokens(ctx: RequestContext, params: CountTokensParams) -> HostResult<CountTokensResult> {
    let session = &ctx.session;
    // CountTokens takes base model ids only: `us.anthropic…` and aliases are mapped back.
    let base_model = catalog::base_model_id(&session.resolve_model(Some(&params.model_id))?, session.region());
    let input_tokens =
        session.backend.gateway.count_tokens(&base_model, &params.input, &CallOptions::default()).await?;
    let estimated_cost_usd = params.expected_output_tokens.and_then(|output| {
        let tokens = BilledTokens { input: u64::from(input_tokens), output, ..Default::default() };
        catalog::cost_for(&base_model, session.region(), tokens).map(|cost| cost.total_usd)
    });
    Ok(CountTokensResult { input_tokens, estimated_cost_usd })
}

pub async fn apply_guardrail(ctx: RequestContext, params: ApplyGuardrailRequest) -> HostResult<ApplyGuardrailResponse> {
    required(&params.guardrail_identifier, "guardrailIdentifier", GUARDRAIL_ID)?;
    required(&params.guardrail_version, "guardrailVersion", GUARDRAIL_VERSION)?;
    ctx.session.backend.gateway.apply_guardrail(&params, &CallOptions::default()).await
}

/// An unknown job is -32003 (docs/protocol.md), although Bedrock itself answers a
/// well-formed ARN it does not know with ValidationException.
pub async fn get_async_invoke(ctx: RequestContext, params: GetAsyncInvokeRequest) -> HostResult<AsyncInvokeSummary> {
    required(&params.invocation_arn, "invocationArn", "the job's ARN, as bedrock/startAsyncInvoke returned it")?;
    let arn = params.invocation_arn;
    match ctx.session.backend.gateway.get_async_invoke(&arn, &CallOptions::default()).await {
        Err(HostError::Bedrock { data, .. })
            if is_async_invoke_arn(&arn)
                && matches!(data.bedrock_code.as_str(), "ValidationException" | "ResourceNotFoundException") =>
        {
            Err(HostError::NotFound { kind: "asyncInvoke", id: arn })
        }
        other => other,
    }
}

/// `arn:aws[-partition]:bedrock:<region>:<account>:async-invoke/<id>`.
fn is_async_invoke_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "bedrock"
        && parts[5].strip_prefix("async-invoke/").is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

pub async fn list_async_invokes(
    ctx: RequestContext,
    params: ListAsyncInvokesRequest,
) -> HostResult<ListAsyncInvokesResponse> {
    ctx.session.backend.gateway.list_async_invokes(&params, &CallOptions::default()).await
}

pub async fn start_async_invoke(
    ctx: RequestContext,
    params: StartAsyncInvokeParams,
) -> HostResult<StartAsyncInvokeResponse> {
    let session = &ctx.session;
    let (mut request, watch) = params.into_request();
    request.model_id = session.resolve_model(Some(&request.model_id))?;
    let started = session.backend.gateway.start_async_invoke(&request, &CallOptions::default()).await?;
    if watch {
        // The watcher outlives this request: it belongs to the session and ends with it.
        let watcher = AsyncWatcher {
            gateway: session.backend.gateway.clone(),
            client: ctx.client.clone(),
            request_id: ctx.id.clone(),
            invocation_arn: started.invocation_arn.clone(),
        };
        let shutdown = session.shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = watcher.run() => {}
            }
        });
    }
    Ok(started)
}

/// Polls one async job and reports each status change (`async/status`)
/// until it is Completed or Failed.
struct AsyncWatcher {
    gateway: BedrockGateway,
    client: ClientHandle,
    request_id: crate::protocol::RequestId,
    invocation_arn: String,
}

/// First and longest pause between polls: quick for short jobs, gentle for
/// the hours-long ones Bedrock allows.
const FIRST_POLL: Duration = Duration::from_millis(100);
const LONGEST_POLL: Duration = Duration::from_secs(30);
/// A watcher gives up after this many failed polls in a row.
const POLL_FAILURES_ALLOWED: u32 = 5;

impl AsyncWatcher {
    async fn run(self) {
        let mut delay = FIRST_POLL;
        let mut last_status: Option<String> = None;
        let mut failures = 0;
        loop {
            match self.gateway.get_async_invoke(&self.invocation_arn, &CallOptions::default()).await {
                Ok(summary) => {
                    failures = 0;
                    let status = summary.status.clone();
                    if status != last_status {
                        last_status = status.clone();
                        let params = AsyncStatusParams { request_id: self.request_id.clone(), invocation: summary };
                        if self.client.notify::<method::AsyncStatus>(&params).await.is_err() {
                            return;
                        }
                    }
                    if matches!(status.as_deref(), Some("Completed" | "Failed")) {
                        return;
                    }
                }
                Err(error) => {
                    failures += 1;
                    tracing::warn!(arn = %self.invocation_arn, %error, failures, "polling an async invocation failed");
                    if failures >= POLL_FAILURES_ALLOWED {
                        return;
                    }
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(LONGEST_POLL);
        }
    }
}
