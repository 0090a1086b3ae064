//! End-to-end benchmark of bedrock-host against direct SDK use (figures in BENCHMARKS.md).
//!
//! `cargo run --release --example bench_host [-- --quick]`
//!
//! One in-process emulator with zero delays serves both sides of every comparison in the same
//! run: the `aws-sdk-bedrockruntime` client in this process ("direct"), and the release
//! `bedrock-host` binary spawned with `--endpoint-url` and static credentials, driven over stdio
//! with newline-delimited JSON-RPC ("host"). Under `cargo run` the binary is built first (a no-op
//! when up to date); otherwise it must sit next to this example's directory, as cargo lays it out.
//!
//! Figures: 1. added time to first text, 2. forwarding rate of one 100,000-delta stream,
//! 3. 256 concurrent streaming conversations, 4. the host's own time per tool-loop iteration,
//! 5. start time and memory. `--quick` runs fewer repetitions and a smaller memory fill.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_sdk_bedrockruntime::types::{ContentBlock, ContentBlockDelta, ConversationRole, ConverseStreamOutput, Message};
use bedrock_host::emulator::{self, EmulatorConfig, Script};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::{mpsc, oneshot};

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const REGION: &str = "us-east-1";
const TOOL_NAME: &str = "bench_echo";

/// How much of each figure to run.
struct Settings {
    ttft_runs: usize,
    forward_runs: usize,
    forward_deltas: usize,
    concurrent: usize,
    concurrent_deltas: usize,
    tool_runs: usize,
    start_runs: usize,
    memory_conversations: usize,
    memory_turns: usize,
}

impl Settings {
    fn new(quick: bool) -> Self {
        Settings {
            ttft_runs: if quick { 60 } else { 400 },
            forward_runs: if quick { 1 } else { 3 },
            forward_deltas: 100_000,
            concurrent: 256,
            concurrent_deltas: 1_000,
            tool_runs: if quick { 40 } else { 300 },
            start_runs: if quick { 5 } else { 20 },
            memory_conversations: if quick { 100 } else { 1_000 },
            memory_turns: 20,
        }
    }
}

/// Each figure's prompt selects its own rule; anything else gets the emulator's default quoting reply.
fn script(settings: &Settings) -> Value {
    let words = |count: usize| vec!["tok"; count].join(" ");
    json!({"rules": [
        {"when": {"afterToolResult": true}, "respond": {"content": [{"text": "Done."}]}},
        {"when": {"lastUserText": "^tool$"}, "respond": {"content": [{"toolUse": {"name": TOOL_NAME, "input": {"value": 1}}}]}},
        {"when": {"lastUserText": "^ttft$"}, "respond": {"content": [{"text": "Hello there, a short answer."}]}},
        {"when": {"lastUserText": "^long$"}, "respond": {"content": [{"text": words(settings.forward_deltas)}]}},
        {"when": {"lastUserText": "^medium$"}, "respond": {"content": [{"text": words(settings.concurrent_deltas)}]}},
    ]})
}

// ---------------------------------------------------------------------------------------------
// Statistics

#[derive(Clone, Copy)]
struct Summary {
    p50: Duration,
    p99: Duration,
}

