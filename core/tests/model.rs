//! Model-based property test: random sequences of operations and clock advances, run against
//! the core with `MemoryStore` and against a plain reference model of the semantics; every
//! answer must agree.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use session_core::{ManualClock, MemoryStore, Sessions};
use std::collections::{BTreeMap, HashMap};

const APPS: [&str; 2] = ["app1", "app2"];
const IDS: [&str; 3] = ["u1", "u2", "u3"];
const KEYS: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone)]
enum Op {
    Create {
        app: usize,
        id: usize,
        ttl: u64,
        no_resave: bool,
        lifetime: Option<u64>,
    },
    Get(usize),
    Touch(usize),
    Set(usize, usize, Option<i64>),
    SetTtl(usize, u64),
    Regenerate(usize),
    Kill(usize),
    Activity(usize, u64),
    Soid(usize, usize),
    Soapp(usize, u64),
    KillSoid(usize, usize),
    KillAll(usize),
    Sweep,
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            0..2usize,
            0..3usize,
            prop_oneof![Just(10u64), Just(20), Just(60)],
            any::<bool>(),
            prop_oneof![Just(None), Just(Some(30u64))]
        )
            .prop_map(|(app, id, ttl, no_resave, lifetime)| Op::Create {
                app,
                id,
                ttl,
                no_resave,
                lifetime
            }),
        (0..8usize).prop_map(Op::Get),
        (0..8usize).prop_map(Op::Touch),
        (
            0..8usize,
            0..3usize,
            prop_oneof![Just(None), (0..5i64).prop_map(Some)]
        )
            .prop_map(|(t, k, v)| Op::Set(t, k, v)),
        (0..8usize, prop_oneof![Just(10u64), Just(40)]).prop_map(|(t, s)| Op::SetTtl(t, s)),
        (0..8usize).prop_map(Op::Regenerate),
        (0..8usize).prop_map(Op::Kill),
        (0..2usize, prop_oneof![Just(10u64), Just(30), Just(100)])
            .prop_map(|(a, d)| Op::Activity(a, d)),
        (0..2usize, 0..3usize).prop_map(|(a, i)| Op::Soid(a, i)),
        (0..2usize, prop_oneof![Just(10u64), Just(100)]).prop_map(|(a, d)| Op::Soapp(a, d)),
        (0..2usize, 0..3usize).prop_map(|(a, i)| Op::KillSoid(a, i)),
        (0..2usize).prop_map(Op::KillAll),
        Just(Op::Sweep),
        (0..25_000u64).prop_map(Op::Advance),
    ]
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

/// The reference model: sessions by token, and each user's last access.
#[derive(Default)]
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
            let key = (s.app, s.id);
            self.users.insert(key, now);
        }
    }

    fn listed(&self, now: u64, keep: impl Fn(&M) -> bool) -> Vec<Value> {
        let mut out: Vec<Value> = self
            .sessions
            .values()
            .filter(|s| now < s.expires() && keep(s))
            .map(|s| s.view(now, s.last))
            .collect();
        out.sort_by_key(|v| v.to_string());
        out
    }
}

fn strip_handles(v: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut s = s.as_object().unwrap().clone();
            assert_eq!(s.remove("handle").unwrap().as_str().unwrap().len(), 22);
            Value::Object(s)
        })
        .collect();
    out.sort_by_key(|v| v.to_string());
    out
}

