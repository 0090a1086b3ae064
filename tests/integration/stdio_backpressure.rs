//! The host's output over real stdio when the client is slow or gone: a client that stops reading
//! makes streams wait instead of the host buffering them, and gets every event once it reads
//! again; a client that closes stdout ends the session; and the ids of the host's own requests
//! are strings, apart from any id a client picks.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::emulator::StandaloneEmulator;
use crate::support::raw::{RawBuilder, cpu_ticks, put_script, status_kib};
use crate::support::stdio::{Framing, Host, HostBuilder};

#[test]
fn host_request_ids_are_strings_that_no_client_id_matches() {
    let mut host = Host::initialized(Framing::Ndjson);
    let ask = host.request("test/askClient", json!({"method": "client/echo", "timeoutMs": 10_000}));
    let asked = host.host_request();
    let id = asked["id"].as_str().unwrap_or_else(|| panic!("the host's request id is not a string: {asked}"));
    assert!(id.starts_with("bh-"), "{asked}");
    // An answer carrying one of the client's own (numeric) ids answers nothing of the host's.
    host.reply(&json!(1), json!("confused"));
    host.reply(&ask, json!("confused"));
    host.reply(&asked["id"], json!("right"));
    assert_eq!(host.response(&ask)["result"], json!({"result": "right"}));
    let again = host.request("test/askClient", json!({"method": "client/echo"}));
    let second = host.host_request();
    assert_ne!(second["id"], asked["id"], "each request of the host has its own id");
    assert!(second["id"].as_str().is_some_and(|id| id.starts_with("bh-")), "{second}");
    host.reply(&second["id"], json!(2));
    assert_eq!(host.response(&again)["result"], json!({"result": 2}));
    host.finish();
}

const STREAMS: usize = 2;
const WORDS: usize = 1000;
const WORD_BYTES: usize = 32 * 1024;
/// How much the host may grow while its client reads nothing; each stream is ~32 MB.
const GROWTH_LIMIT_KIB: u64 = 24 * 1024;
/// CPU time (clock ticks) the host must have spent on the streams before it going idle counts as
/// waiting for the client, rather than for the emulator, which prepares each answer before sending
/// it; forwarding the 4 MiB the budget admits takes the debug build about 1 s.
const STARTED_TICKS: u64 = 30;
/// The host's resident memory, at any moment.
const RSS_LIMIT_KIB: u64 = 200 * 1024;

/// Where one stream is: the chunks seen, the text of its deltas in order, its response once it came.
#[derive(Default)]
struct Stream {
    chunks: u64,
    words: Vec<String>,
    response: Option<Value>,
}

/// Folds one message into the streams, checking each stream's chunks arrive in order.
fn absorb(streams: &mut HashMap<Value, Stream>, message: Value) {
    if message["method"] == "invoke/chunk" {
        let params = &message["params"];
        let stream = streams.get_mut(&params["requestId"]).unwrap_or_else(|| panic!("a chunk of no stream: {params}"));
        assert_eq!(params["index"], stream.chunks, "chunks arrive in order");
        stream.chunks += 1;
        if let Some(text) = params["chunk"]["delta"]["text"].as_str() {
            stream.words.push(text.trim_end().to_string());
        }
    } else if let Some(stream) = streams.get_mut(&message["id"]) {
        assert!(stream.response.is_none(), "a second answer: {message}");
        stream.response = Some(message);
    } else {
        panic!("unexpected message: {message}");
    }
}

