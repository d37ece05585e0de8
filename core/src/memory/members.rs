//! [`Members`]: a sorted set of handles that usually holds a few, such as one user's sessions.

use super::order::{NO_SCORE, Order, Score, in_member_order};
use hashbrown::HashMap;
use std::cmp::Ordering;

/// Up to this many members stay in a plain vector: most users have a handful of sessions, and
/// a small vector costs a fraction of a map plus a tree.
const SMALL: usize = 8;

/// Members are slot numbers of the app's handles, with their scores.
#[derive(Debug)]
pub(crate) enum Members {
    /// In no particular order; sorted when ranged.
    Small(Vec<(u64, u32)>),
    Large(Box<Large>),
}

#[derive(Debug, Default)]
pub(crate) struct Large {
    scores: HashMap<u32, Score>,
    order: Order,
}

impl Default for Members {
    fn default() -> Self {
        Members::Small(Vec::new())
    }
}

impl Members {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Members::Small(v) => v.is_empty(),
            Members::Large(l) => l.scores.is_empty(),
        }
    }

    /// Adds `slot` at `score`, or moves it there; true when it was not a member.
    pub(crate) fn add(&mut self, slot: u32, score: u64) -> bool {
        match self {
            Members::Small(v) => {
                if let Some(e) = v.iter_mut().find(|e| e.1 == slot) {
                    e.0 = score;
                    return false;
                }
                if v.len() < SMALL {
                    // Grow one at a time: most sets stay at one or two members.
                    v.reserve_exact(1);
                    v.push((score, slot));
                    return true;
                }
                let mut large = Box::<Large>::default();
                for &(s, i) in v.iter() {
                    large.scores.insert(i, s);
                    large.order.insert(s, i);
                }
                *self = Members::Large(large);
                self.add(slot, score)
            }
            Members::Large(l) => {
                let at = l.scores.entry(slot).or_insert(NO_SCORE);
                let added = *at == NO_SCORE;
                l.order.rescore(at, slot, score);
                added
            }
        }
    }

    /// Removes `slot`; true when it was a member.
    pub(crate) fn remove(&mut self, slot: u32) -> bool {
        match self {
            Members::Small(v) => match v.iter().position(|e| e.1 == slot) {
                Some(at) => {
                    v.swap_remove(at);
                    true
                }
                None => false,
            },
            Members::Large(l) => match l.scores.remove(&slot) {
                Some(mut at) => l.order.unscore(&mut at, slot),
                None => false,
            },
        }
    }

    /// How many members have `min <= score <= max`.
    pub(crate) fn count(&self, min: u64, max: u64) -> u64 {
        match self {
            Members::Small(v) => v.iter().filter(|e| (min..=max).contains(&e.0)).count() as u64,
            Members::Large(l) => l.order.count(min, max),
        }
    }

    /// Members with `min <= score <= max`, as [`Order::range`].
    pub(crate) fn range(
        &self,
        min: u64,
        max: u64,
        limit: Option<u32>,
        rev: bool,
        ties: impl Fn(u32, u32) -> Ordering,
    ) -> Vec<(u32, u64)> {
        match self {
            Members::Small(v) => {
                let inside = v.iter().filter(|e| (min..=max).contains(&e.0));
                in_member_order(inside.copied().collect(), limit, rev, ties)
            }
            Members::Large(l) => l.order.range(min, max, limit, rev, ties),
        }
    }

    /// Every (slot, score).
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = (u32, u64)> + '_> {
        match self {
            Members::Small(v) => Box::new(v.iter().map(|&(s, i)| (i, s))),
            Members::Large(l) => Box::new(l.order.iter()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(n: u32) {
        let names: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
        let ties = |a: u32, b: u32| names[a as usize].cmp(&names[b as usize]);
        let named = |v: Vec<(u32, u64)>| -> Vec<(String, u64)> {
            v.into_iter()
                .map(|(i, s)| (names[i as usize].clone(), s))
                .collect()
        };
        let mut m = Members::default();
        for i in 0..n {
            assert!(m.add(i, u64::from(i * 7 % 5)));
        }
        assert!(!m.add(0, 9));
        assert_eq!(
            named(m.range(9, 9, None, false, ties)),
            vec![("m0".to_string(), 9)]
        );
        assert_eq!(m.count(0, u64::MAX), u64::from(n));
        let all = named(m.range(0, u64::MAX, None, false, ties));
        let mut sorted = all.clone();
        sorted.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        assert_eq!(all, sorted);
        let mut rev = all.clone();
        rev.reverse();
        assert_eq!(named(m.range(0, u64::MAX, Some(3), true, ties)), rev[..3]);
        assert_eq!(named(m.range(0, u64::MAX, Some(2), false, ties)), all[..2]);
        assert!(m.remove(0));
        assert!(!m.remove(0));
        assert_eq!(m.count(0, u64::MAX), u64::from(n) - 1);
    }

    #[test]
    fn small_and_large_agree() {
        check(5);
        check(40);
    }
}
