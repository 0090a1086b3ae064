//! `serde_json::Value` ⇄ `aws_smithy_types::Document`. Integers stay
//! integers (`PosInt`/`NegInt`) and other numbers are `Float`, so what a
//! client wrote reaches Bedrock unchanged.

use std::collections::HashMap;

use aws_smithy_types::{Document, Number};
use serde_json::Value;

pub(crate) fn document_from_json(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(flag) => Document::Bool(*flag),
        Value::Number(number) => Document::Number(if let Some(unsigned) = number.as_u64() {
            Number::PosInt(unsigned)
        } else if let Some(signed) = number.as_i64() {
            Number::NegInt(signed)
        } else {
            Number::Float(number.as_f64().unwrap_or(f64::NAN))
        }),
        Value::String(text) => Document::String(text.clone()),
        Value::Array(items) => Document::Array(items.iter().map(document_from_json).collect()),
        Value::Object(members) => {
            Document::Object(members.iter().map(|(key, value)| (key.clone(), document_from_json(value))).collect())
        }
    }
}

pub(crate) fn json_from_document(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(flag) => Value::Bool(*flag),
        Document::Number(Number::PosInt(unsigned)) => Value::from(*unsigned),
        Document::Number(Number::NegInt(signed)) => Value::from(*signed),
        Document::Number(Number::Float(float)) => serde_json::Number::from_f64(*float).map_or_else(
            || {
                // JSON has no NaN or infinity; Bedrock's JSON cannot carry them either.
                tracing::warn!(value = float, "a non-finite number in a document became null");
                Value::Null
            },
            Value::Number,
        ),
        Document::String(text) => Value::String(text.clone()),
        Document::Array(items) => Value::Array(items.iter().map(json_from_document).collect()),
        Document::Object(members) => Value::Object(sorted(members)),
    }
}

/// Objects keep a stable key order (the SDK's `HashMap` has none).
fn sorted(members: &HashMap<String, Document>) -> serde_json::Map<String, Value> {
    let mut keys: Vec<&String> = members.keys().collect();
    keys.sort();
    keys.into_iter().map(|key| (key.clone(), json_from_document(&members[key]))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_keep_their_kind_and_value_both_ways() {
        let value = json!({
            "big": u64::MAX, "negative": i64::MIN, "zero": 0, "float": 0.1, "exp": 1.5e300,
            "nested": [null, true, "x", {"k": -1}]
        });
        let document = document_from_json(&value);
        let Document::Object(members) = &document else { panic!("object expected") };
        assert_eq!(members["big"], Document::Number(Number::PosInt(u64::MAX)));
        assert_eq!(members["negative"], Document::Number(Number::NegInt(i64::MIN)));
        assert_eq!(members["zero"], Document::Number(Number::PosInt(0)));
        assert_eq!(members["float"], Document::Number(Number::Float(0.1)));
        assert_eq!(json_from_document(&document), value);
        assert_eq!(json_from_document(&document).to_string(), value.to_string());
    }
}
