//! The stdio transport under tower-lsp.
//!
//! - **Input:** tower-lsp stops reading for good after one malformed frame (a missing
//!   Content-Length, a body that is not JSON), which would end the server. Every frame is checked
//!   first: bad ones are answered with a JSON-RPC parse error and skipped, and only well-formed
//!   messages reach tower-lsp, through a channel it reads as its input stream. The async runtime
//!   reads stdin itself when it is a pipe or a socket ([`super::polled_stdin`]), a reader thread
//!   otherwise.
//! - **Output:** a message goes to stdout from the thread that has it when stdout is a pipe or a
//!   socket that can take it at once ([`super::direct_stdout`]); otherwise a writer thread puts
//!   everything queued since its last write on stdout in one `write`. tokio's stdin and stdout
//!   went through the blocking pool for every read and write (and std's line buffering split
//!   each frame in two), a round trip of thread hand-offs per message that showed in every
//!   latency and in the CPU time of indexing (issue 7).

use std::io::{BufRead, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

#[cfg(unix)]
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, oneshot};
use tower_lsp::lsp_types::notification::Notification;

#[cfg(unix)]
use super::direct_stdout::DirectStdout;

/// Longest header line kept; longer garbage is skipped without buffering it.
pub(super) const MAX_HEADER_LINE: usize = 64 * 1024;
/// Largest body accepted (a whole `.dlt` file is at most 8 MiB, plus JSON escaping).
const MAX_BODY: usize = 256 * 1024 * 1024;

/// One message read from the client.
pub(super) enum Frame {
    Message(Vec<u8>),
    /// Unusable input, with the reason to log.
    Bad(String),
}

/// What the writer thread is asked to do.
enum Out {
    Bytes(Vec<u8>),
    /// Answer once everything queued before is written.
    Sync(oneshot::Sender<()>),
}

/// Where everything that writes to the client sends its messages: stdout directly when it can
/// take them ([`super::direct_stdout`]), the writer thread's queue otherwise; cloned by every
/// writer.
#[derive(Clone)]
pub struct Output {
    queue: std::sync::mpsc::Sender<Out>,
    #[cfg(unix)]
    direct: Option<Arc<DirectStdout>>,
}

impl Output {
    /// The process's stdout.
    pub fn stdout() -> Output {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            if let Some(direct) = DirectStdout::of(std::io::stdout().as_fd()) {
                return Self::with_direct(Arc::new(direct));
            }
        }
        Self::spawn(unbuffered_stdout())
    }

    /// Starts the writer thread on `sink`.
    pub fn spawn(sink: impl Write + Send + 'static) -> Output {
        Output {
            queue: start_writer(sink, |_| {}),
            #[cfg(unix)]
            direct: None,
        }
    }

    /// Writes to `direct` when it can, through a writer thread on it otherwise.
    #[cfg(unix)]
    pub(super) fn with_direct(direct: Arc<DirectStdout>) -> Output {
        let written = direct.clone();
        Output {
            queue: start_writer(direct.sink(), move |n| written.written(n)),
            direct: Some(direct),
        }
    }

    /// Sends a message; `false` once stdout is closed (or the writer has stopped).
    pub(super) fn send(&self, bytes: Vec<u8>) -> bool {
        self.send_as(bytes, false)
    }

    /// Sends frames gathered over a while (see [`DirectStdout::send`]).
    pub(super) fn send_gathered(&self, bytes: Vec<u8>) -> bool {
        self.send_as(bytes, true)
    }

    #[cfg_attr(not(unix), allow(unused_variables))]
    fn send_as(&self, bytes: Vec<u8>, gathered: bool) -> bool {
        let queue = |bytes| self.queue.send(Out::Bytes(bytes)).is_ok();
        #[cfg(unix)]
        if let Some(direct) = &self.direct {
            return direct.send(bytes, gathered, queue);
        }
        queue(bytes)
    }

    /// Waits until everything sent so far is written (or the writer has stopped).
    pub async fn sync(&self) {
        let (tx, rx) = oneshot::channel();
        if self.queue.send(Out::Sync(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// tower-lsp's output stream.
    pub fn writer(&self) -> ChannelWriter {
        ChannelWriter {
            output: self.clone(),
            pending: Vec::new(),
        }
    }
}

/// The process's stdout without std's line buffering. `std::io::stdout()` writes up to the last
/// newline at once and keeps the rest: a frame's header (`...\r\n\r\n`) and its body went out
/// in two `write`s, waking the client twice per message. The writer thread buffers whole frames
/// itself. Elsewhere than on Unix, std's stdout.
fn unbuffered_stdout() -> Box<dyn Write + Send> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(std::io::stdout())
}

/// Starts the writer thread on `sink`; it calls `written` with the number of messages each time
/// it has written some.
fn start_writer(
    sink: impl Write + Send + 'static,
    written: impl Fn(usize) + Send + 'static,
) -> std::sync::mpsc::Sender<Out> {
    let (tx, rx) = std::sync::mpsc::channel::<Out>();
    std::thread::Builder::new()
        .name("dlt-lsp-stdout".into())
        .spawn(move || write_loop(rx, sink, written))
        .expect("cannot start the stdout thread");
    tx
}

fn write_loop(rx: std::sync::mpsc::Receiver<Out>, sink: impl Write, written: impl Fn(usize)) {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, sink);
    let mut waiting = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        let mut messages = 0;
        // Everything already queued goes out in the same write.
        while let Some(item) = next {
            match item {
                Out::Bytes(bytes) => {
                    if out.write_all(&bytes).is_err() {
                        return;
                    }
                    messages += 1;
                }
                Out::Sync(done) => waiting.push(done),
            }
            next = rx.try_recv().ok();
        }
        if out.flush().is_err() {
            return;
        }
        written(messages);
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// An [`AsyncWrite`] that queues on the writer thread and never waits. What tower-lsp's framed
/// writer writes is held until it flushes, and then queued at once: a frame's header and body
/// went out in two writes (and woke the client twice) when the writer thread took the header
/// before the body was queued, and frames of other writers (parse errors) never land inside one.
pub struct ChannelWriter {
    output: Output,
    pending: Vec<u8>,
}

impl ChannelWriter {
    fn send_pending(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() || self.output.send(std::mem::take(&mut self.pending)) {
            Ok(())
        } else {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }
}

impl AsyncWrite for ChannelWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.pending.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.send_pending())
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.send_pending())
    }
}

