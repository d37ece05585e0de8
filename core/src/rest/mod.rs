//! rest-sessions' HTTP API as plain data: which route a request names, the option object it
//! stands for, and the status and JSON of its answer. No I/O: the REST server (`server/`) and
//! the Cloudflare Worker (through the wasm module) read the request and write the response,
//! and keep no REST rule of their own.
//!
//! A host answers a request in four steps:
//!
//! 1. [`Auth::admits`] (when the host has a shared secret);
//! 2. [`route`]`(method, path)`: an [`Endpoint`], or the error to answer (404, 405 with
//!    `Allow`, a path segment that is not UTF-8);
//! 3. for a [`Call`]: read the body when [`Call::reads_body`] (within the host's size and
//!    time limits: [`RestError::too_large`], [`RestError::unreadable`], [`RestError::timeout`]),
//!    then [`Call::input`]`(query, body)`: the option object of the operation;
//! 4. run [`Call::op`] with it, and answer [`answer`]`(result)`.
//!
//! ```
//! use session_core::rest::{self, Endpoint};
//! use session_core::host::MemoryHost;
//!
//! let host = MemoryHost::new(false);
//! let Ok(Endpoint::Call(call)) = rest::route("PUT", "/shop/create/u1") else { panic!() };
//! assert!(call.reads_body());
//! let input = call.input(Some("ip=10.0.0.1&ttl=600"), br#"{"cart": 2}"#).unwrap();
//! assert_eq!(input["ttl"], "600"); // strings, as the query gave them: the core parses them
//! let reply = rest::answer(host.run(call.op(), &input, 1_000).map(|r| r.to_json()).as_ref());
//! assert_eq!(reply.status, 200);
//! assert!(reply.body.starts_with(r#"{"token":"#));
//!
//! let err = rest::route("GET", "/shop/create/u1").unwrap_err();
//! assert_eq!((err.status, err.name, err.allow.as_deref()), (405, "methodNotAllowed", Some("PUT")));
//! ```

mod answer;
mod auth;
mod metrics;
mod route;

pub use answer::{Reply, RestError, answer, error_status, pong, respond};
pub use auth::Auth;
pub use metrics::{
    Counters, ROUTES as METRIC_ROUTES, metric_route, render_metrics, render_snapshot_metrics,
};
pub use route::{Call, Endpoint, route};

/// The OpenAPI 3 document of the API, served at `GET /openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The request header that sets the clock of a host started with a test clock (the server's
/// `--test-clock`, the Worker's `TEST_CLOCK`), in milliseconds since the epoch. Tests only.
pub const TEST_NOW_HEADER: &str = "x-session-core-now";
