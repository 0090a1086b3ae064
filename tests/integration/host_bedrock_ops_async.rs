//! `bedrock/startAsyncInvoke`, `getAsyncInvoke`, `listAsyncInvokes` and the
//! `watch: true` poller, driven through the real binary over stdio against
//! its in-process emulator (`--emulator`).

use std::time::Instant;

use serde_json::{Value, json};

use crate::support::stdio::{Framing, HANG_GUARD, Host, HostBuilder, result};

const NOVA_REEL: &str = "amazon.nova-reel-v1:0";

/// A host on the emulator with `script`, initialized.
fn host_with(script: Value) -> Host {
    let mut host = HostBuilder::new(Framing::Ndjson).emulator(Some(&script)).spawn();
    let init = host.call("initialize", json!({}));
    assert!(init.get("result").is_some(), "{init}");
    host
}

fn start_params(prompt: &str, watch: bool) -> Value {
    json!({"modelId": NOVA_REEL, "modelInput": {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": prompt}},
           "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://videos/out"}}, "watch": watch})
}

/// `async/status` notifications for `arn` until one says the job ended (Completed or Failed).
fn statuses_until_done(host: &mut Host, arn: &str) -> Vec<Value> {
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        assert!(started.elapsed() < HANG_GUARD, "the job did not end within {HANG_GUARD:?}; saw {seen:?}");
        let message = host.recv();
        assert_eq!(message["method"], "async/status", "{message}");
        assert_eq!(message["params"]["invocationArn"], arn);
        let status = message["params"]["status"].as_str().expect("a status").to_string();
        seen.push(message["params"].clone());
        if status == "Completed" || status == "Failed" {
            return seen;
        }
    }
}

