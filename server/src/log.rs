//! The server's log lines, on stderr. A line that cannot be written (stderr closed, or a pipe
//! whose reader went away) is dropped: `eprintln!` would panic instead, and a panic in the
//! shutdown path would lose the snapshot.

/// Writes one line to stderr, as `eprintln!` does, and ignores a failed write.
macro_rules! log_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use log_line;
