//! The seam where the Bedrock backend is created at `initialize`: the
//! in-process emulator with `--emulator`, the real AWS endpoint otherwise.
//! Today it records where calls will go, for `initialize`'s `backend`; the
//! Bedrock work adds the SDK client (and starts the emulator) in [`connect`].

use crate::error::HostResult;
use crate::host::LaunchConfig;
use crate::protocol::{self, BackendKind, HostOptions};

/// Region used when neither options, flags nor AWS variables name one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Where Bedrock calls go.
#[derive(Debug, Clone)]
pub struct BedrockBackend {
    pub kind: BackendKind,
    pub region: String,
    pub endpoint_url: Option<String>,
}

impl BedrockBackend {
    /// `initialize`'s `backend` object.
    pub fn describe(&self) -> protocol::Backend {
        protocol::Backend { kind: self.kind, region: self.region.clone(), endpoint_url: self.endpoint_url.clone() }
    }
}

/// Builds the backend for a session from the effective options.
pub async fn connect(launch: &LaunchConfig, options: &HostOptions) -> HostResult<BedrockBackend> {
    let kind = if launch.emulator { BackendKind::Emulator } else { BackendKind::Bedrock };
    let region = options
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    Ok(BedrockBackend { kind, region, endpoint_url: options.endpoint_url.clone() })
}
