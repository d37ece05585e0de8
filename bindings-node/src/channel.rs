//! [`NativeRedisChannel`]: one Redis pub/sub channel, subscribed and published to, for the
//! redis-sessions drop-in's session cache (redis-sessions 4 evicts cached sessions in every
//! process through the channel `{namespace}:cache`).
//!
//! It adds no session logic: it moves text. Messages, the subscription's state and the
//! outcome of each publish reach JS through one callback, `onEvent(kind, id, text)`, called on
//! the JS thread:
//!
//! | `kind` | meaning | `id` | `text` |
//! |---|---|---|---|
//! | 0 | a message on the channel | 0 | the message |
//! | 1 | subscribed (again, after a loss): from now on every message arrives | 0 | "" |
//! | 2 | not subscribed: the connection failed or was lost (messages may have been missed) | 0 | why |
//! | 3 | a `publish` finished | its id | "" when Redis took the messages, else why not |
//!
//! The subscriber is a dedicated connection (RESP2 or RESP3, whichever the URL says) that
//! reconnects by itself, with a short backoff, until `quit()`; publishes go through a
//! multiplexed connection of their own, opened at the first publish. Both run on the addon's
//! runtime (see [`crate::redis`]); the callback is weak, so neither keeps Node alive.

use crate::redis::RedisOptions;
use futures_util::StreamExt;
use napi::bindgen_prelude::{FnArgs, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use session_core_redis::RedisConfig;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::task::JoinHandle;

/// A message on the channel.
const MESSAGE: u32 = 0;
/// Subscribed.
const LIVE: u32 = 1;
/// Not subscribed.
const LOST: u32 = 2;
/// A publish finished.
const PUBLISHED: u32 = 3;

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a publish may take, reconnecting included.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// The first and the longest wait between two attempts to subscribe again.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

type Args = FnArgs<(u32, u32, String)>;
/// The JS callback: weak (never keeps the process alive), without an error argument.
type OnEvent = ThreadsafeFunction<Args, (), Args, napi::Status, false, true>;

/// One pub/sub channel of one Redis (see the module docs).
#[napi]
pub struct NativeRedisChannel {
    inner: Arc<Inner>,
}

struct Inner {
    client: Result<redis::Client, String>,
    channel: String,
    on_event: OnEvent,
    state: Mutex<State>,
    /// Held while the publisher connects, so that concurrent publishes share one attempt.
    connecting: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    closed: bool,
    subscriber: Option<JoinHandle<()>>,
    publisher: Option<ConnectionManager>,
}

#[napi]
impl NativeRedisChannel {
    /// The channel `channel` of the Redis at `url`, with the credentials and TLS material of
    /// `options` (as `NativeRedisSessions` takes them); `onEvent(kind, id, text)` as the
    /// module docs say. Connects nowhere until `subscribe()` or `publish()`.
    #[napi(constructor)]
    pub fn new(
        url: String,
        channel: String,
        on_event: Function<'_, Args, ()>,
        options: Option<RedisOptions>,
    ) -> napi::Result<Self> {
        let mut config = RedisConfig::new(url);
        if let Some(options) = options {
            config = options.apply(config);
        }
        let on_event = on_event
            .build_threadsafe_function::<Args>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                client: config.pubsub_client().map_err(|e| e.to_string()),
                channel,
                on_event,
                state: Mutex::new(State::default()),
                connecting: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Starts the subscription (once; later calls do nothing): kind 1 once subscribed, kind 2
    /// whenever an attempt fails or the connection is lost, and it tries again by itself.
    #[napi]
    pub fn subscribe(&self) {
        let inner = self.inner.clone();
        let mut state = self.inner.state();
        if state.closed || state.subscriber.is_some() {
            return;
        }
        match crate::redis::runtime() {
            Ok(rt) => {
                let spawned = catch_unwind(AssertUnwindSafe(|| rt.spawn(inner.subscribed())));
                match spawned {
                    Ok(task) => state.subscriber = Some(task),
                    Err(_) => self.inner.emit(LOST, 0, "internal error (a bug)".into()),
                }
            }
            Err(e) => self.inner.emit(LOST, 0, e.to_string()),
        }
    }

    /// Publishes `messages` on the channel, in order (one round trip); kind 3 with `id` when
    /// done.
    #[napi]
    pub fn publish(&self, id: u32, messages: Vec<String>) {
        let inner = self.inner.clone();
        let task = async move {
            let outcome = inner.publish(&messages).await;
            inner.emit(PUBLISHED, id, outcome.err().unwrap_or_default());
        };
        match crate::redis::runtime() {
            Ok(rt) => {
                if catch_unwind(AssertUnwindSafe(|| rt.spawn(task))).is_err() {
                    self.inner
                        .emit(PUBLISHED, id, "internal error (a bug)".into());
                }
            }
            Err(e) => self.inner.emit(PUBLISHED, id, e.to_string()),
        }
    }

    /// Ends the subscription and closes both connections; later calls do nothing (publishes
    /// answer that the channel is closed).
    #[napi]
    pub fn quit(&self) {
        let mut state = self.inner.state();
        state.closed = true;
        if let Some(task) = state.subscriber.take() {
            task.abort();
        }
        state.publisher = None;
    }
}

/// A channel collected without `quit()` (its drop-in was dropped) closes its connections.
impl Drop for NativeRedisChannel {
    fn drop(&mut self) {
        self.quit();
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn emit(&self, kind: u32, id: u32, text: String) {
        // Fails only while Node shuts down, when nobody listens any more.
        let _ = self.on_event.call(
            FnArgs::from((kind, id, text)),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }

    fn client(&self) -> Result<&redis::Client, String> {
        self.client.as_ref().map_err(Clone::clone)
    }

    /// The subscriber: subscribes, forwards messages until the connection ends, and starts
    /// again after a short wait, until the task is aborted by `quit()`.
    async fn subscribed(self: Arc<Self>) {
        let mut wait = BACKOFF_MIN;
        loop {
            match self.subscribe_once().await {
                Ok(pubsub) => {
                    wait = BACKOFF_MIN;
                    self.emit(LIVE, 0, String::new());
                    let mut messages = pubsub.into_on_message();
                    while let Some(msg) = messages.next().await {
                        if let Ok(text) = msg.get_payload::<String>() {
                            self.emit(MESSAGE, 0, text);
                        }
                    }
                    self.emit(LOST, 0, "the connection was lost".into());
                }
                Err(e) => self.emit(LOST, 0, e),
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(BACKOFF_MAX);
        }
    }

    async fn subscribe_once(&self) -> Result<redis::aio::PubSub, String> {
        let client = self.client()?;
        let attempt = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&self.channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
            Ok(Ok(pubsub)) => Ok(pubsub),
            Ok(Err(e)) => Err(format!("cannot subscribe to {}: {e}", self.channel)),
            Err(_) => Err(format!("cannot subscribe to {}: timed out", self.channel)),
        }
    }

    async fn publish(&self, messages: &[String]) -> Result<(), String> {
        let mut conn = self.publisher().await?;
        let mut pipe = redis::pipe();
        for m in messages {
            pipe.cmd("PUBLISH").arg(&self.channel).arg(m).ignore();
        }
        match tokio::time::timeout(PUBLISH_TIMEOUT, pipe.exec_async(&mut conn)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("cannot publish to {}: {e}", self.channel)),
            Err(_) => Err(format!("cannot publish to {}: timed out", self.channel)),
        }
    }

    /// The publishing connection, opened at the first publish (a failed attempt is tried
    /// again by the next publish).
    async fn publisher(&self) -> Result<ConnectionManager, String> {
        let closed = || format!("cannot publish to {}: the channel was closed", self.channel);
        {
            let state = self.state();
            if state.closed {
                return Err(closed());
            }
            if let Some(conn) = &state.publisher {
                return Ok(conn.clone());
            }
        }
        let _turn = self.connecting.lock().await;
        if let Some(conn) = &self.state().publisher {
            return Ok(conn.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(PUBLISH_TIMEOUT))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_with_config(self.client()?.clone(), config)
            .await
            .map_err(|e| format!("cannot publish to {}: {e}", self.channel))?;
        let mut state = self.state();
        if state.closed {
            return Err(closed());
        }
        state.publisher = Some(conn.clone());
        Ok(conn)
    }
}
