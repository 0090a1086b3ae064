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
//!   `journal_limit` entries and `journal_max_bytes` bytes, bodies kept as received and parsed when
//!   read; each entry has `operation`, `modelId`, the raw `path`, `body`, `headers` without
//!   credentials, `receivedAt`, and `bodyOmittedBytes` for a body over the whole limit),
//!   `GET|PUT /_emulator/script`. Only with a control token
//!   (`EmulatorConfig::control_token`; otherwise 404): a request must carry it (`x-emulator-token`
//!   or `Authorization: Bearer`, else 401) and name a loopback `Host` with the bound port (else 403).
//! - **Retention**: a finished async job is forgotten, and its output deleted, `job_ttl` after it
//!   ended, or sooner when more than `max_finished_jobs` have finished (the oldest first).
//! - **Connections** ([`ConnectionLimits`]): a cap on connections served at once, a header timeout
//!   and an idle timeout, so no client holds the emulator's sockets for ever.
//! - **Limits**: tool input and other documents nest at most 128 levels, whole bodies and scripts
//!   144; scripted token counts fit in int32.
//! - InvokeModelWithBidirectionalStream and InvokeGuardrailChecks answer ValidationException.
//!
//! # Layout
//!
//! `server` (routing, journal, control), `converse` (Converse, ConverseStream, CountTokens), `invoke`
//! (InvokeModel*), `guardrails` (lookup, ApplyGuardrail), `async_jobs`, `call` (the request and the
//! live script an operation gets, with the prompt cache), `cache` (prompt caching: cache points,
//! per-model limits, the entries and their clock), `reply` (default/scripted/guardrailed answers), `eventstream`
//! (its own frame encoder, shaping), `script` (the script model), `journal`, `tokenizer`,
//! `validation`, `errors`. Modules import each other without cycles, and the emulator imports
//! nothing from the rest of this crate ([`CliOptions`] is its own; the command line adapts to it)
//! and no AWS crate: it must be judged by the SDKs, not built from them. The `independence` tests
//! check both on the source.

mod async_jobs;
mod cache;
mod call;
mod converse;
mod errors;
mod eventstream;
mod families;
mod guardrails;
mod http;
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

pub use http::ConnectionLimits;
pub use script::{Script, ScriptError};
pub use server::{CONTROL_TOKEN_HEADER, MIN_CONTROL_TOKEN_CHARS};

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
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
    /// Async-invoke output goes here; `None`: a fresh temporary directory (mode 0700), removed at
    /// shutdown, when dropped, or by [`remove_temporary_dirs`].
    pub data_dir: Option<PathBuf>,
    /// Most requests the journal keeps.
    pub journal_limit: usize,
    /// The token the `/_emulator/*` control endpoints require ([`CONTROL_TOKEN_HEADER`] or
    /// `Authorization: Bearer`); `None`: the control endpoints are off (404).
    pub control_token: Option<String>,
    /// Connection cap, header and idle timeouts.
    pub limits: ConnectionLimits,
    /// Most bytes the journal keeps (bodies as received, paths, headers); the oldest go first.
    pub journal_max_bytes: usize,
    /// How long a finished async job is remembered (and its output kept) after it ends.
    pub job_ttl: Duration,
    /// Most finished async jobs remembered; the oldest are forgotten (and their output deleted) first.
    pub max_finished_jobs: usize,
}

/// The journal's byte limit by default (`--journal-max-bytes`).
pub const DEFAULT_JOURNAL_MAX_BYTES: usize = 64 * 1024 * 1024;
/// How long a finished async job is kept by default (`--job-ttl-secs`).
pub const DEFAULT_JOB_TTL: Duration = Duration::from_secs(3600);
/// Most finished async jobs kept by default (`--max-finished-jobs`).
pub const DEFAULT_MAX_FINISHED_JOBS: usize = 1000;

