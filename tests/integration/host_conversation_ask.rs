//! `bedrock-host ask`: the binary run as a person runs it, against its
//! in-process emulator: the answer on stdout, the accounting on stderr, and
//! exit code 1 with a readable reason when the turn cannot be had.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::json;

fn ask(args: &[&str], stdin: Option<&str>, script: Option<serde_json::Value>) -> Output {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_bedrock-host"));
    command
        .arg("ask")
        .args(args)
        .arg("--log-file")
        .arg(dir.path().join("host.log"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_BEARER_TOKEN_BEDROCK")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(script) = script {
        let path = dir.path().join("script.json");
        std::fs::write(&path, script.to_string()).expect("write the script");
        command.arg("--emulator-script").arg(path);
    }
    let mut child = command.spawn().expect("spawn bedrock-host ask");
    let mut input = child.stdin.take().expect("piped stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write the prompt");
    }
    drop(input);
    child.wait_with_output().expect("bedrock-host ask ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn ask_streams_the_answer_to_stdout_and_accounts_on_stderr() {
    let output = ask(&["--emulator", "hello", "world"], None, None);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stdout, "You said: hello world\n");
    // "hello world" is 2 tokens, "You said: hello world" 5 (words and punctuation runs).
    assert!(stderr.contains("usage: 2 input + 5 output = 7 tokens"), "{stderr}");
    assert!(stderr.contains("stop reason: end_turn"), "{stderr}");
    assert!(stderr.contains("model: us.anthropic.claude-haiku-4-5-20251001-v1:0"), "the default is haiku: {stderr}");
    // Haiku 4.5: $1 per million input tokens, $5 per million output tokens.
    assert!(stderr.contains("cost: $0.000027"), "2 × $1/M + 5 × $5/M: {stderr}");
}

#[test]
fn ask_takes_model_system_and_max_tokens() {
    let output = ask(
        &["--emulator", "--model", "nova-pro", "--system", "Count.", "--max-tokens", "3", "one two three four"],
        None,
        None,
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stdout, "You said:\n", "three tokens of `You said: one two three four`");
    assert!(stderr.contains("stop reason: max_tokens"), "{stderr}");
    assert!(stderr.contains("model: us.amazon.nova-pro-v1:0"), "{stderr}");
    // 4 prompt tokens + 2 of the system prompt (`Count`, `.`).
    assert!(stderr.contains("usage: 6 input + 3 output = 9 tokens"), "{stderr}");
}

#[test]
fn ask_reads_the_prompt_from_stdin_for_a_dash() {
    let output = ask(&["--emulator", "-"], Some("a question\nover two lines\n"), None);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "You said: a question\nover two lines\n");
}

#[test]
fn ask_fails_with_exit_code_1_and_says_why() {
    let empty_model = ask(&["--emulator", "--model", "", "hi"], None, None);
    assert_eq!(empty_model.status.code(), Some(1));
    assert!(text(&empty_model.stdout).is_empty());
    let stderr = text(&empty_model.stderr);
    assert!(stderr.contains("--model") && stderr.contains("is empty"), "{stderr}");

    let script = json!({"rules": [{
        "when": {"operation": "ConverseStream"},
        "fail": {"error": "AccessDeniedException", "status": 403, "message": "You don't have access to the model."}
    }]});
    let denied = ask(&["--emulator", "hi"], None, Some(script));
    assert_eq!(denied.status.code(), Some(1));
    let stderr = text(&denied.stderr);
    assert!(stderr.contains("You don't have access to the model"), "{stderr}");
    assert!(stderr.contains("bedrock:InvokeModel"), "names the IAM action to allow: {stderr}");
    assert!(stderr.contains("403 AccessDeniedException"), "{stderr}");

    let script = json!({"rules": [{
        "when": {"operation": "ConverseStream"},
        "respond": {
            "content": [{"text": "one two three four five"}],
            "cutAfterEvents": 3,
            "streamException": {"type": "modelStreamErrorException", "message": "The model fell over."}
        }
    }]});
    let broken = ask(&["--emulator", "hi"], None, Some(script));
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(text(&broken.stdout), "one two \n", "what streamed before the exception, as a finished line");
    let stderr = text(&broken.stderr);
    assert!(stderr.contains("The model fell over") && stderr.contains("ModelStreamErrorException"), "{stderr}");

    let empty_stdin = ask(&["--emulator", "-"], Some("  \n"), None);
    assert_eq!(empty_stdin.status.code(), Some(1));
    assert!(text(&empty_stdin.stderr).contains("the prompt is empty"), "{}", text(&empty_stdin.stderr));
}

#[test]
fn ask_without_credentials_prints_the_hint() {
    let home = tempfile::tempdir().expect("a temp HOME");
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_bedrock-host"));
    for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("AWS_")) {
        command.env_remove(key);
    }
    let output = command
        .args(["ask", "hi", "--log-file"])
        .arg(dir.path().join("host.log"))
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .stdin(Stdio::null())
        .output()
        .expect("run bedrock-host ask");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("no usable AWS credentials"), "{stderr}");
    assert!(stderr.contains("hint:") && stderr.contains("AWS_PROFILE") && stderr.contains("--emulator"), "{stderr}");
}
