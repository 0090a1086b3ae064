//! Our JSON shapes → the SDK's types (what we send to Bedrock).

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types as sdk;

use super::{built, document_from_json, serialized_name, to_i32};
use crate::error::HostResult;
use crate::protocol::shapes;

pub(crate) fn messages_to_sdk(messages: &[shapes::Message], path: &str) -> HostResult<Vec<sdk::Message>> {
    messages.iter().enumerate().map(|(i, message)| message_to_sdk(message, &format!("{path}[{i}]"))).collect()
}

pub(crate) fn message_to_sdk(message: &shapes::Message, path: &str) -> HostResult<sdk::Message> {
    let content = message
        .content
        .iter()
        .enumerate()
        .map(|(i, block)| content_block_to_sdk(block, &format!("{path}.content[{i}]")))
        .collect::<HostResult<Vec<_>>>()?;
    built(
        sdk::Message::builder()
            .role(sdk::ConversationRole::from(serialized_name(&message.role).as_str()))
            .set_content(Some(content))
            .build(),
        path,
    )
}

pub(crate) fn content_block_to_sdk(block: &shapes::ContentBlock, path: &str) -> HostResult<sdk::ContentBlock> {
    use shapes::ContentBlock as W;
    Ok(match block {
        W::Text(text) => sdk::ContentBlock::Text(text.clone()),
        W::Image(image) => sdk::ContentBlock::Image(image_to_sdk(image, &format!("{path}.image"))?),
        W::Document(document) => {
            sdk::ContentBlock::Document(document_block_to_sdk(document, &format!("{path}.document"))?)
        }
        W::Video(video) => sdk::ContentBlock::Video(video_to_sdk(video, &format!("{path}.video"))?),
        W::Audio(audio) => {
            let path = format!("{path}.audio");
            let source = match &audio.source {
                shapes::AudioSource::Bytes(bytes) => sdk::AudioSource::Bytes(blob(bytes)),
                shapes::AudioSource::S3Location(location) => {
                    sdk::AudioSource::S3Location(s3_to_sdk(location, &format!("{path}.source.s3Location"))?)
                }
            };
            sdk::ContentBlock::Audio(built(
                sdk::AudioBlock::builder()
                    .format(sdk::AudioFormat::from(serialized_name(&audio.format).as_str()))
                    .source(source)
                    .set_error(audio.error.as_ref().map(error_block_to_sdk))
                    .build(),
                &path,
            )?)
        }
        W::ToolUse(tool_use) => sdk::ContentBlock::ToolUse(built(
            sdk::ToolUseBlock::builder()
                .tool_use_id(&tool_use.tool_use_id.0)
                .name(&tool_use.name)
                .input(document_from_json(&tool_use.input))
                .set_type(tool_use.kind.as_deref().map(sdk::ToolUseType::from))
                .build(),
            &format!("{path}.toolUse"),
        )?),
        W::ToolResult(result) => {
            let path = format!("{path}.toolResult");
            let content = result
                .content
                .iter()
                .enumerate()
                .map(|(i, block)| tool_result_content_to_sdk(block, &format!("{path}.content[{i}]")))
                .collect::<HostResult<Vec<_>>>()?;
            sdk::ContentBlock::ToolResult(built(
                sdk::ToolResultBlock::builder()
                    .tool_use_id(&result.tool_use_id.0)
                    .set_content(Some(content))
                    .set_status(
                        result.status.map(|status| sdk::ToolResultStatus::from(serialized_name(&status).as_str())),
                    )
                    .set_type(result.kind.clone())
                    .build(),
                &path,
            )?)
        }
        W::GuardContent(guard) => {
            sdk::ContentBlock::GuardContent(guard_content_to_sdk(guard, &format!("{path}.guardContent"))?)
        }
        W::CachePoint(point) => {
            sdk::ContentBlock::CachePoint(cache_point_to_sdk(point, &format!("{path}.cachePoint"))?)
        }
        W::ReasoningContent(reasoning) => sdk::ContentBlock::ReasoningContent(match reasoning {
            shapes::ReasoningContentBlock::ReasoningText(text) => sdk::ReasoningContentBlock::ReasoningText(built(
                sdk::ReasoningTextBlock::builder().text(&text.text).set_signature(text.signature.clone()).build(),
                &format!("{path}.reasoningContent.reasoningText"),
            )?),
            shapes::ReasoningContentBlock::RedactedContent(bytes) => {
                sdk::ReasoningContentBlock::RedactedContent(blob(bytes))
            }
        }),
        W::CitationsContent(citations) => sdk::ContentBlock::CitationsContent(
            sdk::CitationsContentBlock::builder()
                .set_content(citations.content.as_ref().map(|content| {
                    content
                        .iter()
                        .map(|shapes::CitationGeneratedContent::Text(text)| {
                            sdk::CitationGeneratedContent::Text(text.clone())
                        })
                        .collect()
                }))
                .set_citations(citations.citations.as_ref().map(|list| list.iter().map(citation_to_sdk).collect()))
                .build(),
        ),
        W::SearchResult(result) => {
            sdk::ContentBlock::SearchResult(search_result_to_sdk(result, &format!("{path}.searchResult"))?)
        }
        W::ToolAddition(addition) => sdk::ContentBlock::ToolAddition(
            sdk::ToolAdditionBlock::builder().tool(tool_reference_to_sdk(&addition.tool)).build(),
        ),
        W::ToolRemoval(removal) => sdk::ContentBlock::ToolRemoval(
            sdk::ToolRemovalBlock::builder().tool(tool_reference_to_sdk(&removal.tool)).build(),
        ),
    })
}

