//! `application/vnd.amazon.eventstream` responses (docs/bedrock-wire.md §3): frames built with
//! aws-smithy-eventstream's encoder, sent one by one with the scripted delays, ended cleanly, with an
//! exception frame, or by cutting the connection.

use std::time::Duration;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use axum::body::Body;
use bytes::Bytes;
use serde_json::Value;

use super::reply::{Shaping, exception_payload};

fn encode(kind: &'static str, type_header: &'static str, type_name: &str, payload: &Value) -> Bytes {
    let payload = Bytes::from(payload.to_string());
    let capacity = payload.len() + 96;
    let message = Message::new(payload)
        .add_header(Header::new(type_header, HeaderValue::String(type_name.to_owned().into())))
        .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())))
        .add_header(Header::new(":message-type", HeaderValue::String(kind.into())));
    let mut buffer = Vec::with_capacity(capacity);
    write_message_to(&message, &mut buffer).expect("emulator frames have short headers and payloads under 16 MiB");
    Bytes::from(buffer)
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

/// The response body for a planned stream. Frames are produced lazily, so each delay happens between
/// two writes on the wire rather than before the response starts.
pub fn body(frames: Vec<Timed>, ending: Ending) -> Body {
    enum Step {
        Frames(std::vec::IntoIter<Timed>, Ending),
        Done,
    }
    let stream = futures_util::stream::unfold(Step::Frames(frames.into_iter(), ending), |step| async move {
        let Step::Frames(mut frames, ending) = step else {
            return None;
        };
        if let Some(Timed { delay, frame }) = frames.next() {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            return Some((Ok(frame), Step::Frames(frames, ending)));
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
            timed.truncate(limit);
            exception.unwrap_or(Ending::Cut)
        }
        None => exception.unwrap_or(Ending::Clean),
    };
    body(timed, ending)
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
}
