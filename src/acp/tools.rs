//! The face's built-in tools, backed by what the ACP client offers:
//! `read_file` (`fs/read_text_file`, which sees unsaved buffers, or the disk),
//! `write_file` (`session/request_permission` showing the diff, then
//! `fs/write_text_file` or the disk) and `run_command` (permission, then
//! `terminal/create`, wait for exit, output, release; only when the client
//! offers terminals). They are registered with the in-process host as ordinary
//! client tools; the host's `tool/call` for one lands in [`run`].
//!
//! Every path stays inside the session's `cwd`: no `..`, no absolute path
//! elsewhere, no symlink that resolves outside (docs/acp.md "Tools").

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use agent_client_protocol_schema as acp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Face;
use crate::protocol::ToolSpec;
use crate::protocol::notifications::ToolCallParams;

pub const READ_FILE: &str = "read_file";
pub const WRITE_FILE: &str = "write_file";
pub const RUN_COMMAND: &str = "run_command";

/// Most bytes of a command's output the client keeps for the model.
const OUTPUT_BYTE_LIMIT: u64 = 64 * 1024;

/// The built-in tools for a client with these capabilities.
pub fn definitions(terminal: bool) -> Vec<ToolSpec> {
    let mut tools = vec![
        ToolSpec {
            name: READ_FILE.into(),
            description: Some(
                "Read a text file of the project (the editor's unsaved changes included). `path` is relative to \
                 the project directory (or absolute inside it); `line` (1-based) and `limit` (lines) read a part."
                    .into(),
            ),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "the file, relative to the project directory"},
                    "line": {"type": "integer", "minimum": 1, "description": "first line to read, 1-based"},
                    "limit": {"type": "integer", "minimum": 1, "description": "most lines to read"}
                },
                "required": ["path"],
                "additionalProperties": false
            }),
            title: None,
            output_schema: None,
            annotations: None,
            source: None,
        },
        ToolSpec {
            name: WRITE_FILE.into(),
            description: Some(
                "Write a whole text file of the project (created if missing). The user is shown the diff and \
                 may decline. `path` is relative to the project directory (or absolute inside it)."
                    .into(),
            ),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "the file, relative to the project directory"},
                    "content": {"type": "string", "description": "the file's whole new content"}
                },
                "required": ["path", "content"],
                "additionalProperties": false
            }),
            title: None,
            output_schema: None,
            annotations: None,
            source: None,
        },
    ];
    if terminal {
        tools.push(ToolSpec {
            name: RUN_COMMAND.into(),
            description: Some(
                "Run a shell command in the project directory (or `cwd`, a directory inside it) in the editor's \
                 terminal, after the user allows it; answers its exit status and output."
                    .into(),
            ),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "the command line, run by `sh -c`"},
                    "cwd": {"type": "string", "description": "directory to run it in, relative to the project directory"}
                },
                "required": ["command"],
                "additionalProperties": false
            }),
            title: None,
            output_schema: None,
            annotations: None,
            source: None,
        });
    }
    tools
}

/// What kind of tool a name is, for the client's icons.
pub fn kind(name: &str) -> acp::ToolKind {
    match name {
        READ_FILE => acp::ToolKind::Read,
        WRITE_FILE => acp::ToolKind::Edit,
        RUN_COMMAND => acp::ToolKind::Execute,
        _ => acp::ToolKind::Other,
    }
}

/// A short title for a call of `name` with `input`.
pub fn title(name: &str, input: Option<&Value>) -> String {
    let text = |key: &str| input.and_then(|input| input.get(key)).and_then(Value::as_str);
    match (name, text("path"), text("command")) {
        (READ_FILE, Some(path), _) => format!("Read {path}"),
        (WRITE_FILE, Some(path), _) => format!("Write {path}"),
        (RUN_COMMAND, _, Some(command)) => format!("Run `{command}`"),
        (READ_FILE, None, _) => "Read a file".into(),
        (WRITE_FILE, None, _) => "Write a file".into(),
        (RUN_COMMAND, _, None) => "Run a command".into(),
        (other, _, _) => other.replace(['_', '-'], " "),
    }
}

