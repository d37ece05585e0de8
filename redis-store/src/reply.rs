//! Decoding the script's answer into the store protocol's replies.

use crate::script::Shape;
use redis::Value;
use session_core::store::{ApplyError, Reply, Stored};

/// The script's whole answer: the status `CONFLICT`, or one value per command.
pub(crate) fn decode(value: Value, shapes: &[Shape]) -> Result<Vec<Reply>, ApplyError> {
    let values = match value {
        Value::SimpleString(s) if s == "CONFLICT" => return Err(ApplyError::Conflict),
        Value::Array(values) if values.len() == shapes.len() => values,
        other => return Err(unexpected("the batch", &other)),
    };
    values
        .into_iter()
        .zip(shapes)
        .map(|(v, shape)| one(v, *shape))
        .collect()
}

fn one(value: Value, shape: Shape) -> Result<Reply, ApplyError> {
    Ok(match (shape, value) {
        (Shape::Record, Value::Nil) => Reply::Record(None),
        (Shape::Record, Value::Array(fields)) => match <[Value; 2]>::try_from(fields) {
            Ok([Value::BulkString(v), Value::BulkString(value)]) => Reply::Record(Some(Stored {
                value,
                version: version(&v)?,
            })),
            Ok(other) => return Err(unexpected("a record read", &Value::Array(other.into()))),
            Err(other) => return Err(unexpected("a record read", &Value::Array(other))),
        },
        (Shape::Done, _) => Reply::Done,
        (Shape::Removed, Value::Int(n)) => Reply::Removed(n > 0),
        (Shape::Count, Value::Int(n)) => Reply::Count(u64::try_from(n).unwrap_or(0)),
        (Shape::Members, Value::Array(flat)) => Reply::Members(members(flat)?),
        (shape, other) => return Err(unexpected(&format!("{shape:?}"), &other)),
    })
}

/// `[member, score, member, score, ...]` as pairs.
fn members(flat: Vec<Value>) -> Result<Vec<(String, u64)>, ApplyError> {
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

fn version(bytes: &[u8]) -> Result<u64, ApplyError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApplyError::Store("a record has a corrupt version".into()))
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

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn replies_decode_by_shape() {
        let value = Value::Array(vec![
            Value::Nil,
            Value::Array(vec![bulk("3"), bulk("bytes")]),
            Value::Int(1),
            Value::Int(0),
            Value::Array(vec![
                bulk("a"),
                bulk("1700000000000"),
                bulk("b"),
                bulk("inf"),
            ]),
            Value::Int(4),
        ]);
        let shapes = [
            Shape::Record,
            Shape::Record,
            Shape::Done,
            Shape::Removed,
            Shape::Members,
            Shape::Count,
        ];
        let replies = decode(value, &shapes).unwrap();
        assert_eq!(
            replies,
            [
                Reply::Record(None),
                Reply::Record(Some(Stored {
                    value: b"bytes".to_vec(),
                    version: 3
                })),
                Reply::Done,
                Reply::Removed(false),
                Reply::Members(vec![
                    ("a".into(), 1_700_000_000_000),
                    ("b".into(), u64::MAX)
                ]),
                Reply::Count(4),
            ]
        );
    }

    #[test]
    fn conflict_and_surprises() {
        assert_eq!(
            decode(Value::SimpleString("CONFLICT".into()), &[Shape::Done]),
            Err(ApplyError::Conflict)
        );
        let e = decode(Value::Array(vec![]), &[Shape::Done]).unwrap_err();
        assert!(e.to_string().contains("unexpected reply"), "{e}");
        let e = decode(Value::Array(vec![Value::Nil]), &[Shape::Count]).unwrap_err();
        assert!(e.to_string().contains("Count"), "{e}");
        assert_eq!(parse_score(b"1.5e+12"), Some(1_500_000_000_000));
        assert_eq!(parse_score(b"-1"), None);
    }
}
