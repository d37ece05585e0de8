//! # session-core-node
//!
//! The napi-rs addon behind the npm package `session-core`. It adds no session logic: it
//! converts strings and drives the core. Its whole surface is three classes, the "native
//! backend interface" that the JS driver (`driver.mjs`) runs on:
//!
//! - [`NativeSessions`]: the fast path. `session_core::Sessions` over the embedded
//!   `MemoryStore`; one JS call is one native call, which parses, validates and runs the whole
//!   operation in Rust.
//! - [`NativeRedisSessions`]: the same over Redis. `session_core::AsyncSessions` over
//!   `session_core_redis::RedisStore`, on a Tokio runtime of the addon's own; one JS call is
//!   one native call, and answers come back in batches.
//! - [`NativeOp`]: one operation for a store written in JavaScript, as a
//!   `session_core::wire::WireOp` (batches out, replies in, all as JSON strings).
//! - [`NativeRedisChannel`]: one Redis pub/sub channel, which the redis-sessions drop-in's
//!   session cache evicts through in every process.
//!
//! Every answer is a JSON string: `{"done": result, "events": [...]}` or
//! `{"error": {"name", "message", "field"?}, "events": [...]}`, written by the core's
//! `session_core::host` (which the wasm binding shares, so the two cannot answer
//! differently). Strings cross the boundary faster than napi's object conversion for these
//! small shapes (see the package README for the measurement). No error and no panic crosses
//! into JS as anything but such an answer.

mod channel;
mod guard;
mod memory;
mod redis;
mod wire;

pub use channel::NativeRedisChannel;
pub use memory::NativeSessions;
pub use redis::NativeRedisSessions;
pub use wire::{NativeOp, NativeSweepPlan, NativeSweepTick};
