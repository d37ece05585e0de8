//! The reference model: the semantics of every operation as a few maps, and a differential
//! check that runs sequences of operations and clock advances against a store and against
//! the model, comparing every answer.

use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

/// The apps, users and data keys the sequences use (few, so that they collide).
pub const APPS: [&str; 2] = ["app1", "app2"];
/// See [`APPS`].
pub const IDS: [&str; 3] = ["u1", "u2", "u3"];
/// See [`APPS`].
pub const KEYS: [&str; 3] = ["a", "b", "c"];

/// One step of a sequence. Token steps pick a token issued earlier in the sequence (modulo
/// how many there are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `create` in `APPS[app]` for `IDS[id]`.
    Create {
        /// Index into [`APPS`].
        app: usize,
        /// Index into [`IDS`].
        id: usize,
        /// Seconds.
        ttl: u64,
        /// `no_resave`.
        no_resave: bool,
        /// `lifetime`, seconds.
        lifetime: Option<u64>,
    },
    /// `get` of a token.
    Get(usize),
    /// `touch` of a token.
    Touch(usize),
    /// `set` of `KEYS[key]` to a number, or `null` (delete it).
    Set(usize, usize, Option<i64>),
    /// `setTtl` of a token.
    SetTtl(usize, u64),
    /// `regenerate` of a token.
    Regenerate(usize),
    /// `kill` of a token.
    Kill(usize),
    /// `activity` of an app over `dt` seconds.
    Activity(usize, u64),
    /// `soid` of an app and user.
    Soid(usize, usize),
    /// `soapp` of an app over `dt` seconds.
    Soapp(usize, u64),
    /// `killsoid` of an app and user.
    KillSoid(usize, usize),
    /// `killall` of an app.
    KillAll(usize),
    /// `sweep` of every app, limit 10,000.
    Sweep,
    /// The clock moves forward this many milliseconds.
    Advance(u64),
}

/// A seeded sequence of `len` steps (xorshift; the same seed gives the same sequence), with
/// the mix of the core's property test.
pub fn ops(seed: u64, len: usize) -> Vec<Op> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    (0..len)
        .map(|_| match next(14) {
            0 => Op::Create {
                app: next(2) as usize,
                id: next(3) as usize,
                ttl: [10, 20, 60][next(3) as usize],
                no_resave: next(2) == 0,
                lifetime: (next(2) == 0).then_some(30),
            },
            1 => Op::Get(next(8) as usize),
            2 => Op::Touch(next(8) as usize),
            3 => Op::Set(
                next(8) as usize,
                next(3) as usize,
                (next(3) > 0).then(|| next(5) as i64),
            ),
            4 => Op::SetTtl(next(8) as usize, [10, 40][next(2) as usize]),
            5 => Op::Regenerate(next(8) as usize),
            6 => Op::Kill(next(8) as usize),
            7 => Op::Activity(next(2) as usize, [10, 30, 100][next(3) as usize]),
            8 => Op::Soid(next(2) as usize, next(3) as usize),
            9 => Op::Soapp(next(2) as usize, [10, 100][next(2) as usize]),
            10 => Op::KillSoid(next(2) as usize, next(3) as usize),
            11 => Op::KillAll(next(2) as usize),
            12 => Op::Sweep,
            _ => Op::Advance(next(25_000)),
        })
        .collect()
}

/// One session as the model keeps it.
#[derive(Debug, Clone)]
struct M {
    app: usize,
    id: usize,
    r: u64,
    w: u64,
    ttl: u64,
    created: u64,
    last: u64,
    no_resave: bool,
    lifetime: Option<u64>,
    d: BTreeMap<String, i64>,
}

impl M {
    fn expires(&self) -> u64 {
        let base = if self.no_resave {
            self.created
        } else {
            self.last
        };
        let e = base + self.ttl * 1000;
        self.lifetime.map_or(e, |l| e.min(self.created + l * 1000))
    }

