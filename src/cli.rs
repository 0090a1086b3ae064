//! The command line (docs/protocol.md "Command line"): every command and flag,
//! each flag with its environment variable. Parsing only; `main.rs` and
//! [`crate::run`] decide what to do with it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::protocol::lifecycle as limits;
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
    /// Serve Bedrock to MCP clients (Claude Code, Cursor, goose, Zed) as tools over MCP's stdio transport: converse, count_tokens, apply_guardrail, list_models, estimate_cost (docs/mcp-server.md).
    Mcp,
}

/// Flags shared by the stdio server and `ask`.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// AWS region, e.g. us-east-1 (falls back to AWS_REGION and the AWS config files).
    #[arg(long, global = true, env = "BEDROCK_HOST_REGION", value_parser = region)]
    pub region: Option<String>,

    /// AWS profile from ~/.aws/config and ~/.aws/credentials (falls back to AWS_PROFILE).
    #[arg(long, global = true, env = "BEDROCK_HOST_PROFILE", value_parser = profile)]
    pub profile: Option<String>,

    /// Bedrock Runtime endpoint URL (falls back to AWS_ENDPOINT_URL_BEDROCK_RUNTIME).
    #[arg(long, global = true, env = "BEDROCK_HOST_ENDPOINT_URL", value_parser = endpoint_url)]
    pub endpoint_url: Option<String>,

    /// Model used when a call names none: a model id, inference-profile id, ARN or alias (`sonnet`, `haiku`, `nova-pro`, …).
    #[arg(long, global = true, env = "BEDROCK_HOST_DEFAULT_MODEL_ID", value_parser = model_id)]
    pub default_model_id: Option<String>,

    /// Total attempts per Bedrock call, retries included, 1–20 (the SDK default is 3).
    #[arg(long, global = true, env = "BEDROCK_HOST_MAX_ATTEMPTS", value_parser = max_attempts)]
    pub max_attempts: Option<u32>,

    /// Retry mode of the AWS SDK.
    #[arg(long, global = true, env = "BEDROCK_HOST_RETRY_MODE", value_enum)]
    pub retry_mode: Option<RetryMode>,

    /// Timeout of one Bedrock call attempt, in milliseconds (1–3600000); for a streamed answer, until its headers, and the stream idle timeout unless --stream-idle-timeout-ms is given.
    #[arg(long, global = true, env = "BEDROCK_HOST_REQUEST_TIMEOUT_MS", value_parser = request_timeout_ms)]
    pub request_timeout_ms: Option<u64>,

    /// Longest wait for a streamed answer's first event and between two events, in milliseconds (1–3600000); default: --request-timeout-ms when given, else 120000.
    #[arg(long, global = true, env = "BEDROCK_HOST_STREAM_IDLE_TIMEOUT_MS", value_parser = stream_idle_timeout_ms)]
    pub stream_idle_timeout_ms: Option<u64>,

    /// Persist conversations in this directory (otherwise they live in memory only).
    #[arg(long, global = true, env = "BEDROCK_HOST_STORAGE_DIR", value_parser = storage_dir)]
    pub storage_dir: Option<PathBuf>,

    /// Most conversations the host keeps (1–1000000); creating or forking one more is refused.
    #[arg(long, global = true, env = "BEDROCK_HOST_MAX_CONVERSATIONS", value_parser = max_conversations)]
    pub max_conversations: Option<usize>,

    /// A turn is refused once a conversation's history holds this many messages (1–1000000).
    #[arg(long, global = true, env = "BEDROCK_HOST_MAX_MESSAGES_PER_CONVERSATION", value_parser = max_messages_per_conversation)]
    pub max_messages_per_conversation: Option<usize>,

    /// How long the host waits for the client to answer a `tool/call`, in milliseconds (1–86400000).
    #[arg(long, global = true, env = "BEDROCK_HOST_TOOL_CALL_TIMEOUT_MS", value_parser = tool_call_timeout_ms)]
    pub tool_call_timeout_ms: Option<u64>,

    /// Model calls per turn before the tool-use loop stops with `tool_iterations_exhausted` (0–1000; 0 counts as 1).
    #[arg(long, global = true, env = "BEDROCK_HOST_MAX_TOOL_ITERATIONS", value_parser = max_tool_iterations)]
    pub max_tool_iterations: Option<u32>,

    /// Whether the host places prompt-cache points in conversations' calls (auto: for models that offer prompt caching); a conversation may set its own.
    #[arg(long, global = true, env = "BEDROCK_HOST_PROMPT_CACHING", value_enum)]
    pub prompt_caching: Option<crate::protocol::PromptCachingMode>,

    /// What a conversation does when a call would exceed its maxContextTokens; a conversation may set its own.
    #[arg(long, global = true, env = "BEDROCK_HOST_CONTEXT_STRATEGY", value_enum)]
    pub context_strategy: Option<crate::protocol::ContextStrategy>,

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

    /// Serve the in-process emulator's control endpoints (`/_emulator/*`: its request journal, its script), guarded by the token in BEDROCK_HOST_EMULATOR_CONTROL_TOKEN (required, 16+ characters). Off by default: they show every prompt and can script the model.
    #[arg(long, global = true, env = "BEDROCK_HOST_EMULATOR_CONTROL")]
    pub emulator_control: bool,
}

