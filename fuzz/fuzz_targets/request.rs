//! The `request` target: see tests/fuzzing/src/request.rs for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::request(data));
