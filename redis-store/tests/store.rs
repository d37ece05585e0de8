//! The store protocol on a real redis-server: the same replies as the reference
//! `MemoryStore` for thousands of random batches, all-or-nothing conflicts, the record layout,
//! refused batches that never reach Redis, and script reloading.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use common::RedisServer;
use session_core::store::{
    ApplyError, AsyncStore, Batch, Command, Expect, Member, Reply, SyncStore,
};
use session_core::{App, Handle, Key, MemoryStore, Tag, Token, UserId};
use session_core_redis::{RedisConfig, RedisStore};

fn app(name: &str) -> App {
    App::new(name).unwrap()
}

/// The one tag of an app with one shard.
fn tag(name: &str) -> Tag {
    app(name).into()
}

fn handle(n: u8) -> Handle {
    let c = char::from(b'a' + n);
    Token::new(c.to_string().repeat(64)).unwrap().handle()
}

fn session(a: &str, n: u8) -> Key {
    Key::Session(tag(a), handle(n))
}

/// A tiny deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }
}

fn pick_str<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    let picked: &&str = rng.pick(items);
    picked
}

fn id(name: &str) -> Member {
    Member::Id(UserId::new(name).unwrap())
}

fn random_batch(rng: &mut Rng) -> Batch {
    let ids = ["a", "b", "c", "é", "user@example.com", "Z"];
    let scores = [0, 5, 5, 7, 1_700_000_000_000, u64::MAX];
    if rng.below(10) == 0 {
        // The app registry, alone (never a lone ZADD: the store enters an app at most once a
        // minute, see `registry_entries_coalesce`).
        return (0..=1 + rng.below(2))
            .map(|_| match rng.below(3) {
                0 => Command::ZAdd {
                    key: Key::Apps,
                    member: Member::App(app(pick_str(rng, &["shop", "blog"]))),
                    score: *rng.pick(&scores),
                },
                1 => Command::ZRem {
                    key: Key::Apps,
                    member: Member::App(app("shop")),
                },
                _ => Command::ZRange {
                    key: Key::Apps,
                    min: 0,
                    max: u64::MAX,
                    limit: None,
                    rev: false,
                },
            })
            .collect();
    }
    let a = *rng.pick(&["shop", "blog"]);
    let zsets = [
        Key::Users(tag(a)),
        Key::Expiry(tag(a)),
        Key::UserSessions(tag(a), UserId::new("u1").unwrap()),
    ];
    (0..=rng.below(6))
        .map(|_| {
            let record = session(a, u8::try_from(rng.below(3)).unwrap());
            let zset = rng.pick(&zsets).clone();
            // A member of the kind the set holds.
            let member = match zset {
                Key::Users(_) => id(pick_str(rng, &ids)),
                _ => Member::Handle(handle(u8::try_from(rng.below(6)).unwrap())),
            };
            let expect = match rng.below(4) {
                0 => Expect::Any,
                1 => Expect::Absent,
                _ => Expect::Version(1 + rng.below(3)),
            };
            let (x, y) = (*rng.pick(&scores), *rng.pick(&scores));
            match rng.below(9) {
                0 | 1 => Command::Get {
                    key: record,
                    cached: rng.below(2) == 0,
                },
                2 => Command::Put {
                    key: record,
                    value: rng.next().to_le_bytes().to_vec(),
                    ttl_ms: 60_000,
                    expect,
                },
                3 => Command::Delete {
                    key: record,
                    expect,
                },
                4 => Command::ZAdd {
                    key: zset,
                    member,
                    score: x.min(1_700_000_000_000),
                },
                5 => Command::ZRem { key: zset, member },
                6 => Command::ZRange {
                    key: zset,
                    min: x.min(y),
                    max: x.max(y),
                    limit: [None, Some(0), Some(1), Some(3)]
                        [usize::try_from(rng.below(4)).unwrap()],
                    rev: rng.below(2) == 0,
                },
                7 => Command::ZCount {
                    key: zset,
                    min: x.min(y),
                    max: x.max(y),
                },
                _ => Command::ZRemIfEmpty {
                    key: zset,
                    member,
                    watched: rng.pick(&zsets).clone(),
                },
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_batches_answer_like_the_memory_store() {
    let server = RedisServer::start();
    // RESP2 here (the default is RESP3, which the other tests use), so that every reply
    // shape is checked in both protocols. No pause after conflicts: they are expected here,
    // one batch at a time.
    let redis = RedisConfig::new(format!("{}?protocol=resp2", server.url()))
        .conflict_backoff(std::time::Duration::ZERO)
        .connect()
        .await
        .unwrap();
    let memory = MemoryStore::new();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let (mut conflicts, mut applied) = (0, 0);
    for i in 0..3_000 {
        let batch = random_batch(&mut rng);
        let want = memory.apply(batch.clone());
        let got = redis.apply(batch.clone()).await;
        assert_eq!(got, want, "batch {i}: {batch:?}");
        match want {
            Err(_) => conflicts += 1,
            Ok(_) => applied += 1,
        }
    }
    // Both outcomes were exercised plenty.
    assert!(
        conflicts > 300 && applied > 1_000,
        "{conflicts} / {applied}"
    );
}

#[tokio::test]
async fn a_failed_expectation_applies_nothing() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let put = |expect| Command::Put {
        key: session("shop", 0),
        value: b"v1".to_vec(),
        ttl_ms: 60_000,
        expect,
    };
    assert_eq!(
        store.apply(vec![put(Expect::Absent)]).await,
        Ok(vec![Reply::Done])
    );
    let batch = vec![
        Command::ZAdd {
            key: Key::Users(tag("shop")),
            member: id("u1"),
            score: 1,
        },
        Command::Delete {
            key: session("shop", 1),
            expect: Expect::Any,
        },
        put(Expect::Version(2)),
    ];
    assert_eq!(store.apply(batch).await, Err(ApplyError::Conflict));
    assert_eq!(server.cmd(&["EXISTS", "rs:{shop}:_users"]), "0");
    assert_eq!(
        server.cmd(&["GET", &session("shop", 0).render("rs")]),
        "1:v1"
    );
}

#[tokio::test]
async fn a_record_is_its_version_then_its_bytes_with_the_ttl_hint() {
    let server = RedisServer::start();
    let store = RedisConfig::new(server.url())
        .namespace("sess")
        .connect()
        .await
        .unwrap();
    let key = session("shop", 0);
    for (i, expect) in [Expect::Absent, Expect::Version(1), Expect::Any]
        .into_iter()
        .enumerate()
    {
        let put = Command::Put {
            key: key.clone(),
            value: format!("bytes{i}").into_bytes(),
            ttl_ms: 90_000,
            expect,
        };
        store.apply(vec![put]).await.unwrap();
    }
    let rendered = key.render("sess");
    assert!(rendered.starts_with("sess:{shop}:s:"));
    assert_eq!(server.cmd(&["GET", &rendered]), "3:bytes2");
    let pttl: u64 = server.cmd(&["PTTL", &rendered]).parse().unwrap();
    assert!(pttl > 80_000 && pttl <= 90_000, "{pttl}");
    let read = store
        .apply(vec![Command::Get { key, cached: false }])
        .await
        .unwrap();
    assert_eq!(
        read,
        [Reply::Record(Some(session_core::store::Stored {
            value: b"bytes2".to_vec(),
            version: 3
        }))]
    );
}

#[tokio::test]
async fn foreign_data_is_a_store_error_and_changes_nothing() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let key = session("shop", 0).render("rs");
    let put = Command::Put {
        key: session("shop", 0),
        value: vec![1],
        ttl_ms: 1_000,
        expect: Expect::Any,
    };
    let add = Command::ZAdd {
        key: Key::Users(tag("shop")),
        member: id("u1"),
        score: 1,
    };
    // A record key that holds a hash.
    server.cmd(&["HSET", &key, "v", "1"]);
    let e = store
        .apply(vec![add.clone(), put.clone()])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApplyError::Store(m) if m.contains("does not hold a session record")),
        "{e:?}"
    );
    assert_eq!(server.cmd(&["EXISTS", "rs:{shop}:_users"]), "0");
    // A record without a version.
    server.cmd(&["DEL", &key]);
    server.cmd(&["SET", &key, "no version"]);
    let e = store
        .apply(vec![add.clone(), put.clone()])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApplyError::Store(m) if m.contains("corrupt record")),
        "{e:?}"
    );
    assert_eq!(server.cmd(&["GET", &key]), "no version");
    let read = Command::Get {
        key: session("shop", 0),
        cached: false,
    };
    let e = store.apply(vec![read]).await.unwrap_err();
    assert!(
        matches!(&e, ApplyError::Store(m) if m.contains("no version")),
        "{e:?}"
    );
    // A sorted set that holds a string.
    server.cmd(&["DEL", &key]);
    server.cmd(&["SET", "rs:{shop}:_users", "x"]);
    let e = store.apply(vec![put, add]).await.unwrap_err();
    assert!(
        matches!(&e, ApplyError::Store(m) if m.contains("holds a string, not a zset")),
        "{e:?}"
    );
    assert_eq!(server.cmd(&["EXISTS", &key]), "0");
}

