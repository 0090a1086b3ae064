//! The stateless Bedrock methods other than `bedrock/converse`,
//! driven through the real binary over stdio against its in-process
//! emulator (`--emulator`), with the emulator's journal
//! (`GET /_emulator/requests`) showing what the host sent to Bedrock.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_host::catalog::{MODELS, PRICES_AS_OF};
use serde_json::{Value, json};

use crate::support::emulator::{journal, journal_of};
use crate::support::stdio::{Framing, Host, HostBuilder, result};

const HAIKU_BASE: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";
const HAIKU_US: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const BLOCKED_MESSAGE: &str = "Sorry, I can't help with that.";

/// A host on the emulator with `script`, initialized; also the emulator's base URL.
fn host_with(script: Value, extra_args: &[&str]) -> (Host, String) {
    let mut builder = HostBuilder::new(Framing::Ndjson).emulator(Some(&script));
    for arg in extra_args {
        builder = builder.arg(*arg);
    }
    let mut host = builder.spawn();
    let url = host.initialize_for_endpoint(json!({}));
    (host, url)
}

fn guardrail_script() -> Value {
    json!({"guardrails": {"gr-test": {"version": "1", "blockedWords": ["forbidden"], "blockedMessage": BLOCKED_MESSAGE}}})
}

/// The error's code and the paths of its `data.errors`.
fn invalid_paths(response: &Value) -> Vec<String> {
    assert_eq!(response["error"]["code"], -32602, "{response}");
    response["error"]["data"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no data.errors: {response}"))
        .iter()
        .map(|error| error["path"].as_str().expect("a path").to_string())
        .collect()
}

fn anthropic_body(text: &str) -> Value {
    json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
           "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]})
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

// ---------------------------------------------------------------------------
// bedrock/invokeModel

#[test]
fn invoke_model_answers_an_anthropic_body_in_the_anthropic_shape_and_counts_its_usage() {
    let (mut host, url) = host_with(json!({}), &[]);
    let body = anthropic_body("hello there");
    let response = host.call(
        "bedrock/invokeModel",
        json!({"modelId": "haiku", "body": body, "contentType": "application/json", "accept": "application/json"}),
    );
    let answered = result(&response);
    assert_eq!(answered["contentType"], "application/json");
    assert!(answered.get("guardrailAction").is_none(), "no guardrail was asked for: {answered}");
    let answer = &answered["body"];
    assert_eq!(answer["type"], "message");
    assert_eq!(answer["role"], "assistant");
    assert_eq!(answer["content"], json!([{"type": "text", "text": "You said: hello there"}]));
    assert_eq!(answer["stop_reason"], "end_turn");
    // The emulator's tokenizer: `hello there` is 2 tokens, `You said: hello there` is 5.
    assert_eq!(answer["usage"], json!({"input_tokens": 2, "output_tokens": 5}));

    let sent = journal_of(&url, "InvokeModel");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["modelId"], HAIKU_US, "the alias resolves to the us. profile in us-east-1");
    assert_eq!(sent[0]["body"], body, "the native body passes through untouched");
    assert_eq!(sent[0]["headers"]["content-type"], "application/json");
    assert_eq!(sent[0]["headers"]["accept"], "application/json");
    assert!(sent[0]["headers"].get("x-amzn-bedrock-guardrailidentifier").is_none());

    // The body's `usage` reaches the ledger, priced at Haiku 4.5's $1 / $5 per million.
    let usage = host.call("usage/get", json!({}));
    let by_model = &result(&usage)["byModel"][HAIKU_US];
    assert_eq!(by_model["calls"], 1, "{usage}");
    assert_eq!(by_model["usage"], json!({"inputTokens": 2, "outputTokens": 5, "totalTokens": 7}));
    assert!(close(by_model["costUsd"].as_f64().unwrap(), 2.0 * 1e-6 + 5.0 * 5e-6), "{usage}");
    assert_eq!(result(&usage)["total"]["calls"], 1);
    host.finish();
}

#[test]
fn invoke_model_echoes_a_body_of_another_shape_without_recording_usage() {
    let (mut host, url) = host_with(json!({}), &[]);
    // A model id of no family the emulator knows, and a body of no shape it knows: echoed.
    let body = json!({"question": "Tell me a story"});
    let response = host.call("bedrock/invokeModel", json!({"modelId": "someone.unknown-model-v1", "body": body}));
    assert_eq!(result(&response)["body"], body, "the emulator echoes bodies it does not know");
    assert_eq!(journal_of(&url, "InvokeModel")[0]["modelId"], "someone.unknown-model-v1");
    let usage = host.call("usage/get", json!({}));
    assert_eq!(result(&usage)["total"]["calls"], 0, "the echo carries no usage: {usage}");
    host.finish();
}

#[test]
fn invoke_model_sends_the_guardrail_headers_and_reports_the_guardrail_action() {
    let (mut host, url) = host_with(guardrail_script(), &[]);
    let guarded = |text: &str| {
        json!({"modelId": HAIKU_US, "body": anthropic_body(text), "guardrailIdentifier": "gr-test",
               "guardrailVersion": "1", "trace": "ENABLED"})
    };

    let allowed = host.call("bedrock/invokeModel", guarded("hello there"));
    assert_eq!(result(&allowed)["guardrailAction"], "NONE", "{allowed}");
    assert_eq!(result(&allowed)["body"]["content"][0]["text"], "You said: hello there");
    assert!(host.take_notifications().is_empty(), "no converse/guardrail when the guardrail lets it pass");

    let id = host.request("bedrock/invokeModel", guarded("tell me something forbidden"));
    let blocked = host.response(&id);
    let answer = result(&blocked);
    assert_eq!(answer["guardrailAction"], "INTERVENED", "{blocked}");
    assert_eq!(answer["body"]["stop_reason"], "guardrail_intervened");
    assert_eq!(answer["body"]["content"], json!([{"type": "text", "text": BLOCKED_MESSAGE}]));
    assert_eq!(
        answer["body"]["amazon-bedrock-trace"]["guardrail"]["inputAssessment"]["gr-test"]["wordPolicy"]["customWords"],
        json!([{"match": "forbidden", "action": "BLOCKED", "detected": true}]),
        "trace ENABLED brings the guardrail trace in the body"
    );
    let notifications = host.take_notifications();
    assert_eq!(
        notifications,
        vec![json!({"jsonrpc": "2.0", "method": "converse/guardrail",
                    "params": {"requestId": id, "action": "INTERVENED", "stopReason": "guardrail_intervened"}})]
    );

    let sent = journal_of(&url, "InvokeModel");
    assert_eq!(sent.len(), 2);
    for entry in &sent {
        assert_eq!(entry["headers"]["x-amzn-bedrock-guardrailidentifier"], "gr-test", "{entry}");
        assert_eq!(entry["headers"]["x-amzn-bedrock-guardrailversion"], "1");
        assert_eq!(entry["headers"]["x-amzn-bedrock-trace"], "ENABLED");
    }

    let half = host.call(
        "bedrock/invokeModel",
        json!({"modelId": HAIKU_US, "body": anthropic_body("hi"), "guardrailIdentifier": "gr-test"}),
    );
    assert_eq!(invalid_paths(&half), ["guardrailVersion"]);
    assert_eq!(journal_of(&url, "InvokeModel").len(), 2, "an invalid request never reaches Bedrock");
    host.finish();
}

#[test]
fn invoke_model_passes_latency_and_service_tier_as_bedrocks_headers() {
    let (mut host, url) = host_with(json!({}), &[]);
    let response = host.call(
        "bedrock/invokeModel",
        json!({"modelId": "haiku", "body": anthropic_body("hi"), "performanceConfigLatency": "optimized",
               "serviceTier": "priority"}),
    );
    // The emulator repeats both headers in its answer, as Bedrock does.
    assert_eq!(result(&response)["performanceConfigLatency"], "optimized", "{response}");
    assert_eq!(result(&response)["serviceTier"], "priority");
    let sent = journal_of(&url, "InvokeModel");
    assert_eq!(sent[0]["headers"]["x-amzn-bedrock-performanceconfig-latency"], "optimized");
    assert_eq!(sent[0]["headers"]["x-amzn-bedrock-service-tier"], "priority");

    let streamed = host.call(
        "bedrock/invokeModel",
        json!({"modelId": "haiku", "body": anthropic_body("hi"), "performanceConfigLatency": "standard",
               "serviceTier": "flex", "stream": true}),
    );
    assert!(streamed.get("result").is_some(), "{streamed}");
    let sent = journal_of(&url, "InvokeModelWithResponseStream");
    assert_eq!(sent[0]["headers"]["x-amzn-bedrock-performanceconfig-latency"], "standard");
    assert_eq!(sent[0]["headers"]["x-amzn-bedrock-service-tier"], "flex");
    host.finish();
}

#[test]
fn streamed_invoke_model_sends_each_chunk_in_order_and_reports_usage_from_the_invocation_metrics() {
    let (mut host, url) = host_with(json!({}), &[]);
    let id = host.request(
        "bedrock/invokeModel",
        json!({"modelId": "haiku", "body": anthropic_body("hello there"), "stream": true}),
    );
    let response = host.response(&id);
    let chunks: Vec<Value> = host
        .take_notifications()
        .into_iter()
        .map(|notification| {
            assert_eq!(notification["method"], "invoke/chunk", "{notification}");
            assert_eq!(notification["params"]["requestId"], id);
            notification["params"].clone()
        })
        .collect();
    for (position, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk["index"], position, "chunks arrive in order, indexed from 0");
    }
    let payloads: Vec<&Value> = chunks.iter().map(|chunk| &chunk["chunk"]).collect();
    let types: Vec<&str> =
        payloads.iter().map(|payload| payload["type"].as_str().expect("a decoded JSON chunk")).collect();
    assert_eq!(types.first(), Some(&"message_start"));
    assert_eq!(&types[types.len() - 3..], ["content_block_stop", "message_delta", "message_stop"]);
    let text: String = payloads
        .iter()
        .filter(|payload| payload["type"] == "content_block_delta")
        .map(|payload| payload["delta"]["text"].as_str().expect("a text delta"))
        .collect();
    assert_eq!(text, "You said: hello there");

    let metrics = &payloads.last().expect("at least one chunk")["amazon-bedrock-invocationMetrics"];
    assert_eq!(metrics["inputTokenCount"], 2);
    assert_eq!(metrics["outputTokenCount"], 5);
    let streamed = result(&response);
    assert_eq!(streamed["chunks"], chunks.len(), "{streamed}");
    assert_eq!(&streamed["invocationMetrics"], metrics);
    assert_eq!(streamed["usage"], json!({"inputTokens": 2, "outputTokens": 5, "totalTokens": 7}));
    assert!(streamed.get("guardrailAction").is_none());

    let sent = journal_of(&url, "InvokeModelWithResponseStream");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["modelId"], HAIKU_US);

    let usage = host.call("usage/get", json!({}));
    let by_model = &result(&usage)["byModel"][HAIKU_US];
    assert_eq!(by_model["calls"], 1, "{usage}");
    assert_eq!(by_model["usage"], json!({"inputTokens": 2, "outputTokens": 5, "totalTokens": 7}));
    assert!(close(by_model["costUsd"].as_f64().unwrap(), 2.0 * 1e-6 + 5.0 * 5e-6), "{usage}");
    host.finish();
}

