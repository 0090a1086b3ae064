//! HostOptions and required strings, through the real binary: every option of
//! `initializationOptions` is range-checked as its flag is (-32602 naming the
//! option and its range, never a panic, an abort or a call that spins), the
//! flags and variables refuse the same values at start, strings Bedrock needs
//! are refused when empty, regions are checked wherever they come from, and a
//! stream that never sends its first event ends at the stream idle timeout.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::conversation::Emulated;
use crate::support::stdio::{Framing, Host, HostBuilder, result};

/// A host on the emulator, not yet initialized.
fn emulated_host() -> Host {
    HostBuilder::new(Framing::Ndjson).emulator(None).spawn()
}

/// The paths of a -32602 answer's `data.errors`, and its message.
fn invalid(response: &Value) -> (Vec<String>, String) {
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let paths = response["error"]["data"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no data.errors: {response}"))
        .iter()
        .map(|error| error["path"].as_str().expect("a path").to_string())
        .collect();
    (paths, response["error"]["message"].as_str().expect("a message").to_string())
}

/// `initialize` with these options answers -32602 at `initializationOptions.{path}` with a message
/// holding `says`; the host lives on and a good `initialize` then succeeds.
fn assert_refused(options: Value, path: &str, says: &str) {
    let mut host = emulated_host();
    let response = host.call("initialize", json!({"initializationOptions": options}));
    let (paths, message) = invalid(&response);
    assert_eq!(paths, [format!("initializationOptions.{path}")], "{options}: {response}");
    assert!(message.contains(says), "{options}: `{says}` not in {message}");
    let retry = host.call("initialize", json!({}));
    assert!(retry.get("result").is_some(), "{options}: the host did not survive: {retry}");
    host.finish();
}

#[test]
fn out_of_range_initialization_options_are_invalid_params_with_their_range() {
    let cases = [
        (
            json!({"responseCache": {"maxEntries": 4_611_686_018_427_387_904_u64}}),
            "responseCache.maxEntries",
            "from 0 to 100000",
        ),
        (json!({"responseCache": {"maxEntries": u64::MAX}}), "responseCache.maxEntries", "from 0 to 100000"),
        (json!({"responseCache": {"maxEntries": 1_000_000_000}}), "responseCache.maxEntries", "from 0 to 100000"),
        (json!({"maxAttempts": 4_294_967_295_u32}), "maxAttempts", "from 1 to 20"),
        (json!({"maxAttempts": 0}), "maxAttempts", "from 1 to 20"),
        (json!({"toolCallTimeoutMs": u64::MAX}), "toolCallTimeoutMs", "from 1 to 86400000"),
        (json!({"toolCallTimeoutMs": 0}), "toolCallTimeoutMs", "from 1 to 86400000"),
        (json!({"requestTimeoutMs": u64::MAX}), "requestTimeoutMs", "from 1 to 3600000"),
        (json!({"requestTimeoutMs": 0}), "requestTimeoutMs", "from 1 to 3600000"),
        (json!({"streamIdleTimeoutMs": 0}), "streamIdleTimeoutMs", "from 1 to 3600000"),
        (json!({"maxToolIterations": 4_294_967_295_u32}), "maxToolIterations", "from 0 to 1000"),
        (json!({"maxConversations": 0}), "maxConversations", "from 1 to 1000000"),
        (json!({"maxConversations": u64::MAX}), "maxConversations", "from 1 to 1000000"),
        (json!({"maxMessagesPerConversation": 0}), "maxMessagesPerConversation", "from 1 to 1000000"),
    ];
    for (options, path, says) in cases {
        assert_refused(options, path, says);
    }
}

#[test]
fn every_bad_option_is_named_at_once() {
    let mut host = emulated_host();
    let response = host.call(
        "initialize",
        json!({"initializationOptions": {"maxAttempts": 99, "region": "mars", "storageDir": "", "toolCallTimeoutMs": 0}}),
    );
    let (mut paths, _) = invalid(&response);
    paths.sort();
    assert_eq!(
        paths,
        [
            "initializationOptions.maxAttempts",
            "initializationOptions.region",
            "initializationOptions.storageDir",
            "initializationOptions.toolCallTimeoutMs"
        ]
    );
    host.finish();
}

#[test]
fn options_at_the_edges_of_their_ranges_are_accepted() {
    let mut host = emulated_host();
    let options = json!({
        "maxAttempts": 20, "requestTimeoutMs": 3_600_000, "streamIdleTimeoutMs": 1, "toolCallTimeoutMs": 86_400_000,
        "maxToolIterations": 1000, "maxConversations": 1_000_000, "maxMessagesPerConversation": 1,
        "responseCache": {"maxEntries": 100_000}
    });
    let response = host.call("initialize", json!({"initializationOptions": options}));
    assert!(response.get("result").is_some(), "{response}");
    host.finish();
}

/// Runs the binary with `args` and `envs` and no input; its exit code and stderr.
fn run(args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bedrock-host"));
    command.args(args).arg("--log-stderr").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    for (key, value) in envs {
        command.env(key, value);
    }
    let child = command.spawn().expect("spawn bedrock-host");
    let output = child.wait_with_output().expect("wait for bedrock-host");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Flags, environment variables, and what the refusal says.
type StartCase = (&'static [&'static str], &'static [(&'static str, &'static str)], &'static str);

#[test]
fn flags_and_variables_refuse_what_initialization_options_refuse() {
    let cases: [StartCase; 12] = [
        (&["--response-cache-entries", "4611686018427387904"], &[], "from 0 to 100000"),
        (&["--response-cache-entries", "1000000000"], &[], "from 0 to 100000"),
        (&[], &[("BEDROCK_HOST_RESPONSE_CACHE_ENTRIES", "18446744073709551615")], "from 0 to 100000"),
        (&["--max-attempts", "4294967295"], &[], "from 1 to 20"),
        (&["--tool-call-timeout-ms", "0"], &[], "from 1 to 86400000"),
        (&["--max-tool-iterations", "4294967295"], &[], "from 0 to 1000"),
        (&[], &[("BEDROCK_HOST_MAX_CONVERSATIONS", "0")], "from 1 to 1000000"),
        (&["--stream-idle-timeout-ms", "0"], &[], "from 1 to 3600000"),
        (&["--region", "us-east-1/x"], &[], "is not an AWS region name"),
        (&[], &[("BEDROCK_HOST_REGION", "us-east-1\n")], "is not an AWS region name"),
        (&["--storage-dir", ""], &[], "is empty"),
        (&["--default-model-id", " "], &[], "is empty"),
    ];
    for (args, envs, says) in cases {
        let (code, stderr) = run(args, envs);
        assert_eq!(code, Some(2), "{args:?} {envs:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?} {envs:?}: `{says}` not in {stderr}");
    }
}

#[test]
fn regions_of_every_partition_are_accepted_as_options_and_flags() {
    for region in ["us-east-1", "us-gov-west-1", "cn-north-1", "eu-isoe-west-1", "ap-southeast-7"] {
        let mut host = emulated_host();
        let response = host.call("initialize", json!({"initializationOptions": {"region": region}}));
        assert_eq!(result(&response)["backend"]["region"], region, "{response}");
        host.finish();
        let mut host = HostBuilder::new(Framing::Ndjson).arg("--region").arg(region).emulator(None).spawn();
        let response = host.call("initialize", json!({}));
        assert_eq!(result(&response)["backend"]["region"], region, "{response}");
        host.finish();
    }
}

#[test]
fn empty_or_malformed_strings_in_initialization_options_are_invalid_params() {
    let cases = [
        (json!({"storageDir": ""}), "storageDir", "is empty"),
        (json!({"region": "us-east-1\n"}), "region", "is not an AWS region name"),
        (json!({"region": "us-east-1/x"}), "region", "is not an AWS region name"),
        (json!({"region": ""}), "region", "is not an AWS region name"),
        (json!({"defaultModelId": ""}), "defaultModelId", "is empty"),
        (json!({"endpointUrl": ""}), "endpointUrl", "is not an http:// or https:// URL"),
        (json!({"endpointUrl": "localhost:8080"}), "endpointUrl", "is not an http:// or https:// URL"),
        (json!({"profile": ""}), "profile", "is empty"),
        (json!({"logLevel": "loud=["}), "logLevel", "is not a level or tracing filter"),
        (
            json!({"guardrailConfig": {"guardrailIdentifier": "", "guardrailVersion": "1"}}),
            "guardrailConfig.guardrailIdentifier",
            "is empty",
        ),
    ];
    for (options, path, says) in cases {
        assert_refused(options, path, says);
    }
}

#[test]
fn an_empty_storage_dir_writes_nothing_into_the_working_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let mut host = HostBuilder::new(Framing::Ndjson).emulator(None).current_dir(cwd.path()).spawn();
    let response = host.call("initialize", json!({"initializationOptions": {"storageDir": ""}}));
    assert_eq!(invalid(&response).0, ["initializationOptions.storageDir"]);
    host.finish();
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert!(left.is_empty(), "the working directory holds {left:?}");
}

