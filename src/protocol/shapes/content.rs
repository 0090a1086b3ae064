//! Messages and content blocks (docs/bedrock-wire.md §2).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;

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
        /// In a `system` message: makes a tool of the toolConfig available from here on.
        "toolAddition" => ToolAddition(ToolAdditionBlock),
        /// In a `system` message: withdraws a tool from here on.
        "toolRemoval" => ToolRemoval(ToolRemovalBlock),
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

/// Adds a tool mid-conversation without resending the toolConfig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolAdditionBlock {
    /// The tool to add.
    pub tool: ToolReference,
}

/// Removes a tool mid-conversation without resending the toolConfig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolRemovalBlock {
    /// The tool to remove.
    pub tool: ToolReference,
}

/// A tool of the toolConfig, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolReference {
    /// The kind of reference.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The tool's name, as the toolConfig declares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The MCP server that provides the tool, for an MCP tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
}

bedrock_union! {
    /// One block of the system prompt.
    pub enum SystemContentBlock {
        "text" => Text(String),
        "guardContent" => GuardContent(GuardrailConverseContentBlock),
        "cachePoint" => CachePoint(CachePointBlock),
    }
}
