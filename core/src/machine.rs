//! The sans-IO machinery: how an operation asks for store work and gets its result.
//!
//! Every operation is a [`Machine`]. Its driver calls [`Machine::start`], runs each
//! [`Step::Run`] batch against a store, and passes the outcome to [`Machine::resume`], until the
//! machine says [`Step::Done`]. The machine never blocks, never reads a clock (`now` is one of
//! its inputs) and never touches I/O, so the same machine runs under a sync driver, an async
//! driver, or a JavaScript loop.
//!
//! ```
//! use session_core::machine::{Machine, Step};
//! use session_core::store::{ApplyError, SyncStore};
//! use session_core::{ops, Create, MemoryStore, Token};
//!
//! let store = MemoryStore::new();
//! let input = Create::new("shop", "u1", "10.0.0.1").validate().unwrap();
//! let mut op = ops::create(input, Token::generate().unwrap(), 1_700_000_000_000);
//! let mut step = op.start();
//! let token = loop {
//!     match step {
//!         Step::Done(result) => break result.unwrap(),
//!         Step::Run(batch) => {
//!             let outcome = match store.apply(batch) {
//!                 Ok(replies) => Ok(replies),
//!                 Err(ApplyError::Conflict) => Err(session_core::machine::Conflict),
//!                 Err(ApplyError::Store(m)) => panic!("store failed: {m}"),
//!             };
//!             step = op.resume(outcome);
//!         }
//!     }
//! };
//! assert_eq!(token.as_str().len(), 64);
//! assert_eq!(op.take_events().len(), 1); // "created"
//! ```

use crate::error::Error;
use crate::event::Event;
use crate::store::{Batch, Reply};
use crate::token::Handle;

/// How many times an operation re-reads and retries after version conflicts before it gives
/// up with a `conflict` error.
pub const MAX_ATTEMPTS: u32 = 32;

/// What a machine wants next.
#[derive(Debug)]
pub enum Step<T> {
    /// Run this batch against the store and call [`Machine::resume`] with the outcome.
    Run(Batch),
    /// The operation is over.
    Done(Result<T, Error>),
}

/// The store refused a batch because a version expectation failed (nothing was applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict;

/// An operation, driven step by step.
pub trait Machine {
    /// The operation's result.
    type Output;
    /// The first step. Call once.
    fn start(&mut self) -> Step<Self::Output>;
    /// The next step, given the outcome of the last batch: its replies, or a conflict.
    fn resume(&mut self, outcome: Result<Vec<Reply>, Conflict>) -> Step<Self::Output>;
    /// Events that have happened so far (drained).
    fn take_events(&mut self) -> Vec<Event>;
    /// The one session this operation updates, if it is a single-session operation. Drivers
    /// serialize operations with the same key within a process, so that contention on one hot
    /// session queues instead of spinning through version conflicts; versions still guard
    /// against other processes. Such an operation reads its session's record first and then
    /// writes or deletes it conditionally on the version read (its read is `cached`).
    fn lock_key(&self) -> Option<Handle> {
        None
    }
    /// True for an operation of a few small batches on one session (`create` and every
    /// operation with a [`lock_key`](Machine::lock_key)): a driver may run it in one
    /// exclusive turn of an in-process store. Operations over many sessions are false.
    fn one_session(&self) -> bool {
        self.lock_key().is_some()
    }
}

/// The inside of an operation: a plan of batches. Conflicts and retries are handled once, in
/// [`Op`], so each flow only says what to read and what to write. The crate's operations are
/// flows wrapped in [`Op`]; drivers only ever see [`Machine`].
pub trait Flow {
    /// The operation's result.
    type Output;
    /// The first batch (or the result, when no store work is needed).
    fn start(&mut self) -> Step<Self::Output>;
    /// The last batch conflicted: plan again from a fresh read of the current unit of work.
    /// Work already applied by earlier batches stays counted.
    fn retry(&mut self) -> Step<Self::Output> {
        self.start()
    }
    /// The last batch was applied; here are its replies.
    fn next(&mut self, replies: Vec<Reply>, events: &mut Vec<Event>) -> Step<Self::Output>;
    /// See [`Machine::lock_key`].
    fn lock_key(&self) -> Option<Handle> {
        None
    }
    /// See [`Machine::one_session`].
    fn one_session(&self) -> bool {
        self.lock_key().is_some()
    }
}

/// A [`Flow`] with bounded conflict retries: the [`Machine`] that drivers run.
#[derive(Debug)]
pub struct Op<F> {
    flow: F,
    conflicts: u32,
    max_attempts: u32,
    events: Vec<Event>,
}

impl<F> Op<F> {
    /// Wraps a flow with the default retry bound ([`MAX_ATTEMPTS`]).
    pub fn new(flow: F) -> Self {
        Self {
            flow,
            conflicts: 0,
            max_attempts: MAX_ATTEMPTS,
            events: Vec::new(),
        }
    }

    /// Sets the retry bound (at least 1 attempt).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The flow, to adjust before the machine starts.
    pub(crate) fn flow_mut(&mut self) -> &mut F {
        &mut self.flow
    }
}

impl<F: Flow> Machine for Op<F> {
    type Output = F::Output;

    fn start(&mut self) -> Step<F::Output> {
        self.flow.start()
    }

    fn resume(&mut self, outcome: Result<Vec<Reply>, Conflict>) -> Step<F::Output> {
        match outcome {
            Ok(replies) => self.flow.next(replies, &mut self.events),
            Err(Conflict) => {
                self.conflicts += 1;
                if self.conflicts >= self.max_attempts {
                    Step::Done(Err(Error::Conflict {
                        attempts: self.conflicts,
                    }))
                } else {
                    self.flow.retry()
                }
            }
        }
    }

    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn lock_key(&self) -> Option<Handle> {
        self.flow.lock_key()
    }

    fn one_session(&self) -> bool {
        self.flow.one_session()
    }
}

/// Reads the replies of a batch, failing with `storeError` when the store answered out of
/// protocol (wrong count or kind).
pub(crate) struct Replies(std::vec::IntoIter<Reply>);

impl Replies {
    pub(crate) fn new(replies: Vec<Reply>) -> Self {
        Self(replies.into_iter())
    }

    fn next_reply(&mut self, want: &str) -> Result<Reply, Error> {
        self.0
            .next()
            .ok_or_else(|| Error::store(format!("the store sent too few replies (wanted {want})")))
    }

    pub(crate) fn record(&mut self) -> Result<Option<crate::store::Stored>, Error> {
        match self.next_reply("a record")? {
            Reply::Record(r) => Ok(r),
            other => Err(mismatch("a record", &other)),
        }
    }

    pub(crate) fn members(&mut self) -> Result<Vec<(crate::store::Member, u64)>, Error> {
        match self.next_reply("members")? {
            Reply::Members(m) => Ok(m),
            other => Err(mismatch("members", &other)),
        }
    }

    pub(crate) fn count(&mut self) -> Result<u64, Error> {
        match self.next_reply("a count")? {
            Reply::Count(n) => Ok(n),
            other => Err(mismatch("a count", &other)),
        }
    }
}

fn mismatch(want: &str, got: &Reply) -> Error {
    // Named by kind, not `{:?}`: Debug formatting would link its machinery into the .wasm.
    let got = match got {
        Reply::Record(_) => "a record",
        Reply::Done => "done",
        Reply::Removed(_) => "a removed flag",
        Reply::Members(_) => "members",
        Reply::Count(_) => "a count",
    };
    Error::store(format!("the store sent {got} where {want} was expected"))
}
