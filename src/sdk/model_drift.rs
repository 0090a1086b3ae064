//! The SDK conversions against Bedrock's Smithy model (`crate::smithy`),
//! through the real SDK over loopback HTTP, both ways:
//!
//! - requests: the model's maximal instance → our wire type → `to_sdk` → the
//!   SDK's own serializer → what arrives at the server, which must carry every
//!   member where the model binds it (JSON body, path, header, query, payload);
//! - responses: the model's maximal instance, sent by the server as Bedrock
//!   would (JSON body, headers, event-stream frames) → the SDK's own
//!   deserializer → `from_sdk` → our wire type, which must carry every member.
//!
//! So a member `to_sdk` forgets to set, or `from_sdk` forgets to read, fails
//! here by JSON path, and so does a member or enum value the SDK spells
//! differently from our wire types.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::{BedrockGateway, CallOptions, GatewaySettings, InvokeModelRequest};
use crate::protocol::shapes as wire;
use crate::smithy::{HttpBinding, assert_carries, model};

/// One 200 answer.
#[derive(Debug, Clone)]
struct Canned {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A request as the server saw it, path segments and query percent-decoded.
#[derive(Debug, Clone)]
struct Received {
    segments: Vec<String>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Vec<u8>,
}

#[derive(Default)]
struct Exchange {
    answers: Mutex<VecDeque<Canned>>,
    received: Mutex<Vec<Received>>,
}

/// A loopback server answering canned responses in order, and a gateway pointed at it.
struct Loopback {
    gateway: BedrockGateway,
    exchange: Arc<Exchange>,
}

async fn answer(State(exchange): State<Arc<Exchange>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.map(|bytes| bytes.to_vec()).unwrap_or_default();
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    let segments = parts.uri.path().split('/').skip(1).map(decode).collect();
    let query = parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(&value.replace('+', " ")))
        })
        .collect();
    exchange.received.lock().unwrap().push(Received { segments, query, headers: parts.headers, body });
    let canned = exchange.answers.lock().unwrap().pop_front().expect("the test queued an answer for each call");
    let mut response = Response::new(Body::from(canned.body));
    for (name, value) in canned.headers {
        response.headers_mut().insert(
            HeaderName::try_from(name.as_str()).expect("header name"),
            HeaderValue::try_from(value.as_str()).expect("header value"),
        );
    }
    response
}

impl Loopback {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let exchange = Arc::new(Exchange::default());
        let router = axum::Router::new().fallback(answer).with_state(exchange.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let gateway = BedrockGateway::new(GatewaySettings {
            region: Some("us-east-1".into()),
            endpoint_url: Some(url),
            max_attempts: Some(1),
            static_credentials: Some(("AKIDMODELDRIFT".into(), "secret".into())),
            ..GatewaySettings::default()
        })
        .await
        .expect("the gateway builds");
        Loopback { gateway, exchange }
    }

    fn queue(&self, canned: Canned) {
        self.exchange.answers.lock().unwrap().push_back(canned);
    }

    fn last_received(&self) -> Received {
        self.exchange.received.lock().unwrap().last().cloned().expect("the SDK sent a request")
    }
}

fn instances(operation: &str) -> (Vec<Value>, Vec<Value>) {
    let model = model();
    let (input, output) = model.operation(operation);
    (model.instances(&input), model.instances(&output))
}

/// Pairs of input and output instances, until both lists are used up.
fn pairs<'a>(inputs: &'a [Value], outputs: &'a [Value]) -> impl Iterator<Item = (&'a Value, &'a Value)> {
    let count = inputs.len().max(outputs.len());
    (0..count).map(move |i| (&inputs[i % inputs.len()], &outputs[i % outputs.len()]))
}

