//! The per-process state every handler sees.

use tokio_util::sync::CancellationToken;

use super::backend::BedrockBackend;
use crate::protocol::{ClientCapabilities, ClientInfo, HostOptions};

/// Created by `initialize`, shared by every request after it (`Arc<Session>`).
/// Services (conversation store, tool registry, catalog, …) are fields here,
/// built in [`super::handlers::lifecycle::initialize`].
pub struct Session {
    /// Effective options: `initializationOptions` over flags over environment.
    pub options: HostOptions,
    pub client_info: Option<ClientInfo>,
    pub client_capabilities: ClientCapabilities,
    /// Where Bedrock calls go.
    pub backend: BedrockBackend,
    /// Cancelled when the session ends (`exit` or end of input); background
    /// work that outlives its request (e.g. watched async jobs) stops on it.
    pub shutdown: CancellationToken,
}
