use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    bedrock_host::run(bedrock_host::cli::Cli::parse())
}
