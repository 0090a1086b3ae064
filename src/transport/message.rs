//! JSON-RPC 2.0 messages: classifying an incoming body and building outgoing
//! ones. Knows nothing of methods.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::HostError;

/// A JSON-RPC id: a string or a number, as the peer sent it. A number id is
/// accepted only when it is echoed exactly as sent (see [`parse`]): an
/// integer within 64 bits, or a decimal that a double holds digit for digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    Number(serde_json::Number),
    String(String),
}

impl RequestId {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Number(number) => Some(Self::Number(number.clone())),
            Value::String(string) => Some(Self::String(string.clone())),
            _ => None,
        }
    }
}

/// Described by hand: `serde_json::Number` has no schema of its own.
impl schemars::JsonSchema for RequestId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RequestId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A JSON-RPC request id: a number or a string, as the client sent it.",
            "type": ["number", "string"]
        })
    }
}

impl From<i64> for RequestId {
    fn from(number: i64) -> Self {
        Self::Number(number.into())
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(number) => write!(f, "{number}"),
            Self::String(string) => write!(f, "\"{string}\""),
        }
    }
}

/// A JSON-RPC error object as a peer sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// A well-formed incoming message.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Request { id: RequestId, method: String, params: Option<Value> },
    Notification { method: String, params: Option<Value> },
    Response { id: RequestId, result: Result<Value, ErrorObject> },
}

/// Why a body is not a usable message.
#[derive(Debug)]
pub enum Rejected {
    /// Answer with this error; `id` is `None` when no id could be read.
    Answer { id: Option<RequestId>, error: Box<HostError> },
    /// A malformed response or notification: JSON-RPC forbids answering either, so log it.
    Ignore(String),
}

impl Rejected {
    fn answer(id: Option<RequestId>, error: HostError) -> Self {
        Self::Answer { id, error: Box::new(error) }
    }
}

/// Classifies one message body.
pub fn parse(body: &[u8]) -> Result<Incoming, Rejected> {
    let text = std::str::from_utf8(body).map_err(|error| {
        Rejected::answer(
            None,
            HostError::Parse(format!(
                "the message is not valid UTF-8 (bad byte at offset {}); send UTF-8 JSON",
                error.valid_up_to()
            )),
        )
    })?;
    let value: Value = serde_json::from_str(text)
        .map_err(|error| Rejected::answer(None, HostError::Parse(format!("the message is not valid JSON: {error}"))))?;
    check_number_ids(text, &value)?;
    let object = match value {
        Value::Object(object) => object,
        Value::Array(_) => {
            return Err(Rejected::answer(
                None,
                HostError::InvalidRequest("batches are not supported; send each message on its own".into()),
            ));
        }
        other => {
            return Err(Rejected::answer(
                None,
                HostError::InvalidRequest(format!("a JSON-RPC message must be an object, not {}", json_kind(&other))),
            ));
        }
    };
    classify(object)
}

fn classify(mut object: Map<String, Value>) -> Result<Incoming, Rejected> {
    let raw_id = object.remove("id");
    let id = raw_id.as_ref().and_then(RequestId::from_value);
    let is_response = !object.contains_key("method") && (object.contains_key("result") || object.contains_key("error"));
    if is_response {
        return classify_response(object, raw_id, id);
    }
    let invalid = |message: String| Rejected::answer(id.clone(), HostError::InvalidRequest(message));
    match object.get("jsonrpc") {
        Some(Value::String(version)) if version == "2.0" => {}
        Some(other) => return Err(invalid(format!("`jsonrpc` must be \"2.0\", not {other}"))),
        None => return Err(invalid("`jsonrpc` is missing; it must be \"2.0\"".into())),
    }
    let method = match object.remove("method") {
        Some(Value::String(method)) => method,
        Some(other) => return Err(invalid(format!("`method` must be a string, not {}", json_kind(&other)))),
        None => {
            return Err(invalid(
                "the message has neither `method` (a request or notification) nor `result`/`error` (a response)".into(),
            ));
        }
    };
    let params = match object.remove("params") {
        // LSP clients send `"params": null` for `shutdown` and `exit`; it means none.
        None | Some(Value::Null) => None,
        Some(params @ (Value::Object(_) | Value::Array(_))) => Some(params),
        Some(other) => {
            return Err(invalid(format!(
                "`params` of `{method}` must be an object or an array, not {}",
                json_kind(&other)
            )));
        }
    };
    match (raw_id, id) {
        (None, _) => Ok(Incoming::Notification { method, params }),
        (Some(_), Some(id)) => Ok(Incoming::Request { id, method, params }),
        (Some(raw), None) => Err(Rejected::answer(
            None,
            HostError::InvalidRequest(format!(
                "`id` of `{method}` must be a string or a number, not {}",
                json_kind(&raw)
            )),
        )),
    }
}