#[test]
fn streamed_invoke_model_of_another_body_is_one_chunk_without_usage() {
    let (mut host, _url) = host_with(json!({}), &[]);
    let body = json!({"question": "Tell me a story"});
    let id = host
        .request("bedrock/invokeModel", json!({"modelId": "someone.unknown-model-v1", "body": body, "stream": true}));
    let response = host.response(&id);
    assert_eq!(result(&response), &json!({"chunks": 1, "contentType": "application/json"}));
    let notifications = host.take_notifications();
    assert_eq!(
        notifications,
        vec![
            json!({"jsonrpc": "2.0", "method": "invoke/chunk", "params": {"requestId": id, "index": 0, "chunk": body}})
        ]
    );
    host.finish();
}

#[test]
fn streamed_invoke_model_reports_a_guardrail_intervention() {
    let (mut host, _url) = host_with(guardrail_script(), &[]);
    let id = host.request(
        "bedrock/invokeModel",
        json!({"modelId": "haiku", "body": anthropic_body("something forbidden"), "stream": true,
               "guardrailIdentifier": "gr-test", "guardrailVersion": "DRAFT"}),
    );
    let response = host.response(&id);
    assert_eq!(result(&response)["guardrailAction"], "INTERVENED", "{response}");
    let notifications = host.take_notifications();
    let guardrail: Vec<&Value> =
        notifications.iter().filter(|notification| notification["method"] == "converse/guardrail").collect();
    assert_eq!(guardrail.len(), 1, "{notifications:?}");
    assert_eq!(guardrail[0]["params"]["requestId"], id);
    let chunks = notifications.iter().filter(|notification| notification["method"] == "invoke/chunk").count();
    assert_eq!(result(&response)["chunks"], chunks);
    host.finish();
}