fn summarize(mut samples: Vec<Duration>) -> Summary {
    assert!(!samples.is_empty(), "no samples to summarize");
    samples.sort();
    let at = |q: f64| samples[((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1];
    Summary { p50: at(0.50), p99: at(0.99) }
}

fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}

fn signed_ms(later: Duration, earlier: Duration) -> String {
    format!("{:+.3} ms", (later.as_secs_f64() - earlier.as_secs_f64()) * 1e3)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

// ---------------------------------------------------------------------------------------------
// Direct SDK side

fn user_message(text: &str) -> anyhow::Result<Message> {
    Ok(Message::builder().role(ConversationRole::User).content(ContentBlock::Text(text.into())).build()?)
}

/// Time from `converse_stream` to its first event and to its first text delta.
async fn direct_first_text(client: &Client) -> anyhow::Result<(Duration, Duration)> {
    let started = Instant::now();
    let output = client.converse_stream().model_id(MODEL).messages(user_message("ttft")?).send().await?;
    let mut stream = output.stream;
    let mut first_event = None;
    let mut first_text = None;
    while let Some(event) = stream.recv().await? {
        first_event.get_or_insert_with(|| started.elapsed());
        if first_text.is_none() && is_text_delta(&event) {
            first_text = Some(started.elapsed());
        }
    }
    Ok((first_event.context("the stream had no event")?, first_text.context("the stream had no text delta")?))
}

fn is_text_delta(event: &ConverseStreamOutput) -> bool {
    matches!(event, ConverseStreamOutput::ContentBlockDelta(delta) if matches!(delta.delta(), Some(ContentBlockDelta::Text(_))))
}

/// Text deltas of one whole stream and the time from `converse_stream` to its end.
async fn direct_stream(client: &Client, prompt: &str) -> anyhow::Result<(usize, Duration)> {
    let started = Instant::now();
    let output = client.converse_stream().model_id(MODEL).messages(user_message(prompt)?).send().await?;
    let mut stream = output.stream;
    let mut deltas = 0;
    while let Some(event) = stream.recv().await? {
        deltas += usize::from(is_text_delta(&event));
    }
    Ok((deltas, started.elapsed()))
}

// ---------------------------------------------------------------------------------------------
// Host side: a minimal JSON-RPC client over the child's stdio

/// What the reader saw for one request of ours, in arrival order.
enum Note {
    Event {
        at: Instant,
        kind: EventKind,
    },
    /// A `tool/call` the reader answered at once; the gap between the two is the client's time.
    ToolCall {
        received: Instant,
        answered: Instant,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EventKind {
    Text,
    Metadata,
    Other,
}

struct Answer {
    at: Instant,
    outcome: Result<Value, Value>,
}

/// A request in flight: its answer, and the notifications it caused.
struct Call {
    sent: Instant,
    answer: oneshot::Receiver<Answer>,
    notes: mpsc::UnboundedReceiver<Note>,
}

struct Rpc {
    stdin: tokio::sync::Mutex<ChildStdin>,
    next_id: AtomicI64,
    pending: std::sync::Mutex<HashMap<i64, oneshot::Sender<Answer>>>,
    watchers: std::sync::Mutex<HashMap<i64, mpsc::UnboundedSender<Note>>>,
}

impl Rpc {
    async fn write(&self, message: &Value) -> anyhow::Result<Instant> {
        let mut line = serde_json::to_vec(message)?;
        line.push(b'\n');
        let mut stdin = self.stdin.lock().await;
        let at = Instant::now();
        stdin.write_all(&line).await.context("the host closed its stdin")?;
        stdin.flush().await?;
        Ok(at)
    }

    async fn start(&self, method: &str, params: Value) -> anyhow::Result<Call> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (answer_sender, answer) = oneshot::channel();
        let (note_sender, notes) = mpsc::unbounded_channel();
        self.pending.lock().unwrap().insert(id, answer_sender);
        self.watchers.lock().unwrap().insert(id, note_sender);
        let sent = self.write(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await?;
        Ok(Call { sent, answer, notes })
    }

    async fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        let call = self.start(method, params).await?;
        finish(call.answer).await.map(|(_, value)| value).with_context(|| format!("{method} failed"))
    }
}

/// The answer of a call, or its JSON-RPC error as an error.
async fn finish(answer: oneshot::Receiver<Answer>) -> anyhow::Result<(Instant, Value)> {
    let answer = answer.await.context("the host ended before answering")?;
    match answer.outcome {
        Ok(value) => Ok((answer.at, value)),
        Err(error) => bail!("the host answered an error: {error}"),
    }
}

#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
    result: Option<Value>,
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventParams<'a> {
    request_id: i64,
    #[serde(borrow)]
    event: StreamEvent<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StreamEvent<'a> {
    #[serde(borrow)]
    content_block_delta: Option<DeltaEvent<'a>>,
    #[serde(borrow)]
    metadata: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct DeltaEvent<'a> {
    #[serde(borrow)]
    delta: Option<Delta<'a>>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(borrow)]
    text: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolCallParams {
    request_id: i64,
}

/// Routes the host's messages: answers to their callers, events to the request that caused
/// them, and `tool/call`s answered at once with a fixed result.
async fn read_loop(stdout: ChildStdout, rpc: Arc<Rpc>) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let at = Instant::now();
        let message: Incoming = match serde_json::from_slice(&line) {
            Ok(message) => message,
            Err(error) => {
                eprintln!("unreadable line from the host ({error}): {}", String::from_utf8_lossy(&line));
                continue;
            }
        };
        match (message.method.as_deref(), message.params) {
            (Some("converse/event"), Some(params)) => {
                let Ok(params) = serde_json::from_str::<EventParams>(params.get()) else { continue };
                let kind = match (&params.event.content_block_delta, params.event.metadata) {
                    (Some(DeltaEvent { delta: Some(Delta { text: Some(_) }) }), _) => EventKind::Text,
                    (_, Some(_)) => EventKind::Metadata,
                    _ => EventKind::Other,
                };
                if let Some(watcher) = rpc.watchers.lock().unwrap().get(&params.request_id) {
                    let _ = watcher.send(Note::Event { at, kind });
                }
            }
            (Some("tool/call"), Some(params)) => {
                let id: Value = message.id.and_then(|id| serde_json::from_str(id.get()).ok()).unwrap_or(Value::Null);
                let answer =
                    json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"text": "42"}], "status": "success"}});
                let Ok(answered) = rpc.write(&answer).await else { break };
                if let Ok(params) = serde_json::from_str::<ToolCallParams>(params.get())
                    && let Some(watcher) = rpc.watchers.lock().unwrap().get(&params.request_id)
                {
                    let _ = watcher.send(Note::ToolCall { received: at, answered });
                }
            }
            (Some(_), _) => {}
            (None, _) => {
                let Some(id) = message.id.and_then(|id| id.get().parse::<i64>().ok()) else { continue };
                rpc.watchers.lock().unwrap().remove(&id);
                let outcome = match message.error {
                    Some(error) => Err(error),
                    None => Ok(message.result.unwrap_or(Value::Null)),
                };
                if let Some(sender) = rpc.pending.lock().unwrap().remove(&id) {
                    let _ = sender.send(Answer { at, outcome });
                }
            }
        }
    }
}

