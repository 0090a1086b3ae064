//! Drives the real `bedrock-host` binary over its stdio, in either framing:
//! spawn it with arguments and environment, send requests, notifications or
//! raw bytes, read the next message with a hang guard, wait for its exit.
//!
//! A thread parses every byte of the child's stdout as frames of the
//! session's framing; anything else is recorded, and [`Host::finish`] fails
//! the test on it (stdout carries protocol messages only).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any single wait may last before the test fails instead of hanging.
pub const HANG_GUARD: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    ContentLength,
    Ndjson,
}

impl Framing {
    pub const BOTH: [Framing; 2] = [Framing::ContentLength, Framing::Ndjson];

    pub fn encode(self, body: &[u8]) -> Vec<u8> {
        match self {
            Framing::ContentLength => {
                let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
                out.extend_from_slice(body);
                out
            }
            Framing::Ndjson => {
                let mut out = body.to_vec();
                out.push(b'\n');
                out
            }
        }
    }
}

/// Options for spawning the host.
pub struct HostBuilder {
    framing: Framing,
    args: Vec<String>,
    /// Variables to set (`Some`) or remove (`None`), applied in order after the defaults.
    envs: Vec<(String, Option<String>)>,
    /// The emulator script, written to a file the host keeps.
    script: Option<Value>,
    /// The host's working directory; default: the test's.
    current_dir: Option<std::path::PathBuf>,
    /// `--log-level`; `debug` unless the test says otherwise.
    log_level: String,
}

impl HostBuilder {
    pub fn new(framing: Framing) -> Self {
        Self { framing, args: Vec::new(), envs: Vec::new(), script: None, current_dir: None, log_level: "debug".into() }
    }

    /// Runs the host in `dir` instead of the test's working directory.
    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.current_dir = Some(dir.to_path_buf());
        self
    }

    /// The `--log-level` the host starts with (the log is in [`Host::log_text`]).
    pub fn log_level(mut self, level: impl Into<String>) -> Self {
        self.log_level = level.into();
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.envs.push((key.into(), Some(value.into())));
        self
    }

    /// Removes a variable the test process has from the host's environment.
    pub fn env_remove(mut self, key: impl Into<String>) -> Self {
        self.envs.push((key.into(), None));
        self
    }

    /// No AWS set-up from the test process: removes every `AWS_*` variable it has, and points `HOME`,
    /// `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` into `home` (an empty directory). Instance
    /// metadata stays disabled; variables set after this call are kept.
    pub fn without_aws_setup(mut self, home: &Path) -> Self {
        for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("AWS_")) {
            self = self.env_remove(key);
        }
        self.env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", home.display().to_string())
            .env("AWS_CONFIG_FILE", home.join("config").display().to_string())
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials").display().to_string())
    }

    /// Serve from the in-process emulator (`--emulator`), following `script` if there is one, with
    /// its control endpoints on behind the tests' token (the journal is how tests see what was sent).
    pub fn emulator(mut self, script: Option<&Value>) -> Self {
        self.script = script.cloned();
        self.arg("--emulator")
            .arg("--emulator-control")
            .env("BEDROCK_HOST_EMULATOR_CONTROL_TOKEN", super::emulator::CONTROL_TOKEN)
    }

    /// Serve the `test/sleep` and `test/askClient` methods.
    pub fn test_methods(self) -> Self {
        self.env("BEDROCK_HOST_TEST_METHODS", "1")
    }

    pub fn spawn(self) -> Host {
        let log_dir = tempfile::tempdir().expect("create a temp dir for the log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_bedrock-host"));
        command
            .args(&self.args)
            .arg("--log-file")
            .arg(log_dir.path().join("host.log"))
            .arg("--log-level")
            .arg(&self.log_level)
            .env_remove("BEDROCK_HOST_TEST_METHODS")
            // Hermetic AWS set-up: no instance metadata probes, no Bedrock API key from the caller's shell.
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_BEARER_TOKEN_BEDROCK")
            .env_remove("BEDROCK_HOST_EMULATOR_CONTROL")
            .env_remove("BEDROCK_HOST_EMULATOR_CONTROL_TOKEN");
        for (key, value) in &self.envs {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        let script_dir = self.script.map(|script| {
            let dir = tempfile::tempdir().expect("create a temp dir for the emulator script");
            let path = dir.path().join("script.json");
            std::fs::write(&path, script.to_string()).expect("write the emulator script");
            command.arg("--emulator-script").arg(path);
            dir
        });
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = command.spawn().expect("spawn bedrock-host");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, messages) = mpsc::channel();
        let framing = self.framing;
        let reader = std::thread::spawn(move || read_frames(stdout, framing, sender));
        Host {
            child,
            stdin,
            messages,
            reader: Some(reader),
            framing,
            next_id: 1,
            stash: VecDeque::new(),
            _log_dir: log_dir,
            _script_dir: script_dir,
        }
    }
}

