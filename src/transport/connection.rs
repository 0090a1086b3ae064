//! The connection: one writer task owns the output, so one message's bytes
//! never interleave with another's, and a [`ClientHandle`] through which
//! anything in the host sends responses, notifications and requests to the
//! client (awaiting their answers in a pending map keyed by id).
//!
//! # Backpressure
//!
//! A client that stops reading must not make the host buffer without bound.
//! Notifications ([`ClientHandle::notify`]) take room in an outbound budget of
//! [`OUTBOUND_BUDGET_BYTES`] before they are queued, and give it back once the
//! writer has handed their bytes to stdout; when the budget is spent, the
//! sender waits, so a stream stops reading from Bedrock until the client
//! reads again. What must never wait is queued at once, outside the budget:
//! responses and error answers (the read loop sends those, and it must keep
//! reading `$/cancelRequest`), requests to the client, `$/cancelRequest`, and
//! [`ClientHandle::notify_now`] for small notifications sent where nothing
//! can wait (a retry notice from inside the SDK). Those are bounded by the
//! requests in flight, not by the length of a stream.
//!
//! # A client that is gone
//!
//! When a write to stdout fails (the client closed its end: EPIPE), the writer
//! marks the connection closed, every later send and every waiting
//! notification fails with [`ClientRequestError::ConnectionClosed`], and
//! [`ClientHandle::output_gone`] fires so that the session ends as it does at
//! the end of stdin.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::framing::Framing;
use super::message::{self, ErrorObject, RequestId};
use super::rpc::{self, Notification, Request};
use crate::error::HostError;

/// Most bytes of notifications queued for stdout and not yet written; a sender
/// waits beyond it (a message larger than the whole budget takes all of it).
pub const OUTBOUND_BUDGET_BYTES: usize = 4 * 1024 * 1024;

/// The prefix of the ids of requests the host sends the client (`bh-1`, `bh-2`, …): strings, so that a
/// client keeping one id map for both directions never confuses them with its own (numeric) ids.
pub const HOST_REQUEST_ID_PREFIX: &str = "bh-";

/// Why a message to the client, or its answer, did not arrive.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientRequestError {
    /// The client answered with a JSON-RPC error.
    #[error("the client answered `{method}` with error {}: {}", .error.code, .error.message)]
    Error { method: String, error: ErrorObject },
    /// No answer within the timeout; the host sent `$/cancelRequest` for it.
    #[error("the client did not answer `{method}` within {} ms", .timeout.as_millis())]
    Timeout { method: String, timeout: Duration },
    /// The connection ended (stdin closed, `exit`, or stdout gone).
    #[error("the connection to the client is closed")]
    ConnectionClosed,
    /// The params could not be turned into JSON (a bug in the caller's type).
    #[error("the params of `{method}` do not serialize to JSON: {message}")]
    Serialize { method: String, message: String },
}

enum Outbound {
    /// A framed body; `room` is its share of the outbound budget, given back once it is written.
    Message { body: Vec<u8>, room: Option<OwnedSemaphorePermit> },
    /// Flush and stop: the session is over.
    Close,
}

type AnswerSender = oneshot::Sender<Result<Value, ErrorObject>>;

/// What the handles and the writer share.
struct Shared {
    closed: AtomicBool,
    /// Bytes of notifications that may be queued; closed with the connection.
    budget: Arc<Semaphore>,
    budget_bytes: usize,
    /// Cancelled when stdout cannot be written any more.
    output_gone: CancellationToken,
}

impl Shared {
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.budget.close();
    }
}

struct Inner {
    outbound: mpsc::UnboundedSender<Outbound>,
    pending: Mutex<HashMap<RequestId, AnswerSender>>,
    next_id: AtomicU64,
    shared: Arc<Shared>,
}

/// A cheap, cloneable handle to the client end of the connection.
#[derive(Clone)]
pub struct ClientHandle {
    inner: Arc<Inner>,
}

