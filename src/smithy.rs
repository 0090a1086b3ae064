//! Bedrock Runtime's Smithy model (`schemas/aws-models/bedrock-runtime.json`,
//! the file the AWS SDKs are generated from), read by the drift tests: the
//! one source of truth the host's three hand-written views of Bedrock's
//! shapes are checked against (ARCHITECTURE.md, "Bedrock's shapes: one
//! source of truth").
//!
//! - `protocol::model_drift`: every maximal instance of every operation's
//!   input and output parses into the wire types and serializes back intact.
//! - `sdk::model_drift`: the same instances through the SDK conversions and
//!   the real SDK over loopback HTTP, both ways.
//! - `emulator::validation`'s tests: its union and enum lists equal the
//!   model's, and the emulator accepts every maximal request over HTTP.
//!
//! Test-only, and it imports nothing of this crate, so the emulator's tests
//! may use it without the emulator depending on the host's types.
//!
//! A *maximal instance* sets every member of every structure, including the
//! optional ones. Unions make several instances, one per member (enums one
//! per value, booleans both); a structure gets as many instances as its most
//! varied member, and a list or map holds every instance of its element at
//! once, so a handful of instances per operation exercise every union member
//! and every enum value the operation can reach. Strings without a pattern
//! hold their member's name and numbers derive from it, so a conversion that
//! swaps two members is caught as surely as one that drops a member.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

const NAMESPACE: &str = "com.amazonaws.bedrockruntime#";
const PRELUDE: &str = "smithy.api#";
const MODEL_JSON: &str = include_str!("../schemas/aws-models/bedrock-runtime.json");

/// Sample values for the model's string shapes that carry a pattern; each is
/// checked against its pattern and length when used, so a model update that
/// tightens one fails here by name.
const PATTERNED_SAMPLES: &[(&str, &str)] = &[
    // A model that offers prompt caching: the maximal Converse request carries cache points.
    ("ConversationalModelId", "anthropic.claude-3-5-haiku-20241022-v1:0"),
    ("InvokeModelIdentifier", "anthropic.claude-3-haiku-20240307-v1:0"),
    ("FoundationModelVersionIdentifier", "anthropic.claude-3-haiku-20240307-v1:0"),
    ("AsyncInvokeIdentifier", "amazon.nova-reel-v1:0"),
    ("S3Uri", "s3://amzn-bucket/prefix/key"),
    ("AccountId", "123456789012"),
    ("ToolUseId", "tooluse_1"),
    ("ToolName", "get_weather"),
    ("GuardrailIdentifier", "gr1abc"),
    ("GuardrailVersion", "1"),
    ("AsyncInvokeIdempotencyToken", "token-1"),
    ("KmsKeyId", "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012"),
    ("TagKey", "tag-key"),
    ("TagValue", "tag-value"),
    ("InvocationArn", "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdef123456"),
    ("AsyncInvokeArn", "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0"),
    ("PaginationToken", "next-token"),
    ("InvokedModelId", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"),
    ("AutomatedReasoningRuleIdentifier", "abcdef123456"),
    (
        "GuardrailAutomatedReasoningPolicyVersionArn",
        "arn:aws:bedrock:us-east-1:123456789012:automated-reasoning-policy/abcdef123456:1",
    ),
    ("NonBlankString", "message"),
];

/// Where an operation's member travels in Bedrock's HTTP API when it is not
/// a member of the JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HttpBinding {
    /// A path segment (`/model/{modelId}/converse`).
    Label,
    /// A header, by name.
    Header(String),
    /// A query parameter, by name.
    Query(String),
    /// The whole body (a blob or an event stream).
    Payload,
}

/// One member of a structure or union.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub name: String,
    /// The target shape's name without the namespace (`ContentBlock`,
    /// `String` for the prelude's `smithy.api#String`).
    pub target: String,
    pub http: Option<HttpBinding>,
}

/// The parsed model.
pub(crate) struct Model {
    shapes: Map<String, Value>,
}

/// The vendored model, parsed once.
pub(crate) fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let mut document: Value = serde_json::from_str(MODEL_JSON).expect("the vendored Smithy model is JSON");
        let Some(Value::Object(shapes)) = document.get_mut("shapes").map(Value::take) else {
            panic!("the vendored Smithy model has no `shapes`");
        };
        Model { shapes }
    })
}

