//! [`Cut`]: a snapshot of one instant, copied in small locked steps.
//!
//! Copying every record under the store's lock would hold every request for as long as the
//! copy takes (tens of milliseconds at a million sessions). Instead a snapshot fixes an
//! instant, the cut, and then walks the store's slots a few hundred at a time, holding the
//! lock for one step only; batches run between the steps. The snapshot still holds the store
//! exactly as it was at the cut, so each batch is wholly in it or wholly out of it:
//!
//! - a batch that writes (puts or deletes) a record the walk has not reached yet first keeps
//!   the record's value at the cut, absent included (copy on write, one record at a time);
//! - the walk skips the records kept so, and the kept values that were present are added at
//!   the end;
//! - a record the walk has passed needs nothing: its value at the cut is copied already.
//!
//! The walk visits the tags that held anything at the cut in a fixed order, and each tag's
//! handle slots by number. A handle keeps its slot number while anything is stored under it
//! (see [`Names`](super::names::Names)), so a record untouched since the cut is where the walk
//! finds it, once. A record that moved was deleted and written again since the cut, and the
//! first of those writes kept it; a record made since the cut was absent then, and is kept as
//! absent if the walk could still reach its slot.
//!
//! Only records are copied: a snapshot rebuilds every index entry from them (see
//! [`snapshot`](super::snapshot)), so sorted-set commands need nothing kept.

use super::space::Space;
use crate::keys::Key;
use crate::shard::Tag;
use crate::store::{Batch, Command};
use crate::token::Handle;
use hashbrown::HashMap;

/// A snapshot in progress: where its walk stands, and the values at the cut of the records
/// written since then ahead of the walk.
#[derive(Debug)]
pub(crate) struct Cut {
    /// The tags that held anything at the cut, in the order the walk visits them.
    order: Vec<Tag>,
    /// Each tag's place in `order`.
    rank: HashMap<Tag, usize>,
    /// The walk is at `order[at]`, slot `slot`: everything before has been copied.
    at: usize,
    slot: usize,
    /// Records written since the cut before the walk reached them: their value at the cut
    /// (`None`: absent then).
    kept: HashMap<(Tag, Handle), Option<Box<[u8]>>>,
}

/// What the walk hands its records to.
pub(crate) trait Sink {
    /// Takes one record of the snapshot.
    fn record(&mut self, tag: &Tag, handle: Handle, value: &[u8]);
}

impl Cut {
    /// A cut of `apps` as they are now.
    pub(crate) fn new(apps: &HashMap<Tag, Space>) -> Self {
        let order: Vec<Tag> = apps.keys().copied().collect();
        let rank = order.iter().enumerate().map(|(i, t)| (*t, i)).collect();
        Self {
            order,
            rank,
            at: 0,
            slot: 0,
            kept: HashMap::new(),
        }
    }

    /// Whether the walk has visited every slot.
    pub(crate) fn walked(&self) -> bool {
        self.at >= self.order.len()
    }

    /// Before `batch` runs: keeps the value at the cut of every record it writes that the walk
    /// has not copied yet.
    pub(crate) fn keep(&mut self, batch: &Batch, apps: &HashMap<Tag, Space>) {
        for cmd in batch {
            if let Command::Put {
                key: Key::Session(tag, handle),
                ..
            }
            | Command::Delete {
                key: Key::Session(tag, handle),
                ..
            } = cmd
            {
                self.keep_one(tag, *handle, apps.get(tag));
            }
        }
    }

    fn keep_one(&mut self, tag: &Tag, handle: Handle, space: Option<&Space>) {
        // A tag made since the cut held nothing then, and is not walked.
        let Some(&rank) = self.rank.get(tag) else {
            return;
        };
        if rank < self.at || self.kept.contains_key(&(*tag, handle)) {
            return;
        }
        let found = space.and_then(|s| s.find_record(handle));
        if rank == self.at && found.as_ref().is_some_and(|(slot, _)| *slot < self.slot) {
            return;
        }
        let value = found.and_then(|(_, value)| value).map(Box::from);
        self.kept.insert((*tag, handle), value);
    }

    /// Copies the records of up to `budget` more slots to `sink`.
    pub(crate) fn step(
        &mut self,
        apps: &HashMap<Tag, Space>,
        mut budget: usize,
        sink: &mut impl Sink,
    ) {
        while budget > 0 {
            let Some(tag) = self.order.get(self.at) else {
                break;
            };
            let space = apps.get(tag);
            let slots = space.map_or(0, Space::slots);
            let Some(space) = space.filter(|_| self.slot < slots) else {
                // The tag's slots are walked (or its space is gone: whatever it held at the
                // cut was deleted since, and kept).
                self.at += 1;
                self.slot = 0;
                budget -= 1;
                continue;
            };
            let end = slots.min(self.slot.saturating_add(budget));
            for i in self.slot..end {
                if let Some((handle, value)) = space.record_at(i) {
                    if self.kept.is_empty() || !self.kept.contains_key(&(*tag, handle)) {
                        sink.record(tag, handle, value);
                    }
                }
            }
            budget -= end - self.slot;
            self.slot = end;
        }
    }

    /// Ends the cut: the records kept that were present at the cut.
    pub(crate) fn into_kept(self) -> impl Iterator<Item = (Tag, Handle, Box<[u8]>)> {
        self.kept
            .into_iter()
            .filter_map(|((tag, handle), value)| Some((tag, handle, value?)))
    }
}
