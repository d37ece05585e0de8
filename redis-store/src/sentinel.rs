//! Redis Sentinel: the `redis+sentinel://` URL, and [`Follower`], a connection to the master
//! the sentinels name that moves to the new master after a failover.

use crate::config::{ConnectError, RedisConfig, redact};
use crate::connection::{Peer, query_manager, single};
use redis::aio::ConnectionManager;
use redis::{AsyncConnectionConfig, ErrorKind, RedisError, RedisResult, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

const SCHEME: &str = "redis+sentinel://";

/// The port sentinels listen on when the URL gives none.
const DEFAULT_PORT: u16 = 26379;

/// Whether `url` names a master through Sentinel.
pub(crate) fn is_sentinel_url(url: &str) -> bool {
    url.get(..SCHEME.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(SCHEME))
}

/// A parsed `redis+sentinel://[user:password@]host:port[,host:port…]/master[/db][?query]`.
#[derive(Debug, PartialEq)]
struct Parsed {
    sentinels: Vec<(String, u16)>,
    master: String,
    /// What the master's own URL keeps: `user:password@`, `/db`, `?query`.
    userinfo: Option<String>,
    db: Option<String>,
    query: Option<String>,
}

impl Parsed {
    fn parse(url: &str) -> Result<Self, String> {
        let rest = &url[SCHEME.len()..];
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q.to_owned())),
            None => (rest, None),
        };
        let Some((authority, path)) = rest.split_once('/') else {
            return Err("it names no master: write redis+sentinel://host:port/master-name".into());
        };
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u.to_owned()), h),
            None => (None, authority),
        };
        let sentinels = hosts
            .split(',')
            .map(host_port)
            .collect::<Result<Vec<_>, _>>()?;
        let (master, db) = match path.split_once('/') {
            Some((m, db)) => (m, Some(db).filter(|d| !d.is_empty())),
            None => (path, None),
        };
        if master.is_empty() {
            return Err("it names no master: write redis+sentinel://host:port/master-name".into());
        }
        if let Some(db) = db
            && db.parse::<u32>().is_err()
        {
            return Err(format!("the database {db:?} is not a number"));
        }
        Ok(Self {
            sentinels,
            master: master.to_owned(),
            userinfo,
            db: db.map(str::to_owned),
            query,
        })
    }

    /// The URL of the master at `host:port`, with this URL's credentials, database and query.
    fn master_url(&self, (host, port): &(String, u16)) -> String {
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let userinfo = self
            .userinfo
            .as_ref()
            .map_or(String::new(), |u| format!("{u}@"));
        let db = self.db.as_deref().unwrap_or("0");
        let query = self
            .query
            .as_ref()
            .map_or(String::new(), |q| format!("?{q}"));
        format!("redis://{userinfo}{host}:{port}/{db}{query}")
    }
}

/// `host:port` (or `[v6]:port`, or a host alone for the default port).
fn host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !p.contains(']') => {
            let port = p
                .parse()
                .map_err(|_| format!("the sentinel {s:?} has no valid port"))?;
            (h, port)
        }
        _ => (s, DEFAULT_PORT),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("a sentinel address is empty in {s:?}"));
    }
    Ok((host.to_owned(), port))
}

/// The master's address now, and the connection to it.
struct Current {
    addr: (String, u16),
    manager: ConnectionManager,
}

/// The master the sentinels name, followed. After a call fails or times out, or the
/// connection drops, the next call first asks the sentinels (one asking at a time; calls that
/// waited for it use its outcome) and, when they name another master, connects there and
/// counts a loss so that cached records go. Until the server the sentinels name answers
/// `ROLE` as a master, every call asks again and fails without sending anything, so a demoted
/// or restarted old master at the same address is not written to either.
pub(crate) struct Follower {
    parsed: Parsed,
    config: RedisConfig,
    current: RwLock<Arc<Current>>,
    asking: tokio::sync::Mutex<()>,
    /// How many askings have finished (to share one among the calls that waited for it).
    asked: AtomicU64,
    /// Whether the master must be confirmed before the next call.
    doubt: AtomicBool,
    /// The connection losses counted, and the count when the master was last confirmed.
    losses: Arc<AtomicU64>,
    confirmed_at: AtomicU64,
}

