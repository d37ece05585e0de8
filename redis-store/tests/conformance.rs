//! The store kit (`session_core::testkit`: every conformance vector, the differential runs
//! against the reference model, the store contract) against `RedisStore`: on one real
//! redis-server, and on a 3-master cluster, with one shard per app and with 16. Each case runs
//! in a namespace of its own, which is an empty store.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use common::{Cluster, RedisServer};
use session_core::Shards;
use session_core::testkit::{check_async_store, check_async_store_in};
use session_core_redis::RedisStore;
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A new namespace per call: an empty store, as a new process has it (no cached records).
fn fresh(store: &RedisStore) -> impl FnMut() -> RedisStore + '_ {
    let mut n = 0;
    move || {
        n += 1;
        store.with_namespace(&format!("kit{n}")).unwrap()
    }
}

#[test]
fn the_store_kit_passes_on_redis() {
    let server = RedisServer::start();
    let rt = runtime();
    let store = rt.block_on(RedisStore::connect(&server.url())).unwrap();
    rt.block_on(check_async_store(fresh(&store)))
        .assert_passed();
    // Something was really stored in Redis.
    assert!(server.calls("evalsha") > 500);
}

/// The whole kit on a fresh 3-master cluster with each app over `shards`; every master runs
/// batches.
fn kit_on_a_cluster(shards: u32) {
    let cluster = Cluster::start(3);
    let rt = runtime();
    let store = rt
        .block_on(RedisStore::connect_cluster(cluster.urls()))
        .unwrap();
    assert!(store.is_cluster());
    let shards = Shards::new(shards).unwrap();
    rt.block_on(check_async_store_in(shards, fresh(&store)))
        .assert_passed();
    for node in &cluster.nodes {
        assert!(node.calls("evalsha") > 0, "every master ran batches");
    }
}

#[test]
fn the_store_kit_passes_on_a_redis_cluster() {
    kit_on_a_cluster(1);
}

/// With 16 shards, every batch still lands in one slot (the store refuses a batch across hash
/// tags), and the app-wide operations merge the shards.
#[test]
fn the_store_kit_passes_on_a_redis_cluster_with_sixteen_shards() {
    kit_on_a_cluster(16);
}
