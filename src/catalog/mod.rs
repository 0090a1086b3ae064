//! The model catalog: what `bedrock/listModels` reports, how aliases resolve
//! to inference profiles for the configured region, which base model an
//! inference-profile id or ARN stands for, and what tokens cost.
//!
//! Prices are on-demand list prices in USD per million tokens for
//! us-east-1 (us-west-2 for models not offered in us-east-1), as published
//! on the Amazon Bedrock pricing page ([`PRICES_SOURCE`]) on
//! [`PRICES_AS_OF`]; other regions and cross-region profiles may differ.
//! Embedding models charge input tokens only (output price 0). They are
//! estimates for budgeting, not a bill.
//!
//! The catalog lists every model the emulator answers in its native
//! InvokeModel shape: the emulator has its own family table (by model-id
//! prefix) and an integration test (`emulator_families`) checks that every
//! id here, and every inference profile, gets a well-formed answer from it.

pub mod caching;
pub mod usage;

/// The date the prices below were read.
pub const PRICES_AS_OF: &str = "2026-11-01";

/// Where the prices below come from.
pub const PRICES_SOURCE: &str =
    "Amazon Bedrock pricing page (https://aws.amazon.com/bedrock/pricing/), on-demand, standard tier";

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
/// Chat models with tool use through Converse, text only.
const TEXT_TOOLS: Supports = Supports { tools: true, ..TEXT_ONLY };
const EMBEDDINGS: Supports =
    Supports { streaming: false, tools: false, images: false, documents: false, reasoning: false, guardrails: false };
const NO_PROFILES: ProfileIds = ProfileIds { us: None, eu: None, apac: None, global: None };

/// Only a `us.` cross-region profile.
const fn us_only(us: &'static str) -> ProfileIds {
    ProfileIds { us: Some(us), eu: None, apac: None, global: None }
}

/// Embedding models: input tokens only.
const fn embedding_pricing(input: f64) -> TokenPrices {
    plain_pricing(input, 0.0)
}