fn run(ops: Vec<Op>) {
    let clock = ManualClock::new(1_700_000_000_000);
    let sut = Sessions::new(MemoryStore::new())
        .with_clock(clock.clone())
        .with_auto_sweep(None);
    let mut model = Model::default();
    let mut tokens: Vec<String> = Vec::new();
    let pick = |tokens: &Vec<String>, i: usize| tokens.get(i % tokens.len().max(1)).cloned();
    for op in ops {
        let now = clock.now_ms_value();
        match op {
            Op::Advance(ms) => clock.advance(ms),
            Op::Create {
                app,
                id,
                ttl,
                no_resave,
                lifetime,
            } => {
                let mut input = json!({"app": APPS[app], "id": IDS[id], "ip": "::1", "ttl": ttl, "no_resave": no_resave});
                if let Some(l) = lifetime {
                    input["lifetime"] = json!(l);
                }
                let out = sut.call("create", &input).unwrap();
                let t = out["token"].as_str().unwrap().to_owned();
                model.sessions.insert(
                    t.clone(),
                    M {
                        app,
                        id,
                        r: 1,
                        w: 1,
                        ttl,
                        created: now,
                        last: now,
                        no_resave,
                        lifetime,
                        d: BTreeMap::new(),
                    },
                );
                model.users.insert((app, id), now);
                tokens.push(t);
            }
            Op::Get(i)
            | Op::Touch(i)
            | Op::Set(i, ..)
            | Op::SetTtl(i, _)
            | Op::Regenerate(i)
            | Op::Kill(i) => {
                let Some(t) = pick(&tokens, i) else { continue };
                // Every token belongs to one app; asking under it is the interesting case.
                let app = model.sessions.get(&t).map_or(0, |s| s.app);
                let base = json!({"app": APPS[app], "token": t});
                let (name, input) = match &op {
                    Op::Get(_) => ("get", base),
                    Op::Touch(_) => ("touch", base),
                    Op::Set(_, k, v) => {
                        let mut d = Map::new();
                        d.insert(KEYS[*k].into(), v.map_or(Value::Null, |v| json!(v)));
                        let mut b = base;
                        b["d"] = Value::Object(d);
                        ("set", b)
                    }
                    Op::SetTtl(_, s) => {
                        let mut b = base;
                        b["ttl"] = json!(s);
                        ("setTtl", b)
                    }
                    Op::Regenerate(_) => ("regenerate", base),
                    _ => ("kill", base),
                };
                let got = sut.call(name, &input).unwrap();
                let want = match (&op, model.live(&t, now)) {
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
                            .expect("regenerate answers a token")
                            .to_owned();
                        model.users.insert((moved.app, moved.id), now);
                        model.sessions.insert(new.clone(), moved);
                        tokens.push(new);
                        got.clone()
                    }
                    (_, Some(_)) => {
                        model.remove(&t);
                        json!({"kill": 1})
                    }
                };
                assert_eq!(got, want, "{name} at {now}");
            }
            Op::Activity(app, dt) => {
                let got = sut
                    .call("activity", &json!({"app": APPS[app], "dt": dt}))
                    .unwrap();
                let since = now.saturating_sub(dt * 1000);
                let want = model
                    .users
                    .iter()
                    .filter(|((a, _), l)| *a == app && **l >= since)
                    .count();
                assert_eq!(got, json!({"activity": want}), "activity at {now}");
            }
            Op::Soid(app, id) => {
                let got = sut
                    .call("soid", &json!({"app": APPS[app], "id": IDS[id]}))
                    .unwrap();
                let want = model.listed(now, |s| s.app == app && s.id == id);
                assert_eq!(strip_handles(&got), want, "soid at {now}");
            }
            Op::Soapp(app, dt) => {
                let got = sut
                    .call("soapp", &json!({"app": APPS[app], "dt": dt}))
                    .unwrap();
                let since = now.saturating_sub(dt * 1000);
                let want = model.listed(now, |s| s.app == app && s.last >= since);
                assert_eq!(strip_handles(&got), want, "soapp at {now}");
            }
            Op::KillSoid(app, _) | Op::KillAll(app) => {
                let (name, input, id) = match op {
                    Op::KillSoid(_, id) => (
                        "killsoid",
                        json!({"app": APPS[app], "id": IDS[id]}),
                        Some(id),
                    ),
                    _ => ("killall", json!({"app": APPS[app]}), None),
                };
                let got = sut.call(name, &input).unwrap();
                let doomed: Vec<(String, bool)> = model
                    .sessions
                    .iter()
                    .filter(|(_, s)| s.app == app && id.is_none_or(|i| s.id == i))
                    .map(|(t, s)| (t.clone(), now < s.expires()))
                    .collect();
                let live = doomed.iter().filter(|(_, alive)| *alive).count();
                for (t, _) in doomed {
                    model.remove(&t);
                }
                assert_eq!(got, json!({"kill": live}), "{name} at {now}");
            }
            Op::Sweep => {
                let got = sut.call("sweep", &json!({"limit": 10000})).unwrap();
                let expired: Vec<String> = model
                    .sessions
                    .iter()
                    .filter(|(_, s)| now >= s.expires())
                    .map(|(t, _)| t.clone())
                    .collect();
                for t in &expired {
                    model.remove(t);
                }
                assert_eq!(
                    got,
                    json!({"swept": expired.len(), "more": false}),
                    "sweep at {now}"
                );
            }
        }
    }
    // Whatever happened, killing everything leaves no record behind.
    for app in APPS {
        sut.call("killall", &json!({"app": app})).unwrap();
    }
    assert_eq!(sut.store().record_count(), 0);
}

trait NowValue {
    fn now_ms_value(&self) -> u64;
}
impl NowValue for ManualClock {
    fn now_ms_value(&self) -> u64 {
        session_core::Clock::now_ms(self)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn core_agrees_with_the_reference_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops);
    }
}
