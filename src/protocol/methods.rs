//! Params and results of every PROTOCOL.md method (filled by the protocol work).
