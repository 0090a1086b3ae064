//! The LSP face over the real binary (docs/lsp.md), in LSP's own framing,
//! against the in-process emulator with a script that answers the
//! fill-in-the-middle and code-action prompts: document sync with incremental
//! UTF-16 edits, inline completion trimmed to the cursor, the completion
//! fallback item, code actions and the host's `workspace/applyEdit` request,
//! configuration changes, cancellation and the typing storm (counted in the
//! emulator's journal), the open-document bound, and bad params named.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::emulator::{journal, journal_of};
use crate::support::stdio::{Framing, Host, HostBuilder};

const PY: &str = "file:///work/add.py";
const PY_TEXT: &str = "def add(a, b):\n    return a\n\nprint(add(1, 2))\n";

/// What the "model" answers: FIM prompts by their prefix, code actions by their request.
fn script() -> Value {
    json!({"rules": [
        {"when": {"lastUserText": "(?s)<prefix>.*return a</prefix>"},
         "respond": {"content": [{"text": "```python\n    return a + b\n```"}]}},
        {"when": {"lastUserText": "(?s)<prefix>SLOW"},
         "respond": {"content": [{"text": "never seen"}], "firstTokenDelayMs": 5000}},
        {"when": {"lastUserText": "(?s)<prefix>.*storm</prefix>"},
         "respond": {"content": [{"text": "storm_done()"}]}},
        {"when": {"lastUserText": "^Fix the bugs"},
         "respond": {"content": [{"text": "```python\ndef add(a, b):\n    return a + b\n```"}]}},
        {"when": {"lastUserText": "^Write the documentation comment"},
         "respond": {"content": [{"text": "# Adds two numbers."}]}},
        {"when": {"lastUserText": "^Explain what"},
         "respond": {"content": [{"text": "It adds a and b."}]}},
        {"when": {"lastUserText": "<prefix>"},
         "respond": {"content": [{"text": "x"}]}}
    ]})
}

struct Lsp {
    host: Host,
    endpoint: String,
    initialize: Value,
}

impl Lsp {
    fn start(initialization_options: Value) -> Lsp {
        let script = script();
        let mut host = HostBuilder::new(Framing::ContentLength).emulator(Some(&script)).spawn();
        let initialize = host.call(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {"textDocument": {"inlineCompletion": {},
                       "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}}}}},
                   "initializationOptions": initialization_options}),
        );
        let endpoint = initialize["result"]["backend"]["endpointUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("initialize failed: {initialize}"))
            .trim_end_matches('/')
            .to_string();
        host.notify("initialized", json!({}));
        Lsp { host, endpoint, initialize }
    }

    fn open(&mut self, uri: &str, language: &str, text: &str) {
        self.host.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.host.call(method, params);
        response.get("result").cloned().unwrap_or_else(|| panic!("{method} failed: {response}"))
    }

    fn error(&mut self, method: &str, params: Value) -> Value {
        let response = self.host.call(method, params);
        response.get("error").cloned().unwrap_or_else(|| panic!("{method} did not fail: {response}"))
    }

    fn inline(&mut self, uri: &str, line: u32, character: u32) -> Value {
        self.result(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
                   "context": {"triggerKind": 2}}),
        )
    }

    fn fim_calls(&self) -> Vec<Value> {
        journal_of(&self.endpoint, "ConverseStream")
    }

    fn usage_calls(&mut self) -> u64 {
        self.result("usage/get", json!({}))["total"]["calls"].as_u64().expect("usage/get's total.calls")
    }
}

fn prompt_of(entry: &Value) -> String {
    entry["body"]["messages"][0]["content"][0]["text"].as_str().expect("a text prompt").to_string()
}

fn paths(error: &Value) -> Vec<String> {
    error["data"]["errors"].as_array().map_or_else(Vec::new, |errors| {
        errors.iter().map(|e| e["path"].as_str().unwrap_or_default().to_string()).collect()
    })
}

/// The next `window/showMessage` the host sends (after whatever request `marker` answers).
fn show_messages(host: &mut Host) -> Vec<Value> {
    host.take_notifications().into_iter().filter(|n| n["method"] == "window/showMessage").collect()
}

