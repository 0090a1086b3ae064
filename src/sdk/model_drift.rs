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
//! - errors: every exception an operation declares, and every exception
//!   frame of its event stream, reaches the host as `HostError::Bedrock`
//!   under the model's name and HTTP status.
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
use crate::error::{HostError, HostResult};
use crate::protocol::shapes;
use crate::smithy::{HttpBinding, assert_carries, model};

/// One answer.
#[derive(Debug, Clone)]
struct Canned {
    status: u16,
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
    *response.status_mut() = axum::http::StatusCode::from_u16(canned.status).expect("a status");
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
    frame("event", event_type, payload)
}

/// `kind` is `event` or `exception`; `name` the union member.
fn frame(kind: &str, name: &str, payload: &Value) -> Vec<u8> {
    use aws_smithy_types::event_stream::{Header, HeaderValue as FrameValue, Message};
    let name_header = if kind == "event" { ":event-type" } else { ":exception-type" };
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(Header::new(":message-type", FrameValue::String(kind.to_owned().into())))
        .add_header(Header::new(name_header, FrameValue::String(name.to_owned().into())))
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
    Canned { status: 200, headers, body }
}

#[track_caller]
fn json_of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("wire types serialize")
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

/// Runs `operation` through the gateway with the model's input `instance`,
/// and gives back what the host got in the shape of the model's output: a
/// stream's payload member holds every event (or chunk) received, in order.
async fn call(gateway: &BedrockGateway, operation: &str, instance: &Value) -> HostResult<Value> {
    let options = CallOptions::default();
    let model_id = || instance["modelId"].as_str().expect("a modelId");
    Ok(match operation {
        "Converse" => {
            let request: shapes::ConverseRequest = parse("Converse's request", instance);
            json_of(&gateway.converse(&request.model_id, &request, &options).await?)
        }
        "ConverseStream" => {
            let request: shapes::ConverseRequest = parse("ConverseStream's request", instance);
            let mut stream = gateway.converse_stream(&request.model_id, &request, &options).await?;
            let mut events = Vec::new();
            while let Some(event) = stream.next().await {
                events.push(json_of(&event?));
            }
            json!({"stream": events})
        }
        "CountTokens" => {
            let input: shapes::CountTokensInput = parse("CountTokens' input", &instance["input"]);
            json!({"inputTokens": gateway.count_tokens(model_id(), &input, &options).await?})
        }
        "ApplyGuardrail" => {
            let request: shapes::ApplyGuardrailRequest = parse("ApplyGuardrail's request", instance);
            json_of(&gateway.apply_guardrail(&request, &options).await?)
        }
        "StartAsyncInvoke" => {
            let request: shapes::StartAsyncInvokeRequest = parse("StartAsyncInvoke's request", instance);
            json_of(&gateway.start_async_invoke(&request, &options).await?)
        }
        "GetAsyncInvoke" => {
            let arn = instance["invocationArn"].as_str().expect("an invocationArn");
            json_of(&gateway.get_async_invoke(arn, &options).await?)
        }
        "ListAsyncInvokes" => {
            let request: shapes::ListAsyncInvokesRequest = parse("ListAsyncInvokes' request", instance);
            json_of(&gateway.list_async_invokes(&request, &options).await?)
        }
        "InvokeModel" => {
            let result = gateway.invoke_model(model_id(), invoke_request(instance), &options).await?;
            json!({
                "body": BASE64.encode(&result.body),
                "contentType": result.content_type,
                "performanceConfigLatency": result.performance_config_latency,
            })
        }
        "InvokeModelWithResponseStream" => {
            let mut stream = gateway.invoke_model_stream(model_id(), invoke_request(instance), &options).await?;
            let mut chunks = Vec::new();
            while let Some(chunk) = stream.next().await {
                chunks.push(json!({"chunk": {"bytes": BASE64.encode(&chunk?)}}));
            }
            json!({
                "body": chunks,
                "contentType": stream.content_type,
                "performanceConfigLatency": stream.performance_config_latency,
            })
        }
        other => panic!("no gateway call for {other}"),
    })
}

