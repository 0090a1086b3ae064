//! Conversions between Bedrock's JSON shapes ([`crate::protocol::shapes`])
//! and the SDK's types, both ways, written once.
//!
//! - `to_sdk`: what we send (requests, and content blocks for history).
//! - `from_sdk`: what Bedrock answers (responses, stream events, traces).
//! - `reasoning`: guardrail automated-reasoning findings → JSON.
//! - `document`: `serde_json::Value` ⇄ the SDK's `Document`, numbers exact.
//!
//! Requests are checked: a member the SDK cannot express is an invalid-params
//! error naming its path. Responses are lenient: a member this SDK reports as
//! `Unknown` (Bedrock is newer than the SDK) is skipped with a warning.

mod document;
mod from_sdk;
mod reasoning;
mod to_sdk;

pub(crate) use document::{document_from_json, json_from_document};
pub(crate) use from_sdk::*;
pub(crate) use to_sdk::*;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{HostError, HostResult};

/// The serialized name of one of our enums (`"png"`, `"enabled_full"`), which is
/// also the SDK enum's `as_str()`.
pub(crate) fn serialized_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        other => unreachable!("protocol enums serialize to strings, got {other:?}"),
    }
}

/// One of our enums from the SDK's `as_str()`; `None` for values newer than
/// our shapes.
fn from_serialized_name<T: DeserializeOwned>(name: &str, what: &str) -> Option<T> {
    let parsed = serde_json::from_value(serde_json::Value::String(name.to_owned())).ok();
    if parsed.is_none() {
        tracing::warn!(value = name, "skipping a {what} value this host does not know");
    }
    parsed
}

/// The SDK's builders check required members; ours are required by the JSON
/// shapes, so a failure names the path and the SDK's reason.
fn built<T>(result: Result<T, aws_smithy_types::error::operation::BuildError>, path: &str) -> HostResult<T> {
    result.map_err(|error| HostError::invalid_field(path, error.to_string()))
}

fn to_i32(value: u32, path: &str) -> HostResult<i32> {
    i32::try_from(value).map_err(|_| HostError::invalid_field(path, format!("{value} is larger than {}", i32::MAX)))
}

/// SDK counters are `i32`; Bedrock never sends negative ones, so clamp.
fn to_u32(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests;
