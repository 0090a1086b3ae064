//! `bedrock-host acp`: the Agent Client Protocol face (docs/acp.md). Editors
//! (Zed, JetBrains, Neovim's codecompanion and avante, Emacs' agent-shell)
//! spawn it as their coding agent and speak ACP (protocol version 1) on
//! stdin/stdout.
//!
//! The face is a translator over the native host run in-process
//! ([`native`]): `session/new` is `conversation/create`, `session/prompt` is a
//! streamed `conversation/send` whose `converse/event`s become
//! `session/update`s as they arrive, `session/cancel` is `$/cancelRequest`,
//! `session/load` replays `conversation/get`. The built-in tools
//! ([`tools`]) are registered as ordinary client tools, and the face answers
//! the host's `tool/call` by asking the editor (`fs/*`, `terminal/*`,
//! `session/request_permission`). The wire types are the official
//! `agent-client-protocol-schema` crate's; the transport (framing, ids,
//! backpressure) is the host's own ([`crate::transport`]).

mod convert;
mod mcp;
mod native;
mod tools;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;

use agent_client_protocol_schema as acp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, BufReader};
use tokio_util::sync::CancellationToken;

use self::convert::{WithMessage, invalid_params};
use self::native::{NativeHost, StreamItem};
use crate::catalog;
use crate::host::LaunchConfig;
use crate::protocol::notifications::{ConverseEventParams, ToolCallParams};
use crate::protocol::shapes::{ContentBlockDelta, ContentBlockStart, ConverseStreamEvent, ReasoningContentBlockDelta};
use crate::protocol::{
    ConversationCreateParams, ConversationGetResult, ConversationIdParams, ConversationListResult,
    ConversationSendParams, EmptyParams, ToolRegisterParams, TurnResult, method,
};
use crate::sync::lock;
use crate::transport::message::{self, Incoming, Rejected};
use crate::transport::rpc::{Method, Notification};
use crate::transport::{ClientHandle, ErrorObject, Frame, FrameReader};

/// How long the face waits for the editor to answer a request: a permission request waits for a
/// person, and a command for its exit.
const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
/// In ACP mode a tool call waits for a person (permission) and for commands: the host's
/// `toolCallTimeoutMs` defaults to an hour here unless it is given.
const ACP_TOOL_CALL_TIMEOUT_MS: u64 = 60 * 60 * 1000;
/// The auth method `authenticate` takes.
pub const AWS_AUTH_METHOD: &str = "aws-credentials";
/// The session config option that chooses the model.
pub const MODEL_OPTION: &str = "model";

/// `session/update`: the face's one notification.
struct SessionUpdateMethod;

impl Method for SessionUpdateMethod {
    const NAME: &'static str = "session/update";
    type Params = acp::SessionNotification;
}

impl Notification for SessionUpdateMethod {}

/// One ACP session: a conversation of the host and what the face keeps beside it.
struct SessionState {
    /// The project directory, canonical; the built-in tools stay inside it.
    cwd: PathBuf,
    /// The model chosen for the next turns (`session/set_config_option`).
    model: String,
    /// The model the conversation was created with (turns name another with `modelId`).
    conversation_model: String,
    /// The host request of the prompt running now, if any (empty while it is being sent).
    running: Option<String>,
    /// `session/cancel` arrived for the running prompt (perhaps before its request went out).
    cancel_requested: bool,
    /// Tool calls already shown to the client in the running prompt.
    announced: HashSet<String>,
    /// Tool calls of the running prompt whose final status the face already sent.
    finished: HashSet<String>,
    /// The MCP servers the editor named for this session, if any.
    mcp: Option<Arc<mcp::SessionMcp>>,
    /// Their tools' names as registered with the host.
    mcp_names: HashSet<String>,
}

/// The face: the connection to the editor, the in-process host, the sessions.
pub struct Face {
    client: ClientHandle,
    launch: LaunchConfig,
    native: OnceLock<NativeHost>,
    capabilities: RwLock<acp::ClientCapabilities>,
    sessions: Mutex<HashMap<String, SessionState>>,
    shutdown: CancellationToken,
    this: Weak<Face>,
}

/// Serves ACP on stdin/stdout until the end of input or `shutdown`; the exit code.
pub async fn run_stdio(launch: LaunchConfig, shutdown: impl Future<Output = ()>) -> u8 {
    serve(launch, tokio::io::stdin(), tokio::io::stdout(), shutdown).await
}