/// The operation's output `instance` as [`call`] should give it back: an
/// event-stream payload holds every instance of its union (what
/// [`canned`] sends).
fn expected(operation: &str, instance: &Value) -> Value {
    let model = model();
    let (_, output) = model.operation(operation);
    let mut expected = instance.clone();
    for member in model.members(&output) {
        if member.http == Some(HttpBinding::Payload) && model.kind(&member.target) == "union" {
            expected[&member.name] = Value::Array(model.instances(&member.target));
        }
    }
    expected
}

/// Every input and output instance of `operation`, through the SDK both ways.
async fn through_the_sdk(operation: &str) {
    let server = Loopback::start().await;
    let (requests, responses) = instances(operation);
    for (instance, response) in pairs(&requests, &responses) {
        server.queue(canned(operation, response));
        let got = call(&server.gateway, operation, instance)
            .await
            .unwrap_or_else(|error| panic!("{operation} through the SDK: {error}"));
        assert_sent(operation, instance, &server.last_received());
        assert_carries(&format!("{operation}'s response through the SDK"), &expected(operation, response), &got);
    }
}

#[tokio::test]
async fn converse() {
    through_the_sdk("Converse").await;
}

#[tokio::test]
async fn converse_stream() {
    through_the_sdk("ConverseStream").await;
}

#[tokio::test]
async fn count_tokens() {
    through_the_sdk("CountTokens").await;
}

#[tokio::test]
async fn apply_guardrail() {
    through_the_sdk("ApplyGuardrail").await;
}

#[tokio::test]
async fn async_invoke() {
    for operation in ["StartAsyncInvoke", "GetAsyncInvoke", "ListAsyncInvokes"] {
        through_the_sdk(operation).await;
    }
}

#[tokio::test]
async fn invoke_model() {
    through_the_sdk("InvokeModel").await;
}

#[tokio::test]
async fn invoke_model_with_response_stream() {
    through_the_sdk("InvokeModelWithResponseStream").await;
}

/// The operations the host speaks (all of the model's but InvokeModelWithBidirectionalStream).
const OPERATIONS: [&str; 9] = [
    "Converse",
    "ConverseStream",
    "CountTokens",
    "ApplyGuardrail",
    "StartAsyncInvoke",
    "GetAsyncInvoke",
    "ListAsyncInvokes",
    "InvokeModel",
    "InvokeModelWithResponseStream",
];

#[track_caller]
fn assert_bedrock_error(what: &str, result: HostResult<Value>, name: &str, status: u16) {
    match result {
        Err(HostError::Bedrock { data, .. }) => {
            assert_eq!((data.bedrock_code.as_str(), data.http_status), (name, status), "{what}")
        }
        other => panic!("{what}: expected Bedrock's {name} ({status}), got {other:?}"),
    }
}

/// Every exception an operation declares, answered with the model's HTTP
/// status, reaches the host under its own name and status; so does every
/// exception frame of the event streams, which arrive after a 200.
#[tokio::test]
async fn every_modelled_exception_keeps_its_name_and_status() {
    let model = model();
    let statuses: std::collections::BTreeMap<String, u16> = model.exceptions().into_iter().collect();
    let server = Loopback::start().await;
    for operation in OPERATIONS {
        let (input, _) = model.operation(operation);
        let instance = model.instances(&input).remove(0);
        for name in model.operation_errors(operation) {
            let status = statuses[&name];
            let (message_member, message) = ("message", format!("{name} from the model drift test"));
            server.queue(Canned {
                status,
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("x-amzn-ErrorType".into(), format!("{name}:http://internal.amazon.com/coral/com.amazon.bedrock/")),
                ],
                body: json!({ message_member: message }).to_string().into_bytes(),
            });
            let result = call(&server.gateway, operation, &instance).await;
            assert_bedrock_error(&format!("{operation} answered {name}"), result, &name, status);
        }
        let (_, output) = model.operation(operation);
        for member in model.members(&output) {
            if member.http != Some(HttpBinding::Payload) || model.kind(&member.target) != "union" {
                continue;
            }
            for (frame_name, exception) in model.union_exceptions(&member.target) {
                let payload = model.instances(&exception).remove(0);
                server.queue(Canned {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/vnd.amazon.eventstream".into())],
                    body: frame("exception", &frame_name, &payload),
                });
                let result = call(&server.gateway, operation, &instance).await;
                let what = format!("{operation}'s stream sent {frame_name}");
                assert_bedrock_error(&what, result, &exception, statuses[&exception]);
            }
        }
    }
}