fn tool_reference_to_sdk(tool: &shapes::ToolReference) -> sdk::ToolReference {
    sdk::ToolReference::builder()
        .set_type(tool.kind.clone())
        .set_name(tool.name.clone())
        .set_server_name(tool.server_name.clone())
        .build()
}

fn blob(bytes: &shapes::Blob) -> Blob {
    Blob::new(bytes.0.clone())
}

fn s3_to_sdk(location: &shapes::S3Location, path: &str) -> HostResult<sdk::S3Location> {
    built(sdk::S3Location::builder().uri(&location.uri).set_bucket_owner(location.bucket_owner.clone()).build(), path)
}

fn error_block_to_sdk(error: &shapes::ErrorBlock) -> sdk::ErrorBlock {
    sdk::ErrorBlock::builder().set_message(error.message.clone()).build()
}

fn image_to_sdk(image: &shapes::ImageBlock, path: &str) -> HostResult<sdk::ImageBlock> {
    let source = match &image.source {
        shapes::ImageSource::Bytes(bytes) => sdk::ImageSource::Bytes(blob(bytes)),
        shapes::ImageSource::S3Location(location) => {
            sdk::ImageSource::S3Location(s3_to_sdk(location, &format!("{path}.source.s3Location"))?)
        }
    };
    built(
        sdk::ImageBlock::builder()
            .format(sdk::ImageFormat::from(serialized_name(&image.format).as_str()))
            .source(source)
            .set_error(image.error.as_ref().map(error_block_to_sdk))
            .build(),
        path,
    )
}

fn video_to_sdk(video: &shapes::VideoBlock, path: &str) -> HostResult<sdk::VideoBlock> {
    let source = match &video.source {
        shapes::VideoSource::Bytes(bytes) => sdk::VideoSource::Bytes(blob(bytes)),
        shapes::VideoSource::S3Location(location) => {
            sdk::VideoSource::S3Location(s3_to_sdk(location, &format!("{path}.source.s3Location"))?)
        }
    };
    built(
        sdk::VideoBlock::builder()
            .format(sdk::VideoFormat::from(serialized_name(&video.format).as_str()))
            .source(source)
            .build(),
        path,
    )
}

fn citations_config_to_sdk(config: &shapes::CitationsConfig, path: &str) -> HostResult<sdk::CitationsConfig> {
    built(sdk::CitationsConfig::builder().enabled(config.enabled).build(), path)
}

fn document_block_to_sdk(document: &shapes::DocumentBlock, path: &str) -> HostResult<sdk::DocumentBlock> {
    let source = match &document.source {
        shapes::DocumentSource::Bytes(bytes) => sdk::DocumentSource::Bytes(blob(bytes)),
        shapes::DocumentSource::S3Location(location) => {
            sdk::DocumentSource::S3Location(s3_to_sdk(location, &format!("{path}.source.s3Location"))?)
        }
        shapes::DocumentSource::Text(text) => sdk::DocumentSource::Text(text.clone()),
        shapes::DocumentSource::Content(blocks) => sdk::DocumentSource::Content(
            blocks
                .iter()
                .map(|shapes::DocumentContentBlock::Text(text)| sdk::DocumentContentBlock::Text(text.clone()))
                .collect(),
        ),
    };
    built(
        sdk::DocumentBlock::builder()
            .set_format(document.format.map(|format| sdk::DocumentFormat::from(serialized_name(&format).as_str())))
            .name(&document.name)
            .source(source)
            .set_context(document.context.clone())
            .set_citations(
                document
                    .citations
                    .as_ref()
                    .map(|config| citations_config_to_sdk(config, &format!("{path}.citations")))
                    .transpose()?,
            )
            .build(),
        path,
    )
}

