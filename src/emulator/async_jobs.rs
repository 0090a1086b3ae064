//! StartAsyncInvoke, GetAsyncInvoke and ListAsyncInvokes (docs/bedrock-wire.md §6). A job is `InProgress`
//! until `asyncJobDurationMs` (default 200) have passed, then its output is written under the data
//! dir as `s3/<bucket>/<prefix>/<job id>/output.json` and it becomes `Completed`; when the script's
//! `asyncJobOutcome` says `Failed`, nothing is written and the job becomes `Failed` with its
//! `failureMessage` instead.
//!
//! A finished job is remembered for [`Retention::ttl`] after it ends, and at most
//! [`Retention::max_finished`] finished jobs are remembered (the oldest go first); a job forgotten
//! has its output file deleted too. Expiry is checked whenever a job starts, ends, is read or listed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::response::{IntoResponse, Response};
use base64::Engine;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;

use super::errors::ApiError;
use super::invoke;
use super::validation::{self, Checked};

pub const DEFAULT_JOB_DURATION_MS: u64 = 200;
const ACCOUNT: &str = "123456789012";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    InProgress,
    Completed,
    Failed,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::InProgress => "InProgress",
            Status::Completed => "Completed",
            Status::Failed => "Failed",
        }
    }
}

#[derive(Debug, Clone)]
struct Job {
    arn: String,
    model_arn: String,
    client_request_token: String,
    /// What identifies "the same request" for an idempotent retry with the same token.
    fingerprint: Value,
    output_data_config: Value,
    submit_time: OffsetDateTime,
    last_modified_time: OffsetDateTime,
    end_time: Option<OffsetDateTime>,
    status: Status,
    failure_message: Option<String>,
    /// When it ended, for its time to live.
    ended: Option<Instant>,
    /// The output it wrote, deleted when the job is forgotten.
    output_file: Option<PathBuf>,
}

/// How long finished jobs are remembered.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// A finished job is forgotten this long after it ended.
    pub ttl: Duration,
    /// Most finished jobs remembered at once.
    pub max_finished: usize,
}

/// Timestamps as Bedrock writes them: RFC 3339, UTC, milliseconds.
fn timestamp(time: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time.format(&format).unwrap_or_default()
}

impl Job {
    fn to_json(&self) -> Value {
        let mut job = json!({
            "invocationArn": self.arn,
            "modelArn": self.model_arn,
            "clientRequestToken": self.client_request_token,
            "status": self.status.name(),
            "submitTime": timestamp(self.submit_time),
            "lastModifiedTime": timestamp(self.last_modified_time),
            "outputDataConfig": self.output_data_config,
        });
        if let Some(end) = self.end_time {
            job["endTime"] = json!(timestamp(end));
        }
        if let Some(message) = &self.failure_message {
            job["failureMessage"] = json!(message);
        }
        job
    }
}

pub struct Jobs {
    jobs: Mutex<Vec<Job>>,
    data_dir: PathBuf,
    retention: Retention,
    /// Ends the completion timers when the emulator shuts down.
    shutdown: CancellationToken,
}

/// Where a job's output goes: `s3://bucket/prefix` → `<data dir>/s3/bucket/prefix/<id>/output.json`.
fn output_path(data_dir: &Path, s3_uri: &str, job_id: &str) -> Checked<PathBuf> {
    let path_name = "outputDataConfig.s3OutputDataConfig.s3Uri";
    let rest =
        s3_uri.strip_prefix("s3://").ok_or_else(|| ApiError::member(path_name, "Member must be an s3:// URI"))?;
    let segments: Vec<&str> = rest.split('/').filter(|segment| !segment.is_empty()).collect();
    if segments.is_empty()
        || segments.iter().any(|segment| *segment == ".." || *segment == "." || segment.contains('\\'))
    {
        return Err(ApiError::member(
            path_name,
            "Member must be s3://<bucket>[/<prefix>] without `.` or `..` segments",
        ));
    }
    let mut path = data_dir.join("s3");
    segments.iter().for_each(|segment| path.push(segment));
    Ok(path.join(job_id).join("output.json"))
}

