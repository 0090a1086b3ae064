//! What a JSON-RPC method is, as types: a name bound to its params (and, for
//! a request, its result). The protocol declares one marker type per method
//! (`protocol::method::Converse`); senders and the router take the marker, so
//! a method's name and payload types are written once and checked by the
//! compiler everywhere they are used.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A method or notification: its name and the type of its params.
pub trait Method {
    /// The method name on the wire, e.g. `bedrock/converse`.
    const NAME: &'static str;
    /// What `params` holds.
    type Params: Serialize + DeserializeOwned + Send + 'static;
}

/// A method that is answered.
pub trait Request: Method {
    /// What `result` holds.
    type Result: Serialize + DeserializeOwned + Send + 'static;
}

/// A method that is not answered.
pub trait Notification: Method {}

/// The base protocol's cancellation notification (`{id}`), which the transport itself sends
/// when a request to the client is dropped unanswered.
pub const CANCEL_REQUEST: &str = "$/cancelRequest";