fn search_result_to_sdk(result: &shapes::SearchResultBlock, path: &str) -> HostResult<sdk::SearchResultBlock> {
    let content = result
        .content
        .iter()
        .enumerate()
        .map(|(i, block)| {
            built(sdk::SearchResultContentBlock::builder().text(&block.text).build(), &format!("{path}.content[{i}]"))
        })
        .collect::<HostResult<Vec<_>>>()?;
    built(
        sdk::SearchResultBlock::builder()
            .source(&result.source)
            .title(&result.title)
            .set_content(Some(content))
            .set_citations(
                result
                    .citations
                    .as_ref()
                    .map(|config| citations_config_to_sdk(config, &format!("{path}.citations")))
                    .transpose()?,
            )
            .build(),
        path,
    )
}

fn tool_result_content_to_sdk(
    block: &shapes::ToolResultContentBlock,
    path: &str,
) -> HostResult<sdk::ToolResultContentBlock> {
    use shapes::ToolResultContentBlock as W;
    Ok(match block {
        W::Json(value) => sdk::ToolResultContentBlock::Json(document_from_json(value)),
        W::Text(text) => sdk::ToolResultContentBlock::Text(text.clone()),
        W::Image(image) => sdk::ToolResultContentBlock::Image(image_to_sdk(image, &format!("{path}.image"))?),
        W::Document(document) => {
            sdk::ToolResultContentBlock::Document(document_block_to_sdk(document, &format!("{path}.document"))?)
        }
        W::Video(video) => sdk::ToolResultContentBlock::Video(video_to_sdk(video, &format!("{path}.video"))?),
        W::SearchResult(result) => {
            sdk::ToolResultContentBlock::SearchResult(search_result_to_sdk(result, &format!("{path}.searchResult"))?)
        }
    })
}

fn guard_content_to_sdk(
    block: &shapes::GuardrailConverseContentBlock,
    path: &str,
) -> HostResult<sdk::GuardrailConverseContentBlock> {
    Ok(match block {
        shapes::GuardrailConverseContentBlock::Text(text) => sdk::GuardrailConverseContentBlock::Text(built(
            sdk::GuardrailConverseTextBlock::builder()
                .text(&text.text)
                .set_qualifiers(text.qualifiers.as_ref().map(|qualifiers| {
                    qualifiers
                        .iter()
                        .map(|q| sdk::GuardrailConverseContentQualifier::from(serialized_name(q).as_str()))
                        .collect()
                }))
                .build(),
            &format!("{path}.text"),
        )?),
        shapes::GuardrailConverseContentBlock::Image(image) => {
            let shapes::GuardrailImageSource::Bytes(bytes) = &image.source;
            sdk::GuardrailConverseContentBlock::Image(built(
                sdk::GuardrailConverseImageBlock::builder()
                    .format(sdk::GuardrailConverseImageFormat::from(serialized_name(&image.format).as_str()))
                    .source(sdk::GuardrailConverseImageSource::Bytes(blob(bytes)))
                    .build(),
                &format!("{path}.image"),
            )?)
        }
    })
}

/// ApplyGuardrail's content uses the non-Converse twins of the guard blocks.
pub(crate) fn guardrail_content_to_sdk(
    block: &shapes::GuardrailConverseContentBlock,
    path: &str,
) -> HostResult<sdk::GuardrailContentBlock> {
    Ok(match block {
        shapes::GuardrailConverseContentBlock::Text(text) => sdk::GuardrailContentBlock::Text(built(
            sdk::GuardrailTextBlock::builder()
                .text(&text.text)
                .set_qualifiers(text.qualifiers.as_ref().map(|qualifiers| {
                    qualifiers
                        .iter()
                        .map(|q| sdk::GuardrailContentQualifier::from(serialized_name(q).as_str()))
                        .collect()
                }))
                .build(),
            &format!("{path}.text"),
        )?),
        shapes::GuardrailConverseContentBlock::Image(image) => {
            let shapes::GuardrailImageSource::Bytes(bytes) = &image.source;
            sdk::GuardrailContentBlock::Image(built(
                sdk::GuardrailImageBlock::builder()
                    .format(sdk::GuardrailImageFormat::from(serialized_name(&image.format).as_str()))
                    .source(sdk::GuardrailImageSource::Bytes(blob(bytes)))
                    .build(),
                &format!("{path}.image"),
            )?)
        }
    })
}