#[track_caller]
fn parse<T: DeserializeOwned>(what: &str, value: &Value) -> T {
    serde_path_to_error::deserialize(value.clone())
        .unwrap_or_else(|error| panic!("{what}: `{}`: {}", error.path(), error.inner()))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn decoded(value: &Value) -> Vec<u8> {
    BASE64.decode(value.as_str().expect("a blob is a base64 string")).expect("the model's blobs are base64")
}

/// Checks that `sent` carries every member of the operation's input
/// `instance` where the model binds it.
#[track_caller]
fn assert_sent(operation: &str, instance: &Value, sent: &Received) {
    let model = model();
    let (input, _) = model.operation(operation);
    let mut body = Map::new();
    for member in model.members(&input) {
        let Some(value) = instance.get(&member.name) else { continue };
        let what = format!("{operation}'s `{}`", member.name);
        match &member.http {
            None => {
                body.insert(member.name.clone(), value.clone());
            }
            Some(HttpBinding::Label) => {
                assert!(sent.segments.contains(&text(value)), "{what} is not in the path {:?}", sent.segments)
            }
            Some(HttpBinding::Header(name)) => {
                let header = sent.headers.get(name).and_then(|header| header.to_str().ok());
                assert_eq!(header, Some(text(value).as_str()), "{what} (header {name})");
            }
            Some(HttpBinding::Query(name)) => {
                let query = sent.query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
                assert_eq!(query, Some(text(value).as_str()), "{what} (query {name})");
            }
            Some(HttpBinding::Payload) => assert_eq!(sent.body, decoded(value), "{what} (the payload)"),
        }
    }
    if !body.is_empty() {
        let sent: Value = serde_json::from_slice(&sent.body).expect("the SDK sent a JSON body");
        assert_carries(&format!("{operation}'s request as the SDK sent it"), &Value::Object(body), &sent);
    }
}

/// One event-stream frame, as Bedrock frames an event.
fn event_frame(event_type: &str, payload: &Value) -> Vec<u8> {
    use aws_smithy_types::event_stream::{Header, HeaderValue as FrameValue, Message};
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(Header::new(":message-type", FrameValue::String("event".into())))
        .add_header(Header::new(":event-type", FrameValue::String(event_type.to_owned().into())))
        .add_header(Header::new(":content-type", FrameValue::String("application/json".into())));
    let mut bytes = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(&message, &mut bytes).expect("a small frame");
    bytes
}

/// The operation's output `instance` as Bedrock sends it: header members as
/// headers, a blob payload as the body, an event-stream payload as one frame
/// per instance of its union (every event kind), the rest as a JSON body.
fn canned(operation: &str, instance: &Value) -> Canned {
    let model = model();
    let (_, output) = model.operation(operation);
    let mut headers = Vec::new();
    let mut body = Map::new();
    let mut payload = None;
    for member in model.members(&output) {
        let Some(value) = instance.get(&member.name) else { continue };
        match &member.http {
            None => {
                body.insert(member.name.clone(), value.clone());
            }
            Some(HttpBinding::Header(name)) => headers.push((name.clone(), text(value))),
            Some(HttpBinding::Payload) => payload = Some((member.target.clone(), value)),
            Some(binding) => panic!("{operation}'s output member `{}` is bound to {binding:?}", member.name),
        }
    }
    let has = |headers: &Vec<(String, String)>, name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let body = match payload {
        None => {
            headers.push(("Content-Type".into(), "application/json".into()));
            Value::Object(body).to_string().into_bytes()
        }
        Some((target, value)) if model.kind(&target) == "blob" => {
            if !has(&headers, "Content-Type") {
                headers.push(("Content-Type".into(), "application/octet-stream".into()));
            }
            decoded(value)
        }
        Some((target, _)) => {
            assert_eq!(model.kind(&target), "union", "{operation}'s payload is an event stream");
            headers.push(("Content-Type".into(), "application/vnd.amazon.eventstream".into()));
            model
                .instances(&target)
                .iter()
                .flat_map(|event| {
                    let (event_type, payload) = event.as_object().and_then(|o| o.iter().next()).expect("one key");
                    event_frame(event_type, payload)
                })
                .collect()
        }
    };
    Canned { headers, body }
}

#[track_caller]
fn json_of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("wire types serialize")
}