/// The receiving end of the writer channel, for [`write_loop`].
pub struct OutboundQueue {
    receiver: mpsc::UnboundedReceiver<Outbound>,
    shared: Arc<Shared>,
}

impl ClientHandle {
    /// A handle and the queue its messages go to; run [`write_loop`] on the queue.
    pub fn new() -> (Self, OutboundQueue) {
        Self::with_budget(OUTBOUND_BUDGET_BYTES)
    }

    /// As [`ClientHandle::new`], with an outbound budget of `budget_bytes` (at least 1).
    pub fn with_budget(budget_bytes: usize) -> (Self, OutboundQueue) {
        let budget_bytes = budget_bytes.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
        let (outbound, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            closed: AtomicBool::new(false),
            budget: Arc::new(Semaphore::new(budget_bytes)),
            budget_bytes,
            output_gone: CancellationToken::new(),
        });
        let inner =
            Inner { outbound, pending: Mutex::new(HashMap::new()), next_id: AtomicU64::new(1), shared: shared.clone() };
        (Self { inner: Arc::new(inner) }, OutboundQueue { receiver, shared })
    }

    /// Cancelled when stdout cannot be written any more (the client closed it).
    pub fn output_gone(&self) -> CancellationToken {
        self.inner.shared.output_gone.clone()
    }

    /// Sends notification `N` to the client, first waiting for room in the
    /// outbound budget: a stream forwarded this way goes no faster than the
    /// client reads. Fails once the connection is closed.
    pub async fn notify<N: Notification>(&self, params: &N::Params) -> Result<(), ClientRequestError> {
        let body = notification_body::<N>(params)?;
        let room = self.room_for(body.len()).await?;
        self.send_with(body, Some(room))
    }

    /// Sends notification `N` at once, outside the outbound budget: for small
    /// notifications sent where nothing may wait.
    pub fn notify_now<N: Notification>(&self, params: &N::Params) -> Result<(), ClientRequestError> {
        self.send(notification_body::<N>(params)?)
    }

    /// Sends request `R` to the client and waits for its answer, at most `timeout`.
    /// On timeout (or when this future is dropped) the host tells the client
    /// with `$/cancelRequest` and forgets the request. The answer comes back as
    /// JSON: clients answer loosely, and the caller decides how much to accept.
    pub async fn request<R: Request>(
        &self,
        params: &R::Params,
        timeout: Duration,
    ) -> Result<Value, ClientRequestError> {
        self.start_request(R::NAME, params)?.response(timeout).await
    }

    /// Sends a request by name and returns it unanswered, for callers that
    /// need its id, want to cancel it themselves, or relay a method the
    /// protocol does not declare (the `test/…` methods). Its id is a string,
    /// `bh-<n>` ([`HOST_REQUEST_ID_PREFIX`]).
    pub fn start_request(&self, method: &str, params: impl Serialize) -> Result<OutgoingRequest, ClientRequestError> {
        let params = to_json(method, params)?;
        if self.is_closed() {
            return Err(ClientRequestError::ConnectionClosed);
        }
        let number = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let id = RequestId::String(format!("{HOST_REQUEST_ID_PREFIX}{number}"));
        let (sender, receiver) = oneshot::channel();
        self.pending().insert(id.clone(), sender);
        let request =
            OutgoingRequest { client: self.clone(), id: id.clone(), method: method.to_string(), receiver, done: false };
        self.send(message::request(&id, method, params))?;
        Ok(request)
    }

    /// Routes the client's answer to the request waiting for it.
    pub(crate) fn resolve(&self, id: &RequestId, result: Result<Value, ErrorObject>) {
        match self.pending().remove(id) {
            Some(sender) => {
                // The requester may have stopped waiting; then the answer has no reader.
                let _ = sender.send(result);
            }
            None => tracing::warn!(%id, "ignored a response whose id matches no request of ours"),
        }
    }

    /// Sends the one response to a client request. Never waits: the read loop answers with it.
    pub(crate) fn respond(&self, id: &RequestId, result: Result<Value, HostError>) {
        let body = match result {
            Ok(value) => message::success(id, value),
            Err(error) => {
                tracing::debug!(%id, %error, "request failed");
                message::failure(Some(id), &error)
            }
        };
        if self.send(body).is_err() {
            tracing::debug!(%id, "response dropped: the connection is closed");
        }
    }

    /// Sends the one response to a request with the error object as given (code, message, data):
    /// for a face that answers with another protocol's error codes (ACP). Never waits.
    pub(crate) fn respond_object(&self, id: &RequestId, result: Result<Value, ErrorObject>) {
        let body = match result {
            Ok(value) => message::success(id, value),
            Err(error) => {
                let answer = serde_json::json!({ "jsonrpc": "2.0", "id": id, "error": error });
                serde_json::to_vec(&answer)
                    .unwrap_or_else(|_| message::failure(Some(id), &HostError::Internal(error.message)))
            }
        };
        if self.send(body).is_err() {
            tracing::debug!(%id, "response dropped: the connection is closed");
        }
    }

    /// Answers a message that could not be handled; `id` is `None` when none could be read.
    pub(crate) fn respond_error(&self, id: Option<&RequestId>, error: &HostError) {
        tracing::warn!(id = ?id, %error, "answering an invalid message");
        if self.send(message::failure(id, error)).is_err() {
            tracing::debug!("error answer dropped: the connection is closed");
        }
    }

    /// Ends the connection: waiting requests fail with `ConnectionClosed`,
    /// later sends fail, and the writer flushes what is queued and stops.
    pub(crate) fn close(&self) {
        self.inner.shared.close();
        self.pending().clear();
        let _ = self.inner.outbound.send(Outbound::Close);
    }

    fn is_closed(&self) -> bool {
        self.inner.shared.closed.load(Ordering::Acquire)
    }

    /// Waits until `bytes` fit in the outbound budget (all of it for a larger message).
    async fn room_for(&self, bytes: usize) -> Result<OwnedSemaphorePermit, ClientRequestError> {
        let shared = &self.inner.shared;
        let wanted = bytes.clamp(1, shared.budget_bytes) as u32;
        shared.budget.clone().acquire_many_owned(wanted).await.map_err(|_closed| ClientRequestError::ConnectionClosed)
    }

    fn send(&self, body: Vec<u8>) -> Result<(), ClientRequestError> {
        self.send_with(body, None)
    }

    fn send_with(&self, body: Vec<u8>, room: Option<OwnedSemaphorePermit>) -> Result<(), ClientRequestError> {
        if self.is_closed() {
            return Err(ClientRequestError::ConnectionClosed);
        }
        self.inner.outbound.send(Outbound::Message { body, room }).map_err(|_| ClientRequestError::ConnectionClosed)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, AnswerSender>> {
        // A panic while holding this lock cannot leave the map inconsistent; keep going.
        crate::sync::lock(&self.inner.pending)
    }
}

