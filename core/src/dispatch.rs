//! Any operation by name: a parsed [`Request`] becomes one machine, [`AnyOp`], whose answer is
//! a [`Response`] in redis-sessions' JSON shape. Bindings, the REST server and the conformance
//! vectors all go through here, so they cannot disagree on shapes.

use crate::error::Error;
use crate::event::Event;
use crate::input::Request;
use crate::machine::{Conflict, Machine, Op, Step};
use crate::ops::{
    self, ActivityFlow, BulkOp, CreateFlow, Expired, KillOp, ListFlow, RegenerateOp, Removal,
};
use crate::session::{Listed, Session};
use crate::shard::{Scope, Shards};
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
    /// The machine that answers this request at `now`, for apps with one shard. `create` and
    /// `regenerate` draw their new token here, from the OS CSPRNG.
    pub fn into_op(self, now: u64) -> Result<AnyOp, Error> {
        self.into_op_in(now, Shards::ONE)
    }

    /// [`Request::into_op`] for apps whose keys spread over `shards`.
    pub fn into_op_in(self, now: u64, shards: Shards) -> Result<AnyOp, Error> {
        let scope = |app| Scope::new(app, shards);
        Ok(match self {
            Request::Create(input) => {
                let token = shards.token(shards.of_user(&input.id))?;
                AnyOp::Create(ops::create_in(shards, input, token, now))
            }
            Request::Get(app, h) => AnyOp::Access(ops::get(scope(app), h, now)),
            Request::Touch(app, h) => {
                AnyOp::Access(ops::access(scope(app), h, ops::Access::Touch, now))
            }
            Request::Set(app, h, d) => AnyOp::Access(ops::set(scope(app), h, d, now)),
            Request::SetTtl(app, h, ttl) => {
                AnyOp::Access(ops::access(scope(app), h, ops::Access::SetTtl(ttl), now))
            }
            Request::Regenerate(app, h) => {
                let token = shards.token(shards.of_handle(&h))?;
                AnyOp::Regenerate(ops::regenerate(scope(app), h, token, now))
            }
            Request::Kill(app, h) => AnyOp::Kill(ops::kill(scope(app), h, now)),
            Request::Activity(app, dt) => AnyOp::Activity(ops::activity(scope(app), dt, now)),
            Request::Soapp(app, dt) => AnyOp::List(ops::soapp(scope(app), dt, now)),
            Request::Soid(app, id) => AnyOp::List(ops::soid(scope(app), id, now)),
            Request::SoappPage(app, dt, page) => {
                AnyOp::Page(ops::soapp_page(scope(app), dt, page, now))
            }
            Request::SoidPage(app, id, page) => {
                AnyOp::Page(ops::soid_page(scope(app), id, page, now))
            }
            Request::KillSoid(app, id) => AnyOp::KillMany(ops::killsoid(scope(app), id, now)),
            Request::KillAll(app) => AnyOp::KillMany(ops::killall(scope(app), now)),
            Request::Sweep(app, limit) => AnyOp::Sweep(ops::sweep_in(shards, app, limit, now)),
        })
    }
}

/// The input field that asks for [`Expired::Keep`]: `"_keepExpired": true` in an option
/// object. A switch for the redis-sessions drop-in (in redis-sessions' own style for its
/// internal switches, `_noupdate` and `_nocache`), read by [`Request::op_from_input`]; it is
/// not part of the `Sessions` API.
pub const KEEP_EXPIRED: &str = "_keepExpired";

impl Expired {
    /// What an option object asks for: [`Expired::Keep`] when it has
    /// [`KEEP_EXPIRED`]` : true`, else [`Expired::Remove`].
    ///
    /// ```
    /// use session_core::ops::Expired;
    /// assert_eq!(Expired::of_input(&serde_json::json!({"_keepExpired": true})), Expired::Keep);
    /// assert_eq!(Expired::of_input(&serde_json::json!({"app": "shop"})), Expired::Remove);
    /// ```
    pub fn of_input(input: &Value) -> Self {
        match input.get(KEEP_EXPIRED) {
            Some(Value::Bool(true)) => Expired::Keep,
            _ => Expired::Remove,
        }
    }
}

impl Request {
    /// The machine of operation `op` (a JS method name) with its option object at `now`:
    /// [`Request::parse`], then [`Request::into_op_with`] as the object's
    /// [`KEEP_EXPIRED`] switch says. The entry point of the JS hosts.
    pub fn op_from_input(
        op: &str,
        input: &Value,
        now: u64,
        shards: Shards,
    ) -> Result<AnyOp, Error> {
        Request::parse(op, input)?.into_op_with(now, Expired::of_input(input), shards)
    }

