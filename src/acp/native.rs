//! The native host, run in-process on an in-memory pipe, and the face's
//! client of it: requests with their answers, `converse/event` streams routed
//! to the request that caused them, and the host's `tool/call` requests handed
//! to the face (and abandoned when the host sends `$/cancelRequest` for them).
//!
//! The face speaks the native protocol of docs/protocol.md, newline-delimited,
//! exactly as any other client does: conversations, storage, the tool loop,
//! cancellation with no partial turn kept, usage and cost are the host's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::host::LaunchConfig;
use crate::protocol::notifications::ToolCallParams;
use crate::sync::lock;
use crate::transport::ErrorObject;
use crate::transport::rpc::{Method, Request};

/// The host's request to run a tool.
const TOOL_CALL: &str = <crate::protocol::method::ToolCall as Method>::NAME;

/// How big the in-memory pipe's buffers are, each way.
const PIPE_BYTES: usize = 1 << 20;

/// What arrives for one request while it runs: its `converse/event` and
/// `converse/guardrail` notifications, as the host sent them.
#[derive(Debug)]
pub struct StreamItem {
    pub method: String,
    pub params: Value,
}

/// Runs a `tool/call` the host asked for; the answer is `tool/call`'s result
/// (`{content, status?}`) as JSON.
pub type ToolCallHandler = Arc<dyn Fn(ToolCallParams) -> futures_util::future::BoxFuture<'static, Value> + Send + Sync>;

type Answer = Result<Value, ErrorObject>;

struct Inner {
    outbound: mpsc::UnboundedSender<Vec<u8>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    streams: Mutex<HashMap<String, mpsc::UnboundedSender<StreamItem>>>,
    /// `tool/call` requests of the host being run, by their id, so that `$/cancelRequest` stops one.
    tool_calls: Mutex<HashMap<String, CancellationToken>>,
    next_id: AtomicU64,
}

/// The face's handle on the in-process host. Cheap to clone.
#[derive(Clone)]
pub struct NativeHost {
    inner: Arc<Inner>,
}

/// A request sent to the host and not yet answered.
pub struct PendingCall {
    pub id: String,
    answer: oneshot::Receiver<Answer>,
    /// Events for this request, when it was started with [`NativeHost::start_streaming`].
    pub events: Option<mpsc::UnboundedReceiver<StreamItem>>,
    host: NativeHost,
}

impl PendingCall {
    /// The host's answer. The host answers every request (its result, an
    /// error, or -32800 when cancelled), so this ends when the host does.
    pub async fn answer(mut self) -> Answer {
        let answer = (&mut self.answer).await.unwrap_or_else(|_| {
            Err(ErrorObject {
                code: crate::error::code::INTERNAL_ERROR,
                message: "the in-process host stopped".into(),
                data: None,
            })
        });
        lock(&self.host.inner.streams).remove(&self.id);
        answer
    }
}

