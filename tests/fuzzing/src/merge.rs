//! `merge`: `Patch::from_json` and `Data::merge` (`set`'s merge) against a reference model:
//! values replace, `null` deletes, other keys stay exactly as they were, no key left means no
//! data, and the result is a flat object of compact JSON within the documented limits
//! (`tooLarge` exactly when the merged result breaks one).

use crate::draw;
use arbitrary::{Arbitrary, Result, Unstructured};
use serde_json::{Map, Value};
use session_core::{
    Create, Data, MAX_DATA_BYTES, MAX_KEY_BYTES, MAX_KEYS, MemoryStore, Patch, Sessions,
};

/// The target.
pub fn run(data: &[u8]) {
    let _ = body(&mut Unstructured::new(data));
}

fn body(u: &mut Unstructured<'_>) -> Result<()> {
    // The key-limit case costs a hundred times more than the others: it takes a 4-byte
    // magic (which the fuzzer finds, and then mutates no more often than any other input).
    if u32::arbitrary(u)? == u32::from_be_bytes(*b"keys") {
        return key_limit(u);
    }
    // The stored data: none, or what `create` would store from an object.
    let (base, mut model) = if u.ratio(3, 4)? {
        let object = draw::data_object(u)?;
        let built = Data::from_object(object.clone());
        let model = expected(&Map::new(), &object);
        match (&built, object.is_empty() || has_nested(&object)) {
            (Err(e), true) => {
                assert_eq!(e.name(), "invalidValue", "{e:?}");
                (None, Map::new())
            }
            (Err(e), false) => {
                assert_eq!(e.name(), "tooLarge", "{e:?}");
                assert!(
                    breaks_limits(&model),
                    "tooLarge for data within limits: {e}"
                );
                (None, Map::new())
            }
            (Ok(d), false) => {
                check_outcome(d.as_ref(), &model);
                (d.clone(), model)
            }
            (Ok(_), true) => panic!("an empty or nested object became data: {object:?}"),
        }
    } else {
        (None, Map::new())
    };
    // The patch, as a binding passes it: JSON text.
    let text = match u.int_in_range(0..=3u8)? {
        0 => String::from_utf8_lossy(u.bytes(u.len())?).into_owned(),
        1 => serde_json::to_string(&draw::value(u, 2)?).unwrap_or_default(),
        _ => serde_json::to_string(&draw::data_object(u)?).unwrap_or_default(),
    };
    let patch = Patch::from_json(&text);
    let object = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(o)) if !o.is_empty() && !has_nested(&o) => Some(o),
        _ => None,
    };
    let (patch, object) = match (patch, object) {
        (Ok(p), Some(o)) => (p, o),
        (Err(e), None) => {
            crate::check_error(&e);
            assert_eq!((e.name(), e.field()), ("invalidValue", Some("d")), "{e:?}");
            return Ok(());
        }
        (Ok(_), None) => panic!("Patch::from_json accepted {text:?}"),
        (Err(e), Some(o)) => panic!("Patch::from_json refused a flat object {o:?}: {e:?}"),
    };
    assert_eq!(patch.len(), object.len());
    let merged = Data::merge(base.as_ref(), &patch);
    model = expected(&model, &object);
    match merged {
        Ok(d) => check_outcome(d.as_ref(), &model),
        Err(e) => {
            crate::check_error(&e);
            assert_eq!(e.name(), "tooLarge", "{e:?}");
            assert!(
                breaks_limits(&model),
                "tooLarge for data within limits: {e}"
            );
        }
    }
    Ok(())
}

