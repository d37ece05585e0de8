//! The Lua script that applies a batch, and the encoding of a batch into its KEYS and ARGV.
//!
//! The protocol is documented at the top of `apply.lua`. Everything that can be checked
//! without Redis is checked here, before any command is sent: key kinds, one hash tag per
//! batch, scores Redis can store exactly.

use session_core::Key;
use session_core::keys::MemberKind;
use session_core::store::{ApplyError, Batch, Command, Expect};
use std::collections::HashMap;
use std::sync::LazyLock;

/// The script; `redis::Script` runs it with EVALSHA and loads it again after NOSCRIPT (a
/// restarted server, a new cluster node, `SCRIPT FLUSH`).
pub(crate) static APPLY: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("apply.lua")));

/// The largest score a Redis sorted set holds exactly (scores are doubles); `u64::MAX` is the
/// exception, stored as `+inf`.
const MAX_EXACT_SCORE: u64 = 1 << 53;

/// TTL hints are capped here (about 146 million years), far below what `PEXPIRE` rejects.
const MAX_TTL_MS: u64 = 1 << 62;

/// What a command's reply must look like, to decode it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `Get`: nil or `"<version>:<bytes>"`.
    Record,
    /// `Put`: the record's new version.
    Written,
    /// `ZAdd`: anything.
    Done,
    /// `Delete`, `ZRem`, `ZRemIfEmpty`: an integer, 0 or 1.
    Removed,
    /// `ZRange`: `[member, score, ...]`, members of this kind.
    Members(MemberKind),
    /// `ZCount`: an integer.
    Count,
}

/// A batch encoded for the script.
#[derive(Debug)]
pub(crate) struct Encoded {
    /// The distinct keys, rendered under the namespace.
    pub(crate) keys: Vec<String>,
    /// The same keys, as the core names them.
    pub(crate) sources: Vec<Key>,
    /// The kinds string, then each command's opcode and arguments.
    pub(crate) args: Vec<Vec<u8>>,
    /// How to decode each command's reply, in order.
    pub(crate) shapes: Vec<Shape>,
}

impl Encoded {
    /// The script invocation that sends this batch.
    pub(crate) fn invocation(&self) -> redis::ScriptInvocation<'static> {
        let mut inv = APPLY.prepare_invoke();
        for key in &self.keys {
            inv.key(key.as_str());
        }
        for arg in &self.args {
            inv.arg(arg.as_slice());
        }
        inv
    }
}

/// Encodes `batch` under `namespace`, or says why it cannot be sent.
pub(crate) fn encode(namespace: &str, batch: &Batch) -> Result<Encoded, ApplyError> {
    check_one_tag(namespace, batch)?;
    let mut enc = Encoder {
        namespace,
        index: HashMap::new(),
        kinds: Vec::new(),
        keys: Vec::new(),
        sources: Vec::new(),
        args: vec![Vec::new()],
    };
    let mut shapes = Vec::with_capacity(batch.len());
    for cmd in batch {
        shapes.push(enc.command(cmd)?);
    }
    enc.args[0] = enc.kinds;
    Ok(Encoded {
        keys: enc.keys,
        sources: enc.sources,
        args: enc.args,
        shapes,
    })
}

/// Every key of a batch carries one app's hash tag, or the batch touches only the app
/// registry: then the whole batch lives in one cluster slot.
fn check_one_tag(namespace: &str, batch: &Batch) -> Result<(), ApplyError> {
    let mut keys = batch.iter().flat_map(|cmd| {
        let watched = match cmd {
            Command::ZRemIfEmpty { watched, .. } => Some(watched),
            _ => None,
        };
        std::iter::once(cmd.key()).chain(watched)
    });
    let Some(first) = keys.next() else {
        return Ok(());
    };
    match keys.find(|k| k.app() != first.app()) {
        None => Ok(()),
        Some(other) => Err(ApplyError::Store(format!(
            "a batch must stay within one app's keys, but it has {} and {}",
            first.render(namespace),
            other.render(namespace)
        ))),
    }
}

struct Encoder<'a> {
    namespace: &'a str,
    index: HashMap<&'a Key, usize>,
    /// One byte per key: `r` record, `z` sorted set.
    kinds: Vec<u8>,
    keys: Vec<String>,
    sources: Vec<Key>,
    args: Vec<Vec<u8>>,
}