/// Starts the reader thread on `input` (stdin): well-formed frames go to the returned stream,
/// parse errors to `output`. The receiver fires when the input ends.
pub fn spawn_input(
    input: impl Read + Send + 'static,
    output: Output,
) -> (ChannelReader, oneshot::Receiver<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (ended_tx, ended) = oneshot::channel();
    std::thread::Builder::new()
        .name("dlt-lsp-stdin".into())
        .spawn(move || {
            filter_input(
                std::io::BufReader::with_capacity(1 << 16, input),
                &tx,
                &output,
            );
            drop(tx); // end of tower-lsp's input
            let _ = ended_tx.send(());
        })
        .expect("cannot start the stdin thread");
    (ChannelReader::new(Source::Thread(rx)), ended)
}

/// Reads `input` frame by frame until it ends or tower-lsp stops listening.
fn filter_input(
    mut input: impl BufRead,
    to_server: &mpsc::UnboundedSender<Vec<u8>>,
    output: &Output,
) {
    while let Some(frame) = read_frame(&mut input) {
        if !pass(frame, to_server, output) {
            break;
        }
    }
}

/// Sends a well-formed message on to tower-lsp and answers a bad one with a parse error;
/// `false` once tower-lsp stopped listening.
fn pass(message: Frame, to_server: &mpsc::UnboundedSender<Vec<u8>>, output: &Output) -> bool {
    match checked(message, output) {
        Some(bytes) => to_server.send(bytes).is_ok(),
        None => true,
    }
}

/// A well-formed message framed again for tower-lsp; a bad one is answered with a parse error.
pub(super) fn checked(message: Frame, output: &Output) -> Option<Vec<u8>> {
    match message {
        Frame::Bad(why) => {
            tracing::error!("malformed message from the client skipped: {why}");
            output.send(frame(
                br#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#,
            ));
            None
        }
        Frame::Message(body) => Some(frame(&normalize(body))),
    }
}

/// tower-lsp's input stream: the well-formed frames, from the reader thread or read from stdin
/// by the async runtime itself.
pub struct ChannelReader {
    source: Source,
    pending: Vec<u8>,
    pos: usize,
}

enum Source {
    Thread(mpsc::UnboundedReceiver<Vec<u8>>),
    #[cfg(unix)]
    Polled(Box<super::polled_stdin::PolledStdin>),
}

impl ChannelReader {
    fn new(source: Source) -> ChannelReader {
        ChannelReader {
            source,
            pending: Vec::new(),
            pos: 0,
        }
    }

    #[cfg(unix)]
    pub(super) fn polled(stdin: super::polled_stdin::PolledStdin) -> ChannelReader {
        Self::new(Source::Polled(Box::new(stdin)))
    }

