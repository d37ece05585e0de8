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
#[derive(Clone)]
pub struct RedisConfig {
    pub(crate) target: Target,
    pub(crate) namespace: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) command_timeout: Duration,
    pub(crate) reconnect_retries: usize,
    pub(crate) conflict_backoff: Duration,
    pub(crate) record_cache: usize,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) tls: Tls,
    /// `WAIT` after writes: how many replicas, for how long.
    pub(crate) wait: Option<(u32, Duration)>,
}

/// What TLS trusts and presents, beyond the URL's `rediss://`.
#[derive(Clone, Default)]
pub(crate) struct Tls {
    /// PEM: the only CAs trusted (instead of the system's roots).
    pub(crate) ca: Option<Vec<u8>>,
    /// PEM: a client certificate (chain) and its private key, for servers that ask for one.
    pub(crate) client: Option<(Vec<u8>, Vec<u8>)>,
}

impl Tls {
    pub(crate) fn is_set(&self) -> bool {
        self.ca.is_some() || self.client.is_some()
    }
}

/// A single server, a cluster, or the master Sentinel names (a `redis+sentinel://` URL).
#[derive(Clone)]
pub(crate) enum Target {
    Single(String),
    Cluster(Vec<String>),
    Sentinel(String),
}

/// Never prints a password (in a URL or given alone) or a private key.
impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls: Vec<String> = match &self.target {
            Target::Single(url) | Target::Sentinel(url) => vec![redact(url)],
            Target::Cluster(nodes) => nodes.iter().map(|n| redact(n)).collect(),
        };
        f.debug_struct("RedisConfig")
            .field("urls", &urls)
            .field("namespace", &self.namespace)
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .field("reconnect_retries", &self.reconnect_retries)
            .field("conflict_backoff", &self.conflict_backoff)
            .field("record_cache", &self.record_cache)
            .field("wait", &self.wait)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("tls_ca", &self.tls.ca.as_ref().map(|pem| pem.len()))
            .field(
                "tls_client_cert",
                &self.tls.client.as_ref().map(|_| "<key redacted>"),
            )
            .finish()
    }
}

/// A URL with its password (if any) replaced by `<redacted>`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let password = if userinfo.contains(':') {
                ":<redacted>"
            } else {
                ""
            };
            format!("{scheme}://{user}{password}@{host}{}", &rest[end..])
        }
        None => url.to_owned(),
    }
}