fn short(id: &str) -> &str {
    id.strip_prefix(NAMESPACE).or_else(|| id.strip_prefix(PRELUDE)).unwrap_or(id)
}

/// A small number derived from a name, stable across runs.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

impl Model {
    /// The shape named `name` (without the namespace).
    fn shape(&self, name: &str) -> &Value {
        self.shapes
            .get(&format!("{NAMESPACE}{name}"))
            .unwrap_or_else(|| panic!("the Smithy model has no shape `{name}`"))
    }

    fn is_prelude(&self, name: &str) -> bool {
        !self.shapes.contains_key(&format!("{NAMESPACE}{name}"))
    }

    /// `structure`, `union`, `enum`, `list`, `map`, `string`, `integer`, …
    /// (the prelude's simple shapes in lower case: `string`, `document`, …).
    pub fn kind(&self, name: &str) -> String {
        if self.is_prelude(name) {
            return match name {
                "PrimitiveBoolean" => "boolean".to_owned(),
                "PrimitiveInteger" => "integer".to_owned(),
                "PrimitiveLong" => "long".to_owned(),
                "PrimitiveFloat" => "float".to_owned(),
                "PrimitiveDouble" => "double".to_owned(),
                other => other.to_ascii_lowercase(),
            };
        }
        self.shape(name)["type"].as_str().unwrap_or_default().to_owned()
    }

    fn traits(&self, name: &str) -> Option<&Map<String, Value>> {
        if self.is_prelude(name) { None } else { self.shape(name)["traits"].as_object() }
    }

    fn has_trait(&self, name: &str, smithy_trait: &str) -> bool {
        self.traits(name).is_some_and(|traits| traits.contains_key(&format!("{PRELUDE}{smithy_trait}")))
    }

    /// The names of every operation.
    pub fn operations(&self) -> Vec<String> {
        self.shapes
            .iter()
            .filter(|(_, shape)| shape["type"] == "operation")
            .map(|(id, _)| short(id).to_owned())
            .collect()
    }

    /// The input and output structures of an operation.
    pub fn operation(&self, name: &str) -> (String, String) {
        let operation = self.shape(name);
        assert_eq!(operation["type"], "operation", "`{name}` is not an operation");
        let target = |io: &str| short(operation[io]["target"].as_str().unwrap_or_default()).to_owned();
        (target("input"), target("output"))
    }

    /// An operation's HTTP method and URI template (`POST`, `/model/{modelId}/converse`).
    pub fn http(&self, operation: &str) -> (String, String) {
        let http = &self.shape(operation)["traits"][format!("{PRELUDE}http")];
        let text =
            |key: &str| http[key].as_str().unwrap_or_else(|| panic!("`{operation}` has no HTTP {key}")).to_owned();
        (text("method"), text("uri"))
    }

    /// The members of a structure or union, by name.
    pub fn members(&self, name: &str) -> Vec<Member> {
        let Some(members) = self.shape(name)["members"].as_object() else {
            return Vec::new();
        };
        members
            .iter()
            .map(|(member_name, member)| {
                let traits = member["traits"].as_object();
                let has = |t: &str| traits.is_some_and(|traits| traits.contains_key(&format!("{PRELUDE}{t}")));
                let text =
                    |t: &str| traits.and_then(|traits| traits.get(&format!("{PRELUDE}{t}"))).and_then(Value::as_str);
                let http = if has("httpLabel") {
                    Some(HttpBinding::Label)
                } else if let Some(header) = text("httpHeader") {
                    Some(HttpBinding::Header(header.to_owned()))
                } else if let Some(query) = text("httpQuery") {
                    Some(HttpBinding::Query(query.to_owned()))
                } else if has("httpPayload") {
                    Some(HttpBinding::Payload)
                } else {
                    None
                };
                Member {
                    name: member_name.clone(),
                    target: short(member["target"].as_str().unwrap_or_default()).to_owned(),
                    http,
                }
            })
            .collect()
    }

