//! The layer: its options, and the service that reads the token before the handler and
//! writes the changes after it.

use crate::backend::{Backend, IntoBackend};
use crate::error::SessionError;
use crate::session::RequestState;
use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Request, Response, header};
use session_core::{App, Token};
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// The app name the layer uses unless told otherwise.
const DEFAULT_APP: &str = "app";
/// The header some API clients send their token in.
const X_ACCESS_TOKEN: &str = "x-access-token";

/// The `SameSite` attribute of the session cookie.
///
/// ```
/// use session_core::MemoryStore;
/// use session_core_tower::{SameSite, SessionLayer};
/// let layer = SessionLayer::new(MemoryStore::new()).same_site(SameSite::Strict);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Sent on same-site requests only.
    Strict,
    /// Sent on same-site requests and top-level navigations (the default).
    #[default]
    Lax,
    /// Sent on every request (browsers then require `Secure`).
    None,
}

impl From<SameSite> for cookie::SameSite {
    fn from(s: SameSite) -> Self {
        match s {
            SameSite::Strict => cookie::SameSite::Strict,
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::None => cookie::SameSite::None,
        }
    }
}

/// Everything a request needs from the layer, shared by all of them.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) backend: Arc<dyn Backend>,
    /// Validated when set; the default is a constant that always validates, kept as a result so
    /// that no code path can panic.
    app: Result<App, session_core::Error>,
    pub(crate) ttl: Option<u64>,
    cookie_name: String,
    http_only: bool,
    secure: bool,
    same_site: SameSite,
    path: String,
    domain: Option<String>,
    from_bearer: bool,
    from_header: bool,
    pub(crate) from_cookie: bool,
}

impl Config {
    pub(crate) fn app(&self) -> Result<App, SessionError> {
        self.app.clone().map_err(SessionError::Input)
    }

    /// The token a request presents: the first well-formed one of `Authorization: Bearer`,
    /// then `x-access-token`, then the cookie (each where enabled). Malformed values are
    /// skipped as if absent; a query string is never looked at.
    fn presented_token(&self, headers: &HeaderMap) -> Option<Token> {
        if self.from_bearer {
            let bearer = headers.get_all(header::AUTHORIZATION).iter().find_map(|v| {
                let (scheme, rest) = v.to_str().ok()?.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| Token::new(rest.trim()).ok())?
            });
            if bearer.is_some() {
                return bearer;
            }
        }
        if self.from_header {
            let header = headers
                .get_all(X_ACCESS_TOKEN)
                .iter()
                .find_map(|v| Token::new(v.to_str().ok()?.trim()).ok());
            if header.is_some() {
                return header;
            }
        }
        if self.from_cookie {
            return headers.get_all(header::COOKIE).iter().find_map(|v| {
                cookie::Cookie::split_parse(v.to_str().ok()?).find_map(|c| {
                    let c = c.ok()?;
                    (c.name() == self.cookie_name)
                        .then(|| Token::new(c.value()).ok())
                        .flatten()
                })
            });
        }
        None
    }

    /// The `Set-Cookie` value that hands out `token`, or that removes the cookie.
    pub(crate) fn set_cookie(&self, token: Option<&Token>) -> Result<HeaderValue, SessionError> {
        let mut c =
            cookie::Cookie::build((self.cookie_name.as_str(), token.map_or("", Token::as_str)))
                .http_only(self.http_only)
                .secure(self.secure)
                .same_site(self.same_site.into())
                .path(self.path.as_str());
        if let Some(domain) = &self.domain {
            c = c.domain(domain.as_str());
        }
        let mut c = c.build();
        if token.is_none() {
            c.make_removal();
        }
        HeaderValue::try_from(c.to_string()).map_err(|_| {
            SessionError::Config(
                "a cookie name, path or domain with characters a header cannot carry".into(),
            )
        })
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("app", &self.app)
            .field("ttl", &self.ttl)
            .field("cookie_name", &self.cookie_name)
            .field("http_only", &self.http_only)
            .field("secure", &self.secure)
            .field("same_site", &self.same_site)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("from_bearer", &self.from_bearer)
            .field("from_header", &self.from_header)
            .field("from_cookie", &self.from_cookie)
            .finish_non_exhaustive()
    }
}

