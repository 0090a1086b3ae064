//! Crash safety and faults, through the real binary and the in-process
//! emulator: conversations under `--storage-dir` survive restarts and
//! `kill -9`, a torn journal tail is cut with a warning, a second host on the
//! same directory is refused, limits and unusable directories answer clear
//! errors, and throttling storms, cut streams and a dying client leave every
//! history whole.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::stdio::{Framing, Host, HostBuilder};

/// What a ConverseStream cut mid-response answers (the SDK sees the connection drop).
const CUT_STREAM_CODE: i64 = -32005;

/// A host on the emulator persisting into `dir`, with `extra` arguments.
fn spawn(dir: &Path, script: Option<&Path>, extra: &[&str]) -> Host {
    let mut builder =
        HostBuilder::new(Framing::Ndjson).arg("--emulator").arg("--storage-dir").arg(dir.to_str().unwrap());
    if let Some(script) = script {
        builder = builder.arg("--emulator-script").arg(script.to_str().unwrap());
    }
    for arg in extra {
        builder = builder.arg(*arg);
    }
    builder.spawn()
}

fn started(dir: &Path, script: Option<&Path>, extra: &[&str]) -> Host {
    let mut host = spawn(dir, script, extra);
    let response = host.call("initialize", json!({}));
    assert!(response.get("result").is_some(), "initialize failed: {response}");
    host
}

fn result(response: Value) -> Value {
    response.get("result").cloned().unwrap_or_else(|| panic!("expected a result: {response}"))
}

fn error(response: &Value) -> &Value {
    response.get("error").unwrap_or_else(|| panic!("expected an error: {response}"))
}

fn create(host: &mut Host, params: Value) -> String {
    result(host.call("conversation/create", params))["conversationId"].as_str().unwrap().to_string()
}

fn get(host: &mut Host, id: &str) -> Value {
    result(host.call("conversation/get", json!({"conversationId": id})))
}

fn list(host: &mut Host) -> Vec<Value> {
    result(host.call("conversation/list", json!({})))["conversations"].as_array().unwrap().clone()
}

fn send(host: &mut Host, id: &str, text: &str) -> Value {
    host.call("conversation/send", json!({"conversationId": id, "content": text}))
}

/// `shutdown` then `exit`: the clean way out (exit code 0).
fn stop(mut host: Host) {
    assert_eq!(result(host.call("shutdown", json!(null))), Value::Null);
    host.notify("exit", json!(null));
    assert_eq!(host.wait_exit().0, Some(0));
    host.finish();
}

fn write_script(dir: &Path, script: Value) -> PathBuf {
    let path = dir.join("script.json");
    std::fs::write(&path, serde_json::to_vec(&script).unwrap()).unwrap();
    path
}

/// A history made of whole turns only: user, assistant, user, assistant, …,
/// each assistant message a final answer (these tests use no tools unless
/// they say so, so no toolUse may be left hanging).
fn assert_whole_turns(conversation: &Value) {
    let messages = conversation["messages"].as_array().unwrap();
    assert_eq!(messages.len() % 2, 0, "an odd number of messages: {conversation}");
    for (index, message) in messages.iter().enumerate() {
        let expected = if index % 2 == 0 { "user" } else { "assistant" };
        assert_eq!(message["role"], expected, "message {index}: {conversation}");
    }
}

fn journal_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.journal"))
}

