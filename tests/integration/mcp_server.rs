//! `bedrock-host mcp` over its stdio with raw MCP JSON-RPC lines, as an MCP client sends them:
//! `initialize` → `notifications/initialized` → `tools/list` → `tools/call`, `resources/*`;
//! exact fields of each answer, what reached the emulator (its journal), tool errors for bad
//! arguments and Bedrock's exceptions, and a stdout that holds MCP frames only.

use serde_json::{Value, json};

use crate::support::emulator::journal_of;
use crate::support::stdio::{Framing, Host, HostBuilder, result};

const HAIKU_US: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

/// `bedrock-host mcp --emulator` (with `script`), its control endpoints on for the journal.
fn mcp_server(script: Option<&Value>) -> Host {
    HostBuilder::new(Framing::Ndjson).arg("mcp").emulator(script).spawn()
}

/// The MCP handshake of a 2025-06-18 client; the `initialize` result.
fn initialize(host: &mut Host) -> Value {
    let response = host.call(
        "initialize",
        json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "integration-test", "version": "1.0"}
        }),
    );
    host.notify("notifications/initialized", json!({}));
    result(&response).clone()
}

/// The in-process emulator's base URL, from the host's log.
fn emulator_url(host: &Host) -> String {
    let log = host.log_text();
    let address = log
        .split("local_addr=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the log names the emulator's address:\n{log}"));
    format!("http://{address}")
}

fn call_tool(host: &mut Host, name: &str, arguments: Value) -> Value {
    let response = host.call("tools/call", json!({"name": name, "arguments": arguments}));
    result(&response).clone()
}

/// The text of a tool error, checking that it is one.
fn tool_error_text(answer: &Value) -> String {
    assert_eq!(answer["isError"], true, "{answer}");
    assert!(answer.get("structuredContent").is_none(), "{answer}");
    let content = answer["content"].as_array().expect("content");
    assert_eq!(content.len(), 1, "{answer}");
    assert_eq!(content[0]["type"], "text");
    content[0]["text"].as_str().expect("text").to_string()
}

