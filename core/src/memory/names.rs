//! [`Names`]: byte strings (16-byte handles, user ids) mapped to numbered slots holding what is
//! stored under them.
//!
//! Sorted sets then refer to a member by its slot number (4 bytes, no pointer to chase), and
//! everything kept for one name shares one slot: one lookup finds it all.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::cell::Cell;
use std::hash::BuildHasher;
use std::ops::{Index, IndexMut};

/// Names up to this many bytes are stored in the slot itself: every handle (16 bytes) and
/// most user ids, so a lookup reads no second allocation.
const INLINE: usize = 30;

#[derive(Debug, Clone, Default)]
enum Name {
    /// A free slot.
    #[default]
    Vacant,
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    Heap(Box<[u8]>),
}

impl Name {
    fn new(s: &[u8]) -> Self {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..s.len()].copy_from_slice(s);
                Name::Inline { len, bytes }
            }
            _ => Name::Heap(s.into()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Name::Vacant => &[],
            Name::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Name::Heap(s) => s,
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
    /// The slot found last: the commands of one operation name the same session and user
    /// several times (read, check the version, write), and comparing one name is cheaper
    /// than hashing it again.
    last: Cell<Option<u32>>,
}

impl<T: Default> Names<T> {
    pub(crate) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn hash(hasher: &DefaultHashBuilder, name: &[u8]) -> u64 {
        hasher.hash_one(name)
    }

    /// The slot of `name`, if it has one.
    pub(crate) fn find(&self, name: &[u8]) -> Option<u32> {
        if let Some(i) = self.last.get() {
            if self.slots[i as usize].0.as_bytes() == name {
                return Some(i);
            }
        }
        let hash = Self::hash(&self.hasher, name);
        let found = self
            .index
            .find(hash, |&i| self.slots[i as usize].0.as_bytes() == name)
            .copied();
        if found.is_some() {
            self.last.set(found);
        }
        found
    }

    /// The slot of `name`, made (holding `T::default()`) if it has none.
    pub(crate) fn intern(&mut self, name: &[u8]) -> u32 {
        if let Some(i) = self.find(name) {
            return i;
        }
        let hash = Self::hash(&self.hasher, name);
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
        self.last.set(Some(i));
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
        if self.last.get() == Some(i) {
            self.last.set(None);
        }
        if self.index.is_empty() {
            // The last name left: give the memory back.
            *self = Self {
                hasher: std::mem::take(&mut self.hasher),
                ..Self::default()
            };
        }
    }

    /// How many slots there are, free ones included: slot numbers run below this.
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Slot `i`'s name and content, unless it is free (or past the end).
    pub(crate) fn slot(&self, i: usize) -> Option<(&[u8], &T)> {
        match self.slots.get(i)? {
            (Name::Vacant, _) => None,
            (n, t) => Some((n.as_bytes(), t)),
        }
    }

    /// The name of slot `i`.
    pub(crate) fn name(&self, i: u32) -> &[u8] {
        self.slots[i as usize].0.as_bytes()
    }

    /// Every (slot number, (name, slot)), in no particular order.
    pub(crate) fn iter_slots(&self) -> impl Iterator<Item = (u32, (&[u8], &T))> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| !matches!(n, Name::Vacant))
            .map(|(i, (n, t))| (i as u32, (n.as_bytes(), t)))
    }

    /// Every (name, slot), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &T)> {
        self.slots
            .iter()
            .filter(|(n, _)| !matches!(n, Name::Vacant))
            .map(|(n, t)| (n.as_bytes(), t))
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
        let a = n.intern(b"a");
        let b = n.intern(long.as_bytes());
        assert_eq!(n.intern(b"a"), a);
        assert_eq!(
            (n.find(long.as_bytes()), n.name(b)),
            (Some(b), long.as_bytes())
        );
        n[a] = 7;
        n.release(a);
        assert_eq!((n.find(b"a"), n.iter().count()), (None, 1));
        let c = n.intern(b"c");
        assert_eq!((c, n[c]), (a, 0));
        assert_eq!(n.iter().count(), 2);
        n.release(b);
        n.release(c);
        assert!(n.is_empty());
    }
}
