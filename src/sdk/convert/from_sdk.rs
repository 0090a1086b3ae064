//! The SDK's types → our JSON shapes (what Bedrock answered). Members this
//! SDK reports as `Unknown` are skipped with a warning, never a failure.

use aws_sdk_bedrockruntime::operation::converse::ConverseOutput as SdkConverseOutput;
use aws_sdk_bedrockruntime::types as sdk;
use aws_smithy_types::date_time::Format;

use super::reasoning::automated_reasoning_from_sdk;
use super::{from_serialized_name, json_from_document, to_u32};
use crate::protocol::shapes;

fn skipped(what: &str) {
    tracing::warn!("skipping a {what} this SDK reports as Unknown (Bedrock is newer than the SDK)");
}

fn blob(bytes: &aws_sdk_bedrockruntime::primitives::Blob) -> shapes::Blob {
    shapes::Blob(bytes.as_ref().to_vec())
}

pub(crate) fn message_from_sdk(message: &sdk::Message) -> Option<shapes::Message> {
    Some(shapes::Message {
        role: from_serialized_name(message.role.as_str(), "message role")?,
        content: message.content.iter().filter_map(content_block_from_sdk).collect(),
    })
}

pub(crate) fn content_block_from_sdk(block: &sdk::ContentBlock) -> Option<shapes::ContentBlock> {
    use sdk::ContentBlock as S;
    Some(match block {
        S::Text(text) => shapes::ContentBlock::Text(text.clone()),
        S::Image(image) => shapes::ContentBlock::Image(image_from_sdk(image)?),
        S::Document(document) => shapes::ContentBlock::Document(document_block_from_sdk(document)?),
        S::Video(video) => shapes::ContentBlock::Video(video_from_sdk(video)?),
        S::Audio(audio) => shapes::ContentBlock::Audio(shapes::AudioBlock {
            format: from_serialized_name(audio.format.as_str(), "audio format")?,
            source: match audio.source.as_ref()? {
                sdk::AudioSource::Bytes(bytes) => shapes::AudioSource::Bytes(blob(bytes)),
                sdk::AudioSource::S3Location(location) => shapes::AudioSource::S3Location(s3_from_sdk(location)),
                _ => return unknown("audio source"),
            },
            error: audio.error.as_ref().map(error_block_from_sdk),
        }),
        S::ToolUse(tool_use) => shapes::ContentBlock::ToolUse(shapes::ToolUseBlock {
            tool_use_id: shapes::ToolUseId(tool_use.tool_use_id.clone()),
            name: tool_use.name.clone(),
            input: json_from_document(&tool_use.input),
            kind: tool_use.r#type.as_ref().map(|kind| kind.as_str().to_owned()),
        }),
        S::ToolResult(result) => shapes::ContentBlock::ToolResult(shapes::ToolResultBlock {
            tool_use_id: shapes::ToolUseId(result.tool_use_id.clone()),
            content: result.content.iter().filter_map(tool_result_content_from_sdk).collect(),
            status: match &result.status {
                Some(status) => Some(from_serialized_name(status.as_str(), "tool result status")?),
                None => None,
            },
            kind: result.r#type.clone(),
        }),
        S::GuardContent(guard) => shapes::ContentBlock::GuardContent(guard_content_from_sdk(guard)?),
        S::CachePoint(point) => shapes::ContentBlock::CachePoint(cache_point_from_sdk(point)?),
        S::ReasoningContent(reasoning) => shapes::ContentBlock::ReasoningContent(match reasoning {
            sdk::ReasoningContentBlock::ReasoningText(text) => {
                shapes::ReasoningContentBlock::ReasoningText(shapes::ReasoningTextBlock {
                    text: text.text.clone(),
                    signature: text.signature.clone(),
                })
            }
            sdk::ReasoningContentBlock::RedactedContent(bytes) => {
                shapes::ReasoningContentBlock::RedactedContent(blob(bytes))
            }
            _ => return unknown("reasoning content block"),
        }),
        S::CitationsContent(citations) => shapes::ContentBlock::CitationsContent(shapes::CitationsContentBlock {
            content: citations.content.as_ref().map(|content| {
                content
                    .iter()
                    .filter_map(|block| match block {
                        sdk::CitationGeneratedContent::Text(text) => {
                            Some(shapes::CitationGeneratedContent::Text(text.clone()))
                        }
                        _ => unknown("citation generated content"),
                    })
                    .collect()
            }),
            citations: citations.citations.as_ref().map(|list| list.iter().map(citation_from_sdk).collect()),
        }),
        S::SearchResult(result) => shapes::ContentBlock::SearchResult(search_result_from_sdk(result)),
        S::ToolAddition(addition) => shapes::ContentBlock::ToolAddition(shapes::ToolAdditionBlock {
            tool: tool_reference_from_sdk(addition.tool.as_ref()?),
        }),
        S::ToolRemoval(removal) => shapes::ContentBlock::ToolRemoval(shapes::ToolRemovalBlock {
            tool: tool_reference_from_sdk(removal.tool.as_ref()?),
        }),
        _ => return unknown("content block"),
    })
}

