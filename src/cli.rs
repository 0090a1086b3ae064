//! The command line (docs/protocol.md "Command line"): every command and flag,
//! each flag with its environment variable. Parsing only; `main.rs` and
//! [`crate::run`] decide what to do with it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::protocol::{HostOptions, RetryMode};

/// A JSON-RPC 2.0 host for Amazon Bedrock Runtime over stdio, and a
/// wire-exact local Bedrock emulator.
///
/// Without a command, serves the JSON-RPC protocol of docs/protocol.md on stdin/stdout (LSP
/// `Content-Length` framing or newline-delimited JSON, chosen by the first
/// byte). Credentials and region come from the normal AWS chain
/// (AWS_REGION, AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, credential_process, …)
/// unless `--emulator` is given.
#[derive(Debug, Parser)]
#[command(name = "bedrock-host", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub server: ServerArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Bedrock Runtime emulator alone (docs/emulator.md); prints its base URL as the first stdout line.
    Emulator(EmulatorArgs),
    /// One conversation turn from the terminal: the answer streams to stdout, usage and cost go to stderr.
    Ask(AskArgs),
    /// Write the JSON Schemas of every protocol method (what `schemas/` holds) and, with `--docs FILE`, the Markdown method reference (docs/methods.md).
    Schema(SchemaArgs),
}

/// Flags shared by the stdio server and `ask`.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// AWS region (falls back to AWS_REGION and the AWS config files).
    #[arg(long, global = true, env = "BEDROCK_HOST_REGION")]
    pub region: Option<String>,

    /// AWS profile from ~/.aws/config and ~/.aws/credentials (falls back to AWS_PROFILE).
    #[arg(long, global = true, env = "BEDROCK_HOST_PROFILE")]
    pub profile: Option<String>,

    /// Bedrock Runtime endpoint URL (falls back to AWS_ENDPOINT_URL_BEDROCK_RUNTIME).
    #[arg(long, global = true, env = "BEDROCK_HOST_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,

    /// Model used when a call names none: a model id, inference-profile id, ARN or alias (`sonnet`, `haiku`, `nova-pro`, …).
    #[arg(long, global = true, env = "BEDROCK_HOST_DEFAULT_MODEL_ID")]
    pub default_model_id: Option<String>,

    /// Total attempts per Bedrock call, retries included (the SDK default is 3).
    #[arg(long, global = true, env = "BEDROCK_HOST_MAX_ATTEMPTS", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: Option<u32>,

    /// Retry mode of the AWS SDK.
    #[arg(long, global = true, env = "BEDROCK_HOST_RETRY_MODE", value_enum)]
    pub retry_mode: Option<RetryMode>,

    /// Timeout of one Bedrock call attempt, in milliseconds; for a streamed answer, also the longest wait between two events.
    #[arg(long, global = true, env = "BEDROCK_HOST_REQUEST_TIMEOUT_MS")]
    pub request_timeout_ms: Option<u64>,

    /// Persist conversations in this directory (otherwise they live in memory only).
    #[arg(long, global = true, env = "BEDROCK_HOST_STORAGE_DIR")]
    pub storage_dir: Option<PathBuf>,

    /// Most conversations the host keeps; creating or forking one more is refused.
    #[arg(long, global = true, env = "BEDROCK_HOST_MAX_CONVERSATIONS")]
    pub max_conversations: Option<usize>,

    /// A turn is refused once a conversation's history holds this many messages.
    #[arg(long, global = true, env = "BEDROCK_HOST_MAX_MESSAGES_PER_CONVERSATION")]
    pub max_messages_per_conversation: Option<usize>,

    /// How long the host waits for the client to answer a `tool/call`, in milliseconds.
    #[arg(long, global = true, env = "BEDROCK_HOST_TOOL_CALL_TIMEOUT_MS")]
    pub tool_call_timeout_ms: Option<u64>,

    /// Model calls per turn before the tool-use loop stops with `tool_iterations_exhausted`.
    #[arg(long, global = true, env = "BEDROCK_HOST_MAX_TOOL_ITERATIONS")]
    pub max_tool_iterations: Option<u32>,

    /// Log file (rotated daily). Default: bedrock-host.log under the user's state directory.
    #[arg(long, global = true, env = "BEDROCK_HOST_LOG_FILE")]
    pub log_file: Option<PathBuf>,

    /// Log to stderr instead of a file (stdout carries protocol messages only).
    #[arg(long, global = true, env = "BEDROCK_HOST_LOG_STDERR")]
    pub log_stderr: bool,

    /// Log level or filter: error, warn, info, debug, trace, or a tracing filter such as `bedrock_host=debug`.
    #[arg(long, global = true, env = "BEDROCK_HOST_LOG_LEVEL")]
    pub log_level: Option<String>,

    /// Serve against an in-process emulator on a free loopback port, with static test credentials: no AWS account needed.
    #[arg(long, global = true, env = "BEDROCK_HOST_EMULATOR")]
    pub emulator: bool,

    /// Script for the in-process emulator (docs/emulator.md "Scripts"); implies nothing without `--emulator`.
    #[arg(long, global = true, env = "BEDROCK_HOST_EMULATOR_SCRIPT")]
    pub emulator_script: Option<PathBuf>,
}

