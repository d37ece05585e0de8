//! Operations over many sessions: `killsoid`, `killall` and `sweep`.
//!
//! They share one loop, chunk by chunk: range an index, read the records it names, and remove
//! them in one batch whose deletes are conditional on the versions read. A concurrent writer
//! makes the chunk retry from a fresh range; chunks already applied stay applied. Each chunk
//! removes every entry it ranged (or, for `sweep`, moves a live one past `now`), so the loop
//! always ends.

use super::Expired;
use super::index;
use crate::error::Error;
use crate::event::{Event, EventKind, Reason};
use crate::keys::Key;
use crate::machine::{Flow, Replies, Step};
use crate::record::Record;
use crate::shard::{Scope, Shards, Tag};
use crate::store::{Batch, Command, Expect, Member, Reply};
use crate::token::Handle;
use crate::validate::UserId;
use std::collections::VecDeque;

/// Sessions handled per batch by `killsoid` and `killall`.
const CHUNK: u32 = 500;

/// What a bulk operation removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Removal {
    /// Sessions removed: live ones killed (`killsoid`, `killall`), or expired ones swept.
    pub count: u64,
    /// `sweep` only: it stopped at its limit and more expired sessions may remain.
    pub more: bool,
}

/// Which bulk operation.
#[derive(Debug)]
pub(crate) enum Bulk {
    KillSoid(UserId),
    KillAll,
    Sweep(u32),
}

#[derive(Debug)]
enum Phase {
    Apps,
    Range {
        requested: u32,
    },
    Read {
        handles: Vec<Handle>,
        full: bool,
    },
    Write {
        events: Vec<Event>,
        count: u64,
        ranged: u32,
        full: bool,
    },
    Probe,
}

/// The flow shared by `killsoid`, `killall` and `sweep`.
#[derive(Debug)]
pub struct BulkFlow {
    bulk: Bulk,
    now: u64,
    /// The shards still to visit, the next first.
    tags: VecDeque<Tag>,
    /// The shards of each app found in the registry.
    shards: Shards,
    /// `sweep` without an app: read the app registry first.
    all_apps: bool,
    phase: Phase,
    done: Removal,
    /// `sweep`: index entries examined so far. The limit bounds these, not just the removals,
    /// because `_expiry` holds lower bounds: a sweep also meets live sessions whose entry it
    /// only moves forward, and that work must be bounded too.
    examined: u32,
    /// `killsoid`, `killall`: with [`Expired::Keep`], the expired sessions they meet were left
    /// for the sweep, so they are still there to kill, and count.
    expired: Expired,
}

impl BulkFlow {
    pub(crate) fn new(bulk: Bulk, scope: Option<Scope>, shards: Shards, now: u64) -> Self {
        let tags = match (&bulk, scope) {
            (_, None) => VecDeque::new(),
            (Bulk::KillSoid(id), Some(scope)) => VecDeque::from([scope.of_user(id)]),
            (_, Some(scope)) => scope.tags().collect(),
        };
        Self {
            all_apps: scope.is_none(),
            tags,
            shards,
            bulk,
            now,
            phase: Phase::Apps,
            done: Removal::default(),
            examined: 0,
            expired: Expired::Remove,
        }
    }

    /// How the kills count sessions that have expired (default [`Expired::Remove`]: they were
    /// not alive, so they are not counted).
    pub(crate) fn on_expired(&mut self, expired: Expired) {
        self.expired = expired;
    }

    /// Whether a session this flow removes counts in its answer: kills count live sessions
    /// (and, with [`Expired::Keep`], every session they end); sweeps count expired ones.
    fn counts(&self, alive: bool) -> bool {
        match (self.reason(), self.expired) {
            (None, _) => !alive,
            (Some(_), Expired::Keep) => true,
            (Some(_), Expired::Remove) => alive,
        }
    }

    fn remaining(&self) -> u32 {
        match self.bulk {
            Bulk::Sweep(limit) => limit.saturating_sub(self.examined),
            _ => CHUNK,
        }
    }

    fn range(&mut self) -> Step<Removal> {
        if matches!(self.bulk, Bulk::Sweep(_)) && self.remaining() == 0 {
            // A probe (`limit` 0), or a sweep at its limit: only `more` is left to answer.
            return self.probe();
        }
        let Some(app) = self.tags.front() else {
            return Step::Done(Ok(self.done));
        };
        let requested = self.remaining();
        let (key, max) = match &self.bulk {
            Bulk::KillSoid(id) => (Key::UserSessions(*app, id.clone()), u64::MAX),
            Bulk::KillAll => (Key::Expiry(*app), u64::MAX),
            Bulk::Sweep(_) => (Key::Expiry(*app), self.now),
        };
        self.phase = Phase::Range { requested };
        Step::Run(vec![Command::ZRange {
            key,
            min: 0,
            max,
            limit: Some(requested),
            rev: false,
        }])
    }

