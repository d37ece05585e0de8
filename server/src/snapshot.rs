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
//!
//! A snapshot is of one instant, and is taken without stalling requests (the memory store
//! copies its records in short locked steps; see `MemoryStore::snapshot`).
//!
//! A snapshot that cannot be written is never silent: `/health` says `degraded` with the
//! reason, `/metrics` counts it and keeps the time of the last success, the log says it (once
//! per reason, then once a minute), and writes are accepted or refused as
//! `--on-snapshot-error` says until the next tick succeeds. The last snapshot, at shutdown,
//! goes to a fallback file named in the log when `--data` cannot be written.

use crate::log::log_line;
use session_core::{MemoryStore, Sessions, Snapshot};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// The envelope's header line for `snapshot`.
fn header(snapshot: &Snapshot) -> Result<String, std::io::Error> {
    let mut hasher = Sha256::new();
    snapshot.write_to(&mut hasher)?;
    Ok(header_line(snapshot.byte_len(), &hasher.finalize()))
}

/// The header line of a payload of `length` bytes with SHA-256 `digest`.
fn header_line(length: usize, digest: &[u8]) -> String {
    format!("{MAGIC} bytes={length} sha256={}\n", hex(digest))
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Takes a snapshot (of one instant, without stalling requests: see
/// `MemoryStore::snapshot`), with its envelope's header.
fn take(sessions: &Sessions<MemoryStore>) -> Result<(String, Snapshot), String> {
    let snapshot = sessions.store().snapshot();
    let header = header(&snapshot).map_err(|e| format!("checksumming the snapshot: {e}"))?;
    Ok((header, snapshot))
}

/// Writes a snapshot atomically to `path` (see the module docs); why not, if it fails (the
/// step and the system's error, without the path).
fn write(path: &Path, header: &str, snapshot: &Snapshot) -> Result<(), String> {
    write_atomically(path, |file| {
        file.write_all(header.as_bytes())?;
        snapshot.write_to(file)
    })
}

/// Replaces `path` with what `fill` writes: a new temporary file, synced, renamed over `path`,
/// and the directory synced. The temporary file is removed if anything fails. The error says
/// which step failed.
fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> std::io::Result<()>,
) -> Result<(), String> {
    let step = |what: &'static str| move |e: std::io::Error| format!("{what}: {e}");
    let tmp = temporary(path).map_err(step("naming a temporary file"))?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(step("creating a temporary file beside it"))?;
    let written = (|| {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, &file);
        fill(&mut out).map_err(step("writing"))?;
        out.flush().map_err(step("writing"))?;
        drop(out);
        file.sync_all().map_err(step("syncing"))?;
        std::fs::rename(&tmp, path).map_err(step("renaming it over the file"))
    })();
    drop(file);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(&directory(path)).map_err(step("syncing the directory"))
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

/// What to do with writes while snapshots fail (`--on-snapshot-error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OnError {
    /// Keep accepting them: a session server that refuses writes refuses logins and, since
    /// every read counts an access, nearly every request, for as long as the disk has a
    /// problem; accepting them risks only what a restart would lose before the disk is fixed.
    KeepServing,
    /// Refuse them (503 storeError) until a snapshot succeeds, as Redis does by default
    /// (`stop-writes-on-bgsave-error`): nothing is accepted that a restart would lose.
    RefuseWrites,
}

/// What `/health` and `/metrics` say about the snapshots.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Report {
    /// When the file last held every session, in Unix milliseconds: the last snapshot
    /// written, or the load at start.
    pub(crate) last_success_ms: u64,
    /// Snapshots that failed since the start.
    pub(crate) failures: u64,
    /// While snapshots fail: why the last one did (the step and the system's error).
    pub(crate) failing: Option<String>,
    /// Whether writes are refused meanwhile (`--on-snapshot-error refuse-writes`).
    pub(crate) refusing: bool,
}

/// The `--data` snapshots of the memory store: written one at a time, their outcome
/// reported to `/health`, `/metrics` and the log.
pub(crate) struct Snapshots {
    sessions: Arc<Sessions<MemoryStore>>,
    path: PathBuf,
    on_error: OnError,
    /// Held while a snapshot is taken and written, so that the file always ends up with the
    /// latest one (the last at shutdown waits for a periodic one in progress).
    writing: Mutex<()>,
    state: Mutex<State>,
}

struct State {
    report: Report,
    /// Failures in a row, and when the last log line about them was written.
    in_a_row: u64,
    logged: Option<Instant>,
}

/// While snapshots keep failing the same way, one log line this often.
const LOG_EVERY: Duration = Duration::from_secs(60);

fn unix_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

