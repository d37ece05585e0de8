//! `--data FILE`: the memory store's sessions survive restarts.

use session_core::{MemoryStore, Sessions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Loads the snapshot at `path` if there is one. A missing file is a first start; an
/// unreadable one stops the server rather than silently logging everybody out.
pub(crate) fn load(sessions: &Sessions<MemoryStore>, path: &Path) -> Result<usize, String> {
    match std::fs::File::open(path) {
        Ok(file) => sessions
            .store()
            .load_snapshot(std::io::BufReader::new(file), sessions.now())
            .map_err(|e| format!("--data {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(format!("--data {}: {e}", path.display())),
    }
}

/// Writes a snapshot atomically: to a temporary file beside `path`, then renamed over it, so a
/// crash mid-write never leaves a torn snapshot.
pub(crate) fn save(sessions: &Sessions<MemoryStore>, path: &Path) -> Result<usize, String> {
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<usize> {
        let file = std::fs::File::create(&tmp)?;
        let mut out = std::io::BufWriter::new(file);
        let n = sessions.store().save_snapshot(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(n)
    };
    write().map_err(|e| format!("writing the snapshot {}: {e}", path.display()))
}

/// Saves a snapshot every `secs` seconds, off the async threads.
pub(crate) async fn save_forever(sessions: Arc<Sessions<MemoryStore>>, path: PathBuf, secs: u64) {
    let mut tick = tokio::time::interval(Duration::from_secs(secs.max(1)));
    tick.tick().await;
    loop {
        tick.tick().await;
        let (s, p) = (sessions.clone(), path.clone());
        match tokio::task::spawn_blocking(move || save(&s, &p)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!("session-core-server: {e}"),
            Err(e) => eprintln!("session-core-server: snapshot task failed: {e}"),
        }
    }
}