struct HostProcess {
    child: Child,
    rpc: Arc<Rpc>,
    reader: tokio::task::JoinHandle<()>,
    /// Time from spawn to the `initialize` answer.
    started_in: Duration,
    _log_dir: tempfile::TempDir,
}

enum Backend<'a> {
    Endpoint(&'a str),
    InProcessEmulator,
}

impl HostProcess {
    async fn start(binary: &PathBuf, backend: Backend<'_>) -> anyhow::Result<HostProcess> {
        let log_dir = tempfile::tempdir()?;
        let mut command = tokio::process::Command::new(binary);
        match backend {
            Backend::Endpoint(url) => command.args(["--endpoint-url", url, "--region", REGION]),
            Backend::InProcessEmulator => command.arg("--emulator"),
        };
        command
            .arg("--log-file")
            .arg(log_dir.path().join("host.log"))
            .env("AWS_ACCESS_KEY_ID", "AKIDBENCHMARK")
            .env("AWS_SECRET_ACCESS_KEY", "benchmark-secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_BEARER_TOKEN_BEDROCK")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = command.spawn().with_context(|| format!("cannot start {}", binary.display()))?;
        let rpc = Arc::new(Rpc {
            stdin: tokio::sync::Mutex::new(child.stdin.take().context("no stdin pipe")?),
            next_id: AtomicI64::new(1),
            pending: std::sync::Mutex::default(),
            watchers: std::sync::Mutex::default(),
        });
        let reader = tokio::spawn(read_loop(child.stdout.take().context("no stdout pipe")?, rpc.clone()));
        let call = rpc.start("initialize", json!({"clientInfo": {"name": "bench_host"}})).await?;
        let (answered, _) = finish(call.answer).await.context("initialize failed")?;
        let started_in = answered - started;
        rpc.write(&json!({"jsonrpc": "2.0", "method": "initialized", "params": {}})).await?;
        Ok(HostProcess { child, rpc, reader, started_in, _log_dir: log_dir })
    }

