//! The real binary: `bedrock-host emulator --port 0 --exit-on-stdin-eof` prints its base URL as the
//! first stdout line once it accepts connections, and exits when stdin closes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::emulator::{CONTROL_TOKEN, StandaloneEmulator};

#[test]
fn binary_prints_base_url_serves_and_exits_on_stdin_eof() {
    let mut emulator = StandaloneEmulator::start();
    let base_url = &emulator.base_url;
    let address = base_url.strip_prefix("http://127.0.0.1:").map(|port| format!("127.0.0.1:{port}"));
    let address = address.unwrap_or_else(|| panic!("first line is not a loopback base URL: {base_url:?}"));

    let mut stream = TcpStream::connect(&address).expect("accepting once the URL is printed");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let request = format!(
        "GET /_emulator/health HTTP/1.1\r\nhost: {address}\r\nx-emulator-token: {CONTROL_TOKEN}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.to_ascii_lowercase().contains("x-amzn-requestid: "), "{response}");
    assert!(response.ends_with(r#"{"ok":true}"#), "{response}");

    drop(emulator.child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = emulator.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the emulator did not exit after stdin closed");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn binary_rejects_a_bad_script_naming_rule_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.json");
    std::fs::write(&script, r#"{"rules": [{"when": {"lastUserText": "("}, "respond": {}}]}"#).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bedrock-host"))
        .args(["emulator", "--port", "0", "--script"])
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rules[0].when.lastUserText: invalid regex"), "{stderr}");
}