    fn reason(&self) -> Option<Reason> {
        match self.bulk {
            Bulk::KillSoid(_) => Some(Reason::KillSoid),
            Bulk::KillAll => Some(Reason::KillAll),
            Bulk::Sweep(_) => None,
        }
    }

    /// Plans the removal batch for one chunk of ranged handles and their records.
    fn plan(
        &mut self,
        handles: Vec<Handle>,
        full: bool,
        replies: Vec<Reply>,
    ) -> Result<Step<Removal>, Error> {
        let Some(app) = self.tags.front().cloned() else {
            return Ok(Step::Done(Ok(self.done)));
        };
        let mut replies = Replies::new(replies);
        let mut batch: Batch = Vec::with_capacity(handles.len() * 4);
        let mut events = Vec::new();
        let mut count = 0;
        let ranged = handles.len() as u32;
        for handle in handles {
            let Some(stored) = replies.record()? else {
                // The store dropped the record already (its TTL hint); clean what we can.
                index::unindex(&mut batch, &app, handle);
                if let Bulk::KillSoid(id) = &self.bulk {
                    // The user is known here: they leave `_users` with their last session, as
                    // `index::remove` has it.
                    let user = Key::UserSessions(app, id.clone());
                    batch.push(Command::ZRem {
                        key: user.clone(),
                        member: Member::Handle(handle),
                    });
                    batch.push(Command::ZRemIfEmpty {
                        key: Key::Users(app),
                        member: Member::Id(id.clone()),
                        watched: user,
                    });
                }
                // Only an expired session's record is dropped by the store (its TTL hint).
                if self.counts(false) {
                    count += 1;
                }
                continue;
            };
            let rec = Record::decode(&stored.value)?;
            let alive = rec.alive_at(self.now);
            let reason = match (alive, self.reason()) {
                (true, Some(kill)) => kill,
                // Left for the sweep, and still there for the kill to end.
                (false, Some(kill)) if self.expired == Expired::Keep => kill,
                (true, None) => {
                    // Swept but alive: an access slid it after we ranged. Re-score it.
                    batch.push(Command::ZAdd {
                        key: Key::Expiry(app),
                        member: Member::Handle(handle),
                        score: rec.expires(),
                    });
                    continue;
                }
                (false, _) => Reason::Expired,
            };
            if self.counts(alive) {
                count += 1;
            }
            index::remove(
                &mut batch,
                &app,
                handle,
                Some(&rec.id),
                Expect::Version(stored.version),
            );
            events.push(Event {
                kind: EventKind::Destroyed(reason),
                app: app.app(),
                id: rec.id,
                handle,
            });
        }
        self.phase = Phase::Write {
            events,
            count,
            ranged,
            full,
        };
        Ok(Step::Run(batch))
    }

    fn step(
        &mut self,
        replies: Vec<Reply>,
        events: &mut Vec<Event>,
    ) -> Result<Step<Removal>, Error> {
        match std::mem::replace(&mut self.phase, Phase::Apps) {
            Phase::Apps => {
                let apps = Replies::new(replies).members()?;
                let shards = self.shards;
                self.tags = apps
                    .into_iter()
                    .filter_map(|(m, _)| match m {
                        Member::App(app) => Some(app),
                        _ => None,
                    })
                    .flat_map(|app| shards.tags(app))
                    .collect();
                Ok(self.range())
            }
            Phase::Range { requested } => {
                let members = Replies::new(replies).members()?;
                if members.is_empty() {
                    self.tags.pop_front();
                    return Ok(self.range());
                }
                let full = members.len() as u32 >= requested;
                let ranged = members.len();
                let handles: Vec<Handle> = members
                    .into_iter()
                    .filter_map(|(m, _)| match m {
                        Member::Handle(h) => Some(h),
                        _ => None,
                    })
                    .collect();
                // Every chunk must remove (or re-score) what it ranged, or the loop would range
                // the same entries forever: a range of handles that holds anything else is a
                // store fault.
                if handles.len() != ranged {
                    return Err(Error::store(
                        "the store answered a range of session handles with other members",
                    ));
                }
                let app = self.tags.front().cloned();
                // Fresh reads: a sweep re-scores a live session it meets without a versioned
                // write, so a stale read could misplace it in `_expiry`.
                let gets = handles
                    .iter()
                    .filter_map(|&h| {
                        Some(Command::Get {
                            key: Key::Session(app?, h),
                            cached: false,
                        })
                    })
                    .collect();
                self.phase = Phase::Read { handles, full };
                Ok(Step::Run(gets))
            }
            Phase::Read { handles, full } => self.plan(handles, full, replies),
            Phase::Write {
                events: applied,
                count,
                ranged,
                full,
            } => {
                events.extend(applied);
                self.done.count += count;
                self.examined += ranged;
                if let Bulk::Sweep(_) = self.bulk {
                    if !full {
                        // This app has no more expired sessions.
                        self.tags.pop_front();
                    }
                }
                Ok(self.range())
            }
            Phase::Probe => {
                if Replies::new(replies).count()? > 0 {
                    self.done.more = true;
                    return Ok(Step::Done(Ok(self.done)));
                }
                self.tags.pop_front();
                Ok(self.probe())
            }
        }
    }

