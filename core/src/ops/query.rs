//! Read-only queries: `activity`, `soapp` and `soid`.

use crate::error::Error;
use crate::event::Event;
use crate::keys::Key;
use crate::machine::{Flow, Replies, Step};
use crate::record::Record;
use crate::session::{Listed, Session};
use crate::store::{Command, Reply};
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
            key: Key::Users(self.app.clone()),
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

/// `soapp` and `soid`: range an index, then read the records it names. Expired and missing
/// sessions are left out (and left for `sweep`): a listing never writes.
#[derive(Debug)]
pub struct ListFlow {
    app: App,
    now: u64,
    listing: Listing,
    handles: Vec<String>,
}

impl ListFlow {
    pub(crate) fn new(app: App, listing: Listing, now: u64) -> Self {
        Self {
            app,
            now,
            listing,
            handles: Vec::new(),
        }
    }

    fn collect(&mut self, replies: Vec<Reply>) -> Result<Vec<Listed>, Error> {
        let mut replies = Replies::new(replies);
        let mut out = Vec::with_capacity(self.handles.len());
        for handle in std::mem::take(&mut self.handles) {
            let Some(stored) = replies.record()? else {
                continue;
            };
            let rec = Record::decode(&stored.value)?;
            if rec.alive_at(self.now) {
                out.push(Listed {
                    session: Session::view(&rec, self.now, rec.last),
                    handle: Handle::from_stored(handle),
                });
            }
        }
        Ok(out)
    }
}

impl Flow for ListFlow {
    type Output = Vec<Listed>;

    fn start(&mut self) -> Step<Vec<Listed>> {
        self.handles.clear();
        let (key, min, rev) = match &self.listing {
            Listing::Recent(dt) => (Key::Sessions(self.app.clone()), since(self.now, *dt), true),
            Listing::User(id) => (Key::UserSessions(self.app.clone(), id.clone()), 0, false),
        };
        Step::Run(vec![Command::ZRange {
            key,
            min,
            max: u64::MAX,
            limit: None,
            rev,
        }])
    }

    fn next(&mut self, replies: Vec<Reply>, _events: &mut Vec<Event>) -> Step<Vec<Listed>> {
        if self.handles.is_empty() {
            let members = match Replies::new(replies).members() {
                Ok(m) => m,
                Err(e) => return Step::Done(Err(e)),
            };
            if members.is_empty() {
                return Step::Done(Ok(Vec::new()));
            }
            self.handles = members.into_iter().map(|(m, _)| m).collect();
            let gets = self
                .handles
                .iter()
                .map(|h| Command::Get {
                    key: Key::Session(self.app.clone(), Handle::from_stored(h.clone())),
                })
                .collect();
            return Step::Run(gets);
        }
        Step::Done(self.collect(replies))
    }
}
