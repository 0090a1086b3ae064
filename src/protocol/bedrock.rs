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

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

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

// ---------------------------------------------------------------------------
// Messages and content blocks (§2).

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Message {
    /// Who wrote the message.
    pub role: ConversationRole,
    /// The message's content blocks, in order.
    pub content: Vec<ContentBlock>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConversationRole {
    User,
    Assistant,
    /// Added to Bedrock in 2026-05 (botocore 1.43.17); older SDKs lack it.
    System,
}

bedrock_union! {
    /// One block of a message's content: an object with exactly one key.
    pub enum ContentBlock {
        /// Plain text.
        "text" => Text(String),
        "image" => Image(ImageBlock),
        "document" => Document(DocumentBlock),
        "video" => Video(VideoBlock),
        "audio" => Audio(AudioBlock),
        /// A tool call the model made.
        "toolUse" => ToolUse(ToolUseBlock),
        /// The answer to a toolUse, sent in a user message.
        "toolResult" => ToolResult(ToolResultBlock),
        /// Content a guardrail evaluates.
        "guardContent" => GuardContent(GuardrailConverseContentBlock),
        /// A prompt-cache checkpoint: everything before it may be cached.
        "cachePoint" => CachePoint(CachePointBlock),
        "reasoningContent" => ReasoningContent(ReasoningContentBlock),
        "citationsContent" => CitationsContent(CitationsContentBlock),
        "searchResult" => SearchResult(SearchResultBlock),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageBlock {
    /// The image format.
    pub format: ImageFormat,
    /// The image's bytes or S3 location.
    pub source: ImageSource,
    /// Set by Bedrock when it could not process the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBlock>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    Webp,
}

bedrock_union! {
    /// Where an image's bytes come from.
    pub enum ImageSource {
        "bytes" => Bytes(Blob),
        "s3Location" => S3Location(S3Location),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S3Location {
    /// `s3://bucket/key`.
    pub uri: String,
    /// The account id that owns the bucket, when it is not the caller's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_owner: Option<String>,
}

/// Why Bedrock could not process a media block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBlock {
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentBlock {
    /// The document format; Bedrock infers it when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<DocumentFormat>,
    /// A name for the document (1–200 characters), shown to the model.
    pub name: String,
    /// The document's bytes, S3 location, text or structured content.
    pub source: DocumentSource,
    /// Context the model should know about the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Whether the model should cite this document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<CitationsConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DocumentFormat {
    Pdf,
    Csv,
    Doc,
    Docx,
    Xls,
    Xlsx,
    Html,
    Txt,
    Md,
}

bedrock_union! {
    /// Where a document's content comes from.
    pub enum DocumentSource {
        "bytes" => Bytes(Blob),
        "s3Location" => S3Location(S3Location),
        "text" => Text(String),
        "content" => Content(Vec<DocumentContentBlock>),
    }
}

bedrock_union! {
    /// One chunk of a document given as structured content.
    pub enum DocumentContentBlock {
        "text" => Text(String),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CitationsConfig {
    /// True to enable citations.
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VideoBlock {
    /// The video format.
    pub format: VideoFormat,
    /// The video's bytes or S3 location.
    pub source: VideoSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VideoFormat {
    Mkv,
    Mov,
    Mp4,
    Webm,
    Flv,
    Mpeg,
    Mpg,
    Wmv,
    #[serde(rename = "three_gp")]
    ThreeGp,
}

bedrock_union! {
    /// Where a video's bytes come from.
    pub enum VideoSource {
        "bytes" => Bytes(Blob),
        "s3Location" => S3Location(S3Location),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AudioBlock {
    /// The audio format.
    pub format: AudioFormat,
    /// The audio's bytes or S3 location.
    pub source: AudioSource,
    /// Set by Bedrock when it could not process the audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBlock>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AudioFormat {
    Mp3,
    Opus,
    Wav,
    Aac,
    Flac,
    Mp4,
    Ogg,
    Mkv,
    Mka,
    #[serde(rename = "x-aac")]
    XAac,
    M4a,
    Mpeg,
    Mpga,
    Pcm,
    Webm,
}

bedrock_union! {
    /// Where audio bytes come from.
    pub enum AudioSource {
        "bytes" => Bytes(Blob),
        "s3Location" => S3Location(S3Location),
    }
}

/// A tool call the model made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolUseBlock {
    /// The id of the tool call; the toolResult carries it back.
    pub tool_use_id: ToolUseId,
    /// The tool's name (`[a-zA-Z0-9_-]{1,64}`).
    pub name: String,
    /// The tool's input: any JSON, usually an object matching the tool's inputSchema.
    pub input: Value,
    /// `server_tool_use` for tools Bedrock runs itself.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// The answer to a toolUse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolResultBlock {
    /// The toolUseId of the call this answers.
    pub tool_use_id: ToolUseId,
    /// The result: JSON, text, media or search results.
    pub content: Vec<ToolResultContentBlock>,
    /// `error` tells the model the tool failed; default `success`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ToolResultStatus>,
    /// The result type of a server tool, when Bedrock sets one.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

bedrock_union! {
    /// One block of a tool's result.
    pub enum ToolResultContentBlock {
        /// Any JSON.
        "json" => Json(Value),
        "text" => Text(String),
        "image" => Image(ImageBlock),
        "document" => Document(DocumentBlock),
        "video" => Video(VideoBlock),
        "searchResult" => SearchResult(SearchResultBlock),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ToolResultStatus {
    Success,
    Error,
}

bedrock_union! {
    /// Content for a guardrail to evaluate (Converse's `guardContent`, and
    /// ApplyGuardrail's `content[]`, which has the same shape).
    pub enum GuardrailConverseContentBlock {
        "text" => Text(GuardrailConverseTextBlock),
        "image" => Image(GuardrailConverseImageBlock),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuardrailConverseTextBlock {
    /// The text to evaluate.
    pub text: String,
    /// How the guardrail treats this text in contextual grounding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifiers: Option<Vec<GuardrailContentQualifier>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GuardrailContentQualifier {
    GroundingSource,
    Query,
    GuardContent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuardrailConverseImageBlock {
    /// `png` or `jpeg`.
    pub format: GuardrailImageFormat,
    /// The image's bytes.
    pub source: GuardrailImageSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GuardrailImageFormat {
    Png,
    Jpeg,
}

bedrock_union! {
    /// A guardrail image's bytes.
    pub enum GuardrailImageSource {
        "bytes" => Bytes(Blob),
    }
}

/// A prompt-cache checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CachePointBlock {
    /// Always `default`.
    #[serde(rename = "type")]
    pub kind: CachePointType,
    /// How long the cache entry lives (Bedrock's default is 5 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<CacheTtl>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CachePointType {
    Default,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CacheTtl {
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "1h")]
    OneHour,
}

bedrock_union! {
    /// The model's reasoning (extended thinking).
    pub enum ReasoningContentBlock {
        "reasoningText" => ReasoningText(ReasoningTextBlock),
        /// Reasoning the provider encrypted; send it back unchanged.
        "redactedContent" => RedactedContent(Blob),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReasoningTextBlock {
    /// The reasoning text.
    pub text: String,
    /// Verifies the reasoning on later turns; send it back unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Generated text with the citations that support it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CitationsContentBlock {
    /// The generated text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<CitationGeneratedContent>>,
    /// The citations that support the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<Vec<Citation>>,
}

bedrock_union! {
    /// Generated text inside a citationsContent block.
    pub enum CitationGeneratedContent {
        "text" => Text(String),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Citation {
    /// The title of the cited source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The cited source, e.g. a document name or URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The cited passages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_content: Option<Vec<CitationSourceContent>>,
    /// Where the cited passage is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<CitationLocation>,
}

bedrock_union! {
    /// A cited passage.
    pub enum CitationSourceContent {
        "text" => Text(String),
    }
}

bedrock_union! {
    /// Where a cited passage is.
    pub enum CitationLocation {
        "web" => Web(WebLocation),
        "documentChar" => DocumentChar(DocumentCharLocation),
        "documentPage" => DocumentPage(DocumentPageLocation),
        "documentChunk" => DocumentChunk(DocumentChunkLocation),
        "searchResultLocation" => SearchResultLocation(SearchResultLocation),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebLocation {
    /// The web page's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The web page's domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// A character range of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentCharLocation {
    /// Which document of the request, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_index: Option<u32>,
    /// The range's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    /// The range's end (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u32>,
}

/// A page range of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentPageLocation {
    /// Which document of the request, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_index: Option<u32>,
    /// The range's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    /// The range's end (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u32>,
}

/// A chunk range of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentChunkLocation {
    /// Which document of the request, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_index: Option<u32>,
    /// The range's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    /// The range's end (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u32>,
}

/// A block range of a search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchResultLocation {
    /// Which search result of the request, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_result_index: Option<u32>,
    /// The range's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    /// The range's end (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u32>,
}

/// A search result the model may cite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchResultBlock {
    /// Where the result came from, e.g. a URL.
    pub source: String,
    /// The result's title.
    pub title: String,
    /// The result's text passages.
    pub content: Vec<SearchResultContentBlock>,
    /// Whether the model may cite this result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<CitationsConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchResultContentBlock {
    /// A passage of the result.
    pub text: String,
}

bedrock_union! {
    /// One block of the system prompt.
    pub enum SystemContentBlock {
        "text" => Text(String),
        "guardContent" => GuardContent(GuardrailConverseContentBlock),
        "cachePoint" => CachePoint(CachePointBlock),
    }
}

// ---------------------------------------------------------------------------
// Request configuration (§2).

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InferenceConfiguration {
    /// The most tokens the model may generate (≥ 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// 0..1; higher is more random.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// 0..1; nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// Text that stops generation (at most 2500 entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolConfiguration {
    /// At least one tool.
    pub tools: Vec<Tool>,
    /// How the model chooses tools; default `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
}

bedrock_union! {
    /// A tool the model may call.
    pub enum Tool {
        "toolSpec" => ToolSpec(ToolSpecification),
        /// A tool Bedrock provides and runs.
        "systemTool" => SystemTool(SystemTool),
        "cachePoint" => CachePoint(CachePointBlock),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolSpecification {
    /// The name the model calls the tool by (`[a-zA-Z0-9_-]{1,64}`).
    pub name: String,
    /// What the tool does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema of the tool's input.
    pub input_schema: ToolInputSchema,
    /// Ask the model to follow the schema strictly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

bedrock_union! {
    /// A tool's input schema.
    pub enum ToolInputSchema {
        /// A JSON Schema object.
        "json" => Json(Value),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SystemTool {
    /// The system tool's name.
    pub name: String,
}

bedrock_union! {
    /// How the model chooses tools.
    pub enum ToolChoice {
        /// The model decides whether to call a tool.
        "auto" => Auto(AutoToolChoice),
        /// The model must call some tool.
        "any" => Any(AnyToolChoice),
        /// The model must call the named tool.
        "tool" => Tool(SpecificToolChoice),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoToolChoice {}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnyToolChoice {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpecificToolChoice {
    /// The tool the model must call.
    pub name: String,
}

/// A guardrail to apply to a Converse call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuardrailConfiguration {
    /// The guardrail's id or ARN.
    pub guardrail_identifier: String,
    /// A version number or `DRAFT`.
    pub guardrail_version: String,
    /// `enabled`, `disabled` (default) or `enabled_full`: whether the response carries the guardrail trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<GuardrailTrace>,
    /// ConverseStream only: evaluate chunks before (`sync`) or alongside (`async`) sending them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_processing_mode: Option<GuardrailStreamProcessingMode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GuardrailTrace {
    Enabled,
    Disabled,
    EnabledFull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GuardrailStreamProcessingMode {
    Sync,
    Async,
}

bedrock_union! {
    /// The value of a prompt-management variable.
    pub enum PromptVariableValues {
        "text" => Text(String),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PerformanceConfiguration {
    /// `standard` or `optimized` (latency-optimized inference).
    pub latency: PerformanceConfigLatency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PerformanceConfigLatency {
    Standard,
    Optimized,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceTier {
    /// `priority`, `default`, `flex` or `reserved`.
    #[serde(rename = "type")]
    pub kind: ServiceTierType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServiceTierType {
    Priority,
    Default,
    Flex,
    Reserved,
}

/// Structured output settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputConfig {
    /// The format the text output must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_format: Option<OutputFormat>,
    /// `low`, `medium`, `high`, `xhigh` or `max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputFormat {
    /// Always `json_schema`.
    #[serde(rename = "type")]
    pub kind: OutputFormatType,
    /// The structure the output must follow.
    pub structure: OutputFormatStructure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormatType {
    JsonSchema,
}

bedrock_union! {
    /// The structure the output must follow.
    pub enum OutputFormatStructure {
        "jsonSchema" => JsonSchema(JsonSchemaDefinition),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JsonSchemaDefinition {
    /// The JSON Schema, serialized as a string (Bedrock's choice, not ours).
    pub schema: String,
    /// A name for the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the output is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Converse's (and ConverseStream's) request. `modelId`, a path label in
/// Bedrock's HTTP API, is a member here because our methods carry it in params.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConverseRequest {
    /// A model id, inference-profile id, ARN or catalog alias (`sonnet`, `haiku`, …).
    pub model_id: String,
    /// The conversation so far; optional only when a prompt resource supplies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Message>>,
    /// The system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<Vec<SystemContentBlock>>,
    /// Inference parameters (maxTokens, temperature, topP, stopSequences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<InferenceConfiguration>,
    /// The tools the model may call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfiguration>,
    /// A guardrail to apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_config: Option<GuardrailConfiguration>,
    /// Model-specific request members, passed through as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<Value>,
    /// Values for the variables of a prompt resource (with a prompt ARN as modelId).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_variables: Option<BTreeMap<String, PromptVariableValues>>,
    /// JSON Pointers (at most 10) of model response members to return in additionalModelResponseFields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_response_field_paths: Option<Vec<String>>,
    /// 1–16 key/value pairs recorded in invocation logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_metadata: Option<BTreeMap<String, String>>,
    /// Latency-optimized inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<PerformanceConfiguration>,
    /// The service tier to run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// Structured (JSON Schema) output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_config: Option<OutputConfig>,
}

// ---------------------------------------------------------------------------
// Converse response (§2).

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponse {
    /// What the model produced.
    pub output: ConverseOutput,
    /// `end_turn`, `tool_use`, `max_tokens`, `stop_sequence`, `guardrail_intervened`,
    /// `content_filtered`, `malformed_model_output`, `malformed_tool_use`,
    /// `model_context_window_exceeded`, or a newer value passed through.
    pub stop_reason: String,
    /// Token counts of the call.
    pub usage: TokenUsage,
    /// Bedrock's timing of the call.
    pub metrics: ConverseMetrics,
    /// The model response members named by additionalModelResponseFieldPaths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_response_fields: Option<Value>,
    /// The guardrail and prompt-router trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<ConverseTrace>,
    /// Latency-optimized inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<PerformanceConfiguration>,
    /// The service tier to run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
}

bedrock_union! {
    /// What the model produced.
    pub enum ConverseOutput {
        "message" => Message(Message),
    }
}

/// Token counts of one call (or, in our results, a sum of calls).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    /// Input tokens read by the model.
    pub input_tokens: u32,
    /// Tokens the model generated.
    pub output_tokens: u32,
    /// Input plus output tokens.
    pub total_tokens: u32,
    /// Input tokens read from the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u32>,
    /// Input tokens written to the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_input_tokens: Option<u32>,
    /// Cache writes by time-to-live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_details: Option<Vec<CacheDetail>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheDetail {
    /// `5m` or `1h`.
    pub ttl: String,
    /// Input tokens written with this TTL.
    pub input_tokens: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseMetrics {
    /// Bedrock's own latency for the call, in milliseconds.
    pub latency_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseTrace {
    /// Present when guardrailConfig.trace is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<GuardrailTraceAssessment>,
    /// Present when a prompt router chose the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_router: Option<PromptRouterTrace>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromptRouterTrace {
    /// The model a prompt router chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_model_id: Option<String>,
}

// ---------------------------------------------------------------------------
// Guardrail assessments (§2, §7). Enum-like members are strings so that values
// newer than this build survive.

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailTraceAssessment {
    /// The model's output before the guardrail acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_output: Option<Vec<String>>,
    /// Input assessments by guardrail id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_assessment: Option<BTreeMap<String, GuardrailAssessment>>,
    /// Output assessments by guardrail id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_assessments: Option<BTreeMap<String, Vec<GuardrailAssessment>>>,
    /// Why the guardrail acted, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailAssessment {
    /// Denied-topic findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_policy: Option<GuardrailTopicPolicyAssessment>,
    /// Content-filter findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_policy: Option<GuardrailContentPolicyAssessment>,
    /// Word-filter findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word_policy: Option<GuardrailWordPolicyAssessment>,
    /// Sensitive-information findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive_information_policy: Option<GuardrailSensitiveInformationPolicyAssessment>,
    /// Contextual-grounding findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contextual_grounding_policy: Option<GuardrailContextualGroundingPolicyAssessment>,
    /// Automated-reasoning findings, passed through as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_reasoning_policy: Option<Value>,
    /// Latency, usage and coverage of the guardrail call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_metrics: Option<GuardrailInvocationMetrics>,
    /// Which guardrail produced this assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_guardrail_details: Option<AppliedGuardrailDetails>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailTopicPolicyAssessment {
    /// The denied topics found.
    #[serde(default)]
    pub topics: Vec<GuardrailTopic>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailTopic {
    /// The denied topic's name.
    pub name: String,
    /// `DENY`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailContentPolicyAssessment {
    /// The filters that matched.
    #[serde(default)]
    pub filters: Vec<GuardrailContentFilter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailContentFilter {
    /// `INSULTS`, `HATE`, `SEXUAL`, `VIOLENCE`, `MISCONDUCT` or `PROMPT_ATTACK`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `NONE`, `LOW`, `MEDIUM` or `HIGH`.
    pub confidence: String,
    /// `NONE`, `LOW`, `MEDIUM` or `HIGH`: the configured strength.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_strength: Option<String>,
    /// `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailWordPolicyAssessment {
    /// Matches of the guardrail's own word list.
    #[serde(default)]
    pub custom_words: Vec<GuardrailCustomWord>,
    /// Matches of AWS-managed word lists.
    #[serde(default)]
    pub managed_word_lists: Vec<GuardrailManagedWord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailCustomWord {
    /// The text that matched.
    #[serde(rename = "match")]
    pub matched: String,
    /// `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailManagedWord {
    /// The text that matched.
    #[serde(rename = "match")]
    pub matched: String,
    /// `PROFANITY`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailSensitiveInformationPolicyAssessment {
    /// Personal information found.
    #[serde(default)]
    pub pii_entities: Vec<GuardrailPiiEntityFilter>,
    /// Matches of the guardrail's regular expressions.
    #[serde(default)]
    pub regexes: Vec<GuardrailRegexFilter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailPiiEntityFilter {
    /// The text that matched.
    #[serde(rename = "match")]
    pub matched: String,
    /// The PII type, e.g. `EMAIL`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `ANONYMIZED`, `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailRegexFilter {
    /// The regular expression's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The text that matched.
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// The regular expression that matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// `ANONYMIZED`, `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailContextualGroundingPolicyAssessment {
    /// The filters that matched.
    #[serde(default)]
    pub filters: Vec<GuardrailContextualGroundingFilter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailContextualGroundingFilter {
    /// `GROUNDING` or `RELEVANCE`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The configured threshold, 0..1.
    pub threshold: f64,
    /// The measured score, 0..1.
    pub score: f64,
    /// `BLOCKED` or `NONE`.
    pub action: String,
    /// Whether the policy found this in the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailInvocationMetrics {
    /// Milliseconds the guardrail took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_processing_latency: Option<u64>,
    /// Guardrail units billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<GuardrailUsage>,
    /// How much of the content the guardrail evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_coverage: Option<GuardrailCoverage>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliedGuardrailDetails {
    /// The guardrail's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_id: Option<String>,
    /// The guardrail's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_version: Option<String>,
    /// The guardrail's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_arn: Option<String>,
    /// Where the guardrail came from, e.g. `REQUEST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_origin: Option<Vec<String>>,
    /// `SELF` or `CROSS_ACCOUNT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_ownership: Option<String>,
}

/// Billable guardrail units.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailUsage {
    /// Denied-topic units.
    pub topic_policy_units: u32,
    /// Content-filter units.
    pub content_policy_units: u32,
    /// Word-filter units.
    pub word_policy_units: u32,
    /// Sensitive-information units.
    pub sensitive_information_policy_units: u32,
    /// Sensitive-information units that are free of charge.
    pub sensitive_information_policy_free_units: u32,
    /// Contextual-grounding units.
    pub contextual_grounding_policy_units: u32,
    /// Content-filter units for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_policy_image_units: Option<u32>,
    /// Automated-reasoning policy units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_reasoning_policy_units: Option<u32>,
    /// Automated-reasoning policies evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_reasoning_policies: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailCoverage {
    /// Text characters evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_characters: Option<GuardrailCoverageCount>,
    /// Images evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<GuardrailCoverageCount>,
}

/// How much of the content (characters or images) the guardrail evaluated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailCoverageCount {
    /// How much the guardrail evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarded: Option<u32>,
    /// How much there was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u32>,
}

// ---------------------------------------------------------------------------
// ConverseStream events (§3.3).

bedrock_union! {
    /// One ConverseStream event, as `:event-type` names it.
    pub enum ConverseStreamEvent {
        "messageStart" => MessageStart(MessageStartEvent),
        "contentBlockStart" => ContentBlockStart(ContentBlockStartEvent),
        "contentBlockDelta" => ContentBlockDelta(ContentBlockDeltaEvent),
        "contentBlockStop" => ContentBlockStop(ContentBlockStopEvent),
        "messageStop" => MessageStop(MessageStopEvent),
        "metadata" => Metadata(ConverseStreamMetadataEvent),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageStartEvent {
    /// Always `assistant`.
    pub role: ConversationRole,
}

/// Starts a toolUse, toolResult or image block; text and reasoning blocks have no start event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockStartEvent {
    /// The position of the block in the message, from 0.
    pub content_block_index: u32,
    /// What kind of block starts.
    pub start: ContentBlockStart,
}

bedrock_union! {
    /// What kind of block starts.
    pub enum ContentBlockStart {
        "toolUse" => ToolUse(ToolUseBlockStart),
        "toolResult" => ToolResult(ToolResultBlockStart),
        "image" => Image(ImageBlockStart),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlockStart {
    /// The id of the tool call.
    pub tool_use_id: ToolUseId,
    /// The tool's name.
    pub name: String,
    /// `server_tool_use` for tools Bedrock runs itself.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultBlockStart {
    /// The id of the tool call this answers.
    pub tool_use_id: ToolUseId,
    /// The result type of a server tool.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `success` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageBlockStart {
    /// The image format, e.g. `png`.
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockDeltaEvent {
    /// The position of the block in the message, from 0.
    pub content_block_index: u32,
    /// The piece.
    pub delta: ContentBlockDelta,
}

bedrock_union! {
    /// A piece of a content block.
    pub enum ContentBlockDelta {
        "text" => Text(String),
        "toolUse" => ToolUse(ToolUseBlockDelta),
        "reasoningContent" => ReasoningContent(ReasoningContentBlockDelta),
        "citation" => Citation(CitationsDelta),
        "toolResult" => ToolResult(Vec<ToolResultBlockDelta>),
        "image" => Image(ImageBlockDelta),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlockDelta {
    /// A piece of the tool input's JSON text; the pieces concatenate to the whole input.
    pub input: String,
}

bedrock_union! {
    /// A piece of reasoning.
    pub enum ReasoningContentBlockDelta {
        "text" => Text(String),
        "signature" => Signature(String),
        "redactedContent" => RedactedContent(Blob),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CitationsDelta {
    /// The title of the cited source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The cited source, e.g. a document name or URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The cited passages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_content: Option<Vec<CitationSourceContentDelta>>,
    /// Where the cited passage is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<CitationLocation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CitationSourceContentDelta {
    /// A piece of a cited passage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

bedrock_union! {
    /// A piece of a streamed tool result.
    pub enum ToolResultBlockDelta {
        "text" => Text(String),
        "json" => Json(Value),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageBlockDelta {
    /// A piece of the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ImageSource>,
    /// Set when Bedrock could not produce the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBlock>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockStopEvent {
    /// The position of the block in the message, from 0.
    pub content_block_index: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageStopEvent {
    /// As ConverseResponse.stopReason.
    pub stop_reason: String,
    /// The model response members named by additionalModelResponseFieldPaths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_response_fields: Option<Value>,
}

/// The last event: usage, metrics and, when enabled, the guardrail trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConverseStreamMetadataEvent {
    /// Token counts of the call.
    pub usage: TokenUsage,
    /// Bedrock's timing of the call.
    pub metrics: ConverseMetrics,
    /// The guardrail and prompt-router trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<ConverseTrace>,
    /// Latency-optimized inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<PerformanceConfiguration>,
    /// The service tier to run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
}

// ---------------------------------------------------------------------------
// CountTokens (§5).

bedrock_union! {
    /// What to count: a Converse request or an InvokeModel body.
    pub enum CountTokensInput {
        "converse" => Converse(ConverseTokensRequest),
        "invokeModel" => InvokeModel(InvokeModelTokensRequest),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConverseTokensRequest {
    /// The conversation to count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Message>>,
    /// The system prompt to count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<Vec<SystemContentBlock>>,
    /// The tools to count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfiguration>,
    /// Model-specific request members, passed through as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvokeModelTokensRequest {
    /// The model-native InvokeModel request body, base64-encoded.
    pub body: Blob,
}

// ---------------------------------------------------------------------------
// ApplyGuardrail (§7).

/// ApplyGuardrail's request: the guardrail and the content it evaluates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyGuardrailRequest {
    /// The guardrail's id or ARN.
    pub guardrail_identifier: String,
    /// A version number or `DRAFT`.
    pub guardrail_version: String,
    /// `INPUT` (a user prompt) or `OUTPUT` (a model response).
    pub source: GuardrailContentSource,
    /// The content to evaluate.
    pub content: Vec<GuardrailConverseContentBlock>,
    /// `INTERVENTIONS` (default) or `FULL`: how much of the assessment to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_scope: Option<GuardrailOutputScope>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum GuardrailContentSource {
    Input,
    Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum GuardrailOutputScope {
    Interventions,
    Full,
}

/// ApplyGuardrail's response: what the guardrail decided and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplyGuardrailResponse {
    /// Guardrail units billed.
    pub usage: GuardrailUsage,
    /// `GUARDRAIL_INTERVENED` or `NONE`.
    pub action: String,
    /// Why the guardrail acted, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    /// The masked or blocked text; empty when action is `NONE`.
    pub outputs: Vec<GuardrailOutputContent>,
    /// One assessment per guardrail.
    pub assessments: Vec<GuardrailAssessment>,
    /// How much of the content the guardrail evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_coverage: Option<GuardrailCoverage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailOutputContent {
    /// The masked or blocked text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

// ---------------------------------------------------------------------------
// Async invoke (§6).

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartAsyncInvokeRequest {
    /// Idempotency token (`[!-~]{1,256}`); the SDK fills a UUID when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    /// The model to run, e.g. `amazon.nova-reel-v1:0`.
    pub model_id: String,
    /// The model-native input, any JSON.
    pub model_input: Value,
    /// Where the job writes its output.
    pub output_data_config: AsyncInvokeOutputDataConfig,
    /// Tags for the job (at most 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

bedrock_union! {
    /// Where an async job writes its output.
    pub enum AsyncInvokeOutputDataConfig {
        "s3OutputDataConfig" => S3OutputDataConfig(AsyncInvokeS3OutputDataConfig),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AsyncInvokeS3OutputDataConfig {
    /// `s3://bucket/prefix`.
    pub s3_uri: String,
    /// The KMS key that encrypts the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// The account id that owns the bucket, when it is not the caller's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tag {
    /// The tag's key.
    pub key: String,
    /// The tag's value.
    pub value: String,
}

/// StartAsyncInvoke's response: the new job's ARN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartAsyncInvokeResponse {
    /// `arn:aws:bedrock:<region>:<account>:async-invoke/<12 characters>`.
    pub invocation_arn: String,
}

/// GetAsyncInvoke's request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetAsyncInvokeRequest {
    /// The job's ARN, as StartAsyncInvoke returned it.
    pub invocation_arn: String,
}

/// One async job: GetAsyncInvoke's response and ListAsyncInvokes' summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsyncInvokeSummary {
    /// The job's ARN.
    pub invocation_arn: String,
    /// The ARN of the model the job runs.
    pub model_arn: String,
    /// The idempotency token the job was started with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    /// `InProgress`, `Completed` or `Failed` (absent only in list summaries, where Bedrock may omit it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why the job failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    /// RFC 3339.
    pub submit_time: String,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// Where the job writes its output.
    pub output_data_config: AsyncInvokeOutputDataConfig,
}

/// GetAsyncInvoke's response has the members of a summary.
pub type GetAsyncInvokeResponse = AsyncInvokeSummary;

/// ListAsyncInvokes' filters, sort order and paging; every member is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListAsyncInvokesRequest {
    /// RFC 3339; only jobs submitted after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_time_after: Option<String>,
    /// RFC 3339; only jobs submitted before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_time_before: Option<String>,
    /// Only jobs in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_equals: Option<AsyncInvokeStatus>,
    /// 1–1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    /// The nextToken of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// Always `SubmissionTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<SortAsyncInvocationBy>,
    /// `Ascending` or `Descending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AsyncInvokeStatus {
    InProgress,
    Completed,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SortAsyncInvocationBy {
    SubmissionTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SortOrder {
    Ascending,
    Descending,
}

/// One page of ListAsyncInvokes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListAsyncInvokesResponse {
    /// Present when there is another page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// The jobs of this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub async_invoke_summaries: Option<Vec<AsyncInvokeSummary>>,
}

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
