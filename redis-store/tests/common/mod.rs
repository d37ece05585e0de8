//! Test helpers: the shared real-`redis-server` launcher.

#![allow(unused_imports)] // Each test binary uses its own subset of the helpers.

pub(crate) use conformance::redis_server::{Cluster, RedisServer, Sentinels, raw_command};