// ---------------------------------------------------------------------------
// bedrock/countTokens

#[test]
fn count_tokens_sends_the_base_model_id_for_aliases_and_profiles_in_both_input_forms() {
    let (mut host, url) = host_with(json!({}), &[]);
    let messages = json!([{"role": "user", "content": [{"text": "hello there, how are you?"}]}]);
    let system = json!([{"text": "Be brief."}]);
    let converse_form = host.call(
        "bedrock/countTokens",
        json!({"modelId": "haiku", "input": {"converse": {"messages": messages, "system": system}}}),
    );
    // `hello there, how are you?` is 7 tokens (words and punctuation runs), `Be brief.` 3.
    assert_eq!(result(&converse_form), &json!({"inputTokens": 10}));

    let native = anthropic_body("hello there, how are you?");
    let encoded = BASE64.encode(native.to_string());
    let invoke_form =
        host.call("bedrock/countTokens", json!({"modelId": HAIKU_US, "input": {"invokeModel": {"body": encoded}}}));
    assert_eq!(result(&invoke_form), &json!({"inputTokens": 7}));

    let sent = journal_of(&url, "CountTokens");
    assert_eq!(sent.len(), 2, "{sent:?}");
    for entry in &sent {
        assert_eq!(entry["modelId"], HAIKU_BASE, "CountTokens gets the base model id: {entry}");
        assert_eq!(entry["path"], "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/count-tokens");
    }
    assert_eq!(sent[0]["body"]["input"]["converse"]["messages"], messages);
    assert_eq!(sent[0]["body"]["input"]["converse"]["system"], system);
    assert_eq!(sent[1]["body"]["input"]["invokeModel"]["body"], encoded, "the native body travels as base64");

    // With expectedOutputTokens the count is priced too: 7 × $1/M + 1000 × $5/M for Haiku 4.5.
    let priced = host.call(
        "bedrock/countTokens",
        json!({"modelId": "haiku", "input": {"invokeModel": {"body": encoded}}, "expectedOutputTokens": 1000}),
    );
    assert_eq!(result(&priced)["inputTokens"], 7, "{priced}");
    assert!(close(result(&priced)["estimatedCostUsd"].as_f64().unwrap(), 7.0 * 1e-6 + 1000.0 * 5e-6), "{priced}");
    let sent = journal_of(&url, "CountTokens");
    assert_eq!(sent.len(), 3);
    assert!(sent[2]["body"].get("expectedOutputTokens").is_none(), "a host-only member: {}", sent[2]["body"]);

    // What Converse reports as input for the same request is what CountTokens counted.
    let converse = host.call("bedrock/converse", json!({"modelId": "haiku", "messages": messages, "system": system}));
    assert_eq!(result(&converse)["usage"]["inputTokens"], 10, "{converse}");
    host.finish();
}

