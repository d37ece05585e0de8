//! `--data FILE`: the memory store's sessions survive restarts.
//!
//! The file is an envelope around the bytes of `MemoryStore::save_snapshot`: one header line,
//! then exactly that many bytes of payload.
//!
//! ```text
//! session-core-snapshot v1 bytes=<payload length> sha256=<64 hex digits of the payload's SHA-256>\n
//! <payload>
//! ```
//!
//! It is verified before the store reads a byte of it: a changed byte, a truncated file or
//! anything appended is refused with a message naming the file, which is left untouched (the
//! server does not start, so it never overwrites it). A file without the envelope (written
//! before it existed) is refused the same way: it cannot be checked.
//!
//! Writes are atomic: the snapshot goes to a new file beside the live one
//! (`<file>.<pid>.<random>.tmp`, created exclusively), which is synced, renamed over the live
//! file, and then the directory is synced, so that after a crash or a power cut at any point
//! the live file is the old snapshot or the new one, whole.

use crate::log::log_line;
use session_core::{MemoryStore, Sessions};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The header line's first word and version.
const MAGIC: &str = "session-core-snapshot v1";
/// The core's own magic bytes: a file written before the envelope existed starts with them.
const BARE_MAGIC: &[u8] = b"SCSNAP";
/// A header line is shorter than this.
const MAX_HEADER: usize = 256;

/// Loads the snapshot at `path` if there is one; returns how many sessions it held that are
/// still alive. A missing file is a first start; an unreadable or corrupt one stops the server
/// rather than silently logging everybody out.
pub(crate) fn load(sessions: &Sessions<MemoryStore>, path: &Path) -> Result<usize, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            remove_stale_temporaries(path);
            return Ok(0);
        }
        Err(e) => return Err(format!("--data {}: cannot read it: {e}", path.display())),
    };
    let payload = open(&bytes).map_err(|why| {
        format!(
            "--data {}: the snapshot is not readable: {why}. The file is left as it is; restore \
             it from a backup, or move it away to start with no sessions",
            path.display()
        )
    })?;
    let n = sessions
        .store()
        .load_snapshot(payload, sessions.now())
        .map_err(|e| format!("--data {}: {e}", path.display()))?;
    remove_stale_temporaries(path);
    Ok(n)
}

/// The payload of an envelope, verified; or why it is refused.
fn open(bytes: &[u8]) -> Result<&[u8], String> {
    if bytes.starts_with(BARE_MAGIC) {
        return Err(
            "it has no checksum (it was written by an earlier version of \
                    session-core-server), so it cannot be verified"
                .into(),
        );
    }
    let newline = bytes
        .iter()
        .take(MAX_HEADER)
        .position(|b| *b == b'\n')
        .ok_or("it does not start with a session-core-snapshot header")?;
    let header =
        std::str::from_utf8(&bytes[..newline]).map_err(|_| "its header is not text".to_owned())?;
    let rest = header
        .strip_prefix(MAGIC)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(|| {
            if header.starts_with("session-core-snapshot ") {
                format!("its header {header:?} has a version this build does not read ({MAGIC})")
            } else {
                "it does not start with a session-core-snapshot header".to_owned()
            }
        })?;
    let mut length = None;
    let mut digest = None;
    for field in rest.split(' ') {
        match field.split_once('=') {
            Some(("bytes", v)) => length = v.parse::<usize>().ok(),
            Some(("sha256", v)) if v.len() == 64 => digest = Some(v),
            _ => {}
        }
    }
    let (Some(length), Some(digest)) = (length, digest) else {
        return Err(format!(
            "its header {header:?} lacks bytes=<length> or sha256=<digest>"
        ));
    };
    let payload = &bytes[newline + 1..];
    if payload.len() < length {
        return Err(format!(
            "it is truncated: the header announces {length} bytes, the file holds {}",
            payload.len()
        ));
    }
    if payload.len() > length {
        return Err(format!(
            "{} unexpected bytes follow the {length} bytes the header announces",
            payload.len() - length
        ));
    }
    let actual = hex(&Sha256::digest(payload));
    if !actual.eq_ignore_ascii_case(digest) {
        return Err(format!(
            "its content does not match its checksum (SHA-256 {actual}, the header says {digest})"
        ));
    }
    Ok(payload)
}

