//! What an operation gets: the request being answered ([`Call`]) and the script in force
//! ([`LiveScript`]), so operations depend on neither the router nor each other.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;

use super::cache::{CacheUsage, Plan, PromptCache};
use super::errors::ApiError;
use super::script::{Action, Facts, Script, ScriptState, ScriptedReply};

const DEFAULT_REGION: &str = "us-east-1";

/// The script in force and its rules' answer counts, shared by every request; `PUT /_emulator/script`
/// replaces it. It also keeps the emulator's prompt cache, whose clock the script moves
/// (`clockOffsetMs`) and which outlives script replacements.
pub struct LiveScript {
    state: Mutex<ScriptState>,
    cache: PromptCache,
}

impl LiveScript {
    pub fn new(script: Script) -> Self {
        LiveScript { state: Mutex::new(ScriptState::new(script)), cache: PromptCache::default() }
    }

    fn state(&self) -> MutexGuard<'_, ScriptState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads and writes the prompt cache for a request's cache points (none: no cache counts).
    pub fn cache_usage(&self, plan: Option<Plan>) -> Option<CacheUsage> {
        plan.map(|plan| self.cache.apply(&plan, self.cache_clock()))
    }

    /// Now on the prompt cache's clock: the real clock moved forward by the script's `clockOffsetMs`.
    pub fn cache_clock(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.current().clock_offset_ms())
    }

    pub fn current(&self) -> Arc<Script> {
        Arc::clone(&self.state().script)
    }

    /// Puts `script` in force with fresh answer counts.
    pub fn replace(&self, script: Script) {
        *self.state() = ScriptState::new(script);
    }

    /// Consults the script: a `fail` rule becomes the error answer, a `respond` rule the reply to use.
    pub fn decide(&self, facts: &Facts<'_>) -> Result<Option<Arc<ScriptedReply>>, ApiError> {
        match self.state().decide(facts) {
            None => Ok(None),
            Some(Action::Respond(reply)) => Ok(Some(reply)),
            Some(Action::Fail(fail)) => Err(ApiError::new(
                &fail.error,
                fail.status.unwrap_or(500),
                fail.message.unwrap_or_else(|| format!("{} (scripted failure)", fail.error)),
            )),
        }
    }
}

/// Milliseconds since `since`, rounded up (latencies: Bedrock never reports a call that took no time).
pub fn ceil_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros().div_ceil(1000)).unwrap_or(u64::MAX)
}

/// One Bedrock request being answered.
pub struct Call<'a> {
    pub script: &'a LiveScript,
    pub headers: &'a HeaderMap,
    pub body: Bytes,
    started: Instant,
}

impl<'a> Call<'a> {
    /// `started`: when the request arrived, for latencies.
    pub fn new(script: &'a LiveScript, headers: &'a HeaderMap, body: Bytes, started: Instant) -> Self {
        Call { script, headers, body, started }
    }

    /// Milliseconds since the request arrived, rounded up: a call that took any time reports at least 1.
    pub fn elapsed_ms(&self) -> u64 {
        ceil_ms(self.started)
    }

    /// When the request arrived.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The region of the SigV4 credential scope (`Credential=AKID/date/<region>/bedrock/aws4_request`).
    pub fn region(&self) -> String {
        let authorization = self.headers.get("authorization").and_then(|value| value.to_str().ok()).unwrap_or_default();
        authorization
            .split_once("Credential=")
            .and_then(|(_, credential)| credential.split('/').nth(2))
            .filter(|region| !region.is_empty() && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(DEFAULT_REGION)
            .to_owned()
    }
}
