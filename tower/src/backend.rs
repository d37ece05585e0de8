//! What the layer runs its operations on: one object-safe method over the core's two drivers.
//!
//! The core has two drivers with the same methods: [`Sessions`] for stores in the process
//! ([`MemoryStore`]: each operation runs in one turn of its lock, never conflicting) and
//! [`AsyncSessions`] for stores across a network (Redis). The layer needs neither their
//! generics nor their method list: it hands the core a validated [`Request`] and gets a
//! [`Response`] back, so [`Backend`] has one method, and both drivers implement it in three
//! lines each. A `Sessions` answers at once ([`Answer::ready`], no allocation); an
//! `AsyncSessions` answers with its future ([`Answer::pending`]).

use session_core::store::{AsyncStore, SyncStore};
use session_core::{AsyncSessions, Error, MemoryStore, Request, Response, Sessions};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The future of a [`Backend`] call: either the answer already (a store in the process) or
/// the driver's future (a store across a network).
///
/// ```
/// use session_core::{Error, Response};
/// use session_core_tower::Answer;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let answer = Answer::ready(Ok(Response::Kill(1)));
/// assert_eq!(answer.await, Ok(Response::Kill(1)));
/// let answer = Answer::pending(async { Err::<Response, _>(Error::store("down")) });
/// assert_eq!(answer.await.unwrap_err().name(), "storeError");
/// # }
/// ```
pub struct Answer<'a>(Inner<'a>);

type Pending<'a> = Pin<Box<dyn Future<Output = Result<Response, Error>> + Send + 'a>>;

enum Inner<'a> {
    Ready(Option<Result<Response, Error>>),
    Pending(Pending<'a>),
}

impl<'a> Answer<'a> {
    /// An answer that is already there.
    ///
    /// ```
    /// use session_core::Response;
    /// use session_core_tower::Answer;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// assert_eq!(Answer::ready(Ok(Response::Activity(3))).await, Ok(Response::Activity(3)));
    /// # }
    /// ```
    pub fn ready(result: Result<Response, Error>) -> Self {
        Self(Inner::Ready(Some(result)))
    }

    /// An answer that a future will give.
    ///
    /// ```
    /// use session_core::Response;
    /// use session_core_tower::Answer;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let answer = Answer::pending(async { Ok(Response::Kill(0)) });
    /// assert_eq!(answer.await, Ok(Response::Kill(0)));
    /// # }
    /// ```
    pub fn pending(future: impl Future<Output = Result<Response, Error>> + Send + 'a) -> Self {
        Self(Inner::Pending(Box::pin(future)))
    }
}

impl Future for Answer<'_> {
    type Output = Result<Response, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            Inner::Ready(result) => {
                Poll::Ready(result.take().unwrap_or_else(|| {
                    Err(Error::store("an answer was polled after it was given"))
                }))
            }
            Inner::Pending(future) => future.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for Answer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Inner::Ready(_) => "Answer::Ready",
            Inner::Pending(_) => "Answer::Pending",
        })
    }
}

/// Runs the core's operations for the layer: implemented by [`Sessions`] and
/// [`AsyncSessions`] over any store, and by an `Arc` of either.
///
/// Implement it yourself only to wrap a driver (metrics, tracing): the session rules stay in
/// the core, which answers every [`Request`].
///
/// ```
/// use session_core::{Create, MemoryStore, Request, Response, Sessions};
/// use session_core_tower::Backend;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let sessions = Sessions::new(MemoryStore::new());
/// let create = Create::new("shop", "ann", "10.0.0.1").validate().unwrap();
/// let Ok(Response::Token(Some(token))) = sessions.execute(Request::Create(create)).await else {
///     panic!("no token");
/// };
/// assert_eq!(token.as_str().len(), 64);
/// # }
/// ```
pub trait Backend: Send + Sync + 'static {
    /// Runs one operation of the core to its answer.
    ///
    /// ```
    /// use session_core::{App, MemoryStore, Request, Response, Sessions};
    /// use session_core_tower::Backend;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), session_core::Error> {
    /// let sessions = Sessions::new(MemoryStore::new());
    /// let answer = sessions.execute(Request::Activity(App::new("shop")?, 600)).await?;
    /// assert_eq!(answer, Response::Activity(0));
    /// # Ok(()) }
    /// ```
    fn execute(&self, request: Request) -> Answer<'_>;
}

impl<S: SyncStore + Send + Sync + 'static> Backend for Sessions<S> {
    fn execute(&self, request: Request) -> Answer<'_> {
        Answer::ready(
            request
                .into_op_in(self.now(), self.shards())
                .and_then(|op| self.run(op)),
        )
    }
}

impl<S: AsyncStore + Send + Sync + 'static> Backend for AsyncSessions<S> {
    fn execute(&self, request: Request) -> Answer<'_> {
        // The sessions' shards: `AsyncSessions::with_shards` spreads an app over a cluster.
        match request.into_op_in(self.now(), self.shards()) {
            Ok(op) => Answer::pending(self.run(op)),
            Err(e) => Answer::ready(Err(e)),
        }
    }
}

impl<B: Backend + ?Sized> Backend for Arc<B> {
    fn execute(&self, request: Request) -> Answer<'_> {
        (**self).execute(request)
    }
}

/// What [`SessionLayer::new`](crate::SessionLayer::new) accepts: a store, or a driver
/// already set up (with a clock, an event listener or a sweep policy), or an `Arc` of one
/// that the app also uses directly (for `activity`, `soapp`…).
///
/// | you pass | the layer runs on |
/// |---|---|
/// | [`MemoryStore`] | `Sessions::new(store)` |
/// | `session_core_redis::RedisStore` (feature `redis`, on by default) | `AsyncSessions::new(store)` |
/// | a [`Sessions`] or an [`AsyncSessions`] over any store, or an `Arc` of one | it |
///
/// ```
/// use session_core::{AsyncSessions, MemoryStore, Sessions};
/// use session_core_tower::SessionLayer;
/// use std::sync::Arc;
///
/// let plain = SessionLayer::new(MemoryStore::new());
/// let quiet = SessionLayer::new(Sessions::new(MemoryStore::new()).with_auto_sweep(None));
/// let shared = Arc::new(Sessions::new(MemoryStore::new()));
/// let layer = SessionLayer::new(shared.clone()); // and `shared.activity("app", 600)` elsewhere
/// ```
pub trait IntoBackend {
    /// The backend, shared by every request.
    ///
    /// ```
    /// use session_core::{App, MemoryStore, Request, Response};
    /// use session_core_tower::IntoBackend;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), session_core::Error> {
    /// let backend = MemoryStore::new().into_backend();
    /// let answer = backend.execute(Request::KillAll(App::new("shop")?)).await?;
    /// assert_eq!(answer, Response::Kill(0));
    /// # Ok(()) }
    /// ```
    fn into_backend(self) -> Arc<dyn Backend>;
}

impl<B: Backend> IntoBackend for B {
    fn into_backend(self) -> Arc<dyn Backend> {
        Arc::new(self)
    }
}

impl IntoBackend for MemoryStore {
    fn into_backend(self) -> Arc<dyn Backend> {
        Arc::new(Sessions::new(self))
    }
}

#[cfg(feature = "redis")]
impl IntoBackend for session_core_redis::RedisStore {
    fn into_backend(self) -> Arc<dyn Backend> {
        Arc::new(AsyncSessions::new(self))
    }
}
