//! `session-core-server`: rest-sessions' HTTP API as one binary.
//!
//! Sessions live in the embedded memory store (optionally persisted with `--data FILE`) or in
//! Redis (`--redis URL`, or a Redis Cluster with `--redis-cluster URL,URL…`). See `--help`, the README, and `/openapi.json` on a running server.

mod backend;
mod body;
mod config;
mod log;
mod routes;
mod serve;
mod snapshot;

use backend::{Backend, Memory, TestClock};
use clap::Parser;
use config::Config;
use log::log_line;
use session_core::sweep::{self, Schedule};
use session_core::{AsyncSessions, AutoSweep, ManualClock};
use session_core_redis::RedisConfig;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    match serve(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log_line!("session-core-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    // First of all, so that no signal meets the default action (see `signals`).
    let signals = signals();
    let test_clock = TestClock(config.test_clock.then(|| ManualClock::new(0)));
    if test_clock.0.is_some() {
        log_line!("session-core-server: --test-clock is on; clients set the time. Tests only!");
    }
    if config.auth_token.is_none() && !config.bind.is_loopback() {
        log_line!(
            "session-core-server: WARNING: listening on {} without --auth-token (RS_AUTH_TOKEN): \
             anyone who can reach this port can read and end every session",
            config.bind
        );
    }
    let mut backend = open_backend(&config, &test_clock).await?;
    let snapshots = match (&mut backend, &config.data) {
        (Backend::Memory(memory), Some(path)) => {
            let n = snapshot::load(&memory.sessions, path)?;
            memory.loaded(n);
            log_line!(
                "session-core-server: loaded {n} sessions from {}",
                path.display()
            );
            let snapshots = Arc::new(snapshot::Snapshots::new(
                memory.sessions.clone(),
                path.clone(),
                config.on_snapshot_error,
            ));
            memory.snapshots = Some(snapshots.clone());
            let task = snapshot::save_forever(snapshots.clone(), config.snapshot_interval);
            Some((snapshots, tokio::spawn(task)))
        }
        _ => None,
    };
    let app = Arc::new(routes::App {
        backend: backend.clone(),
        metrics: session_core::rest::Counters::default(),
        body_limit: config.body_limit,
        discard_limit: config.discard_limit,
        discard_timeout: config.discard_timeout.0,
        max_list: config.max_list,
        body_timeout: config.body_timeout.0,
        test_clock,
        auth: config
            .auth_token
            .as_ref()
            .map(|t| session_core::rest::Auth::new(&t.0)),
    });
    let addr = std::net::SocketAddr::new(config.bind, config.port);
    let listener = listen(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let sweeper = match sweep_schedule(&config, &backend) {
        Schedule::Timer { every_ms } => Some(tokio::spawn(sweep_forever(
            backend.clone(),
            Duration::from_millis(every_ms),
        ))),
        Schedule::InCalls | Schedule::Off => None,
    };
    let limits = serve::Limits {
        header_timeout: config.header_timeout.0,
        head_limit: config.head_limit as usize,
        max_connections: config
            .max_connections
            .map_or_else(serve::default_max_connections, |n| n as usize),
        shutdown_timeout: config.shutdown_timeout.0,
    };
    log_line!(
        "session-core-server listening on http://{addr} ({} store{})",
        backend.kind(),
        if app.auth.is_some() {
            ", token required"
        } else {
            ""
        }
    );
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<Instant>();
    let first = {
        let signals = signals.clone();
        async move {
            nth_signal(signals, 1).await;
            let _ = signalled_tx.send(Instant::now());
            log_line!("session-core-server: stopping");
        }
    };
    // A second signal ends the wait for requests in progress (someone pressing Ctrl-C twice):
    // dropping the loop drops its connections at once.
    let drained = tokio::select! {
        drained = serve::run(listener, routes::router(app), limits, first) => Some(drained),
        () = nth_signal(signals, 2) => None,
    };
    match drained {
        Some(drained) if drained.dropped > 0 => log_line!(
            "session-core-server: {} still open after {} s (--shutdown-timeout): dropped",
            match drained.dropped {
                1 => "1 connection was".to_owned(),
                n => format!("{n} connections were"),
            },
            limits.shutdown_timeout.as_secs_f64()
        ),
        Some(_) => {}
        None => log_line!(
            "session-core-server: a second signal: the connections still open are dropped \
             without waiting for --shutdown-timeout"
        ),
    }
    if let Some(task) = sweeper {
        task.abort();
    }
    // Requests have finished (or been dropped): the last snapshot sees them. Further signals
    // are caught and ignored meanwhile, so that it is always written (to --data, or to a
    // fallback file the log names).
    if let Some((snapshots, task)) = snapshots {
        task.abort();
        let last = tokio::task::spawn_blocking(move || snapshots.save_last());
        last.await
            .map_err(|e| format!("the last snapshot failed: {e}"))??;
    }
    match signalled_rx.await {
        Ok(at) => log_line!(
            "session-core-server stopped ({} ms after the signal)",
            at.elapsed().as_millis()
        ),
        Err(_) => log_line!("session-core-server stopped"),
    }
    Ok(())
}

/// Binds `addr` with a backlog of 1,024 (a burst of connections waits in the kernel rather
/// than being dropped and retried by the clients a second later).
fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn open_backend(config: &Config, clock: &TestClock) -> Result<Backend, String> {
    let target = match (&config.redis, &config.redis_cluster) {
        (Some(url), _) => Some(("--redis", RedisConfig::new(url))),
        (None, Some(nodes)) => Some(("--redis-cluster", RedisConfig::cluster(nodes))),
        (None, None) => None,
    };
    if let Some((flag, redis)) = target {
        if config.data.is_some() {
            return Err("--data keeps the memory store's sessions; Redis keeps its own".into());
        }
        let store = backend::connect_redis(redis_config(config, redis)?, flag).await?;
        // Redis is shared with other processes: swept on a timer, never inside calls (the
        // async driver's default).
        let shards =
            session_core::Shards::new(config.shards).map_err(|e| format!("--shards: {e}"))?;
        let mut sessions = AsyncSessions::new(store).with_shards(shards);
        if let Some(clock) = &clock.0 {
            sessions = sessions.with_clock(clock.clone());
        }
        return Ok(Backend::Redis(Arc::new(sessions)));
    }
    let in_calls = !config.test_clock && sweep::schedule(false, config.wipe) == Schedule::InCalls;
    let memory = Memory::new(|sessions| {
        let sessions = sessions.with_auto_sweep(in_calls.then(AutoSweep::default));
        match &clock.0 {
            Some(clock) => sessions.with_clock(clock.clone()),
            None => sessions,
        }
    });
    Ok(Backend::Memory(memory))
}

/// The Redis settings of the flags: the server or cluster, with the namespace, credentials
/// and TLS files.
fn redis_config(config: &Config, redis: RedisConfig) -> Result<RedisConfig, String> {
    let mut redis = redis.namespace(config.namespace.clone());
    if let Some(username) = &config.redis_username {
        redis = redis.username(username.clone());
    }
    if let Some(password) = &config.redis_password {
        redis = redis.password(password.0.clone());
    }
    let read = |flag: &str, path: &std::path::Path| {
        std::fs::read(path).map_err(|e| format!("{flag}: cannot read {}: {e}", path.display()))
    };
    if let Some(ca) = &config.redis_ca {
        redis = redis.tls_ca(read("--redis-ca", ca)?);
    }
    if let (Some(cert), Some(key)) = (&config.redis_cert, &config.redis_key) {
        redis = redis.tls_client_cert(read("--redis-cert", cert)?, read("--redis-key", key)?);
    }
    Ok(redis)
}

/// How this server sweeps (the core's choice): the memory store inside calls, Redis on a timer
/// every `--wipe` seconds; never with the test clock (the tests sweep when they mean to).
fn sweep_schedule(config: &Config, backend: &Backend) -> Schedule {
    if config.test_clock {
        return Schedule::Off;
    }
    sweep::schedule(matches!(backend, Backend::Redis(_)), config.wipe)
}

/// Sweeps Redis every `period`: each tick is the core's (bounded steps while they find more
/// work), and a tick that ends with work left is followed by the next one at once.
async fn sweep_forever(backend: Backend, period: Duration) {
    let Backend::Redis(sessions) = backend else {
        return;
    };
    loop {
        if !sessions.sweep_tick().await {
            tokio::time::sleep(period).await;
        }
    }
}

/// Registers for SIGINT and SIGTERM at once, and counts them as they come: the first starts
/// the graceful shutdown (requests in progress get `--shutdown-timeout` to finish), the
/// second ends that wait ([`nth_signal`]). Registering up front (not on a future's first poll)
/// matters: a signal sent as soon as the server has answered a request would otherwise meet
/// the default action, and the process would die without its snapshot. Once registered,
/// signals never kill the process: the last snapshot is always written.
fn signals() -> watch::Receiver<u32> {
    let (count, counted) = watch::channel(0u32);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let streams = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        );
        tokio::spawn(async move {
            match streams {
                (Ok(mut int), Ok(mut term)) => loop {
                    let received = tokio::select! {
                        r = int.recv() => r,
                        r = term.recv() => r,
                    };
                    if received.is_none() {
                        return; // The runtime is shutting down.
                    }
                    count.send_modify(|n| *n += 1);
                },
                _ => {
                    while tokio::signal::ctrl_c().await.is_ok() {
                        count.send_modify(|n| *n += 1);
                    }
                }
            }
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            count.send_modify(|n| *n += 1);
        }
    });
    counted
}

/// Resolves once `n` signals have come (never, if signals cannot be received).
async fn nth_signal(mut signals: watch::Receiver<u32>, n: u32) {
    if signals.wait_for(|count| *count >= n).await.is_err() {
        std::future::pending::<()>().await;
    }
}