/// The variable that holds the in-process emulator's control token (`--emulator-control`); a
/// variable, not a flag, so that the token never shows in the process list.
pub const EMULATOR_CONTROL_TOKEN_ENV: &str = "BEDROCK_HOST_EMULATOR_CONTROL_TOKEN";

impl CommonArgs {
    /// The in-process emulator's control token: `None` without `--emulator --emulator-control`; an
    /// error (for the user) when `--emulator-control` has no usable token.
    pub fn emulator_control_token(&self) -> Result<Option<String>, String> {
        if !(self.emulator && self.emulator_control) {
            return Ok(None);
        }
        let token = std::env::var(EMULATOR_CONTROL_TOKEN_ENV).map_err(|_| {
            format!(
                "--emulator-control needs the control token in {EMULATOR_CONTROL_TOKEN_ENV} (16 or more characters, \
                 e.g. `export {EMULATOR_CONTROL_TOKEN_ENV}=$(openssl rand -hex 32)`); the control endpoints then \
                 require it (docs/emulator.md \"Control\")"
            )
        })?;
        crate::emulator::check_control_token(&token)
            .map_err(|problem| format!("{EMULATOR_CONTROL_TOKEN_ENV}: {problem}"))?;
        Ok(Some(token))
    }

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
            stream_idle_timeout_ms: self.stream_idle_timeout_ms,
            storage_dir: self.storage_dir.as_ref().map(|p| p.display().to_string()),
            response_cache: None,
            tool_call_timeout_ms: self.tool_call_timeout_ms,
            max_tool_iterations: self.max_tool_iterations,
            guardrail_config: None,
            log_level: self.log_level.clone(),
            max_conversations: self.max_conversations,
            max_messages_per_conversation: self.max_messages_per_conversation,
            inline_completion: None,
            prompt_caching: self.prompt_caching,
            context_strategy: self.context_strategy,
        }
    }
}

// The checks of every flag and its environment variable: the same as `initializationOptions` gets
// (`HostOptions::problems`), so a value is accepted or refused the same way whichever way it came.

fn max_attempts(text: &str) -> Result<u32, String> {
    limits::MAX_ATTEMPTS.parse(text)
}

fn request_timeout_ms(text: &str) -> Result<u64, String> {
    limits::REQUEST_TIMEOUT_MS.parse(text)
}

fn stream_idle_timeout_ms(text: &str) -> Result<u64, String> {
    limits::STREAM_IDLE_TIMEOUT_MS.parse(text)
}

fn tool_call_timeout_ms(text: &str) -> Result<u64, String> {
    limits::TOOL_CALL_TIMEOUT_MS.parse(text)
}

