//! Prometheus-style counters: operations and errors per route.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The routes counted, by name.
pub(crate) const ROUTES: &[&str] = &[
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

/// Counters per route.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    ops: [AtomicU64; ROUTES.len()],
    errors: [AtomicU64; ROUTES.len()],
}

impl Metrics {
    fn index(route: &str) -> usize {
        let other = ROUTES.len() - 1;
        ROUTES.iter().position(|r| *r == route).unwrap_or(other)
    }

    pub(crate) fn record(&self, route: &str, ok: bool) {
        let i = Self::index(route);
        self.ops[i].fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.errors[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The text exposition format.
    pub(crate) fn render(&self, live: Option<usize>) -> String {
        let mut out = String::new();
        out.push_str("# HELP session_core_requests_total Requests per route.\n");
        out.push_str("# TYPE session_core_requests_total counter\n");
        for (i, r) in ROUTES.iter().enumerate() {
            let n = self.ops[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "session_core_requests_total{{route=\"{r}\"}} {n}");
        }
        out.push_str("# HELP session_core_errors_total Requests per route that failed.\n");
        out.push_str("# TYPE session_core_errors_total counter\n");
        for (i, r) in ROUTES.iter().enumerate() {
            let n = self.errors[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "session_core_errors_total{{route=\"{r}\"}} {n}");
        }
        if let Some(live) = live {
            out.push_str("# HELP session_core_sessions Sessions held by the store.\n");
            out.push_str("# TYPE session_core_sessions gauge\n");
            let _ = writeln!(out, "session_core_sessions {live}");
        }
        out
    }
}