/// `payload` in its envelope.
fn seal(payload: &[u8]) -> Vec<u8> {
    let header = format!(
        "{MAGIC} bytes={} sha256={}\n",
        payload.len(),
        hex(&Sha256::digest(payload))
    );
    let mut out = Vec::with_capacity(header.len() + payload.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    out
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Writes a snapshot atomically (see the module docs); returns how many sessions it holds.
pub(crate) fn save(sessions: &Sessions<MemoryStore>, path: &Path) -> Result<usize, String> {
    let mut payload = Vec::new();
    let n = sessions
        .store()
        .save_snapshot(&mut payload)
        .map_err(|e| format!("writing the snapshot {}: {e}", path.display()))?;
    write_atomically(path, &seal(&payload))
        .map_err(|e| format!("writing the snapshot {}: {e}", path.display()))?;
    Ok(n)
}

/// Replaces `path` with `bytes`: a new temporary file, synced, renamed over `path`, and the
/// directory synced. The temporary file is removed if anything fails.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temporary(path)?;
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(&directory(path))
}

/// The directory `path` is in (`.` for a bare file name).
fn directory(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// `<file>.<pid>.<16 random hex digits>.tmp` beside `path`: never `path` itself, whatever its
/// name ends with, and never another writer's.
fn temporary(path: &Path) -> std::io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "--data names no file")
    })?;
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut tmp = name.to_owned();
    tmp.push(format!(".{}.{}.tmp", std::process::id(), hex(&random)));
    Ok(directory(path).join(tmp))
}

/// Whether `candidate` is a temporary file of [`temporary`] for `name`.
fn is_temporary_of(candidate: &str, name: &str) -> bool {
    let Some(rest) = candidate
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix('.'))
        .and_then(|r| r.strip_suffix(".tmp"))
    else {
        return false;
    };
    match rest.split_once('.') {
        Some((pid, random)) => {
            !pid.is_empty()
                && pid.bytes().all(|b| b.is_ascii_digit())
                && random.len() == 16
                && random.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// Removes the temporary files a killed writer left beside `path`.
fn remove_stale_temporaries(path: &Path) {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(directory(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        if file.to_str().is_some_and(|f| is_temporary_of(f, name)) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => log_line!(
                    "session-core-server: removed {}, left by an interrupted snapshot",
                    entry.path().display()
                ),
                Err(e) => log_line!(
                    "session-core-server: cannot remove {}: {e}",
                    entry.path().display()
                ),
            }
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Windows cannot open a directory as a file; its rename is durable once it returns.
    Ok(())
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
            Ok(Err(e)) => log_line!("session-core-server: {e}"),
            Err(e) => log_line!("session-core-server: snapshot task failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_opens_only_whole_and_unchanged() {
        let sealed = seal(b"SCSNAP\x01payload");
        assert_eq!(open(&sealed), Ok(&b"SCSNAP\x01payload"[..]));

        let mut changed = sealed.clone();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        assert!(
            open(&changed)
                .unwrap_err()
                .contains("does not match its checksum")
        );

        let mut longer = sealed.clone();
        longer.extend_from_slice(b"junk");
        assert!(open(&longer).unwrap_err().contains("4 unexpected bytes"));

        assert!(
            open(&sealed[..sealed.len() - 2])
                .unwrap_err()
                .contains("truncated")
        );
        assert!(open(b"SCSNAP\x01old").unwrap_err().contains("no checksum"));
        assert!(open(b"garbage").unwrap_err().contains("header"));
        assert!(
            open(b"session-core-snapshot v9 bytes=1 sha256=00\nx")
                .unwrap_err()
                .contains("version")
        );
    }

    #[test]
    fn temporary_names_never_are_the_file() {
        let path = Path::new("/var/lib/x.tmp");
        let tmp = temporary(path).unwrap();
        assert_ne!(tmp, path);
        assert_eq!(tmp.parent(), path.parent());
        let name = tmp.file_name().unwrap().to_str().unwrap();
        assert!(is_temporary_of(name, "x.tmp"), "{name}");
        assert!(!is_temporary_of("x.tmp", "x.tmp"));
        assert!(!is_temporary_of("x.tmp.12.notrandom.tmp", "x.tmp"));
        assert_eq!(directory(Path::new("sessions.bin")), PathBuf::from("."));
    }
}