    fn view(&self, now: u64, last: u64) -> Value {
        let mut o = json!({
            "id": IDS[self.id], "r": self.r, "w": self.w, "ip": "::1",
            "ttl": if self.no_resave { (self.expires() - now).div_ceil(1000) } else { self.ttl },
            "idle": (now - last) / 1000,
        });
        if !self.d.is_empty() {
            o["d"] = json!(self.d);
        }
        if self.no_resave {
            o["no_resave"] = json!(true);
        }
        o
    }
}

/// Sessions by token, and each user's last access.
#[derive(Debug, Default)]
struct Model {
    sessions: HashMap<String, M>,
    users: HashMap<(usize, usize), u64>,
}

impl Model {
    fn remove(&mut self, token: &str) {
        if let Some(s) = self.sessions.remove(token) {
            let key = (s.app, s.id);
            if !self.sessions.values().any(|o| (o.app, o.id) == key) {
                self.users.remove(&key);
            }
        }
    }

    /// The live session under `token` at `now`; an expired one is removed (as the core does).
    fn live(&mut self, token: &str, now: u64) -> Option<&mut M> {
        if self.sessions.get(token).is_some_and(|s| now >= s.expires()) {
            self.remove(token);
        }
        self.sessions.get_mut(token)
    }

    fn access(&mut self, token: &str, now: u64) {
        if let Some(s) = self.sessions.get_mut(token) {
            s.last = now;
            self.users.insert((s.app, s.id), now);
        }
    }

    fn listed(&self, now: u64, keep: impl Fn(&M) -> bool) -> Vec<Value> {
        let mut out: Vec<Value> = self
            .sessions
            .values()
            .filter(|s| now < s.expires() && keep(s))
            .map(|s| s.view(now, s.last))
            .collect();
        out.sort_by_key(Value::to_string);
        out
    }
}

/// A listing without its handles (which the model does not know), in a fixed order; `Err`
/// when a handle is missing or malformed.
fn strip_handles(v: &Value) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for s in v["sessions"]
        .as_array()
        .ok_or(format!("not a listing: {v}"))?
    {
        let mut s = s.as_object().ok_or(format!("not a session: {s}"))?.clone();
        match s.remove("handle") {
            Some(Value::String(h)) if h.len() == 22 => {}
            other => return Err(format!("a listed session's handle: {other:?}")),
        }
        out.push(Value::Object(s));
    }
    out.sort_by_key(Value::to_string);
    Ok(out)
}

/// A differential run: asks for each step's call ([`Differential::call`]), is given the
/// store's answer ([`Differential::check`]), and compares it with the model's.
///
/// ```
/// use session_core::testkit::{Differential, ops};
/// use session_core::{ManualClock, MemoryStore, Sessions};
///
/// let clock = ManualClock::new(0);
/// let sessions = Sessions::new(MemoryStore::new()).with_clock(clock.clone()).with_auto_sweep(None);
/// let mut diff = Differential::new(1_700_000_000_000);
/// for op in ops(7, 200) {
///     if let Some((name, input)) = diff.call(&op) {
///         clock.set(diff.now());
///         diff.check(&op, sessions.call(name, &input)).unwrap();
///     }
/// }
/// ```
#[derive(Debug)]
pub struct Differential {
    model: Model,
    tokens: Vec<String>,
    now: u64,
    /// The token the last call named.
    picked: Option<String>,
}

impl Differential {
    /// A run whose clock starts at `start` (ms).
    pub fn new(start: u64) -> Self {
        Self {
            model: Model::default(),
            tokens: Vec::new(),
            now: start,
            picked: None,
        }
    }