fn notification_body<N: Notification>(params: &N::Params) -> Result<Vec<u8>, ClientRequestError> {
    message::notification_from(N::NAME, params)
        .map_err(|error| ClientRequestError::Serialize { method: N::NAME.to_string(), message: error.to_string() })
}

/// A request sent to the client and not yet answered. Dropping it before the
/// answer arrives cancels it: the pending entry goes and the client receives
/// `$/cancelRequest {id}`.
pub struct OutgoingRequest {
    client: ClientHandle,
    id: RequestId,
    method: String,
    receiver: oneshot::Receiver<Result<Value, ErrorObject>>,
    done: bool,
}

impl OutgoingRequest {
    /// The JSON-RPC id the request was sent with.
    pub fn id(&self) -> &RequestId {
        &self.id
    }

    /// Waits for the answer, at most `timeout`.
    pub async fn response(mut self, timeout: Duration) -> Result<Value, ClientRequestError> {
        let outcome = tokio::time::timeout(timeout, &mut self.receiver).await;
        let method = self.method.clone();
        match outcome {
            Err(_elapsed) => Err(ClientRequestError::Timeout { method, timeout }),
            Ok(Err(_closed)) => {
                self.done = true;
                Err(ClientRequestError::ConnectionClosed)
            }
            Ok(Ok(answer)) => {
                self.done = true;
                answer.map_err(|error| ClientRequestError::Error { method, error })
            }
        }
    }
}

