//! The wire types against Bedrock's Smithy model (`crate::smithy`): every
//! maximal instance of every operation's input and output parses into the
//! type the host speaks it with, and serializes back carrying every member
//! and value. A member missing from a `deny_unknown_fields` type fails to
//! parse; one missing from a tolerant (response) type is dropped and so
//! missing on the way back; a misspelt enum value fails to parse.
//!
//! Where the host deliberately speaks an operation differently from
//! Bedrock's HTTP binding, the test says so next to the operation.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::methods::{
    ConverseParams, ConverseResult, CountTokensParams, CountTokensResult, InvokeModelParams, InvokeModelResult,
    StartAsyncInvokeParams,
};
use super::shapes as wire;
use crate::smithy::{assert_carries, model};

/// Parses `instance` as `T` (naming the JSON path of a failure) and checks
/// that serializing it back carries every member of `instance`.
#[track_caller]
fn round_trip<T: Serialize + DeserializeOwned>(what: &str, instance: &Value) {
    let parsed: T = serde_path_to_error::deserialize(instance.clone()).unwrap_or_else(|error| {
        panic!(
            "{what}: the model's instance does not parse at `{}`: {}\ninstance: {instance}",
            error.path(),
            error.inner()
        )
    });
    assert_carries(what, instance, &serde_json::to_value(&parsed).expect("wire types serialize"));
}

fn instances(operation: &str) -> (Vec<Value>, Vec<Value>) {
    let model = model();
    let (input, output) = model.operation(operation);
    (model.instances(&input), model.instances(&output))
}

#[test]
fn converse() {
    let (requests, responses) = instances("Converse");
    for request in &requests {
        round_trip::<wire::ConverseRequest>("Converse's request as ConverseRequest", request);
        round_trip::<ConverseParams>("Converse's request as bedrock/converse params", request);
    }
    for response in &responses {
        round_trip::<wire::ConverseResponse>("Converse's response as ConverseResponse", response);
        let mut result = response.clone();
        result["costUsd"] = json!(0.5);
        round_trip::<ConverseResult>("Converse's response as bedrock/converse's result", &result);
    }
}

#[test]
fn converse_stream() {
    let (requests, responses) = instances("ConverseStream");
    for request in &requests {
        // ConverseStream's guardrailConfig (with streamProcessingMode) is a GuardrailConfiguration
        // here; bedrock/converse with stream: true sends it as GuardrailStreamConfiguration.
        round_trip::<wire::ConverseRequest>("ConverseStream's request as ConverseRequest", request);
        let mut params = request.clone();
        params["stream"] = json!(true);
        round_trip::<ConverseParams>("ConverseStream's request as bedrock/converse params", &params);
    }
    // The response is its event stream: one ConverseStreamEvent per event (exceptions are errors).
    for response in &responses {
        assert_eq!(response.as_object().map(|members| members.len()), Some(1), "the response is its stream only");
    }
    for event in model().instances("ConverseStreamOutput") {
        round_trip::<wire::ConverseStreamEvent>("a ConverseStream event", &event);
    }
}

#[test]
fn count_tokens() {
    let (requests, responses) = instances("CountTokens");
    for request in &requests {
        round_trip::<CountTokensParams>("CountTokens' request as bedrock/countTokens params", request);
    }
    for response in &responses {
        round_trip::<CountTokensResult>("CountTokens' response as bedrock/countTokens' result", response);
    }
}

#[test]
fn apply_guardrail() {
    let (requests, responses) = instances("ApplyGuardrail");
    for request in &requests {
        round_trip::<wire::ApplyGuardrailRequest>("ApplyGuardrail's request", request);
    }
    for response in &responses {
        round_trip::<wire::ApplyGuardrailResponse>("ApplyGuardrail's response", response);
    }
}

#[test]
fn async_invoke() {
    let (requests, responses) = instances("StartAsyncInvoke");
    for request in &requests {
        round_trip::<wire::StartAsyncInvokeRequest>("StartAsyncInvoke's request", request);
        round_trip::<StartAsyncInvokeParams>("StartAsyncInvoke's request as bedrock/startAsyncInvoke params", request);
    }
    for response in &responses {
        round_trip::<wire::StartAsyncInvokeResponse>("StartAsyncInvoke's response", response);
    }
    let (requests, responses) = instances("GetAsyncInvoke");
    for request in &requests {
        round_trip::<wire::GetAsyncInvokeRequest>("GetAsyncInvoke's request", request);
    }
    for response in &responses {
        round_trip::<wire::GetAsyncInvokeResponse>("GetAsyncInvoke's response", response);
    }
    let (requests, responses) = instances("ListAsyncInvokes");
    for request in &requests {
        round_trip::<wire::ListAsyncInvokesRequest>("ListAsyncInvokes' request", request);
    }
    for response in &responses {
        round_trip::<wire::ListAsyncInvokesResponse>("ListAsyncInvokes' response", response);
    }
}

/// The host carries InvokeModel's model-native body as JSON (bedrock/invokeModel's `body`), not
/// as the base64 of Bedrock's HTTP payload; every other member keeps its name and values.
fn with_json_body(instance: &Value) -> Value {
    let mut instance = instance.clone();
    if instance.get("body").is_some() {
        instance["body"] = json!({"prompt": "model-native JSON"});
    }
    instance
}

#[test]
fn invoke_model() {
    let (requests, responses) = instances("InvokeModel");
    for request in &requests {
        round_trip::<InvokeModelParams>(
            "InvokeModel's request as bedrock/invokeModel params",
            &with_json_body(request),
        );
    }
    for response in &responses {
        round_trip::<InvokeModelResult>(
            "InvokeModel's response as bedrock/invokeModel's result",
            &with_json_body(response),
        );
    }
}

#[test]
fn invoke_model_with_response_stream() {
    let (requests, responses) = instances("InvokeModelWithResponseStream");
    for request in &requests {
        let mut params = with_json_body(request);
        params["stream"] = json!(true);
        round_trip::<InvokeModelParams>(
            "InvokeModelWithResponseStream's request as bedrock/invokeModel params",
            &params,
        );
    }
    // The body is the chunk stream (each chunk an invoke/chunk notification, its bytes parsed as
    // JSON); the other members belong in the result.
    for response in &responses {
        let mut result = response.clone();
        let chunks = result.as_object_mut().and_then(|members| members.remove("body"));
        assert!(chunks.is_some_and(|body| body.get("chunk").is_some()), "the stream's events are chunks");
        result["chunks"] = json!(1);
        round_trip::<InvokeModelResult>(
            "InvokeModelWithResponseStream's response as bedrock/invokeModel's result",
            &result,
        );
    }
}

/// Every operation the host speaks is checked above; a new operation in the model is a decision.
#[test]
fn every_operation_is_checked() {
    let operations: Vec<String> = MODEL_OPERATIONS.iter().map(|name| (*name).to_owned()).collect();
    let mut in_model: Vec<String> = model().operations();
    in_model.retain(|name| !NOT_SPOKEN.iter().any(|(skipped, _)| skipped == name));
    in_model.sort();
    let mut checked = operations.clone();
    checked.sort();
    assert_eq!(in_model, checked, "an operation of the model is neither checked nor listed in NOT_SPOKEN");
}

const MODEL_OPERATIONS: &[&str] = &[
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

/// Operations of the model the host does not offer, and why.
const NOT_SPOKEN: &[(&str, &str)] =
    &[("InvokeModelWithBidirectionalStream", "HTTP/2 bidirectional audio streams; no method of PROTOCOL.md uses it")];
