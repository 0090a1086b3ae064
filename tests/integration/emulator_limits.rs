//! What the emulator keeps is bounded: the request journal in bytes (bodies kept as received,
//! parsed only when read; small inside the host), and finished async jobs by age and count (their
//! output deleted with them). Through the real binary: `bedrock-host emulator` and `--emulator`.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::conversation::Emulated;
use crate::support::emulator::{CONTROL_TOKEN, StandaloneEmulator, journal};
use crate::support::raw::{http, status_kib};

/// A JSON array of `count` ones: 2 bytes of text per element, a tree node each once parsed.
fn ones(count: usize) -> Vec<u8> {
    let mut body = vec![b'['];
    for n in 0..count {
        body.extend_from_slice(if n == 0 { b"1" } else { b",1" });
    }
    body.push(b']');
    body
}

#[test]
fn the_journal_keeps_bodies_as_received_and_its_memory_stays_small() {
    let emulator = StandaloneEmulator::start();
    let pid = emulator.child.id();
    // Six 4 MB bodies the journal keeps whole (24 MB, under its 64 MiB default): parsed, each
    // would hold two million values.
    let body = ones(2_000_000);
    for n in 0..6 {
        let (status, _) = http(&emulator.base_url, "POST", &format!("/model/m{n}/no-such-operation"), &body);
        assert_eq!(status, 404);
    }
    let rss = status_kib(pid, "VmRSS");
    eprintln!("the emulator holds {rss} KiB after journaling 6 requests of {} bytes", body.len());
    assert!(rss < 200 * 1024, "the emulator's resident memory is {rss} KiB for 24 MB of journaled bodies");

    let (status, _) = http(&emulator.base_url, "DELETE", "/_emulator/requests", b"");
    assert_eq!(status, 200);
    assert!(journal(&emulator.base_url).is_empty());
    // Read back, a body is its JSON again (or its text).
    let small = json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}], "n": 1.5});
    http(&emulator.base_url, "POST", "/model/m6/converse", &serde_json::to_vec(&small).unwrap());
    http(&emulator.base_url, "POST", "/model/m7/converse", b"not json");
    let entries = journal(&emulator.base_url);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["body"], small, "a body is shown as its JSON");
    assert_eq!(entries[1]["body"], "not json");
}

#[test]
fn the_journal_is_capped_in_bytes() {
    let emulator = StandaloneEmulator::start_with(
        &["--journal-max-bytes", "1000000"],
        &[("BEDROCK_EMULATOR_CONTROL_TOKEN", CONTROL_TOKEN)],
    );
    let body = ones(150_000);
    for n in 0..5 {
        http(&emulator.base_url, "POST", &format!("/model/m{n}/converse"), &body);
    }
    let kept: Vec<String> =
        journal(&emulator.base_url).iter().map(|entry| entry["modelId"].as_str().unwrap().to_string()).collect();
    assert_eq!(kept, ["m2", "m3", "m4"], "the newest requests that fit in 1,000,000 bytes");

    // A body over the whole limit is not kept, but the request is, saying how large it was.
    let huge = ones(600_000);
    http(&emulator.base_url, "POST", "/model/huge/converse", &huge);
    let entries = journal(&emulator.base_url);
    let last = entries.last().unwrap();
    assert_eq!(last["modelId"], "huge");
    assert_eq!(last["body"], Value::Null);
    assert_eq!(last["bodyOmittedBytes"], huge.len());
}

#[test]
fn the_in_process_journal_keeps_the_last_calls_only() {
    // Every call of a conversation carries its whole history: 10 turns of 400 kB send 22 MB.
    let script =
        json!({"rules": [{"when": {"operation": "ConverseStream"}, "respond": {"content": [{"text": "ok"}]}}]});
    let mut emulated = Emulated::start(Some(script), json!({}));
    let id = emulated.create(json!({}));
    let filler = "x".repeat(400_000);
    for turn in 0..10 {
        let (_, response) = emulated
            .exchange("conversation/send", json!({"conversationId": id, "content": format!("turn {turn} {filler}")}));
        assert!(response.get("result").is_some(), "{response}");
    }
    let entries = emulated.journal();
    let bytes: usize = entries.iter().map(|entry| entry["body"].to_string().len()).sum();
    eprintln!("the in-process journal keeps {} entries, {bytes} bytes of bodies", entries.len());
    assert!(bytes <= 8 * 1024 * 1024, "the in-process journal holds {bytes} bytes of bodies");
    let last = entries.last().unwrap()["body"]["messages"].as_array().unwrap().last().unwrap().clone();
    assert!(last["content"][0]["text"].as_str().unwrap().starts_with("turn 9 "), "the newest call is kept");
}

/// Output files under the emulator's data directory.
fn output_files(dir: &Path) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                count += 1;
            }
        }
    }
    count
}

fn list_jobs(base_url: &str) -> Vec<Value> {
    let (status, body) = http(base_url, "GET", "/async-invoke", b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let listed: Value = serde_json::from_slice(&body).unwrap();
    listed["asyncInvokeSummaries"].as_array().cloned().unwrap_or_default()
}

/// Polls until `done` holds; fails after 30 s.
fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "hang guard: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn finished_async_jobs_are_forgotten_by_count_and_age_with_their_output() {
    let data = tempfile::tempdir().unwrap();
    let emulator = StandaloneEmulator::start_with(
        &["--data-dir", data.path().to_str().unwrap(), "--max-finished-jobs", "5", "--job-ttl-secs", "3"],
        &[("BEDROCK_EMULATOR_CONTROL_TOKEN", CONTROL_TOKEN)],
    );
    crate::support::raw::put_script(&emulator.base_url, &json!({"asyncJobDurationMs": 0}));
    let start = |n: usize| {
        let request = json!({"modelId": "amazon.nova-reel-v1:0", "modelInput": {"n": n},
                             "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out"}}});
        let (status, body) = http(&emulator.base_url, "POST", "/async-invoke", &serde_json::to_vec(&request).unwrap());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice::<Value>(&body).unwrap()["invocationArn"].as_str().unwrap().to_string()
    };
    let arns: Vec<String> = (0..12).map(start).collect();
    until("every job has ended", || {
        list_jobs(&emulator.base_url).iter().all(|job| job["status"] != "InProgress") && output_files(data.path()) <= 5
    });
    let listed = list_jobs(&emulator.base_url);
    assert_eq!(listed.len(), 5, "at most 5 finished jobs are remembered: {listed:?}");
    assert_eq!(output_files(data.path()), 5, "a forgotten job's output is deleted");
    let (status, _) = http(&emulator.base_url, "GET", &format!("/async-invoke/{}", arns[0].replace('/', "%2F")), b"");
    assert_eq!(status, 400, "the oldest job is forgotten: ValidationException, as for any unknown job");

    until("finished jobs expire after 3 s", || list_jobs(&emulator.base_url).is_empty());
    assert_eq!(output_files(data.path()), 0, "expired jobs leave no file");
}
