//! A sorted set of arbitrary strings with O(log n) updates and range queries that cost what
//! they return: the app registry (`rs:_apps`), which lives outside every app's slots.

use hashbrown::HashMap;
use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

/// Members at most this many stay in a sorted `Vec`: most processes serve a handful of apps,
/// and a small vector costs a fraction of a map plus a tree.
const SMALL: usize = 8;

/// A sorted set of string members with integer scores.
#[derive(Debug, Clone)]
pub(crate) enum ZSet {
    /// Sorted by (score, member).
    Small(Vec<(u64, Arc<str>)>),
    Large {
        scores: HashMap<Arc<str>, u64>,
        order: BTreeSet<(u64, Arc<str>)>,
    },
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Small(Vec::new())
    }
}

impl ZSet {
    pub(crate) fn len(&self) -> usize {
        match self {
            ZSet::Small(v) => v.len(),
            ZSet::Large { scores, .. } => scores.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `member` or moves it to `score`.
    pub(crate) fn add(&mut self, member: Arc<str>, score: u64) {
        match self {
            ZSet::Small(v) => {
                if let Some(i) = v.iter().position(|(_, m)| *m == member) {
                    if v[i].0 == score {
                        return;
                    }
                    v.remove(i);
                } else if v.len() >= SMALL {
                    let mut large = ZSet::Large {
                        scores: HashMap::with_capacity(SMALL * 2),
                        order: BTreeSet::new(),
                    };
                    for (s, m) in v.drain(..) {
                        large.add(m, s);
                    }
                    large.add(member, score);
                    *self = large;
                    return;
                }
                let at = v.partition_point(|(s, m)| (*s, &**m) < (score, &*member));
                v.insert(at, (score, member));
            }
            ZSet::Large { scores, order } => {
                match scores.get_mut(&member) {
                    Some(old) if *old == score => return,
                    Some(old) => {
                        let prev = std::mem::replace(old, score);
                        order.remove(&(prev, member.clone()));
                    }
                    None => {
                        scores.insert(member.clone(), score);
                    }
                }
                order.insert((score, member));
            }
        }
    }

    /// Removes `member`; true when it was there.
    pub(crate) fn remove(&mut self, member: &str) -> bool {
        match self {
            ZSet::Small(v) => match v.iter().position(|(_, m)| &**m == member) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            ZSet::Large { scores, order } => match scores.remove_entry(member) {
                Some((m, s)) => {
                    order.remove(&(s, m));
                    true
                }
                None => false,
            },
        }
    }

    /// Members with `min <= score <= max`, ascending (descending with `rev`), at most `limit`.
    pub(crate) fn range(
        &self,
        min: u64,
        max: u64,
        limit: Option<u32>,
        rev: bool,
    ) -> Vec<(String, u64)> {
        let limit = limit.map_or(usize::MAX, |l| l as usize);
        if min > max {
            return Vec::new();
        }
        let pick = |(s, m): &(u64, Arc<str>)| (m.to_string(), *s);
        match self {
            ZSet::Small(v) => {
                let inside = v.iter().filter(|(s, _)| (min..=max).contains(s));
                if rev {
                    inside.rev().take(limit).map(pick).collect()
                } else {
                    inside.take(limit).map(pick).collect()
                }
            }
            ZSet::Large { order, .. } => {
                let range = order.range(bounds(min, max));
                if rev {
                    range.rev().take(limit).map(pick).collect()
                } else {
                    range.take(limit).map(pick).collect()
                }
            }
        }
    }

    /// How many members have `min <= score <= max`.
    pub(crate) fn count(&self, min: u64, max: u64) -> u64 {
        if min > max {
            return 0;
        }
        match self {
            ZSet::Small(v) => v.iter().filter(|(s, _)| (min..=max).contains(s)).count() as u64,
            ZSet::Large { order, .. } => order.range(bounds(min, max)).count() as u64,
        }
    }

    /// Every (member, score), for snapshots and tests.
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = (&Arc<str>, u64)> + '_> {
        match self {
            ZSet::Small(v) => Box::new(v.iter().map(|(s, m)| (m, *s))),
            ZSet::Large { order, .. } => Box::new(order.iter().map(|(s, m)| (m, *s))),
        }
    }
}

/// An entry of the tree: (score, member).
type Entry = (u64, Arc<str>);

/// Tree bounds for `min <= score <= max`, whatever the member.
fn bounds(min: u64, max: u64) -> (Bound<Entry>, Bound<Entry>) {
    let lo = Bound::Included((min, Arc::from("")));
    let hi = match max.checked_add(1) {
        Some(next) => Bound::Excluded((next, Arc::from(""))),
        None => Bound::Unbounded,
    };
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_check(n: usize) {
        let mut z = ZSet::default();
        for i in 0..n {
            z.add(Arc::from(format!("m{i}")), (i as u64 * 7) % 5);
        }
        z.add(Arc::from("m0"), 9);
        assert_eq!(z.len(), n);
        assert_eq!(z.range(9, 9, None, false), vec![("m0".to_string(), 9)]);
        assert_eq!(z.count(0, u64::MAX), n as u64);
        let all = z.range(0, u64::MAX, None, false);
        let mut sorted = all.clone();
        sorted.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        assert_eq!(all, sorted);
        let rev = z.range(0, u64::MAX, Some(2), true);
        assert_eq!(rev[0], ("m0".to_string(), 9));
        assert!(z.remove("m0"));
        assert!(!z.remove("m0"));
        assert_eq!(z.len(), n - 1);
    }

    #[test]
    fn small_and_large_agree() {
        model_check(5);
        model_check(40);
    }
}
