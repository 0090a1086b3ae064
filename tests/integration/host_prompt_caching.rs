//! Automatic prompt caching (docs/protocol.md "Prompt caching and the context window"), through the
//! real binary against the emulator, which caches as Bedrock does: the cache points the host sent
//! (read from the emulator's journal), the cache reads they earn on later turns, their prices, and
//! Bedrock's limits (at most 4 cache points, none below the model's minimum, none for a model
//! without caching, none with `promptCaching: "off"`).

use serde_json::{Value, json};

use crate::support::conversation::Emulated;
use crate::support::tools::{self, weather_tool};

/// Claude Sonnet 4.5: caches from 1,024 tokens per cache point.
const SONNET: &str = "sonnet";

/// `count` one-token words for the emulator's tokenizer.
fn words(count: usize, tag: &str) -> String {
    (0..count).map(|index| format!("{tag}{index}")).collect::<Vec<_>>().join(" ")
}

/// Where the request body of a journal entry holds cache points: `system[i]`, `tools[i]`, `messages[i]`.
fn cache_points(entry: &Value) -> Vec<String> {
    let body = &entry["body"];
    let mut found = Vec::new();
    let mut scan = |section: &str, blocks: &Value| {
        for (index, block) in blocks.as_array().into_iter().flatten().enumerate() {
            if block.get("cachePoint").is_some() {
                found.push(format!("{section}[{index}]"));
            }
        }
    };
    scan("tools", &body["toolConfig"]["tools"]);
    scan("system", &body["system"]);
    for (index, message) in body["messages"].as_array().into_iter().flatten().enumerate() {
        if message["content"].as_array().into_iter().flatten().any(|block| block.get("cachePoint").is_some()) {
            found.push(format!("messages[{index}]"));
        }
    }
    found
}

fn converse_requests(emulated: &Emulated) -> Vec<Value> {
    emulated
        .journal()
        .into_iter()
        .filter(|entry| entry["operation"].as_str().is_some_and(|op| op.starts_with("Converse")))
        .collect()
}

fn send(emulated: &mut Emulated, id: &str, content: &str) -> Value {
    let (_, response) = emulated.exchange("conversation/send", json!({"conversationId": id, "content": content}));
    response.get("result").cloned().unwrap_or_else(|| panic!("conversation/send failed: {response}"))
}

fn price(emulated: &mut Emulated, model: &str) -> Value {
    let models = emulated.host.call("bedrock/listModels", json!({}));
    models["result"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["aliases"].as_array().unwrap().iter().any(|alias| alias == model))
        .unwrap_or_else(|| panic!("no model with alias {model}"))["pricing"]
        .clone()
}

