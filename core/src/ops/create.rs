//! `create`: a new session under a fresh token.

use super::index::{self, Expiry};
use crate::error::Error;
use crate::event::{Event, EventKind};
use crate::input::NewSession;
use crate::keys::Key;
use crate::machine::{Flow, Step};
use crate::record::Record;
use crate::shard::{Shards, Tag};
use crate::store::{Command, Expect, Member, Reply};
use crate::token::{Handle, Token};

/// The flow of `create`: write the record (it must not exist) with its index entries, then
/// register the app for app-wide sweeps (a batch of its own: the registry is outside the app's
/// hash tag). The session goes to its user's shard, whose token the caller drew there.
#[derive(Debug)]
pub struct CreateFlow {
    input: NewSession,
    tag: Tag,
    /// A token drawn for another shard than the user's: the answer, before any write.
    misdrawn: Option<Error>,
    token: Option<Token>,
    handle: Handle,
    now: u64,
    registered: bool,
}

impl CreateFlow {
    pub(crate) fn new(shards: Shards, input: NewSession, token: Token, now: u64) -> Self {
        let tag = shards.tag_of_user(input.app, &input.id);
        Self {
            misdrawn: shards.check_token(&token, tag.shard()).err(),
            tag,
            input,
            handle: token.handle(),
            token: Some(token),
            now,
            registered: false,
        }
    }
}

impl Flow for CreateFlow {
    type Output = Token;

    fn start(&mut self) -> Step<Token> {
        if let Some(e) = self.misdrawn.take() {
            return Step::Done(Err(e));
        }
        let i = &self.input;
        let rec = Record {
            id: i.id.clone(),
            ip: i.ip.as_str().to_owned(),
            r: 1,
            w: 1,
            ttl: i.ttl,
            created: self.now,
            last: self.now,
            no_resave: i.no_resave,
            lifetime: i.lifetime,
            d: i.d.as_ref().map(|d| d.as_json().to_owned()),
        };
        // A conflict here means the handle exists already (with 128-bit handles, about 2^-64
        // even at four billion sessions); the retry re-runs this and conflicts again, so
        // `create` fails with `conflict` rather than overwrite.
        let mut batch = Vec::with_capacity(4);
        index::save(
            &mut batch,
            &self.tag,
            self.handle,
            &rec,
            self.now,
            Expect::Absent,
            Expiry::Exact,
        );
        index::enlist(&mut batch, &self.tag, self.handle, &rec, self.now);
        Step::Run(batch)
    }

    fn one_session(&self) -> bool {
        true
    }

    fn next(&mut self, _replies: Vec<Reply>, events: &mut Vec<Event>) -> Step<Token> {
        if !self.registered {
            self.registered = true;
            events.push(Event {
                kind: EventKind::Created,
                app: self.input.app,
                id: self.input.id.clone(),
                handle: self.handle,
            });
            return Step::Run(vec![Command::ZAdd {
                key: Key::Apps,
                member: Member::App(self.input.app),
                score: self.now,
            }]);
        }
        match self.token.take() {
            Some(t) => Step::Done(Ok(t)),
            None => Step::Done(Err(Error::store("create was resumed after it finished"))),
        }
    }
}
