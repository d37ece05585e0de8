//! The server on Redis (`--redis`): a store failure is 503, and the server recovers by itself.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod support;

use conformance::redis_server::RedisServer;
use serde_json::json;
use std::time::Duration;
use support::{Server, eventually, send};

#[test]
fn redis_down_is_503_and_the_server_recovers() {
    let mut redis = RedisServer::start();
    let s = Server::start(&["--redis", &redis.url(), "--namespace", "web"]);
    let (status, body) = send("PUT", &s.url("/shop/create/ann?ip=::1"), None);
    assert_eq!(status, 200);
    let t = body["token"].as_str().unwrap().to_owned();
    // The key layout is the documented one, under the chosen namespace.
    assert!(
        redis
            .cmd(&["KEYS", "web:{shop}:s:*"])
            .starts_with("web:{shop}:s:")
    );
    let (_, health) = send("GET", &s.url("/health"), None);
    assert_eq!(
        (health["status"].clone(), health["store"].clone()),
        (json!("ok"), json!("redis"))
    );

    redis.stop();
    let (status, body) = send("GET", &s.url(&format!("/shop/get/{t}")), None);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "storeError");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Store error: "),
        "{body}"
    );
    assert_eq!(send("GET", &s.url("/health"), None).0, 503);

    // Redis comes back empty (nothing persisted): the same server answers again.
    redis.restart();
    let mut recovered = false;
    for _ in 0..50 {
        if send("GET", &s.url(&format!("/shop/get/{t}")), None) == (200, json!({})) {
            recovered = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        recovered,
        "the server did not recover after Redis restarted"
    );
    assert_eq!(send("PUT", &s.url("/shop/create/ann?ip=::1"), None).0, 200);
    s.stop();
}

#[test]
fn redis_url_errors_stop_the_server_at_start() {
    for url in ["not a url", "redis://127.0.0.1:6379/0?protocol=nonsense"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_session-core-server"))
            .args(["--port", "0", "--redis", url])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{url}: the server started");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--redis"),
            "{url}"
        );
    }
}

#[test]
fn the_server_starts_before_redis_answers_503_then_recovers() {
    // A port where Redis will listen, once it is started.
    let mut redis = RedisServer::start();
    redis.stop();
    let s = Server::start(&["--redis", &redis.url()]);
    assert!(
        s.logged("serving 503 until Redis answers"),
        "{}",
        s.log_text()
    );
    let (status, health) = send("GET", &s.url("/health"), None);
    assert_eq!(
        (status, health["status"].clone(), health["store"].clone()),
        (503, json!("unavailable"), json!("redis"))
    );
    let (status, body) = send("PUT", &s.url("/shop/create/ann?ip=::1"), None);
    assert_eq!(
        (status, body["error"].clone()),
        (503, json!("storeError")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Store error: Redis has not been reached"),
        "{body}"
    );
    // Redis comes up: the same process serves, without a restart.
    redis.restart();
    assert!(
        eventually(Duration::from_secs(15), || send(
            "GET",
            &s.url("/health"),
            None
        )
        .0 == 200),
        "the server did not reach Redis once it was up\n{}",
        s.log_text()
    );
    let (status, body) = send("PUT", &s.url("/shop/create/ann?ip=::1"), None);
    assert_eq!(status, 200, "{body}");
    let t = body["token"].as_str().unwrap();
    assert_eq!(
        send("GET", &s.url(&format!("/shop/get/{t}")), None).1["id"],
        "ann"
    );
    assert!(s.logged("connected to Redis"), "{}", s.log_text());
    s.stop();
}