#[test]
fn empty_ids_bedrock_needs_are_invalid_params_not_network_errors() {
    let mut host = emulated_host();
    result(&host.call("initialize", json!({})));
    let text = json!([{"text": {"text": "hello"}}]);
    let messages = json!([{"role": "user", "content": [{"text": "hi"}]}]);
    let cases = [
        (
            "bedrock/applyGuardrail",
            json!({"guardrailIdentifier": "", "guardrailVersion": "1", "source": "INPUT", "content": text}),
            "guardrailIdentifier",
        ),
        (
            "bedrock/applyGuardrail",
            json!({"guardrailIdentifier": "gr-test", "guardrailVersion": " ", "source": "INPUT", "content": text}),
            "guardrailVersion",
        ),
        ("bedrock/getAsyncInvoke", json!({"invocationArn": ""}), "invocationArn"),
        (
            "bedrock/invokeModel",
            json!({"modelId": "haiku", "guardrailIdentifier": "", "guardrailVersion": "1", "body": {}}),
            "guardrailIdentifier",
        ),
        (
            "bedrock/converse",
            json!({"modelId": "haiku", "messages": messages, "guardrailConfig": {"guardrailIdentifier": "", "guardrailVersion": "1"}}),
            "guardrailConfig.guardrailIdentifier",
        ),
        ("bedrock/converse", json!({"modelId": "", "messages": messages}), "modelId"),
        ("bedrock/countTokens", json!({"modelId": "", "input": {"converse": {"messages": messages}}}), "modelId"),
    ];
    for (method, params, path) in cases {
        let response = host.call(method, params.clone());
        let (paths, message) = invalid(&response);
        assert_eq!(paths, [path], "{method} {params}: {response}");
        assert!(message.contains("is empty"), "{method}: {message}");
    }
    host.finish();
}

