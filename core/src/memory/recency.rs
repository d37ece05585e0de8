//! [`Recency`]: a sorted set whose new scores are nearly always the largest: `_users`, scored
//! by each user's last access, which every access moves to "now".
//!
//! A doubly linked list in score order, over slot numbers. Moving a member to the newest
//! score unlinks it and appends it at the tail: O(1), where a tree pays O(log n) twice (and a
//! cache miss per level) on every access. A score that is not the largest (a clock that went
//! back) walks back from the tail to its place, so the order is always exact. Ranges walk from
//! the end they start at, so "accessed within the last `dt`" (the only ranges the core asks
//! of this set) costs what it returns.

use super::order::{in_member_order, take_with_ties};
use std::cmp::Ordering;

/// No slot.
const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Link {
    prev: u32,
    next: u32,
    /// `None`: not a member.
    score: Option<u64>,
}

const VACANT: Link = Link {
    prev: NIL,
    next: NIL,
    score: None,
};

/// Slots ordered by score, oldest first.
#[derive(Debug)]
pub(crate) struct Recency {
    /// By slot number.
    links: Vec<Link>,
    head: u32,
    tail: u32,
    len: usize,
}

impl Default for Recency {
    fn default() -> Self {
        Self {
            links: Vec::new(),
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

impl Recency {
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The score of `slot`, if it is a member.
    pub(crate) fn score(&self, slot: u32) -> Option<u64> {
        self.links.get(slot as usize).and_then(|l| l.score)
    }

    fn link(&self, slot: u32) -> &Link {
        &self.links[slot as usize]
    }

    /// Adds `slot` at `score`, or moves it there.
    pub(crate) fn rescore(&mut self, slot: u32, score: u64) {
        if self.score(slot) == Some(score) {
            return;
        }
        self.unscore(slot);
        let i = slot as usize;
        if self.links.len() <= i {
            self.links.resize(i + 1, VACANT);
        }
        // After the last member whose score is not above `score` (usually the tail).
        let mut after = self.tail;
        while after != NIL && self.link(after).score > Some(score) {
            after = self.link(after).prev;
        }
        let before = if after == NIL {
            self.head
        } else {
            self.link(after).next
        };
        self.links[i] = Link {
            prev: after,
            next: before,
            score: Some(score),
        };
        match after {
            NIL => self.head = slot,
            a => self.links[a as usize].next = slot,
        }
        match before {
            NIL => self.tail = slot,
            b => self.links[b as usize].prev = slot,
        }
        self.len += 1;
    }

    /// Takes `slot` out; true when it was a member.
    pub(crate) fn unscore(&mut self, slot: u32) -> bool {
        let Some(&Link {
            prev,
            next,
            score: Some(_),
        }) = self.links.get(slot as usize)
        else {
            return false;
        };
        match prev {
            NIL => self.head = next,
            p => self.links[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.links[n as usize].prev = prev,
        }
        self.links[slot as usize] = VACANT;
        self.len -= 1;
        if self.len == 0 {
            // The last member left: give the memory back.
            *self = Self::default();
        }
        true
    }

    /// Members with `min <= score <= max` in score order (descending with `rev`), walking
    /// from the end the range starts at.
    fn within(&self, min: u64, max: u64, rev: bool) -> impl Iterator<Item = (u64, u32)> + '_ {
        let mut at = if rev { self.tail } else { self.head };
        std::iter::from_fn(move || {
            let slot = at;
            let link = self.links.get(slot as usize)?;
            at = if rev { link.prev } else { link.next };
            Some((link.score.unwrap_or_default(), slot))
        })
        .skip_while(move |&(s, _)| if rev { s > max } else { s < min })
        .take_while(move |&(s, _)| if rev { s >= min } else { s <= max })
    }

    /// How many members have `min <= score <= max`.
    pub(crate) fn count(&self, min: u64, max: u64) -> u64 {
        if min > max {
            return 0;
        }
        self.within(min, max, true).count() as u64
    }

    /// Members with `min <= score <= max`, as [`Order::range`](super::order::Order::range).
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
        in_member_order(
            take_with_ties(self.within(min, max, rev), limit),
            limit,
            rev,
            ties,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_score_order_whatever_the_insertion_order() {
        let mut r = Recency::default();
        let ties = |a: u32, b: u32| a.cmp(&b);
        for (slot, score) in [(0, 10), (1, 20), (2, 5), (3, 20), (4, 15), (0, 30), (2, 1)] {
            r.rescore(slot, score);
        }
        let all = r.range(0, u64::MAX, None, false, ties);
        assert_eq!(all, vec![(2, 1), (4, 15), (1, 20), (3, 20), (0, 30)]);
        assert_eq!(r.range(15, 20, Some(2), true, ties), vec![(3, 20), (1, 20)]);
        assert_eq!(r.count(15, 20), 3);
        assert_eq!(r.count(21, 20), 0);
        assert!(r.unscore(1));
        assert!(!r.unscore(1));
        assert_eq!(r.score(0), Some(30));
        for slot in [0, 2, 3, 4] {
            assert!(r.unscore(slot));
        }
        assert!(r.is_empty());
        assert_eq!(r.range(0, u64::MAX, None, false, ties), vec![]);
    }
}