/// A running host and the test's end of its stdio.
pub struct Host {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: mpsc::Receiver<Value>,
    reader: Option<JoinHandle<Result<usize, String>>>,
    pub framing: Framing,
    next_id: i64,
    /// Messages read while waiting for a specific response, oldest first.
    stash: VecDeque<Value>,
    _log_dir: tempfile::TempDir,
    _script_dir: Option<tempfile::TempDir>,
}

impl Host {
    /// A host with the test methods, speaking `framing`.
    pub fn spawn(framing: Framing) -> Host {
        HostBuilder::new(framing).test_methods().spawn()
    }

    /// A host as above, already initialized.
    pub fn initialized(framing: Framing) -> Host {
        let mut host = Host::spawn(framing);
        let response = host.call("initialize", json!({}));
        assert!(response.get("result").is_some(), "initialize failed: {response}");
        host
    }

    /// Calls `initialize` with `params`; the Bedrock endpoint it answers (`backend.endpointUrl`,
    /// the emulator's base URL under `--emulator`), without a trailing slash.
    pub fn initialize_for_endpoint(&mut self, params: Value) -> String {
        let response = self.call("initialize", params);
        response["result"]["backend"]["endpointUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("initialize names no endpoint: {response}"))
            .trim_end_matches('/')
            .to_string()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes bytes to the host's stdin as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin.write_all(bytes).expect("write to the host's stdin");
        stdin.flush().expect("flush the host's stdin");
    }

    /// Writes one message, framed.
    pub fn send(&mut self, message: &Value) {
        let bytes = self.framing.encode(&serde_json::to_vec(message).expect("JSON"));
        self.send_raw(&bytes);
    }

    /// Sends a request with a fresh numeric id and returns the id.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = json!(self.next_id);
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its response (the whole message).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.request(method, params);
        self.response(&id)
    }

    /// The next message, stashed ones first; fails the test after [`HANG_GUARD`].
    pub fn recv(&mut self) -> Value {
        if let Some(message) = self.stash.pop_front() {
            return message;
        }
        self.recv_fresh(HANG_GUARD).unwrap_or_else(|| panic!("no message from the host within {HANG_GUARD:?}"))
    }

