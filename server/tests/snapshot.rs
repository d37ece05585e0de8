//! `--data FILE`: atomic replacement (whatever the file's name), the checksummed envelope, the
//! session count that `/metrics` and `/health` keep from the engine's events, failing
//! snapshots made visible (and writes refused, when asked), the fallback file of the last
//! snapshot, and a second signal that ends the shutdown wait.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod support;

use serde_json::json;
use sha2::{Digest, Sha256};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{Server, eventually, send};

const DEADLINE: Duration = Duration::from_secs(15);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scs-snapshot-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether `bytes` is a whole snapshot: the envelope's header, then exactly the announced
/// payload with the announced SHA-256 (checked here independently of the server's code).
fn whole(bytes: &[u8]) -> bool {
    let Some(nl) = bytes.iter().position(|b| *b == b'\n') else {
        return false;
    };
    let Ok(header) = std::str::from_utf8(&bytes[..nl]) else {
        return false;
    };
    let fields: Vec<&str> = header.split(' ').collect();
    let [magic, version, length, digest] = fields.as_slice() else {
        return false;
    };
    let payload = &bytes[nl + 1..];
    let hex: String = Sha256::digest(payload)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    *magic == "session-core-snapshot"
        && *version == "v1"
        && length.strip_prefix("bytes=") == Some(&payload.len().to_string())
        && digest.strip_prefix("sha256=") == Some(hex.as_str())
}

fn create(s: &Server, id: &str, d: Option<&str>) -> String {
    let (status, body) = send(
        "PUT",
        &s.url(&format!("/shop/create/{id}?ip=::1&ttl=3600")),
        d,
    );
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

fn leftovers(dir: &Path, except: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != except)
        .collect()
}