fn cache_point_to_sdk(point: &shapes::CachePointBlock, path: &str) -> HostResult<sdk::CachePointBlock> {
    built(
        sdk::CachePointBlock::builder()
            .r#type(sdk::CachePointType::from(serialized_name(&point.kind).as_str()))
            .set_ttl(point.ttl.map(|ttl| sdk::CacheTtl::from(serialized_name(&ttl).as_str())))
            .build(),
        path,
    )
}

fn citation_to_sdk(citation: &shapes::Citation) -> sdk::Citation {
    sdk::Citation::builder()
        .set_title(citation.title.clone())
        .set_source(citation.source.clone())
        .set_source_content(citation.source_content.as_ref().map(|content| {
            content
                .iter()
                .map(|shapes::CitationSourceContent::Text(text)| sdk::CitationSourceContent::Text(text.clone()))
                .collect()
        }))
        .set_location(citation.location.as_ref().map(citation_location_to_sdk))
        .build()
}

fn citation_location_to_sdk(location: &shapes::CitationLocation) -> sdk::CitationLocation {
    // Indices are u32 in our shapes and i32 in the SDK; Bedrock's are far below i32::MAX.
    let index = |value: Option<u32>| value.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
    match location {
        shapes::CitationLocation::Web(web) => sdk::CitationLocation::Web(
            sdk::WebLocation::builder().set_url(web.url.clone()).set_domain(web.domain.clone()).build(),
        ),
        shapes::CitationLocation::DocumentChar(at) => sdk::CitationLocation::DocumentChar(
            sdk::DocumentCharLocation::builder()
                .set_document_index(index(at.document_index))
                .set_start(index(at.start))
                .set_end(index(at.end))
                .build(),
        ),
        shapes::CitationLocation::DocumentPage(at) => sdk::CitationLocation::DocumentPage(
            sdk::DocumentPageLocation::builder()
                .set_document_index(index(at.document_index))
                .set_start(index(at.start))
                .set_end(index(at.end))
                .build(),
        ),
        shapes::CitationLocation::DocumentChunk(at) => sdk::CitationLocation::DocumentChunk(
            sdk::DocumentChunkLocation::builder()
                .set_document_index(index(at.document_index))
                .set_start(index(at.start))
                .set_end(index(at.end))
                .build(),
        ),
        shapes::CitationLocation::SearchResultLocation(at) => sdk::CitationLocation::SearchResultLocation(
            sdk::SearchResultLocation::builder()
                .set_search_result_index(index(at.search_result_index))
                .set_start(index(at.start))
                .set_end(index(at.end))
                .build(),
        ),
    }
}

pub(crate) fn system_to_sdk(
    blocks: &[shapes::SystemContentBlock],
    path: &str,
) -> HostResult<Vec<sdk::SystemContentBlock>> {
    blocks
        .iter()
        .enumerate()
        .map(|(i, block)| {
            let path = format!("{path}[{i}]");
            Ok(match block {
                shapes::SystemContentBlock::Text(text) => sdk::SystemContentBlock::Text(text.clone()),
                shapes::SystemContentBlock::GuardContent(guard) => {
                    sdk::SystemContentBlock::GuardContent(guard_content_to_sdk(guard, &format!("{path}.guardContent"))?)
                }
                shapes::SystemContentBlock::CachePoint(point) => {
                    sdk::SystemContentBlock::CachePoint(cache_point_to_sdk(point, &format!("{path}.cachePoint"))?)
                }
            })
        })
        .collect()
}

pub(crate) fn inference_config_to_sdk(
    config: &shapes::InferenceConfiguration,
    path: &str,
) -> HostResult<sdk::InferenceConfiguration> {
    Ok(sdk::InferenceConfiguration::builder()
        .set_max_tokens(config.max_tokens.map(|n| to_i32(n, &format!("{path}.maxTokens"))).transpose()?)
        .set_temperature(config.temperature)
        .set_top_p(config.top_p)
        .set_stop_sequences(config.stop_sequences.clone())
        .build())
}

