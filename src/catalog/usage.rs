//! Token and cost totals for this host process (`usage/get`), by model and
//! overall, and the cost of one call from the catalog's prices.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::catalog::{self, BilledTokens};
use crate::protocol::shapes::TokenUsage;
use crate::protocol::{UsageGetResult, UsageTotals};

/// The cost of `usage` on `model_id`; `None` when the catalog has no price
/// for the model (an ARN of a custom model, say): unknown, never a made-up 0.
pub fn cost_usd(model_id: &str, region: &str, usage: &TokenUsage) -> Option<f64> {
    let tokens = BilledTokens {
        input: u64::from(usage.input_tokens),
        output: u64::from(usage.output_tokens),
        cache_read: u64::from(usage.cache_read_input_tokens.unwrap_or(0)),
        cache_write: u64::from(usage.cache_write_input_tokens.unwrap_or(0)),
    };
    catalog::cost_for(model_id, region, tokens).map(|cost| round_usd(cost.total_usd))
}

/// Rounds to 10⁻¹² USD: far finer than one token of the cheapest model
/// (3.5 × 10⁻⁸), and it keeps binary floating-point noise
/// (`0.000021000000000000002`) out of results.
pub fn round_usd(usd: f64) -> f64 {
    (usd * 1e12).round() / 1e12
}

/// A running total plus one more cost: unknown as soon as one part is.
pub fn add_cost(total: Option<f64>, cost: Option<f64>) -> Option<f64> {
    Some(round_usd(total? + cost?))
}

#[derive(Debug, Default)]
pub struct UsageLedger {
    by_model: Mutex<BTreeMap<String, UsageTotals>>,
}

impl UsageLedger {
    /// Records one model call.
    pub fn record(&self, model_id: &str, usage: &TokenUsage, cost_usd: Option<f64>) {
        let mut by_model = crate::sync::lock(&self.by_model);
        let totals = by_model
            .entry(model_id.to_string())
            .or_insert_with(|| UsageTotals { cost_usd: Some(0.0), ..UsageTotals::default() });
        totals.calls += 1;
        add_usage(&mut totals.usage, usage);
        totals.cost_usd = add_cost(totals.cost_usd, cost_usd);
    }

    pub fn snapshot(&self) -> UsageGetResult {
        let by_model = crate::sync::lock(&self.by_model).clone();
        let mut total = UsageTotals { cost_usd: Some(0.0), ..UsageTotals::default() };
        for totals in by_model.values() {
            total.calls += totals.calls;
            add_usage(&mut total.usage, &totals.usage);
            total.cost_usd = add_cost(total.cost_usd, totals.cost_usd);
        }
        UsageGetResult { total, by_model }
    }
}

/// Adds `more` to `total`, cache counts included.
/// Counts saturate at u32::MAX (Bedrock's own type) rather than wrap: a
/// process-wide total can pass four billion tokens.
pub fn add_usage(total: &mut TokenUsage, more: &TokenUsage) {
    total.input_tokens = total.input_tokens.saturating_add(more.input_tokens);
    total.output_tokens = total.output_tokens.saturating_add(more.output_tokens);
    total.total_tokens = total.total_tokens.saturating_add(more.total_tokens);
    let add = |a: Option<u32>, b: Option<u32>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    };
    total.cache_read_input_tokens = add(total.cache_read_input_tokens, more.cache_read_input_tokens);
    total.cache_write_input_tokens = add(total.cache_write_input_tokens, more.cache_write_input_tokens);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_removes_float_noise_only() {
        assert_eq!(round_usd(0.000021000000000000002), 0.000021);
        assert_eq!(round_usd(3.5e-8), 3.5e-8);
        assert_eq!(add_cost(Some(0.1), Some(0.2)), Some(0.3));
        assert_eq!(add_cost(Some(0.1), None), None);
    }

    #[test]
    fn totals_add_up_by_model_and_overall() {
        let ledger = UsageLedger::default();
        let usage = |i, o| TokenUsage { input_tokens: i, output_tokens: o, total_tokens: i + o, ..Default::default() };
        ledger.record("a", &usage(10, 5), Some(0.25));
        ledger.record("a", &usage(1, 1), Some(0.25));
        ledger.record("b", &usage(100, 0), Some(1.0));
        let snapshot = ledger.snapshot();
        assert_eq!(snapshot.by_model["a"].calls, 2);
        assert_eq!(snapshot.by_model["a"].usage.total_tokens, 17);
        assert_eq!(snapshot.total.calls, 3);
        assert_eq!(snapshot.total.usage.input_tokens, 111);
        assert!((snapshot.total.cost_usd.unwrap() - 1.5).abs() < 1e-12);
        ledger.record("custom", &usage(1, 1), None);
        let snapshot = ledger.snapshot();
        assert_eq!(snapshot.by_model["custom"].cost_usd, None);
        assert_eq!(snapshot.by_model["a"].cost_usd, Some(0.5));
        assert_eq!(snapshot.total.cost_usd, None, "a total with an unknown part is unknown");
    }

    #[test]
    fn cost_uses_catalog_prices() {
        // Haiku 4.5: $1 in, $5 out per million.
        let usage = TokenUsage {
            input_tokens: 1_000_000,
            output_tokens: 200_000,
            total_tokens: 1_200_000,
            ..Default::default()
        };
        assert!((cost_usd("haiku", "us-east-1", &usage).unwrap() - 2.0).abs() < 1e-9);
        assert_eq!(cost_usd("arn:aws:bedrock:us-east-1:1:custom-model/x", "us-east-1", &usage), None);
    }
}
