//! Operations on one session, found by its handle: `get`, `touch`, `set`, `setTtl`,
//! `regenerate` and `kill`.
//!
//! They share one flow: read the record; if it is missing answer "gone"; if it has expired
//! remove it (an `expired` event) and answer "gone" (or, with [`Expired::Keep`], leave it for
//! the sweep and answer "gone"); otherwise let the [`Change`] plan a write that is conditional
//! on the version read, so a concurrent writer makes it retry instead of losing an update.

use super::Expired;
use super::index::{self, Expiry};
use crate::data::{Data, Patch};
use crate::error::Error;
use crate::event::{Event, EventKind, Reason};
use crate::keys::Key;
use crate::machine::{Flow, Replies, Step};
use crate::record::Record;
use crate::session::Session;
use crate::shard::{Scope, Shards, Tag};
use crate::store::{Batch, Command, Expect, Member, Reply};
use crate::token::{Handle, Token};
use crate::validate::UserId;

/// The session an operation acts on.
#[derive(Debug)]
pub struct Target {
    /// The tag of the session's shard (its handle's).
    tag: Tag,
    shards: Shards,
    handle: Handle,
    now: u64,
}

impl Target {
    fn event(&self, kind: EventKind, id: &UserId, handle: Handle) -> Event {
        Event {
            kind,
            app: self.tag.app(),
            id: id.clone(),
            handle,
        }
    }
}

/// What a planned change decided.
#[derive(Debug)]
pub enum Planned {
    /// The batch holds the write.
    Write,
    /// The change ends the session instead (a TTL that has already run out).
    Expire(Record),
}

/// What a single-session operation does to a live session (see [`SingleFlow`]).
pub trait Change {
    /// The operation's result.
    type Output;
    /// The answer when no live session is there.
    fn gone(&mut self) -> Self::Output;
    /// Plans the write for the live record `rec` read at `version`.
    fn plan(
        &mut self,
        t: &Target,
        version: u64,
        rec: Record,
        batch: &mut Batch,
    ) -> Result<Planned, Error>;
    /// The write was applied: report events and give the answer.
    fn applied(&mut self, t: &Target, events: &mut Vec<Event>) -> Self::Output;
    /// With [`Expired::Keep`]: whether the operation ends an expired session it meets, which
    /// is still there until the sweep (`kill`), rather than leaving it for the sweep.
    fn ends_expired(&self) -> bool {
        false
    }
    /// The answer when it ended one (see [`Change::ends_expired`]).
    fn ended_expired(&mut self) -> Self::Output {
        self.gone()
    }
}

#[derive(Debug)]
enum Phase {
    Read,
    Write,
    Expire(UserId),
}

/// The flow shared by every single-session operation.
#[derive(Debug)]
pub struct SingleFlow<C> {
    t: Target,
    change: C,
    phase: Phase,
    expired: Expired,
    /// The session had expired and this operation ended it (see [`Change::ends_expired`]).
    ended_expired: bool,
}

impl<C: Change> SingleFlow<C> {
    pub(crate) fn new(scope: Scope, handle: Handle, now: u64, change: C) -> Self {
        Self {
            t: Target {
                tag: scope.of_handle(&handle),
                shards: scope.shards,
                handle,
                now,
            },
            change,
            phase: Phase::Read,
            expired: Expired::Remove,
            ended_expired: false,
        }
    }

    /// What to do with the session if it has expired (default [`Expired::Remove`]).
    pub(crate) fn on_expired(&mut self, expired: Expired) {
        self.expired = expired;
    }

    fn expire(&mut self, rec: Record, version: u64) -> Step<C::Output> {
        let mut batch = Vec::with_capacity(4);
        index::remove(
            &mut batch,
            &self.t.tag,
            self.t.handle,
            Some(&rec.id),
            Expect::Version(version),
        );
        self.phase = Phase::Expire(rec.id);
        Step::Run(batch)
    }

    fn on_read(&mut self, replies: Vec<Reply>) -> Result<Step<C::Output>, Error> {
        let Some(stored) = Replies::new(replies).record()? else {
            return Ok(Step::Done(Ok(self.change.gone())));
        };
        let rec = Record::decode(&stored.value)?;
        if !rec.alive_at(self.t.now) {
            return Ok(match self.expired {
                Expired::Remove => self.expire(rec, stored.version),
                Expired::Keep if self.change.ends_expired() => {
                    self.ended_expired = true;
                    self.expire(rec, stored.version)
                }
                // Left for the sweep: nothing is written.
                Expired::Keep => Step::Done(Ok(self.change.gone())),
            });
        }
        let mut batch = Vec::with_capacity(3);
        match self.change.plan(&self.t, stored.version, rec, &mut batch)? {
            Planned::Write => {
                self.phase = Phase::Write;
                Ok(Step::Run(batch))
            }
            Planned::Expire(rec) => Ok(self.expire(rec, stored.version)),
        }
    }
}

impl<C: Change> Flow for SingleFlow<C> {
    type Output = C::Output;

