//! Read-only queries: `activity`, `soapp` and `soid`.

use crate::error::Error;
use crate::event::Event;
use crate::keys::Key;
use crate::machine::{Flow, Replies, Step};
use crate::record::Record;
use crate::session::{Listed, Session};
use crate::shard::{Scope, Tag};
use crate::store::{Command, Member, Reply};
use crate::token::Handle;
use crate::validate::UserId;

/// The earliest last-access time (ms) inside a window of `dt` seconds before `now`: the
/// window includes its edge (a last access at exactly `now - dt·1000` is in it). The one home
/// of the window of `activity` and `soapp`, whole or paged.
pub(super) fn since(now: u64, dt: u64) -> u64 {
    now.saturating_sub(dt.saturating_mul(1000))
}

/// `activity`: unique users accessed within `dt` seconds. One `ZCount` per shard: the cost
/// does not depend on how many sessions exist. A user lives in one shard, so the shards'
/// counts add up.
#[derive(Debug)]
pub struct ActivityFlow {
    tags: Vec<Tag>,
    dt: u64,
    now: u64,
    total: u64,
}

impl ActivityFlow {
    pub(crate) fn new(scope: Scope, dt: u64, now: u64) -> Self {
        let mut tags: Vec<Tag> = scope.tags().collect();
        // Counted from the last shard down: `pop` takes the next.
        tags.reverse();
        Self {
            tags,
            dt,
            now,
            total: 0,
        }
    }

    fn count_next(&mut self) -> Step<u64> {
        match self.tags.pop() {
            Some(tag) => Step::Run(vec![Command::ZCount {
                key: Key::Users(tag),
                min: since(self.now, self.dt),
                max: u64::MAX,
            }]),
            None => Step::Done(Ok(self.total)),
        }
    }
}

impl Flow for ActivityFlow {
    type Output = u64;

    fn start(&mut self) -> Step<u64> {
        self.count_next()
    }

    fn next(&mut self, replies: Vec<Reply>, _events: &mut Vec<Event>) -> Step<u64> {
        match Replies::new(replies).count() {
            Ok(n) => {
                self.total += n;
                self.count_next()
            }
            Err(e) => Step::Done(Err(e)),
        }
    }
}

/// Which sessions a listing wants.
#[derive(Debug)]
pub(crate) enum Listing {
    /// `soapp`: accessed within `dt` seconds, most recent first.
    Recent(u64),
    /// `soid`: one user's, oldest first.
    User(UserId),
}

/// `soapp` and `soid`: find the handles, then read the records they name. Expired and missing
/// sessions are left out (and left for `sweep`): a listing never writes.
///
/// `soid` ranges the user's index, in their shard. `soapp` visits every shard: it ranges
/// `_users` for the users accessed within `dt` (a user's score is their latest access), then
/// their indexes, and keeps the sessions whose own last access is within `dt`: no app-wide
/// index of sessions by access is kept up to date on every access for it.
#[derive(Debug)]
pub struct ListFlow {
    /// The shards still to visit, the next last.
    tags: Vec<Tag>,
    /// The shard being visited.
    tag: Option<Tag>,
    now: u64,
    listing: Listing,
    phase: ListPhase,
    out: Vec<(u64, Listed)>,
}

#[derive(Debug)]
enum ListPhase {
    /// `soapp`: the users accessed within `dt`.
    Users,
    /// The handles of one user (`soid`) or of each user ranged.
    Handles,
    /// The records of these handles.
    Records(Vec<Handle>),
}

impl ListFlow {
    pub(crate) fn new(scope: Scope, listing: Listing, now: u64) -> Self {
        let mut tags: Vec<Tag> = match &listing {
            Listing::Recent(_) => scope.tags().collect(),
            Listing::User(id) => vec![scope.of_user(id)],
        };
        tags.reverse();
        Self {
            tags,
            tag: None,
            now,
            listing,
            phase: ListPhase::Handles,
            out: Vec::new(),
        }
    }

