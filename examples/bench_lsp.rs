//! The LSP face's figures (BENCHMARKS.md "LSP face"): the host's added time per completion, and the
//! model calls of a typing storm.
//!
//! `cargo run --example bench_lsp [-- --runs N]` (debug or `--release`; the matching host binary is
//! built first under cargo).
//!
//! One emulator in this process, with zero delays, serves both sides: the `aws-sdk-bedrockruntime`
//! client here ("direct": the same ConverseStream request the host sends for a completion, read to
//! its end), and the `bedrock-host` binary spawned with `--endpoint-url`, driven over stdio with
//! LSP framing (`textDocument/inlineCompletion`, "host"). Runs alternate. The host's added time is
//! host minus direct, at p50 and p99; with `debounceMs: 0`, and with the default 75 ms debounce.
//! The storm: 20 `inlineCompletion` requests for one document, each after a `didChange`, the first
//! 19 cancelled right after they are sent; the model calls are counted in the emulator's journal.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, SystemContentBlock,
};
use bedrock_host::emulator::{self, EmulatorConfig, Script};
use serde_json::{Value, json};

const REGION: &str = "us-east-1";
const MODEL: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const TOKEN: &str = "bench-lsp-control-token";
const URI: &str = "file:///bench/add.py";

struct Host {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
    next_id: u64,
}

