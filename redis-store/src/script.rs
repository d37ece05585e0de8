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

/// The script's source.
const SOURCE: &str = include_str!("apply.lua");

/// The script's SHA-1, for EVALSHA.
static SHA: LazyLock<String> = LazyLock::new(|| redis::Script::new(SOURCE).get_hash().to_owned());

/// `SCRIPT LOAD` of the script: what a server that answers NOSCRIPT (restarted, a new cluster
/// node, `SCRIPT FLUSH`) is sent before the batch is sent again.
pub(crate) fn load_cmd() -> redis::Cmd {
    let mut cmd = redis::cmd("SCRIPT");
    cmd.arg("LOAD").arg(SOURCE);
    cmd
}

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
    /// The script's arguments: the command letters, then each command's arguments.
    pub(crate) args: Args,
    /// How to decode each command's reply, in order.
    pub(crate) shapes: Vec<Shape>,
}

/// Arguments written one after the other into one buffer (no allocation per argument).
#[derive(Debug, Default)]
pub(crate) struct Args {
    bytes: Vec<u8>,
    /// Where each argument ends in `bytes`.
    ends: Vec<usize>,
}

impl Args {
    fn push(&mut self, arg: &[u8]) {
        self.bytes.extend_from_slice(arg);
        self.ends.push(self.bytes.len());
    }

    fn push_number(&mut self, n: u64) {
        use std::io::Write as _;
        // Writing to a Vec cannot fail.
        let _ = write!(self.bytes, "{n}");
        self.ends.push(self.bytes.len());
    }

    /// Each argument's bytes, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(a, b)| &self.bytes[a..b])
    }
}

impl Encoded {
    /// The EVALSHA command that sends this batch.
    pub(crate) fn eval_cmd(&self) -> redis::Cmd {
        let key_bytes: usize = self.keys.iter().map(String::len).sum();
        let mut cmd = redis::Cmd::with_capacity(
            3 + self.keys.len() + self.args.ends.len(),
            48 + key_bytes + self.args.bytes.len(),
        );
        cmd.arg("EVALSHA").arg(SHA.as_str()).arg(self.keys.len());
        for key in &self.keys {
            cmd.arg(key.as_str());
        }
        for arg in self.args.iter() {
            cmd.arg(arg);
        }
        cmd
    }
}

/// Encodes `batch` under `namespace`, or says why it cannot be sent.
pub(crate) fn encode(namespace: &str, batch: &Batch) -> Result<Encoded, ApplyError> {
    check_one_tag(namespace, batch)?;
    let mut enc = Encoder {
        namespace,
        index: HashMap::new(),
        keys: Vec::new(),
        sources: Vec::new(),
        args: Args::default(),
    };
    let ops: Vec<u8> = batch.iter().map(letter).collect();
    enc.args.push(&ops);
    let mut shapes = Vec::with_capacity(batch.len());
    for cmd in batch {
        shapes.push(enc.command(cmd)?);
    }
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
    match keys.find(|k| k.tag() != first.tag()) {
        None => Ok(()),
        Some(other) => Err(ApplyError::Store(format!(
            "a batch must stay within one hash tag's keys, but it has {} and {}",
            first.render(namespace),
            other.render(namespace)
        ))),
    }
}

struct Encoder<'a> {
    namespace: &'a str,
    index: HashMap<&'a Key, usize>,
    keys: Vec<String>,
    sources: Vec<Key>,
    args: Args,
}

/// The script's letter for a command.
fn letter(cmd: &Command) -> u8 {
    match cmd {
        Command::Get { .. } => b'G',
        Command::Put { .. } => b'P',
        Command::Delete { .. } => b'D',
        Command::ZAdd { .. } => b'A',
        Command::ZRem { .. } => b'R',
        Command::ZRange { .. } => b'Q',
        Command::ZCount { .. } => b'C',
        Command::ZRemIfEmpty { .. } => b'E',
    }
}