/// The tower layer: wrap a router (or any service) with it, then take a
/// [`Session`](crate::Session) in handlers.
///
/// For each request it finds the token (see [`token_from_bearer`](Self::token_from_bearer)),
/// without touching the store. The store is read when a handler first takes the
/// [`Session`](crate::Session) (one counted read, `r`), and after the handler the changes to
/// `d` are written as one `set` of only the changed keys; nothing when nothing changed.
///
/// ```
/// use axum::{Router, routing::get};
/// use session_core::{App, MemoryStore};
/// use session_core_tower::{Session, SessionLayer};
///
/// async fn hello(session: Session) -> String {
///     match session.user_id() {
///         Some(id) => format!("hello {id}"),
///         None => "hello stranger".to_owned(),
///     }
/// }
///
/// # fn main() -> Result<(), session_core::Error> {
/// let layer = SessionLayer::new(MemoryStore::new())
///     .app(App::new("shop")?)
///     .ttl(3600)
///     .cookie_name("sid");
/// let app: Router = Router::new().route("/", get(hello)).layer(layer);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SessionLayer {
    config: Arc<Config>,
}

impl SessionLayer {
    /// A layer over `store`: a [`MemoryStore`](session_core::MemoryStore), a
    /// `session_core_redis::RedisStore`, or a driver set up already (see [`IntoBackend`]).
    ///
    /// Defaults: app `app`; TTL 7200 s (the core's); cookie `session`, `HttpOnly`, `Secure`,
    /// `SameSite=Lax`, path `/`, no domain; tokens from `Authorization: Bearer`,
    /// `x-access-token` and the cookie.
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::SessionLayer;
    /// let layer = SessionLayer::new(MemoryStore::new());
    /// ```
    pub fn new(store: impl IntoBackend) -> Self {
        Self {
            config: Arc::new(Config {
                backend: store.into_backend(),
                app: App::new(DEFAULT_APP),
                ttl: None,
                cookie_name: "session".to_owned(),
                http_only: true,
                secure: true,
                same_site: SameSite::Lax,
                path: "/".to_owned(),
                domain: None,
                from_bearer: true,
                from_header: true,
                from_cookie: true,
            }),
        }
    }

    fn with(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(Arc::make_mut(&mut self.config));
        self
    }

    /// The app whose sessions these are (the core's `app`: 3–20 characters of
    /// `[A-Za-z0-9_-]`, validated by [`App::new`]). Apps sharing a store keep separate
    /// sessions. Default `app`.
    ///
    /// ```
    /// use session_core::{App, MemoryStore};
    /// use session_core_tower::SessionLayer;
    /// # fn main() -> Result<(), session_core::Error> {
    /// let layer = SessionLayer::new(MemoryStore::new()).app(App::new("shop")?);
    /// # Ok(()) }
    /// ```
    pub fn app(self, app: App) -> Self {
        self.with(|c| c.app = Ok(app))
    }

    /// The idle TTL of sessions created by [`Session::log_in`](crate::Session::log_in), in
    /// seconds (the core's rule: at least 10, at most a year; default 7200). Each read slides
    /// the expiry. A TTL out of range makes `log_in` fail with an
    /// [`Input`](SessionError::Input) error.
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::SessionLayer;
    /// let layer = SessionLayer::new(MemoryStore::new()).ttl(30 * 60);
    /// ```
    pub fn ttl(self, seconds: u64) -> Self {
        self.with(|c| c.ttl = Some(seconds))
    }