#[tokio::test]
async fn cached_reads_stay_right_when_another_process_writes() {
    let server = RedisServer::start();
    let a = RedisStore::connect(&server.url()).await.unwrap();
    let b = RedisStore::connect(&server.url()).await.unwrap();
    let key = session("shop", 0);
    let put = |value: &[u8], expect| Command::Put {
        key: key.clone(),
        value: value.to_vec(),
        ttl_ms: 60_000,
        expect,
    };
    let read = || Command::Get {
        key: key.clone(),
        cached: true,
    };
    let record = |value: &[u8], version| {
        Reply::Record(Some(session_core::store::Stored {
            value: value.to_vec(),
            version,
        }))
    };
    a.apply(vec![put(b"one", Expect::Absent)]).await.unwrap();
    // Whether a read reached Redis (INFO counts the scripts' GETs too, so only reads).
    let server = &server;
    let reaches_redis = |store: &RedisStore, cmd: Command| {
        let store = store.clone();
        let before = server.calls("get");
        async move {
            let reply = store.apply(vec![cmd]).await.unwrap();
            (reply, server.calls("get") > before)
        }
    };
    // `a` wrote it, so it answers a cached read without asking Redis.
    assert_eq!(
        reaches_redis(&a, read()).await,
        (vec![record(b"one", 1)], false)
    );
    // Another process changes it: `a`'s copy is stale, and its write conflicts...
    b.apply(vec![put(b"two", Expect::Version(1))])
        .await
        .unwrap();
    assert_eq!(
        reaches_redis(&a, read()).await,
        (vec![record(b"one", 1)], false)
    );
    assert_eq!(
        a.apply(vec![put(b"three", Expect::Version(1))]).await,
        Err(ApplyError::Conflict)
    );
    // ...which brought the record as it is now: the retry needs no read.
    assert_eq!(
        reaches_redis(&a, read()).await,
        (vec![record(b"two", 2)], false)
    );
    a.apply(vec![put(b"three", Expect::Version(2))])
        .await
        .unwrap();
    assert_eq!(server.cmd(&["GET", &key.render("rs")]), "3:three");
    // A read that is not validated by a write always asks Redis.
    let fresh = Command::Get {
        key: key.clone(),
        cached: false,
    };
    assert_eq!(
        reaches_redis(&a, fresh).await,
        (vec![record(b"three", 3)], true)
    );
    // Deleted elsewhere: the conflict says so, and the next read finds nothing.
    let delete = Command::Delete {
        key: key.clone(),
        expect: Expect::Any,
    };
    b.apply(vec![delete]).await.unwrap();
    assert_eq!(
        a.apply(vec![put(b"four", Expect::Version(3))]).await,
        Err(ApplyError::Conflict)
    );
    assert_eq!(a.apply(vec![read()]).await.unwrap(), [Reply::Record(None)]);
    // Without a cache, every read asks Redis.
    let c = RedisConfig::new(server.url())
        .record_cache(0)
        .connect()
        .await
        .unwrap();
    c.apply(vec![put(b"five", Expect::Absent)]).await.unwrap();
    assert_eq!(
        reaches_redis(&c, read()).await,
        (vec![record(b"five", 1)], true)
    );
}

