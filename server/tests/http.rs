//! The HTTP layer of the real binary, byte by byte: timeouts on headers and bodies, the
//! connection cap, the shutdown deadline, bodies that cannot be read, JSON for every error,
//! `/ping`'s exact answer, rest-sessions' documented flow, and `--auth-token`.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod support;

use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::{Raw, Server, closed_within, eventually, raw, read_answer, request};

/// Generous: these tests assert that things happen, never how fast.
const DEADLINE: Duration = Duration::from_secs(15);

fn ping_ok(s: &Server) -> bool {
    let r = raw(s.addr(), &request("GET", "/ping", &[], None), false);
    r.status == 200 && r.body == b"PONG"
}

#[test]
fn idle_and_slow_clients_are_cut_after_the_header_timeout_while_others_are_served() {
    let s = Server::start(&["--header-timeout", "1"]);
    let mut idle = TcpStream::connect(s.addr()).unwrap();
    // A client that sends its headers one byte at a time, forever.
    let addr = s.addr();
    let slow = std::thread::spawn(move || {
        let mut slow = TcpStream::connect(addr).unwrap();
        let line = b"GET /ping HTTP/1.1\r\nX-Slow: ";
        let started = Instant::now();
        let mut sent = 0usize;
        while started.elapsed() < DEADLINE {
            let byte = line.get(sent).copied().unwrap_or(b'a');
            if slow.write_all(&[byte]).is_err() {
                return (true, sent);
            }
            sent += 1;
            std::thread::sleep(Duration::from_millis(50));
            if closed_within(&mut slow, Duration::from_millis(1)) {
                return (true, sent);
            }
        }
        (false, sent)
    });
    // Others are served meanwhile.
    assert!(ping_ok(&s));
    assert!(
        closed_within(&mut idle, DEADLINE),
        "an idle connection was kept"
    );
    let (cut, sent) = slow.join().unwrap();
    assert!(
        cut,
        "a client sending its headers byte by byte was kept ({sent} bytes)"
    );
    assert!(sent > 2, "the slow client was cut before it could start");
    assert!(ping_ok(&s));
    // A kept-alive connection gets the same time for its next request's headers.
    let mut kept = TcpStream::connect(s.addr()).unwrap();
    kept.write_all(b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_answer(&mut kept).body, b"PONG");
    assert!(closed_within(&mut kept, DEADLINE));
    s.stop();
}

#[test]
fn a_body_that_does_not_arrive_gets_408_and_the_connection_closes() {
    let s = Server::start(&["--body-timeout", "0.5", "--header-timeout", "60"]);
    let mut c = TcpStream::connect(s.addr()).unwrap();
    c.set_read_timeout(Some(DEADLINE)).unwrap();
    c.write_all(
        b"PUT /shop/create/u1?ip=::1 HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"a\":",
    )
    .unwrap();
    let r = read_answer(&mut c);
    assert_eq!(r.status, 408, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"error": "timeout", "message": "The request body did not arrive within 0.5 s"})
    );
    assert!(closed_within(&mut c, DEADLINE));
    assert!(ping_ok(&s));
    s.stop();
}

#[test]
fn unreadable_bodies_are_400_and_only_large_ones_413() {
    let s = Server::start(&["--body-limit", "200"]);
    let head =
        "PUT /shop/create/u1?ip=::1 HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n";
    let cases: [(&str, String); 3] = [
        (
            "a malformed chunk size",
            format!("{head}Transfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"),
        ),
        (
            "a truncated chunked body",
            format!("{head}Transfer-Encoding: chunked\r\n\r\n10\r\n{{\"a\":"),
        ),
        (
            "a Content-Length beyond the data",
            format!("{head}Content-Length: 50\r\n\r\n{{\"a\":1}}"),
        ),
    ];
    for (what, req) in cases {
        let r = raw(s.addr(), req.as_bytes(), true);
        let body = r.json();
        assert_eq!(
            (r.status, &body["error"]),
            (400, &json!("badRequest")),
            "{what}: {body}"
        );
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("The request body could not be read ("),
            "{what}: {body}"
        );
    }
    // Too large, announced or sent chunk by chunk: 413.
    let big = "x".repeat(300);
    let announced = format!("{head}Content-Length: 300\r\n\r\n{big}");
    let chunked = format!(
        "{head}Transfer-Encoding: chunked\r\n\r\n96\r\n{}\r\n96\r\n{}\r\n0\r\n\r\n",
        &big[..150],
        &big[150..]
    );
    for req in [announced, chunked] {
        let r = raw(s.addr(), req.as_bytes(), false);
        assert_eq!(
            (r.status, r.json()),
            (
                413,
                json!({"error": "tooLarge", "message": "The request body is larger than 200 bytes"})
            )
        );
    }
    s.stop();
}

