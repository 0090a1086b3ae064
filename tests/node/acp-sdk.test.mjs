// The official ACP TypeScript SDK (`@agentclientprotocol/sdk`, the client side an editor such as
// Zed's TypeScript tooling builds on) driving `bedrock-host acp --emulator`: initialize, a session,
// a prompt whose chunks stream, cancel, and a permission round trip through fs/*.
//
// Run: `cargo build && (cd tests/node && npm ci && node --test)`. The binary is $BEDROCK_HOST_BIN
// (default target/debug/bedrock-host).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Readable, Writable } from "node:stream";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import * as acp from "@agentclientprotocol/sdk";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BINARY = process.env.BEDROCK_HOST_BIN ?? join(REPO, "target", "debug", "bedrock-host");
const HANG_GUARD = { timeout: 60_000 };

const SCRIPT = {
  rules: [
    { when: { afterToolResult: true }, respond: { content: [{ text: "Done with the tool." }] } },
    { when: { lastUserText: "stream please" }, respond: { content: [{ text: "Streamed from the emulator in pieces." }] } },
    {
      when: { lastUserText: "write the file" },
      respond: { content: [{ toolUse: { name: "write_file", input: { path: "out.txt", content: "from the model\n" } } }] },
    },
    {
      when: { lastUserText: "slow please" },
      respond: { content: [{ text: Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ") }], tokenDelayMs: 50 },
    },
  ],
};

let dir;
let project;
let scriptPath;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "acp-sdk-"));
  project = join(dir, "project");
  mkdirSync(project);
  scriptPath = join(dir, "script.json");
  writeFileSync(scriptPath, JSON.stringify(SCRIPT));
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** An editor: records updates, answers permission and fs requests. */
function editor({ allow }) {
  const state = { updates: [], permissions: [], writes: [], firstChunk: null };
  let chunkArrived;
  state.firstChunk = new Promise((resolve) => (chunkArrived = resolve));
  const app = acp
    .client({ name: "bedrock-host-tests" })
    .onNotification(acp.methods.client.session.update, ({ params }) => {
      state.updates.push(params.update);
      if (params.update.sessionUpdate === "agent_message_chunk") chunkArrived();
    })
    .onRequest(acp.methods.client.session.requestPermission, ({ params }) => {
      state.permissions.push(params);
      const wanted = allow ? "allow_once" : "reject_once";
      const option = params.options.find((candidate) => candidate.kind === wanted);
      return { outcome: { outcome: "selected", optionId: option.optionId } };
    })
    .onRequest(acp.methods.client.fs.readTextFile, ({ params }) => ({ content: readFileSync(params.path, "utf8") }))
    .onRequest(acp.methods.client.fs.writeTextFile, ({ params }) => {
      state.writes.push(params);
      writeFileSync(params.path, params.content);
      return {};
    });
  return { app, state };
}

/** Spawns the agent and runs `op` with the SDK's client context; checks the agent exits 0. */
async function withAgent(app, op) {
  const child = spawn(BINARY, ["acp", "--emulator", "--emulator-script", scriptPath, "--log-file", join(dir, "acp.log")], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  const stream = acp.ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout));
  try {
    return await app.connectWith(stream, op);
  } finally {
    child.stdin.end();
    assert.equal(await exited, 0);
  }
}

const capabilities = { fs: { readTextFile: true, writeTextFile: true }, terminal: false };

async function start(ctx) {
  const init = await ctx.request(acp.methods.agent.initialize, {
    protocolVersion: acp.PROTOCOL_VERSION,
    clientCapabilities: capabilities,
  });
  const session = await ctx.request(acp.methods.agent.session.new, { cwd: project, mcpServers: [] });
  return { init, session };
}

