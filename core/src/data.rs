//! Session data (`d`): a flat object of strings, finite numbers and booleans, and the patches
//! that `set` merges into it.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// At most this many keys in a session's data.
pub const MAX_KEYS: usize = 4096;
/// At most this many bytes in one key.
pub const MAX_KEY_BYTES: usize = 256;
/// At most this many bytes of compact JSON for a session's whole data.
pub const MAX_DATA_BYTES: usize = 65_536;

/// A session's stored data: a non-empty JSON object whose values are strings, finite numbers or
/// booleans.
///
/// It is kept as its compact JSON text, which is what the store holds. The answers written as
/// JSON text (the bindings' typed calls, [`Response::to_json_text`](crate::Response)) copy that
/// text into the answer; an answer built as a `serde_json::Value` ([`Response::to_json`],
/// `Sessions::call`) parses it once; [`Data::get`] and [`Data::to_map`] parse on demand; `set`
/// parses it to merge.
///
/// ```
/// use session_core::{Data, Patch};
/// let d = Data::merge(None, &Patch::new().set("theme", "dark").set("visits", 3)).unwrap().unwrap();
/// assert_eq!(d.get("theme"), Some(serde_json::json!("dark")));
/// assert_eq!(d.as_json(), r#"{"theme":"dark","visits":3}"#);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Data(Box<str>);

impl Data {
    /// Wraps JSON text that the core itself wrote (read back from a record).
    pub(crate) fn from_stored(json: String) -> Self {
        Self(json.into_boxed_str())
    }

    /// The compact JSON text of the object.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// Gives up the compact JSON text.
    pub fn into_json(self) -> String {
        self.0.into_string()
    }

    /// Parses the data into a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        // The text was produced by `encode` from a Map, so it always parses as one. (Parsed as
        // a `Value`: a typed `Map` parse links serde's type-error messages, float printing
        // included, about 20 KB of the .wasm.)
        match serde_json::from_str(&self.0) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// The value of one key, if present.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.to_map().remove(key)
    }

    /// Builds data from an object, as `create` takes it: `null` values are dropped, and when
    /// no key remains the result is `None`.
    pub fn from_object(object: Map<String, Value>) -> Result<Option<Self>, Error> {
        Patch::from_object(object)?.apply_to(Map::new())
    }

    /// Applies a patch (`set`'s merge): values replace, `null` deletes, other keys stay. Returns
    /// `None` when no key remains. Fails with `tooLarge` when the result breaks a size limit.
    pub fn merge(this: Option<&Self>, patch: &Patch) -> Result<Option<Self>, Error> {
        let base = this.map(Self::to_map).unwrap_or_default();
        patch.apply_to(base)
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Data({})", self.0)
    }
}

impl Serialize for Data {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        Data::from_object(map)
            .map_err(serde::de::Error::custom)?
            .ok_or_else(|| serde::de::Error::custom("d must contain at least one key"))
    }
}

/// The change `set` applies to a session's data: each key maps to a new value, or to `null`
/// to delete it.
///
/// ```
/// use session_core::Patch;
/// let p = Patch::new().set("cart", 2).set("flag", true).remove("old");
/// assert_eq!(p.len(), 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patch(Map<String, Value>);

impl Patch {
    /// An empty patch (not valid for `set` until a key is added).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to a string, number or boolean.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<Scalar>) -> Self {
        self.0.insert(key.into(), value.into().0);
        self
    }

    /// Deletes `key`.
    pub fn remove(mut self, key: impl Into<String>) -> Self {
        self.0.insert(key.into(), Value::Null);
        self
    }

    /// How many keys the patch names.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the patch names no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Validates an object given as `d`: every value must be a string, a finite number, a
    /// boolean or `null`. An empty object is an `invalidValue` error.
    pub fn from_object(object: Map<String, Value>) -> Result<Self, Error> {
        if object.is_empty() {
            return Err(Error::value("d", "d must contain at least one key"));
        }
        for (key, value) in &object {
            if matches!(value, Value::Array(_) | Value::Object(_)) {
                return Err(Error::value(
                    "d",
                    format!(
                        "d.{key} has a forbidden type. Only strings, numbers, boolean and null are allowed."
                    ),
                ));
            }
        }
        Ok(Self(object))
    }

    /// Validates `d` given as JSON text (as a binding passes it).
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(json)
            .map_err(|e| Error::value("d", format!("d is not valid JSON: {e}")))?;
        Self::from_value(value)
    }

    /// Validates any JSON value given as `d`.
    pub fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Object(map) => Self::from_object(map),
            _ => Err(Error::value("d", "d must be an object")),
        }
    }

    /// Merges into `base` and checks the size limits on the result.
    fn apply_to(&self, mut base: Map<String, Value>) -> Result<Option<Data>, Error> {
        for (key, value) in &self.0 {
            if value.is_null() {
                base.remove(key);
            } else {
                base.insert(key.clone(), value.clone());
            }
        }
        if base.is_empty() {
            return Ok(None);
        }
        check_limits(&base)?;
        let json = serde_json::to_string(&base).map_err(|e| Error::store(e.to_string()))?;
        if json.len() > MAX_DATA_BYTES {
            return Err(Error::TooLarge {
                message: format!(
                    "d is too large: {} bytes, the limit is {MAX_DATA_BYTES}",
                    json.len()
                ),
            });
        }
        Ok(Some(Data::from_stored(json)))
    }
}

