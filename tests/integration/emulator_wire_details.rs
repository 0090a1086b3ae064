//! The details of the emulator's answers that clients check, against Bedrock's model
//! (docs/bedrock-wire.md §2, §3.3, §7): `metrics.latencyMs` is the time the call took,
//! `additionalModelResponseFieldPaths` are answered, `performanceConfig` and `serviceTier` come back,
//! and an ApplyGuardrail that finds nothing still reports its invocation metrics. Each is seen on
//! the wire and through the real SDK.

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseStreamOutput, GuardrailAction, GuardrailContentBlock,
    GuardrailContentSource, GuardrailTextBlock, InferenceConfiguration, Message, PerformanceConfigLatency,
    PerformanceConfiguration, ServiceTier, ServiceTierType,
};
use aws_smithy_types::Document;
use aws_smithy_types::retry::RetryConfig;
use bedrock_host::emulator::{self, EmulatorConfig, RunningEmulator, Script};
use serde_json::{Value, json};

use crate::support::emulator::exchange_json;

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const CONVERSE: &str = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";

async fn emulator_with(script: Value) -> RunningEmulator {
    let mut config = EmulatorConfig::loopback();
    config.script = Some(Script::from_json(&script.to_string()).expect("test script is valid"));
    emulator::start(config).await.expect("emulator starts")
}

fn client(emulator: &RunningEmulator) -> Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .endpoint_url(emulator.base_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .behavior_version_latest()
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .build();
    Client::from_conf(config)
}

fn user(text: &str) -> Message {
    Message::builder().role(ConversationRole::User).content(ContentBlock::Text(text.into())).build().unwrap()
}

/// A raw request off the runtime's threads (the emulator serves on them): status and JSON body.
async fn wire(emulator: &RunningEmulator, path: &str, body: Value) -> (u16, Value) {
    let base_url = emulator.base_url().to_owned();
    let path = path.to_owned();
    let (status, _, body) = tokio::task::spawn_blocking(move || exchange_json(&base_url, "POST", &path, &body))
        .await
        .expect("the exchange ran");
    (status, body)
}

fn converse_body(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": [{"text": text}]}]})
}

