//! Every model family's InvokeModel shapes, a forced tool choice, and Anthropic's thinking stream, through
//! the real `aws-sdk-bedrockruntime` against the in-process emulator over real HTTP; the host's catalog
//! checked against the emulator (every catalog model id gets a well-formed answer); and the same
//! behaviour through the real binary over stdio.

use std::time::Duration;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    AnyToolChoice, ContentBlock, ConversationRole, ConverseStreamOutput, Message, ResponseStream, SpecificToolChoice,
    StopReason, Tool, ToolChoice, ToolConfiguration, ToolInputSchema, ToolSpecification,
};
use aws_smithy_types::{Document, Number};
use bedrock_host::catalog::MODELS;
use bedrock_host::emulator::{self, EmulatorConfig, RunningEmulator, Script};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::stdio::{Framing, HostBuilder, result};

async fn emulator_with(script: Option<Value>) -> RunningEmulator {
    let mut config = EmulatorConfig::loopback();
    config.script = script.map(|script| Script::from_json(&script.to_string()).expect("test script is valid"));
    emulator::start(config).await.expect("emulator starts")
}

fn client(emulator: &RunningEmulator) -> Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .endpoint_url(emulator.base_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .behavior_version_latest()
        .retry_config(aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    Client::from_conf(config)
}

async fn invoke(client: &Client, model_id: &str, body: &Value) -> Value {
    let output = client
        .invoke_model()
        .model_id(model_id)
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap_or_else(|error| panic!("{model_id}: {:?}", error.into_service_error()));
    assert_eq!(output.content_type(), "application/json");
    serde_json::from_slice(output.body().as_ref()).expect("a JSON body")
}

async fn invoke_error(client: &Client, model_id: &str, body: &Value) -> String {
    let error = client
        .invoke_model()
        .model_id(model_id)
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .expect_err("a ValidationException")
        .into_service_error();
    assert!(error.is_validation_exception(), "{error:?}");
    error.meta().message().unwrap_or_default().to_owned()
}

/// Every chunk of an InvokeModelWithResponseStream answer, decoded.
async fn invoke_stream(client: &Client, model_id: &str, body: &Value) -> Vec<Value> {
    let output = client
        .invoke_model_with_response_stream()
        .model_id(model_id)
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap_or_else(|error| panic!("{model_id}: {:?}", error.into_service_error()));
    let mut stream = output.body;
    let mut chunks = Vec::new();
    for _ in 0..10_000 {
        match tokio::time::timeout(Duration::from_secs(30), stream.recv()).await.expect("no hang").expect("a chunk") {
            Some(ResponseStream::Chunk(part)) => {
                chunks.push(serde_json::from_slice(part.bytes().expect("bytes").as_ref()).expect("a JSON chunk"));
            }
            Some(other) => panic!("a chunk expected: {other:?}"),
            None => return chunks,
        }
    }
    panic!("the stream did not end");
}

/// A raw POST: (status, lower-case headers, body).
async fn post(emulator: &RunningEmulator, path: &str, body: &Value) -> (u16, Vec<(String, String)>, Value) {
    let body = body.to_string();
    let mut stream = tokio::net::TcpStream::connect(emulator.local_addr()).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
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
    (status, headers, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

fn metrics(chunks: &[Value]) -> &Value {
    &chunks.last().expect("at least one chunk")["amazon-bedrock-invocationMetrics"]
}

/// `hi there` is 2 tokens; `You said: hi there` 5.
const SAID: &str = "You said: hi there";

// ---------------------------------------------------------------------------
// Each family's native shapes, whole and streamed

#[tokio::test]
async fn nova_answers_messages_v1() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    let body = json!({"schemaVersion": "messages-v1", "system": [{"text": "Be brief."}],
                      "messages": [{"role": "user", "content": [{"text": "hi there"}]}],
                      "inferenceConfig": {"max_new_tokens": 100, "temperature": 0.5}});
    let answer = invoke(&client, "us.amazon.nova-lite-v1:0", &body).await;
    assert_eq!(answer["output"]["message"], json!({"role": "assistant", "content": [{"text": SAID}]}));
    assert_eq!(answer["stopReason"], "end_turn");
    // `Be brief.` is 3 tokens, `hi there` 2.
    assert_eq!(answer["usage"]["inputTokens"], 5);
    assert_eq!(answer["usage"]["outputTokens"], 5);
    assert_eq!(answer["usage"]["totalTokens"], 10);

    let chunks = invoke_stream(&client, "amazon.nova-pro-v1:0", &body).await;
    // Each chunk is one event keyed by its name (the last also carries the invocation metrics).
    let keys: Vec<&str> = chunks
        .iter()
        .map(|chunk| {
            chunk.as_object().unwrap().keys().find(|key| !key.starts_with("amazon-bedrock-")).unwrap().as_str()
        })
        .collect();
    assert_eq!(keys.first(), Some(&"messageStart"));
    assert_eq!(&keys[keys.len() - 3..], ["contentBlockStop", "messageStop", "metadata"]);
    let text: String = chunks.iter().filter_map(|chunk| chunk["contentBlockDelta"]["delta"]["text"].as_str()).collect();
    assert_eq!(text, SAID);
    assert_eq!(chunks[chunks.len() - 2]["messageStop"]["stopReason"], "end_turn");
    assert_eq!(chunks.last().unwrap()["metadata"]["usage"]["outputTokens"], 5);
    assert_eq!(metrics(&chunks)["inputTokenCount"], 5);
    assert_eq!(metrics(&chunks)["outputTokenCount"], 5);
    emulator.shutdown().await;
}

#[tokio::test]
async fn titan_text_answers_results_and_honours_its_limits() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    // langchain's ChatBedrock prompt for Titan: the last `User:` turn is what the model answers.
    let body = json!({"inputText": "\n\nUser: hi there\n\nBot:", "textGenerationConfig": {"maxTokenCount": 50}});
    let answer = invoke(&client, "amazon.titan-text-express-v1", &body).await;
    assert_eq!(
        answer,
        json!({"inputTextTokenCount": 6, "results": [{"tokenCount": 5, "outputText": SAID, "completionReason": "FINISH"}]})
    );
    let limited = json!({"inputText": "alpha beta gamma delta", "textGenerationConfig": {"maxTokenCount": 4}});
    let answer = invoke(&client, "amazon.titan-text-premier-v1:0", &limited).await;
    assert_eq!(answer["results"][0]["outputText"], "You said: alpha");
    assert_eq!(answer["results"][0]["completionReason"], "LENGTH");

    let chunks = invoke_stream(&client, "amazon.titan-text-lite-v1", &body).await;
    let text: String = chunks.iter().map(|chunk| chunk["outputText"].as_str().unwrap()).collect();
    assert_eq!(text, SAID);
    assert_eq!(chunks[0]["inputTextTokenCount"], 6);
    let last = chunks.last().unwrap();
    assert_eq!(last["completionReason"], "FINISH");
    assert_eq!(last["totalOutputTextTokenCount"], 5);
    assert!(chunks[..chunks.len() - 1].iter().all(|chunk| chunk["completionReason"].is_null()));
    assert_eq!(metrics(&chunks)["outputTokenCount"], 5);
    emulator.shutdown().await;
}

#[tokio::test]
async fn llama_answers_a_generation_from_its_chat_template() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    let prompt = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi there<|eot_id|>\
                  <|start_header_id|>assistant<|end_header_id|>\n\n";
    let body = json!({"prompt": prompt, "max_gen_len": 64, "temperature": 0.2});
    let answer = invoke(&client, "us.meta.llama3-3-70b-instruct-v1:0", &body).await;
    assert_eq!(answer["generation"], SAID);
    assert_eq!(answer["generation_token_count"], 5);
    assert_eq!(answer["stop_reason"], "stop");
    assert!(answer["prompt_token_count"].as_u64().unwrap() > 2, "the template's tokens count: {answer}");

    let chunks = invoke_stream(&client, "meta.llama3-1-8b-instruct-v1:0", &body).await;
    let text: String = chunks.iter().map(|chunk| chunk["generation"].as_str().unwrap()).collect();
    assert_eq!(text, SAID);
    assert_eq!(chunks.last().unwrap()["stop_reason"], "stop");
    assert_eq!(chunks.last().unwrap()["generation_token_count"], 5);
    assert!(chunks[1..].iter().all(|chunk| chunk["prompt_token_count"].is_null()));
    assert_eq!(metrics(&chunks)["outputTokenCount"], 5);
    emulator.shutdown().await;
}

