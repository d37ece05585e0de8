//! Drivers: the loops that run operation machines against a store.
//!
//! [`Sessions`] drives a [`SyncStore`](crate::store::SyncStore) (the in-process
//! [`MemoryStore`](crate::MemoryStore)); [`AsyncSessions`] drives an
//! [`AsyncStore`](crate::store::AsyncStore) (Redis). Both have the same methods, generated
//! from one table below, so they cannot drift apart.

mod asynchronous;
mod clock;
mod stripes;
mod sync;

pub use asynchronous::AsyncSessions;
pub use clock::{Clock, ManualClock, SystemClock};
pub use sync::Sessions;

use crate::Error;
use crate::event::Event;
use crate::machine::{Conflict, Machine, Step};
use crate::store::{ApplyError, Reply};
use crate::sweep::AutoSweep;
use std::fmt;
use std::sync::Arc;

/// A listener for [`Event`]s.
pub type Listener = Arc<dyn Fn(&Event) + Send + Sync>;

/// What both drivers share: the clock, the listener and the in-call sweep policy.
pub(crate) struct Host {
    clock: Arc<dyn Clock>,
    /// How many shards each app's keys spread over.
    shards: crate::Shards,
    listener: Option<Listener>,
    auto_sweep: Option<AutoSweep>,
}

impl Default for Host {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            shards: crate::Shards::ONE,
            listener: None,
            auto_sweep: Some(AutoSweep::default()),
        }
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("auto_sweep", &self.auto_sweep)
            .field("shards", &self.shards)
            .field("listener", &self.listener.is_some())
            .finish()
    }
}