impl Snapshots {
    /// The snapshots of `sessions` to `path`, which was just loaded (the file held every
    /// session then).
    pub(crate) fn new(
        sessions: Arc<Sessions<MemoryStore>>,
        path: PathBuf,
        on_error: OnError,
    ) -> Self {
        Self {
            sessions,
            path,
            on_error,
            writing: Mutex::new(()),
            state: Mutex::new(State {
                report: Report {
                    last_success_ms: unix_ms(),
                    failures: 0,
                    failing: None,
                    refusing: false,
                },
                in_a_row: 0,
                logged: None,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change to the state is whole before the guard drops.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The snapshots' state now.
    pub(crate) fn report(&self) -> Report {
        self.state().report.clone()
    }

    /// Takes a snapshot and writes it to `--data`; records the outcome (the report, the log,
    /// and writes refused or accepted again). Returns how many sessions it holds.
    pub(crate) fn save(&self) -> Result<usize, String> {
        let _alone = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let outcome = take(&self.sessions).and_then(|(header, snapshot)| {
            write(&self.path, &header, &snapshot).map(|()| snapshot.sessions())
        });
        match &outcome {
            Ok(_) => self.succeeded(),
            Err(why) => self.failed(why),
        }
        outcome
    }

    fn succeeded(&self) {
        let mut state = self.state();
        let failures = std::mem::take(&mut state.in_a_row);
        let was_refusing = std::mem::take(&mut state.report.refusing);
        state.report.last_success_ms = unix_ms();
        state.report.failing = None;
        state.logged = None;
        drop(state);
        if was_refusing {
            self.sessions.store().refuse_writes(None);
        }
        if failures > 0 {
            log_line!(
                "session-core-server: snapshots to {} work again (after {failures} failed){}",
                self.path.display(),
                if was_refusing {
                    "; writes are accepted again"
                } else {
                    ""
                }
            );
        }
    }

    fn failed(&self, why: &str) {
        let mut state = self.state();
        state.in_a_row += 1;
        state.report.failures += 1;
        let changed = state.report.failing.as_deref() != Some(why);
        state.report.failing = Some(why.to_owned());
        let refuse = self.on_error == OnError::RefuseWrites && !state.report.refusing;
        if refuse {
            state.report.refusing = true;
            self.sessions.store().refuse_writes(Some(format!(
                "writes are refused until a snapshot can be written (--on-snapshot-error \
                 refuse-writes): {why}"
            )));
        }
        let due = state.logged.is_none_or(|t| t.elapsed() >= LOG_EVERY);
        if changed || due {
            state.logged = Some(Instant::now());
            log_line!(
                "session-core-server: cannot write the snapshot {}: {why} ({} failed in a row; \
                 /health says degraded); writes are {} (--on-snapshot-error)",
                self.path.display(),
                state.in_a_row,
                if state.report.refusing {
                    "refused"
                } else {
                    "accepted"
                }
            );
        }
    }

    /// The last snapshot, at shutdown: to `--data`, or, if that fails, to a fallback file
    /// named in the log, so that the sessions are never lost silently. `Err` unless they are
    /// in `--data`: the exit status then says something went wrong.
    pub(crate) fn save_last(&self) -> Result<usize, String> {
        let _alone = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let (header, snapshot) = take(&self.sessions)?;
        let n = snapshot.sessions();
        let why = match write(&self.path, &header, &snapshot) {
            Ok(()) => {
                log_line!(
                    "session-core-server: saved {n} sessions to {}",
                    self.path.display()
                );
                return Ok(n);
            }
            Err(why) => why,
        };
        log_line!(
            "session-core-server: cannot write the last snapshot {}: {why}",
            self.path.display()
        );
        for fallback in fallbacks(&self.path) {
            match write(&fallback, &header, &snapshot) {
                Ok(()) => {
                    log_line!(
                        "session-core-server: saved {n} sessions to {} instead: move it to {} \
                         (or start with --data {}) to load them",
                        fallback.display(),
                        self.path.display(),
                        fallback.display()
                    );
                    return Err(format!(
                        "the last snapshot is in {}, not in {}",
                        fallback.display(),
                        self.path.display()
                    ));
                }
                Err(e) => log_line!(
                    "session-core-server: cannot write {} either: {e}",
                    fallback.display()
                ),
            }
        }
        Err(format!(
            "the last snapshot could not be written anywhere: {n} sessions are lost"
        ))
    }
}

/// Where the last snapshot goes when `path` cannot be written: the temporary directory
/// (`TMPDIR`), then the working directory; named after the file and this process.
fn fallbacks(path: &Path) -> Vec<PathBuf> {
    let name = path
        .file_name()
        .map_or_else(|| "sessions".into(), |n| n.to_string_lossy().into_owned());
    let file = format!("session-core-{}-{name}", std::process::id());
    let mut dirs = vec![std::env::temp_dir()];
    if let Ok(cwd) = std::env::current_dir() {
        if !dirs.contains(&cwd) {
            dirs.push(cwd);
        }
    }
    dirs.into_iter().map(|d| d.join(&file)).collect()
}

/// Saves a snapshot every `secs` seconds, off the async threads. A failure is reported
/// ([`Snapshots::save`]) and the next tick tries again.
pub(crate) async fn save_forever(snapshots: Arc<Snapshots>, secs: u64) {
    let mut tick = tokio::time::interval(Duration::from_secs(secs.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let s = snapshots.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || s.save()).await {
            log_line!("session-core-server: snapshot task failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `payload` in its envelope.
    fn seal(payload: &[u8]) -> Vec<u8> {
        let mut out = header_line(payload.len(), &Sha256::digest(payload)).into_bytes();
        out.extend_from_slice(payload);
        out
    }

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
