//! Request bodies: read within the size and time limits, and a refused one read to its end
//! and discarded (within bounds of its own) so that the client can read the answer.

use crate::routes::App;
use axum::body::{Body, Bytes, HttpBody as _};
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt as _;
use session_core::rest::RestError;
use tokio::time::timeout;

/// A body not taken: the error to answer, and whether the body was read to its end (then the
/// connection can carry another request).
pub(crate) struct Refused {
    /// The answer.
    pub(crate) error: RestError,
    /// Whether the body was read to its end.
    pub(crate) read_to_end: bool,
}

impl Refused {
    fn closing(error: RestError) -> Self {
        Self {
            error,
            read_to_end: false,
        }
    }
}

/// Reads a body of at most the configured size within the configured time: 413 when it is
/// (or announces to be) larger, 408 when it is too slow, 400 when it cannot be read (a
/// malformed chunk, a connection closed before the announced length).
///
/// The rest of a body over the limit is read and discarded (see [`discard`]) before the 413
/// is answered.
pub(crate) async fn read_body(
    app: &App,
    headers: &HeaderMap,
    mut body: Body,
) -> Result<Bytes, Refused> {
    let limit = app.body_limit;
    let announced = body.size_hint().lower();
    // A Content-Length over the limit is refused before a byte is kept.
    if usize::try_from(announced).map_or(true, |n| n > limit) {
        // A client that waits for `100 Continue` before it sends the body gets the 413
        // instead, and sends nothing: nothing to discard.
        let waits = headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let read_to_end = !waits && discard(app, &mut body, 0).await;
        return Err(Refused {
            error: RestError::too_large(limit),
            read_to_end,
        });
    }
    let mut gathered = Gathered::Empty;
    let mut too_large = None;
    let read = async {
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else {
                continue; // trailers: not part of the body
            };
            let seen = gathered.len() + data.len();
            if seen > limit {
                too_large = Some(seen as u64);
                break;
            }
            gathered.push(data);
        }
        Ok::<(), axum::Error>(())
    };
    match timeout(app.body_timeout, read).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(Refused::closing(RestError::unreadable(&reasons(&e)))),
        Err(_) => {
            return Err(Refused::closing(RestError::timeout(
                app.body_timeout.as_secs_f64(),
            )));
        }
    }
    match too_large {
        Some(seen) => Err(Refused {
            error: RestError::too_large(limit),
            read_to_end: discard(app, &mut body, seen).await,
        }),
        None => Ok(gathered.into_bytes()),
    }
}

/// Reads and discards the rest of a refused body (a "lingering close", as nginx does), up to
/// `--discard-limit` bytes in all (`seen` are read already) within `--discard-timeout`, so
/// that a client that writes its whole body before it reads (Node's `fetch`, Python's
/// `http.client`) reads the 413 instead of failing its write on a closed socket. Whether the
/// body was read to its end; false when it announces more than the limit (then nothing is
/// read), goes beyond it, is too slow or breaks: the connection closes after the answer.
async fn discard(app: &App, body: &mut Body, seen: u64) -> bool {
    let Some(room) = app.discard_limit.checked_sub(seen) else {
        return false;
    };
    if body.size_hint().lower() > room {
        return false;
    }
    let drain = async {
        let mut left = room;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return false;
            };
            if let Some(data) = frame.data_ref() {
                match left.checked_sub(data.len() as u64) {
                    Some(n) => left = n,
                    None => return false,
                }
            }
        }
        true
    };
    timeout(app.discard_timeout, drain).await.unwrap_or(false)
}

/// An error and its sources, each once, for a message.
fn reasons(e: &axum::Error) -> String {
    let mut why = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !why.contains(&s_text) {
            why = format!("{why}: {s_text}");
        }
        source = s.source();
    }
    why
}

/// A body's chunks as they come: the first one kept as it is (most bodies are one chunk),
/// copied together only when there are more.
enum Gathered {
    Empty,
    One(Bytes),
    Many(Vec<u8>),
}

impl Gathered {
    fn len(&self) -> usize {
        match self {
            Self::Empty => 0,
            Self::One(b) => b.len(),
            Self::Many(v) => v.len(),
        }
    }

    fn push(&mut self, data: Bytes) {
        *self = match std::mem::replace(self, Self::Empty) {
            Self::Empty => Self::One(data),
            Self::One(first) => {
                let mut all = Vec::with_capacity(first.len() + data.len());
                all.extend_from_slice(&first);
                all.extend_from_slice(&data);
                Self::Many(all)
            }
            Self::Many(mut all) => {
                all.extend_from_slice(&data);
                Self::Many(all)
            }
        };
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Self::Empty => Bytes::new(),
            Self::One(b) => b,
            Self::Many(v) => Bytes::from(v),
        }
    }
}
