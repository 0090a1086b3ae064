//! Prompt caching and context-window management, measured (figures in BENCHMARKS.md, "Prompt
//! caching and the context window").
//!
//! `cargo run --example bench_context` (debug; `--release` for release figures)
//!
//! Spawns the profile's `bedrock-host --emulator --emulator-control` and drives it over stdio with
//! newline-delimited JSON-RPC. The emulator caches prompts as Bedrock does (docs/emulator.md "Prompt
//! caching"), so the cache counts are the emulator's and the prices the catalog's.
//!
//! 1. A 30-turn coding conversation on Claude Sonnet 4.5 with a 3,000-token system prompt and five
//!    tools (every third turn reads a file through a tool), once with `promptCaching: "auto"` and
//!    once with `"off"`, each on a fresh host: total input cost, the cached share of input tokens,
//!    and the host's own time per model call placing cache points and deciding compaction
//!    (`metrics.contextUs`).
//! 2. A 200-turn conversation with tools under `maxContextTokens: 3000`, with `truncate` and with
//!    `summarize`: failures, compactions, and whether every request the emulator received kept every
//!    toolUse with its toolResult (read from the emulator's journal).
//!
//! `BENCH_CONTEXT_TRACE=1` prints each turn's host time of part 1 to stderr.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, bail};
use serde_json::{Value, json};

const MODEL: &str = "sonnet";
const TOKEN: &str = "bench-context-control-token";

struct Host {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    endpoint: String,
}

