//! The service wrapper around every message: a panic in any handler becomes an error response
//! (or a log line for a notification) instead of ending the server, and the process ends as
//! soon as the client sends `exit`, with the exit code LSP prescribes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::{BoxFuture, FutureExt};
use tokio::sync::Notify;
use tower::Service;
use tower_lsp::jsonrpc::{Error, ErrorCode, Request, Response};

/// Watches the message stream for `shutdown` and `exit`.
#[derive(Clone, Default)]
pub struct ExitWatch {
    shutdown: Arc<AtomicBool>,
    exit: Arc<Notify>,
}

impl ExitWatch {
    /// Wraps a service so that this watch sees its requests.
    pub fn wrap<S>(&self, inner: S) -> Watched<S> {
        Watched {
            inner,
            watch: self.clone(),
        }
    }

    /// Whether `shutdown` was received.
    pub fn shutdown_seen(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Resolves when `exit` arrives, with whether `shutdown` came first.
    pub async fn exited(&self) -> bool {
        self.exit.notified().await;
        // Let the response to a pipelined `shutdown` be written before stopping.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        self.shutdown_seen()
    }
}

/// A service whose `shutdown`/`exit` messages are reported to an [`ExitWatch`].
pub struct Watched<S> {
    inner: S,
    watch: ExitWatch,
}

impl<S> Service<Request> for Watched<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Option<Response>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match req.method() {
            "shutdown" => self.watch.shutdown.store(true, Ordering::SeqCst),
            "exit" => self.watch.exit.notify_one(),
            _ => {}
        }
        let id = req.id().cloned();
        let method = req.method().to_string();
        std::panic::AssertUnwindSafe(self.inner.call(req))
            .catch_unwind()
            .map(move |outcome| match outcome {
                Ok(result) => result,
                Err(panic) => {
                    let what = panic_message(panic.as_ref());
                    tracing::error!("handler for {method} panicked: {what}");
                    Ok(id.map(|id| {
                        let error = Error {
                            code: ErrorCode::InternalError,
                            message: format!(
                                "internal error while handling {method}; the server keeps running"
                            )
                            .into(),
                            data: None,
                        };
                        Response::from_parts(id, Err(error))
                    }))
                }
            })
            .boxed()
    }
}

/// The text a panic was raised with (`panic!("…")` payloads are `&str` or `String`).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
