//! The log: written to the file asked for, never to stdout, and never with
//! AWS secrets or signatures in it, even at the most verbose level.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

const SECRET_ACCESS_KEY: &str = "LogTestSecretKey0123456789abcdefghijklmn";
const SESSION_TOKEN: &str = "LogTestSessionTokenZyXwVuTsRqPoNmLkJi";

#[tokio::test(flavor = "multi_thread")]
async fn secrets_and_signatures_never_reach_the_log() {
    let emulator = bedrock_host::emulator::start(bedrock_host::emulator::EmulatorConfig::loopback())
        .await
        .expect("start the emulator");
    let log_dir = tempfile::tempdir().unwrap();
    let log_file = log_dir.path().join("host.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-host"))
        .args(["--endpoint-url", emulator.base_url(), "--region", "us-east-1", "--log-level", "trace", "--log-file"])
        .arg(&log_file)
        .env("AWS_ACCESS_KEY_ID", "AKIDLOGTEST")
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_BEARER_TOKEN_BEDROCK")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn bedrock-host");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let requests = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "bedrock/converse", "params": {
            "modelId": "haiku", "stream": true, "messages": [{"role": "user", "content": [{"text": "hello log"}]}]}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}),
    ];
    let mut stdout_lines = Vec::new();
    for request in &requests {
        writeln!(stdin, "{request}").unwrap();
        loop {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "the host closed stdout early");
            let message: Value = serde_json::from_str(&line).expect("stdout holds only JSON-RPC messages");
            stdout_lines.push(message.clone());
            if message.get("id") == request.get("id") {
                assert!(message.get("result").is_some(), "{message}");
                break;
            }
        }
    }
    writeln!(stdin, "{}", json!({"jsonrpc": "2.0", "method": "exit"})).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    emulator.shutdown().await;

    // The appender names files `host.log.YYYY-MM-DD`; read every file it wrote.
    let mut log = String::new();
    for entry in std::fs::read_dir(log_dir.path()).unwrap() {
        log.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(log.contains("session started"), "the log was written to --log-file: {log}");
    for secret in [SECRET_ACCESS_KEY, SESSION_TOKEN, "AWS4-HMAC-SHA256", "Signature="] {
        assert!(!log.contains(secret), "the log contains `{secret}`");
    }
    assert!(stdout_lines.iter().all(|m| m["jsonrpc"] == "2.0"));
}
