//! session-core-tower side by side with tower-sessions, in one run.
//!
//! Five servers, each a process of its own (this program again, with `TOWER_BENCH_SERVE`
//! set), each an axum app with a route that reads the session and bumps a counter in it:
//! on session-core-tower (memory store; Redis) and on tower-sessions 0.14 (its `MemoryStore`;
//! `tower-sessions-redis-store` 0.16), both Redis stores on one redis-server; and the same
//! route without sessions, the ceiling any session layer can reach on this machine. Each
//! server gets 1,000 sessions (logins); then this process loads it with 64 HTTP/1.1
//! connections, one request in flight on each, each request on the next session, for
//! `BENCH_SECONDS` (default 8) after a second of warm-up; twice, in alternating order, and
//! the table shows the mean, with the CPU each request cost in the server, in redis-server
//! (INFO cpu) and in this load process. Afterwards it reads every session's counter back:
//! their sum must equal the bumps answered (none lost). Last, the lost-update probe: two
//! processes of each Redis app, 400 concurrent requests each setting another key of one
//! session; how many keys are missing.
//!
//! Run: `npm run bench` at the repository root, or `cargo bench -p session-core-tower-bench`.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // A benchmark: it prints, and stops at the first surprise.

use axum::Router;
use axum::extract::Path;
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 64;
const SESSIONS: usize = 1000;
const ROUNDS: usize = 2;

fn main() {
    match std::env::var("TOWER_BENCH_SERVE") {
        Ok(kind) => serve(&kind),
        Err(_) => orchestrate(),
    }
}

// ---------------------------------------------------------------------------------------
// The servers.

/// The contenders, by the name `TOWER_BENCH_SERVE` gives them; the first is the ceiling (the
/// same route without sessions), then session-core-tower and its peer, by store.
const KINDS: [(&str, &str, &str); 5] = [
    ("none", "axum alone (no sessions: the ceiling)", "-"),
    ("core-memory", "session-core-tower", "memory store"),
    ("ts-memory", "tower-sessions 0.14", "MemoryStore"),
    ("core-redis", "session-core-tower", "Redis (RedisStore)"),
    (
        "ts-redis",
        "tower-sessions 0.14",
        "Redis (tower-sessions-redis-store 0.16, fred pool of 6)",
    ),
];

fn serve(kind: &str) {
    let redis = std::env::var("TOWER_BENCH_REDIS").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = match kind {
            "core-memory" => core_app(session_core_tower::SessionLayer::new(
                session_core::MemoryStore::new(),
            )),
            "core-redis" => {
                let store = session_core_redis::RedisStore::connect(&redis)
                    .await
                    .unwrap();
                core_app(session_core_tower::SessionLayer::new(store))
            }
            "none" => bare_app(),
            "ts-memory" => ts_app(tower_sessions::MemoryStore::default()),
            "ts-redis" => {
                use tower_sessions_redis_store::fred::prelude::*;
                let pool =
                    Pool::new(Config::from_url(&redis).unwrap(), None, None, None, 6).unwrap();
                let _connection = pool.connect();
                pool.wait_for_connect().await.unwrap();
                ts_app(tower_sessions_redis_store::RedisStore::new(pool))
            }
            other => panic!("unknown server kind {other}"),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening {}", listener.local_addr().unwrap());
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app).await.unwrap();
    });
}

/// The same routes without sessions: a cookie per login, a constant answer per bump.
fn bare_app() -> Router {
    Router::new()
        .route(
            "/login/{i}",
            post(|Path(i): Path<usize>| async move { ([(header::SET_COOKIE, format!("c={i}"))], "ok") }),
        )
        .route("/bump", get(|| async { "1" }))
        .route("/n", get(|| async { "0" }))
}

