//! The store against a literal reading of the protocol: random batches, same replies, same
//! dump. The layout packs keys into shared slots; this checks nothing leaks between them.

use super::snapshot::{Entry, Walk};
use super::{MemoryStore, Snapshot};
use crate::keys::Key;
use crate::store::{ApplyError, Batch, Command, Expect, Member, Reply, Stored, SyncStore};
use crate::token::Handle;
use crate::validate::{App, UserId};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The protocol, read literally: records and sorted sets by rendered key.
#[derive(Default)]
struct Reference {
    records: BTreeMap<String, (Vec<u8>, u64)>,
    sets: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Reference {
    fn apply(&mut self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        for cmd in &batch {
            if let Some(e) = cmd.expectation() {
                let current = self.records.get(&cmd.key().render("rs")).map(|r| r.1);
                if !e.holds(current) {
                    return Err(ApplyError::Conflict);
                }
            }
        }
        Ok(batch.into_iter().map(|c| self.run(c)).collect())
    }

    fn run(&mut self, cmd: Command) -> Reply {
        let key = cmd.key().render("rs");
        let set = self.sets.get(&key);
        let inside = |min: u64, max: u64| -> Vec<(String, u64)> {
            let mut v: Vec<(String, u64)> = set
                .into_iter()
                .flatten()
                .filter(|(_, s)| (min..=max).contains(*s))
                .map(|(m, s)| (m.clone(), *s))
                .collect();
            v.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
            v
        };
        match cmd {
            Command::Get { .. } => Reply::Record(self.records.get(&key).map(|(v, n)| Stored {
                value: v.clone(),
                version: *n,
            })),
            Command::Put { value, .. } => {
                let version = self.records.get(&key).map_or(1, |r| r.1 + 1);
                self.records.insert(key, (value, version));
                Reply::Done
            }
            Command::Delete { .. } => Reply::Removed(self.records.remove(&key).is_some()),
            Command::ZAdd { member, score, .. } => {
                let member = member.as_text().into_owned();
                self.sets.entry(key).or_default().insert(member, score);
                Reply::Done
            }
            Command::ZRem { member, .. } => Reply::Removed(self.zrem(&key, &member.as_text())),
            Command::ZRemIfEmpty {
                member, watched, ..
            } => {
                let empty = !self.sets.contains_key(&watched.render("rs"));
                Reply::Removed(empty && self.zrem(&key, &member.as_text()))
            }
            Command::ZRange {
                min,
                max,
                limit,
                rev,
                key: set,
            } => {
                let mut v = inside(min, max);
                if rev {
                    v.reverse();
                }
                v.truncate(limit.map_or(usize::MAX, |l| l as usize));
                let kind = set.member_kind().unwrap();
                let typed = v
                    .into_iter()
                    .map(|(m, s)| (Member::from_text(kind, &m).unwrap(), s));
                Reply::Members(typed.collect())
            }
            Command::ZCount { min, max, .. } => Reply::Count(inside(min, max).len() as u64),
        }
    }

    fn zrem(&mut self, key: &str, member: &str) -> bool {
        let Some(set) = self.sets.get_mut(key) else {
            return false;
        };
        let removed = set.remove(member).is_some();
        if set.is_empty() {
            self.sets.remove(key);
        }
        removed
    }

    fn dump(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .records
            .iter()
            .map(|(k, (v, n))| (k.clone(), format!("v{n} {v:?}")))
            .collect();
        for (k, set) in &self.sets {
            let mut m: Vec<String> = set.iter().map(|(m, s)| format!("{m}={s}")).collect();
            m.sort();
            out.push((k.clone(), m.join(",")));
        }
        out.sort();
        out
    }
}

/// Few names, so that commands collide: user ids (one longer than a slot holds inline), and
/// as many handles (whose text order differs from their byte order).
const NAMES: [&str; 4] = [
    "u1",
    "u2",
    "a-name-longer-than-thirty-bytes-so-it-lives-on-the-heap",
    "é",
];

fn handle(i: usize) -> Handle {
    // Bytes 0x00.., 0xf8.., 0x3f..: texts "AA…", "-A…", "Pw…" sort unlike the bytes.
    Handle::from_bytes([[0u8; 16], [0xf8; 16], [0x3f; 16], [7; 16]][i % 4])
}

/// A sorted-set key with a member of the kind it holds.
fn set_and_member() -> impl Strategy<Value = (Key, Member)> + Clone {
    let app = prop::sample::select(vec!["app", "other"]).prop_map(App::from_stored);
    (app, 0..4usize, 0..4usize).prop_map(|(a, k, n)| match k {
        0 => (Key::Expiry(a.into()), Member::Handle(handle(n))),
        1 => (
            Key::Users(a.into()),
            Member::Id(UserId::from_stored(NAMES[n])),
        ),
        2 => (
            Key::UserSessions(a.into(), UserId::from_stored(NAMES[n])),
            Member::Handle(handle(n + 1)),
        ),
        _ => (Key::Apps, Member::App(a)),
    })
}

fn command() -> impl Strategy<Value = Command> {
    let app = prop::sample::select(vec!["app", "other"]).prop_map(App::from_stored);
    let set = || set_and_member().prop_map(|(k, _)| k);
    let record = (app, 0..4usize).prop_map(|(a, n)| Key::Session(a.into(), handle(n)));
    let expect = prop_oneof![
        Just(Expect::Any),
        Just(Expect::Absent),
        (1..3u64).prop_map(Expect::Version)
    ];
    let score = 0..4u64;
    prop_oneof![
        (record.clone(), any::<bool>()).prop_map(|(key, cached)| Command::Get { key, cached }),
        (
            record.clone(),
            prop::collection::vec(any::<u8>(), 0..3),
            expect.clone()
        )
            .prop_map(|(key, value, expect)| Command::Put {
                key,
                value,
                ttl_ms: 0,
                expect
            }),
        (record, expect).prop_map(|(key, expect)| Command::Delete { key, expect }),
        (set_and_member(), score.clone()).prop_map(|((key, member), score)| Command::ZAdd {
            key,
            member,
            score
        }),
        set_and_member().prop_map(|(key, member)| Command::ZRem { key, member }),
        (set_and_member(), set()).prop_map(|((key, member), watched)| {
            Command::ZRemIfEmpty {
                key,
                member,
                watched,
            }
        }),
        (
            set(),
            score.clone(),
            score.clone(),
            prop::option::of(0..3u32),
            any::<bool>()
        )
            .prop_map(|(key, min, max, limit, rev)| Command::ZRange {
                key,
                min,
                max,
                limit,
                rev
            }),
        (set(), score.clone(), score).prop_map(|(key, min, max)| Command::ZCount { key, min, max }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn behaves_like_the_protocol(
        batches in prop::collection::vec(prop::collection::vec(command(), 1..4), 1..40)
    ) {
        let store = MemoryStore::new();
        let mut reference = Reference::default();
        for batch in batches {
            prop_assert_eq!(store.apply(batch.clone()), reference.apply(batch));
            prop_assert_eq!(store.dump(), reference.dump());
        }
        prop_assert_eq!(store.record_count(), reference.records.len());
    }
}

/// The records `store` holds now, as a snapshot lists them, sorted.
fn records(store: &MemoryStore) -> Vec<Entry> {
    let inner = store.lock();
    let mut all: Vec<Entry> = inner
        .apps
        .iter()
        .flat_map(|(tag, space)| {
            (0..space.slots())
                .filter_map(|i| space.record_at(i))
                .map(|(h, value)| {
                    let app = tag.app().as_str().to_owned();
                    (
                        app,
                        tag.shard(),
                        tag.shards().count(),
                        *h.as_bytes(),
                        value.to_vec(),
                    )
                })
        })
        .collect();
    all.sort();
    all
}

/// The entries of a snapshot, read back as the file format says, sorted.
fn entries(snapshot: &Snapshot) -> Vec<Entry> {
    let mut bytes = Vec::new();
    snapshot.write_to(&mut bytes).unwrap();
    assert_eq!(bytes.len(), snapshot.byte_len());
    let list = bytes.strip_prefix(b"SCSNAP\x03").unwrap();
    let mut all: Vec<Entry> = postcard::from_bytes(list).unwrap();
    all.sort();
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// A snapshot walked in steps of a few slots, with random batches between the steps
    /// (records written, deleted, moved to other slots, whole apps emptied and filled again),
    /// holds exactly the records of the instant it began.
    #[test]
    fn a_snapshot_in_steps_is_the_store_at_its_cut(
        before in prop::collection::vec(prop::collection::vec(command(), 1..4), 0..24),
        during in prop::collection::vec(
            prop::collection::vec(prop::collection::vec(command(), 1..4), 0..4),
            1..12,
        ),
        step in 1..4usize,
    ) {
        let store = MemoryStore::new();
        for batch in before {
            let _ = store.apply(batch);
        }
        let at_cut = records(&store);
        let mut walk = Walk::begin(&store);
        for batches in during {
            walk.step(step);
            for batch in batches {
                let _ = store.apply(batch);
            }
        }
        let after = records(&store);
        let snapshot = walk.finish();
        prop_assert_eq!(snapshot.sessions(), at_cut.len());
        prop_assert_eq!(entries(&snapshot), at_cut);
        // The walk ended its cut, and took nothing from the store.
        prop_assert!(store.lock().cut.is_none());
        prop_assert_eq!(records(&store), after);
    }
}

/// Writes may be refused (the REST server's `--on-snapshot-error refuse-writes`): a batch
/// that writes fails with the reason given and changes nothing; reads still answer.
#[test]
fn refused_writes_change_nothing_and_reads_still_answer() {
    let store = MemoryStore::new();
    let key = Key::Session(App::from_stored("app").into(), handle(0));
    let put = |value: &[u8]| {
        vec![Command::Put {
            key: key.clone(),
            value: value.to_vec(),
            ttl_ms: 0,
            expect: Expect::Any,
        }]
    };
    let get = vec![Command::Get {
        key: key.clone(),
        cached: false,
    }];
    store.apply(put(b"one")).unwrap();
    let before = store.dump();
    store.refuse_writes(Some("the disk is full".into()));
    let read_then_write = vec![get[0].clone(), put(b"two").remove(0)];
    for batch in [put(b"two"), read_then_write] {
        assert_eq!(
            store.apply(batch),
            Err(ApplyError::Store("the disk is full".into()))
        );
    }
    assert_eq!(store.dump(), before);
    let stored = Stored {
        value: b"one".to_vec(),
        version: 1,
    };
    assert_eq!(
        store.apply(get.clone()),
        Ok(vec![Reply::Record(Some(stored))])
    );
    store.refuse_writes(None);
    assert_eq!(store.apply(put(b"two")), Ok(vec![Reply::Done]));
}