/// A response from the client: the answer to one of the host's requests. The
/// id decides, not the rest of the envelope: an answer without `jsonrpc`, with
/// both `result` and `error`, or with an `error` that is not a JSON-RPC error
/// object is still the answer (an error if it has a non-null `error`), so the
/// request waiting for it ends now, with whatever the client said, rather than
/// at its timeout. Only an answer whose id cannot be read is ignored.
fn classify_response(
    mut object: Map<String, Value>,
    raw_id: Option<Value>,
    id: Option<RequestId>,
) -> Result<Incoming, Rejected> {
    let Some(id) = id else {
        let error = object.get("error").map(Value::to_string).unwrap_or_default();
        return Err(Rejected::Ignore(format!(
            "a response with id {} (the client could not read one of our messages?) {error}",
            raw_id.map_or_else(|| "missing".to_string(), |raw| raw.to_string())
        )));
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        tracing::debug!(%id, "a response without `jsonrpc: \"2.0\"`; taken as the answer all the same");
    }
    let result = match (object.remove("result"), object.remove("error")) {
        (result, None | Some(Value::Null)) => Ok(result.unwrap_or(Value::Null)),
        (result, Some(error)) => {
            if result.is_some() {
                tracing::debug!(%id, "a response with both `result` and `error`; the error wins");
            }
            Err(ErrorObject::from_answer(error))
        }
    };
    Ok(Incoming::Response { id, result })
}

impl ErrorObject {
    /// The error a client's `error` member means, however it is shaped: a
    /// JSON-RPC error object as it is; otherwise an integer code when one can
    /// be read (else -32603), and as the message whatever text it carries (its
    /// `message`, else its `data`, else the member itself as JSON).
    pub fn from_answer(error: Value) -> ErrorObject {
        if let Ok(object) = serde_json::from_value::<ErrorObject>(error.clone()) {
            return object;
        }
        let code = match error.get("code") {
            Some(Value::Number(number)) => {
                number.as_i64().or_else(|| number.as_f64().filter(|f| f.is_finite()).map(|f| f.trunc() as i64))
            }
            Some(Value::String(text)) => text.trim().parse::<i64>().ok(),
            _ => None,
        }
        .unwrap_or(crate::error::code::INTERNAL_ERROR);
        let text = |value: Option<&Value>| match value {
            Some(Value::String(text)) if !text.trim().is_empty() => Some(text.clone()),
            _ => None,
        };
        let message = match &error {
            Value::String(text) => text.clone(),
            Value::Object(members) => {
                text(members.get("message")).or_else(|| text(members.get("data"))).unwrap_or_else(|| error.to_string())
            }
            other => other.to_string(),
        };
        let data = error.get("data").cloned();
        ErrorObject { code, message, data }
    }
}

