//! The async driver.

use super::stripes::Stripes;
use super::{Host, advance, host_builders, session_api};
use crate::error::Error;
use crate::machine::{Machine, Step};
use crate::ops;
use crate::store::AsyncStore;

/// Sessions over a networked store, driven asynchronously (any executor; no runtime is
/// required by the core).
///
/// It has the same methods as [`Sessions`](crate::Sessions), as `async fn`s.
///
/// ```
/// use session_core::store::{ApplyError, AsyncStore, Batch, Reply, SyncStore};
/// use session_core::{AsyncSessions, Create, MemoryStore};
///
/// /// An async store: here a MemoryStore behind an async interface.
/// struct Remote(MemoryStore);
/// impl AsyncStore for Remote {
///     fn apply(&self, batch: Batch) -> impl Future<Output = Result<Vec<Reply>, ApplyError>> + Send {
///         std::future::ready(self.0.apply(batch))
///     }
/// }
///
/// # fn block_on<F: Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// let sessions = AsyncSessions::new(Remote(MemoryStore::new()));
/// block_on(async {
///     let token = sessions.create(Create::new("shop", "u1", "10.0.0.1")).await.unwrap();
///     let s = sessions.get("shop", token.as_str()).await.unwrap().unwrap();
///     assert_eq!(s.r, 1);
/// });
/// ```
#[derive(Debug)]
pub struct AsyncSessions<S> {
    store: S,
    host: Host,
    stripes: Stripes<async_lock::Mutex<()>>,
}

impl<S: AsyncStore> AsyncSessions<S> {
    /// Sessions over `store`, with the system clock, and no sweeping inside calls: a store
    /// across a network is shared by many processes, so the core's schedule
    /// ([`crate::sweep::schedule`]) sweeps it on a timer. Run [`AsyncSessions::sweep_tick`]
    /// every [`crate::sweep::TICK_INTERVAL_MS`] (or your own period) in your runtime, or turn
    /// in-call sweeping on with [`AsyncSessions::with_auto_sweep`].
    pub fn new(store: S) -> Self {
        Self {
            store,
            host: Host::without_auto_sweep(),
            stripes: Stripes::default(),
        }
    }

    host_builders!();

    /// Runs one operation machine to completion against the store, then emits its events.
    pub async fn run<M: Machine>(&self, mut op: M) -> Result<M::Output, Error> {
        self.maybe_sweep().await;
        let result = match op.lock_key() {
            Some(key) => {
                let _turn = self.stripes.get(key).lock().await;
                self.drive(&mut op).await
            }
            None => self.drive(&mut op).await,
        };
        self.host.emit(op.take_events());
        result
    }

    async fn drive<M: Machine>(&self, op: &mut M) -> Result<M::Output, Error> {
        let mut step = op.start();
        loop {
            match step {
                Step::Done(result) => return result,
                Step::Run(batch) => step = advance(op, self.store.apply(batch).await)?,
            }
        }
    }

    async fn maybe_sweep(&self) {
        let Some(policy) = &self.host.auto_sweep else {
            return;
        };
        let now = self.host.now();
        if policy.claim(now) {
            let mut op = ops::sweep_in(self.host.shards, None, policy.batch, now);
            let result = self.drive(&mut op).await.ok();
            self.host.emit(op.take_events());
            policy.finished(now, result);
        }
    }

    session_api!(async; .await);
}
