//! InvokeModel and InvokeModelWithResponseStream: native model bodies,
//! passed through as bytes.

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::error::ResponseStreamError;
use aws_sdk_bedrockruntime::types::{PerformanceConfigLatency, ResponseStream, ServiceTierType, Trace};
use aws_types::request_id::RequestId;
use bytes::Bytes;

use super::errors::{self, CallContext};
use super::{BedrockGateway, CallOptions};
use crate::error::HostResult;

/// An InvokeModel request. String members are passed to Bedrock as given
/// (Bedrock validates them), so values newer than this SDK still work.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvokeModelRequest {
    /// The model's native request body, e.g. an Anthropic Messages JSON document.
    pub body: Bytes,
    /// Defaults to `application/json` when `None`.
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub guardrail_identifier: Option<String>,
    pub guardrail_version: Option<String>,
    /// `ENABLED`, `DISABLED` or `ENABLED_FULL`.
    pub trace: Option<String>,
    /// `standard` or `optimized`.
    pub performance_config_latency: Option<String>,
    /// `priority`, `default`, `flex` or `reserved`.
    pub service_tier: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvokeModelResponse {
    pub body: Bytes,
    pub content_type: String,
    pub performance_config_latency: Option<String>,
    pub service_tier: Option<String>,
}

impl InvokeModelResponse {
    /// The body as JSON, when it is JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The chunks of an InvokeModelWithResponseStream answer, each decoded from
/// its base64 frame, yielded as they arrive. Dropping it drops the HTTP stream.
#[derive(Debug)]
pub struct InvokeChunkStream {
    receiver: aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver<ResponseStream, ResponseStreamError>,
    /// The body's content type (`X-Amzn-Bedrock-Content-Type`).
    pub content_type: String,
    /// The latency mode Bedrock used (`X-Amzn-Bedrock-PerformanceConfig-Latency`), when it says.
    pub performance_config_latency: Option<String>,
    /// The service tier Bedrock used, when it says.
    pub service_tier: Option<String>,
    request_id: Option<String>,
    call: CallContext,
    /// Longest wait for the next chunk, the first included: the SDK's
    /// attempt timeout ends once the response headers arrive.
    idle: super::StreamIdle,
    finished: bool,
}

impl InvokeChunkStream {
    /// The next chunk's bytes; `None` once the stream ended cleanly. After an
    /// error, or a silence longer than the idle timeout, the stream is finished.
    pub async fn next(&mut self) -> Option<HostResult<Bytes>> {
        while !self.finished {
            let Some(received) = super::next_event_within(&mut self.receiver, self.idle.limit).await else {
                self.finished = true;
                return Some(Err(errors::stream_idle(&self.call, self.idle)));
            };
            match received {
                Ok(Some(ResponseStream::Chunk(part))) => match part.bytes {
                    Some(bytes) => return Some(Ok(Bytes::from(bytes.into_inner()))),
                    None => tracing::warn!("skipping a chunk event without bytes"),
                },
                Ok(Some(other)) => {
                    tracing::warn!(event = ?other, "skipping a response-stream event this SDK does not know")
                }
                Ok(None) => self.finished = true,
                Err(error) => {
                    self.finished = true;
                    return Some(Err(errors::from_stream_error(error, &self.call, self.request_id.as_deref())));
                }
            }
        }
        None
    }
}

/// Sets the members InvokeModel and InvokeModelWithResponseStream share on
/// either fluent builder (distinct types with the same setters).
macro_rules! set_invoke_members {
    ($builder:expr, $model_id:expr, $request:expr) => {{
        let request: InvokeModelRequest = $request;
        $builder
            .model_id($model_id)
            .body(Blob::new(request.body))
            .content_type(request.content_type.unwrap_or_else(|| "application/json".to_owned()))
            .set_accept(request.accept)
            .set_guardrail_identifier(request.guardrail_identifier)
            .set_guardrail_version(request.guardrail_version)
            .set_trace(request.trace.as_deref().map(Trace::from))
            .set_performance_config_latency(
                request.performance_config_latency.as_deref().map(PerformanceConfigLatency::from),
            )
            .set_service_tier(request.service_tier.as_deref().map(ServiceTierType::from))
    }};
}

impl BedrockGateway {
    /// InvokeModel. The model id is passed through unchanged.
    pub async fn invoke_model(
        &self,
        model_id: &str,
        request: InvokeModelRequest,
        options: &CallOptions,
    ) -> HostResult<InvokeModelResponse> {
        let call = self.call_context("InvokeModel", "bedrock:InvokeModel", format!("model `{model_id}`"))?;
        let builder = set_invoke_members!(self.client.invoke_model(), model_id, request);
        let output = self.run(call, options, |observer| builder.customize().interceptor(observer).send()).await?;
        Ok(InvokeModelResponse {
            content_type: output.content_type().to_owned(),
            performance_config_latency: output.performance_config_latency().map(|v| v.as_str().to_owned()),
            service_tier: output.service_tier().map(|v| v.as_str().to_owned()),
            body: Bytes::from(output.body.into_inner()),
        })
    }

    /// InvokeModelWithResponseStream. Returns once Bedrock accepted the call
    /// (its 200 answer); the chunks follow through [`InvokeChunkStream::next`].
    pub async fn invoke_model_stream(
        &self,
        model_id: &str,
        request: InvokeModelRequest,
        options: &CallOptions,
    ) -> HostResult<InvokeChunkStream> {
        let mut call = self.call_context(
            "InvokeModelWithResponseStream",
            "bedrock:InvokeModelWithResponseStream",
            format!("model `{model_id}`"),
        )?;
        let builder = set_invoke_members!(self.client.invoke_model_with_response_stream(), model_id, request);
        let config = self.stream_config_override();
        let (output, attempts) = self
            .run_counted(call.clone(), options, |observer| {
                builder.customize().interceptor(observer).config_override(config).send()
            })
            .await?;
        call.attempts = attempts;
        Ok(InvokeChunkStream {
            content_type: output.content_type().to_owned(),
            performance_config_latency: output.performance_config_latency().map(|v| v.as_str().to_owned()),
            service_tier: output.service_tier().map(|v| v.as_str().to_owned()),
            request_id: output.request_id().map(str::to_owned),
            receiver: output.body,
            call,
            idle: self.stream_idle,
            finished: false,
        })
    }
}