test("initialize, a new session and a prompt whose chunks stream", HANG_GUARD, async () => {
  const { app, state } = editor({ allow: true });
  const { init, session, answer } = await withAgent(app, async (ctx) => {
    const { init, session } = await start(ctx);
    const answer = await ctx.request(acp.methods.agent.session.prompt, {
      sessionId: session.sessionId,
      prompt: [{ type: "text", text: "stream please" }],
    });
    return { init, session, answer };
  });
  assert.equal(init.protocolVersion, 1);
  assert.equal(init.agentCapabilities.loadSession, true);
  assert.deepEqual(init.authMethods.map((method) => method.id), ["aws-credentials"]);
  assert.match(session.sessionId, /^conv_[0-9a-f]{32}$/);
  assert.equal(session.configOptions[0].id, "model");
  assert.equal(answer.stopReason, "end_turn");
  const chunks = state.updates.filter((update) => update.sessionUpdate === "agent_message_chunk");
  assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
  assert.ok(chunks.map((chunk) => chunk.content.text).join("").startsWith("Streamed from the emulator in pieces."));
});

test("cancel resolves the prompt with stopReason cancelled", HANG_GUARD, async () => {
  const { app, state } = editor({ allow: true });
  const answer = await withAgent(app, async (ctx) => {
    const { session } = await start(ctx);
    const prompt = ctx.request(acp.methods.agent.session.prompt, {
      sessionId: session.sessionId,
      prompt: [{ type: "text", text: "slow please" }],
    });
    await state.firstChunk;
    await ctx.notify(acp.methods.agent.session.cancel, { sessionId: session.sessionId });
    return await prompt;
  });
  assert.equal(answer.stopReason, "cancelled");
});

test("a write asks permission with the diff; granted it writes, denied it does not", HANG_GUARD, async () => {
  for (const allow of [true, false]) {
    writeFileSync(join(project, "out.txt"), "before\n");
    const { app, state } = editor({ allow });
    const answer = await withAgent(app, async (ctx) => {
      const { session } = await start(ctx);
      return await ctx.request(acp.methods.agent.session.prompt, {
        sessionId: session.sessionId,
        prompt: [{ type: "text", text: "write the file" }],
      });
    });
    assert.equal(answer.stopReason, "end_turn");
    assert.equal(state.permissions.length, 1);
    const diff = state.permissions[0].toolCall.content[0];
    assert.deepEqual(
      { type: diff.type, path: diff.path, oldText: diff.oldText, newText: diff.newText },
      { type: "diff", path: join(project, "out.txt"), oldText: "before\n", newText: "from the model\n" },
    );
    const last = state.updates.filter((update) => update.sessionUpdate === "tool_call_update").at(-1);
    if (allow) {
      assert.equal(state.writes.length, 1);
      assert.equal(readFileSync(join(project, "out.txt"), "utf8"), "from the model\n");
      assert.equal(last.status, "completed");
    } else {
      assert.equal(state.writes.length, 0);
      assert.equal(readFileSync(join(project, "out.txt"), "utf8"), "before\n");
      assert.equal(last.status, "failed");
    }
  }
});

test("errors carry ACP's codes: an unknown session is -32002, a relative cwd -32602", HANG_GUARD, async () => {
  const { app } = editor({ allow: true });
  const [missing, relative] = await withAgent(app, async (ctx) => {
    await ctx.request(acp.methods.agent.initialize, { protocolVersion: 1, clientCapabilities: capabilities });
    const missing = await ctx
      .request(acp.methods.agent.session.prompt, {
        sessionId: "conv_00000000000000000000000000000000",
        prompt: [{ type: "text", text: "hi" }],
      })
      .catch((error) => error);
    const relative = await ctx.request(acp.methods.agent.session.new, { cwd: "relative", mcpServers: [] }).catch((error) => error);
    return [missing, relative];
  });
  assert.ok(missing instanceof acp.RequestError, String(missing));
  assert.equal(missing.code, -32002);
  assert.ok(relative instanceof acp.RequestError, String(relative));
  assert.equal(relative.code, -32602);
});
