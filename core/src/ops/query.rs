//! Read-only queries: `activity`, `soapp` and `soid`.

use crate::error::Error;
use crate::event::Event;
use crate::keys::Key;
use crate::machine::{Flow, Replies, Step};
use crate::record::Record;
use crate::session::{Listed, Session};
use crate::store::{Command, Member, Reply};
use crate::token::Handle;
use crate::validate::{App, UserId};

/// The earliest last-access time (ms) inside a window of `dt` seconds before `now`.
fn since(now: u64, dt: u64) -> u64 {
    now.saturating_sub(dt.saturating_mul(1000))
}

/// `activity`: unique users accessed within `dt` seconds. One `ZCount`: the cost does not
/// depend on how many sessions exist.
#[derive(Debug)]
pub struct ActivityFlow {
    app: App,
    dt: u64,
    now: u64,
}

impl ActivityFlow {
    pub(crate) fn new(app: App, dt: u64, now: u64) -> Self {
        Self { app, dt, now }
    }
}

impl Flow for ActivityFlow {
    type Output = u64;

    fn start(&mut self) -> Step<u64> {
        Step::Run(vec![Command::ZCount {
            key: Key::Users(self.app),
            min: since(self.now, self.dt),
            max: u64::MAX,
        }])
    }

    fn next(&mut self, replies: Vec<Reply>, _events: &mut Vec<Event>) -> Step<u64> {
        Step::Done(Replies::new(replies).count())
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
/// `soid` ranges the user's index. `soapp` ranges `_users` for the users accessed within
/// `dt` (a user's score is their latest access), then their indexes, and keeps the sessions
/// whose own last access is within `dt`: no app-wide index of sessions by access is kept up to
/// date on every access for it.
#[derive(Debug)]
pub struct ListFlow {
    app: App,
    now: u64,
    listing: Listing,
    phase: ListPhase,
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
    pub(crate) fn new(app: App, listing: Listing, now: u64) -> Self {
        Self {
            app,
            now,
            listing,
            phase: ListPhase::Handles,
        }
    }

    fn user_index(&self, id: UserId) -> Command {
        Command::ZRange {
            key: Key::UserSessions(self.app, id),
            min: 0,
            max: u64::MAX,
            limit: None,
            rev: false,
        }
    }

    fn step(&mut self, replies: Vec<Reply>) -> Result<Step<Vec<Listed>>, Error> {
        match std::mem::replace(&mut self.phase, ListPhase::Handles) {
            ListPhase::Users => {
                let users = Replies::new(replies).members()?;
                let ranges: Vec<Command> = users
                    .into_iter()
                    .filter_map(|(m, _)| match m {
                        Member::Id(id) => Some(self.user_index(id)),
                        _ => None,
                    })
                    .collect();
                if ranges.is_empty() {
                    return Ok(Step::Done(Ok(Vec::new())));
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
                    return Ok(Step::Done(Ok(Vec::new())));
                }
                let gets = handles
                    .iter()
                    .map(|&h| Command::Get {
                        key: Key::Session(self.app, h),
                        cached: false,
                    })
                    .collect();
                self.phase = ListPhase::Records(handles);
                Ok(Step::Run(gets))
            }
            ListPhase::Records(handles) => Ok(Step::Done(self.collect(handles, replies))),
        }
    }

    fn collect(&self, handles: Vec<Handle>, replies: Vec<Reply>) -> Result<Vec<Listed>, Error> {
        let mut replies = Replies::new(replies);
        let mut out: Vec<(u64, Listed)> = Vec::with_capacity(handles.len());
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
                out.push((last, Listed { handle, session }));
            }
        }
        if let Listing::Recent(_) = self.listing {
            // Most recent first; ties in descending handle order, as a reversed range gives.
            out.sort_by(|(x, a), (y, b)| {
                (y, b.handle.text().as_str()).cmp(&(x, a.handle.text().as_str()))
            });
        }
        Ok(out.into_iter().map(|(_, listed)| listed).collect())
    }
}

impl Flow for ListFlow {
    type Output = Vec<Listed>;

    fn start(&mut self) -> Step<Vec<Listed>> {
        match &self.listing {
            Listing::Recent(dt) => {
                self.phase = ListPhase::Users;
                Step::Run(vec![Command::ZRange {
                    key: Key::Users(self.app),
                    min: since(self.now, *dt),
                    max: u64::MAX,
                    limit: None,
                    rev: true,
                }])
            }
            Listing::User(id) => {
                self.phase = ListPhase::Handles;
                Step::Run(vec![self.user_index(id.clone())])
            }
        }
    }

    fn next(&mut self, replies: Vec<Reply>, _events: &mut Vec<Event>) -> Step<Vec<Listed>> {
        self.step(replies).unwrap_or_else(|e| Step::Done(Err(e)))
    }
}
