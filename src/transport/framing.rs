//! Framing: turns the input byte stream into message bodies and frames the
//! bodies the host writes. Knows nothing of JSON-RPC.
//!
//! The framing is chosen by the first byte of the session, after any
//! whitespace and a UTF-8 byte order mark: `{` (or `[`) means
//! newline-delimited JSON, anything else the LSP base protocol
//! (`Content-Length: N\r\n\r\n` + N bytes). A message in the other framing
//! later is answered with an error that names the session's framing, never
//! ignored. A frame larger than the limit is skipped by discarding its bytes
//! as they arrive, so memory never grows by the frame's size.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// How messages are delimited, in both directions, for the whole session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// LSP base protocol: `Content-Length` header, blank line, body.
    ContentLength,
    /// One JSON message per line.
    Ndjson,
}

impl Framing {
    /// The bytes to write for one message body.
    pub fn encode(self, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(body.len() + 32);
        self.encode_into(body, &mut out);
        out
    }

    /// Appends the bytes to write for one message body to `out`, so that a writer can gather
    /// several messages into one write.
    pub fn encode_into(self, body: &[u8], out: &mut Vec<u8>) {
        match self {
            Self::ContentLength => {
                out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
                out.extend_from_slice(body);
            }
            Self::Ndjson => {
                // Compact JSON never holds a raw newline, so the line ends the message.
                out.extend_from_slice(body);
                out.push(b'\n');
            }
        }
    }
}

/// One unit of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A message body, not yet parsed.
    Body(Vec<u8>),
    /// A frame over the limit, already skipped; `length` is its size in bytes.
    Oversize { length: u64 },
    /// A Content-Length header block that cannot be used; the reader has
    /// resynchronised on the next `Content-Length:` header.
    BadHeader(String),
}

/// Longest header line accepted; real headers are a few dozen bytes.
const MAX_HEADER_LINE: usize = 8 * 1024;
/// Most header lines in one header block.
const MAX_HEADER_LINES: usize = 32;
/// The header name the reader looks for when resynchronising, lower case.
const CONTENT_LENGTH: &[u8] = b"content-length:";
/// The UTF-8 byte order mark, skipped before the first message.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads frames from a buffered byte stream.
pub struct FrameReader<R> {
    reader: R,
    max_frame_bytes: usize,
    framing: Option<Framing>,
    /// After a bad header block, skip input up to the next `Content-Length:`.
    resync: bool,
    /// Bytes already consumed that begin the next header line (the
    /// `Content-Length:` found while resynchronising).
    carry: Vec<u8>,
}

enum HeaderLine {
    Line(Vec<u8>),
    TooLong,
    Eof,
}

impl<R: AsyncBufRead + Unpin> FrameReader<R> {
    pub fn new(reader: R, max_frame_bytes: usize) -> Self {
        Self { reader, max_frame_bytes, framing: None, resync: false, carry: Vec::new() }
    }

    /// The session's framing, read from its first byte after leading
    /// whitespace and a UTF-8 BOM (both skipped); `None` at end of input.
    pub async fn detect(&mut self) -> io::Result<Option<Framing>> {
        if let Some(framing) = self.framing {
            return Ok(Some(framing));
        }
        // Bytes of a BOM seen so far (a read may end inside one).
        let mut bom = 0;
        let first = loop {
            let buffer = self.reader.fill_buf().await?;
            let Some(&byte) = buffer.first() else {
                if bom == 0 {
                    return Ok(None);
                }
                // Input ended inside a would-be BOM: those bytes are what there is.
                self.carry = BOM[..bom].to_vec();
                break BOM[0];
            };
            if bom > 0 || byte == BOM[0] {
                if byte == BOM[bom] {
                    bom += 1;
                    self.reader.consume(1);
                    if bom == BOM.len() {
                        bom = 0;
                    }
                    continue;
                }
                if bom > 0 {
                    // Not a BOM after all: the bytes taken begin the first (header) line.
                    self.carry = BOM[..bom].to_vec();
                    break BOM[0];
                }
            }
            if byte.is_ascii_whitespace() {
                self.reader.consume(1);
                continue;
            }
            break byte;
        };
        let framing = if matches!(first, b'{' | b'[') { Framing::Ndjson } else { Framing::ContentLength };
        self.framing = Some(framing);
        Ok(Some(framing))
    }