/// Serves one ACP connection over any byte streams. Exit code 0 at the end of
/// input or on `shutdown` (an editor ends its agent by closing stdin or a signal).
pub async fn serve<R, W>(mut launch: LaunchConfig, input: R, output: W, shutdown: impl Future<Output = ()>) -> u8
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    if launch.options.tool_call_timeout_ms.is_none() {
        launch.options.tool_call_timeout_ms = Some(ACP_TOOL_CALL_TIMEOUT_MS);
    }
    let mut shutdown = std::pin::pin!(shutdown);
    let mut reader = FrameReader::new(BufReader::with_capacity(64 * 1024, input), launch.max_frame_bytes);
    let framing = tokio::select! {
        biased;
        () = &mut shutdown => return 0,
        detected = reader.detect() => match detected {
            Ok(Some(framing)) => framing,
            Ok(None) | Err(_) => return 0,
        },
    };
    let (client, queue) = ClientHandle::new();
    let writer = tokio::spawn(crate::transport::connection::write_loop(output, framing, queue));
    let output_gone = client.output_gone();
    let face = Arc::new_cyclic(|this| Face {
        client: client.clone(),
        launch,
        native: OnceLock::new(),
        capabilities: RwLock::new(acp::ClientCapabilities::new()),
        sessions: Mutex::default(),
        shutdown: CancellationToken::new(),
        this: this.clone(),
    });
    loop {
        let next = tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = output_gone.cancelled() => break,
            next = reader.next_frame() => next,
        };
        match next {
            Ok(Some(frame)) => face.on_frame(frame).await,
            Ok(None) | Err(_) => break,
        }
    }
    face.shutdown_mcp();
    face.shutdown.cancel();
    client.close();
    if tokio::time::timeout(Duration::from_millis(500), writer).await.is_err() {
        tracing::warn!("stdout did not drain within 500 ms; exiting anyway");
    }
    0
}

fn to_error_object(error: acp::Error) -> ErrorObject {
    ErrorObject { code: i64::from(i32::from(error.code)), message: error.message, data: error.data }
}

/// Params → `T`, or -32602 naming the bad field (`data.errors[{path, message}]`).
fn parse<T: DeserializeOwned>(params: Option<Value>) -> Result<T, acp::Error> {
    let params = match params {
        None | Some(Value::Null) => json!({}),
        Some(params) => params,
    };
    serde_path_to_error::deserialize(params).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." { String::new() } else { path };
        invalid_params(&path, error.into_inner().to_string())
    })
}

fn to_value(result: impl Serialize) -> Result<Value, acp::Error> {
    serde_json::to_value(result).map_err(|error| acp::Error::internal_error().with_message(error.to_string()))
}

fn not_initialized() -> acp::Error {
    acp::Error::invalid_request().with_message("send `initialize` first")
}

impl Face {
    fn handle(&self) -> Arc<Face> {
        self.this.upgrade().expect("the face outlives its requests")
    }

    /// Handles one frame: `initialize` inline (what follows it needs the session), every other
    /// request in its own task, notifications and answers at once.
    async fn on_frame(&self, frame: Frame) {
        match frame {
            Frame::Oversize { length } => self.client.respond_error(
                None,
                &crate::error::HostError::InvalidRequest(format!(
                    "a message of {length} bytes exceeds the limit of {} bytes and was skipped; send smaller \
                     messages or raise --max-frame-bytes",
                    self.launch.max_frame_bytes
                )),
            ),
            Frame::BadHeader(problem) => {
                self.client.respond_error(None, &crate::error::HostError::Parse(problem));
            }
            Frame::Body(body) => match message::parse(&body) {
                Ok(Incoming::Request { id, method, params }) if method == "initialize" => {
                    let answer = self.on_request(&method, params).await.map_err(to_error_object);
                    self.client.respond_object(&id, answer);
                }
                Ok(Incoming::Request { id, method, params }) => {
                    let face = self.handle();
                    tokio::spawn(async move {
                        let answer = face.on_request(&method, params).await.map_err(to_error_object);
                        face.client.respond_object(&id, answer);
                    });
                }
                Ok(Incoming::Notification { method, params }) => self.on_notification(&method, params),
                Ok(Incoming::Response { id, result }) => self.client.resolve(&id, result),
                Err(Rejected::Answer { id, error }) => self.client.respond_error(id.as_ref(), &error),
                Err(Rejected::Ignore(reason)) => tracing::warn!("ignored {reason}"),
            },
        }
    }

    async fn on_request(&self, method: &str, params: Option<Value>) -> Result<Value, acp::Error> {
        if method == "initialize" {
            return to_value(self.initialize(parse(params)?).await?);
        }
        if self.native.get().is_none() {
            return Err(not_initialized());
        }
        match method {
            "authenticate" => to_value(self.authenticate(parse(params)?).await?),
            "session/new" => to_value(self.new_session(parse(params)?).await?),
            "session/load" => to_value(self.load_session(parse(params)?).await?),
            "session/list" => to_value(self.list_sessions(parse(params)?).await?),
            "session/set_config_option" => to_value(self.set_config_option(parse(params)?)?),
            "session/prompt" => to_value(self.prompt(parse(params)?).await?),
            other => {
                Err(acp::Error::method_not_found().with_message(format!("`{other}` is not a method of this agent")))
            }
        }
    }

