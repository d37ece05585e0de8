//! [`Order`]: the members of a large sorted set, by score.

use std::cmp::Ordering;
use std::collections::BTreeSet;

/// A large sorted set's members (slot numbers in a [`Names`](super::names::Names)) ordered by
/// score. The member's score itself lives in its slot.
///
/// The tree orders ties by slot number, not by member bytes: comparing numbers never reads a
/// string, and an entry is 16 bytes. [`Order::range`] puts ties in member order on the way
/// out, which costs only the ties it returns.
#[derive(Debug, Default)]
pub(crate) struct Order(BTreeSet<(u64, u32)>);

/// A member's score as its slot keeps it: [`NO_SCORE`] when it is not in the set (a bare `u64`
/// rather than an `Option`: 8 bytes a set per slot, on every session).
pub(crate) type Score = u64;

/// The score of a slot that is not in the set. Scores are milliseconds below 2^53 (the
/// protocol's range), so this value is never a member's.
pub(crate) const NO_SCORE: Score = u64::MAX;

impl Order {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn insert(&mut self, score: u64, slot: u32) {
        self.0.insert((score, slot));
    }

    pub(crate) fn remove(&mut self, score: u64, slot: u32) {
        self.0.remove(&(score, slot));
    }

    /// Moves `slot` (whose score is kept in `at`) to `score` (kept below [`NO_SCORE`]).
    pub(crate) fn rescore(&mut self, at: &mut Score, slot: u32, score: u64) {
        let score = score.min(NO_SCORE - 1);
        let old = std::mem::replace(at, score);
        if old == score {
            return;
        }
        if old != NO_SCORE {
            self.remove(old, slot);
        }
        self.insert(score, slot);
    }

    /// Takes `slot` (whose score is kept in `at`) out; true when it was in.
    pub(crate) fn unscore(&mut self, at: &mut Score, slot: u32) -> bool {
        let old = std::mem::replace(at, NO_SCORE);
        if old == NO_SCORE {
            return false;
        }
        self.remove(old, slot);
        true
    }

    /// How many members have `min <= score <= max`.
    pub(crate) fn count(&self, min: u64, max: u64) -> u64 {
        if min > max {
            return 0;
        }
        self.0.range((min, 0)..=(max, u32::MAX)).count() as u64
    }

    /// Members with `min <= score <= max` as (slot, score), ascending by score and then by
    /// member, as `ties` orders two slots (descending with `rev`), at most `limit`.
    pub(crate) fn range(
        &self,
        min: u64,
        max: u64,
        limit: Option<u32>,
        rev: bool,
        ties: impl Fn(u32, u32) -> Ordering,
    ) -> Vec<(u32, u64)> {
        if min > max {
            return Vec::new();
        }
        let range = self.0.range((min, 0)..=(max, u32::MAX)).copied();
        let picked = if rev {
            take_with_ties(range.rev(), limit)
        } else {
            take_with_ties(range, limit)
        };
        in_member_order(picked, limit, rev, ties)
    }

    /// Every (slot, score).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.0.iter().map(|&(s, i)| (i, s))
    }
}

/// The first `limit` entries of a run sorted by score, plus any that tie with the last one
/// (which of the ties make the cut depends on member order).
pub(crate) fn take_with_ties(
    entries: impl Iterator<Item = (u64, u32)>,
    limit: Option<u32>,
) -> Vec<(u64, u32)> {
    let limit = limit.map_or(usize::MAX, |l| l as usize);
    let mut out: Vec<(u64, u32)> = Vec::new();
    for (score, slot) in entries {
        if out.len() >= limit && out.last().is_none_or(|&(last, _)| last != score) {
            break;
        }
        out.push((score, slot));
    }
    out
}

/// Sorts `picked` by (score, member), descending with `rev`, and keeps the first `limit`, as
/// (slot, score).
pub(crate) fn in_member_order(
    mut picked: Vec<(u64, u32)>,
    limit: Option<u32>,
    rev: bool,
    ties: impl Fn(u32, u32) -> Ordering,
) -> Vec<(u32, u64)> {
    picked.sort_by(|a, b| {
        let ord = a.0.cmp(&b.0).then_with(|| ties(a.1, b.1));
        if rev { ord.reverse() } else { ord }
    });
    picked.truncate(limit.map_or(usize::MAX, |l| l as usize));
    picked
        .into_iter()
        .map(|(score, slot)| (slot, score))
        .collect()
}