/// Checks that an answer is an error as JSON `{error, message}` with the expected status.
fn assert_json_error(what: &str, r: &Raw, status: u16, name: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{what}: content-type {:?}",
        r.header("content-type")
    );
    let body = r.json();
    assert_eq!(body["error"], name, "{what}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {body}"
    );
    assert_eq!(body.as_object().unwrap().len(), 2, "{what}: {body}");
}

#[test]
fn every_error_status_answers_json() {
    let s = Server::start(&["--body-limit", "200", "--body-timeout", "0.5"]);
    let a = s.addr();
    let cases: Vec<(&str, Raw, u16, &str)> = vec![
        (
            "validation",
            raw(a, &request("PUT", "/ab/create/u1?ip=::1", &[], None), false),
            400,
            "invalidFormat",
        ),
        (
            "a path segment that is not UTF-8",
            raw(a, &request("GET", "/shop/get/%FF%FE", &[], None), false),
            400,
            "invalidFormat",
        ),
        (
            "a body that is not JSON",
            raw(a, &request("POST", "/v1/get", &[], Some("{no")), false),
            400,
            "invalidValue",
        ),
        (
            "an unreadable body",
            raw(
                a,
                b"POST /v1/get HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                true,
            ),
            400,
            "badRequest",
        ),
        (
            "no route",
            raw(a, &request("GET", "/nope", &[], None), false),
            404,
            "notFound",
        ),
        (
            "a method the route does not take",
            raw(a, &request("GET", "/shop/create/u1", &[], None), false),
            405,
            "methodNotAllowed",
        ),
        (
            "a body that does not arrive",
            raw(
                a,
                b"POST /v1/get HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n{",
                false,
            ),
            408,
            "timeout",
        ),
        (
            "a body over the limit",
            raw(
                a,
                &request("POST", "/v1/get", &[], Some(&"1".repeat(300))),
                false,
            ),
            413,
            "tooLarge",
        ),
    ];
    for (what, r, status, name) in &cases {
        assert_json_error(what, r, *status, name);
    }
    let not_allowed = &cases[5].1;
    assert_eq!(not_allowed.header("allow"), Some("PUT"));
    assert_eq!(
        cases[1].1.json()["message"],
        "Invalid token format: the path segment is not UTF-8"
    );
    s.stop();

    // 401 with a token set (503 is in tests/redis.rs).
    let s = Server::start(&["--auth-token", "t0ken-for-tests"]);
    let r = raw(
        s.addr(),
        &request("GET", "/shop/activity?dt=60", &[], None),
        false,
    );
    assert_json_error("no token", &r, 401, "unauthorized");
    s.stop();
}

#[test]
fn ping_answers_pong_exactly() {
    let s = Server::start(&[]);
    let r = raw(s.addr(), &request("GET", "/ping", &[], None), false);
    assert_eq!((r.status, r.body.as_slice()), (200, b"PONG".as_slice()));
    assert_eq!(r.header("content-length"), Some("4"));
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    // /health stays the JSON health endpoint.
    let r = raw(s.addr(), &request("GET", "/health", &[], None), false);
    assert_eq!(r.json()["status"], "ok");
    // The OpenAPI document says so, and documents the token's 401.
    let doc = raw(s.addr(), &request("GET", "/openapi.json", &[], None), false).json();
    let ping = &doc["paths"]["/ping"]["get"];
    assert_eq!(
        ping["responses"]["200"]["content"]["text/plain"]["schema"]["enum"],
        json!(["PONG"])
    );
    assert_eq!(ping["security"], json!([]));
    assert_eq!(
        doc["paths"]["/{app}/get/{token}"]["get"]["responses"]["401"]["$ref"],
        "#/components/responses/Unauthorized"
    );
    s.stop();
}

/// The shared HTTP flows (tests/http/*.json: rest-sessions' documented flow, the REST API's
/// own rules), by file name.
fn flows() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/http");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let flows: Vec<_> = files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap(),
            )
        })
        .collect();
    assert!(flows.len() >= 3, "the flows of tests/http");
    flows
}

