//! Lock stripes: operations on the same session queue behind one of a fixed set of locks.
//!
//! A fixed array (no map to grow or clean up) indexed by the session's handle, which is a
//! uniformly distributed SHA-256, so two hot sessions rarely share a stripe.

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
    /// The lock for `key` (any string; handles are already well mixed).
    pub(crate) fn get(&self, key: &str) -> &L {
        let h = key.bytes().take(8).fold(0usize, |h, b| {
            h.wrapping_mul(31).wrapping_add(usize::from(b))
        });
        &self.0[h % STRIPES]
    }
}
