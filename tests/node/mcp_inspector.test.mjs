// The MCP Inspector's CLI (`@modelcontextprotocol/inspector --cli`, a client no one here wrote)
// against `bedrock-host mcp --emulator`: it spawns the binary over stdio, lists the tools (with
// `--strict`, its portability check of every tool schema), calls tools and reads the resource,
// and exits non-zero on a tool error. Offline: the server answers from its in-process emulator.
//
// Run: `cargo build && (cd tests/node && npm ci && node --test)`. The binary is $BEDROCK_HOST_BIN
// (default target/debug/bedrock-host).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "..", "..");
const BINARY = process.env.BEDROCK_HOST_BIN ?? join(REPO, "target", "debug", "bedrock-host");
const INSPECTOR = join(HERE, "node_modules", ".bin", "inspector");
const HANG_GUARD_MS = 60_000;

// The inspector keeps a catalog of servers under HOME; give it an empty one of its own.
const home = mkdtempSync(join(tmpdir(), "mcp-inspector-home-"));
after(() => rmSync(home, { recursive: true, force: true }));

/** Runs `inspector --cli <bedrock-host mcp --emulator> …args`; its exit status, stdout JSON and stderr. */
function inspect(...args) {
  const run = spawnSync(INSPECTOR, ["--cli", BINARY, "mcp", "--emulator", "--log-stderr", "--log-level", "error", ...args], {
    encoding: "utf8",
    timeout: HANG_GUARD_MS,
    env: { ...process.env, HOME: home, MCP_CATALOG_PATH: join(home, "catalog.json") },
  });
  assert.equal(run.error, undefined, `the inspector ran: ${run.error}`);
  let output;
  try {
    output = JSON.parse(run.stdout);
  } catch {
    assert.fail(`the inspector printed JSON (status ${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  return { status: run.status, output, stderr: run.stderr };
}

test("tools/list: five tools whose schemas pass the inspector's strict check", () => {
  const { status, output, stderr } = inspect("--method", "tools/list", "--strict");
  assert.equal(status, 0, stderr);
  assert.match(stderr, /0 errors/);
  const names = output.tools.map((tool) => tool.name).sort();
  assert.deepEqual(names, ["apply_guardrail", "converse", "count_tokens", "estimate_cost", "list_models"]);
  const converse = output.tools.find((tool) => tool.name === "converse");
  assert.equal(converse.inputSchema.properties.model.type, "string", "an optional argument is offered with one type");
  assert.equal(converse.inputSchema.properties.maxTokens.type, "integer");
  assert.ok(converse.outputSchema.properties.costUsd, "an output schema");
});

test("tools/call converse answers the emulator's text with usage and cost", () => {
  const { status, output, stderr } = inspect("--method", "tools/call", "--tool-name", "converse", "--tool-arg", "prompt=Hello there");
  assert.equal(status, 0, stderr);
  assert.equal(output.isError, false);
  assert.deepEqual(output.content, [{ type: "text", text: "You said: Hello there" }]);
  const { latencyMs, ...rest } = output.structuredContent;
  assert.ok(latencyMs >= 1);
  assert.deepEqual(rest, {
    text: "You said: Hello there",
    stopReason: "end_turn",
    usage: { inputTokens: 2, outputTokens: 5, totalTokens: 7 },
    costUsd: 0.000027,
    modelId: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
  });
});

test("tools/call estimate_cost takes the inspector's key=value arguments as integers", () => {
  const { status, output, stderr } = inspect(
    "--method", "tools/call", "--tool-name", "estimate_cost",
    "--tool-arg", "model=sonnet", "inputTokens=1000", "outputTokens=2000",
  );
  assert.equal(status, 0, stderr);
  assert.deepEqual(output.structuredContent, {
    modelId: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    inputCostUsd: 0.003,
    outputCostUsd: 0.03,
    totalCostUsd: 0.033,
    pricing: { inputPerMillion: 3, outputPerMillion: 15, cacheReadPerMillion: 0.3, cacheWritePerMillion: 3.75, currency: "USD" },
    pricesAsOf: output.structuredContent.pricesAsOf,
  });
});

test("a bad argument is a tool error naming the field, and the inspector exits non-zero", () => {
  const { status, output } = inspect("--method", "tools/call", "--tool-name", "converse", "--tool-arg", "promt=typo");
  assert.notEqual(status, 0);
  assert.equal(output.isError, true);
  assert.match(output.content[0].text, /^invalid arguments: `promt`: unknown field `promt`, expected one of `model`, `prompt`/);
});

test("resources/read bedrock://models is the catalog as JSON", () => {
  const { status, output, stderr } = inspect("--method", "resources/read", "--uri", "bedrock://models");
  assert.equal(status, 0, stderr);
  const [contents] = output.contents;
  assert.equal(contents.mimeType, "application/json");
  const catalog = JSON.parse(contents.text);
  assert.equal(catalog.region, "us-east-1");
  const sonnet = catalog.models.find((model) => model.aliases.includes("sonnet"));
  assert.equal(sonnet.modelIdInRegion, "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
});