// ---------------------------------------------------------------------------
// bedrock/applyGuardrail

#[test]
fn apply_guardrail_passes_the_whole_request_and_response() {
    let (mut host, url) = host_with(guardrail_script(), &[]);
    let png = BASE64.encode(b"\x89PNG\r\n\x1a\n not really an image");
    let content = |text: &str| {
        json!([{"text": {"text": text, "qualifiers": ["query"]}},
               {"image": {"format": "png", "source": {"bytes": png}}}])
    };
    let request = |text: &str| {
        json!({"guardrailIdentifier": "gr-test", "guardrailVersion": "1", "source": "INPUT", "content": content(text),
               "outputScope": "FULL"})
    };

    let passed = host.call("bedrock/applyGuardrail", request("a friendly question"));
    let usage = json!({"topicPolicyUnits": 0, "contentPolicyUnits": 0, "wordPolicyUnits": 1,
                       "sensitiveInformationPolicyUnits": 0, "sensitiveInformationPolicyFreeUnits": 0,
                       "contextualGroundingPolicyUnits": 0, "contentPolicyImageUnits": 0});
    let coverage = json!({"textCharacters": {"guarded": 19, "total": 19}, "images": {"guarded": 0, "total": 1}});
    // Bedrock's one assessment of a check that found nothing carries only its invocation metrics.
    let mut answer = result(&passed).clone();
    let latency = answer["assessments"][0]["invocationMetrics"]
        .as_object_mut()
        .and_then(|metrics| metrics.remove("guardrailProcessingLatency"))
        .unwrap_or_else(|| panic!("no latency in the assessment's metrics: {passed}"));
    assert!(latency.as_u64().is_some_and(|ms| ms >= 1), "{latency}");
    assert_eq!(
        answer,
        json!({
            "action": "NONE",
            "outputs": [],
            "assessments": [{"invocationMetrics": {"usage": usage, "guardrailCoverage": coverage}}],
            "usage": usage,
            "guardrailCoverage": coverage
        })
    );

    let blocked = host.call("bedrock/applyGuardrail", request("something Forbidden here"));
    let answer = result(&blocked);
    assert_eq!(answer["action"], "GUARDRAIL_INTERVENED", "{blocked}");
    assert_eq!(answer["actionReason"], "Guardrail blocked.");
    assert_eq!(answer["outputs"], json!([{"text": BLOCKED_MESSAGE}]));
    assert_eq!(
        answer["assessments"][0]["wordPolicy"],
        json!({"customWords": [{"match": "forbidden", "action": "BLOCKED", "detected": true}], "managedWordLists": []})
    );
    assert!(
        answer["assessments"][0]["invocationMetrics"]["guardrailProcessingLatency"].as_u64().is_some(),
        "{blocked}"
    );

    let sent = journal_of(&url, "ApplyGuardrail");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["path"], "/guardrail/gr-test/version/1/apply");
    assert_eq!(
        sent[0]["body"],
        json!({"source": "INPUT", "content": content("a friendly question"), "outputScope": "FULL"}),
        "the request reaches Bedrock whole, the image as the same base64"
    );
    host.finish();
}