impl NativeHost {
    /// Starts the native host on an in-memory pipe and a client of it.
    /// `tool_calls` runs the host's `tool/call` requests. The host ends when
    /// every handle is dropped (the end of its input) or `shutdown` fires.
    pub fn start(launch: LaunchConfig, tool_calls: ToolCallHandler, shutdown: CancellationToken) -> Self {
        let (ours, theirs) = tokio::io::duplex(PIPE_BYTES);
        let (host_read, host_write) = tokio::io::split(theirs);
        let (our_read, mut our_write) = tokio::io::split(ours);
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let code = crate::host::serve(launch, host_read, host_write, stop.cancelled_owned()).await;
            tracing::info!(code, "the in-process host ended");
        });
        let (outbound, mut queue) = mpsc::unbounded_channel::<Vec<u8>>();
        tokio::spawn(async move {
            while let Some(mut line) = queue.recv().await {
                line.push(b'\n');
                if our_write.write_all(&line).await.is_err() {
                    break;
                }
            }
            // Every handle is gone: the host reads the end of its input and ends.
            let _ = our_write.shutdown().await;
        });
        let host = NativeHost {
            inner: Arc::new(Inner {
                outbound,
                pending: Mutex::default(),
                streams: Mutex::default(),
                tool_calls: Mutex::default(),
                next_id: AtomicU64::new(1),
            }),
        };
        let reader = Arc::downgrade(&host.inner);
        tokio::spawn(async move {
            let mut lines = BufReader::new(our_read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Some(inner) = reader.upgrade() else { break };
                NativeHost { inner }.on_line(&line, &tool_calls);
            }
            // The host ended: whoever still waits gets an error.
            if let Some(inner) = reader.upgrade() {
                lock(&inner.pending).clear();
                lock(&inner.streams).clear();
            }
        });
        host
    }

    /// Sends request `R` and waits for its answer.
    pub async fn call<R: Request>(&self, params: &R::Params) -> Result<R::Result, ErrorObject> {
        let value = self.send_request(R::NAME, params, false).answer().await?;
        serde_json::from_value(value).map_err(|error| ErrorObject {
            code: crate::error::code::INTERNAL_ERROR,
            message: format!("the host's answer to `{}` did not parse: {error}", R::NAME),
            data: None,
        })
    }

    /// Sends request `R` whose events (`converse/event`, `converse/guardrail`) are wanted.
    pub fn start_streaming<R: Request>(&self, params: &R::Params) -> PendingCall {
        self.send_request(R::NAME, params, true)
    }

    /// Asks the host to cancel a request (`$/cancelRequest`); it answers it -32800,
    /// unless it was already committing its result.
    pub fn cancel(&self, id: &str) {
        self.send(&json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": id}}));
    }

    fn send_request(&self, method: &str, params: &impl Serialize, stream: bool) -> PendingCall {
        let id = format!("acp-{}", self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let (sender, answer) = oneshot::channel();
        lock(&self.inner.pending).insert(id.clone(), sender);
        let events = stream.then(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            lock(&self.inner.streams).insert(id.clone(), sender);
            receiver
        });
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        PendingCall { id, answer, events, host: self.clone() }
    }

    fn send(&self, message: &Value) {
        match serde_json::to_vec(message) {
            Ok(bytes) => {
                if self.inner.outbound.send(bytes).is_err() {
                    tracing::warn!("the in-process host's input is closed");
                }
            }
            Err(error) => tracing::error!(%error, "a message to the in-process host did not serialize"),
        }
    }

    fn on_line(&self, line: &str, tool_calls: &ToolCallHandler) {
        let Ok(Value::Object(mut message)) = serde_json::from_str::<Value>(line) else {
            tracing::warn!(line, "the in-process host sent a line that is not a JSON object");
            return;
        };
        let method = message.get("method").and_then(Value::as_str).map(str::to_owned);
        let id = message.get("id").map(id_key);
        match (method, id) {
            (None, Some(id)) => {
                let answer = match message.remove("error") {
                    Some(error) => Err(ErrorObject::from_answer(error)),
                    None => Ok(message.remove("result").unwrap_or(Value::Null)),
                };
                if let Some(waiting) = lock(&self.inner.pending).remove(&id) {
                    let _ = waiting.send(answer);
                }
            }
            (Some(method), Some(id)) if method == TOOL_CALL => {
                let params = message.remove("params").unwrap_or(Value::Null);
                self.run_tool_call(id, params, tool_calls.clone());
            }
            (Some(method), Some(id)) => {
                tracing::warn!(%method, "the in-process host sent a request the face does not serve");
                self.answer_error(&id, -32601, &format!("`{method}` is not served by the ACP face"));
            }
            (Some(method), None) if method == "$/cancelRequest" => {
                let id = message.get("params").and_then(|params| params.get("id")).map(id_key);
                if let Some(token) = id.and_then(|id| lock(&self.inner.tool_calls).remove(&id)) {
                    token.cancel();
                }
            }
            (Some(method), None) => {
                let params = message.remove("params").unwrap_or(Value::Null);
                let Some(request) = params.get("requestId").map(id_key) else { return };
                let streams = lock(&self.inner.streams);
                if let Some(stream) = streams.get(&request) {
                    let _ = stream.send(StreamItem { method, params });
                }
            }
            (None, None) => tracing::warn!(line, "the in-process host sent a message with neither method nor id"),
        }
    }

    fn run_tool_call(&self, id: String, params: Value, handler: ToolCallHandler) {
        let params: ToolCallParams = match serde_json::from_value(params) {
            Ok(params) => params,
            Err(error) => {
                self.answer_error(&id, -32602, &format!("tool/call params: {error}"));
                return;
            }
        };
        let token = CancellationToken::new();
        lock(&self.inner.tool_calls).insert(id.clone(), token.clone());
        let host = self.clone();
        tokio::spawn(async move {
            tokio::select! {
                // The host gave up on the call (the turn was cancelled, or toolCallTimeoutMs passed):
                // dropping the run cancels what it was waiting for (a permission request, a terminal).
                () = token.cancelled() => {}
                result = handler(params) => {
                    lock(&host.inner.tool_calls).remove(&id);
                    host.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
                }
            }
        });
    }

    fn answer_error(&self, id: &str, code: i64, message: &str) {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}));
    }
}

/// A request id as a map key: strings as they are, numbers as written.
fn id_key(id: &Value) -> String {
    match id {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Parses a notification's params into `T`, logging what does not parse.
pub fn parse_params<T: DeserializeOwned>(item: &StreamItem) -> Option<T> {
    serde_json::from_value(item.params.clone())
        .map_err(|error| tracing::warn!(method = %item.method, %error, "a notification of the host did not parse"))
        .ok()
}
