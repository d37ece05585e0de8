//! Replays every saved input of `fuzz/regressions/<target>/` (the findings of past fuzzing
//! runs, and a few seeds) through its target: a plain `cargo test` keeps each finding fixed.

use std::path::Path;

#[test]
fn saved_inputs_pass_their_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut replayed = 0;
    for (name, target) in fuzzing::TARGETS {
        let dir = root.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            eprintln!("{name}: {}", file.display());
            target(&data);
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no saved inputs under {}", root.display());
}

/// Short random inputs through every target, so that `cargo test` exercises the harness
/// itself (and catches a target that rejects everything) without a fuzzer.
#[test]
fn every_target_runs_on_random_bytes() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for (_, target) in fuzzing::TARGETS {
        for len in 0..300 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            target(&data);
        }
    }
}
