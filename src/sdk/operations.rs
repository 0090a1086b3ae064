//! CountTokens, ApplyGuardrail and the async-invoke operations.

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types as sdk;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::convert::{self, document_from_json};
use super::{BedrockGateway, CallOptions};
use crate::error::{HostError, HostResult};
use crate::protocol::shapes;

impl BedrockGateway {
    /// CountTokens. `model_id` must be a base model id (CountTokens rejects
    /// inference-profile ids); mapping one to the other is the host's job.
    pub async fn count_tokens(
        &self,
        model_id: &str,
        input: &shapes::CountTokensInput,
        options: &CallOptions,
    ) -> HostResult<u32> {
        let call = self.call_context("CountTokens", "bedrock:CountTokens", format!("model `{model_id}`"))?;
        let input = match input {
            shapes::CountTokensInput::Converse(request) => sdk::CountTokensInput::Converse(
                sdk::ConverseTokensRequest::builder()
                    .set_messages(
                        request
                            .messages
                            .as_deref()
                            .map(|m| convert::messages_to_sdk(m, "input.converse.messages"))
                            .transpose()?,
                    )
                    .set_system(
                        request
                            .system
                            .as_deref()
                            .map(|s| convert::system_to_sdk(s, "input.converse.system"))
                            .transpose()?,
                    )
                    .set_tool_config(
                        request
                            .tool_config
                            .as_ref()
                            .map(|c| convert::tool_config_to_sdk(c, "input.converse.toolConfig"))
                            .transpose()?,
                    )
                    .set_additional_model_request_fields(
                        request.additional_model_request_fields.as_ref().map(document_from_json),
                    )
                    .build(),
            ),
            shapes::CountTokensInput::InvokeModel(request) => sdk::CountTokensInput::InvokeModel(
                sdk::InvokeModelTokensRequest::builder()
                    .body(Blob::new(request.body.0.clone()))
                    .build()
                    .map_err(|error| HostError::invalid_field("input.invokeModel.body", error.to_string()))?,
            ),
        };
        let builder = self.client.count_tokens().model_id(model_id).input(input);
        let output = self.run(call, options, |observer| builder.customize().interceptor(observer).send()).await?;
        Ok(u32::try_from(output.input_tokens).unwrap_or(0))
    }

    /// ApplyGuardrail.
    pub async fn apply_guardrail(
        &self,
        request: &shapes::ApplyGuardrailRequest,
        options: &CallOptions,
    ) -> HostResult<shapes::ApplyGuardrailResponse> {
        let call = self.call_context(
            "ApplyGuardrail",
            "bedrock:ApplyGuardrail",
            format!("guardrail `{}` version `{}`", request.guardrail_identifier, request.guardrail_version),
        )?;
        let content = request
            .content
            .iter()
            .enumerate()
            .map(|(i, block)| convert::guardrail_content_to_sdk(block, &format!("content[{i}]")))
            .collect::<HostResult<Vec<_>>>()?;
        let builder = self
            .client
            .apply_guardrail()
            .guardrail_identifier(&request.guardrail_identifier)
            .guardrail_version(&request.guardrail_version)
            .source(sdk::GuardrailContentSource::from(convert::serialized_name(&request.source).as_str()))
            .set_content(Some(content))
            .set_output_scope(
                request
                    .output_scope
                    .map(|scope| sdk::GuardrailOutputScope::from(convert::serialized_name(&scope).as_str())),
            );
        let output = self.run(call, options, |observer| builder.customize().interceptor(observer).send()).await?;
        Ok(shapes::ApplyGuardrailResponse {
            usage: output.usage.as_ref().map(convert::guardrail_usage_from_sdk).unwrap_or_default(),
            action: output.action.as_str().to_owned(),
            action_reason: output.action_reason.clone(),
            outputs: output.outputs.iter().map(|o| shapes::GuardrailOutputContent { text: o.text.clone() }).collect(),
            assessments: output.assessments.iter().map(convert::guardrail_assessment_from_sdk).collect(),
            guardrail_coverage: output.guardrail_coverage.as_ref().map(convert::guardrail_coverage_from_sdk),
        })
    }

