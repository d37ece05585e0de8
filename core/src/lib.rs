//! # session-core
//!
//! A session engine: it issues tokens, counts reads and writes, expires idle sessions, merges
//! data (a `null` deletes a key), and answers "who was active in the last N seconds". It
//! keeps the API and semantics of the npm package `redis-sessions` 4, and fixes what that got
//! wrong: tokens come from the OS CSPRNG without bias and only their SHA-256 is stored;
//! concurrent updates are never lost (versioned writes with bounded retries); expired sessions
//! are reclaimed without anyone reading them; and the clock is an input, so tests of expiry
//! never sleep.
//!
//! ## Use it
//!
//! ```
//! use session_core::{Create, MemoryStore, Patch, Sessions};
//!
//! let sessions = Sessions::new(MemoryStore::new());
//! let token = sessions.create(Create::new("shop", "user@example.com", "10.0.0.1")).unwrap();
//! let s = sessions.set("shop", token.as_str(), Patch::new().set("cart", 2)).unwrap().unwrap();
//! assert_eq!(s.w, 2);
//! let s = sessions.get("shop", token.as_str()).unwrap().unwrap();
//! assert_eq!(s.d.unwrap().get("cart"), Some(serde_json::json!(2)));
//! ```
//!
//! ## How it is built: sans-IO
//!
//! The core performs no I/O, reads no clock and spawns nothing. Each operation is a
//! [`machine::Machine`]: started with its inputs and `now`, it answers with a batch of store
//! [`Command`]s or with its result; the host runs the batch against its store and feeds the
//! replies back. [`Sessions`] is the loop for in-process stores ([`MemoryStore`]);
//! [`AsyncSessions`] is the loop for stores across a network. Bindings for Node.js and
//! WebAssembly run the same machines.
//!
//! ## Writing a store
//!
//! A store implements [`store::SyncStore`] or [`store::AsyncStore`]: one method that applies a
//! batch of primitive commands (records with versions; sorted sets) all or nothing. The
//! [`store`] module documents the whole contract, with an example; the [`Key`] enum gives the
//! key layout.
//!
//! ## Semantics
//!
//! The input rules, error names and messages, result shapes, expiry rules and events are
//! specified once, as conformance vectors (`tests/vectors/` in the repository, with a README
//! that states every rule), and every binding and store runs them.

pub mod data;
mod dispatch;
mod driver;
pub mod error;
pub mod event;
pub mod host;
pub mod input;
pub mod keys;
pub mod machine;
mod memory;
pub mod ops;
mod record;
pub mod rest;
pub mod session;
pub mod shard;
pub mod store;
pub mod sweep;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod token;
pub mod validate;
pub mod wire;

pub use data::{Data, MAX_DATA_BYTES, MAX_KEY_BYTES, MAX_KEYS, Patch, Scalar};
pub use dispatch::{AnyOp, KEEP_EXPIRED, Response};
pub use driver::{AsyncSessions, Clock, Listener, ManualClock, Sessions, SystemClock};
pub use error::Error;
pub use event::{Event, EventKind, Reason};
pub use input::{Create, CreateArgs, NewSession, Request};
pub use keys::Key;
pub use memory::{MemoryStore, Snapshot};
pub use record::Record;
pub use session::{Listed, Session};
pub use shard::{Scope, Shards, Tag};
pub use store::Command;
pub use sweep::AutoSweep;
pub use token::{Handle, Token};
pub use validate::{App, Ip, UserId};

/// The README's Rust examples, run as doc tests so that they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
