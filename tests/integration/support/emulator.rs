//! The emulator seen from outside: its journal of the Bedrock requests it
//! received (`GET /_emulator/requests`), and `bedrock-host emulator` run as
//! its own process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::Value;

use super::stdio::HANG_GUARD;

/// Every Bedrock request the emulator at `base_url` received, oldest first, by a plain HTTP/1.0 GET.
pub fn journal(base_url: &str) -> Vec<Value> {
    let address = base_url.trim_end_matches('/').strip_prefix("http://").expect("the emulator speaks plain HTTP");
    let mut stream = TcpStream::connect(address).expect("connect to the emulator");
    stream.set_read_timeout(Some(HANG_GUARD)).expect("set a read timeout");
    write!(stream, "GET /_emulator/requests HTTP/1.0\r\nHost: {address}\r\n\r\n").expect("send the GET");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read the journal");
    let (head, body) = reply.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"), "journal answered {head}");
    serde_json::from_str::<Vec<Value>>(body).expect("the journal is a JSON array")
}

/// The journal's entries for one operation (`Converse`, `ConverseStream`, `InvokeModel`, …).
pub fn journal_of(base_url: &str, operation: &str) -> Vec<Value> {
    journal(base_url).into_iter().filter(|entry| entry["operation"] == operation).collect()
}

/// `bedrock-host emulator --port 0 --exit-on-stdin-eof` as its own process; killed when dropped.
pub struct StandaloneEmulator {
    pub child: Child,
    /// The first line it printed (its base URL), trimmed.
    pub base_url: String,
    /// The rest of its stdout, kept open while it runs.
    _stdout: BufReader<ChildStdout>,
}

impl StandaloneEmulator {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// As [`StandaloneEmulator::start`], with more flags (`--journal-max-bytes N`, …).
    pub fn start_with(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-host"))
            .args(["emulator", "--port", "0", "--exit-on-stdin-eof"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn bedrock-host emulator");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the base URL line");
        StandaloneEmulator { child, base_url: line.trim().to_string(), _stdout: stdout }
    }
}

impl Drop for StandaloneEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
