//! Configuration: flags, each with an environment variable.

use clap::Parser;
use std::net::IpAddr;
use std::path::PathBuf;

/// rest-sessions' HTTP API on session-core.
#[derive(Debug, Clone, Parser)]
#[command(name = "session-core-server", version, about)]
pub(crate) struct Config {
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub(crate) port: u16,
    /// Address to bind (use 0.0.0.0 to accept connections from other hosts).
    #[arg(long, env = "BIND", default_value = "127.0.0.1")]
    pub(crate) bind: IpAddr,
    /// Keep sessions in Redis at this URL (`redis://host:port/db`) instead of in memory.
    #[arg(long, env = "RS_REDISURL")]
    pub(crate) redis: Option<String>,
    /// Key namespace in the store.
    #[arg(long, env = "RS_NAMESPACE", default_value = "rs")]
    pub(crate) namespace: String,
    /// Largest request body accepted, in bytes (larger: 413).
    #[arg(long, env = "BODY_LIMIT", default_value_t = 262_144)]
    pub(crate) body_limit: usize,
    /// Seconds between sweeps of expired sessions (0: no background sweeps).
    #[arg(long, env = "RS_WIPE", default_value_t = 60)]
    pub(crate) wipe: u64,
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
}