    /// User plus system CPU time the host has used so far (`/proc/PID/stat`, in clock ticks of 10 ms).
    fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let pid = self.child.id().context("the host has exited")?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> =
            stat.rsplit_once(')').context("unreadable /proc/PID/stat")?.1.split_whitespace().collect();
        let ticks = |index: usize| -> anyhow::Result<f64> {
            Ok(fields.get(index).context("short /proc/PID/stat")?.parse::<f64>()?)
        };
        // utime and stime are fields 14 and 15 of stat(5), 12 and 13 after the command name.
        Ok((ticks(11)? + ticks(12)?) / 100.0)
    }

    fn rss_bytes(&self) -> anyhow::Result<u64> {
        let pid = self.child.id().context("the host has exited")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS line in /proc/PID/status")?;
        Ok(kib * 1024)
    }

    /// Shutdown, exit, and wait for the process (killed after a generous grace period).
    async fn stop(mut self) -> anyhow::Result<()> {
        self.rpc.call("shutdown", Value::Null).await?;
        self.rpc.write(&json!({"jsonrpc": "2.0", "method": "exit"})).await?;
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.is_err() {
            self.child.kill().await?;
        }
        self.reader.abort();
        Ok(())
    }
}

/// Time to the first text event of a streaming request, then its answer.
async fn host_first_text(call: Call) -> anyhow::Result<Duration> {
    let Call { sent, answer, mut notes } = call;
    let mut first_text = None;
    while let Some(note) = notes.recv().await {
        if let Note::Event { at, kind: EventKind::Text } = note {
            first_text = Some(at - sent);
            break;
        }
    }
    drop(notes);
    finish(answer).await?;
    first_text.context("no text event arrived")
}

/// Text events of a streaming request and the time from sending it to its answer.
async fn host_stream(call: Call) -> anyhow::Result<(usize, Duration)> {
    let Call { sent, answer, mut notes } = call;
    let mut deltas = 0;
    while let Some(note) = notes.recv().await {
        deltas += usize::from(matches!(note, Note::Event { kind: EventKind::Text, .. }));
    }
    let (answered, _) = finish(answer).await?;
    Ok((deltas, answered - sent))
}

fn converse_params(prompt: &str) -> Value {
    json!({"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": prompt}]}], "stream": true})
}

async fn create_conversation(rpc: &Rpc, tools: bool) -> anyhow::Result<String> {
    let mut params = json!({"modelId": MODEL});
    if tools {
        params["tools"] = json!("all");
    }
    let created = rpc.call("conversation/create", params).await?;
    created["conversationId"].as_str().map(str::to_owned).context("conversation/create answered no conversationId")
}

// ---------------------------------------------------------------------------------------------
// The figures

async fn added_ttft(settings: &Settings, client: &Client, rpc: &Rpc) -> anyhow::Result<Summary> {
    let mut direct_text = Vec::new();
    let mut direct_event = Vec::new();
    let mut host_converse = Vec::new();
    let mut host_send = Vec::new();
    // Warm-up: connections, lazy initialisation, allocator pools.
    for _ in 0..10 {
        direct_first_text(client).await?;
        host_first_text(rpc.start("bedrock/converse", converse_params("ttft")).await?).await?;
    }
    for _ in 0..settings.ttft_runs {
        let (event, text) = direct_first_text(client).await?;
        direct_event.push(event);
        direct_text.push(text);
        host_converse.push(host_first_text(rpc.start("bedrock/converse", converse_params("ttft")).await?).await?);
        let conversation = create_conversation(rpc, false).await?;
        let send = rpc.start("conversation/send", json!({"conversationId": conversation, "content": "ttft"})).await?;
        host_send.push(host_first_text(send).await?);
    }
    let direct = summarize(direct_text);
    let converse = summarize(host_converse);
    let send = summarize(host_send);
    println!("\n## 1. Time to first text ({} runs each, interleaved)\n", settings.ttft_runs);
    println!("| path | p50 | p99 | added p50 | added p99 |\n|---|---|---|---|---|");
    println!("| direct SDK `converse_stream` | {} | {} | | |", ms(direct.p50), ms(direct.p99));
    for (name, summary) in [("host `bedrock/converse` stream", converse), ("host `conversation/send`", send)] {
        println!(
            "| {name} | {} | {} | {} | {} |",
            ms(summary.p50),
            ms(summary.p99),
            signed_ms(summary.p50, direct.p50),
            signed_ms(summary.p99, direct.p99)
        );
    }
    Ok(summarize(direct_event))
}

