//! Request bookkeeping: what each request in flight owns (its cancellation
//! token, its partial result, whether it has committed), shared by the
//! dispatcher, which answers cancellations, and the handlers, which commit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::session::Session;
use crate::error::HostError;
use crate::sync::lock;
use crate::transport::{ClientHandle, RequestId};

/// What a handler gets besides its params.
#[derive(Clone)]
pub struct RequestContext {
    /// The JSON-RPC id of the request (notifications it causes carry it as `requestId`).
    pub id: RequestId,
    /// What the request produced so far; sent as `data.partial` if it is cancelled.
    pub partial: PartialResult,
    /// Call [`Completion::commit`] just before making a result permanent.
    pub completion: Completion,
    /// Notifications and requests to the client.
    pub client: ClientHandle,
    pub session: Arc<Session>,
    /// The request's place in the order requests arrived (1, 2, …): a later request has a larger
    /// number, whatever order their tasks run in.
    pub arrival: u64,
}

/// A slot for what a request has produced so far (e.g. a turn's text), so
/// that its -32800 answer can carry `data.partial` although the handler's
/// future is dropped on cancellation.
#[derive(Clone, Default)]
pub struct PartialResult(Arc<Mutex<Option<PartialSource>>>);

/// A long stream would make a fresh snapshot per event quadratic, so a
/// handler may instead hand over a function that builds the snapshot only
/// when a cancellation needs it.
enum PartialSource {
    Value(Value),
    Snapshot(Arc<dyn Fn() -> Value + Send + Sync>),
}

impl PartialResult {
    /// Replaces what was recorded.
    pub fn set(&self, produced: Value) {
        *crate::sync::lock(&self.0) = Some(PartialSource::Value(produced));
    }

    /// Records a function that builds what was produced, called at most once, on cancellation.
    pub fn set_snapshot(&self, snapshot: Arc<dyn Fn() -> Value + Send + Sync>) {
        *crate::sync::lock(&self.0) = Some(PartialSource::Snapshot(snapshot));
    }

    pub(super) fn take(&self) -> Option<Value> {
        let source = crate::sync::lock(&self.0).take();
        source.map(|source| match source {
            PartialSource::Value(value) => value,
            PartialSource::Snapshot(snapshot) => snapshot(),
        })
    }
}

/// Requests in flight by id: whoever removes an entry sends that request's
/// one response (the finished task, or `$/cancelRequest`).
pub(super) type InFlight = Arc<Mutex<HashMap<RequestId, InFlightRequest>>>;

pub(super) struct InFlightRequest {
    pub(super) cancel: CancellationToken,
    pub(super) partial: PartialResult,
    /// Set by [`Completion::commit`]: the handler has begun making its result
    /// permanent, so a `$/cancelRequest` from now on is too late and ignored.
    pub(super) committing: bool,
}

/// Lets a handler make a result permanent (e.g. append a turn to the
/// history) only if the request has not been cancelled, and keeps a late
/// `$/cancelRequest` from answering -32800 for work that did happen.
#[derive(Clone)]
pub struct Completion {
    pub(super) in_flight: InFlight,
    pub(super) id: RequestId,
}

impl Completion {
    /// Claims the request's answer for its result. Fails with -32800 when the
    /// request was cancelled already (its answer has been sent).
    pub fn commit(&self) -> Result<(), HostError> {
        match lock(&self.in_flight).get_mut(&self.id) {
            Some(request) => {
                request.committing = true;
                Ok(())
            }
            None => Err(HostError::Cancelled { partial: None }),
        }
    }
}

impl InFlightRequest {
    /// Cancels the request's task; the error that answers it instead.
    pub(super) fn cancel(self) -> HostError {
        self.cancel.cancel();
        HostError::Cancelled { partial: self.partial.take() }
    }
}