#[test]
fn a_data_file_ending_in_tmp_is_replaced_never_rewritten_and_survives_sigkill() {
    let dir = temp_dir("atomic");
    let file = dir.join("sessions.tmp");
    let data = file.to_str().unwrap();
    let big = json!({"blob": "x".repeat(60_000)}).to_string();
    let s = Server::start(&["--data", data, "--snapshot-interval", "1"]);
    create(&s, "ann", Some(&big));
    // (Any complete-looking file will do for this first part: the check is on how the next
    // one is written, whatever the format.)
    let written = |b: &Vec<u8>| b.len() > 60_000;
    assert!(
        eventually(DEADLINE, || std::fs::read(&file).is_ok_and(|b| written(&b))),
        "no snapshot was written"
    );
    // Hold the live file open, then change the sessions and wait for the next snapshot.
    let mut held = std::fs::File::open(&file).unwrap();
    let mut first = Vec::new();
    held.read_to_end(&mut first).unwrap();
    create(&s, "bob", Some(&big));
    assert!(
        eventually(DEADLINE, || std::fs::read(&file)
            .is_ok_and(|b| b.len() > first.len() && written(&b))),
        "no second snapshot was written"
    );
    // The file held open still reads the first snapshot: the new one was written to another
    // file and renamed over this one, never written into it (where a crash would leave it
    // torn).
    held.rewind().unwrap();
    let mut again = Vec::new();
    held.read_to_end(&mut again).unwrap();
    assert!(again == first, "the live snapshot was rewritten in place");
    assert!(whole(&first) && whole(&std::fs::read(&file).unwrap()));
    drop(s);

    // SIGKILL while snapshots are being written: the live file is always one of them, whole.
    for round in 0..3 {
        let s = Server::start(&["--data", data, "--snapshot-interval", "1"]);
        for i in 0..8 {
            create(&s, &format!("u{round}x{i}"), Some(&big));
        }
        let before = std::fs::read(&file).unwrap();
        // Kill while the next snapshot is (most likely) being written: as soon as the file
        // changes, or a temporary file appears beside it.
        eventually(DEADLINE, || {
            std::fs::read(&file).is_ok_and(|b| b != before) || !leftovers(&dir, &file).is_empty()
        });
        drop(s); // SIGKILL
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            whole(&bytes),
            "round {round}: the live file is torn after SIGKILL"
        );
    }
    // The server starts on it, and cleans what a killed writer left.
    let s = Server::start(&["--data", data]);
    let (_, health) = send("GET", &s.url("/health"), None);
    assert!(health["sessions"].as_u64().unwrap() >= 2, "{health}");
    s.stop();
    assert_eq!(leftovers(&dir, &file), Vec::<PathBuf>::new());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_snapshot_is_refused_with_its_name_and_left_untouched() {
    let dir = temp_dir("corrupt");
    let file = dir.join("sessions.bin");
    let data = file.to_str().unwrap();
    let s = Server::start(&["--data", data]);
    create(&s, "ann", Some(r#"{"theme":"dark"}"#));
    s.stop();
    let good = std::fs::read(&file).unwrap();
    assert!(whole(&good));
    let header_end = good.iter().position(|b| *b == b'\n').unwrap() + 1;

    let mut one_char = good.clone();
    let i = good.windows(4).position(|w| w == b"dark").unwrap();
    one_char[i] = b'D';
    let mut appended = good.clone();
    appended.extend_from_slice(b"junk");
    let truncated = good[..good.len() - 1].to_vec();
    let bare = good[header_end..].to_vec(); // what the previous version wrote
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "one changed character",
            one_char,
            "does not match its checksum",
        ),
        ("junk appended", appended, "4 unexpected bytes follow"),
        ("truncated", truncated, "it is truncated"),
        ("no envelope", bare, "it has no checksum"),
    ];
    for (what, bytes, why) in cases {
        std::fs::write(&file, &bytes).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_session-core-server"))
            .args(["--port", "0", "--data", data])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: the server started");
        assert!(
            stderr.contains(&format!("--data {data}: the snapshot is not readable")),
            "{what}: {stderr}"
        );
        assert!(stderr.contains(why), "{what}: {stderr}");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            bytes,
            "{what}: the file changed"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_session_count_follows_every_way_sessions_come_and_go() {
    let dir = temp_dir("count");
    let file = dir.join("sessions.bin");
    let data = file.to_str().unwrap();
    let count = |s: &Server| {
        let (_, health) = send("GET", &s.url("/health"), None);
        let (_, metrics) = send("GET", &s.url("/metrics"), None);
        let gauge = metrics
            .as_str()
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("session_core_sessions "))
            .unwrap()
            .parse::<u64>()
            .unwrap();
        assert_eq!(health["sessions"], gauge, "/health and /metrics agree");
        gauge
    };
    let s = Server::start(&["--data", data]);
    assert_eq!(count(&s), 0);
    let a = create(&s, "ann", None);
    let b = create(&s, "bob", None);
    create(&s, "bob", None);
    assert_eq!(count(&s), 3);
    send("POST", &s.url(&format!("/shop/regenerate/{a}")), None);
    assert_eq!(count(&s), 3, "regenerate replaces a session");
    send("DELETE", &s.url(&format!("/shop/kill/{b}")), None);
    assert_eq!(count(&s), 2);
    send("DELETE", &s.url("/shop/killsoid/bob"), None);
    assert_eq!(count(&s), 1);
    create(&s, "cat", None);
    s.stop();

    // Loaded from the snapshot.
    let s = Server::start(&["--data", data]);
    assert_eq!(count(&s), 2);
    send("DELETE", &s.url("/shop/killall"), None);
    assert_eq!(count(&s), 0);
    s.stop();
    let _ = std::fs::remove_dir_all(&dir);

    // Expiry, with the test clock: found expired by a read, or swept.
    let s = Server::start(&["--test-clock"]);
    let at = |ms: u64| ms.to_string();
    let agent = support::agent();
    let call = |method: &str, path: &str, now: u64| {
        let req = match method {
            "PUT" => agent.put(&s.url(path)),
            _ => agent.post(&s.url(path)),
        };
        req.header("x-session-core-now", &at(now))
            .send_empty()
            .unwrap();
    };
    let t0 = 1_700_000_000_000;
    call("PUT", "/shop/create/e1?ip=::1&ttl=10", t0);
    call("PUT", "/shop/create/e2?ip=::1&ttl=10", t0);
    call("PUT", "/shop/create/kept?ip=::1&ttl=3600", t0);
    assert_eq!(count(&s), 3);
    call("POST", "/sweep", t0 + 60_000);
    assert_eq!(count(&s), 1);
    s.stop();
}

#[test]
fn a_closed_log_pipe_does_not_cost_the_snapshot() {
    // A supervisor that stops reading the server's stderr: every later log line fails to
    // write, and the shutdown must still save the sessions (it panicked in eprintln! before).
    let dir = temp_dir("closed-log");
    let file = dir.join("sessions.bin");
    let s = Server::start_then_close_stderr(&["--data", file.to_str().unwrap()]);
    create(&s, "ann", Some(r#"{"theme":"dark"}"#));
    s.stop();
    let saved = std::fs::read(&file).unwrap();
    assert!(whole(&saved));
    assert!(saved.windows(4).any(|w| w == b"dark"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends `signal` (`INT`, `TERM`) to the server without waiting.
fn signal(s: &Server, signal: &str) {
    let pid = s.child.id().to_string();
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status();
    assert!(sent.unwrap().success());
}

/// `/health` and the two snapshot lines of `/metrics`: (health, last success, failures).
fn snapshot_state(s: &Server) -> (serde_json::Value, f64, u64) {
    let (status, health) = send("GET", &s.url("/health"), None);
    assert_eq!(status, 200, "{health}");
    let (_, metrics) = send("GET", &s.url("/metrics"), None);
    let metrics = metrics.as_str().unwrap().to_owned();
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in /metrics: {metrics}"))
            .to_owned()
    };
    let last = value("session_core_snapshot_last_success_timestamp_seconds");
    let failures = value("session_core_snapshot_failures_total");
    (health, last.parse().unwrap(), failures.parse().unwrap())
}

#[test]
fn a_failing_snapshot_degrades_health_counts_in_metrics_and_recovers() {
    let dir = temp_dir("failing");
    let file = dir.join("sessions.bin");
    let s = Server::start(&["--data", file.to_str().unwrap(), "--snapshot-interval", "1"]);
    let (health, started, failures) = snapshot_state(&s);
    assert_eq!(
        (health["status"].as_str(), failures),
        (Some("ok"), 0),
        "{health}"
    );
    assert_eq!(health["snapshot"]["status"], "ok", "{health}");
    assert!(
        started > 1.6e9,
        "the last success is the load at start: {started}"
    );
    create(&s, "ann", None);
    assert!(eventually(DEADLINE, || file.exists()), "no snapshot");

    // The folder goes away: every snapshot fails, and says so.
    std::fs::remove_dir_all(&dir).unwrap();
    let mut state = None;
    assert!(
        eventually(DEADLINE, || {
            let now = snapshot_state(&s);
            let degraded = now.0["status"] == "degraded";
            state = Some(now);
            degraded
        }),
        "/health never said degraded: {state:?}"
    );
    let (health, last_ok, failures) = state.unwrap();
    let reason = health["reason"].as_str().unwrap();
    assert!(
        reason.contains("snapshot") && reason.contains("No such file or directory"),
        "{reason}"
    );
    assert_eq!(health["snapshot"]["status"], "failing", "{health}");
    assert_eq!(health["snapshot"]["writes"], "accepted", "{health}");
    assert!(failures >= 1);
    // Writes are accepted meanwhile (the default), and the failures keep being counted.
    let bob = create(&s, "bob", Some(r#"{"theme":"late"}"#));
    assert!(
        eventually(DEADLINE, || snapshot_state(&s).2 > failures),
        "the failures are not counted"
    );
    assert_eq!(snapshot_state(&s).1, last_ok, "no snapshot succeeded");
    assert!(s.logged("cannot write the snapshot"), "{}", s.log_text());

    // The folder is back: the next snapshot succeeds, with the sessions written meanwhile.
    std::fs::create_dir_all(&dir).unwrap();
    assert!(
        eventually(DEADLINE, || snapshot_state(&s).0["status"] == "ok"),
        "/health never said ok again"
    );
    let (health, last, failures_after) = snapshot_state(&s);
    assert!(
        last > last_ok,
        "the last success did not move: {last} {last_ok}"
    );
    assert!(failures_after > failures, "{health}");
    assert_eq!(health.get("reason"), None, "{health}");
    assert!(s.logged("work again"), "{}", s.log_text());
    let saved = std::fs::read(&file).unwrap();
    assert!(whole(&saved) && saved.windows(4).any(|w| w == b"late"));
    s.stop();
    let s = Server::start(&["--data", file.to_str().unwrap()]);
    let (_, got) = send("GET", &s.url(&format!("/shop/get/{bob}")), None);
    assert_eq!(got["id"], "bob", "{got}");
    s.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn with_refuse_writes_a_failing_snapshot_refuses_writes_until_one_succeeds() {
    let dir = temp_dir("refuse");
    let file = dir.join("sessions.bin");
    let s = Server::start(&[
        "--data",
        file.to_str().unwrap(),
        "--snapshot-interval",
        "1",
        "--on-snapshot-error",
        "refuse-writes",
    ]);
    create(&s, "ann", None);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        eventually(DEADLINE, || snapshot_state(&s).0["snapshot"]["writes"]
            == "refused"),
        "writes were never refused"
    );
    let (status, body) = send("PUT", &s.url("/shop/create/bob?ip=::1"), None);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "storeError", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("refused") && message.contains("No such file or directory"),
        "{message}"
    );
    // Reads that write nothing still answer; /health says why, with a 200 (it serves).
    let (status, body) = send("GET", &s.url("/shop/activity?dt=600"), None);
    assert_eq!((status, &body["activity"]), (200, &json!(1)), "{body}");
    assert_eq!(snapshot_state(&s).0["status"], "degraded");

    std::fs::create_dir_all(&dir).unwrap();
    assert!(
        eventually(DEADLINE, || snapshot_state(&s).0["snapshot"]["writes"]
            == "accepted"),
        "writes were never accepted again"
    );
    create(&s, "bob", None);
    s.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_with_the_folder_gone_saves_the_sessions_to_a_fallback_named_in_the_log() {
    let dir = temp_dir("gone");
    let tmp = temp_dir("gone-tmp");
    let file = dir.join("sessions.bin");
    let mut s = Server::start_with_env(
        &["--data", file.to_str().unwrap()],
        &[("TMPDIR", tmp.to_str().unwrap())],
    );
    let ann = create(&s, "ann", Some(r#"{"theme":"dark"}"#));
    std::fs::remove_dir_all(&dir).unwrap();
    s.terminate();
    let status = s.wait_exit(DEADLINE).expect("the server did not stop");
    // The sessions are not where --data says: the exit status says something went wrong.
    assert!(!status.success(), "{}", s.log_text());
    let log = s.log_text();
    let fallback = log
        .lines()
        .find_map(|l| l.split("saved 1 sessions to ").nth(1))
        .and_then(|rest| rest.split(" instead").next())
        .unwrap_or_else(|| panic!("no fallback named in the log: {log}"));
    let fallback = PathBuf::from(fallback);
    assert_eq!(fallback.parent(), Some(tmp.as_path()), "{log}");
    let saved = std::fs::read(&fallback).unwrap();
    assert!(whole(&saved) && saved.windows(4).any(|w| w == b"dark"));
    // As the log says, the file loads with --data.
    let s = Server::start(&["--data", fallback.to_str().unwrap()]);
    let (_, got) = send("GET", &s.url(&format!("/shop/get/{ann}")), None);
    assert_eq!(got["d"]["theme"], "dark", "{got}");
    s.stop();
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Ctrl-C twice during a long shutdown wait (a request in progress). With the folder gone
/// (`folder_gone`), the sessions go to the fallback file all the same.
fn second_signal(folder_gone: bool) {
    let dir = temp_dir(if folder_gone { "second-gone" } else { "second" });
    let tmp = temp_dir(if folder_gone {
        "second-gone-tmp"
    } else {
        "second-tmp"
    });
    let file = dir.join("sessions.bin");
    let mut s = Server::start_with_env(
        &[
            "--data",
            file.to_str().unwrap(),
            "--shutdown-timeout",
            "120",
            "--body-timeout",
            "120",
        ],
        &[("TMPDIR", tmp.to_str().unwrap())],
    );
    create(&s, "ann", Some(r#"{"theme":"dark"}"#));
    // A request in progress: its head is in, its body never comes.
    let mut slow = std::net::TcpStream::connect(s.addr()).unwrap();
    let head = "POST /shop/set/x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{";
    std::io::Write::write_all(&mut slow, head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    if folder_gone {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    signal(&s, "INT");
    // The first signal waits for it (for up to --shutdown-timeout)...
    assert!(
        s.wait_exit(Duration::from_secs(1)).is_none(),
        "the server did not wait for the request in progress: {}",
        s.log_text()
    );
    assert!(s.logged("stopping"), "{}", s.log_text());
    // ...and the second ends the wait: the server saves and exits at once.
    signal(&s, "INT");
    let status = s.wait_exit(Duration::from_secs(10));
    let status = status.unwrap_or_else(|| panic!("still waiting: {}", s.log_text()));
    assert!(s.logged("a second signal"), "{}", s.log_text());
    let saved_to = if folder_gone {
        // Saved, but not where --data says: the exit status says so.
        assert!(!status.success(), "{status}: {}", s.log_text());
        tmp.join(format!("session-core-{}-sessions.bin", s.child.id()))
    } else {
        assert!(status.success(), "{status}: {}", s.log_text());
        file
    };
    assert!(
        s.logged(&format!("saved 1 sessions to {}", saved_to.display())),
        "{}",
        s.log_text()
    );
    let saved = std::fs::read(&saved_to).unwrap();
    assert!(whole(&saved) && saved.windows(4).any(|w| w == b"dark"));
    drop(slow);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn a_second_signal_ends_the_shutdown_wait_and_the_sessions_are_saved() {
    second_signal(false);
}

#[test]
fn a_second_signal_with_the_folder_gone_still_writes_the_fallback() {
    second_signal(true);
}
