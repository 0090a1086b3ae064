//! The Bedrock Runtime emulator (EMULATOR.md, BEDROCK_WIRE.md).

use crate::cli::EmulatorArgs;

/// `bedrock-host emulator`: serve until SIGINT/SIGTERM (or stdin EOF when asked).
pub async fn run_cli(_args: &EmulatorArgs) -> anyhow::Result<()> {
    anyhow::bail!("the emulator is not available yet in this build")
}