impl Jobs {
    pub fn new(data_dir: PathBuf, retention: Retention, shutdown: CancellationToken) -> Arc<Self> {
        Arc::new(Jobs { jobs: Mutex::new(Vec::new()), data_dir, retention, shutdown })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The jobs, after forgetting (and deleting the output of) the finished ones past their time
    /// to live or over the count.
    fn live(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        self.forget_expired();
        self.lock()
    }

    fn forget_expired(&self) {
        let expired = expire(&mut self.lock(), self.retention, Instant::now());
        // Off the lock: a few unlinks.
        expired.into_iter().filter_map(|job| job.output_file).for_each(|file| remove_output(&file));
    }

    pub fn start(
        self: &Arc<Self>,
        body: &Map<String, Value>,
        region: &str,
        duration_ms: u64,
        failure: Option<String>,
    ) -> Result<Response, ApiError> {
        let model_id = validation::string("modelId", body.get("modelId"))?;
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | ':');
        if model_id.is_empty() || model_id.len() > 256 || !model_id.chars().all(allowed) {
            return Err(ApiError::member(
                "modelId",
                "Member must satisfy regular expression pattern: [a-zA-Z_.\\-/0-9:]+",
            ));
        }
        let model_input = body.get("modelInput").filter(|input| !input.is_null());
        let model_input = model_input.ok_or_else(|| ApiError::member("modelInput", "Member must not be null"))?;
        let output_data_config = body
            .get("outputDataConfig")
            .ok_or_else(|| ApiError::member("outputDataConfig", "Member must not be null"))?;
        let (_, s3) = validation::union("outputDataConfig", output_data_config, &["s3OutputDataConfig"])?;
        let s3_uri = validation::string("outputDataConfig.s3OutputDataConfig.s3Uri", s3.get("s3Uri"))?;
        let token = match body.get("clientRequestToken") {
            None | Some(Value::Null) => uuid::Uuid::new_v4().to_string(),
            Some(token) => {
                let token = validation::string("clientRequestToken", Some(token))?;
                if token.is_empty() || token.len() > 256 || !token.chars().all(|c| ('!'..='~').contains(&c)) {
                    return Err(ApiError::member(
                        "clientRequestToken",
                        "Member must satisfy regular expression pattern: [!-~]{1,256}",
                    ));
                }
                token.to_owned()
            }
        };
        if let Some(tags) = body.get("tags").filter(|tags| !tags.is_null()) {
            for (index, tag) in validation::array("tags", Some(tags), 0)?.iter().enumerate() {
                let tag = validation::object(&format!("tags[{index}]"), tag)?;
                validation::string(&format!("tags[{index}].key"), tag.get("key"))?;
                validation::string(&format!("tags[{index}].value"), tag.get("value"))?;
            }
        }
        let fingerprint = json!([model_id, model_input, output_data_config]);

        let id: String = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let output_file = output_path(&self.data_dir, s3_uri, &id)?;
        let arn = {
            let mut jobs = self.live();
            if let Some(existing) = jobs.iter().find(|job| job.client_request_token == token) {
                if existing.fingerprint != fingerprint {
                    return Err(ApiError::new(
                        "ConflictException",
                        400,
                        format!("The clientRequestToken `{token}` was already used for a different request."),
                    ));
                }
                return Ok(axum::Json(json!({"invocationArn": existing.arn})).into_response());
            }
            let now = OffsetDateTime::now_utc();
            let arn = format!("arn:aws:bedrock:{region}:{ACCOUNT}:async-invoke/{id}");
            let model_arn = if model_id.starts_with("arn:") {
                model_id.to_owned()
            } else {
                format!("arn:aws:bedrock:{region}::foundation-model/{model_id}")
            };
            jobs.push(Job {
                arn: arn.clone(),
                model_arn,
                client_request_token: token,
                fingerprint,
                output_data_config: output_data_config.clone(),
                submit_time: now,
                last_modified_time: now,
                end_time: None,
                status: Status::InProgress,
                failure_message: None,
                ended: None,
                output_file: None,
            });
            arn
        };
        let output =
            json!({"invocationArn": arn, "modelId": model_id, "output": invoke::default_answer(model_id, model_input)});
        let jobs = Arc::clone(self);
        let job_arn = arn.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = jobs.shutdown.cancelled() => {}
                () = tokio::time::sleep(Duration::from_millis(duration_ms)) => match failure {
                    None => jobs.complete(&job_arn, &output_file, &output).await,
                    Some(message) => jobs.finish(&job_arn, Err(message), None),
                },
            }
        });
        Ok(axum::Json(json!({"invocationArn": arn})).into_response())
    }

    /// Writes the output, then marks the job done, so a client that sees `Completed` finds the file.
    async fn complete(&self, arn: &str, output_file: &Path, output: &Value) {
        let written = async {
            if let Some(parent) = output_file.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            tokio::fs::write(output_file, serde_json::to_vec_pretty(output).unwrap_or_default()).await
        }
        .await;
        let outcome = written.map_err(|error| format!("cannot write {}: {error}", output_file.display()));
        self.finish(arn, outcome, Some(output_file.to_path_buf()));
    }

    /// Ends a job: `Completed`, or `Failed` with the message; `output_file` is what it wrote.
    fn finish(&self, arn: &str, outcome: Result<(), String>, output_file: Option<PathBuf>) {
        let mut jobs = self.lock();
        match jobs.iter_mut().find(|job| job.arn == arn) {
            None => {
                // Forgotten while it ran (it cannot be: only finished jobs expire); keep no orphan file.
                if let Some(file) = output_file {
                    remove_output(&file);
                }
            }
            Some(job) => {
                let now = OffsetDateTime::now_utc();
                job.last_modified_time = now;
                job.end_time = Some(now);
                job.ended = Some(Instant::now());
                job.output_file = output_file;
                match outcome {
                    Ok(()) => job.status = Status::Completed,
                    Err(message) => {
                        job.status = Status::Failed;
                        job.failure_message = Some(message);
                    }
                }
            }
        }
        drop(jobs);
        // The count limit applies as soon as one more job has finished.
        self.forget_expired();
    }

    pub fn get(&self, arn: &str) -> Result<Response, ApiError> {
        let jobs = self.live();
        let job = jobs
            .iter()
            .find(|job| job.arn == arn)
            .ok_or_else(|| ApiError::validation(format!("The async invocation `{arn}` does not exist.")))?;
        Ok(axum::Json(job.to_json()).into_response())
    }

    pub fn list(&self, raw_query: &str) -> Result<Response, ApiError> {
        let query = parse_query(raw_query);
        let param = |name: &str| query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
        let time_param = |name: &str| -> Checked<Option<OffsetDateTime>> {
            param(name)
                .map(|value| {
                    OffsetDateTime::parse(value, &Rfc3339).map_err(|error| {
                        ApiError::member(name, &format!("Member must be an RFC 3339 timestamp ({error})"))
                    })
                })
                .transpose()
        };
        let after = time_param("submitTimeAfter")?;
        let before = time_param("submitTimeBefore")?;
        if let Some(status) = param("statusEquals") {
            validation::one_of("statusEquals", status, &["InProgress", "Completed", "Failed"])?;
        }
        if let Some(sort_by) = param("sortBy") {
            validation::one_of("sortBy", sort_by, &["SubmissionTime"])?;
        }
        let descending = match param("sortOrder") {
            None => true,
            Some(order) => {
                validation::one_of("sortOrder", order, &["Ascending", "Descending"])?;
                order == "Descending"
            }
        };
        let max_results = match param("maxResults") {
            None => 1000,
            Some(value) => value
                .parse::<usize>()
                .ok()
                .filter(|max| (1..=1000).contains(max))
                .ok_or_else(|| ApiError::member("maxResults", "Member must be an integer from 1 to 1000"))?,
        };

        let jobs = self.live();
        let mut selected: Vec<&Job> = jobs
            .iter()
            .filter(|job| param("statusEquals").is_none_or(|status| job.status.name() == status))
            .filter(|job| after.is_none_or(|after| job.submit_time > after))
            .filter(|job| before.is_none_or(|before| job.submit_time < before))
            .collect();
        selected.sort_by(|a, b| (a.submit_time, &a.arn).cmp(&(b.submit_time, &b.arn)));
        if descending {
            selected.reverse();
        }
        // The token names the last job returned, so paging stays stable while jobs are added.
        let start = match param("nextToken") {
            None => 0,
            Some(token) => {
                let last = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(token)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .and_then(|arn| selected.iter().position(|job| job.arn == arn))
                    .ok_or_else(|| ApiError::member("nextToken", "Member is not a token this listing returned"))?;
                last + 1
            }
        };
        let page: Vec<&Job> = selected.iter().skip(start).take(max_results).copied().collect();
        let mut response = json!({"asyncInvokeSummaries": page.iter().map(|job| job.to_json()).collect::<Vec<_>>()});
        if start + page.len() < selected.len()
            && let Some(last) = page.last()
        {
            response["nextToken"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&last.arn));
        }
        Ok(axum::Json(response).into_response())
    }
}

