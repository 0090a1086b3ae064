//! Between ACP's shapes and the host's: prompt content → Bedrock content
//! blocks, stop reasons, the host's errors → ACP's error codes, and a stored
//! conversation → the `session/update` notifications that replay it.

use agent_client_protocol_schema as acp;
use serde_json::{Value, json};

use super::tools;
use crate::error::code;
use crate::protocol::shapes::{ContentBlock, ConversationRole, Message, ReasoningContentBlock, ToolResultContentBlock};
use crate::transport::ErrorObject;

/// One bad field of a request, as `-32602`'s `data.errors[]` names it.
pub fn invalid_params(path: &str, message: impl Into<String>) -> acp::Error {
    let message = message.into();
    acp::Error::invalid_params()
        .data(json!({"errors": [{"path": path, "message": message.clone()}]}))
        .with_message(format!("invalid params: {path}: {message}"))
}

/// ACP's error codes for what the host answered (docs/acp.md "Errors").
pub fn from_host(error: ErrorObject) -> acp::Error {
    let acp_code = match error.code {
        code::INVALID_PARAMS => acp::ErrorCode::InvalidParams,
        code::INVALID_REQUEST => acp::ErrorCode::InvalidRequest,
        code::NOT_FOUND => acp::ErrorCode::ResourceNotFound,
        code::NO_CREDENTIALS => acp::ErrorCode::AuthRequired,
        _ => acp::ErrorCode::InternalError,
    };
    let mut answer: acp::Error = acp_code.into();
    answer = answer.with_message(error.message);
    answer.data(error.data)
}

/// A host error as the error object the native protocol would answer.
pub fn host_error_object(error: &crate::error::HostError) -> ErrorObject {
    ErrorObject { code: error.code(), message: error.to_string(), data: error.data() }
}

/// Sets an error's message (ACP's constructors give the code's generic one).
pub trait WithMessage {
    fn with_message(self, message: impl Into<String>) -> Self;
}

impl WithMessage for acp::Error {
    fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }
}

/// ACP's stop reason for the host's (docs/acp.md "Stop reasons").
pub fn stop_reason(native: &str) -> acp::StopReason {
    match native {
        "max_tokens" | "model_context_window_exceeded" => acp::StopReason::MaxTokens,
        "tool_iterations_exhausted" => acp::StopReason::MaxTurnRequests,
        "guardrail_intervened" | "content_filtered" => acp::StopReason::Refusal,
        _ => acp::StopReason::EndTurn,
    }
}

/// Bedrock's image format for a MIME type.
fn image_format(mime: &str) -> Option<&'static str> {
    match mime.to_ascii_lowercase().as_str() {
        "image/png" => Some("png"),
        "image/jpeg" | "image/jpg" => Some("jpeg"),
        "image/gif" => Some("gif"),
        "image/webp" => Some("webp"),
        _ => None,
    }
}

