//! [`Names`]: strings (handles, user ids) mapped to numbered slots holding what is stored under
//! them.
//!
//! Sorted sets then refer to a member by its slot number (4 bytes, no pointer to chase), and
//! everything kept for one name shares one slot: one lookup finds it all.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;
use std::ops::{Index, IndexMut};

/// Names up to this many bytes are stored in the slot itself: every handle (43 bytes) and
/// most user ids, so a lookup reads no second allocation.
const INLINE: usize = 46;

#[derive(Debug, Clone, Default)]
enum Name {
    /// A free slot.
    #[default]
    Vacant,
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    Heap(Box<str>),
}

impl Name {
    fn new(s: &str) -> Self {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                Name::Inline { len, bytes }
            }
            _ => Name::Heap(s.into()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Name::Vacant => "",
            // Copied from a `&str`, so always UTF-8.
            Name::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Name::Heap(s) => s,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Name::Vacant => &[],
            Name::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Name::Heap(s) => s.as_bytes(),
        }
    }
}

/// Names mapped to slots of `T`: a slab plus a `hashbrown` table of slot numbers hashed by
/// their names (randomly seeded foldhash:
/// user ids come from clients, so the hash must resist collisions chosen by an attacker).
///
/// Slot numbers are stable while the name is present and reused after [`Names::release`].
#[derive(Debug, Default)]
pub(crate) struct Names<T> {
    index: HashTable<u32>,
    slots: Vec<(Name, T)>,
    free: Vec<u32>,
    hasher: DefaultHashBuilder,
}

impl<T: Default> Names<T> {
    pub(crate) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn hash(hasher: &DefaultHashBuilder, name: &[u8]) -> u64 {
        hasher.hash_one(name)
    }

    /// The slot of `name`, if it has one.
    pub(crate) fn find(&self, name: &str) -> Option<u32> {
        let hash = Self::hash(&self.hasher, name.as_bytes());
        self.index
            .find(hash, |&i| {
                self.slots[i as usize].0.as_bytes() == name.as_bytes()
            })
            .copied()
    }

    /// The slot of `name`, made (holding `T::default()`) if it has none.
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(i) = self.find(name) {
            return i;
        }
        let hash = Self::hash(&self.hasher, name.as_bytes());
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize].0 = Name::new(name);
                i
            }
            None => {
                // Four billion names would need hundreds of gigabytes first.
                let i = self.slots.len() as u32;
                self.slots.push((Name::new(name), T::default()));
                i
            }
        };
        let Names {
            index,
            slots,
            hasher,
            ..
        } = self;
        index.insert_unique(hash, i, |&j| {
            Self::hash(hasher, slots[j as usize].0.as_bytes())
        });
        i
    }

    /// Frees slot `i`; the caller has emptied it (nothing refers to it any more).
    pub(crate) fn release(&mut self, i: u32) {
        let hash = Self::hash(&self.hasher, self.slots[i as usize].0.as_bytes());
        if let Ok(entry) = self.index.find_entry(hash, |&j| j == i) {
            entry.remove();
        }
        self.slots[i as usize] = (Name::Vacant, T::default());
        self.free.push(i);
        if self.index.is_empty() {
            // The last name left: give the memory back.
            *self = Self {
                hasher: std::mem::take(&mut self.hasher),
                ..Self::default()
            };
        }
    }

    /// The name of slot `i`.
    pub(crate) fn name(&self, i: u32) -> &str {
        self.slots[i as usize].0.as_str()
    }

    /// Every (name, slot), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.slots
            .iter()
            .filter(|(n, _)| !matches!(n, Name::Vacant))
            .map(|(n, t)| (n.as_str(), t))
    }
}

impl<T> Index<u32> for Names<T> {
    type Output = T;
    fn index(&self, i: u32) -> &T {
        &self.slots[i as usize].1
    }
}

impl<T> IndexMut<u32> for Names<T> {
    fn index_mut(&mut self, i: u32) -> &mut T {
        &mut self.slots[i as usize].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_finds_releases_and_reuses() {
        let mut n: Names<u8> = Names::default();
        let long = "x".repeat(100);
        let a = n.intern("a");
        let b = n.intern(&long);
        assert_eq!(n.intern("a"), a);
        assert_eq!((n.find(&long), n.name(b)), (Some(b), long.as_str()));
        n[a] = 7;
        n.release(a);
        assert_eq!((n.find("a"), n.iter().count()), (None, 1));
        let c = n.intern("c");
        assert_eq!((c, n[c]), (a, 0));
        assert_eq!(n.iter().count(), 2);
        n.release(b);
        n.release(c);
        assert!(n.is_empty());
    }
}