fn tool_reference_from_sdk(tool: &sdk::ToolReference) -> shapes::ToolReference {
    shapes::ToolReference { kind: tool.r#type.clone(), name: tool.name.clone(), server_name: tool.server_name.clone() }
}

fn unknown<T>(what: &str) -> Option<T> {
    skipped(what);
    None
}

fn s3_from_sdk(location: &sdk::S3Location) -> shapes::S3Location {
    shapes::S3Location { uri: location.uri.clone(), bucket_owner: location.bucket_owner.clone() }
}

fn error_block_from_sdk(error: &sdk::ErrorBlock) -> shapes::ErrorBlock {
    shapes::ErrorBlock { message: error.message.clone() }
}

fn image_source_from_sdk(source: &sdk::ImageSource) -> Option<shapes::ImageSource> {
    Some(match source {
        sdk::ImageSource::Bytes(bytes) => shapes::ImageSource::Bytes(blob(bytes)),
        sdk::ImageSource::S3Location(location) => shapes::ImageSource::S3Location(s3_from_sdk(location)),
        _ => return unknown("image source"),
    })
}

fn image_from_sdk(image: &sdk::ImageBlock) -> Option<shapes::ImageBlock> {
    Some(shapes::ImageBlock {
        format: from_serialized_name(image.format.as_str(), "image format")?,
        source: image_source_from_sdk(image.source.as_ref()?)?,
        error: image.error.as_ref().map(error_block_from_sdk),
    })
}

fn video_from_sdk(video: &sdk::VideoBlock) -> Option<shapes::VideoBlock> {
    Some(shapes::VideoBlock {
        format: from_serialized_name(video.format.as_str(), "video format")?,
        source: match video.source.as_ref()? {
            sdk::VideoSource::Bytes(bytes) => shapes::VideoSource::Bytes(blob(bytes)),
            sdk::VideoSource::S3Location(location) => shapes::VideoSource::S3Location(s3_from_sdk(location)),
            _ => return unknown("video source"),
        },
    })
}

fn document_block_from_sdk(document: &sdk::DocumentBlock) -> Option<shapes::DocumentBlock> {
    Some(shapes::DocumentBlock {
        // The SDK sends `txt` when a request leaves the format out, and reports it so.
        format: Some(from_serialized_name(document.format.as_str(), "document format")?),
        name: document.name.clone(),
        source: match document.source.as_ref()? {
            sdk::DocumentSource::Bytes(bytes) => shapes::DocumentSource::Bytes(blob(bytes)),
            sdk::DocumentSource::S3Location(location) => shapes::DocumentSource::S3Location(s3_from_sdk(location)),
            sdk::DocumentSource::Text(text) => shapes::DocumentSource::Text(text.clone()),
            sdk::DocumentSource::Content(blocks) => shapes::DocumentSource::Content(
                blocks
                    .iter()
                    .filter_map(|block| match block {
                        sdk::DocumentContentBlock::Text(text) => Some(shapes::DocumentContentBlock::Text(text.clone())),
                        _ => unknown("document content block"),
                    })
                    .collect(),
            ),
            _ => return unknown("document source"),
        },
        context: document.context.clone(),
        citations: document.citations.as_ref().map(|config| shapes::CitationsConfig { enabled: config.enabled }),
    })
}

fn search_result_from_sdk(result: &sdk::SearchResultBlock) -> shapes::SearchResultBlock {
    shapes::SearchResultBlock {
        source: result.source.clone(),
        title: result.title.clone(),
        content: result
            .content
            .iter()
            .map(|block| shapes::SearchResultContentBlock { text: block.text.clone() })
            .collect(),
        citations: result.citations.as_ref().map(|config| shapes::CitationsConfig { enabled: config.enabled }),
    }
}

fn tool_result_content_from_sdk(block: &sdk::ToolResultContentBlock) -> Option<shapes::ToolResultContentBlock> {
    use sdk::ToolResultContentBlock as S;
    Some(match block {
        S::Json(document) => shapes::ToolResultContentBlock::Json(json_from_document(document)),
        S::Text(text) => shapes::ToolResultContentBlock::Text(text.clone()),
        S::Image(image) => shapes::ToolResultContentBlock::Image(image_from_sdk(image)?),
        S::Document(document) => shapes::ToolResultContentBlock::Document(document_block_from_sdk(document)?),
        S::Video(video) => shapes::ToolResultContentBlock::Video(video_from_sdk(video)?),
        S::SearchResult(result) => shapes::ToolResultContentBlock::SearchResult(search_result_from_sdk(result)),
        _ => return unknown("tool result content block"),
    })
}

fn guard_content_from_sdk(block: &sdk::GuardrailConverseContentBlock) -> Option<shapes::GuardrailConverseContentBlock> {
    Some(match block {
        sdk::GuardrailConverseContentBlock::Text(text) => {
            shapes::GuardrailConverseContentBlock::Text(shapes::GuardrailConverseTextBlock {
                text: text.text.clone(),
                qualifiers: text.qualifiers.as_ref().map(|qualifiers| {
                    qualifiers
                        .iter()
                        .filter_map(|q| from_serialized_name(q.as_str(), "guard content qualifier"))
                        .collect()
                }),
            })
        }
        sdk::GuardrailConverseContentBlock::Image(image) => {
            shapes::GuardrailConverseContentBlock::Image(shapes::GuardrailConverseImageBlock {
                format: from_serialized_name(image.format.as_str(), "guard image format")?,
                source: match image.source.as_ref()? {
                    sdk::GuardrailConverseImageSource::Bytes(bytes) => shapes::GuardrailImageSource::Bytes(blob(bytes)),
                    _ => return unknown("guard image source"),
                },
            })
        }
        _ => return unknown("guard content block"),
    })
}

fn cache_point_from_sdk(point: &sdk::CachePointBlock) -> Option<shapes::CachePointBlock> {
    Some(shapes::CachePointBlock {
        kind: from_serialized_name(point.r#type.as_str(), "cache point type")?,
        ttl: match &point.ttl {
            Some(ttl) => Some(from_serialized_name(ttl.as_str(), "cache TTL")?),
            None => None,
        },
    })
}

fn citation_from_sdk(citation: &sdk::Citation) -> shapes::Citation {
    shapes::Citation {
        title: citation.title.clone(),
        source: citation.source.clone(),
        source_content: citation.source_content.as_ref().map(|content| {
            content
                .iter()
                .filter_map(|block| match block {
                    sdk::CitationSourceContent::Text(text) => Some(shapes::CitationSourceContent::Text(text.clone())),
                    _ => unknown("citation source content"),
                })
                .collect()
        }),
        location: citation.location.as_ref().and_then(citation_location_from_sdk),
    }
}

fn citation_location_from_sdk(location: &sdk::CitationLocation) -> Option<shapes::CitationLocation> {
    let index = |value: Option<i32>| value.map(to_u32);
    Some(match location {
        sdk::CitationLocation::Web(web) => {
            shapes::CitationLocation::Web(shapes::WebLocation { url: web.url.clone(), domain: web.domain.clone() })
        }
        sdk::CitationLocation::DocumentChar(at) => {
            shapes::CitationLocation::DocumentChar(shapes::DocumentCharLocation {
                document_index: index(at.document_index),
                start: index(at.start),
                end: index(at.end),
            })
        }
        sdk::CitationLocation::DocumentPage(at) => {
            shapes::CitationLocation::DocumentPage(shapes::DocumentPageLocation {
                document_index: index(at.document_index),
                start: index(at.start),
                end: index(at.end),
            })
        }
        sdk::CitationLocation::DocumentChunk(at) => {
            shapes::CitationLocation::DocumentChunk(shapes::DocumentChunkLocation {
                document_index: index(at.document_index),
                start: index(at.start),
                end: index(at.end),
            })
        }
        sdk::CitationLocation::SearchResultLocation(at) => {
            shapes::CitationLocation::SearchResultLocation(shapes::SearchResultLocation {
                search_result_index: index(at.search_result_index),
                start: index(at.start),
                end: index(at.end),
            })
        }
        _ => return unknown("citation location"),
    })
}

pub(crate) fn usage_from_sdk(usage: &sdk::TokenUsage) -> shapes::TokenUsage {
    shapes::TokenUsage {
        input_tokens: to_u32(usage.input_tokens),
        output_tokens: to_u32(usage.output_tokens),
        total_tokens: to_u32(usage.total_tokens),
        cache_read_input_tokens: usage.cache_read_input_tokens.map(to_u32),
        cache_write_input_tokens: usage.cache_write_input_tokens.map(to_u32),
        cache_details: usage.cache_details.as_ref().map(|details| {
            details
                .iter()
                .map(|detail| shapes::CacheDetail {
                    ttl: detail.ttl.as_str().to_owned(),
                    input_tokens: to_u32(detail.input_tokens),
                })
                .collect()
        }),
    }
}

fn metrics(latency_ms: i64) -> shapes::ConverseMetrics {
    shapes::ConverseMetrics { latency_ms: u64::try_from(latency_ms).unwrap_or(0) }
}

fn trace_from_sdk(
    guardrail: Option<&sdk::GuardrailTraceAssessment>,
    prompt_router: Option<&sdk::PromptRouterTrace>,
) -> shapes::ConverseTrace {
    shapes::ConverseTrace {
        guardrail: guardrail.map(guardrail_trace_from_sdk),
        prompt_router: prompt_router
            .map(|router| shapes::PromptRouterTrace { invoked_model_id: router.invoked_model_id.clone() }),
    }
}

pub(crate) fn guardrail_trace_from_sdk(trace: &sdk::GuardrailTraceAssessment) -> shapes::GuardrailTraceAssessment {
    shapes::GuardrailTraceAssessment {
        model_output: trace.model_output.clone(),
        input_assessment: trace.input_assessment.as_ref().map(|assessments| {
            assessments.iter().map(|(id, assessment)| (id.clone(), guardrail_assessment_from_sdk(assessment))).collect()
        }),
        output_assessments: trace.output_assessments.as_ref().map(|assessments| {
            assessments
                .iter()
                .map(|(id, list)| (id.clone(), list.iter().map(guardrail_assessment_from_sdk).collect()))
                .collect()
        }),
        action_reason: trace.action_reason.clone(),
    }
}

pub(crate) fn guardrail_assessment_from_sdk(assessment: &sdk::GuardrailAssessment) -> shapes::GuardrailAssessment {
    shapes::GuardrailAssessment {
        topic_policy: assessment.topic_policy.as_ref().map(|policy| shapes::GuardrailTopicPolicyAssessment {
            topics: policy
                .topics
                .iter()
                .map(|topic| shapes::GuardrailTopic {
                    name: topic.name.clone(),
                    kind: topic.r#type.as_str().to_owned(),
                    action: topic.action.as_str().to_owned(),
                    detected: topic.detected,
                })
                .collect(),
        }),
        content_policy: assessment.content_policy.as_ref().map(|policy| shapes::GuardrailContentPolicyAssessment {
            filters: policy
                .filters
                .iter()
                .map(|filter| shapes::GuardrailContentFilter {
                    kind: filter.r#type.as_str().to_owned(),
                    confidence: filter.confidence.as_str().to_owned(),
                    filter_strength: filter.filter_strength.as_ref().map(|s| s.as_str().to_owned()),
                    action: filter.action.as_str().to_owned(),
                    detected: filter.detected,
                })
                .collect(),
        }),
        word_policy: assessment.word_policy.as_ref().map(|policy| shapes::GuardrailWordPolicyAssessment {
            custom_words: policy
                .custom_words
                .iter()
                .map(|word| shapes::GuardrailCustomWord {
                    matched: word.r#match.clone(),
                    action: word.action.as_str().to_owned(),
                    detected: word.detected,
                })
                .collect(),
            managed_word_lists: policy
                .managed_word_lists
                .iter()
                .map(|word| shapes::GuardrailManagedWord {
                    matched: word.r#match.clone(),
                    kind: word.r#type.as_str().to_owned(),
                    action: word.action.as_str().to_owned(),
                    detected: word.detected,
                })
                .collect(),
        }),
        sensitive_information_policy: assessment.sensitive_information_policy.as_ref().map(|policy| {
            shapes::GuardrailSensitiveInformationPolicyAssessment {
                pii_entities: policy
                    .pii_entities
                    .iter()
                    .map(|entity| shapes::GuardrailPiiEntityFilter {
                        matched: entity.r#match.clone(),
                        kind: entity.r#type.as_str().to_owned(),
                        action: entity.action.as_str().to_owned(),
                        detected: entity.detected,
                    })
                    .collect(),
                regexes: policy
                    .regexes
                    .iter()
                    .map(|regex| shapes::GuardrailRegexFilter {
                        name: regex.name.clone(),
                        matched: regex.r#match.clone(),
                        regex: regex.regex.clone(),
                        action: regex.action.as_str().to_owned(),
                        detected: regex.detected,
                    })
                    .collect(),
            }
        }),
        contextual_grounding_policy: assessment.contextual_grounding_policy.as_ref().map(|policy| {
            shapes::GuardrailContextualGroundingPolicyAssessment {
                filters: policy
                    .filters
                    .iter()
                    .flatten()
                    .map(|filter| shapes::GuardrailContextualGroundingFilter {
                        kind: filter.r#type.as_str().to_owned(),
                        threshold: filter.threshold,
                        score: filter.score,
                        action: filter.action.as_str().to_owned(),
                        detected: filter.detected,
                    })
                    .collect(),
            }
        }),
        automated_reasoning_policy: assessment.automated_reasoning_policy.as_ref().map(automated_reasoning_from_sdk),
        invocation_metrics: assessment.invocation_metrics.as_ref().map(|metrics| shapes::GuardrailInvocationMetrics {
            guardrail_processing_latency: metrics.guardrail_processing_latency.and_then(|ms| u64::try_from(ms).ok()),
            usage: metrics.usage.as_ref().map(guardrail_usage_from_sdk),
            guardrail_coverage: metrics.guardrail_coverage.as_ref().map(guardrail_coverage_from_sdk),
        }),
        applied_guardrail_details: assessment.applied_guardrail_details.as_ref().map(|details| {
            shapes::AppliedGuardrailDetails {
                guardrail_id: details.guardrail_id.clone(),
                guardrail_version: details.guardrail_version.clone(),
                guardrail_arn: details.guardrail_arn.clone(),
                guardrail_origin: details
                    .guardrail_origin
                    .as_ref()
                    .map(|origins| origins.iter().map(|o| o.as_str().to_owned()).collect()),
                guardrail_ownership: details.guardrail_ownership.as_ref().map(|o| o.as_str().to_owned()),
            }
        }),
    }
}

pub(crate) fn guardrail_usage_from_sdk(usage: &sdk::GuardrailUsage) -> shapes::GuardrailUsage {
    shapes::GuardrailUsage {
        topic_policy_units: to_u32(usage.topic_policy_units),
        content_policy_units: to_u32(usage.content_policy_units),
        word_policy_units: to_u32(usage.word_policy_units),
        sensitive_information_policy_units: to_u32(usage.sensitive_information_policy_units),
        sensitive_information_policy_free_units: to_u32(usage.sensitive_information_policy_free_units),
        contextual_grounding_policy_units: to_u32(usage.contextual_grounding_policy_units),
        content_policy_image_units: usage.content_policy_image_units.map(to_u32),
        automated_reasoning_policy_units: usage.automated_reasoning_policy_units.map(to_u32),
        automated_reasoning_policies: usage.automated_reasoning_policies.map(to_u32),
    }
}

pub(crate) fn guardrail_coverage_from_sdk(coverage: &sdk::GuardrailCoverage) -> shapes::GuardrailCoverage {
    shapes::GuardrailCoverage {
        text_characters: coverage.text_characters.as_ref().map(|count| shapes::GuardrailCoverageCount {
            guarded: count.guarded.map(to_u32),
            total: count.total.map(to_u32),
        }),
        images: coverage.images.as_ref().map(|count| shapes::GuardrailCoverageCount {
            guarded: count.guarded.map(to_u32),
            total: count.total.map(to_u32),
        }),
    }
}

fn performance_from_sdk(config: &sdk::PerformanceConfiguration) -> Option<shapes::PerformanceConfiguration> {
    Some(shapes::PerformanceConfiguration {
        latency: from_serialized_name(config.latency.as_str(), "performance latency")?,
    })
}

fn service_tier_from_sdk(tier: &sdk::ServiceTier) -> Option<shapes::ServiceTier> {
    Some(shapes::ServiceTier { kind: from_serialized_name(tier.r#type.as_str(), "service tier")? })
}

/// Converse's whole answer. An output that is not a message (a kind newer
/// than this SDK) becomes an empty assistant message, with a warning.
pub(crate) fn converse_response_from_sdk(output: &SdkConverseOutput) -> shapes::ConverseResponse {
    let message = match &output.output {
        Some(sdk::ConverseOutput::Message(message)) => message_from_sdk(message),
        _ => unknown("Converse output"),
    }
    .unwrap_or(shapes::Message { role: shapes::ConversationRole::Assistant, content: Vec::new() });
    shapes::ConverseResponse {
        output: shapes::ConverseOutput::Message(message),
        stop_reason: output.stop_reason.as_str().to_owned(),
        usage: output.usage.as_ref().map(usage_from_sdk).unwrap_or_default(),
        metrics: output.metrics.as_ref().map(|m| metrics(m.latency_ms)).unwrap_or_default(),
        additional_model_response_fields: output.additional_model_response_fields.as_ref().map(json_from_document),
        trace: output
            .trace
            .as_ref()
            .map(|trace| trace_from_sdk(trace.guardrail.as_ref(), trace.prompt_router.as_ref())),
        performance_config: output.performance_config.as_ref().and_then(performance_from_sdk),
        service_tier: output.service_tier.as_ref().and_then(service_tier_from_sdk),
    }
}

/// One ConverseStream event, in Bedrock's JSON shape; `None` for event kinds
/// this SDK does not know.
pub(crate) fn stream_event_from_sdk(event: &sdk::ConverseStreamOutput) -> Option<shapes::ConverseStreamEvent> {
    use sdk::ConverseStreamOutput as S;
    Some(match event {
        S::MessageStart(start) => shapes::ConverseStreamEvent::MessageStart(shapes::MessageStartEvent {
            role: from_serialized_name(start.role.as_str(), "message role")?,
        }),
        S::ContentBlockStart(start) => shapes::ConverseStreamEvent::ContentBlockStart(shapes::ContentBlockStartEvent {
            content_block_index: to_u32(start.content_block_index),
            start: match start.start.as_ref()? {
                sdk::ContentBlockStart::ToolUse(tool_use) => {
                    shapes::ContentBlockStart::ToolUse(shapes::ToolUseBlockStart {
                        tool_use_id: shapes::ToolUseId(tool_use.tool_use_id.clone()),
                        name: tool_use.name.clone(),
                        kind: tool_use.r#type.as_ref().map(|kind| kind.as_str().to_owned()),
                    })
                }
                sdk::ContentBlockStart::ToolResult(result) => {
                    shapes::ContentBlockStart::ToolResult(shapes::ToolResultBlockStart {
                        tool_use_id: shapes::ToolUseId(result.tool_use_id.clone()),
                        kind: result.r#type.clone(),
                        status: result.status.as_ref().map(|status| status.as_str().to_owned()),
                    })
                }
                sdk::ContentBlockStart::Image(image) => shapes::ContentBlockStart::Image(shapes::ImageBlockStart {
                    format: image.format.as_str().to_owned(),
                }),
                _ => return unknown("content block start"),
            },
        }),
        S::ContentBlockDelta(delta) => shapes::ConverseStreamEvent::ContentBlockDelta(shapes::ContentBlockDeltaEvent {
            content_block_index: to_u32(delta.content_block_index),
            delta: delta_from_sdk(delta.delta.as_ref()?)?,
        }),
        S::ContentBlockStop(stop) => shapes::ConverseStreamEvent::ContentBlockStop(shapes::ContentBlockStopEvent {
            content_block_index: to_u32(stop.content_block_index),
        }),
        S::MessageStop(stop) => shapes::ConverseStreamEvent::MessageStop(shapes::MessageStopEvent {
            stop_reason: stop.stop_reason.as_str().to_owned(),
            additional_model_response_fields: stop.additional_model_response_fields.as_ref().map(json_from_document),
        }),
        S::Metadata(metadata) => shapes::ConverseStreamEvent::Metadata(shapes::ConverseStreamMetadataEvent {
            usage: metadata.usage.as_ref().map(usage_from_sdk).unwrap_or_default(),
            metrics: metadata.metrics.as_ref().map(|m| metrics(m.latency_ms)).unwrap_or_default(),
            trace: metadata
                .trace
                .as_ref()
                .map(|trace| trace_from_sdk(trace.guardrail.as_ref(), trace.prompt_router.as_ref())),
            performance_config: metadata.performance_config.as_ref().and_then(performance_from_sdk),
            service_tier: metadata.service_tier.as_ref().and_then(service_tier_from_sdk),
        }),
        _ => return unknown("ConverseStream event"),
    })
}

fn delta_from_sdk(delta: &sdk::ContentBlockDelta) -> Option<shapes::ContentBlockDelta> {
    use sdk::ContentBlockDelta as S;
    Some(match delta {
        S::Text(text) => shapes::ContentBlockDelta::Text(text.clone()),
        S::ToolUse(tool_use) => {
            shapes::ContentBlockDelta::ToolUse(shapes::ToolUseBlockDelta { input: tool_use.input.clone() })
        }
        S::ReasoningContent(reasoning) => shapes::ContentBlockDelta::ReasoningContent(match reasoning {
            sdk::ReasoningContentBlockDelta::Text(text) => shapes::ReasoningContentBlockDelta::Text(text.clone()),
            sdk::ReasoningContentBlockDelta::Signature(signature) => {
                shapes::ReasoningContentBlockDelta::Signature(signature.clone())
            }
            sdk::ReasoningContentBlockDelta::RedactedContent(bytes) => {
                shapes::ReasoningContentBlockDelta::RedactedContent(blob(bytes))
            }
            _ => return unknown("reasoning delta"),
        }),
        S::Citation(citation) => shapes::ContentBlockDelta::Citation(shapes::CitationsDelta {
            title: citation.title.clone(),
            source: citation.source.clone(),
            source_content: citation.source_content.as_ref().map(|content| {
                content.iter().map(|part| shapes::CitationSourceContentDelta { text: part.text.clone() }).collect()
            }),
            location: citation.location.as_ref().and_then(citation_location_from_sdk),
        }),
        S::ToolResult(parts) => shapes::ContentBlockDelta::ToolResult(
            parts
                .iter()
                .filter_map(|part| match part {
                    sdk::ToolResultBlockDelta::Text(text) => Some(shapes::ToolResultBlockDelta::Text(text.clone())),
                    sdk::ToolResultBlockDelta::Json(document) => {
                        Some(shapes::ToolResultBlockDelta::Json(json_from_document(document)))
                    }
                    _ => unknown("tool result delta"),
                })
                .collect(),
        ),
        S::Image(image) => shapes::ContentBlockDelta::Image(shapes::ImageBlockDelta {
            source: image.source.as_ref().and_then(image_source_from_sdk),
            error: image.error.as_ref().map(error_block_from_sdk),
        }),
        _ => return unknown("content block delta"),
    })
}

pub(crate) fn async_summary_from_sdk(
    invocation_arn: &str,
    model_arn: &str,
    client_request_token: Option<&str>,
    status: Option<&sdk::AsyncInvokeStatus>,
    failure_message: Option<&str>,
    times: [Option<&aws_smithy_types::DateTime>; 3],
    output_data_config: Option<&sdk::AsyncInvokeOutputDataConfig>,
) -> Option<shapes::AsyncInvokeSummary> {
    let [submit_time, last_modified_time, end_time] = times.map(|time| time.and_then(|t| t.fmt(Format::DateTime).ok()));
    Some(shapes::AsyncInvokeSummary {
        invocation_arn: invocation_arn.to_owned(),
        model_arn: model_arn.to_owned(),
        client_request_token: client_request_token.map(str::to_owned),
        status: status.map(|s| s.as_str().to_owned()),
        failure_message: failure_message.map(str::to_owned),
        submit_time: submit_time.unwrap_or_default(),
        last_modified_time,
        end_time,
        output_data_config: match output_data_config? {
            sdk::AsyncInvokeOutputDataConfig::S3OutputDataConfig(s3) => {
                shapes::AsyncInvokeOutputDataConfig::S3OutputDataConfig(shapes::AsyncInvokeS3OutputDataConfig {
                    s3_uri: s3.s3_uri.clone(),
                    kms_key_id: s3.kms_key_id.clone(),
                    bucket_owner: s3.bucket_owner.clone(),
                })
            }
            _ => return unknown("async invoke output data config"),
        },
    })
}
