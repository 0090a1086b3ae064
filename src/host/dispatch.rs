//! Dispatch and lifecycle: the read loop hands every frame here, in order.
//! Nothing here awaits a handler: each request runs in its own task, and
//! notifications (which only change state) are handled before the next frame
//! is read. The one exception is `initialize`, which starts the session.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::LaunchConfig;
use super::handlers::{self, lifecycle};
use super::request::{Completion, InFlight, InFlightRequest, PartialResult, RequestContext};
use super::router::{Handler, Router};
use super::session::Session;
use crate::error::HostError;
use crate::protocol::{CancelParams, EmptyParams, method, parse_method_params, parse_params};
use crate::sync::lock;
use crate::transport::message::{self, Incoming, Rejected};
use crate::transport::{ClientHandle, Frame, RequestId};

pub(super) const EXIT_AFTER_SHUTDOWN: u8 = 0;
pub(super) const EXIT_WITHOUT_SHUTDOWN: u8 = 1;

/// Where the session is in the LSP lifecycle.
enum Phase {
    Uninitialized,
    Running(Arc<Session>),
    /// `shutdown` answered; only `exit` is accepted.
    ShutDown,
}

pub(super) struct Dispatcher {
    launch: Arc<LaunchConfig>,
    router: Arc<Router>,
    client: ClientHandle,
    phase: Phase,
    in_flight: InFlight,
    /// Parent of every request's token; cancelled when the session ends.
    root: CancellationToken,
    shutdown_received: bool,
    /// Requests handed to handlers so far (`RequestContext::arrival`).
    arrivals: u64,
}

impl Dispatcher {
    pub(super) fn new(launch: LaunchConfig, client: ClientHandle) -> Self {
        let mut router = Router::default();
        handlers::register(&mut router, &launch);
        Self {
            launch: Arc::new(launch),
            router: Arc::new(router),
            client,
            phase: Phase::Uninitialized,
            in_flight: Arc::default(),
            root: CancellationToken::new(),
            shutdown_received: false,
            arrivals: 0,
        }
    }

    /// Handles one frame; `Some(code)` when the client sent `exit`.
    pub(super) async fn on_frame(&mut self, frame: Frame) -> Option<u8> {
        match frame {
            Frame::Oversize { length } => {
                let error = HostError::InvalidRequest(format!(
                    "a message of {length} bytes exceeds the limit of {} bytes and was skipped; \
                     send smaller messages or raise --max-frame-bytes",
                    self.launch.max_frame_bytes
                ));
                self.client.respond_error(None, &error);
            }
            Frame::BadHeader(problem) => self.client.respond_error(None, &HostError::Parse(problem)),
            Frame::Body(body) => match message::parse(&body) {
                Ok(Incoming::Request { id, method, params }) => self.on_request(id, method, params).await,
                Ok(Incoming::Notification { method, params }) => return self.on_notification(&method, params),
                Ok(Incoming::Response { id, result }) => self.client.resolve(&id, result),
                Err(Rejected::Answer { id, error }) => self.client.respond_error(id.as_ref(), &error),
                Err(Rejected::Ignore(reason)) => tracing::warn!("ignored {reason}"),
            },
        }
        None
    }

    /// The exit code if the session ended now.
    pub(super) fn exit_code(&self) -> u8 {
        if self.shutdown_received { EXIT_AFTER_SHUTDOWN } else { EXIT_WITHOUT_SHUTDOWN }
    }

    /// Ends the session: every request in flight is cancelled and answered
    /// -32800, background work stops, and the connection closes.
    pub(super) fn stop(&mut self) {
        let cancelled: Vec<_> = lock(&self.in_flight).drain().collect();
        for (id, request) in cancelled {
            self.client.respond(&id, Err(request.cancel()));
        }
        self.root.cancel();
        self.client.close();
    }

