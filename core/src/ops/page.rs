//! Paged listings: `soapp` and `soid` with a `limit`, and the cursor that continues them.
//!
//! A page walks an index whose scores never change while a handle lives: `us:<id>` (by
//! creation) for `soid`, `_issued` (by when the handle was issued) for `soapp`. Creates add
//! entries at the end; kills remove entries; accesses move nothing. So a cursor (the last
//! position walked, as score and handle) continues exactly where the page stopped: a session
//! that lives through the whole listing is listed once, and never skipped. A `regenerate`
//! issues a new handle, which is a new entry: the session may be listed under both handles.
//!
//! `soapp` keeps the sessions accessed since the first page's window (`since` travels in the
//! cursor), so a session accessed between pages is still in the listing.
//!
//! A first page that holds the whole listing (no cursor, and the index has at most `limit`
//! entries) is the complete answer, in its usual order (`soapp`: most recent first), so a
//! client that always passes a limit sees redis-sessions' answers for small listings. Larger
//! listings come in index order (oldest first) with a cursor. A page examines at most
//! [`EXAMINE_MAX`] index entries, so a page may be short (even empty) and still carry a cursor:
//! go on while there is one.

use super::query::{ListFlow, Listing, since};
use crate::error::Error;
use crate::event::Event;
use crate::keys::Key;
use crate::machine::{Flow, Replies, Step};
use crate::record::{Reader, Record, put_varint};
use crate::session::{Listed, Session};
use crate::shard::{Scope, Tag};
use crate::store::{Command, Member, Reply};
use crate::token::{HANDLE_BYTES, Handle};
use crate::validate::{App, UserId};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The largest `limit` of a page.
pub const LIMIT_MAX: u32 = 10_000;
/// The index entries one page examines at most.
pub const EXAMINE_MAX: u32 = 10_000;
/// Entries ranged beyond what a page still needs, for those at the cursor's own score.
const TIES: u32 = 16;

/// A page of a listing, and the cursor to the next one (`None`: the listing is complete).
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The live sessions of this page.
    pub sessions: Vec<Listed>,
    /// Pass it back (with the same app and user) for the next page; opaque text.
    pub cursor: Option<String>,
}

/// What a page asks for: at most `limit` sessions, after `cursor` (`None`: from the start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageArgs {
    /// Sessions per page, 1 to [`LIMIT_MAX`].
    pub limit: u32,
    /// Where the previous page stopped.
    pub cursor: Option<Cursor>,
}

/// Where a paged listing stands. Its text is opaque to clients: a version byte, a check of
/// the listing it belongs to (app and user), the listing's window, and the last position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    check: [u8; 4],
    since: u64,
    score: u64,
    handle: Handle,
}

const CURSOR_VERSION: u8 = 1;

