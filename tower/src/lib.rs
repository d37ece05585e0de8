//! # session-core-tower
//!
//! Sessions for Rust web apps on [tower] and [axum]: a [`SessionLayer`] and a [`Session`]
//! extractor, thin over the [`session_core`] engine, on its memory store or on Redis.
//!
//! Beyond what a session layer usually gives: read and write counters (`r`, `w`), idle
//! times, every session of a user with a non-secret handle ("your devices"), log out
//! everywhere, tokens stored only as hashes, and no lost updates when requests of one
//! session run at the same time, in one process or many.
//!
//! ```
//! use axum::{Router, body::Body, http::{Request, header}, routing::{get, post}};
//! use session_core::{App, MemoryStore};
//! use session_core_tower::{RequireSession, Session, SessionError, SessionLayer};
//! use tower::ServiceExt;
//!
//! async fn log_in(session: Session) -> Result<&'static str, SessionError> {
//!     // ... check the credentials, then:
//!     session.log_in("ann@example.com", serde_json::json!({ "theme": "dark" })).await?;
//!     Ok("welcome")
//! }
//!
//! async fn cart(session: RequireSession) -> Result<String, SessionError> {
//!     let n: u32 = session.get("cart")?.unwrap_or(0);
//!     session.insert("cart", n + 1)?; // written once, after the handler, as a `set` of this key
//!     Ok(format!("{} items; read {} times", n + 1, session.r().unwrap_or(0)))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let app = Router::new()
//!     .route("/login", post(log_in))
//!     .route("/cart", post(cart))
//!     .layer(SessionLayer::new(MemoryStore::new()).app(App::new("shop")?));
//!
//! let res = app.clone().oneshot(Request::post("/login").body(Body::empty())?).await?;
//! let bearer = res.headers()[header::AUTHORIZATION].clone(); // "Bearer <token>"; the cookie too
//!
//! let req = Request::post("/cart").header(header::AUTHORIZATION, bearer).body(Body::empty())?;
//! assert_eq!(app.clone().oneshot(req).await?.status(), 200);
//! let anonymous = Request::post("/cart").body(Body::empty())?;
//! assert_eq!(app.oneshot(anonymous).await?.status(), 401);
//! # Ok(()) }
//! ```
//!
//! The layer reads no store until a handler takes the [`Session`]; then it reads once (the
//! counted read). Changes to `d` are written once after the handler, as a `set` of only the
//! changed keys, so two requests changing different keys keep both (the core merges and
//! versions every write). `log_in` kills the request's old token (no session fixation).
//! A forged or malformed token is no session, never an error; a store failure is a 503.
//!
//! [`Backend`] is the one method the layer needs from the core; the core's two drivers
//! implement it, so the layer works with [`Sessions`](session_core::Sessions) over the
//! memory store (one lock per operation, no conflicts) and with
//! [`AsyncSessions`](session_core::AsyncSessions) over Redis alike.
//!
//! [tower]: https://docs.rs/tower
//! [axum]: https://docs.rs/axum

#![forbid(unsafe_code)]

mod backend;
mod error;
mod layer;
mod session;

pub use backend::{Answer, Backend, IntoBackend};
pub use error::SessionError;
pub use layer::{SameSite, SessionLayer, SessionService};
pub use session::{RequireSession, Session};
pub use session_core::{Handle, Listed};

/// The README's Rust examples, run as doc tests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
