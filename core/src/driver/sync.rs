//! The sync driver.

use super::stripes::Stripes;
use super::{Host, advance, host_builders, session_api};
use crate::error::Error;
use crate::machine::{Machine, Step};
use crate::ops;
use crate::store::{ApplyFn, SyncStore};
use std::sync::Mutex;

/// Sessions over an in-process store, driven synchronously.
///
/// ```
/// use session_core::{Create, MemoryStore, Patch, Sessions};
///
/// let sessions = Sessions::new(MemoryStore::new());
/// let token = sessions.create(Create::new("shop", "user1", "10.0.0.1").ttl(3600)).unwrap();
/// sessions.set("shop", token.as_str(), Patch::new().set("cart", 3)).unwrap();
/// let s = sessions.get("shop", token.as_str()).unwrap().unwrap();
/// assert_eq!((s.id.as_str(), s.r, s.w), ("user1", 1, 2));
/// assert_eq!(sessions.activity("shop", 600).unwrap(), 1);
/// assert_eq!(sessions.kill("shop", token.as_str()).unwrap(), 1);
/// assert!(sessions.get("shop", token.as_str()).unwrap().is_none());
/// ```
#[derive(Debug)]
pub struct Sessions<S> {
    store: S,
    host: Host,
    stripes: Stripes<Mutex<()>>,
}

impl<S: SyncStore> Sessions<S> {
    /// Sessions over `store`, with the system clock and automatic sweeping.
    pub fn new(store: S) -> Self {
        Self {
            store,
            host: Host::default(),
            stripes: Stripes::default(),
        }
    }

    host_builders!();

    /// Runs one operation machine to completion against the store, then emits its events.
    ///
    /// An operation on one session runs in one exclusive turn of the store when the store
    /// offers that ([`SyncStore::exclusive`]: the memory store locks once per operation);
    /// otherwise operations on the same session queue behind a per-session lock.
    pub fn run<M: Machine>(&self, mut op: M) -> Result<M::Output, Error> {
        self.maybe_sweep();
        let result = if op.one_session() {
            let mut done = None;
            let exclusive = self
                .store
                .exclusive(&mut |apply| done = Some(drive(&mut op, apply)));
            match done {
                Some(result) if exclusive => result,
                _ => match op.lock_key() {
                    Some(key) => {
                        // Poisoning cannot hide a half-done update: the lock guards no data.
                        let _turn = self
                            .stripes
                            .get(key)
                            .lock()
                            .unwrap_or_else(|e| e.into_inner());
                        self.drive(&mut op)
                    }
                    None => self.drive(&mut op),
                },
            }
        } else {
            self.drive(&mut op)
        };
        self.host.emit(op.take_events());
        result
    }

    fn drive<M: Machine>(&self, op: &mut M) -> Result<M::Output, Error> {
        drive(op, &mut |batch| self.store.apply(batch))
    }

    /// One bounded sweep step, when the policy says one is due.
    fn maybe_sweep(&self) {
        let Some(policy) = &self.host.auto_sweep else {
            return;
        };
        let now = self.host.now();
        if policy.claim(now) {
            let mut op = ops::sweep_in(self.host.shards, None, policy.batch, now);
            let result = self.drive(&mut op).ok();
            self.host.emit(op.take_events());
            policy.finished(now, result);
        }
    }

    session_api!(;);
}

/// Runs `op` to completion, applying each batch with `apply`.
fn drive<M: Machine>(op: &mut M, apply: &mut ApplyFn<'_>) -> Result<M::Output, Error> {
    let mut step = op.start();
    loop {
        match step {
            Step::Done(result) => return result,
            Step::Run(batch) => step = advance(op, apply(batch))?,
        }
    }
}
