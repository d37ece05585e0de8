//! The shared connection: one multiplexed connection to a server (re-established after it
//! drops), or the cluster client's connections to every node.

use crate::config::{ConnectError, RedisConfig, Target, Tls, redact};
use crate::sentinel::Follower;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{
    ClientTlsConfig, ConnectionAddr, ConnectionInfo, ErrorKind, IntoConnectionInfo,
    ProtocolVersion, PushInfo, PushKind, RedisError, RedisResult, ServerErrorKind, TlsCertificates,
    Value,
};
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A handle on the shared connection, and a count of the times it was lost (a record cache
/// keyed to the server must be dropped then: the server may have restarted from older data,
/// or been replaced by a replica).
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) conn: Connection,
    pub(crate) losses: Arc<AtomicU64>,
}

/// Who the store talks to, as its error messages name it.
pub(crate) struct Peer {
    /// "Redis at host:port" (never the password).
    pub(crate) name: String,
    /// The user it logs in as.
    pub(crate) user: String,
    /// Whether it speaks TLS.
    pub(crate) tls: bool,
}

/// A handle on the connection; clones are cheap and share it.
#[derive(Clone)]
pub(crate) enum Connection {
    /// One server, through `ConnectionManager`: a multiplexed connection that every clone
    /// pipelines into, replaced in the background when it breaks.
    Single(ConnectionManager),
    /// A cluster: one multiplexed connection per node, routed by key slot.
    Cluster(ClusterConnection),
    /// The master that Sentinel names, followed across failovers.
    Sentinel(Arc<Follower>),
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Single(_) => "Connection::Single",
            Self::Cluster(_) => "Connection::Cluster",
            Self::Sentinel(_) => "Connection::Sentinel",
        })
    }
}

