//! The per-request session: the extractor, the guard, and what the layer does after the
//! handler.

use crate::error::SessionError;
use crate::layer::Config;
use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Response, header};
use axum::response::IntoResponse;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use session_core::{Create, Handle, Listed, Patch, Request, Token, UserId};
use std::fmt;
use std::net::IpAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The address `log_in` records when the server does not provide one (serve the app with
/// `into_make_service_with_connect_info::<SocketAddr>()` to record the client's).
const UNKNOWN_IP: &str = "unknown";

/// The request's session as far as the request knows it.
enum Current {
    /// Not looked up yet (no handler took a `Session`).
    Unknown,
    /// No live session: no token, a forged or dead one, or logged out.
    Absent,
    /// A live session.
    Live(Box<Live>),
}

struct Live {
    handle: Handle,
    /// As the core answered the read (or the last write of this request).
    session: session_core::Session,
    /// `session.d` parsed, on first use.
    data: Option<Map<String, Value>>,
}

impl Live {
    fn new(handle: Handle, session: session_core::Session) -> Self {
        Self {
            handle,
            session,
            data: None,
        }
    }

    fn data(&mut self) -> &Map<String, Value> {
        let d = &self.session.d;
        self.data.get_or_insert_with(|| {
            d.as_ref()
                .map(session_core::Data::to_map)
                .unwrap_or_default()
        })
    }
}

/// What a write of the pending changes did.
enum Flushed {
    /// There was nothing to write.
    Nothing,
    /// Written: the session as the core answered.
    Saved(session_core::Session),
    /// The session had ended meanwhile (killed, expired): nothing was written.
    Gone,
}

/// What the response must tell the client about its token.
enum Respond {
    Nothing,
    /// `log_in`: the new token, in the cookie and the `Authorization` header.
    Issue(Token),
    /// `log_out`: remove the cookie.
    Clear,
}

struct State {
    /// The token the request presented; after `log_in`, the new one.
    token: Option<Token>,
    current: Current,
    /// Changed keys of `d`, not written yet; `null` deletes.
    changes: Map<String, Value>,
    respond: Respond,
}

/// Shared by the layer (before and after the handler) and every `Session` of one request.
pub(crate) struct RequestState {
    config: Arc<Config>,
    ip: Option<IpAddr>,
    state: Mutex<State>,
}

/// How the request state travels in the request's extensions: private, so that a `Session`
/// is only ever handed out by the extractor, loaded.
#[derive(Clone)]
pub(crate) struct Slot(Arc<RequestState>);

impl Slot {
    /// See [`RequestState::finish`].
    pub(crate) async fn finish<B>(&self, res: Response<B>) -> Response<Body>
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.0.finish(res).await
    }
}