    /// Whether a union member is an exception (an event stream's error
    /// frame, which every SDK surfaces as an error rather than an event).
    pub fn is_error(&self, name: &str) -> bool {
        !self.is_prelude(name) && self.has_trait(name, "error")
    }

    /// Every exception of the model with its HTTP status (`ThrottlingException`, 429).
    pub fn exceptions(&self) -> Vec<(String, u16)> {
        let mut exceptions: Vec<(String, u16)> = self
            .shapes
            .iter()
            .filter(|(_, shape)| shape["traits"].get(format!("{PRELUDE}error")).is_some())
            .map(|(id, shape)| {
                let status = shape["traits"][format!("{PRELUDE}httpError")].as_u64().unwrap_or(0);
                (short(id).to_owned(), u16::try_from(status).unwrap_or(0))
            })
            .collect();
        exceptions.sort();
        exceptions
    }

    /// The exceptions an operation declares.
    pub fn operation_errors(&self, operation: &str) -> Vec<String> {
        self.shape(operation)["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|error| error["target"].as_str().map(|target| short(target).to_owned()))
            .collect()
    }

    /// A union's exception members: `(member name, exception shape)`.
    pub fn union_exceptions(&self, name: &str) -> Vec<(String, String)> {
        self.members(name).into_iter().filter(|m| self.is_error(&m.target)).map(|m| (m.name, m.target)).collect()
    }

    /// A union's member names, exceptions left out.
    pub fn union_members(&self, name: &str) -> Vec<String> {
        assert_eq!(self.kind(name), "union", "`{name}` is not a union");
        self.members(name).into_iter().filter(|m| !self.is_error(&m.target)).map(|m| m.name).collect()
    }

    /// An enum's wire values, by member name.
    pub fn enum_values(&self, name: &str) -> Vec<String> {
        assert_eq!(self.kind(name), "enum", "`{name}` is not an enum");
        self.shape(name)["members"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(member_name, member)| {
                member["traits"][format!("{PRELUDE}enumValue")].as_str().unwrap_or(member_name).to_owned()
            })
            .collect()
    }

    /// The element shape of a list.
    pub fn list_member(&self, name: &str) -> String {
        short(self.shape(name)["member"]["target"].as_str().unwrap_or_default()).to_owned()
    }

    /// Every structure, union and enum reachable from `roots` (unions'
    /// exception members left out), each once, in the order first met.
    pub fn reachable(&self, roots: &[&str]) -> Vec<String> {
        fn walk(model: &Model, name: &str, seen: &mut Vec<String>) {
            if model.is_prelude(name) || seen.iter().any(|known| known == name) {
                return;
            }
            seen.push(name.to_owned());
            let shape = model.shape(name);
            let mut targets: Vec<String> = Vec::new();
            for member in model.members(name) {
                if !(model.kind(name) == "union" && model.is_error(&member.target)) {
                    targets.push(member.target);
                }
            }
            for key in ["member", "key", "value"] {
                if let Some(target) = shape[key]["target"].as_str() {
                    targets.push(short(target).to_owned());
                }
            }
            for target in targets {
                walk(model, &target, seen);
            }
        }
        let mut seen = Vec::new();
        for root in roots {
            walk(self, root, &mut seen);
        }
        seen.retain(|name| matches!(self.kind(name).as_str(), "structure" | "union" | "enum"));
        seen
    }

    /// Maximal instances of a shape (see the module docs): every member set,
    /// and together every union member and every enum value reachable.
    pub fn instances(&self, name: &str) -> Vec<Value> {
        self.instances_in(name, &[], name, &mut Vec::new())
    }

    /// `context` is the member name the value is for; `member_traits` the
    /// member's own traits (ranges live on members as often as on shapes).
    fn instances_in(
        &self,
        name: &str,
        member_traits: &[&Map<String, Value>],
        context: &str,
        stack: &mut Vec<String>,
    ) -> Vec<Value> {
        if stack.iter().any(|open| open == name) && !self.is_prelude(name) {
            panic!(
                "the Smithy model's `{name}` is recursive ({}); the instance generator needs a depth limit",
                stack.join(" → ")
            );
        }
        let mut traits: Vec<&Map<String, Value>> = member_traits.to_vec();
        traits.extend(self.traits(name));
        let find = |t: &str| traits.iter().find_map(|traits| traits.get(&format!("{PRELUDE}{t}")));
        let hash = name_hash(context);
        let bounded = |default: i64| -> i64 {
            let range = find("range");
            let low = range.and_then(|r| r["min"].as_i64()).unwrap_or(i64::MIN);
            let high = range.and_then(|r| r["max"].as_i64()).unwrap_or(i64::MAX);
            default.clamp(low, high)
        };
        match self.kind(name).as_str() {
            "string" => vec![Value::String(self.sample_string(name, context, find("length")))],
            "boolean" => vec![Value::Bool(true), Value::Bool(false)],
            "integer" | "long" | "short" | "byte" => vec![json!(bounded(1 + (hash % 97) as i64))],
            "float" | "double" => vec![json!([0.25, 0.5, 0.75][(hash % 3) as usize])],
            "blob" => vec![Value::String(BASE64.encode(context.as_bytes()))],
            "timestamp" => vec![Value::String(format!("2025-01-02T03:{:02}:{:02}Z", hash % 60, (hash / 60) % 60))],
            "document" => vec![json!({"member": context, "numbers": [1, 2.5], "nested": {"ok": true}})],
            "enum" => self.enum_values(name).into_iter().map(Value::String).collect(),
            "list" => {
                let element = self.list_member(name);
                stack.push(name.to_owned());
                let items = self.instances_in(&element, &[], context, stack);
                stack.pop();
                vec![Value::Array(items)]
            }
            "map" => {
                let shape = self.shape(name);
                let value = short(shape["value"]["target"].as_str().unwrap_or_default()).to_owned();
                stack.push(name.to_owned());
                let values = self.instances_in(&value, &[], context, stack);
                stack.pop();
                let entries: Map<String, Value> =
                    values.into_iter().enumerate().map(|(i, value)| (format!("{context}Key{i}"), value)).collect();
                vec![Value::Object(entries)]
            }
            "structure" => {
                stack.push(name.to_owned());
                let members: Vec<(String, Vec<Value>)> = self.shape(name)["members"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(member_name, member)| {
                        let target = short(member["target"].as_str().unwrap_or_default());
                        let own: Vec<&Map<String, Value>> = member["traits"].as_object().into_iter().collect();
                        (member_name.clone(), self.instances_in(target, &own, member_name, stack))
                    })
                    .collect();
                stack.pop();
                let count = members.iter().map(|(_, values)| values.len()).max().unwrap_or(1).max(1);
                (0..count)
                    .map(|i| {
                        Value::Object(
                            members
                                .iter()
                                .map(|(member_name, values)| (member_name.clone(), values[i % values.len()].clone()))
                                .collect(),
                        )
                    })
                    .collect()
            }
            "union" => {
                stack.push(name.to_owned());
                let mut all = Vec::new();
                for (member_name, member) in self.shape(name)["members"].as_object().into_iter().flatten() {
                    let target = short(member["target"].as_str().unwrap_or_default());
                    if self.is_error(target) {
                        continue;
                    }
                    let own: Vec<&Map<String, Value>> = member["traits"].as_object().into_iter().collect();
                    for value in self.instances_in(target, &own, member_name, stack) {
                        all.push(json!({ member_name.as_str(): value }));
                    }
                }
                stack.pop();
                all
            }
            other => panic!("the instance generator does not know Smithy `{other}` shapes (`{name}`)"),
        }
    }

    fn sample_string(&self, name: &str, context: &str, length: Option<&Value>) -> String {
        let pattern =
            self.traits(name).and_then(|traits| traits.get(&format!("{PRELUDE}pattern"))).and_then(Value::as_str);
        let Some(pattern) = pattern else {
            return context.to_owned();
        };
        let sample = PATTERNED_SAMPLES
            .iter()
            .find(|(shape, _)| *shape == name)
            .map(|(_, sample)| (*sample).to_owned())
            .unwrap_or_else(|| {
                panic!("string shape `{name}` has the pattern {pattern:?}; add a sample to PATTERNED_SAMPLES")
            });
        let regex = regex::Regex::new(pattern).unwrap_or_else(|error| panic!("`{name}`'s pattern: {error}"));
        assert!(regex.is_match(&sample), "the sample {sample:?} does not match `{name}`'s pattern {pattern:?}");
        if let Some(length) = length {
            let chars = sample.chars().count() as u64;
            assert!(
                length["min"].as_u64().is_none_or(|min| chars >= min)
                    && length["max"].as_u64().is_none_or(|max| chars <= max),
                "the sample {sample:?} breaks `{name}`'s length {length}"
            );
        }
        sample
    }
}

/// Where `actual` fails to carry `expected`: each member of `expected`
/// missing from `actual` or holding a different value, by JSON path.
/// Members only `actual` has are not differences (the host may know more
/// than the model); numbers compare by value (`1` equals `1.0`).
pub(crate) fn missing_from(expected: &Value, actual: &Value) -> Vec<String> {
    fn walk(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
        match (expected, actual) {
            (Value::Object(expected), Value::Object(actual)) => {
                for (key, value) in expected {
                    let path = format!("{path}.{key}");
                    match actual.get(key) {
                        None => out.push(format!("{path} is missing")),
                        Some(found) => walk(&path, value, found, out),
                    }
                }
            }
            (Value::Array(expected), Value::Array(actual)) if expected.len() == actual.len() => {
                for (index, (value, found)) in expected.iter().zip(actual).enumerate() {
                    walk(&format!("{path}[{index}]"), value, found, out);
                }
            }
            (Value::Array(expected), Value::Array(actual)) => {
                out.push(format!("{path} has {} items instead of {}", actual.len(), expected.len()));
            }
            (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
            _ if expected == actual => {}
            _ => out.push(format!("{path} is {actual} instead of {expected}")),
        }
    }
    let mut out = Vec::new();
    walk("$", expected, actual, &mut out);
    out
}

/// Panics listing every difference [`missing_from`] finds.
#[track_caller]
pub(crate) fn assert_carries(what: &str, expected: &Value, actual: &Value) {
    let differences = missing_from(expected, actual);
    assert!(
        differences.is_empty(),
        "{what} does not carry the model's instance:\n  {}\ninstance: {expected}\ngot: {actual}",
        differences.join("\n  ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_model_is_the_documented_file() {
        // schemas/aws-models/README.md gives this size; a changed file must update it.
        assert_eq!(MODEL_JSON.len(), 346_325, "update schemas/aws-models/README.md with the new size and sha256");
        let (input, output) = model().operation("Converse");
        assert_eq!((input.as_str(), output.as_str()), ("ConverseRequest", "ConverseResponse"));
    }

    #[test]
    fn maximal_instances_cover_every_union_member_and_enum_value() {
        let model = model();
        let instances = model.instances("ConverseRequest");
        let text = serde_json::to_string(&instances).unwrap();
        for union in ["ContentBlock", "ToolResultContentBlock", "DocumentSource", "Tool", "ToolChoice"] {
            for member in model.union_members(union) {
                assert!(text.contains(&format!("\"{member}\":")), "{union}.{member} never appears");
            }
        }
        for value in model.enum_values("DocumentFormat").into_iter().chain(model.enum_values("GuardrailTrace")) {
            assert!(text.contains(&format!("\"{value}\"")), "{value} never appears");
        }
        let first = &instances[0];
        assert_eq!(first["modelId"], "anthropic.claude-3-5-haiku-20241022-v1:0");
        assert_eq!(first["toolConfig"]["toolChoice"], json!({"any": {}}), "members come in name order");
    }

    #[test]
    fn exceptions_are_not_stream_events() {
        let members = model().union_members("ConverseStreamOutput");
        assert!(members.contains(&"messageStart".to_owned()));
        assert!(!members.iter().any(|member| member.ends_with("Exception")), "{members:?}");
    }

    #[test]
    fn missing_from_names_each_difference() {
        let expected = json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"});
        assert!(missing_from(&expected, &json!({"a": {"b": 1.0, "c": [1, 2], "extra": 0}, "d": "x"})).is_empty());
        assert_eq!(
            missing_from(&expected, &json!({"a": {"b": 2, "c": [1]}})),
            ["$.a.b is 2 instead of 1", "$.a.c has 1 items instead of 2", "$.d is missing"]
        );
    }
}