impl RedisConfig {
    /// One Redis (or Valkey) server: `redis://[user:password@]host:port/db`, or
    /// `rediss://…` for TLS. Over TLS the server's certificate is verified: against the
    /// system's root certificates, or only against [`RedisConfig::tls_ca`] when given; the
    /// host name in the URL must be one the certificate names.
    ///
    /// The store speaks RESP3 (Redis 6 and later), so that it notices at once when Redis
    /// closes the connection and reconnects before the next call needs it. Add
    /// `?protocol=resp2` to the URL for servers older than Redis 6.
    ///
    /// A `redis+sentinel://` URL names a master through Sentinel instead: see
    /// [`RedisConfig::sentinel`].
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        if crate::sentinel::is_sentinel_url(&url) {
            return Self::with_target(Target::Sentinel(url));
        }
        Self::with_target(Target::Single(url))
    }

    /// The master named `master` (as in the sentinels' `sentinel monitor <master> …`), found
    /// by asking these sentinels (`host:port`), in order; the same as the URL
    /// `redis+sentinel://host:port[,host:port…]/master[/db]`, whose user and password (or
    /// [`RedisConfig::username`] and [`RedisConfig::password`]) log in to the master (the
    /// sentinels are asked without credentials, in plain text).
    ///
    /// The store follows a failover without a restart: when a call fails or times out, it
    /// asks the sentinels again, and once they name a new master it connects there and drops
    /// its cached records. Calls fail with `storeError` until then; see
    /// [`RedisConfig::wait_replicas`] for writes that a promoted replica must have.
    ///
    /// ```
    /// use session_core_redis::RedisConfig;
    ///
    /// let a = RedisConfig::sentinel(["10.0.0.1:26379", "10.0.0.2:26379"], "mymaster");
    /// let b = RedisConfig::new("redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster");
    /// assert_eq!(format!("{a:?}"), format!("{b:?}"));
    /// ```
    pub fn sentinel<I, S>(sentinels: I, master: &str) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let hosts: Vec<String> = sentinels.into_iter().map(Into::into).collect();
        Self::with_target(Target::Sentinel(format!(
            "redis+sentinel://{}/{master}",
            hosts.join(",")
        )))
    }

    /// After each batch that writes, wait until `replicas` replicas have acknowledged it
    /// (Redis's `WAIT`), for at most `timeout`; fewer in time fails the call with
    /// `storeError` (the write was applied on the master, and may be lost in a failover).
    /// With 1 and one replica, a write the store acknowledged survives the master's loss when
    /// Sentinel promotes that replica. Costs a round trip per write. Default: 0, no wait.
    pub fn wait_replicas(mut self, replicas: u32, timeout: Duration) -> Self {
        self.wait = (replicas > 0).then_some((replicas, timeout));
        self
    }

    /// A client of this server (a cluster's first node) with the credentials and TLS settings
    /// given, for connections of the caller's own, such as a pub/sub subscriber; it speaks the
    /// protocol the URL says (RESP2 unless `?protocol=resp3`). Fails for a URL or TLS
    /// material that cannot be used, as connecting would.
    pub fn pubsub_client(&self) -> Result<redis::Client, ConnectError> {
        crate::connection::pubsub_client(self)
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
            username: None,
            password: None,
            tls: Tls::default(),
            wait: None,
        }
    }

    /// The user to log in as (a Redis 6 ACL user), instead of the URL's (`redis://user:…@`)
    /// or the default user.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The password, instead of the URL's (`redis://:password@…`). It never appears in error
    /// messages or in `Debug` output; prefer it to a URL that may be logged.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// TLS (`rediss://` only): trust only the CA certificates in `pem` (one or more PEM
    /// `CERTIFICATE` blocks) to verify the server, instead of the system's root
    /// certificates. For a private CA, or a self-signed server certificate.
    pub fn tls_ca(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.ca = Some(pem.into());
        self
    }

    /// TLS (`rediss://` only): present this client certificate (PEM, the certificate then
    /// any intermediates) with its private key (PEM: PKCS#8, PKCS#1 or SEC1), for servers that
    /// authenticate clients (`tls-auth-clients yes`).
    pub fn tls_client_cert(
        mut self,
        cert_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls.client = Some((cert_pem.into(), key_pem.into()));
        self
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
    /// The configuration is invalid (the namespace, a URL, a certificate or key that does not
    /// parse, TLS settings without `rediss://`).
    Config(String),
    /// Redis refused the credentials: a wrong password, an unknown or disabled user, or no
    /// password where one is required. The message names the server and the user, never the
    /// password. Waiting does not help: the configuration (or Redis's ACL) must change.
    Auth(String),
    /// The TLS connection failed: the server's certificate is not trusted or not valid for
    /// the host name, the port does not speak TLS, or the server wants a client certificate.
    /// The message names the server and says which.
    Tls(String),
    /// Redis could not be reached (down, refused, timed out), or failed otherwise.
    Redis(redis::RedisError),
}

impl ConnectError {
    /// Whether the failure may go away by itself (Redis not started yet, restarting, or
    /// unreachable for now), rather than needing a change of configuration.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Config(_) | Self::Auth(_) | Self::Tls(_) => false,
            Self::Redis(e) => {
                e.is_io_error()
                    || e.is_connection_refusal()
                    || e.is_timeout()
                    || e.is_connection_dropped()
            }
        }
    }
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
            Self::Auth(m) | Self::Tls(m) => write!(f, "cannot connect to {m}"),
            Self::Redis(e) => write!(f, "cannot connect to Redis: {e}"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(_) | Self::Auth(_) | Self::Tls(_) => None,
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
    fn passwords_and_keys_are_never_printed() {
        let config = RedisConfig::new("rediss://app:hunter2@redis.internal:6380/2?protocol=resp2")
            .password("s3cret")
            .tls_client_cert("CERT", "PRIVATE KEY");
        let debug = format!("{config:?}");
        for secret in ["hunter2", "s3cret", "PRIVATE KEY"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(
            debug.contains("rediss://app:<redacted>@redis.internal:6380/2?protocol=resp2"),
            "{debug}"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redact("redis://:pw@h:1"), "redis://:<redacted>@h:1");
        assert_eq!(redact("redis://user@h:1/0"), "redis://user@h:1/0");
        assert_eq!(redact("redis://u:p@ss@h:1"), "redis://u:<redacted>@h:1");
    }

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
