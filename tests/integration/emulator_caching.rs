//! Prompt caching in the emulator (docs/emulator.md "Prompt caching"): cache points write a prefix
//! on first use and read it while it lives, `inputTokens` counts only the rest, the scripted clock
//! expires entries, Bedrock's limits answer Bedrock's errors; in Converse, ConverseStream's
//! metadata and Anthropic InvokeModel bodies, through the real SDK, on the wire, and through the
//! host over stdio.

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::types::{
    CacheDetail, CachePointBlock, CachePointType, CacheTtl, ContentBlock, ConversationRole, ConverseStreamOutput,
    ConverseTokensRequest, CountTokensInput, Message, SystemContentBlock, TokenUsage,
};
use aws_smithy_types::retry::RetryConfig;
use bedrock_host::emulator::{self, EmulatorConfig, RunningEmulator};
use serde_json::{Value, json};

use crate::support::emulator::{CONTROL_TOKEN, exchange_json, header};
use crate::support::stdio::{Framing, HostBuilder, result};

/// Claude Sonnet 4.5 through a US inference profile: caches from 1,024 tokens, offers `1h`.
const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const SONNET_PATH: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1%3A0";

/// `count` distinct one-token words: the emulator's tokenizer counts a word as one token.
fn words(count: usize) -> String {
    (0..count).map(|index| format!("w{index}")).collect::<Vec<_>>().join(" ")
}

