//! Converse, ConverseStream and the other operations through the real SDK
//! over real HTTP, against a loopback server answering canned Bedrock wire
//! responses: what went on the wire, and what came back as our JSON.

use std::sync::{Arc, Mutex};

use bedrock_host::HostError;
use bedrock_host::protocol::shapes::{
    ApplyGuardrailRequest, ConverseRequest, CountTokensInput, ListAsyncInvokesRequest, StartAsyncInvokeRequest,
};
use bedrock_host::sdk::{BedrockGateway, CallOptions, GatewaySettings, InvokeModelRequest};
use serde_json::{Value, json};

use crate::support::canned::{Canned, CannedServer, event_frame, exception_frame};

const MODEL: &str = "us.anthropic.claude-3-5-sonnet-20241022-v2:0";
const MODEL_PATH: &str = "us.anthropic.claude-3-5-sonnet-20241022-v2%3A0";

async fn gateway(server: &CannedServer) -> BedrockGateway {
    BedrockGateway::new(GatewaySettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(server.base_url.clone()),
        max_attempts: Some(2),
        static_credentials: Some(("AKIDTEST".into(), "secret".into())),
        ..GatewaySettings::default()
    })
    .await
    .expect("gateway builds")
}

fn request(value: Value) -> ConverseRequest {
    serde_json::from_value(value).expect("valid ConverseRequest")
}

fn body_json(server: &CannedServer, index: usize) -> Value {
    serde_json::from_slice(&server.received()[index].body).expect("JSON body")
}