/// Matches `actual` against `template`, where `{tokenN}` and `{handleN}` stand for values of
/// the run: known ones must be equal; a new one matches its shape and is remembered.
fn matches_template(template: &str, actual: &str, vars: &mut HashMap<String, String>) -> bool {
    let (mut t, mut a) = (template, actual);
    while let Some(open) = t.find('{') {
        let name_end = t[open..].find('}').map(|i| open + i);
        let name = name_end.map(|e| &t[open + 1..e]).unwrap_or("");
        // (length, URL-safe); length 0: any (a cursor).
        let kind = if name.starts_with("token") {
            Some((64, false))
        } else if name.starts_with("handle") {
            Some((22, true))
        } else if name.starts_with("cursor") {
            Some((0, true))
        } else {
            None
        };
        let (Some(end), Some((len, url_safe))) = (name_end, kind) else {
            // A literal brace: compare up to and including it.
            if !a.starts_with(&t[..=open]) {
                return false;
            }
            a = &a[open + 1..];
            t = &t[open + 1..];
            continue;
        };
        if !a.starts_with(&t[..open]) {
            return false;
        }
        a = &a[open..];
        t = &t[end + 1..];
        let value = match vars.get(name) {
            Some(v) => v.clone(),
            None => {
                let v: String = a
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || (url_safe && "-_".contains(*c)))
                    .collect();
                if v.is_empty() || (len > 0 && v.len() != len) {
                    return false;
                }
                vars.insert(name.to_owned(), v.clone());
                v
            }
        };
        match a.strip_prefix(value.as_str()) {
            Some(rest) => a = rest,
            None => return false,
        }
    }
    t == a
}

fn substitute(text: &str, vars: &HashMap<String, String>) -> String {
    vars.iter().fold(text.to_owned(), |s, (k, v)| {
        s.replace(&format!("{{{k}}}"), v)
    })
}

#[test]
fn the_shared_http_flows_over_raw_http() {
    for (file, flow) in flows() {
        // A fresh server per flow: each starts on an empty store.
        let max_list = flow["max_list"].as_u64().unwrap_or(10_000).to_string();
        let s = Server::start(&["--test-clock", "--max-list", &max_list]);
        let start = flow["start"].as_u64().unwrap();
        let mut vars = HashMap::new();
        for step in flow["steps"].as_array().unwrap() {
            let name = format!("{file}: {}", step["name"].as_str().unwrap());
            let path = substitute(step["path"].as_str().unwrap(), &vars);
            let now = (start + step["at"].as_u64().unwrap()).to_string();
            let req = request(
                step["method"].as_str().unwrap(),
                &path,
                &[("x-session-core-now", &now)],
                step["request"].as_str(),
            );
            let r = raw(s.addr(), &req, false);
            assert_eq!(r.status, step["status"], "{name}: {}", r.text());
            let expected_type = step["type"].as_str().unwrap();
            assert!(
                r.header("content-type")
                    .is_some_and(|t| t.starts_with(expected_type)),
                "{name}: content-type {:?}",
                r.header("content-type")
            );
            for (header, value) in step["headers"].as_object().into_iter().flatten() {
                assert_eq!(r.header(header), value.as_str(), "{name}: header {header}");
            }
            let template = step["body"].as_str().unwrap();
            assert!(
                matches_template(template, &r.text(), &mut vars),
                "{name}:\n  expected {template}\n  got      {}",
                r.text()
            );
        }
        s.stop();
    }
}

#[test]
fn the_flow_template_matcher_remembers_values() {
    let mut vars = HashMap::new();
    let t = "a".repeat(64);
    assert!(matches_template(
        "{\"token\":\"{token1}\"}",
        &format!("{{\"token\":\"{t}\"}}"),
        &mut vars
    ));
    assert_eq!(vars["token1"], t);
    assert!(!matches_template("{token1}", &"b".repeat(64), &mut vars));
    assert!(!matches_template("{handle1}", "short", &mut vars));
    assert!(matches_template("{}", "{}", &mut vars));
    assert!(!matches_template("{}", "{} ", &mut vars));
}

