//! What the integration tests share, one module for the whole binary:
//!
//! - [`stdio`]: spawn the real `bedrock-host` and speak JSON-RPC over its stdio, in either framing;
//! - [`emulator`]: the emulator's journal of what Bedrock received, and the emulator as its own process;
//! - [`canned`]: a loopback server answering canned Bedrock wire responses, for the gateway's error paths;
//! - [`conversation`]: a host on the emulator with a script, and the messages and events of a turn;
//! - [`tools`]: a host on the emulator for the tool-loop tests, and the tools they register;
//! - [`raw`]: the host's stdio in the test's own hands (stop reading, close stdout), /proc figures.

pub mod canned;
pub mod conversation;
pub mod emulator;
pub mod raw;
pub mod stdio;
pub mod tools;