#[test]
fn a_region_from_aws_region_that_is_not_a_region_is_not_used_and_calls_say_why() {
    let home = tempfile::tempdir().unwrap();
    let mut host = HostBuilder::new(Framing::Ndjson)
        .without_aws_setup(home.path())
        .env("AWS_REGION", "us-east-1/../../x")
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .spawn();
    let init = host.call("initialize", json!({}));
    assert_eq!(result(&init)["backend"]["region"], "", "{init}");
    let response =
        host.call("bedrock/countTokens", json!({"modelId": "haiku", "input": {"converse": {"messages": []}}}));
    assert_eq!(response["error"]["code"], -32004, "{response}");
    let message = response["error"]["message"].as_str().unwrap();
    assert!(message.contains("AWS_REGION") && message.contains("is not an AWS region name"), "{message}");
    host.finish();
}

#[test]
fn a_stream_whose_first_event_never_comes_ends_at_the_stream_idle_timeout() {
    let stalled = json!({
        "when": {"operation": "ConverseStream"},
        "times": 1,
        "respond": {"content": [{"text": "never"}], "firstTokenDelayMs": 600_000}
    });
    let mut emulated = Emulated::start(Some(json!({"rules": [stalled]})), json!({"streamIdleTimeoutMs": 500}));
    let conversation = emulated.create(json!({}));
    let started = Instant::now();
    let (_, response) =
        emulated.exchange("conversation/send", json!({"conversationId": conversation, "content": "hello?"}));
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert_eq!(response["error"]["code"], -32005, "{response}");
    let message = response["error"]["message"].as_str().unwrap();
    assert!(message.contains("sent nothing for 500 ms (streamIdleTimeoutMs)"), "{message}");
    // The conversation is free again: the next turn runs (the stalling rule answered once).
    let (_, next) = emulated.exchange("conversation/send", json!({"conversationId": conversation, "content": "again"}));
    assert_eq!(result(&next)["stopReason"], "end_turn", "{next}");
    let history = emulated.host.call("conversation/get", json!({"conversationId": conversation}));
    assert_eq!(result(&history)["messages"].as_array().unwrap().len(), 2, "only the completed turn is kept");
}

#[test]
fn stream_idle_timeout_ms_wins_and_request_timeout_ms_still_bounds_streams_without_it() {
    // Documented choice: streamIdleTimeoutMs, else requestTimeoutMs, else 120000 (`sdk::DEFAULT_STREAM_IDLE`).
    let stalled = json!({
        "when": {"operation": "ConverseStream"},
        "respond": {"content": [{"text": "never"}], "firstTokenDelayMs": 600_000}
    });
    let request =
        json!({"modelId": "haiku", "stream": true, "messages": [{"role": "user", "content": [{"text": "hi"}]}]});
    for (options, says) in [
        (json!({"requestTimeoutMs": 400}), "sent nothing for 400 ms (requestTimeoutMs)"),
        (
            json!({"requestTimeoutMs": 60_000, "streamIdleTimeoutMs": 300}),
            "sent nothing for 300 ms (streamIdleTimeoutMs)",
        ),
    ] {
        let mut emulated = Emulated::start(Some(json!({"rules": [stalled.clone()]})), options.clone());
        let response = emulated.host.call("bedrock/converse", request.clone());
        assert_eq!(response["error"]["code"], -32005, "{options}: {response}");
        let message = response["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{options}: {message}");
    }
}

#[test]
fn too_many_attempts_from_aws_max_attempts_are_held_to_the_range_of_max_attempts() {
    let mut host = HostBuilder::new(Framing::Ndjson).env("AWS_MAX_ATTEMPTS", "4294967295").emulator(None).spawn();
    assert!(host.call("initialize", json!({})).get("result").is_some());
    let log = host.log_text();
    assert!(log.contains("AWS_MAX_ATTEMPTS (or the profile) asks for too many attempts"), "{log}");
    assert!(log.contains("attempts=4294967295") && log.contains("most_attempts=20"), "{log}");
    host.finish();
}
