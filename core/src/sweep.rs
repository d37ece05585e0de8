//! When and how much to sweep: the one policy every host asks, whether it sweeps inside
//! calls, on a timer, from a Durable Object's alarm or from a cron.
//!
//! A sweep step (`sweep` with a `limit`) removes expired sessions from every index and
//! examines at most `limit` index entries; its `more` says another step has work (an entry
//! is due: an expired session, or a live one whose expiry bound is stale). `limit` 0 examines
//! nothing and only answers `more`: a probe. Which schedule a host runs is [`schedule`]'s
//! choice; both are built on the step:
//!
//! - **Inside calls** ([`AutoSweep`]): an in-process store (the memory store) or a store
//!   written in JavaScript sweeps in small steps piggybacked on ordinary calls: at most one
//!   step of [`AutoSweep::default`]'s 100 entries a second, and while a step reports `more`,
//!   one step on every call until the backlog is gone. No timer keeps a process alive.
//! - **On a timer** ([`Tick`]): a store shared by many processes (Redis, a Durable Object)
//!   is swept by each host on a period it chooses (redis-sessions' `wipe`, the server's
//!   `--wipe`, an alarm, a cron). Each tick runs steps of [`STEP`] entries while they report
//!   `more`, at most [`TICK_STEPS`] of them, so no tick does unbounded work; a tick that stops
//!   with work left says so ([`Tick::backlog`]), and the host runs the next one soon instead of
//!   a full period later.
//!
//! A host whose apps live apart (the Worker: one Durable Object per app) sweeps "every app"
//! as [`Spread`] says, so that its answer means what the core's own answer means.
//!
//! ```
//! use session_core::sweep::Tick;
//! let mut tick = Tick::new();
//! let mut steps = 0;
//! while let Some(limit) = tick.step() {
//!     steps += 1;
//!     // Run `sweep` with `limit` here; this one pretends the store had two steps of work.
//!     tick.record(Ok(steps < 2));
//! }
//! assert_eq!((steps, tick.backlog()), (2, false));
//! ```

use crate::ops::Removal;
use std::sync::atomic::{AtomicU64, Ordering};

/// The index entries one timed sweep step examines at most: `sweep`'s default `limit`.
pub const STEP: u32 = 1_000;
/// The index entries one in-call step examines at most ([`AutoSweep::default`]).
pub const IN_CALL_STEP: u32 = 100;
/// The shortest time between in-call steps when there is no backlog, in milliseconds.
pub const IN_CALL_INTERVAL_MS: u64 = 1_000;
/// The largest `limit` a `sweep` accepts.
pub const LIMIT_MAX: u32 = 10_000;
/// The steps one tick of a timer runs at most (100,000 entries at [`STEP`]).
pub const TICK_STEPS: u32 = 100;
/// The period of timed sweeps when the host has no setting of its own (redis-sessions' `wipe`
/// default), in milliseconds.
pub const TICK_INTERVAL_MS: u64 = 600_000;
/// The shortest period of timed sweeps (redis-sessions' lower bound on `wipe`), in ms.
pub const TICK_INTERVAL_MIN_MS: u64 = 10_000;

/// How a host sweeps: what [`schedule`] chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Not at all: the app calls `sweep` itself (`wipe: 0`, `autoSweep: false`).
    Off,
    /// In bounded steps inside ordinary calls ([`AutoSweep`]): for a store only this process
    /// uses, where no timer should keep the process alive.
    InCalls,
    /// On a timer ([`Tick`]) every so many milliseconds: for a store shared by many processes
    /// (Redis, a Durable Object), where sweeping inside calls would make every process sweep
    /// the same entries and put the cost on an unlucky request.
    Timer {
        /// The period.
        every_ms: u64,
    },
}

