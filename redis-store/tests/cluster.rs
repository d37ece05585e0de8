//! Sessions across a local 3-master Redis Cluster: many apps, hence many slots on every
//! node; each batch stays in its app's slot, and `sweep` walks every app from the registry.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use common::Cluster;
use session_core::{AsyncSessions, Create, ManualClock, Patch};
use session_core_redis::RedisStore;

const T0: u64 = 1_700_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_live_across_a_three_master_cluster() {
    let cluster = Cluster::start(3);
    let store = RedisStore::connect_cluster(cluster.urls()).await.unwrap();
    let clock = ManualClock::new(T0);
    let sessions = AsyncSessions::new(store)
        .with_clock(clock.clone())
        .with_auto_sweep(None);

    let apps: Vec<String> = (0..12).map(|i| format!("app{i:02}")).collect();
    let mut tokens = Vec::new();
    for app in &apps {
        // u1 has two sessions (one short-lived), u2 one.
        let long = Create::new(app.as_str(), "u1", "10.0.0.1").data(Patch::new().set("a", 1));
        let short = Create::new(app.as_str(), "u1", "10.0.0.2").ttl(60);
        let other = Create::new(app.as_str(), "u2@example.com", "::1");
        let long = sessions.create(long).await.unwrap();
        let short = sessions.create(short).await.unwrap();
        let other = sessions.create(other).await.unwrap();
        tokens.push((app.clone(), long, short, other));
    }
    for node in &cluster.nodes {
        let keys: u64 = node.cmd(&["DBSIZE"]).parse().unwrap();
        assert!(keys > 0, "node {} holds some of the apps", node.port);
    }

    for (app, long, short, _) in &tokens {
        let s = sessions.get(app, long).await.unwrap().unwrap();
        assert_eq!((s.id.as_str(), s.r, s.w), ("u1", 1, 1));
        let s = sessions
            .set(app, long.as_str(), Patch::new().set("b", "two"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.w, 2);
        assert_eq!(sessions.soid(app, "u1").await.unwrap().len(), 2);
        assert_eq!(sessions.activity(app, 600).await.unwrap(), 2);
        assert_eq!(sessions.soapp(app, 600).await.unwrap().len(), 3);
        assert!(sessions.get(app, short).await.unwrap().is_some());
    }

    // killall in one app leaves the others alone.
    assert_eq!(sessions.killall(&apps[0]).await.unwrap(), 3);
    assert_eq!(sessions.soapp(&apps[0], 600).await.unwrap().len(), 0);
    assert_eq!(sessions.soapp(&apps[1], 600).await.unwrap().len(), 3);
    assert_eq!(
        sessions.kill(&apps[1], tokens[1].3.as_str()).await.unwrap(),
        1
    );

    // The short sessions expire; one sweep over every app removes them from every index.
    clock.advance(61_000);
    let swept = sessions.sweep(None, 1_000).await.unwrap();
    assert_eq!((swept.count, swept.more), (11, false));
    for (app, long, short, _) in &tokens[1..] {
        assert!(sessions.get(app, short).await.unwrap().is_none());
        let ips: Vec<String> = sessions
            .soid(app, "u1")
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.session.ip)
            .collect();
        assert_eq!(ips, ["10.0.0.1"]);
        assert!(sessions.get(app, long).await.unwrap().is_some());
    }

    // Much later everything has expired; sweeping leaves no session record on any node.
    clock.advance(3 * 3_600_000);
    let swept = sessions.sweep(None, 10).await.unwrap();
    assert_eq!((swept.count, swept.more), (10, true));
    let swept = sessions.sweep(None, 1_000).await.unwrap();
    assert_eq!((swept.count, swept.more), (11, false));
    for node in &cluster.nodes {
        let keys = node.cmd(&["KEYS", "rs:*"]);
        assert!(
            !keys.lines().any(|k| k.contains(":s:")),
            "no session record is left on {}: {keys}",
            node.port
        );
    }
}

#[tokio::test]
async fn a_cluster_without_nodes_or_with_a_non_url_is_a_configuration_error() {
    use session_core_redis::{ConnectError, RedisConfig};
    let none: [&str; 0] = [];
    let e = RedisConfig::cluster(none).connect().await.unwrap_err();
    assert!(matches!(e, ConnectError::Config(_)), "{e:?}");
    assert!(e.to_string().contains("at least one node"), "{e}");
    assert!(!e.is_transient());
    let e = RedisConfig::cluster(["redis://127.0.0.1:7000", "not a url"])
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectError::Config(_)), "{e:?}");
    assert!(e.to_string().contains("\"not a url\""), "{e}");
    assert!(!e.is_transient());
}