/// Takes out of `jobs` the finished ones to forget: those that ended `ttl` ago or more, then the
/// earliest finished beyond `max_finished`.
fn expire(jobs: &mut Vec<Job>, retention: Retention, now: Instant) -> Vec<Job> {
    let past_ttl = |ended: Instant| now.saturating_duration_since(ended) >= retention.ttl;
    let mut finished: Vec<(Instant, String)> =
        jobs.iter().filter_map(|job| job.ended.map(|ended| (ended, job.arn.clone()))).collect();
    finished.sort();
    let over_count = finished.len().saturating_sub(retention.max_finished);
    let forget: std::collections::HashSet<String> = finished
        .into_iter()
        .enumerate()
        .filter(|(index, (ended, _))| *index < over_count || past_ttl(*ended))
        .map(|(_, (_, arn))| arn)
        .collect();
    if forget.is_empty() {
        return Vec::new();
    }
    let (expired, kept) = std::mem::take(jobs).into_iter().partition(|job| forget.contains(&job.arn));
    *jobs = kept;
    expired
}

/// Deletes a forgotten job's output and the directory named for the job, when that is left empty.
fn remove_output(file: &Path) {
    if let Err(error) = std::fs::remove_file(file)
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(file = %file.display(), %error, "cannot delete an expired async job's output");
    }
    if let Some(job_dir) = file.parent() {
        let _ = std::fs::remove_dir(job_dir);
    }
}