impl<'a> Encoder<'a> {
    /// Appends `cmd` and returns the shape of its reply.
    fn command(&mut self, cmd: &'a Command) -> Result<Shape, ApplyError> {
        Ok(match cmd {
            Command::Get { key, .. } => {
                let k = self.record(key)?;
                self.key(k);
                Shape::Record
            }
            Command::Put {
                key,
                value,
                ttl_ms,
                expect,
            } => {
                let k = self.record(key)?;
                self.key(k);
                self.expectation(*expect);
                self.args.push_number((*ttl_ms).clamp(1, MAX_TTL_MS));
                self.args.push(value);
                Shape::Written
            }
            Command::Delete { key, expect } => {
                let k = self.record(key)?;
                self.key(k);
                self.expectation(*expect);
                Shape::Removed
            }
            Command::ZAdd { key, member, score } => {
                let k = self.zset(key)?;
                self.key(k);
                if *score > MAX_EXACT_SCORE && *score != u64::MAX {
                    return Err(ApplyError::Store(format!(
                        "score {score} of {} in {} is above 2^53: Redis cannot store it exactly",
                        member.as_text(),
                        key.render(self.namespace)
                    )));
                }
                self.score(*score);
                self.args.push(member.as_text().as_bytes());
                Shape::Done
            }
            Command::ZRem { key, member } => {
                let k = self.zset(key)?;
                self.key(k);
                self.args.push(member.as_text().as_bytes());
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
                self.key(k);
                self.score(*min);
                self.score(*max);
                match limit {
                    Some(n) => self.args.push_number(u64::from(*n)),
                    None => self.args.push(b"-1"),
                }
                self.args.push(if *rev { b"1" } else { b"0" });
                Shape::Members(key.member_kind().unwrap_or(MemberKind::Id))
            }
            Command::ZCount { key, min, max } => {
                let k = self.zset(key)?;
                self.key(k);
                self.score(*min);
                self.score(*max);
                Shape::Count
            }
            Command::ZRemIfEmpty {
                key,
                member,
                watched,
            } => {
                let k = self.zset(key)?;
                self.key(k);
                self.args.push(member.as_text().as_bytes());
                let w = self.zset(watched)?;
                self.key(w);
                Shape::Removed
            }
        })
    }

    fn key(&mut self, key_index: usize) {
        self.args.push_number(key_index as u64);
    }

    fn expectation(&mut self, expect: Expect) {
        match expect {
            Expect::Any => self.args.push(b"*"),
            Expect::Absent => self.args.push(b"-"),
            Expect::Version(v) => self.args.push_number(v),
        }
    }

    /// A score as Redis reads it: `u64::MAX` is `+inf`.
    fn score(&mut self, score: u64) {
        if score == u64::MAX {
            self.args.push(b"+inf");
        } else {
            self.args.push_number(score);
        }
    }

    /// The 1-based index of `key` in KEYS, which must be a record key.
    fn record(&mut self, key: &'a Key) -> Result<usize, ApplyError> {
        if !key.is_record() {
            return Err(ApplyError::Store(format!(
                "{} is not a record key",
                key.render(self.namespace)
            )));
        }
        Ok(self.intern(key))
    }

    /// The 1-based index of `key` in KEYS, which must be a sorted-set key.
    fn zset(&mut self, key: &'a Key) -> Result<usize, ApplyError> {
        if key.is_record() {
            return Err(ApplyError::Store(format!(
                "{} is not a sorted-set key",
                key.render(self.namespace)
            )));
        }
        Ok(self.intern(key))
    }

    fn intern(&mut self, key: &'a Key) -> usize {
        *self.index.entry(key).or_insert_with(|| {
            self.keys.push(key.render(self.namespace));
            self.sources.push(key.clone());
            self.keys.len()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::store::Member;
    use session_core::{App, Token, UserId};

    fn app(name: &str) -> session_core::Tag {
        App::new(name).unwrap().into()
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
        let args: Vec<&[u8]> = enc.args.iter().collect();
        assert_eq!(
            args,
            [
                &b"GAP"[..],
                b"1",
                b"2",
                b"+inf",
                b"m",
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
        assert!(e.to_string().contains("one hash tag"), "{e}");
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
