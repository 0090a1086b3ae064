//! The model catalog: what `bedrock/listModels` reports, how aliases resolve
//! to inference profiles for the configured region, which base model an
//! inference-profile id or ARN stands for, and what tokens cost.
//!
//! Prices are on-demand list prices in USD per million tokens for
//! us-east-1, as published on the Amazon Bedrock pricing page on
//! [`PRICES_AS_OF`]; other regions and cross-region profiles may differ.
//! They are estimates for budgeting, not a bill.

pub mod usage;

/// The date the prices below were read.
pub const PRICES_AS_OF: &str = "2026-11-01";

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenPrices {
    pub input_per_million: f64,
    pub output_per_million: f64,
    /// Prompt-cache reads, where the model supports caching.
    pub cache_read_per_million: Option<f64>,
    /// Prompt-cache writes, where the model charges for them.
    pub cache_write_per_million: Option<f64>,
}

/// What a model accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supports {
    pub streaming: bool,
    pub tools: bool,
    pub images: bool,
    pub documents: bool,
    pub reasoning: bool,
    pub guardrails: bool,
}

/// Cross-region inference-profile ids, by geography.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProfileIds {
    pub us: Option<&'static str>,
    pub eu: Option<&'static str>,
    pub apac: Option<&'static str>,
    pub global: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelEntry {
    /// The base (foundation) model id.
    pub id: &'static str,
    pub name: &'static str,
    pub provider: &'static str,
    pub aliases: &'static [&'static str],
    pub profiles: ProfileIds,
    pub context_window: u32,
    pub max_output_tokens: u32,
    pub pricing: TokenPrices,
    pub supports: Supports,
}

const CLAUDE: Supports =
    Supports { streaming: true, tools: true, images: true, documents: true, reasoning: true, guardrails: true };
const CLAUDE_3: Supports = Supports { reasoning: false, ..CLAUDE };
const NOVA: Supports =
    Supports { streaming: true, tools: true, images: true, documents: true, reasoning: false, guardrails: true };
const TEXT_ONLY: Supports =
    Supports { streaming: true, tools: false, images: false, documents: false, reasoning: false, guardrails: true };

const fn anthropic_pricing(input: f64, output: f64) -> TokenPrices {
    // Anthropic on Bedrock: cache writes cost 1.25× input, cache reads 0.1× input.
    TokenPrices {
        input_per_million: input,
        output_per_million: output,
        cache_read_per_million: Some(input * 0.1),
        cache_write_per_million: Some(input * 1.25),
    }
}

const fn nova_pricing(input: f64, output: f64) -> TokenPrices {
    // Nova: cache reads at a 75% discount, cache writes not charged extra.
    TokenPrices {
        input_per_million: input,
        output_per_million: output,
        cache_read_per_million: Some(input * 0.25),
        cache_write_per_million: None,
    }
}

const fn plain_pricing(input: f64, output: f64) -> TokenPrices {
    TokenPrices {
        input_per_million: input,
        output_per_million: output,
        cache_read_per_million: None,
        cache_write_per_million: None,
    }
}