impl RequestState {
    pub(crate) fn start(config: Arc<Config>, token: Option<Token>, ip: Option<IpAddr>) -> Slot {
        Slot(Arc::new(Self {
            config,
            ip,
            state: Mutex::new(State {
                token,
                current: Current::Unknown,
                changes: Map::new(),
                respond: Respond::Nothing,
            }),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The lock is never held across an await or a call out; a poisoned state is whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn run(&self, request: Request) -> Result<session_core::Response, SessionError> {
        Ok(self.config.backend.execute(request).await?)
    }

    /// Reads the session once per request (the counted read), on first need.
    async fn load(&self) -> Result<(), SessionError> {
        let handle = {
            let mut st = self.lock();
            if !matches!(st.current, Current::Unknown) {
                return Ok(());
            }
            match &st.token {
                Some(t) => t.handle(),
                None => {
                    st.current = Current::Absent;
                    return Ok(());
                }
            }
        };
        let found = match self.run(Request::Get(self.config.app()?, handle)).await? {
            session_core::Response::Session(s) => s,
            other => return Err(unexpected(&other)),
        };
        let mut st = self.lock();
        if matches!(st.current, Current::Unknown) {
            st.current = match found {
                Some(s) => Current::Live(Box::new(Live::new(handle, s))),
                None => Current::Absent,
            };
        }
        Ok(())
    }

    /// Writes the pending changes as one `set`.
    async fn flush(&self) -> Result<Flushed, SessionError> {
        let (handle, changes) = {
            let mut st = self.lock();
            let Current::Live(live) = &st.current else {
                st.changes.clear();
                return Ok(Flushed::Nothing);
            };
            if st.changes.is_empty() {
                return Ok(Flushed::Nothing);
            }
            let handle = live.handle;
            (handle, std::mem::take(&mut st.changes))
        };
        let result = match Patch::from_object(changes.clone()) {
            Ok(patch) => match self.config.app() {
                Ok(app) => self.run(Request::Set(app, handle, patch)).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e.into()),
        };
        match result {
            Ok(session_core::Response::Session(Some(s))) => Ok(Flushed::Saved(s)),
            Ok(session_core::Response::Session(None)) => Ok(Flushed::Gone),
            Ok(other) => Err(unexpected(&other)),
            Err(e) => {
                // Keep them for a later save; changes made meanwhile win.
                let mut st = self.lock();
                for (k, v) in changes {
                    st.changes.entry(k).or_insert(v);
                }
                Err(e)
            }
        }
    }

    /// After the handler: writes the changes (unless the handler answered with a server
    /// error), then tells the client about a new or removed token.
    pub(crate) async fn finish<B>(&self, res: Response<B>) -> Response<Body>
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let mut res = if res.status().is_server_error() {
            res.map(Body::new)
        } else {
            match self.flush().await {
                Ok(_) => res.map(Body::new),
                Err(e) => e.into_response(),
            }
        };
        let respond = std::mem::replace(&mut self.lock().respond, Respond::Nothing);
        if let Err(e) = self.respond(respond, res.headers_mut()) {
            res = e.into_response();
        }
        res
    }

    fn respond(
        &self,
        respond: Respond,
        headers: &mut axum::http::HeaderMap,
    ) -> Result<(), SessionError> {
        if !matches!(respond, Respond::Nothing) {
            // The answer carries a token or changes the session cookie: no cache may keep it
            // (OWASP's session guidance).
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        match respond {
            Respond::Nothing => {}
            Respond::Issue(token) => {
                if self.config.from_cookie {
                    headers.append(header::SET_COOKIE, self.config.set_cookie(Some(&token))?);
                }
                let bearer = HeaderValue::try_from(format!("Bearer {}", token.as_str()))
                    .map_err(|e| SessionError::Config(e.to_string()))?;
                headers.insert(header::AUTHORIZATION, bearer);
            }
            Respond::Clear => {
                if self.config.from_cookie {
                    headers.append(header::SET_COOKIE, self.config.set_cookie(None)?);
                }
            }
        }
        Ok(())
    }
}

/// An answer of another kind than the operation gives (which the core never does). Only the
/// kind is named: an answer may hold a token.
fn unexpected(r: &session_core::Response) -> SessionError {
    use session_core::Response as R;
    let kind = match r {
        R::Token(_) => "a token",
        R::Session(_) => "a session",
        R::Kill(_) => "a kill count",
        R::Activity(_) => "an activity count",
        R::Sessions(_) | R::Page(_) => "a listing",
        R::Swept(_) => "a sweep",
        // Response is non-exhaustive: kinds to come.
        _ => "another kind of answer",
    };
    SessionError::Store(session_core::Error::store(format!(
        "the core answered with {kind}, which this call does not give"
    )))
}

/// The session of the request: an axum extractor.
///
/// Taking it reads the session from the store (once per request, however many extractors
/// take it: that is the counted read, `r`). A request without a live session still gets a
/// `Session`, with [`authenticated`](Self::authenticated) false; the extractor only fails when
/// the store does (503) or when no [`SessionLayer`](crate::SessionLayer) wraps the route
/// (500). Take `Result<Session, SessionError>` to handle those yourself.
///
/// Changes to `d` ([`insert`](Self::insert), [`remove`](Self::remove)) are kept in the
/// request and written once, after the handler, as one `set` of only the changed keys (a
/// removed key as `null`). Nothing is written when nothing changed, and two requests that
/// change different keys at the same time keep both. The write is skipped when the handler
/// answers with a server error (5xx). If it fails, the response becomes a 503 (store) or
/// 500; call [`save`](Self::save) in the handler to see the error there instead.
///
/// `log_in`, `log_out`, `log_out_everywhere` act on the store at once. A `Session` may be
/// cloned into a task the handler spawns, but changes made after the response has left are
/// not written unless that task calls [`save`](Self::save).
///
/// ```
/// use axum::{Router, body::Body, http::{Request, header}, routing::{get, post}};
/// use session_core::MemoryStore;
/// use session_core_tower::{Session, SessionError, SessionLayer};
/// use tower::ServiceExt;
///
/// async fn log_in(session: Session) -> Result<&'static str, SessionError> {
///     session.log_in("ann@example.com", ()).await?;
///     Ok("welcome")
/// }
///
/// async fn visit(session: Session) -> Result<String, SessionError> {
///     let n: u32 = session.get("visits")?.unwrap_or(0);
///     session.insert("visits", n + 1)?;
///     Ok(format!("visit {} by {}", n + 1, session.user_id().unwrap_or_default()))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = Router::new()
///     .route("/login", post(log_in))
///     .route("/", get(visit))
///     .layer(SessionLayer::new(MemoryStore::new()));
///
/// let res = app.clone().oneshot(Request::post("/login").body(Body::empty()).unwrap()).await.unwrap();
/// let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
/// let cookie = cookie.split(';').next().unwrap().to_owned(); // "session=<64 characters>"
///
/// for _ in 0..2 {
///     let req = Request::get("/").header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
///     let res = app.clone().oneshot(req).await.unwrap();
///     assert_eq!(res.status(), 200);
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Session(Arc<RequestState>);

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.0.lock();
        let mut d = f.debug_struct("Session");
        match &st.current {
            Current::Live(live) => d
                .field("handle", &live.handle)
                .field("user_id", &live.session.id),
            Current::Absent => d.field("authenticated", &false),
            Current::Unknown => d.field("loaded", &false),
        };
        d.field("changed_keys", &st.changes.len()).finish()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = SessionError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, SessionError> {
        let slot = parts
            .extensions
            .get::<Slot>()
            .cloned()
            .ok_or(SessionError::MissingLayer)?;
        slot.0.load().await?;
        Ok(Session(slot.0))
    }
}

/// What a JSON value is, for error messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null (or a number that is not finite)",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        Value::Bool(_) | Value::Number(_) | Value::String(_) => "a scalar",
    }
}

impl Session {
    fn with_live<T>(&self, f: impl FnOnce(&mut Live) -> T) -> Option<T> {
        match &mut self.0.lock().current {
            Current::Live(live) => Some(f(live)),
            _ => None,
        }
    }

