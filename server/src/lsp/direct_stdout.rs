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
//! (monorepo bench, 10 runs: 0.72 -> 1.32 ms). What the client waits for (an answer to a
//! request, the diagnostics of a document open in the editor) is written directly whenever
//! nothing is queued: a client that asks again as soon as it has the answer (a hover as the
//! mouse moves) no longer has every answer go through the writer thread, a wake-up and a thread
//! switch each.

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
    /// Whether a message sent at `now` may be written directly: nothing `queued`, and unless
    /// the client waits for it (`awaited`) nothing else sent for `quiet` before.
    fn direct_at(&mut self, now: Instant, quiet: Duration, awaited: bool, queued: usize) -> bool {
        if awaited {
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

    /// Writes the frames `bytes` now when nothing is queued, they fit, and the client waits for
    /// one of them or nothing was sent for a while; hands the rest (all of them otherwise) to
    /// `queue`, the writer thread. Frames `gathered` over a while are written directly like those
    /// the client waits for: the writer thread's point, one write for what piled up, is made
    /// already. `false` once stdout is closed or the writer thread has stopped.
    pub fn send(
        &self,
        mut bytes: Vec<u8>,
        gathered: bool,
        queue: impl FnOnce(Vec<u8>) -> bool,
    ) -> bool {
        let awaited = gathered || is_awaited(&bytes);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // Zero only once the writer thread has written everything it was given (it counts
        // after writing), so a direct write never overtakes a queued message.
        let queued = self.queued.load(Ordering::Acquire);
        if state.direct_at(Instant::now(), self.quiet, awaited, queued) {
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

/// Whether the client waits for one of the frames in `bytes`: an answer to a request, or the
/// diagnostics of a document open in the editor (published with its version). tower-lsp writes
/// what is ready at once in one go: a hover's answer and the diagnostics of the file just
/// opened came as one write, and judged by its first frame (a notification) it waited for the
/// writer thread (issue 7).
fn is_awaited(bytes: &[u8]) -> bool {
    Frames(bytes).any(|body| is_answer(body) || is_open_document_diagnostics(body))
}

/// The bodies of the frames in a write, their headers read as the client's are
/// ([`super::transport::read_head`]); stops at a header block it cannot use or a cut body.
struct Frames<'a>(&'a [u8]);

impl<'a> Iterator for Frames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let mut rest = self.0;
        let len = super::transport::read_head(&mut rest)?.ok()?;
        let body = rest.get(..len)?;
        self.0 = &rest[len..];
        Some(body)
    }
}

/// Whether a message body answers a request: tower-lsp writes a response as
/// `{"jsonrpc":"2.0","result"…` or `…"error"…`, the server's own requests and notifications
/// with `"method"` there.
fn is_answer(body: &[u8]) -> bool {
    let Some(rest) = body.strip_prefix(b"{\"jsonrpc\":\"2.0\",") else {
        return false;
    };
    rest.starts_with(b"\"result\"") || rest.starts_with(b"\"error\"")
}

/// Whether a message body publishes the diagnostics of an open document: only those carry the
/// document's version, which serde writes last (`…],"version":7}}`).
fn is_open_document_diagnostics(body: &[u8]) -> bool {
    const PUBLISH: &[u8] = b"{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/publishDiagnostics\"";
    const VERSION: &[u8] = b"],\"version\":";
    let Some(rest) = body.strip_suffix(b"}}") else {
        return false;
    };
    let number = rest
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit() || **b == b'-')
        .count();
    body.starts_with(PUBLISH) && number > 0 && rest[..rest.len() - number].ends_with(VERSION)
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

    /// Answers and an open document's diagnostics are told from the server's requests and other
    /// notifications, in any frame of a write, as tower-lsp and the transport write them.
    #[test]
    fn answers_and_open_documents_diagnostics_are_awaited() {
        let answer = frame(r#"{"jsonrpc":"2.0","result":null,"id":1}"#);
        let open = frame(
            r#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"file:///w/.dlt/config.toml","diagnostics":[],"version":12}}"#,
        );
        let closed = frame(
            r#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"file:///w/.dlt/config.toml","diagnostics":[{"message":"],\"version\":3"}]}}"#,
        );
        let request = frame(
            r#"{"jsonrpc":"2.0","method":"window/workDoneProgress/create","params":{},"id":0}"#,
        );
        assert!(is_awaited(&answer));
        assert!(is_awaited(&frame(
            r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#
        )));
        assert!(is_awaited(&open));
        assert!(!is_awaited(&closed), "no version: a file not open");
        assert!(!is_awaited(&request));
        assert!(!is_awaited(&frame(
            r#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"result":1}}"#
        )));
        assert!(!is_awaited(b"garbage"));
        assert!(!is_awaited(&frame(r#"{"result":1}"#)));
        // One write of several frames: awaited when any of them is.
        assert!(is_awaited(&[closed.clone(), answer.clone()].concat()));
        assert!(is_awaited(
            &[request.clone(), closed.clone(), open].concat()
        ));
        assert!(!is_awaited(
            &[request, closed.clone(), closed.clone()].concat()
        ));
        // A frame cut short hides what follows it.
        let cut = &closed[..closed.len() - 1];
        assert!(!is_awaited(&[cut, &answer].concat()));
    }

    /// The diagnostics the server serializes itself ([`super::super::transport::notification`])
    /// are awaited exactly when they carry the open document's version.
    #[test]
    fn the_servers_own_diagnostics_frames_are_told_apart_by_their_version() {
        use tower_lsp::lsp_types::notification::PublishDiagnostics;
        use tower_lsp::lsp_types::{Diagnostic, PublishDiagnosticsParams, Url};
        let uri = Url::parse("file:///w/.dlt/config.toml").unwrap();
        let finding = Diagnostic {
            message: "],\"version\":3 ends this message".into(),
            ..Diagnostic::default()
        };
        let frame_of = |version| {
            let params = PublishDiagnosticsParams::new(uri.clone(), vec![finding.clone()], version);
            super::super::transport::notification::<PublishDiagnostics>(&params).unwrap()
        };
        let open = frame_of(Some(7));
        assert!(is_awaited(&open));
        assert!(!is_awaited(&frame_of(None)), "no version: a file not open");
        // The frame is whole: its header counts the body that follows it.
        assert_eq!(Frames(&open).count(), 1);
        let body = Frames(&open).next().unwrap();
        let value: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(value["method"], "textDocument/publishDiagnostics");
        assert_eq!(value["params"]["version"], 7);
        assert_eq!(
            value["params"]["diagnostics"][0]["message"],
            finding.message
        );
    }
}