/// Every model the catalog knows, newest first within a family.
pub static MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "anthropic.claude-opus-4-5-20251101-v1:0",
        name: "Claude Opus 4.5",
        provider: "Anthropic",
        aliases: &["opus", "opus-4.5", "claude-opus"],
        profiles: ProfileIds {
            us: Some("us.anthropic.claude-opus-4-5-20251101-v1:0"),
            eu: Some("eu.anthropic.claude-opus-4-5-20251101-v1:0"),
            apac: None,
            global: Some("global.anthropic.claude-opus-4-5-20251101-v1:0"),
        },
        context_window: 200_000,
        max_output_tokens: 64_000,
        pricing: anthropic_pricing(5.0, 25.0),
        supports: CLAUDE,
    },
    ModelEntry {
        id: "anthropic.claude-sonnet-4-5-20250929-v1:0",
        name: "Claude Sonnet 4.5",
        provider: "Anthropic",
        aliases: &["sonnet", "sonnet-4.5", "claude-sonnet"],
        profiles: ProfileIds {
            us: Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            eu: Some("eu.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            apac: Some("apac.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            global: Some("global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        },
        context_window: 200_000,
        max_output_tokens: 64_000,
        pricing: anthropic_pricing(3.0, 15.0),
        supports: CLAUDE,
    },
    ModelEntry {
        id: "anthropic.claude-haiku-4-5-20251001-v1:0",
        name: "Claude Haiku 4.5",
        provider: "Anthropic",
        aliases: &["haiku", "haiku-4.5", "claude-haiku"],
        profiles: ProfileIds {
            us: Some("us.anthropic.claude-haiku-4-5-20251001-v1:0"),
            eu: Some("eu.anthropic.claude-haiku-4-5-20251001-v1:0"),
            apac: Some("apac.anthropic.claude-haiku-4-5-20251001-v1:0"),
            global: Some("global.anthropic.claude-haiku-4-5-20251001-v1:0"),
        },
        context_window: 200_000,
        max_output_tokens: 64_000,
        pricing: anthropic_pricing(1.0, 5.0),
        supports: CLAUDE,
    },
    ModelEntry {
        id: "anthropic.claude-3-5-sonnet-20241022-v2:0",
        name: "Claude 3.5 Sonnet v2",
        provider: "Anthropic",
        aliases: &["sonnet-3.5"],
        profiles: ProfileIds {
            us: Some("us.anthropic.claude-3-5-sonnet-20241022-v2:0"),
            eu: None,
            apac: Some("apac.anthropic.claude-3-5-sonnet-20241022-v2:0"),
            global: None,
        },
        context_window: 200_000,
        max_output_tokens: 8_192,
        pricing: anthropic_pricing(3.0, 15.0),
        supports: CLAUDE_3,
    },
    ModelEntry {
        id: "anthropic.claude-3-5-haiku-20241022-v1:0",
        name: "Claude 3.5 Haiku",
        provider: "Anthropic",
        aliases: &["haiku-3.5"],
        profiles: ProfileIds {
            us: Some("us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            eu: None,
            apac: None,
            global: None,
        },
        context_window: 200_000,
        max_output_tokens: 8_192,
        pricing: anthropic_pricing(0.8, 4.0),
        supports: Supports { images: false, ..CLAUDE_3 },
    },
    ModelEntry {
        id: "anthropic.claude-3-haiku-20240307-v1:0",
        name: "Claude 3 Haiku",
        provider: "Anthropic",
        aliases: &["haiku-3"],
        profiles: ProfileIds {
            us: Some("us.anthropic.claude-3-haiku-20240307-v1:0"),
            eu: Some("eu.anthropic.claude-3-haiku-20240307-v1:0"),
            apac: Some("apac.anthropic.claude-3-haiku-20240307-v1:0"),
            global: None,
        },
        context_window: 200_000,
        max_output_tokens: 4_096,
        pricing: plain_pricing(0.25, 1.25),
        supports: CLAUDE_3,
    },
    ModelEntry {
        id: "amazon.nova-pro-v1:0",
        name: "Nova Pro",
        provider: "Amazon",
        aliases: &["nova-pro"],
        profiles: ProfileIds {
            us: Some("us.amazon.nova-pro-v1:0"),
            eu: Some("eu.amazon.nova-pro-v1:0"),
            apac: Some("apac.amazon.nova-pro-v1:0"),
            global: None,
        },
        context_window: 300_000,
        max_output_tokens: 10_000,
        pricing: nova_pricing(0.8, 3.2),
        supports: NOVA,
    },
    ModelEntry {
        id: "amazon.nova-lite-v1:0",
        name: "Nova Lite",
        provider: "Amazon",
        aliases: &["nova-lite"],
        profiles: ProfileIds {
            us: Some("us.amazon.nova-lite-v1:0"),
            eu: Some("eu.amazon.nova-lite-v1:0"),
            apac: Some("apac.amazon.nova-lite-v1:0"),
            global: None,
        },
        context_window: 300_000,
        max_output_tokens: 10_000,
        pricing: nova_pricing(0.06, 0.24),
        supports: NOVA,
    },
    ModelEntry {
        id: "amazon.nova-micro-v1:0",
        name: "Nova Micro",
        provider: "Amazon",
        aliases: &["nova-micro"],
        profiles: ProfileIds {
            us: Some("us.amazon.nova-micro-v1:0"),
            eu: Some("eu.amazon.nova-micro-v1:0"),
            apac: Some("apac.amazon.nova-micro-v1:0"),
            global: None,
        },
        context_window: 128_000,
        max_output_tokens: 10_000,
        pricing: nova_pricing(0.035, 0.14),
        supports: Supports { images: false, documents: false, ..NOVA },
    },
    ModelEntry {
        id: "amazon.titan-text-premier-v1:0",
        name: "Titan Text Premier",
        provider: "Amazon",
        aliases: &["titan-premier"],
        profiles: ProfileIds { us: None, eu: None, apac: None, global: None },
        context_window: 32_000,
        max_output_tokens: 3_072,
        pricing: plain_pricing(0.5, 1.5),
        supports: TEXT_ONLY,
    },
    ModelEntry {
        id: "amazon.titan-text-express-v1",
        name: "Titan Text Express",
        provider: "Amazon",
        aliases: &["titan-express"],
        profiles: ProfileIds { us: None, eu: None, apac: None, global: None },
        context_window: 8_000,
        max_output_tokens: 8_192,
        pricing: plain_pricing(0.2, 0.6),
        supports: TEXT_ONLY,
    },
    ModelEntry {
        id: "meta.llama3-3-70b-instruct-v1:0",
        name: "Llama 3.3 70B Instruct",
        provider: "Meta",
        aliases: &["llama-3.3-70b"],
        profiles: ProfileIds { us: Some("us.meta.llama3-3-70b-instruct-v1:0"), eu: None, apac: None, global: None },
        context_window: 128_000,
        max_output_tokens: 8_192,
        pricing: plain_pricing(0.72, 0.72),
        supports: Supports { images: false, documents: false, ..NOVA },
    },
];

/// The cross-region geography a region belongs to, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Geography {
    Us,
    Eu,
    Apac,
    /// A region with no geography profiles (e.g. sa-east-1): only global ones apply.
    Other,
}

impl Geography {
    pub fn of_region(region: &str) -> Self {
        // GovCloud has its own `us-gov.` profiles, none of which the catalog lists.
        if region.starts_with("us-gov-") {
            Self::Other
        } else if region.starts_with("us-") || region.starts_with("ca-") {
            Self::Us
        } else if region.starts_with("eu-") {
            Self::Eu
        } else if region.starts_with("ap-") {
            Self::Apac
        } else {
            Self::Other
        }
    }
}

impl ProfileIds {
    fn for_geography(&self, geography: Geography) -> Option<&'static str> {
        match geography {
            Geography::Us => self.us,
            Geography::Eu => self.eu,
            Geography::Apac => self.apac,
            Geography::Other => None,
        }
    }

    fn all(&self) -> impl Iterator<Item = &'static str> {
        [self.us, self.eu, self.apac, self.global].into_iter().flatten()
    }
}