#[test]
fn apply_guardrail_with_an_unknown_guardrail_is_bedrocks_resource_not_found() {
    let (mut host, _url) = host_with(guardrail_script(), &[]);
    let response = host.call(
        "bedrock/applyGuardrail",
        json!({"guardrailIdentifier": "gr-missing", "guardrailVersion": "1", "source": "OUTPUT",
               "content": [{"text": {"text": "x"}}]}),
    );
    let error = &response["error"];
    assert_eq!(error["code"], -32001, "{response}");
    assert_eq!(error["data"]["bedrockCode"], "ResourceNotFoundException");
    assert_eq!(error["data"]["httpStatus"], 404);
    assert_eq!(error["data"]["retryable"], false);
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("gr-missing"), "the message names the guardrail: {message}");
    assert!(!message.contains(".."), "{message}");
    assert!(!message.contains("inference profile"), "a guardrail is not a model: {message}");
    host.finish();
}

// ---------------------------------------------------------------------------
// bedrock/listModels and cost/estimate

#[test]
fn list_models_reports_every_catalog_model() {
    let (mut host, _url) = host_with(json!({}), &[]);
    let response = host.call("bedrock/listModels", json!({}));
    let models = result(&response)["models"].as_array().expect("models").clone();
    let ids: Vec<&str> = models.iter().map(|model| model["id"].as_str().unwrap()).collect();
    let catalog_ids: Vec<&str> = MODELS.iter().map(|entry| entry.id).collect();
    assert_eq!(ids, catalog_ids);

    let haiku = models.iter().find(|model| model["id"] == HAIKU_BASE).expect("Haiku 4.5 is listed");
    assert_eq!(
        haiku,
        &json!({
            "id": HAIKU_BASE,
            "name": "Claude Haiku 4.5",
            "provider": "Anthropic",
            "inferenceProfiles": {"us": HAIKU_US, "eu": "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
                                  "apac": "apac.anthropic.claude-haiku-4-5-20251001-v1:0",
                                  "global": "global.anthropic.claude-haiku-4-5-20251001-v1:0"},
            "contextWindow": 200000,
            "maxOutputTokens": 64000,
            "pricing": {"inputPerMillion": 1.0, "outputPerMillion": 5.0, "currency": "USD", "asOf": PRICES_AS_OF,
                        "cacheReadPerMillion": 0.1, "cacheWritePerMillion": 1.25},
            "supports": {"streaming": true, "tools": true, "images": true, "documents": true, "reasoning": true,
                         "guardrails": true},
            "aliases": ["haiku", "haiku-4.5", "claude-haiku"]
        })
    );
    let titan = models.iter().find(|model| model["id"] == "amazon.titan-text-premier-v1:0").unwrap();
    assert_eq!(titan["inferenceProfiles"], json!({}), "no profiles: none listed");

    let aliases: Vec<&str> =
        models.iter().flat_map(|model| model["aliases"].as_array().unwrap()).map(|a| a.as_str().unwrap()).collect();
    for wanted in ["opus", "sonnet", "haiku", "nova-pro", "nova-lite", "nova-micro", "titan-premier", "titan-express"] {
        assert!(aliases.contains(&wanted), "alias {wanted} is missing from {aliases:?}");
    }
    assert!(PRICES_AS_OF.len() == 10 && PRICES_AS_OF.as_bytes()[4] == b'-', "asOf is YYYY-MM-DD: {PRICES_AS_OF}");

    // Each model's every alias prices like the model itself.
    for model in &models {
        for alias in model["aliases"].as_array().unwrap() {
            let estimate = host.call("cost/estimate", json!({"modelId": alias, "inputTokens": 1, "outputTokens": 1}));
            assert_eq!(result(&estimate)["pricing"], model["pricing"], "{alias}");
        }
    }
    host.finish();
}