#[test]
fn conversations_survive_restarts_and_deletes_remove_their_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = started(dir.path(), None, &[]);
    let id = create(&mut host, json!({"title": "Trip", "system": "Be brief."}));
    let first = result(send(&mut host, &id, "Plan a trip to Lyon"));
    let second = result(send(&mut host, &id, "And then Nice"));
    assert_eq!((first["turn"].as_u64(), second["turn"].as_u64()), (Some(1), Some(2)));
    let before = get(&mut host, &id);
    let listed_before = list(&mut host);
    stop(host);

    let mut host = started(dir.path(), None, &[]);
    assert_eq!(get(&mut host, &id), before, "the whole conversation comes back");
    assert_eq!(list(&mut host), listed_before);
    assert_eq!(before["messages"].as_array().unwrap().len(), 4);
    assert_eq!(before["usage"], second["cumulativeUsage"]);

    let fork = result(host.call("conversation/fork", json!({"conversationId": id, "messageCount": 2})));
    let fork = fork["conversationId"].as_str().unwrap().to_string();
    let third = result(send(&mut host, &id, "Finally Paris"));
    assert_eq!(third["turn"], 3, "turn numbers continue after a restart");
    assert_eq!(result(host.call("conversation/delete", json!({"conversationId": id}))), json!({"deleted": true}));
    assert!(!journal_path(dir.path(), &id).exists(), "delete removes the journal");
    stop(host);

    let mut host = started(dir.path(), None, &[]);
    let listed: Vec<_> = list(&mut host).iter().map(|c| c["conversationId"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed, vec![fork.clone()]);
    let forked = get(&mut host, &fork);
    assert_eq!(forked["messages"].as_array().unwrap()[..], before["messages"].as_array().unwrap()[..2]);
    assert_eq!(forked["title"], "Trip");
    let gone = host.call("conversation/get", json!({"conversationId": id}));
    assert_eq!(error(&gone)["code"], -32003);
    stop(host);
}

#[test]
fn a_second_host_on_the_same_directory_is_refused_until_the_first_exits() {
    let dir = tempfile::tempdir().unwrap();
    let first = started(dir.path(), None, &[]);
    let mut second = spawn(dir.path(), None, &[]);
    let refused = second.call("initialize", json!({}));
    let refused = error(&refused);
    assert_eq!(refused["code"], -32006);
    let message = refused["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!(
            "the storage directory {} is in use by another bedrock-host (pid {}); stop that host, or give this one \
             another --storage-dir (two hosts never share one)",
            dir.path().display(),
            first.pid()
        )
    );
    assert_eq!(refused["data"], json!({"storageDir": dir.path().to_str().unwrap()}));

    stop(first);
    let retried = second.call("initialize", json!({}));
    assert!(retried.get("result").is_some(), "the lock is free once the first host exits: {retried}");
    stop(second);
}

#[test]
fn a_torn_tail_is_dropped_with_a_warning_and_earlier_turns_kept() {
    let record =
        bedrock_host::conversations::storage::frame(br#"{"messages":[],"usage":{},"costUsd":0,"updatedAt":"x"}"#);
    let mut bad_crc = record.clone();
    bad_crc[4] ^= 0xff;
    let damages: [(&str, Vec<u8>); 3] = [
        ("half a record", record[..record.len() / 2].to_vec()),
        ("a record whose CRC does not match", bad_crc),
        ("three stray bytes", vec![7, 7, 7]),
    ];
    for (name, damage) in damages {
        let dir = tempfile::tempdir().unwrap();
        let mut host = started(dir.path(), None, &[]);
        let id = create(&mut host, json!({}));
        result(send(&mut host, &id, "one"));
        result(send(&mut host, &id, "two"));
        let before = get(&mut host, &id);
        stop(host);
        let path = journal_path(dir.path(), &id);
        let good_len = std::fs::metadata(&path).unwrap().len();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&damage).unwrap();

        let mut host = started(dir.path(), None, &[]);
        assert_eq!(get(&mut host, &id), before, "{name}: every turn before the damage is kept");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len, "{name}: the tail is cut off");
        let third = result(send(&mut host, &id, "three"));
        assert_eq!(third["turn"], 3, "{name}");
        let log = host.log_text();
        assert!(log.contains("torn journal tail dropped"), "{name}: no warning in the log:\n{log}");
        assert!(log.contains("WARN"), "{name}: the torn tail is logged as a warning:\n{log}");
        stop(host);

        let mut host = started(dir.path(), None, &[]);
        let after = get(&mut host, &id);
        assert_eq!(after["messages"].as_array().unwrap().len(), 6, "{name}: a turn appended after the cut is kept");
        stop(host);
    }
}

