//! Lifecycle over real stdio, in both framings: -32002 before `initialize`,
//! the initialize result, `shutdown`/`exit` and their exit codes, end of input.

use serde_json::{Value, json};

use crate::support::stdio::{Framing, Host, HostBuilder};

fn error_code(response: &Value) -> i64 {
    response["error"]["code"].as_i64().unwrap_or_else(|| panic!("expected an error response, got {response}"))
}

#[test]
fn full_lifecycle_in_both_framings() {
    for framing in Framing::BOTH {
        let mut host = Host::spawn(framing);
        let early = host.call("test/sleep", json!({"ms": 0}));
        assert_eq!(error_code(&early), -32002, "{framing:?}: {early}");

        let init = host.call("initialize", json!({"clientInfo": {"name": "stdio-test", "version": "1"}}));
        let result = &init["result"];
        assert_eq!(result["protocolVersion"], "1", "{init}");
        assert_eq!(result["serverInfo"]["name"], "bedrock-host");
        assert_eq!(result["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
        let mut expected = protocol_requests();
        expected.extend(["test/askClient".to_string(), "test/sleep".to_string()]);
        assert_eq!(
            sorted(&result["capabilities"]["methods"]),
            sorted(&json!(expected)),
            "every protocol method is served"
        );
        assert_eq!(
            result["capabilities"]["features"],
            json!([
                "streaming",
                "tools",
                "guardrails",
                "retryNotifications",
                "responseCache",
                "asyncWatch",
                "aliases",
                "promptCaching",
                "contextCompaction",
                "mcpTools",
                "lspFeatures"
            ]),
            "{init}"
        );
        assert_eq!(result["backend"]["kind"], "bedrock");
        host.notify("initialized", json!({}));

        let again = host.call("initialize", json!({}));
        assert_eq!(error_code(&again), -32600, "{again}");
        assert_eq!(host.call("test/sleep", json!({"ms": 1}))["result"], json!({"slept": 1}));

        let shutdown = host.call("shutdown", Value::Null);
        assert_eq!(shutdown, json!({"jsonrpc": "2.0", "id": shutdown["id"], "result": null}));
        let late = host.call("test/sleep", json!({"ms": 0}));
        assert_eq!(error_code(&late), -32600, "{late}");
        host.notify("exit", Value::Null);
        let (code, _) = host.wait_exit();
        assert_eq!(code, Some(0), "{framing:?}: exit after shutdown");
        assert_eq!(host.finish(), Vec::<Value>::new());
    }
}

#[test]
fn exit_without_shutdown_is_code_1() {
    for framing in Framing::BOTH {
        let mut host = Host::initialized(framing);
        host.notify("exit", Value::Null);
        assert_eq!(host.wait_exit().0, Some(1), "{framing:?}");
        host.finish();
    }
}

#[test]
fn exit_before_initialize_is_code_1() {
    let mut host = Host::spawn(Framing::ContentLength);
    host.notify("exit", Value::Null);
    assert_eq!(host.wait_exit().0, Some(1));
    host.finish();
}

#[test]
fn initialize_options_and_emulator_flag_shape_the_backend() {
    let mut host = HostBuilder::new(Framing::Ndjson).arg("--emulator").arg("--region").arg("eu-west-1").spawn();
    let init = host.call(
        "initialize",
        json!({"initializationOptions": {"endpointUrl": "http://127.0.0.1:9"}, "capabilities": {"tools": false}}),
    );
    // `--emulator` wins over an endpoint URL: calls go to the in-process emulator.
    let backend = &init["result"]["backend"];
    assert_eq!((&backend["kind"], &backend["region"]), (&json!("emulator"), &json!("eu-west-1")), "{backend}");
    let endpoint = backend["endpointUrl"].as_str().unwrap();
    assert!(endpoint.starts_with("http://127.0.0.1:") && endpoint != "http://127.0.0.1:9", "{endpoint}");
    // Without BEDROCK_HOST_TEST_METHODS the test methods are neither listed nor served.
    assert_eq!(sorted(&init["result"]["capabilities"]["methods"]), sorted(&json!(protocol_requests())));
    assert_eq!(error_code(&host.call("test/sleep", json!({"ms": 0}))), -32601);

    let bad = host.call("initialize", json!({"initializationOptions": {"regoin": "x"}}));
    assert_eq!(error_code(&bad), -32600, "a second initialize is refused whatever its params: {bad}");
    host.finish();
}

#[test]
fn invalid_initialize_params_leave_the_host_uninitialized() {
    let mut host = Host::spawn(Framing::Ndjson);
    let bad = host.call("initialize", json!({"initializationOptions": {"maxAttempts": "three"}}));
    assert_eq!(error_code(&bad), -32602, "{bad}");
    assert_eq!(bad["error"]["data"]["errors"][0]["path"], "initializationOptions.maxAttempts");
    assert_eq!(error_code(&host.call("test/sleep", json!({"ms": 0}))), -32002);
    assert!(host.call("initialize", json!({}))["result"].is_object());
    host.finish();
}

#[test]
fn end_of_input_cancels_work_and_exits_promptly() {
    for (shutdown_first, expected_code) in [(false, 1), (true, 0)] {
        let mut host = Host::initialized(Framing::ContentLength);
        let slow = host.request("test/sleep", json!({"ms": 60_000}));
        if shutdown_first {
            assert_eq!(host.call("shutdown", Value::Null)["result"], Value::Null);
        }
        host.close_stdin();
        let (code, took) = host.wait_exit();
        eprintln!("exit after end of input (shutdown received: {shutdown_first}) took {took:?}");
        assert_eq!(code, Some(expected_code));
        // Hang guard only: the requirement is one second; a busy machine gets slack.
        assert!(took.as_secs() < 5, "exit took {took:?}");
        let rest = host.finish();
        let cancelled: Vec<_> = rest.iter().filter(|m| m["id"] == slow).collect();
        assert_eq!(cancelled.len(), 1, "the in-flight request is answered once: {rest:?}");
        assert_eq!(cancelled[0]["error"]["code"], -32800);
    }
}

#[test]
fn end_of_input_before_any_byte_exits_1() {
    let mut host = Host::spawn(Framing::Ndjson);
    host.close_stdin();
    assert_eq!(host.wait_exit().0, Some(1));
    assert_eq!(host.finish(), Vec::<Value>::new());
}

/// Every client→host request of docs/protocol.md, from the protocol table.
fn protocol_requests() -> Vec<String> {
    use bedrock_host::protocol::{Direction, MessageKind, PROTOCOL_METHODS};
    PROTOCOL_METHODS
        .iter()
        .filter(|m| m.direction == Direction::ClientToHost && m.kind == MessageKind::Request)
        .map(|m| m.name.to_string())
        .collect()
}

fn sorted(value: &Value) -> Vec<String> {
    let mut names: Vec<String> =
        value.as_array().expect("an array of names").iter().map(|v| v.as_str().unwrap().to_string()).collect();
    names.sort();
    names
}