#[test]
fn cost_estimate_multiplies_the_catalog_prices() {
    let (mut host, _url) = host_with(json!({}), &[]);
    // (model id form, input tokens, output tokens, $ per million in, $ per million out)
    let table = [
        ("sonnet", 1_234, 5_678, 3.0, 15.0),
        ("us.anthropic.claude-haiku-4-5-20251001-v1:0", 1_000_000, 200_000, 1.0, 5.0),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0", 10_000, 3_000, 0.035, 0.14),
        ("amazon.titan-text-premier-v1:0", 0, 7, 0.5, 1.5),
    ];
    for (model_id, input, output, input_price, output_price) in table {
        let response =
            host.call("cost/estimate", json!({"modelId": model_id, "inputTokens": input, "outputTokens": output}));
        let estimate = result(&response);
        let input_cost = input as f64 * input_price / 1e6;
        let output_cost = output as f64 * output_price / 1e6;
        assert!(close(estimate["inputCostUsd"].as_f64().unwrap(), input_cost), "{model_id}: {estimate}");
        assert!(close(estimate["outputCostUsd"].as_f64().unwrap(), output_cost), "{model_id}: {estimate}");
        assert!(close(estimate["totalCostUsd"].as_f64().unwrap(), input_cost + output_cost), "{model_id}");
        assert_eq!(estimate["pricing"]["inputPerMillion"], input_price);
        assert_eq!(estimate["pricing"]["outputPerMillion"], output_price);
        assert_eq!(estimate["pricing"]["asOf"], PRICES_AS_OF);
    }
    // Sonnet, worked by hand: 1234 × $3/M + 5678 × $15/M = $0.003702 + $0.08517.
    let sonnet = host.call("cost/estimate", json!({"modelId": "sonnet", "inputTokens": 1234, "outputTokens": 5678}));
    assert!(close(result(&sonnet)["totalCostUsd"].as_f64().unwrap(), 0.088872), "{sonnet}");

    let unknown =
        host.call("cost/estimate", json!({"modelId": "someone.unknown-v1", "inputTokens": 1, "outputTokens": 1}));
    assert_eq!(invalid_paths(&unknown), ["modelId"]);
    let message = unknown["error"]["message"].as_str().unwrap();
    assert!(message.contains("someone.unknown-v1") && message.contains("bedrock/listModels"), "{message}");
    host.finish();
}

