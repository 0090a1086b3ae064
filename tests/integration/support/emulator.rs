//! The emulator seen from outside: its control endpoints (the journal of the
//! Bedrock requests it received, `GET /_emulator/requests`), with the control
//! token every test emulator is given, and `bedrock-host emulator` run as its
//! own process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::Value;

use super::stdio::HANG_GUARD;

/// The control token of every emulator the tests start (the in-process one of
/// `--emulator --emulator-control`, and the standalone one).
pub const CONTROL_TOKEN: &str = "integration-tests-control-token";

/// One plain HTTP/1.0 exchange with the emulator at `base_url` (its loopback address as `Host`):
/// the status line and headers, and the body.
pub fn exchange(base_url: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (String, String) {
    let address = base_url.trim_end_matches('/').strip_prefix("http://").expect("the emulator speaks plain HTTP");
    let mut stream = TcpStream::connect(address).expect("connect to the emulator");
    stream.set_read_timeout(Some(HANG_GUARD)).expect("set a read timeout");
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {address}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("send the request");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read the answer");
    let (head, body) = reply.split_once("\r\n\r\n").expect("an HTTP response");
    (head.to_owned(), body.to_owned())
}

/// A control endpoint's JSON answer, with the tests' control token; it must answer 200.
pub fn control(base_url: &str, method: &str, path: &str, body: &str) -> Value {
    let (head, body) = exchange(base_url, method, path, &[("x-emulator-token", CONTROL_TOKEN)], body);
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{method} {path} answered {head}\n{body}"
    );
    // The journal holds request bodies as deep as the emulator accepts, deeper than serde_json's default limit.
    let mut deserializer = serde_json::Deserializer::from_str(&body);
    deserializer.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut deserializer).expect("a control endpoint answers JSON")
}

/// Every Bedrock request the emulator at `base_url` received, oldest first.
pub fn journal(base_url: &str) -> Vec<Value> {
    match control(base_url, "GET", "/_emulator/requests", "") {
        Value::Array(entries) => entries,
        other => panic!("the journal is a JSON array: {other}"),
    }
}

/// The journal's entries for one operation (`Converse`, `ConverseStream`, `InvokeModel`, …).
pub fn journal_of(base_url: &str, operation: &str) -> Vec<Value> {
    journal(base_url).into_iter().filter(|entry| entry["operation"] == operation).collect()
}

/// `bedrock-host emulator --port 0 --exit-on-stdin-eof` as its own process, with the tests'
/// control token ([`CONTROL_TOKEN`], in its variable); killed when dropped.
pub struct StandaloneEmulator {
    pub child: Child,
    /// The first line it printed (its base URL), trimmed.
    pub base_url: String,
    /// The rest of its stdout, kept open while it runs (`None` only while a line is being read).
    stdout: Option<BufReader<ChildStdout>>,
}

impl StandaloneEmulator {
    pub fn start() -> Self {
        Self::start_with(&[], &[("BEDROCK_EMULATOR_CONTROL_TOKEN", CONTROL_TOKEN)])
    }

    /// With more arguments and variables (the control token's variable is removed first).
    pub fn start_with(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-host"))
            .args(["emulator", "--port", "0", "--exit-on-stdin-eof"])
            .args(args)
            .env_remove("BEDROCK_EMULATOR_CONTROL_TOKEN")
            .envs(envs.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn bedrock-host emulator");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the base URL line");
        StandaloneEmulator { child, base_url: line.trim().to_string(), stdout: Some(stdout) }
    }

    /// The next line it prints, trimmed; fails the test after the hang guard (the emulator is
    /// killed then, which ends the read).
    pub fn read_line(&mut self) -> String {
        let mut stdout = self.stdout.take().expect("one read at a time");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = stdout.read_line(&mut line).map(|_| line);
            let _ = sender.send((read, stdout));
        });
        match receiver.recv_timeout(HANG_GUARD) {
            Ok((read, stdout)) => {
                self.stdout = Some(stdout);
                read.expect("read the emulator's stdout").trim().to_owned()
            }
            Err(_) => {
                let _ = self.child.kill();
                panic!("the emulator printed no further line within {HANG_GUARD:?}");
            }
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        self.base_url.strip_prefix("http://").expect("a plain HTTP base URL").to_owned()
    }
}

impl Drop for StandaloneEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One raw HTTP/1.0 request to the emulator at `base_url`, blocking: (status, lower-case headers,
/// body as JSON, or `null` when it is not JSON). For asserting on the wire what an SDK would forgive.
pub fn exchange_json(base_url: &str, method: &str, path: &str, body: &Value) -> (u16, Vec<(String, String)>, Value) {
    let address = base_url.trim_end_matches('/').strip_prefix("http://").expect("the emulator speaks plain HTTP");
    let mut stream = TcpStream::connect(address).expect("connect to the emulator");
    stream.set_read_timeout(Some(HANG_GUARD)).expect("set a read timeout");
    let body = body.to_string();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {address}\r\nx-emulator-token: {CONTROL_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send the request");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read the answer");
    let (head, body) = reply.split_once("\r\n\r\n").expect("an HTTP response");
    let mut lines = head.lines();
    let status =
        lines.next().and_then(|line| line.split(' ').nth(1)).and_then(|code| code.parse().ok()).expect("a status");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// The value of header `name` (lower case) among `headers`.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}
