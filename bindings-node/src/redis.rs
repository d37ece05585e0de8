//! [`NativeRedisSessions`]: sessions in Redis (or Valkey), driven in Rust on a Tokio runtime.
//!
//! A call is submitted by a synchronous native call (`submit`) and runs as a Tokio task; its
//! answer (the same JSON as [`NativeSessions`](crate::NativeSessions) gives) joins a queue,
//! and the JS thread is woken once per batch of answers (one thread-safe function, created
//! with the object) to `drain` them all with one `JSON.parse`. Under load, many answers share
//! one wake-up. napi's own `async fn` would create and tear down a thread-safe function for
//! every call: measured at 64 concurrent calls on 2 cores, that path cost about 10 µs of CPU
//! per call, more than the rest of the binding's work.
//!
//! The runtime is the addon's own, built when the first `NativeRedisSessions` is: half the
//! cores (1 to 4) run Redis calls, leaving the rest to the JS thread and to Redis itself;
//! `SESSION_CORE_THREADS` overrides the count.

use crate::guard::{Guarded, internal_error};
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use session_core::host::{answer, millis, parse_input};
use session_core::machine::{Conflict, Machine, Step};
use session_core::store::{ApplyError, AsyncStore, Command, Reply};
use session_core::{AsyncSessions, Error, Event, Key, Request, Response, Shards};
use session_core_redis::{ConnectError, RedisConfig, RedisStore};
use std::fmt::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;
use tokio::runtime::Runtime;

type Engine = AsyncSessions<RedisStore>;

/// Wakes the JS thread to drain answers, passing the object's `key`: weak (it never keeps the
/// process alive; the JS side holds a ref'd handle while calls are pending) and without an
/// error argument.
type Wake = ThreadsafeFunction<u32, (), u32, napi::Status, false, true>;

/// Sessions in Redis: `session_core::AsyncSessions` over `session_core_redis::RedisStore`.
///
/// The constructor connects nowhere: the first call (or `ping`) connects, and a burst of calls
/// shares one attempt. If it fails, those calls answer `storeError` and the next call tries
/// again, so an app started before Redis works as soon as Redis is up. Once connected, the
/// store re-establishes a lost connection by itself. Inputs are parsed and validated before
/// any of that: bad input never reaches Redis, and is reported even while Redis is down.
///
/// Each call brings its own `now` and collects its own events, so concurrent calls on one
/// object never see each other's clock or events. Calls on one session take turns inside the
/// process (the core's per-session lock); versioned writes guard against other processes.
#[napi]
pub struct NativeRedisSessions {
    inner: Arc<Inner>,
}

struct Inner {
    config: RedisConfig,
    /// How many shards each app's keys spread over.
    shards: Shards,
    /// "Redis at host:port/db" from the URL, or the cluster's nodes (never the password),
    /// for connection errors.
    address: String,
    state: Mutex<State>,
    /// Held while connecting, so that concurrent first calls share one attempt.
    connecting: tokio::sync::Mutex<()>,
    /// Answers not yet drained, as JSON array elements: `[id,answer],[id,answer]`.
    done: Mutex<String>,
    wake: Wake,
    /// What `wake` passes to JS: which object has answers.
    key: u32,
}

#[derive(Default)]
struct State {
    engine: Option<Arc<Engine>>,
    /// `quit()` was called: no more calls, no reconnecting.
    closed: bool,
    /// How many connection attempts have finished, and why the last one failed.
    attempts: u64,
    failure: Option<Error>,
}

/// Connection settings beyond the URL (`new Sessions({ redis: { url, ... } })`): credentials
/// that win over the URL's, TLS material as PEM text, and a cluster's nodes.
#[napi(object)]
pub struct RedisOptions {
    /// A Redis Cluster, found through these node URLs, instead of the one server at the URL
    /// (`NativeRedisSessions` only; a channel subscribes on the URL's node, and a cluster
    /// passes every message on to all its nodes).
    pub cluster: Option<Vec<String>>,
    /// The user to log in as (an ACL user).
    pub username: Option<String>,
    /// The password.
    pub password: Option<String>,
    /// PEM: the only CAs trusted to verify the server (instead of the system's roots).
    pub ca: Option<String>,
    /// PEM: a client certificate (chain), with `key`.
    pub cert: Option<String>,
    /// PEM: the client certificate's private key.
    pub key: Option<String>,
    /// After each write, wait until this many replicas have it (Redis's `WAIT`).
    pub wait_replicas: Option<u32>,
    /// How long that wait may take, in milliseconds (default 1000).
    pub wait_timeout: Option<u32>,
    /// How many shards each app's keys spread over (1 to 64, default 1): with more, one app
    /// spreads over a Redis Cluster's masters. Every process must use the same count.
    pub shards: Option<u32>,
}