#[test]
fn auto_places_cache_points_and_the_next_turns_read_them_at_the_cache_price() {
    let mut emulated = Emulated::start(Some(json!({})), json!({}));
    let system = words(1_500, "s");
    let id = emulated.create(json!({"modelId": SONNET, "system": system}));

    let first = send(&mut emulated, &id, &words(1_200, "a"));
    let second = send(&mut emulated, &id, &words(1_200, "b"));
    let third = send(&mut emulated, &id, &words(1_200, "c"));

    let requests = converse_requests(&emulated);
    assert_eq!(requests.len(), 3);
    // First call: the system prompt is cached; the history before the new content is empty.
    assert_eq!(cache_points(&requests[0]), ["system[1]"]);
    // Second: also the end of the history (the first answer), before the new user message.
    assert_eq!(cache_points(&requests[1]), ["system[1]", "messages[1]"]);
    // Third: where the second put its point (read), and the new end of the history (write).
    assert_eq!(cache_points(&requests[2]), ["system[1]", "messages[1]", "messages[3]"]);
    for request in &requests {
        assert!(cache_points(request).len() <= 4);
    }

    // The first turn writes the system prompt; the later ones read what the turn before wrote.
    assert_eq!(first["usage"]["cacheReadInputTokens"], 0, "{first}");
    assert_eq!(first["usage"]["cacheWriteInputTokens"], 1_500, "{first}");
    let read = second["usage"]["cacheReadInputTokens"].as_u64().unwrap();
    assert_eq!(read, 1_500, "the second turn reads the system prompt: {second}");
    assert!(second["usage"]["cacheWriteInputTokens"].as_u64().unwrap() > 2_400, "{second}");
    let read = third["usage"]["cacheReadInputTokens"].as_u64().unwrap();
    assert!(read > 1_500 + 2_400, "the third turn reads the history the second wrote: {third}");
    assert!(third["usage"]["inputTokens"].as_u64().unwrap() < 1_300, "only the new message is uncached: {third}");

    // Per turn and cumulatively, priced with the catalog's cache prices.
    let pricing = price(&mut emulated, SONNET);
    let per_token = |member: &str| pricing[member].as_f64().unwrap() / 1e6;
    assert!((pricing["cacheReadPerMillion"].as_f64().unwrap() - 0.3).abs() < 1e-9, "{pricing}");
    assert!((pricing["cacheWritePerMillion"].as_f64().unwrap() - 3.75).abs() < 1e-9, "{pricing}");
    assert!(pricing["asOf"].as_str().is_some_and(|date| date.len() == 10), "{pricing}");
    for turn in [&first, &second, &third] {
        let usage = &turn["usage"];
        let count = |member: &str| usage[member].as_f64().unwrap_or(0.0);
        let expected = count("inputTokens") * per_token("inputPerMillion")
            + count("outputTokens") * per_token("outputPerMillion")
            + count("cacheReadInputTokens") * per_token("cacheReadPerMillion")
            + count("cacheWriteInputTokens") * per_token("cacheWritePerMillion");
        let cost = turn["costUsd"].as_f64().unwrap();
        assert!((cost - expected).abs() < 1e-9, "costUsd {cost} != {expected}: {turn}");
    }
    let cumulative = &third["cumulativeUsage"];
    let sum =
        |member: &str| [&first, &second, &third].iter().map(|t| t["usage"][member].as_u64().unwrap()).sum::<u64>();
    assert_eq!(cumulative["cacheReadInputTokens"].as_u64().unwrap(), sum("cacheReadInputTokens"));
    assert_eq!(cumulative["cacheWriteInputTokens"].as_u64().unwrap(), sum("cacheWriteInputTokens"));
    let usage = emulated.host.call("usage/get", json!({}));
    assert_eq!(
        usage["result"]["total"]["usage"]["cacheReadInputTokens"].as_u64().unwrap(),
        sum("cacheReadInputTokens")
    );
    assert!(third["metrics"]["contextUs"].as_u64().is_some(), "{third}");

    // The history keeps no cache point: they are placed per call.
    let got = emulated.host.call("conversation/get", json!({"conversationId": id}));
    assert!(!got["result"]["messages"].to_string().contains("cachePoint"), "{got}");
    emulated.host.finish();
}

#[test]
fn off_sends_none_per_host_or_per_conversation_and_a_conversation_may_turn_it_back_on() {
    let mut emulated = Emulated::start(Some(json!({})), json!({"promptCaching": "off"}));
    let system = words(1_500, "s");
    let off = emulated.create(json!({"modelId": SONNET, "system": system}));
    let on = emulated.create(json!({"modelId": SONNET, "system": system, "promptCaching": "auto"}));
    let first = send(&mut emulated, &off, "hello");
    send(&mut emulated, &on, "hello");
    let requests = converse_requests(&emulated);
    assert_eq!(cache_points(&requests[0]), Vec::<String>::new());
    assert!(first["usage"].get("cacheReadInputTokens").is_none(), "{first}");
    assert_eq!(cache_points(&requests[1]), ["system[1]"]);
    emulated.host.finish();

    let mut emulated = Emulated::start(Some(json!({})), json!({}));
    let off = emulated.create(json!({"modelId": SONNET, "system": words(1_500, "s"), "promptCaching": "off"}));
    send(&mut emulated, &off, "hello");
    assert_eq!(cache_points(&converse_requests(&emulated)[0]), Vec::<String>::new());
    emulated.host.finish();
}