    fn start(&mut self) -> Step<C::Output> {
        self.phase = Phase::Read;
        // Every change writes or deletes this record conditionally on the version read, so
        // the read may come from a store's version-coherent cache.
        Step::Run(vec![Command::Get {
            key: Key::Session(self.t.tag, self.t.handle),
            cached: true,
        }])
    }

    fn lock_key(&self) -> Option<Handle> {
        Some(self.t.handle)
    }

    fn next(&mut self, replies: Vec<Reply>, events: &mut Vec<Event>) -> Step<C::Output> {
        match std::mem::replace(&mut self.phase, Phase::Read) {
            Phase::Read => self.on_read(replies).unwrap_or_else(|e| Step::Done(Err(e))),
            Phase::Write => Step::Done(Ok(self.change.applied(&self.t, events))),
            Phase::Expire(id) => {
                // A session left for the sweep that a kill ends was ended by the kill.
                let reason = if self.ended_expired {
                    Reason::Kill
                } else {
                    Reason::Expired
                };
                events.push(
                    self.t
                        .event(EventKind::Destroyed(reason), &id, self.t.handle),
                );
                Step::Done(Ok(if self.ended_expired {
                    self.change.ended_expired()
                } else {
                    self.change.gone()
                }))
            }
        }
    }
}

/// How `get`, `touch`, `set` and `setTtl` change a session; each answers with the session.
#[derive(Debug)]
pub enum Access {
    /// Count a read; answer with the session as it was before.
    Get,
    /// Slide the expiry only.
    Touch,
    /// Merge data and count a write; answer with the new `w`.
    Set(Patch),
    /// Change the TTL.
    SetTtl(u64),
}

/// The `Change` of [`Access`] operations, holding the answer between plan and apply.
#[derive(Debug)]
pub struct AccessChange {
    access: Access,
    answer: Option<Session>,
}

impl AccessChange {
    pub(crate) fn new(access: Access) -> Self {
        Self {
            access,
            answer: None,
        }
    }
}

impl Change for AccessChange {
    type Output = Option<Session>;

    fn gone(&mut self) -> Option<Session> {
        None
    }

    fn plan(
        &mut self,
        t: &Target,
        version: u64,
        mut rec: Record,
        batch: &mut Batch,
    ) -> Result<Planned, Error> {
        let last = rec.last;
        let read_before = rec.r;
        match &self.access {
            // Saturating: a record from a store may hold any count (a panic in debug builds,
            // a wrap to 0 in release ones, before).
            Access::Get => rec.r = rec.r.saturating_add(1),
            Access::Touch => {}
            Access::Set(patch) => {
                let stored = rec.d.take().map(Data::from_stored);
                rec.d = Data::merge(stored.as_ref(), patch)?.map(Data::into_json);
                rec.w = rec.w.saturating_add(1);
            }
            Access::SetTtl(ttl) => {
                rec.ttl = *ttl;
                rec.last = t.now;
                if !rec.alive_at(t.now) {
                    return Ok(Planned::Expire(rec));
                }
            }
        }
        rec.last = t.now;
        // Only a TTL change can move the expiry earlier; other accesses keep its lower bound.
        let expiry = match self.access {
            Access::SetTtl(_) => Expiry::Exact,
            _ => Expiry::Kept,
        };
        index::save(
            batch,
            &t.tag,
            t.handle,
            &rec,
            t.now,
            Expect::Version(version),
            expiry,
        );
        let mut answer = Session::of(rec, t.now, last);
        if let Access::Get = self.access {
            // `get` answers with the session as it was before this read.
            answer.r = read_before;
        }
        self.answer = Some(answer);
        Ok(Planned::Write)
    }

    fn applied(&mut self, _t: &Target, _events: &mut Vec<Event>) -> Option<Session> {
        self.answer.take()
    }
}

/// `regenerate`: the same session under a new token; the old one is dead in the same batch.
#[derive(Debug)]
pub struct Regenerate {
    token: Option<Token>,
    handle: Handle,
    id: Option<UserId>,
}

impl Regenerate {
    pub(crate) fn new(token: Token) -> Self {
        Self {
            handle: token.handle(),
            token: Some(token),
            id: None,
        }
    }
}

impl Change for Regenerate {
    type Output = Option<Token>;

    fn gone(&mut self) -> Option<Token> {
        None
    }

    fn plan(
        &mut self,
        t: &Target,
        version: u64,
        mut rec: Record,
        batch: &mut Batch,
    ) -> Result<Planned, Error> {
        if let Some(token) = &self.token {
            // The new handle must live in the old one's shard, with the user's other keys.
            t.shards.check_token(token, t.tag.shard())?;
        }
        // The old record goes only if nobody changed it since we read it; its user keeps a
        // session, so the user index loses the old handle but `_users` is left alone.
        index::remove(batch, &t.tag, t.handle, None, Expect::Version(version));
        batch.push(Command::ZRem {
            key: Key::UserSessions(t.tag, rec.id.clone()),
            member: Member::Handle(t.handle),
        });
        rec.last = t.now;
        index::save(
            batch,
            &t.tag,
            self.handle,
            &rec,
            t.now,
            Expect::Absent,
            Expiry::Exact,
        );
        index::enlist(batch, &t.tag, self.handle, &rec, t.now);
        self.id = Some(rec.id);
        Ok(Planned::Write)
    }