    /// [`Request::into_op_in`], with `expired` saying what the operation does with an expired
    /// session it meets.
    pub fn into_op_with(self, now: u64, expired: Expired, shards: Shards) -> Result<AnyOp, Error> {
        let mut op = self.into_op_in(now, shards)?;
        match &mut op {
            AnyOp::Access(m) => m.flow_mut().on_expired(expired),
            AnyOp::Regenerate(m) => m.flow_mut().on_expired(expired),
            AnyOp::Kill(m) => m.flow_mut().on_expired(expired),
            AnyOp::KillMany(m) => m.flow_mut().on_expired(expired),
            // `create` meets no session; listings and `activity` never write; `sweep` is what
            // removes expired sessions either way.
            AnyOp::Create(_)
            | AnyOp::Activity(_)
            | AnyOp::List(_)
            | AnyOp::Page(_)
            | AnyOp::Sweep(_) => {}
        }
        Ok(op)
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

#[cfg(test)]
mod tests {
    use crate::host::MemoryHost;
    use serde_json::{Value, json};

    const SEC: u64 = 1000;

    fn call(host: &MemoryHost, op: &str, input: Value, now: u64) -> Value {
        host.run(op, &input, now)
            .map(|r| r.to_json())
            .unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    /// `op` with the [`super::KEEP_EXPIRED`] switch on.
    fn keep(host: &MemoryHost, op: &str, mut input: Value, now: u64) -> Value {
        input["_keepExpired"] = json!(true);
        call(host, op, input, now)
    }

    fn activity(host: &MemoryHost, now: u64) -> Value {
        call(host, "activity", json!({"app": "shop", "dt": 60}), now)["activity"].clone()
    }

    /// Five users active within a minute, two of whose 10-second sessions have expired; each
    /// user's session read back (the expired ones answer null).
    fn five_users(host: &MemoryHost, keeping: bool) -> (Vec<String>, u64) {
        let mut tokens = Vec::new();
        for (i, ttl) in [60, 60, 60, 10, 10].into_iter().enumerate() {
            let input = json!({"app": "shop", "id": format!("u{i}"), "ip": "::1", "ttl": ttl});
            let created = call(host, "create", input, SEC);
            tokens.push(created["token"].as_str().unwrap().to_owned());
        }
        let now = 20 * SEC;
        for t in &tokens {
            let input = json!({"app": "shop", "token": t});
            if keeping {
                keep(host, "get", input, now);
            } else {
                call(host, "get", input, now);
            }
        }
        (tokens, now)
    }

    #[test]
    fn keep_leaves_expired_sessions_for_the_sweep() {
        let host = MemoryHost::new(false);
        let (tokens, now) = five_users(&host, true);
        let _ = host.take_events();
        assert_eq!(activity(&host, now), 5);
        let expired = json!({"app": "shop", "token": tokens[3]});
        assert_eq!(keep(&host, "get", expired.clone(), now), Value::Null);
        assert_eq!(keep(&host, "touch", expired.clone(), now), Value::Null);
        let set = json!({"app": "shop", "token": tokens[3], "d": {"a": 1}});
        assert_eq!(keep(&host, "set", set, now), Value::Null);
        assert!(host.take_events().is_empty(), "nothing was removed");
        assert_eq!(activity(&host, now), 5);
        // A kill ends the expired session it meets, and counts it, as redis-sessions does.
        assert_eq!(keep(&host, "kill", expired.clone(), now)["kill"], 1);
        let events = host.take_events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].reason(), Some(crate::Reason::Kill));
        assert_eq!(keep(&host, "kill", expired, now)["kill"], 0);
        assert_eq!(activity(&host, now), 4);
        // So does killsoid.
        let user = json!({"app": "shop", "id": "u4"});
        assert_eq!(keep(&host, "killsoid", user, now)["kill"], 1);
        let events = host.take_events();
        assert_eq!(events[0].reason(), Some(crate::Reason::KillSoid));
        assert_eq!(activity(&host, now), 3);
        assert_eq!(
            keep(&host, "killall", json!({"app": "shop"}), now)["kill"],
            3
        );
    }

    #[test]
    fn the_sweep_removes_what_keep_left() {
        let host = MemoryHost::new(false);
        let (_, now) = five_users(&host, true);
        assert_eq!(
            call(&host, "sweep", json!({"app": "shop"}), now)["swept"],
            2
        );
        assert_eq!(activity(&host, now), 3);
    }

    #[test]
    fn killall_with_keep_counts_expired_sessions() {
        let host = MemoryHost::new(false);
        let (_, now) = five_users(&host, true);
        assert_eq!(
            keep(&host, "killall", json!({"app": "shop"}), now)["kill"],
            5
        );
        let host = MemoryHost::new(false);
        let (_, now) = five_users(&host, true);
        assert_eq!(
            call(&host, "killall", json!({"app": "shop"}), now)["kill"],
            3
        );
    }

    #[test]
    fn by_default_an_operation_removes_the_expired_session_it_meets() {
        let host = MemoryHost::new(false);
        let (tokens, now) = five_users(&host, false);
        let events = host.take_events();
        let expired = events
            .iter()
            .filter(|e| e.reason() == Some(crate::Reason::Expired));
        assert_eq!(expired.count(), 2);
        assert_eq!(activity(&host, now), 3);
        let gone = json!({"app": "shop", "token": tokens[3]});
        assert_eq!(call(&host, "kill", gone, now)["kill"], 0);
        // A switch set to anything but true is no switch.
        assert_eq!(
            crate::ops::Expired::of_input(&json!({"_keepExpired": "yes"})),
            crate::ops::Expired::Remove
        );
    }
}
