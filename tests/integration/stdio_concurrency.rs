//! Dispatch over real stdio: many slow requests never block a fast one,
//! `$/cancelRequest`, and requests from the host answered out of order.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::stdio::{Framing, Host};

#[test]
fn fifty_slow_requests_do_not_block_a_fast_one() {
    for framing in Framing::BOTH {
        let mut host = Host::initialized(framing);
        let slow: Vec<Value> = (0..50).map(|_| host.request("test/sleep", json!({"ms": 3000}))).collect();
        let fast = host.request("test/sleep", json!({"ms": 0}));
        // Ordering, not timing: the fast answer comes before any slow one.
        let first = host.recv();
        assert_eq!(first, json!({"jsonrpc": "2.0", "id": fast, "result": {"slept": 0}}), "{framing:?}");
        let mut answers = BTreeMap::new();
        for _ in 0..50 {
            let message = host.recv();
            assert_eq!(message["result"], json!({"slept": 3000}), "{message}");
            *answers.entry(message["id"].as_i64().expect("numeric id")).or_insert(0) += 1;
        }
        let expected: BTreeMap<i64, i32> = slow.iter().map(|id| (id.as_i64().expect("numeric id"), 1)).collect();
        assert_eq!(answers, expected, "each slow request is answered exactly once");
        assert_eq!(host.finish(), Vec::<Value>::new());
    }
}

#[test]
fn cancel_answers_at_once_and_suppresses_the_late_answer() {
    let mut host = Host::initialized(Framing::ContentLength);
    let long = host.request("test/sleep", json!({"ms": 60_000}));
    let short = host.request("test/sleep", json!({"ms": 5000}));
    host.notify("$/cancelRequest", json!({"id": long}));
    host.notify("$/cancelRequest", json!({"id": short}));
    assert_eq!(
        host.recv(),
        json!({"jsonrpc": "2.0", "id": long, "error": {"code": -32800, "message": "request cancelled"}})
    );
    assert_eq!(host.recv()["error"]["code"], -32800);
    // Cancelling again, or a finished request, changes nothing.
    host.notify("$/cancelRequest", json!({"id": long}));
    let id = host.request("test/sleep", json!({"ms": 500}));
    assert_eq!(host.response(&id)["result"], json!({"slept": 500}), "the session goes on");
    host.call("shutdown", Value::Null);
    host.notify("exit", Value::Null);
    assert_eq!(host.wait_exit().0, Some(0));
    let rest = host.finish();
    assert!(rest.iter().all(|m| m["id"] != long && m["id"] != short), "a cancelled request answered twice: {rest:?}");
}

#[test]
fn duplicate_id_in_flight_is_refused() {
    let mut host = Host::initialized(Framing::Ndjson);
    host.send(&json!({"jsonrpc": "2.0", "id": "dup", "method": "test/sleep", "params": {"ms": 2000}}));
    host.send(&json!({"jsonrpc": "2.0", "id": "dup", "method": "test/sleep", "params": {"ms": 0}}));
    let refused = host.recv();
    assert_eq!(refused["id"], "dup");
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    assert_eq!(host.recv(), json!({"jsonrpc": "2.0", "id": "dup", "result": {"slept": 2000}}));
    host.finish();
}

#[test]
fn host_requests_answered_out_of_order() {
    for framing in Framing::BOTH {
        let mut host = Host::initialized(framing);
        let first = host.request("test/askClient", json!({"method": "client/echo", "params": {"n": 1}}));
        let second = host.request("test/askClient", json!({"method": "client/echo", "params": {"n": 2}}));
        let mut asked = [host.host_request(), host.host_request()];
        asked.sort_by_key(|request| request["params"]["n"].as_i64());
        assert_eq!(asked[0]["method"], "client/echo");
        assert_eq!(asked[1]["params"], json!({"n": 2}));
        assert_ne!(asked[0]["id"], asked[1]["id"]);

        host.reply(&asked[1]["id"], json!({"answer": 2}));
        host.send(
            &json!({"jsonrpc": "2.0", "id": asked[0]["id"], "error": {"code": -1, "message": "no", "data": [1]}}),
        );
        assert_eq!(host.response(&second)["result"], json!({"result": {"answer": 2}}), "{framing:?}");
        assert_eq!(host.response(&first)["result"], json!({"error": {"code": -1, "message": "no", "data": [1]}}));
        assert_eq!(host.finish(), Vec::<Value>::new());
    }
}

#[test]
fn unanswered_host_request_times_out_and_is_cancelled_toward_the_client() {
    let mut host = Host::initialized(Framing::Ndjson);
    let ask = host.request("test/askClient", json!({"method": "client/slow", "timeoutMs": 200}));
    let asked = host.host_request();
    assert_eq!(host.response(&ask)["result"], json!({"timedOut": true}));
    let cancel = host.recv();
    assert_eq!(cancel, json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": asked["id"]}}));
    // A late answer matches nothing and is ignored; the session goes on.
    host.reply(&asked["id"], json!("late"));
    assert_eq!(host.call("test/sleep", json!({"ms": 0}))["result"], json!({"slept": 0}));
    host.finish();
}

#[test]
fn cancelling_a_request_cancels_its_request_to_the_client() {
    let mut host = Host::initialized(Framing::ContentLength);
    let ask = host.request("test/askClient", json!({"method": "client/slow", "timeoutMs": 60_000}));
    let asked = host.host_request();
    host.notify("$/cancelRequest", json!({"id": ask}));
    let mut seen = [host.recv(), host.recv()];
    seen.sort_by_key(|m| m.get("method").is_some());
    assert_eq!(seen[0]["id"], ask);
    assert_eq!(seen[0]["error"]["code"], -32800);
    assert_eq!(seen[0]["error"]["data"], json!({"partial": {"asked": "client/slow"}}), "what the handler recorded");
    assert_eq!(seen[1], json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": asked["id"]}}));
    host.finish();
}
