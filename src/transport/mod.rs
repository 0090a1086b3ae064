//! The JSON-RPC 2.0 transport: bytes in, messages out, and back.
//!
//! - [`framing`]: splits the input into message bodies (Content-Length or
//!   newline-delimited JSON) and frames outgoing bodies. Knows nothing of JSON-RPC.
//! - [`message`]: parses one body into a request, notification or response, or
//!   the JSON-RPC error it deserves. Knows nothing of methods.
//! - [`connection`]: the single writer task and the [`ClientHandle`] through
//!   which the host sends responses, notifications and its own requests.
//!
//! Why our own module on tokio (measured before it was written):
//! tower-lsp 0.20 and its fork tower-lsp-server stop reading stdin when their
//! handlers await client replies (four handlers waiting on the client plus a
//! full queue wedge the server) and ignore `$/cancelRequest` while their
//! concurrency slots are full; jsonrpsee has no stdio transport and no
//! server→client requests. Here the read loop never awaits a handler, so
//! answers from the client and cancellations are always read.

pub mod connection;
pub mod framing;
pub mod message;
pub mod rpc;

pub use connection::{ClientHandle, ClientRequestError, OutgoingRequest};
pub use framing::{Frame, FrameReader, Framing};
pub use message::{ErrorObject, Incoming, RequestId};
