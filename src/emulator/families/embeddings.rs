//! Embedding models: Titan Text Embeddings v1 and v2, Titan Multimodal Embeddings, Cohere Embed v3 and
//! v4. Vectors are deterministic: the same input text (or image) and dimension give the same vector, a
//! different input a different one; values lie in [-1, 1], normalized to unit length where the model
//! normalizes (Titan v2 by default, Cohere).

use serde_json::{Map, Value, json};

use super::super::reply::Prompt;
use super::super::tokenizer;
use super::super::validation::Checked;
use super::{Answer, Kind, Violations};

/// Which embedding model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// `amazon.titan-embed-text-v1`: 1536 dimensions.
    TitanV1,
    /// `amazon.titan-embed-text-v2:0`: `dimensions` 256, 512 or 1024 (default), `normalize`, `embeddingTypes`.
    TitanV2,
    /// `amazon.titan-embed-image-v1`: `inputText` and/or `inputImage`, `embeddingConfig.outputEmbeddingLength`.
    TitanMultimodal,
    /// `cohere.embed-english-v3`, `cohere.embed-multilingual-v3`: 1024 dimensions, `embedding_types`.
    CohereV3,
    /// `cohere.embed-v4:0`: `output_dimension` 256, 512, 1024 or 1536 (default), always by type.
    CohereV4,
}

const COHERE_TYPES: &[&str] = &["float", "int8", "uint8", "binary", "ubinary"];
const INPUT_TYPES: &[&str] = &["search_document", "search_query", "classification", "clustering"];

fn values(items: &[&str]) -> Vec<Value> {
    items.iter().map(|item| json!(item)).collect()
}

/// Each item of the array member `key` must be one of `allowed`.
fn enum_items(violations: &mut Violations, body: &Map<String, Value>, key: &str, allowed: &[&str]) {
    for (index, item) in body.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
        if !item.as_str().is_some_and(|item| allowed.contains(&item)) {
            let shown = item.as_str().map_or_else(|| item.to_string(), str::to_owned);
            violations.push(format!("#/{key}/{index}: {shown} is not a valid enum value"));
        }
    }
}

pub fn check(model: Model, body: &Map<String, Value>) -> Checked {
    let mut violations = Violations::default();
    match model {
        Model::TitanV1 => {
            violations.required("#", body, &["inputText"]).only("#", body, &["inputText"]).typed(
                "#",
                body,
                "inputText",
                Kind::String,
            );
        }
        Model::TitanV2 => {
            violations
                .required("#", body, &["inputText"])
                .only("#", body, &["inputText", "dimensions", "normalize", "embeddingTypes"])
                .typed("#", body, "inputText", Kind::String)
                .one_of("#", body, "dimensions", &[json!(256), json!(512), json!(1024)])
                .typed("#", body, "normalize", Kind::Boolean)
                .typed("#", body, "embeddingTypes", Kind::Array)
                .items("#", body, "embeddingTypes", 1, Some(2));
            enum_items(&mut violations, body, "embeddingTypes", &["float", "binary"]);
        }
        Model::TitanMultimodal => {
            if !body.contains_key("inputImage") {
                violations.required("#", body, &["inputText"]);
            }
            violations
                .only("#", body, &["inputText", "inputImage", "embeddingConfig"])
                .typed("#", body, "inputText", Kind::String)
                .typed("#", body, "inputImage", Kind::String)
                .typed("#", body, "embeddingConfig", Kind::Object);
            if let Some(config) = body.get("embeddingConfig").and_then(Value::as_object) {
                violations.only("#/embeddingConfig", config, &["outputEmbeddingLength"]).one_of(
                    "#/embeddingConfig",
                    config,
                    "outputEmbeddingLength",
                    &[json!(256), json!(384), json!(1024)],
                );
            }
        }
        Model::CohereV3 | Model::CohereV4 => {
            let v4 = model == Model::CohereV4;
            let other_inputs = body.contains_key("images") || (v4 && body.contains_key("inputs"));
            if !other_inputs {
                violations.required("#", body, &["texts"]);
            }
            let allowed: &[&str] = if v4 {
                &[
                    "texts",
                    "images",
                    "inputs",
                    "input_type",
                    "truncate",
                    "embedding_types",
                    "output_dimension",
                    "max_tokens",
                ]
            } else {
                &["texts", "images", "input_type", "truncate", "embedding_types"]
            };
            violations
                .required("#", body, &["input_type"])
                .only("#", body, allowed)
                .typed("#", body, "texts", Kind::Array)
                .items("#", body, "texts", 0, Some(96))
                .one_of("#", body, "input_type", &values(INPUT_TYPES))
                .one_of("#", body, "truncate", &values(&["NONE", "START", "END"]))
                .typed("#", body, "embedding_types", Kind::Array);
            enum_items(&mut violations, body, "embedding_types", COHERE_TYPES);
            if v4 {
                violations.one_of("#", body, "output_dimension", &[json!(256), json!(512), json!(1024), json!(1536)]);
            }
        }
    }
    violations.finish()
}

