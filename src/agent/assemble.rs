//! Folds ConverseStream events into the response Converse would have given:
//! the assistant message, stop reason, usage, metrics and trace.
//!
//! Blocks are keyed by `contentBlockIndex`. Text is concatenated; a toolUse's
//! input arrives as pieces of a JSON string and is parsed once, at
//! `contentBlockStop`; reasoning text and its signature are kept byte-exact
//! (the provider verifies the signature when the block is sent back);
//! citations gather beside the text they cite.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::protocol::shapes::{
    Blob, Citation, CitationGeneratedContent, CitationSourceContent, CitationsContentBlock, CitationsDelta,
    ContentBlock, ContentBlockDelta, ContentBlockStart, ConversationRole, ConverseMetrics, ConverseOutput,
    ConverseResponse, ConverseStreamEvent, ConverseTrace, ImageBlock, ImageFormat, ImageSource, Message,
    PerformanceConfiguration, ReasoningContentBlock, ReasoningContentBlockDelta, ReasoningTextBlock, ServiceTier,
    TokenUsage, ToolResultBlock, ToolResultBlockDelta, ToolResultContentBlock, ToolResultStatus, ToolUseBlock,
    ToolUseId,
};

/// A block being built from deltas.
#[derive(Debug)]
enum PartialBlock {
    Text { text: String, citations: Vec<Citation> },
    ToolUse { id: ToolUseId, name: String, kind: Option<String>, input_json: String },
    Reasoning { text: String, signature: Option<String>, redacted: Option<Vec<u8>> },
    ToolResult { id: ToolUseId, status: Option<String>, kind: Option<String>, content: Vec<ToolResultContentBlock> },
    Image { format: String, source: Option<ImageSource> },
}

/// A toolUse whose streamed input was not valid JSON. The block stays in the
/// message with `{}` as input (Bedrock requires an object), and the tool
/// loop answers it with an error toolResult quoting `problem`.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidToolInput {
    pub tool_use_id: ToolUseId,
    pub raw: String,
    pub problem: String,
}

#[derive(Debug, Default)]
pub struct StreamAssembler {
    blocks: BTreeMap<u32, PartialBlock>,
    finished: BTreeMap<u32, ContentBlock>,
    invalid_tool_inputs: Vec<InvalidToolInput>,
    stop_reason: Option<String>,
    additional_model_response_fields: Option<Value>,
    usage: Option<TokenUsage>,
    metrics: Option<ConverseMetrics>,
    trace: Option<ConverseTrace>,
    performance_config: Option<PerformanceConfiguration>,
    service_tier: Option<ServiceTier>,
    text_events: usize,
}