#[tokio::test]
async fn a_lost_connection_empties_the_record_cache() {
    let mut server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let key = session("shop", 0);
    let put = Command::Put {
        key: key.clone(),
        value: b"one".to_vec(),
        ttl_ms: 60_000,
        expect: Expect::Absent,
    };
    store.apply(vec![put]).await.unwrap();
    // Redis restarts empty (as from an older snapshot). Once the store is connected again,
    // the copy from before must not be used.
    server.restart();
    let count = vec![Command::ZCount {
        key: Key::Users(tag("shop")),
        min: 0,
        max: u64::MAX,
    }];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.apply(count.clone()).await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "Redis did not come back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let read = Command::Get {
        key: key.clone(),
        cached: true,
    };
    assert_eq!(
        store.apply(vec![read]).await.unwrap(),
        [Reply::Record(None)]
    );
}

#[tokio::test]
async fn registry_entries_coalesce() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let enter = |score| {
        vec![Command::ZAdd {
            key: Key::Apps,
            member: Member::App(app("shop")),
            score,
        }]
    };
    store.apply(enter(5)).await.unwrap();
    assert_eq!(server.calls("zadd"), 1);
    // Within the minute, entering the same app again costs no round trip.
    assert_eq!(store.apply(enter(9)).await, Ok(vec![Reply::Done]));
    assert_eq!(server.calls("zadd"), 1);
    assert_eq!(server.cmd(&["ZSCORE", "rs:_apps", "shop"]), "5");
}