impl Connection {
    /// Connects as `config` says; also returns what it connected to, for error messages
    /// ("Redis at host:port", never the password).
    pub(crate) async fn open(config: &RedisConfig) -> Result<(Shared, Peer), ConnectError> {
        let losses = Arc::new(AtomicU64::new(0));
        match &config.target {
            Target::Single(url) => {
                let (manager, peer) =
                    single(url, config, config.reconnect_retries, &losses).await?;
                let conn = Self::Single(manager);
                Ok((Shared { conn, losses }, peer))
            }
            Target::Sentinel(url) => {
                let (follower, peer) = Follower::open(url, config, losses.clone()).await?;
                let conn = Self::Sentinel(Arc::new(follower));
                Ok((Shared { conn, losses }, peer))
            }
            Target::Cluster(nodes) => {
                if nodes.is_empty() {
                    return Err(ConnectError::config(
                        "a cluster needs at least one node URL".into(),
                    ));
                }
                // A node that is not a URL is a mistake in the configuration, named as such.
                let infos: Vec<ConnectionInfo> = nodes
                    .iter()
                    .map(|n| {
                        n.as_str().into_connection_info().map_err(|e| {
                            ConnectError::config(format!(
                                "the cluster node {:?} is not a Redis URL: {e}",
                                redact(n)
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                let tls = infos.iter().all(is_tls);
                let mut builder = ClusterClientBuilder::new(infos.iter().cloned())
                    .connection_timeout(config.connect_timeout)
                    .response_timeout(config.command_timeout);
                if let Some(username) = &config.username {
                    builder = builder.username(username);
                }
                if let Some(password) = &config.password {
                    builder = builder.password(password);
                }
                if config.tls.is_set() {
                    if let Some(plain) = nodes.iter().zip(&infos).find(|(_, i)| !is_tls(i)) {
                        return Err(tls_without_rediss(plain.0));
                    }
                    builder = builder.certs(certificates(&config.tls)?);
                }
                if tls {
                    install_crypto_provider();
                }
                let client = builder.build()?;
                let addrs: Vec<String> = infos.iter().map(|i| i.addr().to_string()).collect();
                let name = format!("the Redis Cluster at {}", addrs.join(", "));
                let user = config
                    .username
                    .clone()
                    .or_else(|| {
                        infos
                            .first()
                            .and_then(|i| Some(i.redis_settings().username()?.to_owned()))
                    })
                    .unwrap_or_else(|| "default".into());
                let conn = Self::Cluster(
                    client
                        .get_async_connection()
                        .await
                        .map_err(|e| connect_error(&name, &user, tls, e))?,
                );
                Ok((Shared { conn, losses }, Peer { name, user, tls }))
            }
        }
    }

    /// Runs the script's EVALSHA, and after NOSCRIPT loads the script and runs it again.
    pub(crate) async fn eval(&self, cmd: &redis::Cmd) -> RedisResult<Value> {
        match self.query(cmd).await {
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.query(&crate::script::load_cmd()).await?;
                self.query(cmd).await
            }
            other => other,
        }
    }

    /// Runs one plain command.
    pub(crate) async fn query(&self, cmd: &redis::Cmd) -> RedisResult<Value> {
        match self.clone() {
            Self::Single(c) => query_manager(&c, cmd).await,
            Self::Sentinel(f) => f.query(cmd).await,
            Self::Cluster(mut c) => cmd.query_async(&mut c).await,
        }
    }

    /// Tells the connection that a call got no answer in time: with Sentinel, the master may
    /// have been replaced, so the next call asks the sentinels first.
    pub(crate) fn suspect(&self) {
        if let Self::Sentinel(f) = self {
            f.suspect();
        }
    }

    /// Whether this is a cluster connection.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

/// A connection manager for one server (`url`) as `config` says, making `retries` more
/// connection attempts when a call finds the connection lost, counting in `losses` the times
/// its connection drops; and who it talks to.
pub(crate) async fn single(
    url: &str,
    config: &RedisConfig,
    retries: usize,
    losses: &Arc<AtomicU64>,
) -> Result<(ConnectionManager, Peer), ConnectError> {
    let info = with_credentials(resp3_unless_chosen(url)?, config);
    let resp3 = info.redis_settings().protocol() == ProtocolVersion::RESP3;
    let user = user_of(&info);
    let tls = is_tls(&info);
    let client = client_for(url, info, config)?;
    let name = format!("Redis at {}", client.get_connection_info().addr());
    let mut manager = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(config.connect_timeout))
        .set_response_timeout(Some(config.command_timeout))
        .set_number_of_retries(retries)
        .set_min_delay(RECONNECT_MIN_DELAY)
        .set_max_delay(Duration::from_secs(1));
    if resp3 {
        // Over RESP3 the connection is re-established without a call failing, so the loss is
        // counted here. (Over RESP2 a call fails first, and the store drops its cached records
        // on any failure.)
        let counter = losses.clone();
        manager = manager.set_push_sender(move |push: PushInfo| {
            if push.kind == PushKind::Disconnection {
                counter.fetch_add(1, Ordering::Release);
            }
            Ok::<(), Infallible>(())
        });
    }
    let addr = client.get_connection_info().addr().clone();
    match ConnectionManager::new_with_config(client, manager).await {
        Ok(manager) => Ok((manager, Peer { name, user, tls })),
        Err(e) if tls && e.is_timeout() => {
            Err(handshake_timeout(&name, &addr, config.connect_timeout, e).await)
        }
        Err(e) => Err(connect_error(&name, &user, tls, e)),
    }
}

/// Runs one command on a connection manager (see [`once_more_if_refused_at_once`]).
pub(crate) async fn query_manager(c: &ConnectionManager, cmd: &redis::Cmd) -> RedisResult<Value> {
    once_more_if_refused_at_once(|| {
        let mut c = c.clone();
        async move { cmd.query_async(&mut c).await }
    })
    .await
}

/// The shortest wait between two connection attempts of one reconnection.
const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(50);

/// Runs `attempt`, and once more if it was refused a connection at once.
///
/// `ConnectionManager` keeps the outcome of its last reconnection. Once every attempt of a
/// reconnection has failed (Redis was down), the next command gets that old refusal at once,
/// without trying, and only starts a new reconnection in the background: after Redis comes
/// back, the first call would fail although Redis is up. A refusal that comes back sooner
/// than a reconnection's first backoff is such an old outcome, so the command runs once
/// more, which waits for the new reconnection (and its retries): it succeeds if Redis is up,
/// and fails with a fresh error if it is not. A refusal that took longer came from an attempt
/// made during this call: Redis is down now, and the call fails without another round. A
/// refused connection never sent the command, so running it again cannot apply a batch twice.
async fn once_more_if_refused_at_once<F, Fut>(mut attempt: F) -> RedisResult<Value>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = RedisResult<Value>>,
{
    let started = Instant::now();
    match attempt().await {
        Err(e) if e.is_connection_refusal() && started.elapsed() < RECONNECT_MIN_DELAY => {
            attempt().await
        }
        outcome => outcome,
    }
}

/// The URL's connection settings, speaking RESP3 unless the URL chooses (`?protocol=resp2`).
/// Over RESP3 the server tells the client when the connection closes, so the connection is
/// re-established as soon as Redis restarts, not by the first call that fails after it.
fn resp3_unless_chosen(url: &str) -> RedisResult<ConnectionInfo> {
    let info = url.into_connection_info()?;
    let chosen = url
        .split_once('?')
        .is_some_and(|(_, query)| query.split('&').any(|kv| kv.starts_with("protocol=")));
    if chosen {
        return Ok(info);
    }
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    Ok(info.set_redis_settings(settings))
}

/// The URL's settings with the credentials given apart (they win over the URL's).
fn with_credentials(info: ConnectionInfo, config: &RedisConfig) -> ConnectionInfo {
    let mut settings = info.redis_settings().clone();
    if let Some(username) = &config.username {
        settings = settings.set_username(username);
    }
    if let Some(password) = &config.password {
        settings = settings.set_password(password);
    }
    info.set_redis_settings(settings)
}

/// The user a connection logs in as, for messages.
fn user_of(info: &ConnectionInfo) -> String {
    info.redis_settings()
        .username()
        .unwrap_or("default")
        .to_owned()
}

fn is_tls(info: &ConnectionInfo) -> bool {
    matches!(info.addr(), ConnectionAddr::TcpTls { .. })
}

fn tls_without_rediss(url: &str) -> ConnectError {
    ConnectError::config(format!(
        "a TLS CA or client certificate was given, but {} is not a TLS URL: use rediss://",
        redact(url)
    ))
}

/// Checks the PEM given for TLS and hands it to the client.
fn certificates(tls: &Tls) -> Result<TlsCertificates, ConnectError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let count = |pem: &[u8], what: &str| -> Result<(), ConnectError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConnectError::config(format!("the {what} is not valid PEM: {e}")))?;
        if certs.is_empty() {
            return Err(ConnectError::config(format!(
                "the {what} holds no certificate (no PEM block BEGIN CERTIFICATE)"
            )));
        }
        Ok(())
    };
    if let Some(ca) = &tls.ca {
        count(ca, "TLS CA certificate")?;
    }
    if let Some((cert, key)) = &tls.client {
        count(cert, "TLS client certificate")?;
        PrivateKeyDer::from_pem_slice(key).map_err(|e| {
            ConnectError::config(format!(
                "the TLS client key is not a PEM private key (PKCS#8, PKCS#1 or SEC1): {e}"
            ))
        })?;
    }
    Ok(TlsCertificates {
        client_tls: tls.client.as_ref().map(|(cert, key)| ClientTlsConfig {
            client_cert: cert.clone(),
            client_key: key.clone(),
        }),
        root_cert: tls.ca.clone(),
    })
}

/// A client of one server as `config` says: the credentials given apart, and TLS with the
/// certificates given, checked.
fn client_for(
    url: &str,
    info: ConnectionInfo,
    config: &RedisConfig,
) -> Result<redis::Client, ConnectError> {
    let tls = is_tls(&info);
    let client = if config.tls.is_set() {
        if !tls {
            return Err(tls_without_rediss(url));
        }
        redis::Client::build_with_tls(info, certificates(&config.tls)?)
            .map_err(|e| ConnectError::config(format!("the TLS settings: {e}")))?
    } else {
        redis::Client::open(info)?
    };
    if tls {
        install_crypto_provider();
    }
    Ok(client)
}

/// A client for connections of the caller's own (pub/sub) to the server `config` names (a
/// cluster's first node), with its credentials and TLS, speaking the protocol the URL says.
pub(crate) fn pubsub_client(config: &RedisConfig) -> Result<redis::Client, ConnectError> {
    let url = match &config.target {
        Target::Single(url) => url,
        Target::Cluster(nodes) => nodes.first().ok_or_else(|| {
            ConnectError::config("a Redis Cluster needs at least one node".into())
        })?,
        // A subscriber pinned to one server would not follow a failover.
        Target::Sentinel(url) => {
            return Err(ConnectError::config(format!(
                "a pub/sub client is not available through Sentinel ({})",
                redact(url)
            )));
        }
    };
    let info = with_credentials(url.as_str().into_connection_info()?, config);
    client_for(url, info, config)
}

/// rustls needs a process-wide crypto provider; the redis crate leaves the choice to the
/// application. This installs ring's, unless the application installed one already.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Fails only if another thread installed one in between: that one is used then.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A failed connection as a [`ConnectError`]: credentials and TLS failures say what
/// happened; anything else stays a Redis error.
fn connect_error(name: &str, user: &str, tls: bool, e: RedisError) -> ConnectError {
    match explain(name, user, tls, &e) {
        Some(Failure::Auth(m)) => ConnectError::Auth(m),
        Some(Failure::Tls(m)) => ConnectError::Tls(m),
        None => ConnectError::Redis(e),
    }
}

/// A TLS connection that timed out: when the server accepts a plain TCP connection, the
/// handshake is what did not finish, which is what a plain-text port does (it waits for the
/// end of a command line that never comes); otherwise the server is unreachable.
async fn handshake_timeout(
    name: &str,
    addr: &ConnectionAddr,
    timeout: Duration,
    e: RedisError,
) -> ConnectError {
    let ConnectionAddr::TcpTls { host, port, .. } = addr else {
        return ConnectError::Redis(e);
    };
    let probe = tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((host.as_str(), *port)),
    );
    match probe.await {
        Ok(Ok(_)) => ConnectError::Tls(format!(
            "{name}: it accepted the connection but did not complete the TLS handshake within \
             {} ms: is this port a TLS port (Redis's tls-port)? A plain-text port waits \
             silently",
            timeout.as_millis()
        )),
        _ => ConnectError::Redis(e),
    }
}

/// What a failure was, when it was about credentials or TLS.
pub(crate) enum Failure {
    Auth(String),
    Tls(String),
}

impl Failure {
    pub(crate) fn message(self) -> String {
        match self {
            Self::Auth(m) | Self::Tls(m) => m,
        }
    }
}

/// Says what went wrong when `e` is about the credentials (`user` logging in to `name`) or
/// TLS; `None` for other errors. Never includes the password.
pub(crate) fn explain(name: &str, user: &str, tls: bool, e: &RedisError) -> Option<Failure> {
    let code = e.code().unwrap_or_default();
    if code == "NOAUTH" || e.detail().is_some_and(|d| d.contains("NOAUTH")) {
        return Some(Failure::Auth(format!(
            "{name}: it requires a password (NOAUTH), and none was given"
        )));
    }
    // The cluster client reports a node's refusal as an I/O error that quotes it.
    let quoted = e
        .detail()
        .is_some_and(|d| d.contains("AuthenticationFailed") || d.contains("WRONGPASS"));
    if e.kind() == ErrorKind::AuthenticationFailed || code == "WRONGPASS" || quoted {
        return Some(Failure::Auth(format!(
            "{name}: it refused the credentials of user {user:?}: a wrong password, an unknown \
             user, or a disabled one (WRONGPASS)"
        )));
    }
    if let Some(detail) = e
        .detail()
        .filter(|d| d.contains("without any password configured"))
    {
        return Some(Failure::Auth(format!(
            "{name}: a password was given, but the server has none for user {user:?} ({detail})"
        )));
    }
    if let Some(r) = rustls_error(e) {
        use rustls::{AlertDescription as Alert, CertificateError as Cert, Error as TlsError};
        let why = match r {
            TlsError::InvalidCertificate(Cert::UnknownIssuer) => format!(
                "the server's TLS certificate is not trusted (unknown issuer): give the CA \
                 that signed it, or check that this is the right server ({r})"
            ),
            TlsError::InvalidCertificate(
                Cert::NotValidForName | Cert::NotValidForNameContext { .. },
            ) => format!(
                "the server's TLS certificate is not valid for this host name: connect with a \
                 name the certificate lists ({r})"
            ),
            TlsError::InvalidCertificate(Cert::Expired | Cert::ExpiredContext { .. }) => {
                format!("the server's TLS certificate has expired ({r})")
            }
            TlsError::InvalidCertificate(_) => {
                format!("the server's TLS certificate was refused ({r})")
            }
            TlsError::InvalidMessage(_) | TlsError::InappropriateMessage { .. } => format!(
                "it did not answer in TLS: is this port a TLS port (Redis's tls-port)? ({r})"
            ),
            TlsError::AlertReceived(Alert::CertificateRequired | Alert::HandshakeFailure) => {
                format!("it refused the TLS handshake; it may require a client certificate ({r})")
            }
            TlsError::AlertReceived(Alert::UnknownCA | Alert::BadCertificate) => {
                format!("it refused the client certificate ({r})")
            }
            other => format!("the TLS handshake failed ({other})"),
        };
        return Some(Failure::Tls(format!("{name}: {why}")));
    }
    if tls && (e.is_connection_dropped() || e.kind() == ErrorKind::Io) {
        // A plain-text server closes or garbles a TLS handshake in ways rustls does not
        // always name.
        if let Some(io) = io_error(e).filter(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::InvalidData
            )
        }) {
            return Some(Failure::Tls(format!(
                "{name}: the TLS handshake failed ({io}): is this port a TLS port (Redis's \
                 tls-port)?"
            )));
        }
    }
    None
}

