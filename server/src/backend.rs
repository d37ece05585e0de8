//! Where sessions live: the embedded memory store, or Redis.

use serde_json::Value;
use session_core::{AsyncSessions, Error, ManualClock, MemoryStore, Sessions};
use session_core_redis::RedisStore;
use std::sync::Arc;

/// The store behind the server. Every route goes through [`Backend::call`], the core's JSON
/// entry point, so the server adds no session logic of its own.
#[derive(Clone)]
pub(crate) enum Backend {
    Memory(Arc<Sessions<MemoryStore>>),
    Redis(Arc<AsyncSessions<RedisStore>>),
}

/// The clock the tests drive (`--test-clock`), if any.
#[derive(Clone, Default)]
pub(crate) struct TestClock(pub(crate) Option<ManualClock>);

impl Backend {
    /// Runs operation `op` (a redis-sessions method name) with a JSON option object.
    pub(crate) async fn call(&self, op: &str, input: &Value) -> Result<Value, Error> {
        match self {
            Backend::Memory(s) => s.call(op, input),
            Backend::Redis(s) => s.call(op, input).await,
        }
    }

    /// Sessions currently held, when the store can say cheaply.
    pub(crate) fn live_sessions(&self) -> Option<usize> {
        match self {
            Backend::Memory(s) => Some(s.store().record_count()),
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
