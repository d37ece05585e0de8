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

use super::query::{ListFlow, Listing};
use crate::error::Error;
use crate::event::Event;
use crate::keys::Key;
use crate::machine::{Flow, Replies, Step};
use crate::record::{Reader, Record, put_varint};
use crate::session::{Listed, Session};
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

/// Whether index entry (`score`, `handle`) comes after position `at` (ties by the handle's
/// text, as the store orders them).
fn is_after(at: (u64, Handle), score: u64, handle: Handle) -> bool {
    (at.0, at.1.text().as_str()) < (score, handle.text().as_str())
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
    /// `soapp`: `_issued`, keeping sessions accessed since `since`.
    Recent { dt: u64 },
    /// `soid`: `us:<id>`.
    User(UserId),
}

#[derive(Debug)]
enum Phase {
    /// First page: how many entries the index holds.
    Count,
    /// The whole listing fits: the complete answer's flow.
    Whole(ListFlow),
    /// Entries after the position.
    Range { requested: u32 },
    /// The records of these entries; `more`: the index has entries after them.
    Records {
        entries: Vec<(Handle, u64)>,
        more: bool,
    },
}

/// The flow of one page.
#[derive(Debug)]
pub struct PageFlow {
    app: App,
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
}

impl PageFlow {
    fn new(app: App, walk: Walk, args: PageArgs, now: u64) -> Self {
        let user = match &walk {
            Walk::User(id) => Some(id),
            Walk::Recent { .. } => None,
        };
        let check = check_of(&app, user);
        let since = match (&walk, &args.cursor) {
            (_, Some(c)) => c.since,
            (Walk::Recent { dt }, None) => now.saturating_sub(dt.saturating_mul(1000)),
            (Walk::User(_), None) => 0,
        };
        Self {
            app,
            now,
            limit: args.limit.clamp(1, LIMIT_MAX),
            since,
            check,
            at: args.cursor.map(|c| (c.score, c.handle)),
            out: Vec::new(),
            examined: 0,
            ties: TIES,
            phase: if args.cursor.is_some() {
                Phase::Range { requested: 0 }
            } else {
                Phase::Count
            },
            walk,
        }
    }

    /// `soapp` with a page.
    pub(crate) fn soapp(app: App, dt: u64, args: PageArgs, now: u64) -> Self {
        Self::new(app, Walk::Recent { dt }, args, now)
    }

    /// `soid` with a page.
    pub(crate) fn soid(app: App, id: UserId, args: PageArgs, now: u64) -> Self {
        Self::new(app, Walk::User(id), args, now)
    }

    fn index(&self) -> Key {
        match &self.walk {
            Walk::Recent { .. } => Key::Issued(self.app),
            Walk::User(id) => Key::UserSessions(self.app, id.clone()),
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

    fn range(&mut self) -> Step<Page> {
        let needed = self.limit - self.out.len() as u32;
        let requested = (needed + self.ties).min(EXAMINE_MAX - self.examined + self.ties);
        self.phase = Phase::Range { requested };
        Step::Run(vec![Command::ZRange {
            key: self.index(),
            min: self.at.map_or(0, |(score, _)| score),
            max: u64::MAX,
            limit: Some(requested),
            rev: false,
        }])
    }

    fn step(&mut self, replies: Vec<Reply>, events: &mut Vec<Event>) -> Result<Step<Page>, Error> {
        match std::mem::replace(&mut self.phase, Phase::Count) {
            Phase::Count => {
                if Replies::new(replies).count()? <= u64::from(self.limit) {
                    let listing = match &self.walk {
                        Walk::Recent { dt } => Listing::Recent(*dt),
                        Walk::User(id) => Listing::User(id.clone()),
                    };
                    let mut whole = ListFlow::new(self.app, listing, self.now);
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
            Phase::Range { requested } => {
                let members = Replies::new(replies).members()?;
                let full = members.len() as u32 >= requested;
                let after: Vec<(Handle, u64)> = members
                    .into_iter()
                    .filter_map(|(m, score)| match m {
                        Member::Handle(h) => Some((h, score)),
                        _ => None,
                    })
                    .filter(|&(h, score)| self.at.is_none_or(|at| is_after(at, score, h)))
                    .collect();
                if after.is_empty() {
                    if full {
                        // A whole range of entries at the position's own score, all walked
                        // already: range wider.
                        self.ties = self.ties.saturating_mul(2);
                        return Ok(self.range());
                    }
                    return Ok(self.done(false));
                }
                let needed = (self.limit - self.out.len() as u32) as usize;
                let room = (EXAMINE_MAX - self.examined) as usize;
                let take = after.len().min(needed).min(room.max(1));
                let more = full || after.len() > take;
                let entries: Vec<(Handle, u64)> = after.into_iter().take(take).collect();
                let gets = entries
                    .iter()
                    .map(|&(h, _)| Command::Get {
                        key: Key::Session(self.app, h),
                        cached: false,
                    })
                    .collect();
                self.phase = Phase::Records { entries, more };
                Ok(Step::Run(gets))
            }
            Phase::Records { entries, more } => {
                let mut replies = Replies::new(replies);
                for &(handle, score) in &entries {
                    self.at = Some((score, handle));
                    let Some(stored) = replies.record()? else {
                        continue;
                    };
                    let rec = Record::decode(&stored.value)?;
                    if rec.alive_at(self.now) && rec.last >= self.since {
                        let last = rec.last;
                        let session = Session::of(rec, self.now, last);
                        self.out.push(Listed { handle, session });
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
        }
    }
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
            Phase::Count => Step::Run(vec![Command::ZCount {
                key: self.index(),
                min: 0,
                max: u64::MAX,
            }]),
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
