//! A loopback HTTP/1.1 server that answers canned Bedrock wire responses in
//! order and records what it received, so the real SDK can be driven over
//! real HTTP into error paths the emulator would need scripts for.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One answer: status, headers and body bytes.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send only this many body bytes, then close: a connection cut mid-answer.
    pub cut_after: Option<usize>,
    /// Wait this long before answering: a server slower than the client's timeout.
    pub delay: Option<std::time::Duration>,
}

impl Canned {
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("x-amzn-RequestId".into(), format!("req-{status}")),
            ],
            body: body.as_bytes().to_vec(),
            cut_after: None,
            delay: None,
        }
    }

    /// A 200 event-stream answer made of `frames` (see [`event_frame`]).
    pub fn event_stream(frames: &[Vec<u8>]) -> Self {
        Self {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/vnd.amazon.eventstream".into()),
                ("x-amzn-RequestId".into(), "req-stream".into()),
            ],
            body: frames.concat(),
            cut_after: None,
            delay: None,
        }
    }

    /// A Bedrock exception as real Bedrock sends it (docs/bedrock-wire.md §4).
    pub fn exception(status: u16, name: &str, message: &str) -> Self {
        let mut canned = Self::json(status, &serde_json::json!({ "message": message }).to_string());
        canned
            .headers
            .push(("x-amzn-ErrorType".into(), format!("{name}:http://internal.amazon.com/coral/com.amazon.bedrock/")));
        canned
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct CannedServer {
    pub base_url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl CannedServer {
    /// Serves `answers` in order, one per request; once they run out it answers 500.
    pub async fn start(answers: Vec<Canned>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base_url = format!("http://{}", listener.local_addr().expect("local addr"));
        let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
        let received = Arc::new(Mutex::new(Vec::new()));
        let journal = received.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let answers = answers.clone();
                let journal = journal.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else { return };
                    journal.lock().unwrap().push(request);
                    let answer = answers.lock().unwrap().pop_front().unwrap_or_else(|| {
                        Canned::exception(500, "InternalServerException", "the canned server ran out of answers")
                    });
                    if let Some(delay) = answer.delay {
                        tokio::time::sleep(delay).await;
                    }
                    let mut head = format!("HTTP/1.1 {} Canned\r\n", answer.status);
                    for (name, value) in &answer.headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", answer.body.len()));
                    let _ = socket.write_all(head.as_bytes()).await;
                    let sent = answer.cut_after.unwrap_or(answer.body.len()).min(answer.body.len());
                    let _ = socket.write_all(&answer.body[..sent]).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self { base_url, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 || buffer.len() > 1 << 20 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':').map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some(Received { method, path, headers, body })
}

/// One event-stream frame of an event (docs/bedrock-wire.md §3.2).
pub fn event_frame(event_type: &str, payload: serde_json::Value) -> Vec<u8> {
    frame(&[(":message-type", "event"), (":event-type", event_type)], payload)
}

/// One event-stream frame of an exception (docs/bedrock-wire.md §3.5).
pub fn exception_frame(exception_type: &str, payload: serde_json::Value) -> Vec<u8> {
    frame(&[(":message-type", "exception"), (":exception-type", exception_type)], payload)
}

fn frame(headers: &[(&'static str, &str)], payload: serde_json::Value) -> Vec<u8> {
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    let mut message = Message::new(serde_json::to_vec(&payload).unwrap())
        .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())));
    for (name, value) in headers {
        message = message.add_header(Header::new(*name, HeaderValue::String(value.to_string().into())));
    }
    let mut bytes = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(&message, &mut bytes).unwrap();
    bytes
}
