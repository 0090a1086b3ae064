//! Conversations: their state ([`conversation`]), the store that runs one turn at a time
//! ([`store`]), and their crash-safe journals under `--storage-dir`
//! ([`storage`]).

pub(crate) mod context;
pub(crate) mod conversation;
pub mod storage;
pub(crate) mod store;