    /// StartAsyncInvoke. Without a clientRequestToken the SDK makes one up
    /// (a UUID), so a retried start is not started twice.
    pub async fn start_async_invoke(
        &self,
        request: &shapes::StartAsyncInvokeRequest,
        options: &CallOptions,
    ) -> HostResult<shapes::StartAsyncInvokeResponse> {
        let call =
            self.call_context("StartAsyncInvoke", "bedrock:InvokeModel", format!("model `{}`", request.model_id))?;
        let shapes::AsyncInvokeOutputDataConfig::S3OutputDataConfig(s3) = &request.output_data_config;
        let output_data_config = sdk::AsyncInvokeOutputDataConfig::S3OutputDataConfig(
            sdk::AsyncInvokeS3OutputDataConfig::builder()
                .s3_uri(&s3.s3_uri)
                .set_kms_key_id(s3.kms_key_id.clone())
                .set_bucket_owner(s3.bucket_owner.clone())
                .build()
                .map_err(|error| HostError::invalid_field("outputDataConfig.s3OutputDataConfig", error.to_string()))?,
        );
        let tags = request
            .tags
            .as_ref()
            .map(|tags| {
                tags.iter()
                    .enumerate()
                    .map(|(i, tag)| {
                        sdk::Tag::builder()
                            .key(&tag.key)
                            .value(&tag.value)
                            .build()
                            .map_err(|error| HostError::invalid_field(format!("tags[{i}]"), error.to_string()))
                    })
                    .collect::<HostResult<Vec<_>>>()
            })
            .transpose()?;
        let builder = self
            .client
            .start_async_invoke()
            .set_client_request_token(request.client_request_token.clone())
            .model_id(&request.model_id)
            .model_input(document_from_json(&request.model_input))
            .output_data_config(output_data_config)
            .set_tags(tags);
        let output = self.run(call, options, |observer| builder.customize().interceptor(observer).send()).await?;
        Ok(shapes::StartAsyncInvokeResponse { invocation_arn: output.invocation_arn })
    }

    /// GetAsyncInvoke.
    pub async fn get_async_invoke(
        &self,
        invocation_arn: &str,
        options: &CallOptions,
    ) -> HostResult<shapes::GetAsyncInvokeResponse> {
        let call = self.call_context(
            "GetAsyncInvoke",
            "bedrock:GetAsyncInvoke",
            format!("async invocation `{invocation_arn}`"),
        )?;
        let builder = self.client.get_async_invoke().invocation_arn(invocation_arn);
        let output = self.run(call, options, |observer| builder.customize().interceptor(observer).send()).await?;
        convert::async_summary_from_sdk(
            &output.invocation_arn,
            &output.model_arn,
            output.client_request_token.as_deref(),
            Some(&output.status),
            output.failure_message.as_deref(),
            [Some(&output.submit_time), output.last_modified_time.as_ref(), output.end_time.as_ref()],
            output.output_data_config.as_ref(),
        )
        .ok_or_else(|| {
            HostError::Internal(format!(
                "Bedrock described async invocation `{invocation_arn}` with an output configuration this host does not know"
            ))
        })
    }

    /// ListAsyncInvokes: one page per call; pass the answer's `nextToken`
    /// back for the next page.
    pub async fn list_async_invokes(
        &self,
        request: &shapes::ListAsyncInvokesRequest,
        options: &CallOptions,
    ) -> HostResult<shapes::ListAsyncInvokesResponse> {
        let call = self.call_context("ListAsyncInvokes", "bedrock:ListAsyncInvokes", "async invocations".to_owned())?;
        let max_results = request
            .max_results
            .map(|n| i32::try_from(n).map_err(|_| HostError::invalid_field("maxResults", format!("{n} is too large"))))
            .transpose()?;
        let builder = self
            .client
            .list_async_invokes()
            .set_submit_time_after(parse_time(request.submit_time_after.as_deref(), "submitTimeAfter")?)
            .set_submit_time_before(parse_time(request.submit_time_before.as_deref(), "submitTimeBefore")?)
            .set_status_equals(
                request.status_equals.map(|s| sdk::AsyncInvokeStatus::from(convert::serialized_name(&s).as_str())),
            )
            .set_max_results(max_results)
            .set_next_token(request.next_token.clone())
            .set_sort_by(
                request.sort_by.map(|s| sdk::SortAsyncInvocationBy::from(convert::serialized_name(&s).as_str())),
            )
            .set_sort_order(request.sort_order.map(|s| sdk::SortOrder::from(convert::serialized_name(&s).as_str())));
        let output = self.run(call, options, |observer| builder.customize().interceptor(observer).send()).await?;
        Ok(shapes::ListAsyncInvokesResponse {
            next_token: output.next_token.clone(),
            async_invoke_summaries: output.async_invoke_summaries.as_ref().map(|summaries| {
                summaries
                    .iter()
                    .filter_map(|s| {
                        convert::async_summary_from_sdk(
                            &s.invocation_arn,
                            &s.model_arn,
                            s.client_request_token.as_deref(),
                            s.status.as_ref(),
                            s.failure_message.as_deref(),
                            [Some(&s.submit_time), s.last_modified_time.as_ref(), s.end_time.as_ref()],
                            s.output_data_config.as_ref(),
                        )
                    })
                    .collect()
            }),
        })
    }
}

fn parse_time(value: Option<&str>, field: &str) -> HostResult<Option<DateTime>> {
    value
        .map(|text| {
            DateTime::from_str(text, Format::DateTime).map_err(|error| {
                HostError::invalid_field(
                    field,
                    format!("`{text}` is not an RFC 3339 time such as 2026-01-31T12:00:00Z: {error}"),
                )
            })
        })
        .transpose()
}
