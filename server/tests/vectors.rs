//! The conformance vectors over HTTP, against the real binary (`--test-clock` lets each
//! request carry the vector's `now`). Each step goes through the rest-sessions route that
//! expresses it; inputs a URL cannot express (a missing path segment, a non-string type in a
//! path or query, an empty body that rest-sessions ignores) go through `POST /v1/{op}`, which
//! takes the JS option object as is. HTTP has no events, so event checks are not observable.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod support;

use conformance::redis_server::{Cluster, RedisServer};
use conformance::{Outcome, Target, run_dir, vectors_dir};
use serde_json::{Map, Value, json};
use support::{Server, agent};

/// The Redis behind the server, if any.
enum Redis {
    Single(Box<RedisServer>),
    /// A cluster, with each app's keys over this many shards (`--shards`).
    Cluster(Cluster, u32),
}

struct Http {
    server: Option<Server>,
    /// With Redis behind the server, a case starts by emptying Redis and a fresh process.
    redis: Option<Redis>,
    via_routes: usize,
    via_call: usize,
}

/// Percent-encodes a path segment or query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A value that fits in a URL as text: a non-empty string, or (where the field takes one) an
/// integer, which the JS API also turns into text.
fn text(v: Option<&Value>, allow_integer: bool) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if allow_integer && (n.is_u64() || n.is_i64()) => Some(n.to_string()),
        _ => None,
    }
}

/// The rest-sessions request for a step: (method, path with query, body); `None` when a URL
/// cannot express the input.
fn route(op: &str, input: &Value) -> Option<(&'static str, String, Option<String>)> {
    let empty = Map::new();
    let o = input.as_object().unwrap_or(&empty);
    let app = text(o.get("app"), false);
    // Query parameters: strings as text, and numbers for the numeric ones (the core reads a
    // string of digits as a number); absent or null are left out.
    let mut query = Vec::new();
    let mut q = |name: &str, key: &str| -> Option<()> {
        let numeric = name != "ip" && name != "cursor";
        match o.get(key) {
            None | Some(Value::Null) => Some(()),
            Some(Value::String(s)) => {
                query.push(format!("{name}={}", enc(s)));
                Some(())
            }
            Some(Value::Number(n)) if numeric => {
                query.push(format!("{name}={n}"));
                Some(())
            }
            Some(_) => None,
        }
    };
    let body = |key: &str| o.get(key).map(Value::to_string);
    let (method, path, body) = match op {
        "create" => {
            let (app, id) = (app?, text(o.get("id"), true)?);
            q("ip", "ip")?;
            q("ttl", "ttl")?;
            q("lifetime", "lifetime")?;
            match o.get("no_resave") {
                None | Some(Value::Bool(false)) | Some(Value::Null) => {}
                Some(Value::Bool(true)) => query.push("no_resave=true".into()),
                Some(_) => return None,
            }
            // rest-sessions ignores an empty body object, so `d: {}` cannot be sent this way.
            if o.get("d")
                .is_some_and(|d| d.as_object().is_some_and(Map::is_empty))
            {
                return None;
            }
            (
                "PUT",
                format!("/{}/create/{}", enc(&app), enc(&id)),
                body("d"),
            )
        }
        "get" | "set" | "touch" | "regenerate" | "setTtl" | "kill" => {
            let app = app?;
            let target = match (op, text(o.get("token"), false), o.get("token")) {
                ("kill", None, None) => {
                    let h = text(o.get("handle"), false)?;
                    return Some(("DELETE", format!("/{}/handle/{}", enc(&app), enc(&h)), None));
                }
                (_, Some(t), _) => enc(&t),
                _ => return None,
            };
            let app = enc(&app);
            match op {
                "get" => ("GET", format!("/{app}/get/{target}"), None),
                "set" => ("POST", format!("/{app}/set/{target}"), body("d")),
                "touch" => ("POST", format!("/{app}/touch/{target}"), None),
                "regenerate" => ("POST", format!("/{app}/regenerate/{target}"), None),
                "setTtl" => {
                    q("ttl", "ttl")?;
                    ("PUT", format!("/{app}/ttl/{target}"), None)
                }
                _ => ("DELETE", format!("/{app}/kill/{target}"), None),
            }
        }
        "activity" | "soapp" => {
            let app = app?;
            if o.get("dt").is_some() {
                q("dt", "dt")?
            } else {
                q("dt", "deltaTime")?
            }
            if op == "soapp" {
                q("limit", "limit")?;
                q("cursor", "cursor")?;
            }
            ("GET", format!("/{}/{op}", enc(&app)), None)
        }
        "soid" | "killsoid" => {
            let (app, id) = (app?, text(o.get("id"), true)?);
            if op == "soid" {
                q("limit", "limit")?;
                q("cursor", "cursor")?;
            }
            let method = if op == "soid" { "GET" } else { "DELETE" };
            (method, format!("/{}/{op}/{}", enc(&app), enc(&id)), None)
        }
        "killall" => ("DELETE", format!("/{}/killall", enc(&app?)), None),
        "sweep" => {
            q("limit", "limit")?;
            match (o.get("app"), app) {
                (None, _) => ("POST", "/sweep".to_owned(), None),
                (_, Some(app)) => ("POST", format!("/{}/sweep", enc(&app)), None),
                _ => return None,
            }
        }
        _ => return None,
    };
    let path = if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    };
    Some((method, path, body))
}

