//! The storage directory's faults, through the real binary and the in-process emulator: a
//! damaged record in the middle of a journal costs that record only and the client is told; the
//! lock cannot be deleted from under its owner and no symlink in the directory is followed; a
//! full disk during a turn answers -32006 with the model's answer in `data.partial`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::raw::{RawBuilder, RawHost};
use crate::support::stdio::{Framing, Host, HostBuilder};

/// A host on the emulator persisting into `dir`.
fn started(dir: &Path) -> Host {
    let mut host =
        HostBuilder::new(Framing::Ndjson).arg("--emulator").arg("--storage-dir").arg(dir.to_str().unwrap()).spawn();
    let response = host.call("initialize", json!({}));
    assert!(response.get("result").is_some(), "initialize failed: {response}");
    host
}

fn result(response: Value) -> Value {
    response.get("result").cloned().unwrap_or_else(|| panic!("expected a result: {response}"))
}

fn stop(mut host: Host) {
    result(host.call("shutdown", json!(null)));
    host.notify("exit", json!(null));
    assert_eq!(host.wait_exit().0, Some(0));
    host.finish();
}

/// Where each record of a journal starts (after the 8-byte magic: length u32 LE, CRC u32 LE, payload).
fn record_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 8;
    while at < bytes.len() {
        starts.push(at);
        at += 8 + u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    }
    starts
}

#[test]
fn a_flipped_bit_mid_journal_skips_one_turn_keeps_the_rest_and_tells_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = started(dir.path());
    let id = result(host.call("conversation/create", json!({})))["conversationId"].as_str().unwrap().to_string();
    for n in 0..8 {
        result(host.call("conversation/send", json!({"conversationId": id, "content": format!("turn {n}")})));
    }
    let before = result(host.call("conversation/get", json!({"conversationId": id})));
    stop(host);

    let path = dir.path().join(format!("{id}.journal"));
    let mut bytes = std::fs::read(&path).unwrap();
    let starts = record_starts(&bytes);
    assert_eq!(starts.len(), 9, "a header and 8 turns");
    // One bit in the middle of the second turn's record.
    let flipped_at = (starts[2] + starts[3]) / 2;
    bytes[flipped_at] ^= 0x04;
    std::fs::write(&path, &bytes).unwrap();

    let mut host = HostBuilder::new(Framing::Ndjson)
        .arg("--emulator")
        .arg("--storage-dir")
        .arg(dir.path().to_str().unwrap())
        .spawn();
    let initialized = result(host.call("initialize", json!({})));
    let warnings = initialized["warnings"].as_array().unwrap_or_else(|| panic!("no warnings in {initialized}"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["kind"], "damagedRecords");
    assert_eq!(warnings[0]["conversationId"], id.as_str());
    let kept_at = PathBuf::from(warnings[0]["keptAt"].as_str().unwrap());
    assert!(kept_at.starts_with(dir.path()), "{kept_at:?}");
    assert_eq!(std::fs::read(&kept_at).unwrap(), bytes, "the original file is kept as it was");

    let after = result(host.call("conversation/get", json!({"conversationId": id})));
    let (messages_before, messages_after) =
        (before["messages"].as_array().unwrap(), after["messages"].as_array().unwrap());
    let mut expected = messages_before[..2].to_vec();
    expected.extend_from_slice(&messages_before[4..]);
    assert_eq!(messages_after, &expected, "every intact turn, before and after the damaged one");
    assert_eq!(after["warnings"], json!(warnings), "conversation/get says what the history lost");
    let listed = result(host.call("conversation/list", json!({})));
    assert_eq!(listed["conversations"][0]["turns"], 7);
    let next = result(host.call("conversation/send", json!({"conversationId": id, "content": "turn 8"})));
    assert_eq!(next["turn"], 8);
    stop(host);

    // Later starts find a clean journal: no new warning, the conversation keeps its own.
    let mut host = HostBuilder::new(Framing::Ndjson)
        .arg("--emulator")
        .arg("--storage-dir")
        .arg(dir.path().to_str().unwrap())
        .spawn();
    let initialized = result(host.call("initialize", json!({})));
    assert!(initialized.get("warnings").is_none(), "nothing new was found: {initialized}");
    let again = result(host.call("conversation/get", json!({"conversationId": id})));
    assert_eq!(again["messages"].as_array().unwrap().len(), 16);
    assert_eq!(again["warnings"], json!(warnings));
    stop(host);
}

