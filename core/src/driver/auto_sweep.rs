//! When drivers sweep on their own: a small policy object, so that every driver (Rust, Node,
//! wasm) reclaims expired sessions the same way.

use crate::ops::Removal;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// One step of up to 100 sessions per second.
    fn default() -> Self {
        Self::new(1_000, 100)
    }
}