fn max_tool_iterations(text: &str) -> Result<u32, String> {
    limits::MAX_TOOL_ITERATIONS.parse(text)
}

fn max_conversations(text: &str) -> Result<usize, String> {
    limits::MAX_CONVERSATIONS.parse(text)
}

fn max_messages_per_conversation(text: &str) -> Result<usize, String> {
    limits::MAX_MESSAGES_PER_CONVERSATION.parse(text)
}

fn response_cache_entries(text: &str) -> Result<usize, String> {
    limits::RESPONSE_CACHE_ENTRIES.parse(text)
}

fn region(text: &str) -> Result<String, String> {
    limits::check_region(text).map(|()| text.to_string())
}

fn profile(text: &str) -> Result<String, String> {
    limits::check_profile(text).map(|()| text.to_string())
}

fn endpoint_url(text: &str) -> Result<String, String> {
    limits::check_endpoint_url(text).map(|()| text.to_string())
}

fn model_id(text: &str) -> Result<String, String> {
    limits::check_model_id(text).map(|()| text.to_string())
}

fn storage_dir(text: &str) -> Result<PathBuf, String> {
    limits::check_storage_dir(text).map(|()| PathBuf::from(text))
}

/// Flags of the stdio server only.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Largest accepted message, in bytes; a larger frame is answered with an error and skipped unread.
    #[arg(long, env = "BEDROCK_HOST_MAX_FRAME_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_frame_bytes: usize,

    /// Answer identical stateless non-streaming `bedrock/converse` calls from an LRU cache of this many entries (0–100000; 0: off).
    #[arg(long, env = "BEDROCK_HOST_RESPONSE_CACHE_ENTRIES", default_value_t = 0, value_parser = response_cache_entries)]
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

    /// Token the control endpoints (`/_emulator/*`) require, 16+ characters; prefer the variable, which other users cannot see in the process list. Default: a fresh one, printed as the second stdout line `control-token: <token>`.
    #[arg(long, env = "BEDROCK_EMULATOR_CONTROL_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub control_token: Option<String>,

    /// Most connections served at once; one more is closed unanswered.
    #[arg(long, default_value_t = 512, env = "BEDROCK_EMULATOR_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// A connection must send a whole request head within this many milliseconds (of its first byte, or of connecting).
    #[arg(long, default_value_t = 10_000, env = "BEDROCK_EMULATOR_HEADER_TIMEOUT_MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_ms: u64,

    /// A connection with no request in progress is closed after this many milliseconds of silence; a request body must arrive within it too.
    #[arg(long, default_value_t = 60_000, env = "BEDROCK_EMULATOR_IDLE_TIMEOUT_MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_ms: u64,
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
            control_token: self.control_token.clone(),
            limits: crate::emulator::ConnectionLimits {
                max_connections: self.max_connections as usize,
                header_timeout: std::time::Duration::from_millis(self.header_timeout_ms),
                idle_timeout: std::time::Duration::from_millis(self.idle_timeout_ms),
            },
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
        let cli = Cli::parse_from(["bedrock-host", "emulator", "--max-connections", "7", "--header-timeout-ms", "250"]);
        let Some(Command::Emulator(args)) = cli.command else { panic!("the emulator command") };
        let options = args.to_emulator_options();
        assert_eq!(options.limits.max_connections, 7);
        assert_eq!(options.limits.header_timeout, std::time::Duration::from_millis(250));
        assert_eq!(options.limits.idle_timeout, std::time::Duration::from_secs(60));
    }

    #[test]
    fn emulator_control_is_off_unless_asked_with_the_emulator() {
        let cli = Cli::parse_from(["bedrock-host", "--emulator"]);
        assert_eq!(cli.common.emulator_control_token(), Ok(None));
        let cli = Cli::parse_from(["bedrock-host", "--emulator-control"]);
        assert_eq!(cli.common.emulator_control_token(), Ok(None), "nothing without --emulator");
    }
}
