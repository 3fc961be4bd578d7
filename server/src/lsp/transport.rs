//! A guard in front of tower-lsp's stdio transport. tower-lsp stops reading for good after one
//! malformed frame (a missing Content-Length, a body that is not JSON), which would end the
//! server; here every frame is checked first: bad ones are answered with a JSON-RPC parse error
//! and skipped, and only well-formed messages reach tower-lsp.

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::sync::mpsc;

/// Longest header line kept; longer garbage is skipped without buffering it.
const MAX_HEADER_LINE: usize = 64 * 1024;
/// Largest body accepted (a whole `.dlt` file is at most 8 MiB, plus JSON escaping).
const MAX_BODY: usize = 256 * 1024 * 1024;

/// One message read from the client.
enum Frame {
    Message(Vec<u8>),
    /// Unusable input, with the reason to log.
    Bad(String),
}

/// Pumps `input` into `to_server` frame by frame, writing parse errors to `errors`.
pub async fn filter_input<R, W>(input: R, mut to_server: W, errors: mpsc::UnboundedSender<Vec<u8>>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(input);
    loop {
        match read_frame(&mut reader).await {
            None => break,
            Some(Frame::Bad(why)) => {
                tracing::error!("malformed message from the client skipped: {why}");
                let _ = errors.send(frame(br#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#));
            }
            Some(Frame::Message(body)) => {
                let body = normalize(body);
                if to_server.write_all(&frame(&body)).await.is_err()
                    || to_server.flush().await.is_err()
                {
                    break;
                }
            }
        }
    }
    let _ = to_server.shutdown().await;
}

/// Copies tower-lsp's output frames to `output`, slipping `extra` frames in between them.
pub async fn merge_output<R, W>(
    from_server: R,
    mut output: W,
    mut extra: mpsc::UnboundedReceiver<Vec<u8>>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(from_server);
    loop {
        tokio::select! {
            f = read_frame(&mut reader) => match f {
                Some(Frame::Message(body)) => {
                    if output.write_all(&frame(&body)).await.is_err() || output.flush().await.is_err() {
                        break;
                    }
                }
                Some(Frame::Bad(why)) => tracing::error!("server produced a malformed frame: {why}"),
                None => break,
            },
            Some(bytes) = extra.recv() => {
                if output.write_all(&bytes).await.is_err() || output.flush().await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = output.flush().await;
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
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
async fn read_frame<R: AsyncBufRead + Unpin>(reader: &mut R) -> Option<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let line = read_line(reader).await?;
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
    let len = match length {
        None => return Some(Frame::Bad("a header block without Content-Length".into())),
        Some(Err(e)) => return Some(Frame::Bad(e)),
        Some(Ok(n)) if n > MAX_BODY => {
            return Some(Frame::Bad(format!("Content-Length {n} is too large")))
        }
        Some(Ok(n)) => n,
    };
    let mut body = vec![0u8; len];
    if reader.read_exact(&mut body).await.is_err() {
        return None; // truncated at end of input
    }
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) if v.is_object() => Some(Frame::Message(body)),
        Ok(_) => Some(Frame::Bad("the body is not a JSON object".into())),
        Err(e) => Some(Frame::Bad(format!("the body is not JSON: {e}"))),
    }
}

/// One line including its `\n`, at most [`MAX_HEADER_LINE`] bytes kept; `None` at end of input.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        let buf = reader.fill_buf().await.ok()?;
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

    async fn frames(input: &[u8]) -> Vec<String> {
        let mut r = BufReader::new(input);
        let mut out = Vec::new();
        while let Some(f) = read_frame(&mut r).await {
            out.push(match f {
                Frame::Message(b) => String::from_utf8(b).unwrap(),
                Frame::Bad(why) => format!("bad: {why}"),
            });
        }
        out
    }

    #[tokio::test]
    async fn skips_bad_frames_and_resynchronises() {
        let input = b"Content-Length: 2\r\n\r\n{}Content-Type: x\r\n\r\nContent-Length: 9\r\n\r\n{not jsonContent-Length: 2\r\n\r\n{}Content-Length: 1\r\n\r\n{}Content-Length: 2\r\n\r\n{}Content-Length: 50\r\n\r\n{";
        assert_eq!(
            frames(input).await,
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
