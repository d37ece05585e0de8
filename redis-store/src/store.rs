//! [`RedisStore`]: the [`AsyncStore`] over Redis.

use crate::config::{ConnectError, RedisConfig, check_namespace};
use crate::connection::Connection;
use crate::{reply, script};
use redis::Value;
use session_core::store::{ApplyError, AsyncStore, Batch, Command, Reply};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Sessions in Redis (or Valkey): a single server or a cluster, each batch applied all or
/// nothing by one Lua script.
///
/// Use it with [`AsyncSessions`](session_core::AsyncSessions) on a Tokio runtime (with IO and
/// time enabled, as `#[tokio::main]` does). Clones are cheap and share one multiplexed
/// connection, which every concurrent call pipelines into; after Redis restarts, the
/// connection is re-established in the background and calls succeed again.
///
/// A call that cannot reach Redis, times out, or meets data it does not understand fails
/// with `storeError` and a message that says what happened; it never panics.
///
/// ```no_run
/// use session_core::{AsyncSessions, Create};
/// use session_core_redis::RedisStore;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let sessions = AsyncSessions::new(RedisStore::connect("redis://127.0.0.1:6379/0").await?);
/// let token = sessions.create(Create::new("shop", "u1", "10.0.0.1")).await?;
/// assert!(sessions.get("shop", token.as_str()).await?.is_some());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    conn: Connection,
    /// "Redis at host:port", for error messages.
    name: Arc<str>,
    namespace: Arc<str>,
    timeout: Duration,
    backoff: Duration,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("name", &self.name)
            .field("namespace", &self.namespace)
            .field("cluster", &self.conn.is_cluster())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RedisStore {
    /// Connects to one server (`redis://host:port/db`) with the default settings of
    /// [`RedisConfig`] (namespace `rs`).
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        RedisConfig::new(url).connect().await
    }

    /// Connects to a cluster through any of its nodes (`redis://host:port`), with the default
    /// settings of [`RedisConfig`].
    pub async fn connect_cluster<I, S>(nodes: I) -> Result<Self, ConnectError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RedisConfig::cluster(nodes).connect().await
    }

    pub(crate) async fn from_config(config: RedisConfig) -> Result<Self, ConnectError> {
        check_namespace(&config.namespace)?;
        let (conn, name) = Connection::open(&config).await?;
        Ok(Self {
            conn,
            name: name.into(),
            namespace: config.namespace.into(),
            timeout: config.command_timeout,
            backoff: config.conflict_backoff,
        })
    }

    /// The same connection under another key namespace: two namespaces in one Redis never see
    /// each other's sessions.
    pub fn with_namespace(&self, namespace: &str) -> Result<Self, ConnectError> {
        check_namespace(namespace)?;
        Ok(Self {
            namespace: namespace.into(),
            ..self.clone()
        })
    }

    /// The prefix of every key this store writes.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn timed_out(&self) -> ApplyError {
        ApplyError::Store(format!(
            "{} did not answer within {} ms",
            self.name,
            self.timeout.as_millis()
        ))
    }

    /// A Redis error as the message of `storeError`.
    fn store_error(&self, e: &redis::RedisError) -> ApplyError {
        let name = &self.name;
        ApplyError::Store(if e.code() == Some("SESSIONCORE") {
            let detail = e.detail().unwrap_or("the batch was refused");
            format!("{name} refused the batch: {detail}")
        } else if e.is_timeout() {
            return self.timed_out();
        } else if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
            format!("{name} is unreachable: {e}")
        } else {
            format!("{name} failed: {e}")
        })
    }

    /// Whether this store talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.conn.is_cluster()
    }
}

impl AsyncStore for RedisStore {
    async fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        // Bad batches are refused here, before anything is sent.
        let encoded = script::encode(&self.namespace, &batch)?;
        if let [Command::Get { key }] = batch.as_slice() {
            // A lone record read (the first step of every get, set and touch) is atomic as one
            // plain command: no script, which costs Redis several times more CPU.
            let mut cmd = redis::cmd("HMGET");
            cmd.arg(key.render(&self.namespace)).arg("v").arg("b");
            let value = tokio::time::timeout(self.timeout, self.conn.query(&cmd))
                .await
                .map_err(|_| self.timed_out())?
                .map_err(|e| self.store_error(&e))?;
            // A missing hash answers [nil, nil]; the script answers nil for it.
            let value = match value {
                Value::Array(fields) if matches!(fields.first(), Some(Value::Nil)) => Value::Nil,
                other => other,
            };
            return reply::decode(Value::Array(vec![value]), &encoded.shapes);
        }
        let invocation = encoded.invocation();
        let value = tokio::time::timeout(self.timeout, self.conn.invoke(&invocation))
            .await
            .map_err(|_| self.timed_out())?
            .map_err(|e| self.store_error(&e))?;
        let replies = reply::decode(value, &encoded.shapes);
        if replies == Err(ApplyError::Conflict) && !self.backoff.is_zero() {
            // Another process won the race; let the contenders spread out before the core
            // retries from a fresh read, so that one hot session does not exhaust retries.
            tokio::time::sleep(jitter(self.backoff)).await;
        }
        replies
    }
}

/// A random duration in `0..max`.
fn jitter(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    // Each `RandomState` is freshly keyed: a cheap random number, no dependency.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let max = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX).max(1);
    Duration::from_nanos(random % max)
}
