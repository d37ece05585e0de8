//! The server on a Redis Cluster (`--redis-cluster URL,URL…`): apps spread over the masters,
//! `/health` and the startup line name the store, the credential flags apply to every node,
//! and bad cluster flags stop the server at start, naming the flag; with `--shards 16`, one app
//! spreads over every master. (The conformance vectors
//! on the cluster are in vectors.rs.)

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod support;

use conformance::redis_server::Cluster;
use serde_json::json;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Server, add_web_user, send};

/// The stderr of a server that `args` must stop at start (it fails, rather than hangs, if the
/// server keeps running).
fn refused(args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_session-core-server"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?}: the server started");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!status.success(), "{args:?}: the server started: {err}");
    err
}

#[test]
fn sessions_spread_over_a_three_master_cluster_with_credentials_on_every_node() {
    let cluster = Cluster::start(3);
    for node in &cluster.nodes {
        add_web_user(node);
    }
    // One node is enough to find the cluster; the password comes from the environment.
    let nodes = cluster.urls()[1..].join(",");
    let s = Server::start_with_env(
        &["--redis-cluster", &nodes, "--redis-username", "web"],
        &[("RS_REDIS_PASSWORD", "web-pass-1")],
    );
    assert!(s.logged("(redis-cluster store)"), "{}", s.log_text());
    let (status, health) = send("GET", &s.url("/health"), None);
    assert_eq!(
        (status, health["status"].clone(), health["store"].clone()),
        (200, json!("ok"), json!("redis-cluster"))
    );
    let mut tokens = Vec::new();
    for i in 0..12 {
        let app = format!("app{i:02}");
        let (status, body) = send("PUT", &s.url(&format!("/{app}/create/ann?ip=::1")), None);
        assert_eq!(status, 200, "{body}");
        tokens.push((app, body["token"].as_str().unwrap().to_owned()));
    }
    for node in &cluster.nodes {
        let keys = node.cmd(&["KEYS", "rs:{*}:s:*"]);
        assert!(
            !keys.is_empty(),
            "node {} holds sessions of some apps",
            node.port
        );
    }
    for (app, token) in &tokens {
        let (status, body) = send(
            "POST",
            &s.url(&format!("/{app}/set/{token}")),
            Some(r#"{"cart":2}"#),
        );
        assert_eq!((status, body["w"].clone()), (200, json!(2)), "{body}");
        let (_, body) = send("GET", &s.url(&format!("/{app}/activity?dt=600")), None);
        assert_eq!(body, json!({"activity": 1}));
    }
    s.stop();

    // A refused password is a configuration to fix: the server does not start.
    let err = refused(&[
        "--redis-cluster",
        &nodes,
        "--redis-username",
        "web",
        "--redis-password",
        "wrong-pass",
    ]);
    assert!(err.contains("--redis-cluster"), "{err}");
    assert!(
        err.contains("refused the credentials of user \"web\""),
        "{err}"
    );
    assert!(!err.contains("wrong-pass"), "{err}");
}

#[test]
fn bad_cluster_flags_stop_the_server_at_start_naming_the_flag() {
    for (args, expected) in [
        (vec!["--redis-cluster", ""], "--redis-cluster"),
        (
            vec![
                "--redis-cluster",
                "redis://127.0.0.1:1,,redis://127.0.0.1:2",
            ],
            "a node URL is empty",
        ),
        (
            vec!["--redis-cluster", "redis://127.0.0.1:1,127.0.0.1:2"],
            "\"127.0.0.1:2\" is not a Redis URL",
        ),
        (
            vec!["--redis-cluster", "redis://127.0.0.1:1/0?protocol=nonsense"],
            "--redis-cluster: invalid Redis store configuration",
        ),
        (
            vec![
                "--redis",
                "redis://127.0.0.1:1",
                "--redis-cluster",
                "redis://127.0.0.1:2",
            ],
            "cannot be used with",
        ),
        (vec!["--redis-username", "web"], "--redis"),
        (
            vec!["--redis", "redis://127.0.0.1:1", "--shards", "0"],
            "--shards",
        ),
        (
            vec!["--redis", "redis://127.0.0.1:1", "--shards", "65"],
            "--shards",
        ),
        // Shards spread an app's keys in Redis; the memory store has no use for them.
        (vec!["--shards", "16"], "--redis"),
    ] {
        let err = refused(&args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn with_sixteen_shards_one_app_spreads_over_every_master() {
    let cluster = Cluster::start(3);
    let nodes = cluster.urls().join(",");
    let s = Server::start(&["--redis-cluster", &nodes, "--shards", "16"]);
    let mut tokens = Vec::new();
    for i in 0..60 {
        let (status, body) = send("PUT", &s.url(&format!("/shop/create/user{i}?ip=::1")), None);
        assert_eq!(status, 200, "{body}");
        tokens.push(body["token"].as_str().unwrap().to_owned());
    }
    for node in &cluster.nodes {
        let keys = node.cmd(&["KEYS", "rs:{shop:*}:s:*"]);
        assert!(
            keys.lines().count() >= 5,
            "node {} holds some of the one app's sessions: {keys}",
            node.port
        );
    }
    let (_, body) = send("GET", &s.url("/shop/activity?dt=600"), None);
    assert_eq!(body, json!({"activity": 60}));
    let (_, body) = send("GET", &s.url("/shop/soapp?dt=600"), None);
    assert_eq!(body["sessions"].as_array().unwrap().len(), 60);
    let (status, body) = send("GET", &s.url(&format!("/shop/get/{}", tokens[7])), None);
    assert_eq!((status, body["id"].clone()), (200, json!("user7")));
    let (_, body) = send("DELETE", &s.url("/shop/killall"), None);
    assert_eq!(body, json!({"kill": 60}));
    s.stop();
}
