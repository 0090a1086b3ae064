// The AWS SDK for JavaScript v3 (`@aws-sdk/client-bedrock-runtime`, a client no one here wrote)
// against the real `bedrock-host emulator` binary: a stream, a tool round trip, errors with their
// classes, and prompt-caching counts.
//
// Run: `cargo build && (cd tests/node && npm ci && node --test)`. The binary is $BEDROCK_HOST_BIN
// (default target/debug/bedrock-host).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import {
  AccessDeniedException,
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BINARY = process.env.BEDROCK_HOST_BIN ?? join(REPO, "target", "debug", "bedrock-host");
const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
// Claude Sonnet 4.5 caches from 1,024 tokens (docs/emulator.md "Prompt caching").
const SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const HANG_GUARD = { timeout: 30_000 };

const SCRIPT = {
  rules: [
    { when: { lastUserText: "throttle" }, fail: { error: "ThrottlingException", message: "Too many requests" } },
    {
      when: { lastUserText: "weather", afterToolResult: false },
      respond: { content: [{ text: "Let me look." }, { toolUse: { name: "get_weather", input: { city: "Paris" } } }] },
    },
  ],
};

const TOOLS = {
  tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } } } }],
};

let emulator;
let directory;
let baseUrl;
let client;

before(async () => {
  directory = mkdtempSync(join(tmpdir(), "bedrock-emulator-node-"));
  const script = join(directory, "script.json");
  writeFileSync(script, JSON.stringify(SCRIPT));
  emulator = spawn(BINARY, ["emulator", "--port", "0", "--exit-on-stdin-eof", "--script", script], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: emulator.stdout });
  baseUrl = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error("the emulator printed no base URL in 30 s")), 30_000);
    emulator.once("error", reject);
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolveUrl(line.trim());
    });
  });
  assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  delete process.env.AWS_BEARER_TOKEN_BEDROCK;
  client = new BedrockRuntimeClient({
    endpoint: baseUrl,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
});

after(async () => {
  client?.destroy();
  if (emulator && emulator.exitCode === null) {
    const exited = new Promise((done) => emulator.once("exit", done));
    emulator.stdin.end();
    const timer = setTimeout(() => emulator.kill(), 30_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(directory, { recursive: true, force: true });
});

const user = (text) => [{ role: "user", content: [{ text }] }];
const words = (count, salt) => Array.from({ length: count }, (_, index) => `${salt}${index}`).join(" ");

async function streamEvents(input) {
  const response = await client.send(new ConverseStreamCommand(input));
  const events = [];
  for await (const event of response.stream) {
    events.push(event);
    assert.ok(events.length < 10_000, "the stream ends");
  }
  return events;
}

test("a stream arrives in Bedrock's event order", HANG_GUARD, async () => {
  const events = await streamEvents({ modelId: MODEL, messages: user("Hello there") });
  assert.deepEqual(Object.keys(events[0]), ["messageStart"]);
  const text = events.filter((event) => event.contentBlockDelta).map((event) => event.contentBlockDelta.delta.text);
  assert.ok(text.length >= 3, `one delta per word: ${text}`);
  assert.equal(text.join(""), "You said: Hello there");
  assert.deepEqual(events.slice(-3).map((event) => Object.keys(event)[0]), ["contentBlockStop", "messageStop", "metadata"]);
  const { usage, metrics } = events.at(-1).metadata;
  assert.deepEqual(usage, { inputTokens: 2, outputTokens: 5, totalTokens: 7 });
  assert.ok(metrics.latencyMs >= 1, `latencyMs ${metrics.latencyMs}`);
});

test("a tool round trip: toolUse, then the toolResult answered", HANG_GUARD, async () => {
  const question = user("weather in Paris?");
  const events = await streamEvents({ modelId: MODEL, messages: question, toolConfig: TOOLS });
  const start = events.find((event) => event.contentBlockStart).contentBlockStart.start.toolUse;
  assert.equal(start.name, "get_weather");
  const input = events
    .filter((event) => event.contentBlockDelta?.delta?.toolUse)
    .map((event) => event.contentBlockDelta.delta.toolUse.input)
    .join("");
  assert.deepEqual(JSON.parse(input), { city: "Paris" });
  assert.equal(events.find((event) => event.messageStop).messageStop.stopReason, "tool_use");

  const first = await client.send(new ConverseCommand({ modelId: MODEL, messages: question, toolConfig: TOOLS }));
  const toolUse = first.output.message.content.find((block) => block.toolUse).toolUse;
  assert.deepEqual(toolUse.input, { city: "Paris" });
  const answer = {
    role: "user",
    content: [{ toolResult: { toolUseId: toolUse.toolUseId, content: [{ text: "18 C and sunny" }] } }],
  };
  const second = await client.send(
    new ConverseCommand({ modelId: MODEL, messages: [...question, first.output.message, answer], toolConfig: TOOLS }),
  );
  assert.equal(second.stopReason, "end_turn");
  assert.deepEqual(second.output.message.content, [{ text: "Tool result received: 18 C and sunny" }]);
});

test("errors arrive as their exception classes", HANG_GUARD, async () => {
  await assert.rejects(client.send(new ConverseCommand({ modelId: MODEL, messages: user("throttle") })), (error) => {
    assert.ok(error instanceof ThrottlingException, error.name);
    assert.equal(error.$metadata.httpStatusCode, 429);
    assert.equal(error.message, "Too many requests");
    return true;
  });
  await assert.rejects(
    client.send(new ConverseCommand({ modelId: MODEL, messages: user("a"), inferenceConfig: { temperature: 1.5 } })),
    (error) => {
      assert.ok(error instanceof ValidationException, error.name);
      assert.equal(error.$metadata.httpStatusCode, 400);
      assert.match(error.message, /inferenceConfig\.temperature/);
      return true;
    },
  );
});

test("prompt caching: written once, then read; Bedrock's errors for what it refuses", HANG_GUARD, async () => {
  const system = [{ text: words(1_100, "node") }, { cachePoint: { type: "default" } }];
  const first = await client.send(new ConverseCommand({ modelId: SONNET, system, messages: user("first question") }));
  assert.equal(first.usage.inputTokens, 2, "only what follows the cache point");
  assert.equal(first.usage.cacheWriteInputTokens, 1_100);
  assert.equal(first.usage.cacheReadInputTokens, 0);
  assert.equal(first.usage.totalTokens, 2 + first.usage.outputTokens + 1_100);
  assert.deepEqual(first.usage.cacheDetails, [{ ttl: "5m", inputTokens: 1_100 }]);

  const second = await client.send(new ConverseCommand({ modelId: SONNET, system, messages: user("second") }));
  assert.equal(second.usage.cacheReadInputTokens, 1_100);
  assert.equal(second.usage.cacheWriteInputTokens, 0);

  const events = await streamEvents({ modelId: SONNET, system, messages: user("streamed") });
  assert.equal(events.at(-1).metadata.usage.cacheReadInputTokens, 1_100);

  await assert.rejects(
    client.send(new ConverseCommand({ modelId: MODEL, system, messages: user("q") })),
    (error) => error instanceof AccessDeniedException && error.$metadata.httpStatusCode === 403,
  );
  const five = Array.from({ length: 5 }, (_, index) => [{ text: `part ${index}` }, { cachePoint: { type: "default" } }]).flat();
  await assert.rejects(
    client.send(new ConverseCommand({ modelId: SONNET, system: five, messages: user("q") })),
    ValidationException,
  );
});
