//! Decoding the script's answer into the store protocol's replies.

use crate::script::Shape;
use redis::Value;
use session_core::keys::MemberKind;
use session_core::store::{ApplyError, Member, Reply, Stored};

/// What the script answered for a whole batch.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Applied: one reply per command, and the version each `Put` wrote (by command index).
    Applied(Vec<Reply>, Vec<(usize, u64)>),
    /// An expectation failed and nothing changed: each record whose expectation failed, by
    /// its index in the batch's keys (0-based), as it is now.
    Conflict(Vec<(usize, Option<Stored>)>),
}

/// The script's whole answer: `[1, reply, reply, ...]` or `[0, k, current, k, current, ...]`.
pub(crate) fn decode(value: Value, shapes: &[Shape]) -> Result<Outcome, ApplyError> {
    let mut values = match value {
        Value::Array(values) => values.into_iter(),
        other => return Err(unexpected("the batch", &other)),
    };
    match values.next() {
        Some(Value::Int(1)) if values.len() == shapes.len() => {
            let mut replies = Vec::with_capacity(shapes.len());
            let mut written = Vec::new();
            for (i, (v, shape)) in values.zip(shapes).enumerate() {
                if let (Shape::Written, Value::Int(n)) = (shape, &v) {
                    written.extend(u64::try_from(*n).ok().map(|n| (i, n)));
                }
                replies.push(one(v, *shape)?);
            }
            Ok(Outcome::Applied(replies, written))
        }
        Some(Value::Int(0)) => {
            let mut current = Vec::with_capacity(values.len() / 2);
            while let (Some(Value::Int(k)), Some(v)) = (values.next(), values.next()) {
                let index = usize::try_from(k - 1)
                    .map_err(|_| ApplyError::Store(format!("a conflict named key {k}")))?;
                current.push((index, record(v)?));
            }
            Ok(Outcome::Conflict(current))
        }
        other => Err(unexpected(
            "the batch",
            &Value::Array(other.into_iter().collect()),
        )),
    }
}

/// A record as stored, `"<version>:<bytes>"`, or nil.
pub(crate) fn record(value: Value) -> Result<Option<Stored>, ApplyError> {
    match value {
        Value::Nil => Ok(None),
        Value::BulkString(bytes) => {
            let colon = bytes.iter().position(|&b| b == b':');
            let version = colon.and_then(|c| std::str::from_utf8(&bytes[..c]).ok()?.parse().ok());
            match (colon, version) {
                (Some(c), Some(version)) => Ok(Some(Stored {
                    value: bytes[c + 1..].to_vec(),
                    version,
                })),
                _ => Err(ApplyError::Store(
                    "a session record in Redis has no version".into(),
                )),
            }
        }
        other => Err(unexpected("a record read", &other)),
    }
}

fn one(value: Value, shape: Shape) -> Result<Reply, ApplyError> {
    Ok(match (shape, value) {
        (Shape::Record, v) => Reply::Record(record(v)?),
        (Shape::Written, Value::Int(_)) | (Shape::Done, _) => Reply::Done,
        (Shape::Removed, Value::Int(n)) => Reply::Removed(n > 0),
        (Shape::Count, Value::Int(n)) => Reply::Count(u64::try_from(n).unwrap_or(0)),
        (Shape::Members(kind), Value::Array(flat)) => Reply::Members(members(flat, kind)?),
        (shape, other) => return Err(unexpected(&format!("{shape:?}"), &other)),
    })
}

/// `[member, score, member, score, ...]` as pairs.
fn members(flat: Vec<Value>, kind: MemberKind) -> Result<Vec<(Member, u64)>, ApplyError> {
    if flat.len() % 2 != 0 {
        return Err(unexpected("a range", &Value::Array(flat)));
    }
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut it = flat.into_iter();
    while let (Some(member), Some(score)) = (it.next(), it.next()) {
        let member = match member {
            Value::BulkString(b) => String::from_utf8(b)
                .map_err(|_| ApplyError::Store("a sorted-set member is not UTF-8".into()))?,
            other => return Err(unexpected("a range member", &other)),
        };
        let score = match score {
            Value::BulkString(b) => parse_score(&b),
            Value::Double(d) => score_of(d),
            Value::Int(n) => u64::try_from(n).ok(),
            _ => None,
        }
        .ok_or_else(|| ApplyError::Store(format!("member {member:?} has an invalid score")))?;
        let member = Member::from_text(kind, &member).ok_or_else(|| {
            ApplyError::Store(format!("{member:?} is not a member this sorted set holds"))
        })?;
        out.push((member, score));
    }
    Ok(out)
}