#[test]
fn an_unusable_storage_directory_is_a_clear_initialize_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"").unwrap();
    let unusable = file.join("store");
    // As a flag, and as an initialization option (which wins over flags).
    let mut by_flag = spawn(&unusable, None, &[]);
    let mut by_option = HostBuilder::new(Framing::Ndjson).arg("--emulator").spawn();
    for (host, params) in [
        (&mut by_flag, json!({})),
        (&mut by_option, json!({"initializationOptions": {"storageDir": unusable.to_str().unwrap()}})),
    ] {
        let response = host.call("initialize", params);
        let refused = error(&response);
        assert_eq!(refused["code"], -32006);
        let message = refused["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("cannot create the storage directory {}: ", unusable.display())),
            "{message}"
        );
        assert!(
            message
                .ends_with("give a directory this user can write (--storage-dir or initializationOptions.storageDir)"),
            "{message}"
        );
    }
}

#[test]
fn limits_on_conversations_and_messages_answer_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = started(dir.path(), None, &["--max-conversations", "2", "--max-messages-per-conversation", "2"]);
    let id = create(&mut host, json!({}));
    create(&mut host, json!({}));
    for refused in
        [host.call("conversation/create", json!({})), host.call("conversation/fork", json!({"conversationId": id}))]
    {
        assert_eq!(error(&refused)["code"], -32600);
        assert_eq!(
            error(&refused)["message"],
            "invalid request: this host already holds 2 conversations, its limit (maxConversations); delete some \
             with conversation/delete or raise --max-conversations"
        );
    }
    result(send(&mut host, &id, "first"));
    let refused = send(&mut host, &id, "second");
    assert_eq!(error(&refused)["code"], -32600);
    let message = error(&refused)["message"].as_str().unwrap();
    assert!(message.contains("holds 2 messages, the limit (maxMessagesPerConversation is 2)"), "{message}");
    assert_eq!(get(&mut host, &id)["messages"].as_array().unwrap().len(), 2, "the refused turn left no trace");
    stop(host);
    let journals = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().extension().is_some_and(|x| x == "journal"))
        .count();
    assert_eq!(journals, 2, "refused creations and forks leave no file");
}

/// xorshift64*: a seeded, reproducible choice of kill moments.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

