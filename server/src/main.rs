//! `session-core-server`: rest-sessions' HTTP API as one binary.
//!
//! Sessions live in the embedded memory store (optionally persisted with `--data FILE`) or in
//! Redis (`--redis URL`). See `--help`, the README, and `/openapi.json` on a running server.

mod auth;
mod backend;
mod config;
mod errors;
mod metrics;
mod routes;
mod serve;
mod snapshot;

use backend::{Backend, Memory, TestClock};
use clap::Parser;
use config::Config;
use serde_json::json;
use session_core::{AsyncSessions, AutoSweep, ManualClock};
use session_core_redis::RedisConfig;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    match serve(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("session-core-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let test_clock = TestClock(config.test_clock.then(|| ManualClock::new(0)));
    if test_clock.0.is_some() {
        eprintln!("session-core-server: --test-clock is on; clients set the time. Tests only!");
    }
    if config.auth_token.is_none() && !config.bind.is_loopback() {
        eprintln!(
            "session-core-server: WARNING: listening on {} without --auth-token (RS_AUTH_TOKEN): \
             anyone who can reach this port can read and end every session",
            config.bind
        );
    }
    let backend = open_backend(&config, &test_clock).await?;
    let snapshots = match (&backend, &config.data) {
        (Backend::Memory(memory), Some(path)) => {
            let n = snapshot::load(&memory.sessions, path)?;
            memory.loaded(n);
            eprintln!(
                "session-core-server: loaded {n} sessions from {}",
                path.display()
            );
            let task = snapshot::save_forever(
                memory.sessions.clone(),
                path.clone(),
                config.snapshot_interval,
            );
            Some((memory.sessions.clone(), path.clone(), tokio::spawn(task)))
        }
        _ => None,
    };
    let app = Arc::new(routes::App {
        backend: backend.clone(),
        metrics: metrics::Metrics::default(),
        body_limit: config.body_limit,
        body_timeout: config.body_timeout.0,
        test_clock,
        auth: config.auth_token.as_ref().map(auth::Auth::new),
    });
    let addr = std::net::SocketAddr::new(config.bind, config.port);
    let listener = listen(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let sweeper =
        (config.wipe > 0).then(|| tokio::spawn(sweep_forever(backend.clone(), config.wipe)));
    let limits = serve::Limits {
        header_timeout: config.header_timeout.0,
        max_connections: config
            .max_connections
            .map_or_else(serve::default_max_connections, |n| n as usize),
        shutdown_timeout: config.shutdown_timeout.0,
    };
    eprintln!(
        "session-core-server listening on http://{addr} ({} store{})",
        backend.kind(),
        if app.auth.is_some() {
            ", token required"
        } else {
            ""
        }
    );
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<Instant>();
    let signal = async move {
        shutdown_signal().await;
        let _ = signalled_tx.send(Instant::now());
        eprintln!("session-core-server: stopping");
    };
    let drained = serve::run(listener, routes::router(app), limits, signal).await;
    if drained.dropped > 0 {
        eprintln!(
            "session-core-server: {} still open after {} s (--shutdown-timeout): dropped",
            match drained.dropped {
                1 => "1 connection was".to_owned(),
                n => format!("{n} connections were"),
            },
            limits.shutdown_timeout.as_secs_f64()
        );
    }
    if let Some(task) = sweeper {
        task.abort();
    }
    // Requests have finished (or been dropped at the deadline): the last snapshot sees them.
    if let Some((sessions, path, task)) = snapshots {
        task.abort();
        let n = snapshot::save(&sessions, &path)?;
        eprintln!(
            "session-core-server: saved {n} sessions to {}",
            path.display()
        );
    }
    match signalled_rx.await {
        Ok(at) => eprintln!(
            "session-core-server stopped ({} ms after the signal)",
            at.elapsed().as_millis()
        ),
        Err(_) => eprintln!("session-core-server stopped"),
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
    if let Some(url) = &config.redis {
        if config.data.is_some() {
            return Err("--data keeps the memory store's sessions; Redis keeps its own".into());
        }
        let store = backend::connect_redis(redis_config(config, url)?).await?;
        let mut sessions = AsyncSessions::new(store).with_auto_sweep(auto_sweep(config));
        if let Some(clock) = &clock.0 {
            sessions = sessions.with_clock(clock.clone()).with_auto_sweep(None);
        }
        return Ok(Backend::Redis(Arc::new(sessions)));
    }
    let memory = Memory::new(|sessions| {
        let sessions = sessions.with_auto_sweep(auto_sweep(config));
        match &clock.0 {
            Some(clock) => sessions.with_clock(clock.clone()).with_auto_sweep(None),
            None => sessions,
        }
    });
    Ok(Backend::Memory(memory))
}

/// The Redis settings of the flags: the URL, the namespace, credentials and TLS files.
fn redis_config(config: &Config, url: &str) -> Result<RedisConfig, String> {
    let mut redis = RedisConfig::new(url).namespace(config.namespace.clone());
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

/// Sweeping inside calls follows `--wipe`: off with 0.
fn auto_sweep(config: &Config) -> Option<AutoSweep> {
    (config.wipe > 0).then(AutoSweep::default)
}

/// Sweeps expired sessions every `secs` seconds, draining any backlog in bounded steps.
async fn sweep_forever(backend: Backend, secs: u64) {
    let mut tick = tokio::time::interval(Duration::from_secs(secs));
    loop {
        tick.tick().await;
        while let Ok(r) = backend.call("sweep", &json!({"limit": 1000})).await {
            if r["more"] != json!(true) {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}

/// Resolves on SIGINT or SIGTERM; requests in progress then get `--shutdown-timeout` to
/// finish before the server stops.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