    /// The cookie's name (default `session`).
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::SessionLayer;
    /// let layer = SessionLayer::new(MemoryStore::new()).cookie_name("sid");
    /// ```
    pub fn cookie_name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.with(|c| c.cookie_name = name)
    }

    /// Whether the cookie is `HttpOnly`, hidden from scripts (default true).
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::SessionLayer;
    /// let layer = SessionLayer::new(MemoryStore::new()).http_only(true);
    /// ```
    pub fn http_only(self, yes: bool) -> Self {
        self.with(|c| c.http_only = yes)
    }

    /// Whether the cookie is `Secure`, sent over HTTPS only (default true; turn it off for
    /// plain-HTTP development).
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::SessionLayer;
    /// let layer = SessionLayer::new(MemoryStore::new()).secure(false);
    /// ```
    pub fn secure(self, yes: bool) -> Self {
        self.with(|c| c.secure = yes)
    }

    /// The cookie's `SameSite` (default [`SameSite::Lax`]).
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::{SameSite, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new()).same_site(SameSite::Strict);
    /// ```
    pub fn same_site(self, same_site: SameSite) -> Self {
        self.with(|c| c.same_site = same_site)
    }

    /// The cookie's `Path` (default `/`).
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::SessionLayer;
    /// let layer = SessionLayer::new(MemoryStore::new()).cookie_path("/app");
    /// ```
    pub fn cookie_path(self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.with(|c| c.path = path)
    }

    /// The cookie's `Domain` (default none: the cookie goes back to this host only).
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::SessionLayer;
    /// let layer = SessionLayer::new(MemoryStore::new()).cookie_domain("example.com");
    /// ```
    pub fn cookie_domain(self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        self.with(|c| c.domain = Some(domain))
    }

    /// Whether a token may come in `Authorization: Bearer <token>` (default true).
    ///
    /// A request's token is the first well-formed one of, in order: `Authorization: Bearer`,
    /// `x-access-token`, the cookie, each where enabled. A malformed value counts as absent,
    /// so the next source is tried; a well-formed token that is unknown or expired means no
    /// session (it is not looked up twice). The URL is never read: tokens in URLs end up in
    /// logs and `Referer` headers.
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::SessionLayer;
    /// // A browser-only app: cookies, nothing else.
    /// let layer = SessionLayer::new(MemoryStore::new())
    ///     .token_from_bearer(false)
    ///     .token_from_x_access_token(false);
    /// ```
    pub fn token_from_bearer(self, yes: bool) -> Self {
        self.with(|c| c.from_bearer = yes)
    }

    /// Whether a token may come in an `x-access-token` header (default true).
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::SessionLayer;
    /// let layer = SessionLayer::new(MemoryStore::new()).token_from_x_access_token(false);
    /// ```
    pub fn token_from_x_access_token(self, yes: bool) -> Self {
        self.with(|c| c.from_header = yes)
    }

    /// Whether a token may come in the cookie (default true). When false, `log_in` sets no
    /// cookie either: the token goes back in the `Authorization` response header only.
    ///
    /// ```
    /// use session_core::MemoryStore;
    /// use session_core_tower::SessionLayer;
    /// // An API for mobile clients: bearer tokens only.
    /// let layer = SessionLayer::new(MemoryStore::new()).token_from_cookie(false);
    /// ```
    pub fn token_from_cookie(self, yes: bool) -> Self {
        self.with(|c| c.from_cookie = yes)
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> SessionService<S> {
        SessionService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service that [`SessionLayer`] wraps around a router or a handler. Its responses carry
/// an [`axum::body::Body`] (the inner service's body, not copied).
///
/// ```
/// use axum::{Router, body::Body, http::Request, routing::get};
/// use session_core::MemoryStore;
/// use session_core_tower::SessionLayer;
/// use tower::{Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let router = Router::new().route("/", get(|| async { "hi" }));
/// let service = SessionLayer::new(MemoryStore::new()).layer(router);
/// let res = service.oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
/// assert_eq!(res.status(), 200);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SessionService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // The service that was polled ready is the one to call; the clone stays for next time.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let token = self.config.presented_token(req.headers());
        let ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let state = RequestState::start(self.config.clone(), token, ip);
        req.extensions_mut().insert(state.clone());
        Box::pin(async move {
            let res = inner.call(req).await?;
            Ok(state.finish(res).await)
        })
    }
}