async fn emulator() -> RunningEmulator {
    // Its control endpoints (the script) answer the tests' token.
    let config = EmulatorConfig { control_token: Some(CONTROL_TOKEN.to_owned()), ..EmulatorConfig::loopback() };
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

/// A raw request off the runtime's threads: status, headers and JSON body.
async fn wire(
    emulator: &RunningEmulator,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Vec<(String, String)>, Value) {
    let (base_url, method, path) = (emulator.base_url().to_owned(), method.to_owned(), path.to_owned());
    tokio::task::spawn_blocking(move || exchange_json(&base_url, &method, &path, &body))
        .await
        .expect("the exchange ran")
}

async fn put_script(emulator: &RunningEmulator, script: Value) {
    let (status, _, body) = wire(emulator, "PUT", "/_emulator/script", script).await;
    assert_eq!(status, 200, "{body}");
}

fn point(ttl: Option<CacheTtl>) -> CachePointBlock {
    CachePointBlock::builder().r#type(CachePointType::Default).set_ttl(ttl).build().unwrap()
}

fn user(text: &str) -> Message {
    Message::builder().role(ConversationRole::User).content(ContentBlock::Text(text.into())).build().unwrap()
}

/// A Converse call with a `system_words`-token system prompt closed by a cache point.
async fn converse_cached(client: &Client, system_words: usize, ttl: Option<CacheTtl>, question: &str) -> TokenUsage {
    let output = client
        .converse()
        .model_id(SONNET)
        .system(SystemContentBlock::Text(words(system_words)))
        .system(SystemContentBlock::CachePoint(point(ttl)))
        .messages(user(question))
        .send()
        .await
        .unwrap();
    output.usage().expect("usage").clone()
}

fn counts(usage: &TokenUsage) -> (i32, Option<i32>, Option<i32>) {
    (usage.input_tokens(), usage.cache_read_input_tokens(), usage.cache_write_input_tokens())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converse_writes_a_cached_prefix_then_reads_it() {
    let emulator = emulator().await;
    let client = client(&emulator);

    // First use: the 1,100-token prefix is written; inputTokens is the question (2 tokens) alone.
    let first = converse_cached(&client, 1_100, None, "first question").await;
    assert_eq!(counts(&first), (2, Some(0), Some(1_100)));
    assert_eq!(first.total_tokens(), 2 + first.output_tokens() + 1_100, "the total counts cached tokens too");
    let details: Vec<(CacheTtl, i32)> = first
        .cache_details()
        .iter()
        .map(|detail: &CacheDetail| (detail.ttl().clone(), detail.input_tokens()))
        .collect();
    assert_eq!(details, [(CacheTtl::FiveMinutes, 1_100)]);

    // CountTokens counts the whole prompt, cached or not.
    let counted = client
        .count_tokens()
        .model_id(SONNET)
        .input(CountTokensInput::Converse(
            ConverseTokensRequest::builder()
                .system(SystemContentBlock::Text(words(1_100)))
                .system(SystemContentBlock::CachePoint(point(None)))
                .messages(user("first question"))
                .build(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(counted.input_tokens(), 1_102);

    // Later calls read it, whatever follows the cache point.
    let second = converse_cached(&client, 1_100, None, "another question here").await;
    assert_eq!(counts(&second), (3, Some(1_100), Some(0)));
    assert!(second.cache_details().is_empty(), "nothing written: {second:?}");

    // ConverseStream's metadata carries the same counts.
    let output = client
        .converse_stream()
        .model_id(SONNET)
        .system(SystemContentBlock::Text(words(1_100)))
        .system(SystemContentBlock::CachePoint(point(None)))
        .messages(user("streamed"))
        .send()
        .await
        .unwrap();
    let mut stream = output.stream;
    let mut metadata = None;
    for _ in 0..1_000 {
        match stream.recv().await.expect("the stream carries on") {
            Some(ConverseStreamOutput::Metadata(event)) => metadata = Some(event),
            Some(_) => {}
            None => break,
        }
    }
    let usage = metadata.expect("a metadata event").usage().expect("usage").clone();
    assert_eq!(counts(&usage), (1, Some(1_100), Some(0)));

    // On the wire: the members Bedrock sends, and none without cache points.
    let path = format!("/model/{SONNET_PATH}/converse");
    let request = json!({"system": [{"text": words(1_100)}, {"cachePoint": {"type": "default"}}],
                         "messages": [{"role": "user", "content": [{"text": "wire"}]}]});
    let (_, _, answer) = wire(&emulator, "POST", &path, request).await;
    let usage = &answer["usage"];
    assert_eq!(
        (usage["inputTokens"].as_u64(), usage["cacheReadInputTokens"].as_u64()),
        (Some(1), Some(1_100)),
        "{answer}"
    );
    assert_eq!(usage["cacheWriteInputTokens"], 0);
    let (_, _, plain) =
        wire(&emulator, "POST", &path, json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]})).await;
    assert!(plain["usage"].get("cacheReadInputTokens").is_none(), "{plain}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_entries_expire_on_the_scripted_clock() {
    let emulator = emulator().await;
    let client = client(&emulator);
    assert_eq!(counts(&converse_cached(&client, 1_100, None, "q").await).2, Some(1_100));

    // 4 minutes on: still cached, and the read renews the 5 minutes.
    put_script(&emulator, json!({"clockOffsetMs": 240_000})).await;
    assert_eq!(counts(&converse_cached(&client, 1_100, None, "q").await).1, Some(1_100));
    // 8 minutes on (4 after the read): still there.
    put_script(&emulator, json!({"clockOffsetMs": 480_000})).await;
    assert_eq!(counts(&converse_cached(&client, 1_100, None, "q").await).1, Some(1_100));
    // Over 5 minutes after the last read: gone, written again.
    put_script(&emulator, json!({"clockOffsetMs": 780_001})).await;
    assert_eq!(counts(&converse_cached(&client, 1_100, None, "q").await), (1, Some(0), Some(1_100)));

    // A 1-hour entry outlives 5 minutes but not an hour.
    let written = converse_cached(&client, 1_200, Some(CacheTtl::OneHour), "q").await;
    assert_eq!(written.cache_details()[0].ttl(), &CacheTtl::OneHour);
    put_script(&emulator, json!({"clockOffsetMs": 780_001 + 1_800_000})).await;
    assert_eq!(counts(&converse_cached(&client, 1_200, Some(CacheTtl::OneHour), "q").await).1, Some(1_200));
    put_script(&emulator, json!({"clockOffsetMs": 780_001 + 1_800_000 + 3_600_001})).await;
    assert_eq!(counts(&converse_cached(&client, 1_200, Some(CacheTtl::OneHour), "q").await).2, Some(1_200));
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bedrocks_limits_answer_bedrocks_errors() {
    let emulator = emulator().await;
    let client = client(&emulator);

    // Below the model's minimum (1,024 for Sonnet 4.5) nothing is cached, and the call succeeds.
    assert_eq!(counts(&converse_cached(&client, 1_000, None, "q").await), (1_001, Some(0), Some(0)));

    // More than 4 cache points: ValidationException.
    let mut request = client.converse().model_id(SONNET).messages(user("q"));
    for index in 0..5 {
        request = request
            .system(SystemContentBlock::Text(format!("part {index}")))
            .system(SystemContentBlock::CachePoint(point(None)));
    }
    let error = request.send().await.unwrap_err();
    let SdkError::ServiceError(service) = &error else { panic!("{error:?}") };
    assert!(service.err().is_validation_exception(), "{error:?}");

    // A model without prompt caching: AccessDeniedException, 403 on the wire.
    let request = json!({"system": [{"text": "x"}, {"cachePoint": {"type": "default"}}],
                         "messages": [{"role": "user", "content": [{"text": "q"}]}]});
    let (status, headers, body) =
        wire(&emulator, "POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", request.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert!(header(&headers, "x-amzn-errortype").unwrap().starts_with("AccessDeniedException:"), "{headers:?}");
    assert!(body["message"].as_str().unwrap().contains("did not allow prompt caching"), "{body}");

    // Amazon Nova caches system and messages, not tools; `1h` only where the model offers it.
    let tools = json!({"toolConfig": {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {"type": "object"}}}},
                                                 {"cachePoint": {"type": "default"}}]},
                       "messages": [{"role": "user", "content": [{"text": "q"}]}]});
    let (status, _, body) = wire(&emulator, "POST", "/model/us.amazon.nova-pro-v1%3A0/converse", tools).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("toolConfig.tools[1].cachePoint"), "{body}");
    let mut hour = request;
    hour["system"][1]["cachePoint"]["ttl"] = json!("1h");
    let (status, _, body) =
        wire(&emulator, "POST", "/model/anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse", hour).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("1h"), "{body}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_bodies_report_cache_creation_and_read_tokens() {
    let emulator = emulator().await;
    let body = |question: &str| {
        json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
               "system": [{"type": "text", "text": words(1_100), "cache_control": {"type": "ephemeral"}}],
               "messages": [{"role": "user", "content": question}]})
    };
    let path = format!("/model/{SONNET_PATH}/invoke");
    let (status, headers, first) = wire(&emulator, "POST", &path, body("first question")).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first["usage"],
        json!({"input_tokens": 2, "output_tokens": 5, "cache_creation_input_tokens": 1_100, "cache_read_input_tokens": 0})
    );
    assert_eq!(header(&headers, "x-amzn-bedrock-cache-write-input-token-count"), Some("1100"));
    assert_eq!(header(&headers, "x-amzn-bedrock-input-token-count"), Some("2"));
    let (_, headers, second) = wire(&emulator, "POST", &path, body("second")).await;
    assert_eq!(second["usage"]["cache_read_input_tokens"], 1_100, "{second}");
    assert_eq!(second["usage"]["cache_creation_input_tokens"], 0, "{second}");
    assert_eq!(header(&headers, "x-amzn-bedrock-cache-read-input-token-count"), Some("1100"));

    // The stream's message_start carries them too.
    let output = client(&emulator)
        .invoke_model_with_response_stream()
        .model_id(SONNET)
        .body(aws_sdk_bedrockruntime::primitives::Blob::new(body("streamed").to_string()))
        .send()
        .await
        .unwrap();
    let mut stream = output.body;
    let first_chunk = stream.recv().await.unwrap().expect("a first chunk");
    let bytes = first_chunk.as_chunk().unwrap().bytes().unwrap().as_ref().to_vec();
    let start: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(start["type"], "message_start");
    assert_eq!(start["message"]["usage"]["cache_read_input_tokens"], 1_100, "{start}");

    // Anthropic's limit, in Anthropic's words.
    let five: Vec<Value> =
        (0..5).map(|_| json!({"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}})).collect();
    let (status, _, error) = wire(
        &emulator,
        "POST",
        &path,
        json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": [{"role": "user", "content": five}]}),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["message"], "A maximum of 4 blocks with cache_control may be provided. Found 5.");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_can_give_cache_counts() {
    let emulator = emulator().await;
    put_script(
        &emulator,
        json!({"rules": [{"respond": {"content": [{"text": "ok"}], "usage": {"cacheReadInputTokens": 700, "cacheWriteInputTokens": 30}}}]}),
    )
    .await;
    let (status, _, answer) = wire(
        &emulator,
        "POST",
        "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
        json!({"messages": [{"role": "user", "content": [{"text": "three small words"}]}]}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["usage"],
        json!({"inputTokens": 3, "outputTokens": 1, "totalTokens": 734, "cacheReadInputTokens": 700,
               "cacheWriteInputTokens": 30, "cacheDetails": [{"ttl": "5m", "inputTokens": 30}]})
    );
    emulator.shutdown().await;
}

/// The host passes the cache counts on and prices them (Claude Haiku 4.5: $1/M in, $5/M out, cache
/// writes 1.25×, reads 0.1× input), for plain and streamed calls.
#[test]
fn the_host_reports_and_prices_cache_tokens() {
    let mut host = HostBuilder::new(Framing::Ndjson).emulator(Some(&json!({}))).spawn();
    host.initialize_for_endpoint(json!({}));
    let request = |question: &str, stream: bool| {
        json!({"modelId": "haiku", "stream": stream,
               "system": [{"text": words(4_100)}, {"cachePoint": {"type": "default"}}],
               "messages": [{"role": "user", "content": [{"text": question}]}]})
    };
    let first = host.call("bedrock/converse", request("first", false));
    let answer = result(&first);
    let usage = &answer["usage"];
    assert_eq!(usage["cacheWriteInputTokens"], 4_100, "{first}");
    assert_eq!(usage["cacheReadInputTokens"], 0, "{first}");
    assert_eq!(usage["inputTokens"], 1, "{first}");
    let output = usage["outputTokens"].as_f64().unwrap();
    let cost = answer["costUsd"].as_f64().unwrap();
    let expected = 1.0 * 1e-6 + output * 5e-6 + 4_100.0 * 1.25e-6;
    assert!((cost - expected).abs() < 1e-12, "costUsd {cost} != {expected}");
    assert!(answer["metrics"]["latencyMs"].as_u64().is_some_and(|ms| ms >= 1), "{first}");

    let second = host.call("bedrock/converse", request("second", true));
    let usage = &result(&second)["usage"];
    assert_eq!(usage["cacheReadInputTokens"], 4_100, "{second}");
    assert_eq!(usage["cacheWriteInputTokens"], 0, "{second}");
    let cost = result(&second)["costUsd"].as_f64().unwrap();
    let expected = 1.0 * 1e-6 + usage["outputTokens"].as_f64().unwrap() * 5e-6 + 4_100.0 * 0.1e-6;
    assert!((cost - expected).abs() < 1e-12, "costUsd {cost} != {expected}");
    host.finish();
}
