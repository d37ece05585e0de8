//! Shards within an app: how one app's sessions spread over a Redis Cluster.
//!
//! Every key of a shard carries the shard's hash tag, so a Redis Cluster keeps a shard in one
//! slot, and every single-session batch stays atomic in that slot. With [`Shards::ONE`] (the
//! default) the tag is the app name itself, `{shop}`: the layout of an unsharded app.
//!
//! - **A user lives in one shard**, chosen by a hash of their id ([`Shards::of_user`]). Their
//!   sessions' records, their session index and their entries in the app-wide indexes
//!   (`_users`, `_expiry`, `_issued`) are all in that shard, so unique-user counts of the
//!   shards add up.
//! - **A token leads to its shard without a lookup**: a session's token is drawn so that its
//!   handle (the SHA-256 of the token) falls in the user's shard ([`Shards::of_handle`]).
//!   Tokens stay uniform over the tokens of that shard: with K shards a token keeps
//!   64 × log2(62) − log2(K) bits of entropy (≈ 381 − 4 = 377 bits for K = 16). The token's
//!   text and the handle's are unchanged, so a handle from a listing leads to the shard too.
//! - **Each shard's tag is chosen for its slot**: shard *s* of K gets `{app:n}`, with the
//!   smallest `n` whose slot (CRC16 mod 16384, as Redis Cluster computes it) lies near the
//!   middle of the *s*-th of K equal slices of the slot space. A cluster gives each master a
//!   contiguous range of slots, so the shards spread over the masters as evenly as their
//!   numbers allow (K = 16 on 3 masters: 5, 6 and 5 shards). A bare counter (`{app:0}`,
//!   `{app:1}`, …) would put the shards wherever CRC16 throws them.
//!
//! App-wide operations (`activity`, `soapp`, `killall`, `sweep`) visit every shard, one batch
//! per shard, and merge.
//!
//! ```
//! use session_core::{App, Shards};
//! let shards = Shards::new(16).unwrap();
//! let app = App::new("shop").unwrap();
//! let tags: Vec<String> = shards.tags(app).map(|t| t.to_string()).collect();
//! assert_eq!(tags.len(), 16);
//! assert_ne!(tags[0], "shop");
//! assert_eq!(Shards::ONE.tags(app).map(|t| t.to_string()).collect::<Vec<_>>(), ["shop"]);
//! // Each tag's slot lies in its own sixteenth of the slot space.
//! for (s, tag) in shards.tags(app).enumerate() {
//!     assert_eq!(usize::from(tag.slot()) * 16 / 16384, s);
//! }
//! ```

use crate::error::Error;
use crate::token::{Handle, Token};
use crate::validate::{App, UserId};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Redis Cluster's number of hash slots.
const SLOTS: u32 = 16_384;

/// How many shards an app's keys spread over: 1 (the default) to [`Shards::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shards(u8);

impl Default for Shards {
    fn default() -> Self {
        Self::ONE
    }
}

impl Shards {
    /// One shard: every key of an app under the tag `{app}`.
    pub const ONE: Shards = Shards(1);
    /// The most shards an app may have. App-wide operations run one batch per shard, so more
    /// shards cost them more round trips.
    pub const MAX: u32 = 64;

    /// `k` shards; an `invalidValue` error naming `shards` unless 1 ≤ `k` ≤ [`Shards::MAX`].
    ///
    /// ```
    /// use session_core::Shards;
    /// assert_eq!(Shards::new(16).unwrap().count(), 16);
    /// assert_eq!(
    ///     Shards::new(0).unwrap_err().to_string(),
    ///     "shards must be an integer from 1 to 64"
    /// );
    /// ```
    pub fn new(k: u32) -> Result<Self, Error> {
        match u8::try_from(k) {
            Ok(k) if (1..=Self::MAX).contains(&u32::from(k)) => Ok(Self(k)),
            _ => Err(Error::value(
                "shards",
                format!("shards must be an integer from 1 to {}", Self::MAX),
            )),
        }
    }

    /// The number of shards.
    pub fn count(self) -> u8 {
        self.0
    }

    /// The shard of the session with this handle.
    pub fn of_handle(self, handle: &Handle) -> u8 {
        let b = handle.as_bytes();
        self.reduce([b[0], b[1], b[2], b[3]])
    }

    /// The shard of this user: a hash of their id.
    pub fn of_user(self, id: &UserId) -> u8 {
        if self.0 == 1 {
            return 0;
        }
        let d = Sha256::digest(id.as_str().as_bytes());
        self.reduce([d[0], d[1], d[2], d[3]])
    }