impl<'a> Encoder<'a> {
    /// Appends `cmd` and returns the shape of its reply.
    fn command(&mut self, cmd: &'a Command) -> Result<Shape, ApplyError> {
        Ok(match cmd {
            Command::Get { key, .. } => {
                let k = self.record(key)?;
                self.op("G", k);
                Shape::Record
            }
            Command::Put {
                key,
                value,
                ttl_ms,
                expect,
            } => {
                let k = self.record(key)?;
                self.op("P", k);
                self.arg(expectation(*expect));
                self.arg((*ttl_ms).clamp(1, MAX_TTL_MS).to_string());
                self.args.push(value.clone());
                Shape::Written
            }
            Command::Delete { key, expect } => {
                let k = self.record(key)?;
                self.op("D", k);
                self.arg(expectation(*expect));
                Shape::Removed
            }
            Command::ZAdd { key, member, score } => {
                let k = self.zset(key)?;
                self.op("A", k);
                if *score > MAX_EXACT_SCORE && *score != u64::MAX {
                    return Err(ApplyError::Store(format!(
                        "score {score} of {} in {} is above 2^53: Redis cannot store it exactly",
                        member.as_text(),
                        key.render(self.namespace)
                    )));
                }
                self.arg(score_arg(*score));
                self.arg(member.as_text().into_owned());
                Shape::Done
            }
            Command::ZRem { key, member } => {
                let k = self.zset(key)?;
                self.op("R", k);
                self.arg(member.as_text().into_owned());
                Shape::Removed
            }
            Command::ZRange {
                key,
                min,
                max,
                limit,
                rev,
            } => {
                let k = self.zset(key)?;
                self.op("Q", k);
                self.arg(score_arg(*min));
                self.arg(score_arg(*max));
                self.arg(limit.map_or_else(|| "-1".to_owned(), |n| n.to_string()));
                self.arg(if *rev { "1" } else { "0" });
                Shape::Members(key.member_kind().unwrap_or(MemberKind::Id))
            }
            Command::ZCount { key, min, max } => {
                let k = self.zset(key)?;
                self.op("C", k);
                self.arg(score_arg(*min));
                self.arg(score_arg(*max));
                Shape::Count
            }
            Command::ZRemIfEmpty {
                key,
                member,
                watched,
            } => {
                let k = self.zset(key)?;
                self.op("E", k);
                self.arg(member.as_text().into_owned());
                let w = self.zset(watched)?;
                self.arg(w.to_string());
                Shape::Removed
            }
        })
    }

    fn op(&mut self, code: &str, key_index: usize) {
        self.arg(code);
        self.arg(key_index.to_string());
    }

    fn arg(&mut self, a: impl Into<String>) {
        self.args.push(a.into().into_bytes());
    }

    /// The 1-based index of `key` in KEYS, which must be a record key.
    fn record(&mut self, key: &'a Key) -> Result<usize, ApplyError> {
        if !key.is_record() {
            return Err(ApplyError::Store(format!(
                "{} is not a record key",
                key.render(self.namespace)
            )));
        }
        Ok(self.intern(key, b'r'))
    }

    /// The 1-based index of `key` in KEYS, which must be a sorted-set key.
    fn zset(&mut self, key: &'a Key) -> Result<usize, ApplyError> {
        if key.is_record() {
            return Err(ApplyError::Store(format!(
                "{} is not a sorted-set key",
                key.render(self.namespace)
            )));
        }
        Ok(self.intern(key, b'z'))
    }

    fn intern(&mut self, key: &'a Key, kind: u8) -> usize {
        *self.index.entry(key).or_insert_with(|| {
            self.keys.push(key.render(self.namespace));
            self.sources.push(key.clone());
            self.kinds.push(kind);
            self.keys.len()
        })
    }
}

fn expectation(expect: Expect) -> String {
    match expect {
        Expect::Any => "*".to_owned(),
        Expect::Absent => "-".to_owned(),
        Expect::Version(v) => v.to_string(),
    }
}

/// A score as Redis reads it: `u64::MAX` is `+inf`.
fn score_arg(score: u64) -> String {
    if score == u64::MAX {
        "+inf".to_owned()
    } else {
        score.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::store::Member;
    use session_core::{App, Token, UserId};

    fn app(name: &str) -> App {
        App::new(name).unwrap()
    }

    fn session(name: &str) -> Key {
        let token = Token::new("a".repeat(64)).unwrap();
        Key::Session(app(name), token.handle())
    }

    #[test]
    fn keys_are_interned_once_with_their_kind() {
        let batch = vec![
            Command::Get {
                key: session("shop"),
                cached: true,
            },
            Command::ZAdd {
                key: Key::Users(app("shop")),
                member: Member::Id(UserId::new("m").unwrap()),
                score: u64::MAX,
            },
            Command::Put {
                key: session("shop"),
                value: b"x".to_vec(),
                ttl_ms: 0,
                expect: Expect::Version(7),
            },
        ];
        let enc = encode("ns", &batch).unwrap();
        assert_eq!(enc.keys.len(), 2);
        assert!(enc.keys[1].starts_with("ns:{shop}:_users"));
        let args: Vec<&[u8]> = enc.args.iter().map(Vec::as_slice).collect();
        assert_eq!(
            args,
            [
                &b"rz"[..],
                b"G",
                b"1",
                b"A",
                b"2",
                b"+inf",
                b"m",
                b"P",
                b"1",
                b"7",
                b"1",
                b"x"
            ]
        );
        assert_eq!(enc.shapes, [Shape::Record, Shape::Done, Shape::Written]);
    }

    #[test]
    fn mixed_apps_kinds_and_inexact_scores_are_refused() {
        let two_apps = vec![
            Command::ZCount {
                key: Key::Users(app("shop")),
                min: 0,
                max: 1,
            },
            Command::ZCount {
                key: Key::Apps,
                min: 0,
                max: 1,
            },
        ];
        let e = encode("rs", &two_apps).unwrap_err();
        assert!(e.to_string().contains("one app"), "{e}");
        let wrong_kind = vec![Command::Get {
            key: Key::Users(app("shop")),
            cached: false,
        }];
        assert!(encode("rs", &wrong_kind).is_err());
        let big = vec![Command::ZAdd {
            key: Key::Users(app("shop")),
            member: Member::Id(UserId::new("u").unwrap()),
            score: (1 << 53) + 1,
        }];
        assert!(encode("rs", &big).is_err());
    }
}