/// `path` inside `root` (an absolute, canonical directory), or why not. The
/// answer is `root` joined with the path as given (what the editor knows the
/// file by); it is refused when it names `..`, when it is absolute and not under
/// `root`, or when the file (or, for a file not there yet, its nearest existing
/// ancestor) resolves through a symlink to somewhere outside `root`.
pub fn resolve_inside(root: &Path, path: &str) -> Result<PathBuf, String> {
    if path.trim().is_empty() {
        return Err("`path` is empty; give a file path relative to the project directory".into());
    }
    let given = Path::new(path);
    if given.components().any(|component| matches!(component, Component::ParentDir)) {
        return Err(format!("`{path}` contains `..`; give a path inside the project directory {}", root.display()));
    }
    let joined = if given.is_absolute() {
        if !given.starts_with(root) {
            return Err(format!("`{path}` is outside the project directory {}", root.display()));
        }
        given.to_path_buf()
    } else {
        root.join(given)
    };
    // The deepest part of the path that exists, resolved: symlinks may point anywhere.
    let mut existing = joined.as_path();
    loop {
        match existing.canonicalize() {
            Ok(resolved) => {
                if !resolved.starts_with(root) {
                    return Err(format!(
                        "`{path}` resolves (through a symlink) to {}, outside the project directory {}",
                        resolved.display(),
                        root.display()
                    ));
                }
                return Ok(joined);
            }
            Err(_) => match existing.parent() {
                Some(parent) => existing = parent,
                None => return Ok(joined),
            },
        }
    }
}

#[derive(Deserialize)]
struct ReadInput {
    path: String,
    line: Option<u32>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
struct WriteInput {
    path: String,
    content: String,
}

#[derive(Deserialize)]
struct RunInput {
    command: String,
    cwd: Option<String>,
}

/// What a tool answers: `tool/call`'s result, and what the client is shown.
struct Outcome {
    text: String,
    failed: bool,
    shown: Vec<acp::ToolCallContent>,
}

impl Outcome {
    fn ok(text: String) -> Self {
        let shown = vec![text_content(&text)];
        Self { text, failed: false, shown }
    }