    /// True when the request carries the token of a live session (JS: `authenticated`).
    ///
    /// ```
    /// # use axum::{Router, body::Body, http::Request, routing::get};
    /// # use session_core::MemoryStore;
    /// # use session_core_tower::{Session, SessionLayer};
    /// # use tower::ServiceExt;
    /// async fn whoami(session: Session) -> &'static str {
    ///     if session.authenticated() { "signed in" } else { "anonymous" }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let app = Router::new().route("/", get(whoami)).layer(SessionLayer::new(MemoryStore::new()));
    /// // A forged token is no session, not an error.
    /// let req = Request::get("/").header("authorization", format!("Bearer {}", "x".repeat(64)));
    /// let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(res.status(), 200);
    /// # }
    /// ```
    pub fn authenticated(&self) -> bool {
        self.with_live(|_| ()).is_some()
    }

    /// The user id the session was created for (JS: `authenticatableID`).
    ///
    /// ```
    /// # use session_core::MemoryStore;
    /// # use session_core_tower::Session;
    /// async fn greet(session: Session) -> String {
    ///     session.user_id().map_or("hello".into(), |id| format!("hello {id}"))
    /// }
    /// ```
    pub fn user_id(&self) -> Option<String> {
        self.with_live(|l| l.session.id.clone())
    }