    fn user_index(tag: Tag, id: UserId) -> Command {
        Command::ZRange {
            key: Key::UserSessions(tag, id),
            min: 0,
            max: u64::MAX,
            limit: None,
            rev: false,
        }
    }

    /// Starts on the next shard, or answers when every shard was visited.
    fn visit_next(&mut self) -> Step<Vec<Listed>> {
        let Some(tag) = self.tags.pop() else {
            return Step::Done(Ok(self.finish()));
        };
        self.tag = Some(tag);
        match &self.listing {
            Listing::Recent(dt) => {
                self.phase = ListPhase::Users;
                Step::Run(vec![Command::ZRange {
                    key: Key::Users(tag),
                    min: since(self.now, *dt),
                    max: u64::MAX,
                    limit: None,
                    rev: true,
                }])
            }
            Listing::User(id) => {
                self.phase = ListPhase::Handles;
                Step::Run(vec![Self::user_index(tag, id.clone())])
            }
        }
    }

    fn step(&mut self, replies: Vec<Reply>) -> Result<Step<Vec<Listed>>, Error> {
        let tag = self
            .tag
            .ok_or_else(|| Error::store("a listing was resumed before it started"))?;
        match std::mem::replace(&mut self.phase, ListPhase::Handles) {
            ListPhase::Users => {
                let users = Replies::new(replies).members()?;
                let ranges: Vec<Command> = users
                    .into_iter()
                    .filter_map(|(m, _)| match m {
                        Member::Id(id) => Some(Self::user_index(tag, id)),
                        _ => None,
                    })
                    .collect();
                if ranges.is_empty() {
                    return Ok(self.visit_next());
                }
                Ok(Step::Run(ranges))
            }
            ListPhase::Handles => {
                let count = replies.len();
                let mut replies = Replies::new(replies);
                let mut handles = Vec::new();
                for _ in 0..count {
                    handles.extend(replies.members()?.into_iter().filter_map(|(m, _)| match m {
                        Member::Handle(h) => Some(h),
                        _ => None,
                    }));
                }
                if handles.is_empty() {
                    return Ok(self.visit_next());
                }
                let gets = handles
                    .iter()
                    .map(|&h| Command::Get {
                        key: Key::Session(tag, h),
                        cached: false,
                    })
                    .collect();
                self.phase = ListPhase::Records(handles);
                Ok(Step::Run(gets))
            }
            ListPhase::Records(handles) => {
                self.collect(handles, replies)?;
                Ok(self.visit_next())
            }
        }
    }

    fn collect(&mut self, handles: Vec<Handle>, replies: Vec<Reply>) -> Result<(), Error> {
        let mut replies = Replies::new(replies);
        let since = match self.listing {
            Listing::Recent(dt) => since(self.now, dt),
            Listing::User(_) => 0,
        };
        for handle in handles {
            let Some(stored) = replies.record()? else {
                continue;
            };
            let rec = Record::decode(&stored.value)?;
            if rec.alive_at(self.now) && rec.last >= since {
                let last = rec.last;
                let session = Session::of(rec, self.now, last);
                self.out.push((last, Listed { handle, session }));
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Vec<Listed> {
        let mut out = std::mem::take(&mut self.out);
        if let Listing::Recent(_) = self.listing {
            // Most recent first; ties in descending handle order, as a reversed range gives.
            out.sort_by(|(x, a), (y, b)| {
                (y, b.handle.text().as_str()).cmp(&(x, a.handle.text().as_str()))
            });
        }
        out.into_iter().map(|(_, listed)| listed).collect()
    }
}

impl Flow for ListFlow {
    type Output = Vec<Listed>;

    fn start(&mut self) -> Step<Vec<Listed>> {
        self.visit_next()
    }

    fn next(&mut self, replies: Vec<Reply>, _events: &mut Vec<Event>) -> Step<Vec<Listed>> {
        self.step(replies).unwrap_or_else(|e| Step::Done(Err(e)))
    }
}