impl StreamAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// True once at least one piece of text (answer or reasoning) arrived.
    pub fn has_text(&self) -> bool {
        self.text_events > 0
    }

    pub fn push(&mut self, event: &ConverseStreamEvent) {
        match event {
            ConverseStreamEvent::MessageStart(_) => {}
            ConverseStreamEvent::ContentBlockStart(start) => {
                let block = match &start.start {
                    ContentBlockStart::ToolUse(tool) => PartialBlock::ToolUse {
                        id: tool.tool_use_id.clone(),
                        name: tool.name.clone(),
                        kind: tool.kind.clone(),
                        input_json: String::new(),
                    },
                    ContentBlockStart::ToolResult(result) => PartialBlock::ToolResult {
                        id: result.tool_use_id.clone(),
                        status: result.status.clone(),
                        kind: result.kind.clone(),
                        content: Vec::new(),
                    },
                    ContentBlockStart::Image(image) => {
                        PartialBlock::Image { format: image.format.clone(), source: None }
                    }
                };
                self.blocks.insert(start.content_block_index, block);
            }
            ConverseStreamEvent::ContentBlockDelta(delta) => self.push_delta(delta.content_block_index, &delta.delta),
            ConverseStreamEvent::ContentBlockStop(stop) => {
                if let Some(block) = self.blocks.remove(&stop.content_block_index) {
                    let finished = self.finish_block(block);
                    self.finished.insert(stop.content_block_index, finished);
                }
            }
            ConverseStreamEvent::MessageStop(stop) => {
                self.stop_reason = Some(stop.stop_reason.clone());
                self.additional_model_response_fields = stop.additional_model_response_fields.clone();
            }
            ConverseStreamEvent::Metadata(metadata) => {
                self.usage = Some(metadata.usage.clone());
                self.metrics = Some(metadata.metrics.clone());
                self.trace = metadata.trace.clone();
                self.performance_config = metadata.performance_config.clone();
                self.service_tier = metadata.service_tier.clone();
            }
        }
    }

    fn push_delta(&mut self, index: u32, delta: &ContentBlockDelta) {
        // Text and reasoning blocks have no start event: their first delta opens them.
        let block = self.blocks.entry(index).or_insert_with(|| match delta {
            ContentBlockDelta::ReasoningContent(_) => {
                PartialBlock::Reasoning { text: String::new(), signature: None, redacted: None }
            }
            _ => PartialBlock::Text { text: String::new(), citations: Vec::new() },
        });
        match (block, delta) {
            (PartialBlock::Text { text, .. }, ContentBlockDelta::Text(piece)) => {
                self.text_events += 1;
                text.push_str(piece);
            }
            (PartialBlock::Text { citations, .. }, ContentBlockDelta::Citation(citation)) => {
                citations.push(citation_from_delta(citation));
            }
            (PartialBlock::ToolUse { input_json, .. }, ContentBlockDelta::ToolUse(piece)) => {
                input_json.push_str(&piece.input);
            }
            (PartialBlock::Reasoning { text, signature, redacted }, ContentBlockDelta::ReasoningContent(piece)) => {
                match piece {
                    ReasoningContentBlockDelta::Text(more) => {
                        self.text_events += 1;
                        text.push_str(more);
                    }
                    ReasoningContentBlockDelta::Signature(more) => {
                        signature.get_or_insert_with(String::new).push_str(more)
                    }
                    ReasoningContentBlockDelta::RedactedContent(Blob(bytes)) => {
                        redacted.get_or_insert_with(Vec::new).extend_from_slice(bytes)
                    }
                }
            }
            (PartialBlock::ToolResult { content, .. }, ContentBlockDelta::ToolResult(pieces)) => {
                for piece in pieces {
                    content.push(match piece {
                        ToolResultBlockDelta::Text(text) => ToolResultContentBlock::Text(text.clone()),
                        ToolResultBlockDelta::Json(value) => ToolResultContentBlock::Json(value.clone()),
                    });
                }
            }
            (PartialBlock::Image { source, .. }, ContentBlockDelta::Image(image)) => {
                if let Some(new_source) = &image.source {
                    *source = Some(new_source.clone());
                }
            }
            (block, delta) => {
                tracing::warn!(index, ?delta, ?block, "a stream delta does not fit its block's kind; ignored");
            }
        }
    }

    fn finish_block(&mut self, block: PartialBlock) -> ContentBlock {
        match block {
            PartialBlock::Text { text, citations } if citations.is_empty() => ContentBlock::Text(text),
            PartialBlock::Text { text, citations } => ContentBlock::CitationsContent(CitationsContentBlock {
                content: Some(vec![CitationGeneratedContent::Text(text)]),
                citations: Some(citations),
            }),
            PartialBlock::ToolUse { id, name, kind, input_json } => {
                let input = if input_json.trim().is_empty() {
                    json!({})
                } else {
                    match serde_json::from_str::<Value>(&input_json) {
                        Ok(value) => value,
                        Err(error) => {
                            self.invalid_tool_inputs.push(InvalidToolInput {
                                tool_use_id: id.clone(),
                                raw: input_json.clone(),
                                problem: format!("the tool input the model wrote is not valid JSON ({error})"),
                            });
                            json!({})
                        }
                    }
                };
                ContentBlock::ToolUse(ToolUseBlock { tool_use_id: id, name, input, kind })
            }
            PartialBlock::Reasoning { redacted: Some(bytes), .. } => {
                ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(Blob(bytes)))
            }
            PartialBlock::Reasoning { text, signature, redacted: None } => {
                ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(ReasoningTextBlock {
                    text,
                    signature,
                }))
            }
            PartialBlock::ToolResult { id, status, kind, content } => ContentBlock::ToolResult(ToolResultBlock {
                tool_use_id: id,
                content,
                status: status
                    .as_deref()
                    .map(|s| if s == "error" { ToolResultStatus::Error } else { ToolResultStatus::Success }),
                kind,
            }),
            PartialBlock::Image { format, source } => match (image_format(&format), source) {
                (Some(format), Some(source)) => ContentBlock::Image(ImageBlock { format, source, error: None }),
                // Left out by `finish`: an image without its bytes cannot be sent back.
                _ => ContentBlock::Text(String::new()),
            },
        }
    }

    /// The assistant message as far as it got: finished blocks and, after
    /// them, whatever is still open. For `data.partial` of a failed turn.
    pub fn partial_message(&self) -> Message {
        let mut content: BTreeMap<u32, ContentBlock> = self.finished.clone();
        for (index, block) in &self.blocks {
            let preview = match block {
                PartialBlock::Text { text, .. } => ContentBlock::Text(text.clone()),
                PartialBlock::Reasoning { text, signature, .. } => {
                    ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(ReasoningTextBlock {
                        text: text.clone(),
                        signature: signature.clone(),
                    }))
                }
                PartialBlock::ToolUse { id, name, kind, input_json } => ContentBlock::ToolUse(ToolUseBlock {
                    tool_use_id: id.clone(),
                    name: name.clone(),
                    input: serde_json::from_str(input_json).unwrap_or_else(|_| Value::String(input_json.clone())),
                    kind: kind.clone(),
                }),
                PartialBlock::ToolResult { .. } | PartialBlock::Image { .. } => continue,
            };
            content.insert(*index, preview);
        }
        Message { role: ConversationRole::Assistant, content: content.into_values().collect() }
    }

    /// The complete response. Blocks never stopped (a stream that ended
    /// early) are closed as they are.
    pub fn finish(mut self) -> AssembledResponse {
        let open: Vec<_> = std::mem::take(&mut self.blocks).into_iter().collect();
        for (index, block) in open {
            let finished = self.finish_block(block);
            self.finished.insert(index, finished);
        }
        // An empty text block (an image block that never got its source, a
        // text block that got no text) would be refused by Bedrock when the
        // history is sent back, so it is left out.
        let content = std::mem::take(&mut self.finished)
            .into_values()
            .filter(|block| !matches!(block, ContentBlock::Text(text) if text.is_empty()))
            .collect();
        AssembledResponse {
            response: ConverseResponse {
                output: ConverseOutput::Message(Message { role: ConversationRole::Assistant, content }),
                stop_reason: self.stop_reason.unwrap_or_else(|| "end_turn".to_string()),
                usage: self.usage.unwrap_or_default(),
                metrics: self.metrics.unwrap_or_default(),
                additional_model_response_fields: self.additional_model_response_fields,
                trace: self.trace,
                performance_config: self.performance_config,
                service_tier: self.service_tier,
            },
            invalid_tool_inputs: self.invalid_tool_inputs,
        }
    }
}