#[test]
fn the_lock_is_on_the_directory_and_symlinks_in_it_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let precious = outside.path().join("precious.txt");
    std::fs::write(&precious, "not the host's to write").unwrap();
    std::os::unix::fs::symlink(&precious, dir.path().join("bedrock-host.lock")).unwrap();

    let first = started(dir.path());
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "not the host's to write",
        "a symlink's target is never written"
    );
    // Whatever files the directory holds, removing them all does not free it.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let mut second = HostBuilder::new(Framing::Ndjson)
        .arg("--emulator")
        .arg("--storage-dir")
        .arg(dir.path().to_str().unwrap())
        .spawn();
    let refused = second.call("initialize", json!({}));
    let error = refused.get("error").unwrap_or_else(|| panic!("a second host opened the same directory: {refused}"));
    assert_eq!(error["code"], -32006);
    assert_eq!(
        error["message"],
        format!(
            "the storage directory {} is in use by another bedrock-host (pid {}); stop that host, or give this one \
             another --storage-dir (two hosts never share one)",
            dir.path().display(),
            first.pid()
        )
    );
    assert_eq!(error["data"], json!({"storageDir": dir.path().to_str().unwrap()}));
    stop(first);
    let retried = second.call("initialize", json!({}));
    assert!(retried.get("result").is_some(), "free once the first host exits: {retried}");
    stop(second);
}

/// A 64 KiB tmpfs mounted on a fresh directory, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then_some(SmallDisk { dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_during_a_turn_answers_storage_failed_with_the_partial_turn() {
    // 100 KiB of answer does not fit: in a 64 KiB tmpfs, or (without mount rights) under a
    // 64 KiB file-size limit with SIGXFSZ ignored, so that the write fails with EFBIG instead.
    let answer = vec!["abcdefghijklmnopqrstuvwxyz"; 4000].join(" ");
    let script_dir = tempfile::tempdir().unwrap();
    let script = script_dir.path().join("script.json");
    std::fs::write(
        &script,
        json!({"rules": [{"when": {"operation": "ConverseStream", "lastUserText": "long"},
                          "respond": {"content": [{"text": answer}]}}]})
        .to_string(),
    )
    .unwrap();
    let small_disk = SmallDisk::mount();
    let plain_dir = tempfile::tempdir().unwrap();
    let builder = RawBuilder::new().arg("--emulator").arg("--emulator-script").arg(script.to_str().unwrap());
    let (dir, builder) = match &small_disk {
        Some(disk) => (disk.dir.path().to_path_buf(), builder),
        None if Command::new("prlimit").arg("--version").output().is_ok_and(|out| out.status.success()) => {
            eprintln!("no mount rights: a file-size limit (prlimit --fsize) stands in for a full disk");
            let limited =
                builder.wrapped_in(&["prlimit", "--fsize=65536:65536", "sh", "-c", "trap '' XFSZ; exec \"$@\"", "sh"]);
            (plain_dir.path().to_path_buf(), limited)
        }
        None => {
            eprintln!("SKIPPED: neither `mount -t tmpfs` nor `prlimit` is available to fill a disk");
            return;
        }
    };
    let mut host: RawHost = builder.arg("--storage-dir").arg(dir.to_str().unwrap()).spawn();
    host.result("initialize", json!({}));
    let id = host.result("conversation/create", json!({}))["conversationId"].as_str().unwrap().to_string();
    host.result("conversation/send", json!({"conversationId": id, "content": "short"}));

    let (events, response) = host.call("conversation/send", json!({"conversationId": id, "content": "long"}));
    assert!(events.iter().any(|event| event["method"] == "converse/event"), "the answer streamed");
    let error = response.get("error").unwrap_or_else(|| panic!("a turn that cannot be stored succeeded: {response}"));
    assert_eq!(error["code"], -32006, "{error}");
    assert_eq!(error["data"]["storageDir"], dir.to_str().unwrap());
    let partial = &error["data"]["partial"];
    assert_eq!(partial["text"], answer.as_str(), "the model's answer comes back in data.partial");
    assert_eq!(partial["messages"][0]["role"], "assistant");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("the turn was not added to the history"), "{message}");

    let conversation = host.result("conversation/get", json!({"conversationId": id}));
    assert_eq!(conversation["messages"].as_array().unwrap().len(), 2, "the failed turn left no trace");
    let next = host.result("conversation/send", json!({"conversationId": id, "content": "short again"}));
    assert_eq!(next["turn"], 2, "the conversation goes on once there is room");
    host.close_stdin();
    assert!(host.wait_exit(std::time::Duration::from_secs(10)).is_some());
}