/// The texts (and images, by their data) a body embeds, in order.
fn inputs(model: Model, body: &Map<String, Value>) -> Vec<String> {
    let strings = |key: &str| -> Vec<String> {
        body.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    match model {
        Model::TitanV1 | Model::TitanV2 | Model::TitanMultimodal => {
            let text = body.get("inputText").and_then(Value::as_str);
            let image = body.get("inputImage").and_then(Value::as_str);
            vec![format!("{}{}", text.unwrap_or_default(), image.unwrap_or_default())]
        }
        Model::CohereV3 | Model::CohereV4 => {
            let mut all = strings("texts");
            all.extend(strings("images"));
            for input in body.get("inputs").and_then(Value::as_array).into_iter().flatten() {
                let parts = input["content"].as_array().into_iter().flatten();
                all.push(
                    parts.map(|part| part.get("text").map_or_else(|| part.to_string(), Value::to_string)).collect(),
                );
            }
            all
        }
    }
}

/// The input texts whose tokens count (images count none).
fn counted_texts(model: Model, body: &Map<String, Value>) -> Vec<String> {
    match model {
        Model::TitanV1 | Model::TitanV2 | Model::TitanMultimodal => {
            body.get("inputText").and_then(Value::as_str).map(str::to_owned).into_iter().collect()
        }
        Model::CohereV3 | Model::CohereV4 => {
            let texts = body.get("texts").and_then(Value::as_array).into_iter().flatten();
            texts.filter_map(Value::as_str).map(str::to_owned).collect()
        }
    }
}

pub fn prompt(model: Model, body: &Map<String, Value>) -> Prompt {
    let texts = counted_texts(model, body);
    Prompt {
        last_user_text: texts.join("\n"),
        input_tokens: texts.iter().map(|text| tokenizer::count(text)).sum(),
        ..Prompt::default()
    }
}

/// FNV-1a, the seed of an input's vector.
fn seed(input: &str) -> u64 {
    input.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// The deterministic vector of `input`: `dimensions` values in [-1, 1), unit length when `normalize`.
pub fn vector(input: &str, dimensions: usize, normalize: bool) -> Vec<f64> {
    let mut state = seed(input);
    let mut values: Vec<f64> = (0..dimensions)
        .map(|_| {
            // splitmix64
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect();
    if normalize {
        let norm = values.iter().map(|value| value * value).sum::<f64>().sqrt();
        if norm > 0.0 {
            values.iter_mut().for_each(|value| *value /= norm);
        }
    }
    values.iter().map(|value| (value * 1e7).round() / 1e7).collect()
}

/// The vector in one of Cohere's (or Titan's) embedding types.
fn typed(values: &[f64], kind: &str) -> Value {
    let bits = || -> Vec<u8> {
        values
            .chunks(8)
            .map(|byte| {
                byte.iter().enumerate().fold(0u8, |acc, (bit, value)| acc | (u8::from(*value > 0.0) << (7 - bit)))
            })
            .collect()
    };
    match kind {
        "int8" => json!(values.iter().map(|value| (value * 127.0).round() as i64).collect::<Vec<_>>()),
        "uint8" => json!(values.iter().map(|value| ((value + 1.0) * 127.5).round() as i64).collect::<Vec<_>>()),
        "ubinary" => json!(bits()),
        "binary" => json!(bits().into_iter().map(|byte| i64::from(byte) - 128).collect::<Vec<_>>()),
        _ => json!(values),
    }
}

fn requested_types(body: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    body.get(key)
        .and_then(Value::as_array)
        .map(|types| types.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

pub fn response(model: Model, answer: &Answer<'_>) -> Value {
    let body = answer.request;
    let input_tokens = answer.reply.usage.input;
    let first = inputs(model, body).into_iter().next().unwrap_or_default();
    match model {
        Model::TitanV1 => json!({"embedding": vector(&first, 1536, false), "inputTextTokenCount": input_tokens}),
        Model::TitanMultimodal => {
            let config = body.get("embeddingConfig");
            let length = config.and_then(|config| config["outputEmbeddingLength"].as_u64()).unwrap_or(1024) as usize;
            json!({"embedding": vector(&first, length, true), "inputTextTokenCount": input_tokens, "message": null})
        }
        Model::TitanV2 => {
            let dimensions = body.get("dimensions").and_then(Value::as_u64).unwrap_or(1024) as usize;
            let normalize = body.get("normalize").and_then(Value::as_bool).unwrap_or(true);
            let values = vector(&first, dimensions, normalize);
            let mut response = json!({"inputTextTokenCount": input_tokens});
            match requested_types(body, "embeddingTypes") {
                None => response["embedding"] = typed(&values, "float"),
                Some(types) => {
                    if types.iter().any(|kind| kind == "float") {
                        response["embedding"] = typed(&values, "float");
                    }
                    // Titan's binary type is one 0/1 value per dimension.
                    let by_type: Map<String, Value> = types
                        .iter()
                        .map(|kind| {
                            let value = if kind == "binary" {
                                json!(values.iter().map(|value| u8::from(*value > 0.0)).collect::<Vec<_>>())
                            } else {
                                typed(&values, "float")
                            };
                            (kind.clone(), value)
                        })
                        .collect();
                    response["embeddingsByType"] = Value::Object(by_type);
                }
            }
            response
        }
        Model::CohereV3 | Model::CohereV4 => {
            let dimensions = match model {
                Model::CohereV4 => body.get("output_dimension").and_then(Value::as_u64).unwrap_or(1536) as usize,
                _ => 1024,
            };
            let vectors: Vec<Vec<f64>> =
                inputs(model, body).iter().map(|input| vector(input, dimensions, true)).collect();
            let types = requested_types(body, "embedding_types");
            let mut response = json!({"id": uuid::Uuid::new_v4().to_string(), "texts": body.get("texts").cloned().unwrap_or(json!([]))});
            if let Some(images) = body.get("images") {
                response["images"] = json!(images.as_array().map_or(0, Vec::len));
            }
            match (model, types) {
                (Model::CohereV3, None) => {
                    response["response_type"] = json!("embeddings_floats");
                    response["embeddings"] = json!(vectors);
                }
                (_, types) => {
                    let types = types.unwrap_or_else(|| vec!["float".to_owned()]);
                    let by_type: Map<String, Value> = types
                        .iter()
                        .map(|kind| (kind.clone(), Value::Array(vectors.iter().map(|v| typed(v, kind)).collect())))
                        .collect();
                    response["response_type"] = json!("embeddings_by_type");
                    response["embeddings"] = Value::Object(by_type);
                }
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_deterministic_unit_vectors_of_the_asked_dimension() {
        let a = vector("hello", 256, true);
        assert_eq!(a.len(), 256);
        assert_eq!(a, vector("hello", 256, true));
        assert_ne!(a, vector("hello!", 256, true));
        let norm: f64 = a.iter().map(|value| value * value).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
        assert!(vector("x", 1536, false).iter().all(|value| (-1.0..1.0).contains(value)));
    }

    #[test]
    fn binary_types_pack_signs() {
        assert_eq!(typed(&[1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0], "ubinary"), json!([0b1010_1010]));
        assert_eq!(typed(&[1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0], "binary"), json!([0b1010_1010 - 128]));
    }
}
