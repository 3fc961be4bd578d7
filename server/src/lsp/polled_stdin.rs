//! Reading the client's messages on the async thread itself, when stdin is a pipe or a socket.
//!
//! The reader thread of [`transport::spawn_input`] blocks in `read` and hands each frame over to
//! the async thread, which the kernel must wake in turn: two wake-ups in a row before a message
//! is handled. A server that has been idle (an editor's typical request) then spent ~70-150 µs
//! between the frame being read and the async thread taking it, of the ~0.85 ms from `didOpen`
//! to its diagnostics on the README demo (issue 7). Polled by the async runtime, stdin wakes the thread that handles
//! the message directly. Anything else (a terminal, a file, `/dev/null`) keeps the reader thread:
//! a terminal's non-blocking mode would be the shell's too, and files cannot be polled.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, Read};
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::oneshot;

use super::nonblocking::NonBlocking;
use super::transport::{self, ChannelReader, Frame, Output, MAX_HEADER_LINE};

/// tower-lsp's input read from stdin by the async runtime (see the module's documentation), and
/// a receiver that fires at the end of input; `None` when stdin is neither a pipe nor a socket
/// or cannot be polled.
pub fn reader(output: &Output) -> Option<(ChannelReader, oneshot::Receiver<()>)> {
    let stdin = NonBlocking::of(std::io::stdin().as_fd())?;
    // SAFETY: the descriptor is the one `NonBlocking` owns: open, and the same one, for as long
    // as the `AsyncFd` holds it.
    let fd = unsafe { AsyncFd::register_with_interest(stdin, Interest::READABLE) }.ok()?;
    let (ended_tx, ended) = oneshot::channel();
    let stdin = PolledStdin {
        fd,
        frames: Frames::default(),
        complete: VecDeque::new(),
        chunk: vec![0u8; 1 << 16],
        ended: Some(ended_tx),
        output: output.clone(),
    };
    Some((ChannelReader::polled(stdin), ended))
}

/// Stdin polled by the async runtime. It is read by whichever task asks for the next message
/// (tower-lsp's server task): woken by the runtime's I/O driver, it takes the message itself,
/// instead of a reading task passing it on and the server task waiting behind whatever the
/// runtime queued meanwhile (an indexing batch's next folder: ~0.3 ms more for a hover sent
/// during indexing).
pub struct PolledStdin {
    fd: AsyncFd<NonBlocking>,
    frames: Frames,
    /// Frames read and not taken yet.
    complete: VecDeque<Frame>,
    chunk: Vec<u8>,
    /// Fired at the end of input; `None` once it has been.
    ended: Option<oneshot::Sender<()>>,
    output: Output,
}

impl PolledStdin {
    /// The next well-formed message, framed for tower-lsp (bad ones are answered on the way);
    /// `None` at the end of input.
    pub fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
        loop {
            while let Some(frame) = self.complete.pop_front() {
                if let Some(bytes) = transport::checked(frame, &self.output) {
                    return Poll::Ready(Some(bytes));
                }
            }
            if self.ended.is_none() {
                return Poll::Ready(None);
            }
            match self.read(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(n)) => {
                    let frames = self.frames.push(&self.chunk[..n]);
                    self.complete.extend(frames);
                }
                Poll::Ready(None) => {
                    self.complete
                        .extend(std::mem::take(&mut self.frames).finish());
                    if let Some(ended) = self.ended.take() {
                        let _ = ended.send(());
                    }
                }
            }
        }
    }

    /// Reads what is there into `chunk`: how many bytes, `None` at the end of input (or when
    /// stdin fails).
    fn read(&mut self, cx: &mut Context<'_>) -> Poll<Option<usize>> {
        loop {
            let mut ready = match self.fd.poll_read_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(ready)) => ready,
                Poll::Ready(Err(e)) => {
                    tracing::error!("polling stdin failed: {e}");
                    return Poll::Ready(None);
                }
            };
            let chunk = &mut self.chunk;
            let read = |fd: &AsyncFd<NonBlocking>| {
                let mut file: &File = fd.get_ref().file();
                file.read(chunk)
            };
            match ready.try_io(read) {
                Err(_would_block) => continue, // readiness cleared: poll again
                Ok(Ok(0)) => return Poll::Ready(None),
                Ok(Ok(n)) => return Poll::Ready(Some(n)),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(Err(e)) => {
                    tracing::error!("reading stdin failed: {e}");
                    return Poll::Ready(None);
                }
            }
        }
    }
}

/// Frames cut from input that arrives in pieces, exactly as [`transport::read_frame`] cuts them
/// from the whole stream.
#[derive(Default)]
struct Frames {
    /// Received bytes that do not complete a frame yet.
    pending: Vec<u8>,
    /// How many bytes `pending` must hold before the frame can be complete: a large document
    /// arrives in many pieces, and reading its frame again at each one would take time
    /// quadratic in its size.
    needed: usize,
}

/// A header block a client sends is a few short lines; this many bytes without its end are
/// garbage, dropped instead of kept until a blank line comes.
const HEADER_BLOCK_LIMIT: usize = 4 * MAX_HEADER_LINE;