#[test]
fn initialize_list_and_call_converse_over_raw_lines() {
    let mut host = mcp_server(None);
    let init = initialize(&mut host);
    assert_eq!(init["protocolVersion"], "2025-06-18", "the client's version is kept: {init}");
    assert_eq!(init["serverInfo"]["name"], "bedrock-host");
    assert_eq!(init["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(init["capabilities"]["tools"], json!({}));
    assert_eq!(init["capabilities"]["resources"], json!({}));
    assert!(init["instructions"].as_str().is_some_and(|text| text.contains("converse")), "{init}");

    let tools = result(&host.call("tools/list", json!({})))["tools"].clone();
    let mut names: Vec<&str> = tools.as_array().expect("tools").iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["apply_guardrail", "converse", "count_tokens", "estimate_cost", "list_models"]);
    let converse = tools.as_array().unwrap().iter().find(|t| t["name"] == "converse").unwrap();
    let input = &converse["inputSchema"];
    assert_eq!(input["type"], "object");
    assert_eq!(input["additionalProperties"], false);
    let mut properties: Vec<&String> = input["properties"].as_object().unwrap().keys().collect();
    properties.sort();
    assert_eq!(properties, ["maxTokens", "messages", "model", "prompt", "system", "temperature"]);
    let mut required: Vec<&str> =
        converse["outputSchema"]["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    required.sort();
    assert_eq!(required, ["costUsd", "latencyMs", "modelId", "stopReason", "text", "usage"]);
    assert_eq!(converse["annotations"], json!({"readOnlyHint": true, "openWorldHint": true}));

    let mut answer = call_tool(
        &mut host,
        "converse",
        json!({"prompt": "Hello there", "system": "Be brief.", "maxTokens": 50, "temperature": 0.5}),
    );
    let latency = answer["structuredContent"].as_object_mut().unwrap().remove("latencyMs").expect("latencyMs");
    assert!(latency.as_u64().is_some_and(|ms| ms >= 1), "{latency}");
    assert_eq!(
        answer,
        json!({
            "content": [{"type": "text", "text": "You said: Hello there"}],
            "structuredContent": {
                "text": "You said: Hello there",
                "stopReason": "end_turn",
                // "Be brief." is 3 tokens of the emulator's tokenizer, "Hello there" 2.
                "usage": {"inputTokens": 5, "outputTokens": 5, "totalTokens": 10},
                // Haiku 4.5: $1 in, $5 out per million tokens.
                "costUsd": 0.00003,
                "modelId": HAIKU_US
            },
            "isError": false
        })
    );
    let sent = journal_of(&emulator_url(&host), "Converse");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["modelId"], HAIKU_US, "the default model, resolved for us-east-1");
    assert_eq!(sent[0]["body"]["system"], json!([{"text": "Be brief."}]));
    assert_eq!(sent[0]["body"]["inferenceConfig"], json!({"maxTokens": 50, "temperature": 0.5}));
    assert_eq!(sent[0]["body"]["messages"], json!([{"role": "user", "content": [{"text": "Hello there"}]}]));

    let rest = host.finish();
    assert!(rest.is_empty(), "nothing unasked for on stdout: {rest:?}");
}

#[test]
fn bad_arguments_are_tool_errors_that_name_the_field() {
    let mut host = mcp_server(None);
    initialize(&mut host);
    let cases = [
        (
            "converse",
            json!({"prompt": "hi", "maxTokns": 5}),
            "invalid arguments: `maxTokns`: unknown field `maxTokns`, expected one of `model`, `prompt`, `messages`, \
             `system`, `maxTokens`, `temperature`",
        ),
        (
            "converse",
            json!({}),
            "invalid arguments: `prompt`: is missing; give `prompt` (the user's message as text) or `messages` (a \
             Bedrock conversation)",
        ),
        (
            "converse",
            json!({"prompt": "hi", "model": " "}),
            "invalid arguments: `model`: is empty; give a model alias such as `sonnet` or `haiku`, or a Bedrock model \
             id (see list_models), or leave it out for the default model",
        ),
        (
            "converse",
            json!({"messages": [{"role": "user", "content": [{"txt": "hi"}]}]}),
            "invalid arguments: `messages[0].content[0]`: ",
        ),
        (
            "count_tokens",
            json!({"prompt": ""}),
            "invalid arguments: `prompt`: is empty; give the user's message as text",
        ),
        (
            "estimate_cost",
            json!({"inputTokens": -1, "outputTokens": 1}),
            "invalid arguments: `inputTokens`: invalid value: integer `-1`, expected u64",
        ),
        (
            "apply_guardrail",
            json!({"guardrailIdentifier": "", "guardrailVersion": "1", "source": "INPUT", "content": [{"text": {"text": "x"}}]}),
            "invalid arguments: `guardrailIdentifier`: is empty; give the guardrail's id or ARN",
        ),
        (
            "list_models",
            json!({"provider": 7}),
            "invalid arguments: `provider`: invalid type: integer `7`, expected a string",
        ),
    ];
    for (tool, arguments, expected) in cases {
        let text = tool_error_text(&call_tool(&mut host, tool, arguments.clone()));
        assert!(text.starts_with(expected), "{tool} {arguments}:\n  got      {text}\n  expected {expected}…");
    }
    assert!(journal_of(&emulator_url(&host), "Converse").is_empty(), "no bad call reached Bedrock");
    host.finish();
}

#[test]
fn bedrock_exceptions_are_tool_errors_with_their_name_and_status() {
    let script = json!({"rules": [
        {"when": {"operation": "Converse"}, "fail": {"error": "ValidationException", "message": "The model returned the following errors: bad field"}},
        {"when": {"operation": "CountTokens"}, "fail": {"error": "ThrottlingException", "message": "Too many tokens"}},
    ]});
    let mut host =
        HostBuilder::new(Framing::Ndjson).arg("mcp").arg("--max-attempts").arg("1").emulator(Some(&script)).spawn();
    initialize(&mut host);
    let text = tool_error_text(&call_tool(&mut host, "converse", json!({"prompt": "hi", "model": "nova-pro"})));
    let (head, tail) = text.split_once("): ").unwrap_or_else(|| panic!("{text}"));
    assert!(head.starts_with("Bedrock answered ValidationException (HTTP 400, 1 attempt(s), request id "), "{text}");
    assert_eq!(
        tail,
        "Bedrock rejected the Converse request for model `us.amazon.nova-pro-v1:0`: The model returned the following \
         errors: bad field"
    );
    let text = tool_error_text(&call_tool(&mut host, "count_tokens", json!({"prompt": "hi"})));
    assert!(
        text.starts_with("Bedrock answered ThrottlingException (HTTP 429, retryable, 1 attempt(s), request id "),
        "{text}"
    );
    assert!(
        text.contains(
            "): Bedrock throttled CountTokens on model `anthropic.claude-haiku-4-5-20251001-v1:0` in region \
             `us-east-1` after 1 attempt(s): Too many tokens. "
        ),
        "{text}"
    );
    host.finish();
}

#[test]
fn other_tools_answer_structured_content_and_its_json_text() {
    let mut host = mcp_server(None);
    initialize(&mut host);
    let answer = call_tool(&mut host, "count_tokens", json!({"prompt": "one two three", "expectedOutputTokens": 10}));
    let expected = json!({
        "inputTokens": 3,
        "modelId": "anthropic.claude-haiku-4-5-20251001-v1:0",
        "estimatedCostUsd": 0.000053
    });
    assert_eq!(answer["structuredContent"], expected);
    assert_eq!(answer["isError"], false);
    let text: Value = serde_json::from_str(answer["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, expected, "the text is the same JSON");

    let answer = call_tool(
        &mut host,
        "estimate_cost",
        json!({"model": "nova-pro", "inputTokens": 1000000, "outputTokens": 1000000}),
    );
    let cost = &answer["structuredContent"];
    assert_eq!(cost["modelId"], "amazon.nova-pro-v1:0");
    assert_eq!(cost["inputCostUsd"].as_f64(), cost["pricing"]["inputPerMillion"].as_f64());
    assert_eq!(cost["outputCostUsd"].as_f64(), cost["pricing"]["outputPerMillion"].as_f64());

    let catalog = call_tool(&mut host, "list_models", json!({"provider": "anthropic"}))["structuredContent"].clone();
    assert_eq!(catalog["region"], "us-east-1");
    let models = catalog["models"].as_array().unwrap();
    assert!(!models.is_empty() && models.iter().all(|m| m["provider"] == "Anthropic"), "{catalog}");
    let haiku = models.iter().find(|m| m["aliases"][0] == "haiku").expect("haiku");
    assert_eq!(haiku["modelIdInRegion"], HAIKU_US);
    host.finish();
}

#[test]
fn the_catalog_resource_and_an_unknown_one() {
    let mut host = mcp_server(None);
    initialize(&mut host);
    let listed = result(&host.call("resources/list", json!({}))).clone();
    assert_eq!(
        listed["resources"],
        json!([{
            "uri": "bedrock://models",
            "name": "models",
            "title": "Bedrock model catalog",
            "description": "Every model the catalog knows: ids, aliases, inference profiles per region, prices (USD per \
                            million tokens), features; the same JSON as the list_models tool.",
            "mimeType": "application/json"
        }])
    );
    let read = result(&host.call("resources/read", json!({"uri": "bedrock://models"}))).clone();
    let contents = read["contents"].as_array().unwrap();
    assert_eq!(contents.len(), 1);
    assert_eq!(contents[0]["uri"], "bedrock://models");
    assert_eq!(contents[0]["mimeType"], "application/json");
    let catalog: Value = serde_json::from_str(contents[0]["text"].as_str().unwrap()).unwrap();
    let listed_tool = call_tool(&mut host, "list_models", json!({}));
    assert_eq!(catalog, listed_tool["structuredContent"], "the resource is the list_models result");

    let missing = host.call("resources/read", json!({"uri": "bedrock://elsewhere"}));
    let error = &missing["error"];
    assert_eq!(error["code"], -32002, "resource not found, for a 2025-06-18 client: {missing}");
    assert_eq!(error["message"], "no resource `bedrock://elsewhere`: this server has `bedrock://models`");

    let unknown_tool = host.call("tools/call", json!({"name": "invoke_everything", "arguments": {}}));
    assert!(unknown_tool.get("error").is_some(), "an unknown tool is a protocol error: {unknown_tool}");
    host.finish();
}

#[test]
fn the_server_exits_cleanly_when_stdin_closes() {
    let mut host = mcp_server(None);
    initialize(&mut host);
    host.close_stdin();
    let (code, took) = host.wait_exit();
    assert_eq!(code, Some(0));
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
}

#[test]
fn no_credentials_or_region_is_a_tool_error_with_a_hint() {
    let home = tempfile::tempdir().expect("an empty home");
    // Nothing listens on port 9; the call must fail before it would connect.
    let mut host = HostBuilder::new(Framing::Ndjson)
        .arg("mcp")
        .arg("--region")
        .arg("us-east-1")
        .arg("--endpoint-url")
        .arg("http://127.0.0.1:9")
        .without_aws_setup(home.path())
        .spawn();
    initialize(&mut host);
    let text = tool_error_text(&call_tool(&mut host, "converse", json!({"prompt": "hi"})));
    assert!(text.starts_with("no usable AWS credentials: found no AWS credentials to sign Converse"), "{text}");
    assert!(text.contains("\nhint: Give bedrock-host AWS credentials"), "{text}");
    assert!(text.contains("--emulator"), "{text}");
    host.finish();

    let mut host = HostBuilder::new(Framing::Ndjson)
        .arg("mcp")
        .arg("--endpoint-url")
        .arg("http://127.0.0.1:9")
        .without_aws_setup(home.path())
        .spawn();
    initialize(&mut host);
    let text = tool_error_text(&call_tool(&mut host, "count_tokens", json!({"prompt": "hi"})));
    assert!(
        text.starts_with("no AWS region: no AWS region is configured, so CountTokens has no Bedrock endpoint"),
        "{text}"
    );
    assert!(text.contains("\nhint: Set the AWS region"), "{text}");
    host.finish();
}

#[test]
fn server_only_flags_are_refused() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-host"))
        .args(["mcp", "--max-frame-bytes", "1000"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run bedrock-host mcp");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unexpected argument '--max-frame-bytes'"), "{stderr}");
}

#[test]
fn sigterm_ends_the_server_with_code_0() {
    let mut host = mcp_server(None);
    initialize(&mut host);
    let status =
        std::process::Command::new("kill").args(["-TERM", &host.pid().to_string()]).status().expect("run kill");
    assert!(status.success());
    let (code, took) = host.wait_exit();
    assert_eq!(code, Some(0));
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    assert!(host.log_text().contains("MCP server stopped by a signal"), "{}", host.log_text());

    // Before the client's `initialize`, too.
    let mut host = mcp_server(None);
    let started = std::time::Instant::now();
    while !host.log_text().contains("MCP server starting on stdio") {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the server did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status =
        std::process::Command::new("kill").args(["-TERM", &host.pid().to_string()]).status().expect("run kill");
    assert!(status.success());
    assert_eq!(host.wait_exit().0, Some(0));
    assert!(host.log_text().contains("stopped by a signal before the session began"), "{}", host.log_text());
}
