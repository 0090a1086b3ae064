//! The real `aws-sdk-bedrockruntime` client against the in-process emulator over real HTTP, plus a
//! few raw-HTTP checks of what the SDK would forgive (headers, error bodies).

use std::time::Duration;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    AsyncInvokeOutputDataConfig, AsyncInvokeS3OutputDataConfig, AsyncInvokeStatus, ContentBlock, ContentBlockDelta,
    ContentBlockStart, ConversationRole, ConverseStreamOutput, ConverseTokensRequest, CountTokensInput,
    GuardrailAction, GuardrailConfiguration, GuardrailContentBlock, GuardrailContentSource, GuardrailTextBlock,
    GuardrailTrace, InferenceConfiguration, InvokeModelTokensRequest, Message, ResponseStream, StopReason,
    SystemContentBlock, Tool, ToolConfiguration, ToolInputSchema, ToolSpecification,
};
use aws_smithy_types::Document;
use aws_smithy_types::retry::RetryConfig;
use bedrock_host::emulator::{self, EmulatorConfig, RunningEmulator, Script};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support;

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

async fn emulator_with(script: Option<&str>) -> RunningEmulator {
    let mut config = EmulatorConfig::loopback();
    config.script = script.map(|text| Script::from_json(text).expect("test script is valid"));
    config.control_token = Some(support::emulator::CONTROL_TOKEN.to_owned());
    emulator::start(config).await.expect("emulator starts")
}

fn client(emulator: &RunningEmulator, max_attempts: u32) -> Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .endpoint_url(emulator.base_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .behavior_version_latest()
        .retry_config(
            RetryConfig::standard().with_max_attempts(max_attempts).with_initial_backoff(Duration::from_millis(1)),
        )
        .build();
    Client::from_conf(config)
}

fn user(text: &str) -> Message {
    Message::builder().role(ConversationRole::User).content(ContentBlock::Text(text.into())).build().unwrap()
}

