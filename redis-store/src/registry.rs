//! [`Registered`]: which apps this store entered in the app registry lately.
//!
//! `create` enters its app in the registry (`rs:_apps`, outside every app's hash tag, so a
//! batch of its own). An app only has to be there once: the registry's scores just order the
//! apps for a sweep of all of them. So a store enters each app at most once a minute, and
//! a `create` costs one round trip instead of two.

use session_core::App;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an entry in the registry counts as recent.
const FRESH: Duration = Duration::from_secs(60);

/// Apps entered lately, with when.
#[derive(Debug, Default)]
pub(crate) struct Registered(Mutex<HashMap<App, Instant>>);

impl Registered {
    /// True when this store entered `app` within the last minute.
    pub(crate) fn recently(&self, app: App) -> bool {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&app).is_some_and(|at| at.elapsed() < FRESH)
    }

    /// `app` was entered now.
    pub(crate) fn note(&self, app: App) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(app, Instant::now());
    }
}
