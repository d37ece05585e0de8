//! Any operation by name: a parsed [`Request`] becomes one machine, [`AnyOp`], whose answer is
//! a [`Response`] in redis-sessions' JSON shape. Bindings, the REST server and the conformance
//! vectors all go through here, so they cannot disagree on shapes.

use crate::error::Error;
use crate::event::Event;
use crate::input::Request;
use crate::machine::{Conflict, Machine, Op, Step};
use crate::ops::{self, ActivityFlow, BulkOp, CreateFlow, KillOp, ListFlow, RegenerateOp, Removal};
use crate::session::{Listed, Session};
use crate::store::Reply;
use crate::token::Token;
use serde_json::{Value, json};

/// The answer of any operation.
// Non-exhaustive: each new operation adds an answer shape.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Response {
    /// `create`, `regenerate`: `{token}` (`regenerate` of a dead token: `null`).
    Token(Option<Token>),
    /// `get`, `set`, `touch`, `setTtl`: the session or `null`.
    Session(Option<Session>),
    /// `kill`, `killsoid`, `killall`: `{kill: n}`.
    Kill(u64),
    /// `activity`: `{activity: n}`.
    Activity(u64),
    /// `soapp`, `soid`: `{sessions: [...]}`.
    Sessions(Vec<Listed>),
    /// `soapp`, `soid` with a `limit`: `{sessions: [...], cursor?}` (`cursor` when more remain).
    Page(crate::ops::Page),
    /// `sweep`: `{swept: n, more}`.
    Swept(Removal),
}

impl Response {
    /// The response as JSON, in redis-sessions' shapes.
    ///
    /// ```
    /// use session_core::Response;
    /// assert_eq!(Response::Kill(2).to_json(), serde_json::json!({"kill": 2}));
    /// assert_eq!(Response::Session(None).to_json(), serde_json::Value::Null);
    /// ```
    pub fn to_json(&self) -> Value {
        match self {
            Response::Token(Some(t)) => json!({ "token": t.as_str() }),
            Response::Token(None) | Response::Session(None) => Value::Null,
            Response::Session(Some(s)) => serde_json::to_value(s).unwrap_or(Value::Null),
            Response::Kill(n) => json!({ "kill": n }),
            Response::Activity(n) => json!({ "activity": n }),
            Response::Sessions(list) => json!({ "sessions": list }),
            Response::Page(p) => match &p.cursor {
                Some(c) => json!({ "sessions": p.sessions, "cursor": c }),
                None => json!({ "sessions": p.sessions }),
            },
            Response::Swept(r) => json!({ "swept": r.count, "more": r.more }),
        }
    }
}

/// The machine of any [`Request`].
#[derive(Debug)]
pub enum AnyOp {
    /// `create`
    Create(Op<CreateFlow>),
    /// `get`, `touch`, `set`, `setTtl`
    Access(ops::AccessOp),
    /// `regenerate`
    Regenerate(RegenerateOp),
    /// `kill`
    Kill(KillOp),
    /// `activity`
    Activity(Op<ActivityFlow>),
    /// `soapp`, `soid`
    List(Op<ListFlow>),
    /// `soapp`, `soid` with a `limit`
    Page(Op<crate::ops::PageFlow>),
    /// `killsoid`, `killall`
    KillMany(BulkOp),
    /// `sweep`
    Sweep(BulkOp),
}

impl Request {
    /// The machine that answers this request at `now`. `create` and `regenerate` draw their
    /// new token here, from the OS CSPRNG.
    pub fn into_op(self, now: u64) -> Result<AnyOp, Error> {
        Ok(match self {
            Request::Create(input) => AnyOp::Create(ops::create(input, Token::generate()?, now)),
            Request::Get(app, h) => AnyOp::Access(ops::get(app, h, now)),
            Request::Touch(app, h) => AnyOp::Access(ops::access(app, h, ops::Access::Touch, now)),
            Request::Set(app, h, d) => AnyOp::Access(ops::set(app, h, d, now)),
            Request::SetTtl(app, h, ttl) => {
                AnyOp::Access(ops::access(app, h, ops::Access::SetTtl(ttl), now))
            }
            Request::Regenerate(app, h) => {
                AnyOp::Regenerate(ops::regenerate(app, h, Token::generate()?, now))
            }
            Request::Kill(app, h) => AnyOp::Kill(ops::kill(app, h, now)),
            Request::Activity(app, dt) => AnyOp::Activity(ops::activity(app, dt, now)),
            Request::Soapp(app, dt) => AnyOp::List(ops::soapp(app, dt, now)),
            Request::Soid(app, id) => AnyOp::List(ops::soid(app, id, now)),
            Request::SoappPage(app, dt, page) => AnyOp::Page(ops::soapp_page(app, dt, page, now)),
            Request::SoidPage(app, id, page) => AnyOp::Page(ops::soid_page(app, id, page, now)),
            Request::KillSoid(app, id) => AnyOp::KillMany(ops::killsoid(app, id, now)),
            Request::KillAll(app) => AnyOp::KillMany(ops::killall(app, now)),
            Request::Sweep(app, limit) => AnyOp::Sweep(ops::sweep(app, limit, now)),
        })
    }
}

impl<T> Step<T> {
    /// Maps the result of a finished step.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        match self {
            Step::Run(b) => Step::Run(b),
            Step::Done(r) => Step::Done(r.map(f)),
        }
    }
}

macro_rules! each_op {
    ($self:ident, $m:ident => $e:expr) => {
        match $self {
            AnyOp::Create($m) => $e.map(|t| Response::Token(Some(t))),
            AnyOp::Access($m) => $e.map(Response::Session),
            AnyOp::Regenerate($m) => $e.map(Response::Token),
            AnyOp::Kill($m) => $e.map(Response::Kill),
            AnyOp::Activity($m) => $e.map(Response::Activity),
            AnyOp::List($m) => $e.map(Response::Sessions),
            AnyOp::Page($m) => $e.map(Response::Page),
            AnyOp::KillMany($m) => $e.map(|r| Response::Kill(r.count)),
            AnyOp::Sweep($m) => $e.map(Response::Swept),
        }
    };
}

impl Machine for AnyOp {
    type Output = Response;

    fn start(&mut self) -> Step<Response> {
        each_op!(self, m => m.start())
    }

    fn resume(&mut self, outcome: Result<Vec<Reply>, Conflict>) -> Step<Response> {
        each_op!(self, m => m.resume(outcome))
    }

    fn take_events(&mut self) -> Vec<Event> {
        match self {
            AnyOp::Create(m) => m.take_events(),
            AnyOp::Access(m) => m.take_events(),
            AnyOp::Regenerate(m) => m.take_events(),
            AnyOp::Kill(m) => m.take_events(),
            AnyOp::Activity(m) => m.take_events(),
            AnyOp::List(m) => m.take_events(),
            AnyOp::Page(m) => m.take_events(),
            AnyOp::KillMany(m) | AnyOp::Sweep(m) => m.take_events(),
        }
    }

    fn lock_key(&self) -> Option<crate::token::Handle> {
        match self {
            AnyOp::Access(m) => m.lock_key(),
            AnyOp::Regenerate(m) => m.lock_key(),
            AnyOp::Kill(m) => m.lock_key(),
            _ => None,
        }
    }

    fn one_session(&self) -> bool {
        match self {
            AnyOp::Create(m) => m.one_session(),
            _ => self.lock_key().is_some(),
        }
    }
}
