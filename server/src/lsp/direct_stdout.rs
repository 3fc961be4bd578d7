//! Writing a message to stdout from the thread that has it, when stdout is a pipe or a socket.
//!
//! The writer thread of [`super::transport::Output`] has to be woken for every message, after
//! the async thread queued it: ~30-60 µs before an idle server's answer or diagnostics reach the
//! client (issue 7). In non-blocking mode, stdout takes a message at once whenever the client
//! keeps up, which is nearly always. What does not fit (the client is behind) goes to the writer
//! thread, which waits for room; until it has written all it was given, later messages queue
//! behind, so that frames never interleave and keep their order. The server's threads therefore
//! never block on a client that stops reading.
//!
//! Of the server's notifications, only the first after a quiet spell is written so: a burst
//! (indexing publishes the files with findings) still goes through the writer thread, which
//! writes what piled up in one go. Written one by one from the async thread, each publish woke
//! the client on its own, and a file opened during indexing waited longer for its diagnostics
//! (monorepo bench, 10 runs: 0.72 -> 1.32 ms). An answer to a request is written directly
//! whenever nothing is queued: the client waits for that one message, and a client that asks
//! again as soon as it has the answer (a hover as the mouse moves) no longer has every answer
//! go through the writer thread, a wake-up and a thread switch each.

use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::nonblocking::NonBlocking;

/// How long nothing must have been sent for a message to be written directly.
const QUIET: Duration = Duration::from_millis(1);

/// Stdout in non-blocking mode, with what decides whether a message may be written directly.
pub struct DirectStdout {
    out: NonBlocking,
    /// Held by a sender from its decision to its write or its queueing: messages keep the
    /// order of their senders.
    state: Mutex<State>,
    /// Messages handed to the writer thread and not written yet: a direct write waits for none.
    /// Outside the lock: the writer thread counts what it wrote without taking it, and a sender
    /// no longer has to wake it on unlocking (a fiftieth of the monorepo's indexing, issue 7).
    queued: AtomicUsize,
    quiet: Duration,
}

#[derive(Default)]
struct State {
    /// When the last message was sent.
    last: Option<Instant>,
}

impl State {
    /// Whether a message sent at `now` may be written directly: nothing `queued`, and for a
    /// notification (not an `answer`) nothing else sent for `quiet` before.
    fn direct_at(&mut self, now: Instant, quiet: Duration, answer: bool, queued: usize) -> bool {
        if answer {
            return queued == 0;
        }
        let after_quiet = self.last.is_none_or(|t| now.duration_since(t) >= quiet);
        self.last = Some(now);
        after_quiet && queued == 0
    }
}

impl DirectStdout {
    /// `fd` written directly, when it is a pipe or a socket ([`NonBlocking::of`]).
    pub fn of(fd: BorrowedFd<'_>) -> Option<DirectStdout> {
        Self::with_quiet(fd, QUIET)
    }

    fn with_quiet(fd: BorrowedFd<'_>, quiet: Duration) -> Option<DirectStdout> {
        Some(DirectStdout {
            out: NonBlocking::of(fd)?,
            state: Mutex::default(),
            queued: AtomicUsize::new(0),
            quiet,
        })
    }

    /// Writes the frame `bytes` now when nothing is queued, they fit, and they answer a request
    /// or nothing was sent for a while; hands the rest (all of them otherwise) to `queue`, the
    /// writer thread. `false` once stdout is closed or the writer thread has stopped.
    pub fn send(&self, mut bytes: Vec<u8>, queue: impl FnOnce(Vec<u8>) -> bool) -> bool {
        let answer = is_answer(&bytes);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // Zero only once the writer thread has written everything it was given (it counts
        // after writing), so a direct write never overtakes a queued message.
        let queued = self.queued.load(Ordering::Acquire);
        if state.direct_at(Instant::now(), self.quiet, answer, queued) {
            match self.out.write_now(&bytes) {
                Ok(n) if n == bytes.len() => return true,
                Ok(n) => drop(bytes.drain(..n)),
                Err(_) => return false,
            }
        }
        // Queued under the lock: a message sent meanwhile from another thread comes after it.
        self.queued.fetch_add(1, Ordering::AcqRel);
        let queued = queue(bytes);
        drop(state);
        queued
    }

    /// The writer thread has written `n` of the messages queued.
    pub fn written(&self, n: usize) {
        let _ = self
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| {
                Some(q.saturating_sub(n))
            });
    }

    /// The writer thread's sink: writes all it is given, waiting for room.
    pub fn sink(self: &Arc<Self>) -> Sink {
        Sink(self.clone())
    }
}