    fn failed(text: String) -> Self {
        let shown = vec![text_content(&text)];
        Self { text, failed: true, shown }
    }
}

fn text_content(text: &str) -> acp::ToolCallContent {
    acp::ToolCallContent::Content(acp::Content::new(acp::ContentBlock::Text(acp::TextContent::new(text))))
}

/// Runs the host's `tool/call` for a built-in tool: tells the client what is
/// happening (`tool_call_update`), asks it for what the tool needs, and
/// answers `tool/call`'s result.
pub async fn run(face: Arc<Face>, call: ToolCallParams) -> Value {
    let Some((session_id, root)) = face.session_root(&call.conversation_id.0) else {
        return json!({"content": "this conversation has no ACP session in this process", "status": "error"});
    };
    let tool_call_id = acp::ToolCallId::new(call.tool_use_id.to_string());
    let locations = call
        .input
        .get("path")
        .and_then(Value::as_str)
        .and_then(|path| resolve_inside(&root, path).ok())
        .map(|path| vec![acp::ToolCallLocation::new(path)]);
    face.announce_tool_call(&session_id, &tool_call_id, &call.name, &call.input).await;
    face.update(
        &session_id,
        acp::SessionUpdate::ToolCallUpdate(acp::ToolCallUpdate::new(
            tool_call_id.clone(),
            acp::ToolCallUpdateFields::new()
                .status(acp::ToolCallStatus::InProgress)
                .title(title(&call.name, Some(&call.input)))
                .kind(kind(&call.name))
                .raw_input(call.input.clone())
                .locations(locations),
        )),
    )
    .await;
    let outcome = match call.name.as_str() {
        _ if face.mcp_tool(&call.conversation_id.0, &call.name).is_some() => {
            let tool = face.mcp_tool(&call.conversation_id.0, &call.name).expect("checked just above");
            let host_call = crate::agent::tool_registry::HostToolCall {
                conversation_id: Some(call.conversation_id.clone()),
                tool_use_id: call.tool_use_id.to_string(),
                name: call.name.clone(),
                input: call.input.clone(),
            };
            let (output, answer) = super::mcp::call(tool, host_call).await;
            let text = output
                .content
                .iter()
                .map(|block| match block {
                    crate::protocol::shapes::ToolResultContentBlock::Text(text) => text.clone(),
                    other => serde_json::to_string(other).unwrap_or_default(),
                })
                .collect::<Vec<_>>()
                .join("\n");
            let failed = matches!(output.status, crate::protocol::shapes::ToolResultStatus::Error);
            face.update(
                &session_id,
                acp::SessionUpdate::ToolCallUpdate(acp::ToolCallUpdate::new(
                    tool_call_id.clone(),
                    acp::ToolCallUpdateFields::new()
                        .status(if failed { acp::ToolCallStatus::Failed } else { acp::ToolCallStatus::Completed })
                        .content(vec![text_content(&text)])
                        .raw_output(answer.clone()),
                )),
            )
            .await;
            face.mark_finished(&session_id, &tool_call_id);
            return answer;
        }
        READ_FILE => match serde_json::from_value::<ReadInput>(call.input.clone()) {
            Ok(input) => read_file(&face, &session_id, &root, input).await,
            Err(error) => Outcome::failed(format!("read_file input: {error}")),
        },
        WRITE_FILE => match serde_json::from_value::<WriteInput>(call.input.clone()) {
            Ok(input) => write_file(&face, &session_id, &root, &tool_call_id, input).await,
            Err(error) => Outcome::failed(format!("write_file input: {error}")),
        },
        RUN_COMMAND => match serde_json::from_value::<RunInput>(call.input.clone()) {
            Ok(input) => run_command(&face, &session_id, &root, &tool_call_id, input).await,
            Err(error) => Outcome::failed(format!("run_command input: {error}")),
        },
        other => Outcome::failed(format!("`{other}` is not available in this session")),
    };
    let status = if outcome.failed { acp::ToolCallStatus::Failed } else { acp::ToolCallStatus::Completed };
    face.update(
        &session_id,
        acp::SessionUpdate::ToolCallUpdate(acp::ToolCallUpdate::new(
            tool_call_id.clone(),
            acp::ToolCallUpdateFields::new()
                .status(status)
                .content(outcome.shown)
                .raw_output(json!({"text": outcome.text.clone(), "failed": outcome.failed})),
        )),
    )
    .await;
    face.mark_finished(&session_id, &tool_call_id);
    json!({"content": outcome.text, "status": if outcome.failed { "error" } else { "success" }})
}

async fn read_file(face: &Face, session_id: &acp::SessionId, root: &Path, input: ReadInput) -> Outcome {
    let path = match resolve_inside(root, &input.path) {
        Ok(path) => path,
        Err(problem) => return Outcome::failed(problem),
    };
    if face.capabilities().fs.read_text_file {
        let request =
            acp::ReadTextFileRequest::new(session_id.clone(), path.clone()).line(input.line).limit(input.limit);
        return match face.ask_client::<acp::ReadTextFileResponse>("fs/read_text_file", &request).await {
            Ok(response) => Outcome::ok(response.content),
            Err(problem) => Outcome::failed(format!("cannot read {}: {problem}", input.path)),
        };
    }
    match tokio::fs::read_to_string(&path).await {
        Ok(text) => Outcome::ok(lines_of(&text, input.line, input.limit)),
        Err(error) => Outcome::failed(format!("cannot read {}: {error}", input.path)),
    }
}

/// Lines `line..line+limit` (1-based) of `text`, as `fs/read_text_file` answers them.
fn lines_of(text: &str, line: Option<u32>, limit: Option<u32>) -> String {
    if line.is_none() && limit.is_none() {
        return text.to_string();
    }
    let skip = line.unwrap_or(1).saturating_sub(1) as usize;
    let take = limit.map_or(usize::MAX, |limit| limit as usize);
    text.split_inclusive('\n').skip(skip).take(take).collect()
}

/// The options every permission request offers.
fn permission_options() -> Vec<acp::PermissionOption> {
    vec![
        acp::PermissionOption::new("allow", "Allow", acp::PermissionOptionKind::AllowOnce),
        acp::PermissionOption::new("reject", "Reject", acp::PermissionOptionKind::RejectOnce),
    ]
}

/// Asks the user; `Ok(())` when allowed, else what to tell the model.
async fn ask_permission(
    face: &Face,
    session_id: &acp::SessionId,
    tool_call: acp::ToolCallUpdate,
) -> Result<(), String> {
    let request = acp::RequestPermissionRequest::new(session_id.clone(), tool_call, permission_options());
    match face.ask_client::<acp::RequestPermissionResponse>("session/request_permission", &request).await {
        Ok(response) => match response.outcome {
            acp::RequestPermissionOutcome::Selected(selected) if selected.option_id.0.as_ref() == "allow" => Ok(()),
            acp::RequestPermissionOutcome::Selected(_) => {
                Err("the user declined this; do not retry it unless the user asks".into())
            }
            acp::RequestPermissionOutcome::Cancelled => Err("the user cancelled the request for permission".into()),
            _ => Err("the client answered the request for permission with an outcome this agent does not know".into()),
        },
        Err(problem) => Err(format!("the request for permission failed: {problem}")),
    }
}

async fn write_file(
    face: &Face,
    session_id: &acp::SessionId,
    root: &Path,
    tool_call_id: &acp::ToolCallId,
    input: WriteInput,
) -> Outcome {
    let path = match resolve_inside(root, &input.path) {
        Ok(path) => path,
        Err(problem) => return Outcome::failed(problem),
    };
    // What the file holds now (the editor's buffer when it offers one), for the diff.
    let old_text = if face.capabilities().fs.read_text_file {
        let request = acp::ReadTextFileRequest::new(session_id.clone(), path.clone());
        face.ask_client::<acp::ReadTextFileResponse>("fs/read_text_file", &request).await.ok().map(|r| r.content)
    } else {
        tokio::fs::read_to_string(&path).await.ok()
    };
    let diff = acp::ToolCallContent::Diff(acp::Diff::new(path.clone(), input.content.clone()).old_text(old_text));
    let asked = acp::ToolCallUpdate::new(
        tool_call_id.clone(),
        acp::ToolCallUpdateFields::new()
            .title(format!("Write {}", input.path))
            .kind(acp::ToolKind::Edit)
            .content(vec![diff.clone()])
            .locations(vec![acp::ToolCallLocation::new(path.clone())]),
    );
    if let Err(declined) = ask_permission(face, session_id, asked).await {
        return Outcome::failed(format!("{} was not written: {declined}", input.path));
    }
    let written = if face.capabilities().fs.write_text_file {
        let request = acp::WriteTextFileRequest::new(session_id.clone(), path.clone(), input.content.clone());
        face.ask_client::<Value>("fs/write_text_file", &request).await.map(|_| ())
    } else {
        write_to_disk(&path, &input.content).await
    };
    match written {
        Ok(()) => Outcome {
            text: format!("wrote {} ({} bytes)", input.path, input.content.len()),
            failed: false,
            shown: vec![diff],
        },
        Err(problem) => Outcome::failed(format!("cannot write {}: {problem}", input.path)),
    }
}

async fn write_to_disk(path: &Path, content: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(|error| error.to_string())?;
    }
    tokio::fs::write(path, content).await.map_err(|error| error.to_string())
}