impl Host {
    fn start(binary: &PathBuf, script: &Value, options: Value) -> anyhow::Result<Host> {
        let script_path = std::env::temp_dir().join(format!("bench-context-{}.json", std::process::id()));
        std::fs::write(&script_path, script.to_string())?;
        let mut child = Command::new(binary)
            .args(["--emulator", "--emulator-control", "--emulator-script"])
            .arg(&script_path)
            .args(["--log-stderr", "--log-level", "warn"])
            .env("BEDROCK_HOST_EMULATOR_CONTROL_TOKEN", TOKEN)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("stdout")?);
        let mut host = Host { child, stdin, stdout, next_id: 0, endpoint: String::new() };
        let init = host.call("initialize", json!({"initializationOptions": options}))?;
        std::fs::remove_file(&script_path).ok();
        host.endpoint = init["backend"]["endpointUrl"].as_str().context("endpointUrl")?.to_string();
        host.notify("initialized", json!({}))?;
        Ok(host)
    }

    fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        writeln!(self.stdin, "{message}")?;
        self.stdin.flush()?;
        Ok(())
    }

    fn notify(&mut self, method: &str, params: Value) -> anyhow::Result<()> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    fn recv(&mut self) -> anyhow::Result<Value> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            bail!("the host closed stdout");
        }
        Ok(serde_json::from_str(&line)?)
    }

    /// A request; answers `tool/call`s on the way; the result and the notifications seen.
    fn request(&mut self, method: &str, params: Value) -> anyhow::Result<(Result<Value, Value>, Vec<Value>)> {
        self.next_id += 1;
        let id = json!(self.next_id);
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        let mut notifications = Vec::new();
        loop {
            let message = self.recv()?;
            if message.get("method").is_none() && message["id"] == id {
                return Ok((message.get("result").cloned().ok_or_else(|| message["error"].clone()), notifications));
            }
            if message["method"] == "tool/call" {
                let name = message["params"]["name"].as_str().unwrap_or("?").to_string();
                let content = format!("// contents of src/{name}.rs\n{}", code_words(300));
                self.send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": {"content": content}}))?;
            } else {
                notifications.push(message);
            }
        }
    }

    fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        match self.request(method, params)?.0 {
            Ok(result) => Ok(result),
            Err(error) => bail!("{method} failed: {error}"),
        }
    }

    /// Every Converse/ConverseStream request the emulator received.
    fn journal(&self) -> anyhow::Result<Vec<Value>> {
        let address = self.endpoint.trim_end_matches('/').trim_start_matches("http://").to_string();
        let mut stream = TcpStream::connect(&address)?;
        write!(stream, "GET /_emulator/requests HTTP/1.0\r\nHost: {address}\r\nx-emulator-token: {TOKEN}\r\n\r\n")?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        let body = reply.split_once("\r\n\r\n").context("an HTTP answer")?.1;
        let mut deserializer = serde_json::Deserializer::from_str(body);
        deserializer.disable_recursion_limit();
        let entries: Vec<Value> = serde::Deserialize::deserialize(&mut deserializer)?;
        Ok(entries
            .into_iter()
            .filter(|entry| entry["operation"].as_str().is_some_and(|op| op.starts_with("Converse")))
            .collect())
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn code_words(count: usize) -> String {
    let vocabulary = ["fn", "let", "mut", "self", "match", "Some", "None", "return", "impl", "struct", "pub", "use"];
    (0..count)
        .map(|i| format!("{}{}", vocabulary[i % vocabulary.len()], i / vocabulary.len()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn tools() -> Value {
    let tool = |name: &str, description: &str| {
        json!({"name": name, "description": description, "inputSchema": {"type": "object",
            "properties": {"path": {"type": "string", "description": "a path relative to the workspace"},
                           "contents": {"type": "string"}, "pattern": {"type": "string"}},
            "required": ["path"]}})
    };
    json!([
        tool("read_file", "Read a file of the workspace and return its text."),
        tool("write_file", "Replace a file of the workspace with new contents."),
        tool("search", "Search the workspace for a regular expression; returns matching lines."),
        tool("list_dir", "List the entries of a directory of the workspace."),
        tool("run_tests", "Run the test suite and return its output."),
    ])
}

fn script() -> Value {
    json!({"rules": [
        {"when": {"lastUserText": "open the file", "afterToolResult": false},
         "respond": {"content": [{"text": "Reading it."}, {"toolUse": {"name": "read_file", "input": {"path": "src/lib.rs"}}}]}},
        {"when": {"operation": "^Converse$", "lastUserText": "Summarize the conversation above"},
         "respond": {"content": [{"text": "Summary: the user and the assistant edited src/lib.rs step by step."}]}}
    ]})
}

fn prices(host: &mut Host) -> anyhow::Result<(f64, f64, f64)> {
    let models = host.call("bedrock/listModels", json!({}))?;
    let model = models["models"]
        .as_array()
        .context("models")?
        .iter()
        .find(|m| m["aliases"].as_array().is_some_and(|a| a.iter().any(|alias| alias == MODEL)))
        .context("the model")?;
    let price = |member: &str| model["pricing"][member].as_f64().unwrap_or(0.0) / 1e6;
    Ok((price("inputPerMillion"), price("cacheReadPerMillion"), price("cacheWritePerMillion")))
}

struct CodingRun {
    input_cost: f64,
    input_tokens: u64,
    cache_read: u64,
    cache_write: u64,
    calls: u64,
    context_us: Vec<f64>,
    wall_ms: f64,
}

fn coding_conversation(binary: &PathBuf, caching: &str) -> anyhow::Result<CodingRun> {
    let mut host = Host::start(binary, &script(), json!({"promptCaching": caching}))?;
    let (input_price, read_price, write_price) = prices(&mut host)?;
    host.call("tool/register", json!({"tools": tools()}))?;
    let system = format!("You are a coding assistant working in a Rust workspace. {}", code_words(3_000));
    let id = host.call("conversation/create", json!({"modelId": MODEL, "system": system}))?["conversationId"].clone();
    let mut run = CodingRun {
        input_cost: 0.0,
        input_tokens: 0,
        cache_read: 0,
        cache_write: 0,
        calls: 0,
        context_us: Vec::new(),
        wall_ms: 0.0,
    };
    let started = std::time::Instant::now();
    for turn in 0..30 {
        let content = if turn % 3 == 0 {
            format!("Please open the file and tell me about step {turn}.")
        } else {
            format!("Step {turn}: change the function to handle the next case. {}", code_words(80))
        };
        let (result, _) = host.request("conversation/send", json!({"conversationId": id, "content": content}))?;
        let result = result.map_err(|error| anyhow::anyhow!("turn {turn}: {error}"))?;
        let usage = &result["usage"];
        let count = |member: &str| usage[member].as_u64().unwrap_or(0);
        run.input_tokens += count("inputTokens");
        run.cache_read += count("cacheReadInputTokens");
        run.cache_write += count("cacheWriteInputTokens");
        run.input_cost += count("inputTokens") as f64 * input_price
            + count("cacheReadInputTokens") as f64 * read_price
            + count("cacheWriteInputTokens") as f64 * write_price;
        let iterations = result["iterations"].as_u64().unwrap_or(1);
        run.calls += iterations;
        let us = result["metrics"]["contextUs"].as_u64().context("metrics.contextUs")? as f64;
        run.context_us.push(us / iterations as f64);
        if std::env::var_os("BENCH_CONTEXT_TRACE").is_some() {
            eprintln!("{caching} turn {turn}: {us} µs over {iterations} calls");
        }
    }
    run.wall_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(run)
}

fn tool_pairs_intact(messages: &[Value]) -> bool {
    let ids = |message: &Value, kind: &str| -> HashSet<String> {
        message["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|block| block[kind]["toolUseId"].as_str().map(str::to_string))
            .collect()
    };
    messages.first().is_some_and(|m| m["role"] == "user")
        && messages.iter().enumerate().all(|(index, message)| {
            let uses = ids(message, "toolUse");
            let answered = messages.get(index + 1).map(|next| ids(next, "toolResult")).unwrap_or_default();
            let results = ids(message, "toolResult");
            let asked = if index == 0 { HashSet::new() } else { ids(&messages[index - 1], "toolUse") };
            uses.is_subset(&answered) && results.is_subset(&asked)
        })
}

fn long_conversation(binary: &PathBuf, strategy: &str) -> anyhow::Result<String> {
    let mut host = Host::start(binary, &script(), json!({}))?;
    host.call("tool/register", json!({"tools": tools()}))?;
    let limit = 3_000;
    let id = host.call(
        "conversation/create",
        json!({"modelId": MODEL, "system": "You are a coding assistant.", "maxContextTokens": limit, "contextStrategy": strategy}),
    )?["conversationId"]
        .clone();
    let (mut failures, mut compactions, mut over) = (0, 0, 0);
    let started = std::time::Instant::now();
    for turn in 0..200 {
        let content = if turn % 3 == 0 {
            format!("Please open the file for step {turn}.")
        } else {
            format!("Step {turn}: {}", code_words(40))
        };
        let (result, notifications) =
            host.request("conversation/send", json!({"conversationId": id, "content": content}))?;
        let compacted = notifications.iter().filter(|n| n["method"] == "conversation/compacted").count();
        compactions += compacted;
        match result {
            Ok(result) => {
                let usage = &result["usage"];
                let input: u64 = ["inputTokens", "cacheReadInputTokens", "cacheWriteInputTokens"]
                    .iter()
                    .map(|m| usage[*m].as_u64().unwrap_or(0))
                    .sum();
                // A summary call is a model call of the turn too (its usage is in the turn's).
                let calls = result["iterations"].as_u64().unwrap_or(1) + compacted as u64;
                if input > limit * calls {
                    over += 1;
                }
            }
            Err(_) => failures += 1,
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let requests = host.journal()?;
    let intact =
        requests.iter().filter(|r| tool_pairs_intact(r["body"]["messages"].as_array().map_or(&[][..], |m| m))).count();
    Ok(format!(
        "| `{strategy}` | 200 | {failures} | {compactions} | {} | {intact} of {} | {over} | {:.1} s |",
        requests.len() - intact,
        requests.len(),
        wall
    ))
}

fn host_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe.parent().and_then(|examples| examples.parent()).context("unexpected example location")?;
    if let Ok(cargo) = std::env::var("CARGO") {
        let profile = profile_dir.file_name().and_then(|name| name.to_str()).unwrap_or("debug");
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--bin", "bedrock-host"]);
        if profile == "release" {
            build.arg("--release");
        }
        anyhow::ensure!(build.status()?.success(), "building bedrock-host failed");
    }
    let binary = profile_dir.join("bedrock-host");
    anyhow::ensure!(binary.exists(), "{} is missing: run `cargo build` first", binary.display());
    Ok(binary)
}

fn percentile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() -> anyhow::Result<()> {
    let binary = host_binary()?;
    let profile = binary.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("?").to_string();
    println!("Profile: {profile}\n");
    println!("### 30-turn coding conversation (Claude Sonnet 4.5, 3,000-token system prompt, five tools)\n");
    println!(
        "| promptCaching | model calls | input tokens (uncached) | cache reads | cache writes | cached share of input | input cost (USD) | host time per call, p50 / p99 / max | wall time |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut costs = Vec::new();
    for caching in ["auto", "off"] {
        let run = coding_conversation(&binary, caching)?;
        let total = run.input_tokens + run.cache_read + run.cache_write;
        println!(
            "| `{caching}` | {} | {} | {} | {} | {:.1} % | {:.6} | {:.1} / {:.1} / {:.1} µs | {:.0} ms |",
            run.calls,
            run.input_tokens,
            run.cache_read,
            run.cache_write,
            100.0 * run.cache_read as f64 / total as f64,
            run.input_cost,
            percentile(&run.context_us, 0.5),
            percentile(&run.context_us, 0.99),
            percentile(&run.context_us, 1.0),
            run.wall_ms
        );
        costs.push(run.input_cost);
    }
    println!("\nInput cost with `auto` is {:.1} % of the cost with `off`.\n", 100.0 * costs[0] / costs[1]);
    println!("### 200-turn conversation with tools, `maxContextTokens: 3000`\n");
    println!(
        "| contextStrategy | turns | failed | compactions | requests with a tool pair split | requests intact | turns over the limit | wall time |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for strategy in ["truncate", "summarize"] {
        println!("{}", long_conversation(&binary, strategy)?);
    }
    Ok(())
}