/// Whether `json` has the form stored data has: a non-empty JSON object, compact (no
/// whitespace, as the core writes it), whose values are strings, finite numbers or booleans.
///
/// The record decoder checks the data text of every record a store hands back, because that
/// text is later passed on as JSON as it is (never parsed), and must not break an answer. It
/// is a single pass over the bytes, with no allocation (a typical record's data takes a few
/// nanoseconds): stricter than a JSON parser (no whitespace, no escaped surrogates, which the
/// core never writes), never looser.
pub(crate) fn is_stored_form(json: &str) -> bool {
    let b = json.as_bytes();
    if b.first() != Some(&b'{') {
        return false;
    }
    let mut i = 1;
    loop {
        let Some(after_key) = stored_string(b, i) else {
            return false;
        };
        if b.get(after_key) != Some(&b':') {
            return false;
        }
        let at = after_key + 1;
        let end = match b.get(at) {
            Some(b'"') => stored_string(b, at),
            Some(b't') if b[at..].starts_with(b"true") => Some(at + 4),
            Some(b'f') if b[at..].starts_with(b"false") => Some(at + 5),
            Some(b'-' | b'0'..=b'9') => stored_number(json, at),
            _ => None,
        };
        let Some(end) = end else {
            return false;
        };
        match b.get(end) {
            Some(b',') => i = end + 1,
            Some(b'}') => return end + 1 == b.len(),
            _ => return false,
        }
    }
}

/// The end of the JSON string that starts at `b[i]`, if one does.
fn stored_string(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    let hex = std::str::from_utf8(b.get(i + 2..i + 6)?).ok()?;
                    let unit = u16::from_str_radix(hex, 16).ok()?;
                    if !hex.bytes().all(|h| h.is_ascii_hexdigit())
                        || (0xd800..=0xdfff).contains(&unit)
                    {
                        return None;
                    }
                    i += 6;
                }
                _ => return None,
            },
            0..=0x1f => return None,
            _ => i += 1,
        }
    }
}

/// The end of the JSON number that starts at `json[i]`, if one does and it is finite.
fn stored_number(json: &str, start: usize) -> Option<usize> {
    let b = json.as_bytes();
    let digits = |mut i: usize| {
        let from = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > from).then_some(i)
    };
    let mut i = start;
    if b[i] == b'-' {
        i += 1;
    }
    i = match b.get(i) {
        Some(b'0') => i + 1,
        Some(b'1'..=b'9') => digits(i)?,
        _ => return None,
    };
    let mut plain = i - start <= 18;
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1)?;
        plain = false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(i)?;
        plain = false;
    }
    // A float, or an integer too long for i64/u64 (read as a float): it must be finite.
    if !plain && !json[start..i].parse::<f64>().is_ok_and(f64::is_finite) {
        return None;
    }
    Some(i)
}

fn check_limits(map: &Map<String, Value>) -> Result<(), Error> {
    if map.len() > MAX_KEYS {
        return Err(Error::TooLarge {
            message: format!(
                "d has too many keys: {}, the limit is {MAX_KEYS}",
                map.len()
            ),
        });
    }
    if let Some(key) = map.keys().find(|k| k.len() > MAX_KEY_BYTES) {
        return Err(Error::TooLarge {
            message: format!(
                "d key is too long: {} bytes, the limit is {MAX_KEY_BYTES}",
                key.len()
            ),
        });
    }
    Ok(())
}

/// A value that session data may hold: a string, a finite number or a boolean.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar(Value);

