//! The opt-in response cache (`responseCache {maxEntries}`): identical
//! stateless, non-streaming `bedrock/converse` calls are answered from an LRU
//! of earlier responses instead of calling (and paying for) the model again.
//! The key is the whole request as sent, model id included, so any
//! difference — a temperature, a system block — is a different entry.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

use crate::protocol::shapes::{ConverseRequest, ConverseResponse};

pub struct ResponseCache {
    entries: Mutex<LruCache<String, ConverseResponse>>,
}

impl ResponseCache {
    /// `max_entries` of 0 is treated as 1; callers turn the cache off instead.
    /// Memory grows with the entries stored, not with `max_entries`:
    /// `LruCache::new` would allocate its whole table up front.
    pub fn new(max_entries: usize) -> Self {
        let capacity = NonZeroUsize::new(max_entries).unwrap_or(NonZeroUsize::MIN);
        let mut entries = LruCache::unbounded();
        entries.resize(capacity);
        Self { entries: Mutex::new(entries) }
    }

    fn key(model_id: &str, request: &ConverseRequest) -> String {
        let body = serde_json::to_string(request).expect("a Converse request serializes");
        format!("{model_id}\n{body}")
    }

    pub fn get(&self, model_id: &str, request: &ConverseRequest) -> Option<ConverseResponse> {
        crate::sync::lock(&self.entries).get(&Self::key(model_id, request)).cloned()
    }

    pub fn put(&self, model_id: &str, request: &ConverseRequest, response: ConverseResponse) {
        crate::sync::lock(&self.entries).put(Self::key(model_id, request), response);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identical_requests_hit_and_the_oldest_is_evicted() {
        let cache = ResponseCache::new(1);
        let request = |text: &str| -> ConverseRequest {
            serde_json::from_value(json!({"modelId": "m", "messages": [{"role": "user", "content": [{"text": text}]}]}))
                .unwrap()
        };
        let response: ConverseResponse = serde_json::from_value(json!({
            "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
            "stopReason": "end_turn", "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}, "metrics": {"latencyMs": 3}
        }))
        .unwrap();
        cache.put("m", &request("a"), response.clone());
        assert_eq!(cache.get("m", &request("a")), Some(response.clone()));
        assert_eq!(cache.get("other", &request("a")), None);
        cache.put("m", &request("b"), response);
        assert_eq!(cache.get("m", &request("a")), None, "capacity 1 evicts the older entry");
    }
}
