//! The host: lifecycle, dispatch of requests to one handler per method, and
//! the per-process [`Session`] that handlers share. Knows nothing of bytes;
//! [`crate::transport`] does that.
//!
//! Adding a method: declare it in the protocol table (`protocol/table.rs`:
//! name, params, result), write `pub async fn my_method(ctx: RequestContext,
//! params: MyParams) -> HostResult<MyResult>` in `handlers/<area>.rs`, and
//! bind it with one line in `handlers::register`; the compiler checks the
//! handler's types against the declaration, and a test fails if it is unbound.

pub(crate) mod backend;
mod dispatch;
mod handlers;
mod request;
pub(crate) mod response_cache;
mod router;
mod session;

use std::path::PathBuf;

use tokio::io::{AsyncRead, AsyncWrite, BufReader};

pub(crate) use request::RequestContext;
pub(crate) use session::{FALLBACK_MODEL, Session};

use crate::cli::{CommonArgs, ServerArgs};
use crate::protocol::HostOptions;
use crate::transport::{ClientHandle, FrameReader, connection::write_loop};

/// Environment variable that enables the `test/…` methods (not part of the protocol).
pub const TEST_METHODS_ENV: &str = "BEDROCK_HOST_TEST_METHODS";

/// What the process was started with: the flags and environment, before `initialize`.
#[derive(Debug, Clone)]
pub struct LaunchConfig {
    /// HostOptions from flags and environment; `initializationOptions` override them.
    pub options: HostOptions,
    /// `--emulator`: serve against the in-process emulator.
    pub emulator: bool,
    pub emulator_script: Option<PathBuf>,
    pub max_frame_bytes: usize,
    pub response_cache_entries: usize,
    /// Serve the `test/…` methods (env `BEDROCK_HOST_TEST_METHODS=1`).
    pub test_methods: bool,
}

impl LaunchConfig {
    pub fn from_cli(server: &ServerArgs, common: &CommonArgs) -> Self {
        Self {
            options: common.host_options(),
            emulator: common.emulator,
            emulator_script: common.emulator_script.clone(),
            max_frame_bytes: server.max_frame_bytes,
            response_cache_entries: server.response_cache_entries,
            test_methods: std::env::var(TEST_METHODS_ENV).is_ok_and(|value| value == "1"),
        }
    }
}

/// Serves the protocol (docs/protocol.md) on stdin/stdout until `exit` or end of input; returns the exit code.
pub async fn run_stdio(launch: LaunchConfig) -> u8 {
    serve(launch, tokio::io::stdin(), tokio::io::stdout()).await
}

/// Serves one session over any byte streams. Exit code: 0 when `shutdown` was
/// received before `exit` or the end of input, 1 otherwise (as LSP).
pub async fn serve<R, W>(launch: LaunchConfig, input: R, output: W) -> u8
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    // 64 KiB reads: stdin reads go through a blocking thread, so fewer and larger reads are cheaper.
    let mut reader = FrameReader::new(BufReader::with_capacity(64 * 1024, input), launch.max_frame_bytes);
    let framing = match reader.detect().await {
        Ok(Some(framing)) => framing,
        Ok(None) => {
            tracing::info!("stdin closed before any message");
            return dispatch::EXIT_WITHOUT_SHUTDOWN;
        }
        Err(error) => {
            tracing::error!(%error, "cannot read stdin");
            return dispatch::EXIT_WITHOUT_SHUTDOWN;
        }
    };
    tracing::info!(?framing, "session started");
    let (client, queue) = ClientHandle::new();
    let writer = tokio::spawn(write_loop(output, framing, queue));
    let output_gone = client.output_gone();
    let mut dispatcher = dispatch::Dispatcher::new(launch, client);
    let exit_code = loop {
        let next = tokio::select! {
            biased;
            // stdout is gone (EPIPE): nobody can see an answer, so the session ends as at the end of stdin.
            () = output_gone.cancelled() => {
                tracing::warn!("stdout is closed; ending the session");
                break dispatcher.exit_code();
            }
            next = reader.next_frame() => next,
        };
        match next {
            Ok(Some(frame)) => {
                if let Some(code) = dispatcher.on_frame(frame).await {
                    tracing::info!(code, "exit received");
                    break code;
                }
            }
            Ok(None) => {
                tracing::info!("stdin closed");
                break dispatcher.exit_code();
            }
            Err(error) => {
                tracing::error!(%error, "cannot read stdin; ending the session");
                break dispatcher.exit_code();
            }
        }
    };
    dispatcher.stop();
    // The writer flushes what is queued; a client that stopped reading must not keep us alive.
    if tokio::time::timeout(std::time::Duration::from_millis(500), writer).await.is_err() {
        tracing::warn!("stdout did not drain within 500 ms; exiting anyway");
    }
    exit_code
}