#[test]
fn kill_9_at_random_moments_loses_no_completed_turn() {
    const ITERATIONS: usize = 15;
    const CONVERSATIONS: usize = 2;
    let dir = tempfile::tempdir().unwrap();
    let script_dir = tempfile::tempdir().unwrap();
    let answer = "one two three four five six seven eight nine ten eleven twelve";
    let script = write_script(
        script_dir.path(),
        json!({"rules": [{"when": {"operation": "ConverseStream"}, "respond": {"content": [{"text": answer}], "tokenDelayMs": 3}}]}),
    );
    let mut rng = Rng(0x5eed_0fc0_ffee);
    // What the client saw acknowledged: conversation id → the history its TurnResults add up to.
    let mut acknowledged: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut kills_mid_stream = 0;
    for iteration in 0..ITERATIONS {
        let mut host = started(dir.path(), Some(&script), &[]);
        for summary in list(&mut host) {
            let id = summary["conversationId"].as_str().unwrap().to_string();
            let stored = get(&mut host, &id);
            assert_whole_turns(&stored);
            let stored = stored["messages"].as_array().unwrap().clone();
            let known = acknowledged.entry(id.clone()).or_default();
            // Every acknowledged turn is there; at most one more (committed, its result lost with the kill).
            assert_eq!(stored[..known.len().min(stored.len())], known[..], "iteration {iteration}: {id}");
            assert!(stored.len() == known.len() || stored.len() == known.len() + 2, "iteration {iteration}: {id}");
            *known = stored;
        }
        while acknowledged.len() < CONVERSATIONS {
            acknowledged.insert(create(&mut host, json!({})), Vec::new());
        }

        // Keep one turn in flight per conversation; kill after a random number of messages.
        let kill_after = rng.below(120);
        let mut in_flight: HashMap<Value, (String, Value)> = HashMap::new();
        let ids: Vec<String> = acknowledged.keys().cloned().collect();
        let mut counter = 0;
        for id in &ids {
            counter += 1;
            let user =
                json!({"role": "user", "content": [{"text": format!("iteration {iteration} message {counter}")}]});
            let request = host.request("conversation/send", json!({"conversationId": id, "content": user["content"]}));
            in_flight.insert(request, (id.clone(), user));
        }
        // Requests whose stream has begun and whose result has not arrived.
        let mut streaming = HashSet::new();
        for _ in 0..kill_after {
            let message = host.recv();
            if message["method"] == "converse/event" {
                streaming.insert(message["params"]["requestId"].clone());
            }
            let Some((id, user)) = message.get("id").and_then(|request| in_flight.remove(request)) else { continue };
            streaming.remove(&message["id"]);
            let turn = result(message);
            let history = acknowledged.get_mut(&id).unwrap();
            history.push(user);
            history.extend(turn["messages"].as_array().unwrap().iter().cloned());
            assert_eq!(turn["turn"].as_u64(), Some(history.len() as u64 / 2));
            counter += 1;
            let user =
                json!({"role": "user", "content": [{"text": format!("iteration {iteration} message {counter}")}]});
            let request = host.request("conversation/send", json!({"conversationId": id, "content": user["content"]}));
            in_flight.insert(request, (id, user));
        }
        kills_mid_stream += usize::from(!streaming.is_empty());
        host.kill();
    }
    let total_turns: usize = acknowledged.values().map(|history| history.len() / 2).sum();
    eprintln!("{kills_mid_stream} of {ITERATIONS} kills landed mid-stream; {total_turns} turns survived them");
    assert!(kills_mid_stream > 0, "some kill lands mid-stream");
    assert!(total_turns > ITERATIONS, "the loop made progress: {total_turns} turns acknowledged");

    let mut host = started(dir.path(), Some(&script), &[]);
    for (id, known) in &acknowledged {
        let stored = get(&mut host, id);
        assert_whole_turns(&stored);
        assert!(stored["messages"].as_array().unwrap().starts_with(known), "{id}");
    }
    stop(host);
}

#[test]
fn a_throttling_storm_across_32_conversations_leaves_every_history_whole() {
    const CONVERSATIONS: usize = 32;
    const THROTTLES: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let script_dir = tempfile::tempdir().unwrap();
    let script = write_script(
        script_dir.path(),
        json!({"rules": [{
            "when": {"operation": "ConverseStream"},
            "times": THROTTLES,
            "fail": {"error": "ThrottlingException", "status": 429, "message": "Too many requests, please wait before trying again."}
        }]}),
    );
    let mut host = started(dir.path(), Some(&script), &["--max-attempts", "2"]);
    let ids: Vec<String> = (0..CONVERSATIONS).map(|_| create(&mut host, json!({}))).collect();
    let mut successes: HashMap<&str, u64> = HashMap::new();
    let mut throttled_attempts = 0;
    for round in 0..2 {
        let requests: Vec<(Value, &str)> = ids
            .iter()
            .map(|id| {
                let params = json!({"conversationId": id, "content": format!("round {round}")});
                (host.request("conversation/send", params), id.as_str())
            })
            .collect();
        let mut failed = Vec::new();
        for (request, id) in &requests {
            let response = host.response(request);
            if let Some(turn) = response.get("result") {
                let count = successes.entry(id).or_default();
                *count += 1;
                assert_eq!(turn["turn"], *count);
            } else {
                let error = error(&response);
                assert_eq!(error["code"], -32001, "{response}");
                assert_eq!(error["data"]["bedrockCode"], "ThrottlingException");
                assert_eq!(error["data"]["attempts"], 2);
                failed.push(request.clone());
            }
        }
        // Each request's retry notifications precede its response on stdout.
        let notifications = host.take_notifications();
        for (request, _) in &requests {
            let retries = notifications
                .iter()
                .filter(|n| n["method"] == "converse/retry" && n["params"]["requestId"] == *request)
                .count() as u64;
            // A failed send was throttled on both attempts; a successful one on each attempt it retried.
            throttled_attempts += if failed.contains(request) { 2 } else { retries };
        }
        if round == 1 {
            assert!(failed.is_empty(), "the storm is over after the first round: {failed:?}");
        }
        for id in &ids {
            let conversation = get(&mut host, id);
            assert_whole_turns(&conversation);
            let turns = successes.get(id.as_str()).copied().unwrap_or(0) as usize;
            assert_eq!(conversation["messages"].as_array().unwrap().len(), 2 * turns, "round {round}: {id}");
        }
    }
    assert_eq!(throttled_attempts, THROTTLES, "every scripted throttle hit exactly one attempt");
    stop(host);
}