#[tokio::test]
async fn mistral_answers_text_completion_and_chat_completion() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    let text_body = json!({"prompt": "<s>[INST] hi there [/INST]", "max_tokens": 50});
    let answer = invoke(&client, "mistral.mistral-7b-instruct-v0:2", &text_body).await;
    assert_eq!(answer, json!({"outputs": [{"text": SAID, "stop_reason": "stop"}]}));
    let chunks = invoke_stream(&client, "mistral.mixtral-8x7b-instruct-v0:1", &text_body).await;
    let text: String = chunks.iter().map(|chunk| chunk["outputs"][0]["text"].as_str().unwrap()).collect();
    assert_eq!(text, SAID);
    assert_eq!(chunks.last().unwrap()["outputs"][0]["stop_reason"], "stop");
    assert!(metrics(&chunks)["inputTokenCount"].is_u64());

    let chat_body = json!({"messages": [{"role": "user", "content": "hi there"}], "max_tokens": 50});
    let answer = invoke(&client, "mistral.mistral-large-2407-v1:0", &chat_body).await;
    assert_eq!(
        answer,
        json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": SAID}, "stop_reason": "stop"}]})
    );
    let chunks = invoke_stream(&client, "mistral.mistral-large-2407-v1:0", &chat_body).await;
    let text: String = chunks.iter().filter_map(|chunk| chunk["choices"][0]["message"]["content"].as_str()).collect();
    assert_eq!(text, SAID);
    assert_eq!(chunks.last().unwrap()["choices"][0]["stop_reason"], "stop");
    assert_eq!(metrics(&chunks)["outputTokenCount"], 5);
    emulator.shutdown().await;
}