#[test]
fn a_client_that_stops_reading_gets_every_event_in_order_and_the_host_stays_small() {
    // Its own process, so that the streams it holds ready are not counted in the host's memory.
    let emulator = StandaloneEmulator::start();
    let words: Vec<String> = (0..WORDS).map(|n| format!("w{n:04}{}", "x".repeat(WORD_BYTES - 5))).collect();
    put_script(
        &emulator.base_url,
        &json!({"rules": [{
            "when": {"operation": "InvokeModelWithResponseStream"},
            "respond": {"content": [{"text": words.join(" ")}]}
        }]}),
    );
    let home = tempfile::tempdir().unwrap();
    let mut host =
        RawBuilder::new().against(&emulator.base_url, home.path()).env("BEDROCK_HOST_TEST_METHODS", "1").spawn();
    let pid = host.pid();
    host.result("initialize", json!({}));
    let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100_000,
                      "messages": [{"role": "user", "content": "stream"}]});
    let mut streams: HashMap<Value, Stream> = HashMap::new();
    for _ in 0..STREAMS {
        let params = json!({"modelId": "anthropic.claude-3-haiku-20240307-v1:0", "body": body, "stream": true});
        streams.insert(host.request("bedrock/invokeModel", params), Stream::default());
    }
    // The client reads nothing more, until the host has stopped reading from Bedrock (its streams
    // wait for the client) or has grown too much.
    let baseline = status_kib(pid, "VmRSS");
    let mut peak = baseline;
    let first_cpu = cpu_ticks(pid);
    let (mut last_cpu, mut idle_since) = (first_cpu, Instant::now());
    let started = Instant::now();
    let settled = |cpu: u64, idle: Duration| {
        (cpu - first_cpu >= STARTED_TICKS && idle >= Duration::from_secs(2)) || idle >= Duration::from_secs(10)
    };
    while !settled(last_cpu, idle_since.elapsed()) && peak - baseline <= GROWTH_LIMIT_KIB {
        assert!(started.elapsed() < Duration::from_secs(120), "hang guard: the host never settled");
        std::thread::sleep(Duration::from_millis(100));
        peak = peak.max(status_kib(pid, "VmRSS"));
        let cpu = cpu_ticks(pid);
        if cpu != last_cpu {
            (last_cpu, idle_since) = (cpu, Instant::now());
        }
    }
    eprintln!(
        "not reading for {:?} (host CPU {} ticks): the host went from {baseline} to at most {peak} KiB",
        started.elapsed(),
        last_cpu - first_cpu
    );
    assert!(
        peak - baseline <= GROWTH_LIMIT_KIB,
        "the host grew by {} KiB while its client read nothing (limit {GROWTH_LIMIT_KIB} KiB): it buffers the streams",
        peak - baseline
    );

    // The host still reads stdin while its streams wait: a cancellation and a new request get through.
    let cancelled = streams.keys().next().unwrap().clone();
    host.send(&json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": cancelled}}));
    let sleep = host.request("test/sleep", json!({"ms": 0}));
    let mut slept = None;

    // The client reads again: everything arrives, in order.
    let mut read = 0u64;
    while slept.is_none() || streams.values().any(|stream| stream.response.is_none()) {
        let message = host.read().expect("the host's stdout is open");
        if message.get("method").is_none() && message["id"] == sleep {
            slept = Some(message);
            continue;
        }
        absorb(&mut streams, message);
        read += 1;
        if read.is_multiple_of(64) {
            peak = peak.max(status_kib(pid, "VmRSS"));
        }
    }
    peak = peak.max(status_kib(pid, "VmRSS"));
    eprintln!("{read} messages read after the pause; the host's resident memory peaked at {peak} KiB");
    assert!(peak < RSS_LIMIT_KIB, "the host's resident memory reached {peak} KiB");
    assert_eq!(slept.unwrap()["result"], json!({"slept": 0}));
    let expected: Vec<String> = words.iter().map(|word| word.trim_end().to_string()).collect();
    for (id, stream) in &streams {
        let response = stream.response.as_ref().unwrap();
        if *id == cancelled {
            assert_eq!(response["error"]["code"], -32800, "{id}: cancelled while it waited: {response}");
            assert!(stream.words.len() < WORDS && expected.starts_with(&stream.words), "{id}: a prefix, in order");
            continue;
        }
        let result = response.get("result").unwrap_or_else(|| panic!("a stream failed: {response}"));
        assert_eq!(result["chunks"], stream.chunks, "request {id}: every chunk was sent");
        assert!(stream.words == expected, "request {id}: the deltas are the answer's words, in order");
    }
    host.close_stdin();
    assert_eq!(host.wait_exit(Duration::from_secs(10)), Some(Some(1)), "end of input without shutdown exits 1");
}

#[test]
fn a_closed_stdout_ends_the_session_and_keeps_no_turn() {
    let dir = tempfile::tempdir().unwrap();
    let script_dir = tempfile::tempdir().unwrap();
    let script = script_dir.path().join("script.json");
    let answer: Vec<String> = (0..50).map(|n| format!("word{n}")).collect();
    std::fs::write(
        &script,
        json!({"rules": [{"when": {"operation": "ConverseStream"},
                          "respond": {"content": [{"text": answer.join(" ")}], "tokenDelayMs": 20}}]})
        .to_string(),
    )
    .unwrap();
    let mut host = RawBuilder::new()
        .arg("--emulator")
        .arg("--emulator-script")
        .arg(script.to_str().unwrap())
        .arg("--storage-dir")
        .arg(dir.path().to_str().unwrap())
        .spawn();
    host.result("initialize", json!({}));
    let created = host.result("conversation/create", json!({}));
    let id = created["conversationId"].as_str().unwrap().to_string();

    // The client goes away without closing stdin; its last request streams.
    host.close_stdout();
    host.request("conversation/send", json!({"conversationId": id, "content": "hello"}));
    let exited = host.wait_exit(Duration::from_secs(10));
    assert_eq!(
        exited,
        Some(Some(1)),
        "the host must end the session when stdout is gone (as at the end of stdin), not run on unseen"
    );
    let log = host.log_text();
    assert!(log.contains("stdout is closed; ending the session"), "{log}");

    // Nobody saw the turn's result, so the history does not have it.
    let mut host = HostBuilder::new(Framing::Ndjson)
        .arg("--emulator")
        .arg("--storage-dir")
        .arg(dir.path().to_str().unwrap())
        .spawn();
    assert!(host.call("initialize", json!({})).get("result").is_some());
    let conversation = host.call("conversation/get", json!({"conversationId": id}));
    assert_eq!(conversation["result"]["messages"], json!([]), "{conversation}");
    host.finish();
}
