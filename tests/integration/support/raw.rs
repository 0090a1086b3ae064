//! The host's stdio in the test's own hands, for what [`super::stdio::Host`] hides on purpose:
//! no thread reads stdout behind the test's back, so a test decides when stdout is read, stops
//! reading it (a slow client), or closes it (a client that is gone). Newline-delimited JSON only.
//! Also: the process's memory and CPU time from /proc, an optional command the host is started
//! under (`prlimit …`), and a watchdog that kills the host if a test hangs on it.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The host is killed after this long, so that a read on its stdout cannot hang the test.
pub const WATCHDOG: Duration = Duration::from_secs(180);

/// How to start the host.
pub struct RawBuilder {
    args: Vec<String>,
    envs: Vec<(String, String)>,
    /// A command (and its arguments) the host runs under, e.g. `sh -c '…' sh`.
    wrapper: Vec<String>,
}

impl RawBuilder {
    pub fn new() -> Self {
        Self { args: Vec::new(), envs: Vec::new(), wrapper: Vec::new() }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Runs the host as the last arguments of `command` (which must exec them).
    pub fn wrapped_in(mut self, command: &[&str]) -> Self {
        self.wrapper = command.iter().map(|part| part.to_string()).collect();
        self
    }

    /// Calls Bedrock at `endpoint` (an emulator) with static credentials and no AWS set-up of the
    /// test process (no `AWS_*` variable, `HOME` and the AWS files in an empty directory).
    pub fn against(self, endpoint: &str, home: &Path) -> Self {
        self.arg("--endpoint-url")
            .arg(endpoint)
            .arg("--region")
            .arg("us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDRAWHOSTTEST")
            .env("AWS_SECRET_ACCESS_KEY", "raw-host-test-secret")
            .env("HOME", home.display().to_string())
            .env("AWS_CONFIG_FILE", home.join("config").display().to_string())
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials").display().to_string())
    }

    pub fn spawn(self) -> RawHost {
        let log_dir = tempfile::tempdir().expect("create a temp dir for the log");
        let host = env!("CARGO_BIN_EXE_bedrock-host");
        let mut command = match self.wrapper.split_first() {
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg(host);
                command
            }
            None => Command::new(host),
        };
        for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("AWS_") || key.starts_with("BEDROCK_")) {
            command.env_remove(key);
        }
        command
            .args(&self.args)
            .arg("--log-file")
            .arg(log_dir.path().join("host.log"))
            .arg("--log-level")
            .arg("debug")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(self.envs)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().expect("spawn bedrock-host");
        let pid = child.id();
        let (stop_watchdog, stopped) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(WATCHDOG) {
                eprintln!("watchdog: the host (pid {pid}) ran for {WATCHDOG:?}; killing it");
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        });
        RawHost {
            stdin: child.stdin.take(),
            stdout: Some(BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped stdout"))),
            child,
            next_id: 1,
            _stop_watchdog: stop_watchdog,
            _log_dir: log_dir,
        }
    }
}

/// A running host whose stdout only the test reads.
pub struct RawHost {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<BufReader<ChildStdout>>,
    next_id: i64,
    /// Dropped with the host: the watchdog thread ends.
    _stop_watchdog: mpsc::Sender<()>,
    _log_dir: tempfile::TempDir,
}

impl RawHost {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn send(&mut self, message: &Value) {
        let mut line = serde_json::to_vec(message).expect("JSON");
        line.push(b'\n');
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(&line).expect("write to the host's stdin");
        stdin.flush().expect("flush the host's stdin");
    }

    /// Sends a request with a fresh numeric id; returns the id.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = json!(self.next_id);
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// The next line of stdout, as it is; `None` at its end.
    pub fn read_line(&mut self) -> Option<Vec<u8>> {
        let stdout = self.stdout.as_mut().expect("stdout is open");
        let mut line = Vec::new();
        stdout.read_until(b'\n', &mut line).expect("read the host's stdout");
        if line.is_empty() {
            return None;
        }
        assert_eq!(line.pop(), Some(b'\n'), "a last line without a newline");
        Some(line)
    }

    /// The next message; `None` at the end of stdout.
    pub fn read(&mut self) -> Option<Value> {
        self.read_line().map(|line| serde_json::from_slice(&line).expect("stdout holds JSON lines"))
    }

    /// Sends a request and reads up to its response; returns the messages read before it, and it.
    pub fn call(&mut self, method: &str, params: Value) -> (Vec<Value>, Value) {
        let id = self.request(method, params);
        let mut before = Vec::new();
        loop {
            let message = self.read().unwrap_or_else(|| panic!("stdout ended before the response to {method}"));
            if message.get("method").is_none() && message["id"] == id {
                return (before, message);
            }
            before.push(message);
        }
    }

    /// `call`, returning the `result` (failing the test on an error answer).
    pub fn result(&mut self, method: &str, params: Value) -> Value {
        let (_, response) = self.call(method, params);
        response.get("result").cloned().unwrap_or_else(|| panic!("{method} failed: {response}"))
    }

    /// Closes the test's end of the host's stdout: the host's next write fails (EPIPE).
    pub fn close_stdout(&mut self) {
        self.stdout = None;
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The exit code once the host exits within `limit`; `None` while it still runs.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<Option<i32>> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the host process") {
                return Some(status.code());
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Everything the host has logged so far.
    pub fn log_text(&self) -> String {
        let mut files: Vec<_> = std::fs::read_dir(self._log_dir.path())
            .expect("list the log directory")
            .map(|entry| entry.expect("a log directory entry").path())
            .collect();
        files.sort();
        files.iter().map(|path| std::fs::read_to_string(path).unwrap_or_default()).collect()
    }
}

impl Drop for RawHost {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A line of /proc/PID/status in KiB (`VmRSS`, `VmHWM`).
pub fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// User plus system CPU time of a process so far, in clock ticks (/proc/PID/stat).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    let after_command = stat.rsplit_once(')').expect("stat has the command in parentheses").1;
    let fields: Vec<&str> = after_command.split_whitespace().collect();
    // After the command: state is field 3 of proc_pid_stat(5), utime 14 and stime 15.
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// One plain HTTP/1.0 request to `base_url`: the status code and the body.
pub fn http(base_url: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    use std::io::Read;
    let address = base_url.trim_end_matches('/').strip_prefix("http://").expect("a plain HTTP URL");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(60))).expect("set a read timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {address}\r\nx-emulator-token: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        super::emulator::CONTROL_TOKEN,
        body.len()
    )
    .expect("send the request head");
    stream.write_all(body).expect("send the body");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read the answer");
    let split = reply.windows(4).position(|window| window == b"\r\n\r\n").expect("an HTTP answer");
    let head = String::from_utf8_lossy(&reply[..split]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).expect("a status code");
    (status, reply[split + 4..].to_vec())
}

/// `PUT /_emulator/script` on the emulator at `base_url`.
pub fn put_script(base_url: &str, script: &Value) {
    let (status, body) = http(base_url, "PUT", "/_emulator/script", &serde_json::to_vec(script).expect("JSON"));
    assert_eq!(status, 200, "the script was refused: {}", String::from_utf8_lossy(&body));
}