impl Host {
    /// The default host, without sweeping inside calls.
    pub(crate) fn without_auto_sweep() -> Self {
        Self {
            auto_sweep: None,
            ..Self::default()
        }
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    /// `app`, validated, under this host's shards.
    pub(crate) fn scope(&self, app: &str) -> Result<crate::Scope, Error> {
        Ok(crate::Scope::new(crate::App::new(app)?, self.shards))
    }

    pub(crate) fn emit(&self, events: Vec<Event>) {
        if let Some(listener) = &self.listener {
            for e in &events {
                listener(e);
            }
        }
    }
}

/// Feeds a store's answer to the machine: replies and conflicts go to `resume` (the machine
/// bounds its own retries); a store failure ends the operation with `storeError`.
pub(crate) fn advance<M: Machine>(
    op: &mut M,
    result: Result<Vec<Reply>, ApplyError>,
) -> Result<Step<M::Output>, Error> {
    match result {
        Ok(replies) => Ok(op.resume(Ok(replies))),
        Err(ApplyError::Conflict) => Ok(op.resume(Err(Conflict))),
        Err(ApplyError::Store(m)) => Err(Error::store(m)),
    }
}

/// The builder methods both drivers share.
macro_rules! host_builders {
    () => {
        /// Uses `clock` instead of the system clock (tests: [`ManualClock`](crate::ManualClock)).
        pub fn with_clock(mut self, clock: impl crate::Clock + 'static) -> Self {
            self.host.clock = std::sync::Arc::new(clock);
            self
        }

        /// Calls `listener` for every event (`created`, `destroyed` with its reason).
        pub fn on_event(
            mut self,
            listener: impl Fn(&crate::Event) + Send + Sync + 'static,
        ) -> Self {
            self.host.listener = Some(std::sync::Arc::new(listener));
            self
        }

        /// Sets the in-call sweep policy; `None` turns it off (then call `sweep` yourself, or
        /// on a timer as [`crate::sweep::Tick`] says). The default examines up to 100 index
        /// entries per second, inside calls: [`crate::sweep::schedule`]'s choice for a store
        /// only this process uses.
        pub fn with_auto_sweep(mut self, policy: Option<crate::sweep::AutoSweep>) -> Self {
            self.host.auto_sweep = policy;
            self
        }

        /// Spreads each app's keys over `shards` (default [`Shards::ONE`](crate::Shards::ONE)),
        /// so that a Redis Cluster spreads one app over its masters: see [`crate::shard`].
        /// Every process that shares a store must use the same count.
        pub fn with_shards(mut self, shards: crate::Shards) -> Self {
            self.host.shards = shards;
            self
        }

        /// How many shards each app's keys spread over.
        pub fn shards(&self) -> crate::Shards {
            self.host.shards
        }

        /// The store this driver runs against.
        pub fn store(&self) -> &S {
            &self.store
        }

        /// The driver's current time, in milliseconds.
        pub fn now(&self) -> u64 {
            self.host.now()
        }
    };
}

/// The session API, written once for both drivers: `$($aw)*` is empty for the sync driver and
/// `.await` for the async one.
macro_rules! session_api {
    ($($async:ident)?; $($aw:tt)*) => {
        /// Creates a session and returns its token.
        pub $($async)? fn create(&self, input: crate::Create) -> Result<crate::Token, crate::Error> {
            let input = input.validate()?;
            let shards = self.host.shards;
            let token = shards.token(shards.of_user(&input.id))?;
            let op = crate::ops::create_in(shards, input, token, self.now());
            self.run(op)$($aw)*
        }

        /// The session as it was before this read (`r` not yet counted); then counts the read
        /// and slides the expiry. `None` for an unknown, expired or killed token.
        pub $($async)? fn get(&self, app: &str, token: impl AsRef<str>) -> Result<Option<crate::Session>, crate::Error> {
            let op = crate::ops::get(self.host.scope(app)?, crate::Handle::of_token(token.as_ref())?, self.now());
            self.run(op)$($aw)*
        }

        /// Slides the expiry without counting a read.
        pub $($async)? fn touch(&self, app: &str, token: impl AsRef<str>) -> Result<Option<crate::Session>, crate::Error> {
            let (app, token) = (self.host.scope(app)?, crate::Handle::of_token(token.as_ref())?);
            let op = crate::ops::access(app, token, crate::ops::Access::Touch, self.now());
            self.run(op)$($aw)*
        }

        /// Merges `d` into the session's data (a `null` deletes its key) and counts a write.
        pub $($async)? fn set(&self, app: &str, token: impl AsRef<str>, d: crate::Patch) -> Result<Option<crate::Session>, crate::Error> {
            let (app, token) = (self.host.scope(app)?, crate::Handle::of_token(token.as_ref())?);
            if d.is_empty() {
                return Err(crate::Error::value("d", "d must contain at least one key"));
            }
            let op = crate::ops::set(app, token, d, self.now());
            self.run(op)$($aw)*
        }

        /// Changes the session's TTL (seconds).
        pub $($async)? fn set_ttl(&self, app: &str, token: impl AsRef<str>, ttl: u64) -> Result<Option<crate::Session>, crate::Error> {
            let (app, token) = (self.host.scope(app)?, crate::Handle::of_token(token.as_ref())?);
            let ttl = crate::validate::seconds("ttl", ttl)?;
            let op = crate::ops::access(app, token, crate::ops::Access::SetTtl(ttl), self.now());
            self.run(op)$($aw)*
        }

        /// A new token for the same session; the old token is dead at once.
        pub $($async)? fn regenerate(&self, app: &str, token: impl AsRef<str>) -> Result<Option<crate::Token>, crate::Error> {
            let (app, token) = (self.host.scope(app)?, crate::Handle::of_token(token.as_ref())?);
            let new = app.shards.token(app.shards.of_handle(&token))?;
            let op = crate::ops::regenerate(app, token, new, self.now());
            self.run(op)$($aw)*
        }

        /// Ends the session; returns how many were killed (0 or 1).
        pub $($async)? fn kill(&self, app: &str, token: impl AsRef<str>) -> Result<u64, crate::Error> {
            let (app, token) = (self.host.scope(app)?, crate::Handle::of_token(token.as_ref())?);
            self.run(crate::ops::kill(app, token, self.now()))$($aw)*
        }

        /// Ends the session with this handle (from a listing); returns 0 or 1.
        pub $($async)? fn kill_handle(&self, app: &str, handle: &str) -> Result<u64, crate::Error> {
            let (app, handle) = (self.host.scope(app)?, crate::Handle::new(handle)?);
            self.run(crate::ops::kill(app, handle, self.now()))$($aw)*
        }

        /// Unique users accessed within the last `dt` seconds.
        pub $($async)? fn activity(&self, app: &str, dt: u64) -> Result<u64, crate::Error> {
            let (app, dt) = (self.host.scope(app)?, crate::validate::delta(dt)?);
            self.run(crate::ops::activity(app, dt, self.now()))$($aw)*
        }

        /// Live sessions accessed within the last `dt` seconds, most recent first.
        pub $($async)? fn soapp(&self, app: &str, dt: u64) -> Result<Vec<crate::Listed>, crate::Error> {
            let (app, dt) = (self.host.scope(app)?, crate::validate::delta(dt)?);
            self.run(crate::ops::soapp(app, dt, self.now()))$($aw)*
        }

        /// One user's live sessions, oldest first.
        pub $($async)? fn soid(&self, app: &str, id: &str) -> Result<Vec<crate::Listed>, crate::Error> {
            let (app, id) = (self.host.scope(app)?, crate::UserId::new(id)?);
            self.run(crate::ops::soid(app, id, self.now()))$($aw)*
        }

        /// One page of [`soapp`](Self::soapp): at most `limit` live sessions accessed within
        /// `dt` seconds, after `cursor` (from the previous page; `None` for the first). The
        /// page's `cursor` is `None` when the listing is complete. See [`crate::ops::page`]
        /// for the order and why a session listed once is never listed again.
        pub $($async)? fn soapp_page(&self, app: &str, dt: u64, limit: u32, cursor: Option<&str>) -> Result<crate::ops::Page, crate::Error> {
            let (app, dt) = (self.host.scope(app)?, crate::validate::delta(dt)?);
            let args = crate::ops::page::args(limit, cursor, &app.app, None)?;
            self.run(crate::ops::soapp_page(app, dt, args, self.now()))$($aw)*
        }

        /// One page of [`soid`](Self::soid): at most `limit` of one user's live sessions,
        /// after `cursor`.
        pub $($async)? fn soid_page(&self, app: &str, id: &str, limit: u32, cursor: Option<&str>) -> Result<crate::ops::Page, crate::Error> {
            let (app, id) = (self.host.scope(app)?, crate::UserId::new(id)?);
            let args = crate::ops::page::args(limit, cursor, &app.app, Some(&id))?;
            self.run(crate::ops::soid_page(app, id, args, self.now()))$($aw)*
        }

        /// Ends all of one user's sessions; returns how many.
        pub $($async)? fn killsoid(&self, app: &str, id: &str) -> Result<u64, crate::Error> {
            let (app, id) = (self.host.scope(app)?, crate::UserId::new(id)?);
            Ok(self.run(crate::ops::killsoid(app, id, self.now()))$($aw)*?.count)
        }

        /// Ends all sessions of one app; returns how many.
        pub $($async)? fn killall(&self, app: &str) -> Result<u64, crate::Error> {
            let app = self.host.scope(app)?;
            Ok(self.run(crate::ops::killall(app, self.now()))$($aw)*?.count)
        }

        /// Removes expired sessions from every index, in `app` or in every app, examining at
        /// most `limit` index entries; `more` says another sweep has work. `limit` 0 removes
        /// nothing and only answers `more` (a probe). See [`crate::sweep`].
        pub $($async)? fn sweep(&self, app: Option<&str>, limit: u32) -> Result<crate::ops::Removal, crate::Error> {
            let app = app.map(crate::App::new).transpose()?;
            self.run(crate::ops::sweep_in(self.host.shards, app, limit, self.now()))$($aw)*
        }

        /// One tick of timed sweeping ([`crate::sweep::Tick`]): steps of
        /// [`crate::sweep::STEP`] entries over every app while they report more work, at most
        /// [`crate::sweep::TICK_STEPS`] of them. Returns `true` when work is left (run the
        /// next tick soon rather than a full period later). A failing step ends the tick: the
        /// next one tries again.
        pub $($async)? fn sweep_tick(&self) -> bool {
            let mut tick = crate::sweep::Tick::new();
            while let Some(limit) = tick.step() {
                let step = self.run(crate::ops::sweep_in(self.host.shards, None, limit, self.now()))$($aw)*;
                tick.record(step.map(|r| r.more).map_err(|_| ()));
            }
            tick.backlog()
        }

        /// Any operation by its JS name, with a JSON option object, answered in
        /// redis-sessions' JSON shape: the entry point of bindings and the REST server.
        pub $($async)? fn call(&self, op: &str, input: &serde_json::Value) -> Result<serde_json::Value, crate::Error> {
            Ok(self.respond(op, input)$($aw)*?.to_json())
        }

        /// [`call`](Self::call), answered as a [`Response`](crate::Response): write it with
        /// [`Response::to_json_text`](crate::Response::to_json_text), and a listing goes from
        /// the records to the text without a `serde_json::Value` tree of every session.
        pub $($async)? fn respond(&self, op: &str, input: &serde_json::Value) -> Result<crate::Response, crate::Error> {
            let op = crate::Request::parse(op, input)?.into_op_in(self.now(), self.host.shards)?;
            self.run(op)$($aw)*
        }
    };
}

pub(crate) use host_builders;
pub(crate) use session_api;