    fn on_notification(&self, method: &str, params: Option<Value>) {
        match method {
            "session/cancel" => match parse::<acp::CancelNotification>(params) {
                Ok(cancel) => self.cancel(&cancel.session_id),
                Err(error) => tracing::warn!(%error.message, "ignored a session/cancel that does not parse"),
            },
            other => tracing::debug!(method = other, "ignored a notification"),
        }
    }

    fn native(&self) -> &NativeHost {
        self.native.get().expect("checked before every method but initialize")
    }

    fn capabilities(&self) -> acp::ClientCapabilities {
        self.capabilities.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The session of a host conversation and its directory.
    fn session_root(&self, conversation_id: &str) -> Option<(acp::SessionId, PathBuf)> {
        let sessions = lock(&self.sessions);
        let session = sessions.get(conversation_id)?;
        Some((acp::SessionId::new(conversation_id), session.cwd.clone()))
    }

    /// Sends one `session/update`, waiting for room in the outbound budget.
    async fn update(&self, session_id: &acp::SessionId, update: acp::SessionUpdate) {
        let notification = acp::SessionNotification::new(session_id.clone(), update);
        if let Err(error) = self.client.notify::<SessionUpdateMethod>(&notification).await {
            tracing::debug!(%error, "a session/update was not sent");
        }
    }

    /// Shows a tool call (`tool_call`) once per prompt, when the stream has not shown it yet.
    async fn announce_tool_call(&self, session_id: &acp::SessionId, id: &acp::ToolCallId, name: &str, input: &Value) {
        let first = {
            let mut sessions = lock(&self.sessions);
            sessions.get_mut(session_id.0.as_ref()).is_some_and(|session| session.announced.insert(id.0.to_string()))
        };
        if first {
            let call = acp::ToolCall::new(id.clone(), tools::title(name, Some(input)))
                .kind(tools::kind(name))
                .status(acp::ToolCallStatus::Pending)
                .raw_input(input.clone());
            self.update(session_id, acp::SessionUpdate::ToolCall(call)).await;
        }
    }

    /// Records that the face sent a tool call's final status.
    fn mark_finished(&self, session_id: &acp::SessionId, id: &acp::ToolCallId) {
        if let Some(session) = lock(&self.sessions).get_mut(session_id.0.as_ref()) {
            session.finished.insert(id.0.to_string());
        }
    }

    /// After a cancel: every tool call shown and not finished ends `failed`.
    async fn fail_unfinished_tool_calls(&self, session_id: &acp::SessionId) {
        let unfinished: Vec<String> = lock(&self.sessions)
            .get(session_id.0.as_ref())
            .map(|session| session.announced.difference(&session.finished).cloned().collect())
            .unwrap_or_default();
        for id in unfinished {
            let fields = acp::ToolCallUpdateFields::new().status(acp::ToolCallStatus::Failed).content(vec![
                acp::ToolCallContent::Content(acp::Content::new(acp::ContentBlock::Text(acp::TextContent::new(
                    "cancelled",
                )))),
            ]);
            self.update(session_id, acp::SessionUpdate::ToolCallUpdate(acp::ToolCallUpdate::new(id, fields))).await;
        }
    }

    /// Sends a request to the editor and parses its answer.
    async fn ask_client<T: DeserializeOwned>(&self, method: &str, params: &impl Serialize) -> Result<T, String> {
        let request = self.client.start_request(method, params).map_err(|error| error.to_string())?;
        let answer = request.response(CLIENT_REQUEST_TIMEOUT).await.map_err(|error| error.to_string())?;
        serde_json::from_value(answer)
            .map_err(|error| format!("the editor's answer to `{method}` did not parse: {error}"))
    }

    async fn initialize(&self, request: acp::InitializeRequest) -> Result<acp::InitializeResponse, acp::Error> {
        if self.native.get().is_some() {
            return Err(acp::Error::invalid_request().with_message("`initialize` was already received"));
        }
        *self.capabilities.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            request.client_capabilities.clone();
        let weak = self.this.clone();
        let tool_calls: native::ToolCallHandler = Arc::new(move |call: ToolCallParams| {
            let face = weak.upgrade();
            Box::pin(async move {
                match face {
                    Some(face) => tools::run(face, call).await,
                    None => json!({"content": "the agent is shutting down", "status": "error"}),
                }
            })
        });
        let host = NativeHost::start(self.launch.clone(), tool_calls, self.shutdown.clone());
        let init = json!({
            "clientInfo": {"name": "bedrock-host acp", "version": env!("CARGO_PKG_VERSION")},
            "capabilities": {"tools": true}
        });
        let init = serde_json::from_value(init).expect("valid initialize params");
        host.call::<method::Initialize>(&init).await.map_err(convert::from_host)?;
        let terminal = request.client_capabilities.terminal;
        host.call::<method::ToolRegister>(&ToolRegisterParams { tools: tools::definitions(terminal) })
            .await
            .map_err(convert::from_host)?;
        if self.native.set(host).is_err() {
            return Err(acp::Error::invalid_request().with_message("`initialize` was already received"));
        }
        let capabilities = acp::AgentCapabilities::new()
            .load_session(true)
            .prompt_capabilities(acp::PromptCapabilities::new().image(true).embedded_context(true))
            .mcp_capabilities(acp::McpCapabilities::new().http(true))
            .session_capabilities(acp::SessionCapabilities::new().list(acp::SessionListCapabilities::new()));
        let auth = acp::AuthMethodAgent::new(AWS_AUTH_METHOD, "AWS credentials").description(
            "The AWS credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile \
             (run `aws sso login --profile NAME` for an SSO profile), or AWS_BEARER_TOKEN_BEDROCK"
                .to_string(),
        );
        Ok(acp::InitializeResponse::new(acp::ProtocolVersion::V1)
            .agent_capabilities(capabilities)
            .auth_methods(vec![acp::AuthMethod::Agent(auth)])
            .agent_info(
                acp::Implementation::new("bedrock-host", env!("CARGO_PKG_VERSION")).title("Bedrock Host".to_string()),
            ))
    }

    async fn authenticate(&self, request: acp::AuthenticateRequest) -> Result<acp::AuthenticateResponse, acp::Error> {
        if request.method_id.0.as_ref() != AWS_AUTH_METHOD {
            return Err(invalid_params(
                "methodId",
                format!("`{}` is not an auth method of this agent; use `{AWS_AUTH_METHOD}`", request.method_id.0),
            ));
        }
        if self.launch.emulator {
            return Ok(acp::AuthenticateResponse::new());
        }
        let backend = crate::host::backend::connect(&self.launch, &self.launch.options)
            .await
            .map_err(|error| convert::from_host(convert::host_error_object(&error)))?;
        match backend.gateway.credentials_problem().await {
            None => Ok(acp::AuthenticateResponse::new()),
            Some(problem) => {
                let hint = match &problem {
                    crate::error::HostError::NoCredentials { hint, .. } => hint.clone(),
                    _ => String::new(),
                };
                Err(acp::Error::auth_required().with_message(format!("{problem}. {hint}")).data(json!({"hint": hint})))
            }
        }
    }

    /// The model choices: every catalog model that streams and uses tools, by its first alias,
    /// and the current choice when it is not one of them.
    fn config_options(current: &str) -> Vec<acp::SessionConfigOption> {
        let mut options: Vec<acp::SessionConfigSelectOption> = catalog::MODELS
            .iter()
            .filter(|model| model.supports.streaming && model.supports.tools && !model.aliases.is_empty())
            .map(|model| {
                acp::SessionConfigSelectOption::new(model.aliases[0], model.name)
                    .description(format!("{} ({})", model.id, model.provider))
            })
            .collect();
        if !options.iter().any(|option| option.value.0.as_ref() == current) {
            options.insert(0, acp::SessionConfigSelectOption::new(current.to_string(), current.to_string()));
        }
        vec![
            acp::SessionConfigOption::select(MODEL_OPTION, "Model", current.to_string(), options)
                .description("The Bedrock model of the next turns".to_string())
                .category(acp::SessionConfigOptionCategory::Model),
        ]
    }

    fn default_model(&self) -> String {
        self.launch.options.default_model_id.clone().unwrap_or_else(|| crate::host::FALLBACK_MODEL.to_string())
    }

    /// The session's directory: absolute, existing, canonical.
    fn check_cwd(cwd: &std::path::Path) -> Result<PathBuf, acp::Error> {
        if !cwd.is_absolute() {
            return Err(invalid_params(
                "cwd",
                format!("`{}` is not absolute; give the project's absolute path", cwd.display()),
            ));
        }
        let canonical = cwd
            .canonicalize()
            .map_err(|error| invalid_params("cwd", format!("`{}` cannot be opened: {error}", cwd.display())))?;
        if !canonical.is_dir() {
            return Err(invalid_params("cwd", format!("`{}` is not a directory", cwd.display())));
        }
        Ok(canonical)
    }

    /// Starts the session's MCP servers (checked first: a bad entry refuses the session), waits
    /// for them to list their tools (at most `mcp::START_WAIT`), offers those to the host, and keeps
    /// them in step with later changes (a server's restart, `tools/list_changed`).
    async fn start_mcp(
        &self,
        id: &str,
        started: Option<(mcp::SessionMcp, tokio::sync::mpsc::UnboundedReceiver<crate::protocol::McpStatusParams>)>,
        count: usize,
    ) {
        let Some((servers, mut status)) = started else { return };
        let servers = Arc::new(servers);
        let previous = lock(&self.sessions).get_mut(id).and_then(|session| session.mcp.replace(servers.clone()));
        if let Some(previous) = previous {
            previous.shutdown();
        }
        mcp::wait_started(&mut status, count).await;
        self.sync_mcp_tools(id).await;
        let face = self.handle();
        let id = id.to_string();
        tokio::spawn(async move {
            while let Some(change) = status.recv().await {
                tracing::info!(server = %change.server, state = ?change.state, error = ?change.error, "MCP server");
                face.sync_mcp_tools(&id).await;
            }
        });
    }

    /// Offers the host the session's MCP tools as they are now; withdraws those gone (unless
    /// another session's servers still have them).
    async fn sync_mcp_tools(&self, id: &str) {
        let (specs, names, gone) = {
            let sessions = lock(&self.sessions);
            let Some(session) = sessions.get(id) else { return };
            let Some(servers) = session.mcp.clone() else { return };
            let specs = servers.specs();
            let names: HashSet<String> = specs.iter().map(|spec| spec.name.clone()).collect();
            let gone: Vec<String> = session.mcp_names.difference(&names).cloned().collect();
            let still_offered: HashSet<String> = sessions
                .iter()
                .filter(|(other, _)| other.as_str() != id)
                .flat_map(|(_, session)| session.mcp_names.iter().cloned())
                .collect();
            (specs, names, gone.into_iter().filter(|name| !still_offered.contains(name)).collect::<Vec<_>>())
        };
        // A prompt offers the session's MCP tools by name (`tools` of conversation/send), so a name
        // joins the session's list only once the host has it, and leaves it before it is withdrawn.
        let registered = specs.is_empty()
            || match self.native().call::<method::ToolRegister>(&ToolRegisterParams { tools: specs }).await {
                Ok(_) => true,
                Err(error) => {
                    tracing::warn!(%error.message, "the host refused the MCP servers' tools");
                    false
                }
            };
        if let Some(session) = lock(&self.sessions).get_mut(id) {
            session.mcp_names =
                if registered { names } else { session.mcp_names.intersection(&names).cloned().collect() };
        }
        if !gone.is_empty() {
            let params = crate::protocol::ToolUnregisterParams { names: gone };
            if let Err(error) = self.native().call::<method::ToolUnregister>(&params).await {
                tracing::warn!(%error.message, "the host did not withdraw the MCP servers' old tools");
            }
        }
    }

    /// The MCP tool `name` of the session of `conversation_id`.
    fn mcp_tool(&self, conversation_id: &str, name: &str) -> Option<Arc<crate::agent::tool_registry::RegisteredTool>> {
        lock(&self.sessions).get(conversation_id)?.mcp.as_ref()?.tool(name)
    }

    /// Stops every session's MCP servers (the face is ending).
    fn shutdown_mcp(&self) {
        for session in lock(&self.sessions).values() {
            if let Some(servers) = &session.mcp {
                servers.shutdown();
            }
        }
    }

    fn system_prompt(cwd: &std::path::Path, terminal: bool) -> String {
        let run = if terminal { ", `run_command` runs a shell command in the editor's terminal" } else { "" };
        format!(
            "You are a coding agent working in the project at {}. `read_file` reads a file of the project, \
             `write_file` writes one (the user reviews the diff){run}. Paths are relative to the project directory.",
            cwd.display()
        )
    }

    async fn new_session(&self, request: acp::NewSessionRequest) -> Result<acp::NewSessionResponse, acp::Error> {
        let cwd = Self::check_cwd(&request.cwd)?;
        let servers = mcp::start(&request.mcp_servers)?;
        let model = self.default_model();
        let params = ConversationCreateParams {
            model_id: Some(model.clone()),
            system: Some(
                serde_json::from_value(json!(Self::system_prompt(&cwd, self.capabilities().terminal)))
                    .expect("a string is a system prompt"),
            ),
            inference_config: None,
            tools: None,
            tool_choice: None,
            guardrail_config: None,
            additional_model_request_fields: None,
            title: None,
            // Prompt caching and the context window follow the host's defaults.
            ..Default::default()
        };
        let created = self.native().call::<method::ConversationCreate>(&params).await.map_err(convert::from_host)?;
        let id = created.conversation_id.0.clone();
        lock(&self.sessions).insert(id.clone(), SessionState::new(cwd, model.clone(), model.clone()));
        self.start_mcp(&id, servers, request.mcp_servers.len()).await;
        Ok(acp::NewSessionResponse::new(id).config_options(Self::config_options(&model)))
    }

    async fn load_session(&self, request: acp::LoadSessionRequest) -> Result<acp::LoadSessionResponse, acp::Error> {
        let cwd = Self::check_cwd(&request.cwd)?;
        let id = request.session_id.0.to_string();
        if lock(&self.sessions).get(&id).is_some_and(|session| session.running.is_some()) {
            return Err(acp::Error::invalid_request().with_message("the session has a prompt running; cancel it first"));
        }
        let params = ConversationIdParams { conversation_id: crate::protocol::ConversationId(id.clone()) };
        let conversation: ConversationGetResult =
            self.native().call::<method::ConversationGet>(&params).await.map_err(|error| match error.code {
                crate::error::code::NOT_FOUND | crate::error::code::INVALID_PARAMS => {
                    acp::Error::resource_not_found(None)
                        .with_message(format!(
                            "no stored session `{id}` (start bedrock-host acp with the same --storage-dir)"
                        ))
                        .data(json!({"sessionId": id}))
                }
                _ => convert::from_host(error),
            })?;
        let servers = mcp::start(&request.mcp_servers)?;
        let model = conversation.model_id.clone();
        let replaced = lock(&self.sessions).insert(id.clone(), SessionState::new(cwd, model.clone(), model.clone()));
        if let Some(mcp) = replaced.and_then(|session| session.mcp) {
            mcp.shutdown();
        }
        self.start_mcp(&id, servers, request.mcp_servers.len()).await;
        let session_id = acp::SessionId::new(id);
        for update in convert::replay(&conversation.messages) {
            self.update(&session_id, update).await;
        }
        Ok(acp::LoadSessionResponse::new().config_options(Self::config_options(&model)))
    }

    async fn list_sessions(&self, request: acp::ListSessionsRequest) -> Result<acp::ListSessionsResponse, acp::Error> {
        let listed: ConversationListResult = self
            .native()
            .call::<method::ConversationList>(&EmptyParams::default())
            .await
            .map_err(convert::from_host)?;
        let fallback = request.cwd.clone().or_else(|| std::env::current_dir().ok()).unwrap_or_default();
        let sessions = lock(&self.sessions);
        let infos = listed
            .conversations
            .into_iter()
            .filter_map(|summary| {
                let id = summary.conversation_id.0;
                let cwd = sessions.get(&id).map_or_else(|| fallback.clone(), |session| session.cwd.clone());
                if let Some(wanted) = &request.cwd
                    && sessions.contains_key(&id)
                    && &cwd != wanted
                    && wanted.canonicalize().ok().as_ref() != Some(&cwd)
                {
                    return None;
                }
                Some(acp::SessionInfo::new(id, cwd).title(summary.title).updated_at(summary.updated_at))
            })
            .collect();
        Ok(acp::ListSessionsResponse::new(infos))
    }

    fn set_config_option(
        &self,
        request: acp::SetSessionConfigOptionRequest,
    ) -> Result<acp::SetSessionConfigOptionResponse, acp::Error> {
        if request.config_id.0.as_ref() != MODEL_OPTION {
            return Err(invalid_params(
                "configId",
                format!(
                    "`{}` is not a config option of this agent; the one option is `{MODEL_OPTION}`",
                    request.config_id.0
                ),
            ));
        }
        let value = request.value.0.to_string();
        let mut sessions = lock(&self.sessions);
        let Some(session) = sessions.get_mut(request.session_id.0.as_ref()) else {
            return Err(session_not_found(&request.session_id));
        };
        let known = Self::config_options(&session.model);
        let offered = known.iter().any(|option| match &option.kind {
            acp::SessionConfigKind::Select(select) => match &select.options {
                acp::SessionConfigSelectOptions::Ungrouped(options) => {
                    options.iter().any(|option| option.value.0.as_ref() == value)
                }
                _ => false,
            },
            _ => false,
        });
        if !offered {
            return Err(invalid_params(
                "value",
                format!("`{value}` is not one of the models offered (see configOptions)"),
            ));
        }
        session.model = value;
        Ok(acp::SetSessionConfigOptionResponse::new(Self::config_options(&session.model)))
    }

    fn cancel(&self, session_id: &acp::SessionId) {
        let request = {
            let mut sessions = lock(&self.sessions);
            let Some(session) = sessions.get_mut(session_id.0.as_ref()) else { return };
            if session.running.is_some() {
                session.cancel_requested = true;
            }
            session.running.clone().filter(|request| !request.is_empty())
        };
        if let Some(request) = request {
            self.native().cancel(&request);
        }
    }

    async fn prompt(&self, request: acp::PromptRequest) -> Result<acp::PromptResponse, acp::Error> {
        let blocks = convert::prompt_to_blocks(&request.prompt)?;
        let id = request.session_id.0.to_string();
        let terminal = self.capabilities().terminal;
        let (model, tools) = {
            let mut sessions = lock(&self.sessions);
            let Some(session) = sessions.get_mut(&id) else { return Err(session_not_found(&request.session_id)) };
            if session.running.is_some() {
                return Err(acp::Error::invalid_request()
                    .with_message("a prompt of this session is still running; wait for it or send session/cancel"));
            }
            session.announced.clear();
            session.finished.clear();
            session.cancel_requested = false;
            // Marked running before the request goes out, so a session/cancel right after it is not lost.
            session.running = Some(String::new());
            // The host knows every session's MCP tools; this turn offers the built-ins and this session's own.
            let mut tools: Vec<String> = tools::definitions(terminal).into_iter().map(|tool| tool.name).collect();
            tools.extend(session.mcp_names.iter().cloned());
            tools.sort();
            ((session.model != session.conversation_model).then(|| session.model.clone()), tools)
        };
        let params = ConversationSendParams {
            conversation_id: crate::protocol::ConversationId(id.clone()),
            content: serde_json::from_value(Value::Array(blocks))
                .map_err(|error| invalid_params("prompt", error.to_string()))?,
            stream: true,
            max_tool_iterations: None,
            inference_config: None,
            model_id: model,
            tools: Some(crate::protocol::ToolSelection::Named(tools)),
        };
        let call = self.native().start_streaming::<method::ConversationSend>(&params);
        let cancelled_already = lock(&self.sessions).get_mut(&id).is_some_and(|session| {
            session.running = Some(call.id.clone());
            session.cancel_requested
        });
        if cancelled_already {
            self.native().cancel(&call.id);
        }
        let outcome = self.run_turn(&request.session_id, call).await;
        if let Some(session) = lock(&self.sessions).get_mut(&id) {
            session.running = None;
        }
        outcome
    }

    /// Forwards the turn's events as they arrive, then answers with its stop reason.
    async fn run_turn(
        &self,
        session_id: &acp::SessionId,
        mut call: native::PendingCall,
    ) -> Result<acp::PromptResponse, acp::Error> {
        let mut events = call.events.take().expect("a streaming call has events");
        let mut last_usage = None;
        let answer = {
            let answer = call.answer();
            tokio::pin!(answer);
            loop {
                tokio::select! {
                    biased;
                    Some(item) = events.recv() => self.on_turn_event(session_id, item, &mut last_usage).await,
                    answer = &mut answer => break answer,
                }
            }
        };
        // Events sent before the answer are already queued: forward them first.
        while let Ok(item) = events.try_recv() {
            self.on_turn_event(session_id, item, &mut last_usage).await;
        }
        let result = match answer {
            Ok(result) => result,
            Err(error) if error.code == crate::error::code::REQUEST_CANCELLED => {
                self.fail_unfinished_tool_calls(session_id).await;
                return Ok(acp::PromptResponse::new(acp::StopReason::Cancelled));
            }
            Err(error) => return Err(convert::from_host(error)),
        };
        let turn: TurnResult = serde_json::from_value(result).map_err(|error| {
            acp::Error::internal_error().with_message(format!("the turn's result did not parse: {error}"))
        })?;
        self.finish_tool_calls(session_id, &turn).await;
        let usage = &turn.usage;
        let model =
            lock(&self.sessions).get(session_id.0.as_ref()).map(|session| session.model.clone()).unwrap_or_default();
        if let Some(entry) = catalog::find_model(&model, crate::host::backend::DEFAULT_REGION) {
            let used: u64 = last_usage.unwrap_or(u64::from(usage.input_tokens) + u64::from(usage.output_tokens));
            let mut update = acp::UsageUpdate::new(used, u64::from(entry.context_window));
            if let Some(cost) = turn.cumulative_cost_usd {
                update = update.cost(acp::Cost::new(cost, "USD"));
            }
            self.update(session_id, acp::SessionUpdate::UsageUpdate(update)).await;
        }
        let acp_usage = acp::Usage::new(
            u64::from(usage.total_tokens),
            u64::from(usage.input_tokens),
            u64::from(usage.output_tokens),
        )
        .cached_read_tokens(usage.cache_read_input_tokens.map(u64::from))
        .cached_write_tokens(usage.cache_write_input_tokens.map(u64::from));
        Ok(acp::PromptResponse::new(convert::stop_reason(&turn.stop_reason)).usage(acp_usage))
    }

    async fn on_turn_event(&self, session_id: &acp::SessionId, item: StreamItem, last_usage: &mut Option<u64>) {
        if item.method != <method::ConverseEvent as Method>::NAME {
            return;
        }
        let Some(params) = native::parse_params::<ConverseEventParams>(&item) else { return };
        let update = match params.event {
            ConverseStreamEvent::ContentBlockDelta(delta) => match delta.delta {
                ContentBlockDelta::Text(text) => acp::SessionUpdate::AgentMessageChunk(acp::ContentChunk::new(
                    acp::ContentBlock::Text(acp::TextContent::new(text)),
                )),
                ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text(text)) => {
                    acp::SessionUpdate::AgentThoughtChunk(acp::ContentChunk::new(acp::ContentBlock::Text(
                        acp::TextContent::new(text),
                    )))
                }
                _ => return,
            },
            ConverseStreamEvent::ContentBlockStart(start) => match start.start {
                ContentBlockStart::ToolUse(tool_use) => {
                    let id = tool_use.tool_use_id.to_string();
                    let first = lock(&self.sessions)
                        .get_mut(session_id.0.as_ref())
                        .is_some_and(|session| session.announced.insert(id.clone()));
                    if !first {
                        return;
                    }
                    acp::SessionUpdate::ToolCall(
                        acp::ToolCall::new(id, tools::title(&tool_use.name, None))
                            .kind(tools::kind(&tool_use.name))
                            .status(acp::ToolCallStatus::Pending),
                    )
                }
                _ => return,
            },
            ConverseStreamEvent::Metadata(metadata) => {
                let usage = &metadata.usage;
                *last_usage = Some(u64::from(usage.input_tokens) + u64::from(usage.output_tokens));
                return;
            }
            _ => return,
        };
        self.update(session_id, update).await;
    }