    async fn on_request(&mut self, id: RequestId, method: String, params: Option<Value>) {
        if lock(&self.in_flight).contains_key(&id) {
            let error = HostError::InvalidRequest(format!(
                "id {id} is already used by a request in flight; give every request its own id"
            ));
            self.client.respond_error(Some(&id), &error);
            return;
        }
        match (&self.phase, method.as_str()) {
            (Phase::ShutDown, _) => {
                let error = HostError::InvalidRequest(format!(
                    "`{method}` arrived after `shutdown`; only the `exit` notification is accepted now"
                ));
                self.client.respond(&id, Err(error));
            }
            (Phase::Uninitialized, method::INITIALIZE) => self.initialize(id, params).await,
            (_, method::INITIALIZE) => {
                let error =
                    HostError::InvalidRequest("`initialize` was already received; send it once per session".into());
                self.client.respond(&id, Err(error));
            }
            (Phase::Uninitialized, _) => self.client.respond(&id, Err(HostError::NotInitialized)),
            (Phase::Running(_), method::SHUTDOWN) => {
                // No params; as for every method, an omitted `params`, `null`, `{}` and `[]` all say so.
                if let Err(error) = parse_method_params::<EmptyParams>(method::SHUTDOWN, params) {
                    self.client.respond(&id, Err(error));
                    return;
                }
                self.phase = Phase::ShutDown;
                self.shutdown_received = true;
                self.client.respond(&id, Ok(Value::Null));
            }
            (Phase::Running(session), _) => {
                let Some(handler) = self.router.get(&method) else {
                    self.client.respond(&id, Err(HostError::MethodNotFound(method)));
                    return;
                };
                let session = session.clone();
                self.spawn(id, method, params, handler, session);
            }
        }
    }

    /// `initialize` runs inline: LSP clients send nothing else until it is
    /// answered, and a client that pipelines requests behind it must find the
    /// session started rather than get -32002.
    async fn initialize(&mut self, id: RequestId, params: Option<Value>) {
        let outcome = match parse_method_params(method::INITIALIZE, params) {
            Ok(params) => lifecycle::initialize(&self.launch, &self.router, params, self.root.clone()).await,
            Err(error) => Err(error),
        };
        let result = outcome.and_then(|(session, result)| {
            self.phase = Phase::Running(session);
            serde_json::to_value(result)
                .map_err(|error| HostError::Internal(format!("the initialize result does not serialize: {error}")))
        });
        self.client.respond(&id, result);
    }

    /// Runs one request in its own task; it answers unless cancelled first.
    fn spawn(&mut self, id: RequestId, method: String, params: Option<Value>, handler: Handler, session: Arc<Session>) {
        let cancel = self.root.child_token();
        let partial = PartialResult::default();
        let request = InFlightRequest { cancel: cancel.clone(), partial: partial.clone(), committing: false };
        lock(&self.in_flight).insert(id.clone(), request);
        let completion = Completion { in_flight: self.in_flight.clone(), id: id.clone() };
        self.arrivals += 1;
        let arrival = self.arrivals;
        let context =
            RequestContext { id: id.clone(), partial, completion, client: self.client.clone(), session, arrival };
        let work = AssertUnwindSafe(handler(context, params)).catch_unwind();
        let in_flight = self.in_flight.clone();
        let client = self.client.clone();
        tokio::spawn(async move {
            let outcome = tokio::select! {
                biased;
                // Whoever cancelled has answered; dropping `work` stops the handler.
                () = cancel.cancelled() => return,
                outcome = work => outcome,
            };
            let result = outcome.unwrap_or_else(|_panic| {
                tracing::error!(%id, %method, "handler panicked");
                Err(HostError::Internal(format!("the handler of `{method}` failed unexpectedly; see the host's log")))
            });
            if lock(&in_flight).remove(&id).is_some() {
                client.respond(&id, result);
            }
        });
    }

    fn on_notification(&mut self, name: &str, params: Option<Value>) -> Option<u8> {
        if let (Phase::Running(session), Some(handler)) = (&self.phase, self.router.notification(name)) {
            handler(session, &self.client, params);
            return None;
        }
        match name {
            method::EXIT => return Some(self.exit_code()),
            method::INITIALIZED => tracing::debug!("client initialized"),
            method::CANCEL_REQUEST => self.cancel(params),
            // LSP: `$/` notifications the host does not know are ignored silently.
            other if other.starts_with("$/") => tracing::debug!(method = other, "ignored optional notification"),
            other => tracing::warn!(method = other, "ignored unknown notification"),
        }
        None
    }

    fn cancel(&mut self, params: Option<Value>) {
        let id = match parse_params::<CancelParams>(params).map(|params| params.id) {
            Ok(Value::String(id)) => RequestId::String(id),
            Ok(Value::Number(id)) => RequestId::Number(id),
            Ok(other) => return tracing::warn!(id = %other, "ignored $/cancelRequest: `id` is not a string or number"),
            Err(error) => return tracing::warn!(%error, "ignored a malformed $/cancelRequest"),
        };
        let request = {
            let mut in_flight = lock(&self.in_flight);
            match in_flight.get(&id) {
                None => return tracing::debug!(%id, "$/cancelRequest for a request no longer in flight"),
                Some(request) if request.committing => {
                    return tracing::debug!(%id, "$/cancelRequest too late: the request is committing its result");
                }
                Some(_) => in_flight.remove(&id).expect("the entry was just seen under the same lock"),
            }
        };
        self.client.respond(&id, Err(request.cancel()));
    }
}