impl Target for Http {
    fn reset(&mut self) {
        match &self.redis {
            // An empty Redis, and a fresh process: one that has not entered the apps in the
            // registry lately, as the case expects of an empty store.
            Some(Redis::Single(redis)) => {
                redis.cmd(&["FLUSHALL"]);
                self.server = None;
                let url = redis.url();
                self.server = Some(Server::start(&["--test-clock", "--redis", &url]));
            }
            Some(Redis::Cluster(cluster, shards)) => {
                for node in &cluster.nodes {
                    node.cmd(&["FLUSHALL"]);
                }
                self.server = None;
                let (nodes, shards) = (cluster.urls().join(","), shards.to_string());
                self.server = Some(Server::start(&[
                    "--test-clock",
                    "--redis-cluster",
                    &nodes,
                    "--shards",
                    &shards,
                ]));
            }
            None => {
                // A fresh process is a fresh, empty memory store.
                self.server = None;
                self.server = Some(Server::start(&["--test-clock"]));
            }
        }
    }

    fn call(&mut self, op: &str, input: &Value, now: u64) -> Outcome {
        let server = self.server.as_ref().unwrap();
        let agent = agent();
        let (method, path, body) = match route(op, input) {
            Some(r) => {
                self.via_routes += 1;
                r
            }
            None => {
                self.via_call += 1;
                ("POST", format!("/v1/{op}"), Some(input.to_string()))
            }
        };
        let url = server.url(&path);
        let now = now.to_string();
        let resp = match (method, body) {
            ("GET", _) => agent.get(&url).header("x-session-core-now", &now).call(),
            ("DELETE", _) => agent.delete(&url).header("x-session-core-now", &now).call(),
            (m, body) => {
                let req = if m == "PUT" {
                    agent.put(&url)
                } else {
                    agent.post(&url)
                };
                let req = req
                    .header("x-session-core-now", &now)
                    .content_type("application/json");
                req.send(body.unwrap_or_default())
            }
        };
        let mut resp = resp.unwrap();
        let status = resp.status().as_u16();
        let json: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
        let result = if status == 200 {
            // `{}` is how HTTP says `null` (an unknown token).
            Ok(if json == json!({}) { Value::Null } else { json })
        } else {
            let expected = match json["error"].as_str() {
                Some("tooLarge") => 413,
                Some("storeError") => 503,
                Some("conflict") => 409,
                _ => 400,
            };
            assert_eq!(status, expected, "{op} {input}: status {status} for {json}");
            Err((
                json["error"].as_str().unwrap().to_owned(),
                json["message"].as_str().unwrap().to_owned(),
            ))
        };
        Outcome {
            result,
            events: None,
        }
    }
}

fn run(redis: Option<Redis>) {
    let mut http = Http {
        server: None,
        redis,
        via_routes: 0,
        via_call: 0,
    };
    let report = run_dir(&vectors_dir(), &mut http);
    report.assert_passed();
    // Most steps must exercise the rest-sessions routes themselves.
    assert!(
        http.via_routes > 4 * http.via_call,
        "{} steps via routes, {} via /v1",
        http.via_routes,
        http.via_call
    );
    eprintln!(
        "{} steps via rest-sessions routes, {} via /v1/{{op}}",
        http.via_routes, http.via_call
    );
}

#[test]
fn conformance_vectors_pass_over_http_on_the_memory_store() {
    run(None);
}

#[test]
fn conformance_vectors_pass_over_http_on_redis() {
    run(Some(Redis::Single(Box::new(RedisServer::start()))));
}

#[test]
fn conformance_vectors_pass_over_http_on_a_three_master_redis_cluster() {
    run(Some(Redis::Cluster(Cluster::start(3), 1)));
}

#[test]
fn conformance_vectors_pass_over_http_with_sixteen_shards_on_a_three_master_redis_cluster() {
    run(Some(Redis::Cluster(Cluster::start(3), 16)));
}
