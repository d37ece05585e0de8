//! Test support shared by every Rust target (the core with `MemoryStore`, the Redis store,
//! the REST server): the conformance-vector runner of `session_core::testkit`, re-exported,
//! plus the vectors read from `tests/vectors/` on disk ([`run_dir`], so that a vector added
//! there runs at once), and real `redis-server` processes ([`redis_server`]).

pub mod redis_server;

pub use session_core::testkit::{
    ErrorStep, Outcome, Report, Target, bind, error_steps, matches, run_files,
};

use std::path::{Path, PathBuf};

/// The folder of the vectors, from any crate of the workspace.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

/// The `*.json` files in `dir`, in name order (none if `dir` cannot be read).
fn vector_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
}

/// Runs every `*.json` file in `dir` against `target`.
pub fn run_dir(dir: &Path, target: &mut dyn Target) -> Report {
    let files: Vec<(String, String)> = vector_files(dir)
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, std::fs::read_to_string(p).unwrap_or_default())
        })
        .collect();
    run_files(&files, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kit_carries_every_vector_file_as_it_is_on_disk() {
        let on_disk: Vec<(String, String)> = vector_files(&vectors_dir())
            .iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(p).unwrap())
            })
            .collect();
        let built_in: Vec<(String, String)> = session_core::testkit::VECTORS
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect();
        assert_eq!(
            on_disk, built_in,
            "list every file of tests/vectors in core/src/testkit/vectors.rs"
        );
    }
}
