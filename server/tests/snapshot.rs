//! `--data FILE`: atomic replacement (whatever the file's name), the checksummed envelope, and
//! the session count that `/metrics` and `/health` keep from the engine's events.

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
