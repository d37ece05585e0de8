//! The store contract ([`crate::store`]'s docs), checked straight on `apply`: all or nothing,
//! versions, reads of earlier writes, sorted-set order and bounds, empty sets, the score
//! range and the largest batch.

use crate::keys::{Key, Tag};
use crate::store::{
    ApplyError, AsyncStore, Batch, Command, Expect, MAX_BATCH, Member, Reply, SyncStore,
};
use crate::token::Handle;
use crate::validate::{App, UserId};
use std::future::Future;

/// A store under test, as the checks call it.
pub(crate) trait Apply {
    fn apply(&self, batch: Batch) -> impl Future<Output = Result<Vec<Reply>, ApplyError>>;
}

/// A [`SyncStore`] under test.
pub(crate) struct Sync<'a, S>(pub(crate) &'a S);

impl<S: SyncStore> Apply for Sync<'_, S> {
    async fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        self.0.apply(batch)
    }
}

/// An [`AsyncStore`] under test.
pub(crate) struct Async<'a, S>(pub(crate) &'a S);

impl<S: AsyncStore> Apply for Async<'_, S> {
    async fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        self.0.apply(batch).await
    }
}

/// The largest score a store must hold exactly (2^53 − 1).
const MAX_SCORE: u64 = (1 << 53) - 1;

fn app(name: &str) -> Tag {
    App::new(name)
        .unwrap_or_else(|_| unreachable!("a valid app name"))
        .into()
}

fn handle(n: u32) -> Handle {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    Handle::from_bytes(bytes)
}

fn user(name: &str) -> UserId {
    UserId::new(name).unwrap_or_else(|_| unreachable!("a valid user id"))
}

fn put(key: &Key, value: &[u8], expect: Expect) -> Command {
    Command::Put {
        key: key.clone(),
        value: value.to_vec(),
        ttl_ms: 60_000,
        expect,
    }
}

fn get(key: &Key) -> Command {
    Command::Get {
        key: key.clone(),
        cached: false,
    }
}

/// Runs every check against a fresh, empty store; one line per failed check.
pub(crate) async fn check(store: &impl Apply) -> Vec<String> {
    let mut failures = Vec::new();
    let checks: [(&str, Result<(), String>); 6] = [
        ("all or nothing", all_or_nothing(store).await),
        ("versions", versions(store).await),
        ("sorted sets", sorted_sets(store).await),
        ("zremIfEmpty", rem_if_empty(store).await),
        ("score range", score_range(store).await),
        ("largest batch", largest_batch(store).await),
    ];
    for (name, outcome) in checks {
        if let Err(e) = outcome {
            failures.push(format!("store contract / {name}: {e}"));
        }
    }
    failures
}