    /// The final status of tool calls the face did not run itself (the host answered them:
    /// an unknown tool, input that broke the schema, a tool the host runs).
    async fn finish_tool_calls(&self, session_id: &acp::SessionId, turn: &TurnResult) {
        let finished =
            lock(&self.sessions).get(session_id.0.as_ref()).map(|session| session.finished.clone()).unwrap_or_default();
        let results: HashMap<String, String> = turn
            .messages
            .iter()
            .flat_map(|message| message.content.iter())
            .filter_map(|block| match block {
                crate::protocol::shapes::ContentBlock::ToolResult(result) => Some((
                    result.tool_use_id.to_string(),
                    result
                        .content
                        .iter()
                        .filter_map(|content| match content {
                            crate::protocol::shapes::ToolResultContentBlock::Text(text) => Some(text.clone()),
                            crate::protocol::shapes::ToolResultContentBlock::Json(value) => Some(value.to_string()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                )),
                _ => None,
            })
            .collect();
        for record in &turn.tool_calls {
            let id = record.tool_use_id.to_string();
            if finished.contains(&id) {
                continue;
            }
            let failed = matches!(record.status, crate::protocol::shapes::ToolResultStatus::Error);
            let mut fields = acp::ToolCallUpdateFields::new()
                .status(if failed { acp::ToolCallStatus::Failed } else { acp::ToolCallStatus::Completed })
                .title(tools::title(&record.name, Some(&record.input)))
                .raw_input(record.input.clone());
            if let Some(text) = results.get(&id) {
                fields = fields.content(vec![acp::ToolCallContent::Content(acp::Content::new(
                    acp::ContentBlock::Text(acp::TextContent::new(text.clone())),
                ))]);
            }
            self.update(session_id, acp::SessionUpdate::ToolCallUpdate(acp::ToolCallUpdate::new(id, fields))).await;
        }
    }
}

impl SessionState {
    fn new(cwd: PathBuf, model: String, conversation_model: String) -> Self {
        Self {
            cwd,
            model,
            conversation_model,
            running: None,
            cancel_requested: false,
            announced: HashSet::new(),
            finished: HashSet::new(),
            mcp: None,
            mcp_names: HashSet::new(),
        }
    }
}

fn session_not_found(session_id: &acp::SessionId) -> acp::Error {
    acp::Error::resource_not_found(None)
        .with_message(format!(
            "no session `{}` in this agent; create one with session/new or load it with session/load",
            session_id.0
        ))
        .data(json!({"sessionId": session_id.0.to_string()}))
}