impl RedisOptions {
    /// `config` with these settings.
    pub(crate) fn apply(self, mut config: RedisConfig) -> RedisConfig {
        if let Some(username) = self.username {
            config = config.username(username);
        }
        if let Some(password) = self.password {
            config = config.password(password);
        }
        if let Some(ca) = self.ca {
            config = config.tls_ca(ca);
        }
        if let (Some(cert), Some(key)) = (self.cert, self.key) {
            config = config.tls_client_cert(cert, key);
        }
        if let Some(replicas) = self.wait_replicas {
            let millis = self.wait_timeout.unwrap_or(1000);
            config = config.wait_replicas(replicas, Duration::from_millis(millis.into()));
        }
        config
    }
}

#[napi]
impl NativeRedisSessions {
    /// Sessions in the Redis at `url` (`redis://[user:password@]host:port/db`, or
    /// `rediss://…` for TLS), or in the cluster of `options.cluster`, with every key under
    /// `namespace` and the `options` beyond the URL. `onDone(key)` is called on the JS thread when answers are ready to `drain()`.
    /// Connects at the first call; the core's in-call sweeping is off (the JS driver sweeps on
    /// a timer).
    #[napi(constructor)]
    pub fn new(
        url: String,
        namespace: String,
        key: u32,
        on_done: Function<'_, u32, ()>,
        options: Option<RedisOptions>,
    ) -> napi::Result<Self> {
        let wake = on_done
            .build_threadsafe_function::<u32>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?;
        let (address, config) = match options.as_ref().and_then(|o| o.cluster.clone()) {
            Some(nodes) => {
                let addresses: Vec<String> = nodes.iter().map(|n| address_of(n)).collect();
                let address = format!("the Redis Cluster at {}", addresses.join(", "));
                (address, RedisConfig::cluster(nodes))
            }
            None => (
                format!("Redis at {}", address_of(&url)),
                RedisConfig::new(url),
            ),
        };
        let config = config.namespace(namespace);
        let shards = match options.as_ref().and_then(|o| o.shards) {
            Some(k) => Shards::new(k)
                .map_err(|e| napi::Error::new(napi::Status::InvalidArg, e.to_string()))?,
            None => Shards::ONE,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                shards,
                address,
                config: match options {
                    Some(options) => options.apply(config),
                    None => config,
                },
                state: Mutex::new(State::default()),
                connecting: tokio::sync::Mutex::new(()),
                done: Mutex::new(String::new()),
                wake,
                key,
            }),
        })
    }

    /// Starts operation `op` (a JS method name) with its JSON option object at `now` (ms); its
    /// answer comes back through `drain()` under `id`. `op` "ping" connects if needed, sends
    /// Redis one read-only command and answers `"PONG"`.
    #[napi]
    pub fn submit(&self, id: u32, op: String, input_json: String, now: f64) {
        let inner = self.inner.clone();
        let task = async move {
            let answer = Guarded::new(inner.answer(&op, &input_json, millis(now))).await;
            inner.complete(id, &answer);
        };
        match runtime() {
            Ok(rt) => {
                let spawned = catch_unwind(AssertUnwindSafe(|| rt.spawn(task)));
                if spawned.is_err() {
                    self.inner.complete(id, &internal_error());
                }
            }
            Err(failure) => self.inner.complete(id, &answer(Err(&failure), &[])),
        }
    }

    /// Every answer ready since the last drain: `[[id, answer], ...]` as JSON text.
    #[napi]
    pub fn drain(&self) -> String {
        let mut done = self.inner.done();
        let mut out = String::with_capacity(done.len() + 2);
        out.push('[');
        out.push_str(&done);
        out.push(']');
        done.clear();
        out
    }

    /// Closes the connection (once the calls in flight are done) and refuses further calls.
    #[napi]
    pub fn quit(&self) {
        let mut state = self.inner.state();
        state.closed = true;
        state.engine = None;
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn done(&self) -> MutexGuard<'_, String> {
        self.done.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues an answer; the first answer of a batch wakes the JS thread.
    fn complete(&self, id: u32, answer: &str) {
        let first = {
            let mut done = self.done();
            let first = done.is_empty();
            if !first {
                done.push(',');
            }
            let _ = write!(done, "[{id},{answer}]");
            first
        };
        if first {
            // Fails only while Node shuts down, when no one waits for the answer any more.
            let _ = self
                .wake
                .call(self.key, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    /// One call's whole answer JSON.
    async fn answer(&self, op: &str, input_json: &str, now: u64) -> String {
        if op == "ping" {
            return match self.ping().await {
                Ok(()) => r#"{"done":"PONG","events":[]}"#.to_owned(),
                Err(e) => answer(Err(&e), &[]),
            };
        }
        let mut events = Vec::new();
        let result = self.run(op, input_json, now, &mut events).await;
        answer(result.as_ref(), &events)
    }

    /// Parses and validates first (nothing reaches Redis for bad input), then runs the
    /// operation, collecting its events into `events`.
    async fn run(
        &self,
        op: &str,
        input_json: &str,
        now: u64,
        events: &mut Vec<Event>,
    ) -> Result<Response, Error> {
        let input = parse_input(input_json)?;
        let op = Request::op_from_input(op, &input, now, self.shards)?;
        let engine = self.engine().await?;
        engine.run(Recorded { op, events }).await
    }

    /// Connects if needed and has Redis answer one command.
    async fn ping(&self) -> Result<(), Error> {
        let engine = self.engine().await?;
        // `RedisStore` runs batches only: the cheapest one that reaches Redis counts the app
        // registry (read-only, one key).
        let probe = vec![Command::ZCount {
            key: Key::Apps,
            min: 0,
            max: 0,
        }];
        match engine.store().apply(probe).await {
            Ok(_) => Ok(()),
            Err(ApplyError::Store(m)) => Err(Error::store(m)),
            Err(ApplyError::Conflict) => Err(Error::store("the ping was refused")),
        }
    }

    /// The connected engine, connecting first if needed.
    async fn engine(&self) -> Result<Arc<Engine>, Error> {
        let seen = {
            let state = self.state();
            if state.closed {
                return Err(closed());
            }
            if let Some(engine) = &state.engine {
                return Ok(engine.clone());
            }
            state.attempts
        };
        let _turn = self.connecting.lock().await;
        {
            let state = self.state();
            if state.closed {
                return Err(closed());
            }
            if let Some(engine) = &state.engine {
                return Ok(engine.clone());
            }
            // An attempt finished while this call waited: share its outcome rather than
            // queueing one more attempt per waiting call.
            if state.attempts != seen {
                if let Some(failure) = &state.failure {
                    return Err(failure.clone());
                }
            }
        }
        let outcome = self.config.clone().connect().await;
        let mut state = self.state();
        state.attempts += 1;
        match outcome {
            Ok(store) => {
                state.failure = None;
                if state.closed {
                    return Err(closed());
                }
                let engine = Arc::new(
                    AsyncSessions::new(store)
                        .with_shards(self.shards)
                        .with_auto_sweep(None),
                );
                state.engine = Some(engine.clone());
                Ok(engine)
            }
            Err(e) => {
                let failure = Error::store(match e {
                    ConnectError::Redis(e) => {
                        format!("cannot connect to {}: {e}", self.address)
                    }
                    config => config.to_string(),
                });
                state.failure = Some(failure.clone());
                Err(failure)
            }
        }
    }
}

/// The addon's Tokio runtime, built at its first use.
pub(crate) fn runtime() -> Result<&'static Runtime, Error> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    let built = RUNTIME.get_or_init(|| {
        let threads = std::env::var("SESSION_CORE_THREADS")
            .ok()
            .and_then(|n| n.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).clamp(1, 4))
            });
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("session-core")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    built
        .as_ref()
        .map_err(|e| Error::store(format!("cannot start the async runtime: {e}")))
}

