//! The Bedrock Runtime emulator (docs/emulator.md, docs/bedrock-wire.md): a local HTTP server speaking Bedrock
//! Runtime's restJson1 + event-stream wire protocol, so the unmodified AWS SDKs (Rust, boto3, CLI)
//! accept it as Bedrock when their endpoint URL points at it.
//!
//! # Behaviour
//!
//! - **Routing**: on the raw path, split on `/` first, then each segment percent-decoded, so model
//!   ids and ARNs with `%3A`/`%2F` arrive whole. Every answer carries `x-amzn-RequestId`; errors carry
//!   `x-amzn-ErrorType: <Name>:http://internal.amazon.com/coral/com.amazon.bedrock/` and a JSON body
//!   `{"message", "__type"}` with the modelled status. Any `Authorization` header is accepted.
//! - **Tokenizer** (one, shared by usage and CountTokens): a token is a maximal run of word characters
//!   (letters, digits, `_`) or a maximal run of other non-space characters; `"Hello, world!"` is 4.
//!   Converse input tokens = system text blocks + every message's blocks + each tool's compact JSON;
//!   a text block counts its text, a toolUse its name and input JSON, a toolResult its texts and
//!   JSON, a cachePoint 0, any other block its compact JSON. CountTokens' `converse` form counts the
//!   same way, so it equals Converse's `usage.inputTokens` for the same request. An Anthropic body
//!   (InvokeModel, CountTokens' `invokeModel` form) counts system, message contents and tools alike;
//!   any other body counts its text. Output tokens count the generated blocks the same way.
//! - **Default answer** (no script rule matches): one text block `You said: <last user text>` (after
//!   a toolResult-only user turn: `Tool result received: <results>`), cut at the earliest
//!   `stopSequences` match (stopReason `stop_sequence`) and then to `maxTokens` tokens (`max_tokens`).
//!   Streams send one delta per word (each keeping its trailing whitespace), a toolUse as
//!   contentBlockStart + its input JSON split into 2+ partial strings + contentBlockStop.
//! - **InvokeModel**: an Anthropic Messages body (`anthropic_version` + `messages`) gets the
//!   Anthropic response (and headers `x-amzn-bedrock-{input,output}-token-count`,
//!   `-invocation-latency`); the stream variant sends Anthropic's stream events as `chunk`s, the
//!   `message_stop` one with `amazon-bedrock-invocationMetrics`. Any other JSON body is echoed back
//!   (one `chunk` when streaming). With guardrail headers the body gets
//!   `amazon-bedrock-guardrailAction` (`NONE`/`INTERVENED`), plus `amazon-bedrock-trace` when
//!   `X-Amzn-Bedrock-Trace: ENABLED`.
//! - **Validation**: a ValidationException naming the member (`messages[0].content[1]`), for what
//!   Bedrock rejects: missing/empty `messages` or `content`, unions with no or two members or an
//!   unknown one, maxTokens < 1, temperature/topP outside [0, 1], a conversation not starting with a
//!   user turn or not alternating, a toolResult not answering a toolUse of the preceding assistant
//!   turn (and a toolUse left unanswered), tool blocks without toolConfig, toolConfig without tools,
//!   invalid model ids. Unknown top-level members are tolerated (newer SDKs).
//! - **Scripts** ([`Script`]): rules tried in order; `respond` rules apply to Converse,
//!   ConverseStream, InvokeModel and InvokeModelWithResponseStream; `fail` rules to every operation.
//!   The project's extensions (marked as such in docs/emulator.md): a scripted `toolUse` may carry
//!   `rawInput` (a string sent verbatim as the streamed input deltas, e.g. broken JSON, to test how
//!   clients survive it); `fail.status` may be left out (the exception's real status is used); a
//!   guardrail's `version` may be left out (`DRAFT` is always accepted).
//! - **Async jobs**: `InProgress`, then after `asyncJobDurationMs` (default 200) the output (the
//!   InvokeModel answer to `modelInput`) is written to `<data dir>/s3/<bucket>/<prefix>/<job id>/output.json`
//!   and the job is `Completed`. A script's `"asyncJobOutcome": {"status": "Failed", "failureMessage":
//!   "…"}` makes every job end `Failed` with that message instead (and write nothing), for testing
//!   how clients handle failed jobs; `{"status": "Completed"}` is the default. A fresh data dir
//!   (when none is given) is removed at shutdown.
//! - **Control**: `GET /_emulator/health`, `GET|DELETE /_emulator/requests` (the journal, capped at
//!   `journal_limit`; each entry has `operation`, `modelId`, the raw `path`, `body`, `headers`,
//!   `receivedAt`), `GET|PUT /_emulator/script`.
//! - InvokeModelWithBidirectionalStream and InvokeGuardrailChecks answer ValidationException.
//!
//! # Layout
//!
//! `server` (routing, journal, control), `converse` (Converse, ConverseStream, CountTokens), `invoke`
//! (InvokeModel*), `guardrails` (lookup, ApplyGuardrail), `async_jobs`, `call` (the request and the
//! live script an operation gets), `reply` (default/scripted/guardrailed answers), `eventstream`
//! (its own frame encoder, shaping), `script` (the script model), `journal`, `tokenizer`,
//! `validation`, `errors`. Modules import each other without cycles, and the emulator imports
//! nothing from the rest of this crate ([`CliOptions`] is its own; the command line adapts to it)
//! and no AWS crate: it must be judged by the SDKs, not built from them. The `independence` tests
//! check both on the source.