#[tokio::test]
async fn refused_batches_never_reach_redis() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let before = (server.calls("evalsha"), server.calls("eval"));
    assert_eq!(store.apply(Vec::new()).await, Ok(Vec::new()));
    let two_apps = vec![
        Command::ZCount {
            key: Key::Users(tag("shop")),
            min: 0,
            max: 9,
        },
        Command::ZCount {
            key: Key::Users(tag("blog")),
            min: 0,
            max: 9,
        },
    ];
    let registry_and_app = vec![
        Command::ZAdd {
            key: Key::Apps,
            member: Member::App(app("shop")),
            score: 1,
        },
        Command::Get {
            key: session("shop", 0),
            cached: false,
        },
    ];
    let wrong_kind = vec![Command::Put {
        key: Key::Expiry(tag("shop")),
        value: vec![],
        ttl_ms: 1,
        expect: Expect::Any,
    }];
    let inexact = vec![Command::ZAdd {
        key: Key::Users(tag("shop")),
        member: id("u"),
        score: u64::MAX - 1,
    }];
    for batch in [two_apps, registry_and_app, wrong_kind, inexact] {
        let e = store.apply(batch.clone()).await.unwrap_err();
        assert!(matches!(e, ApplyError::Store(_)), "{batch:?}: {e:?}");
    }
    assert_eq!((server.calls("evalsha"), server.calls("eval")), before);
    assert_eq!(server.cmd(&["DBSIZE"]), "0");
}

#[tokio::test]
async fn the_script_is_loaded_again_after_script_flush() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let count = || Command::ZCount {
        key: Key::Apps,
        min: 0,
        max: u64::MAX,
    };
    assert_eq!(store.apply(vec![count()]).await, Ok(vec![Reply::Count(0)]));
    assert_eq!(server.cmd(&["SCRIPT", "FLUSH"]), "OK");
    assert_eq!(store.apply(vec![count()]).await, Ok(vec![Reply::Count(0)]));
    // Loaded once at first use and once after the flush (Redis 7 counts `script|load`,
    // Redis 6 counts every SCRIPT subcommand as `script`).
    let loads = server.calls("script|load") + server.calls("script");
    assert!(loads >= 2, "{loads}");
}