async fn run_command(
    face: &Face,
    session_id: &acp::SessionId,
    root: &Path,
    tool_call_id: &acp::ToolCallId,
    input: RunInput,
) -> Outcome {
    if !face.capabilities().terminal {
        return Outcome::failed("the editor offers no terminal, so commands cannot run".into());
    }
    if input.command.trim().is_empty() {
        return Outcome::failed("`command` is empty; give a shell command line".into());
    }
    let cwd = match input.cwd.as_deref() {
        Some(dir) => match resolve_inside(root, dir) {
            Ok(dir) => dir,
            Err(problem) => return Outcome::failed(problem.replace("`path`", "`cwd`")),
        },
        None => root.to_path_buf(),
    };
    let asked = acp::ToolCallUpdate::new(
        tool_call_id.clone(),
        acp::ToolCallUpdateFields::new()
            .title(format!("Run `{}`", input.command))
            .kind(acp::ToolKind::Execute)
            .content(vec![text_content(&format!("$ {}\n(in {})", input.command, cwd.display()))]),
    );
    if let Err(declined) = ask_permission(face, session_id, asked).await {
        return Outcome::failed(format!("`{}` was not run: {declined}", input.command));
    }
    let create = acp::CreateTerminalRequest::new(session_id.clone(), "sh")
        .args(vec!["-c".into(), input.command.clone()])
        .cwd(cwd)
        .output_byte_limit(OUTPUT_BYTE_LIMIT);
    let terminal = match face.ask_client::<acp::CreateTerminalResponse>("terminal/create", &create).await {
        Ok(created) => created.terminal_id,
        Err(problem) => return Outcome::failed(format!("cannot start `{}`: {problem}", input.command)),
    };
    // The client shows the terminal live in the tool call.
    face.update(
        session_id,
        acp::SessionUpdate::ToolCallUpdate(acp::ToolCallUpdate::new(
            tool_call_id.clone(),
            acp::ToolCallUpdateFields::new()
                .content(vec![acp::ToolCallContent::Terminal(acp::Terminal::new(terminal.clone()))]),
        )),
    )
    .await;
    // Released whatever happens next, even when the turn is cancelled while the command runs.
    let release = ReleaseOnDrop { face: face.handle(), session_id: session_id.clone(), terminal: terminal.clone() };
    let wait = acp::WaitForTerminalExitRequest::new(session_id.clone(), terminal.clone());
    let exit = face.ask_client::<acp::WaitForTerminalExitResponse>("terminal/wait_for_exit", &wait).await;
    let output_request = acp::TerminalOutputRequest::new(session_id.clone(), terminal.clone());
    let output = face.ask_client::<acp::TerminalOutputResponse>("terminal/output", &output_request).await;
    drop(release);
    let (output, truncated) = match output {
        Ok(output) => (output.output, output.truncated),
        Err(problem) => (format!("(the output could not be read: {problem})"), false),
    };
    let (status, failed) = match exit {
        Ok(exit) => match (exit.exit_status.exit_code, exit.exit_status.signal) {
            (Some(code), _) => (format!("exit code {code}"), code != 0),
            (None, Some(signal)) => (format!("killed by signal {signal}"), true),
            (None, None) => ("exited".to_string(), false),
        },
        Err(problem) => (format!("did not report its exit: {problem}"), true),
    };
    let truncated = if truncated { " (output truncated to its last 64 KiB)" } else { "" };
    let text = format!("`{}`: {status}{truncated}\n{output}", input.command);
    Outcome {
        text: text.clone(),
        failed,
        shown: vec![acp::ToolCallContent::Terminal(acp::Terminal::new(terminal)), text_content(&text)],
    }
}