fn parse_query(raw: &str) -> Vec<(String, String)> {
    let decode = |text: &str| percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned();
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_path_follows_the_s3_uri() {
        let path = output_path(Path::new("/d"), "s3://bucket/a/b/", "id1").unwrap();
        assert_eq!(path, Path::new("/d/s3/bucket/a/b/id1/output.json"));
        assert!(output_path(Path::new("/d"), "s3://bucket/../x", "id").is_err());
        assert!(output_path(Path::new("/d"), "https://x", "id").is_err());
    }

    fn job(arn: &str, ended: Option<Instant>) -> Job {
        let now = OffsetDateTime::now_utc();
        Job {
            arn: arn.into(),
            model_arn: String::new(),
            client_request_token: arn.into(),
            fingerprint: Value::Null,
            output_data_config: Value::Null,
            submit_time: now,
            last_modified_time: now,
            end_time: None,
            status: if ended.is_some() { Status::Completed } else { Status::InProgress },
            failure_message: None,
            ended,
            output_file: None,
        }
    }

    #[test]
    fn finished_jobs_expire_by_age_then_by_count_and_running_ones_never() {
        let now = Instant::now();
        let ago = |secs| Some(now - Duration::from_secs(secs));
        let mut jobs =
            vec![job("old", ago(100)), job("running", None), job("b", ago(3)), job("a", ago(4)), job("c", ago(2))];
        let retention = Retention { ttl: Duration::from_secs(60), max_finished: 2 };
        let expired: Vec<String> = expire(&mut jobs, retention, now).into_iter().map(|job| job.arn).collect();
        assert_eq!(expired, ["old", "a"], "past its time to live, then the earliest ended beyond 2");
        let kept: Vec<&str> = jobs.iter().map(|job| job.arn.as_str()).collect();
        assert_eq!(kept, ["running", "b", "c"]);
        assert!(expire(&mut jobs, retention, now).is_empty());
    }

    #[test]
    fn query_is_percent_decoded() {
        let query = parse_query("submitTimeAfter=2025-01-01T00%3A00%3A00Z&maxResults=2");
        assert_eq!(query[0], ("submitTimeAfter".into(), "2025-01-01T00:00:00Z".into()));
    }
}
