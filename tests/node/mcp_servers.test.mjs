// MCP servers nobody here wrote, as the host's tool sources: the protocol's reference servers from the npm
// registry, `@modelcontextprotocol/server-everything` (stdio, and its streamable HTTP mode) and
// `@modelcontextprotocol/server-filesystem` (stdio). Each test spawns the real host with `--mcp-config`
// against its emulator, whose script makes the model call a server's tool; the host runs it and the
// tool's result comes back in the turn (docs/mcp.md).
//
// Run: `cargo build && (cd tests/node && npm ci && node --test)`. The binary is $BEDROCK_HOST_BIN
// (default target/debug/bedrock-host).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "..", "..");
const BINARY = process.env.BEDROCK_HOST_BIN ?? join(REPO, "target", "debug", "bedrock-host");
const EVERYTHING = join(HERE, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const FILESYSTEM = join(HERE, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");
const GUARD = { timeout: 90_000 };

/** A script in which the user text `use NAME` makes the model call tool NAME with the given input. */
function script(calls) {
  return {
    rules: Object.entries(calls).map(([name, input]) => ({
      when: { lastUserText: `^use ${name}$`, afterToolResult: false },
      respond: { content: [{ toolUse: { toolUseId: `tu_${name.replace(/[^a-zA-Z0-9_-]/g, "_")}`, name, input } }] },
    })),
  };
}

/** The host over newline-delimited JSON-RPC, with --mcp-config and an emulator script. */
class HostSession {
  constructor(directory, mcpServers, calls) {
    const config = join(directory, "mcp.json");
    const scriptFile = join(directory, "script.json");
    writeFileSync(config, JSON.stringify({ mcpServers }));
    writeFileSync(scriptFile, JSON.stringify(script(calls)));
    this.child = spawn(
      BINARY,
      ["--emulator", "--emulator-script", scriptFile, "--mcp-config", config, "--log-file", join(directory, "host.log")],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    this.nextId = 1;
    this.pending = new Map();
    this.statuses = [];
    this.waiters = [];
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      const message = JSON.parse(line);
      if (message.id !== undefined && this.pending.has(message.id)) {
        this.pending.get(message.id)(message);
        this.pending.delete(message.id);
      } else if (message.method === "mcp/status") {
        this.statuses.push(message.params);
        for (const waiter of this.waiters.splice(0)) waiter();
      } else if (message.method === "tool/call") {
        throw new Error(`MCP tools must not reach the client as tool/call: ${line}`);
      }
    });
  }

  call(method, params = {}) {
    const id = this.nextId++;
    return new Promise((resolveCall) => {
      this.pending.set(id, resolveCall);
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  }

  async ok(method, params) {
    const response = await this.call(method, params);
    assert.ok(response.result, `${method} failed: ${JSON.stringify(response)}`);
    return response.result;
  }

  async ready(server) {
    while (!this.statuses.some((s) => s.server === server && s.state === "ready")) {
      const failed = this.statuses.find((s) => s.server === server && s.state === "failed");
      assert.equal(failed, undefined, `the server ${server} failed: ${JSON.stringify(failed)}`);
      await new Promise((wake) => this.waiters.push(wake));
    }
  }

  /** Sends `use TOOL`; the toolResult the model read. */
  async toolResult(conversationId, tool) {
    const turn = await this.ok("conversation/send", { conversationId, content: `use ${tool}` });
    return turn.messages[1].content[0].toolResult;
  }

  async close() {
    this.child.stdin.end();
    await new Promise((done) => (this.child.exitCode !== null ? done() : this.child.on("exit", done)));
  }
}

async function freePort() {
  const server = createServer();
  await new Promise((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address();
  await new Promise((closed) => server.close(closed));
  return port;
}

test("server-everything over stdio: echo, get-sum and get-tiny-image run through the host", GUARD, async () => {
  const directory = mkdtempSync(join(tmpdir(), "bedrock-host-mcp-"));
  const host = new HostSession(
    directory,
    { everything: { command: process.execPath, args: [EVERYTHING, "stdio"] } },
    { everything__echo: { message: "hello" }, "everything__get-sum": { a: 2, b: 3 }, "everything__get-tiny-image": {} },
  );
  try {
    await host.ok("initialize", {});
    await host.ready("everything");
    const { tools } = await host.ok("tool/list");
    const names = tools.map((tool) => tool.name);
    for (const name of ["everything__echo", "everything__get-sum", "everything__get-tiny-image"]) {
      assert.ok(names.includes(name), `${name} in ${names}`);
    }
    assert.deepEqual(tools.find((tool) => tool.name === "everything__echo").source, { mcp: "everything" });
    const { conversationId } = await host.ok("conversation/create", { tools: "all" });
    assert.deepEqual(await host.toolResult(conversationId, "everything__echo"), {
      toolUseId: "tu_everything__echo",
      content: [{ text: "Echo: hello" }],
      status: "success",
    });
    const sum = await host.toolResult(conversationId, "everything__get-sum");
    assert.equal(sum.content[0].text, "The sum of 2 and 3 is 5.");
    const image = await host.toolResult(conversationId, "everything__get-tiny-image");
    const block = image.content.find((item) => item.image);
    assert.equal(block.image.format, "png", JSON.stringify(image));
    assert.ok(block.image.source.bytes.length > 100);
    const { servers } = await host.ok("mcp/list");
    assert.equal(servers[0].state, "ready");
    assert.equal(servers[0].transport, "stdio");
  } finally {
    await host.close();
    rmSync(directory, { recursive: true, force: true });
  }
});

test("server-everything in its streamable HTTP mode", GUARD, async () => {
  const directory = mkdtempSync(join(tmpdir(), "bedrock-host-mcp-"));
  const port = await freePort();
  const server = spawn(process.execPath, [EVERYTHING, "streamableHttp"], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const listening = new Promise((ready, fail) => {
    createInterface({ input: server.stderr }).on("line", (line) => line.includes("listening") && ready());
    server.on("exit", (code) => fail(new Error(`server-everything exited with ${code}`)));
  });
  let host;
  try {
    await listening;
    host = new HostSession(
      directory,
      { web: { type: "http", url: `http://127.0.0.1:${port}/mcp` } },
      { web__echo: { message: "over http" }, "web__get-sum": { a: 40, b: 2 } },
    );
    await host.ok("initialize", {});
    await host.ready("web");
    const { conversationId } = await host.ok("conversation/create", { tools: ["web__echo", "web__get-sum"] });
    assert.equal((await host.toolResult(conversationId, "web__echo")).content[0].text, "Echo: over http");
    assert.equal((await host.toolResult(conversationId, "web__get-sum")).content[0].text, "The sum of 40 and 2 is 42.");
    assert.equal((await host.ok("mcp/list")).servers[0].transport, "http");
  } finally {
    await host?.close();
    server.kill();
    rmSync(directory, { recursive: true, force: true });
  }
});

test("server-filesystem over stdio: list_directory and read_text_file on a temporary directory", GUARD, async () => {
  const directory = mkdtempSync(join(tmpdir(), "bedrock-host-mcp-"));
  const files = join(directory, "files");
  mkdirSync(files);
  writeFileSync(join(files, "hello.txt"), "hi there\n");
  const host = new HostSession(
    directory,
    { fs: { command: process.execPath, args: [FILESYSTEM, files] } },
    { fs__list_directory: { path: files }, fs__read_text_file: { path: join(files, "hello.txt") } },
  );
  try {
    await host.ok("initialize", {});
    await host.ready("fs");
    const { conversationId } = await host.ok("conversation/create", { tools: "all" });
    const listing = await host.toolResult(conversationId, "fs__list_directory");
    assert.equal(listing.status, "success", JSON.stringify(listing));
    assert.match(listing.content[0].text, /\[FILE\] hello\.txt/);
    const read = await host.toolResult(conversationId, "fs__read_text_file");
    assert.equal(read.content[0].text, "hi there\n", JSON.stringify(read));
  } finally {
    await host.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