/// Around [`MAX_KEYS`]: data of a few keys less or more than the limit, and a patch that adds
/// and deletes some. `tooLarge` exactly when the result has more keys than the limit.
fn key_limit(u: &mut Unstructured<'_>) -> Result<()> {
    use std::sync::OnceLock;
    // Data of MAX_KEYS - 3 ..= MAX_KEYS keys, built once.
    static BASES: OnceLock<Vec<Data>> = OnceLock::new();
    let bases = BASES.get_or_init(|| {
        (MAX_KEYS - 3..=MAX_KEYS)
            .map(|n| {
                let map = (0..n).map(|i| (format!("n{i}"), Value::from(i))).collect();
                Data::from_object(map)
                    .expect("within the limit")
                    .expect("data")
            })
            .collect()
    });
    let index = u.choose_index(bases.len() + 1)?;
    let Some(base) = bases.get(index) else {
        let over = (0..=MAX_KEYS)
            .map(|i| (format!("n{i}"), Value::from(i)))
            .collect();
        let e = Data::from_object(over).expect_err("over the key limit");
        assert_eq!(e.name(), "tooLarge", "{e:?}");
        return Ok(());
    };
    let n = MAX_KEYS - 3 + index;
    let mut patch = Map::new();
    for _ in 0..u.int_in_range(1..=6)? {
        let i = u.int_in_range(0..=MAX_KEYS + 8)?;
        let v = if bool::arbitrary(u)? {
            Value::Null
        } else {
            Value::from(1)
        };
        patch.insert(format!("n{i}"), v);
    }
    // The model's key count: existing keys are n0..n{n-1}.
    let mut count = n;
    for (k, v) in &patch {
        let exists = k[1..].parse::<usize>().is_ok_and(|i| i < n);
        match (exists, v.is_null()) {
            (true, true) => count -= 1,
            (false, false) => count += 1,
            _ => {}
        }
    }
    let merged = Patch::from_object(patch).and_then(|p| Data::merge(Some(base), &p));
    match merged {
        Ok(Some(d)) => {
            assert!(count <= MAX_KEYS, "{count} keys accepted");
            assert_eq!(d.to_map().len(), count);
        }
        Ok(None) => panic!("{count} keys vanished"),
        Err(e) => {
            assert_eq!(e.name(), "tooLarge", "{e:?}");
            assert!(count > MAX_KEYS, "tooLarge for {count} keys");
        }
    }
    Ok(())
}

fn has_nested(o: &Map<String, Value>) -> bool {
    o.values()
        .any(|v| matches!(v, Value::Array(_) | Value::Object(_)))
}

/// The reference merge: `null` deletes, anything else replaces.
fn expected(base: &Map<String, Value>, patch: &Map<String, Value>) -> Map<String, Value> {
    let mut out = base.clone();
    for (k, v) in patch {
        if v.is_null() {
            out.remove(k);
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// Whether data holding `model` breaks a documented limit.
fn breaks_limits(model: &Map<String, Value>) -> bool {
    model.len() > MAX_KEYS
        || model.keys().any(|k| k.len() > MAX_KEY_BYTES)
        || serde_json::to_string(model).map_or(true, |j| j.len() > MAX_DATA_BYTES)
}

/// A merge's (or a build's) successful outcome against the model.
fn check_outcome(d: Option<&Data>, model: &Map<String, Value>) {
    match d {
        None => assert!(model.is_empty(), "no data, but the model has {model:?}"),
        Some(d) => {
            assert!(!breaks_limits(model), "data beyond the limits was accepted");
            check_data(d);
            assert_eq!(&d.to_map(), model, "the merge differs from the model");
            stored_and_read_back(d);
        }
    }
}

/// Data the core wrote goes through a record (encoded, stored, decoded: the decoder checks
/// the data text) and comes back the same.
fn stored_and_read_back(d: &Data) {
    let sessions = Sessions::new(MemoryStore::new());
    let patch = Patch::from_json(d.as_json()).expect("data is a patch");
    let token = sessions
        .create(Create::new("shop", "u1", "::1").data(patch))
        .expect("create with valid data");
    let back = sessions.get("shop", &token).expect("the record reads back");
    let back = back.and_then(|s| s.d).expect("the session and its data");
    assert_eq!(back.as_json(), d.as_json(), "data changed through a record");
}

/// What stored data must be: a non-empty flat object of strings, finite numbers and
/// booleans, as compact JSON, within the limits; its serde forms round-trip.
pub(crate) fn check_data(d: &Data) {
    let text = d.as_json();
    assert!(text.len() <= MAX_DATA_BYTES, "{} bytes", text.len());
    let Value::Object(map) = crate::parse_json(text, "data") else {
        panic!("data is not an object: {text}");
    };
    assert!(!map.is_empty(), "empty data");
    assert!(map.len() <= MAX_KEYS, "{} keys", map.len());
    for (k, v) in &map {
        assert!(k.len() <= MAX_KEY_BYTES, "key of {} bytes", k.len());
        assert!(
            matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)),
            "d.{k} is {v}"
        );
    }
    assert_eq!(
        serde_json::to_string(&map).ok().as_deref(),
        Some(text),
        "data is not compact JSON"
    );
    assert_eq!(d.to_map(), map);
    assert_eq!(serde_json::to_value(d).ok(), Some(Value::Object(map)));
    let back: Data = serde_json::from_str(text).expect("data deserializes");
    assert_eq!(&back, d, "data does not round-trip through serde");
}