/// Sends `terminal/release` when dropped, so no terminal outlives its call.
struct ReleaseOnDrop {
    face: Arc<Face>,
    session_id: acp::SessionId,
    terminal: acp::TerminalId,
}

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        let request = acp::ReleaseTerminalRequest::new(self.session_id.clone(), self.terminal.clone());
        let face = self.face.clone();
        tokio::spawn(async move {
            if let Err(problem) = face.ask_client::<Value>("terminal/release", &request).await {
                tracing::warn!(%problem, "terminal/release failed");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.rs"), "x").unwrap();
        assert_eq!(resolve_inside(&root, "src/a.rs").unwrap(), root.join("src/a.rs"));
        assert_eq!(resolve_inside(&root, "new/dir/b.rs").unwrap(), root.join("new/dir/b.rs"));
        let absolute = root.join("src/a.rs").display().to_string();
        assert_eq!(resolve_inside(&root, &absolute).unwrap(), root.join("src/a.rs"));
        assert!(resolve_inside(&root, "../x").unwrap_err().contains("`..`"));
        assert!(resolve_inside(&root, "src/../../x").unwrap_err().contains("`..`"));
        assert!(resolve_inside(&root, "/etc/passwd").unwrap_err().contains("outside"));
        assert!(resolve_inside(&root, "").is_err());
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
        assert!(resolve_inside(&root, "link/secret").unwrap_err().contains("symlink"));
        std::os::unix::fs::symlink(root.join("src"), root.join("inner")).unwrap();
        assert_eq!(resolve_inside(&root, "inner/a.rs").unwrap(), root.join("inner/a.rs"));
    }

    #[test]
    fn a_part_of_a_file_is_its_lines() {
        let text = "one\ntwo\nthree\n";
        assert_eq!(lines_of(text, None, None), text);
        assert_eq!(lines_of(text, Some(2), None), "two\nthree\n");
        assert_eq!(lines_of(text, Some(2), Some(1)), "two\n");
        assert_eq!(lines_of(text, None, Some(1)), "one\n");
    }
}
