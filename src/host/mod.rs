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
    /// `--emulator-control`: the in-process emulator serves its control endpoints behind this token.
    pub emulator_control_token: Option<String>,
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
            // Checked before the host starts (`crate::run`); an unusable token here means no control.
            emulator_control_token: common.emulator_control_token().unwrap_or_default(),
            max_frame_bytes: server.max_frame_bytes,
            response_cache_entries: server.response_cache_entries,
            test_methods: std::env::var(TEST_METHODS_ENV).is_ok_and(|value| value == "1"),
        }
    }
}

/// The exit code after `shutdown` (the future [`serve`] takes) completed: a
/// requested end, like `shutdown` + `exit`.
pub const EXIT_ON_SHUTDOWN_SIGNAL: u8 = 0;

/// Serves the protocol (docs/protocol.md) on stdin/stdout until `exit`, end of
/// input or `shutdown` (the binary passes SIGTERM/SIGINT); returns the exit code.
pub async fn run_stdio(launch: LaunchConfig, shutdown: impl Future<Output = ()>) -> u8 {
    serve(launch, tokio::io::stdin(), tokio::io::stdout(), shutdown).await
}

/// Serves one session over any byte streams. Exit code: 0 when `shutdown` was
/// received before `exit` or the end of input, 1 otherwise (as LSP). When the
/// `shutdown` future completes first, the session ends as at the end of input
/// (requests in flight answered -32800, background work stopped) with exit
/// code 0 ([`EXIT_ON_SHUTDOWN_SIGNAL`]).
pub async fn serve<R, W>(launch: LaunchConfig, input: R, output: W, shutdown: impl Future<Output = ()>) -> u8
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let mut shutdown = std::pin::pin!(shutdown);
    // 64 KiB reads: stdin reads go through a blocking thread, so fewer and larger reads are cheaper.
    let mut reader = FrameReader::new(BufReader::with_capacity(64 * 1024, input), launch.max_frame_bytes);
    let detected = tokio::select! {
        biased;
        () = &mut shutdown => {
            tracing::info!("asked to stop before any message");
            return EXIT_ON_SHUTDOWN_SIGNAL;
        }
        detected = reader.detect() => detected,
    };
    let framing = match detected {
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
            () = &mut shutdown => None,
            // stdout is gone (EPIPE): nobody can see an answer, so the session ends as at the end of stdin.
            () = output_gone.cancelled() => {
                tracing::warn!("stdout is closed; ending the session");
                break dispatcher.exit_code();
            }
            next = reader.next_frame() => Some(next),
        };
        let Some(next) = next else {
            tracing::info!("asked to stop (signal); ending the session as at the end of input");
            break EXIT_ON_SHUTDOWN_SIGNAL;
        };
        match next {
            Ok(Some(frame)) => {
                // `initialize` runs inline here; a stop request must not wait for it.
                let handled = tokio::select! {
                    biased;
                    () = &mut shutdown => None,
                    handled = dispatcher.on_frame(frame) => Some(handled),
                };
                match handled {
                    None => {
                        tracing::info!("asked to stop (signal) while handling a message; ending the session");
                        break EXIT_ON_SHUTDOWN_SIGNAL;
                    }
                    Some(Some(code)) => {
                        tracing::info!(code, "exit received");
                        break code;
                    }
                    Some(None) => {}
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

#[cfg(test)]
mod tests {
    //! `initialize` with random `initializationOptions`, through the whole
    //! session in process (the read loop, dispatch, the session's services,
    //! the in-process emulator): never a panic, always a result or -32602
    //! naming each bad option.

    use proptest::prelude::*;
    use serde_json::{Value, json};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

    use super::*;

    /// Every option `initializationOptions` has, as its JSON name.
    const OPTIONS: [&str; 18] = [
        "region",
        "profile",
        "endpointUrl",
        "defaultModelId",
        "maxAttempts",
        "retryMode",
        "requestTimeoutMs",
        "streamIdleTimeoutMs",
        "storageDir",
        "responseCache",
        "toolCallTimeoutMs",
        "maxToolIterations",
        "guardrailConfig",
        "logLevel",
        "maxConversations",
        "maxMessagesPerConversation",
        "promptCaching",
        "contextStrategy",
    ];

    fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            3 => (0u64..2000).prop_map(Value::from),
            2 => any::<u64>().prop_map(Value::from),
            1 => Just(json!(u32::MAX)),
            1 => Just(json!(4_611_686_018_427_387_904_u64)),
            1 => Just(json!(1_000_000_000)),
            1 => Just(json!(-1)),
            1 => Just(json!(1.5)),
            1 => Just(json!("10")),
        ]
    }

    fn text() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!("")),
            Just(json!(" ")),
            "\\PC{0,20}".prop_map(Value::from),
            "[a-z]{2}(-[a-z]{1,6}){1,2}-[0-9]{1,2}".prop_map(Value::from),
            Just(json!("us-east-1\n")),
            Just(json!("us-gov-west-1")),
            Just(json!("haiku")),
            Just(json!("http://127.0.0.1:9/")),
            Just(json!("debug")),
            Just(json!(7)),
        ]
    }

    /// A value `option` accepts.
    fn valid_for(option: &'static str, storage: String) -> BoxedStrategy<Value> {
        use crate::protocol::lifecycle::{self as limits, OptionRange};
        let within = |range: OptionRange| (range.min..=range.max.min(5000)).prop_map(Value::from).boxed();
        match option {
            "region" => prop_oneof![
                Just(json!("us-east-1")),
                Just(json!("us-gov-west-1")),
                Just(json!("cn-north-1")),
                Just(json!("eu-isoe-west-1")),
                "[a-z]{2}(-[a-z]{1,6}){1,2}-[0-9]{1,2}".prop_map(Value::from),
            ]
            .boxed(),
            "profile" => prop_oneof![Just(json!("default")), "[a-z]{1,8}".prop_map(Value::from)].boxed(),
            "endpointUrl" => Just(json!("http://127.0.0.1:9")).boxed(),
            "defaultModelId" => {
                prop_oneof![Just(json!("haiku")), Just(json!("sonnet")), "[a-z.:-]{1,30}".prop_map(Value::from)].boxed()
            }
            "maxAttempts" => within(limits::MAX_ATTEMPTS),
            "retryMode" => prop_oneof![Just(json!("standard")), Just(json!("adaptive"))].boxed(),
            "requestTimeoutMs" => within(limits::REQUEST_TIMEOUT_MS),
            "streamIdleTimeoutMs" => within(limits::STREAM_IDLE_TIMEOUT_MS),
            "storageDir" => Just(json!(storage)).boxed(),
            "responseCache" => within(limits::RESPONSE_CACHE_ENTRIES).prop_map(|n| json!({"maxEntries": n})).boxed(),
            "toolCallTimeoutMs" => within(limits::TOOL_CALL_TIMEOUT_MS),
            "maxToolIterations" => within(limits::MAX_TOOL_ITERATIONS),
            "guardrailConfig" => ("[a-z0-9]{1,10}", prop_oneof![Just("DRAFT".to_string()), "[1-9][0-9]{0,3}"])
                .prop_map(|(id, version)| json!({"guardrailIdentifier": id, "guardrailVersion": version}))
                .boxed(),
            "logLevel" => {
                prop_oneof![Just(json!("info")), Just(json!("debug")), Just(json!("bedrock_host=trace"))].boxed()
            }
            "maxConversations" => within(limits::MAX_CONVERSATIONS),
            "maxMessagesPerConversation" => within(limits::MAX_MESSAGES_PER_CONVERSATION),
            "promptCaching" => prop_oneof![Just(json!("auto")), Just(json!("off"))].boxed(),
            "contextStrategy" => {
                prop_oneof![Just(json!("summarize")), Just(json!("truncate")), Just(json!("fail"))].boxed()
            }
            other => unreachable!("no strategy for {other}"),
        }
    }

    /// A value for `option` that may be out of range or of another type.
    fn any_for(option: &'static str) -> BoxedStrategy<Value> {
        match option {
            "retryMode" => prop_oneof![Just(json!("fast")), Just(json!(1))].boxed(),
            "promptCaching" | "contextStrategy" => prop_oneof![Just(json!("on")), Just(json!(true))].boxed(),
            "storageDir" => prop_oneof![Just(json!("")), Just(json!("a\u{0}b")), Just(json!(7))].boxed(),
            "responseCache" => prop_oneof![
                4 => number().prop_map(|n| json!({"maxEntries": n})),
                1 => Just(json!({})),
                1 => Just(json!({"maxEntries": 1, "x": 1})),
            ]
            .boxed(),
            "guardrailConfig" => (text(), text(), prop_oneof![Just(None), Just(Some("enabled")), Just(Some("x"))])
                .prop_map(|(id, version, trace)| {
                    let mut config = json!({"guardrailIdentifier": id, "guardrailVersion": version});
                    if let Some(trace) = trace {
                        config["trace"] = json!(trace);
                    }
                    config
                })
                .boxed(),
            _ if option.ends_with("Ms") || option.starts_with("max") => number().boxed(),
            _ => text().boxed(),
        }
    }

    /// Mostly values the option accepts, so that whole sets of options get through too.
    fn value_for(option: &'static str, storage: String) -> BoxedStrategy<Value> {
        prop_oneof![6 => valid_for(option, storage), 1 => any_for(option)].boxed()
    }

    fn options(storage: String) -> impl Strategy<Value = Value> {
        let members: Vec<_> = OPTIONS
            .iter()
            .map(|&option| {
                proptest::option::weighted(0.3, value_for(option, storage.clone())).prop_map(move |v| (option, v))
            })
            .collect();
        members.prop_map(|members| {
            Value::Object(members.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect())
        })
    }

    /// Serves one session that sends `initialize` with `options`; its answer.
    async fn initialize_with(options: &Value) -> Value {
        let launch = LaunchConfig {
            options: HostOptions::default(),
            emulator: true,
            emulator_script: None,
            emulator_control_token: None,
            max_frame_bytes: 1 << 20,
            response_cache_entries: 0,
            test_methods: false,
        };
        let (mut client, host_input) = tokio::io::duplex(1 << 16);
        let (host_output, client_output) = tokio::io::duplex(1 << 16);
        let session = tokio::spawn(serve(launch, host_input, host_output, std::future::pending()));
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"initializationOptions": options}});
        client.write_all(format!("{request}\n").as_bytes()).await.unwrap();
        let mut answer = String::new();
        tokio::io::BufReader::new(client_output).read_line(&mut answer).await.unwrap();
        drop(client);
        let code = session.await.expect("the session does not panic");
        assert_eq!(code, dispatch::EXIT_WITHOUT_SHUTDOWN);
        serde_json::from_str(&answer).unwrap_or_else(|error| panic!("{error}: {answer:?}"))
    }

    #[test]
    fn random_initialization_options_answer_a_result_or_invalid_params_naming_the_option() {
        let storage = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let config = ProptestConfig { cases: 48, ..ProptestConfig::default() };
        // Each case opens its own storage directory below this one.
        let counter = std::sync::atomic::AtomicUsize::new(0);
        let dir = storage.path().to_path_buf();
        proptest!(config, |(options in options(dir.join("cases").display().to_string()))| {
            let mut options = options;
            if options.get("storageDir").and_then(Value::as_str).is_some_and(|dir| dir.ends_with("cases")) {
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                options["storageDir"] = json!(dir.join(format!("case-{n}")).display().to_string());
            }
            let answer = runtime.block_on(initialize_with(&options));
            if answer.get("result").is_some() {
                return Ok(());
            }
            prop_assert_eq!(&answer["error"]["code"], &json!(-32602), "{} -> {}", options, answer);
            let errors = answer["error"]["data"]["errors"].as_array().cloned().unwrap_or_default();
            prop_assert!(!errors.is_empty(), "{} -> {}", options, answer);
            for error in errors {
                let path = error["path"].as_str().unwrap_or_default();
                let option = path.strip_prefix("initializationOptions.").unwrap_or_default();
                let named = option.split('.').next().unwrap_or_default();
                prop_assert!(OPTIONS.contains(&named), "{} names no option: {}", path, answer);
                prop_assert!(options.get(named).is_some(), "{} was not sent: {}", path, answer);
            }
        });
    }
}