/// The check of a listing: the first bytes of a digest of what it lists.
fn check_of(app: &App, user: Option<&UserId>) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(app.as_str());
    h.update([0]);
    if let Some(id) = user {
        h.update(id.as_str());
    }
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl Cursor {
    /// The cursor as text.
    pub fn text(&self) -> String {
        let mut bytes = Vec::with_capacity(40);
        bytes.push(CURSOR_VERSION);
        bytes.extend_from_slice(&self.check);
        put_varint(&mut bytes, self.since);
        put_varint(&mut bytes, self.score);
        bytes.extend_from_slice(self.handle.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a cursor of the listing of `app` (and `user`, for `soid`); `invalidValue` for
    /// text that is not one.
    pub fn parse(text: &str, app: &App, user: Option<&UserId>) -> Result<Self, Error> {
        let bad = || Error::value("cursor", "cursor is not a cursor of this listing");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| bad())?;
        let mut r = Reader(&bytes);
        if r.byte() != Some(CURSOR_VERSION) {
            return Err(bad());
        }
        let mut check = [0; 4];
        for b in &mut check {
            *b = r.byte().ok_or_else(bad)?;
        }
        let since = r.varint().ok_or_else(bad)?;
        let score = r.varint().ok_or_else(bad)?;
        let handle: [u8; HANDLE_BYTES] = r.0.try_into().map_err(|_| bad())?;
        if check != check_of(app, user) {
            return Err(bad());
        }
        Ok(Self {
            check,
            since,
            score,
            handle: Handle::from_bytes(handle),
        })
    }
}

/// The arguments of a page from a caller's `limit` and cursor text, checked as the JSON
/// input's are.
pub(crate) fn args(
    limit: u32,
    cursor: Option<&str>,
    app: &App,
    user: Option<&UserId>,
) -> Result<PageArgs, Error> {
    if !(1..=LIMIT_MAX).contains(&limit) {
        return Err(Error::value(
            "limit",
            format!("limit must be an integer from 1 to {LIMIT_MAX}"),
        ));
    }
    let cursor = cursor.map(|c| Cursor::parse(c, app, user)).transpose()?;
    Ok(PageArgs { limit, cursor })
}

/// Which listing a page walks.
#[derive(Debug, Clone)]
enum Walk {
    /// `soapp`: `_issued` of every shard, keeping sessions accessed since `since`.
    Recent { dt: u64 },
    /// `soid`: `us:<id>`, in the user's shard.
    User(UserId),
}

/// The index entries that one round of ranges found, merged across the shards.
#[derive(Debug, Default)]
struct Gathered {
    /// Entries after the position, with the shard (index into `tags`) of each.
    after: Vec<(u64, Handle, usize)>,
    /// The earliest last entry among the shards whose range came back full: entries beyond it
    /// may have unseen neighbours in that shard, so a round takes none of them.
    frontier: Option<(u64, Handle)>,
}

#[derive(Debug)]
enum Phase {
    /// First page: how many entries the indexes hold (shard `shard`, `total` so far).
    Count { shard: usize, total: u64 },
    /// The whole listing fits: the complete answer's flow.
    Whole(ListFlow),
    /// Entries after the position, shard by shard.
    Range {
        requested: u32,
        shard: usize,
        gathered: Gathered,
    },
    /// The records of the entries taken, read shard by shard.
    Records(Reading),
}

/// The records of a page's entries, read one shard (one batch, one slot) at a time.
#[derive(Debug)]
struct Reading {
    /// The entries taken, in listing order, with each one's shard.
    entries: Vec<(u64, Handle, usize)>,
    /// Shards still to read, the next last.
    pending: Vec<usize>,
    /// The shard being read.
    asked: usize,
    /// The records read so far, aligned with `entries`.
    stored: Vec<Option<Vec<u8>>>,
    /// Some index has entries after these.
    more: bool,
}

/// The flow of one page.
///
/// With several shards, a page merges their indexes: each round ranges every shard from the
/// position, and takes the earliest entries of the merge up to the `frontier`, so that no entry
/// a shard did not return can be passed over. The position is global (score, then handle), so
/// the cursor is the same whatever the number of shards.
#[derive(Debug)]
pub struct PageFlow {
    tags: Vec<Tag>,
    now: u64,
    walk: Walk,
    limit: u32,
    since: u64,
    check: [u8; 4],
    /// The last position walked.
    at: Option<(u64, Handle)>,
    out: Vec<Listed>,
    examined: u32,
    ties: u32,
    phase: Phase,
    scope: Scope,
}

impl PageFlow {
    fn new(scope: Scope, walk: Walk, args: PageArgs, now: u64) -> Self {
        let user = match &walk {
            Walk::User(id) => Some(id),
            Walk::Recent { .. } => None,
        };
        let check = check_of(&scope.app, user);
        let tags = match user {
            Some(id) => vec![scope.of_user(id)],
            None => scope.tags().collect(),
        };
        let since = match (&walk, &args.cursor) {
            (_, Some(c)) => c.since,
            (Walk::Recent { dt }, None) => since(now, *dt),
            (Walk::User(_), None) => 0,
        };
        Self {
            tags,
            now,
            limit: args.limit.clamp(1, LIMIT_MAX),
            since,
            check,
            at: args.cursor.map(|c| (c.score, c.handle)),
            out: Vec::new(),
            examined: 0,
            ties: TIES,
            phase: if args.cursor.is_some() {
                Phase::Range {
                    requested: 0,
                    shard: 0,
                    gathered: Gathered::default(),
                }
            } else {
                Phase::Count { shard: 0, total: 0 }
            },
            walk,
            scope,
        }
    }

    /// `soapp` with a page.
    pub(crate) fn soapp(scope: Scope, dt: u64, args: PageArgs, now: u64) -> Self {
        Self::new(scope, Walk::Recent { dt }, args, now)
    }

    /// `soid` with a page.
    pub(crate) fn soid(scope: Scope, id: UserId, args: PageArgs, now: u64) -> Self {
        Self::new(scope, Walk::User(id), args, now)
    }

    fn index(&self, shard: usize) -> Key {
        let tag = self.tags[shard];
        match &self.walk {
            Walk::Recent { .. } => Key::Issued(tag),
            Walk::User(id) => Key::UserSessions(tag, id.clone()),
        }
    }

    fn cursor(&self) -> Option<String> {
        self.at.map(|(score, handle)| {
            Cursor {
                check: self.check,
                since: self.since,
                score,
                handle,
            }
            .text()
        })
    }

    fn done(&mut self, more: bool) -> Step<Page> {
        Step::Done(Ok(Page {
            sessions: std::mem::take(&mut self.out),
            cursor: if more { self.cursor() } else { None },
        }))
    }

    fn count(&self, shard: usize) -> Step<Page> {
        Step::Run(vec![Command::ZCount {
            key: self.index(shard),
            min: 0,
            max: u64::MAX,
        }])
    }

    /// Starts a round of ranges, from the first shard.
    fn range(&mut self) -> Step<Page> {
        let needed = self.limit - self.out.len() as u32;
        let requested = (needed + self.ties).min(EXAMINE_MAX - self.examined + self.ties);
        self.phase = Phase::Range {
            requested,
            shard: 0,
            gathered: Gathered::default(),
        };
        self.range_shard(requested, 0)
    }

    fn range_shard(&self, requested: u32, shard: usize) -> Step<Page> {
        Step::Run(vec![Command::ZRange {
            key: self.index(shard),
            min: self.at.map_or(0, |(score, _)| score),
            max: u64::MAX,
            limit: Some(requested),
            rev: false,
        }])
    }

    /// One shard's range came back: gather it, and range the next shard or merge.
    fn ranged(
        &mut self,
        requested: u32,
        shard: usize,
        mut gathered: Gathered,
        replies: Vec<Reply>,
    ) -> Result<Step<Page>, Error> {
        let members = Replies::new(replies).members()?;
        let full = members.len() as u32 >= requested;
        let entries: Vec<(u64, Handle)> = members
            .into_iter()
            .filter_map(|(m, score)| match m {
                Member::Handle(h) => Some((score, h)),
                _ => None,
            })
            .collect();
        if full {
            if let Some(&last) = entries.last() {
                if gathered.frontier.is_none_or(|f| position_lt(last, f)) {
                    gathered.frontier = Some(last);
                }
            }
        }
        gathered.after.extend(
            entries
                .into_iter()
                .filter(|&entry| self.at.is_none_or(|at| position_lt(at, entry)))
                .map(|(score, h)| (score, h, shard)),
        );
        if shard + 1 < self.tags.len() {
            self.phase = Phase::Range {
                requested,
                shard: shard + 1,
                gathered,
            };
            return Ok(self.range_shard(requested, shard + 1));
        }
        self.merge(gathered)
    }

    /// Every shard was ranged: take the earliest entries of the merge, then read them.
    fn merge(&mut self, gathered: Gathered) -> Result<Step<Page>, Error> {
        let Gathered {
            mut after,
            frontier,
        } = gathered;
        after.sort_by(|a, b| (a.0, a.1.text().as_str()).cmp(&(b.0, b.1.text().as_str())));
        let seen = after.len();
        if let Some(f) = frontier {
            after.retain(|&(score, h, _)| !position_lt(f, (score, h)));
        }
        if after.is_empty() {
            if frontier.is_some() {
                // A whole range of entries at the position's own score, all walked already:
                // range wider.
                self.ties = self.ties.saturating_mul(2);
                return Ok(self.range());
            }
            return Ok(self.done(false));
        }
        let needed = (self.limit - self.out.len() as u32) as usize;
        let room = (EXAMINE_MAX - self.examined) as usize;
        let take = after.len().min(needed).min(room.max(1));
        let more = frontier.is_some() || seen > take;
        after.truncate(take);
        let mut pending: Vec<usize> = Vec::new();
        for &(_, _, shard) in &after {
            if !pending.contains(&shard) {
                pending.push(shard);
            }
        }
        pending.reverse();
        self.read_next(Reading {
            stored: vec![None; after.len()],
            entries: after,
            pending,
            asked: 0,
            more,
        })
    }

    /// Reads the records of the next shard's entries (one batch: one slot), or lists them
    /// all once every shard's are in.
    fn read_next(&mut self, mut r: Reading) -> Result<Step<Page>, Error> {
        let Some(shard) = r.pending.pop() else {
            return self.list(r.entries, r.stored, r.more);
        };
        r.asked = shard;
        let tag = self.tags[shard];
        let gets = r
            .entries
            .iter()
            .filter(|e| e.2 == shard)
            .map(|&(_, h, _)| Command::Get {
                key: Key::Session(tag, h),
                cached: false,
            })
            .collect();
        self.phase = Phase::Records(r);
        Ok(Step::Run(gets))
    }

    /// The records of the shard last asked for came back: file them, and read on.
    fn records(&mut self, mut r: Reading, replies: Vec<Reply>) -> Result<Step<Page>, Error> {
        let mut replies = Replies::new(replies);
        for (i, e) in r.entries.iter().enumerate() {
            if e.2 == r.asked {
                r.stored[i] = replies.record()?.map(|s| s.value);
            }
        }
        self.read_next(r)
    }

    fn list(
        &mut self,
        entries: Vec<(u64, Handle, usize)>,
        stored: Vec<Option<Vec<u8>>>,
        more: bool,
    ) -> Result<Step<Page>, Error> {
        for ((score, handle, _), value) in entries.iter().zip(stored) {
            self.at = Some((*score, *handle));
            let Some(value) = value else {
                continue;
            };
            let rec = Record::decode(&value)?;
            if rec.alive_at(self.now) && rec.last >= self.since {
                let last = rec.last;
                let session = Session::of(rec, self.now, last);
                self.out.push(Listed {
                    handle: *handle,
                    session,
                });
            }
        }
        self.examined += entries.len() as u32;
        if !more {
            return Ok(self.done(false));
        }
        if self.out.len() as u32 >= self.limit || self.examined >= EXAMINE_MAX {
            return Ok(self.done(true));
        }
        Ok(self.range())
    }

    fn step(&mut self, replies: Vec<Reply>, events: &mut Vec<Event>) -> Result<Step<Page>, Error> {
        match std::mem::replace(&mut self.phase, Phase::Count { shard: 0, total: 0 }) {
            Phase::Count { shard, total } => {
                let total = total + Replies::new(replies).count()?;
                if shard + 1 < self.tags.len() {
                    self.phase = Phase::Count {
                        shard: shard + 1,
                        total,
                    };
                    return Ok(self.count(shard + 1));
                }
                if total <= u64::from(self.limit) {
                    let listing = match &self.walk {
                        Walk::Recent { dt } => Listing::Recent(*dt),
                        Walk::User(id) => Listing::User(id.clone()),
                    };
                    let mut whole = ListFlow::new(self.scope, listing, self.now);
                    let step = whole.start();
                    self.phase = Phase::Whole(whole);
                    return Ok(whole_page(step));
                }
                Ok(self.range())
            }
            Phase::Whole(mut whole) => {
                let step = whole.next(replies, events);
                self.phase = Phase::Whole(whole);
                Ok(whole_page(step))
            }
            Phase::Range {
                requested,
                shard,
                gathered,
            } => self.ranged(requested, shard, gathered, replies),
            Phase::Records(r) => self.records(r, replies),
        }
    }
}

/// Whether position `a` comes before position `b` (ties by the handle's text, as the store
/// orders them).
fn position_lt(a: (u64, Handle), b: (u64, Handle)) -> bool {
    (a.0, a.1.text().as_str()) < (b.0, b.1.text().as_str())
}

/// A step of the complete listing's flow, as a page without a cursor.
fn whole_page(step: Step<Vec<Listed>>) -> Step<Page> {
    step.map(|sessions| Page {
        sessions,
        cursor: None,
    })
}

impl Flow for PageFlow {
    type Output = Page;

    fn start(&mut self) -> Step<Page> {
        match self.phase {
            Phase::Count { .. } => self.count(0),
            _ => self.range(),
        }
    }

    fn next(&mut self, replies: Vec<Reply>, events: &mut Vec<Event>) -> Step<Page> {
        self.step(replies, events)
            .unwrap_or_else(|e| Step::Done(Err(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Create, ManualClock, MemoryStore, Sessions};

    /// A page examines at most [`EXAMINE_MAX`] index entries: over that many sessions outside
    /// the window, the first page comes back empty, with a cursor, and the sessions just past
    /// the bound are on the next pages. The small limit makes the page walk in many short
    /// rounds, right up to the bound.
    #[test]
    fn a_page_stops_at_the_examine_bound_and_may_be_empty_with_a_cursor() {
        let clock = ManualClock::new(1_700_000_000_000);
        let s = Sessions::new(MemoryStore::new())
            .with_clock(clock.clone())
            .with_auto_sweep(None);
        let create = |i: u32| {
            s.create(Create::new("shop", format!("u{i}"), "::1"))
                .unwrap();
            clock.advance(1);
        };
        (0..EXAMINE_MAX).for_each(&create);
        clock.advance(60_000);
        (EXAMINE_MAX..EXAMINE_MAX + 10).for_each(&create);
        let ids = |page: &Page| -> Vec<String> {
            page.sessions.iter().map(|l| l.session.id.clone()).collect()
        };
        let first = s.soapp_page("shop", 10, 7, None).unwrap();
        assert_eq!(ids(&first), Vec::<String>::new());
        let second = s
            .soapp_page("shop", 10, 7, first.cursor.as_deref())
            .unwrap();
        let want: Vec<String> = (EXAMINE_MAX..EXAMINE_MAX + 10)
            .map(|i| format!("u{i}"))
            .collect();
        assert_eq!(ids(&second), want[..7]);
        let third = s
            .soapp_page("shop", 10, 7, second.cursor.as_deref())
            .unwrap();
        assert_eq!((ids(&third), third.cursor), (want[7..].to_vec(), None));
    }

    #[test]
    fn a_cursor_reads_back_only_for_its_own_listing() {
        let app = App::new("shop").unwrap_or_else(|_| unreachable!());
        let other = App::new("blog").unwrap_or_else(|_| unreachable!());
        let c = Cursor {
            check: check_of(&app, None),
            since: 1_700_000_000_000,
            score: 1_700_000_000_123,
            handle: Handle::from_bytes([7; 16]),
        };
        let text = c.text();
        assert_eq!(Cursor::parse(&text, &app, None), Ok(c));
        let bad = Err(Error::value(
            "cursor",
            "cursor is not a cursor of this listing",
        ));
        assert_eq!(Cursor::parse(&text, &other, None), bad);
        assert_eq!(Cursor::parse("nope!", &app, None), bad);
        assert_eq!(Cursor::parse(&text[..text.len() - 2], &app, None), bad);
        assert_eq!(Cursor::parse("", &app, None), bad);
    }
}