    /// The next frame for tower-lsp; `None` at the end of input.
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
        match &mut self.source {
            Source::Thread(rx) => rx.poll_recv(cx),
            #[cfg(unix)]
            Source::Polled(stdin) => stdin.poll_message(cx),
        }
    }
}

impl AsyncRead for ChannelReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        loop {
            if self.pos < self.pending.len() {
                let n = buf.remaining().min(self.pending.len() - self.pos);
                buf.put_slice(&self.pending[self.pos..self.pos + n]);
                self.pos += n;
                return Poll::Ready(Ok(()));
            }
            match self.poll_frame(cx) {
                Poll::Ready(Some(bytes)) => {
                    self.pending = bytes;
                    self.pos = 0;
                }
                Poll::Ready(None) => return Poll::Ready(Ok(())), // end of input
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// The frame of a notification to the client, serialized in one pass. tower-lsp's `Client`
/// turns the parameters into a `serde_json::Value`, hands it to its server task through a
/// channel, and that task serializes the value: for the 2,000 diagnostics of the monorepo's
/// indexing, 4 % of its instructions (callgrind; issue 7). Fields in tower-lsp's order, which
/// [`super::direct_stdout`] reads. `None` if the parameters cannot be serialized.
pub fn notification<N: Notification>(params: &N::Params) -> Option<Vec<u8>> {
    #[derive(serde::Serialize)]
    struct Message<'a, P> {
        jsonrpc: &'static str,
        method: &'static str,
        params: &'a P,
    }
    let message = Message {
        jsonrpc: "2.0",
        method: N::METHOD,
        params,
    };
    // Room for a publication's few diagnostics from the start: `to_vec` starts at 128 bytes and
    // grew each body several times (issue 7).
    let mut body = Vec::with_capacity(1024);
    serde_json::to_writer(&mut body, &message).ok()?;
    Some(frame(&body))
}

fn frame(body: &[u8]) -> Vec<u8> {
    const HEADER: &[u8] = b"Content-Length: ";
    let length = body.len().to_string();
    let mut out = Vec::with_capacity(HEADER.len() + length.len() + 4 + body.len());
    out.extend_from_slice(HEADER);
    out.extend_from_slice(length.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
    out
}

/// Drops `"params": null` from `shutdown` and `exit`, which some clients send and tower-lsp
/// rejects although the specification's `void` allows it.
fn normalize(body: Vec<u8>) -> Vec<u8> {
    if !contains(&body, b"null") {
        return body;
    }
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return body;
    };
    let is_void = matches!(
        v.get("method").and_then(|m| m.as_str()),
        Some("shutdown" | "exit")
    );
    if is_void && v.get("params").is_some_and(|p| p.is_null()) {
        if let Some(o) = v.as_object_mut() {
            o.remove("params");
        }
        return serde_json::to_vec(&v).unwrap_or(body);
    }
    body
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Reads one frame; `None` at end of input.
pub(super) fn read_frame(reader: &mut impl BufRead) -> Option<Frame> {
    let len = match read_head(reader)? {
        Ok(n) => n,
        Err(why) => return Some(Frame::Bad(why)),
    };
    let mut body = vec![0u8; len];
    if reader.read_exact(&mut body).is_err() {
        return None; // truncated at end of input
    }
    // Checked without building a value: a whole 20,000-line document arrives in one message.
    if !body.trim_ascii_start().starts_with(b"{") {
        return Some(Frame::Bad("the body is not a JSON object".into()));
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
        Ok(_) => Some(Frame::Message(body)),
        Err(e) => Some(Frame::Bad(format!("the body is not JSON: {e}"))),
    }
}

/// Reads a frame's header block: the length of its body, or why the block is unusable; `None`
/// at end of input.
pub(super) fn read_head(reader: &mut impl BufRead) -> Option<Result<usize, String>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let line = read_line(reader)?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header {
                break;
            }
            continue; // stray blank lines between frames
        }
        saw_header = true;
        // Resynchronise on a header glued to leftover bytes of a bad frame.
        let header = text
            .find("Content-Length:")
            .map(|i| &text[i..])
            .unwrap_or(text);
        if let Some(v) = header.strip_prefix("Content-Length:") {
            length = Some(
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("invalid Content-Length {:?}", v.trim())),
            );
        }
    }
    Some(match length {
        None => Err("a header block without Content-Length".into()),
        Some(Ok(n)) if n > MAX_BODY => Err(format!("Content-Length {n} is too large")),
        Some(result) => result,
    })
}

