//! `schemas/` and `docs/methods.md` are generated from the protocol types;
//! these tests regenerate them with the real binary and fail on any
//! difference, check that docs/protocol.md documents every method the code
//! serves (and no method it does not, outside its "Planned" section), and
//! that the example messages of docs/protocol.md deserialize into the types.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use bedrock_host::protocol::shapes::{ContentBlock, ConverseStreamEvent, CountTokensInput};
use bedrock_host::protocol::{
    ConversationCreateParams, ConversationSendParams, ConverseEventParams, ConverseParams, CostEstimateParams,
    CountTokensParams, InitializeParams, InvokeModelParams, PROTOCOL_METHODS, StringOrBlocks, ToolCallParams,
    ToolCallResult, ToolRegisterParams, ToolSelection,
};
use serde::de::DeserializeOwned;
use serde_json::json;

const REGENERATE: &str = "run `cargo run -- schema --out schemas --docs docs/methods.md` and commit the result";

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.unwrap())
        // Subdirectories hold vendored inputs (`aws-models/`), not generated schemas.
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .map(|entry| entry.file_name().into_string().unwrap())
        .collect()
}

#[test]
fn committed_schemas_match_the_generated_ones() {
    let out = tempfile::tempdir().unwrap();
    let docs = tempfile::tempdir().unwrap();
    let methods_md = docs.path().join("methods.md");
    let status = Command::new(env!("CARGO_BIN_EXE_bedrock-host"))
        .args(["schema", "--out"])
        .arg(out.path())
        .arg("--docs")
        .arg(&methods_md)
        .output()
        .expect("run bedrock-host schema");
    assert!(status.status.success(), "bedrock-host schema failed: {}", String::from_utf8_lossy(&status.stderr));

    let committed: PathBuf = [env!("CARGO_MANIFEST_DIR"), "schemas"].iter().collect();
    let generated = file_names(out.path());
    let existing = file_names(&committed);
    let missing: Vec<_> = generated.difference(&existing).collect();
    let stale: Vec<_> = existing.difference(&generated).collect();
    assert!(missing.is_empty(), "schemas/ lacks {missing:?}; {REGENERATE}");
    assert!(
        stale.is_empty(),
        "schemas/ has files the generator no longer writes: {stale:?}; delete them and {REGENERATE}"
    );
    for name in &generated {
        let fresh = std::fs::read_to_string(out.path().join(name)).unwrap();
        let old = std::fs::read_to_string(committed.join(name)).unwrap();
        assert!(fresh == old, "schemas/{name} differs from what the code generates; {REGENERATE}");
    }

    let fresh = std::fs::read_to_string(&methods_md).unwrap();
    let committed_md: PathBuf = [env!("CARGO_MANIFEST_DIR"), "docs", "methods.md"].iter().collect();
    let old = std::fs::read_to_string(&committed_md).unwrap_or_default();
    assert!(
        fresh == old,
        "docs/methods.md differs from the method reference the code generates (a wire type or its doc comment \
         changed); {REGENERATE}"
    );
}

/// One backticked token in a cell of a Markdown table.
#[derive(Debug, PartialEq)]
struct TableToken {
    text: String,
    /// In the row's first cell, where a table names what it describes.
    first_cell: bool,
    /// Under a `## Planned …` heading.
    planned: bool,
}

fn table_tokens(markdown: &str) -> Vec<TableToken> {
    let mut tokens = Vec::new();
    let mut planned = false;
    for line in markdown.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            planned = heading.starts_with("Planned");
        }
        let Some(row) = line.trim().strip_prefix('|') else { continue };
        // ` \| ` inside a cell is an escaped pipe, not a cell boundary.
        for (cell_index, cell) in row.split(" | ").enumerate() {
            for text in cell.split('`').skip(1).step_by(2) {
                tokens.push(TableToken { text: text.to_string(), first_cell: cell_index == 0, planned });
            }
        }
    }
    tokens
}

/// A method name as the protocol spells them (`area/name`, `$/name`).
/// MIME types such as `application/json` are not method names.
fn looks_like_method(token: &str) -> bool {
    const MIME_TOP_LEVEL: &[&str] = &["application", "text", "image", "audio", "video", "multipart"];
    let Some((area, name)) = token.split_once('/') else { return false };
    let word = |part: &str| {
        part.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && part.chars().all(|c| c.is_ascii_alphanumeric())
    };
    (area == "$" || word(area)) && word(name) && !MIME_TOP_LEVEL.contains(&area)
}