impl From<&str> for Scalar {
    fn from(v: &str) -> Self {
        Self(Value::String(v.to_owned()))
    }
}
impl From<String> for Scalar {
    fn from(v: String) -> Self {
        Self(Value::String(v))
    }
}
impl From<bool> for Scalar {
    fn from(v: bool) -> Self {
        Self(Value::Bool(v))
    }
}
impl From<i64> for Scalar {
    fn from(v: i64) -> Self {
        Self(Value::from(v))
    }
}
impl From<i32> for Scalar {
    fn from(v: i32) -> Self {
        Self(Value::from(v))
    }
}
impl From<u64> for Scalar {
    fn from(v: u64) -> Self {
        Self(Value::from(v))
    }
}
/// A non-finite float has no JSON form; it becomes `null`, which deletes the key.
impl From<f64> for Scalar {
    fn from(v: f64) -> Self {
        Self(Value::from(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn merge_null_deletes_and_last_key_removes_data() {
        let d = Data::from_object(obj(json!({"a": 1, "b": "x"}))).unwrap();
        let p = Patch::from_object(obj(json!({"a": null, "c": true}))).unwrap();
        let d = Data::merge(d.as_ref(), &p).unwrap().unwrap();
        assert_eq!(d.to_map(), obj(json!({"b": "x", "c": true})));
        let p = Patch::from_object(obj(json!({"b": null, "c": null}))).unwrap();
        assert_eq!(Data::merge(Some(&d), &p).unwrap(), None);
    }

    #[test]
    fn limits_are_checked_on_the_merged_result() {
        let big = "x".repeat(MAX_DATA_BYTES);
        let e = Data::from_object(obj(json!({ "k": big }))).unwrap_err();
        assert_eq!(e.name(), "tooLarge");
        let long_key = "k".repeat(MAX_KEY_BYTES + 1);
        let e = Data::from_object(obj(json!({ long_key: 1 }))).unwrap_err();
        assert!(e.to_string().starts_with("d key is too long: 257 bytes"));
    }

    /// Found by the `merge` fuzz target: a merge re-parses the stored data, and the parser
    /// was not exact, so a float of another key could come back one ulp off.
    #[test]
    fn floats_of_other_keys_survive_a_merge_exactly() {
        let x = -2.669_246_698_181_855e-247_f64;
        let d = Data::merge(None, &Patch::new().set("x", x))
            .unwrap()
            .unwrap();
        let d = Data::merge(Some(&d), &Patch::new().set("y", 1))
            .unwrap()
            .unwrap();
        assert_eq!(d.get("x").and_then(|v| v.as_f64()), Some(x));
        assert_eq!(d.as_json(), r#"{"x":-2.669246698181855e-247,"y":1}"#);
    }

    #[test]
    fn the_stored_form_is_a_flat_non_empty_object() {
        for ok in [
            r#"{"a":1}"#,
            r#"{"a":"x","b":true,"c":-1.5e3,"d":18446744073709551615}"#,
            // Every escape JSON has (serde_json writes all but `\/`), after a key.
            r#"{"k":"q\"b\\s\/\b\f\n\r\t\u0001\u00e9"}"#,
            // An escape early in a short string: a scan that lost its place would run off.
            r#"{"a":"\"x"}"#,
            // Exponents with a sign, as serde_json writes them.
            r#"{"a":1e-7,"b":1.5e+300,"c":-2.5E-300,"d":0.1}"#,
        ] {
            assert!(is_stored_form(ok), "{ok}");
        }
        // An integer too long to be exact is checked as a float, and must be finite.
        // (After a short key, and after a long one: the length is the number's own.)
        for key in ["a", &"k".repeat(100)] {
            let long = |digits: usize| format!(r#"{{"{key}":1{}}}"#, "0".repeat(digits));
            assert!(is_stored_form(&long(300)), "{key}");
            assert!(!is_stored_form(&long(400)), "{key}");
        }
        for bad in [
            "",
            "{}",
            "[]",
            "null",
            "1",
            r#""a""#,
            r#"{"a":null}"#,
            r#"{"a":[1]}"#,
            r#"{"a":{}}"#,
            r#"{"a":1"#,
            r#"{"a":1}x"#,
            r#"{"a":1,}"#,
            r#"{"a":"\u0000"}x"#,
            r#"{"a":1.}"#,
            r#"{"a":1e}"#,
            r#"{"a":1e+}"#,
            r#"{"a":-}"#,
            r#"{"a":01}"#,
            r#"{"a":1e400}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\u00g0"}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u+041"}"#,
            r#"{"a":fxxxx}"#,
            r#"{"a":txxx}"#,
            "{\"a\":\"\u{1}\"}",
        ] {
            assert!(!is_stored_form(bad), "{bad}");
        }
    }

    /// The typed API's side of a patch: built by hand, or from JSON text as a binding gives it.
    #[test]
    fn patches_from_the_typed_api_and_from_json_text() {
        assert!(Patch::new().is_empty());
        let p = Patch::new().set("a", 1).remove("b");
        assert!(!p.is_empty());
        assert_eq!(p.len(), 2);
        assert_eq!(Patch::from_json(r#"{"a":1,"b":null}"#), Ok(p.clone()));
        let d = Data::merge(None, &p).unwrap().unwrap();
        assert_eq!(format!("{d:?}"), r#"Data({"a":1})"#);
        let e = Patch::from_json("{").unwrap_err();
        assert_eq!(e.name(), "invalidValue");
        assert!(e.to_string().starts_with("d is not valid JSON: "), "{e}");
        assert_eq!(
            Patch::from_json("[1]").unwrap_err().to_string(),
            "d must be an object"
        );
    }

    #[test]
    fn nested_values_are_refused_by_name() {
        let e = Patch::from_object(obj(json!({"ok": 1, "bad": [1]}))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "d.bad has a forbidden type. Only strings, numbers, boolean and null are allowed."
        );
    }
}
