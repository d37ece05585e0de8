//! Where sessions live: the embedded memory store, or Redis.

use crate::log::log_line;
use crate::snapshot::Snapshots;
use serde_json::Value;
use session_core::store::{ApplyError, AsyncStore, Batch, Reply};
use session_core::{AsyncSessions, Error, EventKind, ManualClock, MemoryStore, Response, Sessions};
use session_core_redis::{ConnectError, RedisConfig, RedisStore};
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The store behind the server. Every route goes through [`Backend::call`], the core's JSON
/// entry point, so the server adds no session logic of its own.
#[derive(Clone)]
pub(crate) enum Backend {
    Memory(Memory),
    Redis(Arc<AsyncSessions<LazyRedis>>),
}

/// The memory store, with a count of the sessions it holds.
#[derive(Clone)]
pub(crate) struct Memory {
    pub(crate) sessions: Arc<Sessions<MemoryStore>>,
    /// Sessions held: the snapshot's count at start, plus `created`, less `destroyed` events.
    /// `/metrics` and `/health` read it instead of walking the store under its lock.
    live: Arc<AtomicI64>,
    /// The `--data` snapshots, if any: `/health` and `/metrics` report them.
    pub(crate) snapshots: Option<Arc<Snapshots>>,
}

impl Memory {
    /// A memory store whose session count follows its events; `configure` sets the clock and
    /// the sweeping policy.
    pub(crate) fn new(
        configure: impl FnOnce(Sessions<MemoryStore>) -> Sessions<MemoryStore>,
    ) -> Self {
        let live = Arc::new(AtomicI64::new(0));
        let count = live.clone();
        let sessions = configure(Sessions::new(MemoryStore::new())).on_event(move |e| {
            match e.kind {
                EventKind::Created => count.fetch_add(1, Ordering::Relaxed),
                EventKind::Destroyed(_) => count.fetch_sub(1, Ordering::Relaxed),
                // Kinds to come do not change how many sessions are held.
                _ => 0,
            };
        });
        Self {
            sessions: Arc::new(sessions),
            live,
            snapshots: None,
        }
    }

    /// Counts sessions loaded from a snapshot (they make no events).
    pub(crate) fn loaded(&self, n: usize) {
        self.live
            .fetch_add(i64::try_from(n).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Sessions held (live, or expired and not swept yet).
    pub(crate) fn count(&self) -> usize {
        usize::try_from(self.live.load(Ordering::Relaxed)).unwrap_or(0)
    }
}

/// The clock the tests drive (`--test-clock`), if any.
#[derive(Clone, Default)]
pub(crate) struct TestClock(pub(crate) Option<ManualClock>);

impl Backend {
    /// Runs operation `op` (a redis-sessions method name) with a JSON option object.
    pub(crate) async fn call(&self, op: &str, input: &Value) -> Result<Response, Error> {
        match self {
            Backend::Memory(m) => m.sessions.respond(op, input),
            Backend::Redis(s) => s.respond(op, input).await,
        }
    }

    /// Sessions currently held, when the store can say cheaply (Redis is shared with other
    /// processes: it cannot).
    pub(crate) fn live_sessions(&self) -> Option<usize> {
        match self {
            Backend::Memory(m) => Some(m.count()),
            Backend::Redis(_) => None,
        }
    }

    /// The `--data` snapshots, when the memory store has them.
    pub(crate) fn snapshots(&self) -> Option<&Snapshots> {
        match self {
            Backend::Memory(m) => m.snapshots.as_deref(),
            Backend::Redis(_) => None,
        }
    }

    /// A short name for `/health`: "memory", "redis" or "redis-cluster".
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Backend::Memory(_) => "memory",
            Backend::Redis(s) if s.store().0.cluster => "redis-cluster",
            Backend::Redis(_) => "redis",
        }
    }
}

/// The Redis store, once it has been reached. Until then every batch fails with a
/// `storeError` that says why (so routes answer 503), while a background task keeps trying;
/// after that, the store's own connection manager handles reconnections.
#[derive(Clone)]
pub(crate) struct LazyRedis(Arc<Lazy>);

struct Lazy {
    store: OnceLock<RedisStore>,
    /// Whether it is a Redis Cluster (`--redis-cluster`).
    cluster: bool,
    /// Why there is no store yet.
    waiting: Mutex<String>,
}

impl AsyncStore for LazyRedis {
    fn apply(&self, batch: Batch) -> impl Future<Output = Result<Vec<Reply>, ApplyError>> + Send {
        let lazy = self.0.clone();
        async move {
            match lazy.store.get() {
                Some(store) => store.apply(batch).await,
                None => Err(ApplyError::Store(
                    lazy.waiting
                        .lock()
                        .map(|w| w.clone())
                        .unwrap_or_else(|e| e.into_inner().clone()),
                )),
            }
        }
    }
}

/// Connects to Redis. A configuration error (a bad URL or namespace, TLS files that do not
/// parse) or a refusal (a wrong password, an untrusted certificate) fails at once; Redis
/// being unreachable does not: the store answers `storeError` until a background task reaches
/// it.
/// `flag` names the store's flag in messages (`--redis`, `--redis-cluster`).
pub(crate) async fn connect_redis(
    config: RedisConfig,
    flag: &'static str,
) -> Result<LazyRedis, String> {
    let cluster = flag == "--redis-cluster";
    let lazy = LazyRedis(Arc::new(Lazy {
        store: OnceLock::new(),
        cluster,
        waiting: Mutex::new(String::new()),
    }));
    let redis = if cluster {
        "the Redis Cluster"
    } else {
        "Redis"
    };
    match config.clone().connect().await {
        Ok(store) => {
            let _ = lazy.0.store.set(store);
            return Ok(lazy);
        }
        // A bad URL or namespace, a refused password or certificate: waiting will not help.
        Err(e) if !e.is_transient() => return Err(format!("{flag}: {e}")),
        Err(e) => {
            log_line!(
                "session-core-server: {flag}: {e}; serving 503 until {redis} answers (retrying \
                 in the background)"
            );
            set_waiting(&lazy, &e);
        }
    }
    let background = lazy.clone();
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(100);
        let mut last_log = Instant::now();
        loop {
            tokio::time::sleep(delay).await;
            match config.clone().connect().await {
                Ok(store) => {
                    let _ = background.0.store.set(store);
                    log_line!("session-core-server: connected to {redis}");
                    return;
                }
                Err(e) => {
                    set_waiting(&background, &e);
                    if last_log.elapsed() >= Duration::from_secs(60) {
                        log_line!("session-core-server: {flag}: still waiting: {e}");
                        last_log = Instant::now();
                    }
                }
            }
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    });
    Ok(lazy)
}

fn set_waiting(lazy: &LazyRedis, e: &ConnectError) {
    let why = format!("Redis has not been reached since the server started ({e})");
    match lazy.0.waiting.lock() {
        Ok(mut w) => *w = why,
        Err(poisoned) => *poisoned.into_inner() = why,
    }
}