async fn forwarding(settings: &Settings, client: &Client, host: &HostProcess) -> anyhow::Result<()> {
    let rpc = &host.rpc;
    let mut direct_rates = Vec::new();
    let mut host_rates = Vec::new();
    let mut host_cpu = Vec::new();
    for _ in 0..settings.forward_runs {
        let (deltas, elapsed) = direct_stream(client, "long").await?;
        anyhow::ensure!(deltas == settings.forward_deltas, "direct SDK saw {deltas} text deltas");
        direct_rates.push(deltas as f64 / elapsed.as_secs_f64());
        let cpu_before = host.cpu_seconds()?;
        let (deltas, elapsed) = host_stream(rpc.start("bedrock/converse", converse_params("long")).await?).await?;
        anyhow::ensure!(deltas == settings.forward_deltas, "the host forwarded {deltas} text deltas");
        host_rates.push(deltas as f64 / elapsed.as_secs_f64());
        host_cpu.push((host.cpu_seconds()? - cpu_before) / deltas as f64);
    }
    let (direct, host) = (median(direct_rates), median(host_rates));
    println!(
        "\n## 2. Forwarding one stream of {} text deltas (median of {} runs)\n",
        settings.forward_deltas, settings.forward_runs
    );
    println!("| path | deltas/s |\n|---|---|");
    println!("| direct SDK | {direct:.0} |\n| host `bedrock/converse` stream | {host:.0} |");
    println!("\nratio host/direct: {:.2}", host / direct);
    // CPU time, unlike the rates, does not depend on what else the machine runs.
    println!("host CPU time per delta (user + system): {:.2} µs", median(host_cpu) * 1e6);
    Ok(())
}

async fn concurrency(settings: &Settings, client: &Client, rpc: &Arc<Rpc>) -> anyhow::Result<()> {
    let mut conversations = Vec::new();
    for _ in 0..settings.concurrent {
        conversations.push(create_conversation(rpc, false).await?);
    }
    let started = Instant::now();
    let tasks: Vec<_> = conversations
        .into_iter()
        .map(|conversation| {
            let rpc = rpc.clone();
            tokio::spawn(async move {
                let call = rpc.start("conversation/send", json!({"conversationId": conversation, "content": "medium"}));
                host_stream(call.await?).await
            })
        })
        .collect();
    let (mut completions, mut deltas, mut errors) = (Vec::new(), 0, 0);
    for task in tasks {
        match task.await? {
            Ok((count, elapsed)) if count == settings.concurrent_deltas => {
                deltas += count;
                completions.push(elapsed);
            }
            Ok((count, _)) => {
                eprintln!("a conversation forwarded {count} text deltas");
                errors += 1;
            }
            Err(error) => {
                eprintln!("a conversation failed: {error:#}");
                errors += 1;
            }
        }
    }
    let host_elapsed = started.elapsed();

    let started = Instant::now();
    let tasks: Vec<_> = (0..settings.concurrent)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { direct_stream(&client, "medium").await })
        })
        .collect();
    let (mut direct_completions, mut direct_deltas) = (Vec::new(), 0);
    for task in tasks {
        let (count, elapsed) = task.await??;
        direct_deltas += count;
        direct_completions.push(elapsed);
    }
    let direct_elapsed = started.elapsed();

    println!(
        "\n## 3. {} concurrent streaming conversations of {} text deltas\n",
        settings.concurrent, settings.concurrent_deltas
    );
    println!(
        "| path | total deltas/s | wall time | p50 completion | p99 completion | errors |\n|---|---|---|---|---|---|"
    );
    let host = if completions.is_empty() { None } else { Some(summarize(completions)) };
    println!(
        "| host `conversation/send` | {:.0} | {} | {} | {} | {errors} |",
        deltas as f64 / host_elapsed.as_secs_f64(),
        ms(host_elapsed),
        host.map_or("-".into(), |s| ms(s.p50)),
        host.map_or("-".into(), |s| ms(s.p99)),
    );
    let direct = summarize(direct_completions);
    println!(
        "| direct SDK `converse_stream` | {:.0} | {} | {} | {} | 0 |",
        direct_deltas as f64 / direct_elapsed.as_secs_f64(),
        ms(direct_elapsed),
        ms(direct.p50),
        ms(direct.p99)
    );
    Ok(())
}

