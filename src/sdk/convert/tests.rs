//! Round trips JSON → SDK → JSON over every content-block kind, and the
//! request-only shapes checked member by member.

use aws_sdk_bedrockruntime::types as sdk;
use serde_json::{Value, json};

use super::*;
use crate::protocol::shapes;

fn round_trip_block(block: Value) {
    let parsed: shapes::ContentBlock = serde_json::from_value(block.clone()).expect("valid content block");
    let sdk_block = content_block_to_sdk(&parsed, "content[0]").expect("converts to the SDK");
    let back = content_block_from_sdk(&sdk_block).expect("converts back");
    assert_eq!(serde_json::to_value(back).unwrap(), block);
}

#[test]
fn every_content_block_kind_round_trips() {
    let cases = [
        json!({"text": "Hello"}),
        json!({"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}}),
        json!({"image": {"format": "webp", "source": {"s3Location": {"uri": "s3://b/k.webp", "bucketOwner": "123456789012"}}}}),
        json!({"document": {"format": "pdf", "name": "report", "source": {"bytes": "JVBERi0="},
                             "context": "quarterly", "citations": {"enabled": true}}}),
        json!({"document": {"format": "txt", "name": "notes", "source": {"text": "plain"}}}),
        json!({"document": {"format": "md", "name": "parts", "source": {"content": [{"text": "a"}, {"text": "b"}]}}}),
        json!({"document": {"format": "csv", "name": "s3doc", "source": {"s3Location": {"uri": "s3://b/d.csv"}}}}),
        json!({"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://b/v.mp4"}}}}),
        json!({"video": {"format": "three_gp", "source": {"bytes": "AAAA"}}}),
        json!({"audio": {"format": "x-aac", "source": {"bytes": "AAAA"}}}),
        json!({"audio": {"format": "wav", "source": {"s3Location": {"uri": "s3://b/a.wav"}}, "error": {"message": "bad"}}}),
        json!({"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather",
                            "input": {"city": "Paris", "days": 3, "offset": -2, "ratio": 0.25, "tags": [null, true]}}}),
        json!({"toolUse": {"toolUseId": "srv_1", "name": "web_search", "input": {}, "type": "server_tool_use"}}),
        json!({"toolResult": {"toolUseId": "tooluse_1", "status": "error", "content": [
            {"json": {"temp": 21.5, "unit": "C"}},
            {"text": "sunny"},
            {"image": {"format": "jpeg", "source": {"bytes": "/9j/"}}},
            {"document": {"format": "txt", "name": "d", "source": {"text": "t"}}},
            {"video": {"format": "mov", "source": {"bytes": "AAAA"}}},
            {"searchResult": {"source": "https://x", "title": "X", "content": [{"text": "x"}]}}
        ]}}),
        json!({"toolResult": {"toolUseId": "t2", "content": [{"text": "ok"}], "type": "tool_result"}}),
        json!({"guardContent": {"text": {"text": "check me", "qualifiers": ["grounding_source", "query", "guard_content"]}}}),
        json!({"guardContent": {"image": {"format": "jpeg", "source": {"bytes": "/9j/"}}}}),
        json!({"cachePoint": {"type": "default"}}),
        json!({"cachePoint": {"type": "default", "ttl": "1h"}}),
        json!({"reasoningContent": {"reasoningText": {"text": "Let me think…", "signature": "c2ln+/=="}}}),
        json!({"reasoningContent": {"redactedContent": "AAEC"}}),
        json!({"citationsContent": {
        "content": [{"text": "Paris is the capital."}],
        "citations": [
            {"title": "Atlas", "source": "atlas.pdf", "sourceContent": [{"text": "Paris…"}],
             "location": {"documentPage": {"documentIndex": 0, "start": 1, "end": 2}}},
            {"location": {"documentChar": {"documentIndex": 1, "start": 10, "end": 20}}},
            {"location": {"documentChunk": {"documentIndex": 2, "start": 0, "end": 1}}},
            {"location": {"web": {"url": "https://example.com", "domain": "example.com"}}},
            {"location": {"searchResultLocation": {"searchResultIndex": 0, "start": 0, "end": 0}}}
        ]}}),
        json!({"searchResult": {"source": "https://kb", "title": "KB", "content": [{"text": "one"}, {"text": "two"}],
                                "citations": {"enabled": false}}}),
        json!({"toolAddition": {"tool": {"name": "get_weather"}}}),
        json!({"toolRemoval": {"tool": {"type": "mcp", "name": "search", "serverName": "docs"}}}),
    ];
    for case in cases {
        round_trip_block(case);
    }
}