#[test]
fn a_stream_cut_mid_turn_leaves_the_history_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let script_dir = tempfile::tempdir().unwrap();
    let script = write_script(
        script_dir.path(),
        json!({"rules": [{
            "when": {"operation": "ConverseStream", "lastUserText": "cut"},
            "times": 1,
            "respond": {"content": [{"text": "this answer never reaches its end"}], "cutAfterEvents": 4}
        }]}),
    );
    let mut host = started(dir.path(), Some(&script), &["--max-attempts", "1"]);
    let id = create(&mut host, json!({}));
    result(send(&mut host, &id, "hello"));
    let before = get(&mut host, &id);

    let cut = send(&mut host, &id, "please cut");
    let cut = error(&cut);
    assert_eq!(cut["code"], CUT_STREAM_CODE, "{cut}");
    assert_eq!(get(&mut host, &id), before, "a failed turn adds nothing");
    let next = result(send(&mut host, &id, "and now?"));
    assert_eq!(next["turn"], 2);
    stop(host);

    let mut host = started(dir.path(), Some(&script), &[]);
    let stored = get(&mut host, &id);
    assert_whole_turns(&stored);
    assert_eq!(stored["messages"].as_array().unwrap().len(), 4, "after a restart: the two completed turns only");
    stop(host);
}

#[test]
fn the_client_dying_during_a_tool_call_ends_the_host_and_keeps_completed_turns() {
    let dir = tempfile::tempdir().unwrap();
    let script_dir = tempfile::tempdir().unwrap();
    let script = write_script(
        script_dir.path(),
        json!({"rules": [{
            "when": {"operation": "ConverseStream", "lastUserText": "weather", "afterToolResult": false},
            "respond": {"content": [{"toolUse": {"name": "get_weather", "input": {"city": "Paris"}}}]}
        }]}),
    );
    let mut host = started(dir.path(), Some(&script), &[]);
    let tool = json!({"name": "get_weather", "description": "Weather of a city", "inputSchema": {"type": "object"}});
    result(host.call("tool/register", json!({"tools": [tool]})));
    let id = create(&mut host, json!({"tools": "all"}));
    let completed = result(send(&mut host, &id, "hello"));
    host.request("conversation/send", json!({"conversationId": id, "content": "weather in Paris?"}));
    let tool_call = host.host_request();
    assert_eq!(tool_call["method"], "tool/call");

    host.close_stdin();
    let (code, took) = host.wait_exit();
    eprintln!("the host exited {took:?} after its stdin closed during a tool call");
    assert_eq!(code, Some(1), "end of input without shutdown exits 1");
    assert!(took < Duration::from_secs(5), "hang guard: the host took {took:?} to exit");

    let mut host = started(dir.path(), Some(&script), &[]);
    let stored = get(&mut host, &id);
    let mut expected = vec![json!({"role": "user", "content": [{"text": "hello"}]})];
    expected.extend(completed["messages"].as_array().unwrap().iter().cloned());
    assert_eq!(stored["messages"], json!(expected), "the completed turn, and nothing of the interrupted one");
    stop(host);
}
