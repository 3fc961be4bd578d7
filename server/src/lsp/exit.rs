//! Ends the process as soon as the client sends `exit`, with the exit code LSP prescribes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::Notify;
use tower::Service;
use tower_lsp::jsonrpc::Request;

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

impl<S: Service<Request>> Service<Request> for Watched<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match req.method() {
            "shutdown" => self.watch.shutdown.store(true, Ordering::SeqCst),
            "exit" => self.watch.exit.notify_one(),
            _ => {}
        }
        self.inner.call(req)
    }
}
