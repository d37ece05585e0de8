//! The shared connection: one multiplexed connection to a server (re-established after it
//! drops), or the cluster client's connections to every node.

use crate::config::{ConnectError, RedisConfig, Target};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{
    ConnectionInfo, ErrorKind, IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind,
    RedisResult, ServerErrorKind, Value,
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

/// A handle on the connection; clones are cheap and share it.
#[derive(Clone)]
pub(crate) enum Connection {
    /// One server, through `ConnectionManager`: a multiplexed connection that every clone
    /// pipelines into, replaced in the background when it breaks.
    Single(ConnectionManager),
    /// A cluster: one multiplexed connection per node, routed by key slot.
    Cluster(ClusterConnection),
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Single(_) => "Connection::Single",
            Self::Cluster(_) => "Connection::Cluster",
        })
    }
}

impl Connection {
    /// Connects as `config` says; also returns what it connected to, for error messages
    /// ("Redis at host:port", never the password).
    pub(crate) async fn open(config: &RedisConfig) -> Result<(Shared, String), ConnectError> {
        let losses = Arc::new(AtomicU64::new(0));
        match &config.target {
            Target::Single(url) => {
                let info = resp3_unless_chosen(url)?;
                let resp3 = info.redis_settings().protocol() == ProtocolVersion::RESP3;
                let client = redis::Client::open(info)?;
                let name = format!("Redis at {}", client.get_connection_info().addr());
                let mut manager = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(config.connect_timeout))
                    .set_response_timeout(Some(config.command_timeout))
                    .set_number_of_retries(config.reconnect_retries)
                    .set_min_delay(RECONNECT_MIN_DELAY)
                    .set_max_delay(Duration::from_secs(1));
                if resp3 {
                    // Over RESP3 the connection is re-established without a call failing, so
                    // the loss is counted here. (Over RESP2 a call fails first, and the store
                    // drops its cached records on any failure.)
                    let counter = losses.clone();
                    manager = manager.set_push_sender(move |push: PushInfo| {
                        if push.kind == PushKind::Disconnection {
                            counter.fetch_add(1, Ordering::Release);
                        }
                        Ok::<(), Infallible>(())
                    });
                }
                let manager = ConnectionManager::new_with_config(client, manager).await?;
                let conn = Self::Single(manager);
                Ok((Shared { conn, losses }, name))
            }
            Target::Cluster(nodes) => {
                if nodes.is_empty() {
                    return Err(ConnectError::config(
                        "a cluster needs at least one node URL".into(),
                    ));
                }
                let client = ClusterClientBuilder::new(nodes.iter().map(String::as_str))
                    .connection_timeout(config.connect_timeout)
                    .response_timeout(config.command_timeout)
                    .build()?;
                let addrs: Vec<String> = nodes
                    .iter()
                    .map(|n| {
                        n.as_str()
                            .into_connection_info()
                            .map(|i| i.addr().to_string())
                    })
                    .collect::<RedisResult<_>>()?;
                let name = format!("the Redis Cluster at {}", addrs.join(", "));
                let conn = Self::Cluster(client.get_async_connection().await?);
                Ok((Shared { conn, losses }, name))
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
            Self::Single(c) => {
                once_more_if_refused_at_once(|| {
                    let mut c = c.clone();
                    async move { cmd.query_async(&mut c).await }
                })
                .await
            }
            Self::Cluster(mut c) => cmd.query_async(&mut c).await,
        }
    }

    /// Whether this is a cluster connection.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
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