/// The schedule for a host: `shared` when other processes use the store too; `wipe` is the
/// host's setting in seconds (redis-sessions' option: `Some(0)` off; `None` the default of
/// [`TICK_INTERVAL_MS`]; at least [`TICK_INTERVAL_MIN_MS`]).
///
/// ```
/// use session_core::sweep::{schedule, Schedule};
/// assert_eq!(schedule(false, None), Schedule::InCalls);
/// assert_eq!(schedule(true, None), Schedule::Timer { every_ms: 600_000 });
/// assert_eq!(schedule(true, Some(3)), Schedule::Timer { every_ms: 10_000 });
/// assert_eq!(schedule(true, Some(0)), Schedule::Off);
/// ```
pub fn schedule(shared: bool, wipe: Option<u64>) -> Schedule {
    match (wipe, shared) {
        (Some(0), _) => Schedule::Off,
        (_, false) => Schedule::InCalls,
        (wipe, true) => Schedule::Timer {
            every_ms: tick_interval_ms(wipe.unwrap_or(0)),
        },
    }
}

/// One tick of timed sweeping: the limits of its steps, and when it ends.
///
/// Call [`Tick::step`] for the next step's `limit` (`None`: the tick is over), run `sweep`
/// with it, and [`Tick::record`] the outcome (its `more`, or the failure).
#[derive(Debug, Clone)]
pub struct Tick {
    steps: u32,
    /// The last step's outcome: `Some(true)` more work, `Some(false)` none, `None` failed.
    last: Option<Option<bool>>,
}

impl Default for Tick {
    fn default() -> Self {
        Self::new()
    }
}

impl Tick {
    /// A tick that has not run a step yet.
    pub fn new() -> Self {
        Self {
            steps: 0,
            last: None,
        }
    }

    /// The `limit` of the next step, or `None` when the tick is over: the last step found no
    /// more work, or failed (the next tick tries again), or the tick ran [`TICK_STEPS`].
    pub fn step(&mut self) -> Option<u32> {
        let go = match self.last {
            None => true,
            Some(Some(more)) => more,
            Some(None) => false,
        };
        (go && self.steps < TICK_STEPS).then(|| {
            self.steps += 1;
            STEP
        })
    }

    /// The outcome of the step [`Tick::step`] asked for: `Ok(more)`, or `Err(())` when the
    /// store failed.
    pub fn record(&mut self, outcome: Result<bool, ()>) {
        self.last = Some(outcome.ok());
    }

    /// True when the tick stopped with work left (it ran its steps out): run the next tick
    /// soon rather than a full period later.
    pub fn backlog(&self) -> bool {
        self.last == Some(Some(true))
    }
}

/// The period of timed sweeps for a host setting in seconds (`0`: the default), kept at
/// least [`TICK_INTERVAL_MIN_MS`]; what redis-sessions does with its `wipe` option.
pub fn tick_interval_ms(seconds: u64) -> u64 {
    match seconds {
        0 => TICK_INTERVAL_MS,
        s => s.saturating_mul(1000).max(TICK_INTERVAL_MIN_MS),
    }
}

/// Sweeps in bounded steps, piggybacked on ordinary calls.
///
/// At most one step is due per `interval_ms`; a step removes at most `batch` expired sessions.
/// While steps find more work, the next call runs another one, so a backlog drains at
/// `batch` sessions per call and no single call does unbounded work.
#[derive(Debug)]
pub struct AutoSweep {
    /// Milliseconds between steps when there is no backlog.
    pub interval_ms: u64,
    /// Sessions removed per step at most.
    pub batch: u32,
    next_at: AtomicU64,
}

impl AutoSweep {
    /// A policy with the given interval and step size.
    pub fn new(interval_ms: u64, batch: u32) -> Self {
        Self {
            interval_ms,
            batch: batch.max(1),
            next_at: AtomicU64::new(0),
        }
    }