/// session-core-tower: log in with `n = 0`; `/bump` reads `n` and writes `n + 1`.
fn core_app(layer: session_core_tower::SessionLayer) -> Router {
    use session_core_tower::{RequireSession, Session, SessionError};
    async fn log_in(session: Session, Path(i): Path<usize>) -> Result<&'static str, SessionError> {
        session
            .log_in(&format!("user{i}"), serde_json::json!({ "n": 0 }))
            .await?;
        Ok("ok")
    }
    async fn bump(session: RequireSession) -> Result<String, SessionError> {
        let n: i64 = session.get("n")?.unwrap_or(0);
        session.insert("n", n + 1)?;
        Ok((n + 1).to_string())
    }
    async fn count(session: RequireSession) -> Result<String, SessionError> {
        Ok(session.get::<i64>("n")?.unwrap_or(0).to_string())
    }
    async fn mark(
        session: RequireSession,
        Path(k): Path<usize>,
    ) -> Result<&'static str, SessionError> {
        session.insert(format!("m{k}"), true)?;
        Ok("ok")
    }
    async fn marks(session: RequireSession, Path(n): Path<usize>) -> Result<String, SessionError> {
        let mut present = Vec::new();
        for k in 0..n {
            if session.get::<bool>(&format!("m{k}"))?.is_some() {
                present.push(k.to_string());
            }
        }
        Ok(present.join(","))
    }
    Router::new()
        .route("/login/{i}", post(log_in))
        .route("/bump", get(bump))
        .route("/n", get(count))
        .route("/mark/{k}", post(mark))
        .route("/marks/{n}", get(marks))
        .layer(layer.secure(false))
}

/// tower-sessions: the same app, as its README writes one (`OnInactivity`, the TTL sliding
/// as session-core's does).
fn ts_app<S: tower_sessions::SessionStore + Clone>(store: S) -> Router {
    use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::time};
    async fn log_in(session: Session, Path(i): Path<usize>) -> StatusCode {
        let ok = session.cycle_id().await.is_ok()
            && session.insert("user", format!("user{i}")).await.is_ok()
            && session.insert("n", 0).await.is_ok();
        if ok {
            StatusCode::OK
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
    async fn bump(session: Session) -> Result<String, StatusCode> {
        let user: Option<String> = session
            .get("user")
            .await
            .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
        if user.is_none() {
            return Err(StatusCode::UNAUTHORIZED);
        }
        let n: i64 = session
            .get("n")
            .await
            .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?
            .unwrap_or(0);
        session
            .insert("n", n + 1)
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        Ok((n + 1).to_string())
    }
    async fn count(session: Session) -> Result<String, StatusCode> {
        let n: i64 = session
            .get("n")
            .await
            .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?
            .unwrap_or(0);
        Ok(n.to_string())
    }
    async fn mark(session: Session, Path(k): Path<usize>) -> StatusCode {
        match session.insert(&format!("m{k}"), true).await {
            Ok(()) => StatusCode::OK,
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    async fn marks(session: Session, Path(n): Path<usize>) -> Result<String, StatusCode> {
        let mut present = Vec::new();
        for k in 0..n {
            let v: Option<bool> = session
                .get(&format!("m{k}"))
                .await
                .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
            if v.is_some() {
                present.push(k.to_string());
            }
        }
        Ok(present.join(","))
    }
    let layer = SessionManagerLayer::new(store)
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(2)));
    Router::new()
        .route("/login/{i}", post(log_in))
        .route("/bump", get(bump))
        .route("/n", get(count))
        .route("/mark/{k}", post(mark))
        .route("/marks/{n}", get(marks))
        .layer(layer)
}

// ---------------------------------------------------------------------------------------
// The load.

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    /// The CPU time the server process has used so far, in µs.
    fn cpu_us(&self) -> f64 {
        proc_cpu_us(&format!("/proc/{}/stat", self.child.id()))
    }
}

/// utime + stime of a process, from its `/proc/<pid>/stat`, in µs (Linux; 0 elsewhere).
fn proc_cpu_us(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; 100 ticks/s.
    (ticks(11) + ticks(12)) * 10_000.0
}

/// redis-server's CPU time so far, in µs (INFO cpu).
fn redis_cpu_us(redis: &conformance::redis_server::RedisServer) -> f64 {
    let info = redis.cmd(&["INFO", "cpu"]);
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (field("used_cpu_user") + field("used_cpu_sys")) * 1e6
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(kind: &str, redis: &str) -> Server {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("TOWER_BENCH_SERVE", kind)
        .env("TOWER_BENCH_REDIS", redis)
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("{kind}: {line:?}"))
        .to_owned();
    Server { child, addr }
}

