//! Converse and ConverseStream.

use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::ConverseStreamOutput;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;

use aws_types::request_id::RequestId;

use super::convert::{self, document_from_json};
use super::errors::{self, CallContext};
use super::{BedrockGateway, CallOptions, StreamIdle};
use crate::error::HostResult;
use crate::protocol::shapes::{ConverseRequest, ConverseResponse, ConverseStreamEvent};

/// Sets the members Converse and ConverseStream share on either fluent
/// builder (they are distinct types with the same setters).
macro_rules! set_common_members {
    ($builder:expr, $request:expr) => {{
        let request: &ConverseRequest = $request;
        $builder
            .set_messages(request.messages.as_deref().map(|m| convert::messages_to_sdk(m, "messages")).transpose()?)
            .set_system(request.system.as_deref().map(|s| convert::system_to_sdk(s, "system")).transpose()?)
            .set_inference_config(
                request
                    .inference_config
                    .as_ref()
                    .map(|c| convert::inference_config_to_sdk(c, "inferenceConfig"))
                    .transpose()?,
            )
            .set_tool_config(
                request.tool_config.as_ref().map(|c| convert::tool_config_to_sdk(c, "toolConfig")).transpose()?,
            )
            .set_additional_model_request_fields(
                request.additional_model_request_fields.as_ref().map(document_from_json),
            )
            .set_prompt_variables(request.prompt_variables.as_ref().map(convert::prompt_variables_to_sdk))
            .set_additional_model_response_field_paths(request.additional_model_response_field_paths.clone())
            .set_request_metadata(
                request.request_metadata.as_ref().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            )
            .set_performance_config(request.performance_config.as_ref().map(convert::performance_config_to_sdk))
            .set_service_tier(
                request.service_tier.as_ref().map(|t| convert::service_tier_to_sdk(t, "serviceTier")).transpose()?,
            )
            .set_output_config(
                request.output_config.as_ref().map(|c| convert::output_config_to_sdk(c, "outputConfig")).transpose()?,
            )
    }};
}

impl BedrockGateway {
    /// Converse. `model_id` is sent as given; `request.model_id` is not read
    /// (the host resolves aliases and passes the result here).
    pub async fn converse(
        &self,
        model_id: &str,
        request: &ConverseRequest,
        options: &CallOptions,
    ) -> HostResult<ConverseResponse> {
        let call = self.call_context("Converse", "bedrock:InvokeModel", format!("model `{model_id}`"))?;
        let builder = set_common_members!(self.client.converse().model_id(model_id), request)
            .set_guardrail_config(request.guardrail_config.as_ref().map(convert::guardrail_config_to_sdk));
        let output = self.run(call, options, |observer| builder.customize().interceptor(observer).send()).await?;
        Ok(convert::converse_response_from_sdk(&output))
    }

    /// ConverseStream. Returns once Bedrock accepted the call (its 200
    /// answer, after any retries); the events follow through
    /// [`ConverseEventStream::next`].
    pub async fn converse_stream(
        &self,
        model_id: &str,
        request: &ConverseRequest,
        options: &CallOptions,
    ) -> HostResult<ConverseEventStream> {
        let mut call = self.call_context(
            "ConverseStream",
            "bedrock:InvokeModelWithResponseStream",
            format!("model `{model_id}`"),
        )?;
        let builder = set_common_members!(self.client.converse_stream().model_id(model_id), request)
            .set_guardrail_config(request.guardrail_config.as_ref().map(convert::guardrail_stream_config_to_sdk));
        let config = self.stream_config_override();
        let (output, attempts) = self
            .run_counted(call.clone(), options, |observer| {
                builder.customize().interceptor(observer).config_override(config).send()
            })
            .await?;
        call.attempts = attempts;
        Ok(ConverseEventStream {
            request_id: output.request_id().map(str::to_owned),
            receiver: output.stream,
            call,
            idle: self.stream_idle,
            stopped: false,
            finished: false,
        })
    }
}

/// The events of one ConverseStream answer, each yielded the moment its
/// frame arrives. Dropping it drops the HTTP stream: that is how a call is
/// cancelled.
#[derive(Debug)]
pub struct ConverseEventStream {
    receiver: EventReceiver<ConverseStreamOutput, ConverseStreamOutputError>,
    request_id: Option<String>,
    call: CallContext,
    /// Longest wait for the next event, the first included.
    idle: StreamIdle,
    /// Whether `messageStop` arrived: a stream that ends without it is incomplete.
    stopped: bool,
    finished: bool,
}

impl ConverseEventStream {
    /// The next event in Bedrock's JSON shape; `None` once the stream ended
    /// cleanly. An exception frame or a broken connection is an error, after
    /// which the stream is finished, and so is a stream that sends nothing
    /// for longer than its idle timeout. Event kinds this SDK does not know
    /// are skipped with a warning.
    pub async fn next(&mut self) -> Option<HostResult<ConverseStreamEvent>> {
        while !self.finished {
            let Some(received) = super::next_event_within(&mut self.receiver, self.idle.limit).await else {
                self.finished = true;
                return Some(Err(errors::stream_idle(&self.call, self.idle)));
            };
            match received {
                Ok(Some(event)) => {
                    if let Some(event) = convert::stream_event_from_sdk(&event) {
                        self.stopped |= matches!(event, ConverseStreamEvent::MessageStop(_));
                        return Some(Ok(event));
                    }
                }
                Ok(None) => {
                    self.finished = true;
                    if !self.stopped {
                        return Some(Err(errors::stream_incomplete(&self.call)));
                    }
                }
                Err(error) => {
                    self.finished = true;
                    return Some(Err(errors::from_stream_error(error, &self.call, self.request_id.as_deref())));
                }
            }
        }
        None
    }

    /// Bedrock's id for this call (`x-amzn-RequestId`).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}