pub(crate) fn tool_config_to_sdk(config: &shapes::ToolConfiguration, path: &str) -> HostResult<sdk::ToolConfiguration> {
    let tools = config
        .tools
        .iter()
        .enumerate()
        .map(|(i, tool)| {
            let path = format!("{path}.tools[{i}]");
            Ok(match tool {
                shapes::Tool::ToolSpec(spec) => {
                    let shapes::ToolInputSchema::Json(schema) = &spec.input_schema;
                    sdk::Tool::ToolSpec(built(
                        sdk::ToolSpecification::builder()
                            .name(&spec.name)
                            .set_description(spec.description.clone())
                            .input_schema(sdk::ToolInputSchema::Json(document_from_json(schema)))
                            .set_strict(spec.strict)
                            .build(),
                        &format!("{path}.toolSpec"),
                    )?)
                }
                shapes::Tool::SystemTool(tool) => sdk::Tool::SystemTool(built(
                    sdk::SystemTool::builder().name(&tool.name).build(),
                    &format!("{path}.systemTool"),
                )?),
                shapes::Tool::CachePoint(point) => {
                    sdk::Tool::CachePoint(cache_point_to_sdk(point, &format!("{path}.cachePoint"))?)
                }
            })
        })
        .collect::<HostResult<Vec<_>>>()?;
    let choice = match &config.tool_choice {
        None => None,
        Some(shapes::ToolChoice::Auto(_)) => Some(sdk::ToolChoice::Auto(sdk::AutoToolChoice::builder().build())),
        Some(shapes::ToolChoice::Any(_)) => Some(sdk::ToolChoice::Any(sdk::AnyToolChoice::builder().build())),
        Some(shapes::ToolChoice::Tool(tool)) => Some(sdk::ToolChoice::Tool(built(
            sdk::SpecificToolChoice::builder().name(&tool.name).build(),
            &format!("{path}.toolChoice.tool"),
        )?)),
    };
    built(sdk::ToolConfiguration::builder().set_tools(Some(tools)).set_tool_choice(choice).build(), path)
}

pub(crate) fn guardrail_config_to_sdk(config: &shapes::GuardrailConfiguration) -> sdk::GuardrailConfiguration {
    sdk::GuardrailConfiguration::builder()
        .guardrail_identifier(&config.guardrail_identifier)
        .guardrail_version(&config.guardrail_version)
        .set_trace(config.trace.map(|trace| sdk::GuardrailTrace::from(serialized_name(&trace).as_str())))
        .build()
}

pub(crate) fn guardrail_stream_config_to_sdk(
    config: &shapes::GuardrailConfiguration,
) -> sdk::GuardrailStreamConfiguration {
    sdk::GuardrailStreamConfiguration::builder()
        .guardrail_identifier(&config.guardrail_identifier)
        .guardrail_version(&config.guardrail_version)
        .set_trace(config.trace.map(|trace| sdk::GuardrailTrace::from(serialized_name(&trace).as_str())))
        .set_stream_processing_mode(
            config
                .stream_processing_mode
                .map(|mode| sdk::GuardrailStreamProcessingMode::from(serialized_name(&mode).as_str())),
        )
        .build()
}

pub(crate) fn prompt_variables_to_sdk(
    variables: &std::collections::BTreeMap<String, shapes::PromptVariableValues>,
) -> std::collections::HashMap<String, sdk::PromptVariableValues> {
    variables
        .iter()
        .map(|(name, shapes::PromptVariableValues::Text(text))| {
            (name.clone(), sdk::PromptVariableValues::Text(text.clone()))
        })
        .collect()
}

pub(crate) fn performance_config_to_sdk(config: &shapes::PerformanceConfiguration) -> sdk::PerformanceConfiguration {
    sdk::PerformanceConfiguration::builder()
        .latency(sdk::PerformanceConfigLatency::from(serialized_name(&config.latency).as_str()))
        .build()
}

pub(crate) fn service_tier_to_sdk(tier: &shapes::ServiceTier, path: &str) -> HostResult<sdk::ServiceTier> {
    built(
        sdk::ServiceTier::builder().r#type(sdk::ServiceTierType::from(serialized_name(&tier.kind).as_str())).build(),
        path,
    )
}

pub(crate) fn output_config_to_sdk(config: &shapes::OutputConfig, path: &str) -> HostResult<sdk::OutputConfig> {
    let text_format = match &config.text_format {
        None => None,
        Some(format) => {
            let shapes::OutputFormatStructure::JsonSchema(schema) = &format.structure;
            let structure = sdk::OutputFormatStructure::JsonSchema(built(
                sdk::JsonSchemaDefinition::builder()
                    .schema(&schema.schema)
                    .set_name(schema.name.clone())
                    .set_description(schema.description.clone())
                    .build(),
                &format!("{path}.textFormat.structure.jsonSchema"),
            )?);
            Some(built(
                sdk::OutputFormat::builder()
                    .r#type(sdk::OutputFormatType::from(serialized_name(&format.kind).as_str()))
                    .structure(structure)
                    .build(),
                &format!("{path}.textFormat"),
            )?)
        }
    };
    Ok(sdk::OutputConfig::builder().set_text_format(text_format).set_effort(config.effort.clone()).build())
}