/// Per iteration: (metadata of the toolUse stream → `tool/call` received) + (answer written →
/// first event of the next model call), less the direct SDK's request-to-first-event time,
/// which is the emulator's and the SDK's share of that second gap.
async fn tool_loop(settings: &Settings, rpc: &Rpc, direct_first_event: Summary) -> anyhow::Result<()> {
    rpc.call(
        "tool/register",
        json!({"tools": [{"name": TOOL_NAME, "description": "Benchmark tool", "inputSchema": {"type": "object"}}]}),
    )
    .await?;
    let mut to_tool_call = Vec::new();
    let mut to_next_call = Vec::new();
    let mut own = Vec::new();
    for run in 0..settings.tool_runs + 5 {
        let conversation = create_conversation(rpc, true).await?;
        let call = rpc.start("conversation/send", json!({"conversationId": conversation, "content": "tool"})).await?;
        let Call { answer, mut notes, .. } = call;
        let (mut last_metadata, mut tool_gap, mut answered, mut next_gap) = (None, None, None, None);
        while let Some(note) = notes.recv().await {
            match note {
                Note::Event { at, kind: EventKind::Metadata } if answered.is_none() => last_metadata = Some(at),
                Note::ToolCall { received, answered: at } => {
                    tool_gap = last_metadata.map(|metadata| received - metadata);
                    answered = Some(at);
                }
                Note::Event { at, .. } => {
                    if let (Some(answered), None) = (answered, next_gap) {
                        next_gap = Some(at - answered);
                    }
                }
            }
        }
        let (_, result) = finish(answer).await?;
        anyhow::ensure!(result["iterations"] == 2, "the tool turn ran {} iterations, not 2", result["iterations"]);
        let (Some(tool_gap), Some(next_gap)) = (tool_gap, next_gap) else {
            bail!("the tool turn did not show metadata, tool/call and a next model call in that order")
        };
        // The first runs warm up the tool-loop path; they are not counted.
        if run >= 5 {
            to_tool_call.push(tool_gap);
            to_next_call.push(next_gap);
            own.push((tool_gap + next_gap).saturating_sub(direct_first_event.p50));
        }
    }
    let (tool_gap, next_gap, own) = (summarize(to_tool_call), summarize(to_next_call), summarize(own));
    println!("\n## 4. Tool loop, the host's own time per iteration ({} runs)\n", settings.tool_runs);
    println!("| span | p50 | p99 |\n|---|---|---|");
    println!("| toolUse stream's metadata → `tool/call` received | {} | {} |", ms(tool_gap.p50), ms(tool_gap.p99));
    println!("| tool answer written → next call's first event | {} | {} |", ms(next_gap.p50), ms(next_gap.p99));
    println!(
        "| direct SDK request → first event (subtracted) | {} | {} |",
        ms(direct_first_event.p50),
        ms(direct_first_event.p99)
    );
    println!("| **host's own time per iteration** | {} | {} |", ms(own.p50), ms(own.p99));
    Ok(())
}