/// What a stream assembled into.
#[derive(Debug, Clone, PartialEq)]
pub struct AssembledResponse {
    pub response: ConverseResponse,
    pub invalid_tool_inputs: Vec<InvalidToolInput>,
}

fn citation_from_delta(delta: &CitationsDelta) -> Citation {
    Citation {
        title: delta.title.clone(),
        source: delta.source.clone(),
        source_content: delta.source_content.as_ref().map(|pieces| {
            pieces.iter().filter_map(|piece| piece.text.clone().map(CitationSourceContent::Text)).collect()
        }),
        location: delta.location.clone(),
    }
}

fn image_format(format: &str) -> Option<ImageFormat> {
    serde_json::from_value(Value::String(format.to_string())).ok()
}

/// All text of a message's text and citation blocks, joined.
pub fn message_text(message: &Message) -> String {
    let mut text = String::new();
    for block in &message.content {
        match block {
            ContentBlock::Text(piece) => text.push_str(piece),
            ContentBlock::CitationsContent(citations) => {
                for CitationGeneratedContent::Text(piece) in citations.content.iter().flatten() {
                    text.push_str(piece);
                }
            }
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(values: Value) -> Vec<ConverseStreamEvent> {
        serde_json::from_value(values).expect("valid events")
    }

    #[test]
    fn text_and_tool_use_assemble_in_index_order() {
        let stream = events(json!([
            {"messageStart": {"role": "assistant"}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Let me "}}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "look."}}},
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"contentBlockStart": {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather"}}}},
            {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"city\": \"Pa"}}}},
            {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "ris\"}"}}}},
            {"contentBlockStop": {"contentBlockIndex": 1}},
            {"messageStop": {"stopReason": "tool_use"}},
            {"metadata": {"usage": {"inputTokens": 7, "outputTokens": 5, "totalTokens": 12}, "metrics": {"latencyMs": 30}}}
        ]));
        let mut assembler = StreamAssembler::new();
        for event in &stream {
            assembler.push(event);
        }
        assert!(assembler.has_text());
        let assembled = assembler.finish();
        assert!(assembled.invalid_tool_inputs.is_empty());
        assert_eq!(
            serde_json::to_value(&assembled.response).unwrap(),
            json!({
                "output": {"message": {"role": "assistant", "content": [
                    {"text": "Let me look."},
                    {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}}
                ]}},
                "stopReason": "tool_use",
                "usage": {"inputTokens": 7, "outputTokens": 5, "totalTokens": 12},
                "metrics": {"latencyMs": 30}
            })
        );
    }

    #[test]
    fn reasoning_signature_is_byte_exact_and_citations_gather() {
        let signature = "EqoBCkgIARABGAIiQ+/=sig\u{00e9}";
        let stream = events(json!([
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Think "}}}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hard."}}}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": signature}}}},
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": "Paris is the capital."}}},
            {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"citation": {"title": "Atlas", "sourceContent": [{"text": "Paris, capital of France"}], "location": {"documentChar": {"documentIndex": 0, "start": 0, "end": 24}}}}}},
            {"contentBlockStop": {"contentBlockIndex": 1}},
            {"messageStop": {"stopReason": "end_turn"}}
        ]));
        let mut assembler = StreamAssembler::new();
        for event in &stream {
            assembler.push(event);
        }
        let response = assembler.finish().response;
        let ConverseOutput::Message(message) = &response.output;
        assert_eq!(
            serde_json::to_value(&message.content).unwrap(),
            json!([
                {"reasoningContent": {"reasoningText": {"text": "Think hard.", "signature": signature}}},
                {"citationsContent": {
                    "content": [{"text": "Paris is the capital."}],
                    "citations": [{"title": "Atlas", "sourceContent": [{"text": "Paris, capital of France"}], "location": {"documentChar": {"documentIndex": 0, "start": 0, "end": 24}}}]
                }}
            ])
        );
        assert_eq!(message_text(message), "Paris is the capital.");
    }

    #[test]
    fn invalid_tool_json_is_reported_not_fatal() {
        let stream = events(json!([
            {"contentBlockStart": {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "t1", "name": "calc"}}}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": "{\"x\": 1,"}}}},
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"contentBlockStart": {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "t2", "name": "now"}}}},
            {"contentBlockStop": {"contentBlockIndex": 1}},
            {"messageStop": {"stopReason": "tool_use"}}
        ]));
        let mut assembler = StreamAssembler::new();
        for event in &stream {
            assembler.push(event);
        }
        let assembled = assembler.finish();
        assert_eq!(assembled.invalid_tool_inputs.len(), 1);
        assert_eq!(assembled.invalid_tool_inputs[0].tool_use_id.0, "t1");
        assert_eq!(assembled.invalid_tool_inputs[0].raw, "{\"x\": 1,");
        let ConverseOutput::Message(message) = &assembled.response.output;
        assert_eq!(
            serde_json::to_value(&message.content).unwrap(),
            json!([
                {"toolUse": {"toolUseId": "t1", "name": "calc", "input": {}}},
                {"toolUse": {"toolUseId": "t2", "name": "now", "input": {}}}
            ])
        );
    }

    #[test]
    fn partial_message_shows_open_blocks() {
        let stream = events(json!([
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hel"}}},
        ]));
        let mut assembler = StreamAssembler::new();
        for event in &stream {
            assembler.push(event);
        }
        assert_eq!(
            serde_json::to_value(assembler.partial_message()).unwrap(),
            json!({"role": "assistant", "content": [{"text": "Hel"}]})
        );
    }
}
