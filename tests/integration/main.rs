//! The integration tests, one binary (one link after any change in `src/`),
//! one module per area and one support module they share.
//!
//! Each module was its own test binary once; they now share this process, so
//! a test that needs an environment of its own (no AWS set-up, no variables of
//! the developer's shell) gets it in a child process: the host it spawns, or
//! this binary run again on one ignored test (`bedrock_aws_chain`). No test
//! sets a variable of this process.

mod support;

// The real binary over stdio: transport and lifecycle.
mod stdio_backpressure;
mod stdio_bad_input;
mod stdio_clients;
mod stdio_concurrency;
mod stdio_hardening;
mod stdio_lifecycle;

// Methods over the real binary against its emulator.
mod host_bedrock_ops;
mod host_bedrock_ops_async;
mod host_context_window;
mod host_conversation;
mod host_conversation_ask;
mod host_conversation_errors;
mod host_conversation_setup;
mod host_logging;
mod host_mcp;
mod host_options;
mod host_prompt_caching;
mod host_reliability;
mod host_security;
mod host_storage;
mod host_tool_answers;
mod host_tools;
mod host_tools_loop;

// The gateway (the real SDK) against loopback servers and the emulator.
mod bedrock_aws_chain;
mod bedrock_converse;
mod bedrock_emulator;
mod bedrock_errors;
mod bedrock_hardening;

// The emulator: the real SDK against it, and its command line.
mod emulator_caching;
mod emulator_cli;
mod emulator_families;
mod emulator_limits;
mod emulator_sdk;
mod emulator_security;
mod emulator_wire_details;

// The LSP face: stock LSP methods over the real binary against its emulator.
mod lsp_features;

// The generated schemas are up to date.
mod schemas;

// `bedrock-host mcp`: raw MCP JSON-RPC lines over its stdio.
mod mcp_server;
// `bedrock-host acp`: the Agent Client Protocol face, raw JSON-RPC lines.
mod acp;

// What the editors need: a conversation continued under another model.
mod host_conversation_model_switch;

/// A new `tests/*.rs` file, or `tests/*/main.rs`, would be a test binary of its own, linked again after
/// every change in `src/`: integration tests belong in a module of this binary.
#[test]
fn the_integration_tests_are_one_binary() {
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut binaries: Vec<String> = std::fs::read_dir(&tests)
        .expect("list tests/")
        .map(|entry| entry.expect("an entry of tests/").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs") || path.join("main.rs").is_file())
        .map(|path| path.strip_prefix(&tests).expect("below tests/").display().to_string())
        .collect();
    binaries.sort();
    assert_eq!(binaries, ["integration"], "test binaries in tests/; add a module to tests/integration/main.rs instead");
}