/// A score as Redis prints it: an integer, a double (`1.5e+12`), or `inf` for `u64::MAX`.
fn parse_score(bytes: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(bytes).ok()?;
    text.parse::<u64>()
        .ok()
        .or_else(|| text.parse::<f64>().ok().and_then(score_of))
}

fn score_of(d: f64) -> Option<u64> {
    if d == f64::INFINITY {
        Some(u64::MAX)
    } else if d.is_finite() && d >= 0.0 {
        // Scores are whole milliseconds; `as` saturates above u64::MAX.
        Some(d as u64)
    } else {
        None
    }
}

fn unexpected(what: &str, got: &Value) -> ApplyError {
    let mut shown = format!("{got:?}");
    if shown.len() > 200 {
        let mut end = 200;
        while !shown.is_char_boundary(end) {
            end -= 1;
        }
        shown.truncate(end);
        shown.push('…');
    }
    ApplyError::Store(format!("unexpected reply from Redis to {what}: {shown}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::Handle;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn replies_decode_by_shape() {
        let handle = Handle::from_bytes([7; 16]).to_string();
        let value = Value::Array(vec![
            Value::Int(1),
            Value::Nil,
            bulk("3:by:tes"),
            Value::Int(2),
            Value::Int(0),
            Value::Array(vec![
                bulk(&handle),
                bulk("1700000000000"),
                bulk(&handle),
                bulk("inf"),
            ]),
            Value::Int(4),
        ]);
        let shapes = [
            Shape::Record,
            Shape::Record,
            Shape::Written,
            Shape::Removed,
            Shape::Members(MemberKind::Handle),
            Shape::Count,
        ];
        let Outcome::Applied(replies, written) = decode(value, &shapes).unwrap() else {
            panic!("applied");
        };
        assert_eq!(written, [(2, 2)]);
        let h = Member::Handle(Handle::from_bytes([7; 16]));
        assert_eq!(
            replies,
            [
                Reply::Record(None),
                Reply::Record(Some(Stored {
                    value: b"by:tes".to_vec(),
                    version: 3
                })),
                Reply::Done,
                Reply::Removed(false),
                Reply::Members(vec![(h.clone(), 1_700_000_000_000), (h, u64::MAX)]),
                Reply::Count(4),
            ]
        );
    }

    #[test]
    fn conflicts_carry_the_current_records() {
        let value = Value::Array(vec![
            Value::Int(0),
            Value::Int(1),
            bulk("5:x"),
            Value::Int(3),
            Value::Nil,
        ]);
        let Outcome::Conflict(current) = decode(value, &[Shape::Written]).unwrap() else {
            panic!("conflict");
        };
        let five = Stored {
            value: b"x".to_vec(),
            version: 5,
        };
        assert_eq!(current, [(0, Some(five)), (2, None)]);
    }

    #[test]
    fn surprises_are_store_errors() {
        let e = decode(Value::Array(vec![]), &[Shape::Done]).unwrap_err();
        assert!(e.to_string().contains("unexpected reply"), "{e}");
        let e = decode(
            Value::Array(vec![Value::Int(1), Value::Nil]),
            &[Shape::Count],
        )
        .unwrap_err();
        assert!(e.to_string().contains("Count"), "{e}");
        assert!(record(bulk("no version")).is_err());
        assert!(record(bulk("x:1")).is_err());
        assert_eq!(parse_score(b"1.5e+12"), Some(1_500_000_000_000));
        assert_eq!(parse_score(b"-1"), None);
    }
}
