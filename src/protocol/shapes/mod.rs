//! Bedrock Runtime's own JSON shapes (docs/bedrock-wire.md §2, §3.3, §5, §6, §7),
//! exactly as boto3 prints them: camelCase members, absent members omitted,
//! one-key unions as `{"text": …}`, blobs as base64 strings and documents as
//! raw JSON. The method types of docs/protocol.md embed these unchanged.
//!
//! Shapes a client sends (messages, content blocks, configurations, request
//! bodies) reject unknown members so a misspelt field is an error rather than
//! silently dropped. Shapes Bedrock sends back (responses, stream events,
//! guardrail assessments) tolerate unknown members, because real Bedrock adds
//! members (for example the `"p"` padding key of stream deltas) and newer SDKs
//! know more than we do; their enum-like values are plain strings for the
//! same reason.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Defines a Bedrock union: an object with exactly one key naming the
/// variant. Serialization is serde's externally tagged form; deserialization
/// is hand-written so that an empty object, a second key or an unknown key
/// each gets an error that says which problem it is and lists the valid
/// keys. A `__type` key is ignored, as the Rust SDK does.
macro_rules! bedrock_union {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $key:literal => $variant:ident($ty:ty), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $key)] $variant($ty), )+
        }

        impl $name {
            /// The keys this union accepts, in declaration order.
            pub const KEYS: &'static [&'static str] = &[$($key),+];
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct UnionVisitor;

                impl<'de> Visitor<'de> for UnionVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "a {} object with exactly one of the keys {}", stringify!($name), $name::KEYS.join(", "))
                    }

                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        let mut found: Option<(String, $name)> = None;
                        while let Some(key) = map.next_key::<String>()? {
                            if key == "__type" {
                                map.next_value::<de::IgnoredAny>()?;
                                continue;
                            }
                            // A union has exactly one non-null key: clients that write absent
                            // members as null (`{"text": "a", "image": null}`) are understood.
                            if let Some((first, _)) = &found {
                                if map.next_value::<Option<de::IgnoredAny>>()?.is_some() {
                                    return Err(de::Error::custom(two_keys_message(stringify!($name), first, &key)));
                                }
                                continue;
                            }
                            let value = match key.as_str() {
                                $( $key => match map.next_value::<Option<$ty>>()? {
                                    Some(value) => $name::$variant(value),
                                    None => continue,
                                }, )+
                                _ => return Err(de::Error::custom(unknown_key_message(stringify!($name), &key, $name::KEYS))),
                            };
                            found = Some((key, value));
                        }
                        found
                            .map(|(_, value)| value)
                            .ok_or_else(|| de::Error::custom(empty_union_message(stringify!($name), $name::KEYS)))
                    }
                }

                deserializer.deserialize_map(UnionVisitor)
            }
        }
    };
}

fn two_keys_message(union: &str, first: &str, second: &str) -> String {
    format!("a {union} must have exactly one key, but this one has both `{first}` and `{second}`; split it into two")
}

fn unknown_key_message(union: &str, key: &str, keys: &[&str]) -> String {
    format!("`{key}` is not a {union} kind; use one of: {}", keys.join(", "))
}

fn empty_union_message(union: &str, keys: &[&str]) -> String {
    format!("a {union} must have exactly one key, but this one is empty; use one of: {}", keys.join(", "))
}

/// Binary data; on the wire a standard, padded base64 string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        BASE64.decode(text.as_bytes()).map(Blob).map_err(|error| {
            de::Error::custom(format!(
                "bytes must be a standard base64 string (A-Z a-z 0-9 + /, padded with =): {error}"
            ))
        })
    }
}

impl JsonSchema for Blob {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Blob".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "contentEncoding": "base64",
            "description": "Binary data as a standard, padded base64 string."
        })
    }
}

/// The id Bedrock gives a tool call (`[a-zA-Z0-9_.:-]{1,64}`); a toolResult
/// answers the toolUse with the same id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ToolUseId(pub String);