    fn applied(&mut self, t: &Target, events: &mut Vec<Event>) -> Option<Token> {
        if let Some(id) = &self.id {
            let gone = EventKind::Destroyed(Reason::Regenerate);
            events.push(t.event(gone, id, t.handle));
            events.push(t.event(EventKind::Created, id, self.handle));
        }
        self.token.take()
    }
}

/// `kill`: remove one live session. Answers how many were killed (0 or 1).
#[derive(Debug, Default)]
pub struct Kill {
    id: Option<UserId>,
}

impl Change for Kill {
    type Output = u64;

    fn gone(&mut self) -> u64 {
        0
    }

    fn plan(
        &mut self,
        t: &Target,
        version: u64,
        rec: Record,
        batch: &mut Batch,
    ) -> Result<Planned, Error> {
        index::remove(
            batch,
            &t.tag,
            t.handle,
            Some(&rec.id),
            Expect::Version(version),
        );
        self.id = Some(rec.id);
        Ok(Planned::Write)
    }

    fn applied(&mut self, t: &Target, events: &mut Vec<Event>) -> u64 {
        if let Some(id) = &self.id {
            events.push(t.event(EventKind::Destroyed(Reason::Kill), id, t.handle));
        }
        1
    }

    /// An expired session left for the sweep is still there: `kill` ends it, and counts it
    /// (as `killsoid` and `killall` do).
    fn ends_expired(&self) -> bool {
        true
    }

    fn ended_expired(&mut self) -> u64 {
        1
    }
}

#[cfg(test)]
mod tests {
    use crate::machine::Machine;
    use crate::record::Record;
    use crate::store::{Command, Expect, SyncStore};
    use crate::validate::{App, UserId};
    use crate::{Create, Handle, Key, ManualClock, MemoryStore, Patch, Sessions, Token};

    /// What drivers rely on (see [`Machine::lock_key`]): an operation on one session names
    /// it, so that operations on one hot session queue (or run in one exclusive turn of an
    /// in-process store) instead of spinning through version conflicts; `create` is one
    /// session too; operations over many sessions are not.
    #[test]
    fn single_session_operations_name_their_session() {
        let app = App::new("shop").unwrap();
        let token = Token::generate().unwrap();
        let h = token.handle();
        let now = 1_000;
        for op in [
            crate::ops::get(app, h, now),
            crate::ops::access(app, h, super::Access::Touch, now),
            crate::ops::set(app, h, Patch::new().set("a", 1), now),
            crate::ops::access(app, h, super::Access::SetTtl(60), now),
        ] {
            assert_eq!((op.lock_key(), op.one_session()), (Some(h), true));
        }
        let kill = crate::ops::kill(app, h, now);
        assert_eq!((kill.lock_key(), kill.one_session()), (Some(h), true));
        let new = Token::generate().unwrap();
        let regenerate = crate::ops::regenerate(app, h, new, now);
        assert_eq!(regenerate.lock_key(), Some(h));
        let input = Create::new("shop", "u1", "::1").validate().unwrap();
        let create = crate::ops::create(input, token, now);
        assert_eq!((create.lock_key(), create.one_session()), (None, true));
        let killall = crate::ops::killall(app, now);
        assert_eq!((killall.lock_key(), killall.one_session()), (None, false));
    }

    /// Found by the `records` fuzz target: counters at `u64::MAX` in a record a store handed
    /// back overflowed (a panic with overflow checks, a wrap to 0 without). They saturate.
    #[test]
    fn counters_saturate() {
        let store = MemoryStore::new();
        let (app, token) = (App::new("shop").unwrap(), "T".repeat(64));
        let handle = Handle::of_token(&token).unwrap();
        let rec = Record {
            id: UserId::new("u1").unwrap(),
            ip: "::1".into(),
            r: u64::MAX,
            w: u64::MAX,
            ttl: 600,
            created: 1_000,
            last: 1_000,
            no_resave: false,
            lifetime: None,
            d: None,
        };
        let put = Command::Put {
            key: Key::Session(app.into(), handle),
            value: rec.encode(),
            ttl_ms: 1_000_000,
            expect: Expect::Any,
        };
        store.apply(vec![put]).unwrap();
        let sessions = Sessions::new(store).with_clock(ManualClock::new(2_000));
        assert_eq!(sessions.get("shop", &token).unwrap().unwrap().r, u64::MAX);
        let s = sessions
            .set("shop", &token, Patch::new().set("a", 1))
            .unwrap()
            .unwrap();
        assert_eq!((s.r, s.w), (u64::MAX, u64::MAX));
    }
}