#[tokio::test]
async fn cohere_command_r_answers_text_chat_history_and_events() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    let body = json!({"message": "hi there", "chat_history": [{"role": "USER", "message": "earlier"},
                                                             {"role": "CHATBOT", "message": "yes"}]});
    let answer = invoke(&client, "cohere.command-r-v1:0", &body).await;
    assert_eq!(answer["text"], SAID);
    assert_eq!(answer["finish_reason"], "COMPLETE");
    assert_eq!(answer["chat_history"].as_array().unwrap().len(), 4);
    assert_eq!(answer["chat_history"][3], json!({"role": "CHATBOT", "message": SAID}));
    assert_eq!(answer["meta"]["billed_units"], json!({"input_tokens": 4, "output_tokens": 5}));

    let chunks = invoke_stream(&client, "cohere.command-r-plus-v1:0", &body).await;
    assert_eq!(chunks[0]["event_type"], "stream-start");
    let text: String = chunks
        .iter()
        .filter(|chunk| chunk["event_type"] == "text-generation")
        .map(|chunk| chunk["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, SAID);
    let last = chunks.last().unwrap();
    assert_eq!((last["event_type"].as_str(), last["is_finished"].as_bool()), (Some("stream-end"), Some(true)));
    assert_eq!(last["response"]["text"], SAID);
    assert_eq!(metrics(&chunks)["inputTokenCount"], 4);
    emulator.shutdown().await;
}

#[tokio::test]
async fn ai21_deepseek_and_openai_answer_their_choices() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    let chat = json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi there"}],
                      "max_tokens": 50});

    let answer = invoke(&client, "ai21.jamba-1-5-mini-v1:0", &chat).await;
    assert_eq!(answer["choices"][0]["message"], json!({"role": "assistant", "content": SAID}));
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert_eq!(answer["usage"], json!({"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}));
    assert_eq!(answer["model"], "jamba-1.5-mini");
    let chunks = invoke_stream(&client, "ai21.jamba-1-5-large-v1:0", &chat).await;
    let text: String = chunks.iter().filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(text, SAID);
    assert_eq!(chunks.last().unwrap()["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks.last().unwrap()["usage"]["completion_tokens"], 5);

    let r1 = json!({"prompt": "<｜begin▁of▁sentence｜><｜User｜>hi there<｜Assistant｜><think>\n", "max_tokens": 100});
    let answer = invoke(&client, "us.deepseek.r1-v1:0", &r1).await;
    assert_eq!(answer, json!({"choices": [{"text": SAID, "stop_reason": "stop"}]}));
    let chunks = invoke_stream(&client, "us.deepseek.r1-v1:0", &r1).await;
    let text: String = chunks.iter().map(|chunk| chunk["choices"][0]["text"].as_str().unwrap()).collect();
    assert_eq!(text, SAID);
    assert_eq!(chunks.last().unwrap()["choices"][0]["stop_reason"], "stop");

    let oss = json!({"messages": [{"role": "user", "content": "hi there"}], "max_completion_tokens": 50});
    let answer = invoke(&client, "openai.gpt-oss-20b-1:0", &oss).await;
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["model"], "openai.gpt-oss-20b-1:0");
    assert_eq!(answer["choices"][0]["message"], json!({"role": "assistant", "content": SAID}));
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert_eq!(answer["usage"]["prompt_tokens"], 2);
    let chunks = invoke_stream(&client, "openai.gpt-oss-120b-1:0", &oss).await;
    assert!(chunks.iter().all(|chunk| chunk["object"] == "chat.completion.chunk"), "{chunks:?}");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks.iter().filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(text, SAID);
    assert_eq!(chunks.last().unwrap()["choices"][0]["finish_reason"], "stop");
    assert_eq!(metrics(&chunks)["outputTokenCount"], 5);
    emulator.shutdown().await;
}

#[tokio::test]
async fn embeddings_are_deterministic_vectors_of_the_asked_dimension() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    let v2 = |text: &str, dimensions: u64| json!({"inputText": text, "dimensions": dimensions, "normalize": true});
    let first = invoke(&client, "amazon.titan-embed-text-v2:0", &v2("hello world", 256)).await;
    let vector = first["embedding"].as_array().expect("an embedding");
    assert_eq!(vector.len(), 256);
    assert_eq!(first["inputTextTokenCount"], 2);
    let norm: f64 = vector.iter().map(|value| value.as_f64().unwrap().powi(2)).sum::<f64>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3, "normalized: {norm}");
    assert_eq!(invoke(&client, "amazon.titan-embed-text-v2:0", &v2("hello world", 256)).await, first, "deterministic");
    let other = invoke(&client, "amazon.titan-embed-text-v2:0", &v2("hello there", 256)).await;
    assert_ne!(other["embedding"], first["embedding"]);
    let default = invoke(&client, "amazon.titan-embed-text-v2:0", &json!({"inputText": "x"})).await;
    assert_eq!(default["embedding"].as_array().unwrap().len(), 1024);
    let typed = json!({"inputText": "x", "dimensions": 512, "embeddingTypes": ["float", "binary"]});
    let typed = invoke(&client, "amazon.titan-embed-text-v2:0", &typed).await;
    assert_eq!(typed["embeddingsByType"]["binary"].as_array().unwrap().len(), 512);
    assert!(typed["embeddingsByType"]["binary"].as_array().unwrap().iter().all(|bit| bit == 0 || bit == 1));
    let v1 = invoke(&client, "amazon.titan-embed-text-v1", &json!({"inputText": "x"})).await;
    assert_eq!(v1["embedding"].as_array().unwrap().len(), 1536);

    let cohere = json!({"texts": ["one", "two words"], "input_type": "search_document"});
    let answer = invoke(&client, "cohere.embed-english-v3", &cohere).await;
    assert_eq!(answer["response_type"], "embeddings_floats");
    assert_eq!(answer["texts"], cohere["texts"]);
    let vectors = answer["embeddings"].as_array().unwrap();
    assert_eq!((vectors.len(), vectors[0].as_array().unwrap().len()), (2, 1024));
    let by_type = json!({"texts": ["one"], "input_type": "search_query", "embedding_types": ["int8", "float"]});
    let answer = invoke(&client, "cohere.embed-multilingual-v3", &by_type).await;
    assert_eq!(answer["response_type"], "embeddings_by_type");
    assert!(
        answer["embeddings"]["int8"][0].as_array().unwrap().iter().all(|v| (-128..=127).contains(&v.as_i64().unwrap()))
    );
    let v4 = json!({"texts": ["one"], "input_type": "search_query", "output_dimension": 256});
    let answer = invoke(&client, "cohere.embed-v4:0", &v4).await;
    assert_eq!(answer["embeddings"]["float"][0].as_array().unwrap().len(), 256);

    // Headers: input tokens counted, no output tokens.
    let (status, headers, _) = post(&emulator, "/model/amazon.titan-embed-text-v2:0/invoke", &v2("a b c", 256)).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-amzn-bedrock-input-token-count"), Some("3"));
    assert_eq!(header(&headers, "x-amzn-bedrock-output-token-count"), Some("0"));

    // Embedding models do not stream.
    let error = client
        .invoke_model_with_response_stream()
        .model_id("amazon.titan-embed-text-v2:0")
        .body(Blob::new(v2("x", 256).to_string()))
        .send()
        .await
        .expect_err("no stream")
        .into_service_error();
    assert!(error.is_validation_exception(), "{error:?}");
    assert_eq!(error.meta().message(), Some("The model is unsupported for streaming"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn every_family_sends_the_token_count_headers() {
    let emulator = emulator_with(None).await;
    let cases = [
        ("amazon.nova-micro-v1:0", json!({"messages": [{"role": "user", "content": [{"text": "hi there"}]}]})),
        ("amazon.titan-text-express-v1", json!({"inputText": "hi there"})),
        ("meta.llama3-2-1b-instruct-v1:0", json!({"prompt": "hi there"})),
        ("mistral.mistral-small-2402-v1:0", json!({"prompt": "hi there"})),
        ("cohere.command-r-v1:0", json!({"message": "hi there"})),
        ("ai21.jamba-1-5-mini-v1:0", json!({"messages": [{"role": "user", "content": "hi there"}]})),
        ("deepseek.r1-v1:0", json!({"prompt": "hi there"})),
        ("openai.gpt-oss-20b-1:0", json!({"messages": [{"role": "user", "content": "hi there"}]})),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 9, "messages": [{"role": "user", "content": "hi there"}]}),
        ),
    ];
    for (model, body) in cases {
        let (status, headers, answer) = post(&emulator, &format!("/model/{model}/invoke"), &body).await;
        assert_eq!(status, 200, "{model}: {answer}");
        assert_eq!(header(&headers, "x-amzn-bedrock-input-token-count"), Some("2"), "{model}");
        assert_eq!(header(&headers, "x-amzn-bedrock-output-token-count"), Some("5"), "{model}");
        assert!(header(&headers, "x-amzn-bedrock-invocation-latency").is_some(), "{model}");
    }
    emulator.shutdown().await;
}

// ---------------------------------------------------------------------------
// Bodies of the wrong family, scripts and guardrails for every family

#[tokio::test]
async fn a_body_of_another_family_gets_bedrocks_malformed_input_message() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    let anthropic = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                           "messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(
        invoke_error(&client, "amazon.titan-text-express-v1", &anthropic).await,
        "Malformed input request: #: required key [inputText] not found#: extraneous key [anthropic_version] is not \
         permitted#: extraneous key [max_tokens] is not permitted#: extraneous key [messages] is not permitted, \
         please reformat your input and try again."
    );
    let converse_shaped = json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]});
    assert_eq!(
        invoke_error(&client, "meta.llama3-3-70b-instruct-v1:0", &converse_shaped).await,
        "Malformed input request: #: required key [prompt] not found#: extraneous key [messages] is not permitted, \
         please reformat your input and try again."
    );
    let titan = json!({"inputText": "hi"});
    assert_eq!(
        invoke_error(&client, "anthropic.claude-3-haiku-20240307-v1:0", &titan).await,
        "Malformed input request: #: required key [max_tokens] not found#: required key [anthropic_version] not \
         found#: required key [messages] not found#: extraneous key [inputText] is not permitted, please reformat \
         your input and try again."
    );
    let message = invoke_error(&client, "amazon.nova-pro-v1:0", &json!({"prompt": "hi"})).await;
    assert!(
        message.contains("#: required key [messages] not found#: extraneous key [prompt] is not permitted"),
        "{message}"
    );
    let message =
        invoke_error(&client, "amazon.titan-embed-text-v2:0", &json!({"inputText": "x", "dimensions": 300})).await;
    assert!(message.contains("#/dimensions: 300 is not a valid enum value"), "{message}");
    let message =
        invoke_error(&client, "mistral.mistral-7b-instruct-v0:2", &json!({"prompt": "x", "temperature": 1.5})).await;
    assert!(message.contains("#/temperature: 1.5 is not less or equal to 1"), "{message}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn scripts_answer_every_family() {
    let script = json!({
        "rules": [
            {"when": {"modelId": "llama"}, "respond": {"content": [{"text": "scripted llama"}], "stopReason": "max_tokens"}},
            {"when": {"modelId": "titan", "lastUserText": "^fail me$"}, "fail": {"error": "ThrottlingException"}},
            {"when": {"modelId": "gpt-oss", "lastUserText": "weather"},
             "respond": {"content": [{"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Oslo"}}}]}},
            {"when": {"modelId": "nova"}, "respond": {"body": {"custom": true}}}
        ],
        "guardrails": {"gr": {"blockedWords": ["forbidden"], "blockedMessage": "Blocked."}}
    });
    let emulator = emulator_with(Some(script)).await;
    let client = client(&emulator);
    let answer = invoke(&client, "meta.llama3-1-70b-instruct-v1:0", &json!({"prompt": "hi"})).await;
    assert_eq!(
        (answer["generation"].as_str(), answer["stop_reason"].as_str()),
        (Some("scripted llama"), Some("length"))
    );

    let error = client
        .invoke_model()
        .model_id("amazon.titan-text-express-v1")
        .body(Blob::new(json!({"inputText": "fail me"}).to_string()))
        .send()
        .await
        .expect_err("scripted throttling")
        .into_service_error();
    assert!(error.is_throttling_exception(), "{error:?}");

    let weather = json!({"messages": [{"role": "user", "content": "weather in Oslo?"}]});
    let answer = invoke(&client, "openai.gpt-oss-120b-1:0", &weather).await;
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(
        answer["choices"][0]["message"]["tool_calls"],
        json!([{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}])
    );

    // A scripted raw body answers whatever was sent.
    assert_eq!(invoke(&client, "amazon.nova-lite-v1:0", &json!({"anything": 1})).await, json!({"custom": true}));

    // A guardrail on a Titan body: the blocked message, CONTENT_FILTERED, and the guardrail action.
    let output = client
        .invoke_model()
        .model_id("amazon.titan-text-express-v1")
        .guardrail_identifier("gr")
        .guardrail_version("DRAFT")
        .body(Blob::new(json!({"inputText": "something forbidden"}).to_string()))
        .send()
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(output.body().as_ref()).unwrap();
    assert_eq!(answer["results"][0]["outputText"], "Blocked.");
    assert_eq!(answer["results"][0]["completionReason"], "CONTENT_FILTERED");
    assert_eq!(answer["amazon-bedrock-guardrailAction"], "INTERVENED");
    emulator.shutdown().await;
}