impl fmt::Display for ToolUseId {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

mod apply_guardrail;
mod async_invoke;
mod config;
mod content;
mod guardrail;
mod response;
mod stream;
mod tokens;

pub use apply_guardrail::*;
pub use async_invoke::*;
pub use config::*;
pub use content::*;
pub use guardrail::*;
pub use response::*;
pub use stream::*;
pub use tokens::*;

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `json`, serializes the result and expects the same bytes back.
    fn round_trip<T: Serialize + for<'de> Deserialize<'de>>(json: &str) -> T {
        let value: T = serde_json::from_str(json).unwrap_or_else(|error| panic!("{json} does not parse: {error}"));
        assert_eq!(serde_json::to_string(&value).unwrap(), json);
        value
    }

    #[test]
    fn every_content_block_kind_round_trips_byte_identically() {
        let examples = [
            r#"{"text":"Hello"}"#,
            r#"{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}}"#,
            r#"{"image":{"format":"jpeg","source":{"s3Location":{"uri":"s3://b/k.jpg","bucketOwner":"123456789012"}}}}"#,
            r#"{"document":{"format":"pdf","name":"report","source":{"bytes":"JVBERi0="},"citations":{"enabled":true}}}"#,
            r#"{"document":{"name":"notes","source":{"text":"plain text"},"context":"meeting notes"}}"#,
            r#"{"document":{"format":"txt","name":"chunks","source":{"content":[{"text":"a"},{"text":"b"}]}}}"#,
            r#"{"video":{"format":"three_gp","source":{"s3Location":{"uri":"s3://b/v.3gp"}}}}"#,
            r#"{"audio":{"format":"x-aac","source":{"bytes":"AAAA"}}}"#,
            r#"{"toolUse":{"toolUseId":"tooluse_x","name":"get_weather","input":{"city":"Paris"}}}"#,
            r#"{"toolUse":{"toolUseId":"srv_1","name":"web_search","input":{},"type":"server_tool_use"}}"#,
            r#"{"toolResult":{"toolUseId":"tooluse_x","content":[{"json":{"tempC":21}},{"text":"sunny"}],"status":"success"}}"#,
            r#"{"toolResult":{"toolUseId":"t2","content":[{"image":{"format":"gif","source":{"bytes":"R0lG"}}},{"document":{"name":"d","source":{"text":"x"}}},{"video":{"format":"mp4","source":{"bytes":"AA=="}}},{"searchResult":{"source":"s","title":"t","content":[{"text":"c"}]}}],"status":"error"}}"#,
            r#"{"guardContent":{"text":{"text":"check me","qualifiers":["grounding_source","query","guard_content"]}}}"#,
            r#"{"guardContent":{"image":{"format":"png","source":{"bytes":"iVBO"}}}}"#,
            r#"{"cachePoint":{"type":"default"}}"#,
            r#"{"cachePoint":{"type":"default","ttl":"1h"}}"#,
            r#"{"reasoningContent":{"reasoningText":{"text":"Let me think.","signature":"sig=="}}}"#,
            r#"{"reasoningContent":{"redactedContent":"c2VjcmV0"}}"#,
            r#"{"citationsContent":{"content":[{"text":"Paris is in France."}],"citations":[{"title":"Atlas","source":"atlas.pdf","sourceContent":[{"text":"Paris, France"}],"location":{"documentPage":{"documentIndex":0,"start":3,"end":4}}}]}}"#,
            r#"{"citationsContent":{"citations":[{"location":{"web":{"url":"https://example.com/","domain":"example.com"}}},{"location":{"documentChar":{"documentIndex":1,"start":0,"end":10}}},{"location":{"documentChunk":{"documentIndex":2,"start":1,"end":2}}},{"location":{"searchResultLocation":{"searchResultIndex":0,"start":0,"end":1}}}]}}"#,
            r#"{"searchResult":{"source":"https://example.com/","title":"Example","content":[{"text":"result"}],"citations":{"enabled":false}}}"#,
            r#"{"toolAddition":{"tool":{"name":"get_weather"}}}"#,
            r#"{"toolRemoval":{"tool":{"type":"mcp","name":"search","serverName":"docs"}}}"#,
        ];
        let mut kinds = std::collections::BTreeSet::new();
        for json in examples {
            let block: ContentBlock = round_trip(json);
            let value = serde_json::to_value(&block).unwrap();
            kinds.insert(value.as_object().unwrap().keys().next().unwrap().clone());
        }
        let all: std::collections::BTreeSet<String> = ContentBlock::KEYS.iter().map(|key| key.to_string()).collect();
        assert_eq!(kinds, all, "every ContentBlock kind needs an example");
    }