impl Follower {
    /// Asks the sentinels for the master and connects to it. Its connection makes no retries
    /// of its own: a call in flight when the master is replaced must not reconnect to the old
    /// address, where the old master may come back empty; the next call asks the sentinels.
    pub(crate) async fn open(
        url: &str,
        config: &RedisConfig,
        losses: Arc<AtomicU64>,
    ) -> Result<(Self, Peer), ConnectError> {
        let parsed = Parsed::parse(url).map_err(|why| {
            ConnectError::config(format!("the Sentinel URL {}: {why}", redact(url)))
        })?;
        if config.tls.is_set() {
            return Err(ConnectError::config(
                "TLS settings are not supported through Sentinel".into(),
            ));
        }
        let addr = locate(&parsed, config).await?;
        let (manager, peer) = single(&parsed.master_url(&addr), config, 0, &losses).await?;
        let sentinels: Vec<String> = parsed
            .sentinels
            .iter()
            .map(|(h, p)| format!("{h}:{p}"))
            .collect();
        let peer = Peer {
            name: format!(
                "the Redis master {:?} (Sentinel at {})",
                parsed.master,
                sentinels.join(", ")
            ),
            ..peer
        };
        let confirmed_at = AtomicU64::new(losses.load(Ordering::Acquire));
        let follower = Self {
            parsed,
            config: config.clone(),
            current: RwLock::new(Arc::new(Current { addr, manager })),
            asking: tokio::sync::Mutex::new(()),
            asked: AtomicU64::new(0),
            // The sentinels named it, but it may not have been promoted yet.
            doubt: AtomicBool::new(true),
            losses,
            confirmed_at,
        };
        Ok((follower, peer))
    }

