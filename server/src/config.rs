//! Configuration: flags, each with an environment variable.

use clap::Parser;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// rest-sessions' HTTP API on session-core.
#[derive(Debug, Clone, Parser)]
#[command(name = "session-core-server", version, about)]
#[command(group = clap::ArgGroup::new("redis_store").args(["redis", "redis_cluster"]))]
pub(crate) struct Config {
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub(crate) port: u16,
    /// Address to bind (use 0.0.0.0 to accept connections from other hosts; then set
    /// --auth-token too).
    #[arg(long, env = "BIND", default_value = "127.0.0.1")]
    pub(crate) bind: IpAddr,
    /// Keep sessions in Redis at this URL (`redis://[user:password@]host:port/db`,
    /// `rediss://…` for TLS, or `redis+sentinel://host:port[,…]/master-name`) instead of in
    /// memory. The server starts even while Redis is
    /// unreachable (503 until it answers); a refused password or certificate stops it.
    #[arg(long, env = "RS_REDISURL")]
    pub(crate) redis: Option<String>,
    /// Keep sessions in a Redis Cluster instead, found through any of these nodes
    /// (`redis://host:port,redis://host:port`, or `rediss://…` for TLS); the server finds the
    /// others. Not with --redis; the credential and TLS flags apply to every node.
    #[arg(long, env = "RS_REDIS_CLUSTER", value_delimiter = ',', value_parser = cluster_node)]
    pub(crate) redis_cluster: Option<Vec<String>>,
    /// With Redis: spread each app's keys over this many shards (1 to 64), so that one app
    /// spreads over a Redis Cluster's masters. Every process sharing the Redis must use the
    /// same number; changing it hides the sessions stored under the old one.
    #[arg(long, env = "RS_SHARDS", default_value_t = 1, requires = "redis_store",
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub(crate) shards: u32,
    /// The Redis user (an ACL user), instead of the URL's.
    #[arg(long, env = "RS_REDIS_USERNAME", requires = "redis_store")]
    pub(crate) redis_username: Option<String>,
    /// The Redis password, instead of the URL's. Prefer the environment variable: a flag (or
    /// a URL) shows in the process list.
    #[arg(long, env = "RS_REDIS_PASSWORD", hide_env_values = true, requires = "redis_store", value_parser = redis_secret)]
    pub(crate) redis_password: Option<Secret>,
    /// With `rediss://`: trust only the CA certificates in this PEM file to verify Redis
    /// (default: the system's root certificates). For a private CA or a self-signed
    /// certificate.
    #[arg(long, env = "RS_REDIS_CA", requires = "redis_store")]
    pub(crate) redis_ca: Option<PathBuf>,
    /// With `rediss://`: present this client certificate (PEM) to a Redis that requires one
    /// (`tls-auth-clients yes`); with --redis-key.
    #[arg(long, env = "RS_REDIS_CERT", requires_all = ["redis_store", "redis_key"])]
    pub(crate) redis_cert: Option<PathBuf>,
    /// The private key (PEM) of --redis-cert.
    #[arg(long, env = "RS_REDIS_KEY", requires = "redis_cert")]
    pub(crate) redis_key: Option<PathBuf>,
    /// Key namespace in the store.
    #[arg(long, env = "RS_NAMESPACE", default_value = "rs")]
    pub(crate) namespace: String,
    /// Largest request body accepted, in bytes (larger: 413).
    #[arg(long, env = "BODY_LIMIT", default_value_t = 262_144)]
    pub(crate) body_limit: usize,
    /// Sweeping of expired sessions: 0 turns it off. With Redis, the seconds between timed
    /// sweeps (default 600, at least 10, as redis-sessions' `wipe`); the memory store sweeps
    /// inside requests whatever the number.
    #[arg(long, env = "RS_WIPE")]
    pub(crate) wipe: Option<u64>,
    /// The most sessions one `soapp` or `soid` answer holds: a larger listing comes in pages,
    /// each with the cursor to the next (0: no cap).
    #[arg(long, env = "RS_MAX_LIST", default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub(crate) max_list: u32,
    /// Memory store only: persist sessions to this file (written periodically and on
    /// shutdown, loaded at start), so that a restart logs nobody out.
    #[arg(long, env = "RS_DATA")]
    pub(crate) data: Option<PathBuf>,
    /// Tests only: take the clock from the `x-session-core-now` header (milliseconds) and do
    /// no automatic sweeping, so the conformance vectors can run over HTTP. Never in
    /// production: clients could move time.
    #[arg(long, hide = true)]
    pub(crate) test_clock: bool,
    /// Seconds between snapshots when `--data` is set.
    #[arg(long, env = "RS_SNAPSHOT_INTERVAL", default_value_t = 30)]
    pub(crate) snapshot_interval: u64,
    /// Seconds a client has to send a request's headers (from the connection's start, or from
    /// the previous answer on a kept-alive connection); then the connection is closed.
    #[arg(long, env = "RS_HEADER_TIMEOUT", default_value = "10", value_parser = seconds)]
    pub(crate) header_timeout: Seconds,
    /// Seconds a client has to send a request's body, once its headers are in (then 408).
    #[arg(long, env = "RS_BODY_TIMEOUT", default_value = "30", value_parser = seconds)]
    pub(crate) body_timeout: Seconds,
    /// Seconds that SIGTERM or SIGINT waits for open requests; then the connections left are
    /// dropped, and the `--data` snapshot is written. A second signal ends the wait at once.
    #[arg(long, env = "RS_SHUTDOWN_TIMEOUT", default_value = "10", value_parser = seconds)]
    pub(crate) shutdown_timeout: Seconds,
    /// Most connections held at once. At the cap, each new connection closes the oldest one a
    /// client holds without a request running: idle ones first, then those waiting for a
    /// request body, then those not reading their answer. Default: the open-file limit less 64.
    #[arg(long, env = "RS_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_connections: Option<u32>,
    /// Require `Authorization: Bearer <token>` on every route but /ping and /health. Prefer
    /// the environment variable: a flag shows in the process list.
    #[arg(long, env = "RS_AUTH_TOKEN", hide_env_values = true, value_parser = secret)]
    pub(crate) auth_token: Option<Secret>,
    /// With --data, what writes do while snapshots fail (the disk is full, the folder is
    /// gone): keep-serving accepts them (a restart before the disk is fixed would lose them);
    /// refuse-writes answers 503 to every request that writes (nearly all: each read counts an
    /// access) until a snapshot succeeds, as Redis's stop-writes-on-bgsave-error. Either way
    /// /health says degraded and /metrics counts the failures.
    #[arg(
        long,
        env = "RS_ON_SNAPSHOT_ERROR",
        value_enum,
        default_value = "keep-serving"
    )]
    pub(crate) on_snapshot_error: crate::snapshot::OnError,

    // The HTTP edges: what one request may cost the server.
    /// Largest request head (request line and headers), in bytes, 1024 to 409600; larger:
    /// 431 and the connection closes.
    #[arg(long, env = "RS_HEAD_LIMIT", default_value_t = 16_384,
          value_parser = clap::value_parser!(u32).range(1_024..=409_600))]
    pub(crate) head_limit: u32,
    /// The rest of a body over --body-limit is read and discarded, up to this many bytes in
    /// all, before the 413 is answered, so that a client that sends its whole body before
    /// reading gets the 413 rather than a broken pipe. A larger body (or one announced
    /// larger) closes the connection after the 413. 0: never read.
    #[arg(long, env = "RS_DISCARD_LIMIT", default_value_t = 8 << 20)]
    pub(crate) discard_limit: u64,
    /// Seconds that discarding a body over --body-limit may take; then the 413 is answered
    /// and the connection closes.
    #[arg(long, env = "RS_DISCARD_TIMEOUT", default_value = "10", value_parser = seconds)]
    pub(crate) discard_timeout: Seconds,
}