// ---------------------------------------------------------------------------
// A forced tool choice: the default answer calls the tool with an input its schema accepts

fn order_schema() -> Value {
    json!({
        "$defs": {"Item": {"type": "object", "required": ["sku", "quantity"], "properties": {
            "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 10}}}},
        "type": "object",
        "required": ["customer", "email", "delivery", "items", "priority", "id"],
        "properties": {
            "customer": {"type": "string", "minLength": 3},
            "email": {"type": "string", "format": "email"},
            "delivery": {"type": "string", "format": "date"},
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "minItems": 2},
            "priority": {"enum": ["low", "high"]},
            "id": {"type": "string", "format": "uuid"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]}
        }
    })
}

fn assert_valid(input: &Value, schema: &Value) {
    let validator = jsonschema::options().should_validate_formats(true).build(schema).expect("a valid schema");
    let errors: Vec<String> = validator.iter_errors(input).map(|error| error.to_string()).collect();
    assert!(errors.is_empty(), "{input} does not satisfy the tool's schema: {errors:?}");
}

/// JSON → `Document`, for tool schemas.
fn document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Document::Number(Number::PosInt(u)),
            (_, Some(i)) => Document::Number(Number::NegInt(i)),
            _ => Document::Number(Number::Float(n.as_f64().unwrap_or_default())),
        },
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(document).collect()),
        Value::Object(map) => Document::Object(map.iter().map(|(k, v)| (k.clone(), document(v))).collect()),
    }
}

