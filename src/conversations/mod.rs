//! Conversations: their state and the store that runs one turn at a time
//! ([`store`]), and their crash-safe journals under `--storage-dir`
//! ([`storage`]).

pub mod storage;
pub(crate) mod store;