    /// The response to `id`; messages that arrive before it are stashed for [`Host::recv`].
    pub fn response(&mut self, id: &Value) -> Value {
        if let Some(index) = self.stash.iter().position(|m| is_response_to(m, id)) {
            return self.stash.remove(index).expect("index is in range");
        }
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self.recv_fresh(left).unwrap_or_else(|| panic!("no response to {id} within {HANG_GUARD:?}"));
            if is_response_to(&message, id) {
                return message;
            }
            self.stash.push_back(message);
        }
    }

    /// The next request the host sends to the client (stashing anything else).
    pub fn host_request(&mut self) -> Value {
        if let Some(index) = self.stash.iter().position(is_request) {
            return self.stash.remove(index).expect("index is in range");
        }
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message =
                self.recv_fresh(left).unwrap_or_else(|| panic!("no request from the host within {HANG_GUARD:?}"));
            if is_request(&message) {
                return message;
            }
            self.stash.push_back(message);
        }
    }

    /// Answers a request the host sent.
    pub fn reply(&mut self, id: &Value, result: Value) {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
    }

    /// Takes the stashed notifications (messages with a method and no id).
    pub fn take_notifications(&mut self) -> Vec<Value> {
        let (notifications, rest): (Vec<Value>, Vec<Value>) = std::mem::take(&mut self.stash)
            .into_iter()
            .partition(|m| m.get("method").is_some() && m.get("id").is_none());
        self.stash = rest.into();
        notifications
    }

    fn recv_fresh(&mut self, timeout: Duration) -> Option<Value> {
        match self.messages.recv_timeout(timeout) {
            Ok(message) => Some(message),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the host closed stdout; it exited early?"),
        }
    }

    /// Closes the host's stdin (end of input).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the process to exit; its exit code and how long the wait took.
    pub fn wait_exit(&mut self) -> (Option<i32>, Duration) {
        let start = Instant::now();
        while start.elapsed() < HANG_GUARD {
            if let Some(status) = self.child.try_wait().expect("poll the host process") {
                return (status.code(), start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        panic!("the host did not exit within {HANG_GUARD:?}");
    }

    /// After exit: every message left, and a check that stdout held only frames.
    /// Returns the messages not yet read.
    pub fn finish(mut self) -> Vec<Value> {
        self.close_stdin();
        self.wait_exit();
        let reader = self.reader.take().expect("finish is called once");
        let outcome = reader.join().expect("the stdout reader does not panic");
        let mut rest: Vec<Value> = self.stash.drain(..).collect();
        rest.extend(self.messages.try_iter());
        if let Err(problem) = outcome {
            panic!("stdout holds something other than protocol frames: {problem}");
        }
        rest
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `result` of a response, failing the test on an error.
pub fn result(response: &Value) -> &Value {
    response.get("result").unwrap_or_else(|| panic!("expected a result: {response}"))
}

fn is_response_to(message: &Value, id: &Value) -> bool {
    message.get("method").is_none() && message.get("id") == Some(id)
}

fn is_request(message: &Value) -> bool {
    message.get("method").is_some() && message.get("id").is_some()
}

/// Parses all of stdout as frames; the number of frames, or what was not a frame.
fn read_frames(stdout: ChildStdout, framing: Framing, sender: mpsc::Sender<Value>) -> Result<usize, String> {
    let mut reader = BufReader::new(stdout);
    let mut count = 0;
    loop {
        let body = match framing {
            Framing::Ndjson => {
                let mut line = Vec::new();
                reader.read_until(b'\n', &mut line).map_err(|e| e.to_string())?;
                if line.is_empty() {
                    return Ok(count);
                }
                if line.pop() != Some(b'\n') {
                    return Err(format!("a last line without a newline: {:?}", String::from_utf8_lossy(&line)));
                }
                line
            }
            Framing::ContentLength => {
                let mut header = Vec::new();
                reader.read_until(b'\n', &mut header).map_err(|e| e.to_string())?;
                if header.is_empty() {
                    return Ok(count);
                }
                let text = String::from_utf8_lossy(&header).into_owned();
                let length: usize = text
                    .strip_prefix("Content-Length: ")
                    .and_then(|rest| rest.strip_suffix("\r\n"))
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("not a Content-Length header: {text:?}"))?;
                let mut blank = [0u8; 2];
                reader.read_exact(&mut blank).map_err(|e| format!("after {text:?}: {e}"))?;
                if &blank != b"\r\n" {
                    return Err(format!("no blank line after {text:?}"));
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).map_err(|e| format!("a body shorter than {length}: {e}"))?;
                body
            }
        };
        // Tool input may nest as deep as the emulator allows, deeper than serde_json's default limit.
        let mut deserializer = serde_json::Deserializer::from_slice(&body);
        deserializer.disable_recursion_limit();
        let message: Value = serde::Deserialize::deserialize(&mut deserializer)
            .map_err(|e| format!("{e}: {:?}", String::from_utf8_lossy(&body)))?;
        if message.get("jsonrpc") != Some(&json!("2.0")) {
            return Err(format!("not a JSON-RPC 2.0 message: {message}"));
        }
        count += 1;
        // The test may have stopped listening; the frames are still checked.
        let _ = sender.send(message);
    }
}

/// The child's peak resident memory (VmHWM) in KiB, from /proc.
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

impl Host {
    /// Kills the host with SIGKILL (no chance to clean up) and reaps it.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the host");
        self.child.wait().expect("reap the killed host");
    }

    /// Everything the host has logged so far (every file in its log directory).
    pub fn log_text(&self) -> String {
        let mut files: Vec<_> = std::fs::read_dir(self._log_dir.path())
            .expect("list the log directory")
            .map(|entry| entry.expect("a log directory entry").path())
            .collect();
        files.sort();
        files.iter().map(|path| std::fs::read_to_string(path).unwrap_or_default()).collect()
    }
}