#[test]
fn with_a_token_every_route_but_ping_and_health_needs_it() {
    let token = "s3cret-t0ken-for-the-tests";
    // From the environment, as the README recommends.
    let s = Server::start_with_env(&[], &[("RS_AUTH_TOKEN", token)]);
    let a = s.addr();
    let bearer = format!("Bearer {token}");
    let open = [("GET", "/ping"), ("GET", "/health")];
    for (m, p) in open {
        assert_eq!(raw(a, &request(m, p, &[], None), false).status, 200, "{p}");
    }
    let closed = [
        ("PUT", "/shop/create/u1?ip=::1"),
        ("GET", "/shop/activity?dt=60"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("POST", "/sweep"),
        ("GET", "/nope"),
    ];
    for (m, p) in closed {
        for header in [
            None,
            Some("Bearer wrong"),
            Some(token),
            Some("Basic czNjcmV0"),
        ] {
            let headers: Vec<(&str, &str)> =
                header.map(|h| ("Authorization", h)).into_iter().collect();
            let r = raw(a, &request(m, p, &headers, None), false);
            assert_json_error(&format!("{m} {p} with {header:?}"), &r, 401, "unauthorized");
            assert_eq!(
                r.header("www-authenticate"),
                Some("Bearer realm=\"session-core\"")
            );
        }
    }
    let with = |m: &str, p: &str| {
        raw(
            a,
            &request(m, p, &[("Authorization", &bearer)], None),
            false,
        )
    };
    let created = with("PUT", "/shop/create/u1?ip=::1");
    assert_eq!(created.status, 200, "{}", created.text());
    let t = created.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(with("GET", &format!("/shop/get/{t}")).json()["id"], "u1");
    assert_eq!(with("GET", "/metrics").status, 200);
    assert_eq!(with("GET", "/nope").status, 404);
    // The token is never logged.
    s.stop_and_check(|log| assert!(!log.contains(token), "{log}"));

    // Without a token (the default) nothing is asked; on loopback, no warning either.
    let s = Server::start(&[]);
    let r = raw(
        s.addr(),
        &request("GET", "/shop/activity?dt=60", &[], None),
        false,
    );
    assert_eq!(r.status, 200);
    assert!(!s.logged("WARNING"), "{}", s.log_text());
    s.stop();
}

#[test]
fn a_public_address_without_a_token_is_warned_about() {
    let s = Server::start(&["--bind", "0.0.0.0"]);
    assert!(
        s.logged("WARNING: listening on 0.0.0.0 without --auth-token"),
        "{}",
        s.log_text()
    );
    s.stop();
    let s = Server::start(&["--bind", "0.0.0.0", "--auth-token", "another-s3cret"]);
    assert!(!s.logged("WARNING"), "{}", s.log_text());
    s.stop();
}

#[test]
fn at_the_connection_cap_the_oldest_idle_connection_makes_room() {
    let s = Server::start(&["--max-connections", "3", "--header-timeout", "60"]);
    // A fourth idle connection goes over the cap: the oldest makes room.
    let mut idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(s.addr()).unwrap())
        .collect();
    assert!(
        closed_within(&mut idle[0], DEADLINE),
        "the oldest idle one was kept"
    );
    // And new clients are served.
    assert!(ping_ok(&s), "{}", s.log_text());
    assert!(
        eventually(DEADLINE, || s
            .logged("3 connections open (--max-connections)")),
        "{}",
        s.log_text()
    );
    s.stop();
}

#[test]
fn sigterm_with_a_stuck_client_exits_within_the_deadline_and_writes_the_snapshot() {
    let dir = temp_dir("stuck");
    let file = dir.join("sessions.bin");
    let mut s = Server::start(&[
        "--data",
        file.to_str().unwrap(),
        "--shutdown-timeout",
        "1",
        "--header-timeout",
        "3600",
    ]);
    let created = raw(
        s.addr(),
        &request("PUT", "/shop/create/u1?ip=::1", &[], None),
        false,
    );
    assert_eq!(created.status, 200);
    // Half-sent headers, never finished.
    let mut stuck = TcpStream::connect(s.addr()).unwrap();
    stuck
        .write_all(b"GET /ping HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    assert!(ping_ok(&s)); // the stuck connection has been accepted before this one
    s.terminate();
    let status = s.wait_exit(DEADLINE);
    assert!(
        status.is_some_and(|st| st.success()),
        "the server did not exit after SIGTERM: {status:?}\n{}",
        s.log_text()
    );
    assert!(
        eventually(DEADLINE, || s
            .logged("1 connection was still open after 1 s")),
        "{}",
        s.log_text()
    );
    assert!(s.logged("saved 1 sessions"), "{}", s.log_text());
    assert!(
        std::fs::read(&file)
            .unwrap()
            .starts_with(b"session-core-snapshot v1 ")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scs-http-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

trait StopAndCheck {
    fn stop_and_check(self, check: impl FnOnce(&str));
}

impl StopAndCheck for Server {
    fn stop_and_check(mut self, check: impl FnOnce(&str)) {
        self.terminate();
        assert!(self.wait_exit(DEADLINE).is_some());
        // The stderr reader may still be draining the last lines.
        assert!(eventually(DEADLINE, || self.logged("session-core-server stopped")));
        check(&self.log_text());
    }
}
