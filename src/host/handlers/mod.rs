//! One handler per method, grouped by area (one file per area), and the one
//! place that lists them. A handler is
//! `pub async fn name(ctx: RequestContext, params: P) -> HostResult<R>` with
//! `P: Deserialize` and `R: Serialize`; params are parsed before it runs.
//!
//! `initialize` and `shutdown` change the lifecycle and are served by the
//! dispatcher itself (see [`lifecycle`]).

pub mod lifecycle;
mod test_support;

use super::LaunchConfig;
use super::registry::Registry;

/// Registers every method this build serves; one line per method.
pub fn register(registry: &mut Registry, launch: &LaunchConfig) {
    if launch.test_methods {
        registry.add(test_support::SLEEP, test_support::sleep);
        registry.add(test_support::ASK_CLIENT, test_support::ask_client);
    }
}