impl EmulatorConfig {
    /// 127.0.0.1 on a free port, no script, a fresh temporary data dir, a journal of at most
    /// 10 000 requests and 64 MiB, finished async jobs kept for an hour (at most 1000), no control
    /// endpoints, the default connection limits.
    pub fn loopback() -> Self {
        EmulatorConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            script: None,
            data_dir: None,
            journal_limit: 10_000,
            control_token: None,
            limits: ConnectionLimits::default(),
            journal_max_bytes: DEFAULT_JOURNAL_MAX_BYTES,
            job_ttl: DEFAULT_JOB_TTL,
            max_finished_jobs: DEFAULT_MAX_FINISHED_JOBS,
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
    pub journal_max_bytes: usize,
    pub job_ttl: Duration,
    pub max_finished_jobs: usize,
    /// Stop when stdin closes, besides SIGINT/SIGTERM.
    pub exit_on_stdin_eof: bool,
    /// The control endpoints' token; `None`: a fresh one, printed as the second stdout line.
    pub control_token: Option<String>,
    pub limits: ConnectionLimits,
}

/// A fresh, unguessable control token: 64 hex digits from the operating system's random source.
pub fn generate_control_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Whether `token` can be a control token: at least [`MIN_CONTROL_TOKEN_CHARS`] visible ASCII
/// characters (it travels in an HTTP header). The error says what is wrong, not the token.
pub fn check_control_token(token: &str) -> Result<(), String> {
    if token.len() < MIN_CONTROL_TOKEN_CHARS {
        return Err(format!(
            "the control token has {} characters; give at least {MIN_CONTROL_TOKEN_CHARS} (e.g. `openssl rand -hex 32`)",
            token.len()
        ));
    }
    if !token.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err("the control token must be visible ASCII characters only (no spaces)".into());
    }
    Ok(())
}