impl Drop for OutgoingRequest {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if self.client.pending().remove(&self.id).is_some() {
            tracing::debug!(id = %self.id, method = %self.method, "cancelling a request to the client");
            let params = serde_json::json!({ "id": self.id });
            // Nothing to tell a client that is already gone.
            let _ = self.client.send(message::notification(rpc::CANCEL_REQUEST, params));
        }
    }
}

fn to_json(method: &str, params: impl Serialize) -> Result<Value, ClientRequestError> {
    serde_json::to_value(params)
        .map_err(|error| ClientRequestError::Serialize { method: method.to_string(), message: error.to_string() })
}

/// Most bytes gathered into one write. Large enough to carry a burst of stream events in one
/// system call; the buffer shrinks back to it after a larger message.
const WRITE_BATCH_BYTES: usize = 256 * 1024;

/// Writes every queued message, framed, until the session ends (`ClientHandle::close`) or a
/// write error (the client stopped reading: the connection is closed and
/// [`ClientHandle::output_gone`] fires). Flushes whenever the queue is empty. A message's share of
/// the outbound budget is given back once its bytes are handed to `output`.
///
/// Messages already queued go out together in one write: tokio's stdout hands every write to a
/// blocking thread, and one write per stream event made those hand-offs (context switches) the
/// largest cost of forwarding a stream (BENCHMARKS.md, "Findings").
pub async fn write_loop<W: AsyncWrite + Unpin>(mut output: W, framing: Framing, queue: OutboundQueue) {
    let OutboundQueue { mut receiver, shared } = queue;
    let gone = |error: std::io::Error| {
        tracing::error!(%error, "cannot write to stdout; the client is gone, ending the session");
        shared.close();
        shared.output_gone.cancel();
    };
    let mut batch = Vec::with_capacity(WRITE_BATCH_BYTES);
    // The budget shares of the messages in `batch`, given back once it is written.
    let mut rooms: Vec<OwnedSemaphorePermit> = Vec::new();
    let mut closing = false;
    while !closing && let Some(mut item) = receiver.recv().await {
        loop {
            let Outbound::Message { body, room } = item else {
                closing = true;
                break;
            };
            framing.encode_into(&body, &mut batch);
            rooms.extend(room);
            match receiver.try_recv() {
                Ok(next) if batch.len() < WRITE_BATCH_BYTES => item = next,
                Ok(next) => {
                    // The batch is full: write it, and start the next one with this message.
                    if let Err(error) = output.write_all(&batch).await {
                        return gone(error);
                    }
                    batch.clear();
                    rooms.clear();
                    item = next;
                }
                Err(_) => break,
            }
        }
        if let Err(error) = output.write_all(&batch).await {
            return gone(error);
        }
        batch.clear();
        batch.shrink_to(WRITE_BATCH_BYTES);
        rooms.clear();
        if receiver.is_empty()
            && let Err(error) = output.flush().await
        {
            return gone(error);
        }
    }
    if let Err(error) = output.flush().await {
        tracing::warn!(%error, "cannot flush stdout at the end of the session");
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use serde_json::json;
    use tokio::io::AsyncReadExt;

    use super::*;
    use crate::protocol::{InvokeChunkParams, method};

    fn chunk(index: u32, text: &str) -> InvokeChunkParams {
        InvokeChunkParams { request_id: RequestId::from(7), index, chunk: json!({ "text": text }) }
    }

    fn lines(bytes: &[u8]) -> Vec<Value> {
        bytes
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn host_request_ids_are_strings() {
        let (client, queue) = ClientHandle::new();
        let (output, mut input) = tokio::io::duplex(1 << 16);
        let writer = tokio::spawn(write_loop(output, Framing::Ndjson, queue));
        let first = client.start_request("tool/call", json!({})).unwrap();
        let second = client.start_request("tool/call", json!({})).unwrap();
        assert_eq!(first.id(), &RequestId::String("bh-1".into()));
        assert_eq!(second.id(), &RequestId::String("bh-2".into()));
        // A response with the number 1 is someone else's: it resolves nothing.
        client.resolve(&RequestId::from(1), Ok(json!("wrong")));
        client.resolve(&RequestId::String("bh-1".into()), Ok(json!("right")));
        assert_eq!(first.response(Duration::from_secs(1)).await, Ok(json!("right")));
        drop(second);
        client.close();
        writer.await.unwrap();
        let mut written = Vec::new();
        input.read_to_end(&mut written).await.unwrap();
        let messages = lines(&written);
        assert_eq!(messages[0]["id"], "bh-1");
        assert_eq!(messages[1]["id"], "bh-2");
        assert_eq!(messages[2], json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "bh-2"}}));
    }

    #[tokio::test]
    async fn a_full_budget_makes_notifications_wait_but_never_responses() {
        let (client, queue) = ClientHandle::with_budget(4096);
        // A client that reads nothing: the pipe takes 1 KiB, then writes block.
        let (output, mut input) = tokio::io::duplex(1024);
        let writer = tokio::spawn(write_loop(output, Framing::Ndjson, queue));
        let text = "x".repeat(900);
        let sender = {
            let client = client.clone();
            let text = text.clone();
            tokio::spawn(async move {
                for index in 0..100 {
                    client.notify::<method::InvokeChunk>(&chunk(index, &text)).await.unwrap();
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!sender.is_finished(), "100 notifications of 1 KB cannot all be queued in a 4 KiB budget");
        // What the read loop sends never waits, budget or not.
        client.respond(&RequestId::from(1), Ok(json!("answered")));
        client.respond_error(None, &HostError::Parse("bad".into()));
        let mut written = Vec::new();
        let reader = tokio::spawn(async move {
            input.read_to_end(&mut written).await.unwrap();
            written
        });
        sender.await.unwrap();
        client.close();
        writer.await.unwrap();
        let messages = lines(&reader.await.unwrap());
        let indexes: Vec<u64> = messages.iter().filter_map(|m| m["params"]["index"].as_u64()).collect();
        assert_eq!(indexes, (0..100).collect::<Vec<_>>(), "every notification, in order");
        assert!(messages.iter().any(|m| m["result"] == "answered"));
        assert!(messages.iter().any(|m| m["error"]["code"] == -32700));
    }

    /// An output whose reader is gone: every write fails as stdout does after the client closed it.
    struct BrokenPipe;

    impl AsyncWrite for BrokenPipe {
        fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<std::io::Result<usize>> {
            Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_write_error_closes_the_connection_and_says_so() {
        let (client, queue) = ClientHandle::with_budget(64);
        let gone = client.output_gone();
        let writer = tokio::spawn(write_loop(BrokenPipe, Framing::Ndjson, queue));
        // This one takes the whole budget; the next waits for room that never comes back.
        client.notify::<method::InvokeChunk>(&chunk(0, "first")).await.unwrap();
        let second = chunk(1, "second");
        let waiting = client.notify::<method::InvokeChunk>(&second);
        tokio::time::timeout(Duration::from_secs(5), gone.cancelled()).await.expect("output_gone fires");
        writer.await.unwrap();
        assert_eq!(waiting.await, Err(ClientRequestError::ConnectionClosed));
        assert_eq!(client.notify_now::<method::InvokeChunk>(&chunk(2, "x")), Err(ClientRequestError::ConnectionClosed));
        assert!(matches!(client.start_request("tool/call", json!({})), Err(ClientRequestError::ConnectionClosed)));
    }
}
