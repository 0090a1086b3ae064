//! Bad input over real stdio: each case gets its exact error (or none, when
//! JSON-RPC says to ignore it), and the session survives all of them; frames
//! over the size limit are skipped without the host's memory growing.

use std::io::Write;

use serde_json::{Value, json};

use crate::support::stdio::{Framing, Host, HostBuilder, peak_rss_kib};

/// What a case must produce: one error with this code and id, or nothing.
enum Expect {
    Error(i64, Value),
    Nothing,
}

use Expect::{Error, Nothing};

/// Cases that are message bodies, valid in either framing.
fn body_cases() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let case = |name, body: &str, expect| (name, body.as_bytes().to_vec(), expect);
    vec![
        case("invalid JSON", r#"{"jsonrpc":"2.0","id":1,"method":"#, Error(-32700, Value::Null)),
        case("not JSON at all", "hello", Error(-32700, Value::Null)),
        case("trailing garbage", r#"{"jsonrpc":"2.0","id":1,"method":"x"} x"#, Error(-32700, Value::Null)),
        ("invalid UTF-8", b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}".to_vec(), Error(-32700, Value::Null)),
        case("batch", r#"[{"jsonrpc":"2.0","id":1,"method":"test/sleep"}]"#, Error(-32600, Value::Null)),
        case("empty batch", "[]", Error(-32600, Value::Null)),
        case("number", "42", Error(-32600, Value::Null)),
        case("string", r#""hi""#, Error(-32600, Value::Null)),
        case("null", "null", Error(-32600, Value::Null)),
        case("missing jsonrpc", r#"{"id":5,"method":"test/sleep"}"#, Error(-32600, json!(5))),
        case("jsonrpc 1.0", r#"{"jsonrpc":"1.0","id":"s","method":"test/sleep"}"#, Error(-32600, json!("s"))),
        case("jsonrpc as a number", r#"{"jsonrpc":2.0,"id":6,"method":"test/sleep"}"#, Error(-32600, json!(6))),
        case(
            "null id on a request",
            r#"{"jsonrpc":"2.0","id":null,"method":"test/sleep"}"#,
            Error(-32600, Value::Null),
        ),
        case("object id", r#"{"jsonrpc":"2.0","id":{"a":1},"method":"test/sleep"}"#, Error(-32600, Value::Null)),
        case("array id", r#"{"jsonrpc":"2.0","id":[1],"method":"test/sleep"}"#, Error(-32600, Value::Null)),
        case("boolean id", r#"{"jsonrpc":"2.0","id":true,"method":"test/sleep"}"#, Error(-32600, Value::Null)),
        case("method not a string", r#"{"jsonrpc":"2.0","id":7,"method":1}"#, Error(-32600, json!(7))),
        case("no method, no result", r#"{"jsonrpc":"2.0","id":8}"#, Error(-32600, json!(8))),
        case(
            "params a string",
            r#"{"jsonrpc":"2.0","id":9,"method":"test/sleep","params":"x"}"#,
            Error(-32600, json!(9)),
        ),
        case(
            "notification with params a number",
            r#"{"jsonrpc":"2.0","method":"initialized","params":3}"#,
            Error(-32600, Value::Null),
        ),
        case("unknown method", r#"{"jsonrpc":"2.0","id":10,"method":"bedrock/nope"}"#, Error(-32601, json!(10))),
        case(
            "wrong param type",
            r#"{"jsonrpc":"2.0","id":11,"method":"test/sleep","params":{"ms":"x"}}"#,
            Error(-32602, json!(11)),
        ),
        case(
            "missing param",
            r#"{"jsonrpc":"2.0","id":"m","method":"test/sleep","params":{}}"#,
            Error(-32602, json!("m")),
        ),
        case(
            "positional params",
            r#"{"jsonrpc":"2.0","id":12,"method":"test/sleep","params":[5]}"#,
            Error(-32602, json!(12)),
        ),
        case(
            "unknown param",
            r#"{"jsonrpc":"2.0","id":13,"method":"test/sleep","params":{"ms":0,"x":1}}"#,
            Error(-32602, json!(13)),
        ),
        case(
            "second initialize",
            r#"{"jsonrpc":"2.0","id":14,"method":"initialize","params":{}}"#,
            Error(-32600, json!(14)),
        ),
        case(
            "fractional id, unknown method",
            r#"{"jsonrpc":"2.0","id":1.5,"method":"x/y"}"#,
            Error(-32601, json!(1.5)),
        ),
        case("response to an unknown id", r#"{"jsonrpc":"2.0","id":999,"result":1}"#, Nothing),
        case(
            "error response with null id",
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#,
            Nothing,
        ),
        case("response with result and error", r#"{"jsonrpc":"2.0","id":3,"result":1,"error":{}}"#, Nothing),
        case("unknown notification", r#"{"jsonrpc":"2.0","method":"client/whatever","params":{}}"#, Nothing),
        case("unknown $/ notification", r#"{"jsonrpc":"2.0","method":"$/setTrace","params":{"value":"off"}}"#, Nothing),
        case(
            "cancel of an unknown id",
            r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":12345}}"#,
            Nothing,
        ),
        case("cancel without an id", r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{}}"#, Nothing),
    ]
}

/// Cases of the Content-Length framing itself: complete byte sequences.
fn header_cases() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let body = r#"{"jsonrpc":"2.0","id":"never","method":"test/sleep","params":{"ms":0}}"#;
    let long_line = format!("X-Padding: {}\r\n\r\n", "a".repeat(9000));
    vec![
        ("Content-Length: abc", format!("Content-Length: abc\r\n\r\n{body}").into_bytes(), Error(-32700, Value::Null)),
        (
            "negative Content-Length",
            format!("Content-Length: -5\r\n\r\n{body}").into_bytes(),
            Error(-32700, Value::Null),
        ),
        (
            "missing Content-Length",
            format!("Content-Type: application/json\r\n\r\n{body}").into_bytes(),
            Error(-32700, Value::Null),
        ),
        (
            "duplicate Content-Length",
            format!("Content-Length: {0}\r\nContent-Length: {0}\r\n\r\n{body}", body.len()).into_bytes(),
            Error(-32700, Value::Null),
        ),
        ("header without a colon", format!("hello there\r\n\r\n{body}").into_bytes(), Error(-32700, Value::Null)),
        ("header line too long", long_line.into_bytes(), Error(-32700, Value::Null)),
        ("empty body", b"Content-Length: 0\r\n\r\n".to_vec(), Error(-32700, Value::Null)),
    ]
}

/// Sends every case, each followed by a valid probe request, and checks that
/// exactly the expected error (or nothing) comes before the probe's answer.
fn run_battery(framing: Framing, cases: Vec<(&'static str, Vec<u8>, Expect)>, encode: bool) -> usize {
    let mut host = Host::initialized(framing);
    let count = cases.len();
    for (index, (name, bytes, expect)) in cases.into_iter().enumerate() {
        let bytes = if encode { framing.encode(&bytes) } else { bytes };
        host.send_raw(&bytes);
        let probe = json!(format!("probe-{index}"));
        host.send(&json!({"jsonrpc": "2.0", "id": probe, "method": "test/sleep", "params": {"ms": 0}}));
        let probe_answer = json!({"jsonrpc": "2.0", "id": probe, "result": {"slept": 0}});
        if let Error(code, id) = expect {
            // Each request runs in its own task, so the error and the probe's
            // answer may come in either order; exactly these two must come.
            let (first, second) = (host.recv(), host.recv());
            assert!(first == probe_answer || second == probe_answer, "{framing:?} `{name}`: no probe answer");
            let answer = if first == probe_answer { second } else { first };
            assert_eq!(
                (&answer["error"]["code"], &answer["id"]),
                (&json!(code), &id),
                "{framing:?} `{name}`: {answer}"
            );
            let message = answer["error"]["message"].as_str().unwrap_or_default();
            assert!(message.len() > 15, "{framing:?} `{name}`: the message says what is wrong: {answer}");
        } else {
            let answer = host.recv();
            assert_eq!(answer, probe_answer, "{framing:?} `{name}`: expected only the probe's answer");
        }
    }
    // The session survived: a valid request still works and the exit is clean.
    assert_eq!(host.call("shutdown", Value::Null)["result"], Value::Null);
    host.notify("exit", Value::Null);
    assert_eq!(host.wait_exit().0, Some(0));
    assert_eq!(host.finish(), Vec::<Value>::new());
    count
}

#[test]
fn battery_of_bad_bodies_in_both_framings() {
    for framing in Framing::BOTH {
        assert!(run_battery(framing, body_cases(), true) >= 30);
    }
}

#[test]
fn battery_of_bad_headers() {
    run_battery(Framing::ContentLength, header_cases(), false);
}

#[test]
fn invalid_params_name_the_field() {
    let mut host = Host::initialized(Framing::Ndjson);
    let answer = host.call("test/askClient", json!({"method": 5}));
    assert_eq!(
        answer["error"]["data"],
        json!({"errors": [{"path": "method", "message": "invalid type: integer `5`, expected a string"}]})
    );
    let answer = host.call("test/sleep", json!({}));
    assert_eq!(answer["error"]["data"], json!({"errors": [{"path": "ms", "message": "missing field `ms`"}]}));
    host.finish();
}

/// Streams `total` bytes of filler to the host in 1 MiB writes.
fn stream_filler(host: &mut Host, total: usize, filler: u8) {
    let chunk = vec![filler; 1 << 20];
    let mut left = total;
    while left > 0 {
        let take = left.min(chunk.len());
        host.send_raw(&chunk[..take]);
        left -= take;
    }
}

#[test]
fn oversize_frames_are_skipped_without_buffering() {
    const LIMIT: usize = 1 << 20;
    const FRAME: usize = 200_000_000;
    for framing in Framing::BOTH {
        let mut host = HostBuilder::new(framing).test_methods().arg("--max-frame-bytes").arg(LIMIT.to_string()).spawn();
        assert!(host.call("initialize", json!({}))["result"].is_object());
        let under_limit = "a".repeat(LIMIT - 100);
        let near_limit = host.call("test/sleep", json!({"ms": 0, "padding": under_limit}));
        assert_eq!(near_limit["error"]["data"]["errors"][0]["path"], "padding", "a frame under the limit is read");
        let before = peak_rss_kib(host.pid());
        let total = match framing {
            Framing::ContentLength => {
                host.send_raw(format!("Content-Length: {FRAME}\r\n\r\n").as_bytes());
                stream_filler(&mut host, FRAME, b'a');
                FRAME
            }
            Framing::Ndjson => {
                host.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":\"");
                stream_filler(&mut host, FRAME, b'a');
                host.send_raw(b"\"}\n");
                FRAME
            }
        };
        let refused = host.recv();
        let after = peak_rss_kib(host.pid());
        eprintln!("{framing:?}: {total} byte frame skipped; peak RSS {before} KiB before, {after} KiB after");
        assert_eq!(refused["id"], Value::Null, "{refused}");
        assert_eq!(refused["error"]["code"], -32600, "{refused}");
        let message = refused["error"]["message"].as_str().expect("a message");
        assert!(message.contains("exceeds the limit of 1048576 bytes"), "{message}");
        // Far below the frame's size: the frame was never held in memory.
        assert!(after < 64 * 1024, "peak RSS {after} KiB after a {total} byte frame");
        assert_eq!(host.call("test/sleep", json!({"ms": 0}))["result"], json!({"slept": 0}));
        host.finish();
    }
}

#[test]
fn stdout_holds_only_frames_even_with_logging_to_stderr() {
    let mut host = HostBuilder::new(Framing::ContentLength).test_methods().arg("--log-stderr").spawn();
    host.call("initialize", json!({}));
    host.send_raw(b"Content-Length: 5\r\n\r\nhello");
    assert_eq!(host.recv()["error"]["code"], -32700);
    let _ = std::io::stderr().flush();
    host.finish();
}
