//! The JSON-RPC 2.0 transport: bytes in, messages out, and back.
//!
//! - [`framing`]: splits the input into message bodies (Content-Length or
//!   newline-delimited JSON) and frames outgoing bodies. Knows nothing of JSON-RPC.
//! - [`message`]: parses one body into a request, notification or response, or
//!   the JSON-RPC error it deserves. Knows nothing of methods.
//! - [`connection`]: the single writer task and the [`ClientHandle`] through
//!   which the host sends responses, notifications and its own requests.

pub mod connection;
pub mod framing;
pub mod message;

pub use connection::{ClientHandle, ClientRequestError, OutgoingRequest};
pub use framing::{Frame, FrameReader, Framing};
pub use message::{ErrorObject, Incoming, RequestId};