/// One connection's answer to one request: status, the cookie it set, the body.
async fn send(
    sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    method: &str,
    path: &str,
    cookie: Option<&str>,
) -> (StatusCode, Option<String>, Bytes) {
    sender.ready().await.unwrap();
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "bench");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = sender
        .send_request(req.body(Empty::new()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, cookie, body)
}

async fn connect(addr: &str) -> hyper::client::conn::http1::SendRequest<Empty<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

/// `SESSIONS` logins; the cookie of each (`name=value`).
async fn log_in_all(addr: &str) -> Vec<String> {
    let mut sender = connect(addr).await;
    let mut cookies = Vec::with_capacity(SESSIONS);
    for i in 0..SESSIONS {
        let (status, cookie, _) = send(&mut sender, "POST", &format!("/login/{i}"), None).await;
        assert_eq!(status, StatusCode::OK, "login {i} on {addr}");
        cookies.push(cookie.unwrap_or_else(|| panic!("login {i} on {addr} set no cookie")));
    }
    cookies
}

struct Measured {
    requests: usize,
    errors: usize,
    seconds: f64,
    p99_us: u64,
}

/// `CONNECTIONS` connections, each sending `/bump` on the next session until `seconds` pass.
async fn load(addr: &str, cookies: &Arc<Vec<String>>, seconds: f64) -> Measured {
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let mut sender = connect(addr).await;
        let (cookies, next, stop) = (cookies.clone(), next.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(100_000);
            let mut errors = 0;
            while !stop.load(Ordering::Relaxed) {
                let cookie = &cookies[next.fetch_add(1, Ordering::Relaxed) % cookies.len()];
                let t = Instant::now();
                let (status, _, _) = send(&mut sender, "GET", "/bump", Some(cookie)).await;
                latencies.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
                if status != StatusCode::OK {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let p99_us = all.get(all.len() * 99 / 100).copied().unwrap_or(0);
    Measured {
        requests: all.len(),
        errors,
        seconds: elapsed,
        p99_us,
    }
}

/// The sum of every session's counter.
async fn total(addr: &str, cookies: &[String]) -> i64 {
    let mut sender = connect(addr).await;
    let mut sum = 0;
    for c in cookies {
        let (status, _, body) = send(&mut sender, "GET", "/n", Some(c)).await;
        assert_eq!(status, StatusCode::OK);
        sum += std::str::from_utf8(&body).unwrap().parse::<i64>().unwrap();
    }
    sum
}

/// Lost updates: two processes of one app on one Redis, `MARKS` requests each setting a
/// different key of ONE session, 32 connections per process at once. Returns how many keys
/// are missing afterwards among the requests answered 200, and how many were not answered
/// 200 (a refusal the client sees, not a silent loss).
async fn lost_updates(one: &str, two: &str) -> (usize, usize) {
    const MARKS: usize = 400;
    let mut sender = connect(one).await;
    let (status, cookie, _) = send(&mut sender, "POST", "/login/0", None).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = Arc::new(cookie.unwrap());
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..64 {
        let addr = if c % 2 == 0 { one } else { two };
        let mut sender = connect(addr).await;
        let (cookie, next) = (cookie.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut refused = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= MARKS {
                    return refused;
                }
                let path = format!("/mark/{k}");
                let (status, _, _) = send(&mut sender, "POST", &path, Some(&cookie)).await;
                if status != StatusCode::OK {
                    refused.push(k);
                }
            }
        }));
    }
    let mut refused = std::collections::HashSet::new();
    for t in tasks {
        refused.extend(t.await.unwrap());
    }
    let path = format!("/marks/{MARKS}");
    let (status, _, body) = send(&mut sender, "GET", &path, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let present: std::collections::HashSet<usize> = std::str::from_utf8(&body)
        .unwrap()
        .split(',')
        .filter_map(|k| k.parse().ok())
        .collect();
    let lost = (0..MARKS)
        .filter(|k| !refused.contains(k) && !present.contains(k))
        .count();
    (lost, refused.len())
}

fn orchestrate() {
    let seconds: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8.0);
    println!("starting redis-server and the five servers...");
    let redis = conformance::redis_server::RedisServer::start();
    let servers: Vec<Server> = KINDS
        .iter()
        .map(|(kind, _, _)| start(kind, &redis.url()))
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut cookies = Vec::new();
        for s in &servers {
            cookies.push(Arc::new(log_in_all(&s.addr).await));
        }
        let n = KINDS.len();
        let mut rate = vec![0.0f64; n];
        let mut p99 = vec![0u64; n];
        let mut answered = vec![0usize; n];
        // CPU µs spent over the measured requests: the server, redis-server, this load process.
        let mut cpu = vec![(0.0f64, 0.0f64, 0.0f64); n];
        let mut measured = vec![0usize; n];
        for round in 0..ROUNDS {
            let order: Vec<usize> = if round % 2 == 0 { (0..n).collect() } else { (0..n).rev().collect() };
            for i in order {
                let (_, name, store) = KINDS[i];
                println!("round {}: {name}, {store}: {seconds} s at {CONNECTIONS} connections over {SESSIONS} sessions", round + 1);
                let warm = load(&servers[i].addr, &cookies[i], 1.0).await;
                let before = (servers[i].cpu_us(), redis_cpu_us(&redis), proc_cpu_us("/proc/self/stat"));
                let m = load(&servers[i].addr, &cookies[i], seconds).await;
                cpu[i].0 += servers[i].cpu_us() - before.0;
                cpu[i].1 += redis_cpu_us(&redis) - before.1;
                cpu[i].2 += proc_cpu_us("/proc/self/stat") - before.2;
                measured[i] += m.requests;
                assert_eq!(m.errors + warm.errors, 0, "{name} on {store}: non-200 answers");
                rate[i] += m.requests as f64 / m.seconds / ROUNDS as f64;
                p99[i] = p99[i].max(m.p99_us);
                answered[i] += warm.requests + m.requests;
            }
        }
        println!();
        println!(
            "An axum route that reads the session and bumps a counter in it; {CONNECTIONS} connections over {SESSIONS} sessions, {seconds} s x {ROUNDS} rounds (mean req/s; p99 the worse round)."
        );
        println!("CPU per request, in µs: the server process + redis-server + this load process.");
        println!();
        println!("| layer | store | req/s | p99 ms | CPU µs/req: server + Redis + load | ratio (target 1.25x) |");
        println!("|---|---|---:|---:|---:|---:|");
        for i in 0..n {
            let (_, name, store) = KINDS[i];
            let ratio = match i {
                1 | 3 => {
                    let r = rate[i] / rate[i + 1];
                    format!("{r:.2}x ({})", if r >= 1.25 { "met" } else { "missed" })
                }
                _ => String::new(),
            };
            let per = |c: f64| c / measured[i].max(1) as f64;
            println!(
                "| {name} | {store} | {:.0} | {:.1} | {:.1} + {:.1} + {:.1} | {ratio} |",
                rate[i],
                p99[i] as f64 / 1000.0,
                per(cpu[i].0),
                per(cpu[i].1),
                per(cpu[i].2)
            );
        }
        println!();
        println!(
            "The ceiling: with no session at all the same route serves {:.0} req/s here, {:.2}x tower-sessions on memory and {:.2}x on Redis.",
            rate[0],
            rate[0] / rate[2],
            rate[0] / rate[4]
        );
        for (i, s) in servers.iter().enumerate().skip(1) {
            let (_, name, store) = KINDS[i];
            let sum = total(&s.addr, &cookies[i]).await;
            let lost = answered[i] as i64 - sum;
            println!("{name}, {store}: {} bumps answered, the counters sum to {sum} ({lost} lost)", answered[i]);
        }
        println!();
        println!("Lost updates: 2 processes of one app on one Redis, 400 concurrent requests each setting another key of one session:");
        for i in [3, 4] {
            let (kind, name, store) = KINDS[i];
            let second = start(kind, &redis.url());
            let (lost, refused) = lost_updates(&servers[i].addr, &second.addr).await;
            println!("  {name}, {store}: {lost} of 400 keys lost silently; {refused} requests refused (not 200)");
        }
    });
}
