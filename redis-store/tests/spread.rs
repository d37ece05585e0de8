//! One app over 16 shards on Redis Clusters of 3, 4 and 6 masters: with 30,000 sessions and a
//! mixed create/get/set load, every master holds and serves its part. Each master's part is
//! measured as Redis reports it (`INFO keyspace`, `INFO commandstats`), printed as a table, and
//! checked: each master holds ⌊16/M⌋ or ⌈16/M⌉ of the shards, and its share of the sessions
//! and of the commands is within 20% of its shards' share (with 3 masters, that is 25% to 42%).

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use common::{Cluster, RedisServer};
use session_core::{App, AsyncSessions, Create, Patch, Shards, Token};
use session_core_redis::RedisStore;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const SHARDS: u32 = 16;
const USERS: usize = 10_000;
const PER_USER: usize = 3;
/// Operations of the mixed load after the sessions exist: creates, gets and sets.
const MIXED: usize = 30_000;
const IN_FLIGHT: usize = 64;

/// Commands the client sends to learn the cluster, not to keep sessions.
const ADMIN: [&str; 8] = [
    "cluster", "info", "config", "ping", "client", "hello", "script", "readonly",
];

/// One master's part.
#[derive(Debug)]
struct Part {
    port: u16,
    shards: usize,
    keys: u64,
    sessions: u64,
    commands: u64,
}

fn keys_of(node: &RedisServer) -> u64 {
    let info = node.cmd(&["INFO", "keyspace"]);
    info.lines()
        .find_map(|l| l.strip_prefix("db0:keys="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn commands_of(node: &RedisServer) -> u64 {
    let info = node.cmd(&["INFO", "commandstats"]);
    info.lines()
        .filter_map(|l| l.strip_prefix("cmdstat_"))
        .filter_map(|l| l.split_once(":calls="))
        .filter(|(name, _)| !ADMIN.iter().any(|a| name.starts_with(a)))
        .filter_map(|(_, rest)| rest.split(',').next()?.parse::<u64>().ok())
        .sum()
}

/// Whether `node` serves `slot`: the slot ranges of its own line of `CLUSTER NODES` (fields
/// from the ninth on).
fn owns(node: &RedisServer, slot: u16) -> bool {
    let nodes = node.cmd(&["CLUSTER", "NODES"]);
    let me = nodes.lines().find(|l| l.contains("myself")).unwrap();
    me.split_whitespace().skip(8).any(|range| {
        let (a, b) = range.split_once('-').unwrap_or((range, range));
        match (a.parse::<u16>(), b.parse::<u16>()) {
            (Ok(a), Ok(b)) => (a..=b).contains(&slot),
            _ => false,
        }
    })
}

async fn load(masters: usize) -> Vec<Part> {
    let cluster = Cluster::start(masters);
    let store = RedisStore::connect_cluster(cluster.urls()).await.unwrap();
    let shards = Shards::new(SHARDS).unwrap();
    let sessions = Arc::new(
        AsyncSessions::new(store)
            .with_shards(shards)
            .with_auto_sweep(None),
    );
    for node in &cluster.nodes {
        node.cmd(&["CONFIG", "RESETSTAT"]);
    }
    let tokens: Arc<Vec<std::sync::Mutex<Option<Token>>>> =
        Arc::new((0..USERS * PER_USER).map(|_| Default::default()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    // The sessions, created by IN_FLIGHT workers at once.
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (sessions, tokens, next) = (sessions.clone(), tokens.clone(), next.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= USERS * PER_USER {
                    return;
                }
                let create = Create::new("shop", format!("user{}", i % USERS), "10.0.0.1");
                let t = sessions.create(create).await.unwrap();
                *tokens[i].lock().unwrap() = Some(t);
            }
        });
    }
    while let Some(r) = workers.join_next().await {
        r.unwrap();
    }
    // The mixed load: 10% creates, 60% gets, 30% sets, spread over the sessions.
    let next = Arc::new(AtomicUsize::new(0));
    for _ in 0..IN_FLIGHT {
        let (sessions, tokens, next) = (sessions.clone(), tokens.clone(), next.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= MIXED {
                    return;
                }
                let pick = (i * 7919) % tokens.len();
                let token = tokens[pick].lock().unwrap().clone().unwrap();
                match i % 10 {
                    0 => {
                        let create = Create::new("shop", format!("new{i}"), "10.0.0.2");
                        sessions.create(create).await.unwrap();
                    }
                    1..=6 => assert!(sessions.get("shop", &token).await.unwrap().is_some()),
                    _ => {
                        let d = Patch::new().set("n", i as i64);
                        assert!(sessions.set("shop", &token, d).await.unwrap().is_some());
                    }
                }
            }
        });
    }
    while let Some(r) = workers.join_next().await {
        r.unwrap();
    }
    let app = App::new("shop").unwrap();
    cluster
        .nodes
        .iter()
        .map(|node| Part {
            port: node.port,
            shards: shards.tags(app).filter(|t| owns(node, t.slot())).count(),
            keys: keys_of(node),
            sessions: node
                .cmd(&["KEYS", "rs:{shop:*}:s:*"])
                .lines()
                .filter(|l| l.contains(":s:"))
                .count() as u64,
            commands: commands_of(node),
        })
        .collect()
}

fn check(masters: usize, parts: &[Part]) {
    let total = |f: fn(&Part) -> u64| parts.iter().map(f).sum::<u64>() as f64;
    let (sessions, commands, keys) = (
        total(|p| p.sessions),
        total(|p| p.commands),
        total(|p| p.keys),
    );
    eprintln!("\n{masters} masters, one app over {SHARDS} shards:");
    eprintln!("| master | shards | sessions | keys | commands |");
    eprintln!("|---|---:|---:|---:|---:|");
    for p in parts {
        eprintln!(
            "| :{} | {} | {:.1}% | {:.1}% | {:.1}% |",
            p.port,
            p.shards,
            100.0 * p.sessions as f64 / sessions,
            100.0 * p.keys as f64 / keys,
            100.0 * p.commands as f64 / commands,
        );
    }
    let k = SHARDS as usize;
    assert_eq!(sessions as usize, USERS * PER_USER + MIXED / 10);
    assert_eq!(parts.iter().map(|p| p.shards).sum::<usize>(), k);
    for p in parts {
        assert!(
            (k / masters..=k.div_ceil(masters)).contains(&p.shards),
            "{masters} masters: :{} holds {} shards",
            p.port,
            p.shards
        );
        let expected = p.shards as f64 / k as f64;
        for (what, share) in [
            ("sessions", p.sessions as f64 / sessions),
            ("keys", p.keys as f64 / keys),
            ("commands", p.commands as f64 / commands),
        ] {
            assert!(
                (0.8 * expected..=1.2 * expected).contains(&share),
                "{masters} masters: :{} has {:.1}% of the {what}, for {:.1}% of the shards",
                p.port,
                100.0 * share,
                100.0 * expected
            );
            if masters == 3 {
                assert!((0.25..=0.42).contains(&share), "{what}: {share}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_app_over_sixteen_shards_spreads_over_3_4_and_6_masters() {
    for masters in [3, 4, 6] {
        let parts = load(masters).await;
        check(masters, &parts);
    }
}