/// One line including its `\n`, at most [`MAX_HEADER_LINE`] bytes kept; `None` at end of input.
fn read_line(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        let buf = reader.fill_buf().ok()?;
        if buf.is_empty() {
            return if line.is_empty() { None } else { Some(line) };
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let n = chunk.len();
        if line.len() < MAX_HEADER_LINE {
            line.extend_from_slice(&chunk[..n.min(MAX_HEADER_LINE - line.len())]);
        }
        reader.consume(n);
        if done {
            return Some(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(mut input: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(f) = read_frame(&mut input) {
            out.push(match f {
                Frame::Message(b) => String::from_utf8(b).unwrap(),
                Frame::Bad(why) => format!("bad: {why}"),
            });
        }
        out
    }

    #[test]
    fn skips_bad_frames_and_resynchronises() {
        let input = b"Content-Length: 2\r\n\r\n{}Content-Type: x\r\n\r\nContent-Length: 9\r\n\r\n{not jsonContent-Length: 2\r\n\r\n{}Content-Length: 1\r\n\r\n{}Content-Length: 2\r\n\r\n{}Content-Length: 50\r\n\r\n{";
        assert_eq!(
            frames(input),
            [
                "{}",
                "bad: a header block without Content-Length",
                "bad: the body is not JSON: key must be a string at line 1 column 2",
                "{}",
                "bad: the body is not JSON: EOF while parsing an object at line 1 column 1",
                "{}",
            ]
        );
    }

    /// A sink the test can read back, each `write` call apart.
    #[derive(Clone, Default)]
    struct Calls(std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Calls {
        fn written(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().concat()).unwrap()
        }
    }

    #[tokio::test]
    async fn good_frames_reach_the_server_and_bad_ones_are_answered_in_between() {
        let sink = Calls::default();
        let output = Output::spawn(sink.clone());
        let input = b"Content-Length: 8\r\n\r\n{\"id\":1}Content-Length: 3\r\n\r\n{x}Content-Length: 8\r\n\r\n{\"id\":2}";
        let (mut reader, ended) = spawn_input(std::io::Cursor::new(input.to_vec()), output.clone());
        let mut got = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut got)
            .await
            .unwrap();
        ended.await.unwrap();
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "Content-Length: 8\r\n\r\n{\"id\":1}Content-Length: 8\r\n\r\n{\"id\":2}"
        );
        // tower-lsp's frames and the parse error share the writer, whole frames each: what is
        // written goes out when the writer flushes, header and body together.
        let parse_error = "Content-Length: 75\r\n\r\n{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}";
        let mut writer = output.writer();
        tokio::io::AsyncWriteExt::write_all(&mut writer, b"Content-Length: 2\r\n\r\n")
            .await
            .unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut writer, b"{}")
            .await
            .unwrap();
        output.sync().await;
        assert_eq!(
            sink.written(),
            parse_error,
            "nothing of a frame before the flush"
        );
        tokio::io::AsyncWriteExt::flush(&mut writer).await.unwrap();
        output.sync().await;
        assert_eq!(
            sink.written(),
            format!("{parse_error}Content-Length: 2\r\n\r\n{{}}")
        );
    }

    #[tokio::test]
    async fn each_frame_reaches_the_sink_in_one_write() {
        let sink = Calls::default();
        let output = Output::spawn(sink.clone());
        let mut writer = output.writer();
        let frames = [
            "Content-Length: 2\r\n\r\n{}".to_string(),
            format!(
                "Content-Length: 9000\r\n\r\n{{\"x\":\"{}\"}}",
                "y".repeat(8992)
            ),
        ];
        for frame in &frames {
            let (header, body) = frame.split_at(frame.find('{').unwrap());
            tokio::io::AsyncWriteExt::write_all(&mut writer, header.as_bytes())
                .await
                .unwrap();
            tokio::io::AsyncWriteExt::write_all(&mut writer, body.as_bytes())
                .await
                .unwrap();
            tokio::io::AsyncWriteExt::flush(&mut writer).await.unwrap();
            output.sync().await;
        }
        let calls: Vec<String> = sink
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|c| String::from_utf8(c.clone()).unwrap())
            .collect();
        assert_eq!(calls, frames, "a write per frame, header and body together");
    }

    #[test]
    fn drops_null_params_of_shutdown_only() {
        let b =
            normalize(br#"{"jsonrpc":"2.0","id":1,"method":"shutdown","params":null}"#.to_vec());
        assert_eq!(
            String::from_utf8(b).unwrap(),
            r#"{"id":1,"jsonrpc":"2.0","method":"shutdown"}"#
        );
        let h = br#"{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":null}"#.to_vec();
        assert_eq!(normalize(h.clone()), h);
    }
}