impl CommonArgs {
    /// The HostOptions these flags (and their environment variables) set.
    pub fn host_options(&self) -> HostOptions {
        HostOptions {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            default_model_id: self.default_model_id.clone(),
            max_attempts: self.max_attempts,
            retry_mode: self.retry_mode,
            request_timeout_ms: self.request_timeout_ms,
            storage_dir: self.storage_dir.as_ref().map(|p| p.display().to_string()),
            response_cache: None,
            tool_call_timeout_ms: self.tool_call_timeout_ms,
            max_tool_iterations: self.max_tool_iterations,
            guardrail_config: None,
            log_level: self.log_level.clone(),
            max_conversations: self.max_conversations,
            max_messages_per_conversation: self.max_messages_per_conversation,
        }
    }
}

/// Flags of the stdio server only.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Largest accepted message, in bytes; a larger frame is answered with an error and skipped unread.
    #[arg(long, env = "BEDROCK_HOST_MAX_FRAME_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_frame_bytes: usize,

    /// Answer identical stateless non-streaming `bedrock/converse` calls from an LRU cache of this many entries (0: off).
    #[arg(long, env = "BEDROCK_HOST_RESPONSE_CACHE_ENTRIES", default_value_t = 0)]
    pub response_cache_entries: usize,
}

#[derive(Debug, Clone, Args)]
pub struct EmulatorArgs {
    /// Address to bind; loopback by default.
    #[arg(long, default_value = "127.0.0.1", env = "BEDROCK_EMULATOR_HOST")]
    pub host: String,

    /// Port to bind; 0 picks a free one.
    #[arg(long, default_value_t = 0, env = "BEDROCK_EMULATOR_PORT")]
    pub port: u16,

    /// Script of rules, guardrails and async settings (docs/emulator.md "Scripts").
    #[arg(long, env = "BEDROCK_EMULATOR_SCRIPT")]
    pub script: Option<PathBuf>,

    /// Where async-invoke output is written (`s3/<bucket>/<prefix>/<job id>/output.json`). Default: a fresh temporary directory.
    #[arg(long, env = "BEDROCK_EMULATOR_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Exit when stdin closes (for parents that cannot send signals).
    #[arg(long)]
    pub exit_on_stdin_eof: bool,

    /// Most requests kept in the journal (`GET /_emulator/requests`); the oldest are dropped first.
    #[arg(long, default_value_t = 10_000, env = "BEDROCK_EMULATOR_JOURNAL_LIMIT")]
    pub journal_limit: usize,

    /// Most bytes the journal keeps (bodies as received, paths, headers); the oldest requests are dropped first.
    #[arg(long, default_value_t = crate::emulator::DEFAULT_JOURNAL_MAX_BYTES, env = "BEDROCK_EMULATOR_JOURNAL_MAX_BYTES")]
    pub journal_max_bytes: usize,

    /// Seconds a finished async job is remembered (its output kept) after it ends.
    #[arg(long, default_value_t = crate::emulator::DEFAULT_JOB_TTL.as_secs(), env = "BEDROCK_EMULATOR_JOB_TTL_SECS")]
    pub job_ttl_secs: u64,

    /// Most finished async jobs remembered; the oldest are forgotten (their output deleted) first.
    #[arg(long, default_value_t = crate::emulator::DEFAULT_MAX_FINISHED_JOBS, env = "BEDROCK_EMULATOR_MAX_FINISHED_JOBS")]
    pub max_finished_jobs: usize,
}

impl EmulatorArgs {
    /// The emulator's own options type: the emulator imports nothing from the host.
    pub fn to_emulator_options(&self) -> crate::emulator::CliOptions {
        crate::emulator::CliOptions {
            host: self.host.clone(),
            port: self.port,
            script: self.script.clone(),
            data_dir: self.data_dir.clone(),
            journal_limit: self.journal_limit,
            journal_max_bytes: self.journal_max_bytes,
            job_ttl: std::time::Duration::from_secs(self.job_ttl_secs),
            max_finished_jobs: self.max_finished_jobs,
            exit_on_stdin_eof: self.exit_on_stdin_eof,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct AskArgs {
    /// Model id, inference-profile id, ARN or alias (`sonnet`, `haiku`, `nova-pro`, …).
    #[arg(long, short)]
    pub model: Option<String>,

    /// System prompt.
    #[arg(long)]
    pub system: Option<String>,

    /// Most tokens the answer may have.
    #[arg(long)]
    pub max_tokens: Option<u32>,

    /// The prompt; several words are joined with spaces. `-` reads it from stdin.
    #[arg(required = true, num_args = 1..)]
    pub prompt: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {
    /// Directory to write into (created if missing).
    #[arg(long, default_value = "schemas")]
    pub out: PathBuf,

    /// Also write the Markdown method reference (what docs/methods.md holds) to this file.
    #[arg(long, value_name = "FILE")]
    pub docs: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_become_host_options() {
        let cli = Cli::parse_from([
            "bedrock-host",
            "--region",
            "eu-west-1",
            "--max-attempts",
            "5",
            "--retry-mode",
            "adaptive",
        ]);
        let options = cli.common.host_options();
        assert_eq!(options.region.as_deref(), Some("eu-west-1"));
        assert_eq!(options.max_attempts, Some(5));
        assert_eq!(options.retry_mode, Some(RetryMode::Adaptive));
    }

    #[test]
    fn emulator_subcommand_parses() {
        let cli = Cli::parse_from(["bedrock-host", "emulator", "--port", "0", "--exit-on-stdin-eof"]);
        assert!(matches!(cli.command, Some(Command::Emulator(EmulatorArgs { port: 0, exit_on_stdin_eof: true, .. }))));
    }
}
