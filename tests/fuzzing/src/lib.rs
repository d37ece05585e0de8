//! The fuzz targets of session-core, as plain functions of the fuzzer's bytes.
//!
//! Each target turns its input into calls on a public API of the core and **asserts
//! invariants** (a broken one panics, which the fuzzer reports as a crash): no panic, errors
//! of the documented kinds with messages that name their field, answers that are valid JSON
//! of the documented shapes, and round trips that hold (records, snapshots, wire replies,
//! typed constructors against the JSON parser).
//!
//! `fuzz/` (a cargo-fuzz crate outside the workspace) runs them under libFuzzer; the
//! `replay` test of this crate runs every saved input of `fuzz/regressions/<target>/` through
//! them under a plain `cargo test`, so a finding stays fixed.
//!
//! | target | what it drives |
//! |---|---|
//! | `request` | `Request::parse` with arbitrary option objects; `Request::on_token`, `Request::set_json` and `CreateArgs::request` against it |
//! | `wire` | `wire::WireOp` over a memory store, with replies that are real, conflicts, mangled or arbitrary JSON; `replies_from_json` |
//! | `records` | the record decoder, through a store that hands `Sessions` arbitrary bytes as records |
//! | `snapshot` | `MemoryStore::load_snapshot` with arbitrary bytes, and save/load round trips |
//! | `merge` | `Patch::from_json` and `Data::merge` against a reference model of the merge |

mod draw;
mod merge;
mod records;
mod request;
mod snapshot;
mod wire;

/// A target: its name (of its cargo-fuzz binary and of its regressions folder) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: &[Target] = &[
    ("request", request::run),
    ("wire", wire::run),
    ("records", records::run),
    ("snapshot", snapshot::run),
    ("merge", merge::run),
];

pub use merge::run as merge;
pub use records::run as records;
pub use request::run as request;
pub use snapshot::run as snapshot;
pub use wire::run as wire;

/// The error names the core documents.
const ERROR_NAMES: &[&str] = &[
    "missingParameter",
    "invalidFormat",
    "invalidValue",
    "tooLarge",
    "conflict",
    "storeError",
];

/// Checks what every error must be: a documented name, a message, and for input errors a
/// field that the message names.
fn check_error(e: &session_core::Error) {
    assert!(ERROR_NAMES.contains(&e.name()), "unknown error name {e:?}");
    let message = e.to_string();
    assert!(!message.is_empty(), "empty message: {e:?}");
    if e.is_input_error() {
        let field = e.field().unwrap_or_else(|| panic!("no field: {e:?}"));
        assert!(
            message.contains(field),
            "the message does not name its field {field:?}: {message:?}"
        );
    } else {
        assert_eq!(e.field(), None, "{e:?}");
    }
}

/// Parses an answer the core wrote as JSON text, failing loudly when it is not JSON.
fn parse_json(text: &str, what: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what} is not valid JSON ({e}): {text}"))
}
