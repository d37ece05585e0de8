//! The HTTP edges under the probes of issue 26, on the real binary: a body over the limit gets
//! a 413 that every client reads (Node's fetch, Python, curl); connections held at any stage of
//! a request cannot keep `/ping` and `/health` from answering; a request head has a size cap;
//! `Host` is required as RFC 9112 says; the probes are open with a trailing slash and take
//! `HEAD`; no answer may be cached.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod support;

use serde_json::json;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::{Server, closed_within, raw, read_answer, request, send};

/// Generous: these tests assert that things happen, never how fast (except the probes' 1 s,
/// the liveness bound the issue sets).
const DEADLINE: Duration = Duration::from_secs(15);

/// A live session's token.
fn live_token(s: &Server) -> String {
    let (status, body) = send("PUT", &s.url("/shop/create/u1?ip=10.0.0.1"), None);
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// What the tries of a client script got (one line each), by count.
fn tally(what: &str, out: std::io::Result<Output>) -> BTreeMap<String, usize> {
    let out = out.unwrap_or_else(|e| panic!("{what}: cannot run it: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        *counts.entry(line.trim().to_owned()).or_insert(0) += 1;
    }
    counts
}

/// Item 2: the server used to answer 413 as soon as it saw the Content-Length and close the
/// socket with the body unread, so a client still writing it got a broken pipe (Node's fetch
/// 5 times in 5).
#[test]
fn a_body_over_the_limit_gets_its_413_in_node_python_and_curl() {
    let s = Server::start(&[]);
    let token = live_token(&s);
    let url = s.url(&format!("/shop/set/{token}"));
    const TRIES: usize = 20;
    let size = (2usize << 20).to_string(); // 2 MiB: 8 times the default --body-limit
    let tries = TRIES.to_string();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests");
    let node = format!("{dir}/oversized.mjs");
    let python = format!("{dir}/oversized.py");
    let refused = BTreeMap::from([("413 tooLarge".to_owned(), TRIES)]);
    let runs = [
        (
            "Node's fetch",
            Command::new("node")
                .args([&node, &url, &size, &tries])
                .output(),
        ),
        (
            "Python's http.client",
            Command::new("python3")
                .args([&python, "http.client", &url, &size, &tries])
                .output(),
        ),
        (
            "Python's urllib",
            Command::new("python3")
                .args([&python, "urllib", &url, &size, &tries])
                .output(),
        ),
    ];
    for (what, out) in runs {
        assert_eq!(tally(what, out), refused, "{what}\n{}", s.log_text());
    }
    // curl as it is (it sends `Expect: 100-continue` and waits: the 413 comes instead, and
    // the body is never sent), and without `Expect` (the body is sent, and discarded).
    let file = std::env::temp_dir().join(format!("scs-oversized-{}", std::process::id()));
    std::fs::write(&file, vec![b'x'; 2 << 20]).unwrap();
    let data = format!("@{}", file.display());
    for expect in [None, Some("Expect:")] {
        let mut counts = BTreeMap::new();
        for _ in 0..TRIES {
            let mut curl = Command::new("curl");
            curl.args(["-sS", "-X", "POST", "-H", "Content-Type: application/json"]);
            if let Some(h) = expect {
                curl.args(["-H", h]);
            }
            curl.args(["--data-binary", &data, "-w", "\n%{http_code}", &url]);
            let out = curl.output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let line = match text.rsplit_once('\n') {
                Some((body, status)) if out.status.success() => {
                    let name = serde_json::from_str::<serde_json::Value>(body)
                        .map(|b| b["error"].as_str().unwrap_or("").to_owned())
                        .unwrap_or_else(|_| format!("not JSON: {body}"));
                    format!("{status} {name}")
                }
                _ => format!("curl failed: {}", String::from_utf8_lossy(&out.stderr)),
            };
            *counts.entry(line).or_insert(0) += 1;
        }
        assert_eq!(counts, refused, "curl with {expect:?}");
    }
    let _ = std::fs::remove_file(&file);
    // Nothing was written.
    let (_, session) = send("GET", &s.url(&format!("/shop/get/{token}")), None);
    assert_eq!(session["w"], 1, "{session}");
    s.stop();
}

/// Item 2's bounds: a refused body read to its end leaves the connection usable; one
/// announced beyond --discard-limit, one that stalls past --discard-timeout, and one whose
/// client waits for `100 Continue` get the 413 at once (or at the deadline) and the
/// connection closes.
#[test]
fn a_refused_body_is_discarded_within_its_bounds() {
    let s = Server::start(&[
        "--body-limit",
        "200",
        "--discard-limit",
        "1000",
        "--discard-timeout",
        "0.5",
        "--body-timeout",
        "60",
    ]);
    let a = s.addr();
    let too_large =
        json!({"error": "tooLarge", "message": "The request body is larger than 200 bytes"});
    let head = |extra: &str| {
        format!("POST /v1/get HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n{extra}\r\n")
    };
    // Read to its end (announced, or chunked): the same connection then serves a ping.
    let big = "x".repeat(300);
    let chunked = format!(
        "96\r\n{}\r\n96\r\n{}\r\n0\r\n\r\n",
        &big[..150],
        &big[150..]
    );
    for req in [
        format!("{}{big}", head("Content-Length: 300\r\n")),
        format!("{}{chunked}", head("Transfer-Encoding: chunked\r\n")),
    ] {
        let mut c = TcpStream::connect(a).unwrap();
        c.set_read_timeout(Some(DEADLINE)).unwrap();
        c.write_all(req.as_bytes()).unwrap();
        let r = read_answer(&mut c);
        assert_eq!((r.status, r.json()), (413, too_large.clone()));
        assert_eq!(r.header("connection"), None, "{req}");
        c.write_all(b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        assert_eq!(read_answer(&mut c).body, b"PONG", "{req}");
    }
    // Announced beyond the discard limit: nothing is read, the connection closes.
    let started = Instant::now();
    let mut c = TcpStream::connect(a).unwrap();
    c.set_read_timeout(Some(DEADLINE)).unwrap();
    c.write_all(head("Content-Length: 5000\r\n").as_bytes())
        .unwrap();
    let r = read_answer(&mut c);
    assert_eq!((r.status, r.header("connection")), (413, Some("close")));
    assert!(closed_within(&mut c, DEADLINE));
    // A body that stalls: the 413 comes at the discard deadline, and the connection closes.
    let mut c = TcpStream::connect(a).unwrap();
    c.set_read_timeout(Some(DEADLINE)).unwrap();
    c.write_all(format!("{}{big}", head("Content-Length: 900\r\n")).as_bytes())
        .unwrap();
    let r = read_answer(&mut c);
    assert_eq!((r.status, r.header("connection")), (413, Some("close")));
    assert!(closed_within(&mut c, DEADLINE));
    // A client that waits for 100 Continue gets the 413 instead, and sends nothing.
    let mut c = TcpStream::connect(a).unwrap();
    c.set_read_timeout(Some(DEADLINE)).unwrap();
    c.write_all(head("Content-Length: 300\r\nExpect: 100-continue\r\n").as_bytes())
        .unwrap();
    let r = read_answer(&mut c);
    assert_eq!((r.status, r.header("connection")), (413, Some("close")));
    assert!(closed_within(&mut c, DEADLINE));
    assert!(started.elapsed() < DEADLINE);
    s.stop();
}

/// One probe request on a new connection, answered within 1 s (the issue's liveness bound),
/// or the reason it was not.
fn probe(addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    let limit = Duration::from_secs(1);
    let started = Instant::now();
    let mut c = TcpStream::connect_timeout(&addr, limit).map_err(|e| format!("connect: {e}"))?;
    c.set_read_timeout(Some(limit)).unwrap();
    c.write_all(&request("GET", path, &[], None))
        .map_err(|e| format!("write: {e}"))?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if started.elapsed() > limit {
            return Err("no answer within 1 s".into());
        }
        match c.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("no answer within 1 s: {e}")),
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an answer: {text:?}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}

/// `/ping` and `/health` answer 5 times in 5, each within 1 s.
fn assert_probes_answer(s: &Server, what: &str) {
    for path in ["/ping", "/health"] {
        for i in 0..5 {
            let answer = probe(s.addr(), path);
            let ok = match (&answer, path) {
                (Ok((200, body)), "/ping") => body == "PONG",
                (Ok((200, body)), _) => body.contains("\"status\":\"ok\""),
                _ => false,
            };
            assert!(
                ok,
                "{what}: {path} try {}: {answer:?}\n{}",
                i + 1,
                s.log_text()
            );
        }
    }
}

/// The head of a valid request whose 10-byte body never comes.
fn bodyless_head(token: &str) -> String {
    format!(
        "POST /shop/set/{token} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: 10\r\n\r\n"
    )
}

/// Item 5, as probed: under `prlimit --nofile=1024:1024` (a cap of 960 connections), 1,000
/// connections that send a whole head and then no body used to count as busy, so the cap
/// never closed them and `/ping` and `/health` timed out for the 30 s body timeout.
#[test]
fn a_thousand_connections_waiting_for_their_body_do_not_hold_the_probes() {
    let s = Server::start_wrapped(&["prlimit", "--nofile=1024:1024", "--"], &[]);
    let token = live_token(&s);
    let head = bodyless_head(&token);
    let held: Vec<TcpStream> = (0..1000)
        .map(|_| {
            let mut c = TcpStream::connect(s.addr()).unwrap();
            c.write_all(head.as_bytes()).unwrap();
            c
        })
        .collect();
    // The server reads the heads.
    std::thread::sleep(Duration::from_secs(1));
    assert_probes_answer(&s, "1,000 connections waiting for a body");
    assert!(
        s.logged("960 connections open (--max-connections)"),
        "{}",
        s.log_text()
    );
    drop(held);
    s.stop();
}

/// Item 5 at every stage a client can hold a connection at: connected only, a partial head,
/// a whole head and no body, a body sent a byte at a time, answers it does not read. Held
/// past the cap, none of them keeps the probes from answering.
#[test]
fn connections_held_at_any_stage_do_not_hold_the_probes() {
    let s = Server::start(&[
        "--max-connections",
        "40",
        "--header-timeout",
        "60",
        "--body-timeout",
        "60",
        "--shutdown-timeout",
        "1",
    ]);
    let a = s.addr();
    let token = live_token(&s);
    let connect = || TcpStream::connect(a).unwrap();
    let sending = |bytes: &[u8]| {
        let mut c = connect();
        c.write_all(bytes).unwrap();
        c
    };
    // Each stage's connections are given a moment to reach it (a head to be read) before the
    // next stage's come.
    let settle = || std::thread::sleep(Duration::from_millis(200));
    let mut held: Vec<TcpStream> = Vec::new();
    held.extend((0..10).map(|_| connect()));
    held.extend((0..10).map(|_| sending(b"GET /ping HTTP/1.1\r\nHost: t\r\nX-Partial: ")));
    settle();
    // More than the cap: alone, they would hold every connection.
    held.extend((0..60).map(|_| sending(bodyless_head(&token).as_bytes())));
    settle();
    // Bodies that trickle: a byte every 100 ms, from one thread, until the test ends.
    let trickling: Vec<TcpStream> = (0..10)
        .map(|_| {
            let head = format!(
                "POST /shop/set/{token} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                 Content-Length: 100000\r\n\r\n{{\"a\":\""
            );
            sending(head.as_bytes())
        })
        .collect();
    settle();
    let trickle = std::thread::spawn(move || {
        let mut trickling = trickling;
        let started = Instant::now();
        while started.elapsed() < DEADLINE {
            trickling.retain_mut(|c| c.write_all(b"x").is_ok());
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    // Clients that ask for answers and never read them (pipelined, as many as fill the
    // socket buffers).
    let pipelined = "GET /openapi.json HTTP/1.1\r\nHost: t\r\n\r\n".repeat(300);
    held.extend((0..10).map(|_| sending(pipelined.as_bytes())));
    std::thread::sleep(Duration::from_secs(1));
    assert_probes_answer(&s, "connections held at every stage");
    drop(held);
    drop(trickle); // detached: it ends at its deadline, writing to closed sockets
    s.stop();
}

/// A request head of exactly `size` bytes (request line, headers, the blank line).
fn head_of(size: usize) -> Vec<u8> {
    let start = "GET /ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Pad: ";
    let end = "\r\n\r\n";
    let pad = size - start.len() - end.len();
    format!("{start}{}{end}", "a".repeat(pad)).into_bytes()
}

/// Item 6: a head used to be accepted up to hyper's ~400 KB buffer; now `--head-limit`
/// (16 KiB by default) caps it exactly.
#[test]
fn a_head_over_the_limit_gets_431_and_one_at_the_limit_is_served() {
    let s = Server::start(&[]);
    let r = raw(s.addr(), &head_of(16 * 1024), false);
    assert_eq!((r.status, r.body.as_slice()), (200, b"PONG".as_slice()));
    let r = raw(s.addr(), &head_of(16 * 1024 + 1), false);
    assert_eq!(r.status, 431);
    // Fifty 8 KB lines without the blank line: 431 once the cap is read, not a wait.
    let mut c = TcpStream::connect(s.addr()).unwrap();
    c.set_read_timeout(Some(DEADLINE)).unwrap();
    c.write_all(b"GET /ping HTTP/1.1\r\nHost: t\r\n").unwrap();
    let line = format!("X-Big: {}\r\n", "b".repeat(8 * 1024));
    for _ in 0..50 {
        if c.write_all(line.as_bytes()).is_err() {
            break; // closed after the 431
        }
    }
    let mut answer = Vec::new();
    let _ = c.read_to_end(&mut answer);
    assert!(
        answer.starts_with(b"HTTP/1.1 431 "),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    s.stop();
    // The cap is a setting.
    let s = Server::start(&["--head-limit", "32768"]);
    let r = raw(s.addr(), &head_of(32 * 1024), false);
    assert_eq!((r.status, r.body.as_slice()), (200, b"PONG".as_slice()));
    assert_eq!(raw(s.addr(), &head_of(32 * 1024 + 1), false).status, 431);
    s.stop();
}

/// Writes `request` on a new connection and reads until the server closes it: (status, the
/// head's lines, the bytes after the head).
fn to_end(addr: SocketAddr, request: &[u8]) -> (u16, String, Vec<u8>) {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(DEADLINE)).unwrap();
    c.write_all(request).unwrap();
    let mut answer = Vec::new();
    c.read_to_end(&mut answer).unwrap();
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head: {:?}", String::from_utf8_lossy(&answer)));
    let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, answer[end + 4..].to_vec())
}

/// Item 9: RFC 9112 requires 400 for an HTTP/1.1 request without `Host`, and for any request
/// with two; HTTP/1.0 requests without one stay accepted.
#[test]
fn host_is_required_once_in_http_1_1() {
    let s = Server::start(&[]);
    let a = s.addr();
    let refused = [
        ("no Host", "GET /ping HTTP/1.1\r\n\r\n"),
        (
            "two Hosts",
            "GET /ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        ),
        (
            "two Hosts in 1.0",
            "GET /ping HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
        ),
        (
            "a Host that is not host:port",
            "GET /ping HTTP/1.1\r\nHost: u@h\r\n\r\n",
        ),
    ];
    for (what, req) in refused {
        let (status, head, body) = to_end(a, req.as_bytes());
        assert_eq!(status, 400, "{what}: {head}");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "badRequest", "{what}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("Host"),
            "{what}: {body}"
        );
        assert!(head.contains("connection: close"), "{what}: {head}");
    }
    let accepted = [
        ("HTTP/1.0 without Host", "GET /ping HTTP/1.0\r\n\r\n"),
        (
            "HTTP/1.1 with one",
            "GET /ping HTTP/1.1\r\nHost: example.com:8080\r\nConnection: close\r\n\r\n",
        ),
        (
            "an empty Host",
            "GET /ping HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",
        ),
    ];
    for (what, req) in accepted {
        let (status, _, body) = to_end(a, req.as_bytes());
        assert_eq!(
            (status, body.as_slice()),
            (200, b"PONG".as_slice()),
            "{what}"
        );
    }
    s.stop();
}

/// Item 9: with a token, `/ping/` and `/health/` are the probes the router reads them as
/// (they used to answer 401), and `HEAD` on the probes (and the other plain endpoints)
/// answers as `GET` without a body (it used to be 405).
#[test]
fn the_probes_are_open_with_a_trailing_slash_and_take_head() {
    let token = "s3cret-t0ken-for-the-tests";
    let s = Server::start_with_env(&[], &[("RS_AUTH_TOKEN", token)]);
    let a = s.addr();
    for path in ["/ping", "/ping/", "/health", "/health/"] {
        let r = raw(a, &request("GET", path, &[], None), false);
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        let (status, head, body) = to_end(a, &request("HEAD", path, &[], None));
        assert_eq!((status, body.len()), (200, 0), "HEAD {path}: {head}");
        assert!(
            head.contains(&format!("content-length: {}", r.body.len())),
            "HEAD {path}: {head}"
        );
    }
    // The others still need the token, with HEAD too.
    for path in [
        "/metrics",
        "/metrics/",
        "/openapi.json",
        "/pingx",
        "/ping/x",
    ] {
        for method in ["GET", "HEAD"] {
            let (status, _, _) = to_end(a, &request(method, path, &[], None));
            assert_eq!(status, 401, "{method} {path}");
        }
    }
    let bearer = format!("Bearer {token}");
    let (status, head, body) = to_end(
        a,
        &request("HEAD", "/metrics", &[("Authorization", &bearer)], None),
    );
    assert_eq!((status, body.len()), (200, 0), "{head}");
    // HEAD is no read of a session: it stays 405 on the session routes.
    let (status, head, _) = to_end(
        a,
        &request("HEAD", "/shop/get/x", &[("Authorization", &bearer)], None),
    );
    assert_eq!(status, 405, "{head}");
    assert!(head.contains("\r\nallow: get\r\n"), "{head}");
    let r = raw(a, &request("POST", "/ping", &[], None), false);
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
    s.stop();
}

/// Item 9: an answer that carries a token (create, regenerate, by either route) must not be
/// kept by a cache; nor may any other answer of the API.
#[test]
fn no_answer_may_be_cached() {
    let s = Server::start(&[]);
    let a = s.addr();
    let created = raw(
        a,
        &request("PUT", "/shop/create/u1?ip=::1", &[], None),
        false,
    );
    let token = created.json()["token"].as_str().unwrap().to_owned();
    let v1 = raw(
        a,
        &request(
            "POST",
            "/v1/create",
            &[],
            Some(r#"{"app":"shop","id":"u2","ip":"::1"}"#),
        ),
        false,
    );
    let token2 = v1.json()["token"].as_str().unwrap().to_owned();
    let regenerated = raw(
        a,
        &request("POST", &format!("/shop/regenerate/{token}"), &[], None),
        false,
    );
    let body = format!(r#"{{"app":"shop","token":"{token2}"}}"#);
    let v1_regenerated = raw(
        a,
        &request("POST", "/v1/regenerate", &[], Some(&body)),
        false,
    );
    let others = [
        raw(a, &request("GET", "/shop/activity?dt=60", &[], None), false),
        raw(a, &request("GET", "/shop/get/nope", &[], None), false),
        raw(a, &request("GET", "/nope", &[], None), false),
        raw(a, &request("GET", "/ping", &[], None), false),
    ];
    for (what, r) in [
        ("create", &created),
        ("/v1/create", &v1),
        ("regenerate", &regenerated),
        ("/v1/regenerate", &v1_regenerated),
    ] {
        assert_eq!(r.status, 200, "{what}: {}", r.text());
        assert_eq!(r.json()["token"].as_str().map(str::len), Some(64), "{what}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
    }
    for r in &others {
        assert_eq!(r.header("cache-control"), Some("no-store"), "{}", r.text());
    }
    s.stop();
}