    #[test]
    fn null_members_of_a_union_are_absent() {
        let block: ContentBlock = serde_json::from_str(r#"{"image":null,"text":"a","video":null}"#).unwrap();
        assert_eq!(block, ContentBlock::Text("a".into()));
        let error = serde_json::from_str::<ContentBlock>(r#"{"text":null}"#).unwrap_err().to_string();
        assert!(error.contains("is empty"), "{error}");
    }

    #[test]
    fn a_union_with_two_keys_is_rejected_naming_both() {
        let error = serde_json::from_str::<ContentBlock>(r#"{"text":"a","image":{}}"#).unwrap_err().to_string();
        assert!(error.contains("exactly one key") && error.contains("`text`") && error.contains("`image`"), "{error}");
        let value = serde_json::json!({"text": "a", "cachePoint": {"type": "default"}});
        let error = serde_json::from_value::<ContentBlock>(value).unwrap_err().to_string();
        assert!(error.contains("exactly one key") && error.contains("`cachePoint`"), "{error}");
    }

    #[test]
    fn an_empty_union_is_rejected_listing_the_keys() {
        let error = serde_json::from_str::<ContentBlock>("{}").unwrap_err().to_string();
        assert!(error.contains("is empty") && error.contains("text, image, document"), "{error}");
        let error = serde_json::from_str::<ToolChoice>("{}").unwrap_err().to_string();
        assert!(error.contains("ToolChoice") && error.contains("auto, any, tool"), "{error}");
    }

    #[test]
    fn an_unknown_union_key_is_rejected_by_name() {
        let error = serde_json::from_str::<ContentBlock>(r#"{"picture":{}}"#).unwrap_err().to_string();
        assert!(error.contains("`picture` is not a ContentBlock kind"), "{error}");
    }

    #[test]
    fn a_type_key_in_a_union_is_ignored_as_the_sdk_does() {
        let block: ContentBlock = serde_json::from_str(r#"{"__type":"x","text":"hi"}"#).unwrap();
        assert_eq!(block, ContentBlock::Text("hi".into()));
    }

    #[test]
    fn a_misspelt_member_of_a_request_shape_is_rejected() {
        let error = serde_json::from_str::<ContentBlock>(r#"{"toolUse":{"toolUseID":"a","name":"n","input":{}}}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `toolUseID`"), "{error}");
    }

    #[test]
    fn bad_base64_is_rejected_with_what_to_send() {
        let error = serde_json::from_str::<ImageSource>(r#"{"bytes":"not base64!"}"#).unwrap_err().to_string();
        assert!(error.contains("standard base64"), "{error}");
    }

    #[test]
    fn converse_request_and_response_round_trip() {
        round_trip::<ConverseRequest>(concat!(
            r#"{"modelId":"us.anthropic.claude-3-5-sonnet-20241022-v2:0","#,
            r#""messages":[{"role":"user","content":[{"text":"Weather in Paris?"}]}],"#,
            r#""system":[{"text":"Be brief."},{"cachePoint":{"type":"default"}}],"#,
            r#""inferenceConfig":{"maxTokens":512,"temperature":0.7,"topP":0.9,"stopSequences":["END"]},"#,
            r#""toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"Weather","inputSchema":{"json":{"properties":{"city":{"type":"string"}},"type":"object"}},"strict":true}},{"systemTool":{"name":"nova_grounding"}},{"cachePoint":{"type":"default"}}],"toolChoice":{"auto":{}}},"#,
            r#""guardrailConfig":{"guardrailIdentifier":"gr1","guardrailVersion":"DRAFT","trace":"enabled_full","streamProcessingMode":"async"},"#,
            r#""additionalModelRequestFields":{"top_k":5},"promptVariables":{"city":{"text":"Paris"}},"#,
            r#""additionalModelResponseFieldPaths":["/stop_sequence"],"requestMetadata":{"team":"a"},"#,
            r#""performanceConfig":{"latency":"optimized"},"serviceTier":{"type":"flex"},"#,
            r#""outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{\"type\":\"object\"}","name":"out"}}},"effort":"high"}}"#,
        ));
        round_trip::<ToolChoice>(r#"{"tool":{"name":"get_weather"}}"#);
        round_trip::<ToolChoice>(r#"{"any":{}}"#);
        let response = round_trip::<ConverseResponse>(concat!(
            r#"{"output":{"message":{"role":"assistant","content":[{"text":"Checking."},{"toolUse":{"toolUseId":"tooluse_x","name":"get_weather","input":{"city":"Paris"}}}]}},"#,
            r#""stopReason":"tool_use","usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15,"cacheReadInputTokens":3,"cacheWriteInputTokens":0,"cacheDetails":[{"ttl":"5m","inputTokens":3}]},"#,
            r#""metrics":{"latencyMs":120},"trace":{"guardrail":{"inputAssessment":{"3e59qlue4hag":{"contentPolicy":{"filters":[{"type":"VIOLENCE","confidence":"HIGH","action":"BLOCKED","detected":true}]}}}},"promptRouter":{"invokedModelId":"arn:x"}},"#,
            r#""performanceConfig":{"latency":"standard"},"serviceTier":{"type":"default"}}"#,
        ));
        assert_eq!(response.stop_reason, "tool_use");
        let unknown = round_trip::<ConverseResponse>(
            r#"{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"brand_new_reason","usage":{"inputTokens":1,"outputTokens":0,"totalTokens":1},"metrics":{"latencyMs":1}}"#,
        );
        assert_eq!(unknown.stop_reason, "brand_new_reason");
    }

    #[test]
    fn every_stream_event_round_trips() {
        let events = [
            r#"{"messageStart":{"role":"assistant"}}"#,
            r#"{"contentBlockStart":{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_x","name":"get_weather"}}}}"#,
            r#"{"contentBlockStart":{"contentBlockIndex":2,"start":{"toolResult":{"toolUseId":"srv_1","type":"web_search_result","status":"success"}}}}"#,
            r#"{"contentBlockStart":{"contentBlockIndex":3,"start":{"image":{"format":"png"}}}}"#,
            r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"text":"Hel"}}}"#,
            r#"{"contentBlockDelta":{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}}"#,
            r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"hmm"}}}}"#,
            r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig"}}}}"#,
            r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"AAEC"}}}}"#,
            r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"citation":{"title":"t","sourceContent":[{"text":"s"}],"location":{"web":{"url":"https://a/"}}}}}}"#,
            r#"{"contentBlockDelta":{"contentBlockIndex":2,"delta":{"toolResult":[{"text":"a"},{"json":{"b":1}}]}}}"#,
            r#"{"contentBlockDelta":{"contentBlockIndex":3,"delta":{"image":{"source":{"bytes":"iVBO"}}}}}"#,
            r#"{"contentBlockStop":{"contentBlockIndex":0}}"#,
            r#"{"messageStop":{"stopReason":"end_turn","additionalModelResponseFields":{"stop_sequence":null}}}"#,
            r#"{"metadata":{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},"metrics":{"latencyMs":42},"trace":{"guardrail":{"actionReason":"none"}}}}"#,
        ];
        for json in events {
            round_trip::<ConverseStreamEvent>(json);
        }
    }

    #[test]
    fn a_stream_delta_tolerates_the_padding_key_bedrock_adds() {
        let event: ConverseStreamEvent =
            serde_json::from_str(r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abcdef"}}"#)
                .unwrap();
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"text":"Hi"}}}"#
        );
    }

    #[test]
    fn count_tokens_guardrail_and_async_shapes_round_trip() {
        round_trip::<CountTokensInput>(r#"{"converse":{"messages":[{"role":"user","content":[{"text":"hi"}]}]}}"#);
        round_trip::<CountTokensInput>(r#"{"invokeModel":{"body":"eyJwcm9tcHQiOiJoaSJ9"}}"#);
        round_trip::<ApplyGuardrailRequest>(
            r#"{"guardrailIdentifier":"gr1","guardrailVersion":"1","source":"INPUT","content":[{"text":{"text":"hi"}}],"outputScope":"FULL"}"#,
        );
        round_trip::<ApplyGuardrailResponse>(concat!(
            r#"{"usage":{"topicPolicyUnits":1,"contentPolicyUnits":1,"wordPolicyUnits":1,"sensitiveInformationPolicyUnits":1,"sensitiveInformationPolicyFreeUnits":0,"contextualGroundingPolicyUnits":0},"#,
            r#""action":"GUARDRAIL_INTERVENED","actionReason":"Guardrail blocked.","outputs":[{"text":"Sorry."}],"#,
            r#""assessments":[{"topicPolicy":{"topics":[{"name":"Finance","type":"DENY","action":"BLOCKED","detected":true}]},"#,
            r#""wordPolicy":{"customWords":[{"match":"foo","action":"BLOCKED"}],"managedWordLists":[{"match":"darn","type":"PROFANITY","action":"BLOCKED"}]},"#,
            r#""sensitiveInformationPolicy":{"piiEntities":[{"match":"a@b.c","type":"EMAIL","action":"ANONYMIZED"}],"regexes":[{"name":"id","match":"X1","regex":"X\\d","action":"BLOCKED"}]},"#,
            r#""contextualGroundingPolicy":{"filters":[{"type":"GROUNDING","threshold":0.5,"score":0.25,"action":"BLOCKED","detected":true}]},"#,
            r#""invocationMetrics":{"guardrailProcessingLatency":12,"guardrailCoverage":{"textCharacters":{"guarded":2,"total":2}}},"#,
            r#""appliedGuardrailDetails":{"guardrailId":"gr1","guardrailVersion":"1","guardrailOrigin":["REQUEST"]}}],"#,
            r#""guardrailCoverage":{"textCharacters":{"guarded":20,"total":20},"images":{"guarded":0,"total":0}}}"#,
        ));
        round_trip::<StartAsyncInvokeRequest>(concat!(
            r#"{"clientRequestToken":"tok","modelId":"amazon.nova-reel-v1:0","modelInput":{"taskType":"TEXT_VIDEO"},"#,
            r#""outputDataConfig":{"s3OutputDataConfig":{"s3Uri":"s3://bucket/prefix","kmsKeyId":"arn:aws:kms:k"}},"tags":[{"key":"k","value":"v"}]}"#,
        ));
        round_trip::<GetAsyncInvokeResponse>(concat!(
            r#"{"invocationArn":"arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdef123456","#,
            r#""modelArn":"arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0","status":"Completed","#,
            r#""submitTime":"2025-01-02T03:04:05.678Z","endTime":"2025-01-02T03:05:00Z","#,
            r#""outputDataConfig":{"s3OutputDataConfig":{"s3Uri":"s3://bucket/prefix/"}}}"#,
        ));
        round_trip::<ListAsyncInvokesRequest>(
            r#"{"statusEquals":"InProgress","maxResults":10,"sortBy":"SubmissionTime","sortOrder":"Descending"}"#,
        );
        round_trip::<ListAsyncInvokesResponse>(r#"{"nextToken":"n","asyncInvokeSummaries":[]}"#);
    }
}