#[tokio::test]
async fn namespaces_are_checked_and_separate() {
    let server = RedisServer::start();
    for bad in ["", "a{b}", "with space"] {
        let e = RedisConfig::new(server.url())
            .namespace(bad)
            .connect()
            .await
            .unwrap_err();
        assert!(e.to_string().contains("namespace"), "{e}");
    }
    let a = RedisStore::connect(&server.url()).await.unwrap();
    let b = a.with_namespace("other").unwrap();
    assert_eq!((a.namespace(), b.namespace()), ("rs", "other"));
    let add = Command::ZAdd {
        key: Key::Apps,
        member: Member::App(app("shop")),
        score: 1,
    };
    a.apply(vec![add]).await.unwrap();
    let count = vec![Command::ZCount {
        key: Key::Apps,
        min: 0,
        max: u64::MAX,
    }];
    assert_eq!(a.apply(count.clone()).await, Ok(vec![Reply::Count(1)]));
    assert_eq!(b.apply(count).await, Ok(vec![Reply::Count(0)]));
}

#[tokio::test]
async fn connecting_to_nothing_is_an_error_not_a_hang() {
    let server = RedisServer::start();
    let url = server.url();
    drop(server);
    let e = RedisConfig::new(url)
        .reconnect_retries(0)
        .connect()
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("cannot connect to Redis"), "{e}");
    let e = RedisStore::connect("not a url").await.unwrap_err();
    assert!(!e.to_string().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bulk_operations_run_in_large_batches() {
    use session_core::{AsyncSessions, Create, ManualClock};
    use std::sync::Arc;
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let clock = ManualClock::new(1_700_000_000_000);
    let sessions = Arc::new(
        AsyncSessions::new(store)
            .with_clock(clock.clone())
            .with_auto_sweep(None),
    );
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let sessions = sessions.clone();
            tokio::spawn(async move {
                for i in 0..150 {
                    let ttl = if i % 2 == 0 { 60 } else { 7_200 };
                    let c = Create::new("bulk", format!("u{}", i % 7), format!("10.0.{t}.{i}"));
                    sessions.create(c.ttl(ttl)).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(sessions.activity("bulk", 600).await.unwrap(), 7);
    let keys = server.cmd(&["KEYS", "rs:{bulk}:*"]).lines().count();
    assert_eq!(keys, 1_200 + 3 + 7, "records, 3 app-wide sets, 7 user sets");
    clock.advance(61_000);
    let swept = sessions.sweep(Some("bulk"), 10_000).await.unwrap();
    assert_eq!((swept.count, swept.more), (600, false));
    // u0's live sessions: odd i that are multiples of 7 (11 per task).
    assert_eq!(sessions.killsoid("bulk", "u0").await.unwrap(), 88);
    assert_eq!(sessions.killall("bulk").await.unwrap(), 600 - 88);
    let left = server.cmd(&["KEYS", "rs:{bulk}:*"]);
    assert!(left.is_empty(), "nothing of the app is left: {left}");
}

#[tokio::test]
async fn an_uncontended_access_is_one_round_trip() {
    use session_core::{AsyncSessions, Create, Patch};
    let server = RedisServer::start();
    let sessions =
        AsyncSessions::new(RedisStore::connect(&server.url()).await.unwrap()).with_auto_sweep(None);
    let token = sessions
        .create(Create::new("shop", "u1", "10.0.0.1"))
        .await
        .unwrap();
    // What reached Redis: scripts, and plain GETs (a script's own GET counts as one too).
    let seen = || (server.calls("evalsha"), server.calls("get"));
    let (scripts, gets) = seen();
    sessions.get("shop", &token).await.unwrap().unwrap();
    sessions
        .set("shop", &token, Patch::new().set("k", 1))
        .await
        .unwrap()
        .unwrap();
    sessions.touch("shop", &token).await.unwrap().unwrap();
    // Three operations, three scripts, and no read of their own: each script read the
    // record once to check its version.
    assert_eq!(seen(), (scripts + 3, gets + 3));
    // `create` is one script as well, once the app is in the registry.
    sessions
        .create(Create::new("shop", "u2", "10.0.0.1"))
        .await
        .unwrap();
    assert_eq!(server.calls("evalsha"), scripts + 4);
}
