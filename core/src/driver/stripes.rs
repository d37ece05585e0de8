//! Lock stripes: operations on the same session queue behind one of a fixed set of locks.
//!
//! A fixed array (no map to grow or clean up) indexed by the session's handle, which is a
//! uniformly distributed hash, so two hot sessions rarely share a stripe.

use crate::token::Handle;

/// How many locks: enough that unrelated sessions seldom wait on each other.
const STRIPES: usize = 256;

#[derive(Debug)]
pub(crate) struct Stripes<L>(Box<[L]>);

impl<L: Default> Default for Stripes<L> {
    fn default() -> Self {
        Self((0..STRIPES).map(|_| L::default()).collect())
    }
}

impl<L> Stripes<L> {
    /// The lock for `handle` (its bytes are already well mixed).
    pub(crate) fn get(&self, handle: Handle) -> &L {
        let b = handle.as_bytes();
        &self.0[usize::from(u16::from_le_bytes([b[0], b[1]])) % STRIPES]
    }
}