async fn start_and_memory(settings: &Settings, binary: &PathBuf, endpoint: &str) -> anyhow::Result<()> {
    let mut to_endpoint = Vec::new();
    let mut with_emulator = Vec::new();
    for _ in 0..settings.start_runs {
        let host = HostProcess::start(binary, Backend::Endpoint(endpoint)).await?;
        to_endpoint.push(host.started_in);
        host.stop().await?;
        let host = HostProcess::start(binary, Backend::InProcessEmulator).await?;
        with_emulator.push(host.started_in);
        host.stop().await?;
    }

    let host = HostProcess::start(binary, Backend::Endpoint(endpoint)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = host.rss_bytes()?;
    // About 1 KB per turn: ~500 bytes of user text, quoted back by the emulator's default reply.
    let content = "lorem ipsum dolor sit amet ".repeat(19);
    let workers = 8;
    let next = Arc::new(AtomicI64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (rpc, next, content) = (host.rpc.clone(), next.clone(), content.clone());
        let (conversations, turns) = (settings.memory_conversations as i64, settings.memory_turns);
        tasks.push(tokio::spawn(async move {
            let mut last = None;
            while next.fetch_add(1, Ordering::Relaxed) < conversations {
                let conversation = create_conversation(&rpc, false).await?;
                for _ in 0..turns {
                    let params = json!({"conversationId": conversation, "content": content, "stream": false});
                    rpc.call("conversation/send", params).await?;
                }
                last = Some(conversation);
            }
            anyhow::Ok(last)
        }));
    }
    let mut sample = None;
    for task in tasks {
        sample = task.await??.or(sample);
    }
    let sample = sample.context("no conversation was filled")?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let filled = host.rss_bytes()?;
    let stored = host.rpc.call("conversation/get", json!({"conversationId": sample})).await?;
    let json_per_turn = serde_json::to_vec(&stored["messages"])?.len() as f64 / settings.memory_turns as f64;
    host.stop().await?;

    let turns = (settings.memory_conversations * settings.memory_turns) as f64;
    let per_turn = filled.saturating_sub(idle) as f64 / turns;
    let (to_endpoint, with_emulator) = (summarize(to_endpoint), summarize(with_emulator));
    println!("\n## 5. Start and memory\n");
    println!("| figure | value |\n|---|---|");
    println!(
        "| spawn → `initialize` answered, `--endpoint-url` (p50 / p99 of {}) | {} / {} |",
        settings.start_runs,
        ms(to_endpoint.p50),
        ms(to_endpoint.p99)
    );
    println!(
        "| spawn → `initialize` answered, `--emulator` (p50 / p99) | {} / {} |",
        ms(with_emulator.p50),
        ms(with_emulator.p99)
    );
    println!("| RSS idle after `initialize` | {:.1} MiB |", idle as f64 / 1_048_576.0);
    println!(
        "| RSS after {} conversations × {} turns | {:.1} MiB |",
        settings.memory_conversations,
        settings.memory_turns,
        filled as f64 / 1_048_576.0
    );
    println!("| JSON of one stored turn (user + assistant message) | {json_per_turn:.0} bytes |");
    println!("| RSS growth per stored turn | {per_turn:.0} bytes ({:.2}× its JSON) |", per_turn / json_per_turn);
    Ok(())
}

// ---------------------------------------------------------------------------------------------

/// The release host binary, built first when run by cargo.
fn host_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe.parent().and_then(|examples| examples.parent()).context("unexpected example location")?;
    if let Ok(cargo) = std::env::var("CARGO") {
        let profile = profile_dir.file_name().and_then(|name| name.to_str()).unwrap_or("release");
        let mut build = std::process::Command::new(cargo);
        build.args(["build", "--quiet", "--bin", "bedrock-host"]);
        if profile == "release" {
            build.arg("--release");
        }
        anyhow::ensure!(build.status()?.success(), "building bedrock-host failed");
    }
    let binary = profile_dir.join("bedrock-host");
    anyhow::ensure!(binary.exists(), "{} is missing: run `cargo build --release` first", binary.display());
    Ok(binary)
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map_or("unknown", |rest| rest.trim_start_matches([' ', '\t', ':']).trim());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo.lines().find_map(|line| line.strip_prefix("MemTotal:")).map_or("unknown", str::trim);
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{cores} cores available, {cpu}, {memory} memory")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().skip(1).any(|arg| arg == "--quick");
    let settings = Settings::new(quick);
    let binary = host_binary()?;
    let mut config = EmulatorConfig::loopback();
    config.script = Some(Script::from_json(&script(&settings).to_string())?);
    // The journal keeps request bodies; a small one keeps this process's memory flat.
    config.journal_limit = 16;
    let emulator = emulator::start(config).await?;
    let client = Client::from_conf(
        aws_sdk_bedrockruntime::Config::builder()
            .endpoint_url(emulator.base_url())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("AKIDBENCHMARK", "benchmark-secret", None, None, "bench"))
            .behavior_version_latest()
            .build(),
    );
    println!("# bedrock-host benchmark{}\n", if quick { " (--quick)" } else { "" });
    println!("machine: {}", machine());
    println!("host: {} against the emulator at {}", binary.display(), emulator.base_url());

    let host = HostProcess::start(&binary, Backend::Endpoint(emulator.base_url())).await?;
    let direct_first_event = added_ttft(&settings, &client, &host.rpc).await?;
    forwarding(&settings, &client, &host).await?;
    concurrency(&settings, &client, &host.rpc).await?;
    tool_loop(&settings, &host.rpc, direct_first_event).await?;
    host.stop().await?;
    start_and_memory(&settings, &binary, emulator.base_url()).await?;
    emulator.shutdown().await;
    Ok(())
}
