//! The connection loop: HTTP/1.1 on hyper, with what `axum::serve` lacks.
//!
//! - **A header-read timeout**: a connection that has not sent a whole request head within
//!   `header_timeout` (counted from its start, or from the previous answer on a kept-alive
//!   connection) is closed, so idle and slow ("slowloris") clients cannot hold sockets.
//! - **A connection cap**: at `max_connections`, each new connection closes the oldest idle
//!   one (no request in progress), so the process keeps file descriptors for new clients,
//!   its snapshot and its Redis connection. When every connection is busy, no more are
//!   accepted until one ends. When the process runs out of file descriptors anyway, the
//!   oldest idle connection is closed too.
//! - **A shutdown deadline**: on the signal, the listener closes, idle connections close,
//!   requests in progress get `shutdown_timeout` to finish; then the connections left are
//!   dropped.
//!
//! Body timeouts are the handlers' (see `routes::read_body`), because only they know when a
//! body is expected.

use crate::log::log_line;
use axum::Router;
use axum::body::Body;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// The limits of the connection loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) header_timeout: Duration,
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
        if registry.len() >= limits.max_connections && !registry.has_idle() {
            // Every connection is busy: accept nothing until one ends.
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
                    let task = connection(stream, router.clone(), limits.header_timeout, conn, stopped.clone());
                    tasks.spawn(task);
                    if registry.len() > limits.max_connections && registry.close_oldest_idle() {
                        notices.note(&format!(
                            "{} connections open (--max-connections): closing the oldest idle ones",
                            limits.max_connections
                        ));
                    }
                }
                Err(e) if out_of_descriptors(&e) => {
                    let closed = registry.close_oldest_idle();
                    notices.note(&format!(
                        "cannot accept a connection ({e}) with {} open; {}",
                        registry.len(),
                        if closed { "closing the oldest idle one" } else { "every one is busy" }
                    ));
                    // Give the closed connection's task a moment to release its descriptor.
                    tokio::time::sleep(Duration::from_millis(if closed { 5 } else { 50 })).await;
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
    header_timeout: Duration,
    conn: Registered,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let busy = conn.state.busy.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let guard = Busy::enter(busy.clone());
        let mut router = router.clone();
        async move {
            let response = tower_service::Service::call(&mut router, req).await?;
            // Busy until the answer is written (or the connection drops it).
            Ok::<_, std::convert::Infallible>(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _busy = &guard;
                    frame
                }))
            }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
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

/// Counts a request in progress on a connection while it lives.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn enter(counter: Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        Self(counter)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the loop knows of one connection.
#[derive(Default)]
struct ConnState {
    /// Requests in progress (0: idle, between requests or waiting for a head).
    busy: Arc<AtomicUsize>,
    /// Told when the loop closes the connection to make room.
    close: Notify,
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

    fn has_idle(&self) -> bool {
        self.lock()
            .1
            .values()
            .any(|c| c.busy.load(Ordering::Acquire) == 0)
    }

    /// Tells the oldest idle connection to close and forgets it; false if none is idle.
    fn close_oldest_idle(&self) -> bool {
        let mut guard = self.lock();
        let oldest = guard
            .1
            .iter()
            .find(|(_, c)| c.busy.load(Ordering::Acquire) == 0)
            .map(|(id, _)| *id);
        match oldest.and_then(|id| guard.1.remove(&id)) {
            Some(conn) => {
                conn.close.notify_one();
                true
            }
            None => false,
        }
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
