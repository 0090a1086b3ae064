//! Where Bedrock calls go, created at `initialize`: the in-process emulator
//! with `--emulator` (static test credentials, no AWS account; its control
//! endpoints only with `--emulator-control`, behind the token), the real
//! Bedrock Runtime otherwise (aws-config's whole default chain).

use std::sync::Arc;
use std::time::Duration;

use crate::emulator::{self, EmulatorConfig, RunningEmulator, Script};
use crate::error::{HostError, HostResult};
use crate::host::LaunchConfig;
use crate::protocol::{self, BackendKind, HostOptions};
use crate::sdk::{BedrockGateway, GatewaySettings};

/// Region used when neither options, flags, AWS variables nor profiles name one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The in-process emulator's journal keeps a few calls' worth: a conversation sends its whole
/// history with every call, so a journal of every call would grow with the square of its length.
pub const IN_PROCESS_JOURNAL_MAX_BYTES: usize = 8 * 1024 * 1024;
pub const IN_PROCESS_JOURNAL_LIMIT: usize = 1000;

/// Credentials the in-process emulator is called with: it accepts any.
const EMULATOR_ACCESS_KEY_ID: &str = "AKIDBEDROCKHOSTEMULATOR";
const EMULATOR_SECRET_ACCESS_KEY: &str = "bedrock-host-emulator-secret";

/// Where Bedrock calls go.
pub struct BedrockBackend {
    pub kind: BackendKind,
    /// The region calls go to; aliases resolve for it. Empty when none was
    /// found (then every call answers -32004 with a hint).
    pub region: String,
    pub endpoint_url: Option<String>,
    pub gateway: BedrockGateway,
    /// Held, never read: the in-process emulator lives as long as the backend
    /// and stops when the session drops it.
    _emulator: Option<Arc<RunningEmulator>>,
}

impl BedrockBackend {
    /// `initialize`'s `backend` object.
    pub fn describe(&self) -> protocol::Backend {
        protocol::Backend { kind: self.kind, region: self.region.clone(), endpoint_url: self.endpoint_url.clone() }
    }
}

/// Reads and checks an emulator script file.
pub fn load_script(path: &std::path::Path) -> HostResult<Script> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        HostError::InvalidRequest(format!("cannot read the emulator script {}: {error}", path.display()))
    })?;
    Script::from_json(&text).map_err(|error| {
        HostError::InvalidRequest(format!("the emulator script {} is not valid: {error}", path.display()))
    })
}

/// Builds the backend for a session from the effective options.
pub async fn connect(launch: &LaunchConfig, options: &HostOptions) -> HostResult<BedrockBackend> {
    let mut settings = GatewaySettings {
        region: options.region.clone(),
        profile: options.profile.clone(),
        endpoint_url: options.endpoint_url.clone(),
        max_attempts: options.max_attempts,
        retry_mode: options.retry_mode,
        request_timeout: options.request_timeout_ms.map(Duration::from_millis),
        stream_idle_timeout: options.stream_idle_timeout_ms.map(Duration::from_millis),
        static_credentials: None,
    };
    let mut running_emulator = None;
    if launch.emulator {
        let mut config = EmulatorConfig::loopback();
        config.journal_max_bytes = IN_PROCESS_JOURNAL_MAX_BYTES;
        config.journal_limit = IN_PROCESS_JOURNAL_LIMIT;
        config.script = launch.emulator_script.as_deref().map(load_script).transpose()?;
        // Off unless `--emulator-control`: they show every prompt and can script the model.
        config.control_token = launch.emulator_control_token.clone();
        let emulator = emulator::start(config)
            .await
            .map_err(|error| HostError::Internal(format!("the in-process emulator did not start: {error:#}")))?;
        settings.endpoint_url = Some(emulator.base_url().to_string());
        settings.region = settings.region.or_else(|| Some(DEFAULT_REGION.to_string()));
        settings.static_credentials = Some((EMULATOR_ACCESS_KEY_ID.into(), EMULATOR_SECRET_ACCESS_KEY.into()));
        running_emulator = Some(Arc::new(emulator));
    }
    let gateway = BedrockGateway::new(settings).await?;
    let region = gateway.region().unwrap_or_default().to_string();
    Ok(BedrockBackend {
        kind: if launch.emulator { BackendKind::Emulator } else { BackendKind::Bedrock },
        region,
        endpoint_url: gateway.endpoint_url().map(str::to_owned),
        gateway,
        _emulator: running_emulator,
    })
}
