//! # session-core-redis
//!
//! The Redis (and Valkey) store of [session-core](session_core): sessions shared by every
//! process that talks to the same Redis, on a single server or a Redis Cluster.
//!
//! ```no_run
//! use session_core::{AsyncSessions, Create, Patch};
//! use session_core_redis::RedisConfig;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let store = RedisConfig::new("redis://127.0.0.1:6379/0")
//!         .namespace("rs")
//!         .connect()
//!         .await?;
//!     let sessions = AsyncSessions::new(store);
//!     let token = sessions.create(Create::new("shop", "u1", "10.0.0.1")).await?;
//!     let s = sessions.set("shop", token.as_str(), Patch::new().set("cart", 2)).await?;
//!     assert_eq!(s.map(|s| s.w), Some(2));
//!     assert_eq!(sessions.activity("shop", 600).await?, 1);
//!     Ok(())
//! }
//! ```
//!
//! ## How it stores sessions
//!
//! Keys follow the core's layout ([`session_core::Key`]) under a namespace (default `rs`):
//! `rs:{shop}:s:<handle>` is one session, a string with its version, a colon and its encoded
//! record, expiring (`PX`) an hour after the session would; `rs:{shop}:_users`, `_expiry`,
//! `_issued` and `us:<id>` are sorted sets scored in milliseconds; `rs:_apps` lists the apps. The token
//! itself is never stored, only the first 128 bits of its SHA-256 (the handle).
//!
//! ## Atomicity
//!
//! Each batch of store commands runs as **one Lua script** (`EVALSHA`, reloaded after
//! `NOSCRIPT`). The script first checks key types and every version expectation; if one
//! fails, it changes nothing, answers with the record as it is now, and the core retries. So
//! concurrent `set`s from many processes lose no update, and the `r`/`w` counters stay exact.
//!
//! ## One round trip per access
//!
//! The first read of every single-session operation may be answered from a cache of the
//! records this store last read or wrote ([`RedisConfig::record_cache`]): the operation's
//! versioned write validates it, so a stale copy costs a conflict and a retry, never a wrong
//! answer. An uncontended `get`, `set` or `touch` of a session this process has seen is one
//! round trip.
//!
//! ## Cluster
//!
//! Every key of an app carries the hash tag `{app}`, so one app's keys live in one slot and
//! every batch runs on one node; the app registry `rs:_apps` is only ever touched alone.
//! Connect with [`RedisConfig::cluster`] or [`RedisStore::connect_cluster`].

mod cache;
mod config;
mod connection;
mod registry;
mod reply;
mod script;
mod sentinel;
mod store;

pub use config::{ConnectError, DEFAULT_NAMESPACE, DEFAULT_RECORD_CACHE, RedisConfig};
pub use store::RedisStore;

/// The README's examples, compiled as doc tests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
