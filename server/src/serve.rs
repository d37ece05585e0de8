//! The connection loop: HTTP/1.1 on hyper, with what `axum::serve` lacks.
//!
//! - **A header-read timeout**: a connection that has not sent a whole request head within
//!   `header_timeout` (counted from its start, or from the previous answer on a kept-alive
//!   connection) is closed, so idle and slow ("slowloris") clients cannot hold sockets.
//! - **A head size cap**: a request head (request line and headers) over `head_limit` bytes
//!   gets hyper's `431` and the connection closes, so a connection holds at most that much
//!   of an unfinished head.
//! - **A connection cap**: at `max_connections`, each new connection closes the oldest
//!   connection a client holds without the server working for it: first the idle ones
//!   (waiting for a request head), then those waiting for a request body (or having an
//!   oversized one discarded), then those whose client does not read its answer. So a
//!   client cannot pin the cap at any stage of a request, and the process keeps file
//!   descriptors for new clients (a probe's `/ping`), its snapshot and its Redis connection.
//!   Only connections whose request is running (the store is working on it) are never
//!   closed; when all are, no more are accepted until one ends. When the process runs out of
//!   file descriptors anyway, the oldest such connection is closed too.
//! - **A shutdown deadline**: on the signal, the listener closes, idle connections close,
//!   requests in progress get `shutdown_timeout` to finish; then the connections left are
//!   dropped.
//!
//! Body timeouts are the handlers' (see `body::read_body`), because only they know when a
//! body is expected; the loop only learns from the request body when it is awaited.

use crate::log::log_line;
use axum::Router;
use axum::body::{Body, Bytes};
use http_body_util::BodyExt as _;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// The limits of the connection loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) header_timeout: Duration,
    /// The largest request head (request line and headers), in bytes; larger: 431.
    pub(crate) head_limit: usize,
    pub(crate) max_connections: usize,
    pub(crate) shutdown_timeout: Duration,
}

/// What the loop did at shutdown, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Drained {
    /// Connections still open at the deadline, dropped.
    pub(crate) dropped: usize,
}

/// Serves `router` on `listener` until `signal` resolves, then drains (see the module docs).
pub(crate) async fn run(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    signal: impl Future<Output = ()>,
) -> Drained {
    let registry = Arc::new(Registry::default());
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut signal = pin!(signal);
    let mut notices = Notices::default();
    loop {
        if registry.len() >= limits.max_connections && !registry.has_closable() {
            // Every connection has a request running: accept nothing until one ends.
            notices.note(&format!(
                "all {} connections (--max-connections) are busy; new ones wait",
                limits.max_connections
            ));
            tokio::select! {
                () = &mut signal => break,
                _ = tasks.join_next() => continue,
            }
        }
        tokio::select! {
            () = &mut signal => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let conn = registry.add();
                    let id = conn.id;
                    let task = connection(stream, router.clone(), limits, conn, stopped.clone());
                    tasks.spawn(task);
                    if registry.len() > limits.max_connections {
                        if let Some(phase) = registry.close_oldest(Some(id)) {
                            notices.note(&format!(
                                "{} connections open (--max-connections): closing the oldest \
                                 idle or stalled ones (the first: {})",
                                limits.max_connections,
                                phase.describe()
                            ));
                        }
                    }
                }
                Err(e) if out_of_descriptors(&e) => {
                    let closed = registry.close_oldest(None);
                    notices.note(&format!(
                        "cannot accept a connection ({e}) with {} open; {}",
                        registry.len(),
                        match closed {
                            Some(phase) => format!("closing the oldest ({})", phase.describe()),
                            None => "every one is busy".to_owned(),
                        }
                    ));
                    // Give the closed connection's task a moment to release its descriptor.
                    let pause = if closed.is_some() { 5 } else { 50 };
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                // The peer gave up before we accepted (ECONNABORTED and the like): next.
                Err(_) => {}
            }
        }
    }
    drop(listener);
    // Idle connections close at once; the others after their current answer.
    let _ = stop.send(true);
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_timeout, drain)
        .await
        .is_ok()
    {
        return Drained { dropped: 0 };
    }
    let dropped = tasks.len();
    tasks.shutdown().await;
    Drained { dropped }
}

/// EMFILE or ENFILE: the process (or the system) has no file descriptor left.
fn out_of_descriptors(e: &std::io::Error) -> bool {
    // 24: EMFILE, 23: ENFILE on Linux and the BSDs.
    matches!(e.raw_os_error(), Some(23 | 24))
}

