//! Inputs drawn from the fuzzer's bytes: option objects that are mostly plausible (known
//! field names, valid apps and tokens, boundary numbers) and sometimes anything at all.

use arbitrary::{Arbitrary, Result, Unstructured};
use serde_json::{Map, Number, Value};

/// The fields the operations read.
pub(crate) const FIELDS: &[&str] = &[
    "app",
    "token",
    "id",
    "ip",
    "ttl",
    "d",
    "no_resave",
    "lifetime",
    "dt",
    "deltaTime",
    "limit",
    "handle",
];

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `len` characters drawn from `alphabet`.
fn chars_of(u: &mut Unstructured<'_>, alphabet: &[u8], len: usize) -> Result<String> {
    (0..len)
        .map(|_| Ok(char::from(*u.choose(alphabet)?)))
        .collect()
}

/// A well-formed token (64 alphanumerics).
pub(crate) fn token(u: &mut Unstructured<'_>) -> Result<String> {
    chars_of(u, ALNUM, 64)
}

/// Text that is often meaningful to some field, sometimes anything.
pub(crate) fn text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=11u8)? {
        0 => String::new(),
        1 => "shop".into(),
        2 => token(u)?,
        3 => chars_of(u, BASE64URL, 22)?,
        4 => {
            let len = u.int_in_range(0..=25)?;
            chars_of(u, b"0123456789", len)?
        }
        5 => "x".repeat(u.int_in_range(0..=300)?),
        6 => {
            let len = u.int_in_range(1..=70)?;
            chars_of(u, ALNUM, len)?
        }
        7 => (*u.choose(&[
            "::1",
            "u1",
            "a b",
            "ab",
            "null",
            "{}",
            "a\u{0}b",
            "é🚀",
            "__proto__",
            "a\u{7f}",
            "\u{85}",
            " ",
        ])?)
        .to_owned(),
        _ => String::arbitrary(u)?,
    })
}

/// A JSON number: boundaries, anything, or a float.
pub(crate) fn number(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => Value::from(*u.choose(&[
            0u64,
            9,
            10,
            11,
            60,
            7200,
            10_000,
            10_001,
            31_536_000,
            31_536_001,
            (1 << 53) - 1,
            1 << 53,
            u64::MAX,
        ])?),
        1 => Value::from(u64::arbitrary(u)?),
        2 => Value::from(i64::arbitrary(u)?),
        3 => Number::from_f64(f64::arbitrary(u)?).map_or(Value::Null, Value::Number),
        4 => Number::from_f64(f64::from(u.int_in_range(0..=20_000u32)?) / 2.0)
            .map_or(Value::Null, Value::Number),
        _ => Value::from(u.int_in_range(0..=100u64)?),
    })
}

/// Any JSON value, nested at most `depth` deep.
pub(crate) fn value(u: &mut Unstructured<'_>, depth: u8) -> Result<Value> {
    let top = if depth == 0 { 4 } else { 6 };
    Ok(match u.int_in_range(0..=top)? {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(u)?),
        2 => number(u)?,
        3 | 4 => Value::String(text(u)?),
        5 => {
            let n = u.int_in_range(0..=3)?;
            Value::Array((0..n).map(|_| value(u, depth - 1)).collect::<Result<_>>()?)
        }
        _ => Value::Object(object(u, depth - 1)?),
    })
}

/// A field name: mostly one the operations read.
pub(crate) fn field(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(7, 8)? {
        Ok((*u.choose(FIELDS)?).to_owned())
    } else {
        text(u)
    }
}

/// An option object of up to 8 fields.
pub(crate) fn object(u: &mut Unstructured<'_>, depth: u8) -> Result<Map<String, Value>> {
    let n = u.int_in_range(0..=8)?;
    let mut map = Map::new();
    for _ in 0..n {
        let key = field(u)?;
        let v = value(u, depth)?;
        map.insert(key, v);
    }
    Ok(map)
}

/// A value for session data: mostly scalars and `null`, sometimes nested.
pub(crate) fn data_value(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=9u8)? {
        0 | 1 => Value::Null,
        2 => Value::Bool(bool::arbitrary(u)?),
        3 | 4 => number(u)?,
        5 if rare(u, 32)? => Value::String("v".repeat(u.int_in_range(60_000..=70_000)?)),
        5 => Value::String("v".repeat(u.int_in_range(0..=300)?)),
        6 => value(u, 1)?,
        _ => Value::String(text(u)?),
    })
}

/// A data key: short and often repeated (so merges overlap), sometimes long or odd.
pub(crate) fn data_key(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => "k".repeat(u.int_in_range(250..=260)?),
        1 => text(u)?,
        _ => format!("k{}", u.int_in_range(0..=9u8)?),
    })
}

/// An object for `d`: up to 12 keys (the `merge` target has a case of its own around the
/// key limit: thousands of keys in every input would make fuzzing slow).
pub(crate) fn data_object(u: &mut Unstructured<'_>) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    let n = u.int_in_range(0..=12)?;
    for _ in 0..n {
        let k = data_key(u)?;
        let v = data_value(u)?;
        map.insert(k, v);
    }
    Ok(map)
}

/// True about once in `n` draws, and false once the bytes run out (unlike
/// `Unstructured::ratio`, which is true then) or for the bytes fuzzers favour (0x00 and 0xff
/// map to the ends of the range): short inputs stay cheap.
pub(crate) fn rare(u: &mut Unstructured<'_>, n: u32) -> Result<bool> {
    Ok(u.int_in_range(1..=n)? == 2)
}