/// Bedrock's document format for a MIME type.
fn document_format(mime: &str) -> Option<&'static str> {
    match mime.to_ascii_lowercase().as_str() {
        "application/pdf" => Some("pdf"),
        "text/csv" => Some("csv"),
        "application/msword" => Some("doc"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Some("docx"),
        "application/vnd.ms-excel" => Some("xls"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some("xlsx"),
        "text/html" => Some("html"),
        "text/plain" => Some("txt"),
        "text/markdown" => Some("md"),
        _ => None,
    }
}

/// A document name Bedrock accepts (letters, digits, spaces, `-()[]`, no two spaces in a row).
fn document_name(uri: &str, index: usize) -> String {
    let last = uri.rsplit('/').next().unwrap_or(uri);
    let cleaned: String = last
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-()[]".contains(c) { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if cleaned.is_empty() { format!("document {}", index + 1) } else { cleaned }
}

/// `session/prompt`'s content as the user message's Bedrock content blocks.
pub fn prompt_to_blocks(prompt: &[acp::ContentBlock]) -> Result<Vec<Value>, acp::Error> {
    if prompt.is_empty() {
        return Err(invalid_params("prompt", "is empty; send at least one content block"));
    }
    let mut blocks = Vec::with_capacity(prompt.len());
    for (index, block) in prompt.iter().enumerate() {
        let at = |field: &str| format!("prompt[{index}]{field}");
        match block {
            acp::ContentBlock::Text(text) => blocks.push(json!({"text": text.text})),
            acp::ContentBlock::Image(image) => {
                let Some(format) = image_format(&image.mime_type) else {
                    return Err(invalid_params(
                        &at(".mimeType"),
                        format!(
                            "`{}` is not an image format Bedrock takes; send image/png, image/jpeg, image/gif or image/webp",
                            image.mime_type
                        ),
                    ));
                };
                blocks.push(json!({"image": {"format": format, "source": {"bytes": image.data}}}));
            }
            acp::ContentBlock::Audio(_) => {
                return Err(invalid_params(
                    &at(""),
                    "audio is not accepted (promptCapabilities.audio is false); send text, images or resources",
                ));
            }
            acp::ContentBlock::ResourceLink(link) => {
                let mut text = format!("[{}]({})", link.name, link.uri);
                if let Some(description) = &link.description {
                    text.push_str(&format!(": {description}"));
                }
                text.push_str("\n(a file the user referred to; read it with read_file when it is in the project)");
                blocks.push(json!({"text": text}));
            }
            acp::ContentBlock::Resource(resource) => {
                match &resource.resource {
                    acp::EmbeddedResourceResource::TextResourceContents(contents) => {
                        blocks.push(json!({"text": format!("<context uri=\"{}\">\n{}\n</context>", contents.uri, contents.text)}));
                    }
                    acp::EmbeddedResourceResource::BlobResourceContents(contents) => {
                        let mime = contents.mime_type.as_deref().unwrap_or_default();
                        if let Some(format) = image_format(mime) {
                            blocks.push(json!({"image": {"format": format, "source": {"bytes": contents.blob}}}));
                        } else if let Some(format) = document_format(mime) {
                            let name = document_name(&contents.uri, index);
                            blocks.push(json!({"document": {"format": format, "name": name, "source": {"bytes": contents.blob}}}));
                        } else {
                            return Err(invalid_params(
                                &at(".resource.mimeType"),
                                format!(
                                    "a binary resource of type `{mime}` cannot be sent to the model; send an image (png, jpeg, gif, webp) or a document (pdf, csv, doc, docx, xls, xlsx, html, txt, md)"
                                ),
                            ));
                        }
                    }
                    _ => return Err(invalid_params(&at(".resource"), "a resource of a kind this agent does not know")),
                }
            }
            _ => return Err(invalid_params(&at(""), "a content block of a kind this agent does not know")),
        }
    }
    Ok(blocks)
}

fn text_block(text: impl Into<String>) -> acp::ContentBlock {
    acp::ContentBlock::Text(acp::TextContent::new(text))
}

fn image_update(image: &crate::protocol::shapes::ImageBlock) -> Option<acp::ContentBlock> {
    let value = serde_json::to_value(image).ok()?;
    let data = value.get("source")?.get("bytes")?.as_str()?.to_string();
    let format = value.get("format")?.as_str()?;
    Some(acp::ContentBlock::Image(acp::ImageContent::new(data, format!("image/{format}"))))
}

/// The text a tool result carries, for the client.
fn tool_result_text(content: &[ToolResultContentBlock]) -> String {
    content
        .iter()
        .map(|block| match block {
            ToolResultContentBlock::Text(text) => text.clone(),
            ToolResultContentBlock::Json(value) => value.to_string(),
            _ => "(non-text content)".to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `session/update`s that show a stored history as it happened: user
/// chunks, agent chunks and thoughts, each tool call and its result.
pub fn replay(messages: &[Message]) -> Vec<acp::SessionUpdate> {
    let mut updates = Vec::new();
    for message in messages {
        for block in &message.content {
            let update = match (message.role, block) {
                (ConversationRole::User, ContentBlock::Text(text)) => {
                    Some(acp::SessionUpdate::UserMessageChunk(acp::ContentChunk::new(text_block(text))))
                }
                (ConversationRole::User, ContentBlock::Image(image)) => {
                    image_update(image).map(|image| acp::SessionUpdate::UserMessageChunk(acp::ContentChunk::new(image)))
                }
                (ConversationRole::User, ContentBlock::Document(document)) => {
                    Some(acp::SessionUpdate::UserMessageChunk(acp::ContentChunk::new(text_block(format!(
                        "(document: {})",
                        document.name
                    )))))
                }
                (_, ContentBlock::ToolResult(result)) => {
                    let failed = matches!(result.status, Some(crate::protocol::shapes::ToolResultStatus::Error));
                    let text = tool_result_text(&result.content);
                    Some(acp::SessionUpdate::ToolCallUpdate(acp::ToolCallUpdate::new(
                        acp::ToolCallId::new(result.tool_use_id.to_string()),
                        acp::ToolCallUpdateFields::new()
                            .status(if failed { acp::ToolCallStatus::Failed } else { acp::ToolCallStatus::Completed })
                            .content(vec![acp::ToolCallContent::Content(acp::Content::new(text_block(text)))]),
                    )))
                }
                (ConversationRole::Assistant, ContentBlock::Text(text)) => {
                    Some(acp::SessionUpdate::AgentMessageChunk(acp::ContentChunk::new(text_block(text))))
                }
                (
                    ConversationRole::Assistant,
                    ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(reasoning)),
                ) => Some(acp::SessionUpdate::AgentThoughtChunk(acp::ContentChunk::new(text_block(&reasoning.text)))),
                (ConversationRole::Assistant, ContentBlock::ToolUse(tool_use)) => Some(acp::SessionUpdate::ToolCall(
                    acp::ToolCall::new(
                        acp::ToolCallId::new(tool_use.tool_use_id.to_string()),
                        tools::title(&tool_use.name, Some(&tool_use.input)),
                    )
                    .kind(tools::kind(&tool_use.name))
                    .status(acp::ToolCallStatus::Pending)
                    .raw_input(tool_use.input.clone()),
                )),
                _ => None,
            };
            updates.extend(update);
        }
    }
    updates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_content_becomes_bedrock_blocks() {
        let prompt: Vec<acp::ContentBlock> = serde_json::from_value(json!([
            {"type": "text", "text": "hi"},
            {"type": "image", "data": "aGk=", "mimeType": "image/png"},
            {"type": "resource", "resource": {"uri": "file:///p/a.rs", "text": "fn main() {}"}},
            {"type": "resource", "resource": {"uri": "file:///p/spec.pdf", "blob": "aGk=", "mimeType": "application/pdf"}},
            {"type": "resource_link", "uri": "file:///p/b.rs", "name": "b.rs"}
        ]))
        .unwrap();
        let blocks = prompt_to_blocks(&prompt).unwrap();
        assert_eq!(blocks[0], json!({"text": "hi"}));
        assert_eq!(blocks[1], json!({"image": {"format": "png", "source": {"bytes": "aGk="}}}));
        assert_eq!(blocks[2], json!({"text": "<context uri=\"file:///p/a.rs\">\nfn main() {}\n</context>"}));
        assert_eq!(blocks[3], json!({"document": {"format": "pdf", "name": "spec pdf", "source": {"bytes": "aGk="}}}));
        assert!(blocks[4]["text"].as_str().unwrap().starts_with("[b.rs](file:///p/b.rs)"));
    }

    #[test]
    fn bad_prompt_content_names_the_field() {
        let prompt: Vec<acp::ContentBlock> =
            serde_json::from_value(json!([{"type": "image", "data": "aGk=", "mimeType": "image/bmp"}])).unwrap();
        let error = prompt_to_blocks(&prompt).unwrap_err();
        assert_eq!(i32::from(error.code), -32602);
        assert_eq!(error.data.unwrap()["errors"][0]["path"], "prompt[0].mimeType");
        assert_eq!(i32::from(prompt_to_blocks(&[]).unwrap_err().code), -32602);
    }

    #[test]
    fn stop_reasons_map_to_acp() {
        assert_eq!(stop_reason("end_turn"), acp::StopReason::EndTurn);
        assert_eq!(stop_reason("max_tokens"), acp::StopReason::MaxTokens);
        assert_eq!(stop_reason("tool_iterations_exhausted"), acp::StopReason::MaxTurnRequests);
        assert_eq!(stop_reason("guardrail_intervened"), acp::StopReason::Refusal);
        assert_eq!(stop_reason("content_filtered"), acp::StopReason::Refusal);
    }

    #[test]
    fn host_errors_get_acp_codes() {
        let error = |code| ErrorObject { code, message: "m".into(), data: None };
        assert_eq!(i32::from(from_host(error(code::NOT_FOUND)).code), -32002);
        assert_eq!(i32::from(from_host(error(code::NO_CREDENTIALS)).code), -32000);
        assert_eq!(i32::from(from_host(error(code::BEDROCK_ERROR)).code), -32603);
        assert_eq!(from_host(error(code::INVALID_PARAMS)).message, "m");
    }
}