fn closed() -> Error {
    Error::store("the Redis connection was closed by quit()")
}

/// `host:port/db` of a Redis URL, without the scheme, the user and the password.
fn address_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.trim_end_matches('/').to_owned()
}

/// A machine that hands its events to its caller instead of the driver's listener: each call
/// gets exactly its own events, however many calls run at once.
struct Recorded<'a, M> {
    op: M,
    events: &'a mut Vec<Event>,
}

impl<M: Machine> Machine for Recorded<'_, M> {
    type Output = M::Output;

    fn start(&mut self) -> Step<M::Output> {
        self.op.start()
    }

    fn resume(&mut self, outcome: Result<Vec<Reply>, Conflict>) -> Step<M::Output> {
        self.op.resume(outcome)
    }

    fn take_events(&mut self) -> Vec<Event> {
        self.events.extend(self.op.take_events());
        Vec::new()
    }

    fn lock_key(&self) -> Option<session_core::Handle> {
        self.op.lock_key()
    }

    fn one_session(&self) -> bool {
        self.op.one_session()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_never_show_passwords() {
        assert_eq!(address_of("redis://127.0.0.1:6379"), "127.0.0.1:6379");
        assert_eq!(
            address_of("redis://:secret@redis.internal:6380/2"),
            "redis.internal:6380/2"
        );
        assert_eq!(address_of("redis://user:p@ss@h:1/?protocol=resp2"), "h:1");
        assert_eq!(address_of("localhost:6379"), "localhost:6379");
    }
}