mod async_jobs;
mod call;
mod converse;
mod errors;
mod eventstream;
mod families;
mod guardrails;
#[cfg(test)]
mod independence;
mod invoke;
mod journal;
mod reply;
mod schema_fill;
mod script;
mod server;
mod tokenizer;
mod validation;

pub use script::{Script, ScriptError};

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::io::AsyncReadExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long shutdown waits for streams in flight before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Where and how the emulator runs.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub bind: SocketAddr,
    pub script: Option<Script>,
    /// Async-invoke output goes here; `None`: a fresh temporary directory, removed at shutdown.
    pub data_dir: Option<PathBuf>,
    /// Most requests the journal keeps.
    pub journal_limit: usize,
}

impl EmulatorConfig {
    /// 127.0.0.1 on a free port, no script, a fresh temporary data dir, a 10 000-request journal.
    pub fn loopback() -> Self {
        EmulatorConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            script: None,
            data_dir: None,
            journal_limit: 10_000,
        }
    }
}

/// What `bedrock-host emulator` was asked for; the host's command line fills it in (the emulator
/// knows nothing of the host's types).
#[derive(Debug, Clone)]
pub struct CliOptions {
    /// An IP address or a resolvable name.
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    /// A script file, read and checked before the emulator starts.
    pub script: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub journal_limit: usize,
    /// Stop when stdin closes, besides SIGINT/SIGTERM.
    pub exit_on_stdin_eof: bool,
}

/// A serving emulator; dropping it stops the server, [`RunningEmulator::shutdown`] also waits for it.
pub struct RunningEmulator {
    base_url: String,
    local_addr: SocketAddr,
    data_dir: PathBuf,
    owns_data_dir: bool,
    stop: CancellationToken,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningEmulator {
    /// `http://127.0.0.1:<port>`: what SDKs take as their endpoint URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where async-invoke output is written.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops accepting, lets answers in flight finish for a short grace period, then drops them.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(mut server) = self.server.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await.is_err()
        {
            server.abort();
        }
        if self.owns_data_dir {
            let _ = tokio::fs::remove_dir_all(&self.data_dir).await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Binds, then serves in the background; the socket accepts connections when this returns.
pub async fn start(config: EmulatorConfig) -> anyhow::Result<RunningEmulator> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let local_addr = listener.local_addr().context("cannot read the bound address")?;
    let (data_dir, owns_data_dir) = match config.data_dir {
        Some(dir) => (dir, false),
        None => (std::env::temp_dir().join(format!("bedrock-emulator-{}", uuid::Uuid::new_v4().simple())), true),
    };
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create the data dir {}", data_dir.display()))?;

    let stop = CancellationToken::new();
    let jobs = async_jobs::Jobs::new(data_dir.clone(), stop.clone());
    let state = Arc::new(server::AppState::new(config.script.unwrap_or_default(), config.journal_limit, jobs));
    // Small event-stream frames must leave at once, not wait for Nagle's algorithm.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let signal = stop.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, server::router(state)).with_graceful_shutdown(signal.cancelled_owned()).await
    });
    tracing::info!(%local_addr, data_dir = %data_dir.display(), "emulator listening");
    Ok(RunningEmulator {
        base_url: format!("http://{local_addr}"),
        local_addr,
        data_dir,
        owns_data_dir,
        stop,
        server: Some(server),
    })
}

/// `bedrock-host emulator`: prints the base URL as the first stdout line once accepting, then
/// serves until SIGINT/SIGTERM, or until stdin closes with `--exit-on-stdin-eof`.
pub async fn run_cli(args: &CliOptions) -> anyhow::Result<()> {
    let ip = match args.host.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => tokio::net::lookup_host((args.host.as_str(), 0))
            .await
            .ok()
            .and_then(|mut addresses| addresses.next())
            .map(|address| address.ip())
            .with_context(|| format!("--host `{}` is neither an IP address nor a resolvable name", args.host))?,
    };
    let script = match &args.script {
        None => None,
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read the script {}", path.display()))?;
            Some(Script::from_json(&text).with_context(|| format!("the script {} is invalid", path.display()))?)
        }
    };
    let emulator = start(EmulatorConfig {
        bind: SocketAddr::new(ip, args.port),
        script,
        data_dir: args.data_dir.clone(),
        journal_limit: args.journal_limit,
    })
    .await?;
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", emulator.base_url()).context("cannot write the base URL to stdout")?;
        stdout.flush().context("cannot flush stdout")?;
    }
    wait_for_stop(args.exit_on_stdin_eof).await;
    emulator.shutdown().await;
    Ok(())
}

async fn wait_for_stop(exit_on_stdin_eof: bool) {
    let stdin_closed = async {
        if !exit_on_stdin_eof {
            return std::future::pending().await;
        }
        let mut stdin = tokio::io::stdin();
        let mut buffer = [0u8; 1024];
        while matches!(stdin.read(&mut buffer).await, Ok(read) if read > 0) {}
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminated() => {}
        () = stdin_closed => {}
    }
}

#[cfg(unix)]
async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut signal) => {
            signal.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminated() {
    std::future::pending().await
}
