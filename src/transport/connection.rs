//! The connection: one writer task owns the output, so one message's bytes
//! never interleave with another's, and a [`ClientHandle`] through which
//! anything in the host sends responses, notifications and requests to the
//! client (awaiting their answers in a pending map keyed by id).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use super::framing::Framing;
use super::message::{self, ErrorObject, RequestId};
use super::rpc::{self, Notification, Request};
use crate::error::HostError;

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
    Message(Vec<u8>),
    /// Flush and stop: the session is over.
    Close,
}

type AnswerSender = oneshot::Sender<Result<Value, ErrorObject>>;

struct Inner {
    outbound: mpsc::UnboundedSender<Outbound>,
    pending: Mutex<HashMap<RequestId, AnswerSender>>,
    next_id: AtomicI64,
    closed: AtomicBool,
}

/// A cheap, cloneable handle to the client end of the connection.
#[derive(Clone)]
pub struct ClientHandle {
    inner: Arc<Inner>,
}

/// The receiving end of the writer channel, for [`write_loop`].
pub struct OutboundQueue(mpsc::UnboundedReceiver<Outbound>);

impl ClientHandle {
    /// A handle and the queue its messages go to; run [`write_loop`] on the queue.
    pub fn new() -> (Self, OutboundQueue) {
        // Unbounded so that `notify` needs no `.await`; the writer drains as fast as the client reads.
        let (outbound, receiver) = mpsc::unbounded_channel();
        let inner = Inner {
            outbound,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicI64::new(1),
            closed: AtomicBool::new(false),
        };
        (Self { inner: Arc::new(inner) }, OutboundQueue(receiver))
    }

    /// Sends notification `N` to the client.
    pub fn notify<N: Notification>(&self, params: &N::Params) -> Result<(), ClientRequestError> {
        let body = message::notification_from(N::NAME, params).map_err(|error| ClientRequestError::Serialize {
            method: N::NAME.to_string(),
            message: error.to_string(),
        })?;
        self.send(body)
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
    /// protocol does not declare (the `test/…` methods).
    pub fn start_request(&self, method: &str, params: impl Serialize) -> Result<OutgoingRequest, ClientRequestError> {
        let params = to_json(method, params)?;
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(ClientRequestError::ConnectionClosed);
        }
        let id = RequestId::from(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
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

    /// Sends the one response to a client request.
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
        self.inner.closed.store(true, Ordering::Release);
        self.pending().clear();
        let _ = self.inner.outbound.send(Outbound::Close);
    }

    fn send(&self, body: Vec<u8>) -> Result<(), ClientRequestError> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(ClientRequestError::ConnectionClosed);
        }
        self.inner.outbound.send(Outbound::Message(body)).map_err(|_| ClientRequestError::ConnectionClosed)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, AnswerSender>> {
        // A panic while holding this lock cannot leave the map inconsistent; keep going.
        crate::sync::lock(&self.inner.pending)
    }
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
/// write error (the client stopped reading). Flushes whenever the queue is empty.
///
/// Messages already queued go out together in one write: tokio's stdout hands every write to a
/// blocking thread, and one write per stream event made those hand-offs (context switches) the
/// largest cost of forwarding a stream (BENCHMARKS.md, "Findings").
pub async fn write_loop<W: AsyncWrite + Unpin>(mut output: W, framing: Framing, queue: OutboundQueue) {
    let OutboundQueue(mut receiver) = queue;
    let mut batch = Vec::with_capacity(WRITE_BATCH_BYTES);
    let mut closing = false;
    while !closing && let Some(mut item) = receiver.recv().await {
        loop {
            let Outbound::Message(body) = item else {
                closing = true;
                break;
            };
            framing.encode_into(&body, &mut batch);
            match receiver.try_recv() {
                Ok(next) if batch.len() < WRITE_BATCH_BYTES => item = next,
                Ok(next) => {
                    // The batch is full: write it, and start the next one with this message.
                    if let Err(error) = output.write_all(&batch).await {
                        tracing::error!(%error, "cannot write to stdout; the client is gone");
                        return;
                    }
                    batch.clear();
                    item = next;
                }
                Err(_) => break,
            }
        }
        if let Err(error) = output.write_all(&batch).await {
            tracing::error!(%error, "cannot write to stdout; the client is gone");
            return;
        }
        batch.clear();
        batch.shrink_to(WRITE_BATCH_BYTES);
        if receiver.is_empty()
            && let Err(error) = output.flush().await
        {
            tracing::error!(%error, "cannot flush stdout; the client is gone");
            return;
        }
    }
    if let Err(error) = output.flush().await {
        tracing::warn!(%error, "cannot flush stdout at the end of the session");
    }
}
