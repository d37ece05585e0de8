//! The `merge` target: see tests/fuzzing/src/merge.rs for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::merge(data));