    /// The next frame; `None` at end of input.
    pub async fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        match self.detect().await? {
            None => Ok(None),
            Some(Framing::Ndjson) => self.next_line().await,
            Some(Framing::ContentLength) => self.next_content_length_frame().await,
        }
    }

    async fn next_line(&mut self) -> io::Result<Option<Frame>> {
        loop {
            let mut line = Vec::new();
            let mut oversize: Option<u64> = None;
            loop {
                let buffer = self.reader.fill_buf().await?;
                if buffer.is_empty() {
                    if oversize.is_none() && line.iter().all(u8::is_ascii_whitespace) {
                        return Ok(None);
                    }
                    break;
                }
                let newline = buffer.iter().position(|&b| b == b'\n');
                let chunk = &buffer[..newline.unwrap_or(buffer.len())];
                match &mut oversize {
                    Some(length) => *length += chunk.len() as u64,
                    None if line.len() + chunk.len() > self.max_frame_bytes => {
                        oversize = Some((line.len() + chunk.len()) as u64);
                        line = Vec::new();
                    }
                    None => line.extend_from_slice(chunk),
                }
                let consumed = chunk.len() + usize::from(newline.is_some());
                self.reader.consume(consumed);
                if newline.is_some() {
                    break;
                }
            }
            if let Some(length) = oversize {
                return Ok(Some(Frame::Oversize { length }));
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if starts_with_content_length(&line) {
                return Ok(Some(Frame::BadHeader(
                    "this session uses newline-delimited JSON (its first message began with `{`), so \
                     `Content-Length` headers are not read; send each message as one line of JSON"
                        .into(),
                )));
            }
            if !line.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(Frame::Body(line)));
            }
        }
    }

    async fn next_content_length_frame(&mut self) -> io::Result<Option<Frame>> {
        if self.resync {
            if !self.skip_to_content_length().await? {
                return Ok(None);
            }
            self.resync = false;
        }
        let mut content_length: Option<u64> = None;
        let mut problem: Option<String> = None;
        let mut lines = 0;
        loop {
            let line = match self.read_header_line().await? {
                HeaderLine::Eof => return Ok(None),
                HeaderLine::TooLong => {
                    self.resync = true;
                    return Ok(Some(Frame::BadHeader(format!(
                        "a header line is longer than {MAX_HEADER_LINE} bytes; \
                         frames start with `Content-Length: N` followed by a blank line"
                    ))));
                }
                HeaderLine::Line(line) => line,
            };
            if line.is_empty() {
                if lines == 0 {
                    // Stray line breaks between frames are harmless.
                    continue;
                }
                break;
            }
            if lines == 0 && looks_like_json(&line) {
                // A newline-delimited message in a Content-Length session: answer it now, rather
                // than read it (and the lines after it) as headers waiting for a blank line.
                return Ok(Some(Frame::BadHeader(
                    "this session uses Content-Length framing (its first message began with a header), so a line \
                     of JSON is not a message; send `Content-Length: N\\r\\n\\r\\n` before each body"
                        .into(),
                )));
            }
            lines += 1;
            if lines > MAX_HEADER_LINES {
                self.resync = true;
                return Ok(Some(Frame::BadHeader(format!(
                    "more than {MAX_HEADER_LINES} header lines without a blank line; \
                     frames start with `Content-Length: N` followed by a blank line"
                ))));
            }
            if problem.is_some() {
                continue;
            }
            let text = String::from_utf8_lossy(&line);
            let Some((name, value)) = text.split_once(':') else {
                problem = Some(format!("header line `{}` is not `Name: value`", shorten(&text)));
                continue;
            };
            if !name.trim().eq_ignore_ascii_case("content-length") {
                continue;
            }
            if content_length.is_some() {
                problem = Some("the header block has more than one Content-Length header; send exactly one".into());
                continue;
            }
            match value.trim().parse::<u64>() {
                Ok(length) => content_length = Some(length),
                Err(_) => {
                    problem = Some(format!(
                        "`Content-Length: {}` is not a byte count; send `Content-Length: N` with N the body's length in bytes",
                        shorten(value.trim())
                    ))
                }
            }
        }
        let length = match (problem, content_length) {
            (Some(problem), _) => {
                self.resync = true;
                return Ok(Some(Frame::BadHeader(problem)));
            }
            (None, None) => {
                self.resync = true;
                return Ok(Some(Frame::BadHeader(
                    "the header block has no Content-Length header; send `Content-Length: N` before the blank line"
                        .into(),
                )));
            }
            (None, Some(length)) => length,
        };
        if length > self.max_frame_bytes as u64 {
            self.discard(length).await?;
            return Ok(Some(Frame::Oversize { length }));
        }
        let length = length as usize;
        let mut body = Vec::with_capacity(length);
        while body.len() < length {
            let buffer = self.reader.fill_buf().await?;
            if buffer.is_empty() {
                tracing::warn!(expected = length, received = body.len(), "input ended inside a frame body");
                return Ok(None);
            }
            let take = buffer.len().min(length - body.len());
            body.extend_from_slice(&buffer[..take]);
            self.reader.consume(take);
        }
        Ok(Some(Frame::Body(body)))
    }

    /// One header line without its line ending (`\r\n` or `\n`).
    async fn read_header_line(&mut self) -> io::Result<HeaderLine> {
        let mut line = std::mem::take(&mut self.carry);
        loop {
            let buffer = self.reader.fill_buf().await?;
            if buffer.is_empty() {
                if !line.is_empty() {
                    tracing::warn!("input ended inside a frame header");
                }
                return Ok(HeaderLine::Eof);
            }
            let newline = buffer.iter().position(|&b| b == b'\n');
            let chunk = &buffer[..newline.unwrap_or(buffer.len())];
            if line.len() + chunk.len() > MAX_HEADER_LINE {
                let consumed = chunk.len();
                self.reader.consume(consumed);
                return Ok(HeaderLine::TooLong);
            }
            line.extend_from_slice(chunk);
            let consumed = chunk.len() + usize::from(newline.is_some());
            self.reader.consume(consumed);
            if newline.is_some() {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(HeaderLine::Line(line));
            }
        }
    }

    /// Discards input up to and including the next `Content-Length:` (any
    /// case), which then starts the next header line. False at end of input.
    async fn skip_to_content_length(&mut self) -> io::Result<bool> {
        let mut matched = 0;
        loop {
            let buffer = self.reader.fill_buf().await?;
            if buffer.is_empty() {
                return Ok(false);
            }
            let mut consumed = 0;
            let mut found = false;
            for &byte in buffer {
                consumed += 1;
                let byte = byte.to_ascii_lowercase();
                // The pattern's first byte occurs nowhere else in it, so a
                // mismatch restarts the match at this byte.
                matched =
                    if byte == CONTENT_LENGTH[matched] { matched + 1 } else { usize::from(byte == CONTENT_LENGTH[0]) };
                if matched == CONTENT_LENGTH.len() {
                    found = true;
                    break;
                }
            }
            self.reader.consume(consumed);
            if found {
                self.carry = b"Content-Length:".to_vec();
                return Ok(true);
            }
        }
    }

    /// Skips `length` bytes of input in buffer-sized steps.
    async fn discard(&mut self, length: u64) -> io::Result<()> {
        let mut left = length;
        while left > 0 {
            let buffer = self.reader.fill_buf().await?;
            if buffer.is_empty() {
                return Ok(());
            }
            let take = buffer.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            self.reader.consume(take);
            left -= take as u64;
        }
        Ok(())
    }
}

