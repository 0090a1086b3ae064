//! The agent loop: one model call with its stream forwarded as it arrives
//! ([`turn`]), the tool-use loop around it, the assembly of stream events into
//! the response Converse would have given ([`assemble`]), and the registry of
//! tools the model may be offered ([`tool_registry`]).

pub(crate) mod assemble;
pub(crate) mod cache_points;
pub(crate) mod context_window;
pub(crate) mod tool_registry;
pub(crate) mod turn;