    /// The time of the next call: set the store's clock to it.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The call `op` makes: the operation and its option object; `None` when it makes none
    /// (an [`Op::Advance`] moves the clock; a token step before any token).
    pub fn call(&mut self, op: &Op) -> Option<(&'static str, Value)> {
        self.picked = None;
        let token_call = |name: &'static str, token: &str, extra: Option<(&str, Value)>| {
            let mut input = json!({"token": token});
            if let Some((k, v)) = extra {
                input[k] = v;
            }
            (name, input)
        };
        let (name, mut input) = match op {
            Op::Advance(ms) => {
                self.now += ms;
                return None;
            }
            Op::Create {
                app,
                id,
                ttl,
                no_resave,
                lifetime,
            } => {
                let mut input = json!({"app": APPS[*app], "id": IDS[*id], "ip": "::1", "ttl": ttl, "no_resave": no_resave});
                if let Some(l) = lifetime {
                    input["lifetime"] = json!(l);
                }
                return Some(("create", input));
            }
            Op::Get(i)
            | Op::Touch(i)
            | Op::Set(i, ..)
            | Op::SetTtl(i, _)
            | Op::Regenerate(i)
            | Op::Kill(i) => {
                if self.tokens.is_empty() {
                    return None;
                }
                let t = self.tokens[i % self.tokens.len()].clone();
                let call = match op {
                    Op::Get(_) => token_call("get", &t, None),
                    Op::Touch(_) => token_call("touch", &t, None),
                    Op::Set(_, k, v) => {
                        let mut d = Map::new();
                        d.insert(KEYS[*k].into(), v.map_or(Value::Null, |v| json!(v)));
                        token_call("set", &t, Some(("d", Value::Object(d))))
                    }
                    Op::SetTtl(_, s) => token_call("setTtl", &t, Some(("ttl", json!(s)))),
                    Op::Regenerate(_) => token_call("regenerate", &t, None),
                    _ => token_call("kill", &t, None),
                };
                self.picked = Some(t);
                call
            }
            Op::Activity(app, dt) => ("activity", json!({"app": APPS[*app], "dt": dt})),
            Op::Soid(app, id) => ("soid", json!({"app": APPS[*app], "id": IDS[*id]})),
            Op::Soapp(app, dt) => ("soapp", json!({"app": APPS[*app], "dt": dt})),
            Op::KillSoid(app, id) => ("killsoid", json!({"app": APPS[*app], "id": IDS[*id]})),
            Op::KillAll(app) => ("killall", json!({"app": APPS[*app]})),
            Op::Sweep => return Some(("sweep", json!({"limit": 10000}))),
        };
        if input.get("app").is_none() {
            // Every token belongs to one app; asking under it is the interesting case.
            let app = self
                .picked
                .as_ref()
                .and_then(|t| self.model.sessions.get(t))
                .map_or(0, |s| s.app);
            input["app"] = json!(APPS[app]);
        }
        Some((name, input))
    }

    /// Compares the store's answer `got` to the last [`Differential::call`] with the model's,
    /// and moves the model on. `Err` says what differs (the model never fails a call).
    pub fn check<E: std::fmt::Display>(
        &mut self,
        op: &Op,
        got: Result<Value, E>,
    ) -> Result<(), String> {
        let now = self.now;
        let got = got.map_err(|e| format!("{op:?} at {now}: the store failed: {e}"))?;
        let want = match op {
            Op::Advance(_) => return Ok(()),
            Op::Create {
                app,
                id,
                ttl,
                no_resave,
                lifetime,
            } => {
                let t = got["token"]
                    .as_str()
                    .ok_or(format!("create answered {got}"))?
                    .to_owned();
                self.model.sessions.insert(
                    t.clone(),
                    M {
                        app: *app,
                        id: *id,
                        r: 1,
                        w: 1,
                        ttl: *ttl,
                        created: now,
                        last: now,
                        no_resave: *no_resave,
                        lifetime: *lifetime,
                        d: BTreeMap::new(),
                    },
                );
                self.model.users.insert((*app, *id), now);
                self.tokens.push(t);
                return Ok(());
            }
            Op::Get(_)
            | Op::Touch(_)
            | Op::Set(..)
            | Op::SetTtl(..)
            | Op::Regenerate(_)
            | Op::Kill(_) => {
                let t = self.picked.clone().ok_or("a token step without a call")?;
                let model = &mut self.model;
                match (op, model.live(&t, now)) {
                    (Op::Kill(_), None) => json!({"kill": 0}),
                    (_, None) => Value::Null,
                    (Op::Get(_), Some(s)) => {
                        let v = s.view(now, s.last);
                        s.r += 1;
                        model.access(&t, now);
                        v
                    }
                    (Op::Touch(_), Some(s)) => {
                        let v = s.view(now, s.last);
                        model.access(&t, now);
                        v
                    }
                    (Op::Set(_, k, v), Some(s)) => {
                        match v {
                            Some(v) => s.d.insert(KEYS[*k].into(), *v),
                            None => s.d.remove(KEYS[*k]),
                        };
                        s.w += 1;
                        let last = s.last;
                        s.last = now;
                        let v = s.view(now, last);
                        model.access(&t, now);
                        v
                    }
                    (Op::SetTtl(_, ttl), Some(s)) => {
                        s.ttl = *ttl;
                        let last = s.last;
                        s.last = now;
                        if now >= s.expires() {
                            model.remove(&t);
                            Value::Null
                        } else {
                            let v = s.view(now, last);
                            model.access(&t, now);
                            v
                        }
                    }
                    (Op::Regenerate(_), Some(s)) => {
                        let mut moved = s.clone();
                        moved.last = now;
                        model.sessions.remove(&t);
                        let new = got["token"]
                            .as_str()
                            .ok_or(format!("regenerate answered {got}"))?
                            .to_owned();
                        model.users.insert((moved.app, moved.id), now);
                        model.sessions.insert(new.clone(), moved);
                        self.tokens.push(new);
                        got.clone()
                    }
                    (_, Some(_)) => {
                        model.remove(&t);
                        json!({"kill": 1})
                    }
                }
            }
            Op::Activity(app, dt) => {
                let since = now.saturating_sub(dt * 1000);
                let n = self
                    .model
                    .users
                    .iter()
                    .filter(|((a, _), l)| a == app && **l >= since)
                    .count();
                json!({ "activity": n })
            }
            Op::Soid(app, id) => {
                let want = self.model.listed(now, |s| s.app == *app && s.id == *id);
                return compare(op, now, &Value::Array(strip_handles(&got)?), &json!(want));
            }
            Op::Soapp(app, dt) => {
                let since = now.saturating_sub(dt * 1000);
                let want = self.model.listed(now, |s| s.app == *app && s.last >= since);
                return compare(op, now, &Value::Array(strip_handles(&got)?), &json!(want));
            }
            Op::KillSoid(app, _) | Op::KillAll(app) => {
                let id = match op {
                    Op::KillSoid(_, id) => Some(*id),
                    _ => None,
                };
                let doomed: Vec<(String, bool)> = self
                    .model
                    .sessions
                    .iter()
                    .filter(|(_, s)| s.app == *app && id.is_none_or(|i| s.id == i))
                    .map(|(t, s)| (t.clone(), now < s.expires()))
                    .collect();
                let live = doomed.iter().filter(|(_, alive)| *alive).count();
                for (t, _) in doomed {
                    self.model.remove(&t);
                }
                json!({ "kill": live })
            }
            Op::Sweep => {
                let expired: Vec<String> = self
                    .model
                    .sessions
                    .iter()
                    .filter(|(_, s)| now >= s.expires())
                    .map(|(t, _)| t.clone())
                    .collect();
                for t in &expired {
                    self.model.remove(t);
                }
                json!({"swept": expired.len(), "more": false})
            }
        };
        compare(op, now, &got, &want)
    }
}

fn compare(op: &Op, now: u64, got: &Value, want: &Value) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{op:?} at {now}: the store answered {got}, the model {want}"
        ))
    }
}
