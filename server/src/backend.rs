//! Where sessions live: the embedded memory store, or Redis.

use serde_json::Value;
use session_core::{AsyncSessions, Error, EventKind, ManualClock, MemoryStore, Sessions};
use session_core_redis::RedisStore;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The store behind the server. Every route goes through [`Backend::call`], the core's JSON
/// entry point, so the server adds no session logic of its own.
#[derive(Clone)]
pub(crate) enum Backend {
    Memory(Memory),
    Redis(Arc<AsyncSessions<RedisStore>>),
}

/// The memory store, with a count of the sessions it holds.
#[derive(Clone)]
pub(crate) struct Memory {
    pub(crate) sessions: Arc<Sessions<MemoryStore>>,
    /// Sessions held: the snapshot's count at start, plus `created`, less `destroyed` events.
    /// `/metrics` and `/health` read it instead of walking the store under its lock.
    live: Arc<AtomicI64>,
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
            };
        });
        Self {
            sessions: Arc::new(sessions),
            live,
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
    pub(crate) async fn call(&self, op: &str, input: &Value) -> Result<Value, Error> {
        match self {
            Backend::Memory(m) => m.sessions.call(op, input),
            Backend::Redis(s) => s.call(op, input).await,
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

    /// A short name for `/health`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }
}