/// A raw HTTP/1.1 exchange: (status, lower-case headers, body).
async fn http(
    emulator: &RunningEmulator,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut stream = tokio::net::TcpStream::connect(emulator.local_addr()).await.unwrap();
    let token = emulator.control_token().unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {}\r\nx-emulator-token: {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        emulator.local_addr(),
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

/// The emulator's journal, fetched off the runtime's thread (the emulator runs on it).
async fn journal(emulator: &RunningEmulator) -> Vec<Value> {
    let base_url = emulator.base_url().to_owned();
    tokio::task::spawn_blocking(move || support::emulator::journal(&base_url)).await.expect("the journal is read")
}

async fn put_script(emulator: &RunningEmulator, script: Value) {
    let (status, _, body) = http(emulator, "PUT", "/_emulator/script", &script.to_string()).await;
    assert_eq!(status, 200, "{body}");
}

fn text_of(output: &aws_sdk_bedrockruntime::operation::converse::ConverseOutput) -> String {
    let message = output.output().unwrap().as_message().unwrap();
    message.content().iter().filter_map(|block| block.as_text().ok().cloned()).collect()
}

#[tokio::test]
async fn converse_default_answer_and_count_tokens_agree() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator, 1);
    let tool = Tool::ToolSpec(
        ToolSpecification::builder()
            .name("get_weather")
            .input_schema(ToolInputSchema::Json(Document::Object(Default::default())))
            .build()
            .unwrap(),
    );
    let tools = ToolConfiguration::builder().tools(tool).build().unwrap();
    let output = client
        .converse()
        .model_id(MODEL)
        .system(SystemContentBlock::Text("Be brief.".into()))
        .messages(user("Hello there, emulator!"))
        .tool_config(tools.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(text_of(&output), "You said: Hello there, emulator!");
    assert_eq!(output.stop_reason(), &StopReason::EndTurn);
    let usage = output.usage().unwrap();
    // "You said: Hello there, emulator!" = You, said, :, Hello, there, ",", emulator, ! = 8 tokens.
    assert_eq!(usage.output_tokens(), 8);
    assert_eq!(usage.total_tokens(), usage.input_tokens() + 8);

    let counted = client
        .count_tokens()
        .model_id(MODEL)
        .input(CountTokensInput::Converse(
            ConverseTokensRequest::builder()
                .system(SystemContentBlock::Text("Be brief.".into()))
                .messages(user("Hello there, emulator!"))
                .tool_config(tools)
                .build(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(counted.input_tokens(), usage.input_tokens());

    let native = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "messages": [{"role": "user", "content": "one two three"}]});
    let counted = client
        .count_tokens()
        .model_id(MODEL)
        .input(CountTokensInput::InvokeModel(
            InvokeModelTokensRequest::builder().body(Blob::new(native.to_string())).build().unwrap(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(counted.input_tokens(), 3);
    emulator.shutdown().await;
}

#[tokio::test]
async fn converse_honours_max_tokens_and_stop_sequences() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator, 1);
    let limited = client
        .converse()
        .model_id(MODEL)
        .messages(user("alpha beta gamma delta"))
        .inference_config(InferenceConfiguration::builder().max_tokens(4).build())
        .send()
        .await
        .unwrap();
    assert_eq!(text_of(&limited), "You said: alpha");
    assert_eq!(limited.stop_reason(), &StopReason::MaxTokens);
    let stopped = client
        .converse()
        .model_id(MODEL)
        .messages(user("alpha STOP beta"))
        .inference_config(InferenceConfiguration::builder().stop_sequences("STOP").build())
        .send()
        .await
        .unwrap();
    assert_eq!(text_of(&stopped), "You said: alpha ");
    assert_eq!(stopped.stop_reason(), &StopReason::StopSequence);
    emulator.shutdown().await;
}

async fn collect_stream(
    output: aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamOutput,
) -> (
    Vec<ConverseStreamOutput>,
    Option<
        SdkError<
            aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError,
            aws_smithy_types::event_stream::RawMessage,
        >,
    >,
) {
    let mut stream = output.stream;
    let mut events = Vec::new();
    for _ in 0..10_000 {
        match stream.recv().await {
            Ok(Some(event)) => events.push(event),
            Ok(None) => return (events, None),
            Err(error) => return (events, Some(error)),
        }
    }
    panic!("stream did not end after 10000 events");
}

#[tokio::test]
async fn converse_stream_sends_the_real_event_order() {
    let emulator = emulator_with(None).await;
    let output =
        client(&emulator, 1).converse_stream().model_id(MODEL).messages(user("stream me please")).send().await.unwrap();
    let (events, error) = collect_stream(output).await;
    assert!(error.is_none(), "{error:?}");
    assert!(matches!(events.first(), Some(ConverseStreamOutput::MessageStart(_))));
    let deltas: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            ConverseStreamOutput::ContentBlockDelta(delta) => delta.delta().and_then(|d| d.as_text().ok()).cloned(),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, ["You ", "said: ", "stream ", "me ", "please"]);
    let n = events.len();
    assert!(matches!(events[n - 3], ConverseStreamOutput::ContentBlockStop(_)));
    match &events[n - 2] {
        ConverseStreamOutput::MessageStop(stop) => assert_eq!(stop.stop_reason(), &StopReason::EndTurn),
        other => panic!("expected messageStop, got {other:?}"),
    }
    match &events[n - 1] {
        ConverseStreamOutput::Metadata(metadata) => assert_eq!(metadata.usage().unwrap().output_tokens(), 6),
        other => panic!("expected metadata, got {other:?}"),
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn scripted_tool_use_streams_start_partial_json_and_stop() {
    let script = json!({"rules": [{"when": {"operation": "ConverseStream", "lastUserText": "weather"},
        "respond": {"content": [{"text": "Let me look."}, {"toolUse": {"name": "get_weather", "input": {"city": "Paris", "unit": "celsius"}}}]}}]});
    let emulator = emulator_with(Some(&script.to_string())).await;
    let output = client(&emulator, 1)
        .converse_stream()
        .model_id(MODEL)
        .messages(user("What's the weather?"))
        .send()
        .await
        .unwrap();
    let (events, error) = collect_stream(output).await;
    assert!(error.is_none(), "{error:?}");
    let start = events
        .iter()
        .find_map(|event| match event {
            ConverseStreamOutput::ContentBlockStart(start) => Some(start.clone()),
            _ => None,
        })
        .expect("a contentBlockStart for the toolUse");
    assert_eq!(start.content_block_index(), 1);
    let Some(ContentBlockStart::ToolUse(tool)) = start.start() else { panic!("toolUse start expected") };
    assert_eq!(tool.name(), "get_weather");
    assert!(tool.tool_use_id().starts_with("tooluse_"), "{}", tool.tool_use_id());
    let pieces: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            ConverseStreamOutput::ContentBlockDelta(delta) if delta.content_block_index() == 1 => match delta.delta() {
                Some(ContentBlockDelta::ToolUse(tool)) => Some(tool.input().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(pieces.len() >= 2, "{pieces:?}");
    assert_eq!(serde_json::from_str::<Value>(&pieces.concat()).unwrap(), json!({"city": "Paris", "unit": "celsius"}));
    assert!(events.iter().any(
        |event| matches!(event, ConverseStreamOutput::MessageStop(stop) if stop.stop_reason() == &StopReason::ToolUse)
    ));
    emulator.shutdown().await;
}

#[tokio::test]
async fn each_scripted_error_becomes_the_sdk_variant() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator, 1);
    type Check = fn(&aws_sdk_bedrockruntime::operation::converse::ConverseError) -> bool;
    let cases: [(&str, u16, Check); 9] = [
        ("ThrottlingException", 429, |e| e.is_throttling_exception()),
        ("ValidationException", 400, |e| e.is_validation_exception()),
        ("AccessDeniedException", 403, |e| e.is_access_denied_exception()),
        ("ResourceNotFoundException", 404, |e| e.is_resource_not_found_exception()),
        ("ModelTimeoutException", 408, |e| e.is_model_timeout_exception()),
        ("ModelErrorException", 424, |e| e.is_model_error_exception()),
        ("ModelNotReadyException", 429, |e| e.is_model_not_ready_exception()),
        ("InternalServerException", 500, |e| e.is_internal_server_exception()),
        ("ServiceUnavailableException", 503, |e| e.is_service_unavailable_exception()),
    ];
    for (name, status, is_variant) in cases {
        put_script(&emulator, json!({"rules": [{"when": {"operation": "^Converse$"}, "fail": {"error": name, "message": format!("scripted {name}")}}]})).await;
        let error = client.converse().model_id(MODEL).messages(user("hi")).send().await.unwrap_err();
        assert_eq!(error.raw_response().map(|raw| raw.status().as_u16()), Some(status), "{name}");
        let service_error = error.into_service_error();
        assert!(is_variant(&service_error), "{name} became {service_error:?}");
        assert_eq!(
            aws_sdk_bedrockruntime::error::ProvideErrorMetadata::message(&service_error),
            Some(format!("scripted {name}").as_str())
        );
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn retries_are_counted_in_the_journal() {
    let script = json!({"rules": [{"when": {"operation": "Converse"}, "times": 2, "fail": {"error": "ThrottlingException", "status": 429, "message": "Too many requests"}}]});
    let emulator = emulator_with(Some(&script.to_string())).await;
    let output = client(&emulator, 3).converse().model_id(MODEL).messages(user("retry me")).send().await.unwrap();
    assert_eq!(text_of(&output), "You said: retry me");
    let entries = journal(&emulator).await;
    assert_eq!(entries.len(), 3);
    for entry in &entries {
        assert_eq!(entry["operation"], "Converse");
        assert_eq!(entry["modelId"], MODEL);
        assert_eq!(entry["body"]["messages"][0]["content"][0]["text"], "retry me");
        assert!(entry["headers"].get("authorization").is_none());
        assert!(entry["headers"]["amz-sdk-request"].as_str().unwrap().starts_with("attempt="));
    }
    let (status, _, _) = http(&emulator, "DELETE", "/_emulator/requests", "").await;
    assert_eq!(status, 200);
    assert!(journal(&emulator).await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn stream_exception_and_cut_mid_stream() {
    let script = json!({"rules": [
        {"when": {"lastUserText": "explode"}, "respond": {"cutAfterEvents": 2,
            "streamException": {"type": "modelStreamErrorException", "message": "boom", "originalStatusCode": 500}}},
        {"when": {"lastUserText": "cut"}, "respond": {"cutAfterEvents": 3}}]});
    let emulator = emulator_with(Some(&script.to_string())).await;
    let client = client(&emulator, 1);

    let output = client.converse_stream().model_id(MODEL).messages(user("explode now")).send().await.unwrap();
    let (events, error) = collect_stream(output).await;
    assert_eq!(events.len(), 2);
    let error = error.expect("the stream ends with the exception").into_service_error();
    assert!(error.is_model_stream_error_exception(), "{error:?}");
    assert_eq!(aws_sdk_bedrockruntime::error::ProvideErrorMetadata::message(&error), Some("boom"));

    let output = client.converse_stream().model_id(MODEL).messages(user("cut me off")).send().await.unwrap();
    let (events, error) = collect_stream(output).await;
    assert_eq!(events.len(), 3);
    let error = error.expect("a cut stream is an error, not a clean end");
    assert!(!matches!(error, SdkError::ServiceError(_)), "a cut is a transport error: {error:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn token_delay_spreads_deltas_over_time() {
    let script = json!({"rules": [{"respond": {"content": [{"text": "a b c d e"}], "tokenDelayMs": 40}}]});
    let emulator = emulator_with(Some(&script.to_string())).await;
    let started = std::time::Instant::now();
    let output = client(&emulator, 1).converse_stream().model_id(MODEL).messages(user("x")).send().await.unwrap();
    let (events, error) = collect_stream(output).await;
    assert!(error.is_none());
    assert_eq!(events.len(), 9);
    // Four gaps of 40 ms between five deltas: a lower bound only, which a busy machine cannot break.
    assert!(started.elapsed() >= Duration::from_millis(160), "{:?}", started.elapsed());
    emulator.shutdown().await;
}

#[tokio::test]
async fn percent_encoded_arns_reach_the_emulator_whole() {
    let emulator = emulator_with(None).await;
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123";
    client(&emulator, 1).converse().model_id(arn).messages(user("hi")).send().await.unwrap();
    assert_eq!(journal(&emulator).await[0]["modelId"], arn);
    emulator.shutdown().await;
}

#[tokio::test]
async fn validation_errors_name_the_member_on_the_wire() {
    let emulator = emulator_with(None).await;
    let error = client(&emulator, 1)
        .converse()
        .model_id(MODEL)
        .messages(Message::builder().role(ConversationRole::User).set_content(Some(vec![])).build().unwrap())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_validation_exception());
    assert!(error.to_string().contains("messages[0].content"), "{error}");

    let cases = [
        (json!({}), "'messages'"),
        (
            json!({"messages": [{"role": "user", "content": [{"text": "a", "image": {}}]}]}),
            "found [\\\"image\\\", \\\"text\\\"]",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"text": "a"}]}], "inferenceConfig": {"temperature": 2}}),
            "inferenceConfig.temperature",
        ),
    ];
    for (body, expected) in cases {
        let (status, headers, text) =
            http(&emulator, "POST", &format!("/model/{MODEL}/converse"), &body.to_string()).await;
        assert_eq!(status, 400);
        assert_eq!(
            header(&headers, "x-amzn-errortype"),
            Some("ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/")
        );
        assert!(header(&headers, "x-amzn-requestid").is_some());
        assert!(text.contains(expected), "{body} → {text}");
    }
    for path in [format!("/model/{MODEL}/invoke-with-bidirectional-stream"), "/guardrail-checks/invoke".to_owned()] {
        let (status, _, text) = http(&emulator, "POST", &path, "{}").await;
        assert_eq!(status, 400);
        assert!(text.contains("not supported by the emulator"), "{text}");
    }
    emulator.shutdown().await;
}

const GUARDRAILS: &str = r#"{"guardrails": {"gr1": {"version": "1", "blockedWords": ["forbidden"], "blockedMessage": "Sorry, I can't help with that."}},
  "rules": [{"when": {"lastUserText": "leak"}, "respond": {"content": [{"text": "here is the FORBIDDEN answer"}]}}]}"#;

#[tokio::test]
async fn guardrails_intervene_on_input_and_output_with_trace() {
    let emulator = emulator_with(Some(GUARDRAILS)).await;
    let client = client(&emulator, 1);
    let guardrail = GuardrailConfiguration::builder()
        .guardrail_identifier("gr1")
        .guardrail_version("1")
        .trace(GuardrailTrace::Enabled)
        .build();
    let blocked = client
        .converse()
        .model_id(MODEL)
        .messages(user("tell me something Forbidden"))
        .guardrail_config(guardrail.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.stop_reason(), &StopReason::GuardrailIntervened);
    assert_eq!(text_of(&blocked), "Sorry, I can't help with that.");
    let trace = blocked.trace().unwrap().guardrail().unwrap();
    let word = &trace.input_assessment().unwrap()["gr1"].word_policy().unwrap().custom_words()[0];
    assert_eq!((word.r#match(), word.action().as_str(), word.detected()), ("forbidden", "BLOCKED", Some(true)));

    let output =
        client.converse().model_id(MODEL).messages(user("leak it")).guardrail_config(guardrail).send().await.unwrap();
    assert_eq!(output.stop_reason(), &StopReason::GuardrailIntervened);
    let trace = output.trace().unwrap().guardrail().unwrap();
    assert!(trace.output_assessments().unwrap()["gr1"][0].word_policy().is_some());

    let missing = GuardrailConfiguration::builder().guardrail_identifier("nope").guardrail_version("1").build();
    let error =
        client.converse().model_id(MODEL).messages(user("hi")).guardrail_config(missing).send().await.unwrap_err();
    assert!(error.into_service_error().is_resource_not_found_exception());

    let apply = |text: &str| {
        client
            .apply_guardrail()
            .guardrail_identifier("gr1")
            .guardrail_version("1")
            .source(GuardrailContentSource::Input)
            .content(GuardrailContentBlock::Text(GuardrailTextBlock::builder().text(text).build().unwrap()))
            .send()
    };
    let intervened = apply("forbidden words").await.unwrap();
    assert_eq!(intervened.action(), &GuardrailAction::GuardrailIntervened);
    assert_eq!(intervened.outputs()[0].text(), Some("Sorry, I can't help with that."));
    let clean = apply("fine words").await.unwrap();
    assert_eq!(clean.action(), &GuardrailAction::None);
    assert!(clean.outputs().is_empty());
    assert_eq!(clean.usage().unwrap().word_policy_units(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn invoke_model_anthropic_echo_and_guardrail_headers() {
    let emulator = emulator_with(Some(GUARDRAILS)).await;
    let client = client(&emulator, 1);
    let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "messages": [{"role": "user", "content": "hi there"}]});
    let output = client.invoke_model().model_id(MODEL).body(Blob::new(body.to_string())).send().await.unwrap();
    let answer: Value = serde_json::from_slice(output.body().as_ref()).unwrap();
    assert_eq!(answer["content"][0], json!({"type": "text", "text": "You said: hi there"}));
    assert_eq!(answer["stop_reason"], "end_turn");
    assert_eq!(answer["usage"], json!({"input_tokens": 2, "output_tokens": 5}));

    // A model id of no family the emulator knows, and a body of no shape it knows: echoed.
    let echo = json!({"plain": "text", "n": 1});
    let output = client
        .invoke_model()
        .model_id("someone.unknown-model-v1")
        .body(Blob::new(echo.to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(output.body().as_ref()).unwrap(), echo);

    let blocked = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "messages": [{"role": "user", "content": "forbidden"}]});
    let output = client
        .invoke_model()
        .model_id(MODEL)
        .guardrail_identifier("gr1")
        .guardrail_version("1")
        .body(Blob::new(blocked.to_string()))
        .send()
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(output.body().as_ref()).unwrap();
    assert_eq!(answer["amazon-bedrock-guardrailAction"], "INTERVENED");
    assert_eq!(answer["content"][0]["text"], "Sorry, I can't help with that.");

    let output = client
        .invoke_model_with_response_stream()
        .model_id(MODEL)
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap();
    let mut chunks = Vec::new();
    let mut stream = output.body;
    while let Some(event) = tokio::time::timeout(Duration::from_secs(30), stream.recv()).await.unwrap().unwrap() {
        let ResponseStream::Chunk(part) = event else { panic!("chunk expected: {event:?}") };
        chunks.push(serde_json::from_slice::<Value>(part.bytes().unwrap().as_ref()).unwrap());
    }
    let types: Vec<&str> = chunks.iter().map(|chunk| chunk["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"message_start"));
    assert_eq!(types.last(), Some(&"message_stop"));
    let text: String = chunks.iter().filter_map(|chunk| chunk["delta"]["text"].as_str()).collect();
    assert_eq!(text, "You said: hi there");
    assert_eq!(chunks.last().unwrap()["amazon-bedrock-invocationMetrics"]["outputTokenCount"], 5);
    emulator.shutdown().await;
}

#[tokio::test]
async fn async_invoke_lifecycle_and_paging() {
    let emulator = emulator_with(Some(r#"{"asyncJobDurationMs": 100}"#)).await;
    let client = client(&emulator, 1);
    let output_config = AsyncInvokeOutputDataConfig::S3OutputDataConfig(
        AsyncInvokeS3OutputDataConfig::builder().s3_uri("s3://bucket/jobs").build().unwrap(),
    );
    let mut arns = Vec::new();
    for n in 0..3 {
        let started = client
            .start_async_invoke()
            .model_id("amazon.nova-reel-v1:0")
            .model_input(Document::Object([("prompt".to_owned(), Document::from(format!("video {n}")))].into()))
            .output_data_config(output_config.clone())
            .send()
            .await
            .unwrap();
        arns.push(started.invocation_arn().to_owned());
    }
    assert!(arns[0].starts_with("arn:aws:bedrock:us-east-1:123456789012:async-invoke/"), "{}", arns[0]);
    let first = client.get_async_invoke().invocation_arn(&arns[0]).send().await.unwrap();
    assert_eq!(first.status(), &AsyncInvokeStatus::InProgress);
    assert_eq!(first.model_arn(), "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0");

    let mut completed = None;
    for _ in 0..300 {
        let job = client.get_async_invoke().invocation_arn(&arns[0]).send().await.unwrap();
        if job.status() == &AsyncInvokeStatus::Completed {
            completed = Some(job);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let completed = completed.expect("the job completes");
    assert!(completed.end_time().is_some());
    let id = arns[0].rsplit('/').next().unwrap();
    let written: Value = serde_json::from_slice(
        &std::fs::read(emulator.data_dir().join(format!("s3/bucket/jobs/{id}/output.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(written["output"], json!({"prompt": "video 0"}));

    let pages: Vec<_> = client
        .list_async_invokes()
        .max_results(1)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    let listed: Vec<String> = pages
        .iter()
        .flat_map(|page| page.async_invoke_summaries().iter().map(|s| s.invocation_arn().to_owned()))
        .collect();
    let mut newest_first = arns.clone();
    newest_first.reverse();
    assert_eq!(listed, newest_first);
    let completed_only = client.list_async_invokes().status_equals(AsyncInvokeStatus::Completed).send().await.unwrap();
    assert!(completed_only.async_invoke_summaries().iter().all(|s| s.status() == Some(&AsyncInvokeStatus::Completed)));
    assert!(completed_only.async_invoke_summaries().iter().any(|s| s.invocation_arn() == arns[0]));
    emulator.shutdown().await;
}

#[tokio::test]
async fn bad_scripts_are_rejected_with_rule_index_and_key() {
    let error =
        Script::from_json(r#"{"rules": [{"respond": {}}, {"when": {"modelId": "(("}, "respond": {}}]}"#).unwrap_err();
    assert!(error.to_string().starts_with("rules[1].when.modelId: invalid regex"), "{error}");
    let emulator = emulator_with(None).await;
    let (status, _, body) =
        http(&emulator, "PUT", "/_emulator/script", r#"{"rules": [{"when": {"operation": "["}, "respond": {}}]}"#)
            .await;
    assert_eq!(status, 400);
    assert!(body.contains("rules[0].when.operation: invalid regex"), "{body}");
    let (status, _, body) = http(&emulator, "GET", "/_emulator/health", "").await;
    assert_eq!((status, body.as_str()), (200, r#"{"ok":true}"#));
    emulator.shutdown().await;
}

#[tokio::test]
async fn many_concurrent_streams() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator, 1);
    let tasks: Vec<_> = (0..256)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move {
                let output = client
                    .converse_stream()
                    .model_id(MODEL)
                    .messages(user(&format!("stream number {n}")))
                    .send()
                    .await
                    .unwrap();
                let (events, error) = collect_stream(output).await;
                assert!(error.is_none(), "{error:?}");
                let text: String = events
                    .iter()
                    .filter_map(|event| match event {
                        ConverseStreamOutput::ContentBlockDelta(delta) => {
                            delta.delta().and_then(|d| d.as_text().ok()).cloned()
                        }
                        _ => None,
                    })
                    .collect();
                assert_eq!(text, format!("You said: stream number {n}"));
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(120), task).await.unwrap().unwrap();
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn stream_operations_fail_before_streaming_and_invoke_stream_exceptions() {
    let script = json!({"rules": [
        {"when": {"operation": "ConverseStream"}, "times": 1, "fail": {"error": "ThrottlingException"}},
        {"when": {"operation": "InvokeModelWithResponseStream"}, "respond": {"streamException": {"type": "modelTimeoutException", "message": "slow"}}}]});
    let emulator = emulator_with(Some(&script.to_string())).await;
    let client = client(&emulator, 1);
    let error = client.converse_stream().model_id(MODEL).messages(user("hi")).send().await.unwrap_err();
    assert!(error.into_service_error().is_throttling_exception());

    let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]});
    let output = client
        .invoke_model_with_response_stream()
        .model_id(MODEL)
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap();
    let mut stream = output.body;
    let mut chunks = 0;
    let error = loop {
        match tokio::time::timeout(Duration::from_secs(30), stream.recv()).await.unwrap() {
            Ok(Some(_)) => chunks += 1,
            Ok(None) => panic!("the stream should end with the scripted exception"),
            Err(error) => break error.into_service_error(),
        }
    };
    assert!(chunks >= 5, "all chunks come before the exception: {chunks}");
    assert!(error.is_model_timeout_exception(), "{error:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn after_tool_result_rules_answer_the_tool_loop() {
    let script = json!({"rules": [
        {"when": {"afterToolResult": true}, "respond": {"content": [{"text": "It is sunny."}]}},
        {"when": {"lastUserText": "weather"}, "respond": {"content": [{"toolUse": {"toolUseId": "tu1", "name": "get_weather", "input": {"city": "Paris"}}}]}}]});
    let emulator = emulator_with(Some(&script.to_string())).await;
    let client = client(&emulator, 1);
    let tools = ToolConfiguration::builder()
        .tools(Tool::ToolSpec(
            ToolSpecification::builder()
                .name("get_weather")
                .input_schema(ToolInputSchema::Json(Document::Object(Default::default())))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    let first =
        client.converse().model_id(MODEL).messages(user("weather?")).tool_config(tools.clone()).send().await.unwrap();
    assert_eq!(first.stop_reason(), &StopReason::ToolUse);
    let assistant = first.output().unwrap().as_message().unwrap().clone();
    let tool_use = assistant.content()[0].as_tool_use().unwrap();
    assert_eq!((tool_use.tool_use_id(), tool_use.name()), ("tu1", "get_weather"));
    let result = aws_sdk_bedrockruntime::types::ToolResultBlock::builder()
        .tool_use_id("tu1")
        .content(aws_sdk_bedrockruntime::types::ToolResultContentBlock::Text("22C".into()))
        .build()
        .unwrap();
    let answer =
        Message::builder().role(ConversationRole::User).content(ContentBlock::ToolResult(result)).build().unwrap();
    let second = client
        .converse()
        .model_id(MODEL)
        .messages(user("weather?"))
        .messages(assistant)
        .messages(answer)
        .tool_config(tools)
        .send()
        .await
        .unwrap();
    assert_eq!(text_of(&second), "It is sunny.");
    emulator.shutdown().await;
}

#[tokio::test]
async fn scripted_raw_body_and_usage_override() {
    let script = json!({"rules": [
        {"when": {"operation": "^InvokeModel$"}, "respond": {"body": {"custom": [1, 2, 3]}}},
        {"when": {"operation": "^Converse$"}, "respond": {"content": [{"text": "fixed"}], "stopReason": "max_tokens",
            "usage": {"inputTokens": 11, "outputTokens": 22}}}]});
    let emulator = emulator_with(Some(&script.to_string())).await;
    let client = client(&emulator, 1);
    let output = client.invoke_model().model_id(MODEL).body(Blob::new(r#"{"anything": true}"#)).send().await.unwrap();
    assert_eq!(serde_json::from_slice::<Value>(output.body().as_ref()).unwrap(), json!({"custom": [1, 2, 3]}));
    let output = client.converse().model_id(MODEL).messages(user("hi")).send().await.unwrap();
    assert_eq!(text_of(&output), "fixed");
    assert_eq!(output.stop_reason(), &StopReason::MaxTokens);
    let usage = output.usage().unwrap();
    assert_eq!((usage.input_tokens(), usage.output_tokens(), usage.total_tokens()), (11, 22, 33));
    emulator.shutdown().await;
}