/// Whether the frame `bytes` answers a request: tower-lsp writes a response as
/// `{"jsonrpc":"2.0","result"…` or `…"error"…`, the server's own requests and notifications with
/// `"method"` there.
fn is_answer(bytes: &[u8]) -> bool {
    const HEAD: &[u8] = b"\r\n\r\n{\"jsonrpc\":\"2.0\",";
    let header = &bytes[..bytes.len().min(64)];
    let Some(end) = header.windows(HEAD.len()).position(|w| w == HEAD) else {
        return false;
    };
    let rest = &bytes[end + HEAD.len()..];
    rest.starts_with(b"\"result\"") || rest.starts_with(b"\"error\"")
}

/// [`DirectStdout`] as the writer thread writes it.
pub struct Sink(Arc<DirectStdout>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.out.write_all_waiting(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::transport::Output;
    use super::*;
    use std::io::Read;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    fn frame(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    /// Messages go out at once while the client keeps up; once it falls behind, the rest of a
    /// message and every later one go through the writer thread, in order, without the sender
    /// waiting; when the queue is written, messages go out at once again.
    #[tokio::test]
    async fn writes_directly_until_the_client_falls_behind_and_keeps_the_order() {
        let (client, server) = UnixStream::pair().unwrap();
        let direct = Arc::new(DirectStdout::with_quiet(server.as_fd(), Duration::ZERO).unwrap());
        let output = Output::with_direct(direct.clone());
        let queued = || direct.queued.load(Ordering::Acquire);
        let mut reader = &client;

        output.send(frame("{\"id\":1}"));
        assert_eq!(queued(), 0);
        client.set_nonblocking(true).unwrap();
        let mut got = vec![0u8; 64];
        let n = reader.read(&mut got).unwrap();
        assert_eq!(
            &got[..n],
            frame("{\"id\":1}"),
            "written before send returned"
        );
        client.set_nonblocking(false).unwrap();

        // Far more than a socket's buffer, with nobody reading.
        let big = frame(&format!("{{\"x\":\"{}\"}}", "y".repeat(4 << 20)));
        output.send(big.clone());
        output.send(frame("{\"id\":2}"));
        assert_eq!(queued(), 2, "the rest of the big one and the next one wait");
        let mut expected = big;
        expected.extend(frame("{\"id\":2}"));
        let mut all = vec![0u8; expected.len()];
        reader.read_exact(&mut all).unwrap();
        assert!(all == expected, "whole frames, in order");
        output.sync().await;
        assert_eq!(queued(), 0);

        output.send(frame("{\"id\":3}"));
        assert_eq!(queued(), 0, "direct again");
        let mut last = vec![0u8; frame("{\"id\":3}").len()];
        reader.read_exact(&mut last).unwrap();
        assert_eq!(last, frame("{\"id\":3}"));
    }

    /// Only the first message after a quiet spell is written directly: the rest of a burst, and
    /// anything while the writer thread has messages to write, go through the thread.
    #[test]
    fn only_a_message_after_a_quiet_spell_is_written_directly() {
        let quiet = Duration::from_millis(1);
        let t0 = Instant::now();
        let mut state = State::default();
        assert!(state.direct_at(t0, quiet, false, 0), "the first message");
        assert!(
            !state.direct_at(t0 + quiet / 2, quiet, false, 0),
            "in a burst"
        );
        assert!(
            state.direct_at(t0 + quiet / 2, quiet, true, 0),
            "an answer in a burst"
        );
        assert!(
            !state.direct_at(t0 + quiet, quiet, false, 0),
            "the burst goes on"
        );
        assert!(
            state.direct_at(t0 + quiet * 3, quiet, false, 0),
            "after a quiet spell"
        );
        assert!(
            !state.direct_at(t0 + quiet * 9, quiet, false, 1),
            "behind a queued message"
        );
        assert!(
            !state.direct_at(t0 + quiet * 9, quiet, true, 1),
            "an answer behind a queued message"
        );
    }

    /// Answers are told from the server's requests and notifications by their second member,
    /// as tower-lsp and the transport's parse errors write them.
    #[test]
    fn answers_are_told_from_notifications() {
        assert!(is_answer(&frame(
            r#"{"jsonrpc":"2.0","result":null,"id":1}"#
        )));
        assert!(is_answer(&frame(
            r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#
        )));
        assert!(!is_answer(&frame(
            r#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"result":1}}"#
        )));
        assert!(!is_answer(&frame(
            r#"{"jsonrpc":"2.0","method":"window/workDoneProgress/create","params":{},"id":0}"#
        )));
        assert!(!is_answer(b"garbage"));
        assert!(!is_answer(&frame(r#"{"result":1}"#)));
    }
}