impl Host {
    fn spawn(binary: &PathBuf, endpoint: &str) -> anyhow::Result<Host> {
        let mut child = Command::new(binary)
            .args(["--endpoint-url", endpoint, "--region", REGION, "--log-level", "warn"])
            .env("AWS_ACCESS_KEY_ID", "AKIDBENCHMARK")
            .env("AWS_SECRET_ACCESS_KEY", "benchmark-secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = child.stdout.take().context("stdout")?;
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if sender.send(serde_json::from_slice(&body).unwrap_or(Value::Null)).is_err() {
                    return;
                }
            }
        });
        Ok(Host { child, stdin, messages, next_id: 1 })
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write to the host");
        self.stdin.flush().expect("flush");
    }

    fn request(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn response(&mut self, id: u64) -> Value {
        loop {
            let message = self.messages.recv_timeout(Duration::from_secs(30)).expect("an answer within 30 s");
            if message["id"] == id && message.get("method").is_none() {
                return message;
            }
        }
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.request(method, params);
        self.response(id)
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn journal_calls(base_url: &str) -> usize {
    let address = base_url.trim_end_matches('/').trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the emulator");
    write!(stream, "GET /_emulator/requests HTTP/1.0\r\nHost: {address}\r\nx-emulator-token: {TOKEN}\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let entries: Vec<Value> = serde_json::from_str(body).expect("the journal");
    entries.iter().filter(|entry| entry["operation"] == "ConverseStream").count()
}

fn host_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe.parent().and_then(|examples| examples.parent()).context("unexpected example location")?;
    if let Ok(cargo) = std::env::var("CARGO") {
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--bin", "bedrock-host"]);
        if profile_dir.file_name().is_some_and(|name| name == "release") {
            build.arg("--release");
        }
        anyhow::ensure!(build.status()?.success(), "building bedrock-host failed");
    }
    Ok(profile_dir.join("bedrock-host"))
}

fn document(lines: usize) -> String {
    let mut text = String::new();
    for index in 0..lines {
        text.push_str(&format!("def f{index}(a, b):\n    return a * {index} + b\n\n"));
    }
    text.push_str("def add(a, b):\n    return a\n");
    text
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::args()
        .skip_while(|arg| arg != "--runs")
        .nth(1)
        .map_or(Ok(200), |value| value.parse())
        .context("--runs takes a number")?;
    let binary = host_binary()?;
    let mut config = EmulatorConfig::loopback();
    config.control_token = Some(TOKEN.to_string());
    config.journal_limit = 100_000;
    config.script = Some(Script::from_json(
        &json!({"rules": [{"when": {"lastUserText": "<prefix>"}, "respond": {"content": [{"text": "    return a + b"}]}}]})
            .to_string(),
    )?);
    let emulator = emulator::start(config).await?;
    let endpoint = emulator.base_url().to_string();
    let client = Client::from_conf(
        aws_sdk_bedrockruntime::Config::builder()
            .endpoint_url(&endpoint)
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("AKIDBENCHMARK", "benchmark-secret", None, None, "bench"))
            .behavior_version_latest()
            .build(),
    );
    // About 6000 characters before the cursor: the default context is full.
    let text = document(150);
    let lines = text.lines().count() as u32;

    for debounce in [0u64, 75] {
        let mut host = tokio::task::block_in_place(|| -> anyhow::Result<Host> {
            let mut host = Host::spawn(&binary, &endpoint)?;
            let init = host.call(
                "initialize",
                json!({"capabilities": {}, "initializationOptions": {"inlineCompletion": {"modelId": MODEL, "debounceMs": debounce}}}),
            );
            anyhow::ensure!(init.get("result").is_some(), "initialize failed: {init}");
            host.notify("initialized", json!({}));
            host.notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": URI, "languageId": "python", "version": 1, "text": text}}),
            );
            Ok(host)
        })?;
        // The prompt the host sends, taken from the journal after one warm-up completion.
        let warm = tokio::task::block_in_place(|| {
            host.call(
                "textDocument/inlineCompletion",
                json!({"textDocument": {"uri": URI}, "position": {"line": lines - 1, "character": 12}}),
            )
        });
        anyhow::ensure!(warm["result"]["items"][0]["insertText"] == " + b", "unexpected completion: {warm}");
        let prompt = bedrock_host_prompt(&text);
        let (mut host_times, mut direct_times) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let started = Instant::now();
            let answer = tokio::task::block_in_place(|| {
                host.call(
                    "textDocument/inlineCompletion",
                    json!({"textDocument": {"uri": URI}, "position": {"line": lines - 1, "character": 12}}),
                )
            });
            host_times.push(started.elapsed());
            anyhow::ensure!(answer.get("result").is_some(), "{answer}");

            let started = Instant::now();
            let mut stream = client
                .converse_stream()
                .model_id(MODEL)
                .system(SystemContentBlock::Text(bedrock_host_system()))
                .messages(
                    Message::builder()
                        .role(ConversationRole::User)
                        .content(ContentBlock::Text(prompt.clone()))
                        .build()?,
                )
                .inference_config(InferenceConfiguration::builder().max_tokens(128).temperature(0.0).build())
                .send()
                .await?
                .stream;
            while stream.recv().await?.is_some() {}
            direct_times.push(started.elapsed());
        }
        let (h50, h99) = (percentile(&mut host_times, 0.5), percentile(&mut host_times, 0.99));
        let (d50, d99) = (percentile(&mut direct_times, 0.5), percentile(&mut direct_times, 0.99));
        println!(
            "| debounceMs {debounce} ({runs} runs) | {} / {} | {} / {} | {} / {} |",
            ms(h50),
            ms(h99),
            ms(d50),
            ms(d99),
            ms(h50.saturating_sub(d50)),
            ms(h99.saturating_sub(d99))
        );
    }

    // The typing storm, default debounce.
    let before = journal_calls(&endpoint);
    let mut host = Host::spawn(&binary, &endpoint)?;
    let outcome = tokio::task::block_in_place(|| {
        host.call(
            "initialize",
            json!({"capabilities": {}, "initializationOptions": {"inlineCompletion": {"modelId": MODEL}}}),
        );
        host.notify("initialized", json!({}));
        host.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": URI, "languageId": "python", "version": 1, "text": ""}}),
        );
        let mut typed = String::new();
        let started = Instant::now();
        let mut last = 0;
        for index in 0..20 {
            let key = "x";
            host.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": URI, "version": index + 2}, "contentChanges": [{"range": {
                    "start": {"line": 0, "character": typed.len()}, "end": {"line": 0, "character": typed.len()}}, "text": key}]}),
            );
            typed.push_str(key);
            last = host.request(
                "textDocument/inlineCompletion",
                json!({"textDocument": {"uri": URI}, "position": {"line": 0, "character": typed.len()}}),
            );
            if index < 19 {
                host.notify("$/cancelRequest", json!({"id": last}));
            }
        }
        let sent_in = started.elapsed();
        let answer = host.response(last);
        (sent_in, started.elapsed(), answer)
    });
    let calls = journal_calls(&endpoint) - before;
    println!(
        "| typing storm: 20 requests, 19 cancelled, sent in {} | {} model call(s); the last answered after {} ({}) |",
        ms(outcome.0),
        calls,
        ms(outcome.1),
        outcome.2["result"]["items"][0]["insertText"]
    );
    drop(host);
    emulator.shutdown().await;
    Ok(())
}

/// The host's prompt for the benchmark document, as docs/lsp.md "The prompt" describes it.
fn bedrock_host_prompt(text: &str) -> String {
    let cursor = text.len() - 1;
    let (before, after) = text.split_at(cursor);
    let start = before.char_indices().rev().nth(5999).map_or(0, |(index, _)| index);
    format!("Language: python\nFile: {URI}\n<prefix>{}</prefix><suffix>{after}</suffix>", &before[start..])
}

fn bedrock_host_system() -> String {
    "You complete code at the cursor. The user message holds the text before the cursor in <prefix>…</prefix> \
     and the text after it in <suffix>…</suffix>. Answer with only the text to insert at the cursor: no \
     explanation, no markdown fences, without repeating the prefix or the suffix. Answer with nothing when \
     nothing belongs there."
        .to_string()
}
