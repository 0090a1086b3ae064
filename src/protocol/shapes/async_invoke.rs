//! Async invoke: StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes (docs/bedrock-wire.md §6).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;

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