// ---------------------------------------------------------------------------
// Aliases and ARNs through the host

#[test]
fn aliases_resolve_to_the_profile_of_the_configured_region() {
    // (region, what `sonnet` and `opus` become)
    let table = [
        ("us-east-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-opus-4-5-20251101-v1:0"),
        ("eu-west-1", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu.anthropic.claude-opus-4-5-20251101-v1:0"),
        (
            "ap-northeast-1",
            "apac.anthropic.claude-sonnet-4-5-20250929-v1:0",
            // Opus 4.5 has no apac. profile: the global one serves.
            "global.anthropic.claude-opus-4-5-20251101-v1:0",
        ),
        (
            "sa-east-1",
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "global.anthropic.claude-opus-4-5-20251101-v1:0",
        ),
    ];
    for (region, sonnet, opus) in table {
        let (mut host, url) = host_with(json!({}), &["--region", region]);
        let messages = json!([{"role": "user", "content": [{"text": "hi"}]}]);
        for alias in ["sonnet", "opus"] {
            let response = host.call("bedrock/converse", json!({"modelId": alias, "messages": messages}));
            assert!(response.get("result").is_some(), "{region} {alias}: {response}");
        }
        let sent: Vec<Value> = journal_of(&url, "Converse").into_iter().map(|entry| entry["modelId"].clone()).collect();
        assert_eq!(sent, [json!(sonnet), json!(opus)], "in {region}");
        host.finish();
    }
}

#[test]
fn arns_and_unknown_ids_pass_through_untouched() {
    let (mut host, url) = host_with(json!({}), &[]);
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123";
    let unknown = "someone.unknown-model-v9";
    let messages = json!([{"role": "user", "content": [{"text": "hi"}]}]);
    for model_id in [arn, unknown] {
        let response = host.call("bedrock/converse", json!({"modelId": model_id, "messages": messages}));
        assert!(response.get("result").is_some(), "{model_id}: {response}");
    }
    let invoke = host.call("bedrock/invokeModel", json!({"modelId": arn, "body": anthropic_body("hi")}));
    assert!(invoke.get("result").is_some(), "{invoke}");

    let sent = journal(&url);
    assert_eq!(sent.len(), 3);
    for (entry, model_id) in sent.iter().zip([arn, unknown, arn]) {
        assert_eq!(entry["modelId"], model_id);
        let path = entry["path"].as_str().unwrap();
        let segment = path.split('/').nth(2).expect("/model/<id>/…");
        if model_id.starts_with("arn:") {
            assert!(segment.contains("%3A") && segment.contains("%2F"), "the ARN is percent-encoded: {path}");
        }
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8().unwrap();
        assert_eq!(decoded, model_id, "{path}");
    }
    host.finish();
}

// ---------------------------------------------------------------------------
// Invalid params

#[test]
fn invalid_params_name_the_field() {
    let (mut host, url) = host_with(json!({}), &[]);
    let table = [
        ("bedrock/invokeModel", json!({"modelId": "haiku"}), "body"),
        ("bedrock/invokeModel", json!({"modelId": "haiku", "body": {}, "trace": "LOUD"}), "trace"),
        (
            "bedrock/countTokens",
            json!({"modelId": "haiku", "input": {"converse": {"messages": []}, "invokeModel": {"body": "e30="}}}),
            "input",
        ),
        ("bedrock/countTokens", json!({"modelId": "haiku"}), "input"),
        (
            "bedrock/applyGuardrail",
            json!({"guardrailIdentifier": "g", "guardrailVersion": "1", "source": "SIDEWAYS", "content": []}),
            "source",
        ),
        ("bedrock/startAsyncInvoke", json!({"modelId": "amazon.nova-reel-v1:0", "modelInput": {}}), "outputDataConfig"),
        ("bedrock/getAsyncInvoke", json!({}), "invocationArn"),
        ("cost/estimate", json!({"modelId": "haiku", "inputTokens": 1}), "outputTokens"),
        ("cost/estimate", json!({"modelId": "haiku", "inputTokens": -1, "outputTokens": 1}), "inputTokens"),
    ];
    for (method, params, path) in table {
        let response = host.call(method, params.clone());
        assert_eq!(invalid_paths(&response), [path], "{method} {params}: {response}");
    }
    assert!(journal(&url).is_empty(), "invalid params never reach Bedrock");
    host.finish();
}

#[test]
fn the_default_guardrail_applies_to_invoke_model_and_a_bad_one_fails_initialize() {
    let mut host = HostBuilder::new(Framing::Ndjson).emulator(Some(&guardrail_script())).spawn();

    let bad = host.call("initialize", json!({"initializationOptions": {"guardrailConfig": {"guardrailVersion": "1"}}}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    assert_eq!(
        bad["error"]["data"]["errors"][0]["path"], "initializationOptions.guardrailConfig.guardrailIdentifier",
        "{bad}"
    );

    let guardrail = json!({"guardrailIdentifier": "gr-test", "guardrailVersion": "1", "trace": "enabled"});
    let init = host.call("initialize", json!({"initializationOptions": {"guardrailConfig": guardrail}}));
    let url = init["result"]["backend"]["endpointUrl"].as_str().unwrap_or_else(|| panic!("{init}")).to_string();
    let blocked =
        host.call("bedrock/invokeModel", json!({"modelId": HAIKU_US, "body": anthropic_body("something forbidden")}));
    assert_eq!(result(&blocked)["guardrailAction"], "INTERVENED", "{blocked}");
    let sent = journal_of(&url, "InvokeModel");
    assert_eq!(sent[0]["headers"]["x-amzn-bedrock-guardrailidentifier"], "gr-test");
    assert_eq!(sent[0]["headers"]["x-amzn-bedrock-guardrailversion"], "1");
    assert_eq!(sent[0]["headers"]["x-amzn-bedrock-trace"], "ENABLED");
    host.finish();
}

#[test]
fn invalid_params_name_every_bad_field_at_once() {
    let (mut host, url) = host_with(json!({"rules": []}), &[]);
    let response = host.call(
        "bedrock/converse",
        json!({"modelId": 5, "messages": [{"role": "user", "content": [{"text": "hi"}]}],
               "inferenceConfig": {"maxTokens": "many"}, "stream": "yes"}),
    );
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let mut paths = invalid_paths(&response);
    paths.sort();
    assert_eq!(paths, ["inferenceConfig.maxTokens", "modelId", "stream"], "{response}");
    let message = response["error"]["message"].as_str().unwrap();
    assert!(message.contains("`modelId`") && message.contains("`stream`"), "the message names them all: {message}");
    assert!(journal(&url).is_empty(), "an invalid request never reaches Bedrock");
    host.finish();
}