/// Fresh data dirs of emulators that have not removed theirs yet.
static TEMPORARY_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temporary_dirs() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARY_DIRS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes every fresh data dir an emulator of this process created and has not removed yet: for
/// exit paths that never drop the emulator (the runtime shut down around it, a panic).
pub fn remove_temporary_dirs() {
    let dirs = std::mem::take(&mut *temporary_dirs());
    for dir in dirs {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The file in a fresh data dir naming the process that owns it.
const OWNER_FILE: &str = "owner.pid";
/// Fresh data dirs are `<temp>/bedrock-emulator-<uuid>`.
const FRESH_DIR_PREFIX: &str = "bedrock-emulator-";

/// Removes the fresh data dirs of emulators whose process is gone without removing its own (killed
/// with SIGKILL, or the machine lost power). A dir without an owner file, or whose owner still runs,
/// is left alone; a reused pid only keeps a dir for longer.
fn sweep_abandoned_dirs(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else { return };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(FRESH_DIR_PREFIX) {
            continue;
        }
        let dir = entry.path();
        let Some(pid) =
            std::fs::read_to_string(dir.join(OWNER_FILE)).ok().and_then(|text| text.trim().parse::<u32>().ok())
        else {
            continue;
        };
        if !process_exists(pid) {
            tracing::debug!(dir = %dir.display(), pid, "removing an abandoned emulator data dir");
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

#[cfg(target_os = "linux")]
fn process_exists(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_exists(_pid: u32) -> bool {
    // Without /proc the owner cannot be told dead cheaply: keep the dir.
    true
}

fn forget_temporary_dir(dir: &Path) {
    temporary_dirs().retain(|known| known != dir);
}

/// A serving emulator; dropping it stops the server (and removes a fresh data dir),
/// [`RunningEmulator::shutdown`] also waits for it.
pub struct RunningEmulator {
    base_url: String,
    local_addr: SocketAddr,
    data_dir: PathBuf,
    owns_data_dir: bool,
    control_token: Option<String>,
    stop: CancellationToken,
    server: Option<JoinHandle<()>>,
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

    /// The token the control endpoints require; `None` when they are off.
    pub fn control_token(&self) -> Option<&str> {
        self.control_token.as_deref()
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
            forget_temporary_dir(&self.data_dir);
            self.owns_data_dir = false;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.stop.cancel();
        if self.owns_data_dir {
            let _ = std::fs::remove_dir_all(&self.data_dir);
            forget_temporary_dir(&self.data_dir);
        }
    }
}

/// Creates `dir` and its missing parents, each readable by its owner only (0700 on Unix).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Binds, then serves in the background; the socket accepts connections when this returns.
pub async fn start(config: EmulatorConfig) -> anyhow::Result<RunningEmulator> {
    if let Some(token) = &config.control_token {
        check_control_token(token).map_err(|problem| anyhow::anyhow!(problem))?;
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let local_addr = listener.local_addr().context("cannot read the bound address")?;
    let (data_dir, owns_data_dir) = match config.data_dir {
        Some(dir) => (dir, false),
        None => {
            let temp = std::env::temp_dir();
            sweep_abandoned_dirs(&temp);
            (temp.join(format!("{FRESH_DIR_PREFIX}{}", uuid::Uuid::new_v4().simple())), true)
        }
    };
    create_private_dir(&data_dir).with_context(|| format!("cannot create the data dir {}", data_dir.display()))?;
    if owns_data_dir {
        temporary_dirs().push(data_dir.clone());
        // So that a later emulator can remove this dir if this process dies without doing so.
        let _ = std::fs::write(data_dir.join(OWNER_FILE), std::process::id().to_string());
    }

    let stop = CancellationToken::new();
    let retention = async_jobs::Retention { ttl: config.job_ttl, max_finished: config.max_finished_jobs };
    let jobs = async_jobs::Jobs::new(data_dir.clone(), retention, stop.clone());
    let journal = journal::Journal::new(config.journal_limit, config.journal_max_bytes);
    let control = config.control_token.clone().map(|token| server::Control::new(token, local_addr));
    let state = Arc::new(server::AppState::new(
        config.script.unwrap_or_default(),
        journal,
        jobs,
        control,
        config.limits.idle_timeout,
    ));
    let server = tokio::spawn(http::serve(listener, server::router(state), config.limits, stop.clone()));
    tracing::info!(%local_addr, data_dir = %data_dir.display(), control = config.control_token.is_some(), "emulator listening");
    Ok(RunningEmulator {
        base_url: format!("http://{local_addr}"),
        local_addr,
        data_dir,
        owns_data_dir,
        control_token: config.control_token,
        stop,
        server: Some(server),
    })
}

/// `bedrock-host emulator`: prints the base URL as the first stdout line once accepting (and, when
/// no control token was given, `control-token: <token>` as the second), then serves until
/// SIGINT/SIGTERM, or until stdin closes with `--exit-on-stdin-eof`.
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
    if let Some(token) = &args.control_token {
        check_control_token(token).map_err(|problem| anyhow::anyhow!("--control-token: {problem}"))?;
    }
    let generated = args.control_token.is_none();
    let emulator = start(EmulatorConfig {
        bind: SocketAddr::new(ip, args.port),
        script,
        data_dir: args.data_dir.clone(),
        journal_limit: args.journal_limit,
        control_token: Some(args.control_token.clone().unwrap_or_else(generate_control_token)),
        limits: args.limits,
        journal_max_bytes: args.journal_max_bytes,
        job_ttl: args.job_ttl,
        max_finished_jobs: args.max_finished_jobs,
    })
    .await?;
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", emulator.base_url()).context("cannot write the base URL to stdout")?;
        if generated && let Some(token) = emulator.control_token() {
            writeln!(stdout, "control-token: {token}").context("cannot write the control token to stdout")?;
        }
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

#[cfg(test)]
mod sweep_tests {
    use std::path::{Path, PathBuf};

    use crate::emulator::{FRESH_DIR_PREFIX, OWNER_FILE, sweep_abandoned_dirs};

    fn fresh_dir(temp: &Path, name: &str, owner: Option<String>) -> PathBuf {
        let dir = temp.join(format!("{FRESH_DIR_PREFIX}{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("job.json"), "{}").unwrap();
        if let Some(owner) = owner {
            std::fs::write(dir.join(OWNER_FILE), owner).unwrap();
        }
        dir
    }

    #[test]
    fn dirs_of_dead_owners_are_swept_and_the_rest_kept() {
        let temp = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = child.id();
        child.wait().unwrap();
        let abandoned = fresh_dir(temp.path(), "dead", Some(dead_pid.to_string()));
        let live = fresh_dir(temp.path(), "live", Some(std::process::id().to_string()));
        let unowned = fresh_dir(temp.path(), "old", None);
        let garbled = fresh_dir(temp.path(), "garbled", Some("not a pid".into()));
        let other = temp.path().join("something-else");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join(OWNER_FILE), dead_pid.to_string()).unwrap();

        sweep_abandoned_dirs(temp.path());

        assert!(!abandoned.exists(), "the dir of a process that is gone is removed");
        for kept in [&live, &unowned, &garbled, &other] {
            assert!(kept.exists(), "{} is kept", kept.display());
        }
    }
}