/// The model id to send for what a client wrote. An alias resolves to the
/// inference profile of the region's geography, else the global profile,
/// else the base model id (which on-demand serves in-region). Anything that
/// is not an alias — base ids, profile ids, ARNs, ids we don't know — passes
/// through untouched, because Bedrock is the authority on those.
pub fn resolve_model_id(requested: &str, region: &str) -> String {
    let Some(entry) = find_alias(requested) else {
        return requested.to_string();
    };
    entry.profiles.for_geography(Geography::of_region(region)).or(entry.profiles.global).unwrap_or(entry.id).to_string()
}

fn find_alias(name: &str) -> Option<&'static ModelEntry> {
    let name = name.trim();
    MODELS.iter().find(|entry| entry.aliases.iter().any(|alias| alias.eq_ignore_ascii_case(name)))
}

/// Geography prefixes of system-defined inference profiles.
const PROFILE_PREFIXES: &[&str] = &["us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."];

/// The base model id behind a model id, profile id, alias or ARN, for APIs
/// such as CountTokens that reject profile ids and for price look-ups.
/// Returns the input unchanged when it names no profile or foundation model.
pub fn base_model_id(model_id: &str, region: &str) -> String {
    let resolved = resolve_model_id(model_id, region);
    // ARNs: foundation-model/<id> and inference-profile/<profile id>.
    let tail = resolved
        .strip_prefix("arn:")
        .and_then(|_| {
            resolved.rsplit_once(":foundation-model/").or_else(|| resolved.rsplit_once(":inference-profile/"))
        })
        .map(|(_, tail)| tail)
        .unwrap_or(&resolved);
    for prefix in PROFILE_PREFIXES {
        if let Some(rest) = tail.strip_prefix(prefix) {
            // `us.anthropic.claude…` → `anthropic.claude…`; a bare `us.x` with no provider part is left alone.
            if rest.contains('.') {
                return rest.to_string();
            }
        }
    }
    tail.to_string()
}

/// The catalog entry for any id form (alias, base id, profile id, ARN).
pub fn find_model(model_id: &str, region: &str) -> Option<&'static ModelEntry> {
    let base = base_model_id(model_id, region);
    MODELS.iter().find(|entry| entry.id == base || entry.profiles.all().any(|profile| profile == base))
}

/// Token counts that cost money.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BilledTokens {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

/// The cost of a call, split the way the pricing page splits it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    pub input_usd: f64,
    pub output_usd: f64,
    pub total_usd: f64,
}

