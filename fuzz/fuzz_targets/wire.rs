//! The `wire` target: see tests/fuzzing/src/wire.rs for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::wire(data));