/// `Document` → JSON, for tool inputs.
fn json_of(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(b) => json!(b),
        Document::Number(Number::PosInt(u)) => json!(u),
        Document::Number(Number::NegInt(i)) => json!(i),
        Document::Number(Number::Float(f)) => json!(f),
        Document::String(s) => json!(s),
        Document::Array(items) => Value::Array(items.iter().map(json_of).collect()),
        Document::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), json_of(v))).collect()),
    }
}

fn tools(choice: ToolChoice) -> ToolConfiguration {
    let spec = |name: &str, schema: Value| {
        Tool::ToolSpec(
            ToolSpecification::builder()
                .name(name)
                .input_schema(ToolInputSchema::Json(document(&schema)))
                .build()
                .unwrap(),
        )
    };
    ToolConfiguration::builder()
        .tools(spec("place_order", order_schema()))
        .tools(spec("get_time", json!({"type": "object", "properties": {"zone": {"type": "string"}}})))
        .tool_choice(choice)
        .build()
        .unwrap()
}

fn user(text: &str) -> Message {
    Message::builder().role(ConversationRole::User).content(ContentBlock::Text(text.into())).build().unwrap()
}

#[tokio::test]
async fn converse_with_a_forced_tool_answers_a_tool_use_whose_input_fits_the_schema() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    let named = ToolChoice::Tool(SpecificToolChoice::builder().name("place_order").build().unwrap());
    let output = client
        .converse()
        .model_id("anthropic.claude-3-haiku-20240307-v1:0")
        .messages(user("order two things"))
        .tool_config(tools(named.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(output.stop_reason(), &StopReason::ToolUse);
    let content = output.output().unwrap().as_message().unwrap().content();
    assert_eq!(content.len(), 1, "{content:?}");
    let tool_use = content[0].as_tool_use().expect("a toolUse");
    assert_eq!(tool_use.name(), "place_order");
    assert!(tool_use.tool_use_id().starts_with("tooluse_"));
    let input = json_of(tool_use.input());
    assert_valid(&input, &order_schema());
    assert_eq!(input["items"].as_array().unwrap().len(), 2);

    // `any` calls the first tool.
    let any = ToolChoice::Any(AnyToolChoice::builder().build());
    let output = client
        .converse()
        .model_id("amazon.nova-pro-v1:0")
        .messages(user("anything"))
        .tool_config(tools(any))
        .send()
        .await
        .unwrap();
    assert_eq!(output.stop_reason(), &StopReason::ToolUse);
    let content = output.output().unwrap().as_message().unwrap().content();
    assert_eq!(content[0].as_tool_use().unwrap().name(), "place_order");

    // ConverseStream: contentBlockStart with the tool, input deltas that assemble to a valid input.
    let output = client
        .converse_stream()
        .model_id("anthropic.claude-3-haiku-20240307-v1:0")
        .messages(user("order"))
        .tool_config(tools(named))
        .send()
        .await
        .unwrap();
    let mut stream = output.stream;
    let (mut name, mut input, mut stop) = (None, String::new(), None);
    for _ in 0..10_000 {
        let Some(event) = tokio::time::timeout(Duration::from_secs(30), stream.recv()).await.unwrap().unwrap() else {
            break;
        };
        match event {
            ConverseStreamOutput::ContentBlockStart(start) => {
                name = start.start().and_then(|start| start.as_tool_use().ok()).map(|tool| tool.name().to_owned());
            }
            ConverseStreamOutput::ContentBlockDelta(delta) => {
                if let Some(Ok(tool)) = delta.delta().map(|delta| delta.as_tool_use()) {
                    input.push_str(tool.input());
                }
            }
            ConverseStreamOutput::MessageStop(message_stop) => stop = Some(message_stop.stop_reason().clone()),
            _ => {}
        }
    }
    assert_eq!(name.as_deref(), Some("place_order"));
    assert_eq!(stop, Some(StopReason::ToolUse));
    assert_valid(&serde_json::from_str(&input).expect("the streamed input is JSON"), &order_schema());

    // `auto` still answers text.
    let auto = ToolChoice::Auto(aws_sdk_bedrockruntime::types::AutoToolChoice::builder().build());
    let output = client
        .converse()
        .model_id("anthropic.claude-3-haiku-20240307-v1:0")
        .messages(user("hi there"))
        .tool_config(tools(auto))
        .send()
        .await
        .unwrap();
    assert_eq!(output.stop_reason(), &StopReason::EndTurn);
    emulator.shutdown().await;
}

#[tokio::test]
async fn native_bodies_with_a_forced_tool_answer_a_tool_call() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    let anthropic = |choice: Value| {
        json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200,
               "messages": [{"role": "user", "content": "order"}],
               "tools": [{"name": "get_time", "input_schema": {"type": "object"}},
                         {"name": "place_order", "input_schema": order_schema()}],
               "tool_choice": choice})
    };
    let model = "anthropic.claude-3-haiku-20240307-v1:0";
    let answer = invoke(&client, model, &anthropic(json!({"type": "tool", "name": "place_order"}))).await;
    assert_eq!(answer["stop_reason"], "tool_use");
    assert_eq!(answer["content"][0]["type"], "tool_use");
    assert_eq!(answer["content"][0]["name"], "place_order");
    assert_valid(&answer["content"][0]["input"], &order_schema());
    let answer = invoke(&client, model, &anthropic(json!({"type": "any"}))).await;
    assert_eq!(answer["content"][0]["name"], "get_time", "`any` calls the first tool");
    let answer = invoke(&client, model, &anthropic(json!({"type": "auto"}))).await;
    assert_eq!(answer["stop_reason"], "end_turn");

    let chunks = invoke_stream(&client, model, &anthropic(json!({"type": "tool", "name": "place_order"}))).await;
    let streamed: String = chunks.iter().filter_map(|chunk| chunk["delta"]["partial_json"].as_str()).collect();
    assert_valid(&serde_json::from_str(&streamed).unwrap(), &order_schema());
    let delta = chunks.iter().find(|chunk| chunk["type"] == "message_delta").unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");

    let nova = json!({"messages": [{"role": "user", "content": [{"text": "order"}]}],
                      "toolConfig": {"tools": [{"toolSpec": {"name": "place_order", "inputSchema": {"json": order_schema()}}}],
                                     "toolChoice": {"tool": {"name": "place_order"}}}});
    let answer = invoke(&client, "amazon.nova-lite-v1:0", &nova).await;
    assert_eq!(answer["stopReason"], "tool_use");
    assert_valid(&answer["output"]["message"]["content"][0]["toolUse"]["input"], &order_schema());

    let openai = json!({"messages": [{"role": "user", "content": "order"}],
                        "tools": [{"type": "function", "function": {"name": "place_order", "parameters": order_schema()}}],
                        "tool_choice": "required"});
    let answer = invoke(&client, "openai.gpt-oss-20b-1:0", &openai).await;
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
    let call = &answer["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "place_order");
    assert_valid(&serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap(), &order_schema());
    emulator.shutdown().await;
}

