//! The emulator's validation against Bedrock's Smithy model (`crate::smithy`,
//! which imports nothing of the host: the emulator stays judged by the model
//! and the SDKs, never built from the host's types).
//!
//! - Every union and enum list of `validation.rs` holds exactly the model's
//!   members, plus the ones listed here as beyond the model (SDK 1.153 knows
//!   them, the vendored model predates them), each with its reason.
//! - Every union and enum a Converse request can reach is either checked by
//!   one of those lists or named in [`NOT_VALIDATED`], so a union the model
//!   gains is a decision, not an oversight.
//! - The running emulator, over real HTTP, accepts every maximal request of
//!   every operation the host speaks.

use std::net::SocketAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::emulator::{EmulatorConfig, Script, start};
use crate::smithy::{HttpBinding, model};

const SDK: &str = "aws-sdk-bedrockruntime 1.153 knows it; the vendored model predates it";

/// `(name, the emulator's list, the model's union or enum, members beyond the model and why)`.
type Listed = (&'static str, &'static [&'static str], &'static str, &'static [(&'static str, &'static str)]);

const UNIONS: &[Listed] = &[
    (
        "CONTENT_BLOCKS",
        CONTENT_BLOCKS,
        "ContentBlock",
        &[("audio", SDK), ("searchResult", SDK), ("toolAddition", SDK), ("toolRemoval", SDK)],
    ),
    ("SYSTEM_BLOCKS", SYSTEM_BLOCKS, "SystemContentBlock", &[]),
    ("TOOL_RESULT_BLOCKS", TOOL_RESULT_BLOCKS, "ToolResultContentBlock", &[("searchResult", SDK)]),
    ("TOOLS", TOOLS, "Tool", &[]),
    ("TOOL_CHOICES", TOOL_CHOICES, "ToolChoice", &[]),
    ("TOOL_INPUT_SCHEMAS", TOOL_INPUT_SCHEMAS, "ToolInputSchema", &[]),
    ("IMAGE_SOURCES", IMAGE_SOURCES, "ImageSource", &[]),
    ("DOCUMENT_SOURCES", DOCUMENT_SOURCES, "DocumentSource", &[]),
    ("VIDEO_SOURCES", VIDEO_SOURCES, "VideoSource", &[]),
    ("GUARD_CONTENT_BLOCKS", GUARD_CONTENT_BLOCKS, "GuardrailConverseContentBlock", &[]),
    ("GUARD_IMAGE_SOURCES", GUARD_IMAGE_SOURCES, "GuardrailConverseImageSource", &[]),
    ("REASONING_BLOCKS", REASONING_BLOCKS, "ReasoningContentBlock", &[]),
];

const ENUMS: &[Listed] = &[
    ("ROLES", ROLES, "ConversationRole", &[("system", SDK)]),
    ("TOOL_RESULT_STATUSES", TOOL_RESULT_STATUSES, "ToolResultStatus", &[]),
    ("IMAGE_FORMATS", IMAGE_FORMATS, "ImageFormat", &[]),
    ("DOCUMENT_FORMATS", DOCUMENT_FORMATS, "DocumentFormat", &[]),
    ("VIDEO_FORMATS", VIDEO_FORMATS, "VideoFormat", &[]),
    ("GUARD_IMAGE_FORMATS", GUARD_IMAGE_FORMATS, "GuardrailConverseImageFormat", &[]),
    ("GUARD_QUALIFIERS", GUARD_QUALIFIERS, "GuardrailConverseContentQualifier", &[]),
    ("CACHE_POINT_TYPES", CACHE_POINT_TYPES, "CachePointType", &[]),
    ("GUARDRAIL_TRACES", GUARDRAIL_TRACES, "GuardrailTrace", &[]),
    ("STREAM_PROCESSING_MODES", STREAM_PROCESSING_MODES, "GuardrailStreamProcessingMode", &[]),
];

/// Lists of shapes the vendored model does not have at all (SDK 1.153 does); once a newer model
/// has them, they move to [`UNIONS`] or [`ENUMS`].
const BEYOND_THE_MODEL: &[(&str, &[&str], &str)] =
    &[("AUDIO_SOURCES", AUDIO_SOURCES, "AudioSource"), ("AUDIO_FORMATS", AUDIO_FORMATS, "AudioFormat")];

/// Unions and enums of a Converse request the emulator passes through unchecked, and why.
const NOT_VALIDATED: &[(&str, &str)] = &[
    ("DocumentContentBlock", "document chunks are read only as text for token counts"),
    ("ToolUseType", "a toolUse's `type` is echoed, never acted on"),
    ("CitationGeneratedContent", "citations in the history are passed through"),
    ("CitationSourceContent", "citations in the history are passed through"),
    ("CitationLocation", "citations in the history are passed through"),
    ("PromptVariableValues", "the emulator has no prompt resources to fill"),
    ("PerformanceConfigLatency", "the emulator has one latency"),
];

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.into_iter().collect();
    items.sort();
    items.dedup();
    items
}

fn check_list((name, list, shape, beyond): &Listed, in_model: Vec<String>) {
    let missing: Vec<&String> = in_model.iter().filter(|member| !list.contains(&member.as_str())).collect();
    assert!(missing.is_empty(), "{name} lacks {missing:?} of the model's {shape}");
    let stale: Vec<&str> =
        beyond.iter().map(|(member, _)| *member).filter(|member| in_model.iter().any(|m| m == member)).collect();
    assert!(
        stale.is_empty(),
        "{name}: the model's {shape} now has {stale:?}; drop them from the beyond-the-model list"
    );
    let undocumented: Vec<&str> = list
        .iter()
        .copied()
        .filter(|member| !in_model.iter().any(|m| m == member) && !beyond.iter().any(|(b, _)| b == member))
        .collect();
    assert!(
        undocumented.is_empty(),
        "{name} has {undocumented:?}, which the model's {shape} lacks; list why beside it or remove it"
    );
    assert_eq!(list.len(), sorted(list.iter().map(|m| (*m).to_owned())).len(), "{name} repeats a member");
}

#[test]
fn union_lists_are_the_models_unions() {
    let model = model();
    for checked in UNIONS {
        check_list(checked, model.union_members(checked.2));
    }
}

#[test]
fn enum_lists_are_the_models_enums() {
    let model = model();
    for checked in ENUMS {
        check_list(checked, model.enum_values(checked.2));
    }
}

#[test]
fn lists_beyond_the_model_are_still_beyond_it() {
    let known = model().reachable(&["ConverseRequest", "ConverseStreamRequest"]);
    for (name, list, shape) in BEYOND_THE_MODEL {
        assert!(!list.is_empty());
        assert!(!known.iter().any(|known| known == shape), "the model now has {shape}: check {name} against it");
    }
}

#[test]
fn every_union_and_enum_of_a_converse_request_is_checked_or_excused() {
    let model = model();
    let checked: Vec<&str> = UNIONS.iter().chain(ENUMS).map(|(_, _, shape, _)| *shape).collect();
    let unaccounted: Vec<String> = model
        .reachable(&["ConverseRequest", "ConverseStreamRequest"])
        .into_iter()
        .filter(|shape| model.kind(shape) != "structure")
        .filter(|shape| !checked.contains(&shape.as_str()) && !NOT_VALIDATED.iter().any(|(s, _)| s == shape))
        .collect();
    assert!(unaccounted.is_empty(), "validate {unaccounted:?} in validation.rs, or list them in NOT_VALIDATED");
}

#[test]
fn error_statuses_are_the_models() {
    let mut known: Vec<(String, u16)> =
        crate::emulator::errors::KNOWN_ERRORS.iter().map(|(name, status)| ((*name).to_owned(), *status)).collect();
    known.sort();
    assert_eq!(known, model().exceptions(), "errors.rs KNOWN_ERRORS against the model's exceptions");
}

/// One HTTP/1.1 exchange over a fresh connection: the status and the raw answer.
async fn exchange(
    address: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect to the emulator");
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("send the head");
    stream.write_all(body).await.expect("send the body");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read the answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).and_then(|status| status.parse().ok()).unwrap_or(0);
    (status, answer)
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The HTTP request the model's binding makes of an input `instance`: the
/// URI template filled from the path labels, query and header members, and
/// the rest as the JSON body (or the payload member's bytes).
fn http_request(operation: &str, instance: &Value) -> (String, String, Vec<(String, String)>, Vec<u8>) {
    let model = model();
    let (input, _) = model.operation(operation);
    let (method, mut target) = model.http(operation);
    let mut query = Vec::new();
    let mut headers = Vec::new();
    let mut body = Map::new();
    let mut payload = None;
    for member in model.members(&input) {
        let Some(value) = instance.get(&member.name) else { continue };
        let encoded = || utf8_percent_encode(&text(value), NON_ALPHANUMERIC).to_string();
        match &member.http {
            None => {
                body.insert(member.name.clone(), value.clone());
            }
            Some(HttpBinding::Label) => target = target.replace(&format!("{{{}}}", member.name), &encoded()),
            Some(HttpBinding::Query(name)) => query.push(format!("{name}={}", encoded())),
            Some(HttpBinding::Header(name)) => headers.push((name.clone(), text(value))),
            Some(HttpBinding::Payload) => {
                payload = Some(BASE64.decode(text(value)).expect("a blob payload is base64"));
            }
        }
    }
    if !query.is_empty() {
        target = format!("{target}?{}", query.join("&"));
    }
    let body = payload.unwrap_or_else(|| {
        if body.is_empty() && method == "GET" {
            return Vec::new();
        }
        headers.push(("Content-Type".into(), "application/json".into()));
        Value::Object(body).to_string().into_bytes()
    });
    (method, target, headers, body)
}

/// The blocks of the model's messages arranged into a conversation Bedrock
/// accepts: everything but the tool blocks from the user, then the toolUse
/// blocks from the assistant, then the user's toolResults for them.
fn as_conversation(messages: &Value) -> Value {
    let blocks: Vec<Value> = messages[0]["content"].as_array().cloned().unwrap_or_default();
    let with = |key: &str| -> Vec<Value> { blocks.iter().filter(|block| block.get(key).is_some()).cloned().collect() };
    let rest: Vec<Value> =
        blocks.iter().filter(|b| b.get("toolUse").is_none() && b.get("toolResult").is_none()).cloned().collect();
    json!([
        {"role": "user", "content": rest},
        {"role": "assistant", "content": with("toolUse")},
        {"role": "user", "content": with("toolResult")},
    ])
}

/// An Anthropic Messages body: InvokeModel's payload is model-native, not a
/// shape of Bedrock's model, and the emulator checks it as Anthropic's.
const ANTHROPIC_BODY: &str =
    r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#;

/// The maximal `instance` made into a request the emulator can honour
/// beyond its shape; every change is to a value, never to a member name.
fn honourable(operation: &str, instance: &Value, started_arn: Option<&str>) -> Value {
    let mut instance = instance.clone();
    match operation {
        "Converse" | "ConverseStream" => {
            instance["messages"] = as_conversation(&instance["messages"]);
            // The model says only "strings"; Bedrock reads each as a JSON pointer into the model's answer.
            if let Some(paths) = instance["additionalModelResponseFieldPaths"].as_array_mut() {
                for path in paths {
                    *path = json!(format!("/{}", path.as_str().unwrap_or_default()));
                }
            }
        }
        // The vendored model's ConverseTokensRequest predates its toolConfig, which current Bedrock
        // (and the emulator) require beside toolUse and toolResult blocks, as Converse does.
        "CountTokens" if instance["input"].get("converse").is_some() => {
            let messages = as_conversation(&instance["input"]["converse"]["messages"]);
            instance["input"]["converse"]["messages"] = messages;
            instance["input"]["converse"]["toolConfig"] = model().instances("ToolConfiguration").remove(0);
        }
        "InvokeModel" | "InvokeModelWithResponseStream" => {
            instance["body"] = json!(BASE64.encode(ANTHROPIC_BODY));
            instance["contentType"] = json!("application/json");
            instance["accept"] = json!("application/json");
        }
        // A page token is one only the emulator's own listing mints.
        "ListAsyncInvokes" => {
            instance.as_object_mut().map(|members| members.remove("nextToken"));
        }
        // A job the emulator knows: the one the StartAsyncInvoke of this test started.
        "GetAsyncInvoke" => instance["invocationArn"] = json!(started_arn.expect("a started job")),
        _ => {}
    }
    instance
}

#[tokio::test]
async fn the_emulator_accepts_every_maximal_request() {
    let script = Script::from_json(r#"{"guardrails": {"gr1abc": {"version": "1"}}}"#).expect("a script");
    let emulator = start(EmulatorConfig { script: Some(script), ..EmulatorConfig::loopback() }).await.expect("start");
    let address = emulator.local_addr();
    let model = model();
    let mut started_arn = None;
    // StartAsyncInvoke before GetAsyncInvoke, which asks for the started job.
    for operation in [
        "Converse",
        "ConverseStream",
        "CountTokens",
        "ApplyGuardrail",
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "StartAsyncInvoke",
        "GetAsyncInvoke",
        "ListAsyncInvokes",
    ] {
        let (input, _) = model.operation(operation);
        for (index, instance) in model.instances(&input).iter().enumerate() {
            let instance = honourable(operation, instance, started_arn.as_deref());
            let (method, target, headers, body) = http_request(operation, &instance);
            let (status, answer) = exchange(address, &method, &target, &headers, &body).await;
            assert_eq!(
                status, 200,
                "the emulator refused {operation}'s maximal instance #{index}:\n{answer}\nrequest: {method} {target} {instance}"
            );
            if operation == "StartAsyncInvoke" {
                let json = answer.split("\r\n\r\n").nth(1).and_then(|body| serde_json::from_str::<Value>(body).ok());
                started_arn = json.and_then(|json| json["invocationArn"].as_str().map(str::to_owned));
            }
        }
    }
    emulator.shutdown().await;
}

/// What the model refuses, the emulator refuses too, naming the member: each case was accepted
/// before the lists above were checked against the model.
#[test]
fn refuses_what_the_model_refuses() {
    let image = |format: &str, source: Value| json!({"image": {"format": format, "source": source}});
    let bytes = json!({"bytes": "AAAA"});
    let cases = [
        (image("png", json!({"text": "not an image"})), "content[0].image.source"),
        (json!({"video": {"format": "mp4", "source": {"content": [{"text": "x"}]}}}), "content[0].video.source"),
        (image("bmp", bytes.clone()), "content[0].image.format"),
        (json!({"image": {"source": bytes.clone()}}), "content[0].image.format"),
        (json!({"image": {"format": "png"}}), "content[0].image.source"),
        (json!({"video": {"format": "avi", "source": bytes.clone()}}), "content[0].video.format"),
        (json!({"audio": {"format": "midi", "source": bytes.clone()}}), "content[0].audio.format"),
        (json!({"document": {"format": "rtf", "name": "d", "source": bytes.clone()}}), "content[0].document.format"),
        (json!({"document": {"source": {"text": "t"}}}), "content[0].document.name"),
        (json!({"guardContent": {"video": {}}}), "content[0].guardContent"),
        (json!({"guardContent": {"image": {"format": "gif", "source": bytes.clone()}}}), "guardContent.image.format"),
        (json!({"guardContent": {"text": {"text": "t", "qualifiers": ["all"]}}}), "guardContent.text.qualifiers[0]"),
        (json!({"cachePoint": {"type": "ephemeral"}}), "content[0].cachePoint.type"),
        (json!({"reasoningContent": {"thinking": "t"}}), "content[0].reasoningContent"),
    ];
    for (block, path) in cases {
        let body = json!({"messages": [{"role": "user", "content": [block.clone()]}]});
        let message = converse(body.as_object().unwrap(), false).map_err(|error| error.message);
        let message = message.expect_err(&format!("{block} was accepted"));
        assert!(message.contains(path), "{block}: `{message}` does not name {path}");
    }
    let tools = json!({"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {}}}}]});
    let result = json!({"role": "user", "content": [{"toolResult": {"toolUseId": "tu1",
        "content": [{"image": {"format": "tiff", "source": {"bytes": "AAAA"}}}]}}]});
    let body = json!({"messages": [
        {"role": "user", "content": [{"text": "a"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tu1", "name": "t", "input": {}}}]},
        result,
    ], "toolConfig": tools});
    let message = converse(body.as_object().unwrap(), false).unwrap_err().message;
    assert!(message.contains("toolResult.content[0].image.format"), "{message}");
    let body = json!({"messages": [{"role": "user", "content": [{"text": "a"}]}],
        "system": [{"cachePoint": {"type": "x"}}],
        "toolConfig": {"tools": [{"cachePoint": {"type": "default"}}]}});
    assert!(converse(body.as_object().unwrap(), false).unwrap_err().message.contains("system[0].cachePoint.type"));
    let body = json!({"messages": [{"role": "user", "content": [{"text": "a"}]}],
        "toolConfig": {"tools": [{"cachePoint": {"type": "x"}}]}});
    assert!(converse(body.as_object().unwrap(), false).unwrap_err().message.contains("tools[0].cachePoint.type"));
}