#[test]
fn none_below_the_minimum_none_for_a_model_without_caching_and_none_beside_the_clients_own() {
    let mut emulated = Emulated::start(Some(json!({})), json!({}));
    // Below Sonnet 4.5's 1,024 tokens.
    let short = emulated.create(json!({"modelId": SONNET, "system": words(300, "s")}));
    send(&mut emulated, &short, &words(200, "a"));
    send(&mut emulated, &short, &words(200, "b"));
    // Claude 3 Haiku has no prompt caching: Bedrock would refuse a cache point (AccessDeniedException).
    let uncached =
        emulated.create(json!({"modelId": "anthropic.claude-3-haiku-20240307-v1:0", "system": words(3_000, "s")}));
    send(&mut emulated, &uncached, &words(2_000, "a"));
    send(&mut emulated, &uncached, &words(2_000, "b"));
    // Claude Haiku 4.5 needs 4,096 tokens: 1,500 are not enough.
    let haiku = emulated.create(json!({"modelId": "haiku", "system": words(1_500, "s")}));
    send(&mut emulated, &haiku, "hello");
    // A client that places its own cache point manages its cache: the host adds none.
    let own = emulated.create(
        json!({"modelId": SONNET, "system": [{"text": words(1_500, "s")}, {"cachePoint": {"type": "default"}}]}),
    );
    let (_, response) = emulated.exchange(
        "conversation/send",
        json!({"conversationId": own, "content": [{"text": words(1_200, "a")}, {"cachePoint": {"type": "default"}}]}),
    );
    assert!(response.get("result").is_some(), "{response}");
    let requests = converse_requests(&emulated);
    assert_eq!(requests.len(), 6);
    for request in &requests[..5] {
        assert_eq!(cache_points(request), Vec::<String>::new(), "{}", request["modelId"]);
    }
    assert_eq!(cache_points(&requests[5]), ["system[1]", "messages[0]"], "the client's own two, nothing more");
    emulated.host.finish();
}

#[test]
fn a_long_conversation_with_tools_never_exceeds_four_cache_points_and_keeps_reading() {
    let script = json!({"rules": [
        {"when": {"lastUserText": "weather", "afterToolResult": false},
         "respond": {"content": [{"toolUse": {"name": "get_weather", "input": {"city": "Paris"}}}]}}
    ]});
    let mut host = tools::start(script, json!({}));
    host.register(json!([weather_tool()]));
    let id = host.create(json!({"modelId": SONNET, "system": words(1_500, "s"), "tools": ["get_weather"]}));
    let mut reads = Vec::new();
    for turn in 0..8 {
        let request = host.host.request(
            "conversation/send",
            json!({"conversationId": id, "content": format!("{} weather please", words(600, &format!("t{turn}x")))}),
        );
        let call = host.host.host_request();
        assert_eq!(call["method"], "tool/call", "{call}");
        host.host.reply(&call["id"], json!({"content": words(500, &format!("r{turn}x"))}));
        let response = host.host.response(&request);
        let result = response.get("result").unwrap_or_else(|| panic!("turn {turn} failed: {response}"));
        assert_eq!(result["iterations"], 2);
        reads.push(result["usage"]["cacheReadInputTokens"].as_u64().unwrap());
    }
    let requests = host.journal();
    assert_eq!(requests.len(), 16);
    for (index, request) in requests.iter().enumerate() {
        let points = cache_points(request);
        assert!(points.len() <= 4, "request {index}: {points:?}");
        assert!(points.contains(&"system[1]".to_string()), "request {index}: {points:?}");
        // The tool list before the system prompt is covered by the system's cache point.
        assert!(!points.iter().any(|p| p.starts_with("tools")), "request {index}: {points:?}");
    }
    // After the first turn, every turn reads more than the system prompt from the cache.
    assert!(reads[1..].iter().all(|&read| read > 1_500), "{reads:?}");
    host.host.finish();
}
