//! [`RedisStore`]: the [`AsyncStore`] over Redis.

use crate::cache::Records;
use crate::config::{ConnectError, RedisConfig, check_namespace};
use crate::connection::{self, Connection};
use crate::registry::Registered;
use crate::reply::{self, Outcome};
use crate::script::{self, Encoded};
use session_core::Key;
use session_core::store::{ApplyError, AsyncStore, Batch, Command, Member, Reply};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
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
    /// The user it logs in as, and whether over TLS (to explain refusals after a reconnect).
    user: Arc<str>,
    tls: bool,
    namespace: Arc<str>,
    timeout: Duration,
    backoff: Duration,
    /// `WAIT` after writes (see [`RedisConfig::wait_replicas`]).
    wait: Option<(u32, Duration)>,
    /// What this namespace's clones share: the record cache and the app registry's state.
    inner: Arc<Shared>,
    /// How many times the connection was lost (see [`Records`]).
    losses: Arc<AtomicU64>,
}

/// The state of one namespace of a store, shared by its clones.
struct Shared {
    records: Records,
    registered: Registered,
    /// The capacity `records` was made with (a new namespace gets a cache of its own).
    capacity: usize,
}

impl Shared {
    fn new(capacity: usize, losses: Arc<AtomicU64>) -> Arc<Self> {
        Arc::new(Self {
            records: Records::new(capacity, losses),
            registered: Registered::default(),
            capacity,
        })
    }
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
        let (shared, peer) = Connection::open(&config).await?;
        Ok(Self {
            conn: shared.conn,
            name: peer.name.into(),
            user: peer.user.into(),
            tls: peer.tls,
            namespace: config.namespace.into(),
            timeout: config.command_timeout,
            backoff: config.conflict_backoff,
            wait: config.wait,
            inner: Shared::new(config.record_cache, shared.losses.clone()),
            losses: shared.losses,
        })
    }

    /// The same connection under another key namespace: two namespaces in one Redis never see
    /// each other's sessions.
    pub fn with_namespace(&self, namespace: &str) -> Result<Self, ConnectError> {
        check_namespace(namespace)?;
        Ok(Self {
            namespace: namespace.into(),
            inner: Shared::new(self.inner.capacity, self.losses.clone()),
            ..self.clone()
        })
    }

    /// The prefix of every key this store writes.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn timed_out(&self) -> ApplyError {
        self.conn.suspect();
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
        } else if let Some(failure) = connection::explain(name, &self.user, self.tls, e) {
            // A reconnection refused: the password or the certificate changed meanwhile.
            failure.message()
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
        match batch.as_slice() {
            [] => return Ok(Vec::new()),
            // A read the operation validates with a versioned write: a cached copy will do.
            [Command::Get { key, cached: true }] => {
                if let Some(stored) = self.inner.records.get(key) {
                    return Ok(vec![Reply::Record(Some(stored))]);
                }
            }
            // The registry only needs to learn of an app once in a while.
            [
                Command::ZAdd {
                    key: Key::Apps,
                    member: Member::App(app),
                    ..
                },
            ] if self.inner.registered.recently(*app) => return Ok(vec![Reply::Done]),
            _ => {}
        }
        // Bad batches are refused here, before anything is sent.
        let encoded = script::encode(&self.namespace, &batch)?;
        let result = self.send(&batch, &encoded).await;
        match result {
            Ok(Outcome::Applied(replies, written)) => {
                self.inner.records.learn(&batch, &replies, &written);
                if let [
                    Command::ZAdd {
                        member: Member::App(app),
                        key: Key::Apps,
                        ..
                    },
                ] = batch.as_slice()
                {
                    self.inner.registered.note(*app);
                }
                Ok(replies)
            }
            Ok(Outcome::Conflict(current)) => {
                let current = current
                    .into_iter()
                    .filter_map(|(k, stored)| Some((encoded.sources.get(k)?, stored)))
                    .collect();
                let raced = self.inner.records.learn_conflict(current);
                if raced {
                    // Another process won a race on a copy that was fresh: let the contenders
                    // spread out before the core retries, so that one hot session does not
                    // exhaust its retries, and read afresh then (the copy the conflict
                    // brought is older than the wait). A conflict on a stale cached copy
                    // retries at once, with the copy the conflict brought.
                    if !self.backoff.is_zero() {
                        tokio::time::sleep(jitter(self.backoff)).await;
                    }
                    self.inner.records.forget(&batch);
                }
                Err(ApplyError::Conflict)
            }
            Err(e) => {
                // The batch may or may not have been applied, and the server may be another
                // one by the next call: no copy can be trusted now.
                self.inner.records.clear();
                Err(e)
            }
        }
    }
}

impl RedisStore {
    /// Sends one encoded batch: a lone record read as a plain `GET`, anything else as the
    /// script.
    async fn send(&self, batch: &Batch, encoded: &Encoded) -> Result<Outcome, ApplyError> {
        if let [Command::Get { .. }] = batch.as_slice() {
            // Atomic as one plain command: no script, which costs Redis several times more CPU.
            let mut cmd = redis::cmd("GET");
            cmd.arg(encoded.keys[0].as_str());
            let value = tokio::time::timeout(self.timeout, self.conn.query(&cmd))
                .await
                .map_err(|_| self.timed_out())?
                .map_err(|e| self.store_error(&e))?;
            let record = reply::record(value)?;
            return Ok(Outcome::Applied(vec![Reply::Record(record)], Vec::new()));
        }
        let cmd = encoded.eval_cmd();
        let value = tokio::time::timeout(self.timeout, self.conn.eval(&cmd))
            .await
            .map_err(|_| self.timed_out())?
            .map_err(|e| self.store_error(&e))?;
        let outcome = reply::decode(value, &encoded.shapes)?;
        if let (Some(wait), Outcome::Applied(..)) = (self.wait, &outcome)
            && batch.iter().any(writes)
        {
            self.wait_for_replicas(wait).await?;
        }
        Ok(outcome)
    }

    /// `WAIT replicas timeout` on the connection that sent the write; fewer replicas than
    /// asked fail the call (the write was applied on the master only).
    async fn wait_for_replicas(
        &self,
        (replicas, timeout): (u32, Duration),
    ) -> Result<(), ApplyError> {
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let mut cmd = redis::cmd("WAIT");
        cmd.arg(replicas).arg(millis);
        let value = tokio::time::timeout(self.timeout + timeout, self.conn.query(&cmd))
            .await
            .map_err(|_| self.timed_out())?
            .map_err(|e| self.store_error(&e))?;
        match value {
            redis::Value::Int(n) if n >= i64::from(replicas) => Ok(()),
            redis::Value::Int(n) => Err(ApplyError::Store(format!(
                "{} applied the write, but only {n} of {replicas} replicas acknowledged it \
                 within {millis} ms (WAIT)",
                self.name
            ))),
            other => Err(ApplyError::Store(format!(
                "{} answered WAIT with {other:?}",
                self.name
            ))),
        }
    }
}

/// Whether a command changes what Redis holds.
fn writes(cmd: &Command) -> bool {
    !matches!(
        cmd,
        Command::Get { .. } | Command::ZRange { .. } | Command::ZCount { .. }
    )
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