    /// Reads counted before this one (the core's `r`, as it was before this request's read).
    ///
    /// ```
    /// use session_core_tower::Session;
    /// async fn stats(session: Session) -> String {
    ///     format!("{:?} reads, {:?} writes", session.r(), session.w())
    /// }
    /// ```
    pub fn r(&self) -> Option<u64> {
        self.with_live(|l| l.session.r)
    }

    /// Writes counted (the core's `w`; `log_in` counts the first).
    ///
    /// ```
    /// use session_core_tower::Session;
    /// async fn writes(session: Session) -> String {
    ///     session.w().map_or("-".into(), |w| w.to_string())
    /// }
    /// ```
    pub fn w(&self) -> Option<u64> {
        self.with_live(|l| l.session.w)
    }

    /// Whole seconds since the session's previous access (the core's `idle`).
    ///
    /// ```
    /// use session_core_tower::Session;
    /// async fn idle(session: Session) -> String {
    ///     format!("idle for {} s", session.idle().unwrap_or(0))
    /// }
    /// ```
    pub fn idle(&self) -> Option<u64> {
        self.with_live(|l| l.session.idle)
    }

    /// The session's TTL in seconds.
    ///
    /// ```
    /// use session_core_tower::Session;
    /// async fn ttl(session: Session) -> String {
    ///     format!("{:?}", session.ttl())
    /// }
    /// ```
    pub fn ttl(&self) -> Option<u64> {
        self.with_live(|l| l.session.ttl)
    }

    /// The address recorded at `log_in` (JS: `firstIp`).
    ///
    /// ```
    /// use session_core_tower::Session;
    /// async fn ip(session: Session) -> String {
    ///     session.ip().unwrap_or_default()
    /// }
    /// ```
    pub fn ip(&self) -> Option<String> {
        self.with_live(|l| l.session.ip.clone())
    }

    /// The session's non-secret handle (22 characters): how
    /// [`active_sessions`](Self::active_sessions) names it, and what
    /// [`log_out_session`](Self::log_out_session) takes. It cannot be used as a token.
    ///
    /// ```
    /// use session_core_tower::Session;
    /// async fn this_device(session: Session) -> String {
    ///     session.handle().map(|h| h.to_string()).unwrap_or_default()
    /// }
    /// ```
    pub fn handle(&self) -> Option<Handle> {
        self.with_live(|l| l.handle)
    }

    /// The request's token (JS: `token`): after `log_in`, the new one. It is the bearer
    /// secret; do not log it.
    ///
    /// ```
    /// use session_core_tower::{Session, SessionError};
    /// async fn api_log_in(session: Session) -> Result<String, SessionError> {
    ///     session.log_in("ann", ()).await?;
    ///     Ok(session.token().unwrap_or_default()) // for clients that keep it themselves
    /// }
    /// ```
    pub fn token(&self) -> Option<String> {
        let st = self.0.lock();
        match st.current {
            Current::Live(_) => st.token.as_ref().map(|t| t.as_str().to_owned()),
            _ => None,
        }
    }

    /// The value of `key` in `d`, with this request's changes applied; `Ok(None)` when the
    /// key is absent or there is no session. A value of another type is a
    /// [`WrongType`](SessionError::WrongType) error.
    ///
    /// ```
    /// use session_core_tower::{Session, SessionError};
    /// async fn theme(session: Session) -> Result<String, SessionError> {
    ///     let theme: Option<String> = session.get("theme")?;
    ///     Ok(theme.unwrap_or_else(|| "light".into()))
    /// }
    /// ```
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let mut st = self.0.lock();
        let State {
            current, changes, ..
        } = &mut *st;
        let Current::Live(live) = current else {
            return Ok(None);
        };
        let value = match changes.get(key) {
            Some(v) => v,
            None => match live.data().get(key) {
                Some(v) => v,
                None => return Ok(None),
            },
        };
        if value.is_null() {
            return Ok(None);
        }
        T::deserialize(value)
            .map(Some)
            .map_err(|e| SessionError::WrongType {
                key: key.to_owned(),
                message: e.to_string(),
            })
    }

