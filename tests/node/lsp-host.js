// What the suites on vscode-languageclient 9's protocol stack share: the host binary, a hang guard,
// and `bedrock-host --emulator` spawned with a script behind a vscode-jsonrpc connection.

'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} = require('vscode-languageserver-protocol/node');

const REPO = path.resolve(__dirname, '..', '..');
const BINARY = process.env.BEDROCK_HOST_BIN || path.join(REPO, 'target', 'debug', 'bedrock-host');
/** Any single wait longer than this fails the test instead of hanging it. */
const HANG_GUARD_MS = 60_000;

function withTimeout(promise, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${HANG_GUARD_MS} ms`)), HANG_GUARD_MS);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/**
 * Starts the host on its emulator with `script` (an emulator script object) in a fresh directory
 * (its log goes there). The caller listens on `connection` and removes `dir`.
 */
function spawnHost(script, prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const scriptFile = path.join(dir, 'script.json');
  fs.writeFileSync(scriptFile, JSON.stringify(script));
  const args = ['--emulator', '--emulator-script', scriptFile, '--log-file', path.join(dir, 'host.log')];
  const child = spawn(BINARY, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  return { dir, child, exited, connection };
}

module.exports = { REPO, BINARY, HANG_GUARD_MS, withTimeout, spawnHost };