#[tokio::test]
async fn converse() {
    let server = Loopback::start().await;
    let (requests, responses) = instances("Converse");
    for (instance, response) in pairs(&requests, &responses) {
        let request: wire::ConverseRequest = parse("Converse's request", instance);
        server.queue(canned("Converse", response));
        let result = server
            .gateway
            .converse(&request.model_id, &request, &CallOptions::default())
            .await
            .unwrap_or_else(|error| panic!("Converse through the SDK: {error}"));
        assert_sent("Converse", instance, &server.last_received());
        assert_carries("Converse's response through the SDK", response, &json_of(&result));
    }
}

#[tokio::test]
async fn converse_stream() {
    let server = Loopback::start().await;
    let (requests, responses) = instances("ConverseStream");
    let events: Vec<Value> = model().instances("ConverseStreamOutput");
    for (instance, response) in pairs(&requests, &responses) {
        let request: wire::ConverseRequest = parse("ConverseStream's request", instance);
        server.queue(canned("ConverseStream", response));
        let mut stream = server
            .gateway
            .converse_stream(&request.model_id, &request, &CallOptions::default())
            .await
            .unwrap_or_else(|error| panic!("ConverseStream through the SDK: {error}"));
        assert_sent("ConverseStream", instance, &server.last_received());
        let mut received = Vec::new();
        while let Some(event) = stream.next().await {
            received.push(json_of(&event.unwrap_or_else(|error| panic!("a ConverseStream event: {error}"))));
        }
        assert_carries(
            "ConverseStream's events through the SDK",
            &Value::Array(events.clone()),
            &Value::Array(received),
        );
    }
}

#[tokio::test]
async fn count_tokens() {
    let server = Loopback::start().await;
    let (requests, responses) = instances("CountTokens");
    for (instance, response) in pairs(&requests, &responses) {
        let input: wire::CountTokensInput = parse("CountTokens' input", &instance["input"]);
        server.queue(canned("CountTokens", response));
        let model_id = instance["modelId"].as_str().expect("modelId");
        let tokens = server
            .gateway
            .count_tokens(model_id, &input, &CallOptions::default())
            .await
            .unwrap_or_else(|error| panic!("CountTokens through the SDK: {error}"));
        assert_sent("CountTokens", instance, &server.last_received());
        assert_carries("CountTokens' response through the SDK", response, &json!({"inputTokens": tokens}));
    }
}

#[tokio::test]
async fn apply_guardrail() {
    let server = Loopback::start().await;
    let (requests, responses) = instances("ApplyGuardrail");
    for (instance, response) in pairs(&requests, &responses) {
        let request: wire::ApplyGuardrailRequest = parse("ApplyGuardrail's request", instance);
        server.queue(canned("ApplyGuardrail", response));
        let result = server
            .gateway
            .apply_guardrail(&request, &CallOptions::default())
            .await
            .unwrap_or_else(|error| panic!("ApplyGuardrail through the SDK: {error}"));
        assert_sent("ApplyGuardrail", instance, &server.last_received());
        assert_carries("ApplyGuardrail's response through the SDK", response, &json_of(&result));
    }
}

