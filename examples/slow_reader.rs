//! A client that stops reading stdout while streams run (BENCHMARKS.md, "Slow reader").
//!
//! `cargo run --release --example slow_reader [-- --streams 100 --words 20000 --pause-secs 30 --host PATH]`
//!
//! One emulator runs inside this process (so the answers it holds ready are not counted in the
//! host's memory); the host is spawned with `--endpoint-url` and static credentials, exactly as in
//! `bench_host`. The harness starts `--streams` streaming `bedrock/converse` calls whose answers
//! are `--words` text deltas each, reads nothing for `--pause-secs`, then reads everything. It
//! samples the host's resident memory (VmRSS) and CPU time every second throughout, checks that
//! every stream's deltas all arrived, in order, and prints Markdown. `--host` runs another binary
//! (an older build, to compare); by default the profile's `bedrock-host`, built first under cargo.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bedrock_host::emulator::{self, EmulatorConfig, Script};
use serde_json::{Value, json};

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

/// One sample: seconds since the start, host VmRSS (MiB), host CPU (s), what the client was doing.
type Sample = (f64, f64, f64, &'static str);

struct Settings {
    streams: usize,
    words: usize,
    pause: Duration,
    host: Option<PathBuf>,
}

fn settings() -> anyhow::Result<Settings> {
    let mut settings = Settings { streams: 100, words: 20_000, pause: Duration::from_secs(30), host: None };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--streams" => settings.streams = value()?.parse()?,
            "--words" => settings.words = value()?.parse()?,
            "--pause-secs" => settings.pause = Duration::from_secs(value()?.parse()?),
            "--host" => settings.host = Some(PathBuf::from(value()?)),
            other => bail!("unknown flag {other}; see the header of examples/slow_reader.rs"),
        }
    }
    Ok(settings)
}

/// The profile's host binary, built first when run by cargo (as `bench_host` does).
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

fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some((_, rest)) = stat.rsplit_once(')') else { return 0.0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|t| t.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|t| t.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

#[tokio::main]

async fn main() -> anyhow::Result<()> {
    let settings = settings()?;
    let binary = match &settings.host {
        Some(path) => path.clone(),
        None => host_binary()?,
    };
    let answer: Vec<String> = (0..settings.words).map(|n| format!("w{n}")).collect();
    let mut config = EmulatorConfig::loopback();
    config.journal_limit = 16;
    config.script = Some(Script::from_json(
        &json!({"rules": [{"when": {"operation": "ConverseStream"}, "respond": {"content": [{"text": answer.join(" ")}]}}]})
            .to_string(),
    )?);
    let emulator = emulator::start(config).await?;
    let log = tempfile::NamedTempFile::new()?;
    let mut child = Command::new(&binary)
        .args(["--endpoint-url", emulator.base_url(), "--region", "us-east-1", "--log-level", "warn", "--log-file"])
        .arg(log.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDSLOWREADER")
        .env("AWS_SECRET_ACCESS_KEY", "slow-reader-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let pid = child.id();
    let mut stdin = child.stdin.take().context("stdin")?;
    let mut stdout = BufReader::with_capacity(1 << 16, child.stdout.take().context("stdout")?);
    let mut send = |message: Value| -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(&message)?;
        line.push(b'\n');
        stdin.write_all(&line)?;
        Ok(stdin.flush()?)
    };
    send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}))?;
    let mut line = String::new();
    stdout.read_line(&mut line)?;
    anyhow::ensure!(line.contains("\"result\""), "initialize failed: {line}");

    println!("# Slow reader\n");
    println!(
        "host: {}; {} streams of {} text deltas each; the client reads nothing for {} s, then everything.\n",
        binary.display(),
        settings.streams,
        settings.words,
        settings.pause.as_secs()
    );
    // A sampler thread: the host's memory and CPU every second, whatever the reader does.
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let phase = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let sampler = {
        let (samples, phase, done) = (samples.clone(), phase.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let what = if phase.load(Ordering::Relaxed) == 0 { "not reading" } else { "reading" };
                let sample = (started.elapsed().as_secs_f64(), status_mib(pid, "VmRSS"), cpu_secs(pid), what);
                samples.lock().unwrap().push(sample);
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    for id in 1..=settings.streams {
        let params =
            json!({"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "go"}]}], "stream": true});
        send(json!({"jsonrpc": "2.0", "id": id, "method": "bedrock/converse", "params": params}))?;
    }
    std::thread::sleep(settings.pause);
    phase.store(1, Ordering::Relaxed);
    let resumed = Instant::now();
    // Per stream: the next word expected; every delta must be it.
    let mut next_word: HashMap<u64, usize> = HashMap::new();
    let (mut results, mut events, mut bytes) = (0, 0u64, 0u64);
    while results < settings.streams {
        line.clear();
        if stdout.read_line(&mut line)? == 0 {
            bail!("the host closed stdout after {results} results");
        }
        bytes += line.len() as u64;
        let message: Value = serde_json::from_str(&line)?;
        if message["method"] == "converse/event" {
            events += 1;
            let request = message["params"]["requestId"].as_u64().context("requestId")?;
            if let Some(text) = message["params"]["event"]["contentBlockDelta"]["delta"]["text"].as_str() {
                let expected = next_word.entry(request).or_default();
                anyhow::ensure!(text.trim_end() == answer[*expected], "stream {request}: {text:?} out of order");
                *expected += 1;
            }
        } else if message.get("id").is_some() {
            anyhow::ensure!(message.get("result").is_some(), "a stream failed: {message}");
            results += 1;
        }
    }
    let drained = resumed.elapsed();
    anyhow::ensure!(
        next_word.len() == settings.streams && next_word.values().all(|&n| n == settings.words),
        "some deltas are missing"
    );
    std::thread::sleep(Duration::from_secs(2));
    done.store(true, Ordering::Relaxed);
    sampler.join().expect("the sampler does not panic");
    let (final_rss, peak) = (status_mib(pid, "VmRSS"), status_mib(pid, "VmHWM"));
    drop(stdin);
    let _ = child.wait();

    println!("| t (s) | client | host VmRSS (MiB) | host CPU (s) |");
    println!("|---:|---|---:|---:|");
    for (t, rss, cpu, what) in samples.lock().unwrap().iter() {
        println!("| {t:.0} | {what} | {rss:.1} | {cpu:.1} |");
    }
    println!();
    println!(
        "Every stream complete and in order: {events} events, {:.1} MiB of JSON lines, read in {:.1} s after the \
         pause. Host VmRSS at the end: {final_rss:.1} MiB; peak (VmHWM): {peak:.1} MiB.",
        bytes as f64 / (1024.0 * 1024.0),
        drained.as_secs_f64()
    );
    emulator.shutdown().await;
    Ok(())
}