impl TokenPrices {
    /// Cache tokens without a cache price are billed as ordinary input.
    pub fn cost(&self, tokens: BilledTokens) -> Cost {
        let per_token = |per_million: f64| per_million / 1_000_000.0;
        let cache_read_price = self.cache_read_per_million.unwrap_or(self.input_per_million);
        let cache_write_price = self.cache_write_per_million.unwrap_or(self.input_per_million);
        let input_usd = tokens.input as f64 * per_token(self.input_per_million)
            + tokens.cache_read as f64 * per_token(cache_read_price)
            + tokens.cache_write as f64 * per_token(cache_write_price);
        let output_usd = tokens.output as f64 * per_token(self.output_per_million);
        Cost { input_usd, output_usd, total_usd: input_usd + output_usd }
    }
}

/// The cost for a model, or `None` when the catalog has no price for it.
pub fn cost_for(model_id: &str, region: &str, tokens: BilledTokens) -> Option<Cost> {
    find_model(model_id, region).map(|entry| entry.pricing.cost(tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_per_region() {
        let table = [
            ("sonnet", "us-east-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            ("sonnet", "us-west-2", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            ("sonnet", "eu-central-1", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            ("sonnet", "ap-northeast-1", "apac.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            ("sonnet", "sa-east-1", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            ("opus", "ap-southeast-2", "global.anthropic.claude-opus-4-5-20251101-v1:0"),
            ("opus", "eu-west-1", "eu.anthropic.claude-opus-4-5-20251101-v1:0"),
            ("HAIKU", "us-east-2", "us.anthropic.claude-haiku-4-5-20251001-v1:0"),
            ("haiku-3.5", "eu-west-1", "anthropic.claude-3-5-haiku-20241022-v1:0"),
            ("nova-pro", "eu-west-3", "eu.amazon.nova-pro-v1:0"),
            ("nova-lite", "ap-south-1", "apac.amazon.nova-lite-v1:0"),
            ("nova-micro", "us-east-1", "us.amazon.nova-micro-v1:0"),
            ("titan-premier", "us-east-1", "amazon.titan-text-premier-v1:0"),
            ("titan-express", "eu-west-1", "amazon.titan-text-express-v1"),
            ("sonnet", "us-gov-west-1", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            ("nova-pro", "us-gov-west-1", "amazon.nova-pro-v1:0"),
        ];
        for (alias, region, expected) in table {
            assert_eq!(resolve_model_id(alias, region), expected, "{alias} in {region}");
        }
    }

    #[test]
    fn non_aliases_pass_through() {
        for id in [
            "anthropic.claude-3-haiku-20240307-v1:0",
            "us.amazon.nova-pro-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
            "someone.unknown-model-v9",
        ] {
            assert_eq!(resolve_model_id(id, "us-east-1"), id);
        }
    }

    #[test]
    fn base_ids_behind_profiles_and_arns() {
        let table = [
            ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
            ("global.anthropic.claude-opus-4-5-20251101-v1:0", "anthropic.claude-opus-4-5-20251101-v1:0"),
            ("apac.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0"),
            ("haiku", "anthropic.claude-haiku-4-5-20251001-v1:0"),
            ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"),
            (
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0",
                "anthropic.claude-3-5-haiku-20241022-v1:0",
            ),
            ("amazon.titan-text-express-v1", "amazon.titan-text-express-v1"),
        ];
        for (id, expected) in table {
            assert_eq!(base_model_id(id, "us-east-1"), expected, "{id}");
        }
    }

    #[test]
    fn cost_arithmetic() {
        // Sonnet 4.5: $3 in, $15 out per million; cache read 0.30, write 3.75.
        let cost = cost_for(
            "sonnet",
            "us-east-1",
            BilledTokens { input: 1_000, output: 2_000, cache_read: 10_000, cache_write: 4_000 },
        )
        .unwrap();
        let expected_input = 1_000.0 * 3.0e-6 + 10_000.0 * 0.3e-6 + 4_000.0 * 3.75e-6;
        assert!((cost.input_usd - expected_input).abs() < 1e-12, "{cost:?}");
        assert!((cost.output_usd - 0.03).abs() < 1e-12);
        assert!((cost.total_usd - (expected_input + 0.03)).abs() < 1e-12);
        assert!(cost_for("someone.unknown-v1", "us-east-1", BilledTokens::default()).is_none());
    }

    #[test]
    fn aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for entry in MODELS {
            for alias in entry.aliases {
                assert!(seen.insert(alias.to_ascii_lowercase()), "alias {alias} appears twice");
            }
        }
    }
}
