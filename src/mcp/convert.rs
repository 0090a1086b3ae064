//! An MCP `tools/call` result as a Bedrock toolResult (docs/mcp.md
//! "Results"): text → text, image → image (png, jpeg, gif, webp), embedded
//! resource → text or document, resource link → text, `structuredContent` →
//! json, `isError` → an error toolResult.

use serde_json::{Value, json};

use crate::agent::tool_registry::ToolOutput;
use crate::protocol::shapes::{ToolResultContentBlock, ToolResultStatus};

/// Converts a `CallToolResult` (as JSON) into the toolResult the model reads.
pub fn tool_output(result: &Value) -> ToolOutput {
    let mut content = Vec::new();
    for block in result.get("content").and_then(Value::as_array).into_iter().flatten() {
        content.push(block_of(block));
    }
    if let Some(structured) = result.get("structuredContent").filter(|value| !value.is_null()) {
        content.push(ToolResultContentBlock::Json(structured.clone()));
    }
    let is_error = result.get("isError").and_then(Value::as_bool).unwrap_or(false);
    if content.is_empty() {
        content.push(ToolResultContentBlock::Text(
            if is_error { "the tool reported an error without a message" } else { "(the tool returned no content)" }
                .to_string(),
        ));
    }
    ToolOutput { content, status: if is_error { ToolResultStatus::Error } else { ToolResultStatus::Success } }
}

fn text(value: impl Into<String>) -> ToolResultContentBlock {
    ToolResultContentBlock::Text(value.into())
}

fn str_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn block_of(block: &Value) -> ToolResultContentBlock {
    match str_of(block, "type") {
        Some("text") => text(str_of(block, "text").unwrap_or_default()),
        Some("image") => image(block),
        Some("audio") => text(format!(
            "[audio ({}) omitted: Bedrock tool results carry no audio]",
            str_of(block, "mimeType").unwrap_or("unknown type")
        )),
        Some("resource") => resource(block.get("resource").unwrap_or(&Value::Null)),
        Some("resource_link") => resource_link(block),
        other => text(format!("[content of type {} omitted]", other.unwrap_or("(none)"))),
    }
}

fn image(block: &Value) -> ToolResultContentBlock {
    let mime = str_of(block, "mimeType").unwrap_or_default();
    let format = match mime {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        other => {
            return text(format!("[image of type {other} omitted: Bedrock accepts png, jpeg, gif and webp images]"));
        }
    };
    let data = str_of(block, "data").unwrap_or_default();
    serde_json::from_value(json!({"image": {"format": format, "source": {"bytes": data}}}))
        .unwrap_or_else(|error| text(format!("[a {mime} image whose data is not base64 was omitted: {error}]")))
}

/// Bedrock's document formats by MIME type.
fn document_format(mime: &str) -> Option<&'static str> {
    Some(match mime {
        "application/pdf" => "pdf",
        "text/csv" => "csv",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "text/html" => "html",
        "text/plain" => "txt",
        "text/markdown" => "md",
        _ => return None,
    })
}

/// A document name Bedrock accepts: letters, digits, single spaces, `-`, `(`, `)`, `[`, `]`; 1–200 characters.
fn document_name(uri: &str) -> String {
    let last = uri.rsplit('/').find(|part| !part.is_empty()).unwrap_or("resource");
    let cleaned: String = last
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '(' | ')' | '[' | ']') { c } else { ' ' })
        .collect();
    let name = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let name: String = name.chars().take(200).collect();
    if name.is_empty() { "resource".to_string() } else { name }
}

fn resource(resource: &Value) -> ToolResultContentBlock {
    let uri = str_of(resource, "uri").unwrap_or("(no uri)");
    let mime = str_of(resource, "mimeType");
    if let Some(body) = str_of(resource, "text") {
        return text(format!("Resource {uri}{}:\n{body}", mime.map(|m| format!(" ({m})")).unwrap_or_default()));
    }
    let Some(blob) = str_of(resource, "blob") else {
        return text(format!("[resource {uri} had neither text nor blob]"));
    };
    match mime.and_then(document_format) {
        Some(format) => serde_json::from_value(json!({
            "document": {"format": format, "name": document_name(uri), "source": {"bytes": blob}}
        }))
        .unwrap_or_else(|error| text(format!("[resource {uri}: its blob is not base64: {error}]"))),
        None => text(format!(
            "[resource {uri} ({}, {} bytes of base64) omitted: Bedrock documents are pdf, csv, doc, docx, xls, xlsx, html, txt or md]",
            mime.unwrap_or("no MIME type"),
            blob.len()
        )),
    }
}

fn resource_link(link: &Value) -> ToolResultContentBlock {
    let uri = str_of(link, "uri").unwrap_or("(no uri)");
    let mut line = format!("Resource link: {} <{uri}>", str_of(link, "name").unwrap_or(uri));
    if let Some(mime) = str_of(link, "mimeType") {
        line.push_str(&format!(" ({mime})"));
    }
    if let Some(description) = str_of(link, "description") {
        line.push_str(&format!(": {description}"));
    }
    text(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_1PX: &str =
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==";

    #[test]
    fn each_kind_of_content_converts() {
        let output = tool_output(&json!({
            "content": [
                {"type": "text", "text": "hi"},
                {"type": "image", "mimeType": "image/png", "data": PNG_1PX},
                {"type": "image", "mimeType": "image/bmp", "data": "AA=="},
                {"type": "resource", "resource": {"uri": "file:///a.txt", "mimeType": "text/plain", "text": "body"}},
                {"type": "resource", "resource": {"uri": "file:///dir/r%201.pdf", "mimeType": "application/pdf", "blob": "JVBERi0="}},
                {"type": "resource_link", "uri": "file:///b", "name": "b", "description": "a file"}
            ],
            "structuredContent": {"n": 1}
        }));
        assert_eq!(output.status, ToolResultStatus::Success);
        let wire = serde_json::to_value(&output.content).unwrap();
        assert_eq!(wire[0], json!({"text": "hi"}));
        assert_eq!(wire[1]["image"]["format"], "png");
        assert_eq!(wire[1]["image"]["source"]["bytes"], PNG_1PX);
        assert!(wire[2]["text"].as_str().unwrap().contains("image/bmp"));
        assert_eq!(wire[3], json!({"text": "Resource file:///a.txt (text/plain):\nbody"}));
        assert_eq!(wire[4]["document"]["format"], "pdf");
        assert_eq!(wire[4]["document"]["name"], "r 201 pdf");
        assert_eq!(wire[5], json!({"text": "Resource link: b <file:///b>: a file"}));
        assert_eq!(wire[6], json!({"json": {"n": 1}}));
    }

    #[test]
    fn is_error_makes_an_error_result() {
        let output = tool_output(&json!({"content": [{"type": "text", "text": "boom"}], "isError": true}));
        assert_eq!(output, ToolOutput::error("boom"));
        assert_eq!(tool_output(&json!({"content": [], "isError": true})).status, ToolResultStatus::Error);
    }
}
