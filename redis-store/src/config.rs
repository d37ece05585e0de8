//! How to reach Redis: [`RedisConfig`], and [`ConnectError`] when it cannot be reached.

use crate::RedisStore;
use std::fmt;
use std::time::Duration;

/// The key namespace when none is given; redis-sessions' default, so existing deployments
/// keep their prefix.
pub const DEFAULT_NAMESPACE: &str = "rs";

/// How many session records a store caches unless told otherwise (see
/// [`RedisConfig::record_cache`]): about 7.5 MB.
pub const DEFAULT_RECORD_CACHE: usize = 50_000;

/// Where the store connects, and how it behaves when Redis misbehaves.
///
/// ```
/// use session_core_redis::RedisConfig;
/// use std::time::Duration;
///
/// let config = RedisConfig::new("redis://127.0.0.1:6379/0")
///     .namespace("myapp")
///     .command_timeout(Duration::from_secs(2));
/// assert_eq!(config.get_namespace(), "myapp");
/// ```
#[derive(Debug, Clone)]
pub struct RedisConfig {
    pub(crate) target: Target,
    pub(crate) namespace: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) command_timeout: Duration,
    pub(crate) reconnect_retries: usize,
    pub(crate) conflict_backoff: Duration,
    pub(crate) record_cache: usize,
}

/// A single server or a cluster.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Single(String),
    Cluster(Vec<String>),
}

impl RedisConfig {
    /// One Redis (or Valkey) server: `redis://[user:password@]host:port/db`. For
    /// `rediss://` (TLS), enable a TLS feature of the `redis` crate in your own manifest
    /// (for example `tokio-rustls-comp`).
    ///
    /// The store speaks RESP3 (Redis 6 and later), so that it notices at once when Redis
    /// closes the connection and reconnects before the next call needs it. Add
    /// `?protocol=resp2` to the URL for servers older than Redis 6.
    pub fn new(url: impl Into<String>) -> Self {
        Self::with_target(Target::Single(url.into()))
    }

    /// A Redis Cluster, found through any of these nodes (`redis://host:port`); the client
    /// discovers the others and follows slot migrations.
    pub fn cluster<I, S>(nodes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::with_target(Target::Cluster(nodes.into_iter().map(Into::into).collect()))
    }

    fn with_target(target: Target) -> Self {
        Self {
            target,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_secs(5),
            reconnect_retries: 2,
            conflict_backoff: Duration::from_millis(5),
            record_cache: DEFAULT_RECORD_CACHE,
        }
    }

    /// The prefix of every key (default [`DEFAULT_NAMESPACE`]): 1–64 characters, no braces
    /// (they would change the cluster hash tag), no spaces or control characters.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The namespace that will be used.
    pub fn get_namespace(&self) -> &str {
        &self.namespace
    }

    /// How long one attempt to open a connection may take (default 2 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one batch may take, waiting for a reconnection included (default 5 s). Past
    /// it the operation fails with `storeError`; the batch may or may not have been applied.
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// After the connection is lost, how many more connection attempts (with a short,
    /// jittered exponential backoff) a call waits for before it fails (default 2). The next
    /// call starts a new round, so the store recovers as soon as Redis is back.
    pub fn reconnect_retries(mut self, retries: usize) -> Self {
        self.reconnect_retries = retries;
        self
    }

    /// After a batch meets a version conflict (another process changed the session first),
    /// wait a random time below this before the core retries (default 5 ms; zero: retry at
    /// once). Contenders spread out instead of colliding again: measured on one session
    /// written by 8 processes × 8 tasks, conflicts drop by a third and no operation runs out
    /// of retries, while without it some do.
    pub fn conflict_backoff(mut self, max: Duration) -> Self {
        self.conflict_backoff = max;
        self
    }

    /// How many session records the store keeps to answer the first read of an operation
    /// without a round trip (default [`DEFAULT_RECORD_CACHE`]; 0 turns it off). The copies are
    /// kept coherent by versions: every operation that reads one writes on condition that the
    /// version is unchanged, so a copy another process made stale costs one more round trip,
    /// never a wrong answer. A record is about 150 bytes here.
    pub fn record_cache(mut self, records: usize) -> Self {
        self.record_cache = records;
        self
    }

    /// Connects and returns the store. Fails if the namespace is invalid or Redis cannot be
    /// reached now.
    pub async fn connect(self) -> Result<RedisStore, ConnectError> {
        RedisStore::from_config(self).await
    }
}

/// Checks a namespace against the rules of [`RedisConfig::namespace`].
pub(crate) fn check_namespace(namespace: &str) -> Result<(), ConnectError> {
    let chars = namespace.chars().count();
    let bad = namespace
        .chars()
        .find(|c| matches!(c, '{' | '}') || c.is_whitespace() || c.is_control());
    match bad {
        _ if !(1..=64).contains(&chars) => Err(ConnectError::config(format!(
            "the namespace must have 1 to 64 characters, not {chars}"
        ))),
        Some(c) => Err(ConnectError::config(format!(
            "the namespace {namespace:?} contains {c:?}; braces, spaces and control characters are not allowed"
        ))),
        None => Ok(()),
    }
}

/// Why a store could not be created.
#[derive(Debug)]
pub enum ConnectError {
    /// The configuration is invalid (the namespace, or a URL).
    Config(String),
    /// Redis could not be reached or refused the connection.
    Redis(redis::RedisError),
}

impl ConnectError {
    pub(crate) fn config(message: String) -> Self {
        Self::Config(message)
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(m) => write!(f, "invalid Redis store configuration: {m}"),
            Self::Redis(e) => write!(f, "cannot connect to Redis: {e}"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(_) => None,
            Self::Redis(e) => Some(e),
        }
    }
}

impl From<redis::RedisError> for ConnectError {
    fn from(e: redis::RedisError) -> Self {
        Self::Redis(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces() {
        assert!(check_namespace("rs").is_ok());
        assert!(check_namespace("my-app:sessions").is_ok());
        assert!(check_namespace("").is_err());
        assert!(check_namespace("a{b").is_err());
        assert!(check_namespace("a b").is_err());
        assert!(check_namespace(&"x".repeat(65)).is_err());
    }
}