/// One connection, served until it ends, the registry closes it, or shutdown drops it.
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    conn: Registered,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let state = conn.state.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        state.enter(Phase::Working);
        let req = req.map(|body| {
            Body::new(Tracked {
                inner: body,
                state: state.clone(),
            })
        });
        let mut router = router.clone();
        let sent = Sent(state.clone());
        async move {
            let response = tower_service::Service::call(&mut router, req).await?;
            sent.0.enter(Phase::Sending);
            // Sending until the answer is written (or the connection drops it).
            Ok::<_, std::convert::Infallible>(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _sent = &sent;
                    frame
                }))
            }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.head_limit);
    let mut http = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let mut draining = false;
    loop {
        tokio::select! {
            // Errors (a header timeout, a reset) end the connection; there is no one to tell.
            _ = http.as_mut() => break,
            () = conn.state.close.notified() => break,
            changed = stop.changed(), if !draining => {
                draining = true;
                if changed.is_ok() {
                    http.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Where a connection is in its request: what closing it to make room would cost, in the
/// order the cap closes them (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
enum Phase {
    /// Waiting for a request head (between requests, or not started): nothing is lost.
    Idle = 0,
    /// Waiting for a request's body (or discarding an oversized one): the operation has not
    /// run, so the client may send it again.
    Receiving = 1,
    /// The answer is ready but the client does not read it (a large listing).
    Sending = 2,
    /// The request is running: never closed to make room.
    Working = 3,
}

impl Phase {
    fn from_u8(n: u8) -> Self {
        match n {
            0 => Self::Idle,
            1 => Self::Receiving,
            2 => Self::Sending,
            _ => Self::Working,
        }
    }

    /// For the log.
    fn describe(self) -> &'static str {
        match self {
            Self::Idle => "an idle one",
            Self::Receiving => "one waiting for a request body",
            Self::Sending => "one whose client does not read its answer",
            Self::Working => "one with a request running",
        }
    }
}

/// A request body that tells the registry while it is awaited: `Receiving` from its first
/// poll until it ends (or is dropped unfinished), then `Working` again.
struct Tracked {
    inner: Incoming,
    state: Arc<ConnState>,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        self.state.change(Phase::Working, Phase::Receiving);
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let ended = match &polled {
            Poll::Ready(None | Some(Err(_))) => true,
            Poll::Ready(Some(Ok(_))) => self.inner.is_end_stream(),
            Poll::Pending => false,
        };
        if ended {
            self.state.change(Phase::Receiving, Phase::Working);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.state.change(Phase::Receiving, Phase::Working);
    }
}

/// Held by an answer's body: when it is dropped (written, or dropped with the connection),
/// the connection is idle again.
struct Sent(Arc<ConnState>);

impl Drop for Sent {
    fn drop(&mut self) {
        self.0.change(Phase::Sending, Phase::Idle);
    }
}

/// What the loop knows of one connection.
struct ConnState {
    /// A [`Phase`].
    phase: AtomicU8,
    /// Told when the loop closes the connection to make room.
    close: Notify,
}

impl Default for ConnState {
    fn default() -> Self {
        Self {
            phase: AtomicU8::new(Phase::Idle as u8),
            close: Notify::new(),
        }
    }
}

impl ConnState {
    fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Acquire))
    }

    fn enter(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Release);
    }

    /// Moves from `from` to `to`, only if the connection is in `from`.
    fn change(&self, from: Phase, to: Phase) {
        let _ =
            self.phase
                .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire);
    }
}

/// The open connections, oldest first.
#[derive(Default)]
struct Registry {
    conns: Mutex<(u64, BTreeMap<u64, Arc<ConnState>>)>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, (u64, BTreeMap<u64, Arc<ConnState>>)> {
        // The map is valid whatever a panicking holder did: each change is one insert or
        // remove.
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(self: &Arc<Self>) -> Registered {
        let state = Arc::new(ConnState::default());
        let mut guard = self.lock();
        let id = guard.0;
        guard.0 += 1;
        guard.1.insert(id, state.clone());
        Registered {
            id,
            state,
            registry: self.clone(),
        }
    }

    fn len(&self) -> usize {
        self.lock().1.len()
    }

    /// Whether a connection may be closed to make room (one without a request running).
    fn has_closable(&self) -> bool {
        self.lock().1.values().any(|c| c.phase() != Phase::Working)
    }

    /// Tells the connection that costs least to close (by [`Phase`], then the oldest) to
    /// close, and forgets it; `except` (the one just accepted) is kept. Its phase, or `None`
    /// when every other connection has a request running.
    fn close_oldest(&self, except: Option<u64>) -> Option<Phase> {
        let mut guard = self.lock();
        let mut chosen: Option<(Phase, u64)> = None;
        for (id, conn) in &guard.1 {
            let phase = conn.phase();
            if phase == Phase::Working || Some(*id) == except {
                continue;
            }
            if chosen.is_none_or(|(p, _)| phase < p) {
                chosen = Some((phase, *id));
                if phase == Phase::Idle {
                    break; // the oldest idle one: nothing costs less
                }
            }
        }
        let (phase, id) = chosen?;
        let conn = guard.1.remove(&id)?;
        conn.close.notify_one();
        Some(phase)
    }
}

/// A connection's place in the registry, given up when its task ends (or is dropped).
struct Registered {
    id: u64,
    state: Arc<ConnState>,
    registry: Arc<Registry>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.lock().1.remove(&self.id);
    }
}

/// Log lines about the cap, at most one every ten seconds (with how many were left out), so a
/// flood cannot flood the log too.
#[derive(Default)]
struct Notices {
    last: Option<Instant>,
    skipped: u64,
}

impl Notices {
    fn note(&mut self, message: &str) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(10))
        {
            self.skipped += 1;
            return;
        }
        let more = match self.skipped {
            0 => String::new(),
            n => format!(" ({n} more such events since the last message)"),
        };
        log_line!("session-core-server: {message}{more}");
        self.last = Some(now);
        self.skipped = 0;
    }
}

/// The default connection cap: the soft open-file limit less 64 descriptors kept for the
/// listener, the snapshot, Redis and the runtime; 1,024 where the limit is unknown.
pub(crate) fn default_max_connections() -> usize {
    #[cfg(unix)]
    {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        match limit.and_then(|n| usize::try_from(n).ok()) {
            Some(n) => n.saturating_sub(64).clamp(16, 1 << 20),
            None => 1 << 20,
        }
    }
    #[cfg(not(unix))]
    {
        1024
    }
}