    /// The sweep reached its limit: find out whether any app still has expired sessions, so
    /// that `more` is exact.
    fn probe(&mut self) -> Step<Removal> {
        let Some(app) = self.tags.front() else {
            return Step::Done(Ok(self.done));
        };
        self.phase = Phase::Probe;
        Step::Run(vec![Command::ZCount {
            key: Key::Expiry(*app),
            min: 0,
            max: self.now,
        }])
    }
}

impl Flow for BulkFlow {
    type Output = Removal;

    fn start(&mut self) -> Step<Removal> {
        if self.all_apps && self.tags.is_empty() {
            self.phase = Phase::Apps;
            return Step::Run(vec![Command::ZRange {
                key: Key::Apps,
                min: 0,
                max: u64::MAX,
                limit: None,
                rev: false,
            }]);
        }
        self.range()
    }

    fn retry(&mut self) -> Step<Removal> {
        // Only a removal batch can conflict: range the current app again.
        if self.all_apps && self.tags.is_empty() {
            return self.start();
        }
        self.range()
    }

    fn next(&mut self, replies: Vec<Reply>, events: &mut Vec<Event>) -> Step<Removal> {
        self.step(replies, events)
            .unwrap_or_else(|e| Step::Done(Err(e)))
    }
}

#[cfg(test)]
mod tests {
    use crate::machine::{Machine, Step};
    use crate::store::{Command, Expect, Member, Reply, SyncStore};
    use crate::validate::{App, UserId};
    use crate::{Create, Key, ManualClock, MemoryStore, Sessions};

    /// A session of `u1` whose record the store then dropped, as a store may once the record's
    /// TTL hint has run out (Redis does, an hour after the expiry): only its index entries
    /// are left for the bulk operations to meet.
    fn dropped_record(clock: &ManualClock) -> Sessions<MemoryStore> {
        let s = Sessions::new(MemoryStore::new())
            .with_clock(clock.clone())
            .with_auto_sweep(None);
        let token = s.create(Create::new("shop", "u1", "::1").ttl(10)).unwrap();
        let app = App::new("shop").unwrap();
        let delete = Command::Delete {
            key: Key::Session(app.into(), token.handle()),
            expect: Expect::Any,
        };
        s.store().apply(vec![delete]).unwrap();
        s
    }

    #[test]
    fn a_sweep_counts_a_session_whose_record_the_store_dropped() {
        let clock = ManualClock::new(1_000_000);
        let s = dropped_record(&clock);
        clock.set(1_000_000 + 3_700_000);
        let swept = s.sweep(Some("shop"), 100).unwrap();
        assert_eq!((swept.count, swept.more), (1, false));
        assert_eq!(s.sweep(Some("shop"), 100).unwrap().count, 0);
    }

    /// `killsoid` counts live sessions only: one whose record is gone is not counted, and it
    /// leaves the user index and `activity`, as a session that expired would.
    #[test]
    fn killsoid_cleans_up_after_a_record_the_store_dropped() {
        let clock = ManualClock::new(1_000_000);
        let s = dropped_record(&clock);
        assert_eq!(s.activity("shop", 60).unwrap(), 1);
        assert_eq!(s.killsoid("shop", "u1").unwrap(), 0);
        assert_eq!(s.soid_page("shop", "u1", 10, None).unwrap().sessions, []);
        assert_eq!(s.activity("shop", 60).unwrap(), 0);
    }

    /// Found by the `wire` fuzz target: a store that answered the range of a user's handles
    /// with members of another kind made `killsoid` send an empty batch and range again, with
    /// no progress (forever, if the store kept answering so). It is a store fault now.
    #[test]
    fn a_range_of_handles_with_other_members_is_a_store_error() {
        let (app, id) = (App::new("shop").unwrap(), UserId::new("u1").unwrap());
        for op in [
            super::super::killsoid(app, id.clone(), 1_000),
            super::super::killall(app, 1_000),
            super::super::sweep(Some(app), 10, 1_000),
        ] {
            let mut op = op;
            assert!(
                matches!(op.start(), Step::Run(b) if matches!(b[..], [Command::ZRange { .. }]))
            );
            let wrong = Reply::Members(vec![(Member::Id(id.clone()), 5)]);
            match op.resume(Ok(vec![wrong])) {
                Step::Done(Err(e)) => assert_eq!(e.name(), "storeError", "{e:?}"),
                Step::Done(Ok(r)) => panic!("done: {r:?}"),
                Step::Run(batch) => panic!("ran {batch:?}"),
            }
        }
    }
}