#[test]
fn protocol_md_documents_every_method_and_only_served_or_planned_ones() {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "docs", "protocol.md"].iter().collect();
    let markdown = std::fs::read_to_string(&path).expect("docs/protocol.md exists");
    let tokens = table_tokens(&markdown);
    let served: BTreeSet<&str> = PROTOCOL_METHODS.iter().map(|method| method.name).collect();
    let planned: BTreeSet<&str> = tokens
        .iter()
        .filter(|token| token.first_cell && token.planned && looks_like_method(&token.text))
        .map(|token| token.text.as_str())
        .collect();

    let documented: BTreeSet<&str> =
        tokens.iter().filter(|token| !token.planned).map(|token| token.text.as_str()).collect();
    let undocumented: Vec<&&str> = served.iter().filter(|name| !documented.contains(**name)).collect();
    assert!(
        undocumented.is_empty(),
        "docs/protocol.md has no table naming {undocumented:?}; document every method of PROTOCOL_METHODS in a \
         table of docs/protocol.md (outside \"Planned\")"
    );

    let unknown: BTreeSet<&str> = tokens
        .iter()
        .map(|token| token.text.as_str())
        .filter(|text| looks_like_method(text) && !served.contains(text) && !planned.contains(text))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/protocol.md's tables name {unknown:?}, which the code does not serve; fix the name, or list it in a \
         table of the \"Planned (not yet served)\" section"
    );

    let now_served: Vec<&&str> = planned.iter().filter(|name| served.contains(**name)).collect();
    assert!(
        now_served.is_empty(),
        "docs/protocol.md lists {now_served:?} as planned, but the code serves them now; move them out of \
         the \"Planned (not yet served)\" section and document them"
    );
}

#[test]
fn method_names_are_found_in_table_cells() {
    let markdown = "| `bedrock/converse` | `application/json`, `tool/call` \\| `x` |\n\
                    ## Planned (not yet served)\n| `mcp/list` | request |\nnot a row: `x/y`\n";
    let tokens = table_tokens(markdown);
    let methods: Vec<(&str, bool, bool)> = tokens
        .iter()
        .filter(|token| looks_like_method(&token.text))
        .map(|token| (token.text.as_str(), token.first_cell, token.planned))
        .collect();
    assert_eq!(methods, [("bedrock/converse", true, false), ("tool/call", false, false), ("mcp/list", true, true)]);
}

fn parse<T: DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|error| panic!("{value} does not parse: {error}"))
}

#[test]
fn protocol_md_examples_deserialize() {
    let event: ConverseEventParams = parse(json!({
        "requestId": 7, "conversationId": "c1", "iteration": 1,
        "event": {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hel"}}}
    }));
    assert!(matches!(event.event, ConverseStreamEvent::ContentBlockDelta(_)));

    let converse: ConverseParams = parse(json!({
        "modelId": "sonnet", "stream": true,
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": 100},
        "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]},
        "guardrailConfig": {"guardrailIdentifier": "gr1", "guardrailVersion": "1"},
        "additionalModelRequestFields": {"top_k": 5}
    }));
    let (request, stream) = converse.into_request();
    assert!(stream);
    assert_eq!(request.model_id, "sonnet");

    let count: CountTokensParams = parse(json!({
        "modelId": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "input": {"converse": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}}
    }));
    assert!(matches!(count.input, CountTokensInput::Converse(_)));

    let _: InvokeModelParams =
        parse(json!({"modelId": "m", "body": {"prompt": "hi"}, "accept": "application/json", "stream": true}));
    let _: CostEstimateParams = parse(json!({"modelId": "haiku", "inputTokens": 1000, "outputTokens": 200}));
    let _: ToolRegisterParams = parse(json!({"tools": [{"name": "get_weather", "description": "Weather",
        "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}}}]}));

    let create: ConversationCreateParams =
        parse(json!({"modelId": "haiku", "system": "Be brief.", "tools": "all", "toolChoice": {"auto": {}}}));
    assert_eq!(create.tools, Some(ToolSelection::All));
    assert_eq!(create.system.unwrap().into_blocks().len(), 1);
    let create: ConversationCreateParams = parse(json!({"tools": ["get_weather"], "system": [{"text": "a"}]}));
    assert_eq!(create.tools, Some(ToolSelection::Named(vec!["get_weather".into()])));

    let send: ConversationSendParams = parse(json!({"conversationId": "c1", "content": "Weather in Paris?"}));
    assert!(send.stream, "stream defaults to true");
    assert_eq!(send.content.into_blocks(), vec![ContentBlock::Text("Weather in Paris?".into())]);

    let call: ToolCallParams = parse(json!({"requestId": "r-1", "conversationId": "c1", "toolUseId": "tooluse_x",
        "name": "get_weather", "input": {"city": "Paris"}}));
    assert_eq!(call.name, "get_weather");
    let answer: ToolCallResult = parse(json!({"content": "21°C", "status": "success"}));
    assert_eq!(answer.content, StringOrBlocks::Text("21°C".into()));
    let _: ToolCallResult = parse(json!({"content": [{"json": {"tempC": 21}}]}));

    let _: InitializeParams = parse(json!({"clientInfo": {"name": "test"}, "capabilities": {"tools": true},
        "initializationOptions": {"region": "us-east-1", "endpointUrl": "http://127.0.0.1:1"}}));
}