    /// True when a step should run now. Only one caller wins a due step, so threads sharing
    /// a driver do not sweep at once.
    pub fn claim(&self, now: u64) -> bool {
        let next = self.next_at.load(Ordering::Acquire);
        now >= next
            && self
                .next_at
                .compare_exchange(next, u64::MAX, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// Records the outcome of a claimed step (`None`: it failed; try again after the interval).
    pub fn finished(&self, now: u64, outcome: Option<Removal>) {
        let next = match outcome {
            Some(r) if r.more => now,
            _ => now.saturating_add(self.interval_ms),
        };
        self.next_at.store(next, Ordering::Release);
    }
}

impl Default for AutoSweep {
    /// One step of up to [`IN_CALL_STEP`] entries per [`IN_CALL_INTERVAL_MS`].
    fn default() -> Self {
        Self::new(IN_CALL_INTERVAL_MS, IN_CALL_STEP)
    }
}

/// `sweep` across every app for a host that keeps each app's store apart (the Worker: one
/// Durable Object per app), with the meaning of the core's own answer: at most `limit` entries
/// in all, and `more` exact.
///
/// Ask the apps in turn: `sweep` on the next app with [`Spread::limit`] (0 once the budget is
/// spent: a probe, which only answers `more`), then [`Spread::record`] its answer, until
/// `record` says stop or the apps run out; [`Spread::result`] is the answer.
///
/// The budget is counted in sessions swept: an app that answers `more: false` has nothing
/// due, so the entries it examined beyond those it swept (live sessions whose expiry bound it
/// moved) are not known to the host, and are not charged.
///
/// ```
/// use session_core::ops::Removal;
/// use session_core::sweep::Spread;
/// let mut all = Spread::new(10);
/// assert_eq!(all.limit(), 10);
/// assert!(all.record(Removal { count: 10, more: false })); // the first app used the budget
/// assert_eq!(all.limit(), 0); // the next apps are probed
/// assert!(!all.record(Removal { count: 0, more: true })); // one has work: stop
/// assert_eq!(all.result(), Removal { count: 10, more: true });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Spread {
    left: u32,
    done: Removal,
}

impl Spread {
    /// A sweep of at most `limit` entries over every app.
    pub fn new(limit: u32) -> Self {
        Self {
            left: limit,
            done: Removal::default(),
        }
    }

    /// The `limit` for the next app's `sweep`.
    pub fn limit(&self) -> u32 {
        self.left
    }

    /// Records an app's answer; false when the sweep is over (an app has more work).
    pub fn record(&mut self, answer: Removal) -> bool {
        self.done.count += answer.count;
        self.left = self
            .left
            .saturating_sub(u32::try_from(answer.count).unwrap_or(u32::MAX));
        self.done.more |= answer.more;
        !answer.more
    }

    /// The answer of the whole sweep.
    pub fn result(&self) -> Removal {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_steps_while_there_is_more_and_no_further() {
        let mut tick = Tick::new();
        let mut steps = 0;
        while let Some(limit) = tick.step() {
            assert_eq!(limit, STEP);
            steps += 1;
            tick.record(Ok(true));
        }
        assert_eq!((steps, tick.backlog()), (TICK_STEPS, true));
        let mut failed = Tick::new();
        assert_eq!(failed.step(), Some(STEP));
        failed.record(Err(()));
        assert_eq!((failed.step(), failed.backlog()), (None, false));
    }

    #[test]
    fn a_spread_stops_at_the_first_app_with_more() {
        let mut all = Spread::new(5);
        assert!(all.record(Removal {
            count: 2,
            more: false
        }));
        assert_eq!(all.limit(), 3);
        assert!(!all.record(Removal {
            count: 3,
            more: true
        }));
        assert_eq!(
            all.result(),
            Removal {
                count: 5,
                more: true
            }
        );
    }

    #[test]
    fn intervals_follow_wipe() {
        assert_eq!(tick_interval_ms(0), 600_000);
        assert_eq!(tick_interval_ms(3), 10_000);
        assert_eq!(tick_interval_ms(60), 60_000);
    }

    #[test]
    fn a_claimed_step_is_due_again_at_once_while_there_is_more() {
        let p = AutoSweep::default();
        assert!(p.claim(5));
        assert!(!p.claim(5), "one caller wins a due step");
        p.finished(
            5,
            Some(Removal {
                count: 100,
                more: true,
            }),
        );
        assert!(p.claim(6));
        p.finished(6, None);
        assert!(!p.claim(1_005) && p.claim(1_006));
    }
}
