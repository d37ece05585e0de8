//! No panic crosses into JS: [`guarded`] and [`Guarded`] turn one into a `storeError` answer
//! (a bug: the core returns errors, it does not panic on input).

use session_core::Error;
use session_core::host::answer;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The answer that stands for a panic.
pub(crate) fn internal_error() -> String {
    let e = Error::store("internal error in session-core-node (a bug)");
    answer(Err(&e), &[])
}

/// Runs `f`, turning a panic into a `storeError` answer instead of letting it unwind into
/// Node.
pub(crate) fn guarded(f: impl FnOnce() -> String) -> String {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| internal_error())
}

/// A future whose panic becomes a `storeError` answer, as [`guarded`] does for a closure: the
/// async calls' twin, so that no panic reaches the runtime's task either.
pub(crate) struct Guarded<F> {
    /// `None` once it panicked (it is never polled again).
    inner: Option<Pin<Box<F>>>,
}

impl<F: Future<Output = String>> Guarded<F> {
    pub(crate) fn new(future: F) -> Self {
        Self {
            inner: Some(Box::pin(future)),
        }
    }
}

impl<F: Future<Output = String>> Future for Guarded<F> {
    type Output = String;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(internal_error());
        };
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(_) => {
                self.inner = None;
                Poll::Ready(internal_error())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn a_panicking_future_answers_store_error() {
        let out = block_on(Guarded::new(async {
            if std::hint::black_box(true) {
                panic!("boom");
            }
            String::new()
        }));
        let v: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(v["error"]["name"], "storeError");
        assert_eq!(block_on(Guarded::new(async { "ok".to_owned() })), "ok");
        let v: Value = serde_json::from_str(&guarded(|| panic!("boom"))).expect("JSON");
        assert_eq!(v["error"]["name"], "storeError");
    }

    /// Polls a future that never waits to completion.
    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }
}