    fn reduce(self, word: [u8; 4]) -> u8 {
        // The remainder of a 32-bit word by at most 64: a bias below 2^-25.
        (u32::from_be_bytes(word) % u32::from(self.0)) as u8
    }

    /// The tag of shard `shard` (taken modulo the count) of `app`.
    pub fn tag(self, app: App, shard: u8) -> Tag {
        Tag::new(app, shard % self.0, self.0)
    }

    /// The tag of the shard that holds the session with this handle.
    pub fn tag_of_handle(self, app: App, handle: &Handle) -> Tag {
        self.tag(app, self.of_handle(handle))
    }

    /// The tag of the shard that holds this user.
    pub fn tag_of_user(self, app: App, id: &UserId) -> Tag {
        self.tag(app, self.of_user(id))
    }

    /// Every shard's tag of `app`, in shard order.
    pub fn tags(self, app: App) -> impl Iterator<Item = Tag> {
        (0..self.0).map(move |s| Tag::new(app, s, self.0))
    }

    /// A fresh token whose session belongs in `shard`: tokens are drawn from the OS CSPRNG
    /// until one's handle falls there (about K draws).
    pub fn token(self, shard: u8) -> Result<Token, Error> {
        loop {
            let token = Token::generate()?;
            if self.0 == 1 || self.of_handle(&token.handle()) == shard {
                return Ok(token);
            }
        }
    }

    /// Checks that `token` (drawn by a caller) belongs in `shard`.
    pub(crate) fn check_token(self, token: &Token, shard: u8) -> Result<(), Error> {
        // One shard takes any token (and hashing it again would cost every create).
        if self.0 == 1 || self.of_handle(&token.handle()) == shard {
            return Ok(());
        }
        Err(Error::value(
            "token",
            format!(
                "the new token belongs in shard {} of {}, not in the user's shard {shard}: draw it with Shards::token",
                self.of_handle(&token.handle()),
                self.0
            ),
        ))
    }
}

/// An app under its shard layout: what an operation addresses. An [`App`] converts into the
/// scope of one shard.
///
/// ```
/// use session_core::{App, Scope, Shards};
/// let app = App::new("shop").unwrap();
/// let scope = Scope::new(app, Shards::new(8).unwrap());
/// assert_eq!(scope.tags().count(), 8);
/// assert_eq!(Scope::from(app).tags().count(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The app.
    pub app: App,
    /// How many shards its keys spread over.
    pub shards: Shards,
}

impl Scope {
    /// `app` over `shards`.
    pub fn new(app: App, shards: Shards) -> Self {
        Self { app, shards }
    }

    /// The tag of the shard of the session with this handle.
    pub fn of_handle(&self, handle: &Handle) -> Tag {
        self.shards.tag_of_handle(self.app, handle)
    }

    /// The tag of this user's shard.
    pub fn of_user(&self, id: &UserId) -> Tag {
        self.shards.tag_of_user(self.app, id)
    }

    /// Every shard's tag, in shard order.
    pub fn tags(&self) -> impl Iterator<Item = Tag> + use<> {
        self.shards.tags(self.app)
    }
}

impl From<App> for Scope {
    fn from(app: App) -> Self {
        Self::new(app, Shards::ONE)
    }
}

/// The hash tag that a shard's keys share: `app` alone with one shard, `app:n` with more.
///
/// ```
/// use session_core::{App, Key, Shards};
/// let app = App::new("shop").unwrap();
/// let tag = Shards::new(4).unwrap().tag(app, 2);
/// assert_eq!(tag.app(), app);
/// assert_eq!(tag.shard(), 2);
/// let key = Key::Users(tag).render("rs");
/// assert!(key.starts_with("rs:{shop:") && key.ends_with("}:_users"), "{key}");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    app: App,
    shard: u8,
    /// How many shards the app has.
    count: u8,
    /// The `n` of `{app:n}`; `None` with one shard.
    label: Option<u16>,
}

impl Tag {
    fn new(app: App, shard: u8, count: u8) -> Self {
        let label = (count > 1).then(|| labels(app, count)[usize::from(shard)]);
        Self {
            app,
            shard,
            count,
            label,
        }
    }

    /// The app's one tag with one shard: `{app}`.
    pub fn unsharded(app: App) -> Self {
        Self {
            app,
            shard: 0,
            count: 1,
            label: None,
        }
    }

    /// The app.
    pub fn app(&self) -> App {
        self.app
    }

    /// The shard's number, from 0.
    pub fn shard(&self) -> u8 {
        self.shard
    }

    /// How many shards the app has.
    pub fn shards(&self) -> Shards {
        Shards(self.count)
    }

    /// The Redis Cluster slot of this tag.
    pub fn slot(&self) -> u16 {
        slot_of(self.to_string().as_bytes())
    }
}

