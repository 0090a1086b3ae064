//! `application/vnd.amazon.eventstream` responses (docs/bedrock-wire.md §3): frames built by the
//! emulator's own encoder (it shares no code with the SDKs that decode them), sent one by one with the
//! scripted delays, ended cleanly, with an
//! exception frame, or by cutting the connection.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

use super::reply::{Shaping, exception_payload};

/// Header value type 7: a string (u16 big-endian length, then its bytes).
const HEADER_STRING: u8 = 7;
/// Total length, headers length and prelude CRC.
const PRELUDE_LEN: usize = 12;
/// The message CRC at the end.
const TRAILER_LEN: usize = 4;

/// One message of the AWS event-stream encoding: `total length u32 | headers length u32 |
/// CRC32(those 8 bytes) | headers | payload | CRC32(everything before)`, all big-endian; each
/// header is `name length u8 | name | value type u8 | value`, and every header here is a string.
fn encode_message(headers: &[(&str, &str)], payload: &[u8]) -> Bytes {
    let headers_len: usize = headers.iter().map(|(name, value)| 1 + name.len() + 1 + 2 + value.len()).sum();
    let total_len = PRELUDE_LEN + headers_len + payload.len() + TRAILER_LEN;
    let mut buffer = Vec::with_capacity(total_len);
    let as_u32 = |len: usize| u32::try_from(len).expect("emulator frames are far below 4 GiB");
    buffer.extend_from_slice(&as_u32(total_len).to_be_bytes());
    buffer.extend_from_slice(&as_u32(headers_len).to_be_bytes());
    let prelude_crc = crc32fast::hash(&buffer);
    buffer.extend_from_slice(&prelude_crc.to_be_bytes());
    for (name, value) in headers {
        let name_len = u8::try_from(name.len()).expect("emulator header names are short");
        let value_len = u16::try_from(value.len()).expect("emulator header values are short");
        buffer.push(name_len);
        buffer.extend_from_slice(name.as_bytes());
        buffer.push(HEADER_STRING);
        buffer.extend_from_slice(&value_len.to_be_bytes());
        buffer.extend_from_slice(value.as_bytes());
    }
    buffer.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&buffer);
    buffer.extend_from_slice(&message_crc.to_be_bytes());
    debug_assert_eq!(buffer.len(), total_len);
    Bytes::from(buffer)
}

/// A JSON frame, headers in the order Bedrock sends them: the type, `:content-type`, `:message-type`.
fn encode(kind: &str, type_header: &str, type_name: &str, payload: &Value) -> Bytes {
    let headers = [(type_header, type_name), (":content-type", "application/json"), (":message-type", kind)];
    encode_message(&headers, payload.to_string().as_bytes())
}

/// A response whose body is an event stream (`application/vnd.amazon.eventstream`).
pub fn response(body: Body) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.amazon.eventstream"));
    response
}

/// An event frame: `:event-type` is the union member name (`messageStart`, `chunk`, ...).
pub fn event_frame(event_type: &str, payload: &Value) -> Bytes {
    encode("event", ":event-type", event_type, payload)
}

/// An exception frame: `:exception-type` is the lower-camel member name (`modelStreamErrorException`).
pub fn exception_frame(exception_type: &str, payload: &Value) -> Bytes {
    encode("exception", ":exception-type", exception_type, payload)
}

/// One frame and the pause before it is sent.
pub struct Timed {
    pub delay: Duration,
    pub frame: Bytes,
}

/// How a stream ends after its frames.
pub enum Ending {
    Clean,
    Exception(Bytes),
    Cut,
}

/// A frame made only when it is sent: the last event of a stream, when it reports what the stream
/// took (ConverseStream's `metadata` with its latency).
pub type LastFrame = Box<dyn FnOnce() -> Bytes + Send>;

/// The response body for a planned stream: `frames`, then `last` (made when it is sent), then the
/// ending. Frames are produced lazily, so each delay happens between two writes on the wire rather
/// than before the response starts.
fn body(frames: Vec<Timed>, last: Option<LastFrame>, ending: Ending) -> Body {
    enum Step {
        Frames(std::vec::IntoIter<Timed>, Option<LastFrame>, Ending),
        Done,
    }
    let stream = futures_util::stream::unfold(Step::Frames(frames.into_iter(), last, ending), |step| async move {
        let Step::Frames(mut frames, last, ending) = step else {
            return None;
        };
        if let Some(Timed { delay, frame }) = frames.next() {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            return Some((Ok(frame), Step::Frames(frames, last, ending)));
        }
        if let Some(last) = last {
            return Some((Ok(last()), Step::Frames(frames, None, ending)));
        }
        match ending {
            Ending::Clean => None,
            Ending::Exception(frame) => Some((Ok(frame), Step::Done)),
            Ending::Cut => {
                // Give the server a turn to flush what it buffered, so the client gets every frame
                // before the connection drops.
                tokio::task::yield_now().await;
                Some((Err(std::io::Error::other("stream cut by script (cutAfterEvents)")), Step::Done))
            }
        }
    });
    Body::from_stream(stream)
}