/// A duration given in seconds (decimals allowed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Seconds(pub(crate) Duration);

/// Parses a positive number of seconds, at most a day.
fn seconds(text: &str) -> Result<Seconds, String> {
    let wrong =
        || format!("{text:?} is not a number of seconds from 0.001 to 86400 (such as 10 or 0.5)");
    let n: f64 = text.trim().parse().map_err(|_| wrong())?;
    if !(0.001..=86_400.0).contains(&n) {
        return Err(wrong());
    }
    Duration::try_from_secs_f64(n)
        .map(Seconds)
        .map_err(|_| wrong())
}

/// A value never printed: `Debug` shows `<redacted>`.
#[derive(Clone)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The shared secret: not empty, and without leading or trailing spaces (a header value would
/// lose them).
fn secret(text: &str) -> Result<Secret, String> {
    if text.is_empty() {
        return Err("the token is empty; leave it unset to turn authentication off".into());
    }
    if text.trim() != text || !text.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(
            "the token must be printable ASCII without spaces (it travels in a header)".into(),
        );
    }
    Ok(Secret(text.to_owned()))
}

/// A cluster node's URL: not empty (a stray comma), and with a scheme; the store checks the
/// rest as it connects.
fn cluster_node(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(
            "a node URL is empty; give node URLs separated by commas, such as \
             redis://10.0.0.1:6379,redis://10.0.0.2:6379"
                .into(),
        );
    }
    if !(text.starts_with("redis://") || text.starts_with("rediss://")) {
        return Err(format!(
            "{text:?} is not a Redis URL (redis://host:port, or rediss://host:port for TLS)"
        ));
    }
    Ok(text.to_owned())
}

/// A Redis password: anything but empty.
fn redis_secret(text: &str) -> Result<Secret, String> {
    if text.is_empty() {
        return Err("the password is empty; leave it unset for no password".into());
    }
    Ok(Secret(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_take_decimals_and_refuse_nonsense() {
        assert_eq!(seconds("10"), Ok(Seconds(Duration::from_secs(10))));
        assert_eq!(seconds("0.5"), Ok(Seconds(Duration::from_millis(500))));
        for bad in ["0", "-1", "abc", "NaN", "inf", "100000"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cluster_nodes_are_urls() {
        assert_eq!(
            cluster_node(" redis://10.0.0.1:6379"),
            Ok("redis://10.0.0.1:6379".to_owned())
        );
        assert!(cluster_node("rediss://h:1").is_ok());
        for bad in ["", " ", "10.0.0.1:6379", "http://h:1"] {
            assert!(cluster_node(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_never_printed() {
        let s = secret("hunter2-long-secret").unwrap();
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert!(secret("").is_err());
        assert!(secret(" padded").is_err());
        assert!(secret("two words").is_err());
    }
}