impl From<App> for Tag {
    fn from(app: App) -> Self {
        Self::unsharded(app)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.label {
            None => write!(f, "{}", self.app),
            Some(n) => write!(f, "{}:{n}", self.app),
        }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// Redis Cluster's slot of a hash tag's text.
fn slot_of(text: &[u8]) -> u16 {
    (u32::from(crc16::State::<crc16::XMODEM>::calculate(text)) % SLOTS) as u16
}

/// Apps whose labels this process remembers, at most (then it starts over).
const LABELS_KEPT: usize = 4096;

/// The labels of every shard of `app` over `count` shards. Finding one tries about 16 × K
/// candidates (some hundred nanoseconds), and every operation on a sharded app needs its
/// tags: each (app, count) is worked out once per process and remembered.
fn labels(app: App, count: u8) -> Arc<[u16]> {
    type Known = Mutex<HashMap<(App, u8), Arc<[u16]>>>;
    static KNOWN: OnceLock<Known> = OnceLock::new();
    let known = KNOWN.get_or_init(Mutex::default);
    let mut known = known.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(labels) = known.get(&(app, count)) {
        return labels.clone();
    }
    if known.len() >= LABELS_KEPT {
        known.clear();
    }
    let labels: Arc<[u16]> = (0..count).map(|s| label_for(app, s, count)).collect();
    known.insert((app, count), labels.clone());
    labels
}

/// The smallest `n` whose tag `app:n` has its slot within a narrow window around the middle of
/// slice `shard` of `count` equal slices of the slot space. The window is a sixteenth of the
/// slice (at least 16 slots), so about 16 × K labels are tried; a master's range boundary
/// would have to fall inside it to split the spacing.
fn label_for(app: App, shard: u8, count: u8) -> u16 {
    let slice = SLOTS / u32::from(count);
    let middle = slice * u32::from(shard) + slice / 2;
    let half = (slice / 32).max(8);
    let mut prefix = crc16::State::<crc16::XMODEM>::new();
    prefix.update(app.as_str().as_bytes());
    prefix.update(b":");
    let mut digits = [0u8; 5];
    for n in 0..=u16::MAX {
        let mut state = prefix;
        state.update(decimal(n, &mut digits));
        let slot = u32::from(state.get()) % SLOTS;
        if slot.abs_diff(middle) < half {
            return n;
        }
    }
    // Every slot is reached by some n below 65,536 for any prefix: not reached.
    0
}

/// `n` in decimal, in `buf`.
fn decimal(mut n: u16, buf: &mut [u8; 5]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster() {
        // CLUSTER KEYSLOT values from Redis: "foo" → 12182; "123456789" → 0x31c3 (CRC16/XMODEM's check value, below 16384).
        assert_eq!(slot_of(b"foo"), 12_182);
        assert_eq!(slot_of(b"123456789"), 0x31c3);
    }

    #[test]
    fn tags_land_in_their_own_slice_for_every_count() {
        for name in ["shop", "app", "a-much-longer-name_1"] {
            let app = App::new(name).unwrap();
            for k in 1..=Shards::MAX {
                let shards = Shards::new(k).unwrap();
                let tags: Vec<Tag> = shards.tags(app).collect();
                assert_eq!(tags.len(), k as usize);
                if k > 1 {
                    for (s, t) in tags.iter().enumerate() {
                        let slice = (u32::from(t.slot()) * k / SLOTS) as usize;
                        assert_eq!(slice, s, "{name} K={k}: {t} in slice {slice}");
                    }
                }
            }
        }
    }

    #[test]
    fn tokens_are_drawn_into_their_shard() {
        let shards = Shards::new(16).unwrap();
        for shard in 0..16 {
            let t = shards.token(shard).unwrap();
            assert_eq!(shards.of_handle(&t.handle()), shard);
            assert!(shards.check_token(&t, shard).is_ok());
            assert!(shards.check_token(&t, (shard + 1) % 16).is_err());
        }
    }

    #[test]
    fn users_spread_over_the_shards() {
        let shards = Shards::new(16).unwrap();
        let mut counts = [0u32; 16];
        for i in 0..16_000 {
            let id = UserId::new(format!("user{i}")).unwrap();
            counts[usize::from(shards.of_user(&id))] += 1;
        }
        assert!(
            counts.iter().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(Shards::ONE.of_user(&UserId::new("x").unwrap()), 0);
    }

    #[test]
    fn a_count_outside_1_to_64_is_refused() {
        for k in [0, 65, 256, 1000] {
            let e = Shards::new(k).unwrap_err();
            assert_eq!(e.field(), Some("shards"));
        }
    }
}