    fn current(&self) -> Arc<Current> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs one command on the master; a failure (other than the script's own refusal)
    /// puts the master in doubt.
    pub(crate) async fn query(&self, cmd: &redis::Cmd) -> RedisResult<Value> {
        if self.doubt.load(Ordering::Acquire)
            || self.losses.load(Ordering::Acquire) != self.confirmed_at.load(Ordering::Acquire)
        {
            self.confirm().await;
            if self.doubt.load(Ordering::Acquire) {
                // Not sent: a server the sentinels do not (or no longer) name, or that is not
                // a master yet, may hold other data (an old master restarted empty).
                return Err(RedisError::from((
                    ErrorKind::Io,
                    "no master confirmed",
                    format!(
                        "the sentinels name no server that answers as master {:?} now",
                        self.parsed.master
                    ),
                )));
            }
        }
        let result = query_manager(&self.current().manager, cmd).await;
        if let Err(e) = &result
            && e.code() != Some("SESSIONCORE")
        {
            self.suspect();
        }
        result
    }

    /// A call failed or timed out: the master may be gone.
    pub(crate) fn suspect(&self) {
        self.doubt.store(true, Ordering::Release);
    }

    /// Asks the sentinels which master to use, moves there if it changed, and clears the
    /// doubt once that server says it is a master.
    async fn confirm(&self) {
        let before = self.asked.load(Ordering::Acquire);
        let _asking = self.asking.lock().await;
        if self.asked.load(Ordering::Acquire) != before {
            return; // Asked while this call waited: its outcome holds.
        }
        let mut losses = self.losses.load(Ordering::Acquire);
        if let Ok(addr) = locate(&self.parsed, &self.config).await {
            let current = self.current();
            let mut master =
                addr == current.addr && is_master(&current.manager, &self.config).await;
            if !master {
                // Another master, or the connection to this one is gone: its connection makes
                // no retries of its own, and a promotion has the sentinels kill every client
                // connection of the promoted server. Connect afresh.
                let url = self.parsed.master_url(&addr);
                if let Ok((manager, _)) = single(&url, &self.config, 0, &self.losses).await {
                    *self.current.write().unwrap_or_else(PoisonError::into_inner) =
                        Arc::new(Current { addr, manager });
                    // Records cached before may be newer than what this server holds.
                    losses = self.losses.fetch_add(1, Ordering::AcqRel) + 1;
                    master = is_master(&self.current().manager, &self.config).await;
                }
            }
            if master {
                self.confirmed_at.store(losses, Ordering::Release);
                self.doubt.store(false, Ordering::Release);
            }
        }
        self.asked.fetch_add(1, Ordering::Release);
    }
}

/// Whether the server behind `manager` answers `ROLE` as a master, in time.
async fn is_master(manager: &ConnectionManager, config: &RedisConfig) -> bool {
    let cmd = redis::cmd("ROLE");
    let role = tokio::time::timeout(config.connect_timeout, query_manager(manager, &cmd));
    match role.await {
        Ok(Ok(Value::Array(items))) => match items.first() {
            Some(Value::BulkString(b)) => b == b"master",
            Some(Value::SimpleString(s)) => s == "master",
            _ => false,
        },
        _ => false,
    }
}

/// The master's address, from the sentinel that knows the latest failover: every sentinel is
/// asked, and the answer with the highest configuration epoch wins. A sentinel that has not
/// heard of a failover yet still names the old master, which may have come back empty at the
/// same address and answer as a master until the sentinels demote it; trusting the first
/// answer would write there.
async fn locate(parsed: &Parsed, config: &RedisConfig) -> Result<(String, u16), ConnectError> {
    let timeout = Some(config.connect_timeout);
    let settings = AsyncConnectionConfig::new()
        .set_connection_timeout(timeout)
        .set_response_timeout(timeout);
    let mut failure = None;
    let mut best: Option<(u64, (String, u16))> = None;
    for (host, port) in &parsed.sentinels {
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let asked = async {
            let client = redis::Client::open(format!("redis://{host}:{port}"))?;
            let mut conn = client
                .get_multiplexed_async_connection_with_config(&settings)
                .await?;
            redis::cmd("SENTINEL")
                .arg("master")
                .arg(&parsed.master)
                .query_async::<HashMap<String, String>>(&mut conn)
                .await
        };
        match asked.await {
            Ok(fields) => {
                let addr = fields
                    .get("ip")
                    .zip(fields.get("port").and_then(|p| p.parse::<u16>().ok()));
                let epoch = fields
                    .get("config-epoch")
                    .and_then(|e| e.parse::<u64>().ok())
                    .unwrap_or(0);
                match addr {
                    Some((ip, port)) if best.as_ref().is_none_or(|(e, _)| epoch > *e) => {
                        best = Some((epoch, (ip.clone(), port)));
                    }
                    Some(_) => {}
                    None => {
                        failure = Some(ConnectError::config(format!(
                            "the sentinel at {host}:{port} gave no address for master {:?}",
                            parsed.master
                        )));
                    }
                }
            }
            // An unknown master name is an error reply ("No such master with that name").
            Err(e) if e.code().is_some() => {
                failure = Some(ConnectError::config(format!(
                    "the sentinel at {host}:{port} knows no master named {:?}",
                    parsed.master
                )));
            }
            Err(e) => failure = Some(ConnectError::Redis(e)),
        }
    }
    match best {
        Some((_, addr)) => Ok(addr),
        None => {
            Err(failure.unwrap_or_else(|| ConnectError::config("no sentinel was given".into())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let p = Parsed::parse("redis+sentinel://u:pw@a:1,b,[::1]:3/mymaster/2?protocol=resp2")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p.sentinels,
            vec![
                ("a".to_owned(), 1),
                ("b".to_owned(), 26379),
                ("::1".to_owned(), 3)
            ]
        );
        assert_eq!(p.master, "mymaster");
        assert_eq!(
            p.master_url(&("10.0.0.9".into(), 6380)),
            "redis://u:pw@10.0.0.9:6380/2?protocol=resp2"
        );
        assert_eq!(
            Parsed::parse("redis+sentinel://a:1/m")
                .map(|p| p.master_url(&("::1".into(), 7)))
                .as_deref(),
            Ok("redis://[::1]:7/0")
        );
        for bad in [
            "redis+sentinel://a:1",
            "redis+sentinel://a:1/",
            "redis+sentinel://a:x/m",
            "redis+sentinel://a:1,/m",
            "redis+sentinel://a:1/m/x",
        ] {
            assert!(Parsed::parse(bad).is_err(), "{bad}");
        }
        assert!(is_sentinel_url("REDIS+SENTINEL://a/m"));
        assert!(!is_sentinel_url("redis://a/m"));
    }
}