#[test]
fn a_message_round_trips_with_its_role() {
    let message = json!({"role": "assistant", "content": [{"text": "a"}, {"toolUse": {"toolUseId": "t", "name": "n", "input": [1, 2]}}]});
    let parsed: shapes::Message = serde_json::from_value(message.clone()).unwrap();
    let converted = messages_to_sdk(std::slice::from_ref(&parsed), "messages").unwrap();
    assert_eq!(converted[0].role, sdk::ConversationRole::Assistant);
    assert_eq!(serde_json::to_value(message_from_sdk(&converted[0]).unwrap()).unwrap(), message);
}

#[test]
fn values_newer_than_our_shapes_drop_their_block_only() {
    // (The SDK's `Unknown` union variants cannot be built outside the SDK; the
    // gateway tests feed it an unknown union key over HTTP instead.)
    let image = sdk::ContentBlock::Image(
        sdk::ImageBlock::builder()
            .format(sdk::ImageFormat::from("heic"))
            .source(sdk::ImageSource::Bytes(aws_sdk_bedrockruntime::primitives::Blob::new(vec![1])))
            .build()
            .unwrap(),
    );
    let message = sdk::Message::builder()
        .role(sdk::ConversationRole::Assistant)
        .content(sdk::ContentBlock::Text("kept".into()))
        .content(image)
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_value(message_from_sdk(&message).unwrap()).unwrap(),
        json!({"role": "assistant", "content": [{"text": "kept"}]})
    );
}