#[test]
fn initialize_advertises_lsp_capabilities_beside_the_hosts_own() {
    let lsp = Lsp::start(json!({}));
    let capabilities = &lsp.initialize["result"]["capabilities"];
    assert_eq!(capabilities["textDocumentSync"], json!({"openClose": true, "change": 2}));
    assert_eq!(capabilities["inlineCompletionProvider"], json!({}));
    assert_eq!(capabilities["completionProvider"]["resolveProvider"], json!(false));
    assert_eq!(capabilities["codeActionProvider"]["codeActionKinds"], json!(["quickfix", "refactor.rewrite"]));
    assert_eq!(
        capabilities["executeCommandProvider"]["commands"],
        json!(["bedrock.explain", "bedrock.fix", "bedrock.document"])
    );
    let methods = capabilities["methods"].as_array().unwrap();
    for name in ["textDocument/inlineCompletion", "textDocument/completion", "textDocument/codeAction"] {
        assert!(methods.contains(&json!(name)), "{name} in {methods:?}");
    }
    assert!(capabilities["hostRequests"].as_array().unwrap().contains(&json!("workspace/applyEdit")));
    assert!(capabilities["features"].is_array(), "the host's own keys stay");
}

#[test]
fn inline_completion_sends_a_fim_prompt_and_answers_the_trimmed_text() {
    let mut lsp = Lsp::start(json!({"inlineCompletion": {"maxTokens": 64}}));
    lsp.open(PY, "python", PY_TEXT);
    // After `    return a` on line 1: the model repeats the line inside a fence; only ` + b` belongs.
    let result = lsp.inline(PY, 1, 12);
    assert_eq!(
        result,
        json!({"items": [{"insertText": " + b", "range": {"start": {"line": 1, "character": 12},
                                                             "end": {"line": 1, "character": 12}}}]})
    );
    let calls = lsp.fim_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        prompt_of(&calls[0]),
        format!(
            "Language: python\nFile: {PY}\n<prefix>def add(a, b):\n    return a</prefix><suffix>\n\nprint(add(1, 2))\n</suffix>"
        )
    );
    assert_eq!(calls[0]["body"]["inferenceConfig"]["maxTokens"], 64);
    assert!(calls[0]["modelId"].as_str().unwrap().contains("haiku"), "the default model: {}", calls[0]["modelId"]);
    assert!(calls[0]["body"]["system"][0]["text"].as_str().unwrap().contains("<prefix>"), "{}", calls[0]["body"]);
    assert_eq!(lsp.usage_calls(), 1, "completions count in usage/get");
}

#[test]
fn incremental_changes_in_utf16_positions_reach_the_prompt() {
    let mut lsp = Lsp::start(json!({"inlineCompletion": {"debounceMs": 0}}));
    let uri = "file:///work/emoji.py";
    lsp.open(uri, "python", "s = \"😀\"\nt = 1\n");
    // The emoji is two UTF-16 code units: `"` at 4, the emoji at 5–6, `"` at 7.
    lsp.host.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 7}, "end": {"line": 0, "character": 7}}, "rangeLength": 0, "text": "abc"},
            {"range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 5}}, "text": "22"}
        ]}),
    );
    lsp.inline(uri, 0, 10);
    let calls = lsp.fim_calls();
    assert!(
        prompt_of(calls.last().unwrap()).ends_with("<prefix>s = \"😀abc</prefix><suffix>\"\nt = 22\n</suffix>"),
        "{}",
        prompt_of(calls.last().unwrap())
    );
    // A change without a range replaces the whole text.
    lsp.host.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "whole\n"}]}),
    );
    lsp.inline(uri, 0, 5);
    assert!(prompt_of(lsp.fim_calls().last().unwrap()).ends_with("<prefix>whole</prefix><suffix>\n</suffix>"));
    // Closed: a request about it is refused, naming the field.
    lsp.host.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    let error = lsp.error(
        "textDocument/inlineCompletion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(error["code"], -32602);
    assert_eq!(paths(&error), ["textDocument.uri"]);
    assert!(error["message"].as_str().unwrap().contains("didOpen"), "{error}");
}