/// A planned event: its frame, and whether it is a delta (the events `tokenDelayMs` spaces out).
pub struct Event {
    pub delta: bool,
    pub frame: Bytes,
}

/// The body for `events` shaped by a script: delays before deltas, a cut or an exception frame.
pub fn shaped_body(events: Vec<Event>, shaping: &Shaping) -> Body {
    shaped_body_then(events, None, shaping)
}

/// [`shaped_body`] whose last event is `last`, made when it is sent (it counts as one event for
/// `cutAfterEvents`).
pub fn shaped_body_then(events: Vec<Event>, mut last: Option<LastFrame>, shaping: &Shaping) -> Body {
    let mut deltas_seen = 0usize;
    let mut timed: Vec<Timed> = events
        .into_iter()
        .map(|event| {
            let delay = match (event.delta, deltas_seen) {
                (false, _) => Duration::ZERO,
                (true, 0) => shaping.first_token_delay,
                (true, _) => shaping.token_delay,
            };
            deltas_seen += usize::from(event.delta);
            Timed { delay, frame: event.frame }
        })
        .collect();
    let exception = shaping
        .stream_exception
        .as_ref()
        .map(|exception| Ending::Exception(exception_frame(&exception.kind, &exception_payload(exception))));
    let ending = match shaping.cut_after_events {
        Some(limit) => {
            if limit <= timed.len() {
                timed.truncate(limit);
                last = None;
            }
            exception.unwrap_or(Ending::Cut)
        }
        None => exception.unwrap_or(Ending::Clean),
    };
    body(timed, last, ending)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The 118-byte messageStart frame of docs/bedrock-wire.md §3.1, which botocore parsed.
    const GOLDEN_MESSAGE_START: &str = "00000076 00000052 96d5fade 0b3a6576 656e742d 74797065 07000c6d 65737361 \
        67655374 6172740d 3a636f6e 74656e74 2d747970 65070010 6170706c 69636174 696f6e2f 6a736f6e 0d3a6d65 \
        73736167 652d7479 70650700 05657665 6e747b22 726f6c65 223a2261 73736973 74616e74 227d6fa8 c599";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    #[test]
    fn message_start_frame_matches_golden_bytes() {
        let frame = event_frame("messageStart", &json!({"role": "assistant"}));
        assert_eq!(frame.len(), 118);
        assert_eq!(hex(&frame), GOLDEN_MESSAGE_START.replace(' ', ""));
    }

    /// An exception frame with non-ASCII text, byte for byte as aws-smithy-eventstream's encoder
    /// wrote it (checked once by hand when the emulator got its own encoder).
    #[test]
    fn exception_frame_matches_golden_bytes() {
        let payload = json!({"message": "boom ü ✓", "originalStatusCode": 500});
        let frame = exception_frame("modelStreamErrorException", &payload);
        assert_eq!(
            hex(&frame),
            "000000a900000067cbc3d6750f3a657863657074696f6e2d747970650700196d6f64656c53747265616d4572726f72\
             457863657074696f6e0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d657373\
             6167652d74797065070009657863657074696f6e7b226d657373616765223a22626f6f6d20c3bc20e29c93222c226f72\
             6967696e616c537461747573436f6465223a3530307d3d7ee0aa"
        );
    }

    /// The prelude and the two CRCs are what a decoder checks first: lengths add up, each CRC covers
    /// exactly what precedes it.
    #[test]
    fn frame_lengths_and_checksums_are_consistent() {
        let long_text = "é".repeat(40_000);
        let frame = event_frame("contentBlockDelta", &json!({"delta": {"text": long_text}}));
        let word = |at: usize| u32::from_be_bytes(frame[at..at + 4].try_into().unwrap());
        assert_eq!(word(0) as usize, frame.len());
        assert_eq!(word(8), crc32fast::hash(&frame[..8]));
        assert_eq!(word(frame.len() - 4), crc32fast::hash(&frame[..frame.len() - 4]));
        let headers_end = PRELUDE_LEN + word(4) as usize;
        let payload: Value = serde_json::from_slice(&frame[headers_end..frame.len() - TRAILER_LEN]).unwrap();
        assert_eq!(payload["delta"]["text"].as_str().map(str::len), Some(80_000));
    }
}