/// `Ok(replies)` or a message.
async fn ok(store: &impl Apply, batch: Batch) -> Result<Vec<Reply>, String> {
    store
        .apply(batch)
        .await
        .map_err(|e| format!("the store refused a batch that must apply: {e}"))
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

/// The version of the record under `key`, or `None`.
async fn version(store: &impl Apply, key: &Key) -> Result<Option<(Vec<u8>, u64)>, String> {
    match ok(store, vec![get(key)]).await?.pop() {
        Some(Reply::Record(r)) => Ok(r.map(|s| (s.value, s.version))),
        other => Err(format!("a get answered {other:?}")),
    }
}

async fn all_or_nothing(store: &impl Apply) -> Result<(), String> {
    let a = app("kit");
    let (k1, k2) = (Key::Session(a, handle(1)), Key::Session(a, handle(2)));
    let batch = vec![
        put(&k1, b"one", Expect::Any),
        Command::ZAdd {
            key: Key::Expiry(a),
            member: Member::Handle(handle(1)),
            score: 5,
        },
        put(&k2, b"two", Expect::Version(7)),
    ];
    expect_eq(
        "a batch with a failed expectation",
        store.apply(batch).await,
        Err(ApplyError::Conflict),
    )?;
    expect_eq("its first put", version(store, &k1).await?, None)?;
    let range = ok(
        store,
        vec![zrange(Key::Expiry(a), 0, u64::MAX, None, false)],
    )
    .await?;
    expect_eq("its zadd", range, vec![Reply::Members(vec![])])?;
    // Reads see the writes before them in the same batch.
    let replies = ok(store, vec![put(&k1, b"one", Expect::Absent), get(&k1)]).await?;
    match &replies[..] {
        [_, Reply::Record(Some(s))] if s.value == b"one" => Ok(()),
        other => Err(format!("a get after a put in one batch answered {other:?}")),
    }
}

async fn versions(store: &impl Apply) -> Result<(), String> {
    let k = Key::Session(app("kit"), handle(3));
    ok(store, vec![put(&k, b"a", Expect::Absent)]).await?;
    let Some((_, v1)) = version(store, &k).await? else {
        return Err("a put record is not there".into());
    };
    expect_eq(
        "a put expecting absent over a record",
        store.apply(vec![put(&k, b"x", Expect::Absent)]).await,
        Err(ApplyError::Conflict),
    )?;
    expect_eq(
        "a put expecting another version",
        store
            .apply(vec![put(&k, b"x", Expect::Version(v1 + 1))])
            .await,
        Err(ApplyError::Conflict),
    )?;
    ok(store, vec![put(&k, b"b", Expect::Version(v1))]).await?;
    let Some((value, v2)) = version(store, &k).await? else {
        return Err("a record vanished".into());
    };
    expect_eq("the value after a versioned put", value, b"b".to_vec())?;
    if v2 <= v1 {
        return Err(format!("versions must increase: {v1} then {v2}"));
    }
    expect_eq(
        "a delete expecting the old version",
        store
            .apply(vec![Command::Delete {
                key: k.clone(),
                expect: Expect::Version(v1),
            }])
            .await,
        Err(ApplyError::Conflict),
    )?;
    let del = Command::Delete {
        key: k.clone(),
        expect: Expect::Version(v2),
    };
    expect_eq(
        "a delete",
        ok(store, vec![del.clone()]).await?,
        vec![Reply::Removed(true)],
    )?;
    expect_eq("after a delete", version(store, &k).await?, None)?;
    let del_any = Command::Delete {
        key: k,
        expect: Expect::Any,
    };
    expect_eq(
        "a delete of nothing",
        ok(store, vec![del_any]).await?,
        vec![Reply::Removed(false)],
    )
}

fn zrange(key: Key, min: u64, max: u64, limit: Option<u32>, rev: bool) -> Command {
    Command::ZRange {
        key,
        min,
        max,
        limit,
        rev,
    }
}

async fn sorted_sets(store: &impl Apply) -> Result<(), String> {
    let a = app("kit");
    let key = Key::Users(a);
    // Ties sort by member bytes: "B" < "_" < "a" < "b" (byte order, not case-folded).
    let ids = ["b", "a", "_", "B", "c"];
    let scores = [10, 10, 10, 10, 5];
    let mut batch: Batch = ids
        .iter()
        .zip(scores)
        .map(|(id, score)| Command::ZAdd {
            key: key.clone(),
            member: Member::Id(user(id)),
            score,
        })
        .collect();
    // Adding a member again replaces its score.
    batch.push(Command::ZAdd {
        key: key.clone(),
        member: Member::Id(user("c")),
        score: 20,
    });
    ok(store, batch).await?;
    let names = |r: &Reply| match r {
        Reply::Members(m) => Ok(m
            .iter()
            .map(|(m, s)| format!("{}:{s}", m.as_text()))
            .collect::<Vec<_>>()),
        other => Err(format!("a zrange answered {other:?}")),
    };
    let replies = ok(
        store,
        vec![
            zrange(key.clone(), 0, u64::MAX, None, false),
            zrange(key.clone(), 10, 10, Some(2), true),
            Command::ZCount {
                key: key.clone(),
                min: 10,
                max: 20,
            },
            Command::ZRem {
                key: key.clone(),
                member: Member::Id(user("zz")),
            },
        ],
    )
    .await?;
    expect_eq(
        "zrange (ties by member bytes)",
        names(&replies[0])?.join(" "),
        "B:10 _:10 a:10 b:10 c:20".to_owned(),
    )?;
    expect_eq(
        "zrange rev with a limit",
        names(&replies[1])?.join(" "),
        "b:10 a:10".to_owned(),
    )?;
    expect_eq("zcount", replies[2].clone(), Reply::Count(5))?;
    expect_eq(
        "zrem of a stranger",
        replies[3].clone(),
        Reply::Removed(false),
    )?;
    let rem: Batch = ids
        .iter()
        .map(|id| Command::ZRem {
            key: key.clone(),
            member: Member::Id(user(id)),
        })
        .collect();
    let replies = ok(store, rem).await?;
    expect_eq(
        "zrem of members",
        replies,
        vec![Reply::Removed(true); ids.len()],
    )?;
    let left = ok(store, vec![zrange(key, 0, u64::MAX, None, false)]).await?;
    expect_eq("an emptied set", left, vec![Reply::Members(vec![])])
}

async fn rem_if_empty(store: &impl Apply) -> Result<(), String> {
    let a = app("kit");
    let watched = Key::UserSessions(a, user("w"));
    let users = Key::Users(a);
    let member = || Member::Id(user("w"));
    let batch = vec![
        Command::ZAdd {
            key: users.clone(),
            member: member(),
            score: 1,
        },
        Command::ZAdd {
            key: watched.clone(),
            member: Member::Handle(handle(9)),
            score: 1,
        },
        Command::ZRemIfEmpty {
            key: users.clone(),
            member: member(),
            watched: watched.clone(),
        },
        Command::ZRem {
            key: watched.clone(),
            member: Member::Handle(handle(9)),
        },
        // The watched set is empty now (and so does not exist): this one removes.
        Command::ZRemIfEmpty {
            key: users.clone(),
            member: member(),
            watched,
        },
    ];
    let replies = ok(store, batch).await?;
    expect_eq(
        "zremIfEmpty while watched has a member, then without",
        (replies[2].clone(), replies[4].clone()),
        (Reply::Removed(false), Reply::Removed(true)),
    )
}

async fn score_range(store: &impl Apply) -> Result<(), String> {
    let key = Key::Expiry(app("kit"));
    let batch = vec![
        Command::ZAdd {
            key: key.clone(),
            member: Member::Handle(handle(1)),
            score: MAX_SCORE,
        },
        Command::ZAdd {
            key: key.clone(),
            member: Member::Handle(handle(2)),
            score: MAX_SCORE - 1,
        },
        Command::ZAdd {
            key: key.clone(),
            member: Member::Handle(handle(3)),
            score: 0,
        },
        zrange(key.clone(), MAX_SCORE - 1, u64::MAX, None, false),
        Command::ZCount {
            key,
            min: 0,
            max: u64::MAX,
        },
    ];
    let replies = ok(store, batch).await?;
    let want = Reply::Members(vec![
        (Member::Handle(handle(2)), MAX_SCORE - 1),
        (Member::Handle(handle(1)), MAX_SCORE),
    ]);
    expect_eq("scores up to 2^53 - 1, exactly", replies[3].clone(), want)?;
    expect_eq(
        "a count with no upper bound",
        replies[4].clone(),
        Reply::Count(3),
    )
}

async fn largest_batch(store: &impl Apply) -> Result<(), String> {
    let a = app("kit2");
    let key = Key::Expiry(a);
    let n = u32::try_from(MAX_BATCH).unwrap_or(u32::MAX);
    let batch: Batch = (0..n)
        .map(|i| Command::ZAdd {
            key: key.clone(),
            member: Member::Handle(handle(i)),
            score: u64::from(i),
        })
        .collect();
    expect_eq(
        "replies to a batch of MAX_BATCH commands",
        ok(store, batch).await?.len(),
        MAX_BATCH,
    )?;
    let count = ok(
        store,
        vec![Command::ZCount {
            key,
            min: 0,
            max: u64::MAX,
        }],
    )
    .await?;
    expect_eq(
        "members after it",
        count,
        vec![Reply::Count(MAX_BATCH as u64)],
    )
}