#[test]
fn completion_fallback_is_one_item_with_the_same_text() {
    let mut lsp = Lsp::start(json!({}));
    lsp.open(PY, "python", PY_TEXT);
    let result = lsp.result(
        "textDocument/completion",
        json!({"textDocument": {"uri": PY}, "position": {"line": 1, "character": 12}, "context": {"triggerKind": 1}}),
    );
    assert_eq!(result["isIncomplete"], true);
    let items = result["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{result}");
    let item = &items[0];
    // The word before the cursor (`a`) and the completion: what omnifunc-style clients filter on.
    assert_eq!(item["label"], "a + b");
    assert_eq!(item["filterText"], "a + b");
    assert_eq!(item["insertText"], "a + b");
    assert_eq!(
        item["textEdit"],
        json!({"range": {"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 12}}, "newText": "a + b"})
    );
    assert!(item["detail"].as_str().unwrap().starts_with("Bedrock ("));
}

#[test]
fn code_actions_run_as_commands_and_edits_go_through_apply_edit() {
    let mut lsp = Lsp::start(json!({}));
    lsp.open(PY, "python", PY_TEXT);
    let range = json!({"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 12}});
    let actions = lsp.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": PY}, "range": range, "context": {"diagnostics": []}}),
    );
    let titles: Vec<&str> = actions.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Explain with Bedrock", "Fix with Bedrock", "Add documentation"]);
    assert_eq!(actions[1]["kind"], "quickfix");
    assert_eq!(actions[1]["command"]["arguments"], json!([{"uri": PY, "range": range}]));
    assert!(lsp.fim_calls().is_empty(), "no model call until a command runs");
    let only = lsp.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": PY}, "range": range, "context": {"diagnostics": [], "only": ["quickfix"]}}),
    );
    assert_eq!(only.as_array().unwrap().len(), 1);
    // An empty range is the cursor's line.
    let line = lsp.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": PY}, "range": {"start": {"line": 3, "character": 2}, "end": {"line": 3, "character": 2}},
               "context": {"diagnostics": []}}),
    );
    assert_eq!(
        line[0]["command"]["arguments"][0]["range"],
        json!({"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 16}})
    );

    // A client without code action literals gets the bare commands (LSP's rule).
    let mut plain = HostBuilder::new(Framing::ContentLength).emulator(None).spawn();
    assert!(plain.call("initialize", json!({"capabilities": {}})).get("result").is_some());
    plain.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": PY, "languageId": "python", "version": 1, "text": PY_TEXT}}),
    );
    let commands = plain.call(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": PY}, "range": range, "context": {"diagnostics": []}}),
    );
    assert_eq!(
        commands["result"][2],
        json!({"title": "Add documentation", "command": "bedrock.document", "arguments": [{"uri": PY, "range": range}]})
    );

    // Fix: the host asks the client to apply the edit; the client decides.
    let command = &actions[1]["command"];
    let fix = lsp
        .host
        .request("workspace/executeCommand", json!({"command": command["command"], "arguments": command["arguments"]}));
    let apply = lsp.host.host_request();
    assert_eq!(apply["method"], "workspace/applyEdit");
    assert_eq!(
        apply["params"],
        json!({"label": "Fix with Bedrock", "edit": {"changes": {PY: [
            {"range": range, "newText": "def add(a, b):\n    return a + b"}
        ]}}})
    );
    lsp.host.reply(&apply["id"], json!({"applied": true}));
    let answer = lsp.host.response(&fix);
    assert_eq!(
        answer["result"],
        json!({"command": "bedrock.fix", "text": "def add(a, b):\n    return a + b", "applied": true}),
        "{answer}"
    );

    // Documentation: inserted above the range's first line, indented as it is; a refusal is reported.
    let document = lsp.host.request(
        "workspace/executeCommand",
        json!({"command": "bedrock.document", "arguments": [{"uri": PY, "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 12}}}]}),
    );
    let apply = lsp.host.host_request();
    assert_eq!(
        apply["params"]["edit"]["changes"][PY],
        json!([{"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
                "newText": "    # Adds two numbers.\n"}])
    );
    lsp.host.reply(&apply["id"], json!({"applied": false, "failureReason": "the user said no"}));
    assert_eq!(lsp.host.response(&document)["result"]["applied"], false);

    // Explain: the explanation is shown (window/showMessage) and returned.
    let explain = lsp.result(
        "workspace/executeCommand",
        json!({"command": "bedrock.explain", "arguments": [{"uri": PY, "range": range}]}),
    );
    assert_eq!(explain, json!({"command": "bedrock.explain", "text": "It adds a and b."}));
    let shown = show_messages(&mut lsp.host);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0]["params"], json!({"type": 3, "message": "It adds a and b."}));
    let prompts: Vec<String> = lsp.fim_calls().iter().map(prompt_of).collect();
    assert!(
        prompts[0].starts_with("Fix the bugs in this python code")
            && prompts[0].contains("def add(a, b):\n    return a\n</code>")
    );
    assert_eq!(lsp.usage_calls(), 3);
}

#[test]
fn bad_params_are_named() {
    let mut lsp = Lsp::start(json!({}));
    lsp.open(PY, "python", PY_TEXT);
    let error = lsp.error(
        "textDocument/inlineCompletion",
        json!({"textDocument": {"uri": PY}, "position": {"line": "one", "character": -1}}),
    );
    assert_eq!(error["code"], -32602);
    let mut found = paths(&error);
    found.sort();
    assert_eq!(found, ["position.character", "position.line"], "{error}");
    let error = lsp.error("workspace/executeCommand", json!({"command": "bedrock.rewrite"}));
    assert_eq!(paths(&error), ["command"]);
    assert!(error["message"].as_str().unwrap().contains("`bedrock.explain`"), "{error}");
    let error = lsp.error("workspace/executeCommand", json!({"command": "bedrock.fix", "arguments": []}));
    assert_eq!(paths(&error), ["arguments"]);
    let error = lsp.error(
        "workspace/executeCommand",
        json!({"command": "bedrock.fix", "arguments": [{"uri": PY, "range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}}}]}),
    );
    assert_eq!(paths(&error), ["arguments[0].range"]);
    let error = lsp.error(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": "file:///nowhere"}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": []}}),
    );
    assert_eq!(paths(&error), ["textDocument.uri"]);
    // A bad notification cannot be answered: the host shows the error, naming the field, and keeps the document.
    lsp.host.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": PY, "version": 2}, "contentChanges": [{"range": {"start": {"line": 0}}, "text": "x"}]}),
    );
    lsp.host.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": PY, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 1, "character": 4}, "end": {"line": 0, "character": 0}}, "text": "x"}]}),
    );
    lsp.result("usage/get", json!({}));
    let shown = show_messages(&mut lsp.host);
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown[0]["params"]["message"].as_str().unwrap().contains("contentChanges[0].range.end"), "{shown:?}");
    assert!(
        shown[1]["params"]["message"].as_str().unwrap().contains("contentChanges[0].range`: ends before it starts"),
        "{shown:?}"
    );
    assert_eq!(lsp.inline(PY, 1, 12)["items"][0]["insertText"], " + b", "the document is unchanged");

    let script = script();
    let mut host = HostBuilder::new(Framing::ContentLength).emulator(Some(&script)).spawn();
    let response = host.call(
        "initialize",
        json!({"initializationOptions": {"inlineCompletion": {"maxTokens": 0, "contextChars": 10, "languages": [""], "colour": 1}}}),
    );
    let found = paths(&response["error"]);
    assert!(found.contains(&"initializationOptions.inlineCompletion.colour".to_string()), "{response}");
    let response = host.call(
        "initialize",
        json!({"initializationOptions": {"inlineCompletion": {"maxTokens": 0, "contextChars": 10, "languages": [""]}}}),
    );
    let mut found = paths(&response["error"]);
    found.sort();
    assert_eq!(
        found,
        [
            "initializationOptions.inlineCompletion.contextChars",
            "initializationOptions.inlineCompletion.languages[0]",
            "initializationOptions.inlineCompletion.maxTokens"
        ],
        "{response}"
    );
}

#[test]
fn configuration_changes_replace_the_options() {
    let mut lsp = Lsp::start(json!({"inlineCompletion": {"debounceMs": 0}}));
    lsp.open(PY, "python", PY_TEXT);
    // Settings without inlineCompletion (clients send their whole configuration) change nothing.
    lsp.host.notify("workspace/didChangeConfiguration", json!({"settings": {"editor": {"tabSize": 4}}}));
    lsp.host.notify("workspace/didChangeConfiguration", json!({"settings": {"inlineCompletion": {"enabled": false}}}));
    assert_eq!(lsp.inline(PY, 1, 12), json!({"items": []}));
    assert!(lsp.fim_calls().is_empty(), "off: no model call");
    lsp.host.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bedrock": {"inlineCompletion": {"modelId": "sonnet", "languages": ["python"], "contextChars": 64}}}}),
    );
    assert_eq!(lsp.inline(PY, 1, 12)["items"][0]["insertText"], " + b");
    let calls = lsp.fim_calls();
    assert!(calls[0]["modelId"].as_str().unwrap().contains("sonnet"), "{}", calls[0]["modelId"]);
    lsp.open("file:///work/notes.txt", "plaintext", "hello");
    assert_eq!(lsp.inline("file:///work/notes.txt", 0, 5), json!({"items": []}), "not a configured language");
    // A bad value is shown, naming it, and the options in force stay.
    lsp.host.notify("workspace/didChangeConfiguration", json!({"settings": {"inlineCompletion": {"maxTokens": 0}}}));
    assert_eq!(lsp.inline(PY, 1, 12)["items"][0]["insertText"], " + b");
    let shown = show_messages(&mut lsp.host);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0]["params"]["message"].as_str().unwrap().contains("`settings.inlineCompletion.maxTokens`"));
    assert_eq!(lsp.fim_calls().len(), 2);
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_cancelled_completion_makes_no_further_model_calls() {
    // Cancelled during the debounce: the model is never called.
    let mut lsp = Lsp::start(json!({"inlineCompletion": {"debounceMs": 300}}));
    lsp.open(PY, "python", PY_TEXT);
    let id = lsp.host.request(
        "textDocument/inlineCompletion",
        json!({"textDocument": {"uri": PY}, "position": {"line": 1, "character": 12}}),
    );
    lsp.host.notify("$/cancelRequest", json!({"id": id}));
    assert_eq!(lsp.host.response(&id)["error"]["code"], -32800);
    std::thread::sleep(Duration::from_millis(600));
    assert!(lsp.fim_calls().is_empty(), "a completion cancelled before its debounce ended called the model");

    // Cancelled while the model answers (the emulator holds its first token for 5 s): answered at once,
    // no tokens counted, and no later call.
    let mut lsp = Lsp::start(json!({"inlineCompletion": {"debounceMs": 0}}));
    let uri = "file:///work/slow.py";
    lsp.open(uri, "python", "SLOW\n");
    let id = lsp.host.request(
        "textDocument/inlineCompletion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 0}}),
    );
    let endpoint = lsp.endpoint.clone();
    wait_for("the model call", || !journal_of(&endpoint, "ConverseStream").is_empty());
    let cancelled_at = Instant::now();
    lsp.host.notify("$/cancelRequest", json!({"id": id}));
    assert_eq!(lsp.host.response(&id)["error"]["code"], -32800);
    assert!(cancelled_at.elapsed() < Duration::from_secs(4), "the cancellation waited for the model");
    assert_eq!(lsp.usage_calls(), 0, "a cancelled completion costs no tokens");
    assert_eq!(lsp.fim_calls().len(), 1);
}

#[test]
fn a_typing_storm_makes_at_most_two_model_calls() {
    let mut lsp = Lsp::start(json!({}));
    let uri = "file:///work/storm.py";
    let mut text = String::new();
    lsp.open(uri, "python", "");
    let mut last = Value::Null;
    for index in 0..20 {
        // A key typed, a completion asked for, and (for all but the last) cancelled by the next key.
        let typed = if index == 19 { "storm".to_string() } else { format!("k{index} ") };
        lsp.host.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": index + 2}, "contentChanges": [{"range": {
                "start": {"line": 0, "character": text.len()}, "end": {"line": 0, "character": text.len()}}, "text": typed}]}),
        );
        text.push_str(&typed);
        let id = lsp.host.request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": text.len()}}),
        );
        if index < 19 {
            lsp.host.notify("$/cancelRequest", json!({"id": id}));
        }
        last = id;
    }
    let answer = lsp.host.response(&last);
    assert_eq!(answer["result"]["items"][0]["insertText"], "storm_done()", "{answer}");
    let calls = lsp.fim_calls();
    assert!(calls.len() <= 2, "{} model calls for one storm", calls.len());
    assert_eq!(calls.len(), 1, "the debounce leaves one call");
    assert_eq!(lsp.usage_calls(), 1);

    // Without cancellations: older requests for the same document are superseded and answer no items.
    let ids: Vec<Value> = (0..5)
        .map(|_| {
            lsp.host.request(
                "textDocument/inlineCompletion",
                json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": text.len()}}),
            )
        })
        .collect();
    let answers: Vec<Value> = ids.iter().map(|id| lsp.host.response(id)["result"].clone()).collect();
    assert_eq!(answers[..4], vec![json!({"items": []}); 4]);
    assert_eq!(answers[4]["items"][0]["insertText"], "storm_done()");
    assert_eq!(lsp.fim_calls().len(), 2);
}

#[test]
fn open_documents_are_bounded() {
    let mut lsp = Lsp::start(json!({"inlineCompletion": {"languages": ["python"]}}));
    for index in 0..300 {
        lsp.open(&format!("file:///work/{index}.txt"), "plaintext", "some text\n");
    }
    // The 44 least recently used are forgotten; the newest are kept (and plaintext is not completed).
    let error = lsp.error(
        "textDocument/inlineCompletion",
        json!({"textDocument": {"uri": "file:///work/0.txt"}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(paths(&error), ["textDocument.uri"]);
    assert!(error["message"].as_str().unwrap().contains("256 documents"), "{error}");
    assert_eq!(lsp.inline("file:///work/299.txt", 0, 4), json!({"items": []}));
    assert_eq!(lsp.inline("file:///work/44.txt", 0, 4), json!({"items": []}));
    let error = lsp.error(
        "textDocument/completion",
        json!({"textDocument": {"uri": "file:///work/43.txt"}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(paths(&error), ["textDocument.uri"]);
    assert!(journal(&lsp.endpoint).is_empty());
}