#[test]
fn system_blocks_convert_every_kind() {
    let system: Vec<shapes::SystemContentBlock> = serde_json::from_value(json!([
        {"text": "Be brief."},
        {"guardContent": {"text": {"text": "policy"}}},
        {"cachePoint": {"type": "default", "ttl": "5m"}}
    ]))
    .unwrap();
    let converted = system_to_sdk(&system, "system").unwrap();
    assert_eq!(converted[0], sdk::SystemContentBlock::Text("Be brief.".into()));
    let sdk::SystemContentBlock::GuardContent(sdk::GuardrailConverseContentBlock::Text(guard)) = &converted[1] else {
        panic!("guard content expected, got {:?}", converted[1]);
    };
    assert_eq!(guard.text, "policy");
    let sdk::SystemContentBlock::CachePoint(point) = &converted[2] else { panic!("cache point expected") };
    assert_eq!(point.r#type, sdk::CachePointType::Default);
    assert_eq!(point.ttl, Some(sdk::CacheTtl::FiveMinutes));
}

#[test]
fn request_configurations_reach_the_sdk_member_by_member() {
    let inference: shapes::InferenceConfiguration =
        serde_json::from_value(json!({"maxTokens": 512, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]}))
            .unwrap();
    let converted = inference_config_to_sdk(&inference, "inferenceConfig").unwrap();
    assert_eq!(
        (converted.max_tokens, converted.temperature, converted.top_p, converted.stop_sequences.clone()),
        (Some(512), Some(0.5), Some(0.9), Some(vec!["END".to_owned()]))
    );

    let tools: shapes::ToolConfiguration = serde_json::from_value(json!({
        "tools": [
            {"toolSpec": {"name": "get_weather", "description": "Weather", "strict": true,
                          "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}},
            {"systemTool": {"name": "web_search"}},
            {"cachePoint": {"type": "default"}}
        ],
        "toolChoice": {"tool": {"name": "get_weather"}}
    }))
    .unwrap();
    let converted = tool_config_to_sdk(&tools, "toolConfig").unwrap();
    let sdk::Tool::ToolSpec(spec) = &converted.tools[0] else { panic!("tool spec expected") };
    assert_eq!(
        (spec.name.as_str(), spec.description.as_deref(), spec.strict),
        ("get_weather", Some("Weather"), Some(true))
    );
    let Some(sdk::ToolInputSchema::Json(schema)) = &spec.input_schema else { panic!("json schema expected") };
    assert_eq!(json_from_document(schema), json!({"type": "object", "properties": {"city": {"type": "string"}}}));
    assert!(matches!(&converted.tools[1], sdk::Tool::SystemTool(tool) if tool.name == "web_search"));
    assert!(matches!(&converted.tools[2], sdk::Tool::CachePoint(_)));
    assert!(matches!(&converted.tool_choice, Some(sdk::ToolChoice::Tool(choice)) if choice.name == "get_weather"));
    for (choice, expected) in [(json!({"auto": {}}), "auto"), (json!({"any": {}}), "any")] {
        let config: shapes::ToolConfiguration =
            serde_json::from_value(json!({"tools": [{"systemTool": {"name": "x"}}], "toolChoice": choice})).unwrap();
        let converted = tool_config_to_sdk(&config, "toolConfig").unwrap();
        let name = match converted.tool_choice {
            Some(sdk::ToolChoice::Auto(_)) => "auto",
            Some(sdk::ToolChoice::Any(_)) => "any",
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(name, expected);
    }

    let guardrail: shapes::GuardrailConfiguration = serde_json::from_value(json!({
        "guardrailIdentifier": "gr-1", "guardrailVersion": "DRAFT", "trace": "enabled_full", "streamProcessingMode": "async"
    }))
    .unwrap();
    let plain = guardrail_config_to_sdk(&guardrail);
    assert_eq!((plain.guardrail_identifier.as_str(), plain.guardrail_version.as_str()), ("gr-1", "DRAFT"));
    assert_eq!(plain.trace, sdk::GuardrailTrace::EnabledFull);
    let streamed = guardrail_stream_config_to_sdk(&guardrail);
    assert_eq!(streamed.stream_processing_mode, sdk::GuardrailStreamProcessingMode::Async);
    assert_eq!(streamed.trace, sdk::GuardrailTrace::EnabledFull);

    let output: shapes::OutputConfig = serde_json::from_value(json!({
        "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": "{\"type\":\"object\"}", "name": "out"}}},
        "effort": "high"
    }))
    .unwrap();
    let converted = output_config_to_sdk(&output, "outputConfig").unwrap();
    assert_eq!(converted.effort.as_deref(), Some("high"));
    let format = converted.text_format.as_ref().unwrap();
    assert_eq!(format.r#type, sdk::OutputFormatType::JsonSchema);
    let Some(sdk::OutputFormatStructure::JsonSchema(schema)) = &format.structure else { panic!("schema expected") };
    assert_eq!((schema.schema.as_str(), schema.name.as_deref()), ("{\"type\":\"object\"}", Some("out")));
}

#[test]
fn a_too_large_max_tokens_names_the_field() {
    let inference = shapes::InferenceConfiguration { max_tokens: Some(u32::MAX), ..Default::default() };
    let error = inference_config_to_sdk(&inference, "inferenceConfig").unwrap_err();
    assert_eq!(error.to_error_object()["data"]["errors"][0]["path"], "inferenceConfig.maxTokens");
}

#[test]
fn stream_events_come_out_in_bedrocks_json_shape() {
    let events = [
        sdk::ConverseStreamOutput::MessageStart(
            sdk::MessageStartEvent::builder().role(sdk::ConversationRole::Assistant).build().unwrap(),
        ),
        sdk::ConverseStreamOutput::ContentBlockStart(
            sdk::ContentBlockStartEvent::builder()
                .content_block_index(1)
                .start(sdk::ContentBlockStart::ToolUse(
                    sdk::ToolUseBlockStart::builder().tool_use_id("tooluse_x").name("get_weather").build().unwrap(),
                ))
                .build()
                .unwrap(),
        ),
        sdk::ConverseStreamOutput::ContentBlockDelta(
            sdk::ContentBlockDeltaEvent::builder()
                .content_block_index(0)
                .delta(sdk::ContentBlockDelta::Text("Hel".into()))
                .build()
                .unwrap(),
        ),
        sdk::ConverseStreamOutput::ContentBlockDelta(
            sdk::ContentBlockDeltaEvent::builder()
                .content_block_index(1)
                .delta(sdk::ContentBlockDelta::ToolUse(
                    sdk::ToolUseBlockDelta::builder().input("{\"city\":").build().unwrap(),
                ))
                .build()
                .unwrap(),
        ),
        sdk::ConverseStreamOutput::ContentBlockDelta(
            sdk::ContentBlockDeltaEvent::builder()
                .content_block_index(2)
                .delta(sdk::ContentBlockDelta::ReasoningContent(sdk::ReasoningContentBlockDelta::Signature(
                    "sig".into(),
                )))
                .build()
                .unwrap(),
        ),
        sdk::ConverseStreamOutput::ContentBlockStop(
            sdk::ContentBlockStopEvent::builder().content_block_index(0).build().unwrap(),
        ),
        sdk::ConverseStreamOutput::MessageStop(
            sdk::MessageStopEvent::builder()
                .stop_reason(sdk::StopReason::ToolUse)
                .additional_model_response_fields(document_from_json(&json!({"stop_sequence": null})))
                .build()
                .unwrap(),
        ),
        sdk::ConverseStreamOutput::Metadata(
            sdk::ConverseStreamMetadataEvent::builder()
                .usage(
                    sdk::TokenUsage::builder()
                        .input_tokens(10)
                        .output_tokens(5)
                        .total_tokens(15)
                        .cache_read_input_tokens(4)
                        .cache_write_input_tokens(2)
                        .build()
                        .unwrap(),
                )
                .metrics(sdk::ConverseStreamMetrics::builder().latency_ms(123).build().unwrap())
                .trace(
                    sdk::ConverseStreamTrace::builder()
                        .guardrail(
                            sdk::GuardrailTraceAssessment::builder()
                                .input_assessment(
                                    "gr-1",
                                    sdk::GuardrailAssessment::builder()
                                        .content_policy(
                                            sdk::GuardrailContentPolicyAssessment::builder()
                                                .filters(
                                                    sdk::GuardrailContentFilter::builder()
                                                        .r#type(sdk::GuardrailContentFilterType::Violence)
                                                        .confidence(sdk::GuardrailContentFilterConfidence::High)
                                                        .action(sdk::GuardrailContentPolicyAction::Blocked)
                                                        .detected(true)
                                                        .build()
                                                        .unwrap(),
                                                )
                                                .build()
                                                .unwrap(),
                                        )
                                        .build(),
                                )
                                .action_reason("Guardrail blocked.")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        ),
    ];
    let json: Vec<Value> =
        events.iter().map(|e| serde_json::to_value(stream_event_from_sdk(e).expect("known event")).unwrap()).collect();
    assert_eq!(
        json,
        vec![
            json!({"messageStart": {"role": "assistant"}}),
            json!({"contentBlockStart": {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_x", "name": "get_weather"}}}}),
            json!({"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hel"}}}),
            json!({"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"city\":"}}}}),
            json!({"contentBlockDelta": {"contentBlockIndex": 2, "delta": {"reasoningContent": {"signature": "sig"}}}}),
            json!({"contentBlockStop": {"contentBlockIndex": 0}}),
            json!({"messageStop": {"stopReason": "tool_use", "additionalModelResponseFields": {"stop_sequence": null}}}),
            json!({"metadata": {
                "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15, "cacheReadInputTokens": 4, "cacheWriteInputTokens": 2},
                "metrics": {"latencyMs": 123},
                "trace": {"guardrail": {
                    "inputAssessment": {"gr-1": {"contentPolicy": {"filters": [
                        {"type": "VIOLENCE", "confidence": "HIGH", "action": "BLOCKED", "detected": true}
                    ]}}},
                    "actionReason": "Guardrail blocked."
                }}
            }}),
        ]
    );
}
