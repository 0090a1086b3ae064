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
//! - `ask`: `bedrock-host ask`, one streamed turn from the terminal.
//! - [`cli`], `logging`: the command line and the log.
//! - [`error`]: the one error type and its JSON-RPC codes.

mod agent;
mod ask;
pub mod catalog;
pub mod cli;
pub mod conversations;
pub mod emulator;
mod error;
mod host;
mod logging;
pub mod protocol;
mod schema;
pub mod sdk;
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
                Some(Command::Schema(args)) => {
                    write_schemas(&args.out, args.docs.as_deref()).map(|()| ExitCode::SUCCESS)
                }
                None => {
                    Ok(ExitCode::from(host::run_stdio(host::LaunchConfig::from_cli(&cli.server, &cli.common)).await))
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
