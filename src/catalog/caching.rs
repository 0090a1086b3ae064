//! Which models offer prompt caching on Bedrock, and their limits: what the host needs to place
//! cache points itself (`promptCaching: "auto"`, docs/protocol.md "Prompt caching").
//!
//! The facts follow Amazon Bedrock's documentation, read on [`CACHING_AS_OF`]
//! (<https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html>: supported models,
//! minimum tokens per cache checkpoint, at most [`MAX_CACHE_POINTS`] checkpoints per request, the
//! fields that take them), the same table the emulator enforces (docs/emulator.md "Prompt caching");
//! docs/bedrock-wire.md §11. The cache read and write prices are in the model's
//! [`super::TokenPrices`], read on [`super::PRICES_AS_OF`].

/// The date the caching facts below were read.
pub const CACHING_AS_OF: &str = "2026-12-03";

/// Most cache points one request may carry (Bedrock refuses more with a ValidationException).
pub const MAX_CACHE_POINTS: usize = 4;

/// What prompt caching a model offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptCaching {
    /// Tokens a cache point needs since the previous cache point used (the first: since the start of
    /// the prompt); a point below it is ignored by Bedrock and caches nothing.
    pub min_tokens: u64,
    /// Whether cache points may stand in `toolConfig.tools` (Claude: yes; Nova: system and messages only).
    pub tools: bool,
}

const fn claude(min_tokens: u64) -> PromptCaching {
    PromptCaching { min_tokens, tools: true }
}

const NOVA: PromptCaching = PromptCaching { min_tokens: 1_000, tools: false };

/// The models with prompt caching, by a part of their base id (first match wins).
const CACHING_MODELS: &[(&str, PromptCaching)] = &[
    ("anthropic.claude-opus-4-6", claude(4_096)),
    ("anthropic.claude-sonnet-4-6", claude(2_048)),
    ("anthropic.claude-opus-4-5", claude(4_096)),
    ("anthropic.claude-haiku-4-5", claude(4_096)),
    ("anthropic.claude-sonnet-4-5", claude(1_024)),
    ("anthropic.claude-opus-4-1", claude(1_024)),
    ("anthropic.claude-opus-4-2", claude(1_024)),
    ("anthropic.claude-sonnet-4-2", claude(1_024)),
    ("anthropic.claude-3-7-sonnet", claude(1_024)),
    ("anthropic.claude-3-5-sonnet-20241022-v2", claude(1_024)),
    ("anthropic.claude-3-5-haiku", claude(2_048)),
    ("amazon.nova-micro", NOVA),
    ("amazon.nova-lite", NOVA),
    ("amazon.nova-pro", NOVA),
    ("amazon.nova-premier", NOVA),
];

/// The prompt caching of a model id as sent to Bedrock (a base id, an inference-profile id, an
/// ARN of either, or an alias); `None` when the model has none (a cache point would be refused).
pub fn prompt_caching(model_id: &str, region: &str) -> Option<PromptCaching> {
    let base = super::base_model_id(model_id, region);
    let name = base.rsplit('/').next().unwrap_or(&base);
    CACHING_MODELS.iter().find(|(part, _)| name.contains(part)).map(|(_, caching)| *caching)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caching_by_base_model_behind_profiles_and_aliases() {
        let sonnet = prompt_caching("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1").unwrap();
        assert_eq!(sonnet, PromptCaching { min_tokens: 1_024, tools: true });
        assert_eq!(prompt_caching("haiku", "us-east-1").unwrap().min_tokens, 4_096);
        assert!(!prompt_caching("amazon.nova-pro-v1:0", "us-east-1").unwrap().tools);
        assert_eq!(prompt_caching("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1"), None);
        assert_eq!(prompt_caching("meta.llama3-3-70b-instruct-v1:0", "us-east-1"), None);
    }

    #[test]
    fn every_catalog_model_with_a_cache_read_price_caches_and_the_reverse() {
        for entry in super::super::MODELS {
            let caches = prompt_caching(entry.id, "us-east-1").is_some();
            let priced = entry.pricing.cache_read_per_million.is_some();
            // A model priced for cache reads but missing here would never get a cache point.
            assert!(
                !priced || caches || entry.id.contains("claude-3-haiku"),
                "{}: priced {priced}, caches {caches}",
                entry.id
            );
        }
    }
}
