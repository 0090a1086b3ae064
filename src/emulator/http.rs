//! The HTTP/1.1 server under the router: its own accept loop, so that no client can hold the
//! emulator's sockets (and, in-process, the host's file descriptors) for ever.
//!
//! - **Connection cap**: at most `max_connections` connections are served at once; one accepted
//!   beyond that is closed at once, unanswered, and the emulator keeps serving the others.
//! - **Header timeout**: a connection must deliver a whole request head within `header_timeout`
//!   of its first byte (or of being accepted, for a new connection).
//! - **Idle timeout**: a keep-alive connection with no request in progress is closed after
//!   `idle_timeout` of silence; a request body must also arrive within it (`server.rs`).
//!
//! A request counts as in progress from the moment its head is parsed until its response body
//! (a stream, possibly) has been sent or dropped.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// How the server bounds its connections (docs/emulator.md "Connections").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections served at once; further ones are closed unanswered.
    pub max_connections: usize,
    /// Longest wait for a whole request head, from its first byte (or the connection's accept).
    pub header_timeout: Duration,
    /// Longest silence of a connection with no request in progress; also bounds a request body.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    /// 512 connections, 10 s for a request head, 60 s idle.
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Where a connection is between requests.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for (the rest of) a request head since this instant.
    Head(Instant),
    /// `n` requests in progress (pipelined requests overlap only briefly).
    Busy(usize),
    /// Nothing in progress, nothing received, since this instant.
    Idle(Instant),
}

/// One connection's phase, shared by its socket wrapper, its service and its watchdog.
#[derive(Debug)]
struct Tracker(Mutex<Phase>);

impl Tracker {
    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Bytes arrived: an idle connection starts a request head.
    fn on_read(&self) {
        let mut phase = self.phase();
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(Instant::now());
        }
    }

    fn request_started(self: &Arc<Self>) -> InProgress {
        let mut phase = self.phase();
        *phase = match *phase {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        };
        InProgress(Arc::clone(self))
    }

    /// When the connection is to be closed if nothing changes, `None` while a request is in progress.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        match *self.phase() {
            Phase::Head(since) => Some(since + limits.header_timeout),
            Phase::Idle(since) => Some(since + limits.idle_timeout),
            Phase::Busy(_) => None,
        }
    }
}

/// A request in progress; dropped when its response body is done (sent, failed or abandoned).
struct InProgress(Arc<Tracker>);

impl Drop for InProgress {
    fn drop(&mut self) {
        let mut phase = self.0.phase();
        *phase = match *phase {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(Instant::now()),
        };
    }
}

/// The socket, telling the tracker when bytes arrive.
struct TrackedStream {
    inner: TcpStream,
    tracker: Arc<Tracker>,
}

impl AsyncRead for TrackedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.tracker.on_read();
        }
        polled
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A response body that keeps its request in progress until it is done.
struct TrackedBody {
    inner: Body,
    _in_progress: InProgress,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `router` on `listener` until `stop` is cancelled, then lets the connections finish their
/// answers (the caller bounds how long: dropping this future aborts them).
pub async fn serve(listener: TcpListener, router: Router, limits: ConnectionLimits, stop: CancellationToken) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    let mut last_refusal_logged: Option<Instant> = None;
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors (or a connection reset before it was accepted): wait a
                // little instead of spinning; connections closing will free descriptors.
                tracing::warn!(%error, "the emulator could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            drop(stream);
            // One line a second at most: a flood of connections must not flood the log too.
            if last_refusal_logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                last_refusal_logged = Some(Instant::now());
                tracing::warn!(%peer, max = limits.max_connections, "connection closed: the emulator's connection cap is reached");
            }
            continue;
        };
        // Small event-stream frames must leave at once, not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let stop = stop.clone();
        connections.spawn(async move {
            serve_connection(stream, router, limits, stop).await;
            drop(permit);
        });
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(stream: TcpStream, router: Router, limits: ConnectionLimits, stop: CancellationToken) {
    let tracker = Arc::new(Tracker(Mutex::new(Phase::Head(Instant::now()))));
    let io = TokioIo::new(TrackedStream { inner: stream, tracker: Arc::clone(&tracker) });
    let service_tracker = Arc::clone(&tracker);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let in_progress = service_tracker.request_started();
        let router = router.clone();
        async move {
            let response: Response =
                router.oneshot(request.map(Body::new)).await.unwrap_or_else(|never| match never {});
            Ok::<_, Infallible>(response.map(|body| Body::new(TrackedBody { inner: body, _in_progress: in_progress })))
        }
    });
    // HTTP/1.1 and HTTP/2 with prior knowledge (the AWS SDK for JavaScript speaks h2c to a plain
    // http:// endpoint), as axum's own server does. hyper's header timer is off: the watchdog below
    // keeps both timeouts.
    let mut builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder.http1().keep_alive(true).header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    // The watchdog looks at least this often, so a phase change never delays a deadline by more.
    let tick =
        (limits.header_timeout.min(limits.idle_timeout) / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut stopping = false;
    loop {
        let next_look = Instant::now() + tick;
        let wake = tracker.deadline(&limits).map_or(next_look, |deadline| deadline.min(next_look));
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "an emulator connection ended with an error");
                }
                return;
            }
            () = stop.cancelled(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(wake) => {
                // The phase may have moved on since the deadline was read: close only if it still holds.
                if tracker.deadline(&limits).is_some_and(|deadline| deadline <= Instant::now()) {
                    tracing::debug!("an emulator connection timed out (request head or idle)");
                    return;
                }
            }
        }
    }
}