impl Frames {
    /// Adds `bytes`; returns the frames they complete.
    fn push(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        if self.pending.len() < self.needed {
            return out;
        }
        let mut rest = NotYet(&self.pending);
        let mut used = 0;
        while let Some(frame) = transport::read_frame(&mut rest) {
            out.push(frame);
            used = self.pending.len() - rest.0.len();
        }
        self.pending.drain(..used);
        if runaway_header(&self.pending) {
            out.push(Frame::Bad(format!(
                "no end of a header block within {HEADER_BLOCK_LIMIT} bytes"
            )));
            self.pending.clear();
        }
        self.needed = needed(&self.pending);
        out
    }

    /// The end of input: the frames left in what was received (a truncated one is dropped).
    fn finish(self) -> Vec<Frame> {
        let mut rest = &self.pending[..];
        std::iter::from_fn(|| transport::read_frame(&mut rest)).collect()
    }
}

/// The bytes a frame whose start is `pending` takes in all, when its header block is complete;
/// otherwise one more than there are.
fn needed(pending: &[u8]) -> usize {
    let mut rest = NotYet(pending);
    match transport::read_head(&mut rest) {
        Some(Ok(body)) => pending.len() - rest.0.len() + body,
        _ => pending.len() + 1,
    }
}

/// Whether `pending`, the start of a frame, has no blank line ending its header block within
/// [`HEADER_BLOCK_LIMIT`] bytes (blank lines before it are skipped, as the reader does).
fn runaway_header(pending: &[u8]) -> bool {
    let start = pending
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(pending.len());
    let head = &pending[start..];
    if head.len() <= HEADER_BLOCK_LIMIT {
        return false;
    }
    let head = &head[..HEADER_BLOCK_LIMIT];
    let blank_line = |w: &[u8]| w.starts_with(b"\n\n") || w.starts_with(b"\n\r\n");
    !head.windows(3).any(blank_line)
}

/// The bytes received so far, as a reader whose end means "not yet" (an error) instead of the
/// end of input: [`transport::read_frame`] then gives up on an incomplete frame rather than
/// taking a partial header line for a whole one.
struct NotYet<'a>(&'a [u8]);

impl Read for NotYet<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        self.0.read(buf)
    }
}

impl BufRead for NotYet<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.0.is_empty() {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        Ok(self.0)
    }

    fn consume(&mut self, n: usize) {
        self.0 = &self.0[n..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(frames: Vec<Frame>) -> Vec<String> {
        frames
            .into_iter()
            .map(|f| match f {
                Frame::Message(b) => String::from_utf8(b).unwrap(),
                Frame::Bad(why) => format!("bad: {why}"),
            })
            .collect()
    }

    /// Good and bad frames, a truncated one at the end, stray blank lines, a header glued to a
    /// bad frame's leftovers and a multi-byte character split anywhere: cut in pieces of every
    /// size, the stream gives exactly the frames the reader thread takes from it whole.
    #[test]
    fn pieces_of_any_size_give_the_frames_of_the_whole_stream() {
        let stream: &[u8] = "\r\nContent-Length: 2\r\n\r\n{}Content-Type: x\r\n\r\n\
            Content-Length: 9\r\n\r\n{not jsonContent-Length: 13\r\n\r\n{\"a\":\"é€\"}\
            Content-Length: 1\r\n\r\n{}Content-Length: 2\r\n\r\n{}\n\nContent-Length: 50\r\n\r\n{"
            .as_bytes();
        let whole = {
            let mut rest = stream;
            show(std::iter::from_fn(|| transport::read_frame(&mut rest)).collect())
        };
        assert_eq!(whole.len(), 6, "{whole:?}");
        for size in 1..=stream.len() {
            let mut frames = Frames::default();
            let mut got = Vec::new();
            for piece in stream.chunks(size) {
                got.extend(show(frames.push(piece)));
            }
            got.extend(show(frames.finish()));
            assert_eq!(got, whole, "pieces of {size} bytes");
        }
    }

    /// A frame's bytes are kept only until it is complete; garbage without a header block's end
    /// is dropped once it passes the limit, and a frame after it still gets through.
    #[test]
    fn pending_bytes_stay_bounded() {
        let mut frames = Frames::default();
        assert!(frames.push(b"Content-Length: 2\r\n\r\n{").is_empty());
        assert_eq!(frames.needed, 23, "the header block and the body");
        assert_eq!(show(frames.push(b"}")), ["{}"]);
        assert!(frames.pending.is_empty());
        let garbage = vec![b'x'; 64 * 1024];
        let mut answered = Vec::new();
        for _ in 0..10 {
            answered.extend(show(frames.push(&garbage)));
            assert!(frames.pending.len() <= HEADER_BLOCK_LIMIT + garbage.len());
        }
        assert_eq!(
            answered,
            ["bad: no end of a header block within 262144 bytes"; 2]
        );
        let mut got = show(frames.push(b"\r\n\r\nContent-Length: 2\r\n\r\n{}"));
        got.extend(show(frames.finish()));
        assert_eq!(got.last().unwrap(), "{}", "{got:?}");
    }
}
