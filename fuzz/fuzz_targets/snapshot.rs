//! The `snapshot` target: see tests/fuzzing/src/snapshot.rs for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::snapshot(data));