#[tokio::test]
async fn converse_sends_bedrocks_shapes_and_returns_the_response_as_json() {
    let answer = json!({
        "output": {"message": {"role": "assistant", "content": [
            {"text": "Hi!"},
            {"futureBlock": {"anything": 1}},
            {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris", "n": 18446744073709551615u64}}}
        ]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 12, "outputTokens": 7, "totalTokens": 19, "cacheReadInputTokens": 3, "cacheWriteInputTokens": 0},
        "metrics": {"latencyMs": 42},
        "additionalModelResponseFields": {"stop_sequence": null}
    });
    let server = CannedServer::start(vec![Canned::json(200, &answer.to_string())]).await;
    let gateway = gateway(&server).await;
    let sent = json!({
        "modelId": "ignored-alias",
        "messages": [{"role": "user", "content": [{"text": "Hello"}]}],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": 100, "temperature": 0.5},
        "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}],
                       "toolChoice": {"auto": {}}},
        "guardrailConfig": {"guardrailIdentifier": "gr-1", "guardrailVersion": "1", "trace": "enabled"},
        "additionalModelRequestFields": {"top_k": 250, "thinking": {"budget_tokens": -1, "ratio": 0.125}},
        "requestMetadata": {"team": "editor"}
    });

    let response = gateway.converse(MODEL, &request(sent.clone()), &CallOptions::default()).await.expect("converse");

    let received = &server.received()[0];
    assert_eq!(received.path, format!("/model/{MODEL_PATH}/converse"));
    let mut expected_body = sent;
    expected_body.as_object_mut().unwrap().remove("modelId");
    assert_eq!(body_json(&server, 0), expected_body);
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({
            "output": {"message": {"role": "assistant", "content": [
                {"text": "Hi!"},
                {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris", "n": 18446744073709551615u64}}}
            ]}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": 12, "outputTokens": 7, "totalTokens": 19, "cacheReadInputTokens": 3, "cacheWriteInputTokens": 0},
            "metrics": {"latencyMs": 42},
            "additionalModelResponseFields": {"stop_sequence": null}
        })
    );
}

fn stream_frames() -> Vec<Vec<u8>> {
    vec![
        event_frame("messageStart", json!({"role": "assistant"})),
        event_frame("contentBlockDelta", json!({"contentBlockIndex": 0, "delta": {"text": "Hel"}, "p": "abcdef"})),
        event_frame("contentBlockDelta", json!({"contentBlockIndex": 0, "delta": {"text": "lo"}})),
        event_frame("futureEvent", json!({"x": 1})),
        event_frame("contentBlockStop", json!({"contentBlockIndex": 0})),
        event_frame("messageStop", json!({"stopReason": "end_turn"})),
        event_frame(
            "metadata",
            json!({"usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}, "metrics": {"latencyMs": 9}}),
        ),
    ]
}

async fn collect(stream: &mut bedrock_host::sdk::ConverseEventStream) -> (Vec<Value>, Option<HostError>) {
    let mut events = Vec::new();
    for _ in 0..100 {
        match stream.next().await {
            Some(Ok(event)) => events.push(serde_json::to_value(event).unwrap()),
            Some(Err(error)) => {
                assert!(stream.next().await.is_none(), "a stream is finished after an error");
                return (events, Some(error));
            }
            None => return (events, None),
        }
    }
    panic!("the stream did not end within 100 events");
}

#[tokio::test]
async fn converse_stream_yields_each_event_in_bedrocks_json_after_an_announced_retry() {
    let server = CannedServer::start(vec![
        Canned::exception(429, "ThrottlingException", "Too many requests, please wait before trying again."),
        Canned::event_stream(&stream_frames()),
    ])
    .await;
    let gateway = gateway(&server).await;
    let notices = Arc::new(Mutex::new(Vec::new()));
    let sink = notices.clone();
    let options = CallOptions { on_retry: Some(Arc::new(move |notice| sink.lock().unwrap().push(notice))) };
    let converse = request(json!({"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "guardrailConfig": {"guardrailIdentifier": "gr", "guardrailVersion": "1", "streamProcessingMode": "async"}}));

    let mut stream = gateway.converse_stream(MODEL, &converse, &options).await.expect("stream opens");
    let (events, error) = collect(&mut stream).await;

    assert!(error.is_none(), "{error:?}");
    assert_eq!(stream.request_id(), Some("req-stream"));
    assert_eq!(
        events,
        vec![
            json!({"messageStart": {"role": "assistant"}}),
            json!({"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hel"}}}),
            json!({"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "lo"}}}),
            json!({"contentBlockStop": {"contentBlockIndex": 0}}),
            json!({"messageStop": {"stopReason": "end_turn"}}),
            json!({"metadata": {"usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}, "metrics": {"latencyMs": 9}}}),
        ]
    );
    let notices = notices.lock().unwrap().clone();
    assert_eq!(notices.len(), 1);
    assert_eq!((notices[0].attempt, notices[0].error_code.as_str()), (2, "ThrottlingException"));
    let received = server.received();
    assert_eq!(received[1].path, format!("/model/{MODEL_PATH}/converse-stream"));
    assert_eq!(body_json(&server, 1)["guardrailConfig"]["streamProcessingMode"], "async");
}

#[tokio::test]
async fn an_exception_frame_mid_stream_is_a_bedrock_error_after_the_events_before_it() {
    let mut frames = stream_frames()[..2].to_vec();
    frames.push(exception_frame(
        "modelStreamErrorException",
        json!({"message": "The model stopped.", "originalStatusCode": 500, "originalMessage": "boom"}),
    ));
    let server = CannedServer::start(vec![Canned::event_stream(&frames)]).await;
    let gateway = gateway(&server).await;
    let converse = request(json!({"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "hi"}]}]}));

    let mut stream = gateway.converse_stream(MODEL, &converse, &CallOptions::default()).await.unwrap();
    let (events, error) = collect(&mut stream).await;

    assert_eq!(events.len(), 2);
    let error = error.expect("the exception frame is an error");
    assert_eq!(error.code(), -32001);
    assert_eq!(
        error.to_error_object()["data"],
        json!({"bedrockCode": "ModelStreamErrorException", "httpStatus": 424, "retryable": false, "attempts": 1,
               "requestId": "req-stream"})
    );
    assert!(error.to_string().contains("The model stopped."), "{error}");
}

#[tokio::test]
async fn a_connection_cut_mid_stream_is_an_interrupted_stream() {
    let frames = stream_frames();
    let whole: usize = frames.iter().map(Vec::len).sum();
    let cut = frames[0].len() + frames[1].len() + 5;
    let mut canned = Canned::event_stream(&frames);
    canned.cut_after = Some(cut);
    assert!(cut < whole);
    let server = CannedServer::start(vec![canned]).await;
    let gateway = gateway(&server).await;
    let converse = request(json!({"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "hi"}]}]}));

    let mut stream = gateway.converse_stream(MODEL, &converse, &CallOptions::default()).await.unwrap();
    let (events, error) = collect(&mut stream).await;

    assert_eq!(events.len(), 2);
    let error = error.expect("a cut stream is an error");
    assert!(matches!(error, HostError::StreamInterrupted { attempts: 1, .. }), "{error:?}");
    assert_eq!(error.code(), -32005);
}

#[tokio::test]
async fn invoke_model_stream_yields_decoded_chunks_and_sends_the_headers() {
    use base64::Engine as _;
    let chunk = |value: Value| {
        let bytes = base64::engine::general_purpose::STANDARD.encode(value.to_string());
        event_frame("chunk", json!({"bytes": bytes}))
    };
    let mut canned =
        Canned::event_stream(&[chunk(json!({"type": "message_start"})), chunk(json!({"type": "message_stop"}))]);
    canned.headers.push(("X-Amzn-Bedrock-Content-Type".into(), "application/json".into()));
    let server = CannedServer::start(vec![canned]).await;
    let gateway = gateway(&server).await;
    let invoke = InvokeModelRequest {
        body: br#"{"anthropic_version":"bedrock-2023-05-31"}"#.to_vec().into(),
        accept: Some("application/json".into()),
        guardrail_identifier: Some("gr-1".into()),
        guardrail_version: Some("2".into()),
        trace: Some("ENABLED".into()),
        performance_config_latency: Some("optimized".into()),
        ..InvokeModelRequest::default()
    };

    let mut stream = gateway.invoke_model_stream(MODEL, invoke, &CallOptions::default()).await.unwrap();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next().await {
        chunks.push(serde_json::from_slice::<Value>(&chunk.expect("chunk")).unwrap());
    }

    assert_eq!(chunks, vec![json!({"type": "message_start"}), json!({"type": "message_stop"})]);
    assert_eq!(stream.content_type, "application/json");
    let received = &server.received()[0];
    assert_eq!(received.path, format!("/model/{MODEL_PATH}/invoke-with-response-stream"));
    assert_eq!(received.header("content-type"), Some("application/json"));
    assert_eq!(received.header("x-amzn-bedrock-accept"), Some("application/json"));
    assert_eq!(received.header("x-amzn-bedrock-guardrailidentifier"), Some("gr-1"));
    assert_eq!(received.header("x-amzn-bedrock-guardrailversion"), Some("2"));
    assert_eq!(received.header("x-amzn-bedrock-trace"), Some("ENABLED"));
    assert_eq!(received.header("x-amzn-bedrock-performanceconfig-latency"), Some("optimized"));
}

#[tokio::test]
async fn count_tokens_apply_guardrail_and_async_invoke_speak_the_wire() {
    let server = CannedServer::start(vec![
        Canned::json(200, r#"{"inputTokens": 42}"#),
        Canned::json(
            200,
            &json!({"usage": {"topicPolicyUnits": 1, "contentPolicyUnits": 1, "wordPolicyUnits": 0,
                               "sensitiveInformationPolicyUnits": 0, "sensitiveInformationPolicyFreeUnits": 0,
                               "contextualGroundingPolicyUnits": 0},
                     "action": "GUARDRAIL_INTERVENED", "actionReason": "blocked",
                     "outputs": [{"text": "Sorry."}],
                     "assessments": [{"topicPolicy": {"topics": [{"name": "Finance", "type": "DENY", "action": "BLOCKED", "detected": true}]}}]})
            .to_string(),
        ),
        Canned::json(200, r#"{"invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc"}"#),
        Canned::json(
            200,
            &json!({"invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc",
                     "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0",
                     "status": "Completed", "submitTime": "2026-01-02T03:04:05Z", "endTime": "2026-01-02T03:05:00Z",
                     "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out"}}})
            .to_string(),
        ),
        Canned::json(
            200,
            &json!({"nextToken": "page-2", "asyncInvokeSummaries": [
                {"invocationArn": "arn:x", "modelArn": "arn:m", "status": "InProgress", "submitTime": "2026-01-02T03:04:05Z",
                 "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out"}}}]})
            .to_string(),
        ),
    ])
    .await;
    let gateway = gateway(&server).await;
    let options = CallOptions::default();

    let input: CountTokensInput =
        serde_json::from_value(json!({"converse": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}}))
            .unwrap();
    assert_eq!(gateway.count_tokens("anthropic.claude-3-haiku-20240307-v1:0", &input, &options).await.unwrap(), 42);

    let guardrail: ApplyGuardrailRequest = serde_json::from_value(json!({
        "guardrailIdentifier": "gr-1", "guardrailVersion": "DRAFT", "source": "INPUT",
        "content": [{"text": {"text": "money?", "qualifiers": ["query"]}}], "outputScope": "FULL"
    }))
    .unwrap();
    let applied = gateway.apply_guardrail(&guardrail, &options).await.unwrap();
    assert_eq!(
        serde_json::to_value(&applied).unwrap(),
        json!({"usage": {"topicPolicyUnits": 1, "contentPolicyUnits": 1, "wordPolicyUnits": 0,
                         "sensitiveInformationPolicyUnits": 0, "sensitiveInformationPolicyFreeUnits": 0,
                         "contextualGroundingPolicyUnits": 0},
               "action": "GUARDRAIL_INTERVENED", "actionReason": "blocked", "outputs": [{"text": "Sorry."}],
               "assessments": [{"topicPolicy": {"topics": [{"name": "Finance", "type": "DENY", "action": "BLOCKED", "detected": true}]}}]})
    );

    let start: StartAsyncInvokeRequest = serde_json::from_value(json!({
        "clientRequestToken": "token-1", "modelId": "amazon.nova-reel-v1:0", "modelInput": {"taskType": "TEXT_VIDEO", "seed": 7},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out"}}
    }))
    .unwrap();
    let started = gateway.start_async_invoke(&start, &options).await.unwrap();
    assert_eq!(started.invocation_arn, "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc");

    let job = gateway.get_async_invoke(&started.invocation_arn, &options).await.unwrap();
    assert_eq!(
        serde_json::to_value(&job).unwrap(),
        json!({"invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc",
               "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0",
               "status": "Completed", "submitTime": "2026-01-02T03:04:05Z", "endTime": "2026-01-02T03:05:00Z",
               "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out"}}})
    );

    let list: ListAsyncInvokesRequest =
        serde_json::from_value(json!({"statusEquals": "InProgress", "maxResults": 1, "nextToken": "page-1",
                                      "submitTimeAfter": "2026-01-01T00:00:00Z"}))
        .unwrap();
    let page = gateway.list_async_invokes(&list, &options).await.unwrap();
    assert_eq!(page.next_token.as_deref(), Some("page-2"));
    assert_eq!(page.async_invoke_summaries.unwrap()[0].status.as_deref(), Some("InProgress"));

    let received = server.received();
    assert_eq!(received[0].path, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/count-tokens");
    assert_eq!(
        body_json(&server, 0),
        json!({"input": {"converse": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}}})
    );
    assert_eq!(received[1].path, "/guardrail/gr-1/version/DRAFT/apply");
    assert_eq!(
        body_json(&server, 1),
        json!({"source": "INPUT", "content": [{"text": {"text": "money?", "qualifiers": ["query"]}}], "outputScope": "FULL"})
    );
    assert_eq!((received[2].method.as_str(), received[2].path.as_str()), ("POST", "/async-invoke"));
    assert_eq!(
        body_json(&server, 2),
        json!({"clientRequestToken": "token-1", "modelId": "amazon.nova-reel-v1:0",
               "modelInput": {"taskType": "TEXT_VIDEO", "seed": 7},
               "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out"}}})
    );
    assert_eq!(received[3].path, "/async-invoke/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aasync-invoke%2Fabc");
    assert_eq!(received[4].method, "GET");
    assert!(received[4].path.starts_with("/async-invoke?"), "{}", received[4].path);
    for part in
        ["statusEquals=InProgress", "maxResults=1", "nextToken=page-1", "submitTimeAfter=2026-01-01T00%3A00%3A00Z"]
    {
        assert!(received[4].path.contains(part), "{} lacks {part}", received[4].path);
    }
}

#[tokio::test]
async fn a_stream_that_ends_cleanly_before_message_stop_is_incomplete() {
    // Every frame whole, the body ended cleanly, but no messageStop: a proxy closed it early.
    let frames: Vec<Vec<u8>> = stream_frames().into_iter().take(3).collect();
    let server = CannedServer::start(vec![Canned::event_stream(&frames)]).await;
    let gateway = gateway(&server).await;
    let converse = request(json!({"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "hi"}]}]}));

    let mut stream = gateway.converse_stream(MODEL, &converse, &CallOptions::default()).await.unwrap();
    let (events, error) = collect(&mut stream).await;

    assert_eq!(events.len(), 3, "the events that arrived are yielded first");
    let error = error.expect("a stream without messageStop is an error, not a finished answer");
    assert!(
        matches!(&error, HostError::StreamInterrupted { message, attempts: 1, .. } if message.contains("messageStop")),
        "{error:?}"
    );
}