/// Refuses a number id (of a request, or of the request a `$/cancelRequest`
/// names) that would not be echoed exactly as sent. serde_json reads a number
/// outside the 64-bit integers, or one with a fraction or an exponent, as a
/// double: `18446744073709551616` and `18446744073709551617` would both come
/// back as `1.8446744073709552e+19`, and collide. Only such doubles are looked
/// at again, in the raw text; other ids pass untouched.
fn check_number_ids(text: &str, value: &Value) -> Result<(), Rejected> {
    use serde_json::value::RawValue;

    #[derive(Deserialize)]
    struct RawId<'a> {
        #[serde(borrow, default)]
        id: Option<&'a RawValue>,
    }
    #[derive(Deserialize)]
    struct RawCancel<'a> {
        #[serde(borrow, default)]
        params: Option<RawId<'a>>,
    }

    let inexact = |id: &&Value| matches!(id, Value::Number(n) if n.is_f64());
    // How the number is written back (a double's shortest form) against how it was sent.
    let echoes_exactly = |number: &Value, raw: Option<&RawValue>| {
        let written = number.to_string();
        raw.is_some_and(|raw| raw.get() == written.as_str())
    };
    let Value::Object(object) = value else { return Ok(()) };
    if let Some(id) = object.get("id").filter(inexact) {
        let raw = serde_json::from_str::<RawId<'_>>(text).ok().and_then(|raw| raw.id);
        if !echoes_exactly(id, raw) {
            let sent = raw.map_or_else(|| id.to_string(), |raw| raw.get().to_string());
            let error = HostError::InvalidRequest(format!(
                "id {sent} cannot be echoed exactly as sent: it is outside the 64-bit integers, or has more digits \
                 than a double holds. Use a string id, or an integer from {} to {}",
                i64::MIN,
                u64::MAX
            ));
            if object.contains_key("method") {
                return Err(Rejected::answer(None, error));
            }
            return Err(Rejected::Ignore(format!("a response with id {sent}, which no request of ours has")));
        }
    }
    if object.get("method").and_then(Value::as_str) == Some(super::rpc::CANCEL_REQUEST) && !object.contains_key("id") {
        let params = object.get("params").and_then(Value::as_object);
        if let Some(id) = params.and_then(|params| params.get("id")).filter(inexact) {
            let raw = serde_json::from_str::<RawCancel<'_>>(text).ok().and_then(|raw| raw.params).and_then(|p| p.id);
            if !echoes_exactly(id, raw) {
                let sent = raw.map_or_else(|| id.to_string(), |raw| raw.get().to_string());
                return Err(Rejected::Ignore(format!(
                    "a $/cancelRequest for id {sent}, which no request can have (such ids are refused)"
                )));
            }
        }
    }
    Ok(())
}

/// "a string", "an array", … for error messages.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The body of a success response.
pub fn success(id: &RequestId, result: Value) -> Vec<u8> {
    to_bytes(&json!({ "jsonrpc": "2.0", "id": id, "result": result }))
}

/// The body of an error response; `id` is null when the request's id is unknown.
pub fn failure(id: Option<&RequestId>, error: &HostError) -> Vec<u8> {
    to_bytes(&json!({ "jsonrpc": "2.0", "id": id, "error": error.to_error_object() }))
}

/// The body of a request from the host.
pub fn request(id: &RequestId, method: &str, params: Value) -> Vec<u8> {
    to_bytes(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
}

/// The body of a notification from the host.
pub fn notification(method: &str, params: Value) -> Vec<u8> {
    to_bytes(&json!({ "jsonrpc": "2.0", "method": method, "params": params }))
}

/// The body of a notification, serialized straight from `params` with no `Value` in between:
/// every stream event takes this path, and building a `Value` map per event was a tenth of the
/// host's forwarding time (BENCHMARKS.md, "Findings").
pub fn notification_from(method: &str, params: &impl Serialize) -> serde_json::Result<Vec<u8>> {
    #[derive(Serialize)]
    struct Notification<'a, P> {
        jsonrpc: &'static str,
        method: &'a str,
        params: &'a P,
    }
    serde_json::to_vec(&Notification { jsonrpc: "2.0", method, params })
}

fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a serde_json::Value always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::code;

    #[test]
    fn notification_from_params_is_the_notification_of_their_json() {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Params {
            request_id: i64,
            event: Value,
        }
        let params = Params { request_id: 7, event: json!({"contentBlockDelta": {"delta": {"text": "a\"b"}}}) };
        let direct: Value = serde_json::from_slice(&notification_from("converse/event", &params).unwrap()).unwrap();
        let via_value: Value =
            serde_json::from_slice(&notification("converse/event", serde_json::to_value(&params).unwrap())).unwrap();
        assert_eq!(direct, via_value);
        assert_eq!(direct["params"]["event"]["contentBlockDelta"]["delta"]["text"], "a\"b");
    }

    fn answer(body: &str) -> (Option<RequestId>, i64) {
        match parse(body.as_bytes()) {
            Err(Rejected::Answer { id, error }) => (id, error.code()),
            other => panic!("{body}: expected an error answer, got {other:?}"),
        }
    }

    #[test]
    fn classifies_the_three_kinds() {
        assert_eq!(
            parse(br#"{"jsonrpc":"2.0","id":"a","method":"m","params":{}}"#).unwrap(),
            Incoming::Request { id: RequestId::String("a".into()), method: "m".into(), params: Some(json!({})) }
        );
        assert_eq!(
            parse(br#"{"jsonrpc":"2.0","method":"n"}"#).unwrap(),
            Incoming::Notification { method: "n".into(), params: None }
        );
        assert_eq!(
            parse(br#"{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"no"}}"#).unwrap(),
            Incoming::Response { id: 7.into(), result: Err(ErrorObject { code: 1, message: "no".into(), data: None }) }
        );
    }

    #[test]
    fn invalid_messages_get_the_right_code_and_id() {
        assert_eq!(answer("{"), (None, code::PARSE_ERROR));
        assert_eq!(answer("[]"), (None, code::INVALID_REQUEST));
        assert_eq!(answer("3"), (None, code::INVALID_REQUEST));
        assert_eq!(answer(r#"{"jsonrpc":"1.0","id":3,"method":"m"}"#), (Some(3.into()), code::INVALID_REQUEST));
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":null,"method":"m"}"#), (None, code::INVALID_REQUEST));
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":[1],"method":"m"}"#), (None, code::INVALID_REQUEST));
        assert_eq!(
            answer(r#"{"jsonrpc":"2.0","id":1,"params":3,"method":"m"}"#),
            (Some(1.into()), code::INVALID_REQUEST)
        );
        assert!(
            matches!(parse(b"\xff"), Err(Rejected::Answer { id: None, error }) if matches!(*error, HostError::Parse(_)))
        );
    }

    #[test]
    fn number_ids_are_accepted_only_when_they_echo_exactly() {
        for id in ["0", "-9223372036854775808", "18446744073709551615", "1.5", "0.1", "1.8446744073709552e+19"] {
            let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"m"}}"#);
            let Ok(Incoming::Request { id: parsed, .. }) = parse(body.as_bytes()) else { panic!("{body}") };
            assert_eq!(
                success(&parsed, Value::Null),
                format!(r#"{{"id":{id},"jsonrpc":"2.0","result":null}}"#).into_bytes()
            );
        }
        for id in ["18446744073709551616", "18446744073709551617", "-9223372036854775809", "1e2", "1.50", "-0", "1E+2"]
        {
            let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"m"}}"#);
            let (answered, code) = answer(&body);
            assert_eq!((answered, code), (None, code::INVALID_REQUEST), "{body}");
            let Err(Rejected::Answer { error, .. }) = parse(body.as_bytes()) else { unreachable!() };
            assert!(error.to_string().contains(&format!("id {id} cannot be echoed exactly")), "{error}");
            let cancel = format!(r#"{{"jsonrpc":"2.0","method":"$/cancelRequest","params":{{"id":{id}}}}}"#);
            assert!(matches!(parse(cancel.as_bytes()), Err(Rejected::Ignore(_))), "{cancel}");
            let response = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":1}}"#);
            assert!(matches!(parse(response.as_bytes()), Err(Rejected::Ignore(_))), "{response}");
        }
        assert!(matches!(
            parse(br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1.5}}"#),
            Ok(Incoming::Notification { .. })
        ));
    }

    #[test]
    fn a_response_without_a_readable_id_is_ignored() {
        assert!(matches!(
            parse(br#"{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}"#),
            Err(Rejected::Ignore(_))
        ));
        assert!(matches!(parse(br#"{"jsonrpc":"2.0","result":1}"#), Err(Rejected::Ignore(_))));
    }

    fn answer_to(body: &str) -> Result<Value, ErrorObject> {
        match parse(body.as_bytes()) {
            Ok(Incoming::Response { id, result }) => {
                assert_eq!(id, RequestId::from(1), "{body}");
                result
            }
            other => panic!("{body}: expected the response to 1, got {other:?}"),
        }
    }

    #[test]
    fn any_answer_with_a_readable_id_is_the_answer() {
        let error = |code: i64, message: &str, data: Option<Value>| ErrorObject { code, message: message.into(), data };
        assert_eq!(answer_to(r#"{"id":1,"result":{"content":"x"}}"#), Ok(json!({"content": "x"})));
        assert_eq!(answer_to(r#"{"jsonrpc":"1.0","id":1,"result":2}"#), Ok(json!(2)));
        assert_eq!(answer_to(r#"{"jsonrpc":"2.0","id":1,"result":3,"error":null}"#), Ok(json!(3)));
        assert_eq!(answer_to(r#"{"jsonrpc":"2.0","id":1,"error":null}"#), Ok(Value::Null));
        assert_eq!(answer_to(r#"{"id":1,"error":{"code":5,"message":"m"}}"#), Err(error(5, "m", None)));
        assert_eq!(
            answer_to(r#"{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":2,"message":"both"}}"#),
            Err(error(2, "both", None))
        );
        assert_eq!(
            answer_to(r#"{"jsonrpc":"2.0","id":1,"error":{"code":"E1","message":"s"}}"#),
            Err(error(-32603, "s", None))
        );
        assert_eq!(
            answer_to(r#"{"jsonrpc":"2.0","id":1,"error":{"code":"12","message":"s"}}"#),
            Err(error(12, "s", None))
        );
        assert_eq!(
            answer_to(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-3.5,"message":"f"}}"#),
            Err(error(-3, "f", None))
        );
        assert_eq!(
            answer_to(r#"{"jsonrpc":"2.0","id":1,"error":{"code":1,"data":"in data"}}"#),
            Err(error(1, "in data", Some(json!("in data"))))
        );
        assert_eq!(
            answer_to(r#"{"jsonrpc":"2.0","id":1,"error":{"why":"x"}}"#),
            Err(error(-32603, r#"{"why":"x"}"#, None))
        );
        assert_eq!(answer_to(r#"{"jsonrpc":"2.0","id":1,"error":"bare"}"#), Err(error(-32603, "bare", None)));
        assert_eq!(answer_to(r#"{"jsonrpc":"2.0","id":1,"error":{}}"#), Err(error(-32603, "{}", None)));
    }

    /// A JSON value shaped like a message, with every member present or not, valid or not.
    fn message_like() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let id = prop_oneof![Just(json!(1)), Just(json!("a")), Just(json!(null)), Just(json!([1])), Just(json!(1.5))];
        let method = prop_oneof![Just(json!("m")), Just(json!("")), Just(json!(7)), Just(json!("$/cancelRequest"))];
        let any = prop_oneof![Just(json!({})), Just(json!([])), Just(json!("x")), Just(json!(null)), Just(json!(0))];
        let error = prop_oneof![Just(json!({"code": 1, "message": "m"})), Just(json!({"code": "x"})), Just(json!(1))];
        let jsonrpc = prop_oneof![Just(json!("2.0")), Just(json!("1.0")), Just(json!(2))];
        (
            proptest::option::of(jsonrpc),
            proptest::option::of(id),
            proptest::option::of(method),
            proptest::option::of(any.clone()),
            proptest::option::of(any),
            proptest::option::of(error),
        )
            .prop_map(|(jsonrpc, id, method, params, result, error)| {
                let members = [
                    ("jsonrpc", jsonrpc),
                    ("id", id),
                    ("method", method),
                    ("params", params),
                    ("result", result),
                    ("error", error),
                ];
                Value::Object(members.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect())
            })
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..512)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn message_like_objects_are_classified_or_rejected_without_panicking(message in message_like()) {
            let body = serde_json::to_vec(&message).unwrap();
            if let Err(Rejected::Answer { error, .. }) = parse(&body) {
                proptest::prop_assert!([code::PARSE_ERROR, code::INVALID_REQUEST].contains(&error.code()), "{error}");
            }
        }
    }
}