// ---------------------------------------------------------------------------
// Anthropic's thinking stream

#[tokio::test]
async fn anthropic_thinking_streams_its_signature() {
    let script = json!({"rules": [{"respond": {"content": [
        {"reasoningContent": {"reasoningText": {"text": "Let me think.", "signature": "sig-abc"}}},
        {"text": "Done."}
    ]}}]});
    let emulator = emulator_with(Some(script)).await;
    let client = client(&emulator);
    let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 2000,
                      "thinking": {"type": "enabled", "budget_tokens": 1024},
                      "messages": [{"role": "user", "content": "think"}]});
    let chunks = invoke_stream(&client, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", &body).await;
    let block: Vec<&Value> = chunks.iter().filter(|chunk| chunk["index"] == 0).collect();
    assert_eq!(
        block.first().unwrap()["content_block"],
        json!({"type": "thinking", "thinking": "", "signature": ""}),
        "the thinking block starts with an empty signature"
    );
    let deltas: Vec<&str> = block.iter().filter_map(|chunk| chunk["delta"]["type"].as_str()).collect();
    assert_eq!(deltas.last(), Some(&"signature_delta"), "{deltas:?}");
    assert!(deltas[..deltas.len() - 1].iter().all(|kind| *kind == "thinking_delta"), "{deltas:?}");
    let signature = block.iter().find(|chunk| chunk["delta"]["type"] == "signature_delta").unwrap();
    assert_eq!(signature["delta"]["signature"], "sig-abc");
    assert_eq!(block.last().unwrap()["type"], "content_block_stop");
    let thinking: String = block.iter().filter_map(|chunk| chunk["delta"]["thinking"].as_str()).collect();
    assert_eq!(thinking, "Let me think.");

    let answer = invoke(&client, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", &body).await;
    assert_eq!(answer["content"][0], json!({"type": "thinking", "thinking": "Let me think.", "signature": "sig-abc"}));
    emulator.shutdown().await;
}

// ---------------------------------------------------------------------------
// The host's catalog against the emulator's family table

/// A minimal native body for a catalog model, by its provider's id prefix (the test's own table, not
/// the emulator's), and the text or vector the answer carries.
fn native_body(id: &str) -> Value {
    let prefix = |p: &str| id.starts_with(p);
    if prefix("anthropic.") {
        json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": [{"role": "user", "content": "hi there"}]})
    } else if prefix("amazon.nova-") {
        json!({"messages": [{"role": "user", "content": [{"text": "hi there"}]}]})
    } else if prefix("amazon.titan-text-") || prefix("amazon.titan-embed-") {
        json!({"inputText": "hi there"})
    } else if prefix("cohere.embed-") {
        json!({"texts": ["hi there"], "input_type": "search_query"})
    } else if prefix("cohere.command-r") {
        json!({"message": "hi there"})
    } else if prefix("meta.") || prefix("deepseek.") {
        json!({"prompt": "hi there"})
    } else if prefix("mistral.") || prefix("ai21.") || prefix("openai.") {
        json!({"messages": [{"role": "user", "content": "hi there"}]})
    } else {
        panic!("the catalog lists {id}, which this test does not know how to call: add its body here")
    }
}

/// The answer's text (or, for embeddings, `vector`), wherever the family puts it.
fn answered_text(answer: &Value) -> Option<String> {
    let candidates = [
        answer["content"][0]["text"].as_str(),
        answer["output"]["message"]["content"][0]["text"].as_str(),
        answer["results"][0]["outputText"].as_str(),
        answer["generation"].as_str(),
        answer["outputs"][0]["text"].as_str(),
        answer["choices"][0]["message"]["content"].as_str(),
        answer["choices"][0]["text"].as_str(),
        answer["text"].as_str(),
    ];
    if let Some(text) = candidates.into_iter().flatten().next() {
        return Some(text.to_owned());
    }
    let vector = answer["embedding"]
        .as_array()
        .or_else(|| answer["embeddings"].as_array())
        .or_else(|| answer["embeddings"]["float"].as_array());
    vector.filter(|vector| !vector.is_empty()).map(|_| "vector".to_owned())
}

#[tokio::test]
async fn every_catalog_model_gets_a_well_formed_answer_from_the_emulator() {
    let emulator = emulator_with(None).await;
    let client = client(&emulator);
    for entry in MODELS {
        let ids = std::iter::once(entry.id).chain(
            [entry.profiles.us, entry.profiles.eu, entry.profiles.apac, entry.profiles.global].into_iter().flatten(),
        );
        for id in ids {
            let body = native_body(entry.id);
            let answer = invoke(&client, id, &body).await;
            let text = answered_text(&answer).unwrap_or_else(|| panic!("{id}: no text or vector in {answer}"));
            assert!(text == SAID || text == "vector", "{id}: {text}");
            if entry.supports.streaming {
                let chunks = invoke_stream(&client, id, &body).await;
                assert!(chunks.len() >= 2, "{id}: {chunks:?}");
                assert_eq!(metrics(&chunks)["outputTokenCount"], 5, "{id}: {:?}", chunks.last());
            }
        }
    }
    emulator.shutdown().await;
}

// ---------------------------------------------------------------------------
// Through the real binary over stdio

#[test]
fn the_host_gets_native_answers_and_forced_tool_calls_from_its_emulator() {
    let mut host = HostBuilder::new(Framing::Ndjson).emulator(Some(&json!({}))).spawn();
    host.initialize_for_endpoint(json!({}));

    let titan = host.call(
        "bedrock/invokeModel",
        json!({"modelId": "titan-express", "body": {"inputText": "hi there", "textGenerationConfig": {"maxTokenCount": 20}}}),
    );
    assert_eq!(
        result(&titan)["body"],
        json!({"inputTextTokenCount": 2, "results": [{"tokenCount": 5, "outputText": SAID, "completionReason": "FINISH"}]})
    );

    let id = host.request(
        "bedrock/invokeModel",
        json!({"modelId": "llama-3.3-70b", "body": {"prompt": "hi there"}, "stream": true}),
    );
    let streamed = host.response(&id);
    let chunks: Vec<Value> = host.take_notifications().into_iter().map(|n| n["params"]["chunk"].clone()).collect();
    let text: String = chunks.iter().filter_map(|chunk| chunk["generation"].as_str()).collect();
    assert_eq!(text, SAID);
    assert_eq!(result(&streamed)["usage"], json!({"inputTokens": 2, "outputTokens": 5, "totalTokens": 7}));

    let schema = json!({"type": "object", "required": ["city", "days"], "properties": {
        "city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}}});
    let converse = host.call(
        "bedrock/converse",
        json!({"modelId": "haiku", "messages": [{"role": "user", "content": [{"text": "forecast"}]}],
               "toolConfig": {"tools": [{"toolSpec": {"name": "forecast", "inputSchema": {"json": schema}}}],
                              "toolChoice": {"tool": {"name": "forecast"}}}}),
    );
    let answer = result(&converse);
    assert_eq!(answer["stopReason"], "tool_use", "{converse}");
    let tool_use = &answer["output"]["message"]["content"][0]["toolUse"];
    assert_eq!(tool_use["name"], "forecast");
    assert_eq!(tool_use["input"], json!({"city": "example", "days": 1}));
    host.finish();
}
