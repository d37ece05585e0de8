//! `GET /metrics`: requests and failures per route, and the sessions held, in the Prometheus
//! text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The routes counted, by name: the operations, `killHandle` (`DELETE /{app}/handle/...`),
/// `ping`, and `other` (any other `/v1/{op}`).
pub const ROUTES: &[&str] = &[
    "create",
    "get",
    "set",
    "touch",
    "regenerate",
    "setTtl",
    "kill",
    "killHandle",
    "activity",
    "soapp",
    "soid",
    "killsoid",
    "killall",
    "sweep",
    "ping",
    "other",
];

/// The route `name` counts under: itself when it is one of [`ROUTES`], else `other`.
pub fn metric_route(name: &str) -> &'static str {
    ROUTES
        .iter()
        .find(|r| **r == name)
        .copied()
        .unwrap_or("other")
}

fn index(route: &str) -> usize {
    let other = ROUTES.len() - 1;
    ROUTES.iter().position(|r| *r == route).unwrap_or(other)
}

/// Counters per route, for a host that serves every request in one process.
#[derive(Debug, Default)]
pub struct Counters {
    requests: [AtomicU64; ROUTES.len()],
    errors: [AtomicU64; ROUTES.len()],
}

impl Counters {
    /// Counts a request to `route` (one of [`ROUTES`]; anything else counts as `other`).
    pub fn record(&self, route: &str, ok: bool) {
        let i = index(route);
        self.requests[i].fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.errors[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The text of `/metrics`, with the sessions held when the host knows them.
    pub fn render(&self, sessions: Option<u64>) -> String {
        let load = |c: &[AtomicU64; ROUTES.len()]| c.each_ref().map(|n| n.load(Ordering::Relaxed));
        render_metrics(&load(&self.requests), &load(&self.errors), sessions)
    }
}

/// The text of `/metrics` from counts in [`ROUTES`] order (missing ones are 0): for a host
/// that sums counters kept apart (the Worker: one Durable Object per app).
///
/// ```
/// let text = session_core::rest::render_metrics(&[3], &[1], Some(2));
/// assert!(text.contains("session_core_requests_total{route=\"create\"} 3\n"));
/// assert!(text.contains("session_core_errors_total{route=\"get\"} 0\n"));
/// assert!(text.ends_with("session_core_sessions 2\n"));
/// ```
pub fn render_metrics(requests: &[u64], errors: &[u64], sessions: Option<u64>) -> String {
    let mut out = String::with_capacity(2048);
    let mut counter = |name: &str, help: &str, counts: &[u64]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (i, route) in ROUTES.iter().enumerate() {
            let n = counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}{{route=\"{route}\"}} {n}");
        }
    };
    counter(
        "session_core_requests_total",
        "Requests per route.",
        requests,
    );
    counter(
        "session_core_errors_total",
        "Requests per route that failed.",
        errors,
    );
    if let Some(n) = sessions {
        out.push_str("# HELP session_core_sessions Sessions held by the store.\n");
        out.push_str("# TYPE session_core_sessions gauge\n");
        let _ = writeln!(out, "session_core_sessions {n}");
    }
    out
}

/// The lines of `/metrics` about snapshots, for a host that writes them (the REST server's
/// `--data`): `session_core_snapshot_last_success_timestamp_seconds`, when the snapshot file
/// last held every session (`last_success_ms`, Unix milliseconds: its last successful write,
/// or its load at start), and `session_core_snapshot_failures_total`, the snapshots that
/// failed since the start. An alert on `time() - …_last_success_timestamp_seconds` catches
/// snapshots that stopped working, whatever the reason.
///
/// ```
/// let text = session_core::rest::render_snapshot_metrics(1_700_000_000_250, 2);
/// assert!(text.contains("\nsession_core_snapshot_last_success_timestamp_seconds 1700000000.25\n"));
/// assert!(text.ends_with("\nsession_core_snapshot_failures_total 2\n"));
/// ```
pub fn render_snapshot_metrics(last_success_ms: u64, failures: u64) -> String {
    let name = "session_core_snapshot_last_success_timestamp_seconds";
    let mut out = String::with_capacity(512);
    let _ = writeln!(
        out,
        "# HELP {name} When the snapshot file last held every session (Unix time).\n\
         # TYPE {name} gauge\n{name} {}",
        last_success_ms as f64 / 1000.0
    );
    let name = "session_core_snapshot_failures_total";
    let _ = writeln!(
        out,
        "# HELP {name} Snapshots that could not be written.\n# TYPE {name} counter\n{name} {failures}"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_count_per_route_and_unknown_routes_as_other() {
        let c = Counters::default();
        c.record("get", true);
        c.record("get", false);
        c.record("nope", true);
        let text = c.render(None);
        assert!(text.contains("session_core_requests_total{route=\"get\"} 2\n"));
        assert!(text.contains("session_core_errors_total{route=\"get\"} 1\n"));
        assert!(text.contains("session_core_requests_total{route=\"other\"} 1\n"));
        assert!(!text.contains("session_core_sessions"));
        assert_eq!(metric_route("soid"), "soid");
        assert_eq!(metric_route("bogus"), "other");
    }
}