/// Whether a line starts with a `Content-Length:` header (any case, spaces allowed before the colon).
fn starts_with_content_length(line: &[u8]) -> bool {
    let name = b"content-length";
    line.len() > name.len()
        && line[..name.len()].eq_ignore_ascii_case(name)
        && line[name.len()..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b':')
}

/// Whether a header line is a JSON object or array instead (after leading whitespace).
fn looks_like_json(line: &[u8]) -> bool {
    matches!(line.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'['))
}

/// A header value quoted in an error message, cut to a readable length.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8], max: usize) -> Vec<Frame> {
        let mut reader = FrameReader::new(input, max);
        let mut out = Vec::new();
        for _ in 0..1000 {
            match reader.next_frame().await.expect("in-memory reads do not fail") {
                Some(frame) => out.push(frame),
                None => return out,
            }
        }
        panic!("reader did not reach the end of input");
    }

    fn body(text: &str) -> Frame {
        Frame::Body(text.as_bytes().to_vec())
    }

    #[tokio::test]
    async fn content_length_frames() {
        let input = b"Content-Length: 2\r\n\r\n{}Content-Type: x\r\ncontent-length:3\r\n\r\n[1]";
        assert_eq!(frames(input, 100).await, vec![body("{}"), body("[1]")]);
    }

    #[tokio::test]
    async fn ndjson_lines_skip_blank_lines_and_crlf() {
        let input = b"{\"a\":1}\r\n\n  \n{\"b\":2}";
        assert_eq!(frames(input, 100).await, vec![body("{\"a\":1}"), body("{\"b\":2}")]);
    }

    #[tokio::test]
    async fn oversize_frames_are_skipped() {
        let input = b"Content-Length: 11\r\n\r\n01234567890Content-Length: 2\r\n\r\n{}";
        assert_eq!(frames(input, 10).await, vec![Frame::Oversize { length: 11 }, body("{}")]);
        let input = b"{\"long\":\"0123456789\"}\n{}\n";
        assert_eq!(frames(input, 10).await, vec![Frame::Oversize { length: 21 }, body("{}")]);
    }

    #[tokio::test]
    async fn bad_headers_resynchronise_on_the_next_frame() {
        let input = b"Content-Length: abc\r\n\r\n{\"x\":1}Content-Length: 2\r\n\r\n{}";
        let frames = frames(input, 100).await;
        assert!(matches!(&frames[0], Frame::BadHeader(m) if m.contains("`Content-Length: abc`")), "{frames:?}");
        assert_eq!(frames[1..], [body("{}")]);
    }

    #[tokio::test]
    async fn duplicate_missing_and_negative_lengths_are_bad_headers() {
        for (input, expected) in [
            (&b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"[..], "more than one Content-Length"),
            (&b"Content-Type: x\r\n\r\n{}"[..], "no Content-Length"),
            (&b"Content-Length: -2\r\n\r\n{}"[..], "`Content-Length: -2` is not a byte count"),
            (&b"hello\r\n\r\n"[..], "`hello` is not `Name: value`"),
        ] {
            let frames = frames(input, 100).await;
            assert!(matches!(&frames[..], [Frame::BadHeader(m)] if m.contains(expected)), "{frames:?}");
        }
    }

    #[tokio::test]
    async fn leading_whitespace_and_a_bom_do_not_choose_the_framing() {
        for prefix in [&b" "[..], b"\t", b"\n", b"\r\n", b"\xEF\xBB\xBF", b"\xEF\xBB\xBF \n", b" \xEF\xBB\xBF"] {
            let mut input = prefix.to_vec();
            input.extend_from_slice(b"{\"a\":1}\n{}\n");
            let mut reader = FrameReader::new(&input[..], 100);
            assert_eq!(reader.detect().await.unwrap(), Some(Framing::Ndjson), "{prefix:?}");
            assert_eq!(frames(&input, 100).await, vec![body("{\"a\":1}"), body("{}")], "{prefix:?}");
            let mut input = prefix.to_vec();
            input.extend_from_slice(b"Content-Length: 2\r\n\r\n{}");
            assert_eq!(frames(&input, 100).await, vec![body("{}")], "{prefix:?}");
        }
        // A BOM split across reads is still one BOM.
        let data = b"\xEF\xBB\xBF{}\n".to_vec();
        let input = tokio::io::BufReader::with_capacity(1, Chunked { data, cuts: vec![1, 1, 1, 1].into() });
        let mut reader = FrameReader::new(input, 100);
        assert_eq!(reader.next_frame().await.unwrap(), Some(body("{}")));
        // Input that only looks like the start of a BOM is kept, as the first header line.
        let damaged = frames(b"\xEF\xBBContent-Length: 2\r\n\r\n{}", 100).await;
        assert!(matches!(&damaged[..], [Frame::BadHeader(_)]), "{damaged:?}");
        assert!(frames(b" \n\t", 100).await.is_empty());
    }

    #[tokio::test]
    async fn a_message_in_the_other_framing_is_answered_not_ignored() {
        // A JSON line in a Content-Length session: an error at once, and the session goes on.
        let input =
            b"Content-Length: 2\r\n\r\n{}{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}\nContent-Length: 2\r\n\r\n[]";
        let read = frames(input, 100).await;
        assert_eq!(read.len(), 3, "{read:?}");
        assert!(matches!(&read[1], Frame::BadHeader(m) if m.contains("uses Content-Length framing")), "{read:?}");
        assert_eq!(read[2], body("[]"));
        // A Content-Length header in a newline-delimited session.
        let read = frames(b"{}\nContent-Length: 2\r\n\r\n{}\n", 100).await;
        assert!(matches!(&read[1], Frame::BadHeader(m) if m.contains("uses newline-delimited JSON")), "{read:?}");
        assert_eq!(read[2], body("{}"));
    }

    #[test]
    fn encodes_both_framings() {
        assert_eq!(Framing::ContentLength.encode(b"{}"), b"Content-Length: 2\r\n\r\n{}");
        assert_eq!(Framing::Ndjson.encode(b"{}"), b"{}\n");
    }

    /// Yields its input in the given chunk sizes, one chunk per read at most.
    struct Chunked {
        data: Vec<u8>,
        cuts: std::collections::VecDeque<usize>,
    }

    impl tokio::io::AsyncRead for Chunked {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            let wanted = self.cuts.pop_front().unwrap_or(usize::MAX).max(1);
            let take = wanted.min(buf.remaining()).min(self.data.len());
            let rest = self.data.split_off(take);
            buf.put_slice(&self.data);
            self.data = rest;
            std::task::Poll::Ready(Ok(()))
        }
    }

    proptest::proptest! {
        #[test]
        fn any_split_of_valid_frames_parses_to_the_same_bodies(
            texts in proptest::collection::vec(".{0,40}", 1..8),
            cuts in proptest::collection::vec(1usize..50, 0..200),
            capacity in 1usize..64,
            ndjson: bool,
        ) {
            let framing = if ndjson { Framing::Ndjson } else { Framing::ContentLength };
            let bodies: Vec<Vec<u8>> =
                texts.iter().map(|text| serde_json::to_vec(&serde_json::json!({ "text": text })).unwrap()).collect();
            let data: Vec<u8> = bodies.iter().flat_map(|body| framing.encode(body)).collect();
            let input = tokio::io::BufReader::with_capacity(capacity, Chunked { data, cuts: cuts.into() });
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let parsed = runtime.block_on(async {
                let mut reader = FrameReader::new(input, 1 << 20);
                let mut parsed = Vec::new();
                while let Some(frame) = reader.next_frame().await.unwrap() {
                    parsed.push(frame);
                }
                (reader.framing, parsed)
            });
            proptest::prop_assert_eq!(parsed.0, Some(framing));
            proptest::prop_assert_eq!(parsed.1, bodies.into_iter().map(Frame::Body).collect::<Vec<_>>());
        }
    }

    proptest::proptest! {
        /// What `fuzz/fuzz_targets/framing.rs` checks, for CI: any input ends,
        /// without a panic, in frames no larger than the limit.
        #[test]
        fn arbitrary_bytes_end_in_frames_within_the_limit(
            data in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..2048),
            max_frame_bytes in 0usize..300,
            capacity in 1usize..64,
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let ended = runtime.block_on(async {
                let mut reader = FrameReader::new(tokio::io::BufReader::with_capacity(capacity, &data[..]), max_frame_bytes);
                for _ in 0..=data.len() {
                    match reader.next_frame().await.unwrap() {
                        None => return true,
                        Some(Frame::Body(body)) => {
                            assert!(body.len() <= max_frame_bytes, "a body of {} bytes", body.len());
                            let _ = super::super::message::parse(&body);
                        }
                        Some(_) => {}
                    }
                }
                false
            });
            proptest::prop_assert!(ended, "more frames than input bytes");
        }
    }
}
