//! `initialize`: starts the [`Session`]. (`shutdown`, `exit` and
//! `$/cancelRequest` are state changes the dispatcher makes itself.)

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::agent::tool_registry::ToolRegistry;
use crate::catalog::usage::UsageLedger;
use crate::conversations::store::{ConversationStore, StoreLimits};
use crate::error::{HostError, HostResult};
use crate::host::response_cache::ResponseCache;
use crate::host::router::{LIFECYCLE_REQUESTS, Router};
use crate::host::{LaunchConfig, Session, backend};
use crate::protocol::{Direction, MessageKind, PROTOCOL_METHODS};
use crate::protocol::{
    HostOptions, InitializeParams, InitializeResult, InitializeResultWithWarnings, PROTOCOL_VERSION,
    ServerCapabilities, ServerInfo,
};

/// Builds the session from the effective options and describes this build.
pub async fn initialize(
    launch: &LaunchConfig,
    router: &Router,
    params: InitializeParams,
    shutdown: CancellationToken,
) -> HostResult<(Arc<Session>, InitializeResultWithWarnings)> {
    let requested = params.initialization_options.unwrap_or_default();
    requested.validate("initializationOptions")?;
    // `logLevel` replaces the running log filter, once the session has started; a bad one fails here.
    let log_filter = requested
        .log_level
        .as_deref()
        .map(|level| {
            crate::logging::parse_level(level).map_err(|problem| {
                HostError::invalid_field("initializationOptions.logLevel", format!("`{level}` {problem}"))
            })
        })
        .transpose()?;
    let options = requested.or(launch.options.clone());
    let backend = backend::connect(launch, &options).await?;
    let mut methods: Vec<String> = LIFECYCLE_REQUESTS.iter().map(|name| name.to_string()).collect();
    methods.extend(router.methods().map(str::to_string));
    let sent_by_host = |kind: MessageKind| {
        PROTOCOL_METHODS
            .iter()
            .filter(move |entry| entry.direction == Direction::HostToClient && entry.kind == kind)
            .map(|entry| entry.name.to_string())
            .collect::<Vec<_>>()
    };
    let result = InitializeResult {
        protocol_version: PROTOCOL_VERSION.to_string(),
        server_info: ServerInfo {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        capabilities: ServerCapabilities {
            methods,
            notifications: sent_by_host(MessageKind::Notification),
            host_requests: sent_by_host(MessageKind::Request),
            features: super::FEATURES.iter().map(|name| name.to_string()).collect(),
            lsp: super::lsp::capabilities(),
        },
        backend: backend.describe(),
    };
    if let Some(client) = &params.client_info {
        tracing::info!(client = %client.name, version = ?client.version, "initialize");
    }
    // initializationOptions' responseCache wins over --response-cache-entries; 0 entries is off.
    let cache_entries = session_options_cache_entries(&options).unwrap_or(launch.response_cache_entries);
    let response_cache = (cache_entries > 0).then(|| ResponseCache::new(cache_entries));
    let conversations = open_conversations(&options).await?;
    let result = InitializeResultWithWarnings { result, warnings: conversations.load_warnings().to_vec() };
    let lsp = crate::lsp::LspState::new(options.inline_completion.clone());
    let session = Session {
        options,
        client_capabilities: params.capabilities.unwrap_or_default(),
        backend,
        conversations,
        tools: ToolRegistry::default(),
        usage: UsageLedger::default(),
        response_cache,
        shutdown,
        lsp,
    };
    if let Some(filter) = log_filter {
        crate::logging::apply(filter);
        tracing::info!(level = ?session.options.log_level, "log filter from initializationOptions.logLevel");
    }
    Ok((Arc::new(session), result))
}

/// The conversation store the options ask for: persisted under `storageDir`
/// (loading what is there; a storage problem fails `initialize`), or in memory.
async fn open_conversations(options: &HostOptions) -> HostResult<ConversationStore> {
    let limits =
        StoreLimits { conversations: options.max_conversations, messages: options.max_messages_per_conversation };
    let Some(dir) = options.storage_dir.clone() else { return Ok(ConversationStore::in_memory(limits)) };
    // Loading reads every journal and fsyncs: blocking file work, off the async threads.
    tokio::task::spawn_blocking(move || ConversationStore::open(std::path::Path::new(&dir), limits))
        .await
        .map_err(|error| HostError::Internal(format!("opening the storage directory failed unexpectedly: {error}")))?
}

fn session_options_cache_entries(options: &HostOptions) -> Option<usize> {
    options.response_cache.as_ref().map(|cache| cache.max_entries)
}