#[test]
fn start_get_and_list_with_paging() {
    // Jobs long enough to stay InProgress while this test reads them.
    let mut host = host_with(json!({"asyncJobDurationMs": 60_000}));
    let first = host.call(
        "bedrock/startAsyncInvoke",
        json!({"modelId": NOVA_REEL, "modelInput": {"text": "a cat"}, "clientRequestToken": "token-1",
               "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://videos/out"}},
               "tags": [{"key": "project", "value": "demo"}]}),
    );
    let first_arn = result(&first)["invocationArn"].as_str().expect("an invocationArn").to_string();
    assert!(first_arn.starts_with("arn:aws:bedrock:us-east-1:"), "{first_arn}");
    let second = host.call("bedrock/startAsyncInvoke", start_params("a dog", false));
    let second_arn = result(&second)["invocationArn"].as_str().unwrap().to_string();
    assert_ne!(first_arn, second_arn);

    let got = host.call("bedrock/getAsyncInvoke", json!({"invocationArn": first_arn}));
    let job = result(&got);
    assert_eq!(job["invocationArn"], first_arn);
    assert_eq!(job["status"], "InProgress");
    assert_eq!(job["clientRequestToken"], "token-1");
    assert_eq!(job["modelArn"], format!("arn:aws:bedrock:us-east-1::foundation-model/{NOVA_REEL}"));
    assert_eq!(job["outputDataConfig"], json!({"s3OutputDataConfig": {"s3Uri": "s3://videos/out"}}));

    // Newest first (Bedrock's default order), one per page.
    let page1 = host.call("bedrock/listAsyncInvokes", json!({"maxResults": 1}));
    let summaries = result(&page1)["asyncInvokeSummaries"].as_array().expect("summaries").clone();
    assert_eq!(summaries.len(), 1, "{page1}");
    let token = result(&page1)["nextToken"].as_str().expect("a nextToken while more remain").to_string();
    let page2 = host.call("bedrock/listAsyncInvokes", json!({"maxResults": 1, "nextToken": token}));
    let more = result(&page2)["asyncInvokeSummaries"].as_array().expect("summaries").clone();
    assert_eq!(more.len(), 1, "{page2}");
    assert!(result(&page2).get("nextToken").is_none(), "the last page has no nextToken: {page2}");
    let mut listed = vec![summaries[0]["invocationArn"].clone(), more[0]["invocationArn"].clone()];
    listed.sort_by_key(|arn| arn.to_string());
    let mut started = vec![json!(first_arn), json!(second_arn)];
    started.sort_by_key(|arn| arn.to_string());
    assert_eq!(listed, started);

    let ascending =
        host.call("bedrock/listAsyncInvokes", json!({"sortOrder": "Ascending", "statusEquals": "InProgress"}));
    let all: Vec<&Value> = result(&ascending)["asyncInvokeSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|summary| &summary["invocationArn"])
        .collect();
    assert_eq!(all, [&json!(first_arn), &json!(second_arn)], "ascending by submission: {ascending}");
    let none = host.call("bedrock/listAsyncInvokes", json!({"statusEquals": "Failed"}));
    assert_eq!(result(&none)["asyncInvokeSummaries"], json!([]));

    let missing = host.call(
        "bedrock/getAsyncInvoke",
        json!({"invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/nosuchjob000"}),
    );
    // docs/protocol.md: a job that does not exist is -32003 {kind, id}.
    assert_eq!(missing["error"]["code"], -32003, "{missing}");
    assert_eq!(
        missing["error"]["data"],
        json!({"kind": "asyncInvoke", "id": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/nosuchjob000"})
    );
    let malformed = host.call("bedrock/getAsyncInvoke", json!({"invocationArn": "not-an-arn"}));
    assert_eq!(malformed["error"]["code"], -32001, "a malformed ARN stays Bedrock's ValidationException: {malformed}");
    host.finish();
}

#[test]
fn watch_reports_each_status_change_until_completed() {
    // Long enough that the watcher's first poll (right after the start) sees the job running; the
    // poll backoff (0.1 s doubling) then sees it end at about 3.1 s.
    let mut host = host_with(json!({"asyncJobDurationMs": 2_500}));
    let id = host.request("bedrock/startAsyncInvoke", start_params("a sunrise", true));
    let started = host.response(&id);
    let arn = result(&started)["invocationArn"].as_str().unwrap().to_string();
    let statuses = statuses_until_done(&mut host, &arn);
    let names: Vec<&str> = statuses.iter().map(|status| status["status"].as_str().unwrap()).collect();
    assert_eq!(names, ["InProgress", "Completed"], "one notification per status: {statuses:?}");
    for status in &statuses {
        assert_eq!(status["requestId"], id, "{status}");
        assert_eq!(status["modelArn"], format!("arn:aws:bedrock:us-east-1::foundation-model/{NOVA_REEL}"));
    }
    let done = statuses.last().unwrap();
    assert!(done.get("endTime").is_some() && done.get("failureMessage").is_none(), "{done}");

    // The watcher stops after the end: a later request answers with no status in between.
    let got = host.call("bedrock/getAsyncInvoke", json!({"invocationArn": arn}));
    assert_eq!(result(&got)["status"], "Completed");
    assert!(host.take_notifications().is_empty());
    host.finish();
}

#[test]
fn watch_reports_a_failed_job_with_its_failure_message() {
    let failure = "The output bucket s3://videos is not writable.";
    let mut host = host_with(json!({
        "asyncJobDurationMs": 2_500,
        "asyncJobOutcome": {"status": "Failed", "failureMessage": failure}
    }));
    let id = host.request("bedrock/startAsyncInvoke", start_params("a storm", true));
    let started = host.response(&id);
    let arn = result(&started)["invocationArn"].as_str().unwrap().to_string();
    let statuses = statuses_until_done(&mut host, &arn);
    let names: Vec<&str> = statuses.iter().map(|status| status["status"].as_str().unwrap()).collect();
    assert_eq!(names, ["InProgress", "Failed"], "{statuses:?}");
    let failed = statuses.last().unwrap();
    assert_eq!(failed["failureMessage"], failure);
    assert!(failed.get("endTime").is_some(), "{failed}");

    let listed = host.call("bedrock/listAsyncInvokes", json!({"statusEquals": "Failed"}));
    let summaries = result(&listed)["asyncInvokeSummaries"].as_array().unwrap();
    assert_eq!(summaries.len(), 1, "{listed}");
    assert_eq!(summaries[0]["failureMessage"], failure);
    host.finish();
}

#[test]
fn a_watcher_ends_with_the_host() {
    // A job that outlives the session: the host must still exit promptly at end of input.
    let mut host = host_with(json!({"asyncJobDurationMs": 600_000}));
    let id = host.request("bedrock/startAsyncInvoke", start_params("a long film", true));
    let started = host.response(&id);
    assert!(started.get("result").is_some(), "{started}");
    let first = host.recv();
    assert_eq!(first["params"]["status"], "InProgress", "{first}");
    host.close_stdin();
    let (code, _) = host.wait_exit();
    assert_eq!(code, Some(1), "end of input without shutdown exits 1");
}
