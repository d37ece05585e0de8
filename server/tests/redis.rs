//! The server on Redis (`--redis`): a store failure is 503, and the server recovers by itself.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod support;

use conformance::redis_server::RedisServer;
use serde_json::json;
use std::time::Duration;
use support::{Server, add_web_user, eventually, send};

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

#[test]
fn redis_over_tls_with_credentials_and_a_private_ca() {
    let redis = RedisServer::start_tls(true);
    add_web_user(&redis);
    let files = redis.tls_files().clone();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let (ca, cert, key) = (
        path(&files.ca),
        path(&files.client_cert),
        path(&files.client_key),
    );
    let s = Server::start_with_env(
        &[
            "--redis",
            &redis.tls_url(),
            "--redis-username",
            "web",
            "--redis-ca",
            &ca,
            "--redis-cert",
            &cert,
            "--redis-key",
            &key,
        ],
        &[("RS_REDIS_PASSWORD", "web-pass-1")],
    );
    let (status, body) = send("PUT", &s.url("/shop/create/ann?ip=::1"), None);
    assert_eq!(status, 200, "{body}\n{}", s.log_text());
    let t = body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        send("GET", &s.url(&format!("/shop/get/{t}")), None).1["id"],
        "ann"
    );
    assert!(redis.calls("evalsha") > 0);
    s.stop();
}

#[test]
fn refused_credentials_and_untrusted_certificates_stop_the_server_at_start() {
    let redis = RedisServer::start_tls(false);
    add_web_user(&redis);
    let ca = redis.tls_files().ca.to_str().unwrap().to_owned();
    let other_ca = redis.tls_files().other_ca.to_str().unwrap().to_owned();
    let url = redis.tls_url();
    let wrong = format!(
        "rediss://web:not-the-pass-1@127.0.0.1:{}/",
        redis.tls_port()
    );
    for (args, says) in [
        (
            vec!["--redis", wrong.as_str(), "--redis-ca", ca.as_str()],
            "refused the credentials of user \"web\"",
        ),
        (
            vec!["--redis", url.as_str(), "--redis-ca", other_ca.as_str()],
            "not trusted",
        ),
        (
            vec!["--redis", url.as_str(), "--redis-ca", "/nonexistent/ca.pem"],
            "--redis-ca: cannot read",
        ),
        (
            vec!["--redis", redis.url().as_str(), "--redis-ca", ca.as_str()],
            "use rediss://",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_session-core-server"))
            .args(["--port", "0"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{args:?}: the server started\n{stderr}"
        );
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("not-the-pass-1"),
            "the password leaked: {stderr}"
        );
    }
}

#[test]
fn the_server_follows_a_sentinel_failover_without_a_restart() {
    let mut set = conformance::redis_server::Sentinels::start();
    let replica = set.servers[1].port;
    let s = Server::start(&["--redis", &set.url()]);
    let (status, body) = send("PUT", &s.url("/shop/create/ann?ip=::1"), None);
    assert_eq!(status, 200, "{body}");
    let t = body["token"].as_str().unwrap().to_owned();
    // The replica has the session before the master dies.
    let offset = |port: u16, field: &str| {
        conformance::redis_server::raw_command(port, &["INFO", "replication"])
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(field).map(str::to_owned))
    };
    assert!(eventually(Duration::from_secs(10), || {
        offset(set.servers[0].port, "master_repl_offset:") == offset(replica, "slave_repl_offset:")
    }));

    set.servers[0].stop();
    let failed = eventually(Duration::from_secs(30), || {
        let (status, body) = send("GET", &s.url(&format!("/shop/get/{t}")), None);
        status == 503 && body["error"] == "storeError"
    });
    assert!(
        failed,
        "calls fail with storeError while the master is gone"
    );
    assert!(eventually(Duration::from_secs(60), || set.master_port()
        == Some(replica)));
    let back = eventually(Duration::from_secs(30), || {
        let (status, body) = send("GET", &s.url(&format!("/shop/get/{t}")), None);
        status == 200 && body["id"] == "ann"
    });
    assert!(
        back,
        "the promoted replica serves the session, without a restart"
    );
    assert_eq!(send("PUT", &s.url("/shop/create/bob?ip=::1"), None).0, 200);
    s.stop();
}