/// The errors under a Redis error, outermost first. (The redis crate keeps an I/O error as an
/// `Arc<dyn Error>`, whose `source` skips the I/O error itself: each is opened here.)
fn causes(e: &RedisError) -> Vec<&(dyn std::error::Error + 'static)> {
    type Shared = Arc<dyn std::error::Error + Send + Sync>;
    let mut out = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if out.len() > 16 {
            break;
        }
        out.push(err);
        if let Some(shared) = err.downcast_ref::<Shared>() {
            let inner: &(dyn std::error::Error + 'static) = &**shared;
            out.push(inner);
            if let Some(io) = inner.downcast_ref::<std::io::Error>()
                && let Some(wrapped) = io.get_ref()
            {
                out.push(wrapped);
            }
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(wrapped) = io.get_ref()
        {
            out.push(wrapped);
        }
        next = err.source();
    }
    out
}

/// The rustls error under a Redis error, if there is one.
fn rustls_error(e: &RedisError) -> Option<&rustls::Error> {
    causes(e)
        .into_iter()
        .find_map(|c| c.downcast_ref::<rustls::Error>())
}

/// The I/O error under a Redis error, if there is one.
fn io_error(e: &RedisError) -> Option<&std::io::Error> {
    causes(e)
        .into_iter()
        .find_map(|c| c.downcast_ref::<std::io::Error>())
}