#[tokio::test]
async fn async_invoke() {
    let server = Loopback::start().await;
    let options = CallOptions::default();

    let (requests, responses) = instances("StartAsyncInvoke");
    for (instance, response) in pairs(&requests, &responses) {
        let request: wire::StartAsyncInvokeRequest = parse("StartAsyncInvoke's request", instance);
        server.queue(canned("StartAsyncInvoke", response));
        let result = server.gateway.start_async_invoke(&request, &options).await.expect("StartAsyncInvoke");
        assert_sent("StartAsyncInvoke", instance, &server.last_received());
        assert_carries("StartAsyncInvoke's response through the SDK", response, &json_of(&result));
    }

    let (requests, responses) = instances("GetAsyncInvoke");
    for (instance, response) in pairs(&requests, &responses) {
        server.queue(canned("GetAsyncInvoke", response));
        let arn = instance["invocationArn"].as_str().expect("invocationArn");
        let result = server.gateway.get_async_invoke(arn, &options).await.expect("GetAsyncInvoke");
        assert_sent("GetAsyncInvoke", instance, &server.last_received());
        assert_carries("GetAsyncInvoke's response through the SDK", response, &json_of(&result));
    }

    let (requests, responses) = instances("ListAsyncInvokes");
    for (instance, response) in pairs(&requests, &responses) {
        let request: wire::ListAsyncInvokesRequest = parse("ListAsyncInvokes' request", instance);
        server.queue(canned("ListAsyncInvokes", response));
        let result = server.gateway.list_async_invokes(&request, &options).await.expect("ListAsyncInvokes");
        assert_sent("ListAsyncInvokes", instance, &server.last_received());
        assert_carries("ListAsyncInvokes' response through the SDK", response, &json_of(&result));
    }
}

/// `bedrock/invokeModel`'s request as the gateway takes it (the host's
/// handler fills it from the method's params).
fn invoke_request(instance: &Value) -> InvokeModelRequest {
    let member = |name: &str| instance.get(name).map(text);
    InvokeModelRequest {
        body: decoded(&instance["body"]).into(),
        content_type: member("contentType"),
        accept: member("accept"),
        guardrail_identifier: member("guardrailIdentifier"),
        guardrail_version: member("guardrailVersion"),
        trace: member("trace"),
        performance_config_latency: member("performanceConfigLatency"),
        service_tier: None,
    }
}

#[tokio::test]
async fn invoke_model() {
    let server = Loopback::start().await;
    let (requests, responses) = instances("InvokeModel");
    for (instance, response) in pairs(&requests, &responses) {
        server.queue(canned("InvokeModel", response));
        let model_id = instance["modelId"].as_str().expect("modelId");
        let result = server
            .gateway
            .invoke_model(model_id, invoke_request(instance), &CallOptions::default())
            .await
            .unwrap_or_else(|error| panic!("InvokeModel through the SDK: {error}"));
        assert_sent("InvokeModel", instance, &server.last_received());
        let got = json!({
            "body": BASE64.encode(&result.body),
            "contentType": result.content_type,
            "performanceConfigLatency": result.performance_config_latency,
        });
        assert_carries("InvokeModel's response through the SDK", response, &got);
    }
}

#[tokio::test]
async fn invoke_model_with_response_stream() {
    let server = Loopback::start().await;
    let (requests, responses) = instances("InvokeModelWithResponseStream");
    let (_, output) = model().operation("InvokeModelWithResponseStream");
    let stream_union =
        model().members(&output).into_iter().find(|m| m.name == "body").map(|m| m.target).expect("a body");
    let chunks: Vec<Value> = model().instances(&stream_union);
    for (instance, response) in pairs(&requests, &responses) {
        server.queue(canned("InvokeModelWithResponseStream", response));
        let model_id = instance["modelId"].as_str().expect("modelId");
        let mut stream = server
            .gateway
            .invoke_model_stream(model_id, invoke_request(instance), &CallOptions::default())
            .await
            .unwrap_or_else(|error| panic!("InvokeModelWithResponseStream through the SDK: {error}"));
        assert_sent("InvokeModelWithResponseStream", instance, &server.last_received());
        let mut received = Vec::new();
        while let Some(chunk) = stream.next().await {
            let bytes = chunk.unwrap_or_else(|error| panic!("a chunk: {error}"));
            received.push(json!({"chunk": {"bytes": BASE64.encode(&bytes)}}));
        }
        let mut expected = response.clone();
        expected["body"] = Value::Array(chunks.clone());
        let got = json!({
            "body": received,
            "contentType": stream.content_type,
            "performanceConfigLatency": stream.performance_config_latency,
        });
        assert_carries("InvokeModelWithResponseStream's response through the SDK", &expected, &got);
    }
}