    /// Sets `key` in `d` to `value`, which must serialize to a string, a finite number or a
    /// boolean (anything else is an [`InvalidValue`](SessionError::InvalidValue) error, and
    /// nothing changes). Written after the handler; a value equal to the stored one is no
    /// change. The core's size limits (keys of at most 256 bytes, 4,096 keys, 64 KiB in all)
    /// are checked when the changes are written: [`save`](Self::save) shows a breach to the
    /// handler as an [`Input`](SessionError::Input) error (`tooLarge`). Without a session:
    /// [`NotAuthenticated`](SessionError::NotAuthenticated).
    ///
    /// ```
    /// use session_core_tower::{Session, SessionError};
    /// async fn add_to_cart(session: Session) -> Result<(), SessionError> {
    ///     let n: u32 = session.get("cart")?.unwrap_or(0);
    ///     session.insert("cart", n + 1)?;
    ///     session.insert("theme", "dark")?;
    ///     assert!(session.insert("tags", vec!["a", "b"]).is_err()); // not a flat value
    ///     Ok(())
    /// }
    /// ```
    pub fn insert(
        &self,
        key: impl Into<String>,
        value: impl Serialize,
    ) -> Result<(), SessionError> {
        let key = key.into();
        let value = match serde_json::to_value(value) {
            Ok(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => v,
            Ok(other) => {
                return Err(SessionError::InvalidValue {
                    key,
                    found: kind(&other),
                });
            }
            Err(_) => {
                return Err(SessionError::InvalidValue {
                    key,
                    found: "a value JSON cannot represent",
                });
            }
        };
        self.change(key, value)
    }

    /// Deletes `key` from `d` (written after the handler as `null`; removing an absent key
    /// is no change). Without a session: [`NotAuthenticated`](SessionError::NotAuthenticated).
    ///
    /// ```
    /// use session_core_tower::{Session, SessionError};
    /// async fn empty_cart(session: Session) -> Result<(), SessionError> {
    ///     session.remove("cart")
    /// }
    /// ```
    pub fn remove(&self, key: &str) -> Result<(), SessionError> {
        self.change(key.to_owned(), Value::Null)
    }

    /// Records a change, or forgets it when it brings the key back to what was read.
    fn change(&self, key: String, value: Value) -> Result<(), SessionError> {
        let mut st = self.0.lock();
        let State {
            current, changes, ..
        } = &mut *st;
        let Current::Live(live) = current else {
            return Err(SessionError::NotAuthenticated);
        };
        let stored = live.data().get(&key).unwrap_or(&Value::Null);
        if *stored == value {
            changes.remove(&key);
        } else {
            changes.insert(key, value);
        }
        Ok(())
    }

    /// Writes this request's changes to `d` now, as one `set`, and shows the result (the
    /// merged data and the new `w`) to the rest of the handler. Errors come back here
    /// instead of replacing the response; the changes are then kept, for the write after the
    /// handler.
    ///
    /// ```
    /// use session_core_tower::{Session, SessionError};
    /// async fn checkout(session: Session) -> Result<&'static str, SessionError> {
    ///     session.insert("step", "paid")?;
    ///     session.save().await?; // a store failure is this handler's to answer
    ///     Ok("paid")
    /// }
    /// ```
    pub async fn save(&self) -> Result<(), SessionError> {
        let saved = self.0.flush().await?;
        let mut st = self.0.lock();
        match saved {
            Flushed::Nothing => {}
            Flushed::Saved(s) => {
                if let Current::Live(live) = &mut st.current {
                    live.session = s;
                    live.data = None;
                }
            }
            Flushed::Gone => st.current = Current::Absent,
        }
        Ok(())
    }

    /// Logs `user_id` in (JS: `logIn`): kills the token this request came with, if any (no
    /// session fixation: a planted token dies here), creates a new session with the initial
    /// data `d`, and makes it this request's session. The response then carries the new
    /// token in the cookie (`Set-Cookie`) and in an `Authorization: Bearer` header.
    ///
    /// `d` is anything that serializes to a flat object of strings, finite numbers and
    /// booleans (`null` values are dropped); `()` or an empty object for none. Changes made
    /// to the old session in this request are dropped with it. The address recorded is the
    /// client's when the app is served with `ConnectInfo<SocketAddr>`, otherwise `unknown`.
    ///
    /// ```
    /// use serde_json::json;
    /// use session_core_tower::{Session, SessionError};
    /// async fn log_in(session: Session) -> Result<(), SessionError> {
    ///     // ... check the password first ...
    ///     session.log_in("ann@example.com", json!({ "theme": "dark", "admin": false })).await
    /// }
    /// ```
    pub async fn log_in(&self, user_id: &str, d: impl Serialize) -> Result<(), SessionError> {
        let app = self.0.config.app()?;
        let ip = self
            .0
            .ip
            .map_or_else(|| UNKNOWN_IP.to_owned(), |ip| ip.to_string());
        let mut create = Create::new(app.as_str(), user_id, ip);
        if let Some(ttl) = self.0.config.ttl {
            create = create.ttl(ttl);
        }
        if let Some(d) = initial_data(d)? {
            create = create.data(d);
        }
        let input = create.validate()?;
        let old = self.0.lock().token.clone();
        if let Some(old) = old {
            self.0.run(Request::Kill(app, old.handle())).await?;
            let mut st = self.0.lock();
            st.token = None;
            st.current = Current::Absent;
            st.changes.clear();
            st.respond = Respond::Clear;
        }
        let token = match self.0.run(Request::Create(input)).await? {
            session_core::Response::Token(Some(t)) => t,
            other => return Err(unexpected(&other)),
        };
        let handle = token.handle();
        {
            let mut st = self.0.lock();
            st.token = Some(token.clone());
            st.current = Current::Absent;
            st.changes.clear();
            st.respond = Respond::Issue(token);
        }
        // The new session as the core keeps it (without counting a read).
        let fresh = match self.0.run(Request::Touch(app, handle)).await? {
            session_core::Response::Session(s) => s,
            other => return Err(unexpected(&other)),
        };
        if let Some(s) = fresh {
            self.0.lock().current = Current::Live(Box::new(Live::new(handle, s)));
        }
        Ok(())
    }

    /// Ends this request's session (JS: `logOut()`), and removes the cookie. Returns whether
    /// a live session was ended; without a token it does nothing.
    ///
    /// ```
    /// use session_core_tower::{Session, SessionError};
    /// async fn log_out(session: Session) -> Result<&'static str, SessionError> {
    ///     session.log_out().await?;
    ///     Ok("bye")
    /// }
    /// ```
    pub async fn log_out(&self) -> Result<bool, SessionError> {
        let Some(token) = self.0.lock().token.clone() else {
            return Ok(false);
        };
        let killed = match self
            .0
            .run(Request::Kill(self.0.config.app()?, token.handle()))
            .await?
        {
            session_core::Response::Kill(n) => n > 0,
            other => return Err(unexpected(&other)),
        };
        self.forget();
        Ok(killed)
    }

    /// Ends every session of this request's user, on every device (the core's `killsoid`),
    /// and removes the cookie. Returns how many sessions ended; 0 without a session.
    ///
    /// ```
    /// use session_core_tower::{Session, SessionError};
    /// async fn password_changed(session: Session) -> Result<String, SessionError> {
    ///     let n = session.log_out_everywhere().await?;
    ///     Ok(format!("{n} sessions ended"))
    /// }
    /// ```
    pub async fn log_out_everywhere(&self) -> Result<u64, SessionError> {
        let Some(id) = self.user_id() else {
            return Ok(0);
        };
        let id = UserId::new(id)?;
        let n = match self
            .0
            .run(Request::KillSoid(self.0.config.app()?, id))
            .await?
        {
            session_core::Response::Kill(n) => n,
            other => return Err(unexpected(&other)),
        };
        self.forget();
        Ok(n)
    }

    /// This request's user's live sessions, oldest first (JS: `activeSessions()`; the core's
    /// `soid`), each with its non-secret `handle`. Without a session:
    /// [`NotAuthenticated`](SessionError::NotAuthenticated).
    ///
    /// ```
    /// use session_core_tower::{Session, SessionError};
    /// async fn devices(session: Session) -> Result<String, SessionError> {
    ///     let mine = session.handle();
    ///     let lines: Vec<String> = session
    ///         .active_sessions()
    ///         .await?
    ///         .iter()
    ///         .map(|s| format!("{} from {}{}", s.handle, s.session.ip,
    ///             if Some(s.handle) == mine { " (this device)" } else { "" }))
    ///         .collect();
    ///     Ok(lines.join("\n"))
    /// }
    /// ```
    pub async fn active_sessions(&self) -> Result<Vec<Listed>, SessionError> {
        let id = self.user_id().ok_or(SessionError::NotAuthenticated)?;
        let id = UserId::new(id)?;
        match self.0.run(Request::Soid(self.0.config.app()?, id)).await? {
            session_core::Response::Sessions(list) => Ok(list),
            other => Err(unexpected(&other)),
        }
    }

    /// Ends one of this user's sessions by its handle (from
    /// [`active_sessions`](Self::active_sessions)): "sign out that device". A handle that is
    /// malformed, unknown, or another user's ends nothing and returns `false`. Ending this
    /// request's own session works as [`log_out`](Self::log_out).
    ///
    /// ```
    /// use session_core_tower::{Session, SessionError};
    /// async fn sign_out_device(session: Session, handle: String) -> Result<bool, SessionError> {
    ///     session.log_out_session(&handle).await
    /// }
    /// ```
    pub async fn log_out_session(&self, handle: &str) -> Result<bool, SessionError> {
        let Ok(handle) = Handle::new(handle) else {
            return Ok(false);
        };
        if !self.authenticated() {
            return Ok(false);
        }
        if self.handle() == Some(handle) {
            return self.log_out().await;
        }
        let mine = self.active_sessions().await?;
        if !mine.iter().any(|s| s.handle == handle) {
            return Ok(false);
        }
        match self
            .0
            .run(Request::Kill(self.0.config.app()?, handle))
            .await?
        {
            session_core::Response::Kill(n) => Ok(n > 0),
            other => Err(unexpected(&other)),
        }
    }

    /// After a logout: no session, no pending changes, and the cookie goes.
    fn forget(&self) {
        let mut st = self.0.lock();
        st.token = None;
        st.current = Current::Absent;
        st.changes.clear();
        st.respond = Respond::Clear;
    }
}

/// `log_in`'s `d`: `null` or `{}` for none, else a flat object the core validates.
fn initial_data(d: impl Serialize) -> Result<Option<Patch>, SessionError> {
    let value = serde_json::to_value(d).map_err(|e| {
        SessionError::Input(session_core::Error::value(
            "d",
            format!("d cannot be serialized: {e}"),
        ))
    })?;
    match value {
        Value::Null => Ok(None),
        Value::Object(map) if map.is_empty() => Ok(None),
        other => Ok(Some(Patch::from_value(other)?)),
    }
}

/// A guard: an extractor that answers 401 (with `WWW-Authenticate: Bearer`, no body) when
/// the request has no live session, and otherwise derefs to the [`Session`].
///
/// Take it in a handler, or guard whole routes with axum's
/// [`from_extractor`](axum::middleware::from_extractor) (inside the
/// [`SessionLayer`](crate::SessionLayer)):
///
/// ```
/// use axum::{Router, body::Body, http::Request, middleware::from_extractor, routing::get};
/// use session_core::MemoryStore;
/// use session_core_tower::{RequireSession, SessionLayer};
/// use tower::ServiceExt;
///
/// async fn profile(session: RequireSession) -> String {
///     session.user_id().unwrap_or_default()
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = Router::new()
///     .route("/profile", get(profile))
///     .route("/settings", get(|| async { "settings" }))
///     .route_layer(from_extractor::<RequireSession>())
///     .layer(SessionLayer::new(MemoryStore::new()));
///
/// for path in ["/profile", "/settings"] {
///     let res = app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
///     assert_eq!(res.status(), 401);
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct RequireSession(pub Session);

impl Deref for RequireSession {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequireSession {
    type Rejection = SessionError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, SessionError> {
        let session = Session::from_request_parts(parts, state).await?;
        if session.authenticated() {
            Ok(Self(session))
        } else {
            Err(SessionError::NotAuthenticated)
        }
    }
}
