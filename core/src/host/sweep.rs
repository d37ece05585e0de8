//! The sweep policy ([`crate::sweep`]) for hosts written in JavaScript, in the plain numbers
//! that cross a binding: the Node addon and the wasm module wrap these types and add nothing.

use crate::ops::Removal;
use crate::sweep::{self, AutoSweep, Schedule, Spread, Tick};

/// An outcome as a number: `1` the step has more work, `0` none, anything else it failed.
fn outcome(more: i32) -> Result<bool, ()> {
    match more {
        1 => Ok(true),
        0 => Ok(false),
        _ => Err(()),
    }
}

/// How one `Sessions` sweeps: [`sweep::schedule`]'s choice, and the in-call policy when that
/// is the choice.
#[derive(Debug)]
pub struct SweepPlan {
    schedule: Schedule,
    in_calls: AutoSweep,
}

impl SweepPlan {
    /// The plan for a store shared by other processes (`shared`) or not, with the host's
    /// `wipe` setting in seconds (negative: none given; 0: off).
    pub fn new(shared: bool, wipe: f64) -> Self {
        let wipe = (wipe >= 0.0).then(|| super::millis(wipe));
        Self {
            schedule: sweep::schedule(shared, wipe),
            in_calls: AutoSweep::default(),
        }
    }

    /// The period of timed sweeps in milliseconds, or 0 when there is no timer.
    pub fn timer_ms(&self) -> f64 {
        match self.schedule {
            Schedule::Timer { every_ms } => every_ms as f64,
            _ => 0.0,
        }
    }

    /// The `limit` of an in-call step due now, or 0 when none is (or sweeping is not in calls).
    /// A step claimed here must be reported with [`SweepPlan::finished`].
    pub fn claim(&self, now: f64) -> u32 {
        if self.schedule == Schedule::InCalls && self.in_calls.claim(super::millis(now)) {
            self.in_calls.batch
        } else {
            0
        }
    }

    /// The outcome of a claimed step: `more` is 1 (more work), 0 (none) or -1 (it failed).
    pub fn finished(&self, now: f64, more: i32) {
        let outcome = outcome(more).ok().map(|more| Removal { count: 0, more });
        self.in_calls.finished(super::millis(now), outcome);
    }
}

/// One tick of timed sweeping ([`Tick`]).
#[derive(Debug, Default)]
pub struct SweepTick(Tick);

impl SweepTick {
    /// A tick that has not run a step yet.
    pub fn new() -> Self {
        Self(Tick::new())
    }

    /// The next step's `limit`, or -1 when the tick is over.
    pub fn step(&mut self) -> i64 {
        self.0.step().map_or(-1, i64::from)
    }

    /// The step's outcome: `more` is 1 (more work), 0 (none) or -1 (it failed).
    pub fn record(&mut self, more: i32) {
        self.0.record(outcome(more));
    }

    /// True when the tick stopped with work left: run the next one soon.
    pub fn backlog(&self) -> bool {
        self.0.backlog()
    }
}

/// `sweep` across apps kept apart ([`Spread`]).
#[derive(Debug)]
pub struct SweepSpread(Spread);

impl SweepSpread {
    /// A sweep of at most `limit` entries over every app.
    pub fn new(limit: u32) -> Self {
        Self(Spread::new(limit))
    }

    /// The sweep that `sweep`'s option object asks for (JSON text): its `limit`, or the
    /// default ([`sweep::STEP`]) when it has none, or one the core rejects (check the input
    /// first).
    pub fn of_input(input_json: &str) -> Self {
        let limit = super::parse_input(input_json)
            .and_then(|input| crate::input::Request::parse("sweep", &input))
            .map_or(sweep::STEP, |r| match r {
                crate::input::Request::Sweep(_, limit) => limit,
                _ => sweep::STEP,
            });
        Self::new(limit)
    }

    /// The `limit` for the next app's `sweep` (0: a probe).
    pub fn limit(&self) -> u32 {
        self.0.limit()
    }

    /// Records an app's answer `{swept, more}`; false when the sweep is over.
    pub fn record(&mut self, swept: f64, more: bool) -> bool {
        self.0.record(Removal {
            count: super::millis(swept),
            more,
        })
    }

    /// The answer of the whole sweep as JSON text, `{"swept", "more"}`.
    pub fn result(&self) -> String {
        let r = self.0.result();
        format!("{{\"swept\":{},\"more\":{}}}", r.count, r.more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_sweeps_in_calls_or_on_a_timer_never_both() {
        let local = SweepPlan::new(false, -1.0);
        assert_eq!((local.timer_ms(), local.claim(0.0)), (0.0, 100));
        assert_eq!(local.claim(0.0), 0, "one caller wins a due step");
        local.finished(0.0, 1);
        assert_eq!(local.claim(1.0), 100, "more work: due again at once");
        let shared = SweepPlan::new(true, 60.0);
        assert_eq!((shared.timer_ms(), shared.claim(0.0)), (60_000.0, 0));
        let off = SweepPlan::new(false, 0.0);
        assert_eq!((off.timer_ms(), off.claim(0.0)), (0.0, 0));
    }

    #[test]
    fn a_tick_and_a_spread_in_numbers() {
        let mut tick = SweepTick::new();
        assert_eq!(tick.step(), 1000);
        tick.record(0);
        assert_eq!((tick.step(), tick.backlog()), (-1, false));
        assert_eq!(SweepSpread::of_input("{}").limit(), 1000);
        assert_eq!(SweepSpread::of_input(r#"{"limit":"0"}"#).limit(), 0);
        let mut all = SweepSpread::of_input(r#"{"limit":3}"#);
        assert!(all.record(3.0, false));
        assert_eq!(all.limit(), 0);
        assert!(!all.record(0.0, true));
        assert_eq!(all.result(), r#"{"swept":3,"more":true}"#);
    }
}