/// The metadata event of a ConverseStream answer (and every event, for the messageStop checks).
async fn stream_events(
    request: aws_sdk_bedrockruntime::operation::converse_stream::builders::ConverseStreamFluentBuilder,
) -> Vec<ConverseStreamOutput> {
    let mut stream = request.send().await.expect("the stream starts").stream;
    let mut events = Vec::new();
    for _ in 0..10_000 {
        match stream.recv().await.expect("the stream carries on") {
            Some(event) => events.push(event),
            None => return events,
        }
    }
    panic!("the stream did not end after 10000 events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_ms_is_the_time_the_call_took() {
    let emulator = emulator_with(json!({"rules": [
        {"when": {"operation": "ConverseStream"}, "respond": {"content": [{"text": "a b c d e"}], "tokenDelayMs": 40}}
    ]}))
    .await;

    // A call that took any time at all reports at least a millisecond, as Bedrock does; never 0.
    let (status, answer) = wire(&emulator, CONVERSE, converse_body("hello")).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["metrics"]["latencyMs"].as_u64().is_some_and(|ms| ms >= 1), "{answer}");

    // A stream's latency covers the whole answer: 4 deltas after the first, 40 ms apart.
    let events = stream_events(client(&emulator).converse_stream().model_id(MODEL).messages(user("go"))).await;
    let Some(ConverseStreamOutput::Metadata(metadata)) = events.last() else { panic!("metadata last: {events:?}") };
    let latency = metadata.metrics().expect("metrics").latency_ms();
    assert!((160..30_000).contains(&latency), "latencyMs {latency} should cover the 160 ms of scripted delays");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn additional_model_response_field_paths_are_answered() {
    let emulator = emulator_with(json!({})).await;
    let mut body = converse_body("alpha STOP beta");
    body["inferenceConfig"] = json!({"stopSequences": ["STOP"]});
    body["additionalModelResponseFieldPaths"] = json!(["/stop_sequence", "/usage/output_tokens", "/not/there"]);
    let (status, answer) = wire(&emulator, CONVERSE, body.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["stopReason"], "stop_sequence");
    // "You said: alpha " is 4 output tokens; a pointer that names nothing is left out.
    assert_eq!(
        answer["additionalModelResponseFields"],
        json!({"stop_sequence": "STOP", "usage": {"output_tokens": 4}})
    );

    // Without the member, no additionalModelResponseFields.
    let (_, plain) = wire(&emulator, CONVERSE, converse_body("alpha")).await;
    assert!(plain.get("additionalModelResponseFields").is_none(), "{plain}");

    // The SDK reads them, and the stream's messageStop points into the model's last stream event.
    let sdk = client(&emulator);
    let output = sdk
        .converse()
        .model_id(MODEL)
        .messages(user("alpha STOP beta"))
        .inference_config(InferenceConfiguration::builder().stop_sequences("STOP").build())
        .additional_model_response_field_paths("/stop_sequence")
        .send()
        .await
        .unwrap();
    let fields = output.additional_model_response_fields().expect("the fields");
    assert_eq!(fields.as_object().and_then(|object| object.get("stop_sequence")), Some(&Document::from("STOP")));
    let events = stream_events(
        sdk.converse_stream()
            .model_id(MODEL)
            .messages(user("alpha STOP beta"))
            .inference_config(InferenceConfiguration::builder().stop_sequences("STOP").build())
            .additional_model_response_field_paths("/delta/stop_sequence"),
    )
    .await;
    let stop = events
        .iter()
        .find_map(|event| match event {
            ConverseStreamOutput::MessageStop(stop) => Some(stop),
            _ => None,
        })
        .expect("a messageStop");
    let delta = stop.additional_model_response_fields().and_then(Document::as_object).and_then(|o| o.get("delta"));
    let stop_sequence = delta.and_then(Document::as_object).and_then(|delta| delta.get("stop_sequence"));
    assert_eq!(stop_sequence, Some(&Document::from("STOP")), "{stop:?}");

    // Bad paths are ValidationExceptions naming the member.
    body["additionalModelResponseFieldPaths"] = json!(["stop_sequence"]);
    let (status, error) = wire(&emulator, CONVERSE, body.clone()).await;
    assert_eq!(status, 400, "{error}");
    assert!(error["message"].as_str().unwrap().contains("additionalModelResponseFieldPaths[0]"), "{error}");
    body["additionalModelResponseFieldPaths"] = json!(vec!["/a"; 11]);
    let (status, error) = wire(&emulator, CONVERSE, body).await;
    assert_eq!(status, 400, "{error}");
    assert!(error["message"].as_str().unwrap().contains("less than or equal to 10"), "{error}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn performance_config_and_service_tier_come_back() {
    let emulator = emulator_with(json!({})).await;
    let mut body = converse_body("hello");
    body["performanceConfig"] = json!({"latency": "optimized"});
    body["serviceTier"] = json!({"type": "priority"});
    let (status, answer) = wire(&emulator, CONVERSE, body.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["performanceConfig"], json!({"latency": "optimized"}));
    assert_eq!(answer["serviceTier"], json!({"type": "priority"}));
    let (_, plain) = wire(&emulator, CONVERSE, converse_body("hello")).await;
    assert!(plain.get("performanceConfig").is_none() && plain.get("serviceTier").is_none(), "{plain}");

    let sdk = client(&emulator);
    let events = stream_events(
        sdk.converse_stream()
            .model_id(MODEL)
            .messages(user("hello"))
            .performance_config(
                PerformanceConfiguration::builder().latency(PerformanceConfigLatency::Optimized).build(),
            )
            .service_tier(ServiceTier::builder().r#type(ServiceTierType::Flex).build().unwrap()),
    )
    .await;
    let Some(ConverseStreamOutput::Metadata(metadata)) = events.last() else { panic!("metadata last: {events:?}") };
    assert_eq!(
        metadata.performance_config().map(|config| config.latency()),
        Some(&PerformanceConfigLatency::Optimized)
    );
    assert_eq!(metadata.service_tier().map(|tier| tier.r#type()), Some(&ServiceTierType::Flex));

    body["serviceTier"] = json!({"type": "fastest"});
    let (status, error) = wire(&emulator, CONVERSE, body).await;
    assert_eq!(status, 400, "{error}");
    assert!(error["message"].as_str().unwrap().contains("serviceTier.type"), "{error}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_guardrail_that_finds_nothing_reports_its_invocation_metrics() {
    let emulator = emulator_with(json!({"guardrails": {"gr1": {"blockedWords": ["forbidden"]}}})).await;
    let body = json!({"source": "INPUT", "content": [{"text": {"text": "a friendly question"}}]});
    let (status, answer) = wire(&emulator, "/guardrail/gr1/version/DRAFT/apply", body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["action"], "NONE");
    assert_eq!(answer["outputs"], json!([]));
    let assessments = answer["assessments"].as_array().expect("assessments");
    assert_eq!(assessments.len(), 1, "{answer}");
    let metrics = assessments[0].as_object().expect("an assessment");
    assert_eq!(metrics.keys().collect::<Vec<_>>(), ["invocationMetrics"], "only the metrics: {answer}");
    assert_eq!(assessments[0]["invocationMetrics"]["usage"], answer["usage"]);
    assert_eq!(assessments[0]["invocationMetrics"]["guardrailCoverage"], answer["guardrailCoverage"]);
    assert!(assessments[0]["invocationMetrics"]["guardrailProcessingLatency"].as_u64().is_some_and(|ms| ms >= 1));

    let output = client(&emulator)
        .apply_guardrail()
        .guardrail_identifier("gr1")
        .guardrail_version("DRAFT")
        .source(GuardrailContentSource::Output)
        .content(GuardrailContentBlock::Text(
            GuardrailTextBlock::builder().text("something forbidden").build().unwrap(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(output.action(), &GuardrailAction::GuardrailIntervened);
    let assessment = &output.assessments()[0];
    assert!(assessment.word_policy().is_some() && assessment.invocation_metrics().is_some(), "{assessment:?}");
    emulator.shutdown().await;
}
