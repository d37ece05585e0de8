//! The `records` target: see tests/fuzzing/src/records.rs for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::records(data));