#[allow(clippy::too_many_arguments)]
const fn model(
    id: &'static str,
    name: &'static str,
    provider: &'static str,
    aliases: &'static [&'static str],
    profiles: ProfileIds,
    context_window: u32,
    max_output_tokens: u32,
    pricing: TokenPrices,
    supports: Supports,
) -> ModelEntry {
    ModelEntry { id, name, provider, aliases, profiles, context_window, max_output_tokens, pricing, supports }
}

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
    model(
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "Claude Opus 4.1",
        "Anthropic",
        &["opus-4.1"],
        us_only("us.anthropic.claude-opus-4-1-20250805-v1:0"),
        200_000,
        32_000,
        anthropic_pricing(15.0, 75.0),
        CLAUDE,
    ),
    model(
        "anthropic.claude-opus-4-20250514-v1:0",
        "Claude Opus 4",
        "Anthropic",
        &["opus-4"],
        us_only("us.anthropic.claude-opus-4-20250514-v1:0"),
        200_000,
        32_000,
        anthropic_pricing(15.0, 75.0),
        CLAUDE,
    ),
    model(
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "Claude Sonnet 4",
        "Anthropic",
        &["sonnet-4"],
        ProfileIds {
            us: Some("us.anthropic.claude-sonnet-4-20250514-v1:0"),
            eu: Some("eu.anthropic.claude-sonnet-4-20250514-v1:0"),
            apac: Some("apac.anthropic.claude-sonnet-4-20250514-v1:0"),
            global: Some("global.anthropic.claude-sonnet-4-20250514-v1:0"),
        },
        200_000,
        64_000,
        anthropic_pricing(3.0, 15.0),
        CLAUDE,
    ),
    model(
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "Claude 3.7 Sonnet",
        "Anthropic",
        &["sonnet-3.7"],
        ProfileIds {
            us: Some("us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
            eu: Some("eu.anthropic.claude-3-7-sonnet-20250219-v1:0"),
            apac: Some("apac.anthropic.claude-3-7-sonnet-20250219-v1:0"),
            global: None,
        },
        200_000,
        64_000,
        anthropic_pricing(3.0, 15.0),
        CLAUDE,
    ),
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
    model(
        "amazon.nova-premier-v1:0",
        "Nova Premier",
        "Amazon",
        &["nova-premier"],
        us_only("us.amazon.nova-premier-v1:0"),
        1_000_000,
        32_000,
        nova_pricing(2.5, 12.5),
        NOVA,
    ),
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
    model(
        "amazon.titan-text-lite-v1",
        "Titan Text Lite",
        "Amazon",
        &["titan-lite"],
        NO_PROFILES,
        4_000,
        4_096,
        plain_pricing(0.15, 0.2),
        TEXT_ONLY,
    ),
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
    model(
        "meta.llama4-maverick-17b-instruct-v1:0",
        "Llama 4 Maverick 17B Instruct",
        "Meta",
        &["llama-4-maverick"],
        us_only("us.meta.llama4-maverick-17b-instruct-v1:0"),
        1_000_000,
        8_192,
        plain_pricing(0.24, 0.97),
        Supports { documents: false, ..NOVA },
    ),
    model(
        "meta.llama4-scout-17b-instruct-v1:0",
        "Llama 4 Scout 17B Instruct",
        "Meta",
        &["llama-4-scout"],
        us_only("us.meta.llama4-scout-17b-instruct-v1:0"),
        3_500_000,
        8_192,
        plain_pricing(0.17, 0.66),
        Supports { documents: false, ..NOVA },
    ),
    model(
        "meta.llama3-2-90b-instruct-v1:0",
        "Llama 3.2 90B Instruct",
        "Meta",
        &["llama-3.2-90b"],
        us_only("us.meta.llama3-2-90b-instruct-v1:0"),
        128_000,
        2_048,
        plain_pricing(0.72, 0.72),
        Supports { documents: false, ..NOVA },
    ),
    model(
        "meta.llama3-2-11b-instruct-v1:0",
        "Llama 3.2 11B Instruct",
        "Meta",
        &["llama-3.2-11b"],
        us_only("us.meta.llama3-2-11b-instruct-v1:0"),
        128_000,
        2_048,
        plain_pricing(0.16, 0.16),
        Supports { documents: false, ..NOVA },
    ),
    model(
        "meta.llama3-2-3b-instruct-v1:0",
        "Llama 3.2 3B Instruct",
        "Meta",
        &["llama-3.2-3b"],
        us_only("us.meta.llama3-2-3b-instruct-v1:0"),
        128_000,
        2_048,
        plain_pricing(0.15, 0.15),
        TEXT_ONLY,
    ),
    model(
        "meta.llama3-2-1b-instruct-v1:0",
        "Llama 3.2 1B Instruct",
        "Meta",
        &["llama-3.2-1b"],
        us_only("us.meta.llama3-2-1b-instruct-v1:0"),
        128_000,
        2_048,
        plain_pricing(0.1, 0.1),
        TEXT_ONLY,
    ),
    model(
        "meta.llama3-1-405b-instruct-v1:0",
        "Llama 3.1 405B Instruct",
        "Meta",
        &["llama-3.1-405b"],
        NO_PROFILES,
        128_000,
        4_096,
        plain_pricing(2.4, 2.4),
        TEXT_TOOLS,
    ),
    model(
        "meta.llama3-1-70b-instruct-v1:0",
        "Llama 3.1 70B Instruct",
        "Meta",
        &["llama-3.1-70b"],
        us_only("us.meta.llama3-1-70b-instruct-v1:0"),
        128_000,
        2_048,
        plain_pricing(0.72, 0.72),
        TEXT_TOOLS,
    ),
    model(
        "meta.llama3-1-8b-instruct-v1:0",
        "Llama 3.1 8B Instruct",
        "Meta",
        &["llama-3.1-8b"],
        us_only("us.meta.llama3-1-8b-instruct-v1:0"),
        128_000,
        2_048,
        plain_pricing(0.22, 0.22),
        TEXT_TOOLS,
    ),
    model(
        "meta.llama3-70b-instruct-v1:0",
        "Llama 3 70B Instruct",
        "Meta",
        &["llama-3-70b"],
        NO_PROFILES,
        8_000,
        2_048,
        plain_pricing(2.65, 3.5),
        TEXT_ONLY,
    ),
    model(
        "meta.llama3-8b-instruct-v1:0",
        "Llama 3 8B Instruct",
        "Meta",
        &["llama-3-8b"],
        NO_PROFILES,
        8_000,
        2_048,
        plain_pricing(0.3, 0.6),
        TEXT_ONLY,
    ),
    model(
        "mistral.pixtral-large-2502-v1:0",
        "Pixtral Large (25.02)",
        "Mistral AI",
        &["pixtral-large"],
        ProfileIds {
            us: Some("us.mistral.pixtral-large-2502-v1:0"),
            eu: Some("eu.mistral.pixtral-large-2502-v1:0"),
            apac: None,
            global: None,
        },
        128_000,
        8_192,
        plain_pricing(2.0, 6.0),
        Supports { documents: false, ..NOVA },
    ),
    model(
        "mistral.mistral-large-2407-v1:0",
        "Mistral Large 2 (24.07)",
        "Mistral AI",
        &["mistral-large-2"],
        NO_PROFILES,
        128_000,
        8_192,
        plain_pricing(2.0, 6.0),
        TEXT_TOOLS,
    ),
    model(
        "mistral.mistral-large-2402-v1:0",
        "Mistral Large (24.02)",
        "Mistral AI",
        &["mistral-large"],
        NO_PROFILES,
        32_000,
        8_192,
        plain_pricing(4.0, 12.0),
        TEXT_TOOLS,
    ),
    model(
        "mistral.mistral-small-2402-v1:0",
        "Mistral Small (24.02)",
        "Mistral AI",
        &["mistral-small"],
        NO_PROFILES,
        32_000,
        8_192,
        plain_pricing(1.0, 3.0),
        TEXT_TOOLS,
    ),
    model(
        "mistral.mixtral-8x7b-instruct-v0:1",
        "Mixtral 8x7B Instruct",
        "Mistral AI",
        &["mixtral-8x7b"],
        NO_PROFILES,
        32_000,
        4_096,
        plain_pricing(0.45, 0.7),
        TEXT_ONLY,
    ),
    model(
        "mistral.mistral-7b-instruct-v0:2",
        "Mistral 7B Instruct",
        "Mistral AI",
        &["mistral-7b"],
        NO_PROFILES,
        32_000,
        8_192,
        plain_pricing(0.15, 0.2),
        TEXT_ONLY,
    ),
    model(
        "cohere.command-r-plus-v1:0",
        "Command R+",
        "Cohere",
        &["command-r-plus"],
        NO_PROFILES,
        128_000,
        4_000,
        plain_pricing(3.0, 15.0),
        TEXT_TOOLS,
    ),
    model(
        "cohere.command-r-v1:0",
        "Command R",
        "Cohere",
        &["command-r"],
        NO_PROFILES,
        128_000,
        4_000,
        plain_pricing(0.5, 1.5),
        TEXT_TOOLS,
    ),
    model(
        "ai21.jamba-1-5-large-v1:0",
        "Jamba 1.5 Large",
        "AI21 Labs",
        &["jamba-large"],
        NO_PROFILES,
        256_000,
        4_096,
        plain_pricing(2.0, 8.0),
        TEXT_TOOLS,
    ),
    model(
        "ai21.jamba-1-5-mini-v1:0",
        "Jamba 1.5 Mini",
        "AI21 Labs",
        &["jamba-mini"],
        NO_PROFILES,
        256_000,
        4_096,
        plain_pricing(0.2, 0.4),
        TEXT_TOOLS,
    ),
    model(
        "deepseek.r1-v1:0",
        "DeepSeek-R1",
        "DeepSeek",
        &["deepseek-r1"],
        us_only("us.deepseek.r1-v1:0"),
        128_000,
        32_768,
        plain_pricing(1.35, 5.4),
        Supports { reasoning: true, ..TEXT_ONLY },
    ),
    model(
        "deepseek.v3-v1:0",
        "DeepSeek-V3.1",
        "DeepSeek",
        &["deepseek-v3"],
        NO_PROFILES,
        128_000,
        8_192,
        plain_pricing(0.58, 1.68),
        Supports { reasoning: true, ..TEXT_TOOLS },
    ),
    model(
        "openai.gpt-oss-120b-1:0",
        "gpt-oss-120b",
        "OpenAI",
        &["gpt-oss-120b"],
        NO_PROFILES,
        128_000,
        16_384,
        plain_pricing(0.15, 0.6),
        Supports { reasoning: true, ..TEXT_TOOLS },
    ),
    model(
        "openai.gpt-oss-20b-1:0",
        "gpt-oss-20b",
        "OpenAI",
        &["gpt-oss-20b"],
        NO_PROFILES,
        128_000,
        16_384,
        plain_pricing(0.07, 0.3),
        Supports { reasoning: true, ..TEXT_TOOLS },
    ),
    model(
        "amazon.titan-embed-text-v2:0",
        "Titan Text Embeddings V2",
        "Amazon",
        &["titan-embed-v2"],
        NO_PROFILES,
        8_192,
        0,
        embedding_pricing(0.02),
        EMBEDDINGS,
    ),
    model(
        "amazon.titan-embed-text-v1",
        "Titan Text Embeddings",
        "Amazon",
        &["titan-embed-v1"],
        NO_PROFILES,
        8_192,
        0,
        embedding_pricing(0.1),
        EMBEDDINGS,
    ),
    model(
        "amazon.titan-embed-image-v1",
        "Titan Multimodal Embeddings G1",
        "Amazon",
        &["titan-embed-image"],
        NO_PROFILES,
        128,
        0,
        embedding_pricing(0.8),
        Supports { images: true, ..EMBEDDINGS },
    ),
    model(
        "cohere.embed-v4:0",
        "Cohere Embed v4",
        "Cohere",
        &["cohere-embed-v4"],
        NO_PROFILES,
        128_000,
        0,
        embedding_pricing(0.12),
        Supports { images: true, ..EMBEDDINGS },
    ),
    model(
        "cohere.embed-english-v3",
        "Cohere Embed English v3",
        "Cohere",
        &["cohere-embed-english"],
        NO_PROFILES,
        512,
        0,
        embedding_pricing(0.1),
        Supports { images: true, ..EMBEDDINGS },
    ),
    model(
        "cohere.embed-multilingual-v3",
        "Cohere Embed Multilingual v3",
        "Cohere",
        &["cohere-embed-multilingual"],
        NO_PROFILES,
        512,
        0,
        embedding_pricing(0.1),
        Supports { images: true, ..EMBEDDINGS },
    ),
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
