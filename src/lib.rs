//! bedrock-host: a JSON-RPC 2.0 host for Amazon Bedrock Runtime over stdio,
//! spawned by editors, tool hosts and test harnesses, and a wire-exact local
//! Bedrock Runtime emulator that the real AWS SDK talks to over HTTP.
//!
//! # Layout
//!
//! - [`protocol`]: the JSON the host speaks: method params and results, notifications, the method
//!   table, and Bedrock's own shapes ([`protocol::shapes`]), all serde + schemars.
//! - [`transport`]: framing (Content-Length and newline-delimited JSON) and the JSON-RPC connection.
//! - `host`: the stdio server: dispatch, request bookkeeping, the session, one handler per method.
//! - `agent`: the turn (one model call, streamed), the tool-use loop, stream assembly, the tool registry.
//! - `conversations`: conversation state, the store, and its journals under `--storage-dir`.
//! - [`catalog`]: models, aliases, inference profiles, prices, and the usage ledger.
//! - [`sdk`]: the only module that imports `aws_sdk_bedrockruntime`: client set-up, conversions, calls.
//! - [`emulator`]: the Bedrock Runtime emulator (docs/emulator.md); imports nothing else of this crate.
//! - [`schema`]: `bedrock-host schema`, the JSON Schemas generated from [`protocol`].
//! - `smithy` (tests only): Bedrock Runtime's vendored Smithy model, which the `model_drift` tests hold the
//!   wire types, the SDK conversions and the emulator's validation against.
//! - `ask`: `bedrock-host ask`, one streamed turn from the terminal.
//! - `mcp_server`: `bedrock-host mcp`, Bedrock as tools for MCP clients over MCP's stdio transport (rmcp).
//! - `acp`: `bedrock-host acp`, the Agent Client Protocol face (docs/acp.md): a translator over the host run in-process.
//! - [`cli`], `logging`: the command line and the log.
//! - [`error`]: the one error type and its JSON-RPC codes.

mod acp;
mod agent;
mod ask;
pub mod catalog;
pub mod cli;
pub mod conversations;
pub mod emulator;
mod error;
mod host;
mod logging;
mod lsp;
mod mcp;
mod mcp_server;
pub mod protocol;
mod schema;
pub mod sdk;
#[cfg(test)]
mod smithy;
mod sync;
pub mod transport;

pub use error::{FieldError, HostError, HostResult};

use std::process::ExitCode;

use cli::{Cli, Command};

/// `bedrock-host schema --out DIR [--docs FILE]`.
fn write_schemas(dir: &std::path::Path, docs: Option<&std::path::Path>) -> anyhow::Result<()> {
    let written = schema::write_schemas(dir)
        .map_err(|error| anyhow::anyhow!("cannot write the schemas into {}: {error}", dir.display()))?;
    println!("wrote {} schema files into {}", written.len(), dir.display());
    if let Some(docs) = docs {
        schema::write_methods_markdown(docs)
            .map_err(|error| anyhow::anyhow!("cannot write the method reference {}: {error}", docs.display()))?;
        println!("wrote the method reference {}", docs.display());
    }
    Ok(())
}

/// Completes on SIGTERM or SIGINT (Ctrl-C off Unix). The handlers are installed
/// when this is called, not when the future is first polled, so a signal that
/// arrives early is not lost. Must be called inside the runtime.
fn termination_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let signals = signal(SignalKind::terminate()).and_then(|term| Ok((term, signal(SignalKind::interrupt())?)));
        async move {
            match signals {
                Ok((mut term, mut interrupt)) => tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = interrupt.recv() => tracing::info!("SIGINT received"),
                },
                Err(error) => {
                    tracing::warn!(%error, "cannot handle SIGTERM and SIGINT; they end the host at once");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Runs the command the user asked for; the binary is this call and nothing more.
pub fn run(cli: Cli) -> ExitCode {
    let target = logging::LogTarget::choose(cli.common.log_stderr, cli.common.log_file.as_deref());
    let _log_guard = match logging::init(&target, cli.common.log_level.as_deref()) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("bedrock-host: {error:#}");
            return ExitCode::from(2);
        }
    };
    if cli.command.is_none()
        && let Err(problem) = cli.common.emulator_control_token()
    {
        eprintln!("bedrock-host: {problem}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bedrock-host: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async {
            match cli.command {
                Some(Command::Emulator(args)) => {
                    emulator::run_cli(&args.to_emulator_options()).await.map(|()| ExitCode::SUCCESS)
                }
                Some(Command::Ask(args)) => ask::run(&args, &cli.common).await,
                Some(Command::Mcp) => mcp_server::run(&cli.common).await,
                Some(Command::Acp(_)) => {
                    let stop = termination_signal();
                    let launch = host::LaunchConfig::from_cli(&cli.server, &cli.common);
                    Ok(ExitCode::from(acp::run_stdio(launch, stop).await))
                }
                Some(Command::Schema(args)) => {
                    write_schemas(&args.out, args.docs.as_deref()).map(|()| ExitCode::SUCCESS)
                }
                None => {
                    let stop = termination_signal();
                    let launch = host::LaunchConfig::from_cli(&cli.server, &cli.common);
                    Ok(ExitCode::from(host::run_stdio(launch, stop).await))
                }
            }
        })
    }));
    // Dropping the runtime would wait for blocking tasks such as the stdin reader; don't.
    runtime.shutdown_background();
    // An in-process emulator the runtime still held never removed its temporary data dir.
    emulator::remove_temporary_dirs();
    let outcome = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("bedrock-host: {error:#}");
            ExitCode::FAILURE
        }
    }
}
